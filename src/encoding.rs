//! Charset decisions for feeds and pages: bytes in, UTF-8 text out.
//!
//! The order is the one browsers and careful feed readers use: a byte-order
//! mark, then the HTTP `Content-Type` charset, then the document's own
//! declaration (`<?xml encoding=...?>` or `<meta charset>`), then detection
//! with chardetng. One exception is checked first: a document *declared*
//! Latin-1/Windows-1252 whose bytes are valid UTF-8 with multi-byte sequences
//! is UTF-8 (a common server misconfiguration that otherwise turns every
//! accented letter into mojibake).

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};
use serde::Serialize;

/// What kind of document the bytes are; decides which in-document
/// declaration to look for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    Xml,
    Html,
}

/// Where the chosen encoding came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CharsetSource {
    Bom,
    HttpHeader,
    Declaration,
    /// Declared as a Latin-1 family charset but the bytes are UTF-8.
    DeclaredLatin1ButUtf8,
    Detected,
}

#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    pub encoding: &'static Encoding,
    pub source: CharsetSource,
    /// Some bytes were invalid in the chosen encoding and became U+FFFD.
    pub had_errors: bool,
}

impl Decoded {
    /// A short human description: `windows-1252 (http-header)`.
    pub fn describe(&self) -> String {
        let source = serde_json::to_value(self.source)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        format!("{} ({source})", self.encoding.name())
    }
}

/// How far into a document its charset declaration may appear. HTML says
/// 1024 bytes; real pages put long `<head>` scripts first, so look further.
const DECLARATION_SCAN_BYTES: usize = 4096;

/// How many bytes chardetng sees; more adds time and no accuracy.
const DETECTION_SCAN_BYTES: usize = 64 * 1024;

/// Decodes a document to UTF-8 text.
pub fn decode(bytes: &[u8], content_type: Option<&str>, kind: DocumentKind) -> Decoded {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return finish(&bytes[bom_len..], encoding, CharsetSource::Bom);
    }
    if kind == DocumentKind::Xml {
        // UTF-16 without a BOM: `<?` as two 16-bit units.
        if bytes.starts_with(&[0, b'<', 0, b'?']) {
            return finish(bytes, UTF_16BE, CharsetSource::Detected);
        }
        if bytes.starts_with(&[b'<', 0, b'?', 0]) {
            return finish(bytes, UTF_16LE, CharsetSource::Detected);
        }
    }
    let declared = content_type
        .and_then(charset_param)
        .map(|e| (e, CharsetSource::HttpHeader))
        .or_else(|| declared_in_document(bytes, kind).map(|e| (e, CharsetSource::Declaration)));
    if let Some((encoding, source)) = declared {
        if is_latin1_family(encoding) && looks_like_utf8(bytes) {
            return finish(bytes, UTF_8, CharsetSource::DeclaredLatin1ButUtf8);
        }
        return finish(bytes, encoding, source);
    }
    if std::str::from_utf8(bytes).is_ok() {
        return finish(bytes, UTF_8, CharsetSource::Detected);
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Allow);
    detector.feed(
        &bytes[..bytes.len().min(DETECTION_SCAN_BYTES)],
        bytes.len() <= DETECTION_SCAN_BYTES,
    );
    let encoding = detector.guess(None, chardetng::Utf8Detection::Allow);
    finish(bytes, encoding, CharsetSource::Detected)
}

fn finish(bytes: &[u8], encoding: &'static Encoding, source: CharsetSource) -> Decoded {
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    Decoded {
        text: text.into_owned(),
        encoding,
        source,
        had_errors,
    }
}

/// The encoding named by a `Content-Type` header's `charset` parameter.
pub fn charset_param(content_type: &str) -> Option<&'static Encoding> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        if !key.trim().eq_ignore_ascii_case("charset") {
            return None;
        }
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        Encoding::for_label(value.as_bytes())
    })
}

fn declared_in_document(bytes: &[u8], kind: DocumentKind) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(DECLARATION_SCAN_BYTES)];
    let encoding = match kind {
        DocumentKind::Xml => xml_declared_encoding(head),
        DocumentKind::Html => html_meta_charset(head),
    }?;
    // A document cannot truthfully declare UTF-16 in ASCII-compatible bytes
    // (we already handled real UTF-16 above), so treat that as UTF-8.
    if encoding == UTF_16BE || encoding == UTF_16LE {
        return Some(UTF_8);
    }
    Some(encoding)
}

