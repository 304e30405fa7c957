//! `feedsift feeds import` / `feeds export` with the real binary: OPML in
//! the shapes Miniflux, FreshRSS, Feedly and NetNewsWire export (fixtures
//! in `tests/fixtures/opml`, written from those projects' exporters), the
//! deviations seen in the wild, and round trips
//! import → feeds.toml → export → import.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{feedsift, scratch};
use feedsift::config::{Config, FullText};
use quick_xml::events::Event;
use quick_xml::reader::Reader;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/opml")
        .join(name)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// (url, name, tags) of every configured feed, in file order.
type Row = (String, Option<String>, Vec<String>);

fn rows(config: &Config) -> Vec<Row> {
    config
        .feeds
        .iter()
        .map(|f| (f.url.to_string(), f.name.clone(), f.tags.clone()))
        .collect()
}

fn row(url: &str, name: &str, tags: &[&str]) -> Row {
    (
        url.to_owned(),
        Some(name.to_owned()),
        tags.iter().map(|t| t.to_string()).collect(),
    )
}

fn import(config: &Path, opml: &Path) -> (String, String) {
    let out = feedsift(config, &["feeds", "import", &opml.to_string_lossy()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "import {}: {}",
        opml.display(),
        text(&out.stderr)
    );
    (text(&out.stdout), text(&out.stderr))
}

fn load(path: &Path) -> Config {
    Config::load(path).unwrap_or_else(|e| panic!("{e}"))
}

/// Exports `config`, imports the result into a fresh feeds.toml and checks
/// that every feed came back with the same URL, name, tags, interval and
/// full_text. Export groups feeds by first tag, so order may change.
fn round_trip(config: &Path, dir: &Path) {
    let out = feedsift(config, &["feeds", "export"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    check_opml2(&out.stdout);
    let exported = dir.join("exported.opml");
    fs::write(&exported, &out.stdout).expect("write export");
    let again = dir.join("again.toml");
    let (stdout, stderr) = import(&again, &exported);
    assert!(
        !stdout.lines().any(|l| l.starts_with("skipped ")),
        "{stdout}"
    );
    assert!(stderr.is_empty(), "{stderr}");
    let key = |c: &Config| {
        let mut v: Vec<_> = c
            .feeds
            .iter()
            .map(|f| {
                (
                    f.url.to_string(),
                    f.name.clone(),
                    f.tags.clone(),
                    f.interval,
                    f.full_text,
                )
            })
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    assert_eq!(key(&load(config)), key(&load(&again)));
}

/// The export is well-formed OPML 2.0 with the head and outline attributes
/// the spec asks for.
fn check_opml2(bytes: &[u8]) {
    let xml = std::str::from_utf8(bytes).expect("utf-8");
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    let mut reader = Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let (mut title, mut date, mut body) = (false, None::<String>, false);
    loop {
        let event = reader.read_event().unwrap_or_else(|e| panic!("{e}: {xml}"));
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = e.name().as_ref().to_owned();
                let attr = |k: &str| {
                    e.try_get_attribute(k).expect("attr").map(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .expect("value")
                            .into_owned()
                    })
                };
                match (path.len(), name.as_str()) {
                    (0, "opml") => assert_eq!(attr("version").as_deref(), Some("2.0")),
                    (0, other) => panic!("root <{other}>"),
                    (1, "body") => body = true,
                    (_, "outline") => {
                        assert!(attr("text").is_some_and(|t| !t.is_empty()), "text: {xml}");
                        if attr("xmlUrl").is_some() {
                            assert_eq!(attr("type").as_deref(), Some("rss"));
                        }
                    }
                    _ => {}
                }
                if matches!(event, Event::Start(_)) {
                    path.push(name);
                }
            }
            Event::Text(t) if path.last().map(String::as_str) == Some("title") => {
                title = !t.xml10_content().trim().is_empty();
            }
            Event::Text(t) if path.last().map(String::as_str) == Some("dateCreated") => {
                date = Some(t.xml10_content().into_owned());
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(path.is_empty());
    assert!(title, "no <title>");
    let date = date.expect("no <dateCreated>");
    chrono::DateTime::parse_from_rfc2822(&date).unwrap_or_else(|e| panic!("{date}: {e}"));
    assert!(body, "no <body>: {xml}");
}

#[test]
fn miniflux_export() {
    let dir = scratch("opml-miniflux");
    let config = dir.join("feeds.toml");
    import(&config, &fixture("miniflux.opml"));
    assert_eq!(
        rows(&load(&config)),
        vec![
            row(
                "https://feeds.arstechnica.com/arstechnica/index",
                "Ars Technica - All content",
                &["All"]
            ),
            row(
                "https://daringfireball.net/feeds/main",
                "Daring Fireball",
                &["All"]
            ),
            row(
                "https://feeds.bbci.co.uk/news/world/rss.xml",
                "BBC News - World",
                &["News & Politics"]
            ),
            row(
                "https://www.lemonde.fr/international/rss_full.xml",
                "Le Monde – International",
                &["News & Politics"]
            ),
            row(
                "https://github.com/miniflux/v2/releases.atom",
                "Miniflux Releases",
                &["Self-hosted"]
            ),
        ]
    );
    round_trip(&config, &dir);
}

#[test]
fn freshrss_export() {
    let dir = scratch("opml-freshrss");
    let config = dir.join("feeds.toml");
    let (stdout, _) = import(&config, &fixture("freshrss.opml"));
    assert!(
        stdout.contains(
            "skipped https://council.example.org/notices: a FreshRSS web-scraping source (type=\"HTML+XPath\")"
        ),
        "{stdout}"
    );
    assert_eq!(
        rows(&load(&config)),
        vec![
            row(
                "https://github.com/FreshRSS/FreshRSS/releases.atom",
                "FreshRSS releases",
                &["Uncategorized"]
            ),
            row("https://jvns.ca/atom.xml", "Julia Evans", &["Blogs"]),
            row(
                "https://rock.example.net/feed?format=rss&lang=en",
                "Rock & Roll \"Weekly\"",
                &["Blogs"]
            ),
            row(
                "https://www.quantamagazine.org/feed/",
                "Quanta Magazine",
                &["Science"]
            ),
        ]
    );
    round_trip(&config, &dir);
}

#[test]
fn feedly_export_merges_a_feed_listed_in_two_folders() {
    let dir = scratch("opml-feedly");
    let config = dir.join("feeds.toml");
    let (stdout, _) = import(&config, &fixture("feedly.opml"));
    assert!(
        stdout.contains("listed more than once, imported once with every listing's tags: https://news.ycombinator.com/rss"),
        "{stdout}"
    );
    assert_eq!(
        rows(&load(&config)),
        vec![
            row(
                "https://www.theverge.com/rss/index.xml",
                "The Verge",
                &["Tech"]
            ),
            row(
                "https://news.ycombinator.com/rss",
                "Hacker News",
                &["Tech", "Must Read"]
            ),
            row(
                "https://www.nasa.gov/feeds/iotd-feed/",
                "NASA Image of the Day",
                &["Must Read"]
            ),
            row(
                "http://feeds.feedburner.com/smittenkitchen",
                "Smitten Kitchen",
                &["Cooking"]
            ),
        ]
    );
    round_trip(&config, &dir);
}

#[test]
fn netnewswire_export() {
    let dir = scratch("opml-nnw");
    let config = dir.join("feeds.toml");
    import(&config, &fixture("netnewswire.opml"));
    assert_eq!(
        rows(&load(&config)),
        vec![
            row(
                "https://daringfireball.net/feeds/main",
                "Daring Fireball",
                &[]
            ),
            row("https://feedpress.me/sixcolors", "Six Colors", &["Apple"]),
            row(
                "https://netnewswire.blog/feed.json",
                "NetNewsWire News",
                &["Apple"]
            ),
            row(
                "https://inessential.com/feed.json",
                "inessential",
                &["Friends & Family"]
            ),
        ]
    );
    round_trip(&config, &dir);
}

#[test]
fn deviations_are_read_and_reported() {
    let dir = scratch("opml-deviations");
    let config = dir.join("feeds.toml");
    let (stdout, stderr) = import(&config, &fixture("deviations.opml"));
    assert!(stderr.contains("not well-formed XML"), "{stderr}");
    assert!(stdout.contains("skipped gopher://"), "{stdout}");
    // Outlines that are not feeds are listed too, not dropped in silence.
    assert!(
        stdout.contains("skipped https://links.example.com/: an outline of type=\"link\""),
        "{stdout}"
    );
    assert!(
        stdout.contains("skipped A note: remember to re-subscribe to the podcast: "),
        "{stdout}"
    );
    assert!(stdout.contains("3 skipped"), "{stdout}");
    assert_eq!(
        rows(&load(&config)),
        vec![
            row(
                "https://cafe.example.com/atom?cat=1&page=2",
                "Café Society",
                &["Reading"]
            ),
            row(
                "http://qa.example.com/rss",
                "Q&A Weekly",
                &["Reading", "Deep", "Deeper", "Tech/Linux", "howto"]
            ),
            row("https://loud.example.com/feed", "Shouting", &[]),
        ]
    );
    round_trip(&config, &dir);
}

#[test]
fn import_into_a_hand_written_file_skips_what_is_there_and_keeps_the_rest() {
    let dir = scratch("opml-existing");
    let original = "\
# my feeds
[settings]
per_host_delay = \"0s\"  # loopback tests

# already have this one, spelled differently
[[feed]]
url = \"http://www.theverge.com/rss/index.xml/\"
name = \"Verge (mine)\"
interval = \"1h\"
";
    let config = dir.join("feeds.toml");
    fs::write(&config, original).expect("write");
    let (stdout, _) = import(&config, &fixture("feedly.opml"));
    assert!(
        stdout.contains("already in feeds.toml: https://www.theverge.com/rss/index.xml (line 6)"),
        "{stdout}"
    );
    assert!(stdout.contains("imported 3 feeds"), "{stdout}");
    let after = fs::read_to_string(&config).expect("read");
    assert!(after.starts_with(original), "{after}");
    let config = load(&config);
    assert_eq!(config.feeds.len(), 4);
    assert_eq!(config.feeds[0].name.as_deref(), Some("Verge (mine)"));

    // Importing the same file again adds nothing and writes nothing.
    let path = dir.join("feeds.toml");
    let before = fs::read(&path).expect("read");
    let (stdout, _) = import(&path, &fixture("feedly.opml"));
    assert!(stdout.contains("imported 0 feeds"), "{stdout}");
    assert_eq!(fs::read(&path).expect("read"), before);
}

#[test]
fn intervals_full_text_and_awkward_names_survive_a_round_trip() {
    let dir = scratch("opml-roundtrip");
    let config = dir.join("feeds.toml");
    fs::write(
        &config,
        r#"[settings]
poll_interval = "20m"

[[feed]]
url = "https://a.example/rss?x=1&y=<2>"
name = "A & B <i>\"quoted\"</i> 'single'"
interval = "1h30m"
full_text = "never"
tags = ["world", "Zürich & co", "a/b"]

[[feed]]
url = "https://b.example/feed"

[[feed]]
url = "https://c.example/feed"
name = "C"
tags = ["world"]
full_text = "always"
"#,
    )
    .expect("write");
    round_trip(&config, &dir);
    let again = load(&dir.join("again.toml"));
    let a = again
        .feeds
        .iter()
        .find(|f| f.url.as_str().starts_with("https://a.example/"))
        .expect("a");
    assert_eq!(a.interval, Some(Duration::from_secs(5400)));
    assert_eq!(a.full_text, FullText::Never);
    assert_eq!(a.tags, vec!["world", "Zürich & co", "a/b"]);
}

#[test]
fn export_of_no_feeds_is_valid_and_errors_are_clear() {
    let dir = scratch("opml-errors");
    let config = dir.join("feeds.toml");
    fs::write(&config, "[settings]\n").expect("write");
    let out = feedsift(&config, &["feeds", "export"]);
    assert_eq!(out.status.code(), Some(0));
    check_opml2(&out.stdout);

    let not_opml = dir.join("feed.xml");
    fs::write(&not_opml, "<rss version=\"2.0\"><channel/></rss>").expect("write");
    let out = feedsift(&config, &["feeds", "import", &not_opml.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("not an OPML document"));

    let out = feedsift(&config, &["feeds", "import", "/nonexistent/subs.opml"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(fs::read_to_string(&config).expect("read"), "[settings]\n");
}

/// 300 feeds in 12 folders: imported without any network access (there is
/// no server; every URL is on a reserved `.invalid` name) and quickly.
#[test]
fn large_import_does_not_fetch() {
    let dir = scratch("opml-large");
    let mut opml = String::from(
        "<?xml version=\"1.0\"?>\n<opml version=\"2.0\"><head><title>big</title></head><body>\n",
    );
    for folder in 0..12 {
        opml.push_str(&format!("<outline text=\"Folder {folder}\">\n"));
        for i in 0..25 {
            opml.push_str(&format!(
                "  <outline type=\"rss\" text=\"Feed {folder}-{i}\" xmlUrl=\"https://site{folder}-{i}.invalid/feed.xml\"/>\n"
            ));
        }
        opml.push_str("</outline>\n");
    }
    opml.push_str("</body></opml>\n");
    let file = dir.join("big.opml");
    fs::write(&file, opml).expect("write");
    let config = dir.join("feeds.toml");
    let started = Instant::now();
    let (stdout, _) = import(&config, &file);
    // Generous: a fetching import would take minutes (300 DNS failures).
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert!(stdout.contains("imported 300 feeds"), "{stdout}");
    let config = load(&config);
    assert_eq!(config.feeds.len(), 300);
    assert_eq!(config.feeds[299].tags, vec!["Folder 11"]);
}
