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
    "shopping",
    "skyscraper",
    "combx",
    "contact",
    "gdpr",
    "shoutbox",
    "credit",
    "caption",
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
    "ad", "ads", "adv", "nav", "tag", "share", "social", "aside", "footer", "header", "pager",
];

/// The subset of boilerplate words that mark a region whose text should not
/// even vote for the article container (Readability's "unlikely
/// candidates"). Weaker words (`widget`, `meta`, `print`) are too often part
/// of page-builder layout names to exclude a whole region.
const UNLIKELY: &[&str] = &[
    "comment",
    "disqus",
    "related",
    "sidebar",
    "footer",
    "social",
    "sponsor",
    "share",
    "sharing",
    "promo",
    "newsletter",
    "popup",
    "modal",
    "cookie",
    "consent",
    "breadcrumb",
    "banner",
    "navbar",
    "navigation",
    "outbrain",
    "taboola",
    "recommend",
    "skyscraper",
    "shoutbox",
    "combx",
    "gdpr",
    "masthead",
    "pagination",
    "advert",
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

const IS_POSITIVE: u8 = 1;
const IS_NEGATIVE: u8 = 2;
const IS_UNLIKELY: u8 = 4;

/// One automaton over the three lists, each distinct word carrying the set
/// of lists it is in: a single non-overlapping scan of the class/id string
/// per element.
static WORDS: LazyLock<Option<(AhoCorasick, Vec<u8>)>> = LazyLock::new(|| {
    let mut words: Vec<(&str, u8)> = Vec::new();
    for (list, flag) in [
        (POSITIVE, IS_POSITIVE),
        (NEGATIVE, IS_NEGATIVE),
        (UNLIKELY, IS_UNLIKELY),
    ] {
        for &w in list {
            match words.iter_mut().find(|(x, _)| *x == w) {
                Some((_, f)) => *f |= flag,
                None => words.push((w, flag)),
            }
        }
    }
    let ac = AhoCorasick::new(words.iter().map(|(w, _)| w)).ok()?;
    Some((ac, words.into_iter().map(|(_, f)| f).collect()))
});

/// What an element's class and id say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hint {
    /// +[`HINT_WEIGHT`] for article words only, -[`HINT_WEIGHT`] for
    /// boilerplate words only, 0 for both or neither.
    pub weight: i16,
    /// A boilerplate word appeared at all (an `article-share-bar` is still a
    /// share bar).
    pub boilerplate: bool,
    /// A strong boilerplate word and no article word.
    pub unlikely: bool,
}

/// The class/id hint of an element.
pub fn weight(class: Option<&str>, id: Option<&str>, buf: &mut String) -> Hint {
    if class.is_none() && id.is_none() {
        return Hint::default();
    }
    buf.clear();
    for v in [class, id].into_iter().flatten() {
        buf.push_str(v);
        buf.push(' ');
    }
    buf.make_ascii_lowercase();
    let mut flags = 0u8;
    if let Some((ac, word_flags)) = WORDS.as_ref() {
        for m in ac.find_iter(buf.as_str()) {
            flags |= word_flags.get(m.pattern().as_usize()).copied().unwrap_or(0);
        }
    }
    let positive = flags & IS_POSITIVE != 0;
    let mut negative = flags & IS_NEGATIVE != 0;
    let mut unlikely_word = flags & IS_UNLIKELY != 0;
    for token in buf.split(|c: char| !c.is_ascii_alphanumeric()) {
        if NEGATIVE_TOKENS.contains(&token) {
            negative = true;
            unlikely_word |= matches!(token, "ad" | "ads" | "share" | "social");
        }
    }
    let weight = match (positive, negative) {
        (true, false) => HINT_WEIGHT,
        (false, true) => -HINT_WEIGHT,
        _ => 0,
    };
    let unlikely = !positive && unlikely_word;
    Hint {
        weight,
        boilerplate: negative,
        unlikely,
    }
}

/// A class attribute that hides its element: screen-reader-only text, or
/// the CSS frameworks' `hidden` / `d-none` unless a responsive class
/// (`md:block`, `d-md-block`) shows it again on wider screens.
pub fn is_hiding_class(class_attr: &str) -> bool {
    // Every hiding class contains one of these; most attributes none.
    if !["hid", "none", "sr-", "invisible", "screen"]
        .iter()
        .any(|k| class_attr.contains(k))
    {
        return false;
    }
    let mut hiding = false;
    for class in class_attr.split_ascii_whitespace() {
        if SCREEN_READER_ONLY
            .iter()
            .any(|c| class.eq_ignore_ascii_case(c))
        {
            return true;
        }
        if class.contains(':') || (class.starts_with("d-") && class != "d-none") {
            return false;
        }
        hiding |= class == "hidden" || class == "d-none";
    }
    hiding
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hint(html: &str) -> (i16, bool) {
        let doc = scraper::Html::parse_fragment(html);
        let el = doc.root_element().child_elements().next().expect("element");
        let h = weight(
            el.value().attr("class"),
            el.value().attr("id"),
            &mut String::new(),
        );
        (h.weight, h.boilerplate)
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
        assert_eq!(hint(r#"<div class="wrapper">x</div>"#), (0, false));
        assert_eq!(hint(r#"<div>x</div>"#), (0, false));
    }
}
