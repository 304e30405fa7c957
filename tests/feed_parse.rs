//! `feed::parse` end to end: charset decisions, each recovery, entry
//! normalization, and the promises the poller relies on (never panics,
//! bounded work).

use std::sync::mpsc;
use std::time::{Duration, Instant};

use feedsift::feed::{self, FeedError, FeedFormat, ParsedFeed};
use url::Url;

fn parse(bytes: &[u8]) -> ParsedFeed {
    parse_with(bytes, None, None)
}

fn parse_with(bytes: &[u8], content_type: Option<&str>, base: Option<&str>) -> ParsedFeed {
    let base = base.map(|b| Url::parse(b).expect("test base URL"));
    match feed::parse(bytes, content_type, base.as_ref()) {
        Ok(parsed) => parsed,
        Err(e) => panic!("parse failed: {e}"),
    }
}

fn titles(parsed: &ParsedFeed) -> Vec<&str> {
    parsed
        .entries
        .iter()
        .map(|e| e.title.as_deref().unwrap_or(""))
        .collect()
}

fn rss(items: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Feed</title><link>http://example.org/</link>{items}</channel></rss>"
    )
}

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let units = bom.then_some(0xFEFF).into_iter().chain(text.encode_utf16());
    for unit in units {
        out.extend_from_slice(&if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    out
}

// ---- charset -------------------------------------------------------------

#[test]
fn http_charset_beats_the_declaration() {
    let bytes = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel><title>caf\xe9</title></channel></rss>";
    let parsed = parse_with(bytes, Some("application/rss+xml; charset=ISO-8859-1"), None);
    assert_eq!(parsed.title.as_deref(), Some("café"));
    assert!(parsed.charset.contains("http-header"), "{}", parsed.charset);
    assert!(parsed.recovered.is_empty());
}

#[test]
fn declaration_is_used_without_http_charset_and_quick_xml_sees_utf8() {
    let (body, _, _) = encoding_rs::WINDOWS_1251
        .encode("<rss version=\"2.0\"><channel><title>Новости дня</title></channel></rss>");
    let mut bytes = b"<?xml version=\"1.0\" encoding=\"windows-1251\"?>".to_vec();
    bytes.extend_from_slice(&body);
    let parsed = parse_with(&bytes, Some("text/xml"), None);
    assert_eq!(parsed.title.as_deref(), Some("Новости дня"));
    assert!(
        parsed.charset.starts_with("windows-1251 (declaration)"),
        "{}",
        parsed.charset
    );
}

#[test]
fn bom_beats_http_charset_and_declaration() {
    let mut bytes = vec![0xEF, 0xBB, 0xBF];
    bytes.extend_from_slice("<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><rss version=\"2.0\"><channel><title>naïve</title></channel></rss>".as_bytes());
    let parsed = parse_with(&bytes, Some("text/xml; charset=koi8-r"), None);
    assert_eq!(parsed.title.as_deref(), Some("naïve"));
    assert!(parsed.charset.contains("bom"), "{}", parsed.charset);
}

#[test]
fn utf16_with_and_without_bom_both_endians() {
    // UTF-16BE with a BOM made feed-rs 3.0.0 panic; we transcode first.
    let doc = "<?xml version=\"1.0\" encoding=\"utf-16\"?><rss version=\"2.0\"><channel><title>Größe</title><item><title>Ünïcödé</title><link>http://example.org/1</link></item></channel></rss>";
    for (big_endian, bom) in [(true, true), (false, true), (true, false), (false, false)] {
        let parsed = parse(&utf16(doc, big_endian, bom));
        assert_eq!(
            parsed.title.as_deref(),
            Some("Größe"),
            "be={big_endian} bom={bom}"
        );
        assert_eq!(titles(&parsed), ["Ünïcödé"]);
        let expected = if big_endian { "UTF-16BE" } else { "UTF-16LE" };
        assert!(parsed.charset.starts_with(expected), "{}", parsed.charset);
    }
}

#[test]
fn utf32_is_decoded_by_hand() {
    let doc = "<?xml version=\"1.0\" encoding=\"utf-32\"?><rss version=\"2.0\"><channel><title>Zürich</title></channel></rss>";
    let be: Vec<u8> = doc
        .chars()
        .flat_map(|c| u32::from(c).to_be_bytes())
        .collect();
    let le: Vec<u8> = doc
        .chars()
        .flat_map(|c| u32::from(c).to_le_bytes())
        .collect();
    assert_eq!(parse(&be).title.as_deref(), Some("Zürich"));
    assert!(parse(&be).charset.starts_with("UTF-32BE"));
    let mut le_bom = vec![0xFF, 0xFE, 0, 0];
    le_bom.extend_from_slice(&le);
    let parsed = parse(&le_bom);
    assert_eq!(parsed.title.as_deref(), Some("Zürich"));
    assert!(
        parsed.charset.starts_with("UTF-32LE (bom)"),
        "{}",
        parsed.charset
    );
}

#[test]
fn declared_latin1_really_utf8_is_read_as_utf8() {
    let bytes = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel><title>Crème brûlée — déjà vu</title></channel></rss>".as_bytes();
    for content_type in [None, Some("text/xml; charset=iso-8859-1")] {
        let parsed = parse_with(bytes, content_type, None);
        assert_eq!(parsed.title.as_deref(), Some("Crème brûlée — déjà vu"));
        assert!(
            parsed.charset.contains("declared-latin1-but-utf8"),
            "{}",
            parsed.charset
        );
    }
}

#[test]
fn undeclared_legacy_charset_is_detected() {
    let text = "<rss version=\"2.0\"><channel><title>Экономика России: новости и аналитика за неделю</title>\
                <item><title>Центральный банк сохранил ключевую ставку</title><link>http://example.org/1</link></item></channel></rss>";
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(text);
    let parsed = parse(&bytes);
    assert_eq!(
        titles(&parsed),
        ["Центральный банк сохранил ключевую ставку"]
    );
    assert!(parsed.charset.contains("detected"), "{}", parsed.charset);
}

#[test]
fn undecodable_bytes_are_a_warning_not_a_failure() {
    let bytes = b"<rss version=\"2.0\"><channel><title>ok \xff\xfe bytes</title></channel></rss>";
    let parsed = parse_with(bytes, Some("text/xml; charset=utf-8"), None);
    assert!(parsed.title.as_deref().is_some_and(|t| t.starts_with("ok")));
    assert!(
        parsed.warnings.iter().any(|w| w.contains("U+FFFD")),
        "{:?}",
        parsed.warnings
    );
}

// ---- recovery ------------------------------------------------------------

#[test]
fn rss_without_or_with_odd_version_is_read_as_2_0() {
    for root in [
        "<rss>",
        "<rss version=\"\">",
        "<rss version=\"0.93\">",
        "<rss version=\"0.94\">",
        "<rss version=\"2.01\">",
        "<rss version=\"2.1\">",
    ] {
        let doc = format!(
            "{root}<channel><title>T</title><item><title>One</title><link>http://e.org/1</link></item></channel></rss>"
        );
        let parsed = parse(doc.as_bytes());
        assert_eq!(titles(&parsed), ["One"], "{root}");
        assert_eq!(parsed.format, FeedFormat::Rss);
        assert!(
            parsed.recovered.iter().any(|r| r.contains("RSS 2.0")),
            "{root}: {:?}",
            parsed.recovered
        );
    }
}

#[test]
fn html_named_entities_are_decoded() {
    let parsed = parse(rss("<item><title>caf&eacute;&nbsp;&mdash; &hellip;&rsquo;s &euro;5 &copy;</title><link>http://e.org/1</link></item>").as_bytes());
    assert_eq!(titles(&parsed), ["café\u{a0}— …’s €5 ©"]);
    assert!(
        parsed.recovered.iter().any(|r| r.contains("HTML entities")),
        "{:?}",
        parsed.recovered
    );
}

#[test]
fn bare_ampersands_survive_in_text_and_links() {
    let parsed = parse(
        rss("<item><title>Q&A: salt & pepper</title><link>http://e.org/?a=1&b=2</link></item>")
            .as_bytes(),
    );
    assert_eq!(titles(&parsed), ["Q&A: salt & pepper"]);
    assert_eq!(
        parsed.entries[0].link.as_deref(),
        Some("http://e.org/?a=1&b=2")
    );
    assert!(!parsed.recovered.is_empty());
}

#[test]
fn control_characters_are_dropped() {
    let parsed = parse(
        rss("<item><title>bad\u{1}\u{8} chars</title><link>http://e.org/1</link></item>")
            .as_bytes(),
    );
    assert_eq!(titles(&parsed), ["bad chars"]);
}

#[test]
fn truncated_document_keeps_its_complete_items() {
    let doc = rss(
        "<item><title>One</title><link>http://e.org/1</link></item><item><title>Two</title><link>http://e.org/2</link></item>",
    );
    let cut = doc.find("<item><title>Two").expect("second item") + "<item><title>Tw".len();
    let parsed = parse(&doc.as_bytes()[..cut]);
    assert_eq!(titles(&parsed), ["One"]);
    assert!(
        parsed.recovered.iter().any(|r| r.starts_with("truncated")),
        "{:?}",
        parsed.recovered
    );
}

#[test]
fn atom_0_3_is_read() {
    let doc = r#"<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#">
  <title>Old Atom</title>
  <link rel="alternate" type="text/html" href="http://example.org/"/>
  <modified>2004-01-02T00:00:00Z</modified>
  <entry>
    <title>First &amp; foremost</title>
    <link rel="alternate" type="text/html" href="http://example.org/1"/>
    <id>tag:example.org,2004:1</id>
    <issued>2004-01-01T12:00:00Z</issued>
    <modified>2004-01-01T13:00:00Z</modified>
    <content type="text/html" mode="escaped">&lt;p&gt;Hello&lt;/p&gt;</content>
  </entry>
</feed>"#;
    let parsed = parse(doc.as_bytes());
    assert_eq!(parsed.format, FeedFormat::Atom);
    assert_eq!(parsed.title.as_deref(), Some("Old Atom"));
    assert_eq!(parsed.site_url.as_deref(), Some("http://example.org/"));
    let entry = &parsed.entries[0];
    assert_eq!(entry.title.as_deref(), Some("First & foremost"));
    assert_eq!(entry.key, "tag:example.org,2004:1");
    assert_eq!(
        entry.published.map(|d| d.to_rfc3339()),
        Some("2004-01-01T12:00:00+00:00".to_owned())
    );
    assert_eq!(
        entry.updated.map(|d| d.to_rfc3339()),
        Some("2004-01-01T13:00:00+00:00".to_owned())
    );
    assert_eq!(entry.content_html.as_deref(), Some("<p>Hello</p>"));
    assert!(parsed.recovered.iter().any(|r| r.contains("Atom 0.3")));
}

#[test]
fn undeclared_namespace_prefixes_are_declared() {
    let parsed = parse(rss("<item><title>x</title><link>http://e.org/1</link><dc:creator>Jane Doe</dc:creator></item>").as_bytes());
    assert_eq!(parsed.entries[0].author.as_deref(), Some("Jane Doe"));
    assert!(
        parsed
            .recovered
            .iter()
            .any(|r| r.contains("namespace prefixes: dc")),
        "{:?}",
        parsed.recovered
    );
}

#[test]
fn one_bad_entry_does_not_cost_the_feed() {
    // The second entry rebinds the reserved `xml` prefix, a namespace
    // error no repair undoes: the document fails as a whole; parsed one by
    // one, the others survive.
    let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title>
<entry><id>1</id><title>Good one</title></entry>
<entry xmlns:xml="http://e.org/"><id>2</id><title>Bad one</title></entry>
<entry><id>3</id><title>Good two</title></entry></feed>"#;
    let parsed = parse(doc.as_bytes());
    assert_eq!(titles(&parsed), ["Good one", "Good two"]);
    assert!(
        parsed.warnings.iter().any(|w| w.contains("skipped 1")),
        "{:?}",
        parsed.warnings
    );
    assert!(
        parsed.recovered.iter().any(|r| r.contains("one by one")),
        "{:?}",
        parsed.recovered
    );
}

#[test]
fn items_that_cannot_be_read_are_a_soft_failure() {
    // The only item is one no parser accepts (see above): the feed reads,
    // its item does not.
    let doc = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel rdf:about="http://e.org/"><title>R</title><link>http://e.org/</link></channel>
<item xmlns:xml="http://e.org/"><title>Bad</title></item></rdf:RDF>"#;
    let parsed = parse(doc.as_bytes());
    assert_eq!(parsed.title.as_deref(), Some("R"));
    assert!(parsed.entries.is_empty());
    assert_eq!(parsed.items_in_document, 1);
    assert!(
        parsed
            .warnings
            .iter()
            .any(|w| w.contains("no entry could be read")),
        "{:?}",
        parsed.warnings
    );
}

#[test]
fn rdf_items_use_rdf_about_when_link_is_missing() {
    let doc = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel rdf:about="http://e.org/"><title>R</title><link>http://e.org/</link></channel>
<item rdf:about="http://e.org/a"><title>About</title></item></rdf:RDF>"#;
    let parsed = parse(doc.as_bytes());
    assert_eq!(parsed.format, FeedFormat::Rdf);
    assert_eq!(parsed.entries[0].link.as_deref(), Some("http://e.org/a"));
}

#[test]
fn doctype_entities_are_expanded() {
    let doc = r#"<!DOCTYPE rss [<!ENTITY site "example.org">]><rss version="2.0"><channel><title>On &site;</title></channel></rss>"#;
    assert_eq!(
        parse(doc.as_bytes()).title.as_deref(),
        Some("On example.org")
    );
}

#[test]
fn cdf_channels_are_read_as_rss() {
    let doc = r#"<CHANNEL HREF="http://e.org/"><TITLE>Channel</TITLE><ITEM HREF="http://e.org/1"><TITLE>Item</TITLE><ABSTRACT>About it</ABSTRACT></ITEM></CHANNEL>"#;
    let parsed = parse(doc.as_bytes());
    assert_eq!(parsed.title.as_deref(), Some("Channel"));
    assert_eq!(titles(&parsed), ["Item"]);
    assert_eq!(parsed.entries[0].link.as_deref(), Some("http://e.org/1"));
}

// ---- normalization -------------------------------------------------------

#[test]
fn titles_are_plain_text_with_entities_decoded() {
    let parsed = parse(rss("<item><title>&lt;b&gt;Bold&lt;/b&gt; move &amp;amp; more</title><link>http://e.org/1</link></item>\
                            <item><title><![CDATA[<em>Big</em> news &amp; views]]></title><link>http://e.org/2</link></item>").as_bytes());
    assert_eq!(titles(&parsed), ["Bold move & more", "Big news & views"]);
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">A &lt;i&gt;feed&lt;/i&gt;</title>
<entry><id>1</id><title type="text">1 &lt; 2 &amp; &lt;b&gt; stays</title></entry></feed>"#;
    let parsed = parse(atom.as_bytes());
    assert_eq!(parsed.title.as_deref(), Some("A feed"));
    assert_eq!(titles(&parsed), ["1 < 2 & <b> stays"]);
}

#[test]
fn links_are_resolved_against_xml_base_and_the_feed_url() {
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://example.org/blog/">
<link href="/" rel="alternate"/>
<entry><id>1</id><title>a</title><link href="posts/1"/></entry></feed>"#;
    let parsed = parse(atom.as_bytes());
    assert_eq!(
        parsed.entries[0].link.as_deref(),
        Some("http://example.org/blog/posts/1")
    );
    assert_eq!(parsed.site_url.as_deref(), Some("http://example.org/"));
    let parsed = parse_with(
        rss("<item><title>r</title><link>/r/1</link></item>").as_bytes(),
        None,
        Some("https://feeds.example.net/rss.xml"),
    );
    assert_eq!(
        parsed.entries[0].link.as_deref(),
        Some("https://feeds.example.net/r/1")
    );
}

#[test]
fn keys_are_guid_else_link_else_a_stable_hash() {
    let doc = rss(
        "<item><guid isPermaLink=\"false\">id-1</guid><title>a</title><link>http://e.org/1</link></item>\
                   <item><title>b</title><link>http://e.org/2</link></item>\
                   <item><title>c</title><description>no link</description></item>",
    );
    let first = parse(doc.as_bytes());
    let keys: Vec<&str> = first.entries.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys[..2], ["id-1", "http://e.org/2"]);
    assert!(keys[2].starts_with("hash:"));
    assert_eq!(
        parse(doc.as_bytes()).entries[2].key,
        keys[2],
        "stable across polls"
    );
    // A permalink guid is the link when there is no <link>.
    let parsed =
        parse(rss("<item><guid>http://e.org/p/9</guid><title>g</title></item>").as_bytes());
    assert_eq!(parsed.entries[0].link.as_deref(), Some("http://e.org/p/9"));
}

