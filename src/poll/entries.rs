//! What one poll does with its feed's entries, decided without I/O: which
//! entries need work, what each needs, and what a page's result writes.
//! [`super`] looks up, fetches and extracts; this module decides.
//!
//! The rules:
//!
//! - An entry is worked on when it is new to its feed, or stored but
//!   updated upstream since. An entry whose page failed waits for its retry
//!   time ([`retries`]).
//! - An entry without an http(s) link is its feed's content, filed under
//!   the feed's URL with the entry's key as the fragment.
//! - An entry whose page is already stored (same url key, from any feed)
//!   is a sighting of it: the page is not fetched again. Retries skip this
//!   check: their page was never stored.
//! - `full_text` decides whether the page is fetched: always, never, or
//!   (`auto`) when the feed's content is shorter than
//!   [`FEED_CONTENT_MIN_WORDS`]. The page is requested without tracking
//!   parameters.
//! - A page that failed: a missing page (404/410) may be published after
//!   its entry, so the entry waits and is retried a few times before the
//!   feed's content is kept; a transient failure (5xx, timeout) stores the
//!   feed's content now and retries the page later; anything else
//!   (blocked, robots.txt, too large) stores the feed's content for good.

use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;

use super::address::Address;
use super::pages::{PageError, PageOk, PageResult};
use super::{schedule, screen};
use crate::config::FullText;
use crate::extract::{self, ExtractStatus};
use crate::feed::FeedEntry;
use crate::fetch::FetchError;
use crate::filter::FilterRules;
use crate::model::{
    ArticleRecord, DuePending, EntryDetails, EntrySource, EntryStatus, EntryWrite, Extraction,
};

/// `full_text = "auto"` fetches the page when the feed's own content is
/// shorter than this: news feeds carry either a teaser (a sentence or two,
/// rarely past 80 words) or the whole article (hundreds of words).
pub const FEED_CONTENT_MIN_WORDS: usize = 150;

/// Waits before retrying a page that failed, by attempt. Transient errors
/// (5xx, timeouts) retry sooner; a 404 may be a page published after its
/// feed entry, so it gets a few patient retries before it is given up.
const TRANSIENT_RETRY_WAITS: [Duration; 4] = [
    Duration::from_secs(15 * 60),
    Duration::from_secs(3600),
    Duration::from_secs(6 * 3600),
    Duration::from_secs(24 * 3600),
];
const MISSING_PAGE_RETRY_WAITS: [Duration; 3] = [
    Duration::from_secs(3600),
    Duration::from_secs(6 * 3600),
    Duration::from_secs(24 * 3600),
];

/// An entry that needs work in this poll.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub entry: FeedEntry,
    /// Failed page fetches so far: 0 for an entry new or updated upstream.
    pub attempts: u32,
}

/// The entries of a fetched document that need work, in document order:
/// new ones, and stored ones updated upstream since. `statuses[i]` is
/// what the database knows of `entries[i]`.
pub fn to_work_on(entries: &[FeedEntry], statuses: &[EntryStatus]) -> Vec<Job> {
    entries
        .iter()
        .zip(statuses)
        .filter(|(entry, status)| match status {
            EntryStatus::New => true,
            EntryStatus::Stored {
                entry_updated_at: Some(seen),
                ..
            } => entry.updated.is_some_and(|u| u > *seen),
            EntryStatus::Stored { .. } | EntryStatus::Pending | EntryStatus::Filtered => false,
        })
        .map(|(entry, _)| Job {
            entry: entry.clone(),
            attempts: 0,
        })
        .collect()
}

/// At most `cap` of the jobs, newest first (by published, else updated
/// date; undated ones after dated ones, in document order), and how many
/// were left for the next polls. Stored entries are never jobs, so the
/// next poll of the same document takes the next `cap`.
pub fn newest_first(mut jobs: Vec<Job>, cap: usize) -> (Vec<Job>, usize) {
    if jobs.len() <= cap {
        return (jobs, 0);
    }
    // Stable: equal dates keep document order.
    jobs.sort_by_key(|j| std::cmp::Reverse(j.entry.published.or(j.entry.updated)));
    let left = jobs.len() - cap;
    jobs.truncate(cap);
    (jobs, left)
}

