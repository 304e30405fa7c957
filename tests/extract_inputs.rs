//! Bad input, encodings, per-site rules and feed fragments: the extract
//! stage's edges.

use std::time::{Duration, Instant};

use feedsift::encoding::{self, DocumentKind};
use feedsift::extract::{
    ExtractStatus, MAX_HTML_BYTES, PageContext, SiteRules, extract, fragment_to_text,
};

/// A small article page around `body_html`, declaring `charset`.
fn page(charset: &str, title: &str, body_html: &str) -> String {
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"{charset}\"><title>{title}</title></head><body>\
         <nav><a href=/>Home</a> <a href=/news>News</a></nav><article>{body_html}</article>\
         <footer>Copyright footer text that is not the article.</footer></body></html>"
    )
}

fn paragraphs(sentences: &[&str]) -> String {
    sentences.iter().map(|s| format!("<p>{s}</p>")).collect()
}

fn decode_and_extract(bytes: &[u8], content_type: Option<&str>) -> feedsift::extract::Extracted {
    let decoded = encoding::decode(bytes, content_type, DocumentKind::Html);
    extract(&decoded.text, &PageContext::default())
}

#[test]
fn empty_binary_and_plain_text_are_not_html() {
    let ctx = PageContext::default();
    assert_eq!(extract("", &ctx).status, ExtractStatus::NotHtml);
    assert_eq!(extract("  \n\t ", &ctx).status, ExtractStatus::NotHtml);
    assert_eq!(
        extract("just some words, no markup at all", &ctx).status,
        ExtractStatus::NotHtml
    );
    let binary: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let got = decode_and_extract(&binary, None);
    assert_eq!(got.status, ExtractStatus::NotHtml);
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0\x1f\xf3\xffa<html>";
    assert_eq!(decode_and_extract(png, None).status, ExtractStatus::NotHtml);
}

#[test]
fn a_page_without_article_is_no_content() {
    let got = extract(
        "<html><body><nav><a href=/>Home</a></nav></body></html>",
        &PageContext::default(),
    );
    assert_eq!(got.status, ExtractStatus::NoContent);
    assert!(got.text.is_empty());
}

#[test]
fn fifty_megabytes_is_too_large_without_parsing() {
    let big = "<p>".repeat(50 * 1024 * 1024 / 3 + 1);
    assert!(big.len() > MAX_HTML_BYTES);
    let start = Instant::now();
    let got = extract(&big, &PageContext::default());
    assert_eq!(got.status, ExtractStatus::TooLarge);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn hundred_thousand_nested_divs() {
    let html = format!(
        "<html><body>{}<p>deep</p>{}</body></html>",
        "<div>".repeat(100_000),
        "</div>".repeat(100_000)
    );
    let start = Instant::now();
    let got = extract(&html, &PageContext::default());
    assert_eq!(got.status, ExtractStatus::TooDeep);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn deep_but_allowed_nesting_extracts_without_stack_overflow() {
    // Just under the refusal limit: every pass must be iterative.
    let depth = feedsift::extract::MAX_NESTING - 10;
    let body = paragraphs(
        &["A sentence long enough to count as a paragraph, with a comma or two, here."; 3],
    );
    let html = format!(
        "<html><body>{}{body}{}</body></html>",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    );
    let got = extract(&html, &PageContext::default());
    assert_eq!(got.status, ExtractStatus::Ok);
    assert!(got.text.contains("a comma or two"));
}

#[test]
fn malformed_markup_never_panics() {
    let ctx = PageContext::default();
    for html in [
        "<",
        "<<<>>>",
        "<html",
        "</div></div></p>",
        "<table><td><p>cell<table><td>nested",
        "<b><i><u><s>unclosed",
        "<svg><foreignObject><p>text in svg</p></foreignObject></svg>",
        "<script>document.write('<p>')</script>",
        "<!-- unterminated comment",
        "<p>\u{0}\u{FFFD}</p>",
        "<template><p>inside</p></template><p>outside</p>",
    ] {
        let _ = extract(html, &ctx);
        let _ = fragment_to_text(html);
    }
}

const FR: [&str; 3] = [
    "Le café de la gare a rouvert ses portes mercredi, après des travaux qui ont duré près d'un an.",
    "Les habitués, ravis, ont retrouvé leur comptoir et leurs crêpes à la crème fraîche.",
    "« C'était long », résume le gérant, qui prévoit déjà d'élargir la terrasse au printemps.",
];

#[test]
fn windows_1252_page() {
    let html = page("windows-1252", "Café", &paragraphs(&FR)) + "<p>Prix : 5 € — “citation”</p>";
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&html);
    assert!(!unmappable);
    let got = decode_and_extract(&bytes, None);
    assert_eq!(got.status, ExtractStatus::Ok);
    assert!(
        got.text.contains("crêpes à la crème fraîche"),
        "{}",
        got.text
    );
    assert!(got.text.contains("« C'était long »"), "{}", got.text);
    assert_eq!(got.lang.as_deref(), Some("fr"));
}

#[test]
fn iso_8859_1_page_declared_in_http_header() {
    // No <meta charset>: the HTTP header names the charset.
    let html = format!(
        "<html><body><article>{}</article></body></html>",
        paragraphs(&FR)
    );
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&html);
    let got = decode_and_extract(&bytes, Some("text/html; charset=ISO-8859-1"));
    assert!(got.text.contains("Le café de la gare"), "{}", got.text);
}

