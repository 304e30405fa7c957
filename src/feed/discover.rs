//! Feed autodiscovery: the feeds an HTML page advertises.
//!
//! People paste a site's address, not its feed's. Sites announce their
//! feeds with `<link rel="alternate" type="application/rss+xml" href=...>`
//! in the page head (the RSS autodiscovery convention, also used for Atom
//! and JSON Feed), which is what browsers and every feed reader look for.
//!
//! The order of the page is kept: sites list their main feed first and
//! comment or category feeds after it. Plain `application/json` is taken
//! only when nothing else is offered, because WordPress marks its REST API
//! documents `rel="alternate" type="application/json"` on every page and
//! those are not feeds.

use scraper::{Html, Selector};
use url::Url;

/// A feed link found in a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedLink {
    /// Absolute: resolved against the page's `<base href>` or URL.
    pub url: Url,
    /// The declared media type, lower-cased, without parameters.
    pub media_type: String,
    pub title: Option<String>,
}

/// Media types of feeds, in no particular order: the page's order decides.
const FEED_TYPES: &[&str] = &[
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/rdf+xml",
];

/// Accepted as a feed type only when no type from [`FEED_TYPES`] is offered.
const FALLBACK_TYPE: &str = "application/json";

/// The feeds a page links to, best first: every link of a feed type in page
/// order, then `application/json` links. Duplicates are dropped.
pub fn feed_links(html: &str, page_url: &Url) -> Vec<FeedLink> {
    let doc = Html::parse_document(html);
    let (Ok(base_sel), Ok(link_sel)) = (
        Selector::parse("base[href]"),
        Selector::parse("link[rel][href]"),
    ) else {
        return Vec::new();
    };
    let base = doc
        .select(&base_sel)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|href| page_url.join(href.trim()).ok())
        .unwrap_or_else(|| page_url.clone());
    let mut preferred = Vec::new();
    let mut fallback = Vec::new();
    for link in doc.select(&link_sel) {
        let el = link.value();
        let rel = el.attr("rel").unwrap_or_default();
        if !rel
            .split_ascii_whitespace()
            .any(|r| r.eq_ignore_ascii_case("alternate"))
        {
            continue;
        }
        let media_type = el
            .attr("type")
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let list = if FEED_TYPES.contains(&media_type.as_str()) {
            &mut preferred
        } else if media_type == FALLBACK_TYPE {
            &mut fallback
        } else {
            continue;
        };
        let Some(url) = el
            .attr("href")
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .and_then(|href| base.join(href).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
        else {
            continue;
        };
        let title = el
            .attr("title")
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|t| !t.is_empty());
        list.push(FeedLink {
            url,
            media_type,
            title,
        });
    }
    preferred.extend(fallback);
    let mut seen = std::collections::HashSet::new();
    preferred.retain(|l| seen.insert(l.url.clone()));
    preferred
}

/// True when the bytes look like an HTML page rather than a feed: the
/// server says so, or the document starts like one.
pub fn looks_like_html(content_type: Option<&str>, body: &[u8]) -> bool {
    let declared = content_type
        .and_then(|ct| ct.split(';').next())
        .map(|ct| ct.trim().to_ascii_lowercase());
    if matches!(
        declared.as_deref(),
        Some("text/html" | "application/xhtml+xml")
    ) {
        return true;
    }
    // Sniff after a BOM and leading whitespace: feeds start with `<?xml`,
    // `<rss`, `<feed` or `{`; pages with a doctype or `<html`.
    let head: String = String::from_utf8_lossy(&body[..body.len().min(1024)])
        .trim_start_matches('\u{FEFF}')
        .trim_start()
        .chars()
        .take(64)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with("<!doctype html") || head.starts_with("<html")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("https://news.example/section/page.html").unwrap()
    }

    #[test]
    fn finds_feeds_in_order_and_resolves_relative_links() {
        let html = r#"<!doctype html><html><head>
<link rel="stylesheet" href="/s.css">
<link rel="alternate" type="application/json" href="/wp-json/wp/v2/pages/7">
<link rel="alternate" type="application/rss+xml" title="Main  feed" href="/feed/">
<link rel="Alternate" type="application/atom+xml; charset=utf-8" href="comments.atom">
<link rel="alternate" type="application/rss+xml" href="/feed/">
<link rel="alternate" hreflang="de" href="/de/">
<link rel="alternate" type="application/feed+json" href="javascript:alert(1)">
</head><body></body></html>"#;
        let links = feed_links(html, &page());
        let urls: Vec<_> = links.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(
            urls,
            vec![
                "https://news.example/feed/",
                "https://news.example/section/comments.atom",
                "https://news.example/wp-json/wp/v2/pages/7",
            ]
        );
        assert_eq!(links[0].title.as_deref(), Some("Main feed"));
        assert_eq!(links[1].media_type, "application/atom+xml");
    }

    #[test]
    fn base_href_is_honoured() {
        let html = r#"<html><head><base href="https://cdn.example/blog/">
<link rel="alternate" type="application/atom+xml" href="atom.xml"></head></html>"#;
        assert_eq!(
            feed_links(html, &page())[0].url.as_str(),
            "https://cdn.example/blog/atom.xml"
        );
    }

    #[test]
    fn nothing_to_find() {
        assert!(feed_links("<html><body><p>hi</p></body></html>", &page()).is_empty());
        assert!(feed_links("not html at all", &page()).is_empty());
    }

    #[test]
    fn html_sniffing() {
        assert!(looks_like_html(Some("text/html; charset=utf-8"), b"x"));
        assert!(looks_like_html(
            None,
            b"\xef\xbb\xbf  <!DOCTYPE html><html>"
        ));
        assert!(!looks_like_html(
            Some("application/rss+xml"),
            b"<?xml version=\"1.0\"?><rss/>"
        ));
        assert!(!looks_like_html(
            None,
            b"{\"version\": \"https://jsonfeed.org/version/1.1\"}"
        ));
    }
}
