//! The repaired document as a small element tree, with each element's
//! namespace resolved to what it means, its `xml:base` and `xml:lang` in
//! effect, and its text unescaped.
//!
//! Feeds name the same thing many ways: `<r:rss xmlns:r="…">`, Dublin Core
//! under any prefix, iTunes under two URIs and any case, `<TiTlE>`. So
//! elements are matched by namespace *URI* ([`Ns`]) and by local name
//! ignoring ASCII case, as feedparser does. The tree is built from the
//! output of [`super::recover`], which is well-formed in all but rare cases;
//! quick-xml runs in its lenient modes so that those still read.
//!
//! Depth is bounded by the scanner (it flattens below 256 levels), so the
//! recursive walks over the tree ([`Element::markup`]) are bounded too.

use std::rc::Rc;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use url::Url;

/// What a namespace URI means to a feed reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ns {
    /// No namespace.
    None,
    /// RSS 0.90, RSS 1.0 and the namespaces UserLand and Harvard gave
    /// RSS 2.0.
    Rss,
    /// Atom 1.0 (Atom 0.3 is rewritten to it by the scanner, and read the
    /// same when it is not).
    Atom,
    Dc,
    DcTerms,
    Content,
    Itunes,
    Media,
    Rdf,
    Xhtml,
    Syndication,
    Xml,
    Other,
}

/// Namespace URIs, compared lower-cased and without a trailing `/`
/// (feeds vary on both).
const NAMESPACES: &[(&str, Ns)] = &[
    ("http://my.netscape.com/rdf/simple/0.9", Ns::Rss),
    ("http://purl.org/rss/1.0", Ns::Rss),
    ("http://backend.userland.com/rss2", Ns::Rss),
    ("http://backend.userland.com/rss", Ns::Rss),
    ("http://blogs.law.harvard.edu/tech/rss", Ns::Rss),
    ("http://www.w3.org/2005/atom", Ns::Atom),
    ("http://purl.org/atom/ns#", Ns::Atom),
    ("http://purl.org/dc/elements/1.1", Ns::Dc),
    ("http://purl.org/dc/elements/1.0", Ns::Dc),
    ("http://purl.org/dc/terms", Ns::DcTerms),
    ("http://purl.org/rss/1.0/modules/content", Ns::Content),
    ("http://www.itunes.com/dtds/podcast-1.0.dtd", Ns::Itunes),
    ("http://example.com/dtds/podcast-1.0.dtd", Ns::Itunes),
    ("http://search.yahoo.com/mrss", Ns::Media),
    ("http://www.w3.org/1999/02/22-rdf-syntax-ns#", Ns::Rdf),
    ("http://www.w3.org/1999/xhtml", Ns::Xhtml),
    (
        "http://purl.org/rss/1.0/modules/syndication",
        Ns::Syndication,
    ),
    ("http://www.w3.org/xml/1998/namespace", Ns::Xml),
];

fn classify(uri: &str) -> Ns {
    let lower = uri.trim().to_ascii_lowercase();
    let key = lower.strip_suffix('/').unwrap_or(&lower);
    NAMESPACES
        .iter()
        .find(|(u, _)| *u == key)
        .map_or(Ns::Other, |(_, ns)| *ns)
}

#[derive(Debug)]
pub(crate) enum Node {
    Element(Element),
    Text(String),
}

#[derive(Debug)]
pub(crate) struct Attribute {
    pub ns: Ns,
    pub name: String,
    pub value: String,
}

#[derive(Debug)]
pub(crate) struct Element {
    pub ns: Ns,
    /// The namespace URI as written, for elements to serialise back.
    pub uri: Option<Rc<str>>,
    /// Local name as written.
    pub name: String,
    pub attrs: Vec<Attribute>,
    pub children: Vec<Node>,
    /// `xml:base` in effect, resolved against the enclosing one.
    pub base: Option<Rc<Url>>,
    /// `xml:lang` in effect, normalised; None when unset or "".
    pub lang: Option<Rc<str>>,
}

impl Element {
    /// Local name equal to `name`, ignoring ASCII case.
    pub fn named(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    pub fn is(&self, ns: Ns, name: &str) -> bool {
        self.ns == ns && self.named(name)
    }

    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// Value of an attribute in no namespace, name ignoring ASCII case.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns == Ns::None && a.name.eq_ignore_ascii_case(name))
            .map(|a| a.value.as_str())
    }

