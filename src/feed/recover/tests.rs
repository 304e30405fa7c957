use super::dialect::KNOWN_PREFIXES;
use super::*;
fn repaired(text: &str) -> Scan {
    scan(text)
}

#[test]
fn clean_document_is_untouched() {
    let doc = "<rss version=\"2.0\"><channel><title>A &amp; B</title><item><title>x</title></item></channel></rss>";
    let s = repaired(doc);
    assert!(s.repairs.is_empty(), "{:?}", s.repairs);
    assert_eq!(s.text, doc);
    assert_eq!(s.items_seen, 1);
    assert_eq!(s.items.len(), 1);
}

#[test]
fn html_entities_become_numeric() {
    let s = repaired(
        "<rss version=\"2.0\"><channel><title>a&nbsp;b&mdash;c&eacute;</title></channel></rss>",
    );
    assert!(s.text.contains("a&#160;b&#8212;c&#233;"), "{}", s.text);
    assert!(s.repairs[0].contains("&nbsp;"), "{:?}", s.repairs);
}

#[test]
fn bare_ampersands_and_lt_are_escaped() {
    let s = repaired(
        "<rss version=\"2.0\"><channel><title>Q&A & more < less</title><link>http://x/?a=1&b=2</link></channel></rss>",
    );
    assert!(
        s.text.contains("Q&amp;A &amp; more &lt; less"),
        "{}",
        s.text
    );
    assert!(s.text.contains("a=1&amp;b=2"), "{}", s.text);
}

#[test]
fn forbidden_characters_are_dropped() {
    let s = repaired(
        "<rss version=\"2.0\"><channel><title>a\u{1}b\u{FFFF}c&#0;d</title></channel></rss>",
    );
    assert!(s.text.contains("<title>abcd</title>"), "{}", s.text);
    assert!(s.repairs.iter().any(|r| r.contains("forbids")));
}

#[test]
fn odd_rss_versions_read_as_2_0() {
    for root in [
        "<rss>",
        "<rss version=\"\">",
        "<rss version=\"0.94\">",
        "<rss version='2.01'>",
    ] {
        let s = repaired(&format!("{root}<channel><title>t</title></channel></rss>"));
        assert!(
            s.text.starts_with("<rss version=\"2.0\">"),
            "{root}: {}",
            s.text
        );
        assert!(s.repairs.iter().any(|r| r.contains("RSS 2.0")), "{root}");
    }
    assert!(
        repaired("<rss version=\"0.91\"><channel/></rss>")
            .repairs
            .is_empty()
    );
}

#[test]
fn truncated_document_keeps_complete_items() {
    let s = repaired(
        "<rss version=\"2.0\"><channel><title>t</title><item><title>one</title></item><item><title>tw",
    );
    assert_eq!(
        s.text,
        "<rss version=\"2.0\"><channel><title>t</title><item><title>one</title></item></channel></rss>"
    );
    assert!(
        s.repairs.iter().any(|r| r.starts_with("truncated")),
        "{:?}",
        s.repairs
    );
    let s = repaired("<rss version=\"2.0\"><channel><title>t</title><item><title><![CD");
    assert_eq!(
        s.text,
        "<rss version=\"2.0\"><channel><title>t</title></channel></rss>"
    );
}

#[test]
fn mismatched_tags_are_balanced() {
    let s = repaired(
        "<rss version=\"2.0\"><channel><item><description>a<br>b</description></item></foo></channel></rss>",
    );
    assert!(
        s.text
            .contains("<description>a<br>b</br></description></item></channel>"),
        "{}",
        s.text
    );
}

#[test]
fn atom03_becomes_atom10() {
    let s = repaired(concat!(
        "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><tagline>t</tagline>",
        "<entry><issued>2004-01-01T00:00:00Z</issued><author><url>http://a/</url></author>",
        "<content type=\"text/html\" mode=\"escaped\">&lt;b&gt;x&lt;/b&gt;</content>",
        "<summary mode=\"base64\" type=\"text/plain\">aGVsbG8gJiB3b3JsZA==</summary></entry></feed>"
    ));
    assert!(
        s.text
            .starts_with("<feed xmlns=\"http://www.w3.org/2005/Atom\">"),
        "{}",
        s.text
    );
    assert!(
        s.text.contains("<subtitle type=\"text\">t</subtitle>"),
        "{}",
        s.text
    );
    assert!(
        s.text
            .contains("<published>2004-01-01T00:00:00Z</published>"),
        "{}",
        s.text
    );
    assert!(s.text.contains("<uri>http://a/</uri>"), "{}", s.text);
    assert!(
        s.text
            .contains("<content type=\"html\">&lt;b&gt;x&lt;/b&gt;</content>"),
        "{}",
        s.text
    );
    assert!(
        s.text
            .contains("<summary type=\"text\">hello &amp; world</summary>"),
        "{}",
        s.text
    );
}

#[test]
fn undeclared_prefixes_are_declared() {
    let s = repaired(
        "<rss version=\"2.0\"><channel><dc:creator>me</dc:creator><foo:bar/></channel></rss>",
    );
    let dc = KNOWN_PREFIXES
        .iter()
        .find(|(p, _)| *p == "dc")
        .map(|(_, uri)| *uri)
        .unwrap_or_default();
    assert!(
        s.text.starts_with(&format!(
            "<rss xmlns:dc=\"{dc}\" xmlns:foo=\"urn:feedsift:undeclared:foo\" version"
        )),
        "{}",
        s.text
    );
}

#[test]
fn doctype_entities_are_expanded_and_doctype_dropped() {
    let s = repaired(
        "<!DOCTYPE rss [<!ENTITY copy2 \"&#169; me\">]><rss version=\"2.0\"><channel><title>&copy2;</title></channel></rss>",
    );
    assert!(s.text.contains("<title>\u{a9} me</title>"), "{}", s.text);
    assert!(!s.text.contains("DOCTYPE"));
}

#[test]
fn attributes_are_repaired() {
    let s = repaired(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><link href=a&b rel=alternate rel=x nowrap/></feed>",
    );
    assert!(
        s.text
            .contains("<link href=\"a&amp;b\" rel=\"alternate\" nowrap=\"nowrap\"/>"),
        "{}",
        s.text
    );
}

#[test]
fn items_can_be_extracted_one_by_one() {
    let s = repaired(
        "<rss version=\"2.0\"><channel><title>t</title><item><title>a</title></item><item><title>b</title></item></channel></rss>",
    );
    assert_eq!(s.items.len(), 2);
    assert_eq!(
        s.item_document(1).as_deref(),
        Some("<rss version=\"2.0\"><channel><item><title>b</title></item></channel></rss>")
    );
    assert_eq!(
        s.header_document(),
        "<rss version=\"2.0\"><channel><title>t</title></channel></rss>"
    );
}

#[test]
fn deep_nesting_is_bounded() {
    let doc = format!(
        "<rss version=\"2.0\"><channel>{}</channel></rss>",
        "<a>".repeat(100_000)
    );
    let s = repaired(&doc);
    assert!(s.text.len() < doc.len() * 3);
}
