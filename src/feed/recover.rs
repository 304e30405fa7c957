//! Pre-parse repairs: a lenient, single-pass scanner that turns the broken
//! XML real servers send into XML that feed-rs (and quick-xml under it)
//! accepts.
//!
//! feed-rs is strict: one bare `&`, one HTML entity such as `&nbsp;`, an
//! unknown `<rss version>`, a truncated download or a mismatched end tag
//! and the whole feed is lost. Browsers-era feed readers (feedparser's
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
//! - a version-less or odd-version `<rss>` is read as RSS 2.0, Atom 0.3 is
//!   rewritten as Atom 1.0, namespace prefixes nobody declared are declared;
//! - attributes are quoted, deduplicated, and unusable `xml:base` dropped.
//!
//! Every repair that changed something is reported by name, because a
//! repaired feed is not the one the server sent: the poller keeps no HTTP
//! validators for it. When nothing needed repair the output is the input,
//! byte for byte, and the caller parses the original.
//!
//! Work is linear in the input: one forward scan, no backtracking, a bounded
//! element stack, and per-item salvage documents that reuse small slices.

use std::collections::{BTreeSet, HashMap, HashSet};

use base64::Engine as _;

/// Deeper nesting than this is never a real feed (they are 3 to 6 levels,
/// plus inline XHTML); beyond it start tags are written as empty elements so
/// that end-tag matching stays O(1) amortised on hostile input.
const MAX_DEPTH: usize = 256;

/// Longest entity name we look up; the longest HTML5 name is 31 bytes
/// (`&CounterClockwiseContourIntegral;`).
const MAX_ENTITY_NAME: usize = 32;

/// At most this many entities from an internal DTD subset are expanded, and
/// each expansion is at most this long: the "billion laughs" defence (we
/// never expand recursively either).
const MAX_DTD_ENTITIES: usize = 256;
const MAX_DTD_ENTITY_VALUE: usize = 4096;

/// Element depth at which an `<item>`/`<entry>` may sit: rss>channel>item
/// is 3, rdf:RDF>item and feed>entry are 2. Deeper ones are content.
const MAX_ITEM_DEPTH: usize = 3;

const ATOM03_NS: &str = "http://purl.org/atom/ns#";
const ATOM10_NS: &str = "http://www.w3.org/2005/Atom";
const RSS090_NS: &str = "http://my.netscape.com/rdf/simple/0.9/";
const RSS10_NS: &str = "http://purl.org/rss/1.0/";

/// Namespaces feeds use without declaring them; the URI matters because
/// feed-rs dispatches on it (`dc:creator`, `content:encoded`, ...).
const KNOWN_PREFIXES: &[(&str, &str)] = &[
    ("dc", "http://purl.org/dc/elements/1.1/"),
    ("dcterms", "http://purl.org/dc/terms/"),
    ("content", "http://purl.org/rss/1.0/modules/content/"),
    ("atom", ATOM10_NS),
    ("media", "http://search.yahoo.com/mrss/"),
    ("itunes", "http://www.itunes.com/dtds/podcast-1.0.dtd"),
    ("podcast", "https://podcastindex.org/namespace/1.0"),
    ("wfw", "http://wellformedweb.org/CommentAPI/"),
    ("slash", "http://purl.org/rss/1.0/modules/slash/"),
    ("sy", "http://purl.org/rss/1.0/modules/syndication/"),
    ("rdf", "http://www.w3.org/1999/02/22-rdf-syntax-ns#"),
    ("xhtml", "http://www.w3.org/1999/xhtml"),
    ("georss", "http://www.georss.org/georss"),
    ("geo", "http://www.w3.org/2003/01/geo/wgs84_pos#"),
    ("feedburner", "http://rssnamespace.org/feedburner/ext/1.0"),
    ("thr", "http://purl.org/syndication/thread/1.0"),
];

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
    /// RSS guids marked `isPermaLink="false"`: ids, never links. feed-rs
    /// does not keep the attribute.
    pub non_permalink_guids: HashSet<String>,
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

/// Counters behind the repair messages; a message is emitted only for a
/// non-zero counter, so a clean document reports nothing.
#[derive(Default)]
struct Counts {
    invalid_chars: usize,
    html_entities: BTreeSet<String>,
    html_entity_count: usize,
    dtd_entities: usize,
    bare_amp: usize,
    bad_char_refs: usize,
    bare_lt: usize,
    unclosed: usize,
    stray_end: usize,
    case_end: usize,
    broken_tags: usize,
    attributes: usize,
    bad_xml_base: usize,
    junk_outside_root: usize,
    misplaced_decl: usize,
    too_deep: usize,
    atom_types: usize,
    namespaces: usize,
    missing_channel: bool,
    cdf: bool,
    rdf_about_links: usize,
    rdf_root_case: bool,
    atom_items: usize,
    link_text_href: usize,
}

impl Open {
    /// An element the source left out; its empty source name never matches
    /// an end tag, so it closes with its parent.
    fn synthetic(name: &str, tag: (usize, usize)) -> Open {
        Open {
            src: String::new(),
            out: name.to_owned(),
            tag,
            is_item: false,
            about: None,
            has_link: false,
        }
    }
}

struct Open {
    /// Name as written in the source, to match end tags against.
    src: String,
    /// Name written to the output (differs after Atom 0.3 renames).
    out: String,
    /// Where this element's start tag sits in the output.
    tag: (usize, usize),
    is_item: bool,
    /// For RSS 1.0 items: `rdf:about`, and whether a `<link>` child was seen.
    about: Option<String>,
    has_link: bool,
}

/// One attribute as found in a start tag.
struct Attr<'a> {
    name: &'a str,
    /// Raw value between the quotes (None: a bare attribute name).
    raw: Option<&'a str>,
    quote: u8,
}

/// Text collected until an element closes, then written transformed.
struct Capture {
    depth: usize,
    text: String,
    kind: CaptureKind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CaptureKind {
    /// Atom 0.3 `mode="base64"`: decoded, then escaped.
    Base64,
    /// Atom `<link>` with its URL as text instead of `href` (an RSS habit):
    /// the text becomes the `href`.
    LinkHref,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Other,
    Atom10,
    Atom03,
    /// Microsoft's Channel Definition Format (IE4 "channels"): upper-case
    /// `<CHANNEL>`/`<ITEM HREF>`/`<TITLE>`/`<ABSTRACT>`, rewritten as RSS.
    Cdf,
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
    non_permalink_guids: HashSet<String>,
    /// Inside `<guid isPermaLink="false">`: its text goes to the set above.
    in_non_permalink_guid: bool,
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
        non_permalink_guids: HashSet::new(),
        in_non_permalink_guid: false,
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

/// Characters XML 1.0 does not allow anywhere, even as references.
fn xml_forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
}

impl<'a> Scanner<'a> {
    fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    fn starts_with(&self, pat: &[u8]) -> bool {
        self.rest().starts_with(pat)
    }

