//! Feed stage: the bytes of a feed document in, a normalized list of entries
//! out.
//!
//! feed-rs does the parsing; this module owns everything around it, in the
//! order a document meets it:
//!
//! 1. Charset ([`crate::encoding`]): BOM, HTTP charset, XML declaration,
//!    detection; the text is transcoded to UTF-8 and the XML declaration
//!    removed, because quick-xml would otherwise decode the UTF-8 again as
//!    whatever the declaration names.
//! 2. [`recover`]: a lenient scan that repairs what strict XML parsers
//!    reject (entities, bare `&`, truncation, unbalanced tags, odd RSS
//!    versions, Atom 0.3, undeclared prefixes). A clean document passes
//!    through byte for byte and is reported clean.
//! 3. feed-rs, with a fresh parser per attempt (a reused `Parser` panics on
//!    every document after one error) and panics caught. When the whole
//!    document still fails, each complete item is parsed on its own, so one
//!    bad entry no longer costs the feed.
//! 4. [`normalize`]: stable keys, absolute links, plain-text titles.
//!
//! Everything is a pure, synchronous function of its inputs with work
//! linear in the document size; the poller runs it in `spawn_blocking`.

pub mod discover;
pub mod normalize;
pub mod recover;

use std::borrow::Cow;
use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::encoding::{self, DocumentKind};

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
    /// RSS `<ttl>` / `sy:updatePeriod` + `sy:updateFrequency`, a lower
    /// bound on the poll interval.
    #[serde(serialize_with = "serialize_secs")]
    pub min_interval: Option<Duration>,
    /// Name of the encoding the bytes were decoded with, and why:
    /// `windows-1252 (http-header)`.
    pub charset: String,
    /// Repairs applied to get a parse; empty for a clean document. A feed
    /// with repairs keeps its entries but not its HTTP validators, so the
    /// next poll fetches it whole again.
    pub recovered: Vec<String>,
    /// Things a person debugging the feed should know: bytes the charset
    /// could not decode, entries skipped, items present but unreadable (a
    /// soft failure: the poller shows it in `status`).
    pub warnings: Vec<String>,
    /// `<item>`/`<entry>` elements seen in the document (0 for JSON), to
    /// compare with `entries.len()`.
    pub items_in_document: usize,
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

/// Item-by-item salvage may copy this many wrapper bytes (ancestor start
/// tags around each item) even for a small document; beyond it, no more than
/// the document's own size, which keeps salvage linear.
const MIN_SALVAGE_BUDGET: usize = 8 * 1024 * 1024;

/// Largest RSS `<ttl>` honoured: a week. Larger values are typos or
/// "never", and the scheduler clamps to 24 h anyway.
const MAX_TTL_MINUTES: u64 = 7 * 24 * 60;

/// How far into a document `sy:updatePeriod` is looked for: it is a channel
/// element and sits before the items.
const SYNDICATION_SCAN_BYTES: usize = 64 * 1024;

fn serialize_secs<S: serde::Serializer>(
    value: &Option<Duration>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match value {
        Some(d) => serializer.serialize_some(&d.as_secs()),
        None => serializer.serialize_none(),
    }
}

/// Parses one feed document. `content_type` is the HTTP `Content-Type`
/// header when the bytes came over HTTP; `base_url` (the feed's URL, or its
/// `Content-Location`) resolves relative links.
pub fn parse(
    bytes: &[u8],
    content_type: Option<&str>,
    base_url: Option<&Url>,
) -> Result<ParsedFeed, FeedError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(FeedError::Empty);
    }
    let decoded = encoding::decode(bytes, content_type, DocumentKind::Xml);
    let charset = decoded.describe();
    let mut warnings = Vec::new();
    if decoded.had_errors {
        warnings.push(format!(
            "some bytes are not valid {}; they became U+FFFD",
            decoded.label
        ));
    }
    let text = decoded
        .text
        .strip_prefix('\u{FEFF}')
        .unwrap_or(&decoded.text);
    let first = text.trim_start().chars().next();
    let parsed = match first {
        Some('{') | Some('[') => XmlParse {
            feed: parse_json(text, base_url)?,
            recovered: Vec::new(),
            items: 0,
            non_permalink_guids: HashSet::new(),
        },
        Some(_) => parse_xml(text, base_url, &mut warnings)?,
        None => return Err(FeedError::Empty),
    };
    let XmlParse {
        feed,
        recovered,
        items: items_in_document,
        non_permalink_guids,
    } = parsed;
    let feed_type = feed.feed_type.clone();
    let mut entries = Vec::with_capacity(feed.entries.len());
    for entry in &feed.entries {
        let permalink = !non_permalink_guids.contains(entry.id.trim());
        entries.push(normalize::entry(entry, &feed_type, base_url, permalink));
    }
    if entries.is_empty() && items_in_document > 0 {
        warnings.push(format!(
            "the document has {items_in_document} <item>/<entry> element(s) but no entry could be read"
        ));
    }
    let min_interval = min_interval(&feed, text);
    Ok(ParsedFeed {
        format: normalize::format_of(&feed_type),
        title: normalize::feed_title(&feed),
        site_url: normalize::site_url(&feed, base_url),
        entries,
        min_interval,
        charset,
        recovered,
        warnings,
        items_in_document,
    })
}

