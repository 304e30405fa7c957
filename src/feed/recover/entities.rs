//! References and escapes: HTML named entities become numeric references,
//! entities from the DOCTYPE's internal subset are expanded (bounded, never
//! recursively), bare `&` and `<` are escaped, characters XML forbids are
//! dropped.

use super::Scanner;

/// Longest entity name we look up; the longest HTML5 name is 31 bytes
/// (`&CounterClockwiseContourIntegral;`).
const MAX_ENTITY_NAME: usize = 32;

/// At most this many entities from an internal DTD subset are expanded, and
/// each expansion is at most this long: the "billion laughs" defence (we
/// never expand recursively either).
const MAX_DTD_ENTITIES: usize = 256;
const MAX_DTD_ENTITY_VALUE: usize = 4096;

impl Scanner<'_> {
    /// Copies text or an attribute value, repairing references and dropping
    pub(super) fn escape_into(&mut self, out: &mut String, text: &str, in_attr: bool) {
        let bytes = text.as_bytes();
        let mut copied = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let special = b == b'&'
                || (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
                || (in_attr && (b == b'<' || b == b'"'))
                || b == 0xEF;
            if !special {
                i += 1;
                continue;
            }
            out.push_str(&text[copied..i]);
            match b {
                b'&' => {
                    let consumed = self.reference(out, &text[i..]);
                    i += consumed;
                }
                b'<' => {
                    out.push_str("&lt;");
                    self.counts.bare_lt += 1;
                    i += 1;
                }
                b'"' => {
                    out.push_str("&quot;");
                    i += 1;
                }
                0xEF => {
                    // U+FFFE and U+FFFF are EF BF BE / EF BF BF in UTF-8.
                    let c = text[i..].chars().next().unwrap_or('\u{FFFD}');
                    if xml_forbidden(c) {
                        self.counts.invalid_chars += 1;
                    } else {
                        out.push(c);
                    }
                    i += c.len_utf8();
                }
                _ => {
                    self.counts.invalid_chars += 1;
                    i += 1;
                }
            }
            copied = i;
        }
        out.push_str(&text[copied..]);
    }

    /// Handles the `&...` at the start of `rest`; returns the bytes consumed.
    fn reference(&mut self, out: &mut String, rest: &str) -> usize {
        let bytes = rest.as_bytes();
        if bytes.get(1) == Some(&b'#') {
            return self.char_reference(out, rest);
        }
        let name_len = bytes
            .iter()
            .skip(1)
            .take(MAX_ENTITY_NAME + 1)
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        let has_semicolon = bytes.get(1 + name_len) == Some(&b';');
        if name_len == 0
            || name_len > MAX_ENTITY_NAME
            || !has_semicolon
            || !bytes[1].is_ascii_alphabetic()
        {
            out.push_str("&amp;");
            self.counts.bare_amp += 1;
            return 1;
        }
        let name = &rest[1..1 + name_len];
        let consumed = name_len + 2;
        if matches!(name, "lt" | "gt" | "amp" | "quot" | "apos") {
            out.push_str(&rest[..consumed]);
            return consumed;
        }
        if let Some(value) = self.dtd_entities.get(name) {
            // Entity values hold plain text here; escape it as such.
            self.counts.dtd_entities += 1;
            for c in value.chars() {
                match c {
                    '&' => out.push_str("&amp;"),
                    '<' => out.push_str("&lt;"),
                    '"' => out.push_str("&quot;"),
                    c if xml_forbidden(c) => {}
                    c => out.push(c),
                }
            }
            return consumed;
        }
        if let Some(&(first, second)) = web_atoms::NAMED_ENTITIES.get(&rest[1..consumed]) {
            for cp in [first, second] {
                if cp != 0 {
                    out.push_str(&format!("&#{cp};"));
                }
            }
            self.counts.html_entity_count += 1;
            if self.counts.html_entities.len() < 8 {
                self.counts.html_entities.insert(name.to_owned());
            }
            return consumed;
        }
        out.push_str("&amp;");
        self.counts.bare_amp += 1;
        1
    }

    fn char_reference(&mut self, out: &mut String, rest: &str) -> usize {
        let bytes = rest.as_bytes();
        let hex = matches!(bytes.get(2), Some(b'x' | b'X'));
        let digits_from = if hex { 3 } else { 2 };
        let digits = bytes
            .iter()
            .skip(digits_from)
            .take(9)
            .take_while(|b| {
                if hex {
                    b.is_ascii_hexdigit()
                } else {
                    b.is_ascii_digit()
                }
            })
            .count();
        let value = rest
            .get(digits_from..digits_from + digits)
            .and_then(|d| u32::from_str_radix(d, if hex { 16 } else { 10 }).ok())
            .and_then(char::from_u32);
        let Some(c) = value.filter(|_| digits > 0) else {
            out.push_str("&amp;");
            self.counts.bare_amp += 1;
            return 1;
        };
        let has_semicolon = bytes.get(digits_from + digits) == Some(&b';');
        let consumed = digits_from + digits + usize::from(has_semicolon);
        if xml_forbidden(c) {
            // `&#0;`, `&#x1;`: no XML parser takes them; what they meant is
            // unknowable, so they go.
            self.counts.invalid_chars += 1;
            return consumed;
        }
        if has_semicolon && bytes.get(2) != Some(&b'X') {
            out.push_str(&rest[..consumed]);
        } else {
            self.counts.bad_char_refs += 1;
            out.push_str(&format!("&#{};", u32::from(c)));
        }
        consumed
    }

    /// Collects `<!ENTITY name "value">` declarations (internal, general
    /// entities only; parameter and external entities are ignored).
    pub(super) fn read_dtd_entities(&mut self, doctype: &str) {
        let mut rest = doctype;
        while let Some(at) = rest.find("<!ENTITY") {
            rest = &rest[at + 8..];
            let decl = rest.trim_start();
            if decl.starts_with('%') {
                continue;
            }
            let name_len = decl.find(|c: char| c.is_whitespace()).unwrap_or(decl.len());
            let name = &decl[..name_len];
            let after = decl[name_len..].trim_start();
            let Some(quote) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                continue;
            };
            let Some(len) = after[1..].find(quote) else {
                continue;
            };
            let raw_value = &after[1..1 + len];
            if self.dtd_entities.len() >= MAX_DTD_ENTITIES || raw_value.len() > MAX_DTD_ENTITY_VALUE
            {
                continue;
            }
            // Character references in a value are expanded when declared;
            // everything else stays literal (no recursion by design).
            let value = expand_char_refs(raw_value);
            self.dtd_entities.insert(name.to_owned(), value);
        }
    }
}

/// Characters XML 1.0 does not allow anywhere, even as references.
pub(super) fn xml_forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}')
}

/// The text an XML parser reports for `escaped`, for the predefined
/// entities and character references (what guids contain in practice).
pub(super) fn unescape_basic(escaped: &str) -> String {
    expand_char_refs(escaped)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// `&`, `<` and `>` escaped: CDATA content as ordinary text.
pub(super) fn escape_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn expand_char_refs(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(at) = rest.find("&#") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 2..];
        let (radix, digits_from) = if tail.starts_with(['x', 'X']) {
            (16, 1)
        } else {
            (10, 0)
        };
        let parsed = tail.find(';').and_then(|semi| {
            let c = u32::from_str_radix(tail.get(digits_from..semi)?, radix)
                .ok()
                .and_then(char::from_u32)?;
            Some((c, semi))
        });
        match parsed {
            Some((c, semi)) => {
                out.push(c);
                rest = &tail[semi + 1..];
            }
            None => {
                out.push_str("&#");
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}
