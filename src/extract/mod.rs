//! Extract stage: an article page's HTML in, the clean article text and its
//! metadata out.
//!
//! Pure functions on plain data: no network, no database. The daemon calls
//! [`extract`] on every fetched page; `feedsift extract`, the tests and the
//! benches call the same function, so what we measure is what we ship.
//!
//! How it works, and why it is fast: the page is parsed once with html5ever
//! (scraper); [`dom`] flattens the tree in one iterative walk and sums text
//! statistics bottom-up in one sweep; [`metadata`] reads the head nodes that
//! walk collected; [`candidates`] picks the article subtree from those
//! statistics (Readability-style votes, checked against semantic containers
//! and the page's JSON-LD `articleBody`), leaving out the reader comments
//! [`comments`] recognises; [`clean`] drops widgets, comments and the
//! [`teasers`] lists of other stories inside it
//! by structure and class/id vocabulary; [`render`] writes the text as
//! blocks; [`clean`] then drops promo blocks by wording and structure.
//! Every pass is linear in the number of nodes and none recurses, so
//! pathological nesting costs time, not stack.

mod candidates;
mod clean;
mod comments;
mod dom;
mod hints;
mod markdown;
mod metadata;
mod render;
mod teasers;

use chrono::{DateTime, Utc};
use scraper::{Html, Selector};
use serde::Serialize;

pub use markdown::fragment_to_markdown;
pub use metadata::parse_date;

/// Per-site rules from `[feed.extract]` in feeds.toml. When `content` is set
/// its first match is the article container; what `remove` selectors match
/// takes no part in choosing the container and is left out of the text. Selectors are validated when the config loads,
/// so here they are known to parse.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SiteRules {
    pub content: Option<String>,
    pub remove: Vec<String>,
}

/// What the caller knows about the page besides its bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct PageContext<'a> {
    /// The URL the page was fetched from (after redirects): resolves relative
    /// links (canonical, image) and supplies a date found in the path.
    pub url: Option<&'a url::Url>,
    pub rules: Option<&'a SiteRules>,
    /// Also render the article as Markdown ([`Extracted::markdown`]).
    pub markdown: bool,
}

/// Why extraction produced what it did; stored as `articles.extract_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ExtractStatus {
    /// Article text found.
    Ok,
    /// The page parsed but no block of it reads as an article (also the
    /// state before anything was found).
    #[default]
    NoContent,
    /// The input is empty, binary, or not HTML at all.
    NotHtml,
    /// The input exceeds [`MAX_HTML_BYTES`]; nothing was parsed.
    TooLarge,
    /// Elements nest deeper than [`MAX_NESTING`]; nothing was parsed.
    TooDeep,
}

impl ExtractStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExtractStatus::Ok => "ok",
            ExtractStatus::NoContent => "no_content",
            ExtractStatus::NotHtml => "not_html",
            ExtractStatus::TooLarge => "too_large",
            ExtractStatus::TooDeep => "too_deep",
        }
    }
}

/// The result of extracting one page. Every field but `text` and `status` is
/// best effort and `None` when the page does not say.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Extracted {
    pub status: ExtractStatus,
    pub title: Option<String>,
    pub byline: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub modified: Option<DateTime<Utc>>,
    /// BCP 47-ish language tag, lower case (`en`, `pt-br`).
    pub lang: Option<String>,
    /// Absolute URL from `<link rel=canonical>` (else `og:url`), as written.
    pub canonical_url: Option<String>,
    pub site_name: Option<String>,
    pub description: Option<String>,
    pub image_url: Option<String>,
    /// Plain text: paragraphs separated by a blank line.
    pub text: String,
    /// The same blocks as Markdown, when [`PageContext::markdown`] asks.
    pub markdown: Option<String>,
}

/// Pages larger than this are not parsed (the fetcher's page cap is 10 MB;
/// this guards callers that hand us bytes from elsewhere).
pub const MAX_HTML_BYTES: usize = 16 * 1024 * 1024;

/// Extracts the article from a decoded HTML document.
pub fn extract(html: &str, ctx: &PageContext) -> Extracted {
    if html.len() > MAX_HTML_BYTES {
        return Extracted::empty(ExtractStatus::TooLarge);
    }
    if !looks_like_html(html) {
        return Extracted::empty(ExtractStatus::NotHtml);
    }
    if nests_deeper_than(html, MAX_NESTING) {
        return Extracted::empty(ExtractStatus::TooDeep);
    }
    let doc = Html::parse_document(html);
    extract_parsed(&doc, ctx)
}

/// Extracts from an already parsed document (the daemon parses once when it
/// also needs the page for something else; the bench separates the costs).
pub fn extract_parsed(doc: &Html, ctx: &PageContext) -> Extracted {
    extract_tree(doc, ctx, true)
}

