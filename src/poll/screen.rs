//! A feed's `[feed.filter]` applied to its entries, without I/O: the glue
//! between a parsed [`FeedEntry`] and the pure rule engine in
//! [`crate::filter`].
//!
//! The rules:
//!
//! - An entry is screened before its page is fetched, on its title, link,
//!   authors, tags and summary, and on its text when that is the feed's own
//!   content (the page will not be fetched). What a rule drops there costs
//!   no request.
//! - When only the text can decide (a `text` rule, and the page is to be
//!   fetched), the entry is screened again on the text that would be
//!   stored: the extracted page, or the feed's content when the page
//!   failed. A page that is to be retried later is decided at that retry.
//! - A dropped entry becomes one [`EntryWrite::Filtered`] with the reason
//!   (which rule, by its line in feeds.toml): recorded, never an article.
//! - An entry whose page is already stored (a sighting of an article
//!   another feed brought) is kept when only its text could drop it: the
//!   article exists either way.

use crate::extract;
use crate::feed::FeedEntry;
use crate::filter::{self, Decision, EntryFacts, FilterRules};
use crate::model::{EntrySource, EntryWrite};

/// What the filter says of an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Keep,
    /// A `text` rule decides, and the text is not known yet.
    NeedsText,
    /// Dropped, and why.
    Drop(String),
}

/// Screens `entry`; `text` is the text to be stored, `None` while unknown.
pub fn verdict(rules: &FilterRules, entry: &FeedEntry, text: Option<&str>) -> Verdict {
    if rules.is_empty() {
        return Verdict::Keep;
    }
    let authors: Vec<String> = entry
        .authors
        .iter()
        .filter_map(|p| p.name.clone().or_else(|| p.email.clone()))
        .chain(entry.author.clone())
        .collect();
    let tags: Vec<String> = entry
        .tags
        .iter()
        .flat_map(|t| std::iter::once(t.term.clone()).chain(t.label.clone()))
        .collect();
    let summary = entry.summary.as_ref().map(|s| {
        if s.media_type.contains("html") {
            extract::fragment_to_text(&s.value)
        } else {
            s.value.clone()
        }
    });
    let facts = EntryFacts {
        title: entry.title.as_deref(),
        url: entry.link.as_deref(),
        authors: &authors,
        tags: &tags,
        summary: summary.as_deref(),
        text,
    };
    match filter::decide(rules, &facts) {
        Decision::Keep => Verdict::Keep,
        Decision::NeedsText => Verdict::NeedsText,
        Decision::Drop(why) => Verdict::Drop(why.to_string()),
    }
}

/// The record of a dropped entry.
pub fn filtered(source: EntrySource, entry: &FeedEntry, reason: String) -> EntryWrite {
    EntryWrite::Filtered {
        source,
        title: entry.title.clone(),
        reason,
    }
}

/// An entry's writes once its text is known: the article (and a retry of
/// its page) become one [`EntryWrite::Filtered`] when the text drops it.
/// Writes without an article (a page to retry) are decided later.
pub fn after_text(
    rules: &FilterRules,
    entry: &FeedEntry,
    writes: Vec<EntryWrite>,
) -> Vec<EntryWrite> {
    let dropped = writes.iter().find_map(|w| match w {
        EntryWrite::Article { source, article } => {
            match verdict(rules, entry, Some(&article.text)) {
                Verdict::Drop(reason) => Some((source.clone(), reason)),
                Verdict::Keep | Verdict::NeedsText => None,
            }
        }
        _ => None,
    });
    match dropped {
        Some((source, reason)) => vec![filtered(source, entry, reason)],
        None => writes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, FullText};
    use crate::poll::entries::{Job, Next, Work};

    /// The filter of a feed configured with `rules` (TOML lines).
    fn rules(rules: &str) -> FilterRules {
        let toml =
            format!("[[feed]]\nurl = \"https://news.example/feed.xml\"\n[feed.filter]\n{rules}\n");
        let config = Config::parse(std::path::Path::new("feeds.toml"), &toml).expect("a config");
        config.feeds[0].filter.clone()
    }

    fn entry(fields: serde_json::Value) -> FeedEntry {
        let mut base = serde_json::json!({"key": "k", "link": "https://news.example/1.html"});
        if let (Some(b), Some(f)) = (base.as_object_mut(), fields.as_object()) {
            b.extend(f.clone());
        }
        serde_json::from_value(base).expect("a feed entry")
    }

    #[test]
    fn authors_tags_and_an_html_summary_are_what_the_feed_gave() {
        let r = rules(
            "exclude = [{ author = \"^Ada\" }, { tag = \"^Advertorial$\" }, { summary = \"(?i)^sponsored:\" }]",
        );
        let by_ada =
            entry(serde_json::json!({"authors": [{"name": null, "email": "Ada@x.example"}]}));
        assert!(matches!(verdict(&r, &by_ada, None), Verdict::Drop(w) if w.contains("line 4")));
        let labelled = entry(
            serde_json::json!({"tags": [{"term": "ad-7", "scheme": null, "label": "Advertorial"}]}),
        );
        assert!(matches!(verdict(&r, &labelled, None), Verdict::Drop(_)));
        let html = entry(
            serde_json::json!({"summary": {"type": "text/html", "value": "<b>Sponsored:</b> ferries"}}),
        );
        assert!(matches!(verdict(&r, &html, None), Verdict::Drop(_)));
        let plain = entry(
            serde_json::json!({"title": "Ferries", "summary": {"type": "text/plain", "value": "New ferries"}}),
        );
        assert_eq!(verdict(&r, &plain, None), Verdict::Keep);
    }

    #[test]
    fn a_text_rule_turns_the_article_and_its_retry_into_one_record() {
        let r = rules("exclude = [{ text = \"(?i)subscribe to read\" }]");
        let e = entry(serde_json::json!({"title": "Harbour"}));
        assert_eq!(verdict(&r, &e, None), Verdict::NeedsText);
        // The article as the poll builds it from the feed's content.
        let article = |text: &str| {
            let mut with_text = e.clone();
            with_text.content_html = Some(format!("<p>{text}</p>"));
            let job = Job {
                entry: with_text,
                attempts: 0,
            };
            let feed = url::Url::parse("https://news.example/feed.xml").expect("a URL");
            match Work::plan(job, &feed, FullText::Never).next() {
                Next::Write(mut writes) => writes.remove(0),
                Next::FetchPage(_) => panic!("full_text = never fetches no page"),
            }
        };
        let source = EntrySource {
            entry_id: "k".into(),
            entry_url: e.link.clone(),
            entry_updated_at: None,
        };
        let retry = EntryWrite::Pending {
            source: source.clone(),
            entry_json: "{}".into(),
            attempts: 1,
            next_attempt_at: None,
            error: "HTTP 503".into(),
        };
        let paywalled = after_text(
            &r,
            &e,
            vec![article("Subscribe to read more"), retry.clone()],
        );
        assert!(
            matches!(&paywalled[..], [EntryWrite::Filtered { reason, title, .. }]
                if reason.contains("subscribe to read") && title.as_deref() == Some("Harbour")),
            "{paywalled:?}"
        );
        let kept = after_text(&r, &e, vec![article("Dockers walked out."), retry.clone()]);
        assert_eq!(kept.len(), 2);
        // No article yet (the page waits for a retry): nothing to decide.
        assert_eq!(after_text(&r, &e, vec![retry.clone()]), vec![retry]);
    }
}
