//! Extract stage: an article page's HTML in, the clean article text and its
//! metadata out.
//!
//! Pure functions on plain data: no network, no database. The daemon calls
//! [`extract`] on every fetched page; `feedsift extract`, the tests and the
//! benches call the same function, so what we measure is what we ship.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// Per-site rules from `[feed.extract]` in feeds.toml. When `content` is set
/// its first match is the article container; `remove` selectors are dropped
/// before anything else runs. Selectors are validated when the config loads,
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
}

/// Why extraction produced what it did; stored as `articles.extract_status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtractStatus {
    /// Article text found.
    Ok,
    /// The page parsed but no block of it reads as an article.
    NoContent,
    /// The input is empty, binary, or not HTML at all.
    NotHtml,
    /// The input exceeds [`MAX_HTML_BYTES`]; nothing was parsed.
    TooLarge,
}

impl ExtractStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ExtractStatus::Ok => "ok",
            ExtractStatus::NoContent => "no_content",
            ExtractStatus::NotHtml => "not_html",
            ExtractStatus::TooLarge => "too_large",
        }
    }
}

/// The result of extracting one page. Every field but `text` and `status` is
/// best effort and `None` when the page does not say.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
}

/// Pages larger than this are not parsed (the fetcher's page cap is 10 MB;
/// this guards callers that hand us bytes from elsewhere).
pub const MAX_HTML_BYTES: usize = 16 * 1024 * 1024;

/// Extracts the article from a decoded HTML document.
pub fn extract(html: &str, ctx: &PageContext) -> Extracted {
    let _ = ctx;
    Extracted {
        status: if html.trim().is_empty() {
            ExtractStatus::NotHtml
        } else {
            ExtractStatus::NoContent
        },
        title: None,
        byline: None,
        published: None,
        modified: None,
        lang: None,
        canonical_url: None,
        site_name: None,
        description: None,
        image_url: None,
        text: String::new(),
    }
}

/// Renders an HTML fragment (a feed entry's content or summary) as plain text
/// with the same rules as article text, without any boilerplate removal.
pub fn fragment_to_text(html: &str) -> String {
    let doc = scraper::Html::parse_fragment(html);
    doc.root_element().text().collect::<Vec<_>>().join(" ")
}
