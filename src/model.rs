//! The data that crosses stages: what a poll reads, decides and hands the
//! store, in one neutral place that every stage may import and that
//! imports no stage.
//!
//! A newcomer asking "what does a poll produce?" reads [`FeedPoll`]: the
//! feed's [`PollOutcome`] and one [`EntryWrite`] per entry, committed
//! together. States are enums with one mapping to the text the database
//! stores (`as_sql` / `from_sql`), because other programs read those
//! columns: the strings are a contract, the enums are how the code speaks.

use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

// ---- a feed's state

/// HTTP cache validators of a response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A feed's state (`feeds.state`): how its last poll went, and whether it
/// is polled at all. [`FeedStatus::as_sql`] and [`FeedStatus::from_sql`]
/// are the one mapping to the stored text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FeedStatus {
    /// The last poll succeeded (`ok`).
    #[default]
    Ok,
    /// The last poll fetched a document with items, none of them readable
    /// (`empty`): a soft failure.
    Empty,
    /// The last poll failed; the feed backs off (`failing`).
    Failing,
    /// The feed answered 410 Gone: not polled on schedule until a manual
    /// poll succeeds (`muted`).
    Muted,
    /// No longer in feeds.toml; its articles stay (`removed`).
    Removed,
}

impl FeedStatus {
    pub fn as_sql(self) -> &'static str {
        match self {
            FeedStatus::Ok => "ok",
            FeedStatus::Empty => "empty",
            FeedStatus::Failing => "failing",
            FeedStatus::Muted => "muted",
            FeedStatus::Removed => "removed",
        }
    }

    /// `None` for text this build never writes.
    pub fn from_sql(text: &str) -> Option<FeedStatus> {
        Some(match text {
            "ok" => FeedStatus::Ok,
            "empty" => FeedStatus::Empty,
            "failing" => FeedStatus::Failing,
            "muted" => FeedStatus::Muted,
            "removed" => FeedStatus::Removed,
            _ => return None,
        })
    }
}

/// In JSON (`status --json`) as in the database.
impl serde::Serialize for FeedStatus {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_sql())
    }
}

/// A feed's state from its last poll, as the next poll starts from it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedState {
    /// Where the feed lives after a permanent redirect.
    pub fetch_url: Option<url::Url>,
    pub validators: Validators,
    pub next_poll_at: Option<DateTime<Utc>>,
    pub error_count: u32,
    /// The interval the feed's publishing rate set at an earlier poll;
    /// `None` while it runs on a configured interval.
    pub interval: Option<Duration>,
    /// The shortest interval the feed's last full response asked for
    /// (`<ttl>`, `sy:updatePeriod`).
    pub min_interval: Option<Duration>,
    pub status: FeedStatus,
}

/// A feed as listed in feeds.toml, to be mirrored into the `feeds` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedListing {
    pub url: String,
    pub name: Option<String>,
}

/// A site's robots.txt answer as kept between runs.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRobots {
    pub status: u16,
    pub body: Bytes,
    pub validators: Validators,
    pub fetched_at: DateTime<Utc>,
}

// ---- what the database knows about a feed's entries

/// What the database knows about one entry of one feed.
#[derive(Debug, Clone, PartialEq)]
pub enum EntryStatus {
    New,
    Stored {
        article_id: i64,
        entry_updated_at: Option<DateTime<Utc>>,
    },
    /// Its page failed and waits for another attempt.
    Pending,
    /// The feed's filter dropped it: decided once, never worked on again.
    Filtered,
}

/// A pending entry whose retry is due.
#[derive(Debug, Clone, PartialEq)]
pub struct DuePending {
    pub entry_id: String,
    pub entry_json: String,
    pub attempts: u32,
}

// ---- what a poll writes

/// Where an entry was seen: the `(feed, entry)` key of dedup layer 1.
#[derive(Debug, Clone, PartialEq)]
pub struct EntrySource {
    pub entry_id: String,
    pub entry_url: Option<String>,
    pub entry_updated_at: Option<DateTime<Utc>>,
}