    /// Position of `pat` at or after `from`, if any.
    fn find(&self, from: usize, pat: &str) -> Option<usize> {
        self.src.get(from..)?.find(pat).map(|i| i + from)
    }

    fn run(&mut self) {
        while self.pos < self.bytes.len() {
            if self.bytes[self.pos] != b'<' {
                let end = self.find(self.pos, "<").unwrap_or(self.bytes.len());
                let text = &self.src[self.pos..end];
                self.pos = end;
                self.text(text);
                continue;
            }
            let ok = if self.starts_with(b"<!--") {
                self.comment()
            } else if self.starts_with(b"<![CDATA[") {
                self.cdata()
            } else if b"<![CDATA[".starts_with(self.rest()) {
                self.truncated = Some("inside a CDATA section");
                false
            } else if self.starts_with(b"<!") {
                self.declaration()
            } else if self.starts_with(b"<?") {
                self.processing_instruction()
            } else if self.starts_with(b"</") {
                self.end_tag()
            } else if self.rest().get(1).is_some_and(|&b| is_name_start(b)) {
                self.start_tag()
            } else {
                self.counts.bare_lt += 1;
                self.pos += 1;
                if self.in_root() {
                    self.out.push_str("&lt;");
                }
                true
            };
            if !ok {
                break;
            }
        }
    }

    fn in_root(&self) -> bool {
        !self.stack.is_empty()
    }

    fn text(&mut self, text: &str) {
        if !self.in_root() {
            // Whitespace between prolog items is fine; anything else before
            // or after the root (PHP warnings, a second document) is junk.
            if !text.bytes().all(is_space) {
                self.counts.junk_outside_root += 1;
            } else {
                self.out.push_str(text);
            }
            return;
        }
        if let Some(capture) = self.capture.as_mut() {
            capture.text.push_str(text);
            return;
        }
        let mut out = std::mem::take(&mut self.out);
        let from = out.len();
        self.escape_into(&mut out, text, false);
        if self.in_non_permalink_guid {
            self.non_permalink_guids
                .insert(unescape_basic(out[from..].trim()));
        }
        self.out = out;
    }

    /// Copies text or an attribute value, repairing references and dropping
    /// forbidden characters. `in_attr` also escapes `<` and `"`.
    fn escape_into(&mut self, out: &mut String, text: &str, in_attr: bool) {
        let bytes = text.as_bytes();
        let mut copied = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let special = b == b'&'
                || (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
                || (in_attr && (b == b'<' || b == b'"'))
                || b == 0xEF;
            if !special {
                i += 1;
                continue;
            }
            out.push_str(&text[copied..i]);
            match b {
                b'&' => {
                    let consumed = self.reference(out, &text[i..]);
                    i += consumed;
                }
                b'<' => {
                    out.push_str("&lt;");
                    self.counts.bare_lt += 1;
                    i += 1;
                }
                b'"' => {
                    out.push_str("&quot;");
                    i += 1;
                }
                0xEF => {
                    // U+FFFE and U+FFFF are EF BF BE / EF BF BF in UTF-8.
                    let c = text[i..].chars().next().unwrap_or('\u{FFFD}');
                    if xml_forbidden(c) {
                        self.counts.invalid_chars += 1;
                    } else {
                        out.push(c);
                    }
                    i += c.len_utf8();
                }
                _ => {
                    self.counts.invalid_chars += 1;
                    i += 1;
                }
            }
            copied = i;
        }
        out.push_str(&text[copied..]);
    }

    /// Handles the `&...` at the start of `rest`; returns the bytes consumed.
    fn reference(&mut self, out: &mut String, rest: &str) -> usize {
        let bytes = rest.as_bytes();
        if bytes.get(1) == Some(&b'#') {
            return self.char_reference(out, rest);
        }
        let name_len = bytes
            .iter()
            .skip(1)
            .take(MAX_ENTITY_NAME + 1)
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        let has_semicolon = bytes.get(1 + name_len) == Some(&b';');
        if name_len == 0
            || name_len > MAX_ENTITY_NAME
            || !has_semicolon
            || !bytes[1].is_ascii_alphabetic()
        {
            out.push_str("&amp;");
            self.counts.bare_amp += 1;
            return 1;
        }
        let name = &rest[1..1 + name_len];
        let consumed = name_len + 2;
        if matches!(name, "lt" | "gt" | "amp" | "quot" | "apos") {
            out.push_str(&rest[..consumed]);
            return consumed;
        }
        if let Some(value) = self.dtd_entities.get(name) {
            // Entity values hold plain text here; escape it as such.
            self.counts.dtd_entities += 1;
            for c in value.chars() {
                match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '"' => out.push_str("&quot;"),
                    c if xml_forbidden(c) => {}
                    c => out.push(c),
                }
            }
            return consumed;
        }
        if let Some(&(first, second)) = web_atoms::NAMED_ENTITIES.get(&rest[1..consumed]) {
            for cp in [first, second] {
                if cp != 0 {
                    out.push_str(&format!("&#{cp};"));
                }
            }
            self.counts.html_entity_count += 1;
            if self.counts.html_entities.len() < 8 {
                self.counts.html_entities.insert(name.to_owned());
            }
            return consumed;
        }
        out.push_str("&amp;");
        self.counts.bare_amp += 1;
        1
    }

    fn char_reference(&mut self, out: &mut String, rest: &str) -> usize {
        let bytes = rest.as_bytes();
        let hex = matches!(bytes.get(2), Some(b'x' | b'X'));
        let digits_from = if hex { 3 } else { 2 };
        let digits = bytes
            .iter()
            .skip(digits_from)
            .take(9)
            .take_while(|b| {
                if hex {
                    b.is_ascii_hexdigit()
                } else {
                    b.is_ascii_digit()
                }
            })
            .count();
        let value = rest
            .get(digits_from..digits_from + digits)
            .and_then(|d| u32::from_str_radix(d, if hex { 16 } else { 10 }).ok())
            .and_then(char::from_u32);
        let Some(c) = value.filter(|_| digits > 0) else {
            out.push_str("&amp;");
            self.counts.bare_amp += 1;
            return 1;
        };
        let has_semicolon = bytes.get(digits_from + digits) == Some(&b';');
        let consumed = digits_from + digits + usize::from(has_semicolon);
        if xml_forbidden(c) {
            // `&#0;`, `&#x1;`: no XML parser takes them; what they meant is
            // unknowable, so they go.
            self.counts.invalid_chars += 1;
            return consumed;
        }
        if has_semicolon && bytes.get(2) != Some(&b'X') {
            out.push_str(&rest[..consumed]);
        } else {
            self.counts.bad_char_refs += 1;
            out.push_str(&format!("&#{};", u32::from(c)));
        }
        consumed
    }

    fn comment(&mut self) -> bool {
        let Some(end) = self.find(self.pos + 4, "-->") else {
            self.truncated = Some("inside a comment");
            return false;
        };
        let raw = &self.src[self.pos..end + 3];
        self.pos = end + 3;
        if self.capture.is_none() {
            self.out.push_str(raw);
        }
        true
    }

