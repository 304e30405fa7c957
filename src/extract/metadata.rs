//! Title, byline, dates, language, canonical URL, site name, description and
//! lead image.
//!
//! Each field has an ordered list of sources, most deliberate first: the
//! page's JSON-LD and `<meta>` tags are written for machines (search
//! engines, social cards) and are rarely wrong; visible elements (`<h1>`,
//! `<time>`) and guesses (a date in the URL path, language detection) come
//! after. Everything was gathered during the single DOM walk of
//! [`super::dom::Flat::build`], so this module only looks at a few dozen
//! nodes.

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use regex::Regex;
use scraper::Node;
use serde_json::Value;
use url::Url;

use super::dom::{Flat, Tag};

#[derive(Debug, Default)]
pub struct Metadata {
    pub title: Option<String>,
    pub byline: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub modified: Option<DateTime<Utc>>,
    pub lang: Option<String>,
    pub canonical_url: Option<String>,
    pub site_name: Option<String>,
    pub description: Option<String>,
    pub image_url: Option<String>,
    /// The JSON-LD `articleBody`, a hint for content selection.
    pub article_body: Option<String>,
}

/// What the JSON-LD article object says.
#[derive(Default)]
struct LdArticle {
    headline: Option<String>,
    body: Option<String>,
    author: Option<String>,
    published: Option<String>,
    modified: Option<String>,
    image: Option<String>,
    publisher: Option<String>,
    url: Option<String>,
}

/// JSON-LD objects nested deeper than this are not looked at; real pages
/// nest three or four levels (`@graph` > article > author).
const MAX_LD_DEPTH: usize = 8;

/// Dates before this year are mis-parsed numbers, not publication dates.
const MIN_YEAR: i32 = 1990;
const MAX_YEAR: i32 = 2100;

/// A byline longer than this is a paragraph that happens to name someone.
const MAX_BYLINE_CHARS: usize = 120;