#[test]
fn a_guid_marked_not_permalink_is_never_the_link() {
    let parsed = parse(rss("<item><guid isPermaLink=\"false\">http://guid.example.com/1</guid><title>g</title></item>").as_bytes());
    assert_eq!(parsed.entries[0].key, "http://guid.example.com/1");
    assert_eq!(parsed.entries[0].link, None);
}

#[test]
fn no_break_spaces_are_content_and_media_titles_fill_in() {
    let doc = r#"<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>x&#160;y</title>
<item><link>http://e.org/v</link><media:content url="http://e.org/v.mp4"><media:title>Only media</media:title></media:content></item></channel></rss>"#;
    let parsed = parse(doc.as_bytes());
    assert_eq!(parsed.title.as_deref(), Some("x\u{a0}y"));
    assert_eq!(titles(&parsed), ["Only media"]);
}

#[test]
fn an_rss_without_channel_is_an_empty_feed() {
    let parsed = parse(b"<?xml version=\"1.0\"?><rss version=\"2.0\"></rss>");
    assert_eq!(parsed.format, FeedFormat::Rss);
    assert!(parsed.entries.is_empty());
    let parsed = parse(b"<rss><item><title>loose</title><link>http://e.org/1</link></item></rss>");
    assert_eq!(titles(&parsed), ["loose"]);
}

