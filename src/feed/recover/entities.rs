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

/// HTML 4 entities whose HTML5 meaning differs: HTML5 moved `&lang;` and
/// `&rang;` to the mathematical angle brackets U+27E8/U+27E9. Feeds are
/// written in the HTML 4 era's vocabulary (and feedparser reads them so),
/// so a feed's `&lang;` is HTML 4's U+2329.
const HTML4_ENTITIES: &[(&str, u32)] = &[("lang", 0x2329), ("rang", 0x232A)];

impl Scanner<'_> {
    /// Copies text or an attribute value, repairing references and dropping
    /// forbidden characters. `in_attr` also escapes `<` and `"`. C1
    /// control characters become the Windows-1252 characters they stand for
    /// (see [`c1_to_cp1252`]).
    pub(super) fn escape_into(&mut self, out: &mut String, text: &str, in_attr: bool) {
        let bytes = text.as_bytes();
        let mut copied = 0;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let special = b == b'&'
                || (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
                || (in_attr && (b == b'<' || b == b'"'))
                || b == 0xEF
                || (b == 0xC2 && bytes.get(i + 1).is_some_and(|n| (0x80..0xA0).contains(n)));
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
                0xC2 => {
                    let c = text[i..].chars().next().unwrap_or('\u{FFFD}');
                    out.push(self.c1_to_cp1252(c));
                    i += c.len_utf8();
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
        let html4 = HTML4_ENTITIES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, cp)| (cp, 0));
        if let Some((first, second)) =
            html4.or_else(|| web_atoms::NAMED_ENTITIES.get(&rest[1..consumed]).copied())
        {
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
        if ('\u{80}'..='\u{9F}').contains(&c) {
            let mapped = self.c1_to_cp1252(c);
            out.push_str(&format!("&#{};", u32::from(mapped)));
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

    /// A C1 control character (U+0080 to U+009F) as the Windows-1252
    /// character with the same byte: nobody writes C1 controls in a feed,
    /// but text pasted from Windows carries its curly quotes and dashes
    /// that way, as bytes mislabelled Latin-1 or as `&#146;` (which HTML5
    /// also reads as Windows-1252). Other characters are returned as is.
    pub(super) fn c1_to_cp1252(&mut self, c: char) -> char {
        let Ok(byte) = u8::try_from(u32::from(c)) else {
            return c;
        };
        if !(0x80..0xA0).contains(&byte) {
            return c;
        }
        let bytes = [byte];
        let (decoded, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(&bytes);
        match decoded.chars().next() {
            Some(mapped) if mapped != c => {
                self.counts.c1_controls += 1;
                mapped
            }
            _ => c,
        }
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