/// [`extract_parsed`]; `fallback` allows one look into the page's
/// `<noscript>` markup when the DOM gives no text (the fallback's own
/// extraction does not look again).
fn extract_tree(doc: &Html, ctx: &PageContext, fallback: bool) -> Extracted {
    let flat = dom::Flat::build(doc);
    let meta = metadata::collect(&flat, ctx.url);
    let mut out = Extracted::empty(ExtractStatus::NoContent);

    let rules = ctx
        .rules
        .filter(|r| r.content.is_some() || !r.remove.is_empty());
    let rule_nodes = rules.map(|r| RuleNodes::find(doc, &flat, r));
    let excluded = rule_nodes.as_ref().map_or(&[][..], |r| &r.removed[..]);
    let regions = candidates::Regions::find(&flat, excluded);
    let site = teasers::Site::new(ctx.url, meta.canonical_url.as_deref());
    let roots = match rule_nodes.as_ref().and_then(|r| r.content) {
        Some(root) => Some(vec![root]),
        None => candidates::choose(&flat, meta.article_body.as_deref(), &regions).map(|c| c.roots),
    };
    if let Some(roots) = roots {
        let mut removed = clean::removed_nodes(&flat, &roots, &regions, &site);
        if let Some(rn) = &rule_nodes {
            for &i in &rn.removed {
                removed[i as usize] = true;
            }
        }
        let blocks = render::render(&flat, &roots, &removed);
        let mut kept = clean::keep_article_blocks(&blocks);
        // The headline repeated inside the content (not as an <h1>, which
        // is removed anyway) is metadata, not body text.
        if let Some(title) = meta.title.as_deref().map(same_text_key) {
            kept.retain(|b| b.text.len() > 2 * title.len() + 16 || same_text_key(&b.text) != title);
        }
        if ctx.markdown {
            out.markdown = Some(markdown::render(&flat, &roots, &removed, &kept, ctx.url));
        }
        out.text = render::join(kept);
    }
    // Pages that render their article with JavaScript ship little of it in
    // the DOM but declare it in JSON-LD: when the declared body is long and
    // the DOM gave far less, the declaration is the better text.
    let content_rule = rule_nodes.as_ref().is_some_and(|r| r.content.is_some());
    if let Some(declared) = meta.article_body.as_deref().filter(|_| !content_rule) {
        let declared = fragment_to_text(declared);
        let (dom_chars, ld_chars) = (out.text.chars().count(), declared.chars().count());
        if ld_chars >= JSON_LD_FALLBACK_MIN_CHARS
            && (dom_chars as f32) < JSON_LD_FALLBACK_SHARE * ld_chars as f32
        {
            out.text = declared;
            if ctx.markdown {
                out.markdown = meta
                    .article_body
                    .as_deref()
                    .map(|body| markdown::fragment_to_markdown(body, ctx.url));
            }
        }
    }
    // Pages that build their article with JavaScript may ship it for
    // browsers without scripts inside <noscript>, which the parser keeps
    // as raw markup and the walk skips. When the DOM gave no text at all,
    // that markup is the page (empty pages only: the normal path does not
    // pay for this).
    if out.text.is_empty() && fallback {
        if let Some(text) = noscript_text(doc, ctx) {
            out.text = text;
        }
    }
    if !out.text.is_empty() {
        out.status = ExtractStatus::Ok;
    }
    out.lang = meta.lang.or_else(|| metadata::detect_lang(&out.text));
    out.title = meta.title;
    out.byline = meta.byline;
    out.published = meta.published;
    out.modified = meta.modified;
    out.canonical_url = meta.canonical_url;
    out.site_name = meta.site_name;
    out.description = meta.description;
    out.image_url = meta.image_url;
    out
}

/// The article text of the longest `<noscript>` in the body, its raw
/// markup parsed as a page of its own; `None` when it has none.
fn noscript_text(doc: &Html, ctx: &PageContext) -> Option<String> {
    let selector = Selector::parse("body noscript").ok()?;
    let markup = doc
        .select(&selector)
        .map(|el| el.text().collect::<String>())
        .max_by_key(String::len)?;
    // The same guards as for the page itself: no markup, or nesting deep
    // enough to make the parser quadratic, is not parsed.
    if !markup.contains('<') || nests_deeper_than(&markup, MAX_NESTING) {
        return None;
    }
    let fallback = Html::parse_document(&markup);
    let text = extract_tree(&fallback, ctx, false).text;
    (!text.is_empty()).then_some(text)
}

/// The JSON-LD `articleBody` replaces the DOM's text only when it is at
/// least this long ...
const JSON_LD_FALLBACK_MIN_CHARS: usize = 500;
/// ... and the DOM gave less than this share of it (on the 9 DEV pages
/// with a long declared body the DOM gave 0.79 to 1.02 of its length).
const JSON_LD_FALLBACK_SHARE: f32 = 0.3;

