//! Large documents, read item by item so that memory follows what the
//! caller keeps, not the document's size.
//!
//! Read whole, a document costs about 70 times its size (element tree,
//! drafts, entries: 1.3 GB for a 19 MB feed of 560,000 tiny items). Here
//! the feed's header is read alone, then each complete item wrapped in its
//! ancestors' start tags (the same wrapping the salvage of a broken
//! document uses, so namespaces, `xml:base` and `xml:lang` apply as in the
//! whole document), and the entries are handed to the caller in batches;
//! the returned [`ParsedFeed`] has no entries of its own.

use url::Url;

use super::{
    FeedEntry, FeedError, ParsedFeed, Reading, draft, finish, read_root, recover,
    strip_xml_declaration, tree,
};
use crate::encoding::{self, DocumentKind};

/// Item documents are built and parsed one at a time, so their wrappers
/// (the ancestors' start and end tags around each item) cost time, not
/// memory; up to this many times the document's size of wrapper text is
/// accepted. Tiny items make the wrapper larger than the item itself: 44
/// bytes of `<rss><channel>` around 35-byte items is 1.3 times the
/// document (the 560,000-item feed of issue 10); a huge root tag repeated
/// for every item is what this refuses (read whole instead).
const WRAPPER_FACTOR: usize = 4;

/// Parses `bytes` like [`super::parse`], handing its entries to `take`
/// `batch` at a time, in document order. A JSON feed, an XML document
/// without complete items, or one whose items' wrappers would make the
/// reading quadratic is read whole and handed over in one batch.
pub fn parse_batched(
    bytes: &[u8],
    content_type: Option<&str>,
    base_url: Option<&Url>,
    batch: usize,
    take: &mut dyn FnMut(Vec<FeedEntry>),
) -> Result<ParsedFeed, FeedError> {
    let whole = |take: &mut dyn FnMut(Vec<FeedEntry>)| {
        let mut parsed = super::parse(bytes, content_type, base_url)?;
        take(std::mem::take(&mut parsed.entries));
        Ok(parsed)
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(FeedError::Empty);
    }
    let decoded = encoding::decode(bytes, content_type, DocumentKind::Xml);
    let text = decoded
        .text
        .strip_prefix('\u{FEFF}')
        .unwrap_or(&decoded.text);
    if !text.trim_start().starts_with('<') {
        return whole(take);
    }
    let body = strip_xml_declaration(text);
    let scan = recover::scan(body.as_ref());
    drop(body);
    let wrappers: usize = scan
        .items
        .iter()
        .filter_map(|span| scan.chains.get(span.chain))
        .map(|c| c.open.len() + c.close.len())
        .sum();
    let budget = scan.text.len().saturating_mul(WRAPPER_FACTOR);
    if scan.items.is_empty() || wrappers > budget.max(super::MIN_SALVAGE_BUDGET) {
        return whole(take);
    }
    let Some((format, meta, _)) = tree::parse(&scan.header_document(), base_url)
        .ok()
        .and_then(|header| read_root(&header).ok())
    else {
        return whole(take);
    };
    let mut warnings = Vec::new();
    if decoded.had_errors {
        warnings.push(format!(
            "some bytes are not valid {}; they became U+FFFD",
            decoded.label
        ));
    }
    let reading = Reading {
        format,
        meta,
        entries: Vec::new(),
        recovered: scan.repairs.clone(),
        well_formed: scan.well_formed,
        // Set below: `finish` would take the empty `entries` for items
        // that could not be read.
        items: 0,
    };
    let mut parsed = finish(reading, decoded.describe(), decoded.had_errors, warnings);
    parsed.items_in_document = scan.items_seen;
    let language = parsed.meta.language.clone();
    let (mut pending, mut read, mut skipped) = (Vec::with_capacity(batch), 0, 0);
    for index in 0..scan.items.len() {
        let drafts = scan
            .item_document(index)
            .and_then(|doc| tree::parse(&doc, base_url).ok())
            .and_then(|root| read_root(&root).ok())
            .map(|(_, _, drafts)| drafts)
            .unwrap_or_default();
        if drafts.is_empty() {
            skipped += 1;
        }
        for d in drafts {
            pending.push(draft::finish_entry(d, language.as_deref()));
            read += 1;
        }
        if pending.len() >= batch {
            take(std::mem::replace(&mut pending, Vec::with_capacity(batch)));
        }
    }
    take(pending);
    if skipped > 0 {
        parsed
            .warnings
            .push(format!("skipped {skipped} entry(ies) the parser rejected"));
    }
    if read == 0 {
        parsed.warnings.push(format!(
            "the document has {} <item>/<entry> element(s) but no entry could be read",
            scan.items_seen
        ));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rss(items: usize) -> String {
        let mut doc = String::from(
            "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\
             <channel><title>Big</title><link>https://big.example/</link><language>de</language>",
        );
        for i in 0..items {
            doc.push_str(&format!(
                "<item><title>t{i}</title><link>/a/{i}</link><dc:creator>C{i}</dc:creator>\
                 <pubDate>Mon, 30 Nov 2026 08:00:00 GMT</pubDate></item>"
            ));
        }
        doc + "</channel></rss>"
    }

    #[test]
    fn batches_hold_what_a_whole_reading_holds_in_document_order() {
        let doc = rss(25);
        let base = Url::parse("https://big.example/feed.xml").ok();
        let whole = super::super::parse(doc.as_bytes(), None, base.as_ref()).expect("a feed");
        let mut batches = Vec::new();
        let parsed = parse_batched(doc.as_bytes(), None, base.as_ref(), 10, &mut |b| {
            batches.push(b)
        })
        .expect("a feed");
        assert_eq!(
            batches.iter().map(Vec::len).collect::<Vec<_>>(),
            [10, 10, 5]
        );
        let entries: Vec<FeedEntry> = batches.into_iter().flatten().collect();
        assert_eq!(entries, whole.entries);
        assert_eq!(entries[3].link.as_deref(), Some("https://big.example/a/3"));
        assert_eq!(entries[3].author.as_deref(), Some("C3"));
        assert!(parsed.entries.is_empty());
        assert_eq!(parsed.title.as_deref(), Some("Big"));
        assert_eq!(parsed.items_in_document, 25);
        assert!(parsed.well_formed && parsed.warnings.is_empty());
    }

    #[test]
    fn a_json_feed_comes_whole_in_one_batch() {
        let doc = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J",
            "items":[{"id":"1","url":"https://j.example/1","content_text":"x"},
                     {"id":"2","url":"https://j.example/2","content_text":"y"}]}"#;
        let mut batches = Vec::new();
        parse_batched(doc.as_bytes(), None, None, 1, &mut |b| batches.push(b)).expect("a feed");
        assert_eq!(batches.len(), 1);
        assert_eq!(batches[0].len(), 2);
    }
}