/// An article as the poll built it: from the page, or from the feed's own
/// content when the page was not fetched or failed.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleRecord {
    pub url: String,
    pub canonical_url: String,
    /// [`crate::dedup::canonical::url_key`] of `canonical_url`: what pages
    /// are compared by (http = https, no `www.`).
    pub url_key: String,
    /// The page declares another site's page as its canonical: that page's
    /// url key (a syndication signal).
    pub syndicated_from: Option<String>,
    /// When `canonical_url` is the page's own declaration rather than its
    /// address: the address and its key, used instead if the declared
    /// canonical turns out to hold a different story.
    pub own_address: Option<(String, String)>,
    pub title: Option<String>,
    pub byline: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub fetched_at: Option<DateTime<Utc>>,
    pub lang: Option<String>,
    pub text: String,
    /// Where `text` came from; `articles.extract_status`.
    pub extraction: Extraction,
    /// Page metadata, when the page was fetched (see `extract::Extracted`).
    pub modified_at: Option<DateTime<Utc>>,
    pub site_name: Option<String>,
    pub description: Option<String>,
    pub image_url: Option<String>,
    /// `text` as Markdown, when the setting asks for it.
    pub markdown: Option<String>,
    pub details: EntryDetails,
}

/// What the feed's entry says about an article besides its text, stored
/// in the `articles` columns of migration 0009 (README, "Schema").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EntryDetails {
    /// The entry's summary as plain text.
    pub summary: Option<String>,
    /// Category terms, in document order, each once.
    pub tags: Vec<String>,
    pub enclosures: Vec<Enclosure>,
    pub authors: Vec<Person>,
    pub contributors: Vec<Person>,
    /// The page with the entry's comments.
    pub comments_url: Option<String>,
    /// The language the feed declares for the entry (`xml:lang`,
    /// `dc:language`, else the feed's).
    pub language: Option<String>,
}

/// An author or contributor.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Person {
    pub name: Option<String>,
    pub email: Option<String>,
    /// Home page, absolute.
    pub uri: Option<String>,
}

impl Person {
    /// The name, else the email: what a byline shows.
    pub fn display(&self) -> Option<&str> {
        self.name.as_deref().or(self.email.as_deref())
    }
}

/// A media file attached to an entry (podcast episode, video).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enclosure {
    /// Absolute when a base URL was known.
    pub url: String,
    #[serde(rename = "type")]
    pub media_type: Option<String>,
    /// Size in bytes, when given and a number.
    pub length: Option<u64>,
}

/// Where an article's text came from: extracted from its page, or the
/// feed's own content and why. Stored as `articles.extract_status`, whose
/// strings readers rely on: [`Extraction::as_sql`] and
/// [`Extraction::from_sql`] are the one mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Extraction {
    /// The article text was extracted from the page (`ok`).
    Extracted,
    /// The feed's content is the article: no page was wanted, or the
    /// entry has no link (`from_feed`).
    FromFeed,
    /// The page was fetched but holds no block that reads as an article
    /// (`no_content`); the feed's content is kept.
    NoContent,
    /// The page is empty, binary or not HTML (`not_html`).
    NotHtml,
    /// The page is too large to parse (`too_large`).
    TooLarge,
    /// The page nests too deep to parse (`too_deep`).
    TooDeep,
    /// The page could not be fetched (`fetch_failed: <error>`).
    FetchFailed { error: String },
    /// Extraction crashed on the page (`extract_failed: <error>`).
    ExtractFailed { error: String },
}

impl Extraction {
    /// The text was extracted from the article's page.
    pub fn is_extracted(&self) -> bool {
        matches!(self, Extraction::Extracted)
    }

    pub fn as_sql(&self) -> std::borrow::Cow<'static, str> {
        match self {
            Extraction::Extracted => "ok".into(),
            Extraction::FromFeed => "from_feed".into(),
            Extraction::NoContent => "no_content".into(),
            Extraction::NotHtml => "not_html".into(),
            Extraction::TooLarge => "too_large".into(),
            Extraction::TooDeep => "too_deep".into(),
            Extraction::FetchFailed { error } => format!("{FETCH_FAILED}{error}").into(),
            Extraction::ExtractFailed { error } => format!("{EXTRACT_FAILED}{error}").into(),
        }
    }

    /// `None` for text this build never writes.
    pub fn from_sql(text: &str) -> Option<Extraction> {
        if let Some(error) = text.strip_prefix(FETCH_FAILED) {
            return Some(Extraction::FetchFailed {
                error: error.to_string(),
            });
        }
        if let Some(error) = text.strip_prefix(EXTRACT_FAILED) {
            return Some(Extraction::ExtractFailed {
                error: error.to_string(),
            });
        }
        Some(match text {
            "ok" => Extraction::Extracted,
            "from_feed" => Extraction::FromFeed,
            "no_content" => Extraction::NoContent,
            "not_html" => Extraction::NotHtml,
            "too_large" => Extraction::TooLarge,
            "too_deep" => Extraction::TooDeep,
            _ => return None,
        })
    }
}

