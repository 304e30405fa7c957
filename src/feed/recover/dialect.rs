//! Feed dialects rewritten into the forms the readers know: a version-less
//! or odd-version `<rss>` as RSS 2.0, Atom 0.3 as Atom 1.0 (renamed
//! elements, `mode`/`type` pairs, base64 text), Microsoft's CDF as RSS,
//! RSS 0.90's namespace as RSS 1.0's, and an unknown default namespace on
//! an Atom root as Atom's (written by feed generators that got it wrong).

use base64::Engine as _;

use super::entities::xml_forbidden;
use super::tags::{Attr, Open, StartTag, take_attr, xml_base_unusable};
use super::{CaptureKind, Dialect, MAX_DEPTH, MAX_ITEM_DEPTH, Scanner, local_name, prefix_of};

pub(super) const ATOM03_NS: &str = "http://purl.org/atom/ns#";
pub(super) const ATOM10_NS: &str = "http://www.w3.org/2005/Atom";
const RSS090_NS: &str = "http://my.netscape.com/rdf/simple/0.9/";
const RSS10_NS: &str = "http://purl.org/rss/1.0/";

/// Namespaces feeds use without declaring them; the URI matters because
/// the readers match elements by namespace URI (`dc:creator`,
/// `content:encoded`, ...).
pub(super) const KNOWN_PREFIXES: &[(&str, &str)] = &[
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

impl Scanner<'_> {
    /// An `xmlns`/`xmlns:p` attribute: the value to keep (None: drop the
    /// attribute) and whether it changed.
    pub(super) fn namespace_declaration(
        &mut self,
        name: &str,
        value: String,
        first: bool,
    ) -> (Option<String>, bool) {
        let prefix = name.strip_prefix("xmlns:").unwrap_or("");
        self.declared_prefixes.insert(prefix.to_owned());
        let uri = value.trim();
        if uri == ATOM03_NS {
            self.atom03_prefixes.insert(prefix.to_owned());
            return (Some(ATOM10_NS.to_owned()), true);
        }
        if uri == RSS090_NS {
            // RSS 0.90 is RSS 1.0's ancestor with the same element names.
            self.counts.namespaces += 1;
            return (Some(RSS10_NS.to_owned()), true);
        }
        if first && prefix.is_empty() {
            match self.root.as_deref() {
                // RSS has no namespace; a default one on `<rss>` is noise.
                Some("rss") => {
                    self.counts.namespaces += 1;
                    return (None, true);
                }
                Some("feed" | "entry") if uri != ATOM10_NS => {
                    self.counts.namespaces += 1;
                    return (Some(ATOM10_NS.to_owned()), true);
                }
                _ => {}
            }
        }
        (Some(value), false)
    }

    /// Dialect rewrites of one start tag: the root's version and name,
    /// Atom 0.3 renames and text types, RSS habits in Atom. Returns the capture the element's text needs.
    pub(super) fn rewrite_dialect(&mut self, tag: &mut StartTag<'_>) -> Option<CaptureKind> {
        if tag.first {
            self.rewrite_root(tag);
        }
        let name = tag.name;
        let mut base64_mode = false;
        if self.dialect == Dialect::Atom03 && self.in_atom03(name) {
            base64_mode = self.rewrite_atom03(tag);
        }
        let atom = matches!(self.dialect, Dialect::Atom10 | Dialect::Atom03);
        let atom_element = atom && prefix_of(name).is_none_or(|p| p == "atom");
        if atom_element && self.stack.len() == 1 && local_name(name) == "item" {
            // RSS habits in Atom feeds: an <item> where <entry> belongs.
            tag.out_name = "entry".to_owned();
            self.counts.atom_items += 1;
            tag.dirty = true;
        }
        let link_without_href = atom_element
            && !tag.self_closing
            && local_name(name) == "link"
            && !tag.values.iter().any(|(n, _)| n == "href");
        if base64_mode {
            Some(CaptureKind::Base64)
        } else if link_without_href {
            Some(CaptureKind::LinkHref)
        } else {
            None
        }
    }

    fn rewrite_root(&mut self, tag: &mut StartTag<'_>) {
        if self.rss_version_fix.is_some() {
            tag.values.retain(|(n, _)| n != "version");
            tag.values.push(("version".to_owned(), "2.0".to_owned()));
            tag.dirty = true;
        }
        if self.dialect == Dialect::Atom03 {
            tag.values.retain(|(n, _)| n != "version");
            tag.dirty = true;
        }
        if local_name(tag.name) == "rdf" {
            // The RDF root is `RDF`; some feeds write `rdf`.
            self.counts.rdf_root_case = true;
            tag.out_name = match prefix_of(tag.name) {
                Some(p) => format!("{p}:RDF"),
                None => "RDF".to_owned(),
            };
            tag.dirty = true;
        }
    }

    /// Atom 0.3 element names and text constructs as Atom 1.0; true when
    /// the element's text is base64.
    fn rewrite_atom03(&mut self, tag: &mut StartTag<'_>) -> bool {
        let name = tag.name;
        if let Some(renamed) = atom03_rename(
            local_name(name),
            self.stack.last().map(|o| local_name(&o.src)),
        ) {
            tag.out_name = match prefix_of(name) {
                Some(p) => format!("{p}:{renamed}"),
                None => renamed.to_owned(),
            };
            tag.dirty = true;
        }
        if !is_text_construct(local_name(&tag.out_name)) {
            return false;
        }
        let mode = take_attr(&mut tag.values, "mode");
        let old_type = take_attr(&mut tag.values, "type");
        let new_type = atom03_type(mode.as_deref(), old_type.as_deref());
        tag.values.push(("type".to_owned(), new_type.to_owned()));
        tag.dirty = true;
        mode.as_deref()
            .is_some_and(|m| m.eq_ignore_ascii_case("base64"))
    }

    /// A CDF element as its RSS 2.0 counterpart: `<CHANNEL HREF>` becomes
    /// `<rss><channel><link>`, `<ITEM HREF>` `<item><link>`, `<ABSTRACT>`
    /// `<description>`, a `LASTMOD` attribute an `<updated>` child. Other
    /// elements keep their names (the RSS reader skips them).
    pub(super) fn emit_cdf_start(
        &mut self,
        name: &str,
        values: &[(String, String)],
        self_closing: bool,
    ) {
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
            self.note_item_start(self_closing);
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
        if let Some(lastmod) = attr("lastmod").filter(|_| matches!(out_name, "channel" | "item")) {
            // RSS has no element for it on items; `<updated>` is read on
            // both (the values are attribute-escaped, valid as text).
            self.out.push_str("<updated>");
            self.out.push_str(lastmod);
            self.out.push_str("</updated>");
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

    /// `<rss>` whose items sit directly under it: the `<channel>` the
    /// author left out. It stays open until `</rss>`.
    pub(super) fn open_synthetic_channel(&mut self) {
        self.counts.missing_channel = true;
        self.rss_channel_seen = true;
        let from = self.out.len();
        self.out.push_str("<channel>");
        // An empty source name never matches an end tag, so only the
        // root's end closes it.
        self.stack
            .push(Open::synthetic("channel", (from, self.out.len())));
    }

    fn in_atom03(&self, name: &str) -> bool {
        self.atom03_prefixes.contains(prefix_of(name).unwrap_or(""))
    }

    pub(super) fn start_root(&mut self, name: &str, attrs: &[Attr<'_>]) {
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

    /// Moves a `<link>`'s text into its `href`: nothing was written since
    /// the start tag (ending at `tag_end`), so its `>` is the last byte.
    pub(super) fn flush_link_href(&mut self, text: &str, tag_end: usize) {
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

    pub(super) fn flush_base64(&mut self, encoded: &str) {
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
}

/// Atom text constructs (and content), whose `mode`/`type` Atom 0.3
/// writes differently.
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

/// Atom 1.0 `type` for an Atom 0.3 `mode`/`type` pair. With `mode="xml"`
/// (the default) the element's children are the value: inline XHTML for an
/// XHTML type, inline HTML for an HTML one (read as markup), else text.
fn atom03_type(mode: Option<&str>, old_type: Option<&str>) -> &'static str {
    let old_type = old_type.map(str::to_ascii_lowercase).unwrap_or_default();
    let mode = mode.map(str::to_ascii_lowercase).unwrap_or_default();
    match mode.as_str() {
        "escaped" | "base64" if old_type.contains("html") => "html",
        "escaped" | "base64" => "text",
        _ if old_type.contains("xhtml") => "xhtml",
        _ if old_type.contains("html") => "html",
        _ => "text",
    }
}