/// Pending entries whose retry is due; one whose kept JSON no longer reads
/// is skipped.
pub fn retries(due: Vec<DuePending>) -> Vec<Job> {
    due.into_iter()
        .filter_map(|p| match serde_json::from_str::<FeedEntry>(&p.entry_json) {
            Ok(entry) => Some(Job {
                entry,
                attempts: p.attempts,
            }),
            Err(e) => {
                tracing::warn!(entry = %p.entry_id, error = %e, "unreadable pending entry skipped");
                None
            }
        })
        .collect()
}

/// One entry's work, planned. The page it links to may turn out to be
/// stored already ([`Work::page_is_stored`]); [`Work::next`] then says what
/// is left to do.
#[derive(Debug, Clone)]
pub struct Work {
    entry: FeedEntry,
    attempts: u32,
    /// The entry's http(s) link.
    link: Option<Url>,
    address: Address,
    /// The feed's content for the entry, as text.
    feed_text: String,
    /// Store the article as Markdown too (`[settings] markdown`).
    markdown: bool,
    action: Action,
    /// The feed's filter, when only the page's text can decide.
    text_rules: Option<FilterRules>,
}

#[derive(Debug, Clone, PartialEq)]
enum Action {
    FromFeed,
    Sighting(i64),
    /// The page's URL without tracking parameters.
    FetchPage(Url),
    /// The feed's filter dropped it, for this reason.
    Filtered(String),
}

/// What is left of an entry's work. It lives only until the entry is
/// done, so the size difference between the variants costs nothing.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Next {
    /// Nothing to fetch: write these.
    Write(Vec<EntryWrite>),
    /// Fetch (or share) the page, then see [`PageWork::writes`].
    FetchPage(PageWork),
}

impl Work {
    pub fn plan(job: Job, feed_url: &Url, full_text: FullText) -> Work {
        let Job { entry, attempts } = job;
        let feed_text = entry
            .content_html
            .as_deref()
            .map(extract::fragment_to_text)
            .unwrap_or_default();
        let link = entry
            .link
            .as_deref()
            .and_then(|l| Url::parse(l).ok())
            .filter(|l| matches!(l.scheme(), "http" | "https"));
        let Some(page) = &link else {
            let address = Address::of_entry(feed_url, &entry.key);
            return Work {
                entry,
                attempts,
                link,
                address,
                feed_text,
                markdown: false,
                action: Action::FromFeed,
                text_rules: None,
            };
        };
        let address = Address::of_url(page);
        let wants_page = match full_text {
            FullText::Always => true,
            FullText::Never => false,
            FullText::Auto => feed_text.split_whitespace().count() < FEED_CONTENT_MIN_WORDS,
        };
        // Tracking parameters never select content, and requesting them
        // would report us to the trackers.
        let action = if wants_page {
            Action::FetchPage(Url::parse(&address.canonical_url).unwrap_or_else(|_| page.clone()))
        } else {
            Action::FromFeed
        };
        Work {
            entry,
            attempts,
            link,
            address,
            feed_text,
            markdown: false,
            action,
            text_rules: None,
        }
    }

    /// The feed's filter on this entry, before any page is fetched (see
    /// [`screen`]): dropped now, kept, or left for the page's text.
    pub fn screened(mut self, rules: &FilterRules) -> Work {
        let known_text = matches!(self.action, Action::FromFeed).then_some(self.feed_text.as_str());
        match screen::verdict(rules, &self.entry, known_text) {
            screen::Verdict::Keep => {}
            screen::Verdict::Drop(reason) => self.action = Action::Filtered(reason),
            screen::Verdict::NeedsText => self.text_rules = Some(rules.clone()),
        }
        self
    }

