//! Pre-parse repairs: a lenient, single-pass scanner that turns the broken
//! XML real servers send into XML that quick-xml accepts, and old dialects
//! into the forms the readers know.
//!
//! XML parsers are strict: one bare `&`, one HTML entity such as `&nbsp;`,
//! a truncated download or a mismatched end tag and the whole feed is
//! lost. Browsers-era feed readers (feedparser's
//! "loose" mode, Miniflux's sanitising pre-pass) show that these defects are
//! common and that the intended document is almost always obvious. This
//! module rebuilds that intended document:
//!
//! - characters XML forbids (C0 controls, U+FFFE/U+FFFF) are dropped;
//! - HTML named entities become numeric references, entities declared in an
//!   internal DTD subset are expanded, bare `&` and `<` are escaped;
//! - tags are balanced: an end tag closes the elements left open inside it,
//!   a stray end tag is dropped, a document cut short is closed after its
//!   last complete item/entry (the half item is dropped, not guessed at);
//! - a version-less or odd-version `<rss>` is marked RSS 2.0, Atom 0.3 is
//!   rewritten as Atom 1.0 and CDF as RSS, namespace prefixes nobody
//!   declared are declared (with the well-known URI for `dc:`, `itunes:`,
//!   ...);
//! - attributes are quoted, deduplicated, and unusable `xml:base` dropped.
//!
//! Every repair that changed something is reported by name, because a
//! repaired feed is not the one the server sent: the poller keeps no HTTP
//! validators for it. [`Scan::well_formed`] tells the repairs of XML syntax
//! (the document was not well-formed) from dialect rewrites. When nothing
//! needed repair the output is the input, byte for byte.
//!
//! Work is linear in the input: one forward scan, no backtracking, a bounded
//! element stack, and per-item salvage documents that reuse small slices.
//!
//! The scanner is one state machine ([`Scanner`]) whose methods live by
//! subject: [`lexer`] walks markup (text, comments, CDATA, declarations),
//! [`entities`] repairs references and escapes, [`tags`] balances start and
//! end tags, [`dialect`] rewrites feed dialects (Atom 0.3, CDF, odd RSS)
//! and [`report`] closes the document and names the repairs.

mod dialect;
mod entities;
mod lexer;
mod report;
mod tags;
#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap};

use report::Counts;
use tags::Open;

/// Deeper nesting than this is never a real feed (they are 3 to 6 levels,
/// plus inline XHTML); beyond it start tags are written as empty elements so
/// that end-tag matching stays O(1) amortised on hostile input.
const MAX_DEPTH: usize = 256;

/// Element depth at which an `<item>`/`<entry>` may sit: rss>channel>item
/// is 3, rdf:RDF>item and feed>entry are 2. Deeper ones are content.
const MAX_ITEM_DEPTH: usize = 3;

/// The dialect a document's root declared (see [`dialect`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Other,
    Atom10,
    Atom03,
    /// Microsoft's Channel Definition Format (IE4 "channels"): upper-case
    /// `<CHANNEL>`/`<ITEM HREF>`/`<TITLE>`/`<ABSTRACT>`, rewritten as RSS.
    Cdf,
}

/// What an element's collected text becomes when it closes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CaptureKind {
    /// Atom 0.3 `mode="base64"`: decoded, then escaped.
    Base64,
    /// Atom `<link>` with its URL as text instead of `href` (an RSS habit):
    /// the text becomes the `href`.
    LinkHref,
}