    fn cdata(&mut self) -> bool {
        let Some(end) = self.find(self.pos + 9, "]]>") else {
            self.truncated = Some("inside a CDATA section");
            return false;
        };
        let body = &self.src[self.pos + 9..end];
        let raw = &self.src[self.pos..end + 3];
        self.pos = end + 3;
        if !self.in_root() {
            self.counts.junk_outside_root += 1;
            return true;
        }
        if let Some(capture) = self.capture.as_mut() {
            capture.text.push_str(&escape_text(body));
            return true;
        }
        if body.chars().any(xml_forbidden) {
            self.counts.invalid_chars += 1;
            self.out.push_str("<![CDATA[");
            self.out.extend(body.chars().filter(|&c| !xml_forbidden(c)));
            self.out.push_str("]]>");
        } else {
            self.out.push_str(raw);
        }
        true
    }

    /// `<!DOCTYPE ...>` (with an optional internal subset) or another `<!`
    /// declaration. The DOCTYPE is read for its entities and then dropped:
    /// quick-xml does not expand them, and feeds carry DOCTYPEs mostly by
    /// mistake (XHTML ones pasted on top).
    fn declaration(&mut self) -> bool {
        let bytes = self.bytes;
        let mut i = self.pos + 2;
        let mut bracket = 0usize;
        let mut quote: Option<u8> = None;
        while i < bytes.len() {
            let b = bytes[i];
            match quote {
                Some(q) if b == q => quote = None,
                Some(_) => {}
                None => match b {
                    b'"' | b'\'' => quote = Some(b),
                    b'[' => bracket += 1,
                    b']' => bracket = bracket.saturating_sub(1),
                    b'>' if bracket == 0 => break,
                    _ => {}
                },
            }
            i += 1;
        }
        if i >= bytes.len() {
            self.truncated = Some("inside a DOCTYPE");
            return false;
        }
        let body = &self.src[self.pos..i];
        self.pos = i + 1;
        self.read_dtd_entities(body);
        if self.in_root() {
            self.counts.junk_outside_root += 1;
        }
        true
    }

