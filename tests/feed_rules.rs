//! One test per parsing rule family of the feed stage: how feedsift reads
//! what feeds in the wild write (namespaces under any prefix, `<TiTlE>`,
//! Dublin Core and iTunes fallbacks, dates, base64 text, relative ids,
//! entries without link or id, entities, authors, text types, media) and
//! what `inspect --json` shows of it. Every document is small, written
//! here, inline.

use feedsift::commands::inspect;
use feedsift::feed::{self, FeedEntry, KeySource, ParsedFeed};
use url::Url;

fn parse(doc: &str) -> ParsedFeed {
    feed::parse(doc.as_bytes(), None, None).expect("parses")
}

fn parse_at(doc: &str, base: &str) -> ParsedFeed {
    let base = Url::parse(base).expect("url");
    feed::parse(doc.as_bytes(), None, Some(&base)).expect("parses")
}

fn first(parsed: &ParsedFeed) -> &FeedEntry {
    parsed.entries.first().expect("one entry")
}

fn rss_item(item: &str) -> String {
    format!(
        concat!(
            "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" ",
            "xmlns:dcterms=\"http://purl.org/dc/terms/\" ",
            "xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\" ",
            "xmlns:media=\"http://search.yahoo.com/mrss/\" ",
            "xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">",
            "<channel><title>C</title><item>{}</item></channel></rss>"
        ),
        item
    )
}

#[test]
fn namespaces_are_matched_by_uri_not_prefix() {
    // RSS 2.0 with every element under a prefix and no default namespace.
    let prefixed = parse(concat!(
        r#"<n:rss version="2.0" xmlns:n="http://backend.userland.com/rss2">"#,
        "<n:channel><n:title>Harbour notes</n:title><n:language>nl-be</n:language>",
        "<n:item><n:title>Tide tables for May</n:title>",
        "<n:link>http://harbour.test/may</n:link></n:item></n:channel></n:rss>"
    ));
    assert_eq!(
        first(&prefixed).title.as_deref(),
        Some("Tide tables for May")
    );
    assert_eq!(prefixed.meta.language.as_deref(), Some("nl-be"));

    // <other:description> has RSS's local name in another namespace: it is
    // not the item's description, before or after the real one.
    let clash = parse(concat!(
        r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" "#,
        r#"xmlns:r="http://purl.org/rss/1.0/" xmlns:other="http://other.test/ns/">"#,
        r#"<r:channel rdf:about="http://harbour.test/"><r:title>H</r:title></r:channel>"#,
        r#"<r:item rdf:about="http://harbour.test/1"><r:title>One</r:title>"#,
        "<r:link>http://harbour.test/1</r:link>",
        "<other:description>not this one</other:description>",
        "<r:description>the item's own</r:description>",
        "<other:description>nor this one</other:description>",
        "</r:item></rdf:RDF>"
    ));
    let summary = first(&clash).summary.as_ref().expect("summary");
    assert_eq!(summary.value, "the item's own");

    // Any prefix, and the namespace URI in any case.
    let doc = r#"<x:rss xmlns:x="http://backend.userland.com/rss2" xmlns:pod="HTTP://WWW.ITUNES.COM/DTDS/PODCAST-1.0.DTD" xmlns:d="http://purl.org/dc/elements/1.1/">
<x:channel><x:title>T</x:title><x:item><d:creator>Jane</d:creator><pod:summary>S</pod:summary><x:link>http://e.org/1</x:link></x:item></x:channel></x:rss>"#;
    let parsed = parse(doc);
    let e = first(&parsed);
    assert_eq!(parsed.title.as_deref(), Some("T"));
    assert_eq!(e.author.as_deref(), Some("Jane"));
    assert_eq!(e.summary.as_ref().map(|s| s.value.as_str()), Some("S"));
    assert_eq!(e.link.as_deref(), Some("http://e.org/1"));
}

