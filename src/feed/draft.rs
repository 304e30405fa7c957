//! Entries and feed metadata under construction, with the precedence of
//! the elements that can fill a field.
//!
//! A field can come from several elements (a title from `<title>`,
//! `dc:title`, `itunes:title` or `media:title`). Each offer carries a rank,
//! 0 the best; the best rank wins whatever the document order, and within
//! a rank the first offer wins (lists accumulate). The ranks are the
//! precedence the README documents:
//!
//! | field | rank 0 | 1 | 2 | 3 |
//! | --- | --- | --- | --- | --- |
//! | title | `title` | `dc:title` | `itunes:title` | `media:title` |
//! | summary | `description`/`summary` | `dc:description` | `itunes:summary` | `itunes:subtitle` |
//! | content | `content:encoded`/Atom `content` | `xhtml:body` | `fullitem` | a second `description`/`summary` |
//! | authors | `author`/Atom author | `managingEditor` (feed) | `dc:creator` | `itunes:author` |
//! | published | `pubDate`/`published` | `dcterms:issued` | `dcterms:created` | |
//! | updated | `lastBuildDate`/`updated` (CDF `LASTMOD`) | `dcterms:modified` | `dc:date` | |
//! | language | `language` | `dc:language` | `xml:lang` | (entries) the feed's |
//! | rights | `copyright`/`rights` | `dc:rights` | | |
//! | image | RSS `image`/Atom `logo` | `itunes:image` | Atom `icon` | |
//! | enclosures | RSS `enclosure`/Atom `rel="enclosure"` | `media:content` | | |

use chrono::{DateTime, Utc};

use super::links;
use super::model::{
    Enclosure, FeedEntry, FeedMeta, Image, KeySource, Link, Person, Tag, TextBlock,
};
use super::text;

/// The best-ranked value offered for a field.
#[derive(Debug)]
pub(crate) struct Best<T> {
    rank: u8,
    value: Option<T>,
}

impl<T> Default for Best<T> {
    fn default() -> Self {
        Best {
            rank: u8::MAX,
            value: None,
        }
    }
}

impl<T> Best<T> {
    pub fn offer(&mut self, rank: u8, value: Option<T>) {
        if let Some(v) = value {
            if self.value.is_none() || rank < self.rank {
                self.rank = rank;
                self.value = Some(v);
            }
        }
    }

    /// Like `offer`, but a later value of the same rank replaces an earlier
    /// one (dates: feedparser's reading of repeated date elements).
    pub fn offer_last(&mut self, rank: u8, value: Option<T>) {
        if let Some(v) = value {
            if self.value.is_none() || rank <= self.rank {
                self.rank = rank;
                self.value = Some(v);
            }
        }
    }

    /// True when a value of rank `rank` (or better) was offered.
    pub fn has_rank(&self, rank: u8) -> bool {
        self.value.is_some() && self.rank <= rank
    }

    pub fn take(self) -> Option<T> {
        self.value
    }
}

/// A list field: the values of the best rank offered, in document order.
#[derive(Debug)]
pub(crate) struct Ranked<T> {
    rank: u8,
    values: Vec<T>,
}

impl<T> Default for Ranked<T> {
    fn default() -> Self {
        Ranked {
            rank: u8::MAX,
            values: Vec::new(),
        }
    }
}

impl<T> Ranked<T> {
    pub fn offer(&mut self, rank: u8, value: Option<T>) {
        let Some(v) = value else { return };
        if rank < self.rank {
            self.rank = rank;
            self.values.clear();
        }
        if rank == self.rank {
            self.values.push(v);
        }
    }

    pub fn take(self) -> Vec<T> {
        self.values
    }
}

/// What feed and entry have in common.
#[derive(Debug, Default)]
pub(crate) struct Common {
    pub title: Best<TextBlock>,
    pub links: Vec<Link>,
    pub authors: Ranked<Person>,
    pub contributors: Vec<Person>,
    pub published: Best<DateTime<Utc>>,
    pub updated: Best<DateTime<Utc>>,
    pub rights: Best<TextBlock>,
    pub tags: Vec<Tag>,
    /// Language from an element (`language`, `dc:language`).
    pub language: Best<String>,
    pub id: Best<String>,
}