#[test]
fn content_html_prefers_full_content() {
    let doc = r#"<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>
<item><title>a</title><link>http://e.org/1</link><description>short</description><content:encoded><![CDATA[<p>full text</p>]]></content:encoded></item>
<item><title>b</title><link>http://e.org/2</link><description>&lt;p&gt;only summary&lt;/p&gt;</description></item></channel></rss>"#;
    let parsed = parse(doc.as_bytes());
    assert_eq!(
        parsed.entries[0].content_html.as_deref(),
        Some("<p>full text</p>")
    );
    assert_eq!(
        parsed.entries[1].content_html.as_deref(),
        Some("<p>only summary</p>")
    );
}

#[test]
fn ttl_and_syndication_period_bound_the_poll_interval() {
    let parsed = parse(rss("<ttl>60</ttl>").as_bytes());
    assert_eq!(parsed.min_interval, Some(Duration::from_secs(3600)));
    let doc = r#"<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>t</title>
<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency></channel></rss>"#;
    assert_eq!(
        parse(doc.as_bytes()).min_interval,
        Some(Duration::from_secs(1800))
    );
    assert_eq!(parse(rss("").as_bytes()).min_interval, None);
}

#[test]
fn json_feed_is_parsed() {
    let doc = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","home_page_url":"https://e.org/",
"items":[{"id":"1","url":"https://e.org/1","title":"Hello","content_html":"<p>Hi</p>"}]}"#;
    let parsed = parse(doc.as_bytes());
    assert_eq!(parsed.format, FeedFormat::Json);
    assert_eq!(parsed.entries[0].key, "1");
    assert_eq!(parsed.entries[0].content_html.as_deref(), Some("<p>Hi</p>"));
}

