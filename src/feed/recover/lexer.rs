//! Markup outside tags: text, comments, CDATA sections, declarations and
//! processing instructions, and the loop that dispatches on them.

use super::entities::{escape_text, xml_forbidden};
use super::{Scanner, is_name_start, is_space};

impl<'a> Scanner<'a> {
    pub(super) fn rest(&self) -> &'a [u8] {
        self.bytes.get(self.pos..).unwrap_or_default()
    }

    fn starts_with(&self, pat: &[u8]) -> bool {
        self.rest().starts_with(pat)
    }

    /// Position of `pat` at or after `from`, if any.
    fn find(&self, from: usize, pat: &str) -> Option<usize> {
        self.src.get(from..)?.find(pat).map(|i| i + from)
    }

    pub(super) fn run(&mut self) {
        while self.pos < self.bytes.len() {
            if self.bytes[self.pos] != b'<' {
                let end = self.find(self.pos, "<").unwrap_or(self.bytes.len());
                let text = &self.src[self.pos..end];
                self.pos = end;
                self.text(text);
                continue;
            }
            let ok = if self.starts_with(b"<!--") {
                self.comment()
            } else if self.starts_with(b"<![CDATA[") {
                self.cdata()
            } else if b"<![CDATA[".starts_with(self.rest()) {
                self.truncated = Some("inside a CDATA section");
                false
            } else if self.starts_with(b"<!") {
                self.declaration()
            } else if self.starts_with(b"<?") {
                self.processing_instruction()
            } else if self.starts_with(b"</") {
                self.end_tag()
            } else if self.rest().get(1).is_some_and(|&b| is_name_start(b)) {
                self.start_tag()
            } else {
                self.counts.bare_lt += 1;
                self.pos += 1;
                if self.in_root() {
                    self.out.push_str("&lt;");
                }
                true
            };
            if !ok {
                break;
            }
        }
    }

    fn in_root(&self) -> bool {
        !self.stack.is_empty()
    }

    fn text(&mut self, text: &str) {
        if !self.in_root() {
            // Whitespace between prolog items is fine; anything else before
            // or after the root (PHP warnings, a second document) is junk.
            if !text.bytes().all(is_space) {
                self.counts.junk_outside_root += 1;
            } else {
                self.out.push_str(text);
            }
            return;
        }
        if let Some(capture) = self.capture.as_mut() {
            capture.text.push_str(text);
            return;
        }
        let mut out = std::mem::take(&mut self.out);
        self.escape_into(&mut out, text, false);
        self.out = out;
    }

    fn comment(&mut self) -> bool {
        let Some(end) = self.find(self.pos + 4, "-->") else {
            self.truncated = Some("inside a comment");
            return false;
        };
        let raw = &self.src[self.pos..end + 3];
        self.pos = end + 3;
        if self.capture.is_none() {
            self.out.push_str(raw);
        }
        true
    }

    fn cdata(&mut self) -> bool {
        let Some(end) = self.find(self.pos + 9, "]]>") else {
            self.truncated = Some("inside a CDATA section");
            return false;
        };
        let body = &self.src[self.pos + 9..end];
        let raw = &self.src[self.pos..end + 3];
        self.pos = end + 3;
        if !self.in_root() {
            self.counts.junk_outside_root += 1;
            return true;
        }
        if let Some(capture) = self.capture.as_mut() {
            capture.text.push_str(&escape_text(body));
            return true;
        }
        let c1 = |c: char| ('\u{80}'..='\u{9F}').contains(&c);
        if body.chars().any(|c| xml_forbidden(c) || c1(c)) {
            if body.chars().any(xml_forbidden) {
                self.counts.invalid_chars += 1;
            }
            self.out.push_str("<![CDATA[");
            for c in body.chars().filter(|&c| !xml_forbidden(c)) {
                let mapped = self.c1_to_cp1252(c);
                self.out.push(mapped);
            }
            self.out.push_str("]]>");
        } else {
            self.out.push_str(raw);
        }
        true
    }

    /// `<!DOCTYPE ...>` (with an optional internal subset) or another `<!`
    /// declaration. The DOCTYPE is read for its entities and then dropped:
    /// quick-xml does not expand them, and feeds carry DOCTYPEs mostly by
    /// mistake (XHTML ones pasted on top).
    fn declaration(&mut self) -> bool {
        let bytes = self.bytes;
        let mut i = self.pos + 2;
        let mut bracket = 0usize;
        let mut quote: Option<u8> = None;
        while i < bytes.len() {
            let b = bytes[i];
            match quote {
                Some(q) if b == q => quote = None,
                Some(_) => {}
                None => match b {
                    b'"' | b'\'' => quote = Some(b),
                    b'[' => bracket += 1,
                    b']' => bracket = bracket.saturating_sub(1),
                    b'>' if bracket == 0 => break,
                    _ => {}
                },
            }
            i += 1;
        }
        if i >= bytes.len() {
            self.truncated = Some("inside a DOCTYPE");
            return false;
        }
        let body = &self.src[self.pos..i];
        self.pos = i + 1;
        self.read_dtd_entities(body);
        if self.in_root() {
            self.counts.junk_outside_root += 1;
        }
        true
    }

    fn processing_instruction(&mut self) -> bool {
        let Some(end) = self.find(self.pos + 2, "?>") else {
            self.truncated = Some("inside a processing instruction");
            return false;
        };
        let raw = &self.src[self.pos..end + 2];
        self.pos = end + 2;
        let target: String = raw[2..]
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '?')
            .collect();
        if target.eq_ignore_ascii_case("xml") {
            // The caller already removed the real declaration; a second one
            // (or one after a comment) is illegal.
            self.counts.misplaced_decl += 1;
            return true;
        }
        if self.capture.is_none() {
            self.out.push_str(raw);
        }
        true
    }
}