pub fn collect(flat: &Flat, base: Option<&Url>) -> Metadata {
    let metas = meta_map(flat);
    let meta = |keys: &[&str]| -> Option<String> {
        keys.iter()
            .find_map(|k| metas.get(*k).filter(|v| !v.is_empty()).cloned())
    };
    let ld = json_ld(flat);

    let mut canonical = flat
        .links
        .iter()
        .filter_map(|l| l.value().as_element())
        .filter(|el| {
            el.attr("rel").is_some_and(|r| {
                r.split_ascii_whitespace()
                    .any(|t| t.eq_ignore_ascii_case("canonical"))
            })
        })
        .find_map(|el| resolve(el.attr("href")?, base));
    if canonical.is_none() {
        canonical = meta(&["og:url"]).and_then(|u| resolve(&u, base));
    }
    let base_for_media = base
        .cloned()
        .or_else(|| canonical.as_deref().and_then(|c| Url::parse(c).ok()));

    let site_name = meta(&["og:site_name", "application-name"])
        .or(ld.publisher.clone())
        .map(|s| clean_line(&s));
    let title = meta(&["og:title", "twitter:title"])
        .or(ld.headline.clone())
        .or_else(|| first_h1(flat))
        .or_else(|| document_title(flat))
        .map(|t| strip_site_name(&clean_line(&t), site_name.as_deref()))
        .filter(|t| !t.is_empty());

    let byline = ld
        .author
        .clone()
        .or_else(|| {
            meta(&[
                "author",
                "byl",
                "dc.creator",
                "sailthru.author",
                "parsely-author",
                "article:author",
            ])
        })
        .or_else(|| itemprop_text(flat, "author"))
        .map(|b| clean_byline(&b))
        .filter(|b| !b.is_empty() && b.len() <= MAX_BYLINE_CHARS && !b.starts_with("http"));

    let published = ld
        .published
        .as_deref()
        .and_then(parse_date)
        .or_else(|| {
            meta(&[
                "article:published_time",
                "og:published_time",
                "datepublished",
                "pubdate",
                "publishdate",
                "publish-date",
                "date",
                "dc.date",
                "dc.date.issued",
                "dcterms.created",
                "sailthru.date",
                "parsely-pub-date",
                "article.published",
            ])
            .as_deref()
            .and_then(parse_date)
        })
        .or_else(|| itemprop_date(flat, "datePublished"))
        .or_else(|| first_time_element(flat))
        .or_else(|| base.and_then(|u| date_in_path(u.path())))
        .or_else(|| {
            canonical
                .as_deref()
                .and_then(|c| Url::parse(c).ok())
                .and_then(|u| date_in_path(u.path()))
        });
    let modified = ld
        .modified
        .as_deref()
        .and_then(parse_date)
        .or_else(|| {
            meta(&[
                "article:modified_time",
                "og:updated_time",
                "datemodified",
                "last-modified",
                "dcterms.modified",
            ])
            .as_deref()
            .and_then(parse_date)
        })
        .or_else(|| itemprop_date(flat, "dateModified"));

    let lang = flat
        .html
        .and_then(|h| h.value().as_element())
        .and_then(|el| el.attr("lang").or_else(|| el.attr("xml:lang")))
        .and_then(normalise_lang)
        .or_else(|| {
            meta(&["content-language", "og:locale", "language"])
                .as_deref()
                .and_then(normalise_lang)
        });

    let description = meta(&["og:description", "description", "twitter:description"])
        .map(|d| clean_line(&d))
        .filter(|d| !d.is_empty());
    let image_url = meta(&[
        "og:image",
        "og:image:url",
        "og:image:secure_url",
        "twitter:image",
        "twitter:image:src",
    ])
    .or(ld.image.clone())
    .and_then(|u| resolve(&u, base_for_media.as_ref()));
    if canonical.is_none() {
        canonical = ld.url.as_deref().and_then(|u| resolve(u, base));
    }

    Metadata {
        title,
        byline,
        published,
        modified,
        lang,
        canonical_url: canonical,
        site_name,
        description,
        image_url,
        article_body: ld.body,
    }
}

/// `<meta>` values by lower-cased `name`, `property` or `itemprop`; the
/// first occurrence wins. `http-equiv` headers too (`content-language`).
fn meta_map(flat: &Flat) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for m in &flat.metas {
        let Some(el) = m.value().as_element() else {
            continue;
        };
        let Some(content) = el.attr("content") else {
            continue;
        };
        for key in ["property", "name", "itemprop", "http-equiv"] {
            if let Some(k) = el.attr(key) {
                map.entry(k.trim().to_ascii_lowercase())
                    .or_insert_with(|| content.trim().to_owned());
            }
        }
    }
    map
}

fn node_text(node: ego_tree::NodeRef<'_, Node>) -> String {
    let mut out = String::new();
    for d in node.descendants() {
        if let Node::Text(t) = d.value() {
            out.push_str(t);
        }
    }
    out
}

fn json_ld(flat: &Flat) -> LdArticle {
    let mut best = LdArticle::default();
    for script in &flat.json_ld {
        let text = node_text(*script);
        let Ok(value) = serde_json::from_str::<Value>(text.trim().trim_end_matches(';')) else {
            continue;
        };
        // Iterative walk over objects: arrays, `@graph`, nested entities.
        let mut stack = vec![(&value, 0usize)];
        while let Some((v, depth)) = stack.pop() {
            if depth > MAX_LD_DEPTH {
                continue;
            }
            match v {
                Value::Array(items) => stack.extend(items.iter().rev().map(|i| (i, depth + 1))),
                Value::Object(obj) => {
                    if obj.get("@type").is_some_and(is_article_type) {
                        fill_from_ld(&mut best, obj);
                    }
                    if let Some(graph) = obj.get("@graph") {
                        stack.push((graph, depth + 1));
                    }
                    if let Some(main) = obj.get("mainEntity") {
                        stack.push((main, depth + 1));
                    }
                }
                _ => {}
            }
        }
    }
    best
}