#[test]
fn shift_jis_page() {
    let body = paragraphs(&[
        "東京都内の小学校で、新しい給食の献立が導入された。地元の野菜を使った料理が中心で、子どもたちにも好評だという。",
        "担当者は「食べ残しが減った」と話しており、来年度からは他の区にも広げる方針だ。保護者からも歓迎の声が上がっている。",
        "献立は栄養士と農家が一緒に考えたもので、季節ごとに内容が変わる。秋には新米を使ったおにぎりが登場する予定だ。",
    ]);
    let html = page("Shift_JIS", "給食", &body);
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&html);
    assert!(!unmappable);
    let got = decode_and_extract(&bytes, None);
    assert_eq!(got.status, ExtractStatus::Ok);
    assert!(got.text.contains("新しい給食の献立"), "{}", got.text);
    assert_eq!(got.lang.as_deref(), Some("ja"));
}

#[test]
fn gbk_page_detected_without_declaration() {
    let body = paragraphs(&[
        "这是一个关于中国经济发展的新闻报道，记者在北京采访了多位专家，他们认为明年的增长将保持稳定。",
        "专家指出，消费和服务业将成为主要动力，同时制造业的升级也在加快，出口结构正在发生变化。",
        "报道还提到，各地政府正在推出新的政策，以支持小企业融资和就业，稳定市场预期。",
    ]);
    let html = format!("<html><body><article>{body}</article></body></html>");
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&html);
    assert!(!unmappable);
    let got = decode_and_extract(&bytes, None);
    assert_eq!(got.status, ExtractStatus::Ok);
    assert!(got.text.contains("中国经济发展"), "{}", got.text);
    assert_eq!(got.lang.as_deref(), Some("zh"));
}

#[test]
fn site_rules_take_precedence() {
    let html = "<html><body>\
        <div class=main><p>The long article paragraph that a score-based pick would choose, with commas, clauses, and detail.</p>\
        <p>Another long article paragraph in the main column, again with commas, and more words to weigh.</p></div>\
        <div class=story><p>The real story text lives here.</p><p class=junk>Promo line to remove.</p><p>It goes on.</p></div>\
        </body></html>";
    let rules = SiteRules {
        content: Some("div.story".into()),
        remove: vec![".junk".into()],
    };
    let got = extract(
        html,
        &PageContext {
            url: None,
            rules: Some(&rules),
            markdown: false,
        },
    );
    assert_eq!(got.text, "The real story text lives here.\n\nIt goes on.");

    let only_remove = SiteRules {
        content: None,
        remove: vec!["p:first-child".into()],
    };
    let got = extract(
        html,
        &PageContext {
            url: None,
            rules: Some(&only_remove),
            markdown: false,
        },
    );
    assert!(!got.text.contains("a score-based pick"), "{}", got.text);
    assert!(
        got.text.contains("Another long article paragraph"),
        "{}",
        got.text
    );
}

#[test]
fn feed_fragments_render_like_articles() {
    assert_eq!(
        fragment_to_text(
            "<p>First &amp; foremost.</p><p>Second<br>line</p><ul><li>a</li><li>b</li></ul>"
        ),
        "First & foremost.\n\nSecond\nline\n\na\nb"
    );
    assert_eq!(
        fragment_to_text("plain text, no tags"),
        "plain text, no tags"
    );
    assert_eq!(fragment_to_text(""), "");
    // No boilerplate removal in fragments: a feed's content is what it is.
    assert_eq!(
        fragment_to_text("<p>Read more: <a href=x>here</a></p>"),
        "Read more: here"
    );
}

#[test]
fn json_ld_body_when_the_dom_has_little() {
    let body = "A paragraph of the article that only the structured data carries. ".repeat(12);
    let html = format!(
        r#"<html><head><script type="application/ld+json">{{"@type":"NewsArticle","headline":"H","articleBody":"{body}"}}</script>
        </head><body><div id=app><p>Loading the article, please wait a moment...</p></div></body></html>"#
    );
    let got = extract(&html, &PageContext::default());
    assert_eq!(got.status, ExtractStatus::Ok);
    assert_eq!(got.text, body.trim());
}

#[test]
fn metadata_from_url_and_relative_links() {
    let html = r#"<html lang="pt-BR"><head><link rel="canonical" href="/noticia/2019/11/20/x">
        <meta property="og:image" content="img/a.jpg"></head><body><article><p>Texto.</p></article></body></html>"#;
    let url = url::Url::parse("https://jornal.example/secao/pagina.html").expect("url");
    let got = extract(
        html,
        &PageContext {
            url: Some(&url),
            rules: None,
            markdown: false,
        },
    );
    assert_eq!(got.lang.as_deref(), Some("pt-br"));
    assert_eq!(
        got.canonical_url.as_deref(),
        Some("https://jornal.example/noticia/2019/11/20/x")
    );
    assert_eq!(
        got.image_url.as_deref(),
        Some("https://jornal.example/secao/img/a.jpg")
    );
}
