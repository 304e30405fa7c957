//! OPML in and out: `feeds import FILE.opml` and `feeds export`.
//!
//! OPML is how subscription lists move between feed readers, and every
//! reader writes it a little differently: Miniflux and FreshRSS put each
//! feed in one category folder, Feedly repeats a feed in every folder it is
//! in, NetNewsWire writes OPML 1.1 with a `version="RSS"` attribute, some
//! tools use the OPML 2.0 `category` attribute instead of folders, others
//! omit `version` or `type`, write `url` instead of `xmlUrl`, `feed://`
//! URLs, HTML entities or bare `&`. The reader here takes all of these:
//!
//! - a feed is an `<outline>` with `xmlUrl` (or `url` on an outline typed
//!   rss/atom); other outlines are folders, whose names (with every
//!   ancestor's) become the feed's tags, as do `category` entries;
//! - `title`, else `text`, is the name, entity-decoded (also when the
//!   exporter escaped it twice);
//! - a feed listed twice is one feed with the union of the tags;
//! - a document quick-xml rejects is repaired by the same lenient pass that
//!   repairs broken feeds ([`crate::feed::recover`]) and read again.
//!
//! The writer emits OPML 2.0 with each tagged feed inside a folder named
//! after its first tag *and* all its tags in `category`. Folders are what
//! most readers (Miniflux, NetNewsWire, Feedly) import as categories;
//! `category` keeps the second and later tags, which a folder cannot hold
//! without listing the feed twice. Importing our own export therefore gives
//! back the same tags in the same order. `interval` and `full_text`, which
//! OPML has no words for, travel in attributes of our own namespace
//! ([`NAMESPACE`]), as the OPML 2.0 spec allows and as FreshRSS and
//! Miniflux do for their own settings.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use quick_xml::{Writer, XmlVersion};
use url::Url;

use super::edit::feed_url;
use super::{FeedConfig, FullText, MIN_INTERVAL, feed_identity, format_duration, parse_duration};

use crate::encoding::{self, DocumentKind};

/// The XML namespace of feedsift's own outline attributes.
pub const NAMESPACE: &str = "https://github.com/feedsift/feedsift#opml";

/// Folder outlines nested deeper than this are still read, but only this
/// many ancestor names become tags: real exports are one or two folders
/// deep, and a hostile file should not produce feeds with thousands of tags.
const MAX_FOLDER_TAGS: usize = 16;

/// One feed read from an OPML file.
#[derive(Debug, Clone, PartialEq)]
pub struct OpmlFeed {
    pub url: Url,
    pub name: Option<String>,
    /// Folder names, outermost first, then `category` entries; no
    /// duplicates (compared case-insensitively).
    pub tags: Vec<String>,
    /// From our namespace, already validated (`30m`).
    pub interval: Option<String>,
    /// From our namespace: `always` or `never` (`auto` is the default).
    pub full_text: Option<String>,
}

/// What an import found, feeds and everything it did not take.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpmlImport {
    pub title: Option<String>,
    pub feeds: Vec<OpmlFeed>,
    /// Outlines that looked like feeds but could not be used, with why.
    pub skipped: Vec<Skipped>,
    /// Feeds listed more than once in the file (URL as first listed): one
    /// feed was kept with the tags of every listing.
    pub merged: Vec<String>,
    /// Attribute values that were ignored (an invalid interval, ...).
    pub warnings: Vec<String>,
    /// Repairs applied before the document could be read; empty when it
    /// was well-formed.
    pub repairs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    /// The outline's URL, or its text when the URL is what is missing.
    pub what: String,
    pub reason: String,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum OpmlError {
    #[error("not an OPML document: the root element is <{0}>, not <opml>")]
    NotOpml(String),
    #[error("not an OPML document: no XML elements")]
    Empty,
    #[error("unreadable XML even after repairs: {0}")]
    Invalid(String),
}

