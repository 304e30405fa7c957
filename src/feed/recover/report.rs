//! The end of the scan: a document cut short is closed after its last
//! complete item, undeclared prefixes are declared on the root, and every
//! repair that changed something is named.

use std::collections::BTreeSet;

use super::Dialect;
use super::dialect::KNOWN_PREFIXES;
use super::{Scan, Scanner};

/// Counters behind the repair messages; a message is emitted only for a
/// non-zero counter, so a clean document reports nothing.
#[derive(Default)]
pub(super) struct Counts {
    pub(super) invalid_chars: usize,
    pub(super) html_entities: BTreeSet<String>,
    pub(super) html_entity_count: usize,
    pub(super) dtd_entities: usize,
    pub(super) bare_amp: usize,
    pub(super) bad_char_refs: usize,
    pub(super) bare_lt: usize,
    pub(super) unclosed: usize,
    pub(super) stray_end: usize,
    pub(super) case_end: usize,
    pub(super) broken_tags: usize,
    pub(super) attributes: usize,
    pub(super) bad_xml_base: usize,
    pub(super) junk_outside_root: usize,
    pub(super) misplaced_decl: usize,
    pub(super) too_deep: usize,
    pub(super) namespaces: usize,
    pub(super) missing_channel: bool,
    pub(super) cdf: bool,
    pub(super) rdf_about_links: usize,
    pub(super) rdf_root_case: bool,
    pub(super) atom_items: usize,
    pub(super) link_text_href: usize,
    pub(super) c1_controls: usize,
}

impl Scanner<'_> {
    pub(super) fn finish(mut self) -> Scan {
        if self.truncated.is_none() && !self.stack.is_empty() {
            self.truncated = Some("before its end tags");
        }
        let mut repairs = Vec::new();
        if let Some(message) = self.close_truncated() {
            repairs.push(message);
        }
        self.items.retain(|span| span.end > span.start);
        self.dialect_messages(&mut repairs);
        self.counts.messages(&mut repairs);
        let well_formed = self.well_formed();
        self.declare_prefixes(&mut repairs);
        Scan {
            text: self.out,
            repairs,
            items_seen: self.items_seen,
            root: self.root,
            items: self.items,
            chains: self.chains,
            well_formed,
        }
    }

    /// Whether the input was well-formed: no repair of XML syntax.
    fn well_formed(&self) -> bool {
        let c = &self.counts;
        let syntax_repairs = c.invalid_chars
            + c.html_entity_count
            + c.bare_amp
            + c.bad_char_refs
            + c.bare_lt
            + c.unclosed
            + c.stray_end
            + c.case_end
            + c.broken_tags
            + c.attributes
            + c.junk_outside_root
            + c.misplaced_decl;
        let undeclared = self
            .used_prefixes
            .iter()
            .any(|p| !matches!(p.as_str(), "xml" | "xmlns") && !self.declared_prefixes.contains(p));
        syntax_repairs == 0 && self.truncated.is_none() && !undeclared
    }

    /// Closes a document that ended early, dropping a half-read item; the
    /// repair message, if it was truncated.
    fn close_truncated(&mut self) -> Option<String> {
        let place = self.truncated?;
        let inside_item = self.stack.iter().any(|o| o.is_item);
        let mut dropped_partial = false;
        if inside_item {
            if let Some((len, depth)) = self
                .checkpoint
                .filter(|&(_, d)| self.low_water >= d && d <= self.stack.len())
            {
                self.out.truncate(len);
                self.stack.truncate(depth);
                dropped_partial = true;
            } else if let Some((start, _)) = self.item_start {
                // No complete item before it: drop the partial one.
                let depth = self
                    .stack
                    .iter()
                    .position(|o| o.is_item)
                    .unwrap_or(self.stack.len());
                self.out.truncate(start);
                self.stack.truncate(depth);
                dropped_partial = true;
            }
            self.item_start = None;
        }
        self.capture = None;
        let open = self.stack.len();
        while !self.stack.is_empty() {
            self.pop_element();
        }
        if !self.root_seen {
            return None;
        }
        Some(format!(
            "truncated document (ended {place}): closed {open} open element(s){}",
            if dropped_partial {
                ", dropped the incomplete last item"
            } else {
                ""
            }
        ))
    }

    fn dialect_messages(&self, repairs: &mut Vec<String>) {
        if let Some(version) = &self.rss_version_fix {
            repairs.push(if version.is_empty() {
                "<rss> without a version read as RSS 2.0".to_owned()
            } else {
                format!("<rss version=\"{version}\"> read as RSS 2.0")
            });
        }
        if self.dialect == Dialect::Atom03 {
            repairs.push("Atom 0.3 rewritten as Atom 1.0".to_owned());
        }
        if self.counts.cdf {
            repairs.push("CDF channel rewritten as RSS 2.0".to_owned());
        }
        if self.counts.missing_channel {
            repairs.push("added the missing <channel> inside <rss>".to_owned());
        }
    }

    /// Declares on the root the prefixes used but never declared: the
    /// well-known URI when the prefix is a known one, else a placeholder.
    fn declare_prefixes(&mut self, repairs: &mut Vec<String>) {
        let undeclared: Vec<String> = self
            .used_prefixes
            .iter()
            .filter(|p| {
                !matches!(p.as_str(), "xml" | "xmlns") && !self.declared_prefixes.contains(*p)
            })
            .cloned()
            .collect();
        let Some(at) = self.root_insert_at.filter(|_| !undeclared.is_empty()) else {
            return;
        };
        let mut decls = String::new();
        for prefix in &undeclared {
            let uri = KNOWN_PREFIXES
                .iter()
                .find(|(p, _)| p.eq_ignore_ascii_case(prefix))
                .map(|(_, uri)| (*uri).to_owned())
                .unwrap_or_else(|| format!("urn:feedsift:undeclared:{prefix}"));
            decls.push_str(&format!(" xmlns:{prefix}=\"{uri}\""));
        }
        if at > self.out.len() || !self.out.is_char_boundary(at) {
            return;
        }
        self.out.insert_str(at, &decls);
        let shift = decls.len();
        for span in &mut self.items {
            span.start += shift;
            span.end += shift;
        }
        for chain in &mut self.chains {
            if let Some(gt) = chain.open.find(['>', ' ', '/']) {
                chain.open.insert_str(gt, &decls);
            }
        }
        repairs.push(format!(
            "declared undeclared namespace prefixes: {}",
            undeclared.join(", ")
        ));
    }
}