#[test]
fn element_names_ignore_case() {
    let doc = "<rss version=\"2.0\"><Channel><TiTlE>Feed</TiTlE><ITEM><Title>One</Title><LINK>http://e.org/1</LINK><PubDate>Sat, 07 Sep 2002 00:00:01 GMT</PubDate></ITEM></Channel></rss>";
    let parsed = parse(doc);
    assert_eq!(parsed.title.as_deref(), Some("Feed"));
    let e = first(&parsed);
    assert_eq!(e.title.as_deref(), Some("One"));
    assert_eq!(e.link.as_deref(), Some("http://e.org/1"));
    assert!(e.published.is_some());
}

#[test]
fn dublin_core_and_itunes_fill_in_and_lose_to_the_core_elements() {
    // Fallbacks alone fill the fields.
    let parsed = parse(&rss_item(concat!(
        "<dc:title>DC title</dc:title><itunes:author>Pod Author</itunes:author>",
        "<itunes:subtitle>Sub</itunes:subtitle><itunes:summary>Sum</itunes:summary>",
        "<dc:contributor>Helper</dc:contributor><link>http://e.org/1</link>"
    )));
    let e = first(&parsed);
    assert_eq!(e.title.as_deref(), Some("DC title"));
    assert_eq!(e.author.as_deref(), Some("Pod Author"));
    assert_eq!(e.summary.as_ref().map(|s| s.value.as_str()), Some("Sum"));
    assert_eq!(e.contributors[0].name.as_deref(), Some("Helper"));

    // The core elements win whatever the document order.
    let parsed = parse(&rss_item(concat!(
        "<dc:title>DC title</dc:title><itunes:title>iTunes title</itunes:title><title>Core</title>",
        "<itunes:author>Pod</itunes:author><dc:creator>Creator</dc:creator>",
        "<itunes:summary>Sum</itunes:summary><description>Desc</description>",
        "<link>http://e.org/1</link>"
    )));
    let e = first(&parsed);
    assert_eq!(e.title.as_deref(), Some("Core"));
    assert_eq!(e.author.as_deref(), Some("Creator"));
    assert_eq!(e.authors.len(), 1, "one rank of authors, not a union");
    assert_eq!(e.summary.as_ref().map(|s| s.value.as_str()), Some("Desc"));
}

#[test]
fn dates_come_from_dcterms_dc_and_cdf_too() {
    let parsed = parse(&rss_item(concat!(
        "<dcterms:issued>2003-12-31T10:14:55Z</dcterms:issued>",
        "<dcterms:modified>2004-01-02T00:00:00+01:00</dcterms:modified>",
        "<dc:date>1999-01-01</dc:date><link>http://e.org/1</link>"
    )));
    let e = first(&parsed);
    let at = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339());
    assert_eq!(
        at(e.published).as_deref(),
        Some("2003-12-31T10:14:55+00:00")
    );
    // dcterms:modified outranks dc:date.
    assert_eq!(at(e.updated).as_deref(), Some("2004-01-01T23:00:00+00:00"));

    // CDF (Microsoft's Channel Definition Format): upper-case elements, the
    // date in a LASTMOD attribute.
    let cdf = parse(
        r#"<CHANNEL><ITEM HREF="http://harbour.test/cdf" LASTMOD="2004-04-06T23:05:43-05:00"></ITEM></CHANNEL>"#,
    );
    assert_eq!(
        at(first(&cdf).updated).as_deref(),
        Some("2004-04-07T04:05:43+00:00")
    );

    // RFC 822 as written in the wild.
    let parsed = parse(&rss_item(
        "<pubDate>Thursday, 1 Jan 04 19:48 EST</pubDate><link>http://e.org/1</link>",
    ));
    assert_eq!(
        at(first(&parsed).published).as_deref(),
        Some("2004-01-02T00:48:00+00:00")
    );
}