fn xml_declared_encoding(head: &[u8]) -> Option<&'static Encoding> {
    let text = String::from_utf8_lossy(head);
    let decl_end = text.find("?>")?;
    let decl = text.get(..decl_end)?;
    if !decl.trim_start().starts_with("<?xml") {
        return None;
    }
    let value = attribute_value(decl, "encoding")?;
    Encoding::for_label(value.as_bytes())
}

fn html_meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("<meta") {
        let tag_rest = &rest[start..];
        let end = tag_rest.find('>').unwrap_or(tag_rest.len());
        let tag = &tag_rest[..end];
        if let Some(value) = attribute_value(tag, "charset") {
            if let Some(e) = Encoding::for_label(value.as_bytes()) {
                return Some(e);
            }
        }
        if tag.contains("http-equiv") {
            if let Some(content) = attribute_value(tag, "content") {
                if let Some(e) = charset_param(&format!("x;{content}")) {
                    return Some(e);
                }
            }
        }
        rest = &tag_rest[end..];
    }
    None
}

/// The value of `name=...` inside a tag or declaration, quoted or not.
fn attribute_value<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut search = 0;
    while let Some(found) = tag[search..].find(name) {
        let at = search + found;
        search = at + name.len();
        let before_ok = at == 0
            || !tag.as_bytes()[at - 1].is_ascii_alphanumeric() && tag.as_bytes()[at - 1] != b'-';
        let rest = tag[search..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let rest = rest[1..].trim_start();
        let value = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => rest[1..].split(q).next(),
            Some(_) => rest
                .split(|c: char| c.is_whitespace() || c == '>' || c == '/' || c == ';')
                .next(),
            None => None,
        }?;
        return Some(value.trim());
    }
    None
}

fn is_latin1_family(encoding: &'static Encoding) -> bool {
    // encoding_rs maps the ISO-8859-1 and US-ASCII labels to windows-1252.
    encoding == WINDOWS_1252 || encoding == encoding_rs::ISO_8859_15
}

/// Valid UTF-8 that contains at least one multi-byte sequence. Pure ASCII is
/// the same in every candidate, so it proves nothing.
fn looks_like_utf8(bytes: &[u8]) -> bool {
    !bytes.is_ascii() && std::str::from_utf8(bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_wins_over_everything() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(
            "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><a>é</a>".as_bytes(),
        );
        let d = decode(
            &bytes,
            Some("text/xml; charset=windows-1251"),
            DocumentKind::Xml,
        );
        assert_eq!(d.encoding, UTF_8);
        assert_eq!(d.source, CharsetSource::Bom);
        assert!(d.text.starts_with("<?xml"));
    }

    #[test]
    fn http_header_beats_declaration() {
        let bytes = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><a>\xe9</a>";
        let d = decode(
            bytes,
            Some("application/rss+xml; charset=\"ISO-8859-1\""),
            DocumentKind::Xml,
        );
        assert_eq!(d.source, CharsetSource::HttpHeader);
        assert!(d.text.contains("<a>é</a>"));
    }

    #[test]
    fn declared_latin1_but_really_utf8() {
        let bytes = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>café</a>".as_bytes();
        let d = decode(
            bytes,
            Some("text/xml; charset=ISO-8859-1"),
            DocumentKind::Xml,
        );
        assert_eq!(d.source, CharsetSource::DeclaredLatin1ButUtf8);
        assert!(d.text.contains("café"));
    }

    #[test]
    fn html_meta_charset_and_detection() {
        let bytes =
            b"<html><head><meta charset=\"windows-1252\"></head><body>na\xefve</body></html>";
        let d = decode(bytes, None, DocumentKind::Html);
        assert_eq!(d.source, CharsetSource::Declaration);
        assert!(d.text.contains("naïve"));

        let bytes = b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=Shift_JIS\"></head></html>";
        assert_eq!(
            decode(bytes, None, DocumentKind::Html).encoding,
            encoding_rs::SHIFT_JIS
        );

        let (gbk, _, _) = encoding_rs::GBK
            .encode("这是一个关于中国经济发展的新闻报道，记者在北京采访了多位专家。");
        let d = decode(&gbk, None, DocumentKind::Html);
        assert_eq!(d.source, CharsetSource::Detected);
        assert!(d.text.contains("中国经济"), "{}", d.text);
    }

    #[test]
    fn utf16_xml_without_bom() {
        // encoding_rs never encodes to UTF-16, so build the bytes by hand.
        let utf16: Vec<u8> = "<?xml version=\"1.0\"?><rss/>"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        let d = decode(&utf16, None, DocumentKind::Xml);
        assert_eq!(d.encoding, UTF_16LE);
        assert!(d.text.starts_with("<?xml"));
    }
}