fn is_article_type(t: &Value) -> bool {
    let check = |s: &str| {
        let s = s.rsplit('/').next().unwrap_or(s);
        s.ends_with("Article")
            || matches!(
                s,
                "BlogPosting"
                    | "LiveBlogPosting"
                    | "Report"
                    | "ReportageNews"
                    | "Review"
                    | "Recipe"
            )
    };
    match t {
        Value::String(s) => check(s),
        Value::Array(a) => a.iter().any(|v| v.as_str().is_some_and(check)),
        _ => false,
    }
}

fn fill_from_ld(best: &mut LdArticle, obj: &serde_json::Map<String, Value>) {
    let s = |k: &str| {
        obj.get(k)
            .and_then(ld_string)
            .filter(|s| !s.trim().is_empty())
    };
    if best.body.is_none() {
        best.body = s("articleBody").or_else(|| s("text"));
    }
    best.headline = best
        .headline
        .take()
        .or_else(|| s("headline"))
        .or_else(|| s("name"));
    best.published = best
        .published
        .take()
        .or_else(|| s("datePublished"))
        .or_else(|| s("dateCreated"));
    best.modified = best.modified.take().or_else(|| s("dateModified"));
    best.author = best
        .author
        .take()
        .or_else(|| obj.get("author").and_then(ld_names));
    best.image = best
        .image
        .take()
        .or_else(|| obj.get("image").and_then(ld_url));
    best.publisher = best
        .publisher
        .take()
        .or_else(|| obj.get("publisher").and_then(ld_names));
    best.url = best
        .url
        .take()
        .or_else(|| s("url"))
        .or_else(|| obj.get("mainEntityOfPage").and_then(ld_url));
}

fn ld_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Array(a) => a.first().and_then(ld_string),
        _ => None,
    }
}

/// `"Jane"`, `{"name": "Jane"}` or a list of either, joined with commas.
fn ld_names(v: &Value) -> Option<String> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Object(o) => o
            .get("name")
            .and_then(ld_string)
            .map(|s| s.trim().to_owned()),
        _ => None,
    };
    let names: Vec<String> = match v {
        Value::Array(a) => a.iter().filter_map(one).filter(|s| !s.is_empty()).collect(),
        other => one(other).into_iter().filter(|s| !s.is_empty()).collect(),
    };
    (!names.is_empty()).then(|| names.join(", "))
}

fn ld_url(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("url").or_else(|| o.get("@id")).and_then(ld_url),
        Value::Array(a) => a.first().and_then(ld_url),
        _ => None,
    }
}

fn first_h1(flat: &Flat) -> Option<String> {
    let i = flat.nodes.iter().position(|n| n.tag == Tag::Heading(1))?;
    Some(node_text(flat.nodes[i].node)).filter(|t| !t.trim().is_empty())
}

fn document_title(flat: &Flat) -> Option<String> {
    flat.title.map(node_text).filter(|t| !t.trim().is_empty())
}

fn itemprop_nodes<'f>(flat: &'f Flat, prop: &'f str) -> impl Iterator<Item = u32> + 'f {
    flat.itemprops.iter().copied().filter(move |&i| {
        flat.element(i)
            .and_then(|el| el.attr("itemprop"))
            .is_some_and(|v| {
                v.split_ascii_whitespace()
                    .any(|p| p.eq_ignore_ascii_case(prop))
            })
    })
}

fn itemprop_text(flat: &Flat, prop: &str) -> Option<String> {
    itemprop_nodes(flat, prop).find_map(|i| {
        let el = flat.element(i)?;
        let text = el
            .attr("content")
            .map(str::to_owned)
            .unwrap_or_else(|| node_text(flat.nodes[i as usize].node));
        Some(clean_line(&text)).filter(|t| !t.is_empty())
    })
}

