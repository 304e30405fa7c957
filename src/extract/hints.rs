//! What an element's `class` and `id` suggest about it.
//!
//! Sites name their containers in a handful of generic words: the article
//! sits in `article-body`, `story-content`, `entry-content`; the clutter in
//! `share-bar`, `related-links`, `newsletter-signup`, `sidebar`. These word
//! lists are generic vocabulary, never one site's names (those belong in the
//! per-site rules of feeds.toml). One Aho-Corasick automaton per list scans
//! the lower-cased `class id` string once per element.
//!
//! Blog platforms also write the post's taxonomy into its class list
//! (`category-sharing tag-comments author-jane`): those names say what the
//! post is about, not what the element is, so they are left out of the scan
//! when the list carries the generator's markers.

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
    // A layer over the page (browser warnings, sign-in walls, tile hover
    // boxes): multilingual must_contain 1341 -> 1342 (a browser warning
    // had outvoted a short article; one lead lost elsewhere), one
    // dragnet-dev page 0.94 -> 0.99 F1; DEV and promo unchanged.
    "overlay",
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
    "overlay",
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

/// Words that name a reader-comment thread or one of its parts.
const COMMENT: &[&str] = &["comment", "disqus"];

const IS_POSITIVE: u8 = 1;
const IS_NEGATIVE: u8 = 2;
const IS_UNLIKELY: u8 = 4;
const IS_COMMENT: u8 = 8;