/// Reads an OPML document (bytes in any charset XML allows).
pub fn parse(bytes: &[u8]) -> Result<OpmlImport, OpmlError> {
    let decoded = encoding::decode(bytes, None, DocumentKind::Xml);
    let text = decoded.text.trim_start_matches('\u{FEFF}');
    match read(text) {
        Ok(import) => Ok(import),
        // Not OPML is not something repairs change.
        Err(e @ (OpmlError::NotOpml(_) | OpmlError::Empty)) => Err(e),
        Err(OpmlError::Invalid(first)) => {
            let scan = crate::feed::recover::scan(text);
            if scan.repairs.is_empty() {
                return Err(OpmlError::Invalid(first));
            }
            let mut import = read(&scan.text).map_err(|e| match e {
                OpmlError::Invalid(_) => OpmlError::Invalid(first),
                other => other,
            })?;
            import.repairs = scan.repairs;
            Ok(import)
        }
    }
}

/// The attributes of an outline that matter here.
#[derive(Default)]
struct Outline {
    text: Option<String>,
    title: Option<String>,
    xml_url: Option<String>,
    url: Option<String>,
    html_url: Option<String>,
    kind: Option<String>,
    category: Option<String>,
    interval: Option<String>,
    full_text: Option<String>,
}

/// One open `<outline>`: the folder name it gives its children, if any.
struct Frame {
    folder: Option<String>,
}

fn read(text: &str) -> Result<OpmlImport, OpmlError> {
    // Text is not trimmed by the reader: `&amp;` arrives as its own event
    // and trimming would eat the spaces around it; names are collapsed later.
    let mut reader = NsReader::from_str(text);
    let mut import = OpmlImport::default();
    let mut stack: Vec<Frame> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut root_seen = false;
    let mut in_title = false;
    let mut title = String::new();
    loop {
        let event = reader.read_event().map_err(|e| {
            OpmlError::Invalid(format!(
                "{e} (line {})",
                line_of(text, reader.error_position())
            ))
        })?;
        let (start, is_empty) = match &event {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), true),
            _ => (None, false),
        };
        if let Some(element) = start {
            let name = element.local_name().as_ref().to_owned();
            if !root_seen {
                root_seen = true;
                if !name.eq_ignore_ascii_case("opml") {
                    return Err(OpmlError::NotOpml(name));
                }
                continue;
            }
            if name.eq_ignore_ascii_case("title") && stack.is_empty() && !is_empty {
                in_title = true;
            } else if name.eq_ignore_ascii_case("outline") {
                let outline = attributes(&reader, element, &mut import.warnings, text)?;
                let folder = take_outline(outline, is_empty, &stack, &mut import, &mut seen);
                if !is_empty {
                    stack.push(Frame { folder });
                }
            }
            continue;
        }
        match event {
            Event::End(e) => {
                let name = e.local_name().as_ref().to_owned();
                if name.eq_ignore_ascii_case("outline") {
                    stack.pop();
                } else if name.eq_ignore_ascii_case("title") {
                    in_title = false;
                }
            }
            Event::Text(t) if in_title => title.push_str(&t.xml10_content()),
            Event::CData(t) if in_title => title.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if in_title => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    title.push(c);
                } else if let Some(s) =
                    quick_xml::escape::resolve_predefined_entity(&r.xml10_content())
                {
                    title.push_str(s);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !root_seen {
        return Err(OpmlError::Empty);
    }
    import.title = clean_text(&title);
    Ok(import)
}