impl Common {
    pub fn tag(&mut self, term: &str, scheme: Option<&str>, label: Option<&str>) {
        let term = text::collapse_whitespace(term);
        if term.is_empty() || self.tags.iter().any(|t| t.term == term) {
            return;
        }
        let clean = |s: Option<&str>| {
            s.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        self.tags.push(Tag {
            term,
            scheme: clean(scheme),
            label: clean(label),
        });
    }
}

#[derive(Debug, Default)]
pub(crate) struct EntryDraft {
    pub common: Common,
    pub summary: Best<TextBlock>,
    pub content: Best<TextBlock>,
    pub enclosures: Ranked<Enclosure>,
    pub comments: Best<String>,
    /// An id that is a web URL may serve as the link when the entry has
    /// none; false for an RSS guid marked `isPermaLink="false"`.
    pub id_is_permalink: bool,
    /// `xml:lang` in effect on the entry element.
    pub xml_lang: Option<String>,
    pub base: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct MetaDraft {
    pub common: Common,
    pub subtitle: Best<TextBlock>,
    pub image: Best<Image>,
    pub xml_lang: Option<String>,
    pub base: Option<String>,
    /// RSS `<ttl>`, minutes.
    pub ttl: Option<u64>,
    /// `sy:updatePeriod` and `sy:updateFrequency`.
    pub update_period: Option<String>,
    pub update_frequency: Option<u64>,
}

/// The feed's metadata, its title and its site link.
pub(crate) fn finish_meta(d: MetaDraft) -> (Option<String>, Option<String>, FeedMeta) {
    let c = d.common;
    let site_url = links::pick(&c.links).map(str::to_owned);
    let language = c.language.take().or(d.xml_lang);
    let title_detail = c.title.take();
    let title = title_detail.as_ref().and_then(text::title_of);
    let meta = FeedMeta {
        title_detail,
        subtitle: d.subtitle.take(),
        language,
        updated: c.updated.take(),
        published: c.published.take(),
        image: d.image.take(),
        authors: c.authors.take(),
        contributors: c.contributors,
        rights: c.rights.take(),
        tags: c.tags,
        links: c.links,
        id: c.id.take(),
        base: d.base,
    };
    (title, site_url, meta)
}

/// The finished entry. `feed_language` is the language it inherits.
pub(crate) fn finish_entry(d: EntryDraft, feed_language: Option<&str>) -> FeedEntry {
    let c = d.common;
    let id = c.id.take();
    let mut link = links::pick(&c.links).map(str::to_owned);
    if link.is_none() && d.id_is_permalink {
        // An id that is a URL is the best link there is (RSS: the guid is
        // the permalink unless it says otherwise).
        link = id.clone().filter(|i| links::is_web_url(i));
    }
    let summary = d.summary.take();
    let content = d.content.take();
    let content_html = content
        .as_ref()
        .and_then(text::as_html)
        .or_else(|| summary.as_ref().and_then(text::as_html));
    let authors = c.authors.take();
    let mut entry = FeedEntry::with_key(String::new());
    entry.author = authors.iter().find_map(|p| p.display()).map(str::to_owned);
    entry.title_detail = c.title.take();
    entry.title = entry.title_detail.as_ref().and_then(text::title_of);
    entry.published = c.published.take();
    entry.updated = c.updated.take();
    entry.language = c
        .language
        .take()
        .or(d.xml_lang)
        .or_else(|| feed_language.map(str::to_owned));
    entry.link = link;
    entry.links = c.links;
    entry.authors = authors;
    entry.contributors = c.contributors;
    entry.rights = c.rights.take();
    entry.tags = c.tags;
    entry.enclosures = d.enclosures.take();
    entry.comments = d.comments.take();
    entry.base = d.base;
    entry.content_html = content_html;
    entry.summary = summary;
    entry.content = content;
    entry.id = id;
    assign_key(&mut entry);
    entry
}

/// The entry's key: its id, else its link, else a hash of what it says.
fn assign_key(entry: &mut FeedEntry) {
    if let Some(id) = entry.id.as_ref().filter(|i| !i.is_empty()) {
        entry.key = id.clone();
        entry.key_source = KeySource::Id;
    } else if let Some(link) = &entry.link {
        entry.key = link.clone();
        entry.key_source = KeySource::Link;
    } else {
        entry.key = format!("hash:{:016x}", fnv1a(key_seed(entry).as_bytes()));
        entry.key_source = KeySource::Hash;
    }
}

/// What identifies an entry that has neither id nor link: its title, its
/// text and its dates, all stable while the entry does not change. An
/// entry with none of these is told apart by everything else it has.
fn key_seed(entry: &FeedEntry) -> String {
    let mut seed = format!(
        "{}\u{0}{}",
        entry.title.as_deref().unwrap_or(""),
        entry.content_html.as_deref().unwrap_or(""),
    );
    // Dates are appended only when present, so that the keys of dateless
    // entries are the ones feedsift has always given them.
    for date in [entry.published, entry.updated].into_iter().flatten() {
        seed.push('\u{0}');
        seed.push_str(&date.to_rfc3339());
    }
    if seed.len() > 1 {
        return seed;
    }
    serde_json::to_string(entry).unwrap_or_default()
}

/// Stable 64-bit FNV-1a: unlike `DefaultHasher`, its output is fixed
/// forever, which keys stored in the database need.
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_rank_wins_whatever_the_order() {
        let mut best = Best::default();
        best.offer(2, Some("itunes"));
        best.offer(0, Some("core"));
        best.offer(0, Some("second core"));
        best.offer(1, Some("dc"));
        assert_eq!(best.take(), Some("core"));
        let mut list = Ranked::default();
        list.offer(1, Some("dc 1"));
        list.offer(0, Some("core"));
        list.offer(1, Some("dc 2"));
        assert_eq!(list.take(), vec!["core"]);
    }

    #[test]
    fn stable_hash() {
        assert_eq!(fnv1a(b"feedsift"), fnv1a(b"feedsift"));
        assert_ne!(fnv1a(b"a"), fnv1a(b"b"));
    }
}
