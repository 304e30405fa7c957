//! The RSS family: RSS 0.9x and 2.0 (`<rss><channel><item>`), RSS 0.90 and
//! 1.0 (`<rdf:RDF>` with `<channel>` and `<item>` side by side), and CDF,
//! which the scanner rewrites to RSS.
//!
//! RSS's own elements are recognised in no namespace, in the namespaces
//! RSS 0.90, 1.0 and 2.0 were given, and in whatever namespace the root
//! element is in (`<r:rss xmlns:r="…">`), never by prefix. Items are read
//! wherever they sit (inside the channel or beside it).

use super::draft::{EntryDraft, MetaDraft};
use super::links::{absolutize, number};
use super::model::{Enclosure, FeedFormat, Image, Link};
use super::tree::{Element, Ns, normalize_lang};
use super::{atom, dates, extensions, people, text};

/// Whether `el` is one of RSS's own elements in a document rooted at
/// `root`.
fn is_core(el: &Element, root: &Element) -> bool {
    matches!(el.ns, Ns::None | Ns::Rss) || (el.ns == root.ns && el.uri == root.uri)
}

pub(crate) fn read(root: &Element) -> (FeedFormat, MetaDraft, Vec<EntryDraft>) {
    let format = if root.named("rdf") {
        FeedFormat::Rdf
    } else {
        FeedFormat::Rss
    };
    let channel = root
        .elements()
        .find(|e| is_core(e, root) && e.named("channel"));
    let scope = channel.unwrap_or(root);
    let mut meta = MetaDraft {
        xml_lang: scope.lang.as_deref().map(str::to_owned),
        base: scope.base.as_deref().map(|u| u.to_string()),
        ..MetaDraft::default()
    };
    let mut entries = Vec::new();
    for child in root.elements() {
        if is_core(child, root) && child.named("item") {
            entries.push(item(child, root));
        } else if channel.is_some_and(|ch| std::ptr::eq(ch, child)) {
            for grandchild in child.elements() {
                if is_core(grandchild, root) && grandchild.named("item") {
                    entries.push(item(grandchild, root));
                } else {
                    channel_child(grandchild, root, &mut meta);
                }
            }
        } else if channel.is_none() || (is_core(child, root) && child.named("image")) {
            // RDF puts the image beside the channel.
            channel_child(child, root, &mut meta);
        }
    }
    (format, meta, entries)
}

fn channel_child(el: &Element, root: &Element, d: &mut MetaDraft) {
    if el.ns == Ns::Atom {
        atom::feed_child(el, d);
        return;
    }
    if !is_core(el, root) {
        extensions::feed_element(el, d);
        return;
    }
    let c = &mut d.common;
    match el.name.to_ascii_lowercase().as_str() {
        "title" => c.title.offer(0, text::guessed(el)),
        "link" => c.links.extend(rss_link(el)),
        "description" => d.subtitle.offer(0, text::rss_html(el)),
        "language" => c.language.offer(0, normalize_lang(&el.text())),
        "copyright" => c.rights.offer(0, text::guessed(el)),
        "author" => c.authors.offer(0, people::from_text(&el.text())),
        "managingeditor" => c.authors.offer(1, people::from_text(&el.text())),
        "pubdate" => c.published.offer_last(0, dates::parse(&el.text())),
        "lastbuilddate" | "updated" => c.updated.offer_last(0, dates::parse(&el.text())),
        "category" => c.tag(&el.text(), el.attr("domain"), None),
        "ttl" => d.ttl = number(el.trimmed().as_deref()),
        "image" => d.image.offer(0, image(el, root)),
        _ => {}
    }
}