fn line_of(text: &str, offset: u64) -> usize {
    let end = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

fn attributes(
    reader: &NsReader<&[u8]>,
    element: &BytesStart,
    warnings: &mut Vec<String>,
    text: &str,
) -> Result<Outline, OpmlError> {
    let mut outline = Outline::default();
    for attr in element.attributes().with_checks(false) {
        let attr = attr.map_err(|e| {
            OpmlError::Invalid(format!(
                "{e} (line {})",
                line_of(text, reader.buffer_position())
            ))
        })?;
        let value = attr
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| {
                OpmlError::Invalid(format!(
                    "{e} (line {})",
                    line_of(text, reader.buffer_position())
                ))
            })?
            .into_owned();
        let (ns, local) = reader.resolver().resolve_attribute(attr.key);
        let local = local.as_ref().to_ascii_lowercase();
        let ours = matches!(ns, ResolveResult::Bound(n) if n.as_ref() == NAMESPACE);
        let slot = match (&ns, local.as_str()) {
            (_, "interval") if ours => &mut outline.interval,
            (_, "fulltext") if ours => &mut outline.full_text,
            (ResolveResult::Unbound, "text") => &mut outline.text,
            (ResolveResult::Unbound, "title") => &mut outline.title,
            (ResolveResult::Unbound, "xmlurl") => &mut outline.xml_url,
            (ResolveResult::Unbound, "url") => &mut outline.url,
            (ResolveResult::Unbound, "htmlurl") => &mut outline.html_url,
            (ResolveResult::Unbound, "type") => &mut outline.kind,
            (ResolveResult::Unbound, "category") => &mut outline.category,
            (ResolveResult::Unknown(prefix), _) => {
                let warning = format!(
                    "attribute prefix {prefix:?} is not declared; its attributes are ignored"
                );
                // Once per prefix, not once per outline.
                if !warnings.contains(&warning) {
                    warnings.push(warning);
                }
                continue;
            }
            _ => continue,
        };
        *slot = Some(value);
    }
    Ok(outline)
}