fn parse_json(text: &str, base_url: Option<&Url>) -> Result<feed_rs::model::Feed, FeedError> {
    run_feed_rs(text, base_url).map_err(|e| match e {
        Attempt::Panicked(m) => FeedError::Panicked(m),
        Attempt::Failed(m) => FeedError::Invalid(m),
    })
}

enum Attempt {
    Failed(String),
    Panicked(String),
}

/// One feed-rs run on a fresh parser, panics caught.
fn run_feed_rs(text: &str, base_url: Option<&Url>) -> Result<feed_rs::model::Feed, Attempt> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(base_url.map(Url::as_str))
        // An empty id tells normalize "the document gave none"; feed-rs's
        // own fallback is a random UUID, which is not stable across polls.
        .id_generator(|_, _, _| String::new())
        .sanitize_content(false)
        .build();
    match catch_unwind(AssertUnwindSafe(|| parser.parse(text.as_bytes()))) {
        Ok(Ok(feed)) => Ok(feed),
        Ok(Err(e)) => Err(Attempt::Failed(e.to_string())),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            Err(Attempt::Panicked(message))
        }
    }
}

/// Removes the XML declaration: the text is UTF-8 now, whatever the
/// declaration says, and quick-xml would decode it again by that name. It
/// is looked for after leading whitespace and comments too, where
/// hand-edited feeds put it.
fn strip_xml_declaration(text: &str) -> Cow<'_, str> {
    let mut at = 0;
    loop {
        let rest = &text[at..];
        let trimmed = rest.trim_start();
        at += rest.len() - trimmed.len();
        match trimmed.strip_prefix("<!--").map(|c| c.find("-->")) {
            Some(Some(end)) => at += 4 + end + 3,
            Some(None) => return Cow::Borrowed(text),
            None => break,
        }
    }
    let rest = &text[at..];
    let is_decl = rest
        .strip_prefix("<?xml")
        .is_some_and(|r| r.starts_with(|c: char| c.is_whitespace() || c == '?'));
    match rest.find("?>") {
        Some(end) if is_decl => {
            let mut out = String::with_capacity(text.len());
            out.push_str(&text[..at]);
            out.push_str(&rest[end + 2..]);
            Cow::Owned(out)
        }
        _ => Cow::Borrowed(text),
    }
}

/// What the XML path hands back to `parse`.
struct XmlParse {
    feed: feed_rs::model::Feed,
    recovered: Vec<String>,
    /// `<item>`/`<entry>` elements in the document.
    items: usize,
    non_permalink_guids: HashSet<String>,
}