    /// Value of an attribute in namespace `ns`.
    pub fn attr_ns(&self, ns: Ns, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns == ns && a.name.eq_ignore_ascii_case(name))
            .map(|a| a.value.as_str())
    }

    /// All text inside, markup dropped.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.push_text(&mut out);
        out
    }

    fn push_text(&self, out: &mut String) {
        for child in &self.children {
            match child {
                Node::Text(t) => out.push_str(t),
                Node::Element(e) => e.push_text(out),
            }
        }
    }

    /// The trimmed text, None when empty.
    pub fn trimmed(&self) -> Option<String> {
        let text = self.text();
        let trimmed = text.trim();
        (!trimmed.is_empty()).then(|| trimmed.to_owned())
    }

    /// The content as markup. `escape_text` says whether the element's own
    /// text is XML text (escaped again: XHTML) or already the markup
    /// (unescaped once: HTML escaped inside XML). Child elements are
    /// written back as XHTML, without namespace prefixes.
    pub fn markup(&self, escape_text: bool) -> String {
        let mut out = String::new();
        for child in &self.children {
            match child {
                Node::Text(t) if escape_text => escape_into(&mut out, t, false),
                Node::Text(t) => out.push_str(t),
                Node::Element(e) => e.serialize(&mut out, self.uri.as_deref()),
            }
        }
        out
    }

    fn serialize(&self, out: &mut String, parent_uri: Option<&str>) {
        out.push('<');
        out.push_str(&self.name);
        let uri = self.uri.as_deref();
        if uri != parent_uri && self.ns != Ns::Xhtml {
            if let Some(uri) = uri {
                out.push_str(" xmlns=\"");
                escape_into(out, uri, true);
                out.push('"');
            }
        }
        for a in &self.attrs {
            out.push(' ');
            if a.ns == Ns::Xml {
                out.push_str("xml:");
            }
            out.push_str(&a.name);
            out.push_str("=\"");
            escape_into(out, &a.value, true);
            out.push('"');
        }
        if self.children.is_empty() && !self.never_self_closed() {
            out.push_str(" />");
            return;
        }
        out.push('>');
        for child in &self.children {
            match child {
                Node::Text(t) => escape_into(out, t, false),
                Node::Element(e) => e.serialize(out, uri),
            }
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }

    /// HTML elements that must not be written self-closed (`<div/>` is an
    /// open div to an HTML parser).
    fn never_self_closed(&self) -> bool {
        !matches!(
            self.name.to_ascii_lowercase().as_str(),
            "br" | "hr"
                | "img"
                | "input"
                | "meta"
                | "link"
                | "area"
                | "base"
                | "col"
                | "embed"
                | "param"
                | "source"
                | "track"
                | "wbr"
        ) && matches!(self.ns, Ns::Xhtml | Ns::None)
    }
}

fn escape_into(out: &mut String, text: &str, attr: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

/// `xml:lang` as a language tag: `en_US` -> `en-US`; "" -> None.
pub(crate) fn normalize_lang(value: &str) -> Option<String> {
    let v = value.trim();
    (!v.is_empty()).then(|| v.replace('_', "-"))
}

/// The tree builder's state: the open elements and the interned URIs.
struct Builder {
    stack: Vec<Element>,
    root: Option<Element>,
    uris: Vec<Rc<str>>,
}

/// Parses `text` into its root element. `base` is the document's URL.
pub(crate) fn parse(text: &str, base: Option<&Url>) -> Result<Element, String> {
    let mut reader = NsReader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.allow_dangling_amp = true;
    let mut b = Builder {
        stack: Vec::new(),
        root: None,
        uris: Vec::new(),
    };
    let doc_base = base.filter(|b| is_safe_base(b)).cloned().map(Rc::new);
    loop {
        let (resolved, event) = match reader.read_resolved_event() {
            Ok((ns, event)) => (resolved_uri(&ns), event),
            Err(e) => return Err(format!("{e} at byte {}", reader.error_position())),
        };
        match event {
            Event::Start(start) => {
                let el = b.open(&reader, &start, resolved, doc_base.as_ref())?;
                b.stack.push(el);
            }
            Event::Empty(start) => {
                let el = b.open(&reader, &start, resolved, doc_base.as_ref())?;
                b.close(el);
            }
            Event::End(_) => {
                if let Some(el) = b.stack.pop() {
                    b.close(el);
                }
            }
            Event::Text(t) => b.text(&t.xml10_content()),
            Event::CData(t) => b.text(&t.xml10_content()),
            Event::GeneralRef(r) => b.text(&resolve_reference(&r)),
            Event::Eof => break,
            _ => {}
        }
    }
    while let Some(el) = b.stack.pop() {
        b.close(el);
    }
    b.root.ok_or_else(|| "no root element".to_owned())
}

fn resolved_uri(ns: &ResolveResult<'_>) -> Option<String> {
    match ns {
        ResolveResult::Bound(n) => Some(n.as_ref().to_owned()),
        ResolveResult::Unbound | ResolveResult::Unknown(_) => None,
    }
}

/// `&name;` and `&#n;` as text: the scanner left only the XML predefined
/// entities and character references; anything else stays literal.
fn resolve_reference(r: &quick_xml::events::BytesRef<'_>) -> String {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return c.to_string();
    }
    let name = r.xml10_content();
    match quick_xml::escape::resolve_predefined_entity(&name) {
        Some(s) => s.to_owned(),
        None => format!("&{name};"),
    }
}

impl Builder {
    fn intern(&mut self, uri: String) -> Rc<str> {
        if let Some(found) = self.uris.iter().find(|u| ***u == *uri) {
            return Rc::clone(found);
        }
        let rc: Rc<str> = Rc::from(uri);
        self.uris.push(Rc::clone(&rc));
        rc
    }

