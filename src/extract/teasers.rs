//! Teaser lists: "More from …", "Related", "Most read", "Also on …" —
//! recognised by their structure, so they go on a site seen for the first
//! time and in any language.
//!
//! A teaser list is a block of several short items, each led by a link to
//! another article of the same site. Three facts together mark it, none of
//! them wording: the items are short (a headline, maybe a date or a line of
//! summary); most of each item's text is its link; and the links point to
//! article-like addresses (a slug or a numeric id, not a section page) on
//! the page's own host. A content list differs on at least one: ingredient
//! lists and steps have no links, a link round-up points to other sites, a
//! list of people links their names, not the whole item.

use url::Url;

use super::dom::{Flat, Tag};

/// A teaser list has at least this many items ...
const MIN_ITEMS: usize = 3;
/// ... and at least this share of its items are teasers.
const MIN_TEASER_SHARE: f32 = 0.66;
/// A teaser item is short: a headline plus a date or a line of summary.
const ITEM_MAX_CHARS: u32 = 200;
/// Its longest link carries at least this share of its text.
const ITEM_MIN_LINK_SHARE: f32 = 0.3;
/// A list whose text is less than this share links is not a teaser list
/// (a cheap test before looking at the items).
const LIST_MIN_LINK_SHARE: f32 = 0.3;

/// The site a page belongs to, for telling its own links from others'.
#[derive(Debug, Clone, Default)]
pub struct Site {
    host: Option<String>,
}

impl Site {
    /// From the page's URL, else its canonical URL.
    pub fn new(url: Option<&Url>, canonical: Option<&str>) -> Site {
        let host = url
            .and_then(Url::host_str)
            .map(str::to_owned)
            .or_else(|| {
                canonical
                    .and_then(|c| Url::parse(c).ok())
                    .and_then(|u| u.host_str().map(str::to_owned))
            })
            .map(|h| registrable(&h).to_owned());
        Site { host }
    }

    /// `href` names an article of this site: a relative or same-host link
    /// whose path ends in a slug of several words or carries a numeric id.
    fn article_link(&self, href: &str) -> bool {
        let href = href.trim();
        let (host, rest) = if let Some(after) = href
            .strip_prefix("https://")
            .or_else(|| href.strip_prefix("http://"))
            .or_else(|| href.strip_prefix("//"))
        {
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            (Some(&after[..end]), &after[end..])
        } else if href.starts_with('#')
            || href.contains(':') && !href.starts_with('/') && !href.starts_with('.')
        {
            return false;
        } else {
            (None, href)
        };
        if let Some(host) = host {
            let host = host.split(':').next().unwrap_or(host).to_ascii_lowercase();
            if self.host.as_deref() != Some(registrable(&host)) {
                return false;
            }
        }
        article_path(rest)
    }
}

/// The host without a leading `www.`/`m.`: `www.example.com` and
/// `example.com` are one site.
fn registrable(host: &str) -> &str {
    host.strip_prefix("www.")
        .or_else(|| host.strip_prefix("m."))
        .unwrap_or(host)
}

/// Path segments that lead to listings, not articles.
const LISTING_SEGMENTS: &[&str] = &[
    "tag",
    "tags",
    "category",
    "categories",
    "author",
    "authors",
    "topic",
    "topics",
    "search",
    "user",
    "users",
    "page",
    "archive",
    "archives",
    "feed",
    "label",
    "thema",
    "themen",
    "rubrik",
    "autor",
    "schlagwort",
];

/// A path (with query) that ends in an article: a slug of at least three
/// words (`/2019/11/big-storm-hits-coast`) or a numeric id of at least
/// three digits (`/story/123456`, `?p=123`).
fn article_path(path_and_query: &str) -> bool {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let path = path.split('#').next().unwrap_or(path);
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if segments
        .iter()
        .take(segments.len().saturating_sub(1))
        .any(|s| LISTING_SEGMENTS.contains(&s.to_ascii_lowercase().as_str()))
    {
        return false;
    }
    let last = segments.last().copied().unwrap_or("");
    let stem = last.split('.').next().unwrap_or(last);
    let words = stem.split(['-', '_']).filter(|w| !w.is_empty()).count();
    words >= 2 || has_digit_run(stem, 3) || has_digit_run(query, 3)
}

fn has_digit_run(s: &str, n: usize) -> bool {
    let mut run = 0;
    for b in s.bytes() {
        run = if b.is_ascii_digit() { run + 1 } else { 0 };
        if run >= n {
            return true;
        }
    }
    false
}

/// The element `i` is a list of teasers for other articles of `site`.
pub fn is_teaser_list(flat: &Flat, i: u32, site: &Site) -> bool {
    let n = &flat.nodes[i as usize];
    if !matches!(
        n.tag,
        Tag::Ul | Tag::Ol | Tag::Div | Tag::Section | Tag::Block | Tag::Dl
    ) || flat.link_density(i) < LIST_MIN_LINK_SHARE
    {
        return false;
    }
    let (mut items, mut teasers) = (0usize, 0usize);
    let mut child = i + 1;
    while child < n.end {
        let c = &flat.nodes[child as usize];
        if c.tag.is_block() && c.chars > 0 {
            items += 1;
            if is_teaser_item(flat, child, site) {
                teasers += 1;
            }
        }
        child = c.end;
    }
    items >= MIN_ITEMS && teasers >= MIN_ITEMS && teasers as f32 >= MIN_TEASER_SHARE * items as f32
}

/// A short block led by one link to another article of the site.
fn is_teaser_item(flat: &Flat, i: u32, site: &Site) -> bool {
    let n = &flat.nodes[i as usize];
    if n.chars > ITEM_MAX_CHARS {
        return false;
    }
    // The item's longest link.
    let mut best: Option<(u32, u32)> = None;
    let mut j = i;
    while j < n.end {
        let c = &flat.nodes[j as usize];
        if c.tag == Tag::A {
            if best.is_none_or(|(_, chars)| c.chars > chars) {
                best = Some((j, c.chars));
            }
            j = c.end;
        } else {
            j += 1;
        }
    }
    let Some((link, chars)) = best else {
        return false;
    };
    chars as f32 >= ITEM_MIN_LINK_SHARE * n.chars as f32
        && flat
            .element(link)
            .and_then(|el| el.attr("href"))
            .is_some_and(|href| site.article_link(href))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_links() {
        let base = Url::parse("https://www.paper.example/news/today").ok();
        let site = Site::new(base.as_ref(), None);
        for href in [
            "/2019/11/20/big-storm-hits-the-coast/",
            "https://paper.example/story/123456",
            "https://www.paper.example/world/asia-rice-prices-rise.html",
            "?p=4711",
            "../other-story-about-trains",
        ] {
            assert!(site.article_link(href), "{href}");
        }
        for href in [
            "/news/",
            "/tag/big-storm-coverage/page",
            "https://other.example/2019/11/20/big-storm-hits-the-coast/",
            "mailto:desk@paper.example",
            "#comments",
            "/about",
        ] {
            assert!(!site.article_link(href), "{href}");
        }
        let unknown = Site::new(None, None);
        assert!(unknown.article_link("/2019/big-storm-hits-the-coast"));
        assert!(!unknown.article_link("https://paper.example/2019/big-storm-hits-the-coast"));
    }
}
