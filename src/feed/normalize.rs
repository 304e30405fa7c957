//! feed-rs's model -> our [`FeedEntry`] list.
//!
//! feed-rs keeps each format's quirks visible (titles that are escaped
//! HTML, ids it invents when the document has none, relative links). The
//! poller and the store want one meaning per field, so this module decides:
//! which link is "the" article link, what the stable key is, and how a title
//! becomes plain text.

use feed_rs::model::{self, FeedType, Link, Text};
use url::Url;

use super::{FeedEntry, FeedFormat};

/// Titles longer than this are cut before markup stripping: no real title
/// is this long, and it bounds the HTML parser's work per entry.
const MAX_TITLE_BYTES: usize = 16 * 1024;

pub(crate) fn format_of(feed_type: &FeedType) -> FeedFormat {
    match feed_type {
        FeedType::Atom => FeedFormat::Atom,
        FeedType::JSON => FeedFormat::Json,
        FeedType::RSS0 | FeedType::RSS2 => FeedFormat::Rss,
        FeedType::RSS1 => FeedFormat::Rdf,
    }
}

/// The feed's own title as plain text.
pub(crate) fn feed_title(feed: &model::Feed) -> Option<String> {
    feed.title
        .as_ref()
        .and_then(|t| text_to_plain(t, &feed.feed_type))
}

/// The site's home page: the feed's alternate link, not its self link.
pub(crate) fn site_url(feed: &model::Feed, base: Option<&Url>) -> Option<String> {
    pick_link(&feed.links).and_then(|href| absolutize(href, base))
}

/// `guid_is_permalink` is false when the document marked the entry's guid
/// `isPermaLink="false"`: then it is an id only, never the link.
pub(crate) fn entry(
    entry: &model::Entry,
    feed_type: &FeedType,
    base: Option<&Url>,
    guid_is_permalink: bool,
) -> FeedEntry {
    let entry_base = entry.base.as_deref().and_then(|b| match base {
        Some(base) => base.join(b).ok(),
        None => Url::parse(b).ok(),
    });
    let base = entry_base.as_ref().or(base);
    let id = entry.id.trim();
    let mut link = pick_link(&entry.links).and_then(|href| absolutize(href, base));
    if link.is_none() && guid_is_permalink && is_web_url(id) {
        // An RSS guid that is a URL is the permalink unless it says
        // otherwise; feed-rs does not keep isPermaLink, and a URL-shaped id
        // is the best link we have either way.
        link = Some(id.to_owned());
    }
    // Podcast and video feeds often title only the media object.
    let title = entry
        .title
        .as_ref()
        .or_else(|| entry.media.iter().find_map(|m| m.title.as_ref()))
        .and_then(|t| text_to_plain(t, feed_type));
    let content_html = content_html(entry, feed_type);
    let key = if !id.is_empty() {
        id.to_owned()
    } else if let Some(link) = &link {
        link.clone()
    } else {
        // Nothing identifies the entry; a hash of what it says is at least
        // stable across polls while the entry does not change.
        let mut seed = format!(
            "{}\u{0}{}",
            title.as_deref().unwrap_or(""),
            content_html.as_deref().unwrap_or("")
        );
        if seed.len() <= 1 {
            // Not even a title or text: what is left (dates, categories,
            // media) is all that tells such entries apart.
            seed = serde_json::to_string(entry).unwrap_or_default();
        }
        format!("hash:{:016x}", fnv1a(seed.as_bytes()))
    };
    let author = entry
        .authors
        .iter()
        .find_map(|p| p.name.as_deref().or(p.email.as_deref()))
        .map(collapse_whitespace)
        .filter(|s| !s.is_empty());
    FeedEntry {
        key,
        link,
        title,
        author,
        published: entry.published,
        updated: entry.updated,
        content_html,
    }
}

/// Stable 64-bit FNV-1a: unlike `DefaultHasher`, its output is fixed
/// forever, which keys stored in the database need.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

