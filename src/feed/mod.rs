//! Feed stage: the bytes of a feed document in, the feed's metadata and a
//! normalized list of entries out.
//!
//! In the order a document meets it:
//!
//! 1. Charset ([`crate::encoding`]): BOM, HTTP charset, XML declaration,
//!    detection; the text is transcoded to UTF-8 and the XML declaration
//!    removed.
//! 2. [`recover`]: a lenient scan that repairs what XML parsers reject
//!    (entities, bare `&`, truncation, unbalanced tags, undeclared
//!    prefixes) and rewrites old dialects (Atom 0.3, CDF). A clean document
//!    passes through byte for byte and is reported clean.
//! 3. [`tree`]: the repaired text as an element tree, namespaces resolved
//!    by URI, `xml:base` and `xml:lang` in effect on every element. When
//!    the document still fails as a whole, the feed's header and each
//!    complete item are read on their own, so one bad entry does not cost
//!    the feed.
//! 4. The format's reader (`rss`, `atom`, `json`) fills drafts with the
//!    precedence of `draft` (which element wins when several give a
//!    title, an author, a date), then the drafts become a [`FeedMeta`] and
//!    [`FeedEntry`]s with stable keys and absolute links.
//!
//! Why not a general feed crate: feedsift must show everything a feed says
//! (text types and languages, enclosures, comments, contributors) and read
//! what feedparser reads (namespaces by URI, `<TiTlE>`, Dublin Core and
//! iTunes fallbacks); feed-rs matches names exactly and drops those fields,
//! and feeds are small XML vocabularies over a tree quick-xml builds.
//!
//! Everything is a pure, synchronous function of its inputs with work
//! linear in the document size; the poller runs it in `spawn_blocking`.

mod atom;
mod batched;
mod dates;
pub mod discover;
mod draft;
mod extensions;
mod json;
mod links;
mod model;
mod people;
pub mod recover;
mod rss;
mod text;
mod tree;

pub use batched::parse_batched;
pub use model::{
    Enclosure, FeedEntry, FeedFormat, FeedMeta, Image, KeySource, Link, ParsedFeed, Person, Tag,
    TextBlock,
};

use std::borrow::Cow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use url::Url;

use crate::encoding::{self, DocumentKind};
use draft::{EntryDraft, MetaDraft};

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

/// What a format reader hands back, before the drafts are finished.
struct Reading {
    format: FeedFormat,
    meta: MetaDraft,
    entries: Vec<EntryDraft>,
    recovered: Vec<String>,
    well_formed: bool,
    /// `<item>`/`<entry>` elements in the document.
    items: usize,
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
    let reading = catch_unwind(AssertUnwindSafe(|| {
        match text.trim_start().chars().next() {
            Some('{' | '[') => read_json(text, base_url),
            Some(_) => read_xml(text, base_url, &mut warnings),
            None => Err(FeedError::Empty),
        }
    }))
    .map_err(|payload| FeedError::Panicked(panic_message(payload.as_ref())))??;
    Ok(finish(reading, charset, decoded.had_errors, warnings))
}