/// What the scan found and did.
#[derive(Debug, Default)]
pub(crate) struct Scan {
    /// The repaired document; equal to the input when `repairs` is empty,
    /// unless a DOCTYPE was dropped (read for its entities, then removed).
    pub text: String,
    /// Human-readable repairs, each naming what was changed.
    pub repairs: Vec<String>,
    /// `<item>`/`<entry>` start tags at item depth: what a reader expects.
    pub items_seen: usize,
    /// Local name of the root element, lowercased.
    pub root: Option<String>,
    /// Byte ranges of complete items in `text`, with the ancestors that
    /// wrap them, for parsing items one by one when the whole fails.
    pub items: Vec<ItemSpan>,
    /// Text of the ancestor chains referenced by `ItemSpan::chain`: the start
    /// tags to open and the names to close.
    pub chains: Vec<Chain>,
    /// False when the input was not well-formed XML: a repair of its
    /// syntax was needed (entities, escapes, tags, attributes, forbidden
    /// characters, truncation, undeclared prefixes). Dialect rewrites do
    /// not count.
    pub well_formed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chain {
    pub open: String,
    pub close: String,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct ItemSpan {
    pub start: usize,
    pub end: usize,
    pub chain: usize,
}

impl Scan {
    /// A document holding only item `index`, wrapped in its ancestors.
    pub fn item_document(&self, index: usize) -> Option<String> {
        let span = self.items.get(index)?;
        let chain = self.chains.get(span.chain)?;
        let body = self.text.get(span.start..span.end)?;
        let mut doc = String::with_capacity(chain.open.len() + body.len() + chain.close.len());
        doc.push_str(&chain.open);
        doc.push_str(body);
        doc.push_str(&chain.close);
        Some(doc)
    }

    /// The document without its items: the feed's own metadata.
    pub fn header_document(&self) -> String {
        let mut doc = String::with_capacity(self.text.len());
        let mut at = 0;
        for span in &self.items {
            doc.push_str(self.text.get(at..span.start).unwrap_or_default());
            at = span.end;
        }
        doc.push_str(self.text.get(at..).unwrap_or_default());
        doc
    }
}

/// Text collected until an element closes, then written transformed.
struct Capture {
    depth: usize,
    text: String,
    kind: CaptureKind,
}

struct Scanner<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    out: String,
    counts: Counts,
    stack: Vec<Open>,
    root_seen: bool,
    root_closed: bool,
    root: Option<String>,
    /// Where to insert namespace declarations: right after the root's name.
    root_insert_at: Option<usize>,
    dialect: Dialect,
    rss_version_fix: Option<String>,
    /// Prefixes bound to the Atom 0.3 namespace ("" for the default one).
    atom03_prefixes: BTreeSet<String>,
    declared_prefixes: BTreeSet<String>,
    used_prefixes: BTreeSet<String>,
    dtd_entities: HashMap<String, String>,
    /// Inside an element whose text is collected rather than copied.
    capture: Option<Capture>,
    items_seen: usize,
    items: Vec<ItemSpan>,
    chains: Vec<Chain>,
    /// An `<rss>` root got its `<channel>` (real or synthetic).
    rss_channel_seen: bool,
    /// Ancestor tag positions of the last chain built, and its index.
    last_chain: Option<(Vec<(usize, usize)>, usize)>,
    /// Start of the item currently open, with its chain.
    item_start: Option<(usize, usize)>,
    /// Output length and stack depth after the last complete item, and the
    /// lowest stack depth seen since (a cut is only sound if the ancestors
    /// are still the same open elements).
    checkpoint: Option<(usize, usize)>,
    low_water: usize,
    truncated: Option<&'static str>,
}

/// Scans and repairs `text` (already UTF-8, declaration stripped).
pub(crate) fn scan(text: &str) -> Scan {
    let mut s = Scanner {
        src: text,
        bytes: text.as_bytes(),
        pos: 0,
        out: String::with_capacity(text.len() + text.len() / 32),
        counts: Counts::default(),
        stack: Vec::new(),
        root_seen: false,
        root_closed: false,
        root: None,
        root_insert_at: None,
        dialect: Dialect::Other,
        rss_version_fix: None,
        atom03_prefixes: BTreeSet::new(),
        declared_prefixes: BTreeSet::new(),
        used_prefixes: BTreeSet::new(),
        dtd_entities: HashMap::new(),
        capture: None,
        items_seen: 0,
        items: Vec::new(),
        chains: Vec::new(),
        last_chain: None,
        rss_channel_seen: false,
        item_start: None,
        checkpoint: None,
        low_water: 0,
        truncated: None,
    };
    s.run();
    s.finish()
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b':' || b >= 0x80
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn local_name(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn prefix_of(name: &str) -> Option<&str> {
    name.split_once(':').map(|(p, _)| p)
}
