//! Tags: start tags are read leniently (unquoted, bare, duplicate and
//! broken attributes repaired) and written back, repaired only when
//! needed; end tags close what was left open inside them; the stack of
//! open elements remembers where each item starts so a document cut short
//! can be closed after its last complete item.

use std::collections::BTreeSet;

use super::CaptureKind;
use super::{
    Capture, ItemSpan, MAX_DEPTH, MAX_ITEM_DEPTH, Scanner, is_name_start, is_space, local_name,
    prefix_of,
};

/// One element on the stack of open elements.
pub(super) struct Open {
    /// Name as written in the source, to match end tags against.
    pub(super) src: String,
    /// Name written to the output (differs after Atom 0.3 renames).
    pub(super) out: String,
    /// Where this element's start tag sits in the output.
    pub(super) tag: (usize, usize),
    pub(super) is_item: bool,
    /// For RSS 1.0 items: `rdf:about`, and whether a `<link>` child was seen.
    pub(super) about: Option<String>,
    pub(super) has_link: bool,
}

impl Open {
    /// An element the source left out; its empty source name never matches
    /// an end tag, so it closes with its parent.
    pub(super) fn synthetic(name: &str, tag: (usize, usize)) -> Open {
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

/// One attribute as found in a start tag.
pub(super) struct Attr<'a> {
    pub(super) name: &'a str,
    /// Raw value between the quotes (None: a bare attribute name).
    pub(super) raw: Option<&'a str>,
    quote: u8,
}

/// A start tag as read from the source.
struct RawTag<'a> {
    attrs: Vec<Attr<'a>>,
    /// Something in the tag needs rewriting (unquoted or bare attributes,
    /// a stray `/`, a missing `>`).
    dirty: bool,
    self_closing: bool,
    /// Where the tag ends in the source.
    end: usize,
}

/// A start tag on its way to the output.
pub(super) struct StartTag<'n> {
    /// Name as written in the source.
    pub(super) name: &'n str,
    /// Name to write (Atom 0.3 renames, `<rdf>` root case).
    pub(super) out_name: String,
    /// Attributes to write, values escaped.
    pub(super) values: Vec<(String, String)>,
    /// The tag must be written from `out_name` and `values` rather than
    /// copied from the source.
    pub(super) dirty: bool,
    pub(super) self_closing: bool,
    /// This is the root element.
    pub(super) first: bool,
}