/// Lower-cased alphanumerics: equal keys mean the same words, whatever the
/// punctuation, quotes or spacing.
fn same_text_key(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Flat indices selected by per-site rules.
struct RuleNodes {
    content: Option<u32>,
    removed: Vec<u32>,
}

impl RuleNodes {
    fn find(doc: &Html, flat: &dom::Flat, rules: &SiteRules) -> RuleNodes {
        let index: std::collections::HashMap<ego_tree::NodeId, u32> = flat
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.node.id(), i as u32))
            .collect();
        // Selectors were validated at config load; one that fails here
        // anyway is ignored rather than failing the page.
        let content = rules
            .content
            .as_deref()
            .and_then(|s| Selector::parse(s).ok())
            .and_then(|sel| doc.select(&sel).find_map(|el| index.get(&el.id()).copied()));
        let removed = rules
            .remove
            .iter()
            .filter_map(|s| Selector::parse(s).ok())
            .flat_map(|sel| {
                doc.select(&sel)
                    .filter_map(|el| index.get(&el.id()).copied())
                    .collect::<Vec<_>>()
            })
            .collect();
        RuleNodes { content, removed }
    }
}

impl Extracted {
    fn empty(status: ExtractStatus) -> Extracted {
        Extracted {
            status,
            ..Extracted::default()
        }
    }
}

/// Deeper nesting is refused before parsing. html5ever's tree builder scans
/// its stack of open elements on every start tag (scope checks), so time
/// grows with the square of the depth: 100,000 nested `<div>`s took 28 s
/// here, 5,000 take milliseconds. Real pages stay under a few hundred.
pub const MAX_NESTING: usize = 5000;

/// Tags whose end tag may not be omitted, so counting their start and end
/// tags tracks nesting without a parser (`<p>`, `<li>`, `<td>` close
/// implicitly and would make the count drift).
const EXPLICITLY_CLOSED: &[&[u8]] = &[
    b"div",
    b"span",
    b"section",
    b"article",
    b"aside",
    b"nav",
    b"main",
    b"header",
    b"footer",
    b"blockquote",
    b"table",
    b"ul",
    b"ol",
    b"dl",
    b"form",
    b"a",
    b"b",
    b"i",
    b"em",
    b"strong",
    b"font",
    b"center",
    b"figure",
];

/// A cheap pre-scan: the depth of explicitly closed elements, from their
/// start and end tags, exceeds `limit` somewhere in the document.
fn nests_deeper_than(html: &str, limit: usize) -> bool {
    let bytes = html.as_bytes();
    let mut depth = 0usize;
    for at in memchr::memchr_iter(b'<', bytes) {
        let rest = &bytes[at + 1..];
        let (closing, rest) = match rest.split_first() {
            Some((b'/', r)) => (true, r),
            _ => (false, rest),
        };
        let len = rest
            .iter()
            .take(11)
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if len == 0
            || len > 10
            || !matches!(
                rest.get(len),
                Some(b'>' | b' ' | b'\t' | b'\n' | b'\r' | b'/')
            )
        {
            continue;
        }
        let name = &rest[..len];
        if !EXPLICITLY_CLOSED
            .iter()
            .any(|t| t.eq_ignore_ascii_case(name))
        {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else {
            depth += 1;
            if depth > limit {
                return true;
            }
        }
    }
    false
}

/// How much of the input start decides whether it is text with markup.
const SNIFF_CHARS: usize = 4096;
/// Control characters or U+FFFD (undecodable bytes) above this share of the
/// sniffed start mean binary data decoded as text.
const MAX_BINARY_SHARE: f32 = 0.05;
/// A document with no tag in its first this many bytes is not HTML.
const TAG_SCAN_BYTES: usize = 64 * 1024;

fn looks_like_html(html: &str) -> bool {
    if html.trim().is_empty() {
        return false;
    }
    let mut total = 0usize;
    let mut odd = 0usize;
    for c in html.chars().take(SNIFF_CHARS) {
        total += 1;
        if c == '\0'
            || c == '\u{FFFD}'
            || (c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c'))
        {
            odd += 1;
        }
    }
    if odd as f32 > total as f32 * MAX_BINARY_SHARE {
        return false;
    }
    let head = &html.as_bytes()[..html.len().min(TAG_SCAN_BYTES)];
    head.windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'!'))
}

/// Renders an HTML fragment (a feed entry's content or summary) as plain text
/// with the same rules as article text, without any boilerplate removal.
pub fn fragment_to_text(html: &str) -> String {
    if html.len() > MAX_HTML_BYTES {
        return String::new();
    }
    let doc = Html::parse_fragment(html);
    let flat = dom::Flat::build(&doc);
    if flat.nodes.is_empty() {
        return String::new();
    }
    let removed = vec![false; flat.nodes.len()];
    render::join(&render::render(&flat, &[0], &removed))
}
