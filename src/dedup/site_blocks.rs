//! Each site's boilerplate, learned from its own pages.
//!
//! feedsift sees many pages of one site over time. A *block* (a line of the
//! extracted text: a paragraph, a list item, a caption) that repeats
//! verbatim, up to case and punctuation, across the pages of *distinct
//! stories* of one host is that site's boilerplate: a donation appeal, an
//! author bio, a "Republish this story" box, a teaser of another story. The
//! store counts, per host, on how many stories' pages each block appeared
//! (bounded table `site_blocks`, migration 0012); once a block reached
//! [`PAGES_TO_LEARN`] it is dropped from that host's next pages before they
//! are stored and fingerprinted, and from its recent stored pages
//! ([`crate::store::site_blocks`]).
//!
//! Invariants of this module (pure functions on text):
//! * a block is only ever dropped whole, and never one that is most of its
//!   page ([`MAX_BLOCK_SHARE`]), nor when dropping would leave less than
//!   [`MIN_KEPT_SHARE`] of the page: a page made of known blocks is a teaser
//!   or a failed extraction, and is kept as it is rather than emptied;
//! * until a block is learned, two pages of one host are compared on what
//!   they do *not* share verbatim ([`same_site_match`]), so the house blurb
//!   of a site's first pages never merges two of its stories.

use std::collections::HashSet;

use xxhash_rust::xxh3::xxh3_64;

use super::fingerprint::{MatchKind, Profile, normalized_words};

/// Distinct stories of one host a block must appear on to be boilerplate.
/// Two is not enough: a follow-up often quotes a paragraph of the story it
/// follows, and a quote must not be cut from both. House boilerplate is on
/// every page of a site, so waiting for the third story costs two pages;
/// until then [`same_site_match`] keeps those pages apart. In
/// `tests/syndication.rs` (house blurbs, bios, "republish" boxes, portal
/// teasers repeated on every page; a follow-up quoting one paragraph)
/// 3 learns every blurb from the third page on and never a quote.
pub const PAGES_TO_LEARN: u32 = 3;

/// A block this share of its page's words or more is never dropped: it is
/// the page, not its chrome ("never drop a block that is most of a page").
pub const MAX_BLOCK_SHARE: f64 = 0.5;

/// Dropping known blocks must leave at least this share of the page's
/// words, else the page is kept as it is. A real article keeps ≥ 0.5 of its
/// words after its site's blurbs are gone (the 180-word blurb of a 150-word
/// brief leaves 0.45); a page left with a fifth of its words was mostly
/// chrome or a teaser list, and cutting it to crumbs would lose more than
/// it cleans.
pub const MIN_KEPT_SHARE: f64 = 0.2;

/// When one of two pages of a site has fewer words than this outside the
/// blocks they share verbatim, it is contained in the other: the same story
/// up to a headline or a line.
pub const TINY_RESIDUAL_WORDS: usize = 10;

/// Bound of the per-host table: beyond this many blocks, the least recently
/// seen are forgotten, learned or not. A page brings 10–40 blocks, so the
/// table remembers the blocks of the last ~100–400 pages of a host: a blurb
/// on at least one page in a hundred is still learned and stays known,
/// while teasers of old stories age out.
pub const MAX_BLOCKS_PER_HOST: usize = 4096;

/// When a block becomes known, this many of the host's most recently stored
/// pages are filtered again (text and fingerprint): the pages stored before
/// the site's blurb was learned. Enough to cover the pages that taught it
/// and a day of a busy site; each costs one read and one update.
pub const RECENT_PAGES_PER_HOST: usize = 200;

/// A line of text with its normalised hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block<'a> {
    pub text: &'a str,
    /// XXH3-64 of the block's normalised words (case and punctuation
    /// forgotten, as in [`super::fingerprint`]).
    pub hash: u64,
    pub words: u32,
}

/// The non-blank lines of an extracted text, in order.
pub fn blocks(text: &str) -> Vec<Block<'_>> {
    text.split('\n')
        .filter_map(|line| {
            let words = normalized_words(line);
            (!words.is_empty()).then(|| Block {
                text: line.trim(),
                hash: xxh3_64(words.join(" ").as_bytes()),
                words: u32::try_from(words.len()).unwrap_or(u32::MAX),
            })
        })
        .collect()
}

/// The blocks of a page that count towards learning its site's boilerplate:
/// each distinct hash once, without blocks that are most of the page.
pub fn learnable(text: &str) -> Vec<(u64, u32)> {
    let all = blocks(text);
    let total: u32 = all.iter().map(|b| b.words).sum();
    let mut seen = HashSet::new();
    all.into_iter()
        .filter(|b| !is_most_of(b.words, total))
        .filter(|b| seen.insert(b.hash))
        .map(|b| (b.hash, b.words))
        .collect()
}

/// The page's text without the blocks `is_known` names, or `None` when
/// nothing is dropped (none known, or the guards of the module keep them).
pub fn filter(text: &str, is_known: impl Fn(u64) -> bool) -> Option<String> {
    let all = blocks(text);
    let total: u32 = all.iter().map(|b| b.words).sum();
    let drop: HashSet<u64> = all
        .iter()
        .filter(|b| is_known(b.hash) && !is_most_of(b.words, total))
        .map(|b| b.hash)
        .collect();
    let dropped: u32 = all
        .iter()
        .filter(|b| drop.contains(&b.hash))
        .map(|b| b.words)
        .sum();
    if dropped == 0 || f64::from(total - dropped) < MIN_KEPT_SHARE * f64::from(total) {
        return None;
    }
    Some(rejoin(text, |line| {
        blocks(line).first().is_none_or(|b| !drop.contains(&b.hash))
    }))
}