    fn open(
        &mut self,
        reader: &NsReader<&[u8]>,
        start: &BytesStart<'_>,
        uri: Option<String>,
        doc_base: Option<&Rc<Url>>,
    ) -> Result<Element, String> {
        let parent = self.stack.last();
        let mut base = parent.map_or_else(|| doc_base.cloned(), |p| p.base.clone());
        let mut lang = parent.and_then(|p| p.lang.clone());
        let mut attrs = Vec::new();
        for attr in start.attributes().with_checks(false) {
            let attr = attr.map_err(|e| e.to_string())?;
            let (ns, local) = reader.resolver().resolve_attribute(attr.key);
            let key = attr.key.as_ref();
            if key == "xmlns" || key.starts_with("xmlns:") {
                continue;
            }
            let value = attr
                .normalized_value(XmlVersion::Implicit1_0)
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| attr.value.to_string());
            let ns = match &ns {
                ResolveResult::Bound(n) => classify(n.as_ref()),
                _ if key.starts_with("xml:") => Ns::Xml,
                _ => Ns::None,
            };
            let name = local.as_ref().to_owned();
            if ns == Ns::Xml && name == "base" {
                base = join_base(base.as_deref(), &value).map(Rc::new).or(base);
            } else if ns == Ns::Xml && name == "lang" {
                lang = normalize_lang(&value).map(Rc::from);
            }
            attrs.push(Attribute { ns, name, value });
        }
        let (_, local) = reader.resolver().resolve_element(start.name());
        let ns = uri.as_deref().map_or(Ns::None, classify);
        let uri = uri.map(|u| self.intern(u));
        Ok(Element {
            ns,
            uri,
            name: local.as_ref().to_owned(),
            attrs,
            children: Vec::new(),
            base,
            lang,
        })
    }

    fn close(&mut self, el: Element) {
        match self.stack.last_mut() {
            Some(parent) => parent.children.push(Node::Element(el)),
            None if self.root.is_none() => self.root = Some(el),
            None => {}
        }
    }

    fn text(&mut self, text: &str) {
        let Some(parent) = self.stack.last_mut() else {
            return;
        };
        if let Some(Node::Text(last)) = parent.children.last_mut() {
            last.push_str(text);
        } else {
            parent.children.push(Node::Text(text.to_owned()));
        }
    }
}

/// `value` resolved against `base`; a relative value without a base
/// cannot be a base URL and is ignored, and so is a base that is not a
/// web address (`javascript:`, `data:`): links resolved against it would be
/// scripts.
fn join_base(base: Option<&Url>, value: &str) -> Option<Url> {
    let value = value.trim();
    let url = match base {
        Some(b) => b.join(value).ok(),
        None => Url::parse(value).ok(),
    }?;
    is_safe_base(&url).then_some(url)
}

fn is_safe_base(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https" | "ftp")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_matched_by_uri_and_names_by_case() {
        let root = parse(
            "<r:rss xmlns:r=\"http://backend.userland.com/rss2\" xmlns:D=\"http://purl.org/dc/elements/1.1/\"><r:channel><TiTlE>t</TiTlE><D:creator>me</D:creator></r:channel></r:rss>",
            None,
        )
        .expect("parses");
        assert_eq!(root.ns, Ns::Rss);
        let channel = root.elements().next().expect("channel");
        assert!(channel.is(Ns::Rss, "CHANNEL"));
        let kids: Vec<_> = channel.elements().collect();
        assert!(kids[0].is(Ns::None, "title"));
        assert!(kids[1].is(Ns::Dc, "creator"));
    }

    #[test]
    fn base_and_lang_are_inherited() {
        let base = Url::parse("http://example.org/feed/").expect("url");
        let root = parse(
            "<feed xml:lang=\"en_US\" xml:base=\"sub/\"><entry xml:base=\"/x/\" xml:lang=\"\"><id>1</id></entry></feed>",
            Some(&base),
        )
        .expect("parses");
        assert_eq!(root.lang.as_deref(), Some("en-US"));
        assert_eq!(
            root.base.as_deref().map(Url::as_str),
            Some("http://example.org/feed/sub/")
        );
        let entry = root.elements().next().expect("entry");
        assert_eq!(entry.lang, None);
        let id = entry.elements().next().expect("id");
        assert_eq!(
            id.base.as_deref().map(Url::as_str),
            Some("http://example.org/x/")
        );
    }

    #[test]
    fn markup_is_written_back() {
        let root = parse(
            "<content><div xmlns=\"http://www.w3.org/1999/xhtml\">a &lt;b&gt; <b>c</b><br/></div></content>",
            None,
        )
        .expect("parses");
        let div = root.elements().next().expect("div");
        assert_eq!(div.markup(true), "a &lt;b&gt; <b>c</b><br />");
        let html = parse("<d>&lt;p&gt;x&amp;amp;y&lt;/p&gt;</d>", None).expect("parses");
        assert_eq!(html.markup(false), "<p>x&amp;y</p>");
    }
}