fn itemprop_date(flat: &Flat, prop: &str) -> Option<DateTime<Utc>> {
    itemprop_nodes(flat, prop).find_map(|i| {
        let el = flat.element(i)?;
        parse_date(el.attr("content").or_else(|| el.attr("datetime"))?)
    })
}

fn first_time_element(flat: &Flat) -> Option<DateTime<Utc>> {
    flat.times
        .iter()
        .find_map(|&i| parse_date(flat.element(i)?.attr("datetime")?))
}

static URL_DATE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"/((?:19|20)\d{2})[/-](0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])(?:[/-]|$|\.)").ok()
});

fn date_in_path(path: &str) -> Option<DateTime<Utc>> {
    let caps = URL_DATE.as_ref()?.captures(path)?;
    let y = caps.get(1)?.as_str().parse().ok()?;
    let m = caps.get(2)?.as_str().parse().ok()?;
    let d = caps.get(3)?.as_str().parse().ok()?;
    let date = NaiveDate::from_ymd_opt(y, m, d)?;
    Some(Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0)?))
}

/// Parses the date formats pages use: RFC 3339 and ISO 8601 variants (with
/// or without offset, seconds, fraction), a bare date, RFC 2822.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let parsed = DateTime::parse_from_rfc3339(s)
        .ok()
        .or_else(|| {
            [
                "%Y-%m-%dT%H:%M:%S%.f%z",
                "%Y-%m-%dT%H:%M:%S%z",
                "%Y-%m-%dT%H:%M%z",
                "%Y-%m-%d %H:%M:%S%.f%z",
                "%Y-%m-%d %H:%M:%S %z",
            ]
            .iter()
            .find_map(|f| DateTime::parse_from_str(s, f).ok())
        })
        .or_else(|| DateTime::parse_from_rfc2822(s).ok())
        .map(|d| d.with_timezone(&Utc))
        .or_else(|| {
            let naive = s.trim_end_matches('Z');
            [
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%d %H:%M:%S",
                "%Y-%m-%d %H:%M",
            ]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(naive, f).ok())
            .map(|n| Utc.from_utc_datetime(&n))
        })
        .or_else(|| {
            let day = s.get(..10)?;
            ["%Y-%m-%d", "%Y/%m/%d"]
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(day, f).ok())
                .or_else(|| NaiveDate::parse_from_str(s, "%Y%m%d").ok())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|n| Utc.from_utc_datetime(&n))
        })?;
    let year = chrono::Datelike::year(&parsed);
    (MIN_YEAR..=MAX_YEAR).contains(&year).then_some(parsed)
}

/// `en-US` → `en-us`, `pt_BR` → `pt-br`; anything that is not a language
/// tag (`x`, `{{lang}}`) → `None`.
pub fn normalise_lang(raw: &str) -> Option<String> {
    let tag = raw.trim().replace('_', "-").to_ascii_lowercase();
    let mut parts = tag.split('-');
    let primary = parts.next()?;
    if !(2..=3).contains(&primary.len()) || !primary.chars().all(|c| c.is_ascii_lowercase()) {
        return None;
    }
    match parts.next() {
        Some(region)
            if (2..=4).contains(&region.len())
                && region.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            Some(format!("{primary}-{region}"))
        }
        _ => Some(primary.to_owned()),
    }
}