#[test]
fn base64_atom_text_is_decoded() {
    // Atom 0.3: mode="base64"; "<p>Cranes &amp; gulls</p>" encoded.
    let old = parse(concat!(
        r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><entry>"#,
        r#"<title mode="base64">PHA+Q3JhbmVzICZhbXA7IGd1bGxzPC9wPg==</title>"#,
        "</entry></feed>"
    ));
    assert_eq!(
        first(&old).title.as_deref(),
        Some("<p>Cranes &amp; gulls</p>"),
        "declared text, so the decoded markup is the title's text"
    );
    let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id>
<content type="application/octet-stream">RXhhbXBsZSA8Yj5BdG9tPC9iPg==</content></entry></feed>"#;
    let content = first(&parse(doc)).content.clone().expect("content");
    assert_eq!(content.media_type, "application/octet-stream");
    assert_eq!(content.value, "Example <b>Atom</b>");
}

#[test]
fn relative_atom_ids_resolve_against_xml_base_and_the_document_url() {
    let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>/posts/1</id></entry>
<entry xml:base="http://other.example/blog/"><id>../posts/2</id></entry>
<entry><id>tag:e.org,2004:3</id></entry></feed>"#;
    let parsed = parse_at(doc, "http://e.org/feed.xml");
    let keys: Vec<&str> = parsed.entries.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        [
            "http://e.org/posts/1",
            "http://other.example/posts/2",
            "tag:e.org,2004:3"
        ]
    );
    assert_eq!(
        parsed.entries[0].id.as_deref(),
        Some("http://e.org/posts/1")
    );
}

#[test]
fn items_without_link_or_id_keep_a_stable_synthesised_key() {
    let item = |title: &str, date: &str| {
        rss_item(&format!(
            "<title>{title}</title><description>Same text</description><pubDate>{date}</pubDate>"
        ))
    };
    let a = parse(&item("Weather", "Mon, 01 Jan 2024 06:00:00 GMT"));
    let again = parse(&item("Weather", "Mon, 01 Jan 2024 06:00:00 GMT"));
    let next_day = parse(&item("Weather", "Tue, 02 Jan 2024 06:00:00 GMT"));
    let e = first(&a);
    assert_eq!(e.key_source, KeySource::Hash);
    assert!(e.key.starts_with("hash:") && e.key.len() == 21, "{}", e.key);
    assert_eq!(e.id, None);
    assert_eq!(e.key, first(&again).key, "stable across polls");
    assert_ne!(e.key, first(&next_day).key, "another day's report");

    // RSS 1.0 items without a link are kept: rdf:about is their id.
    let rdf = r#"<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel rdf:about="http://e.org/"><title>R</title></channel>
<item rdf:about="urn:x:1"><title>No link</title></item></rdf:RDF>"#;
    let parsed = parse(rdf);
    assert_eq!(first(&parsed).key, "urn:x:1");
    assert_eq!(first(&parsed).key_source, KeySource::Id);
}

#[test]
fn html4_entities_keep_their_html4_meaning() {
    let parsed = parse(
        "<rss version=\"2.0\"><channel><title>&lang;x&rang; &eacute;&mdash;&#146;</title></channel></rss>",
    );
    // &lang;/&rang; are U+2329/U+232A as HTML 4 (and feedparser) define
    // them; &#146; is the Windows-1252 quote HTML5 also reads it as.
    assert_eq!(
        parsed.title.as_deref(),
        Some("\u{2329}x\u{232a} \u{e9}\u{2014}\u{2019}")
    );
    assert!(
        !parsed.well_formed,
        "undeclared entities are a syntax error"
    );
}

#[test]
fn authors_are_split_into_name_and_email_and_the_byline_is_the_name() {
    let parsed = parse(&rss_item(
        "<author>jane@example.org (Jane Doe)</author><link>http://e.org/1</link>",
    ));
    let e = first(&parsed);
    assert_eq!(e.author.as_deref(), Some("Jane Doe"));
    assert_eq!(e.authors[0].email.as_deref(), Some("jane@example.org"));
    let atom = r#"<feed xmlns="http://www.w3.org/2005/Atom"><author><name>Feed Author</name></author>
<entry><id>1</id><author><email>only@example.org</email><uri>/me</uri></author></entry></feed>"#;
    let parsed = parse_at(atom, "http://e.org/");
    let e = first(&parsed);
    assert_eq!(e.author.as_deref(), Some("only@example.org"));
    assert_eq!(e.authors[0].uri.as_deref(), Some("http://e.org/me"));
    assert_eq!(parsed.meta.authors[0].name.as_deref(), Some("Feed Author"));
}

