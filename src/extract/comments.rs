//! Reader comments: recognised by name and by structure, never chosen as
//! the article and never part of its text.
//!
//! Two signals mark a comment thread, and neither depends on its size (a
//! thread that outweighs the post is still a thread):
//! - an element named like a comment or a comment system (`comment`,
//!   `commentlist`, `disqus_thread`) with no article word in its name, and
//!   everything inside it;
//! - the thread's heading: a short block holding a heading that is named
//!   like comments (`<h2 id=comments>`, `<h2><a id=comments></a>…</h2>`,
//!   `<div class=commentform><h2>…`) or says so ("12 Comments", "Leave a
//!   Reply", "Kommentare"). Everything after it in the same parent is the
//!   thread: blog engines write comments as plain siblings of the post
//!   (`<div id=c1234>` plus a "Posted by" line, once per comment).

use super::dom::{Flat, NONE, Tag};

/// A thread heading block is short: the heading and maybe a count.
const HEADING_BLOCK_MAX_CHARS: u32 = 60;

/// Lower-case words a comment-thread heading starts with (after an
/// optional count): English and the languages of the pages we meet.
const HEADING_WORDS: &[&str] = &[
    "comment",
    "comments",
    "leave a reply",
    "leave a comment",
    "post a comment",
    "add a comment",
    "reader comments",
    "kommentare",
    "kommentar",
    "kommentieren",
    "commentaires",
    "commentaire",
    "comentarios",
    "comentários",
    "comentario",
    "commenti",
    "reacties",
    "komentarze",
    "komentarz",
];

/// Per node: it is part of a comment thread.
pub fn thread_flags(flat: &Flat) -> Vec<bool> {
    let n = flat.nodes.len();
    let mut flags = vec![false; n];
    // Parents in which a thread heading has been seen: their later
    // children are comments.
    let mut thread_opened = vec![false; n];
    for i in 0..n {
        let node = &flat.nodes[i];
        let parent = node.parent;
        let inherited = parent != NONE && flags[parent as usize];
        let after_heading = parent != NONE && thread_opened[parent as usize];
        let opens = !inherited && !after_heading && is_thread_heading(flat, i as u32);
        if opens && parent != NONE {
            thread_opened[parent as usize] = true;
        }
        // Page-wide switches on <html> or <body> (`feature_newcomments`)
        // name the page's features, not a region.
        let named = node.comment_name
            && !matches!(node.tag, Tag::Html | Tag::Body | Tag::Main | Tag::Document);
        flags[i] = inherited || after_heading || opens || named;
    }
    flags
}

/// A short block that is, or holds, a heading named or worded like the
/// start of a comment thread.
fn is_thread_heading(flat: &Flat, i: u32) -> bool {
    let node = &flat.nodes[i as usize];
    if !node.tag.is_block() || node.chars > HEADING_BLOCK_MAX_CHARS {
        return false;
    }
    let heading = (i..node.end).find(|&j| matches!(flat.nodes[j as usize].tag, Tag::Heading(_)));
    let Some(heading) = heading else {
        return false;
    };
    let heading_end = flat.nodes[heading as usize].end;
    if node.comment_name || (heading..heading_end).any(|j| flat.nodes[j as usize].comment_name) {
        return true;
    }
    let text = subtree_text(flat, heading);
    says_comments(&text)
}

/// Words that open a thread heading only after a count ("3 Responses to
/// …"): alone, "Reactions" or "Responses" head an article's own section.
const COUNTED_HEADING_WORDS: &[&str] = &["responses", "response", "replies", "reactions"];

/// "Comments", "12 Comments", "3 Responses to …", "Leave a Reply".
fn says_comments(text: &str) -> bool {
    let lower = text.trim().to_lowercase();
    let rest = lower
        .trim_start_matches(|c: char| {
            c.is_ascii_digit() || c.is_whitespace() || c == '(' || c == ')'
        })
        .trim_start();
    let counted =
        rest.len() < lower.len() && lower.starts_with(|c: char| c.is_ascii_digit() || c == '(');
    let starts = |w: &&str| {
        rest.strip_prefix(*w)
            .is_some_and(|after| !after.starts_with(|c: char| c.is_alphanumeric()))
    };
    HEADING_WORDS.iter().any(starts) || (counted && COUNTED_HEADING_WORDS.iter().any(starts))
}

fn subtree_text(flat: &Flat, i: u32) -> String {
    let mut out = String::new();
    for j in i..flat.nodes[i as usize].end {
        if let scraper::Node::Text(t) = flat.nodes[j as usize].node.value() {
            out.push_str(t);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heading_wording() {
        for t in [
            "Comments",
            "12 Comments",
            "(3) Kommentare",
            "3 Responses to “A post”",
            "(12) Comments",
            "Leave a Reply",
            "Commentaires",
        ] {
            assert!(says_comments(t), "{t}");
        }
        for t in [
            "Commentary on the budget",
            "Responses",
            "Reactions from abroad",
            "Discussion",
        ] {
            assert!(!says_comments(t), "{t}");
        }
    }
}