/// Language of the extracted text when the page does not declare one.
pub fn detect_lang(text: &str) -> Option<String> {
    // A sample is enough and keeps detection cheap on long articles.
    const SAMPLE_BYTES: usize = 2048;
    let mut end = text.len().min(SAMPLE_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let info = whatlang::detect(&text[..end])?;
    if !info.is_reliable() {
        return None;
    }
    Some(iso639_1(info.lang()).to_owned())
}

fn iso639_1(lang: whatlang::Lang) -> &'static str {
    use whatlang::Lang::*;
    match lang {
        Eng => "en",
        Rus => "ru",
        Cmn => "zh",
        Spa => "es",
        Por => "pt",
        Ita => "it",
        Ben => "bn",
        Fra => "fr",
        Deu => "de",
        Ukr => "uk",
        Kat => "ka",
        Ara => "ar",
        Hin => "hi",
        Jpn => "ja",
        Heb => "he",
        Yid => "yi",
        Pol => "pl",
        Amh => "am",
        Jav => "jv",
        Kor => "ko",
        Nob => "nb",
        Dan => "da",
        Swe => "sv",
        Fin => "fi",
        Tur => "tr",
        Nld => "nl",
        Hun => "hu",
        Ces => "cs",
        Ell => "el",
        Bul => "bg",
        Bel => "be",
        Mar => "mr",
        Kan => "kn",
        Ron => "ro",
        Slv => "sl",
        Hrv => "hr",
        Srp => "sr",
        Mkd => "mk",
        Lit => "lt",
        Lav => "lv",
        Est => "et",
        Tam => "ta",
        Vie => "vi",
        Urd => "ur",
        Tha => "th",
        Guj => "gu",
        Uzb => "uz",
        Pan => "pa",
        Aze => "az",
        Ind => "id",
        Tel => "te",
        Pes => "fa",
        Mal => "ml",
        Ori => "or",
        Mya => "my",
        Nep => "ne",
        Sin => "si",
        Khm => "km",
        Tuk => "tk",
        Aka => "ak",
        Zul => "zu",
        Sna => "sn",
        Afr => "af",
        Lat => "la",
        Slk => "sk",
        Cat => "ca",
        Tgl => "tl",
        Hye => "hy",
        Epo => "eo",
        _ => lang.code(),
    }
}

fn resolve(href: &str, base: Option<&Url>) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let url = match Url::parse(href) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => base?.join(href).ok()?,
        Err(_) => return None,
    };
    matches!(url.scheme(), "http" | "https").then(|| url.to_string())
}

/// Collapses whitespace.
pub fn clean_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn clean_byline(s: &str) -> String {
    let s = clean_line(s);
    let lower = s.to_lowercase();
    for prefix in ["by ", "por ", "von ", "par ", "di "] {
        if lower.starts_with(prefix) {
            return s.get(prefix.len()..).unwrap_or("").trim().to_owned();
        }
    }
    s
}

