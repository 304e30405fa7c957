//! Links: resolving them against the base in effect, and choosing the one
//! that is the article.

use url::Url;

use super::model::Link;

/// `href` resolved against `base`. A relative link without a base is kept
/// as written: it is still information for `inspect`.
pub(crate) fn absolutize(href: &str, base: Option<&Url>) -> String {
    let href = href.trim();
    match Url::parse(href) {
        Ok(url) => url.to_string(),
        Err(url::ParseError::RelativeUrlWithoutBase) => base
            .and_then(|b| b.join(href).ok())
            .map_or_else(|| href.to_owned(), |u| u.to_string()),
        Err(_) => href.to_owned(),
    }
}

/// An id resolved like a link when it is a relative reference and a base
/// is known (Atom ids are IRIs; `xml:base` applies to them). Absolute ids
/// (`tag:`, `urn:`, `http:`) and ids that do not look like a path are kept
/// as written.
pub(crate) fn resolve_id(id: &str, base: Option<&Url>) -> String {
    let looks_relative = id.starts_with('/') || id.starts_with("./") || id.starts_with("../");
    match (Url::parse(id), base) {
        (Err(url::ParseError::RelativeUrlWithoutBase), Some(base)) if looks_relative => base
            .join(id)
            .map_or_else(|_| id.to_owned(), |u| u.to_string()),
        _ => id.to_owned(),
    }
}

pub(crate) fn is_web_url(s: &str) -> bool {
    Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// The article link among an entry's links: an alternate one, preferring
/// HTML, never self/enclosure/replies/edit.
pub(crate) fn pick(links: &[Link]) -> Option<&str> {
    let usable = |l: &&Link| !l.href.is_empty() && l.rel.eq_ignore_ascii_case("alternate");
    let html = links
        .iter()
        .filter(usable)
        .find(|l| l.media_type.as_deref().is_none_or(|t| t.contains("html")));
    html.or_else(|| links.iter().find(usable))
        .map(|l| l.href.as_str())
}

/// A number attribute (`length`, `width`): None unless it is one.
pub(crate) fn number<T: std::str::FromStr>(value: Option<&str>) -> Option<T> {
    value.and_then(|v| v.trim().parse().ok())
}
