//! Text constructs: what a title, summary or content element holds, as a
//! [`TextBlock`] with its media type, and titles as plain text.
//!
//! Atom says what its text is (`type="text|html|xhtml"` or a media type);
//! RSS says nothing, and in practice a `<description>` is HTML (escaped or
//! inline), while a `<title>` is text that routinely carries escaped HTML
//! (`&lt;b&gt;`) and double-escaped entities (`&amp;amp;`). Feed readers
//! (feedparser, Miniflux) read RSS titles that look like markup as HTML, and
//! so does feedsift.

use super::model::TextBlock;
use super::tree::{Element, Ns};

/// Titles longer than this are cut before markup stripping: no real title
/// is this long, and it bounds the HTML parser's work per entry.
const MAX_TITLE_BYTES: usize = 16 * 1024;

pub(crate) const PLAIN: &str = "text/plain";
pub(crate) const HTML: &str = "text/html";
pub(crate) const XHTML: &str = "application/xhtml+xml";

/// An Atom text construct or content element. None when it is empty and
/// has no `src`.
pub(crate) fn atom(el: &Element) -> Option<TextBlock> {
    let declared = el.attr("type").map(|t| t.trim().to_ascii_lowercase());
    let media_type = match declared.as_deref() {
        None | Some("" | "text" | "text/plain") => PLAIN.to_owned(),
        Some("html" | "text/html") => HTML.to_owned(),
        Some("xhtml" | "application/xhtml+xml") => XHTML.to_owned(),
        Some(other) => other.to_owned(),
    };
    let src = el
        .attr("src")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| super::links::absolutize(s, el.base.as_deref()));
    let value = match media_type.as_str() {
        HTML => el.markup(false),
        XHTML => xhtml_body(el),
        t if is_xml_type(t) => el.markup(true),
        t if t.starts_with("text/") => el.text(),
        // Any other media type is Base64 (RFC 4287, 4.1.3.3); text that
        // decodes to UTF-8 is shown decoded.
        _ => decode_base64(&el.text()).unwrap_or_else(|| el.text()),
    };
    block(el, media_type, value, src)
}

/// An RSS element whose content is HTML (`description`, `content:encoded`):
/// escaped HTML is unescaped once, inline markup kept as written.
pub(crate) fn rss_html(el: &Element) -> Option<TextBlock> {
    block(el, HTML.to_owned(), el.markup(false), None)
}

/// Inline XHTML (`<xhtml:body>`, `<body xmlns="…xhtml">`).
pub(crate) fn xhtml(el: &Element) -> Option<TextBlock> {
    block(el, XHTML.to_owned(), el.markup(true), None)
}

/// An element meant as plain text that may carry HTML anyway
/// (`itunes:summary`, `dc:description`): HTML when it looks like markup.
pub(crate) fn guessed(el: &Element) -> Option<TextBlock> {
    let value = el.markup(false);
    let media_type = if looks_like_markup(&value) {
        HTML
    } else {
        PLAIN
    };
    block(el, media_type.to_owned(), value, None)
}

fn block(
    el: &Element,
    media_type: String,
    value: String,
    src: Option<String>,
) -> Option<TextBlock> {
    let value = value.trim().to_owned();
    if value.is_empty() && src.is_none() {
        return None;
    }
    Some(TextBlock {
        media_type,
        value,
        language: el.lang.as_deref().map(str::to_owned),
        base: el.base.as_deref().map(|u| u.to_string()),
        src,
    })
}

/// XHTML content is wrapped in one `<div>` that is not part of it.
fn xhtml_body(el: &Element) -> String {
    let mut elements = el.elements();
    let only_text_is_space = el.children.iter().all(|n| match n {
        super::tree::Node::Text(t) => t.trim().is_empty(),
        super::tree::Node::Element(_) => true,
    });
    match (elements.next(), elements.next()) {
        (Some(div), None) if only_text_is_space && div.named("div") && div.ns != Ns::Other => {
            div.markup(true)
        }
        _ => el.markup(true),
    }
}

fn decode_base64(encoded: &str) -> Option<String> {
    use base64::Engine as _;
    let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .ok()?;
    String::from_utf8(bytes).ok()
}

fn is_xml_type(t: &str) -> bool {
    t.ends_with("+xml") || t.ends_with("/xml")
}

/// A text block as plain text: markup rendered, whitespace collapsed.
pub(crate) fn plain(block: &TextBlock) -> Option<String> {
    let text = if block.is_markup() {
        html_to_text(cap(&block.value))
    } else {
        collapse_whitespace(cap(&block.value))
    };
    Some(text).filter(|s| !s.is_empty())
}

/// A title as plain text, whatever the format said it was.
pub(crate) fn title_of(block: &TextBlock) -> Option<String> {
    if block.media_type == PLAIN {
        return Some(collapse_whitespace(cap(&block.value))).filter(|s| !s.is_empty());
    }
    plain(block)
}

fn cap(s: &str) -> &str {
    if s.len() <= MAX_TITLE_BYTES {
        return s;
    }
    let mut cut = MAX_TITLE_BYTES;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    &s[..cut]
}

/// A `<tag`, `</tag` or `&name;`/`&#..;` in text.
pub(crate) fn looks_like_markup(s: &str) -> bool {
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
pub(crate) fn collapse_whitespace(s: &str) -> String {
    s.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

pub(crate) fn escape_html(text: &str) -> String {
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

/// A text block as HTML: markup as is, plain text escaped; None for
/// content that is neither (a PDF by reference, base64 data).
pub(crate) fn as_html(block: &TextBlock) -> Option<String> {
    if block.value.is_empty() {
        return None;
    }
    let t = block.media_type.as_str();
    if block.is_markup() || is_xml_type(t) {
        Some(block.value.clone())
    } else if t.starts_with("text/") {
        Some(escape_html(&block.value))
    } else {
        None
    }
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
}