#[test]
fn text_keeps_its_type_language_and_base() {
    let doc = r#"<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en" xml:base="http://e.org/a/">
<title type="html">A &amp;lt;b&amp;gt; &lt;b&gt;bold&lt;/b&gt; feed</title>
<entry xml:lang="de"><id>1</id>
<summary type="text">1 &lt; 2</summary>
<content type="xhtml" xml:lang=""><div xmlns="http://www.w3.org/1999/xhtml"><p>Hi <a href="x">x</a></p></div></content>
</entry></feed>"#;
    let parsed = parse(doc);
    assert_eq!(parsed.title.as_deref(), Some("A <b> bold feed"));
    let detail = parsed.meta.title_detail.as_ref().expect("title as given");
    assert_eq!(detail.media_type, "text/html");
    let e = first(&parsed);
    assert_eq!(e.language.as_deref(), Some("de"));
    let summary = e.summary.as_ref().expect("summary");
    assert_eq!(
        (summary.media_type.as_str(), summary.value.as_str()),
        ("text/plain", "1 < 2")
    );
    assert_eq!(summary.language.as_deref(), Some("de"));
    let content = e.content.as_ref().expect("content");
    assert_eq!(content.media_type, "application/xhtml+xml");
    assert_eq!(
        content.value, "<p>Hi <a href=\"x\">x</a></p>",
        "div unwrapped"
    );
    assert_eq!(content.language, None, "xml:lang=\"\" unsets it");
    assert_eq!(content.base.as_deref(), Some("http://e.org/a/"));
    assert_eq!(e.content_html.as_deref(), Some(content.value.as_str()));
}

#[test]
fn enclosures_comments_and_tags_are_read() {
    let parsed = parse_at(
        &rss_item(concat!(
            "<link>http://e.org/1</link><comments>/1#comments</comments>",
            "<enclosure url=\"/ep1.mp3\" type=\"audio/mpeg\" length=\"1234\"/>",
            "<category domain=\"http://e.org/cats\">News</category><dc:subject>Local</dc:subject>",
            "<itunes:keywords>a, b</itunes:keywords>",
            "<media:content url=\"http://cdn.e.org/v.mp4\" type=\"video/mp4\"/>"
        )),
        "http://e.org/feed",
    );
    let e = first(&parsed);
    assert_eq!(e.comments.as_deref(), Some("http://e.org/1#comments"));
    assert_eq!(
        e.enclosures.len(),
        1,
        "media:content only when no enclosure"
    );
    let enclosure = &e.enclosures[0];
    assert_eq!(enclosure.url, "http://e.org/ep1.mp3");
    assert_eq!(enclosure.media_type.as_deref(), Some("audio/mpeg"));
    assert_eq!(enclosure.length, Some(1234));
    let tags: Vec<(&str, Option<&str>)> = e
        .tags
        .iter()
        .map(|t| (t.term.as_str(), t.scheme.as_deref()))
        .collect();
    assert_eq!(
        tags,
        [
            ("News", Some("http://e.org/cats")),
            ("Local", None),
            ("a", Some("http://www.itunes.com/")),
            ("b", Some("http://www.itunes.com/"))
        ]
    );
    let media_only = parse(&rss_item(
        "<link>http://e.org/2</link><media:group><media:content url=\"http://cdn.e.org/v.mp4\" type=\"video/mp4\" fileSize=\"99\"/></media:group>",
    ));
    assert_eq!(first(&media_only).enclosures[0].length, Some(99));
}

