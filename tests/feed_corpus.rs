//! Walks the fixture copy of the feed corpus (411 real and broken feeds, see
//! `tests/fixtures/feeds/corpus/README.md`): `feed::parse` must never panic
//! or hang on any of them, and the number of files it reads usably must not
//! fall below the floor reached so far.
//!
//! "Usable" is measured from the files themselves, not from a list of
//! expected answers: for each file the test pulls out, with regular
//! expressions and no XML parser (so broken files still show their evident
//! content), the feed title and the items with their titles, links and ids.
//! A file that carries a title or at least one item is usable when
//! `parse` reports that title, or between 1 and N entries (N = the file's
//! items) each matching one of the file's items by title, link or id.
//! `tests/tools/corpus_usable.py` measures the same through the CLI.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use feedsift::feed::{self, FeedEntry, FeedError, ParsedFeed};
use regex::Regex;
use url::Url;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/feeds/corpus");

/// Usable files reached when this floor was last raised (of 292 files that
/// carry a title or items, by this test's extraction). Raise it when the
/// parser improves; lowering it needs a reason in the commit message.
const USABLE_FLOOR: usize = 292;

/// A parse that takes longer than this on a corpus file (all under 60 KB)
/// is a hang, even in a debug build on a busy machine.
const HANG_TIMEOUT: Duration = Duration::from_secs(20);

struct Row {
    path: String,
    content_type: Option<String>,
    base: Option<Url>,
}

fn manifest() -> Vec<Row> {
    let text = std::fs::read_to_string(Path::new(CORPUS).join("MANIFEST.tsv"))
        .expect("MANIFEST.tsv is part of the fixture");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .expect("manifest column")
    };
    let (path_col, headers_col) = (column("path"), column("http_headers"));
    lines
        .filter(|l| !l.is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let mut row = Row {
                path: fields[path_col].to_owned(),
                content_type: None,
                base: None,
            };
            for header in fields.get(headers_col).unwrap_or(&"").split(" | ") {
                let Some((name, value)) = header.split_once(':') else {
                    continue;
                };
                match name.trim().to_ascii_lowercase().as_str() {
                    "content-type" => row.content_type = Some(value.trim().to_owned()),
                    "content-location" => row.base = Url::parse(value.trim()).ok(),
                    _ => {}
                }
            }
            row
        })
        .collect()
}

/// What a reader should find in the raw file.
#[derive(Debug, Default)]
struct Expected {
    title: String,
    items: Vec<Item>,
}

#[derive(Debug, Default)]
struct Item {
    title: String,
    link: String,
    id: String,
}

struct Patterns {
    comment: Regex,
    cdata: Regex,
    doctype: Regex,
    entity_decl: Regex,
    root: Regex,
    item_start: Regex,
    title: Regex,
    link_text: Regex,
    link_tag: Regex,
    rel: Regex,
    href: Regex,
    item_href: Regex,
    guid: Regex,
    id: Regex,
    xml_encoding: Regex,
}

