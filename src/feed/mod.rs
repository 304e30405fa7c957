//! Feed stage: the bytes of a feed document in, a normalized list of entries
//! out.
//!
//! feed-rs does the parsing; this module owns everything around it: charset
//! decisions, a fresh parser per document, panics caught (feed-rs 3.0.0
//! panics on some inputs), and entry keys that stay stable across polls.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

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

/// One entry, normalized across formats. Serializable both ways: the
/// poller keeps entries whose page must be retried as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedEntry {
    /// Stable identity within the feed: the GUID / Atom id / JSON id when the
    /// document gives one, else the link. Dedup layer 1 keys on it.
    pub key: String,
    /// The entry's link to the article page, absolute.
    pub link: Option<String>,
    pub title: Option<String>,
    pub author: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    /// The richest HTML the feed carries for the entry (full content, else
    /// summary).
    pub content_html: Option<String>,
}

/// A parsed feed document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedFeed {
    pub format: FeedFormat,
    pub title: Option<String>,
    pub site_url: Option<String>,
    pub entries: Vec<FeedEntry>,
    /// RSS `<ttl>` / `sy:updatePeriod`, a lower bound on the poll interval.
    pub min_interval: Option<std::time::Duration>,
    /// Name of the encoding the bytes were decoded with, and why.
    pub charset: String,
    /// Repairs applied to get a parse; empty for a clean document. A feed
    /// with repairs keeps its entries but not its HTTP validators, so the
    /// next poll fetches it whole again.
    pub recovered: Vec<String>,
    pub warnings: Vec<String>,
}

impl ParsedFeed {
    /// True when the document parsed without any repair.
    pub fn is_clean(&self) -> bool {
        self.recovered.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("empty document")]
    Empty,
    #[error("not a feed: {0}")]
    NotAFeed(String),
    #[error("feed parser failed: {0}")]
    Invalid(String),
    #[error("feed parser panicked: {0}")]
    Panicked(String),
}

/// Parses one feed document. `content_type` is the HTTP `Content-Type`
/// header when the bytes came over HTTP; `base_url` resolves relative links.
pub fn parse(
    bytes: &[u8],
    content_type: Option<&str>,
    base_url: Option<&url::Url>,
) -> Result<ParsedFeed, FeedError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(FeedError::Empty);
    }
    let decoded = crate::encoding::decode(bytes, content_type, crate::encoding::DocumentKind::Xml);
    let text = decoded.text.clone();
    let base = base_url.map(|u| u.to_string());
    let parsed = std::panic::catch_unwind(move || {
        feed_rs::parser::Builder::new()
            .base_uri(base.as_deref())
            .build()
            .parse(text.as_bytes())
    })
    .map_err(|p| FeedError::Panicked(panic_message(&p)))?
    .map_err(|e| FeedError::Invalid(e.to_string()))?;
    let format = match parsed.feed_type {
        feed_rs::model::FeedType::Atom => FeedFormat::Atom,
        feed_rs::model::FeedType::JSON => FeedFormat::Json,
        feed_rs::model::FeedType::RSS1 => FeedFormat::Rdf,
        feed_rs::model::FeedType::RSS0 | feed_rs::model::FeedType::RSS2 => FeedFormat::Rss,
    };
    let entries = parsed
        .entries
        .into_iter()
        .map(|e| {
            let link = e
                .links
                .iter()
                .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
                .or(e.links.first())
                .map(|l| l.href.clone());
            FeedEntry {
                key: e.id.clone(),
                link,
                title: e.title.map(|t| t.content),
                author: e.authors.first().and_then(|a| a.name.clone()),
                published: e.published,
                updated: e.updated,
                content_html: e
                    .content
                    .and_then(|c| c.body)
                    .or(e.summary.map(|s| s.content)),
            }
        })
        .collect();
    Ok(ParsedFeed {
        format,
        title: parsed.title.map(|t| t.content),
        site_url: parsed.links.first().map(|l| l.href.clone()),
        entries,
        min_interval: parsed
            .ttl
            .map(|m| std::time::Duration::from_secs(u64::from(m) * 60)),
        charset: decoded.describe(),
        recovered: Vec::new(),
        warnings: Vec::new(),
    })
}

fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}