#[test]
fn well_formed_tells_syntax_repairs_from_dialect_rewrites() {
    let old_atom =
        parse(r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><title>Old</title></feed>"#);
    assert!(old_atom.well_formed, "{:?}", old_atom.recovered);
    assert!(
        !old_atom.recovered.is_empty(),
        "the rewrite is still reported"
    );
    let broken = parse("<rss version=\"2.0\"><channel><title>Q&A</title></channel></rss>");
    assert!(!broken.well_formed);
    assert_eq!(broken.title.as_deref(), Some("Q&A"));
}

#[test]
fn json_feed_fields_are_read() {
    let doc = r#"{"version":"https://jsonfeed.org/version/1.1","title":"J","home_page_url":"https://e.org/",
"language":"en","authors":[{"name":"Ann","url":"https://e.org/ann"}],
"items":[{"id":7,"url":"https://e.org/1","title":"Hello","summary":"Short","content_text":"a < b",
"tags":["x"],"attachments":[{"url":"https://e.org/a.mp3","mime_type":"audio/mpeg","size_in_bytes":10}],
"date_published":"2024-01-01T00:00:00Z"}]}"#;
    let parsed = parse(doc);
    assert_eq!(parsed.site_url.as_deref(), Some("https://e.org/"));
    let e = first(&parsed);
    assert_eq!(e.key, "7", "numeric ids are ids");
    assert_eq!(
        e.author.as_deref(),
        Some("Ann"),
        "feed authors are inherited"
    );
    assert_eq!(e.language.as_deref(), Some("en"));
    assert_eq!(e.summary.as_ref().map(|s| s.value.as_str()), Some("Short"));
    assert_eq!(e.content_html.as_deref(), Some("a &lt; b"));
    assert_eq!(e.enclosures[0].length, Some(10));
    assert_eq!(e.tags[0].term, "x");
}

#[test]
fn entry_json_written_by_an_older_feedsift_still_reads() {
    // What `pending_entries.entry_json` holds from before these fields.
    let old = r#"{"key":"k","link":"http://e.org/1","title":"T","author":null,
"published":"2024-01-01T00:00:00Z","updated":null,"content_html":"<p>x</p>"}"#;
    let entry: FeedEntry = serde_json::from_str(old).expect("old rows read");
    assert_eq!(entry.key, "k");
    assert_eq!(entry.key_source, KeySource::Id);
    assert!(entry.tags.is_empty() && entry.summary.is_none());
    let round: FeedEntry =
        serde_json::from_str(&serde_json::to_string(&entry).expect("writes")).expect("reads");
    assert_eq!(round, entry);
}

#[test]
fn inspect_json_shows_every_field() {
    let doc = rss_item(concat!(
        "<title>T</title><link>http://e.org/1</link><guid>g1</guid><description>D</description>",
        "<content:encoded>&lt;p&gt;C&lt;/p&gt;</content:encoded><author>a@e.org (A)</author>",
        "<category>K</category><enclosure url=\"http://e.org/x.mp3\" type=\"audio/mpeg\" length=\"1\"/>",
        "<comments>http://e.org/1#c</comments><dc:contributor>B</dc:contributor>"
    ));
    let report = inspect::report("doc.xml", doc.as_bytes(), None, None);
    let json = serde_json::to_value(&report).expect("serialises");
    for key in [
        "well_formed",
        "title",
        "title_detail",
        "site_url",
        "subtitle",
        "language",
        "updated",
        "published",
        "image",
        "authors",
        "contributors",
        "rights",
        "tags",
        "links",
        "id",
        "base_url",
        "entries",
        "recovered",
        "warnings",
    ] {
        assert!(json.get(key).is_some(), "feed field {key}");
    }
    let entry = &json["entries"][0];
    for key in [
        "key",
        "key_source",
        "id",
        "link",
        "links",
        "published",
        "updated",
        "title",
        "title_detail",
        "author",
        "authors",
        "contributors",
        "summary",
        "content",
        "rights",
        "tags",
        "enclosures",
        "comments",
        "language",
        "base",
    ] {
        assert!(entry.get(key).is_some(), "entry field {key}");
    }
    assert_eq!(entry["summary"]["type"], "text/html");
    assert_eq!(entry["content"]["value"], "<p>C</p>");
    assert_eq!(entry["authors"][0]["email"], "a@e.org");
    assert_eq!(entry["enclosures"][0]["type"], "audio/mpeg");
    assert_eq!(entry["contributors"][0]["name"], "B");
    assert_eq!(entry["key_source"], "id");
}