fn is_web_url(s: &str) -> bool {
    Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// The article link among an entry's links: an alternate (or rel-less) one,
/// preferring HTML, never self/enclosure/replies/edit.
fn pick_link(links: &[Link]) -> Option<&str> {
    let usable = |l: &&Link| {
        !l.href.trim().is_empty()
            && matches!(
                l.rel.as_deref().map(str::to_ascii_lowercase).as_deref(),
                None | Some("alternate")
            )
    };
    let html = links
        .iter()
        .filter(usable)
        .find(|l| l.media_type.as_deref().is_none_or(|t| t.contains("html")));
    html.or_else(|| links.iter().find(usable))
        .map(|l| l.href.trim())
}

fn absolutize(href: &str, base: Option<&Url>) -> Option<String> {
    match Url::parse(href) {
        Ok(url) => Some(url.to_string()),
        Err(url::ParseError::RelativeUrlWithoutBase) => match base {
            Some(base) => base.join(href).ok().map(|u| u.to_string()),
            // Keep it: a relative link is still information for `inspect`.
            None => Some(href.to_owned()),
        },
        Err(_) => Some(href.to_owned()),
    }
}

fn is_html(text: &Text) -> bool {
    let essence = text.content_type.to_string().to_ascii_lowercase();
    essence.contains("html")
}

/// Plain text of a title. Atom says whether a title is text or markup; RSS
/// titles are nominally text but routinely carry escaped HTML (`&lt;b&gt;`)
/// and double-escaped entities (`&amp;amp;`), so for RSS anything that looks
/// like markup or a reference is read as HTML, as feed readers do.
fn text_to_plain(text: &Text, feed_type: &FeedType) -> Option<String> {
    let mut content = text.content.as_str();
    if content.len() > MAX_TITLE_BYTES {
        let mut cut = MAX_TITLE_BYTES;
        while !content.is_char_boundary(cut) {
            cut -= 1;
        }
        content = &content[..cut];
    }
    let treat_as_html = match feed_type {
        FeedType::Atom => is_html(text),
        FeedType::JSON => false,
        FeedType::RSS0 | FeedType::RSS1 | FeedType::RSS2 => {
            is_html(text) || looks_like_markup(content)
        }
    };
    let plain = if treat_as_html {
        html_to_text(content)
    } else {
        collapse_whitespace(content)
    };
    Some(plain).filter(|s| !s.is_empty())
}

/// A `<tag`, `</tag` or `&name;`/`&#..;` in text.
fn looks_like_markup(s: &str) -> bool {
    let b = s.as_bytes();
    b.windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
        || s.match_indices('&').any(|(i, _)| {
            let rest = &s[i + 1..];
            let name_len = rest
                .bytes()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == b'#')
                .count();
            name_len > 0 && rest.as_bytes().get(name_len) == Some(&b';')
        })
}

/// Text content of an HTML fragment, whitespace collapsed; script and
/// style bodies are code, not text.
pub(crate) fn html_to_text(html: &str) -> String {
    let fragment = scraper::Html::parse_fragment(html);
    let mut text = String::with_capacity(html.len());
    for node in fragment.root_element().descendants() {
        let scraper::Node::Text(piece) = node.value() else {
            continue;
        };
        let in_code = node.ancestors().any(|a| {
            a.value()
                .as_element()
                .is_some_and(|e| matches!(e.name(), "script" | "style"))
        });
        if !in_code {
            text.push_str(piece);
        }
    }
    collapse_whitespace(&text)
}

/// Collapses XML whitespace only: a no-break space (`&nbsp;`) is content.
fn collapse_whitespace(s: &str) -> String {
    s.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

/// The richest HTML for the entry: full content, else the summary. Plain
/// text is escaped so the field is always HTML.
fn content_html(entry: &model::Entry, feed_type: &FeedType) -> Option<String> {
    let from_text = |t: &Text| -> Option<String> {
        let body = t.content.trim();
        if body.is_empty() {
            return None;
        }
        let html = is_html(t) || !matches!(feed_type, FeedType::Atom | FeedType::JSON);
        Some(if html {
            body.to_owned()
        } else {
            escape_html(body)
        })
    };
    let content = entry.content.as_ref().and_then(|c| {
        let body = c.body.as_deref()?.trim();
        if body.is_empty() {
            return None;
        }
        let essence = c.content_type.to_string().to_ascii_lowercase();
        if essence.contains("html") || essence.contains("xml") {
            Some(body.to_owned())
        } else if essence.starts_with("text/") {
            // RSS content:encoded comes through as text/plain in some
            // feed-rs paths but is HTML by definition.
            Some(if matches!(feed_type, FeedType::Atom | FeedType::JSON) {
                escape_html(body)
            } else {
                body.to_owned()
            })
        } else {
            None
        }
    });
    content.or_else(|| entry.summary.as_ref().and_then(from_text))
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_detection() {
        assert!(looks_like_markup("a <b>bold</b> move"));
        assert!(looks_like_markup("Tom &amp; Jerry"));
        assert!(!looks_like_markup("1 < 2 & 3 > 2"));
    }

    #[test]
    fn html_titles_become_plain_text() {
        assert_eq!(
            html_to_text("<b>Bold</b>  &amp; <i>brave</i>&nbsp;x"),
            "Bold & brave\u{a0}x"
        );
    }

    #[test]
    fn stable_hash() {
        assert_eq!(fnv1a(b"feedsift"), fnv1a(b"feedsift"));
        assert_ne!(fnv1a(b"a"), fnv1a(b"b"));
    }
}