    /// Also stores the article as Markdown: the page's, or the feed's
    /// content rendered.
    pub fn with_markdown(mut self, markdown: bool) -> Work {
        self.markdown = markdown;
        self
    }

    /// The url key to look up among stored pages before anything is
    /// fetched: that of a linked entry's first attempt, unless filtered.
    pub fn stored_page_key(&self) -> Option<&str> {
        let filtered = matches!(self.action, Action::Filtered(_));
        (self.attempts == 0 && self.link.is_some() && !filtered)
            .then_some(self.address.key.as_str())
    }

    /// Whether the entry's page is to be fetched (as planned so far).
    pub fn fetches_page(&self) -> bool {
        matches!(self.action, Action::FetchPage(_))
    }

    /// The page is stored as `article_id` already: a sighting of it.
    pub fn page_is_stored(&mut self, article_id: i64) {
        self.action = Action::Sighting(article_id);
    }

    pub fn next(self) -> Next {
        let source = source_of(&self.entry);
        match self.action {
            Action::Sighting(article_id) => {
                Next::Write(vec![EntryWrite::Sighting { source, article_id }])
            }
            Action::FromFeed => {
                let stored = from_feed(
                    &self.entry,
                    self.address,
                    self.feed_text,
                    Extraction::FromFeed,
                    self.markdown,
                );
                Next::Write(vec![article(source, stored)])
            }
            Action::Filtered(reason) => {
                Next::Write(vec![screen::filtered(source, &self.entry, reason)])
            }
            Action::FetchPage(url) => Next::FetchPage(PageWork {
                link: self.link.unwrap_or_else(|| url.clone()),
                url,
                source,
                entry: self.entry,
                attempts: self.attempts,
                address: self.address,
                feed_text: self.feed_text,
                text_rules: self.text_rules,
                markdown: self.markdown,
            }),
        }
    }
}

/// An entry whose page is to be fetched.
#[derive(Debug)]
pub struct PageWork {
    /// What to request.
    pub url: Url,
    /// The entry's link, which the page's canonical is resolved against.
    link: Url,
    source: EntrySource,
    entry: FeedEntry,
    attempts: u32,
    address: Address,
    feed_text: String,
    text_rules: Option<FilterRules>,
    markdown: bool,
}

impl PageWork {
    /// The feed's content standing in for the page.
    fn stand_in(&self, address: Address, extraction: Extraction) -> ArticleRecord {
        let text = self.feed_text.clone();
        from_feed(&self.entry, address, text, extraction, self.markdown)
    }

    /// Pages are shared between polls under this key.
    pub fn key(&self) -> &str {
        &self.address.key
    }

    /// Another poll (another node's) stored the page meanwhile, as
    /// `article_id`: this entry is one more sighting of it.
    pub fn stored_as(self, article_id: i64) -> Vec<EntryWrite> {
        vec![EntryWrite::Sighting {
            source: self.source,
            article_id,
        }]
    }

    /// Attempts at this page once this one is counted.
    pub fn attempt(&self) -> u32 {
        self.attempts + 1
    }

    /// What the entry writes with its page's result, at `now`, screened
    /// by the feed's text rules when they were waiting for the text.
    pub fn writes(mut self, page: PageResult, now: DateTime<Utc>) -> Vec<EntryWrite> {
        match self.text_rules.take() {
            None => self.unscreened(page, now),
            Some(rules) => {
                let entry = self.entry.clone();
                screen::after_text(&rules, &entry, self.unscreened(page, now))
            }
        }
    }