const FETCH_FAILED: &str = "fetch_failed: ";
const EXTRACT_FAILED: &str = "extract_failed: ";

/// What one entry of a polled feed adds to the database. Most entries are
/// articles, so the size difference with the other variants costs nothing.
#[derive(Debug, Clone, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum EntryWrite {
    /// A page: a new article, another sighting of a stored one (same
    /// canonical URL), or a refresh of this entry's article.
    Article {
        source: EntrySource,
        article: ArticleRecord,
    },
    /// The entry's page is already stored as `article_id`: only a sighting.
    Sighting {
        source: EntrySource,
        article_id: i64,
    },
    /// The page could not be fetched yet; retried on a schedule.
    Pending {
        source: EntrySource,
        entry_json: String,
        attempts: u32,
        next_attempt_at: Option<DateTime<Utc>>,
        error: String,
    },
    /// The feed's filter dropped the entry: recorded, not stored as an
    /// article.
    Filtered {
        source: EntrySource,
        title: Option<String>,
        /// Which rule, or that no include rule matched.
        reason: String,
    },
}

/// How the feed request itself went.
#[derive(Debug, Clone, PartialEq)]
pub enum PollOutcome {
    /// 304: nothing changed.
    NotModified,
    /// A document was fetched and parsed. `validators` is `None` when they
    /// must not be kept (the document needed repairs, e.g. it was truncated),
    /// so the next poll fetches it whole.
    Fetched {
        validators: Option<Validators>,
        title: Option<String>,
        site_url: Option<String>,
        /// The shortest interval the document asks for (`<ttl>`, ...).
        min_interval: Option<Duration>,
        warning: Option<String>,
        /// The document has items but none could be read: a soft failure.
        unreadable_items: bool,
    },
    /// The poll failed; validators stay as they were.
    Failed { error: String },
    /// 410 Gone: the feed is muted (not polled on schedule) until a
    /// manual poll succeeds.
    Gone { error: String },
}

impl PollOutcome {
    /// Why the poll failed, if it did.
    pub fn error(&self) -> Option<&str> {
        match self {
            PollOutcome::Failed { error } | PollOutcome::Gone { error } => Some(error),
            PollOutcome::NotModified | PollOutcome::Fetched { .. } => None,
        }
    }
}

/// Everything one poll of one feed writes, committed at once.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedPoll {
    pub feed_id: i64,
    pub polled_at: DateTime<Utc>,
    pub next_poll_at: DateTime<Utc>,
    /// The interval the next poll was scheduled with (configured or adapted).
    pub interval: Duration,
    /// `interval` was adapted to the feed's publishing rate.
    pub interval_adapted: bool,
    pub outcome: PollOutcome,
    /// The feed answered with a permanent redirect: poll this URL from now
    /// on (feeds.toml is left as the user wrote it).
    pub moved_to: Option<url::Url>,
    pub entries: Vec<EntryWrite>,
}

/// A part of a long poll's entries, committed before the poll ends so a
/// restart keeps it (the feed's state and validators wait for the poll).
#[derive(Debug, Clone, PartialEq)]
pub struct EntryBatch {
    pub feed_id: i64,
    pub polled_at: DateTime<Utc>,
    pub entries: Vec<EntryWrite>,
}

/// What applying a [`FeedPoll`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Applied {
    pub new_articles: usize,
    /// Of the new articles, how many were marked `duplicate_of` a story.
    pub duplicates: usize,
    /// Sightings of an already stored article (another feed, tracking URL).
    pub new_sources: usize,
    pub updated: usize,
    pub pending: usize,
    /// The feed's next poll as stored (see `store::apply`); `None` for a
    /// part of a poll committed ahead of it.
    pub next_poll_at: Option<DateTime<Utc>>,
    /// Entries the feed's filter dropped.
    pub filtered: usize,
}

impl std::ops::AddAssign for Applied {
    fn add_assign(&mut self, o: Applied) {
        self.new_articles += o.new_articles;
        self.duplicates += o.duplicates;
        self.new_sources += o.new_sources;
        self.updated += o.updated;
        self.pending += o.pending;
        self.next_poll_at = o.next_poll_at.or(self.next_poll_at);
        self.filtered += o.filtered;
    }
}

