//! What the feed stage hands on: one [`ParsedFeed`] per document, one
//! [`FeedEntry`] per item, the same fields whatever the format.
//!
//! Plain serialisable data. [`FeedEntry`] is also stored as JSON (entries
//! whose page must be retried), so every field added after the first
//! release has `#[serde(default)]`: rows written by an older feedsift still
//! read.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// People and media files are also stored with the article, so they live
/// in the neutral model.
pub use crate::model::{Enclosure, Person};

/// Which syntax the document turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FeedFormat {
    Rss,
    Atom,
    Json,
    Rdf,
    Unknown,
}

/// Where an entry's [`FeedEntry::key`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeySource {
    /// The document's own id: RSS `<guid>`, Atom `<id>`, JSON Feed `id`.
    #[default]
    Id,
    /// No id: the entry's link.
    Link,
    /// Neither: a hash of what the entry says (see [`FeedEntry::key`]).
    Hash,
}

/// A piece of text as the feed gives it: a title, subtitle, summary, rights
/// statement or content body, with what it is written in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextBlock {
    /// `text/plain`, `text/html` or `application/xhtml+xml` (markup, to be
    /// read as HTML), or another media type for content that is neither.
    #[serde(rename = "type")]
    pub media_type: String,
    pub value: String,
    /// `xml:lang` in effect on the element, normalised (`en_US` ->
    /// `en-US`); None when none applies or it was set to "".
    #[serde(default)]
    pub language: Option<String>,
    /// The base URL relative links in `value` resolve against.
    #[serde(default)]
    pub base: Option<String>,
    /// Out-of-line content (Atom `src`), absolute; `value` is then empty.
    #[serde(default)]
    pub src: Option<String>,
}

impl TextBlock {
    /// True when `value` is markup.
    pub fn is_markup(&self) -> bool {
        let t = self.media_type.as_str();
        t == "text/html" || t == "application/xhtml+xml"
    }
}

/// A link with what the document says about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// Absolute when a base URL was known.
    pub href: String,
    /// Atom's `rel`, `alternate` when absent (an RSS `<link>` is one).
    pub rel: String,
    #[serde(rename = "type")]
    pub media_type: Option<String>,
    pub title: Option<String>,
    /// Size in bytes, when given and a number.
    pub length: Option<u64>,
    pub hreflang: Option<String>,
}

/// A category, keyword or subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub term: String,
    /// Taxonomy URI (RSS `domain`, Atom `scheme`).
    pub scheme: Option<String>,
    /// Human-readable form (Atom `label`).
    pub label: Option<String>,
}

/// The feed's image (RSS `<image>`, `itunes:image`, Atom `logo`/`icon`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    pub url: String,
    pub title: Option<String>,
    /// Where the image links to.
    pub link: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// One entry, normalized across formats. Serializable both ways: the
/// poller keeps entries whose page must be retried as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedEntry {
    /// Stable identity within the feed: the document's id when it gives
    /// one, else the link, else `hash:` and 16 hex digits of a 64-bit
    /// FNV-1a hash of the title, the summary or content, and the dates.
    /// Dedup layer 1 keys on it.
    pub key: String,
    /// The entry's link to the article page, absolute.
    pub link: Option<String>,
    /// Plain text.
    pub title: Option<String>,
    /// The first author's name, else email: the byline.
    pub author: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    /// The richest HTML the feed carries for the entry (full content, else
    /// summary); plain text is escaped into HTML.
    pub content_html: Option<String>,
    /// The title as the document gives it: markup, language, base.
    #[serde(default)]
    pub title_detail: Option<TextBlock>,
    /// The id as the document gives it (relative ids resolved); None when
    /// it has none and the key was synthesised.
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub key_source: KeySource,
    /// Every link of the entry, in document order.
    #[serde(default)]
    pub links: Vec<Link>,
    #[serde(default)]
    pub authors: Vec<Person>,
    #[serde(default)]
    pub contributors: Vec<Person>,
    #[serde(default)]
    pub summary: Option<TextBlock>,
    #[serde(default)]
    pub content: Option<TextBlock>,
    #[serde(default)]
    pub rights: Option<TextBlock>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub enclosures: Vec<Enclosure>,
    /// The page with the entry's comments.
    #[serde(default)]
    pub comments: Option<String>,
    /// The entry's language: its `xml:lang`, else its `dc:language`, else
    /// the feed's.
    #[serde(default)]
    pub language: Option<String>,
    /// The base URL the entry's relative links resolved against.
    #[serde(default)]
    pub base: Option<String>,
}

impl FeedEntry {
    /// An entry with only its key; the other fields empty.
    pub fn with_key(key: impl Into<String>) -> FeedEntry {
        FeedEntry {
            key: key.into(),
            link: None,
            title: None,
            author: None,
            published: None,
            updated: None,
            content_html: None,
            title_detail: None,
            id: None,
            key_source: KeySource::Id,
            links: Vec::new(),
            authors: Vec::new(),
            contributors: Vec::new(),
            summary: None,
            content: None,
            rights: None,
            tags: Vec::new(),
            enclosures: Vec::new(),
            comments: None,
            language: None,
            base: None,
        }
    }
}

/// The feed's own metadata.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct FeedMeta {
    /// The title as the document gives it: markup, language, base.
    pub title_detail: Option<TextBlock>,
    pub subtitle: Option<TextBlock>,
    pub language: Option<String>,
    pub updated: Option<DateTime<Utc>>,
    pub published: Option<DateTime<Utc>>,
    pub image: Option<Image>,
    pub authors: Vec<Person>,
    pub contributors: Vec<Person>,
    pub rights: Option<TextBlock>,
    pub tags: Vec<Tag>,
    pub links: Vec<Link>,
    /// Atom `<id>` (relative ids resolved).
    pub id: Option<String>,
    /// The base URL the feed's relative links resolved against: the
    /// root's `xml:base`, else the document's URL.
    pub base: Option<String>,
}

/// A parsed feed document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedFeed {
    pub format: FeedFormat,
    /// Plain text.
    pub title: Option<String>,
    /// The site's home page: the feed's alternate link.
    pub site_url: Option<String>,
    /// Everything else the document says about the feed.
    pub meta: FeedMeta,
    pub entries: Vec<FeedEntry>,
    /// RSS `<ttl>` / `sy:updatePeriod` + `sy:updateFrequency`, a lower
    /// bound on the poll interval.
    #[serde(serialize_with = "serialize_secs")]
    pub min_interval: Option<Duration>,
    /// Name of the encoding the bytes were decoded with, and why:
    /// `windows-1252 (http-header)`.
    pub charset: String,
    /// False when the document as sent is not well-formed XML (or JSON):
    /// a repair of its syntax was needed, or bytes did not decode.
    /// Dialect rewrites (an odd `<rss>` version, Atom 0.3) do not count.
    pub well_formed: bool,
    /// Repairs and rewrites applied to get a parse; empty for a clean
    /// document. A feed that is not `well_formed` keeps its entries but not
    /// its HTTP validators, so the next poll fetches it whole again.
    pub recovered: Vec<String>,
    /// Things a person debugging the feed should know: bytes the charset
    /// could not decode, entries skipped, items present but unreadable (a
    /// soft failure: the poller shows it in `status`).
    pub warnings: Vec<String>,
    /// `<item>`/`<entry>` elements seen in the document (0 for JSON), to
    /// compare with `entries.len()`.
    pub items_in_document: usize,
}

fn serialize_secs<S: serde::Serializer>(
    value: &Option<Duration>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(d) => serializer.serialize_some(&d.as_secs()),
        None => serializer.serialize_none(),
    }
}