/// Clean parse first; repaired parse when the scan found defects or the
/// clean parse failed; item-by-item salvage when the repaired document
/// still fails as a whole.
fn parse_xml(
    text: &str,
    base_url: Option<&Url>,
    warnings: &mut Vec<String>,
) -> Result<XmlParse, FeedError> {
    let body = strip_xml_declaration(text);
    let body = body.as_ref();
    let mut scan = recover::scan(body);
    let guids = std::mem::take(&mut scan.non_permalink_guids);
    let done = |feed, recovered| {
        Ok(XmlParse {
            feed,
            recovered,
            items: scan.items_seen,
            non_permalink_guids: guids,
        })
    };
    let items = scan.items_seen;
    let reads_items = |feed: &feed_rs::model::Feed| !feed.entries.is_empty() || items == 0;

    let mut first_error = None;
    if scan.repairs.is_empty() {
        match run_feed_rs(body, base_url) {
            Ok(feed) if reads_items(&feed) || scan.text == body => {
                return done(feed, Vec::new());
            }
            Ok(_) => {}
            Err(e) => first_error = Some(e),
        }
    }
    let mut recovered = scan.repairs.clone();
    if scan.text != body {
        match run_feed_rs(&scan.text, base_url) {
            Ok(feed) if reads_items(&feed) => {
                if recovered.is_empty() {
                    recovered.push("dropped the DOCTYPE".to_owned());
                }
                return done(feed, recovered);
            }
            Ok(_) => {}
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some(feed) = salvage(&scan, base_url, warnings) {
        recovered.push(format!(
            "parsed items one by one: {} of {} read",
            feed.entries.len(),
            scan.items.len()
        ));
        return done(feed, recovered);
    }
    // Nothing better: a parse that read the feed but none of its items is a
    // soft failure the caller reports in `warnings`.
    if let Ok(feed) = run_feed_rs(&scan.text, base_url) {
        return done(feed, recovered);
    }
    Err(match first_error {
        Some(Attempt::Panicked(m)) => FeedError::Panicked(m),
        Some(Attempt::Failed(m)) => classify(&scan, m),
        None => classify(&scan, "feed parser failed".to_owned()),
    })
}

fn classify(scan: &recover::Scan, message: String) -> FeedError {
    match scan.root.as_deref() {
        None => FeedError::NotAFeed("no XML element found".to_owned()),
        Some("rss" | "rdf" | "feed" | "entry") => FeedError::Invalid(message),
        Some(other) => {
            FeedError::NotAFeed(format!("root element <{other}> is not RSS, RDF or Atom"))
        }
    }
}

/// The feed's metadata from the document without items, then each complete
/// item wrapped in its ancestors and parsed alone. Linear overall: every
/// item is parsed once, inside a wrapper of a few start tags.
fn salvage(
    scan: &recover::Scan,
    base_url: Option<&Url>,
    warnings: &mut Vec<String>,
) -> Option<feed_rs::model::Feed> {
    if scan.items.is_empty() {
        return None;
    }
    // Each item is wrapped in its ancestors' start tags; a feed with a huge
    // root tag and many items would make that quadratic.
    let wrappers: usize = scan
        .items
        .iter()
        .filter_map(|span| scan.chains.get(span.chain))
        .map(|c| c.open.len() + c.close.len())
        .sum();
    if wrappers > scan.text.len().max(MIN_SALVAGE_BUDGET) {
        warnings.push("too many items with too large a wrapper to parse one by one".to_owned());
        return None;
    }
    let mut feed = run_feed_rs(&scan.header_document(), base_url).ok()?;
    let mut skipped = 0;
    for index in 0..scan.items.len() {
        let Some(doc) = scan.item_document(index) else {
            continue;
        };
        match run_feed_rs(&doc, base_url) {
            Ok(one) if !one.entries.is_empty() => feed.entries.extend(one.entries),
            Ok(_) | Err(_) => skipped += 1,
        }
    }
    if feed.entries.is_empty() {
        return None;
    }
    if skipped > 0 {
        warnings.push(format!("skipped {skipped} entry(ies) the parser rejected"));
    }
    Some(feed)
}

/// The lower bound on the poll interval the feed asks for.
fn min_interval(feed: &feed_rs::model::Feed, text: &str) -> Option<Duration> {
    let ttl = feed
        .ttl
        .map(|m| Duration::from_secs(u64::from(m).min(MAX_TTL_MINUTES) * 60));
    let mut cut = text.len().min(SYNDICATION_SCAN_BYTES);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let head = &text[..cut];
    let sy = element_text(head, "updatePeriod").and_then(|period| {
        let base = match period.to_ascii_lowercase().as_str() {
            "hourly" => 3600,
            "daily" => 86_400,
            "weekly" => 7 * 86_400,
            "monthly" => 30 * 86_400,
            "yearly" => 365 * 86_400,
            _ => return None,
        };
        let frequency = element_text(head, "updateFrequency")
            .and_then(|f| f.parse::<u64>().ok())
            .filter(|f| *f > 0)
            .unwrap_or(1);
        Some(Duration::from_secs(base / frequency))
    });
    match (ttl, sy) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Text of the first `<prefix:local>` element, whatever the prefix.
fn element_text<'a>(text: &'a str, local: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(at) = text.get(from..)?.find(local) {
        let start = from + at;
        from = start + local.len();
        let before = text.as_bytes().get(start.checked_sub(1)?)?;
        if !matches!(before, b':' | b'<') || text.as_bytes().get(from) != Some(&b'>') {
            continue;
        }
        let rest = text.get(from + 1..)?;
        let value = rest.get(..rest.find('<')?)?.trim();
        return Some(value);
    }
    None
}