    /// Collects `<!ENTITY name "value">` declarations (internal, general
    /// entities only; parameter and external entities are ignored).
    fn read_dtd_entities(&mut self, doctype: &str) {
        let mut rest = doctype;
        while let Some(at) = rest.find("<!ENTITY") {
            rest = &rest[at + 8..];
            let decl = rest.trim_start();
            if decl.starts_with('%') {
                continue;
            }
            let name_len = decl.find(|c: char| c.is_whitespace()).unwrap_or(decl.len());
            let name = &decl[..name_len];
            let after = decl[name_len..].trim_start();
            let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                continue;
            };
            let Some(len) = after[1..].find(quote) else {
                continue;
            };
            let raw_value = &after[1..1 + len];
            if self.dtd_entities.len() >= MAX_DTD_ENTITIES || raw_value.len() > MAX_DTD_ENTITY_VALUE
            {
                continue;
            }
            // Character references in a value are expanded when declared;
            // everything else stays literal (no recursion by design).
            let value = expand_char_refs(raw_value);
            self.dtd_entities.insert(name.to_owned(), value);
        }
    }

    fn processing_instruction(&mut self) -> bool {
        let Some(end) = self.find(self.pos + 2, "?>") else {
            self.truncated = Some("inside a processing instruction");
            return false;
        };
        let raw = &self.src[self.pos..end + 2];
        self.pos = end + 2;
        let target: String = raw[2..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '?')
            .collect();
        if target.eq_ignore_ascii_case("xml") {
            // The caller already removed the real declaration; a second one
            // (or one after a comment) is illegal.
            self.counts.misplaced_decl += 1;
            return true;
        }
        if self.capture.is_none() {
            self.out.push_str(raw);
        }
        true
    }

    fn end_tag(&mut self) -> bool {
        let name_start = self.pos + 2;
        let name_len = self.rest()[2..]
            .iter()
            .take_while(|&&b| !is_space(b) && b != b'>' && b != b'<')
            .count();
        let name = &self.src[name_start..name_start + name_len];
        let after = name_start + name_len;
        // One search for whichever comes first: looking for `>` alone
        // would rescan the rest of the document at every broken end tag.
        let stop = self
            .src
            .get(after..)
            .and_then(|r| r.find(['>', '<']))
            .map(|i| i + after);
        let close = match stop {
            Some(i) if self.bytes[i] == b'>' => i + 1,
            Some(i) => {
                self.counts.broken_tags += 1;
                i
            }
            None => {
                self.truncated = Some("inside an end tag");
                return false;
            }
        };
        self.pos = close;
        self.close_element(name);
        true
    }

    fn close_element(&mut self, name: &str) {
        self.in_non_permalink_guid = false;
        if name.is_empty() || self.stack.is_empty() {
            if !name.is_empty() {
                self.counts.stray_end += 1;
            }
            return;
        }
        let found = self.stack.iter().rposition(|o| o.src == name).or_else(|| {
            let i = self
                .stack
                .iter()
                .rposition(|o| o.src.eq_ignore_ascii_case(name));
            if i.is_some() {
                self.counts.case_end += 1;
            }
            i
        });
        let Some(index) = found else {
            self.counts.stray_end += 1;
            return;
        };
        while self.stack.len() > index + 1 {
            if !self.stack.last().is_some_and(|o| o.src.is_empty()) {
                self.counts.unclosed += 1;
            }
            self.pop_element();
        }
        self.pop_element();
        // A synthetic root (CDF's <rss>) closes with the real one.
        if self.stack.len() == 1 && self.stack[0].src.is_empty() {
            self.pop_element();
        }
    }

    fn pop_element(&mut self) {
        let depth = self.stack.len();
        if depth == 1 && self.root.as_deref() == Some("rss") && !self.rss_channel_seen {
            // `<rss></rss>`: feed-rs calls a channel-less document "no
            // root"; it is an empty feed.
            self.counts.missing_channel = true;
            self.out.push_str("<channel></channel>");
        }
        let Some(open) = self.stack.pop() else { return };
        if let (Some(about), false) = (&open.about, open.has_link) {
            // feed-rs drops RSS 1.0 items without <link>; rdf:about is the
            // item's URI ("usually the same as link", says the spec).
            self.counts.rdf_about_links += 1;
            self.out.push_str("<link>");
            self.out.push_str(about);
            self.out.push_str("</link>");
        }
        if let Some(capture) = self.capture.take() {
            if capture.depth != depth {
                self.capture = Some(capture);
            } else if capture.kind == CaptureKind::Base64 {
                self.flush_base64(&capture.text);
            } else {
                self.flush_link_href(&capture.text, open.tag.1);
            }
        }
        self.out.push_str("</");
        self.out.push_str(&open.out);
        self.out.push('>');
        self.low_water = self.low_water.min(self.stack.len());
        if open.is_item {
            if let Some((start, chain)) = self.item_start.take() {
                self.items.push(ItemSpan {
                    start,
                    end: self.out.len(),
                    chain,
                });
            }
            self.checkpoint = Some((self.out.len(), self.stack.len()));
            self.low_water = self.stack.len();
        }
        if self.stack.is_empty() {
            self.root_closed = true;
        }
    }

    /// Moves a `<link>`'s text into its `href`: nothing was written since
    /// the start tag (ending at `tag_end`), so its `>` is the last byte.
    fn flush_link_href(&mut self, text: &str, tag_end: usize) {
        if tag_end != self.out.len() || !self.out.ends_with('>') {
            return;
        }
        let mut href = String::with_capacity(text.len());
        self.escape_into(&mut href, text.trim(), true);
        self.out.truncate(tag_end - 1);
        self.out.push_str(" href=\"");
        self.out.push_str(&href);
        self.out.push_str("\">");
        self.counts.link_text_href += 1;
    }

    fn flush_base64(&mut self, encoded: &str) {
        let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
        match base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
            Ok(decoded) => {
                let text = String::from_utf8_lossy(&decoded).into_owned();
                let mut out = std::mem::take(&mut self.out);
                for c in text.chars() {
                    match c {
                        '&' => out.push_str("&amp;"),
                        '<' => out.push_str("&lt;"),
                        c if xml_forbidden(c) => {}
                        c => out.push(c),
                    }
                }
                self.out = out;
            }
            Err(_) => {
                let mut out = std::mem::take(&mut self.out);
                self.escape_into(&mut out, encoded, false);
                self.out = out;
            }
        }
    }

    /// Parses a start tag at `pos`; writes it (repaired when needed).
    fn start_tag(&mut self) -> bool {
        let tag_start = self.pos;
        let bytes = self.bytes;
        let mut i = tag_start + 1;
        while i < bytes.len() && !is_space(bytes[i]) && !matches!(bytes[i], b'>' | b'/' | b'<') {
            i += 1;
        }
        let name = &self.src[tag_start + 1..i];
        let mut attrs: Vec<Attr<'a>> = Vec::new();
        let mut dirty = false;
        let mut self_closing = false;
        let end;
        loop {
            while i < bytes.len() && is_space(bytes[i]) {
                i += 1;
            }
            let Some(&b) = bytes.get(i) else {
                self.truncated = Some("inside a start tag");
                return false;
            };
            match b {
                b'>' => {
                    end = i + 1;
                    break;
                }
                b'/' if bytes.get(i + 1) == Some(&b'>') => {
                    self_closing = true;
                    end = i + 2;
                    break;
                }
                b'/' => {
                    dirty = true;
                    i += 1;
                }
                b'<' => {
                    // A tag that never closed: end it here.
                    self.counts.broken_tags += 1;
                    dirty = true;
                    end = i;
                    break;
                }
                _ => {
                    let name_from = i;
                    while i < bytes.len()
                        && !is_space(bytes[i])
                        && !matches!(bytes[i], b'=' | b'>' | b'<')
                    {
                        if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'>') {
                            break;
                        }
                        i += 1;
                    }
                    let attr_name = &self.src[name_from..i];
                    let mut j = i;
                    while j < bytes.len() && is_space(bytes[j]) {
                        j += 1;
                    }
                    if bytes.get(j) != Some(&b'=') {
                        attrs.push(Attr {
                            name: attr_name,
                            raw: None,
                            quote: b'"',
                        });
                        dirty = true;
                        continue;
                    }
                    j += 1;
                    while j < bytes.len() && is_space(bytes[j]) {
                        j += 1;
                    }
                    match bytes.get(j) {
                        Some(&q @ (b'"' | b'\'')) => {
                            let Some(close) = self.src.get(j + 1..).and_then(|r| r.find(q as char))
                            else {
                                self.truncated = Some("inside an attribute value");
                                return false;
                            };
                            attrs.push(Attr {
                                name: attr_name,
                                raw: Some(&self.src[j + 1..j + 1 + close]),
                                quote: q,
                            });
                            i = j + 2 + close;
                        }
                        Some(_) => {
                            let from = j;
                            while j < bytes.len()
                                && !is_space(bytes[j])
                                && !matches!(bytes[j], b'>' | b'<')
                            {
                                j += 1;
                            }
                            attrs.push(Attr {
                                name: attr_name,
                                raw: Some(&self.src[from..j]),
                                quote: b'"',
                            });
                            dirty = true;
                            i = j;
                        }
                        None => {
                            self.truncated = Some("inside a start tag");
                            return false;
                        }
                    }
                }
            }
        }
        self.pos = end;
        if self.root_closed {
            self.counts.junk_outside_root += 1;
            return true;
        }
        if self.capture.is_some() {
            return true;
        }
        let raw_tag = &self.src[tag_start..end];
        self.emit_start(name, attrs, dirty, self_closing, raw_tag);
        true
    }

    fn emit_start(
        &mut self,
        name: &str,
        mut attrs: Vec<Attr<'_>>,
        mut dirty: bool,
        self_closing: bool,
        raw_tag: &str,
    ) {
        let first = !self.root_seen;
        if first {
            self.root_seen = true;
            self.start_root(name, &attrs);
        }
        if let Some(prefix) = prefix_of(name) {
            self.used_prefixes.insert(prefix.to_owned());
        }
        // Attribute-level repairs and namespace bookkeeping.
        let mut seen = BTreeSet::new();
        let mut values: Vec<(String, String)> = Vec::with_capacity(attrs.len());
        for attr in attrs.drain(..) {
            if !seen.insert(attr.name) {
                self.counts.attributes += 1;
                dirty = true;
                continue;
            }
            if attr.name.is_empty() || !is_name_start(attr.name.as_bytes()[0]) {
                self.counts.attributes += 1;
                dirty = true;
                continue;
            }
            let raw = match attr.raw {
                Some(raw) => raw,
                None => {
                    self.counts.attributes += 1;
                    attr.name
                }
            };
            let mut value = String::with_capacity(raw.len());
            self.escape_into(&mut value, raw, true);
            if value != raw || attr.quote != b'"' && raw.contains('"') {
                dirty = true;
            }
            if attr.name == "xmlns" || attr.name.starts_with("xmlns:") {
                let prefix = attr.name.strip_prefix("xmlns:").unwrap_or("");
                self.declared_prefixes.insert(prefix.to_owned());
                if value.trim() == ATOM03_NS {
                    self.atom03_prefixes.insert(prefix.to_owned());
                    value = ATOM10_NS.to_owned();
                    dirty = true;
                } else if value.trim() == RSS090_NS {
                    // RSS 0.90 is RSS 1.0's ancestor with the same element
                    // names; feed-rs only knows the 1.0 namespace.
                    value = RSS10_NS.to_owned();
                    self.counts.namespaces += 1;
                    dirty = true;
                } else if first && prefix.is_empty() {
                    match self.root.as_deref() {
                        // feed-rs reads unqualified RSS elements only.
                        Some("rss") => {
                            self.counts.namespaces += 1;
                            dirty = true;
                            continue;
                        }
                        Some("feed" | "entry") if value.trim() != ATOM10_NS => {
                            value = ATOM10_NS.to_owned();
                            self.counts.namespaces += 1;
                            dirty = true;
                        }
                        _ => {}
                    }
                }
            } else if let Some(prefix) = prefix_of(attr.name) {
                self.used_prefixes.insert(prefix.to_owned());
            }
            if attr.name == "xml:base" && xml_base_unusable(&value) {
                self.counts.bad_xml_base += 1;
                dirty = true;
                continue;
            }
            values.push((attr.name.to_owned(), value));
        }
        let mut out_name = name.to_owned();
        if first {
            if self.rss_version_fix.is_some() {
                values.retain(|(n, _)| n != "version");
                values.push(("version".to_owned(), "2.0".to_owned()));
                dirty = true;
            }
            if self.dialect == Dialect::Atom03 {
                values.retain(|(n, _)| n != "version");
                dirty = true;
            }
            if local_name(name) == "rdf" {
                // feed-rs matches the root's local name `RDF` exactly.
                self.counts.rdf_root_case = true;
                out_name = match prefix_of(name) {
                    Some(p) => format!("{p}:RDF"),
                    None => "RDF".to_owned(),
                };
                dirty = true;
            }
        }
        let mut base64_mode = false;
        if self.dialect == Dialect::Atom03 && self.in_atom03(name) {
            if let Some(renamed) = atom03_rename(
                local_name(name),
                self.stack.last().map(|o| local_name(&o.src)),
            ) {
                out_name = match prefix_of(name) {
                    Some(p) => format!("{p}:{renamed}"),
                    None => renamed.to_owned(),
                };
                dirty = true;
            }
            if is_text_construct(local_name(&out_name)) {
                let mode = take_attr(&mut values, "mode");
                let old_type = take_attr(&mut values, "type");
                let new_type = atom03_type(mode.as_deref(), old_type.as_deref());
                base64_mode = mode
                    .as_deref()
                    .is_some_and(|m| m.eq_ignore_ascii_case("base64"));
                values.push(("type".to_owned(), new_type.to_owned()));
                dirty = true;
            }
        } else if self.dialect == Dialect::Atom10
            && is_text_construct(local_name(name))
            && prefix_of(name).is_none_or(|p| p == "atom")
        {
            let has_src = values.iter().any(|(n, _)| n == "src");
            if let Some(index) = values.iter().position(|(n, _)| n == "type") {
                let fixed = atom10_type(local_name(name), &values[index].1, has_src);
                if fixed != values[index].1 {
                    values[index].1 = fixed;
                    self.counts.atom_types += 1;
                    dirty = true;
                }
            }
        }

        let atom = matches!(self.dialect, Dialect::Atom10 | Dialect::Atom03);
        let atom_element = atom && prefix_of(name).is_none_or(|p| p == "atom");
        if atom_element && self.stack.len() == 1 && local_name(name) == "item" {
            // RSS habits in Atom feeds: an <item> where <entry> belongs.
            out_name = "entry".to_owned();
            self.counts.atom_items += 1;
            dirty = true;
        }
        let link_without_href = atom_element
            && !self_closing
            && local_name(name) == "link"
            && !values.iter().any(|(n, _)| n == "href");
        if self.root.as_deref() == Some("rss")
            && self.stack.len() == 1
            && matches!(
                local_name(name).to_ascii_lowercase().as_str(),
                "item" | "title" | "link" | "description"
            )
        {
            self.open_synthetic_channel();
        }
        self.in_non_permalink_guid = !self_closing
            && local_name(name) == "guid"
            && values.iter().any(|(n, v)| {
                n.eq_ignore_ascii_case("isPermaLink") && v.trim().eq_ignore_ascii_case("false")
            });
        if self.stack.len() == 1 && local_name(name).eq_ignore_ascii_case("channel") {
            self.rss_channel_seen = true;
        }
        if self.dialect == Dialect::Cdf {
            self.emit_cdf_start(name, &values, self_closing);
            return;
        }
        let depth = self.stack.len();
        let too_deep = depth >= MAX_DEPTH && !self_closing;
        if too_deep {
            self.counts.too_deep += 1;
            dirty = true;
        }
        let is_item = depth > 0 && depth < MAX_ITEM_DEPTH && {
            let local = local_name(name);
            local.eq_ignore_ascii_case("item") || local.eq_ignore_ascii_case("entry")
        };
        if is_item {
            self.items_seen += 1;
            if !self_closing && self.item_start.is_none() {
                let chain = self.current_chain();
                self.item_start = Some((self.out.len(), chain));
            }
        }
        let tag_from = self.out.len();
        if dirty {
            self.out.push('<');
            self.out.push_str(&out_name);
            if first {
                self.root_insert_at = Some(self.out.len());
            }
            for (n, v) in &values {
                self.out.push(' ');
                self.out.push_str(n);
                self.out.push_str("=\"");
                self.out.push_str(v);
                self.out.push('"');
            }
            self.out
                .push_str(if self_closing || too_deep { "/>" } else { ">" });
        } else {
            if first {
                self.root_insert_at = Some(self.out.len() + 1 + name.len());
            }
            self.out.push_str(raw_tag);
        }
        if self_closing || too_deep {
            if first {
                self.root_closed = true;
            }
            return;
        }
        let about = if is_item && self.root.as_deref() == Some("rdf") {
            values
                .iter()
                .find(|(n, _)| local_name(n) == "about")
                .map(|(_, v)| v.clone())
        } else {
            None
        };
        if depth > 0 && local_name(name) == "link" {
            if let Some(parent) = self.stack.last_mut() {
                parent.has_link = true;
            }
        }
        self.stack.push(Open {
            src: name.to_owned(),
            out: out_name,
            tag: (tag_from, self.out.len()),
            is_item,
            about,
            has_link: false,
        });
        let kind = if base64_mode {
            Some(CaptureKind::Base64)
        } else if link_without_href {
            Some(CaptureKind::LinkHref)
        } else {
            None
        };
        if let Some(kind) = kind {
            self.capture = Some(Capture {
                depth: self.stack.len(),
                text: String::new(),
                kind,
            });
        }
    }

    /// A CDF element as its RSS 2.0 counterpart: `<CHANNEL HREF>` becomes
    /// `<rss><channel><link>`, `<ITEM HREF>` `<item><link>`, `<ABSTRACT>`
    /// `<description>`. Other elements keep their names (feed-rs skips
    /// them).
    fn emit_cdf_start(&mut self, name: &str, values: &[(String, String)], self_closing: bool) {
        let attr = |n: &str| {
            values
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.as_str())
        };
        let lower = local_name(name).to_ascii_lowercase();
        let depth = self.stack.len();
        let (out_name, link) = match lower.as_str() {
            "channel" if depth == 0 => {
                self.counts.cdf = true;
                let from = self.out.len();
                self.out.push_str("<rss");
                self.root_insert_at = Some(self.out.len());
                self.out.push_str(" version=\"2.0\">");
                self.stack
                    .push(Open::synthetic("rss", (from, self.out.len())));
                ("channel", attr("href"))
            }
            "item" => ("item", attr("href")),
            "title" => ("title", None),
            "abstract" => ("description", None),
            _ => (name, None),
        };
        let is_item = out_name == "item" && depth <= MAX_ITEM_DEPTH;
        if is_item {
            self.items_seen += 1;
            if !self_closing && self.item_start.is_none() {
                let chain = self.current_chain();
                self.item_start = Some((self.out.len(), chain));
            }
        }
        let from = self.out.len();
        self.out.push('<');
        self.out.push_str(out_name);
        if let Some(base) = attr("base").filter(|b| !xml_base_unusable(b)) {
            self.out.push_str(" xml:base=\"");
            self.out.push_str(base);
            self.out.push('"');
        }
        self.out.push('>');
        let tag = (from, self.out.len());
        if let Some(href) = link {
            self.out.push_str("<link>");
            self.out.push_str(href);
            self.out.push_str("</link>");
        }
        if self_closing || self.stack.len() >= MAX_DEPTH {
            self.out.push_str("</");
            self.out.push_str(out_name);
            self.out.push('>');
            return;
        }
        self.stack.push(Open {
            src: name.to_owned(),
            out: out_name.to_owned(),
            tag,
            is_item,
            about: None,
            has_link: false,
        });
    }

    /// `<rss>` whose items sit directly under it: feed-rs needs the
    /// `<channel>` the author left out. It stays open until `</rss>`.
    fn open_synthetic_channel(&mut self) {
        self.counts.missing_channel = true;
        self.rss_channel_seen = true;
        let from = self.out.len();
        self.out.push_str("<channel>");
        // An empty source name never matches an end tag, so only the
        // root's end closes it.
        self.stack
            .push(Open::synthetic("channel", (from, self.out.len())));
    }

    /// The open tags and close tags around the current position, stored
    /// once per distinct chain.
    fn current_chain(&mut self) -> usize {
        // Items share their ancestors: compare positions, not text, so a
        // huge root tag is copied once, not once per item.
        let key: Vec<(usize, usize)> = self.stack.iter().map(|o| o.tag).collect();
        if let Some((last_key, index)) = &self.last_chain {
            if *last_key == key {
                return *index;
            }
        }
        let mut open = String::new();
        let mut close = String::new();
        for o in &self.stack {
            open.push_str(self.out.get(o.tag.0..o.tag.1).unwrap_or_default());
        }
        for o in self.stack.iter().rev() {
            close.push_str("</");
            close.push_str(&o.out);
            close.push('>');
        }
        self.chains.push(Chain { open, close });
        let index = self.chains.len() - 1;
        self.last_chain = Some((key, index));
        index
    }

    fn in_atom03(&self, name: &str) -> bool {
        self.atom03_prefixes.contains(prefix_of(name).unwrap_or(""))
    }

    fn start_root(&mut self, name: &str, attrs: &[Attr<'_>]) {
        let local = local_name(name).to_ascii_lowercase();
        let attr = |n: &str| {
            attrs
                .iter()
                .find(|a| a.name == n)
                .map(|a| a.raw.unwrap_or("").trim().to_owned())
        };
        match local.as_str() {
            "rss" => {
                let version = attr("version");
                if !matches!(version.as_deref(), Some("2.0" | "0.91" | "0.92")) {
                    self.rss_version_fix = Some(version.unwrap_or_default());
                }
            }
            "feed" | "entry" => {
                let ns = attrs
                    .iter()
                    .find(|a| a.name == "xmlns")
                    .and_then(|a| a.raw)
                    .map(str::trim);
                let prefixed_03 = attrs.iter().any(|a| {
                    a.name.starts_with("xmlns:") && a.raw.map(str::trim) == Some(ATOM03_NS)
                });
                let version = attr("version");
                let old_version = version.as_deref().is_some_and(|v| v.starts_with("0."));
                let is_03 =
                    ns == Some(ATOM03_NS) || prefixed_03 || (ns != Some(ATOM10_NS) && old_version);
                self.dialect = if is_03 {
                    Dialect::Atom03
                } else {
                    Dialect::Atom10
                };
                if is_03 && ns != Some(ATOM03_NS) && !prefixed_03 {
                    // 0.3 by its version attribute only: unqualified names
                    // are the Atom ones.
                    self.atom03_prefixes.insert(String::new());
                }
            }
            "channel" => self.dialect = Dialect::Cdf,
            _ => {}
        }
        self.root = Some(local);
    }

    fn finish(mut self) -> Scan {
        if self.truncated.is_none() && !self.stack.is_empty() {
            self.truncated = Some("before its end tags");
        }
        let mut repairs = Vec::new();
        if let Some(place) = self.truncated {
            let inside_item = self.stack.iter().any(|o| o.is_item);
            let mut dropped_partial = false;
            if inside_item {
                if let Some((len, depth)) = self
                    .checkpoint
                    .filter(|&(_, d)| self.low_water >= d && d <= self.stack.len())
                {
                    self.out.truncate(len);
                    self.stack.truncate(depth);
                    dropped_partial = true;
                } else if let Some((start, _)) = self.item_start {
                    // No complete item before it: drop the partial one.
                    let depth = self
                        .stack
                        .iter()
                        .position(|o| o.is_item)
                        .unwrap_or(self.stack.len());
                    self.out.truncate(start);
                    self.stack.truncate(depth);
                    dropped_partial = true;
                }
                self.item_start = None;
            }
            self.capture = None;
            let open = self.stack.len();
            while !self.stack.is_empty() {
                self.pop_element();
            }
            if self.root_seen {
                repairs.push(format!(
                    "truncated document (ended {place}): closed {open} open element(s){}",
                    if dropped_partial {
                        ", dropped the incomplete last item"
                    } else {
                        ""
                    }
                ));
            }
        }
        self.items.retain(|span| span.end > span.start);
        let c = &self.counts;
        if let Some(version) = &self.rss_version_fix {
            repairs.push(if version.is_empty() {
                "<rss> without a version read as RSS 2.0".to_owned()
            } else {
                format!("<rss version=\"{version}\"> read as RSS 2.0")
            });
        }
        if self.dialect == Dialect::Atom03 {
            repairs.push("Atom 0.3 rewritten as Atom 1.0".to_owned());
        }
        if c.cdf {
            repairs.push("CDF channel rewritten as RSS 2.0".to_owned());
        }
        if c.missing_channel {
            repairs.push("added the missing <channel> inside <rss>".to_owned());
        }
        let mut push = |n: usize, what: &str| {
            if n > 0 {
                repairs.push(format!("{what} ({n})"));
            }
        };
        push(c.invalid_chars, "dropped characters XML forbids");
        push(c.dtd_entities, "expanded entities declared in the DOCTYPE");
        push(c.bare_amp, "escaped bare '&'");
        push(c.bad_char_refs, "fixed malformed character references");
        push(c.bare_lt, "escaped bare '<'");
        push(c.unclosed, "closed unclosed elements");
        push(c.stray_end, "dropped stray end tags");
        push(c.case_end, "matched end tags by case-insensitive name");
        push(c.broken_tags, "closed unterminated tags");
        push(c.attributes, "repaired attributes");
        push(c.bad_xml_base, "dropped unusable xml:base");
        push(
            c.junk_outside_root,
            "dropped content outside the root element",
        );
        push(c.misplaced_decl, "dropped misplaced XML declarations");
        push(c.too_deep, "flattened elements nested too deep");
        push(c.atom_types, "normalized Atom text types");
        push(c.namespaces, "replaced unknown or obsolete feed namespaces");
        push(
            c.rdf_about_links,
            "used rdf:about as the link of RSS 1.0 items without one",
        );
        push(c.atom_items, "read <item> in an Atom feed as <entry>");
        push(c.link_text_href, "moved Atom <link> text into href");
        if c.rdf_root_case {
            repairs.push("<rdf> root read as <RDF>".to_owned());
        }
        if c.html_entity_count > 0 {
            let names: Vec<String> = c.html_entities.iter().map(|n| format!("&{n};")).collect();
            repairs.insert(
                0,
                format!(
                    "HTML entities undeclared in XML: {} ({})",
                    names.join(" "),
                    c.html_entity_count
                ),
            );
        }
        let undeclared: Vec<String> = self
            .used_prefixes
            .iter()
            .filter(|p| {
                !matches!(p.as_str(), "xml" | "xmlns") && !self.declared_prefixes.contains(*p)
            })
            .cloned()
            .collect();
        if let (false, Some(at)) = (undeclared.is_empty(), self.root_insert_at) {
            let mut decls = String::new();
            for prefix in &undeclared {
                let uri = KNOWN_PREFIXES
                    .iter()
                    .find(|(p, _)| p.eq_ignore_ascii_case(prefix))
                    .map(|(_, uri)| (*uri).to_owned())
                    .unwrap_or_else(|| format!("urn:feedsift:undeclared:{prefix}"));
                decls.push_str(&format!(" xmlns:{prefix}=\"{uri}\""));
            }
            if at <= self.out.len() && self.out.is_char_boundary(at) {
                self.out.insert_str(at, &decls);
                let shift = decls.len();
                for span in &mut self.items {
                    span.start += shift;
                    span.end += shift;
                }
                for chain in &mut self.chains {
                    if let Some(gt) = chain.open.find(['>', ' ', '/']) {
                        chain.open.insert_str(gt, &decls);
                    }
                }
                repairs.push(format!(
                    "declared undeclared namespace prefixes: {}",
                    undeclared.join(", ")
                ));
            }
        }
        Scan {
            text: self.out,
            repairs,
            items_seen: self.items_seen,
            root: self.root,
            items: self.items,
            chains: self.chains,
            non_permalink_guids: self.non_permalink_guids,
        }
    }
}

