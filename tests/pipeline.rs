//! End to end: the real binary polls feeds served on loopback, fetches and
//! extracts the pages, and writes a real SQLite file.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::site::{self, STORIES, Story};
use common::{Reply, Server, count, db, feedsift, scratch, write_config};

fn serve_story(server: &Server, path: &str, story: &Story) {
    server.route(
        path,
        Reply::html(story.page(&server.url(path))).with_etag(&format!("\"{}\"", story.slug)),
    );
}

/// Serves each story at `{dir}{slug}.html`; returns `(guid, link, story)`
/// with guids `{guid_prefix}{slug}`.
fn serve_stories<'a>(
    server: &Server,
    stories: &'a [Story],
    guid_prefix: &str,
    dir: &str,
) -> Vec<(String, String, &'a Story)> {
    stories
        .iter()
        .map(|s| {
            let path = format!("{dir}{}.html", s.slug);
            serve_story(server, &path, s);
            (format!("{guid_prefix}{}", s.slug), server.url(&path), s)
        })
        .collect()
}

/// The borrowed form the feed builders in `site` take.
fn as_refs<'a>(items: &'a [(String, String, &'a Story)]) -> Vec<(&'a str, &'a str, &'a Story)> {
    items
        .iter()
        .map(|(g, l, s)| (g.as_str(), l.as_str(), *s))
        .collect()
}

fn assert_clean_text(text: &str, story: &Story) {
    assert_eq!(
        text.trim(),
        story.text(),
        "stored text is not exactly the article"
    );
    for junk in site::BOILERPLATE {
        assert!(!text.contains(junk), "boilerplate {junk:?} kept");
    }
}

#[test]
fn first_poll_stores_the_articles_and_second_poll_is_conditional() {
    let dir = scratch("first-second");
    let server = Server::start("127.0.0.1");
    let items = serve_stories(&server, STORIES, "urn:herald:", "/news/");
    let refs = as_refs(&items);
    server.route(
        "/rss.xml",
        Reply::ok("application/rss+xml", site::rss(&refs))
            .with_etag("\"feed-v1\"")
            .with_header("Last-Modified", "Fri, 20 Nov 2026 08:30:00 GMT"),
    );
    let config = write_config(&dir, &[&server.url("/rss.xml")], "");

    let out = feedsift(&config, &["poll", "--all"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains("4 new"), "{summary}");

    let conn = db(&dir);
    assert_eq!(count(&conn, "SELECT count(*) FROM articles"), 4);
    assert_eq!(count(&conn, "SELECT count(*) FROM stories"), 4);
    assert_eq!(count(&conn, "SELECT count(*) FROM article_sources"), 4);
    for (guid, link, story) in &items {
        let (url, title, text, status, published): (String, String, String, String, String) = conn
            .query_row(
                "SELECT a.url, a.title, a.text, a.extract_status, a.published_at FROM articles a
                 JOIN article_sources s ON s.article_id = a.id WHERE s.entry_id = ?1",
                [guid],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap();
        assert_eq!(&url, link);
        assert_eq!(title, story.title);
        assert_eq!(status, "ok");
        assert_eq!(published, "2026-11-20T08:30:00Z");
        assert_clean_text(&text, story);
    }
    let (etag, last_modified, error_count): (String, String, i64) = conn
        .query_row(
            "SELECT etag, last_modified, error_count FROM feeds",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(etag, "\"feed-v1\"");
    assert_eq!(last_modified, "Fri, 20 Nov 2026 08:30:00 GMT");
    assert_eq!(error_count, 0);
    // Full-text search sees the stored text.
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'couchette'"
        ),
        1
    );

    server.clear_seen();
    let out = feedsift(&config, &["poll", "--all"]);
    assert!(out.status.success());
    let seen = server.seen();
    let feed_requests: Vec<_> = seen.iter().filter(|s| s.path == "/rss.xml").collect();
    assert_eq!(feed_requests.len(), 1);
    assert_eq!(
        feed_requests[0]
            .headers
            .get("if-none-match")
            .map(String::as_str),
        Some("\"feed-v1\"")
    );
    assert_eq!(
        feed_requests[0]
            .headers
            .get("if-modified-since")
            .map(String::as_str),
        Some("Fri, 20 Nov 2026 08:30:00 GMT")
    );
    assert_eq!(seen.len(), 1, "no page is fetched again: {seen:?}");
    assert_eq!(count(&conn, "SELECT count(*) FROM articles"), 4);
    assert_eq!(count(&conn, "SELECT count(*) FROM article_sources"), 4);
}

#[test]
fn one_page_in_two_feeds_is_one_article_with_two_sources() {
    let dir = scratch("two-feeds");
    let server = Server::start("127.0.0.1");
    let story = &STORIES[1];
    let link = server.url("/2026/11/seed-bank.html");
    serve_story(&server, "/2026/11/seed-bank.html", story);
    let tracked = format!("{link}?utm_source=newsletter&utm_medium=email&fbclid=abc123");
    server.route(
        "/rss.xml",
        Reply::ok("application/rss+xml", site::rss(&[("g-1", &link, story)])),
    );
    server.route(
        "/atom.xml",
        Reply::ok(
            "application/atom+xml",
            site::atom(&[("tag:wire,1", &tracked, story)]),
        ),
    );
    server.route(
        "/feed.json",
        Reply::ok(
            "application/feed+json",
            site::json_feed(&[("j-1", &link, story)]),
        ),
    );
    let config = write_config(
        &dir,
        &[
            &server.url("/rss.xml"),
            &server.url("/atom.xml"),
            &server.url("/feed.json"),
        ],
        "",
    );

    let out = feedsift(&config, &["poll", "--all"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let conn = db(&dir);
    assert_eq!(count(&conn, "SELECT count(*) FROM articles"), 1);
    assert_eq!(count(&conn, "SELECT count(*) FROM article_sources"), 3);
    assert_eq!(
        count(&conn, "SELECT count(DISTINCT feed_id) FROM article_sources"),
        3
    );
    let canonical: String = conn
        .query_row("SELECT canonical_url FROM articles", [], |r| r.get(0))
        .unwrap();
    assert_eq!(canonical, link);
    let entry_urls: Vec<String> = conn
        .prepare("SELECT entry_url FROM article_sources ORDER BY entry_url")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        entry_urls.contains(&tracked),
        "the sighting keeps the URL as the feed gave it"
    );
    // The three feeds were polled at once, yet the page was fetched once,
    // and without the tracking parameters.
    let page_fetches: Vec<String> = server
        .seen()
        .into_iter()
        .map(|s| s.path)
        .filter(|p| p.starts_with("/2026/11/seed-bank.html"))
        .collect();
    assert_eq!(page_fetches, vec!["/2026/11/seed-bank.html".to_string()]);
}

#[test]
fn failing_feeds_are_recorded_and_do_not_hold_up_the_others() {
    let dir = scratch("failing");
    let server = Server::start("127.0.0.1");
    let story = &STORIES[2];
    let link = server.url("/trains.html");
    serve_story(&server, "/trains.html", story);
    server.route(
        "/good.xml",
        Reply::ok("application/rss+xml", site::rss(&[("t-1", &link, story)])),
    );
    server.route("/broken.xml", Reply::status(500));
    server.route(
        "/invalid.xml",
        // The feed URL now serves a web page: no repair makes that a feed.
        Reply::ok(
            "application/rss+xml",
            "<!DOCTYPE html><html><head><title>Moved</title></head><body><p>We moved.</p></body></html>",
        )
        .with_etag("\"bad\""),
    );
    server.route(
        "/slow.xml",
        Reply::ok("application/rss+xml", site::rss(&[])).with_delay(Duration::from_secs(4)),
    );
    let urls = [
        server.url("/broken.xml"),
        server.url("/invalid.xml"),
        server.url("/good.xml"),
        server.url("/slow.xml"),
    ];
    let config = write_config(
        &dir,
        &urls.iter().map(String::as_str).collect::<Vec<_>>(),
        "request_timeout = \"2s\"",
    );

    let started = Instant::now();
    let out = feedsift(&config, &["poll", "--all"]);
    // Some feeds failed: exit 3, the others stored.
    assert!(
        out.status.code() == Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The 500 is retried within the poll (1 s + 2 s backoff): three attempts.
    assert_eq!(server.hits("/broken.xml"), 3);
    assert!(started.elapsed() < Duration::from_secs(30));
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains("1 ok") && summary.contains("3 failed"),
        "{summary}"
    );

    let conn = db(&dir);
    assert_eq!(count(&conn, "SELECT count(*) FROM articles"), 1);
    let state = |url: &str| -> (i64, Option<String>, Option<String>) {
        conn.query_row(
            "SELECT error_count, last_error, etag FROM feeds WHERE url = ?1",
            [url],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    };
    let (errors, last_error, _) = state(&urls[0]);
    assert_eq!(errors, 1);
    assert!(last_error.unwrap().contains("HTTP 500"));
    let (errors, last_error, etag) = state(&urls[1]);
    assert_eq!(errors, 1);
    assert!(last_error.unwrap().contains("parse"));
    assert_eq!(
        etag, None,
        "validators of an unparsable response are never kept"
    );
    let (errors, last_error, _) = state(&urls[3]);
    assert_eq!(errors, 1);
    assert!(
        last_error
            .unwrap()
            .contains("no complete response within 2s")
    );
    let (errors, last_error, _) = state(&urls[2]);
    assert_eq!((errors, last_error), (0, None));

    // Fixed upstream: the next poll recovers and resets the error count.
    server.route(
        "/broken.xml",
        Reply::ok("application/rss+xml", site::rss(&[])),
    );
    let out = feedsift(&config, &["poll", "--all"]);
    assert_eq!(out.status.code(), Some(3), "the other feeds still fail");
    assert_eq!(state(&urls[0]).0, 0);
    assert_eq!(state(&urls[1]).0, 2);
}

#[test]
fn feed_content_is_used_when_it_is_the_article_and_pages_that_fail_are_kept_from_the_feed() {
    let dir = scratch("feed-content");
    let server = Server::start("127.0.0.1");
    let long_text: String = STORIES
        .iter()
        .flat_map(|s| s.paragraphs.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    let full = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1", "title": "Full text",
        "items": [
            {"id": "full-1", "url": server.url("/full.html"), "title": "Everything at once",
             "content_html": format!("<p>{}</p>", site::html_escape(&long_text))},
            {"id": "gone-1", "url": server.url("/gone.html"), "title": "Not there", "content_text": "A teaser."},
            {"id": "down-1", "url": server.url("/down.html"), "title": "Server trouble", "content_text": "Short teaser text."}
        ]
    });
    server.route(
        "/feed.json",
        Reply::ok("application/feed+json", full.to_string()),
    );
    server.route("/down.html", Reply::status(503));
    let config = write_config(&dir, &[&server.url("/feed.json")], "");

    let out = feedsift(&config, &["poll", "--all"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        server.hits("/full.html"),
        0,
        "a feed carrying the whole article needs no page fetch"
    );
    let conn = db(&dir);
    let row = |entry: &str| -> Option<(String, String)> {
        conn.query_row(
            "SELECT a.extract_status, a.text FROM articles a JOIN article_sources s ON s.article_id = a.id
             WHERE s.entry_id = ?1",
            [entry],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok()
    };
    let (status, text) = row("full-1").unwrap();
    assert_eq!(status, "from_feed");
    assert_eq!(
        text.split_whitespace().count(),
        long_text.split_whitespace().count()
    );
    // 404: not a story yet; the entry waits for a retry instead.
    assert_eq!(row("gone-1"), None);
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM pending_entries WHERE entry_id = 'gone-1' AND next_attempt_at IS NOT NULL"
        ),
        1
    );
    // 503 (after retries within the poll): the feed's teaser is kept now, the page retried later.
    let (status, text) = row("down-1").unwrap();
    assert!(status.starts_with("fetch_failed: HTTP 503"), "{status}");
    assert_eq!(text, "Short teaser text.");
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM pending_entries WHERE entry_id = 'down-1'"
        ),
        1
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM stories"), 2);
}

#[test]
fn killed_mid_poll_and_restarted_stores_every_article_exactly_once() {
    let dir = scratch("sigkill");
    let server = Server::start("127.0.0.1");
    // 24 entries whose pages each take 150 ms: a poll long enough to kill.
    let mut items = Vec::new();
    for i in 0..24 {
        let story = &STORIES[i % STORIES.len()];
        let path = format!("/p/{i}-{}.html", story.slug);
        let body = story
            .page(&server.url(&path))
            .replace("<h1>", &format!("<h1>Part {i}: "));
        let body = body.replace(
            "</p>\n</div>",
            &format!("</p>\n<p>Edition number {i} of this report.</p>\n</div>"),
        );
        server.route(
            &path,
            Reply::html(body).with_delay(Duration::from_millis(150)),
        );
        items.push((format!("guid-{i}"), server.url(&path), story));
    }
    let refs = as_refs(&items);
    server.route(
        "/rss.xml",
        Reply::ok("application/rss+xml", site::rss(&refs)).with_etag("\"big\""),
    );
    let config = write_config(&dir, &[&server.url("/rss.xml")], "per_host_concurrency = 1");

    let mut child = Command::new(common::bin())
        .arg("--config")
        .arg(&config)
        .args(["poll", "--all"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill once some pages have been fetched but well before all of them.
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.seen().len() < 8 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        server.seen().len() < 25,
        "the poll finished before it was killed"
    );
    {
        let conn = db(&dir);
        let ok: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
        // Nothing of the interrupted poll was committed, validators included.
        assert_eq!(count(&conn, "SELECT count(*) FROM articles"), 0);
        assert_eq!(
            count(&conn, "SELECT count(*) FROM feeds WHERE etag IS NOT NULL"),
            0
        );
    }

    let out = feedsift(&config, &["poll", "--all"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = feedsift(&config, &["poll", "--all"]);
    assert!(out.status.success());
    let conn = db(&dir);
    assert_eq!(count(&conn, "SELECT count(*) FROM articles"), 24);
    assert_eq!(
        count(&conn, "SELECT count(DISTINCT canonical_url) FROM articles"),
        24
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM article_sources"), 24);
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM articles WHERE extract_status = 'ok'"
        ),
        24
    );
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
}

#[test]
fn check_reports_config_errors_with_file_line_and_column() {
    let dir = scratch("check");
    let config = dir.join("feeds.toml");
    std::fs::write(&config, "[settings]\npoll_interval = \"15m\"\n\n[[feed]]\nurl = \"https://a.example/rss\"\nintervall = \"5m\"\n")
        .unwrap();
    let out = feedsift(&config, &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:6:1:", config.display())), "{err}");
    assert!(err.contains("intervall"), "{err}");

    std::fs::write(&config, "[[feed]]\nurl = \"https://a.example/rss\"\n").unwrap();
    let out = feedsift(&config, &["check"]);
    assert_eq!(out.status.code(), Some(0));
    // A config error stops `poll` too, with exit code 2.
    std::fs::write(&config, "[[feed]]\nurl = 3\n").unwrap();
    assert_eq!(feedsift(&config, &["poll", "--all"]).status.code(), Some(2));
}

#[test]
fn a_truncated_feed_keeps_its_complete_items_but_not_its_validators() {
    let dir = scratch("truncated");
    let server = Server::start("127.0.0.1");
    let items = serve_stories(&server, &STORIES[..3], "t-", "/t/");
    let refs = as_refs(&items);
    let whole = site::rss(&refs);
    // Cut inside the third item, as a dropped connection or a full disk on
    // the server does.
    let third = whole.find("<item><title>Night train").unwrap();
    let cut = whole[..third + 40].to_string();
    server.script(
        "/rss.xml",
        vec![
            Reply::ok("application/rss+xml", cut).with_etag("\"cut\""),
            Reply::ok("application/rss+xml", whole).with_etag("\"whole\""),
        ],
    );
    let config = write_config(&dir, &[&server.url("/rss.xml")], "");

    assert!(feedsift(&config, &["poll", "--all"]).status.success());
    let conn = db(&dir);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM articles"),
        2,
        "the two complete items are salvaged"
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM feeds WHERE etag IS NULL AND error_count = 0"
        ),
        1
    );
    let warning: String = conn
        .query_row("SELECT last_error FROM feeds", [], |r| r.get(0))
        .unwrap();
    assert!(warning.contains("repaired"), "{warning}");

    server.clear_seen();
    assert!(feedsift(&config, &["poll", "--all"]).status.success());
    let feed_request = server
        .seen()
        .into_iter()
        .find(|s| s.path == "/rss.xml")
        .unwrap();
    assert_eq!(
        feed_request.headers.get("if-none-match"),
        None,
        "the cut response's ETag was not kept"
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM articles"), 3);
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM feeds WHERE etag = '\"whole\"' AND last_error IS NULL"
        ),
        1
    );
}