/// "Headline | Site", "Headline - Site", "Site: Headline" → "Headline".
fn strip_site_name(title: &str, site: Option<&str>) -> String {
    const SEPARATORS: &[&str] = &[" | ", " - ", " – ", " — ", " :: ", " · ", " » "];
    if let Some(site) = site.filter(|s| !s.is_empty()) {
        let lower_site = site.to_lowercase();
        for sep in SEPARATORS {
            if let Some((head, tail)) = title.rsplit_once(sep) {
                if tail.to_lowercase().contains(&lower_site)
                    || lower_site.contains(&tail.to_lowercase())
                {
                    return head.trim().to_owned();
                }
            }
            if let Some((head, tail)) = title.split_once(sep) {
                if head.to_lowercase() == lower_site {
                    return tail.trim().to_owned();
                }
            }
        }
        return title.to_owned();
    }
    // Without a known site name, drop a short last segment: titles put the
    // site last, and a site name is rarely longer than four words.
    for sep in SEPARATORS {
        if let Some((head, tail)) = title.rsplit_once(sep) {
            if tail.split_whitespace().count() <= 4 && head.split_whitespace().count() >= 3 {
                return head.trim().to_owned();
            }
        }
    }
    title.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta_of(html: &str, url: Option<&str>) -> Metadata {
        let doc = scraper::Html::parse_document(html);
        let flat = Flat::build(&doc);
        let url = url.and_then(|u| Url::parse(u).ok());
        collect(&flat, url.as_ref())
    }

    #[test]
    fn og_and_json_ld() {
        let m = meta_of(
            r#"<html lang="en-US"><head><title>Big news | The Paper</title>
            <meta property="og:title" content="Big news">
            <meta property="og:site_name" content="The Paper">
            <meta property="og:image" content="/img/lead.jpg">
            <meta name="description" content="  What happened.  ">
            <link rel="canonical" href="/2019/11/20/big-news">
            <script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"WebPage"},
              {"@type":"NewsArticle","headline":"Big news","author":[{"@type":"Person","name":"Jane Doe"},{"name":"John Roe"}],
               "datePublished":"2019-11-20T04:00:00-06:00","dateModified":"2019-11-21T10:00:00Z","articleBody":"Body."}]}</script>
            </head><body><h1>Big news</h1></body></html>"#,
            Some("https://paper.example/news?id=1"),
        );
        assert_eq!(m.title.as_deref(), Some("Big news"));
        assert_eq!(m.byline.as_deref(), Some("Jane Doe, John Roe"));
        assert_eq!(
            m.published.map(|d| d.to_rfc3339()),
            Some("2019-11-20T10:00:00+00:00".to_owned())
        );
        assert_eq!(
            m.modified.map(|d| d.to_rfc3339()),
            Some("2019-11-21T10:00:00+00:00".to_owned())
        );
        assert_eq!(m.lang.as_deref(), Some("en-us"));
        assert_eq!(
            m.canonical_url.as_deref(),
            Some("https://paper.example/2019/11/20/big-news")
        );
        assert_eq!(m.site_name.as_deref(), Some("The Paper"));
        assert_eq!(m.description.as_deref(), Some("What happened."));
        assert_eq!(
            m.image_url.as_deref(),
            Some("https://paper.example/img/lead.jpg")
        );
        assert_eq!(m.article_body.as_deref(), Some("Body."));
    }

    #[test]
    fn fallbacks_title_time_and_url_date() {
        let m = meta_of(
            r#"<html><head><title>A long headline here - Site Name</title><meta name="author" content="By Sam Poe"></head>
            <body><p>Text <time datetime="2020-02-03">Feb 3</time></p></body></html>"#,
            None,
        );
        assert_eq!(m.title.as_deref(), Some("A long headline here"));
        assert_eq!(m.byline.as_deref(), Some("Sam Poe"));
        assert_eq!(
            m.published.map(|d| d.date_naive().to_string()),
            Some("2020-02-03".to_owned())
        );
        assert_eq!(m.lang, None);

        let m = meta_of(
            "<html><body><p>x</p></body></html>",
            Some("https://x.example/news/2019/11/20/story.html"),
        );
        assert_eq!(
            m.published.map(|d| d.date_naive().to_string()),
            Some("2019-11-20".to_owned())
        );
    }

    #[test]
    fn date_formats() {
        for s in [
            "2019-11-20T04:00:00-06:00",
            "2019-11-20T10:00:00Z",
            "2019-11-20T10:00:00.000+0000",
            "2019-11-20 10:00:00",
            "2019-11-20T10:00",
            "Wed, 20 Nov 2019 10:00:00 GMT",
        ] {
            assert_eq!(
                parse_date(s).map(|d| d.to_rfc3339()),
                Some("2019-11-20T10:00:00+00:00".to_owned()),
                "{s}"
            );
        }
        assert!(parse_date("2019-11-20").is_some());
        assert!(parse_date("yesterday").is_none());
        assert!(parse_date("0001-01-01").is_none());
    }

    #[test]
    fn languages() {
        assert_eq!(normalise_lang("pt_BR").as_deref(), Some("pt-br"));
        assert_eq!(normalise_lang("EN").as_deref(), Some("en"));
        assert_eq!(normalise_lang("{{lang}}"), None);
        let german = "Die Bundesregierung hat am Mittwoch beschlossen, die Förderung für erneuerbare Energien \
                      deutlich auszubauen. Damit sollen die Klimaziele schneller erreicht werden.";
        assert_eq!(detect_lang(german).as_deref(), Some("de"));
    }
}