#[test]
fn clean_feeds_report_no_repairs() {
    let parsed =
        parse(rss("<item><title>a &amp; b</title><link>http://e.org/1</link></item>").as_bytes());
    assert!(parsed.recovered.is_empty(), "{:?}", parsed.recovered);
    assert!(parsed.warnings.is_empty());
}

#[test]
fn non_feeds_and_empty_input_are_errors() {
    assert!(matches!(
        feed::parse(b"", None, None),
        Err(FeedError::Empty)
    ));
    assert!(matches!(
        feed::parse(b"  \n", None, None),
        Err(FeedError::Empty)
    ));
    assert!(matches!(
        feed::parse(b"<html><body>hi</body></html>", None, None),
        Err(FeedError::NotAFeed(_))
    ));
    assert!(feed::parse(b"just some text", None, None).is_err());
}

// ---- robustness ----------------------------------------------------------

/// Runs `parse` on a worker thread; None if it took longer than `limit`.
fn timed_parse(
    bytes: Vec<u8>,
    limit: Duration,
) -> Option<(Result<ParsedFeed, FeedError>, Duration)> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let start = Instant::now();
        let result = feed::parse(&bytes, None, None);
        let _ = tx.send((result, start.elapsed()));
    });
    rx.recv_timeout(limit).ok()
}