/// Are two pages of the same host the same story? They are compared on
/// what they do not share verbatim: blocks both have are a story's own
/// paragraphs only when the rest agrees too, and a site's house blurb
/// otherwise. `None`: distinct stories.
pub fn same_site_match(new: &str, stored: &str) -> Option<MatchKind> {
    let (a, b) = (blocks(new), blocks(stored));
    let in_a: HashSet<u64> = a.iter().map(|x| x.hash).collect();
    let in_b: HashSet<u64> = b.iter().map(|x| x.hash).collect();
    let rest = |blocks: &[Block], other: &HashSet<u64>| {
        let kept: Vec<&str> = blocks
            .iter()
            .filter(|x| !other.contains(&x.hash))
            .map(|x| x.text)
            .collect();
        (
            kept.join("\n"),
            blocks
                .iter()
                .filter(|x| !other.contains(&x.hash))
                .map(|x| x.words as usize)
                .sum::<usize>(),
        )
    };
    let ((rest_a, words_a), (rest_b, words_b)) = (rest(&a, &in_b), rest(&b, &in_a));
    if words_a.min(words_b) < TINY_RESIDUAL_WORDS {
        // One page is the other up to a line or two (or a part of it).
        let shared = a.iter().filter(|x| in_b.contains(&x.hash)).count();
        return (shared > 0).then_some(MatchKind::Contained { containment: 1.0 });
    }
    Profile::of(&rest_a).resembles(&Profile::of(&rest_b))
}

/// The host of a page's address, lower case, without `www.`: the unit a
/// site's boilerplate is learned for.
pub fn host_of(url: &str) -> Option<String> {
    let host = url::Url::parse(url).ok()?.host_str()?.to_ascii_lowercase();
    Some(host.strip_prefix("www.").unwrap_or(&host).to_string())
}

fn is_most_of(words: u32, total: u32) -> bool {
    f64::from(words) >= MAX_BLOCK_SHARE * f64::from(total)
}

/// The lines `keep` accepts, blank-line paragraph breaks preserved (a run of
/// dropped lines leaves one break, not a gap).
fn rejoin(text: &str, keep: impl Fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_since_last = false;
    for line in text.split('\n') {
        if line.trim().is_empty() {
            blank_since_last = true;
            continue;
        }
        if !keep(line) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_since_last { "\n\n" } else { "\n" });
        }
        out.push_str(line);
        blank_since_last = false;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLURB: &str = "Support independent local reporting: become a member today and keep our newsroom free for every reader in the valley.";

    fn page(story: &str) -> String {
        format!("{story}\n\n{BLURB}\n\nShare this story")
    }

    fn known_from(pages: &[&str]) -> HashSet<u64> {
        let mut counts = std::collections::HashMap::new();
        for p in pages {
            for (h, _) in learnable(p) {
                *counts.entry(h).or_insert(0u32) += 1;
            }
        }
        counts
            .into_iter()
            .filter(|(_, n)| *n >= PAGES_TO_LEARN)
            .map(|(h, _)| h)
            .collect()
    }

    #[test]
    fn a_blurb_on_three_stories_is_dropped_and_paragraph_breaks_stay() {
        let pages = [
            page(
                "The council met on Tuesday and argued for hours.\n\nIt voted to close the old bridge for repairs until spring.",
            ),
            page(
                "Rain flooded the lower town overnight.\n\nThe river crested at noon, two metres above its usual level.",
            ),
            page(
                "A new bakery opened downtown on Friday.\n\nIts owner trained in Lyon and worked in three cities before.",
            ),
        ];
        let known = known_from(&pages.iter().map(String::as_str).collect::<Vec<_>>());
        let own = "The school board hired a new principal after a long search.\n\nShe starts in August and will teach one class herself.";
        assert_eq!(
            filter(&page(own), |h| known.contains(&h)).as_deref(),
            Some(own)
        );
        // Seen on two stories only: not yet boilerplate.
        let two = known_from(&[&pages[0], &pages[1]]);
        assert_eq!(filter(&page(own), |h| two.contains(&h)), None);
    }

    #[test]
    fn a_block_that_is_most_of_the_page_is_never_dropped() {
        let text = format!("{BLURB}\n\nShort note.");
        assert_eq!(filter(&text, |_| true).as_deref(), Some(BLURB));
        assert!(
            learnable(&text)
                .iter()
                .all(|(h, _)| *h != blocks(BLURB)[0].hash)
        );
    }

    #[test]
    fn a_page_that_would_keep_too_little_is_kept_whole() {
        let text = format!("{BLURB}\n\n{BLURB} again\n\nOne line of its own.");
        let blurbs: HashSet<u64> = blocks(&text)[..2].iter().map(|b| b.hash).collect();
        assert_eq!(filter(&text, |h| blurbs.contains(&h)), None);
    }

    #[test]
    fn two_stories_sharing_a_house_blurb_are_not_one_story_but_a_copy_is() {
        let one = page(
            "The council met on Tuesday and voted, after a long and heated debate lasting four hours, to close the old stone bridge for repairs.",
        );
        let two = page(
            "Rain flooded the lower town overnight, and by noon the river had crested two metres above its usual level near the mill.",
        );
        assert_eq!(same_site_match(&one, &two), None);
        let edited = one.replace("four hours", "nearly four hours");
        assert!(same_site_match(&edited, &one).is_some());
        assert!(same_site_match(&one, &one).is_some());
    }

    #[test]
    fn hosts_ignore_case_and_www() {
        assert_eq!(
            host_of("https://WWW.Example.org/a").as_deref(),
            Some("example.org")
        );
        assert_eq!(host_of("not a url"), None);
    }
}