fn finish(r: Reading, charset: String, had_errors: bool, mut warnings: Vec<String>) -> ParsedFeed {
    let min_interval = min_interval(&r.meta);
    let (title, site_url, meta) = draft::finish_meta(r.meta);
    let entries: Vec<FeedEntry> = r
        .entries
        .into_iter()
        .map(|d| draft::finish_entry(d, meta.language.as_deref()))
        .collect();
    if entries.is_empty() && r.items > 0 {
        warnings.push(format!(
            "the document has {} <item>/<entry> element(s) but no entry could be read",
            r.items
        ));
    }
    ParsedFeed {
        format: r.format,
        title,
        site_url,
        meta,
        entries,
        min_interval,
        charset,
        well_formed: r.well_formed && !had_errors,
        recovered: r.recovered,
        warnings,
        items_in_document: r.items,
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

fn read_json(text: &str, base_url: Option<&Url>) -> Result<Reading, FeedError> {
    let (meta, entries) = json::read(text, base_url)?;
    Ok(Reading {
        format: FeedFormat::Json,
        meta,
        entries,
        recovered: Vec::new(),
        well_formed: true,
        items: 0,
    })
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

/// The repaired document read whole; when it still does not parse, its
/// header and each complete item on their own.
fn read_xml(
    text: &str,
    base_url: Option<&Url>,
    warnings: &mut Vec<String>,
) -> Result<Reading, FeedError> {
    let body = strip_xml_declaration(text);
    let scan = recover::scan(body.as_ref());
    let (format, meta, entries, salvaged) = match tree::parse(&scan.text, base_url) {
        Ok(root) => {
            let (format, meta, entries) = read_root(&root)?;
            (format, meta, entries, None)
        }
        Err(message) => match salvage(&scan, base_url, warnings) {
            Some((format, meta, entries)) => {
                let note = format!(
                    "parsed items one by one: {} of {} read",
                    entries.len(),
                    scan.items.len()
                );
                (format, meta, entries, Some(note))
            }
            None => return Err(classify(&scan, message)),
        },
    };
    let mut recovered = scan.repairs;
    let well_formed = scan.well_formed && salvaged.is_none();
    recovered.extend(salvaged);
    Ok(Reading {
        format,
        meta,
        entries,
        recovered,
        well_formed,
        items: scan.items_seen,
    })
}

/// The reader for the root element's vocabulary.
fn read_root(root: &tree::Element) -> Result<(FeedFormat, MetaDraft, Vec<EntryDraft>), FeedError> {
    let name = root.name.to_ascii_lowercase();
    match name.as_str() {
        "rss" | "rdf" | "channel" => Ok(rss::read(root)),
        "feed" | "entry" => {
            let (meta, entries) = atom::read(root);
            Ok((FeedFormat::Atom, meta, entries))
        }
        other => Err(FeedError::NotAFeed(format!(
            "root element <{other}> is not RSS, RDF or Atom"
        ))),
    }
}

fn classify(scan: &recover::Scan, message: String) -> FeedError {
    match scan.root.as_deref() {
        None => FeedError::NotAFeed("no XML element found".to_owned()),
        Some("rss" | "rdf" | "feed" | "entry" | "channel") => FeedError::Invalid(message),
        Some(other) => {
            FeedError::NotAFeed(format!("root element <{other}> is not RSS, RDF or Atom"))
        }
    }
}

/// The feed's metadata from the document without items, then each complete
/// item wrapped in its ancestors and read alone. Linear overall: every
/// item is parsed once, inside a wrapper of a few start tags.
fn salvage(
    scan: &recover::Scan,
    base_url: Option<&Url>,
    warnings: &mut Vec<String>,
) -> Option<(FeedFormat, MetaDraft, Vec<EntryDraft>)> {
    if scan.items.is_empty() {
        return None;
    }
    // The header alone is a feed whose items could not be read: a soft
    // failure, reported in `warnings` by `finish`.
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
    let header = tree::parse(&scan.header_document(), base_url).ok()?;
    let (format, meta, _) = read_root(&header).ok()?;
    let mut entries = Vec::new();
    let mut skipped = 0;
    for index in 0..scan.items.len() {
        let Some(doc) = scan.item_document(index) else {
            continue;
        };
        let read = tree::parse(&doc, base_url)
            .ok()
            .and_then(|root| read_root(&root).ok());
        match read {
            Some((_, _, one)) if !one.is_empty() => entries.extend(one),
            _ => skipped += 1,
        }
    }
    if skipped > 0 {
        warnings.push(format!("skipped {skipped} entry(ies) the parser rejected"));
    }
    Some((format, meta, entries))
}

/// The lower bound on the poll interval the feed asks for: RSS `<ttl>`
/// and `sy:updatePeriod`/`sy:updateFrequency`, the larger of the two.
fn min_interval(meta: &MetaDraft) -> Option<Duration> {
    let ttl = meta
        .ttl
        .map(|m| Duration::from_secs(m.min(MAX_TTL_MINUTES) * 60));
    let sy = meta.update_period.as_deref().and_then(|period| {
        let base = match period.to_ascii_lowercase().as_str() {
            "hourly" => 3600,
            "daily" => 86_400,
            "weekly" => 7 * 86_400,
            "monthly" => 30 * 86_400,
            "yearly" => 365 * 86_400,
            _ => return None,
        };
        let frequency = meta.update_frequency.filter(|f| *f > 0).unwrap_or(1);
        Some(Duration::from_secs(base / frequency))
    });
    match (ttl, sy) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}