    fn unscreened(self, page: PageResult, now: DateTime<Utc>) -> Vec<EntryWrite> {
        let PageOk {
            final_url,
            fetched_at,
            extracted,
        } = match page {
            Ok(ok) => ok,
            Err(PageError::Fetch(e)) => return self.page_failed(&e, now),
            Err(PageError::Extract(error)) => {
                let extraction = Extraction::ExtractFailed { error };
                let stored = self.stand_in(self.address.clone(), extraction);
                return vec![article(self.source, stored)];
            }
        };
        let address = Address::of_page(&self.link, &final_url, extracted.canonical_url.as_deref());
        let extraction = extraction_of(extracted.status);
        if !extraction.is_extracted() || extracted.text.trim().is_empty() {
            let mut stored = self.stand_in(address, extraction);
            stored.fetched_at = Some(fetched_at);
            return vec![article(self.source, stored)];
        }
        let entry = self.entry;
        let details = details_of(&entry);
        let stored = ArticleRecord {
            url: address.url,
            canonical_url: address.canonical_url,
            url_key: address.key,
            syndicated_from: address.syndicated_from,
            own_address: address.own_address,
            title: entry.title.or(extracted.title),
            byline: extracted.byline.or(entry.author),
            // The feed's dates are precise and say when the publisher put
            // it out; the page's may be a bare day taken from its URL.
            published_at: entry.published.or(entry.updated).or(extracted.published),
            fetched_at: Some(fetched_at),
            lang: extracted.lang,
            text: extracted.text,
            extraction,
            modified_at: extracted.modified,
            site_name: extracted.site_name,
            description: extracted.description,
            image_url: extracted.image_url,
            markdown: extracted.markdown,
            details,
        };
        vec![article(self.source, stored)]
    }

    /// The page could not be fetched: see the module's rules.
    fn page_failed(self, error: &FetchError, now: DateTime<Utc>) -> Vec<EntryWrite> {
        let attempts = self.attempt();
        let pending = |waits: &[Duration]| EntryWrite::Pending {
            source: self.source.clone(),
            entry_json: serde_json::to_string(&self.entry).unwrap_or_default(),
            attempts,
            next_attempt_at: waits
                .get(attempts as usize - 1)
                .map(|w| now + schedule::to_chrono(*w)),
            error: error.to_string(),
        };
        let extraction = Extraction::FetchFailed {
            error: error.to_string(),
        };
        match error.status() {
            Some(404 | 410) => {
                let mut writes = vec![pending(&MISSING_PAGE_RETRY_WAITS)];
                let given_up = attempts as usize > MISSING_PAGE_RETRY_WAITS.len();
                if given_up && !self.feed_text.trim().is_empty() {
                    // Keep what the feed said.
                    let stored = self.stand_in(self.address.clone(), extraction);
                    writes.insert(0, article(self.source, stored));
                }
                writes
            }
            _ if error.is_transient() => {
                let retry = pending(&TRANSIENT_RETRY_WAITS);
                let stored = self.stand_in(self.address.clone(), extraction);
                // The article first: storing it clears any pending row,
                // then the retry is recorded.
                vec![article(self.source, stored), retry]
            }
            _ => {
                let stored = self.stand_in(self.address.clone(), extraction);
                vec![article(self.source, stored)]
            }
        }
    }
}

fn article(source: EntrySource, article: ArticleRecord) -> EntryWrite {
    EntryWrite::Article { source, article }
}

fn source_of(entry: &FeedEntry) -> EntrySource {
    EntrySource {
        entry_id: entry.key.clone(),
        entry_url: entry.link.clone(),
        entry_updated_at: entry.updated,
    }
}

/// The article's status from the extractor's.
fn extraction_of(status: ExtractStatus) -> Extraction {
    match status {
        ExtractStatus::Ok => Extraction::Extracted,
        ExtractStatus::NoContent => Extraction::NoContent,
        ExtractStatus::NotHtml => Extraction::NotHtml,
        ExtractStatus::TooLarge => Extraction::TooLarge,
        ExtractStatus::TooDeep => Extraction::TooDeep,
    }
}

