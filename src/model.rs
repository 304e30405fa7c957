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

// ---- a feed's state

/// HTTP cache validators of a response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
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
    /// `ok`, `failing`, `muted`, `empty` or `removed`.
    pub state: String,
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
    pub extract_status: String,
    /// Page metadata, when the page was fetched (see `extract::Extracted`).
    pub modified_at: Option<DateTime<Utc>>,
    pub site_name: Option<String>,
    pub description: Option<String>,
    pub image_url: Option<String>,
}

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
}

impl std::ops::AddAssign for Applied {
    fn add_assign(&mut self, o: Applied) {
        self.new_articles += o.new_articles;
        self.duplicates += o.duplicates;
        self.new_sources += o.new_sources;
        self.updated += o.updated;
        self.pending += o.pending;
    }
}
