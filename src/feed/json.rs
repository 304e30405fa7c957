//! JSON Feed 1.0 and 1.1, read leniently: a numeric `id`, a missing
//! `version` or `title`, `author` or `authors` are all accepted, as in the
//! wild.

use serde_json::{Map, Value};
use url::Url;

use super::draft::{EntryDraft, MetaDraft};
use super::links::absolutize;
use super::model::{Enclosure, Image, Link, Person, TextBlock};
use super::text::{HTML, PLAIN};
use super::tree::normalize_lang;
use super::{FeedError, dates};

/// The feed's metadata and items; an error when the JSON is not a JSON
/// Feed.
pub(crate) fn read(
    text: &str,
    base: Option<&Url>,
) -> Result<(MetaDraft, Vec<EntryDraft>), FeedError> {
    let doc: Value =
        serde_json::from_str(text).map_err(|e| FeedError::Invalid(format!("JSON: {e}")))?;
    let Some(obj) = doc.as_object() else {
        return Err(FeedError::NotAFeed(
            "a JSON value that is not an object".into(),
        ));
    };
    let is_feed = string(obj, "version").is_some_and(|v| v.contains("jsonfeed.org/version/"))
        || obj.get("items").is_some_and(Value::is_array);
    if !is_feed {
        return Err(FeedError::NotAFeed(
            "a JSON document that is not a JSON Feed".into(),
        ));
    }
    let mut meta = MetaDraft {
        base: base.map(Url::to_string),
        ..MetaDraft::default()
    };
    let c = &mut meta.common;
    c.title.offer(0, plain(string(obj, "title")));
    c.links
        .extend(link(obj, "home_page_url", "alternate", base));
    c.links.extend(link(obj, "feed_url", "self", base));
    c.language
        .offer(0, string(obj, "language").and_then(|l| normalize_lang(&l)));
    for person in people(obj) {
        c.authors.offer(0, Some(person));
    }
    meta.subtitle.offer(0, plain(string(obj, "description")));
    for (rank, key) in [(0, "icon"), (2, "favicon")] {
        meta.image.offer(
            rank,
            string(obj, key).map(|u| Image {
                url: absolutize(&u, base),
                title: None,
                link: None,
                width: None,
                height: None,
            }),
        );
    }
    let feed_authors = people(obj);
    let entries = obj
        .get("items")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_object)
                .map(|item| entry(item, base, &feed_authors))
                .collect()
        })
        .unwrap_or_default();
    Ok((meta, entries))
}

fn entry(item: &Map<String, Value>, base: Option<&Url>, feed_authors: &[Person]) -> EntryDraft {
    let mut d = EntryDraft {
        id_is_permalink: true,
        base: base.map(Url::to_string),
        ..EntryDraft::default()
    };
    let c = &mut d.common;
    c.id.offer(
        0,
        match item.get("id") {
            Some(Value::String(s)) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        },
    );
    c.links.extend(link(item, "url", "alternate", base));
    c.links.extend(link(item, "external_url", "related", base));
    c.title.offer(0, plain(string(item, "title")));
    c.published.offer_last(
        0,
        string(item, "date_published").and_then(|d| dates::parse(&d)),
    );
    c.updated.offer_last(
        0,
        string(item, "date_modified").and_then(|d| dates::parse(&d)),
    );
    c.language
        .offer(0, string(item, "language").and_then(|l| normalize_lang(&l)));
    // Per the spec, an item without authors has the feed's.
    let mut authors = people(item);
    if authors.is_empty() {
        authors = feed_authors.to_vec();
    }
    for person in authors {
        c.authors.offer(0, Some(person));
    }
    for tag in item
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(term) = tag.as_str() {
            c.tag(term, None, None);
        }
    }
    d.content
        .offer(0, block(HTML, string(item, "content_html")));
    d.content
        .offer(1, block(PLAIN, string(item, "content_text")));
    d.summary.offer(0, plain(string(item, "summary")));
    for attachment in item
        .get("attachments")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        d.enclosures.offer(0, enclosure(attachment, base));
    }
    d
}

fn string(obj: &Map<String, Value>, key: &str) -> Option<String> {
    obj.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn link(obj: &Map<String, Value>, key: &str, rel: &str, base: Option<&Url>) -> Option<Link> {
    string(obj, key).map(|href| Link {
        href: absolutize(&href, base),
        rel: rel.to_owned(),
        media_type: None,
        title: None,
        length: None,
        hreflang: None,
    })
}

fn plain(value: Option<String>) -> Option<TextBlock> {
    block(PLAIN, value)
}

fn block(media_type: &str, value: Option<String>) -> Option<TextBlock> {
    value.map(|value| TextBlock {
        media_type: media_type.to_owned(),
        value,
        language: None,
        base: None,
        src: None,
    })
}

/// `authors` (1.1) or `author` (1.0).
fn people(obj: &Map<String, Value>) -> Vec<Person> {
    let list: Vec<&Value> = match (obj.get("authors"), obj.get("author")) {
        (Some(Value::Array(a)), _) => a.iter().collect(),
        (_, Some(one)) => vec![one],
        _ => Vec::new(),
    };
    list.into_iter()
        .filter_map(Value::as_object)
        .map(|a| Person {
            name: string(a, "name"),
            email: None,
            uri: string(a, "url"),
        })
        .filter(|p| p.name.is_some() || p.uri.is_some())
        .collect()
}

fn enclosure(value: &Value, base: Option<&Url>) -> Option<Enclosure> {
    let obj = value.as_object()?;
    Some(Enclosure {
        url: absolutize(&string(obj, "url")?, base),
        media_type: string(obj, "mime_type"),
        length: obj.get("size_in_bytes").and_then(Value::as_u64),
    })
}