#[test]
fn mutated_documents_never_panic() {
    let base = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>{}",
        rss(
            "<item><title>caf&eacute; &amp; <![CDATA[x]]></title><link>http://e.org/?a&b</link><dc:date>2024-01-01</dc:date></item><item><title>two</title></item>"
        )
    );
    let bytes = base.as_bytes();
    // Every truncation, and a deterministic spray of byte substitutions.
    let mut seed: u32 = 0x2545_F491;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed as usize
    };
    let specials = [
        b'<', b'>', b'&', b'"', b'/', 0, 0xFF, 0xC3, b'!', b'?', b'[',
    ];
    let mut variants: Vec<Vec<u8>> = (0..bytes.len()).map(|cut| bytes[..cut].to_vec()).collect();
    for _ in 0..600 {
        let mut v = bytes.to_vec();
        for _ in 0..3 {
            let at = next() % v.len();
            v[at] = specials[next() % specials.len()];
        }
        variants.push(v);
    }
    for v in variants {
        let outcome = std::panic::catch_unwind(|| feed::parse(&v, None, None));
        match outcome {
            Ok(Err(FeedError::Panicked(m))) => {
                panic!("feed-rs panicked on {:?}: {m}", String::from_utf8_lossy(&v))
            }
            Ok(_) => {}
            Err(_) => panic!("parse panicked on {:?}", String::from_utf8_lossy(&v)),
        }
    }
}

