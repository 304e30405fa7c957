//! Elements of the extension namespaces that RSS and Atom feeds share:
//! Dublin Core and DC terms, iTunes, Media RSS, `content:encoded`, inline
//! XHTML and the syndication module. Each fills a field at the rank the
//! precedence table in [`super::draft`] gives it.

use super::draft::{Common, EntryDraft, MetaDraft};
use super::links::{absolutize, number};
use super::model::{Enclosure, Image};
use super::tree::{Element, Ns, normalize_lang};
use super::{dates, people, text};

/// The scheme iTunes categories and keywords are filed under.
const ITUNES_SCHEME: &str = "http://www.itunes.com/";

/// Media RSS's default category scheme.
const MEDIA_SCHEME: &str = "http://search.yahoo.com/mrss/category_schema";

/// An extension element inside an item or entry.
pub(crate) fn entry_element(el: &Element, d: &mut EntryDraft) {
    let name = el.name.to_ascii_lowercase();
    match (el.ns, name.as_str()) {
        (Ns::Dc, "description") => d.summary.offer(1, text::guessed(el)),
        (Ns::Itunes, "summary") => d.summary.offer(2, text::guessed(el)),
        (Ns::Itunes, "subtitle") => d.summary.offer(3, text::guessed(el)),
        (Ns::Content, "encoded") => d.content.offer(0, text::rss_html(el)),
        (Ns::Xhtml, "body") => d.content.offer(1, text::xhtml(el)),
        (Ns::Media, "content") => media_content(el, d),
        (Ns::Media, "group") => {
            for child in el.elements() {
                entry_element(child, d);
            }
        }
        _ => common_element(el, &mut d.common),
    }
}

/// An extension element of the channel or feed.
pub(crate) fn feed_element(el: &Element, d: &mut MetaDraft) {
    let name = el.name.to_ascii_lowercase();
    match (el.ns, name.as_str()) {
        (Ns::Dc, "description") => d.subtitle.offer(1, text::guessed(el)),
        (Ns::Itunes, "subtitle") => d.subtitle.offer(2, text::guessed(el)),
        (Ns::Itunes, "summary") => d.subtitle.offer(3, text::guessed(el)),
        (Ns::Itunes, "image") => itunes_image(el, d),
        (Ns::Itunes, "link") if el.attr("rel").is_some_and(|r| r.trim() == "image") => {
            itunes_image(el, d);
        }
        (Ns::Syndication, "updateperiod") => d.update_period = el.trimmed(),
        (Ns::Syndication, "updatefrequency") => {
            d.update_frequency = number(el.trimmed().as_deref());
        }
        _ => common_element(el, &mut d.common),
    }
}

/// `<itunes:image href>` (or `<itunes:link rel="image" href>`).
fn itunes_image(el: &Element, d: &mut MetaDraft) {
    let url = el
        .attr("href")
        .or_else(|| el.attr("url"))
        .map(str::to_owned)
        .or_else(|| el.trimmed());
    d.image.offer(
        1,
        url.map(|u| Image {
            url: absolutize(&u, el.base.as_deref()),
            title: None,
            link: None,
            width: None,
            height: None,
        }),
    );
}

/// Elements that mean the same on the feed and on an entry.
fn common_element(el: &Element, c: &mut Common) {
    let name = el.name.to_ascii_lowercase();
    match (el.ns, name.as_str()) {
        (Ns::Dc, "title") => c.title.offer(1, text::guessed(el)),
        (Ns::Dc, "creator" | "author") => c.authors.offer(2, people::from_text(&el.text())),
        (Ns::Dc, "contributor") => c.contributors.extend(people::from_text(&el.text())),
        (Ns::Dc, "date") => c.updated.offer_last(2, dates::parse(&el.text())),
        (Ns::Dc, "language") => c.language.offer(1, normalize_lang(&el.text())),
        (Ns::Dc, "rights") => c.rights.offer(1, text::guessed(el)),
        (Ns::Dc, "subject") => c.tag(&el.text(), None, None),
        (Ns::DcTerms, "issued") => c.published.offer_last(1, dates::parse(&el.text())),
        (Ns::DcTerms, "created") => c.published.offer_last(2, dates::parse(&el.text())),
        (Ns::DcTerms, "modified") => c.updated.offer_last(1, dates::parse(&el.text())),
        (Ns::Itunes, "author") => c.authors.offer(3, people::from_text(&el.text())),
        (Ns::Itunes, "title") => c.title.offer(2, text::guessed(el)),
        (Ns::Itunes, "category") => itunes_category(el, c),
        (Ns::Itunes, "keywords") => {
            for word in el.text().split(',') {
                c.tag(word, Some(ITUNES_SCHEME), None);
            }
        }
        (Ns::Media, "title") => c.title.offer(3, text::guessed(el)),
        (Ns::Media, "category") => c.tag(
            &el.text(),
            Some(el.attr("scheme").unwrap_or(MEDIA_SCHEME)),
            el.attr("label"),
        ),
        _ => {}
    }
}

/// `<itunes:category text="…">`, possibly with subcategories inside.
fn itunes_category(el: &Element, c: &mut Common) {
    if let Some(term) = el.attr("text") {
        c.tag(term, Some(ITUNES_SCHEME), None);
    }
    for child in el.elements().filter(|e| e.is(Ns::Itunes, "category")) {
        itunes_category(child, c);
    }
}

/// `<media:content url type fileSize>`: an enclosure when the entry has
/// no RSS or Atom one; its `media:title` can title the entry.
fn media_content(el: &Element, d: &mut EntryDraft) {
    if let Some(url) = el.attr("url").map(str::trim).filter(|u| !u.is_empty()) {
        d.enclosures.offer(
            1,
            Some(Enclosure {
                url: absolutize(url, el.base.as_deref()),
                media_type: el.attr("type").map(|t| t.trim().to_owned()),
                length: number(el.attr("fileSize")),
            }),
        );
    }
    for child in el.elements() {
        common_element(child, &mut d.common);
    }
}