// ---- several nodes on one database

/// Whether this node may poll a feed now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lease {
    /// Poll it; the lease is freed in the poll's commit.
    Granted,
    /// Another node polls it (or a feed of its host) now, or polled it
    /// already: look again at `retry_at`.
    Held { retry_at: DateTime<Utc> },
}

/// Whether this node should fetch a page another node may be fetching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageClaim {
    /// Nobody else is: fetch it.
    Fetch,
    /// Another node is: look again shortly.
    Wait,
    /// Another node stored it as this article: a sighting of it.
    Stored(i64),
}

// ---- how a poll ended

/// How a poll of one feed ended: what the scheduler, the metrics and the
/// summaries need to know, besides its error text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollResult {
    /// A document was fetched and stored.
    Ok,
    /// 304: nothing changed.
    NotModified,
    /// The feed failed, or its poll could not be stored.
    Failed,
    /// 410 Gone: the feed is muted.
    Gone,
    /// Stopped by shutdown before the feed answered; nothing stored.
    Abandoned,
    /// Not polled here: another node sharing the database holds the feed
    /// (or its host) now, or polled it already (see [`Lease`]).
    Elsewhere,
}

impl PollResult {
    pub const ALL: [PollResult; 6] = [
        PollResult::Ok,
        PollResult::NotModified,
        PollResult::Failed,
        PollResult::Gone,
        PollResult::Abandoned,
        PollResult::Elsewhere,
    ];

    /// The result of a poll that was stored as planned.
    pub fn of(outcome: &PollOutcome) -> PollResult {
        match outcome {
            PollOutcome::NotModified => PollResult::NotModified,
            PollOutcome::Fetched { .. } => PollResult::Ok,
            PollOutcome::Failed { .. } => PollResult::Failed,
            PollOutcome::Gone { .. } => PollResult::Gone,
        }
    }

    /// The poll was planned but could not be committed: a success becomes
    /// a failure; a feed that answered 410 is still gone.
    pub fn unstored(self) -> PollResult {
        match self {
            PollResult::Ok | PollResult::NotModified => PollResult::Failed,
            other => other,
        }
    }

    /// Nothing went wrong: the feed answered and its poll was stored, or
    /// another node has it.
    pub fn is_ok(self) -> bool {
        matches!(
            self,
            PollResult::Ok | PollResult::NotModified | PollResult::Elsewhere
        )
    }

    /// The label of the `feedsift_polls_total` metric.
    pub fn as_str(self) -> &'static str {
        match self {
            PollResult::Ok => "ok",
            PollResult::NotModified => "not_modified",
            PollResult::Failed => "failed",
            PollResult::Gone => "gone",
            PollResult::Abandoned => "abandoned",
            PollResult::Elsewhere => "elsewhere",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_map_to_the_stored_strings_and_back() {
        for status in [
            FeedStatus::Ok,
            FeedStatus::Empty,
            FeedStatus::Failing,
            FeedStatus::Muted,
            FeedStatus::Removed,
        ] {
            assert_eq!(FeedStatus::from_sql(status.as_sql()), Some(status));
        }
        assert_eq!(FeedStatus::Muted.as_sql(), "muted");
        assert_eq!(FeedStatus::from_sql("paused"), None);
    }

    #[test]
    fn extraction_keeps_its_error_apart_and_the_column_text_as_before() {
        let failed = Extraction::FetchFailed {
            error: "HTTP 503".into(),
        };
        assert_eq!(failed.as_sql(), "fetch_failed: HTTP 503");
        assert_eq!(Extraction::from_sql("fetch_failed: HTTP 503"), Some(failed));
        let crashed = Extraction::ExtractFailed {
            error: "panicked".into(),
        };
        assert_eq!(crashed.as_sql(), "extract_failed: panicked");
        assert_eq!(Extraction::from_sql(&crashed.as_sql()), Some(crashed));
        for (status, text) in [
            (Extraction::Extracted, "ok"),
            (Extraction::FromFeed, "from_feed"),
            (Extraction::NoContent, "no_content"),
            (Extraction::NotHtml, "not_html"),
            (Extraction::TooLarge, "too_large"),
            (Extraction::TooDeep, "too_deep"),
        ] {
            assert_eq!(status.as_sql(), text);
            assert_eq!(Extraction::from_sql(text), Some(status));
        }
        assert_eq!(Extraction::from_sql("okay"), None);
    }
}