impl Patterns {
    fn new() -> Patterns {
        let re = |p: &str| Regex::new(p).expect("valid pattern");
        Patterns {
            comment: re(r"(?s)<!--.*?(?:-->|$)"),
            cdata: re(r"(?s)<!\[CDATA\[(.*?)(?:\]\]>|$)"),
            doctype: re(r"(?s)<!DOCTYPE[^\[>]*\[(.*?)\]\s*>"),
            entity_decl: re(r#"(?s)<!ENTITY\s+(\w+)\s+(?:"([^"]*)"|'([^']*)')"#),
            root: re(r"(?i)<(?:\w+:)?(?:rss|rdf|feed|channel|entry)\b"),
            item_start: re(r"(?i)<(?:\w+:)?(?:item|entry)\b"),
            title: re(r"(?is)<(?:(?:atom|dc):)?title\b[^>]*>(.*?)</(?:(?:atom|dc):)?title\s*>"),
            link_text: re(r"(?is)<link\b[^>]*>(.*?)</link\s*>"),
            link_tag: re(r"(?i)<link\b[^>]*>"),
            rel: re(r#"(?i)\brel\s*=\s*["']([^"']*)"#),
            href: re(r#"(?i)\bhref\s*=\s*["']([^"']*)"#),
            item_href: re(r#"(?is)<item\b[^>]*\bhref\s*=\s*["']([^"']*)["']"#),
            guid: re(r"(?is)<guid\b[^>]*>(.*?)</guid\s*>"),
            id: re(r"(?is)<id\b[^>]*>(.*?)</id\s*>"),
            xml_encoding: re(r#"<\?xml[^>]*encoding=["']([\w.:-]+)"#),
        }
    }
}

fn capture<'a>(re: &Regex, text: &'a str) -> Option<&'a str> {
    re.captures(text).and_then(|c| c.get(1)).map(|m| m.as_str())
}

/// Entities decoded (twice: feeds double-escape), tags stripped, whitespace
/// collapsed. CDATA content is literal text.
fn norm(p: &Patterns, text: Option<&str>) -> String {
    let Some(text) = text else {
        return String::new();
    };
    let mut text = p
        .cdata
        .replace_all(text, |c: &regex::Captures| escape(&c[1]))
        .into_owned();
    for _ in 0..2 {
        let fragment = scraper::Html::parse_fragment(&text);
        text = fragment.root_element().text().collect();
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The file's text, decoded the way its bytes say (independently of
/// feedsift's own decoder: BOMs and 16/32-bit patterns by hand, then the
/// HTTP or declared charset, then UTF-8, then detection).
fn decode(p: &Patterns, raw: &[u8], content_type: Option<&str>) -> String {
    let utf32 = |be: bool, body: &[u8]| -> String {
        body.chunks_exact(4)
            .filter_map(|c| {
                let a = [c[0], c[1], c[2], c[3]];
                char::from_u32(if be {
                    u32::from_be_bytes(a)
                } else {
                    u32::from_le_bytes(a)
                })
            })
            .collect()
    };
    if raw.starts_with(&[0, 0, 0xFE, 0xFF]) || raw.starts_with(&[0, 0, 0, b'<']) {
        return utf32(true, raw).trim_start_matches('\u{FEFF}').to_owned();
    }
    if raw.starts_with(&[0xFF, 0xFE, 0, 0]) || raw.starts_with(&[b'<', 0, 0, 0]) {
        return utf32(false, raw).trim_start_matches('\u{FEFF}').to_owned();
    }
    let utf16 = |enc: &'static encoding_rs::Encoding| {
        enc.decode_with_bom_removal(raw)
            .0
            .trim_start_matches('\u{FEFF}')
            .to_owned()
    };
    if raw.starts_with(&[0xFE, 0xFF]) || raw.starts_with(&[0, b'<']) {
        return utf16(encoding_rs::UTF_16BE);
    }
    if raw.starts_with(&[0xFF, 0xFE]) || raw.starts_with(&[b'<', 0]) {
        return utf16(encoding_rs::UTF_16LE);
    }
    let head = String::from_utf8_lossy(&raw[..raw.len().min(4096)]);
    let labels = [
        content_type.and_then(|ct| {
            ct.to_ascii_lowercase().split("charset").nth(1).map(|s| {
                s.trim_start_matches([' ', '=', ':', '"', '\''])
                    .split(['"', '\'', ';', ' '])
                    .next()
                    .unwrap_or("")
                    .to_owned()
            })
        }),
        capture(&p.xml_encoding, &head).map(str::to_owned),
    ];
    for label in labels.into_iter().flatten() {
        if let Some(enc) = encoding_rs::Encoding::for_label(label.as_bytes()) {
            let (text, _, errors) = enc.decode(raw);
            if !errors && enc != encoding_rs::UTF_16BE && enc != encoding_rs::UTF_16LE {
                return text.trim_start_matches('\u{FEFF}').to_owned();
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(raw) {
        return text.trim_start_matches('\u{FEFF}').to_owned();
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Allow);
    detector.feed(raw, true);
    detector
        .guess(None, chardetng::Utf8Detection::Allow)
        .decode(raw)
        .0
        .into_owned()
}

fn expected(p: &Patterns, raw: &[u8], content_type: Option<&str>) -> Expected {
    let text = decode(p, raw, content_type);
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        let Ok(serde_json::Value::Object(doc)) = serde_json::from_str::<serde_json::Value>(trimmed)
        else {
            return Expected::default();
        };
        let s = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_owned);
        let items = doc
            .get("items")
            .and_then(|i| i.as_array())
            .map(|items| {
                items
                    .iter()
                    .map(|it| Item {
                        title: norm(p, s(it.get("title")).as_deref()),
                        link: norm(p, s(it.get("url")).as_deref()),
                        id: it
                            .get("id")
                            .map(|v| {
                                v.as_str()
                                    .map(str::to_owned)
                                    .unwrap_or_else(|| v.to_string())
                            })
                            .unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        return Expected {
            title: norm(p, s(doc.get("title")).as_deref()),
            items,
        };
    }
    let mut text = p.comment.replace_all(&text, "").into_owned();
    if let Some(subset) = p
        .doctype
        .captures(&text)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_owned())
    {
        for decl in p.entity_decl.captures_iter(&subset) {
            let value = decl
                .get(2)
                .or(decl.get(3))
                .map(|m| m.as_str())
                .unwrap_or_default();
            let value = norm(p, Some(value));
            text = text.replace(&format!("&{};", &decl[1]), &value);
        }
    }
    if !p.root.is_match(&text) {
        return Expected::default();
    }
    let starts: Vec<usize> = p.item_start.find_iter(&text).map(|m| m.start()).collect();
    let head = &text[..starts.first().copied().unwrap_or(text.len())];
    let items = starts
        .iter()
        .enumerate()
        .map(|(i, &start)| {
            let body = &text[start..starts.get(i + 1).copied().unwrap_or(text.len())];
            let mut link = capture(&p.link_text, body)
                .map(str::to_owned)
                .filter(|l| !l.trim().is_empty());
            if link.is_none() {
                link = p.link_tag.find_iter(body).find_map(|tag| {
                    let rel = capture(&p.rel, tag.as_str()).map(|r| r.trim().to_ascii_lowercase());
                    let href = capture(&p.href, tag.as_str())?;
                    matches!(rel.as_deref(), None | Some("alternate")).then(|| href.to_owned())
                });
            }
            if link.is_none() {
                link = capture(&p.item_href, body).map(str::to_owned);
            }
            Item {
                title: norm(p, capture(&p.title, body)),
                link: norm(p, link.as_deref()),
                id: norm(p, capture(&p.guid, body).or_else(|| capture(&p.id, body))),
            }
        })
        .collect();
    Expected {
        title: norm(p, capture(&p.title, head)),
        items,
    }
}

fn entry_matches(p: &Patterns, entry: &FeedEntry, item: &Item, base: Option<&Url>) -> bool {
    if item.title.is_empty() && item.link.is_empty() && item.id.is_empty() {
        return true; // nothing to compare: the entry's presence is the match
    }
    if !item.title.is_empty()
        && norm(p, entry.title.as_deref().map(escape).as_deref()) == item.title
    {
        return true;
    }
    if !item.link.is_empty() {
        let link = entry.link.as_deref().unwrap_or("");
        let resolved = base
            .and_then(|b| b.join(&item.link).ok())
            .map(|u| u.to_string());
        if link == item.link
            || Some(link) == resolved.as_deref()
            || (!link.is_empty() && link.ends_with(item.link.trim_start_matches(['.', '/'])))
        {
            return true;
        }
    }
    !item.id.is_empty() && entry.key.trim() == item.id
}

fn usable(p: &Patterns, parsed: &ParsedFeed, want: &Expected, base: Option<&Url>) -> bool {
    let title = norm(p, parsed.title.as_deref().map(escape).as_deref());
    if !want.title.is_empty() && title == want.title {
        return true;
    }
    let n = parsed.entries.len();
    n >= 1
        && n <= want.items.len()
        && parsed
            .entries
            .iter()
            .all(|e| want.items.iter().any(|it| entry_matches(p, e, it, base)))
}

enum Outcome {
    Parsed(Box<Result<ParsedFeed, FeedError>>),
    Panicked,
}

/// Parses on a worker thread so a hang is reported, not waited on forever.
fn parse_with_timeout(
    bytes: Vec<u8>,
    content_type: Option<String>,
    base: Option<Url>,
) -> Option<Outcome> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let result = std::panic::catch_unwind(|| {
            feed::parse(&bytes, content_type.as_deref(), base.as_ref())
        });
        let _ = tx.send(match result {
            Ok(parsed) => Outcome::Parsed(Box::new(parsed)),
            Err(_) => Outcome::Panicked,
        });
    });
    rx.recv_timeout(HANG_TIMEOUT).ok()
}

#[test]
fn corpus_never_panics_or_hangs_and_stays_usable() {
    let patterns = Patterns::new();
    let rows = manifest();
    assert_eq!(rows.len(), 411, "the fixture copy is the whole corpus");
    let (mut panics, mut hangs, mut carrying, mut usable_count) = (Vec::new(), Vec::new(), 0, 0);
    let mut misses = Vec::new();
    for row in &rows {
        let path: PathBuf = Path::new(CORPUS).join(&row.path);
        let bytes = std::fs::read(&path).expect("every manifest file is in the fixture");
        let want = expected(&patterns, &bytes, row.content_type.as_deref());
        let outcome = parse_with_timeout(bytes, row.content_type.clone(), row.base.clone());
        match outcome.map(|o| match o {
            Outcome::Parsed(result) => Some(*result),
            Outcome::Panicked => None,
        }) {
            None => hangs.push(row.path.clone()),
            Some(None) | Some(Some(Err(FeedError::Panicked(_)))) => panics.push(row.path.clone()),
            Some(Some(result)) => {
                if want.title.is_empty() && want.items.is_empty() {
                    continue;
                }
                carrying += 1;
                match result {
                    Ok(parsed) if usable(&patterns, &parsed, &want, row.base.as_ref()) => {
                        usable_count += 1
                    }
                    _ => misses.push(row.path.clone()),
                }
            }
        }
    }
    eprintln!(
        "corpus: files={} carrying={carrying} usable={usable_count} panics={} hangs={}",
        rows.len(),
        panics.len(),
        hangs.len()
    );
    eprintln!("not usable: {misses:#?}");
    assert!(panics.is_empty(), "panicked on {panics:?}");
    assert!(hangs.is_empty(), "hung on {hangs:?}");
    assert!(
        usable_count >= USABLE_FLOOR,
        "usable {usable_count} < floor {USABLE_FLOOR}; not usable: {misses:#?}"
    );
}