/// Files an outline: a feed goes into `import`, a folder returns the name
/// its children inherit, and anything else that carries an address or
/// has no children is listed as skipped, with why. `leaf` is a
/// self-closed outline (no children, so not a folder).
fn take_outline(
    outline: Outline,
    leaf: bool,
    stack: &[Frame],
    import: &mut OpmlImport,
    seen: &mut HashMap<String, usize>,
) -> Option<String> {
    let kind = outline.kind.as_deref().map(str::to_ascii_lowercase);
    let label = outline
        .title
        .as_deref()
        .and_then(clean_name)
        .or_else(|| outline.text.as_deref().and_then(clean_name));
    let feed_typed = matches!(
        kind.as_deref(),
        Some("rss" | "atom" | "feed" | "json" | "jsonfeed")
    );
    let address = non_empty(outline.xml_url.as_deref())
        .or_else(|| non_empty(outline.url.as_deref()).filter(|_| feed_typed));
    let Some(address) = address else {
        if let Some(skipped) = not_a_feed(&outline, kind.as_deref(), label.as_deref(), leaf) {
            import.skipped.push(skipped);
        }
        // A folder.
        return label;
    };
    let what = address.to_owned();
    // Readers write the URL as the text of a feed they have no title for
    // (as our own export does): that is no name.
    let label = label.filter(|l| l != address);
    if kind
        .as_deref()
        .is_some_and(|k| k.contains("xpath") || k.contains("dotnotation"))
    {
        import.skipped.push(Skipped {
            what,
            reason: format!(
                "a FreshRSS web-scraping source (type=\"{}\"), not a feed",
                outline.kind.as_deref().unwrap_or_default()
            ),
        });
        return None;
    }
    let url = match feed_url(address) {
        Ok(url) => url,
        Err(reason) => {
            import.skipped.push(Skipped { what, reason });
            return None;
        }
    };
    let mut tags: Vec<String> = Vec::new();
    for folder in stack
        .iter()
        .filter_map(|f| f.folder.as_deref())
        .take(MAX_FOLDER_TAGS)
    {
        push_tag(&mut tags, folder);
    }
    for category in outline.category.as_deref().unwrap_or_default().split(',') {
        // OPML 2.0 categories are slash-delimited paths (`/Tech/Linux`);
        // a tag keeps the path without its leading slash.
        if let Some(tag) = clean_name(category.trim().trim_matches('/')) {
            push_tag(&mut tags, &tag);
        }
    }
    let interval = outline.interval.and_then(|i| match parse_duration(&i) {
        Ok(d) if d >= MIN_INTERVAL => Some(i.trim().to_owned()),
        Ok(_) => {
            import.warnings.push(format!(
                "{url}: interval {i:?} is below the minimum of {}; ignored",
                format_duration(MIN_INTERVAL)
            ));
            None
        }
        Err(e) => {
            import
                .warnings
                .push(format!("{url}: {e}; interval ignored"));
            None
        }
    });
    let full_text = outline.full_text.and_then(|f| match f.trim() {
        "auto" => None,
        v @ ("always" | "never") => Some(v.to_owned()),
        other => {
            import.warnings.push(format!(
                "{url}: fullText {other:?} is not auto, always or never; ignored"
            ));
            None
        }
    });
    let key = feed_identity(&url);
    if let Some(&i) = seen.get(&key) {
        let first = &mut import.feeds[i];
        for tag in tags {
            push_tag(&mut first.tags, &tag);
        }
        import.merged.push(first.url.to_string());
        return None;
    }
    seen.insert(key, import.feeds.len());
    import.feeds.push(OpmlFeed {
        url,
        name: label,
        tags,
        interval,
        full_text,
    });
    None
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

fn push_tag(tags: &mut Vec<String>, tag: &str) {
    if !tags.iter().any(|t| t.to_lowercase() == tag.to_lowercase()) {
        tags.push(tag.to_owned());
    }
}

/// A name or tag for feeds.toml: entities left over from double escaping
/// decoded, whitespace collapsed, characters TOML and XML cannot carry
/// dropped; `None` when nothing is left.
/// Why an outline without a feed address is not imported; `None` for a
/// folder. Readers differ in what they write, so nothing that might be a
/// subscription disappears without a word.
fn not_a_feed(
    outline: &Outline,
    kind: Option<&str>,
    label: Option<&str>,
    leaf: bool,
) -> Option<Skipped> {
    let url = non_empty(outline.url.as_deref());
    let html = non_empty(outline.html_url.as_deref());
    let (what, reason) = match (url, kind, html) {
        (Some(url), None, _) => (
            url,
            "an outline with url= but no type=\"rss\", so not known to be a feed; \
             `feedsift feeds add URL` checks it and adds it if it is one"
                .to_owned(),
        ),
        (Some(url), Some(k), _) => (
            url,
            format!("an outline of type=\"{k}\" (a link or an included list), not a feed"),
        ),
        (None, _, Some(html)) => (
            html,
            "a web site without a feed address (htmlUrl only); `feedsift feeds add URL` \
             finds the feed a page announces"
                .to_owned(),
        ),
        (None, _, None) if leaf => (
            label.unwrap_or("an outline without a name"),
            "an outline without a feed address (no xmlUrl) and nothing inside it".to_owned(),
        ),
        (None, _, None) => return None,
    };
    Some(Skipped {
        what: what.to_owned(),
        reason,
    })
}

fn clean_name(raw: &str) -> Option<String> {
    clean_text(&decode_entities(raw))
}

fn clean_text(raw: &str) -> Option<String> {
    let text: String = raw
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    (!text.is_empty()).then_some(text)
}

/// Longest entity name looked up; HTML's longest is 31 bytes plus `;`.
const MAX_ENTITY_LEN: usize = 33;

/// Decodes `&name;` (HTML's named entities, which include XML's five) and
/// `&#N;`/`&#xN;` left in a value that was escaped twice (`&amp;amp;` in the
/// file). Anything that is not an entity stays as written.
fn decode_entities(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let end = rest
            .char_indices()
            .take(MAX_ENTITY_LEN + 1)
            .find(|(_, c)| *c == ';')
            .map(|(i, _)| i);
        let decoded = end.and_then(|end| {
            let name = &rest[1..end];
            let c = if let Some(num) = name.strip_prefix('#') {
                let n = match num.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok(),
                    None => num.parse().ok(),
                };
                n.and_then(char::from_u32).map(String::from)
            } else {
                web_atoms::NAMED_ENTITIES
                    .get(&rest[1..=end])
                    .map(|&(a, b)| {
                        [a, b]
                            .into_iter()
                            .filter(|cp| *cp != 0)
                            .filter_map(char::from_u32)
                            .collect()
                    })
            };
            c.map(|c| (c, end + 1))
        });
        match decoded {
            Some((text, len)) => {
                out.push_str(&text);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Writes the feeds as an OPML 2.0 document (see the module docs for the
/// shape and why).
pub fn write(feeds: &[FeedConfig], title: &str, created: DateTime<Utc>) -> std::io::Result<String> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let mut opml = BytesStart::new("opml");
    opml.push_attribute(("version", "2.0"));
    opml.push_attribute(("xmlns:feedsift", NAMESPACE));
    w.write_event(Event::Start(opml))?;
    w.write_event(Event::Start(BytesStart::new("head")))?;
    w.create_element("title")
        .write_text_content(BytesText::new(&xml_safe(title)))?;
    w.create_element("dateCreated")
        .write_text_content(BytesText::new(
            &created.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        ))?;
    w.write_event(Event::End(BytesEnd::new("head")))?;
    w.write_event(Event::Start(BytesStart::new("body")))?;

    // Groups in order of first appearance: an untagged feed is its own
    // group at top level, tagged feeds gather under their first tag.
    let mut groups: Vec<(Option<&str>, Vec<&FeedConfig>)> = Vec::new();
    let mut folder_of: HashMap<&str, usize> = HashMap::new();
    for feed in feeds {
        match feed.tags.first() {
            None => groups.push((None, vec![feed])),
            Some(tag) => match folder_of.get(tag.as_str()) {
                Some(&i) => groups[i].1.push(feed),
                None => {
                    folder_of.insert(tag, groups.len());
                    groups.push((Some(tag), vec![feed]));
                }
            },
        }
    }
    for (folder, members) in groups {
        match folder {
            None => {
                for feed in members {
                    w.write_event(Event::Empty(feed_outline(feed)))?;
                }
            }
            Some(folder) => {
                let name = xml_safe(folder);
                let mut start = BytesStart::new("outline");
                start.push_attribute(("text", name.as_str()));
                start.push_attribute(("title", name.as_str()));
                w.write_event(Event::Start(start))?;
                for feed in members {
                    w.write_event(Event::Empty(feed_outline(feed)))?;
                }
                w.write_event(Event::End(BytesEnd::new("outline")))?;
            }
        }
    }
    w.write_event(Event::End(BytesEnd::new("body")))?;
    w.write_event(Event::End(BytesEnd::new("opml")))?;
    let mut out = String::from_utf8(w.into_inner()).map_err(std::io::Error::other)?;
    out.push('\n');
    Ok(out)
}

fn feed_outline(feed: &FeedConfig) -> BytesStart<'static> {
    let url = feed.url.as_str();
    let name = feed
        .name
        .as_deref()
        .map_or_else(|| url.to_owned(), xml_safe);
    let mut e = BytesStart::new("outline");
    e.push_attribute(("type", "rss"));
    e.push_attribute(("text", name.as_str()));
    e.push_attribute(("title", name.as_str()));
    e.push_attribute(("xmlUrl", url));
    if !feed.tags.is_empty() {
        let tags: Vec<String> = feed.tags.iter().map(|t| xml_safe(t)).collect();
        e.push_attribute(("category", tags.join(",").as_str()));
    }
    if let Some(interval) = feed.interval {
        e.push_attribute(("feedsift:interval", format_duration(interval).as_str()));
    }
    match feed.full_text {
        FullText::Auto => {}
        FullText::Always => e.push_attribute(("feedsift:fullText", "always")),
        FullText::Never => e.push_attribute(("feedsift:fullText", "never")),
    }
    e
}

/// Text XML 1.0 can carry: quick-xml escapes markup characters, but control
/// characters other than tab and newline are not allowed at all.
fn xml_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c == '\t' || c == '\n' || c == '\r' {
                ' '
            } else {
                c
            }
        })
        .filter(|c| !c.is_control() && *c != '\u{FFFE}' && *c != '\u{FFFF}')
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse_str(s: &str) -> OpmlImport {
        parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn folders_categories_and_names() {
        let doc = parse_str(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>My &amp; feeds</title></head><body>
  <outline text="Tech">
    <outline text="Linux">
      <outline text="LWN" title="LWN.net" type="rss" xmlUrl="https://lwn.net/headlines/rss" category="/kernel,news"/>
    </outline>
    <outline text="Ars &amp; more" xmlUrl="https://feeds.arstechnica.com/arstechnica/index"/>
  </outline>
  <outline text="a note without a feed"/>
  <outline text="Top" xmlUrl="feed://top.example/rss"/>
</body></opml>"#,
        );
        assert_eq!(doc.title.as_deref(), Some("My & feeds"));
        assert_eq!(doc.feeds.len(), 3);
        assert_eq!(doc.feeds[0].name.as_deref(), Some("LWN.net"));
        assert_eq!(doc.feeds[0].tags, vec!["Tech", "Linux", "kernel", "news"]);
        assert_eq!(doc.feeds[1].name.as_deref(), Some("Ars & more"));
        assert_eq!(doc.feeds[1].tags, vec!["Tech"]);
        assert_eq!(doc.feeds[2].url.as_str(), "http://top.example/rss");
        assert!(doc.feeds[2].tags.is_empty());
        assert!(doc.repairs.is_empty());
        // Listed, so that nothing an import leaves out goes unmentioned.
        assert_eq!(doc.skipped.len(), 1);
        assert_eq!(doc.skipped[0].what, "a note without a feed");
    }

    #[test]
    fn duplicates_merge_their_tags() {
        let doc = parse_str(
            r#"<opml version="1.0"><body>
<outline text="A"><outline text="X" xmlUrl="https://x.example/feed"/></outline>
<outline text="B"><outline text="X" xmlUrl="http://www.x.example/feed/"/></outline>
</body></opml>"#,
        );
        assert_eq!(doc.feeds.len(), 1);
        assert_eq!(doc.feeds[0].tags, vec!["A", "B"]);
        assert_eq!(doc.merged, vec!["https://x.example/feed"]);
    }

    #[test]
    fn deviations_are_tolerated() {
        // No version, no head, `url` on a typed outline, XMLURL in caps,
        // a bare `&` and an HTML entity (both invalid XML), double-escaped
        // name, a non-http URL and a FreshRSS scraping source.
        let doc = parse_str(
            "<opml><body>\
<outline type=\"atom\" text=\"Caf&eacute;\" url=\"https://cafe.example/atom?a=1&b=2\"/>\
<outline text=\"Q&amp;amp;A\" XMLURL=\"https://qa.example/rss\"/>\
<outline text=\"Mail\" xmlUrl=\"mailto:x@example.org\"/>\
<outline type=\"HTML+XPath\" text=\"Scraped\" xmlUrl=\"https://s.example/\"/>\
</body></opml>",
        );
        assert!(!doc.repairs.is_empty());
        let names: Vec<_> = doc.feeds.iter().map(|f| f.name.clone().unwrap()).collect();
        assert_eq!(names, vec!["Café", "Q&A"]);
        assert_eq!(
            doc.feeds[0].url.as_str(),
            "https://cafe.example/atom?a=1&b=2"
        );
        assert_eq!(doc.skipped.len(), 2, "{:?}", doc.skipped);
        assert!(doc.skipped[0].reason.contains("http or https"));
        assert!(doc.skipped[1].reason.contains("FreshRSS"));
    }

    #[test]
    fn outlines_that_are_not_feeds_are_listed_not_dropped() {
        let doc = parse_str(
            r#"<opml version="2.0"><body>
<outline text="News">
  <outline text="Typed" type="rss" xmlUrl="https://typed.example/rss"/>
  <outline text="Url only" url="https://urlonly.example/feed.xml"/>
  <outline text="A link" type="link" url="https://link.example/"/>
  <outline text="Site only" htmlUrl="https://site.example/"/>
  <outline text="A note"/>
</outline>
<outline text="Empty folder"></outline>
</body></opml>"#,
        );
        assert_eq!(doc.feeds.len(), 1);
        let skipped: Vec<(&str, &str)> = doc
            .skipped
            .iter()
            .map(|s| (s.what.as_str(), s.reason.split(',').next().unwrap_or("")))
            .collect();
        assert_eq!(
            skipped,
            [
                (
                    "https://urlonly.example/feed.xml",
                    "an outline with url= but no type=\"rss\""
                ),
                (
                    "https://link.example/",
                    "an outline of type=\"link\" (a link or an included list)"
                ),
                (
                    "https://site.example/",
                    "a web site without a feed address (htmlUrl only); `feedsift feeds add URL` finds the feed a page announces"
                ),
                (
                    "A note",
                    "an outline without a feed address (no xmlUrl) and nothing inside it"
                ),
            ]
        );
    }

    #[test]
    fn latin1_document() {
        let mut bytes = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><opml version=\"2.0\"><body><outline text=\"Z\xfcrich\" xmlUrl=\"https://z.example/\"/></body></opml>".to_vec();
        bytes.push(b'\n');
        let doc = parse(&bytes).unwrap();
        assert_eq!(doc.feeds[0].name.as_deref(), Some("Zürich"));
    }

    #[test]
    fn not_opml() {
        assert_eq!(
            parse(b"<rss version=\"2.0\"><channel/></rss>"),
            Err(OpmlError::NotOpml("rss".into()))
        );
        assert_eq!(parse(b"   "), Err(OpmlError::Empty));
        assert!(matches!(
            parse(b"<opml><body><outline text=\"x\" xmlUrl=\"https://x.example/\"></body"),
            Ok(_) | Err(OpmlError::Invalid(_))
        ));
    }

    #[test]
    fn our_namespace_attributes() {
        let doc = parse_str(
            r#"<opml version="2.0" xmlns:fs="https://github.com/feedsift/feedsift#opml"><body>
<outline text="A" xmlUrl="https://a.example/" fs:interval="1h" fs:fullText="always"/>
<outline text="B" xmlUrl="https://b.example/" fs:interval="10s" fs:fullText="sometimes"/>
<outline text="C" xmlUrl="https://c.example/" interval="1h"/>
</body></opml>"#,
        );
        assert_eq!(doc.feeds[0].interval.as_deref(), Some("1h"));
        assert_eq!(doc.feeds[0].full_text.as_deref(), Some("always"));
        assert_eq!(doc.feeds[1].interval, None);
        assert_eq!(doc.feeds[1].full_text, None);
        assert_eq!(doc.warnings.len(), 2, "{:?}", doc.warnings);
        assert_eq!(doc.feeds[2].interval, None);
    }

    #[test]
    fn export_is_escaped_grouped_and_reads_back() {
        let config = crate::config::Config::parse(
            Path::new("feeds.toml"),
            r#"
[[feed]]
url = "https://a.example/rss?x=1&y=2"
name = "A <b> & \"c\""
tags = ["world", "news"]
interval = "1h30m"
full_text = "never"

[[feed]]
url = "https://b.example/feed"

[[feed]]
url = "https://c.example/feed"
name = "C"
tags = ["world"]
"#,
        )
        .unwrap();
        let created = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc);
        let xml = write(&config.feeds, "feedsift & co", created).unwrap();
        assert!(
            xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\""),
            "{xml}"
        );
        assert!(
            xml.contains("<dateCreated>Fri, 02 Jan 2026 03:04:05 GMT</dateCreated>"),
            "{xml}"
        );
        assert!(
            xml.contains("xmlUrl=\"https://a.example/rss?x=1&amp;y=2\""),
            "{xml}"
        );
        assert!(
            xml.contains("text=\"A &lt;b&gt; &amp; &quot;c&quot;\""),
            "{xml}"
        );
        let back = parse(xml.as_bytes()).unwrap();
        assert!(back.repairs.is_empty(), "{:?}", back.repairs);
        assert_eq!(back.title.as_deref(), Some("feedsift & co"));
        let got: Vec<_> = back
            .feeds
            .iter()
            .map(|f| {
                (
                    f.url.to_string(),
                    f.name.clone(),
                    f.tags.clone(),
                    f.interval.clone(),
                    f.full_text.clone(),
                )
            })
            .collect();
        // Folder order is first appearance; feeds regroup under their folder.
        assert_eq!(
            got,
            vec![
                (
                    "https://a.example/rss?x=1&y=2".into(),
                    Some("A <b> & \"c\"".into()),
                    vec!["world".into(), "news".into()],
                    Some("1h30m".into()),
                    Some("never".into())
                ),
                (
                    "https://c.example/feed".into(),
                    Some("C".into()),
                    vec!["world".into()],
                    None,
                    None
                ),
                ("https://b.example/feed".into(), None, vec![], None, None),
            ]
        );
    }

    #[test]
    fn entity_decoding() {
        assert_eq!(
            decode_entities("a &amp; b &#233; &#x41; &nosuch; & c"),
            "a & b é A &nosuch; & c"
        );
    }
}
