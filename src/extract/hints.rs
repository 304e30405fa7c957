//! What an element's `class` and `id` suggest about it.
//!
//! Sites name their containers in a handful of generic words: the article
//! sits in `article-body`, `story-content`, `entry-content`; the clutter in
//! `share-bar`, `related-links`, `newsletter-signup`, `sidebar`. These word
//! lists are generic vocabulary, never one site's names (those belong in the
//! per-site rules of feeds.toml). One Aho-Corasick automaton per list scans
//! the lower-cased `class id` string once per element.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;

/// Readability's weight for a class/id hint; large enough that one hint
/// outweighs a few short paragraphs but not a real article body.
pub const HINT_WEIGHT: i16 = 25;

const POSITIVE: &[&str] = &[
    "article", "body", "content", "entry", "main", "post", "story", "text", "blog", "prose",
    "hentry",
];

const NEGATIVE: &[&str] = &[
    "comment",
    "share",
    "sharing",
    "social",
    "related",
    "promo",
    "newsletter",
    "subscri",
    "signup",
    "sign-up",
    "sidebar",
    "footer",
    "masthead",
    "banner",
    "sponsor",
    "widget",
    "advert",
    "outbrain",
    "taboola",
    "breadcrumb",
    "popup",
    "modal",
    "cookie",
    "consent",
    "recommend",
    "popular",
    "trending",
    "byline",
    "author",
    "toolbar",
    "disqus",
    "readmore",
    "read-more",
    "more-stories",
    "pagination",
    "pager",
    "shopping",
    "skyscraper",
    "combx",
    "contact",
    "gdpr",
    "shoutbox",
    "hidden",
    "credit",
    "meta",
    "tags",
    "tagline",
    "topics",
    "keywords",
    "menu",
    "navbar",
    "navigation",
    "follow",
    "print",
    "email",
    "inline-ad",
    "ad-container",
    "ad-slot",
    "adslot",
    "dfp",
    "rating",
    "donate",
    "paywall",
    "upsell",
    "next-",
    "prev-",
];

/// Whole class/id tokens that are negative but too short to search as
/// substrings ("ad" is in "header", "nav" in "canvas").
const NEGATIVE_TOKENS: &[&str] = &[
    "ad", "ads", "adv", "nav", "tag", "share", "social", "aside", "footer", "header",
];

const SCREEN_READER_ONLY: &[&str] = &[
    "sr-only",
    "visually-hidden",
    "visuallyhidden",
    "screen-reader-text",
    "screen-reader-only",
    "screenreader-only",
    "sr-text",
    "a11y-hidden",
    "element-invisible",
];

static POSITIVE_AC: LazyLock<Option<AhoCorasick>> =
    LazyLock::new(|| AhoCorasick::new(POSITIVE).ok());
static NEGATIVE_AC: LazyLock<Option<AhoCorasick>> =
    LazyLock::new(|| AhoCorasick::new(NEGATIVE).ok());

/// Class/id hint of an element: `(weight, boilerplate)` where weight is
/// +[`HINT_WEIGHT`] for article words, -[`HINT_WEIGHT`] for boilerplate
/// words, 0 for both or neither, and `boilerplate` says a boilerplate word
/// appeared at all (a `article-share-bar` is still a share bar).
pub fn weight(el: &scraper::node::Element, buf: &mut String) -> (i16, bool) {
    buf.clear();
    let mut any = false;
    for (name, value) in el.attrs() {
        if matches!(name, "class" | "id") {
            buf.push_str(value);
            buf.push(' ');
            any = true;
        }
    }
    if !any {
        return (0, false);
    }
    buf.make_ascii_lowercase();
    let positive = POSITIVE_AC
        .as_ref()
        .is_some_and(|ac| ac.is_match(buf.as_str()));
    let negative = NEGATIVE_AC
        .as_ref()
        .is_some_and(|ac| ac.is_match(buf.as_str()))
        || buf
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|t| NEGATIVE_TOKENS.contains(&t));
    let weight = match (positive, negative) {
        (true, false) => HINT_WEIGHT,
        (false, true) => -HINT_WEIGHT,
        _ => 0,
    };
    (weight, negative)
}

/// A class that hides its element from sighted readers.
pub fn is_screen_reader_class(class: &str) -> bool {
    SCREEN_READER_ONLY
        .iter()
        .any(|c| class.eq_ignore_ascii_case(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(html: &str) -> (i16, bool) {
        let doc = scraper::Html::parse_fragment(html);
        let el = doc.root_element().child_elements().next().expect("element");
        weight(el.value(), &mut String::new())
    }

    #[test]
    fn words_and_tokens() {
        assert_eq!(
            hint(r#"<div class="article-body">x</div>"#),
            (HINT_WEIGHT, false)
        );
        assert_eq!(
            hint(r#"<div id="related-links">x</div>"#),
            (-HINT_WEIGHT, true)
        );
        assert_eq!(hint(r#"<div class="story share-bar">x</div>"#), (0, true));
        assert_eq!(hint(r#"<div class="ad top">x</div>"#), (-HINT_WEIGHT, true));
        assert_eq!(hint(r#"<div class="header-wrap">x</div>"#), (0, false));
        assert_eq!(hint(r#"<div>x</div>"#), (0, false));
    }
}