fn take_attr(values: &mut Vec<(String, String)>, name: &str) -> Option<String> {
    let index = values.iter().position(|(n, _)| n == name)?;
    Some(values.remove(index).1)
}

/// The text an XML parser reports for `escaped`, for the predefined
/// entities and character references (what guids contain in practice).
fn unescape_basic(escaped: &str) -> String {
    expand_char_refs(escaped)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// `&`, `<` and `>` escaped: CDATA content as ordinary text.
fn escape_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `xml:base` values feed-rs rejects outright (anything `Url::parse` fails
/// on other than "relative"), which would lose the whole feed.
fn xml_base_unusable(value: &str) -> bool {
    match url::Url::parse(value.trim()) {
        Ok(_) | Err(url::ParseError::RelativeUrlWithoutBase) => false,
        Err(_) => true,
    }
}

fn expand_char_refs(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find("&#") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 2..];
        let (radix, digits_from) = if tail.starts_with(['x', 'X']) {
            (16, 1)
        } else {
            (10, 0)
        };
        let parsed = tail.find(';').and_then(|semi| {
            let c = u32::from_str_radix(tail.get(digits_from..semi)?, radix)
                .ok()
                .and_then(char::from_u32)?;
            Some((c, semi))
        });
        match parsed {
            Some((c, semi)) => {
                out.push(c);
                rest = &tail[semi + 1..];
            }
            None => {
                out.push_str("&#");
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Atom text constructs (and content), whose `type` feed-rs checks.
fn is_text_construct(local: &str) -> bool {
    matches!(
        local,
        "title" | "subtitle" | "summary" | "content" | "rights"
    )
}

/// Atom 0.3 element names with an Atom 1.0 equivalent.
fn atom03_rename(local: &str, parent: Option<&str>) -> Option<&'static str> {
    Some(match local {
        "issued" => "published",
        "modified" => "updated",
        "tagline" => "subtitle",
        "copyright" => "rights",
        "url" if matches!(parent, Some("author" | "contributor")) => "uri",
        _ => return None,
    })
}

/// Atom 1.0 `type` for an Atom 0.3 `mode`/`type` pair.
fn atom03_type(mode: Option<&str>, old_type: Option<&str>) -> &'static str {
    let old_type = old_type.map(str::to_ascii_lowercase).unwrap_or_default();
    let mode = mode.map(str::to_ascii_lowercase).unwrap_or_default();
    let html_ish = old_type.contains("html");
    match mode.as_str() {
        "escaped" | "base64" if html_ish => "html",
        "escaped" | "base64" => "text",
        // mode="xml", the default: the element's children are the value,
        // markup included (feeds put undeclared `<b>` in titles).
        _ if old_type.is_empty() || old_type.contains("html") || old_type == "text/plain" => {
            "xhtml"
        }
        _ => "text",
    }
}

/// Repairs an Atom 1.0 `type` that feed-rs would reject. Out-of-line
/// content (`src=`) must name a MIME type, and feed-rs insists.
fn atom10_type(local: &str, value: &str, has_src: bool) -> String {
    let lower = value.trim().to_ascii_lowercase();
    if has_src && local == "content" {
        let mime = match lower.as_str() {
            "text" => "text/plain",
            "html" => "text/html",
            "xhtml" => "application/xhtml+xml",
            _ => return value.to_owned(),
        };
        return mime.to_owned();
    }
    let mapped = match lower.as_str() {
        "text" | "html" | "xhtml" => lower.clone(),
        "text/plain" => "text".to_owned(),
        "text/html" => "html".to_owned(),
        "application/xhtml+xml" => "xhtml".to_owned(),
        // content may carry any MIME type; feed-rs parses those itself.
        other if local == "content" && other.contains('/') => return value.to_owned(),
        _ => "text".to_owned(),
    };
    if mapped == value {
        value.to_owned()
    } else {
        mapped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repaired(text: &str) -> Scan {
        scan(text)
    }

    #[test]
    fn clean_document_is_untouched() {
        let doc = "<rss version=\"2.0\"><channel><title>A &amp; B</title><item><title>x</title></item></channel></rss>";
        let s = repaired(doc);
        assert!(s.repairs.is_empty(), "{:?}", s.repairs);
        assert_eq!(s.text, doc);
        assert_eq!(s.items_seen, 1);
        assert_eq!(s.items.len(), 1);
    }

    #[test]
    fn html_entities_become_numeric() {
        let s = repaired(
            "<rss version=\"2.0\"><channel><title>a&nbsp;b&mdash;c&eacute;</title></channel></rss>",
        );
        assert!(s.text.contains("a&#160;b&#8212;c&#233;"), "{}", s.text);
        assert!(s.repairs[0].contains("&nbsp;"), "{:?}", s.repairs);
    }

    #[test]
    fn bare_ampersands_and_lt_are_escaped() {
        let s = repaired(
            "<rss version=\"2.0\"><channel><title>Q&A & more < less</title><link>http://x/?a=1&b=2</link></channel></rss>",
        );
        assert!(
            s.text.contains("Q&amp;A &amp; more &lt; less"),
            "{}",
            s.text
        );
        assert!(s.text.contains("a=1&amp;b=2"), "{}", s.text);
    }

    #[test]
    fn forbidden_characters_are_dropped() {
        let s = repaired(
            "<rss version=\"2.0\"><channel><title>a\u{1}b\u{FFFF}c&#0;d</title></channel></rss>",
        );
        assert!(s.text.contains("<title>abcd</title>"), "{}", s.text);
        assert!(s.repairs.iter().any(|r| r.contains("forbids")));
    }

    #[test]
    fn odd_rss_versions_read_as_2_0() {
        for root in [
            "<rss>",
            "<rss version=\"\">",
            "<rss version=\"0.94\">",
            "<rss version='2.01'>",
        ] {
            let s = repaired(&format!("{root}<channel><title>t</title></channel></rss>"));
            assert!(
                s.text.starts_with("<rss version=\"2.0\">"),
                "{root}: {}",
                s.text
            );
            assert!(s.repairs.iter().any(|r| r.contains("RSS 2.0")), "{root}");
        }
        assert!(
            repaired("<rss version=\"0.91\"><channel/></rss>")
                .repairs
                .is_empty()
        );
    }

    #[test]
    fn truncated_document_keeps_complete_items() {
        let s = repaired(
            "<rss version=\"2.0\"><channel><title>t</title><item><title>one</title></item><item><title>tw",
        );
        assert_eq!(
            s.text,
            "<rss version=\"2.0\"><channel><title>t</title><item><title>one</title></item></channel></rss>"
        );
        assert!(
            s.repairs.iter().any(|r| r.starts_with("truncated")),
            "{:?}",
            s.repairs
        );
        let s = repaired("<rss version=\"2.0\"><channel><title>t</title><item><title><![CD");
        assert_eq!(
            s.text,
            "<rss version=\"2.0\"><channel><title>t</title></channel></rss>"
        );
    }

    #[test]
    fn mismatched_tags_are_balanced() {
        let s = repaired(
            "<rss version=\"2.0\"><channel><item><description>a<br>b</description></item></foo></channel></rss>",
        );
        assert!(
            s.text
                .contains("<description>a<br>b</br></description></item></channel>"),
            "{}",
            s.text
        );
    }

    #[test]
    fn atom03_becomes_atom10() {
        let s = repaired(concat!(
            "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><tagline>t</tagline>",
            "<entry><issued>2004-01-01T00:00:00Z</issued><author><url>http://a/</url></author>",
            "<content type=\"text/html\" mode=\"escaped\">&lt;b&gt;x&lt;/b&gt;</content>",
            "<summary mode=\"base64\" type=\"text/plain\">aGVsbG8gJiB3b3JsZA==</summary></entry></feed>"
        ));
        assert!(
            s.text
                .starts_with("<feed xmlns=\"http://www.w3.org/2005/Atom\">"),
            "{}",
            s.text
        );
        assert!(
            s.text.contains("<subtitle type=\"xhtml\">t</subtitle>"),
            "{}",
            s.text
        );
        assert!(
            s.text
                .contains("<published>2004-01-01T00:00:00Z</published>"),
            "{}",
            s.text
        );
        assert!(s.text.contains("<uri>http://a/</uri>"), "{}", s.text);
        assert!(
            s.text
                .contains("<content type=\"html\">&lt;b&gt;x&lt;/b&gt;</content>"),
            "{}",
            s.text
        );
        assert!(
            s.text
                .contains("<summary type=\"text\">hello &amp; world</summary>"),
            "{}",
            s.text
        );
    }

    #[test]
    fn undeclared_prefixes_are_declared() {
        let s = repaired(
            "<rss version=\"2.0\"><channel><dc:creator>me</dc:creator><foo:bar/></channel></rss>",
        );
        let dc = KNOWN_PREFIXES
            .iter()
            .find(|(p, _)| *p == "dc")
            .map(|(_, uri)| *uri)
            .unwrap_or_default();
        assert!(
            s.text.starts_with(&format!(
                "<rss xmlns:dc=\"{dc}\" xmlns:foo=\"urn:feedsift:undeclared:foo\" version"
            )),
            "{}",
            s.text
        );
    }

    #[test]
    fn doctype_entities_are_expanded_and_doctype_dropped() {
        let s = repaired(
            "<!DOCTYPE rss [<!ENTITY copy2 \"&#169; me\">]><rss version=\"2.0\"><channel><title>&copy2;</title></channel></rss>",
        );
        assert!(s.text.contains("<title>\u{a9} me</title>"), "{}", s.text);
        assert!(!s.text.contains("DOCTYPE"));
    }

    #[test]
    fn attributes_are_repaired() {
        let s = repaired(
            "<feed xmlns=\"http://www.w3.org/2005/Atom\"><link href=a&b rel=alternate rel=x nowrap/></feed>",
        );
        assert!(
            s.text
                .contains("<link href=\"a&amp;b\" rel=\"alternate\" nowrap=\"nowrap\"/>"),
            "{}",
            s.text
        );
    }

    #[test]
    fn items_can_be_extracted_one_by_one() {
        let s = repaired(
            "<rss version=\"2.0\"><channel><title>t</title><item><title>a</title></item><item><title>b</title></item></channel></rss>",
        );
        assert_eq!(s.items.len(), 2);
        assert_eq!(
            s.item_document(1).as_deref(),
            Some("<rss version=\"2.0\"><channel><item><title>b</title></item></channel></rss>")
        );
        assert_eq!(
            s.header_document(),
            "<rss version=\"2.0\"><channel><title>t</title></channel></rss>"
        );
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let doc = format!(
            "<rss version=\"2.0\"><channel>{}</channel></rss>",
            "<a>".repeat(100_000)
        );
        let s = repaired(&doc);
        assert!(s.text.len() < doc.len() * 3);
    }
}