#[test]
fn hostile_documents_parse_in_bounded_time() {
    // Shapes that make naive repair loops quadratic: every end tag broken,
    // deep nesting, entities and bare ampersands everywhere, a huge root tag
    // with many items that fail as a whole.
    const SIZE: usize = 4 * 1024 * 1024;
    let fill = |unit: &str| unit.repeat(SIZE / unit.len());
    let mut root_attrs = String::new();
    for i in 0..20_000 {
        root_attrs.push_str(&format!(" a{i}=\"v\""));
    }
    let docs = [
        format!("<rss version=\"2.0\"><channel>{}", fill("</a ")),
        format!("<rss version=\"2.0\"><channel>{}", fill("<a>")),
        format!(
            "<rss version=\"2.0\"><channel><title>{}</title></channel></rss>",
            fill("&nbsp;& &#x1; ")
        ),
        format!(
            "<rss{root_attrs} version=\"2.0\"><channel>{}</channel></rss>",
            fill("<item><title>x</title><link>http://e.org/</link><enclosure/></item><item><bad")
        ),
        format!(
            "<feed xmlns=\"http://www.w3.org/2005/Atom\">{}</feed>",
            fill("<entry><id>1</id><title type=\"nope\">t</title></entry>")
        ),
        format!("<rss version=\"2.0\"><channel><title>{}", fill("<!-- x ")),
    ];
    for doc in docs {
        let head: String = doc.chars().take(60).collect();
        let Some((result, elapsed)) = timed_parse(doc.into_bytes(), Duration::from_secs(120))
        else {
            panic!("no result within 120 s for {head}…");
        };
        eprintln!(
            "{head}…: {:?} in {elapsed:?}",
            result
                .as_ref()
                .map(|p| p.entries.len())
                .map_err(ToString::to_string)
        );
    }
}