/// One automaton over the three lists, each distinct word carrying the set
/// of lists it is in: a single non-overlapping scan of the class/id string
/// per element.
static WORDS: LazyLock<Option<(AhoCorasick, Vec<u8>)>> = LazyLock::new(|| {
    let mut words: Vec<(&str, u8)> = Vec::new();
    for (list, flag) in [
        (POSITIVE, IS_POSITIVE),
        (NEGATIVE, IS_NEGATIVE),
        (UNLIKELY, IS_UNLIKELY),
        (COMMENT, IS_COMMENT),
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
    /// A class or id names the article's body (see [`is_body_name`]).
    pub body: bool,
    /// A comment word and no article word: a comment thread or a comment.
    pub comment: bool,
    /// Every boilerplate word in the name is a weak one (`widget`, `meta`,
    /// `print`), none that marks an unlikely region or a comment, whatever
    /// article words are next to it.
    pub weak_boilerplate: bool,
}

/// What a body container is called: an article word joined to a body word
/// (`entry-content`, `post_body`, `articleBody`, `story-text`), in either
/// order (`content-article`, `text_post`). Blog platforms and CMS themes
/// use these for the post's own text and for nothing else, so the name is
/// a stronger signal than any single word. Reading the reversed order:
/// multilingual must_contain 1347 -> 1350 (an author box had outvoted a
/// short `content-article`), one dragnet-dev page 0.977 -> 0.982 F1, DEV
/// and promo unchanged.
fn is_body_name(name: &str) -> bool {
    const HEADS: &[&str] = &["article", "post", "entry", "story", "blogpost", "news"];
    const TAILS: &[&str] = &["body", "content", "text"];
    let squeezed: String = name
        .chars()
        .filter(|c| !matches!(c, '-' | '_'))
        .flat_map(char::to_lowercase)
        .collect();
    HEADS.iter().any(|h| {
        squeezed
            .strip_prefix(h)
            .is_some_and(|rest| TAILS.contains(&rest))
            || squeezed
                .strip_suffix(h)
                .is_some_and(|rest| TAILS.contains(&rest))
    })
}

/// Prefixes of the class names blog platforms generate from a post's
/// taxonomy and state (WordPress `post_class()`: `category-<slug>`,
/// `tag-<slug>`, `author-<name>`, `type-post`, `status-publish`,
/// `format-standard`): the slug after them is the site's vocabulary, not
/// the element's role. Reading them as words cost dragnet-dev 5 pages
/// (F1 0.933 -> 0.934 with them left out; multilingual must_contain
/// 1293 -> 1296; DEV and promo unchanged).
const TAXONOMY_PREFIXES: &[&str] = &[
    "tag-",
    "tags-",
    "category-",
    "categories-",
    "author-",
    "type-",
    "status-",
    "format-",
    "post_tag-",
    "term-",
    "topic-",
];

/// Class names that only a platform's post-class generator writes: when
/// one of them is in the list, the taxonomy names next to it are that
/// generator's too (a lone `author-bio` or `tag-list` is still read).
fn is_post_class_marker(class: &str) -> bool {
    class == "hentry"
        || class.starts_with("type-")
        || class.starts_with("status-")
        || class.starts_with("format-")
        || class
            .strip_prefix("post-")
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
}

fn is_taxonomy_class(class: &str) -> bool {
    TAXONOMY_PREFIXES.iter().any(|p| {
        class.len() > p.len()
            && class
                .get(..p.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(p))
    })
}

/// A BEM class name without its modifier: `review__part--ads` names a part
/// of a review (the variant with ad slots between its paragraphs),
/// `layout--sidebar` a page layout that has a sidebar. The block and
/// element before `--` say what the element is; the modifier only how it
/// is styled, so its words are not read.
/// Measured with modifiers left out: multilingual must_contain 1337 ->
/// 1340 (must_not_contain unchanged at 1210); DEV, promo and dragnet-dev
/// unchanged.
fn without_modifier(name: &str) -> &str {
    name.split_once("--").map_or(name, |(base, _)| base)
}

/// An id made from a heading's text or a CMS counter (three or more
/// joined parts, or three or more digits: `nav_the_heading__1`,
/// `block-header-4711`) is a link anchor, not a role; a one- or
/// two-word id (`comments`, `related-posts`) still names one. Read on
/// subheadings only: multilingual must_contain +1 (a subheading whose
/// anchor began with `nav`), DEV, promo and dragnet-dev unchanged;
/// ignoring every subheading id instead lost two comment-thread headings
/// (`id=comments`).
pub fn is_anchor_slug(id: &str) -> bool {
    let parts = id.split(['-', '_']).filter(|p| !p.is_empty()).count();
    let digits = id.bytes().filter(u8::is_ascii_digit).count();
    parts >= 3 || digits >= 3
}

/// The class/id hint of an element.
pub fn weight(class: Option<&str>, id: Option<&str>, buf: &mut String) -> Hint {
    if class.is_none() && id.is_none() {
        return Hint::default();
    }
    buf.clear();
    let generated = class.is_some_and(|c| {
        c.split_ascii_whitespace()
            .any(|n| is_post_class_marker(&n.to_ascii_lowercase()))
            || c.split_ascii_whitespace()
                .filter(|n| is_taxonomy_class(n))
                .count()
                >= 2
    });
    if let Some(class) = class {
        for name in class.split_ascii_whitespace().map(without_modifier) {
            if !(generated && is_taxonomy_class(name)) {
                buf.push_str(name);
                buf.push(' ');
            }
        }
    }
    if let Some(id) = id {
        buf.push_str(id);
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
    let comment = !positive && flags & IS_COMMENT != 0;
    let weak_boilerplate = negative && !unlikely_word && flags & IS_COMMENT == 0;
    let body = class
        .into_iter()
        .chain(id)
        .flat_map(str::split_ascii_whitespace)
        .any(is_body_name);
    Hint {
        weight,
        boilerplate: negative,
        unlikely,
        body,
        comment,
        weak_boilerplate,
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

    #[test]
    fn bem_modifiers_are_not_read() {
        let section = r#"<section class="report__section report__section--ads">x</section>"#;
        assert_eq!(hint(section), (0, false));
        assert_eq!(
            hint(r#"<div class="story__text--share">x</div>"#),
            (HINT_WEIGHT, false)
        );
        // The same word as the block or element name is still read.
        assert_eq!(
            hint(r#"<div class="share-bar--wide">x</div>"#),
            (-HINT_WEIGHT, true)
        );
    }

    #[test]
    fn body_container_names() {
        for name in [
            "entry-content",
            "post_body",
            "articleBody",
            "story-text",
            "article__text",
            "content-article",
            "text_post",
        ] {
            assert!(is_body_name(name), "{name}");
        }
        for name in [
            "content",
            "article",
            "post-content-inner",
            "entry-meta",
            "comment-body",
            "bodytext",
        ] {
            assert!(!is_body_name(name), "{name}");
        }
    }

    #[test]
    fn platform_taxonomy_classes_are_not_read() {
        // WordPress post_class(): the slugs are the site's tags, not roles.
        let post = r#"<div class="post-4711 post type-post status-publish format-standard hentry
            category-social-media tag-share-buttons tag-comment-moderation author-jdoe">x</div>"#;
        assert_eq!(hint(post), (HINT_WEIGHT, false));
        let untyped = r#"<div class="category-sharing tag-popular-posts">x</div>"#;
        assert_eq!(hint(untyped), (0, false));
        // Without a generator's marker, the same prefixes are read as words.
        assert_eq!(
            hint(r#"<div class="author-bio">x</div>"#),
            (-HINT_WEIGHT, true)
        );
        assert_eq!(hint(r#"<ul class="tag-list">x</ul>"#), (-HINT_WEIGHT, true));
        // Comments keep their word however the platform names them.
        let comment = r#"<li class="comment byuser comment-author-jdoe even depth-1">x</li>"#;
        assert_eq!(hint(comment), (-HINT_WEIGHT, true));
    }
}