/// The feed's own content as the article.
fn from_feed(
    entry: &FeedEntry,
    address: Address,
    text: String,
    extraction: Extraction,
    markdown: bool,
) -> ArticleRecord {
    let markdown = markdown
        .then(|| {
            let html = entry.content_html.as_deref()?;
            let base = [entry.base.as_deref(), entry.link.as_deref()]
                .into_iter()
                .flatten()
                .find_map(|u| Url::parse(u).ok());
            Some(extract::fragment_to_markdown(html, base.as_ref()))
        })
        .flatten()
        .filter(|md| !md.is_empty());
    ArticleRecord {
        url: address.url,
        canonical_url: address.canonical_url,
        url_key: address.key,
        syndicated_from: address.syndicated_from,
        own_address: address.own_address,
        title: entry.title.clone(),
        byline: entry.author.clone(),
        published_at: entry.published.or(entry.updated),
        fetched_at: None,
        lang: None,
        text,
        extraction,
        modified_at: None,
        site_name: None,
        description: None,
        image_url: None,
        markdown,
        details: details_of(entry),
    }
}

/// What the entry says besides its text, as stored with the article.
fn details_of(entry: &FeedEntry) -> EntryDetails {
    let summary = entry
        .summary
        .as_ref()
        .map(|s| {
            if s.is_markup() {
                extract::fragment_to_text(&s.value)
            } else {
                s.value.trim().to_string()
            }
        })
        .filter(|s| !s.is_empty());
    let mut tags: Vec<String> = Vec::with_capacity(entry.tags.len());
    for tag in &entry.tags {
        let term = tag.term.trim();
        if !term.is_empty() && !tags.iter().any(|t| t == term) {
            tags.push(term.to_string());
        }
    }
    EntryDetails {
        summary,
        tags,
        enclosures: entry.enclosures.clone(),
        authors: entry.authors.clone(),
        contributors: entry.contributors.clone(),
        comments_url: entry.comments.clone(),
        language: entry.language.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Extracted;

    const FEED: &str = "https://news.example/feed.xml";

    fn feed_url() -> Url {
        Url::parse(FEED).expect("a URL")
    }

    /// An entry as the feed parser gives it; fields not named are empty.
    fn entry(key: &str, link: Option<&str>, words: usize) -> FeedEntry {
        let content = vec!["word"; words].join(" ");
        serde_json::from_value(serde_json::json!({
            "key": key,
            "link": link,
            "title": format!("Story {key}"),
            "content_html": format!("<p>{content}</p>"),
        }))
        .expect("a feed entry")
    }

    fn job(entry: FeedEntry, attempts: u32) -> Job {
        Job { entry, attempts }
    }

    #[test]
    fn a_capped_poll_takes_the_newest_entries_and_leaves_the_rest() {
        let dated = |key: &str, day: Option<u32>| {
            let mut e = entry(key, None, 10);
            e.published = day.and_then(|d| {
                chrono::NaiveDate::from_ymd_opt(2026, 11, d)
                    .and_then(|d| d.and_hms_opt(8, 0, 0))
                    .map(|t| t.and_utc())
            });
            job(e, 0)
        };
        let jobs = vec![
            dated("old", Some(1)),
            dated("undated", None),
            dated("newest", Some(20)),
            dated("mid-a", Some(10)),
            dated("mid-b", Some(10)),
        ];
        let (taken, left) = newest_first(jobs.clone(), 3);
        let keys: Vec<&str> = taken.iter().map(|j| j.entry.key.as_str()).collect();
        assert_eq!(keys, ["newest", "mid-a", "mid-b"]);
        assert_eq!(left, 2);
        let (all, none) = newest_first(jobs, 5);
        assert_eq!((all.len(), none), (5, 0));
        assert_eq!(
            all[1].entry.key, "undated",
            "under the cap, order is untouched"
        );
    }

    fn page_work(attempts: u32, feed_words: usize) -> PageWork {
        let link = "https://news.example/a.html?utm_source=rss";
        let work = Work::plan(
            job(entry("a", Some(link), feed_words), attempts),
            &feed_url(),
            FullText::Always,
        );
        match work.next() {
            Next::FetchPage(page) => page,
            Next::Write(w) => panic!("{w:?}"),
        }
    }

    fn failed(status: u16) -> PageResult {
        Err(PageError::Fetch(FetchError::Status {
            status,
            retry_after: None,
        }))
    }

    fn extraction(write: &EntryWrite) -> &Extraction {
        match write {
            EntryWrite::Article { article, .. } => &article.extraction,
            other => panic!("{other:?}"),
        }
    }

    fn retry_wait(write: &EntryWrite, now: DateTime<Utc>) -> Option<i64> {
        match write {
            EntryWrite::Pending {
                next_attempt_at, ..
            } => next_attempt_at.map(|t| (t - now).num_seconds()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn new_entries_and_entries_updated_upstream_are_worked_on() {
        let t = |h: u32| {
            DateTime::parse_from_rfc3339(&format!("2026-03-02T{h:02}:00:00Z"))
                .map(|t| t.with_timezone(&Utc))
                .ok()
        };
        let mut updated = entry("b", None, 1);
        updated.updated = t(10);
        let mut unchanged = entry("c", None, 1);
        unchanged.updated = t(8);
        let entries = [entry("a", None, 1), updated, unchanged, entry("d", None, 1)];
        let stored = |at| EntryStatus::Stored {
            article_id: 1,
            entry_updated_at: at,
        };
        let statuses = [
            EntryStatus::New,
            stored(t(9)),
            stored(t(9)),
            EntryStatus::Pending,
        ];
        let keys: Vec<String> = to_work_on(&entries, &statuses)
            .into_iter()
            .map(|j| j.entry.key)
            .collect();
        assert_eq!(keys, ["a", "b"]);
    }

    #[test]
    fn what_each_entry_needs() {
        let plan = |e, full_text| Work::plan(job(e, 0), &feed_url(), full_text);
        // No link: the feed's content, under the feed's URL and the key.
        let Next::Write(w) = plan(entry("k1", None, 5), FullText::Auto).next() else {
            panic!("a link-less entry fetches nothing")
        };
        let EntryWrite::Article { article, .. } = &w[0] else {
            panic!("{w:?}")
        };
        assert_eq!(article.url, format!("{FEED}#k1"));
        assert_eq!(article.extraction, Extraction::FromFeed);
        // `auto`: a teaser fetches the page, without its tracking junk; a
        // whole article in the feed does not.
        let link = Some("https://news.example/a.html?utm_source=rss&id=3");
        match plan(entry("k2", link, 20), FullText::Auto).next() {
            Next::FetchPage(p) => assert_eq!(p.url.as_str(), "https://news.example/a.html?id=3"),
            Next::Write(w) => panic!("{w:?}"),
        }
        let long = plan(entry("k3", link, FEED_CONTENT_MIN_WORDS), FullText::Auto);
        assert!(matches!(long.next(), Next::Write(_)));
        assert!(matches!(
            plan(entry("k4", link, 500), FullText::Always).next(),
            Next::FetchPage(_)
        ));
        assert!(matches!(
            plan(entry("k5", link, 5), FullText::Never).next(),
            Next::Write(_)
        ));
    }

    #[test]
    fn a_page_already_stored_is_a_sighting_on_a_first_attempt_only() {
        let link = Some("https://www.news.example/a.html?utm_medium=x");
        let mut first = Work::plan(job(entry("k", link, 5), 0), &feed_url(), FullText::Auto);
        assert_eq!(first.stored_page_key(), Some("news.example/a.html"));
        first.page_is_stored(42);
        let Next::Write(w) = first.next() else {
            panic!("a stored page is not fetched again")
        };
        assert!(matches!(
            w[..],
            [EntryWrite::Sighting { article_id: 42, .. }]
        ));
        let retry = Work::plan(job(entry("k", link, 5), 2), &feed_url(), FullText::Auto);
        assert_eq!(retry.stored_page_key(), None);
        let linkless = Work::plan(job(entry("k", None, 5), 0), &feed_url(), FullText::Auto);
        assert_eq!(linkless.stored_page_key(), None);
    }

    #[test]
    fn a_missing_page_waits_and_is_retried_before_the_feeds_content_is_kept() {
        let now = Utc::now();
        // First 404: only a retry in an hour; no article yet.
        let w = page_work(0, 20).writes(failed(404), now);
        assert_eq!(w.len(), 1);
        assert_eq!(retry_wait(&w[0], now), Some(3600));
        // Third: a day.
        let w = page_work(2, 20).writes(failed(410), now);
        assert_eq!(retry_wait(&w[0], now), Some(24 * 3600));
        // Fourth: given up; the feed's content is kept, the entry stays
        // pending without a next attempt.
        let w = page_work(3, 20).writes(failed(404), now);
        assert_eq!(w.len(), 2);
        assert_eq!(
            extraction(&w[0]),
            &Extraction::FetchFailed {
                error: "HTTP 404".into()
            }
        );
        assert_eq!(retry_wait(&w[1], now), None);
        // Nothing in the feed to keep: no empty article.
        let w = page_work(3, 0).writes(failed(404), now);
        assert_eq!(w.len(), 1);
    }

    #[test]
    fn a_transient_failure_stores_the_feeds_content_now_and_retries_later() {
        let now = Utc::now();
        let w = page_work(0, 20).writes(failed(503), now);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(matches!(extraction(&w[0]), Extraction::FetchFailed { .. }));
        assert_eq!(retry_wait(&w[1], now), Some(15 * 60));
        let EntryWrite::Pending {
            attempts,
            entry_json,
            ..
        } = &w[1]
        else {
            panic!("{w:?}")
        };
        assert_eq!(*attempts, 1);
        let kept: FeedEntry = serde_json::from_str(entry_json).expect("the entry, as JSON");
        assert_eq!(kept.key, "a");
        // Past the last wait: no further attempt.
        let w = page_work(4, 20).writes(failed(500), now);
        assert_eq!(retry_wait(&w[1], now), None);
    }

    #[test]
    fn other_page_failures_keep_the_feeds_content_for_good() {
        let blocked = Err(PageError::Fetch(FetchError::Robots("robots.txt".into())));
        let w = page_work(0, 20).writes(blocked, Utc::now());
        assert_eq!(w.len(), 1);
        assert_eq!(
            extraction(&w[0]),
            &Extraction::FetchFailed {
                error: "disallowed by robots.txt".into()
            }
        );
        let crashed = Err(PageError::Extract("panicked".into()));
        let w = page_work(0, 20).writes(crashed, Utc::now());
        assert_eq!(
            extraction(&w[0]),
            &Extraction::ExtractFailed {
                error: "panicked".into()
            }
        );
    }

    #[test]
    fn a_page_without_an_article_keeps_the_feeds_content_and_says_why() {
        let now = Utc::now();
        let page = |status, text: &str| {
            Ok(PageOk {
                final_url: Url::parse("https://news.example/a.html").expect("a URL"),
                fetched_at: now,
                extracted: Extracted {
                    status,
                    text: text.into(),
                    title: Some("From the page".into()),
                    ..Extracted::default()
                },
            })
        };
        let w = page_work(0, 20).writes(page(ExtractStatus::NoContent, ""), now);
        let EntryWrite::Article { article, .. } = &w[0] else {
            panic!("{w:?}")
        };
        assert_eq!(article.extraction, Extraction::NoContent);
        assert_eq!(article.fetched_at, Some(now));
        assert!(article.text.starts_with("word word"));
        let w = page_work(0, 20).writes(page(ExtractStatus::Ok, "The article."), now);
        let EntryWrite::Article { article, .. } = &w[0] else {
            panic!("{w:?}")
        };
        assert_eq!(article.extraction, Extraction::Extracted);
        assert_eq!(article.text, "The article.");
        assert_eq!(
            article.title.as_deref(),
            Some("Story a"),
            "the feed's title first"
        );
        assert_eq!(article.url_key, "news.example/a.html");
    }
}