impl<'a> Scanner<'a> {
    pub(super) fn end_tag(&mut self) -> bool {
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

    pub(super) fn pop_element(&mut self) {
        let depth = self.stack.len();
        if depth == 1 && self.root.as_deref() == Some("rss") && !self.rss_channel_seen {
            // `<rss></rss>`: an empty feed, given its empty channel.
            self.counts.missing_channel = true;
            self.out.push_str("<channel></channel>");
        }
        let Some(open) = self.stack.pop() else { return };
        if let (Some(about), false) = (&open.about, open.has_link) {
            // An RSS 1.0 item without <link>: rdf:about is the item's URI
            // ("usually the same as link", says the spec).
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

    /// Parses a start tag at `pos`; writes it (repaired when needed).
    pub(super) fn start_tag(&mut self) -> bool {
        let tag_start = self.pos;
        let bytes = self.bytes;
        let mut i = tag_start + 1;
        while i < bytes.len() && !is_space(bytes[i]) && !matches!(bytes[i], b'>' | b'/' | b'<') {
            i += 1;
        }
        let name = &self.src[tag_start + 1..i];
        let Some(raw) = self.read_attributes(i) else {
            return false;
        };
        self.pos = raw.end;
        if self.root_closed {
            self.counts.junk_outside_root += 1;
            return true;
        }
        if self.capture.is_some() {
            return true;
        }
        let raw_tag = &self.src[tag_start..raw.end];
        self.emit_start(name, raw, raw_tag);
        true
    }

    /// Reads the attributes of a start tag from `i` (just after its name)
    /// to its end. None when the document ends inside the tag.
    fn read_attributes(&mut self, mut i: usize) -> Option<RawTag<'a>> {
        let bytes = self.bytes;
        let mut tag = RawTag {
            attrs: Vec::new(),
            dirty: false,
            self_closing: false,
            end: 0,
        };
        loop {
            while i < bytes.len() && is_space(bytes[i]) {
                i += 1;
            }
            let Some(&b) = bytes.get(i) else {
                self.truncated = Some("inside a start tag");
                return None;
            };
            match b {
                b'>' => {
                    tag.end = i + 1;
                    return Some(tag);
                }
                b'/' if bytes.get(i + 1) == Some(&b'>') => {
                    tag.self_closing = true;
                    tag.end = i + 2;
                    return Some(tag);
                }
                b'/' => {
                    tag.dirty = true;
                    i += 1;
                }
                b'<' => {
                    // A tag that never closed: end it here.
                    self.counts.broken_tags += 1;
                    tag.dirty = true;
                    tag.end = i;
                    return Some(tag);
                }
                _ => {
                    let (attr, next, dirty) = self.read_attribute(i)?;
                    tag.attrs.push(attr);
                    tag.dirty |= dirty;
                    i = next;
                }
            }
        }
    }

    /// One attribute starting at `i`: the attribute, where reading goes on,
    /// and whether it needs rewriting (bare or unquoted). None when the
    /// document ends inside it.
    fn read_attribute(&mut self, mut i: usize) -> Option<(Attr<'a>, usize, bool)> {
        let bytes = self.bytes;
        let name_from = i;
        while i < bytes.len() && !is_space(bytes[i]) && !matches!(bytes[i], b'=' | b'>' | b'<') {
            if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'>') {
                break;
            }
            i += 1;
        }
        let name = &self.src[name_from..i];
        let mut j = i;
        while j < bytes.len() && is_space(bytes[j]) {
            j += 1;
        }
        if bytes.get(j) != Some(&b'=') {
            let bare = Attr {
                name,
                raw: None,
                quote: b'"',
            };
            return Some((bare, i, true));
        }
        j += 1;
        while j < bytes.len() && is_space(bytes[j]) {
            j += 1;
        }
        match bytes.get(j) {
            Some(&q @ (b'"' | b'\'')) => {
                let Some(close) = self.src.get(j + 1..).and_then(|r| r.find(q as char)) else {
                    self.truncated = Some("inside an attribute value");
                    return None;
                };
                let raw = Some(&self.src[j + 1..j + 1 + close]);
                Some((
                    Attr {
                        name,
                        raw,
                        quote: q,
                    },
                    j + 2 + close,
                    false,
                ))
            }
            Some(_) => {
                let from = j;
                while j < bytes.len() && !is_space(bytes[j]) && !matches!(bytes[j], b'>' | b'<') {
                    j += 1;
                }
                let raw = Some(&self.src[from..j]);
                Some((
                    Attr {
                        name,
                        raw,
                        quote: b'"',
                    },
                    j,
                    true,
                ))
            }
            None => {
                self.truncated = Some("inside a start tag");
                None
            }
        }
    }

    fn emit_start(&mut self, name: &str, raw: RawTag<'_>, raw_tag: &str) {
        let first = !self.root_seen;
        if first {
            self.root_seen = true;
            self.start_root(name, &raw.attrs);
        }
        if let Some(prefix) = prefix_of(name) {
            self.used_prefixes.insert(prefix.to_owned());
        }
        let mut tag = StartTag {
            name,
            out_name: name.to_owned(),
            values: Vec::with_capacity(raw.attrs.len()),
            dirty: raw.dirty,
            self_closing: raw.self_closing,
            first,
        };
        self.repair_attributes(&mut tag, raw.attrs);
        let capture = self.rewrite_dialect(&mut tag);
        self.note_structure(&tag);
        if self.dialect == super::Dialect::Cdf {
            self.emit_cdf_start(name, &tag.values, tag.self_closing);
            return;
        }
        self.write_start(tag, raw_tag, capture);
    }

    /// Attribute-level repairs (duplicates, bad names, bare attributes,
    /// escapes, unusable `xml:base`) and namespace bookkeeping.
    fn repair_attributes(&mut self, tag: &mut StartTag<'_>, attrs: Vec<Attr<'_>>) {
        let mut seen = BTreeSet::new();
        for attr in attrs {
            if !seen.insert(attr.name)
                || attr.name.is_empty()
                || !is_name_start(attr.name.as_bytes()[0])
            {
                self.counts.attributes += 1;
                tag.dirty = true;
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
                tag.dirty = true;
            }
            if attr.name == "xmlns" || attr.name.starts_with("xmlns:") {
                match self.namespace_declaration(attr.name, value, tag.first) {
                    (Some(kept), changed) => {
                        tag.dirty |= changed;
                        value = kept;
                    }
                    (None, _) => {
                        tag.dirty = true;
                        continue;
                    }
                }
            } else if let Some(prefix) = prefix_of(attr.name) {
                self.used_prefixes.insert(prefix.to_owned());
            }
            if attr.name == "xml:base" && xml_base_unusable(&value) {
                self.counts.bad_xml_base += 1;
                tag.dirty = true;
                continue;
            }
            tag.values.push((attr.name.to_owned(), value));
        }
    }

    /// Where the start tag sits in the document's structure: a missing RSS
    /// `<channel>` is supplied, a real channel is noted.
    fn note_structure(&mut self, tag: &StartTag<'_>) {
        let local = local_name(tag.name);
        if self.root.as_deref() == Some("rss")
            && self.stack.len() == 1
            && matches!(
                local.to_ascii_lowercase().as_str(),
                "item" | "title" | "link" | "description"
            )
        {
            self.open_synthetic_channel();
        }
        if self.stack.len() == 1 && local.eq_ignore_ascii_case("channel") {
            self.rss_channel_seen = true;
        }
    }

    /// Writes the start tag, opens the element and starts a capture when
    /// its text is to be rewritten.
    fn write_start(&mut self, mut tag: StartTag<'_>, raw_tag: &str, capture: Option<CaptureKind>) {
        let depth = self.stack.len();
        let too_deep = depth >= MAX_DEPTH && !tag.self_closing;
        if too_deep {
            self.counts.too_deep += 1;
            tag.dirty = true;
        }
        let local = local_name(tag.name);
        let is_item = depth > 0
            && depth < MAX_ITEM_DEPTH
            && (local.eq_ignore_ascii_case("item") || local.eq_ignore_ascii_case("entry"));
        if is_item {
            self.note_item_start(tag.self_closing);
        }
        let tag_from = self.out.len();
        self.write_tag_text(&tag, raw_tag, too_deep);
        if tag.self_closing || too_deep {
            if tag.first {
                self.root_closed = true;
            }
            return;
        }
        let about = if is_item && self.root.as_deref() == Some("rdf") {
            tag.values
                .iter()
                .find(|(n, _)| local_name(n) == "about")
                .map(|(_, v)| v.clone())
        } else {
            None
        };
        if depth > 0 && local == "link" {
            if let Some(parent) = self.stack.last_mut() {
                parent.has_link = true;
            }
        }
        self.stack.push(Open {
            src: tag.name.to_owned(),
            out: tag.out_name,
            tag: (tag_from, self.out.len()),
            is_item,
            about,
            has_link: false,
        });
        if let Some(kind) = capture {
            self.capture = Some(Capture {
                depth: self.stack.len(),
                text: String::new(),
                kind,
            });
        }
    }

    /// Counts an item and remembers where it starts (for salvage and for
    /// cutting a truncated document after the last complete one).
    pub(super) fn note_item_start(&mut self, self_closing: bool) {
        self.items_seen += 1;
        if !self_closing && self.item_start.is_none() {
            let chain = self.current_chain();
            self.item_start = Some((self.out.len(), chain));
        }
    }

    /// The start tag as written: copied from the source when clean,
    /// rebuilt from its repaired parts otherwise.
    fn write_tag_text(&mut self, tag: &StartTag<'_>, raw_tag: &str, too_deep: bool) {
        if !tag.dirty {
            if tag.first {
                self.root_insert_at = Some(self.out.len() + 1 + tag.name.len());
            }
            self.out.push_str(raw_tag);
            return;
        }
        self.out.push('<');
        self.out.push_str(&tag.out_name);
        if tag.first {
            self.root_insert_at = Some(self.out.len());
        }
        for (n, v) in &tag.values {
            self.out.push(' ');
            self.out.push_str(n);
            self.out.push_str("=\"");
            self.out.push_str(v);
            self.out.push('"');
        }
        self.out.push_str(if tag.self_closing || too_deep {
            "/>"
        } else {
            ">"
        });
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
        self.chains.push(super::Chain { open, close });
        let index = self.chains.len() - 1;
        self.last_chain = Some((key, index));
        index
    }
}

pub(super) fn take_attr(values: &mut Vec<(String, String)>, name: &str) -> Option<String> {
    let index = values.iter().position(|(n, _)| n == name)?;
    Some(values.remove(index).1)
}

/// `xml:base` values that are no URL at all (anything `Url::parse` fails
/// on other than "relative"): dropped, so the enclosing base applies.
pub(super) fn xml_base_unusable(value: &str) -> bool {
    match url::Url::parse(value.trim()) {
        Ok(_) | Err(url::ParseError::RelativeUrlWithoutBase) => false,
        Err(_) => true,
    }
}
