//! Everyday use (issue 14 part 2) end to end on loopback, with the real
//! binary and a real SQLite file: per-feed filters, the schedule as
//! `status` and `feeds list` show it, `poll --feed`, `extract URL`, and
//! per-feed request options on article pages.

mod common;

use std::path::{Path, PathBuf};

use common::site::{self, STORIES, Story};
use common::{Reply, Server, count, db, feedsift, scratch};

fn serve_story(server: &Server, path: &str, story: &Story) -> String {
    server.route(path, Reply::html(story.page(&server.url(path))));
    server.url(path)
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// feeds.toml with fast test settings; `feeds` is the `[[feed]]` tables.
fn config(dir: &std::path::Path, feeds: &str) -> std::path::PathBuf {
    let toml = format!(
        "[settings]\ndatabase = \"feedsift.db\"\nper_host_delay = \"0s\"\nrespect_robots = false\n\n{feeds}"
    );
    let path = dir.join("feeds.toml");
    std::fs::write(&path, toml).expect("write feeds.toml");
    path
}

#[test]
fn filters_drop_entries_before_their_page_or_on_its_text_and_record_them_once() {
    let dir = scratch("everyday-filter");
    let server = Server::start("127.0.0.1");
    let links: Vec<String> = STORIES
        .iter()
        .map(|s| serve_story(&server, &format!("/news/{}.html", s.slug), s))
        .collect();
    let items: Vec<(String, &str, &Story)> = STORIES
        .iter()
        .zip(&links)
        .map(|(s, l)| (format!("urn:{}", s.slug), l.as_str(), s))
        .collect();
    let refs: Vec<(&str, &str, &Story)> =
        items.iter().map(|(g, l, s)| (g.as_str(), *l, *s)).collect();
    // The library story is tagged Gardening.
    let rss = site::rss(&refs).replacen(
        "<item><title>Village library",
        "<item><category>Gardening</category><title>Village library",
        1,
    );
    server.route("/feed.xml", Reply::ok("application/rss+xml", rss));
    let config = config(
        &dir,
        &format!(
            "[[feed]]\nurl = \"{}\"\n[feed.filter]\nexclude = [\n  {{ title = '(?i)\\bcranes\\b' }},\n  {{ tag = '^Gardening$' }},\n  {{ text = '(?i)sleeping cars' }},\n]\n",
            server.url("/feed.xml")
        ),
    );

    let out = feedsift(&config, &["poll", "--all"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 new") && stdout(&out).contains("entries filtered: 3"),
        "{}",
        stdout(&out)
    );
    let conn = db(&dir);
    // Only the river story is an article.
    let titles: Vec<String> = conn
        .prepare("SELECT title FROM articles")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(titles, [STORIES[3].title]);
    assert_eq!(count(&conn, "SELECT count(*) FROM stories"), 1);
    let reasons: Vec<(String, String)> = conn
        .prepare("SELECT entry_id, reason FROM filtered_entries ORDER BY entry_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(
        reasons[0].0.contains("harbour")
            && reasons[0].1.contains("title ~")
            && reasons[0].1.contains("(line 10)"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].0.contains("library") && reasons[1].1.contains("tag ~"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].0.contains("night-train") && reasons[2].1.contains("text ~"),
        "{reasons:?}"
    );
    // What the title and tag rules dropped was never requested; the text
    // rule needed the page.
    let path = |i: usize| format!("/news/{}.html", STORIES[i].slug);
    assert_eq!(server.hits(&path(0)), 0);
    assert_eq!(server.hits(&path(1)), 0);
    assert_eq!(server.hits(&path(2)), 1);
    assert_eq!(server.hits(&path(3)), 1);

    // The next poll decides nothing again and fetches no page.
    let out = feedsift(&config, &["poll", "--all"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stdout(&out).contains("filtered"), "{}", stdout(&out));
    assert_eq!(server.hits(&path(2)), 1);
    assert_eq!(count(&conn, "SELECT count(*) FROM filtered_entries"), 3);
    assert_eq!(count(&conn, "SELECT count(*) FROM articles"), 1);
}

#[test]
fn a_feeds_request_options_reach_its_article_pages_on_its_origin_only() {
    let dir = scratch("everyday-page-options");
    let home = Server::start("127.0.0.1");
    let elsewhere = Server::start("127.0.0.2");
    let own = serve_story(&home, "/members/cranes.html", &STORIES[0]);
    let other = serve_story(&elsewhere, "/library.html", &STORIES[1]);
    let rss = site::rss(&[
        ("urn:a", own.as_str(), &STORIES[0]),
        ("urn:b", other.as_str(), &STORIES[1]),
    ]);
    home.route("/feed.xml", Reply::ok("application/rss+xml", rss));
    std::fs::write(dir.join("member.pw"), "s3cret\n").expect("password file");
    let config = config(
        &dir,
        &format!(
            "[[feed]]\nurl = \"{}\"\nfull_text = \"always\"\n[feed.http]\nheaders = {{ \"X-Member\" = \"42\" }}\nusername = \"alice\"\npassword_file = \"member.pw\"\nuser_agent = \"members-reader/1\"\n",
            home.url("/feed.xml")
        ),
    );
    let out = feedsift(&config, &["poll", "--all"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("2 new"), "{}", stdout(&out));
    // alice:s3cret
    let basic = "Basic YWxpY2U6czNjcmV0";
    let page = home
        .seen()
        .into_iter()
        .find(|s| s.path == "/members/cranes.html")
        .expect("the page on the feed's origin was fetched");
    assert_eq!(
        page.headers.get("authorization").map(String::as_str),
        Some(basic)
    );
    assert_eq!(page.headers.get("x-member").map(String::as_str), Some("42"));
    assert_eq!(
        page.headers.get("user-agent").map(String::as_str),
        Some("members-reader/1")
    );
    let away = elsewhere
        .seen()
        .into_iter()
        .find(|s| s.path == "/library.html")
        .expect("the page on another host was fetched");
    assert!(
        !away.headers.contains_key("authorization"),
        "{:?}",
        away.headers
    );
    assert!(!away.headers.contains_key("x-member"), "{:?}", away.headers);
    assert_eq!(
        away.headers.get("user-agent").map(String::as_str),
        Some("members-reader/1")
    );
    // Nothing of the secret in the database.
    let conn = db(&dir);
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM articles WHERE text LIKE '%s3cret%' OR url LIKE '%s3cret%'"
        ),
        0
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM articles"), 2);
}

#[test]
fn poll_feed_polls_that_feed_only_and_fails_when_it_fails() {
    let dir = scratch("everyday-poll-feed");
    let server = Server::start("127.0.0.1");
    let one = serve_story(&server, "/one.html", &STORIES[0]);
    let two = serve_story(&server, "/two.html", &STORIES[1]);
    server.route(
        "/a.xml",
        Reply::ok(
            "application/rss+xml",
            site::rss(&[("urn:one", one.as_str(), &STORIES[0])]),
        ),
    );
    server.route(
        "/b.xml",
        Reply::ok(
            "application/rss+xml",
            site::rss(&[("urn:two", two.as_str(), &STORIES[1])]),
        ),
    );
    server.route("/broken.xml", Reply::status(500));
    let config = config(
        &dir,
        &format!(
            "[[feed]]\nurl = \"{}\"\n\n[[feed]]\nurl = \"{}\"\n\n[[feed]]\nurl = \"{}\"\n",
            server.url("/a.xml"),
            server.url("/b.xml"),
            server.url("/broken.xml")
        ),
    );
    // Another spelling of the second feed's URL (a trailing fragment).
    let spelled = format!("{}#latest", server.url("/b.xml"));
    let out = feedsift(&config, &["poll", "--feed", &spelled]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 ok") && stdout(&out).contains("1 new"),
        "{}",
        stdout(&out)
    );
    assert_eq!(server.hits("/a.xml"), 0);
    assert_eq!(server.hits("/b.xml"), 1);
    let conn = db(&dir);
    let titles: Vec<String> = conn
        .prepare("SELECT title FROM articles")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(titles, [STORIES[1].title]);
    // Every feed is mirrored, only one was polled.
    assert_eq!(count(&conn, "SELECT count(*) FROM feeds"), 3);
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM feeds WHERE last_polled_at IS NOT NULL"
        ),
        1
    );

    // Not a configured feed: a usage error that says how to add it.
    let out = feedsift(&config, &["poll", "--feed", &server.url("/c.xml")]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not a feed of") && stderr(&out).contains("feeds add"),
        "{}",
        stderr(&out)
    );

    // A failing feed: the summary, then the error and exit 1.
    let out = feedsift(&config, &["poll", "--feed", &server.url("/broken.xml")]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stdout(&out).contains("1 failed"), "{}", stdout(&out));
    assert!(stderr(&out).contains("HTTP 500"), "{}", stderr(&out));

    // --all and --feed are one or the other.
    let out = feedsift(&config, &["poll", "--all", "--feed", &spelled]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = feedsift(&config, &["poll"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn extract_url_fetches_like_the_daemon_with_robots_rules_and_origin_options() {
    let dir = scratch("everyday-extract-url");
    let server = Server::start("127.0.0.1");
    let page = serve_story(&server, "/news/cranes.html", &STORIES[0]);
    serve_story(&server, "/private/library.html", &STORIES[1]);
    server.route(
        "/robots.txt",
        Reply::ok("text/plain", "User-agent: *\nDisallow: /private/\n"),
    );
    // No feeds.toml: the defaults, robots.txt respected.
    let missing = dir.join("none.toml");
    let out = feedsift(&missing, &["extract", &page]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), STORIES[0].text());
    for junk in site::BOILERPLATE {
        assert!(!stdout(&out).contains(junk), "boilerplate {junk:?}");
    }
    let out = feedsift(&missing, &["extract", "--json", &page]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(json["title"], STORIES[0].title);
    assert_eq!(json["canonical_url"], page);
    assert_eq!(json["extract_status"], "ok");
    assert_eq!(json["text"], STORIES[0].text());
    assert!(
        json["word_count"].as_u64().is_some_and(|n| n > 50),
        "{json}"
    );
    let blocked = server.url("/private/library.html");
    let out = feedsift(&missing, &["extract", &blocked]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("robots.txt"), "{}", stderr(&out));
    assert_eq!(server.hits("/private/library.html"), 0);

    // A feed on the page's origin lends its request options and its
    // extraction rules.
    std::fs::write(dir.join("token"), "t0ken\n").expect("token file");
    let config = config(
        &dir,
        &format!(
            "[[feed]]\nurl = \"{}\"\n[feed.http]\ntoken_file = \"token\"\n[feed.extract]\nremove = [\".story-body p:first-child\"]\n",
            server.url("/feed.xml")
        ),
    );
    server.clear_seen();
    let out = feedsift(&config, &["extract", "--json", &page]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let seen = server
        .seen()
        .into_iter()
        .find(|s| s.path == "/news/cranes.html")
        .expect("fetched");
    assert_eq!(
        seen.headers.get("authorization").map(String::as_str),
        Some("Bearer t0ken")
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let text = json["text"].as_str().unwrap_or_default();
    assert!(!text.contains(STORIES[0].paragraphs[0]), "{text}");
    assert!(text.contains(STORIES[0].paragraphs[1]), "{text}");
    // Nothing was written: extract keeps no database.
    assert!(!dir.join("feedsift.db").exists());
}

/// An RSS feed with `n` items published a day apart.
fn daily_feed(n: usize) -> String {
    let items: String = (0..n)
        .map(|i| {
            let day = chrono::Utc::now() - chrono::Duration::days(i as i64);
            format!(
                "<item><title>Day {i}</title><guid>d{i}</guid><description>{}</description><pubDate>{}</pubDate></item>",
                "Word ".repeat(200),
                day.to_rfc2822()
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Daily</title>{items}</channel></rss>"
    )
}

#[test]
fn status_and_feeds_list_show_the_schedule_alike_with_the_adapted_interval() {
    let dir = scratch("everyday-schedule");
    let server = Server::start("127.0.0.1");
    server.route(
        "/daily.xml",
        Reply::ok("application/rss+xml", daily_feed(6)),
    );
    server.route(
        "/pinned.xml",
        Reply::ok("application/rss+xml", daily_feed(6)),
    );
    let config = config(
        &dir,
        &format!(
            "[[feed]]\nurl = \"{}\"\nname = \"Daily\"\nmax_interval = \"3h\"\n\n[[feed]]\nurl = \"{}\"\nname = \"Pinned\"\ninterval = \"30m\"\n",
            server.url("/daily.xml"),
            server.url("/pinned.xml")
        ),
    );
    // Before any poll: where the feeds start.
    let out = feedsift(&config, &["feeds", "list"]);
    assert!(
        stdout(&out).contains("adaptive, now 15m, bounds 5m\u{2013}3h"),
        "{}",
        stdout(&out)
    );
    let out = feedsift(&config, &["poll", "--all"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // One item a day adapts to 12 h, held at the feed's 3 h cap.
    let adapted = "adaptive, now 3h, bounds 5m\u{2013}3h";
    let out = feedsift(&config, &["status"]);
    let table = stdout(&out);
    let row = |name: &str| {
        table
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        table.lines().next().is_some_and(|h| h.contains("SCHEDULE")),
        "{table}"
    );
    assert!(row("Daily").contains(adapted), "{table}");
    assert!(row("Pinned").contains("pinned 30m"), "{table}");
    let out = feedsift(&config, &["feeds", "list"]);
    let list = stdout(&out);
    assert!(
        list.lines()
            .any(|l| l.starts_with("Daily") && l.contains(adapted)),
        "{list}"
    );
    assert!(
        list.lines()
            .any(|l| l.starts_with("Pinned") && l.contains("pinned 30m")),
        "{list}"
    );
    let out = feedsift(&config, &["feeds", "list", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json[0]["current_interval_secs"], 3 * 3600);
    // --db (and so --system) names the database feeds list reads too.
    // The database moves with its WAL: the last commit may still be there.
    let moved = dir.join("moved.db");
    let move_db = |from: &Path, to: &Path| {
        for suffix in ["", "-wal", "-shm"] {
            let from = PathBuf::from(format!("{}{suffix}", from.display()));
            if from.exists() {
                let to = PathBuf::from(format!("{}{suffix}", to.display()));
                std::fs::rename(&from, &to).expect("move the database");
            }
        }
    };
    move_db(&dir.join("feedsift.db"), &moved);
    let out = feedsift(&config, &["feeds", "list"]);
    assert!(!stdout(&out).contains(adapted), "{}", stdout(&out));
    let db_arg = moved.to_string_lossy().into_owned();
    let out = feedsift(&config, &["--db", &db_arg, "feeds", "list"]);
    assert!(stdout(&out).contains(adapted), "{}", stdout(&out));
    move_db(&moved, &dir.join("feedsift.db"));
    let out = feedsift(&config, &["status", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["feeds"][0]["schedule"], adapted);
    assert_eq!(json["feeds"][0]["interval_secs"], 3 * 3600);
    // The next poll is within the cap, not the 12 h the rate suggests.
    let next = json["feeds"][0]["next_poll_at"]
        .as_str()
        .expect("next poll");
    let next = chrono::DateTime::parse_from_rfc3339(next).expect("RFC 3339");
    let wait = next.with_timezone(&chrono::Utc) - chrono::Utc::now();
    assert!(wait <= chrono::Duration::hours(3), "{wait}");
    assert!(wait >= chrono::Duration::minutes(160), "{wait}");
}

#[test]
fn after_poll_all_exits_the_database_file_alone_holds_every_article() {
    let dir = scratch("everyday-file-alone");
    let server = Server::start("127.0.0.1");
    let one = serve_story(&server, "/one.html", &STORIES[0]);
    let two = serve_story(&server, "/two.html", &STORIES[1]);
    server.route(
        "/feed.xml",
        Reply::ok(
            "application/rss+xml",
            site::rss(&[
                ("urn:one", one.as_str(), &STORIES[0]),
                ("urn:two", two.as_str(), &STORIES[1]),
            ]),
        ),
    );
    let config = config(
        &dir,
        &format!("[[feed]]\nurl = \"{}\"\n", server.url("/feed.xml")),
    );
    let out = feedsift(&config, &["poll", "--all"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Copied without its -wal and -shm files, as a backup script might.
    let copy = dir.join("copy.db");
    std::fs::copy(dir.join("feedsift.db"), &copy).expect("copy the database file");
    let conn = rusqlite::Connection::open(&copy).expect("open the copy");
    assert_eq!(count(&conn, "SELECT count(*) FROM stories"), 2);
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM feeds WHERE last_polled_at IS NOT NULL"
        ),
        1
    );
}
