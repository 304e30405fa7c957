//! Atom 1.0 (and Atom 0.3, which the scanner rewrites to it): the feed and
//! its entries, and Atom elements found inside RSS (`atom:link`,
//! `atom:updated`, ...).

use super::draft::{EntryDraft, MetaDraft};
use super::links::{absolutize, number, resolve_id};
use super::model::{Enclosure, Image, Link};
use super::tree::{Element, Ns};
use super::{dates, extensions, people, text};

/// Atom elements are in the Atom namespace; feeds that forgot to declare
/// it write them in none.
fn is_atom(el: &Element) -> bool {
    matches!(el.ns, Ns::Atom | Ns::None)
}

/// A `<feed>` root: its metadata and entries. A lone `<entry>` root is a
/// feed of one entry.
pub(crate) fn read(root: &Element) -> (MetaDraft, Vec<EntryDraft>) {
    let mut meta = MetaDraft {
        xml_lang: root.lang.as_deref().map(str::to_owned),
        base: root.base.as_deref().map(|u| u.to_string()),
        ..MetaDraft::default()
    };
    if root.named("entry") {
        return (meta, vec![entry(root)]);
    }
    let mut entries = Vec::new();
    for child in root.elements() {
        if is_atom(child) && child.named("entry") {
            entries.push(entry(child));
        } else if is_atom(child) {
            feed_child(child, &mut meta);
        } else {
            extensions::feed_element(child, &mut meta);
        }
    }
    // A self link is this document, and this document is Atom.
    for link in &mut meta.common.links {
        if link.rel == "self" && link.media_type.is_none() {
            link.media_type = Some("application/atom+xml".to_owned());
        }
    }
    (meta, entries)
}

fn entry(el: &Element) -> EntryDraft {
    let mut d = EntryDraft {
        id_is_permalink: true,
        xml_lang: el.lang.as_deref().map(str::to_owned),
        base: el.base.as_deref().map(|u| u.to_string()),
        ..EntryDraft::default()
    };
    for child in el.elements() {
        if is_atom(child) {
            entry_child(child, &mut d);
        } else {
            extensions::entry_element(child, &mut d);
        }
    }
    d
}

/// An Atom element of the feed (also `atom:*` inside an RSS channel).
pub(crate) fn feed_child(el: &Element, d: &mut MetaDraft) {
    match el.name.to_ascii_lowercase().as_str() {
        "subtitle" | "tagline" => d.subtitle.offer(0, text::atom(el)),
        "logo" | "icon" => {
            let rank = if el.named("logo") { 0 } else { 2 };
            d.image.offer(
                rank,
                el.trimmed().map(|u| Image {
                    url: absolutize(&u, el.base.as_deref()),
                    title: None,
                    link: None,
                    width: None,
                    height: None,
                }),
            );
        }
        "link" => d.common.links.extend(link(el)),
        _ => shared_child(el, &mut d.common),
    }
}

/// An Atom element of an entry (also `atom:*` inside an RSS item).
pub(crate) fn entry_child(el: &Element, d: &mut EntryDraft) {
    match el.name.to_ascii_lowercase().as_str() {
        "summary" => d.summary.offer(0, text::atom(el)),
        "content" => d.content.offer(0, text::atom(el)),
        "link" => {
            let Some(link) = link(el) else { return };
            if link.rel.eq_ignore_ascii_case("enclosure") {
                d.enclosures.offer(
                    0,
                    Some(Enclosure {
                        url: link.href.clone(),
                        media_type: link.media_type.clone(),
                        length: link.length,
                    }),
                );
            } else if link.rel.eq_ignore_ascii_case("replies")
                && link
                    .media_type
                    .as_deref()
                    .is_none_or(|t| t.contains("html"))
            {
                d.comments.offer(0, Some(link.href.clone()));
            }
            d.common.links.push(link);
        }
        _ => shared_child(el, &mut d.common),
    }
}

/// Atom elements with the same meaning on the feed and on an entry.
fn shared_child(el: &Element, c: &mut super::draft::Common) {
    match el.name.to_ascii_lowercase().as_str() {
        "title" => c.title.offer(0, text::atom(el)),
        "id" => c.id.offer(
            0,
            el.trimmed().map(|id| resolve_id(&id, el.base.as_deref())),
        ),
        "updated" | "modified" => c.updated.offer_last(0, dates::parse(&el.text())),
        "published" | "issued" => c.published.offer_last(0, dates::parse(&el.text())),
        "created" => c.published.offer_last(2, dates::parse(&el.text())),
        "author" => c.authors.offer(0, people::atom(el)),
        "contributor" => c.contributors.extend(people::atom(el)),
        "rights" | "copyright" => c.rights.offer(0, text::atom(el)),
        "category" => {
            let term = el.attr("term").map(str::to_owned).or_else(|| el.trimmed());
            if let Some(term) = term {
                c.tag(&term, el.attr("scheme"), el.attr("label"));
            }
        }
        _ => {}
    }
}

/// An Atom `<link>`; None without an `href`.
fn link(el: &Element) -> Option<Link> {
    // An empty href is a reference to the base itself.
    let href = el
        .attr("href")
        .map(str::trim)
        .filter(|h| !h.is_empty() || el.base.is_some())?;
    let attr = |n: &str| {
        el.attr(n)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    Some(Link {
        href: absolutize(href, el.base.as_deref()),
        rel: attr("rel").unwrap_or_else(|| "alternate".to_owned()),
        media_type: attr("type"),
        title: attr("title"),
        length: number(el.attr("length")),
        hreflang: attr("hreflang"),
    })
}