impl Counts {
    fn messages(&self, repairs: &mut Vec<String>) {
        let mut push = |n: usize, what: &str| {
            if n > 0 {
                repairs.push(format!("{what} ({n})"));
            }
        };
        push(self.invalid_chars, "dropped characters XML forbids");
        push(
            self.dtd_entities,
            "expanded entities declared in the DOCTYPE",
        );
        push(self.bare_amp, "escaped bare '&'");
        push(self.bad_char_refs, "fixed malformed character references");
        push(self.bare_lt, "escaped bare '<'");
        push(self.unclosed, "closed unclosed elements");
        push(self.stray_end, "dropped stray end tags");
        push(self.case_end, "matched end tags by case-insensitive name");
        push(self.broken_tags, "closed unterminated tags");
        push(self.attributes, "repaired attributes");
        push(self.bad_xml_base, "dropped unusable xml:base");
        push(
            self.junk_outside_root,
            "dropped content outside the root element",
        );
        push(self.misplaced_decl, "dropped misplaced XML declarations");
        push(self.too_deep, "flattened elements nested too deep");
        push(
            self.namespaces,
            "replaced unknown or obsolete feed namespaces",
        );
        push(
            self.rdf_about_links,
            "used rdf:about as the link of RSS 1.0 items without one",
        );
        push(self.atom_items, "read <item> in an Atom feed as <entry>");
        push(self.link_text_href, "moved Atom <link> text into href");
        push(
            self.c1_controls,
            "read C1 control characters as the Windows-1252 characters they stand for",
        );
        if self.rdf_root_case {
            repairs.push("<rdf> root read as <RDF>".to_owned());
        }
        if self.html_entity_count > 0 {
            let names: Vec<String> = self
                .html_entities
                .iter()
                .map(|n| format!("&{n};"))
                .collect();
            repairs.insert(
                0,
                format!(
                    "HTML entities undeclared in XML: {} ({})",
                    names.join(" "),
                    self.html_entity_count
                ),
            );
        }
    }
}