/// `<image>` with `<url>`, `<title>`, `<link>`, `<width>`, `<height>`.
fn image(el: &Element, root: &Element) -> Option<Image> {
    let child = |name: &str| {
        el.elements()
            .find(|e| is_core(e, root) && e.named(name))
            .and_then(Element::trimmed)
    };
    let url = child("url").or_else(|| el.attr_ns(Ns::Rdf, "resource").map(str::to_owned))?;
    Some(Image {
        url: absolutize(&url, el.base.as_deref()),
        title: child("title").map(|t| text::collapse_whitespace(&t)),
        link: child("link").map(|l| absolutize(&l, el.base.as_deref())),
        width: number(child("width").as_deref()),
        height: number(child("height").as_deref()),
    })
}

/// An RSS `<link>`: its text, as an alternate HTML link.
fn rss_link(el: &Element) -> Option<Link> {
    let href = el.trimmed()?;
    Some(Link {
        href: absolutize(&href, el.base.as_deref()),
        rel: "alternate".to_owned(),
        media_type: Some("text/html".to_owned()),
        title: None,
        length: None,
        hreflang: None,
    })
}

fn item(el: &Element, root: &Element) -> EntryDraft {
    let mut d = EntryDraft {
        id_is_permalink: true,
        xml_lang: el.lang.as_deref().map(str::to_owned),
        base: el.base.as_deref().map(|u| u.to_string()),
        ..EntryDraft::default()
    };
    // RSS 1.0 names each item by its URI.
    d.common.id.offer(
        1,
        el.attr_ns(Ns::Rdf, "about")
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_owned),
    );
    for child in el.elements() {
        if child.ns == Ns::Atom {
            atom::entry_child(child, &mut d);
        } else if is_core(child, root) {
            item_child(child, &mut d);
        } else {
            extensions::entry_element(child, &mut d);
        }
    }
    d
}

fn item_child(el: &Element, d: &mut EntryDraft) {
    let c = &mut d.common;
    match el.name.to_ascii_lowercase().as_str() {
        "title" => c.title.offer(0, text::guessed(el)),
        "link" => c.links.extend(rss_link(el)),
        // feedparser's reading, and the sensible one: the first of the
        // two is the summary, a second one is fuller text.
        "description" | "summary" if !d.summary.has_rank(0) => {
            d.summary.offer(0, text::rss_html(el));
        }
        "description" | "summary" => d.content.offer(3, text::rss_html(el)),
        "fullitem" => d.content.offer(2, text::rss_html(el)),
        "body" => d.content.offer(1, text::xhtml(el)),
        "author" => c.authors.offer(0, people::from_text(&el.text())),
        "category" => c.tag(&el.text(), el.attr("domain"), None),
        "comments" => d
            .comments
            .offer(0, el.trimmed().map(|u| absolutize(&u, el.base.as_deref()))),
        "enclosure" => {
            let found = enclosure(el);
            if let Some(e) = &found {
                c.links.push(Link {
                    href: e.url.clone(),
                    rel: "enclosure".to_owned(),
                    media_type: e.media_type.clone(),
                    title: None,
                    length: e.length,
                    hreflang: None,
                });
            }
            d.enclosures.offer(0, found);
        }
        // Not RSS, but written in the wild (and read by feedparser).
        "tags" => {
            for word in el.text().split(',') {
                c.tag(word, None, None);
            }
        }
        "guid" => {
            c.id.offer(0, el.trimmed());
            if el
                .attr("isPermaLink")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"))
            {
                d.id_is_permalink = false;
            }
        }
        "pubdate" => c.published.offer_last(0, dates::parse(&el.text())),
        "updated" | "lastbuilddate" => c.updated.offer_last(0, dates::parse(&el.text())),
        "language" => c.language.offer(0, normalize_lang(&el.text())),
        _ => {}
    }
}

fn enclosure(el: &Element) -> Option<Enclosure> {
    let url = el.attr("url").map(str::trim).filter(|u| !u.is_empty())?;
    Some(Enclosure {
        url: absolutize(url, el.base.as_deref()),
        media_type: el
            .attr("type")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned),
        length: number(el.attr("length")),
    })
}
