//! Polling end to end against failing, hostile and ordinary servers: the
//! real binary (or, where a hook is needed, the library's `poll_all`) polls
//! feeds served on loopback and the tests read what it left in the `feeds`
//! table: backoff, `Retry-After`, redirects, muting, charsets, robots.txt,
//! politeness, the address policy for article pages, and the schedule
//! (adaptive intervals, the feed's and server's lower bounds, jitter,
//! start-up spread).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};
use common::site::{self, STORIES, Story};
use common::{Reply, Server, count, db, feedsift, scratch};

/// Writes feeds.toml with `settings` (TOML lines) and one `[[feed]]` per
/// `(url, extra lines)`.
fn config(dir: &Path, settings: &str, feeds: &[(String, &str)]) -> PathBuf {
    let mut toml = format!("[settings]\ndatabase = \"feedsift.db\"\n{settings}\n");
    for (url, extra) in feeds {
        toml.push_str(&format!("\n[[feed]]\nurl = \"{url}\"\n{extra}\n"));
    }
    let path = dir.join("feeds.toml");
    std::fs::write(&path, toml).unwrap();
    path
}

/// Settings that keep tests fast: no per-host gap, short deadlines.
const FAST: &str = "per_host_delay = \"0s\"\nrespect_robots = false\nrequest_timeout = \"2s\"";

/// `poll --all`: exit 0, or 3 when a feed failed (as these tests make them).
fn poll(config: &Path) -> std::process::Output {
    let out = feedsift(config, &["poll", "--all"]);
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[derive(Debug)]
struct FeedRow {
    error_count: i64,
    state: String,
    state_reason: Option<String>,
    last_error: Option<String>,
    fetch_url: Option<String>,
    interval_secs: Option<i64>,
    last_polled_at: DateTime<Utc>,
    next_poll_at: DateTime<Utc>,
}

impl FeedRow {
    /// Seconds from this poll to the next.
    fn wait(&self) -> i64 {
        (self.next_poll_at - self.last_polled_at).num_seconds()
    }
}

fn feed_row(conn: &rusqlite::Connection, url: &str) -> FeedRow {
    let time = |s: String| {
        DateTime::parse_from_rfc3339(&s)
            .unwrap()
            .with_timezone(&Utc)
    };
    conn.query_row(
        "SELECT error_count, state, state_reason, last_error, fetch_url, interval_secs,
                last_polled_at, next_poll_at FROM feeds WHERE url = ?1",
        [url],
        |r| {
            Ok(FeedRow {
                error_count: r.get(0)?,
                state: r.get(1)?,
                state_reason: r.get(2)?,
                last_error: r.get(3)?,
                fetch_url: r.get(4)?,
                interval_secs: r.get(5)?,
                last_polled_at: time(r.get(6)?),
                next_poll_at: time(r.get(7)?),
            })
        },
    )
    .unwrap_or_else(|e| panic!("{url}: {e}"))
}

const EMPTY_RSS: &str = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Quiet</title>\
    <link>http://quiet.test/</link><description>x</description></channel></rss>";

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

#[test]
fn retry_after_longer_than_a_poll_waits_sets_the_next_poll_no_sooner() {
    let dir = scratch("retry-after-next");
    let server = Server::start("127.0.0.1");
    let date = SystemTime::now() + Duration::from_secs(3 * 3600);
    let date_text = httpdate::fmt_http_date(date);
    let date: DateTime<Utc> = date.into();
    let mut feeds = Vec::new();
    // Many feeds, so that a jitter that undercuts Retry-After shows.
    for i in 0..12 {
        let seconds = format!("/seconds-{i}.xml");
        server.route(
            &seconds,
            Reply::status(429).with_header("Retry-After", "7200"),
        );
        let dated = format!("/date-{i}.xml");
        server.route(
            &dated,
            Reply::status(503).with_header("Retry-After", &date_text),
        );
        feeds.push((server.url(&seconds), ""));
        feeds.push((server.url(&dated), ""));
    }
    let config = config(&dir, FAST, &feeds);
    poll(&config);
    let conn = db(&dir);
    for (url, _) in &feeds {
        let row = feed_row(&conn, url);
        assert_eq!((row.error_count, row.state.as_str()), (1, "failing"));
        if url.contains("/seconds-") {
            assert!(
                row.wait() >= 7200,
                "{url}: next poll after {} s",
                row.wait()
            );
            assert!(row.last_error.as_deref().unwrap().contains("HTTP 429"));
        } else {
            assert!(
                row.next_poll_at >= date.with_nanosecond_zero(),
                "{url}: next poll {} before Retry-After {date}",
                row.next_poll_at
            );
        }
    }
    // Waits this long are not spent inside the poll.
    assert_eq!(server.seen().len(), feeds.len());
}

trait NanosZero {
    fn with_nanosecond_zero(self) -> Self;
}

impl NanosZero for DateTime<Utc> {
    fn with_nanosecond_zero(self) -> Self {
        chrono::Timelike::with_nanosecond(&self, 0).unwrap()
    }
}

#[test]
fn failures_back_off_exponentially_up_to_a_day_and_a_success_resets_the_backoff() {
    let dir = scratch("backoff");
    let server = Server::start("127.0.0.1");
    let urls: Vec<String> = (0..4)
        .map(|i| server.url(&format!("/gone-{i}.xml")))
        .collect();
    let config = config(
        &dir,
        FAST,
        &urls.iter().map(|u| (u.clone(), "")).collect::<Vec<_>>(),
    );
    let conn = db_after(&config, &dir);
    let interval = 15 * MINUTE;
    // Timestamps are whole seconds, and a failure's wait counts from the
    // failed request, a moment after the poll started.
    let slack = 2.0;
    for failures in 1..=9i64 {
        if failures > 1 {
            poll(&config);
        }
        let base = (interval << (failures - 1)).min(DAY);
        for url in &urls {
            let row = feed_row(&conn, url);
            assert_eq!(row.error_count, failures);
            assert_eq!(row.state, "failing");
            assert!(row.last_error.as_deref().unwrap().contains("HTTP 404"));
            let wait = row.wait();
            assert!(
                wait as f64 >= base as f64 * 0.9 - slack
                    && wait as f64 <= base as f64 * 1.1 + slack,
                "failure {failures}: waits {wait} s, backoff {base} s ± 10 %"
            );
            assert!(
                wait as f64 <= DAY as f64 + slack,
                "failure {failures}: {wait} s is more than a day"
            );
        }
    }
    for i in 0..4 {
        server.route(
            &format!("/gone-{i}.xml"),
            Reply::ok("application/rss+xml", EMPTY_RSS),
        );
    }
    poll(&config);
    for url in &urls {
        let row = feed_row(&conn, url);
        assert_eq!((row.error_count, row.state.as_str()), (0, "ok"));
        assert_eq!(row.last_error, None);
        assert!((810..=990).contains(&row.wait()), "{}", row.wait());
    }
}

/// Polls once and opens the database.
fn db_after(config: &Path, dir: &Path) -> rusqlite::Connection {
    poll(config);
    db(dir)
}

#[test]
fn server_errors_back_off_too() {
    let dir = scratch("backoff-5xx");
    let server = Server::start("127.0.0.1");
    server.route("/down.xml", Reply::status(500));
    let url = server.url("/down.xml");
    let config = config(&dir, FAST, &[(url.clone(), "interval = \"10m\"")]);
    let conn = db_after(&config, &dir);
    // The wait counts from the last failed attempt, which comes ~3 s of
    // retries after the poll started (`last_polled_at`).
    let retries = 5;
    let first = feed_row(&conn, &url);
    assert_eq!(first.error_count, 1);
    assert!(
        (540..=660 + retries).contains(&first.wait()),
        "{}",
        first.wait()
    );
    poll(&config);
    let second = feed_row(&conn, &url);
    assert_eq!(second.error_count, 2);
    assert!(
        (1080..=1320 + retries).contains(&second.wait()),
        "{}",
        second.wait()
    );
    // Each poll tried three times (1 s and 2 s apart) before giving up.
    assert_eq!(server.hits("/down.xml"), 6);
}

#[test]
fn intervals_are_jittered_so_feeds_polled_together_drift_apart() {
    let dir = scratch("jitter");
    let server = Server::start("127.0.0.1");
    server.route("/quiet.xml", Reply::ok("application/rss+xml", EMPTY_RSS));
    let feeds: Vec<(String, &str)> = (0..20)
        .map(|i| (server.url(&format!("/quiet.xml?f={i}")), ""))
        .collect();
    for (url, _) in &feeds {
        let path = url.strip_prefix(&server.url("")).unwrap();
        server.route(path, Reply::ok("application/rss+xml", EMPTY_RSS));
    }
    let config = config(&dir, FAST, &feeds);
    let conn = db_after(&config, &dir);
    let waits: Vec<i64> = feeds
        .iter()
        .map(|(u, _)| feed_row(&conn, u).wait())
        .collect();
    for w in &waits {
        assert!((810..=990).contains(w), "15 min ± 10 %: {w}");
    }
    let mut distinct = waits.clone();
    distinct.sort();
    distinct.dedup();
    assert!(distinct.len() >= 10, "hardly any jitter: {waits:?}");
}

#[test]
fn permanent_redirects_are_recorded_and_used_and_temporary_ones_are_not() {
    let dir = scratch("redirects");
    let server = Server::start("127.0.0.1");
    let mut feeds = Vec::new();
    for status in [301, 308, 302, 303, 307] {
        server.route(
            &format!("/old-{status}.xml"),
            Reply::redirect(status, &format!("/new-{status}.xml")),
        );
        server.route(
            &format!("/new-{status}.xml"),
            Reply::ok("application/rss+xml", EMPTY_RSS),
        );
        feeds.push((server.url(&format!("/old-{status}.xml")), ""));
    }
    let config = config(&dir, FAST, &feeds);
    let toml_before = std::fs::read(&config).unwrap();
    let first = poll(&config);
    let conn = db(&dir);
    for status in [301, 308, 302, 303, 307] {
        let url = server.url(&format!("/old-{status}.xml"));
        let row = feed_row(&conn, &url);
        assert_eq!(row.error_count, 0, "{status}");
        let expected =
            matches!(status, 301 | 308).then(|| server.url(&format!("/new-{status}.xml")));
        assert_eq!(row.fetch_url, expected, "{status}");
    }
    assert_eq!(
        std::fs::read(&config).unwrap(),
        toml_before,
        "feeds.toml is not rewritten"
    );
    let log = String::from_utf8_lossy(&first.stderr);
    assert_eq!(log.matches("moved permanently").count(), 2, "{log}");

    server.clear_seen();
    let second = poll(&config);
    for status in [301, 308] {
        assert_eq!(server.hits(&format!("/old-{status}.xml")), 0, "{status}");
        assert_eq!(server.hits(&format!("/new-{status}.xml")), 1, "{status}");
    }
    for status in [302, 303, 307] {
        assert_eq!(server.hits(&format!("/old-{status}.xml")), 1, "{status}");
    }
    assert!(
        !String::from_utf8_lossy(&second.stderr).contains("moved permanently"),
        "the move is logged once"
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM feeds"), 5);
}

#[test]
fn too_many_redirects_and_loops_fail_the_poll() {
    let dir = scratch("redirect-limits");
    let server = Server::start("127.0.0.1");
    for i in 0..6 {
        server.route(
            &format!("/hop{i}"),
            Reply::redirect(302, &format!("/hop{}", i + 1)),
        );
    }
    server.route("/hop6", Reply::ok("application/rss+xml", EMPTY_RSS));
    server.route("/loop-a", Reply::redirect(301, "/loop-b"));
    server.route("/loop-b", Reply::redirect(301, "/loop-a"));
    let (hops, looped) = (server.url("/hop0"), server.url("/loop-a"));
    let config = config(&dir, FAST, &[(hops.clone(), ""), (looped.clone(), "")]);
    let conn = db_after(&config, &dir);
    let row = feed_row(&conn, &hops);
    assert_eq!(row.error_count, 1);
    assert!(row.last_error.unwrap().contains("more than 5 redirects"));
    let row = feed_row(&conn, &looped);
    assert_eq!(row.error_count, 1);
    assert!(row.last_error.unwrap().contains("redirect loop"));
    assert_eq!(row.fetch_url, None);
}

fn start_daemon(config: &Path) -> Child {
    Command::new(common::bin())
        .arg("--config")
        .arg(config)
        .arg("run")
        .env("RUST_LOG", "feedsift=debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// SIGTERM, then the daemon's exit status and log.
fn stop_daemon(mut child: Child) -> (std::process::ExitStatus, String) {
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the daemon did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_gone_feed_is_muted_and_the_daemon_no_longer_polls_it() {
    let dir = scratch("gone");
    let server = Server::start("127.0.0.1");
    server.route("/gone.xml", Reply::status(410));
    server.route("/fine.xml", Reply::ok("application/rss+xml", EMPTY_RSS));
    let (gone, fine) = (server.url("/gone.xml"), server.url("/fine.xml"));
    let config = config(&dir, FAST, &[(gone.clone(), ""), (fine.clone(), "")]);
    let conn = db_after(&config, &dir);
    let row = feed_row(&conn, &gone);
    assert_eq!(row.state, "muted");
    assert!(
        row.state_reason.as_deref().unwrap().contains("HTTP 410"),
        "{row:?}"
    );
    assert_eq!(server.hits("/gone.xml"), 1, "410 is not retried");

    // Both feeds are due again; the daemon polls only the live one.
    conn.execute("UPDATE feeds SET next_poll_at = NULL", [])
        .unwrap();
    server.clear_seen();
    let daemon = start_daemon(&config);
    wait_until("the live feed's poll", || server.hits("/fine.xml") >= 1);
    std::thread::sleep(Duration::from_millis(500));
    let (status, log) = stop_daemon(daemon);
    assert!(status.success(), "{log}");
    assert_eq!(server.hits("/gone.xml"), 0, "{log}");
    let state: String = conn
        .query_row("SELECT state FROM feeds WHERE url = ?1", [&gone], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(state, "muted", "a restart keeps the feed muted");
}

#[test]
fn due_feeds_are_spread_out_at_start_up_not_fired_at_once() {
    let dir = scratch("startup-spread");
    let server = Server::start("127.0.0.1");
    let feeds: Vec<(String, &str)> = (0..8)
        .map(|i| {
            let path = format!("/f{i}.xml");
            server.route(&path, Reply::ok("application/rss+xml", EMPTY_RSS));
            (server.url(&path), "")
        })
        .collect();
    let config = config(&dir, &format!("{FAST}\nper_host_concurrency = 8"), &feeds);
    let daemon = start_daemon(&config);
    wait_until("every feed's first poll", || {
        server.seen().len() >= feeds.len()
    });
    let (status, log) = stop_daemon(daemon);
    assert!(status.success(), "{log}");
    let mut starts: Vec<Instant> = server.seen().iter().map(|s| s.at).collect();
    starts.sort();
    // Fired at once, eight requests land within a few milliseconds.
    let span = starts[starts.len() - 1] - starts[0];
    assert!(span >= Duration::from_millis(400), "{span:?}");
}

#[test]
fn a_feed_declared_latin1_but_sent_as_utf8_keeps_its_titles() {
    let dir = scratch("charset");
    let server = Server::start("127.0.0.1");
    let titles = [
        "Café society returns to Zürich",
        "Déjà vu — “quoted” à la française",
        "Señora Muñoz: Ærø, Øresund & Ångström",
    ];
    let items: String = titles
        .iter()
        .enumerate()
        .map(|(i, t)| {
            format!(
                "<item><title>{}</title><guid>c-{i}</guid><description>Kurz über {}.</description></item>",
                site::html_escape(t),
                site::html_escape(t)
            )
        })
        .collect();
    let rss = format!(
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel>\
         <title>Revue für Ästhetik</title><link>http://revue.test/</link><description>x</description>{items}</channel></rss>"
    );
    server.route(
        "/mislabelled.xml",
        Reply::ok(
            "application/rss+xml; charset=ISO-8859-1",
            rss.clone().into_bytes(),
        ),
    );
    // Control: the same feed really in Latin-1 (the curly quotes and the
    // dash do not exist there, so it carries only the other titles).
    let latin1_titles = [titles[0], titles[2]];
    let latin1_items: String = latin1_titles
        .iter()
        .enumerate()
        .map(|(i, t)| {
            format!(
                "<item><title>{}</title><guid>l-{i}</guid></item>",
                site::html_escape(t)
            )
        })
        .collect();
    let latin1_doc = format!(
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss version=\"2.0\"><channel>\
         <title>Revue für Ästhetik</title><link>http://revue.test/</link><description>x</description>{latin1_items}</channel></rss>"
    );
    let latin1: Vec<u8> = latin1_doc
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    server.route(
        "/latin1.xml",
        Reply::ok("application/rss+xml; charset=ISO-8859-1", latin1),
    );
    let config = config(
        &dir,
        FAST,
        &[
            (server.url("/mislabelled.xml"), "full_text = \"never\""),
            (server.url("/latin1.xml"), "full_text = \"never\""),
        ],
    );
    let conn = db_after(&config, &dir);
    let stored: Vec<String> = conn
        .prepare("SELECT a.title FROM articles a JOIN article_sources s ON s.article_id = a.id ORDER BY s.entry_id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    // Ordered by entry id: the mislabelled feed's c-*, then the control's l-*.
    let expected: Vec<String> = titles
        .iter()
        .chain(latin1_titles.iter())
        .map(|t| t.to_string())
        .collect();
    assert_eq!(stored, expected);
    let feed_titles: Vec<String> = conn
        .prepare("SELECT title FROM feeds")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(feed_titles, vec!["Revue für Ästhetik"; 2]);
    for junk in ["Ã", "â€", "Â"] {
        assert_eq!(
            count(
                &conn,
                &format!(
                    "SELECT count(*) FROM articles WHERE title LIKE '%{junk}%' OR text LIKE '%{junk}%'"
                )
            ),
            0
        );
    }
}

fn items(server: &Server, paths: &[&str]) -> Vec<(String, String, &'static Story)> {
    items_slow(server, paths, Duration::ZERO)
}

/// Serves a distinct article page at each path (answered after `delay`)
/// and returns the feed items `(guid, link, story)` listing them.
fn items_slow(
    server: &Server,
    paths: &[&str],
    delay: Duration,
) -> Vec<(String, String, &'static Story)> {
    paths
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let story = &STORIES[i % STORIES.len()];
            let url = server.url(p);
            let page = story
                .page(&url)
                .replace("<h1>", &format!("<h1>Item {i}: "))
                .replace(
                    "</p>\n</div>",
                    &format!("</p>\n<p>Filed as {p}.</p>\n</div>"),
                );
            server.route(p, Reply::html(page).with_delay(delay));
            (format!("g-{p}"), url, story)
        })
        .collect()
}

fn rss_of(items: &[(String, String, &Story)]) -> String {
    let refs: Vec<(&str, &str, &Story)> = items
        .iter()
        .map(|(g, l, s)| (g.as_str(), l.as_str(), *s))
        .collect();
    site::rss(&refs)
}

#[test]
fn robots_txt_keeps_disallowed_pages_unfetched_and_is_asked_once_per_site() {
    let dir = scratch("robots");
    let a = Server::start("127.0.0.1");
    let b = Server::start("127.0.0.2");
    a.route(
        "/robots.txt",
        Reply::ok("text/plain", "User-agent: *\nDisallow: /private/\n"),
    );
    let mut listed = items(&a, &["/news/1.html", "/private/2.html", "/news/3.html"]);
    listed.extend(items(&b, &["/b/4.html", "/b/5.html"]));
    // The feed itself sits under a disallowed path: feeds are fetched anyway.
    a.route(
        "/private/rss.xml",
        Reply::ok("application/rss+xml", rss_of(&listed)),
    );
    let config = config(
        &dir,
        "per_host_delay = \"0s\"\nrespect_robots = true\nrequest_timeout = \"2s\"",
        &[(a.url("/private/rss.xml"), "")],
    );
    let conn = db_after(&config, &dir);
    assert_eq!(a.hits("/private/2.html"), 0);
    for p in ["/news/1.html", "/news/3.html"] {
        assert_eq!(a.hits(p), 1, "{p}");
    }
    assert_eq!((b.hits("/b/4.html"), b.hits("/b/5.html")), (1, 1));
    assert_eq!((a.hits("/robots.txt"), b.hits("/robots.txt")), (1, 1));
    let status: String = conn
        .query_row(
            "SELECT extract_status FROM articles WHERE url LIKE '%/private/2.html'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(status.contains("disallowed by"), "{status}");
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM articles WHERE extract_status = 'ok'"
        ),
        4
    );

    // A later run with new entries asks neither site again: the answers
    // are kept in the database for a day.
    listed.extend(items(&a, &["/news/6.html", "/private/7.html"]));
    a.route(
        "/private/rss.xml",
        Reply::ok("application/rss+xml", rss_of(&listed)),
    );
    poll(&config);
    assert_eq!((a.hits("/robots.txt"), b.hits("/robots.txt")), (1, 1));
    assert_eq!((a.hits("/news/6.html"), a.hits("/private/7.html")), (1, 0));
}

#[test]
fn per_host_cap_and_gap_hold_for_feed_and_page_fetches_together() {
    let dir = scratch("politeness");
    let server = Server::start("127.0.0.1");
    let paths: Vec<String> = (0..10).map(|i| format!("/p/{i}.html")).collect();
    let path_refs: Vec<&str> = paths.iter().map(String::as_str).collect();
    let listed = items_slow(&server, &path_refs, Duration::from_millis(150));
    let (first, second) = listed.split_at(5);
    for (path, part) in [("/one.xml", first), ("/two.xml", second)] {
        server.route(
            path,
            Reply::ok("application/rss+xml", rss_of(part)).with_delay(Duration::from_millis(150)),
        );
    }
    server.route(
        "/robots.txt",
        Reply::ok("text/plain", "User-agent: *\nAllow: /\n"),
    );
    let feeds = [(server.url("/one.xml"), ""), (server.url("/two.xml"), "")];
    let cfg = config(
        &dir,
        "per_host_delay = \"0s\"\nper_host_concurrency = 2\nrequest_timeout = \"5s\"",
        &feeds,
    );
    let conn = db_after(&cfg, &dir);
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM articles WHERE extract_status = 'ok'"
        ),
        10
    );
    assert_eq!(
        server.peak_in_flight(),
        2,
        "two feeds and their pages on one host"
    );

    // The default User-Agent names feedsift and a URL; feeds ask for feeds.
    let seen = server.seen();
    let feed_request = seen.iter().find(|s| s.path == "/one.xml").unwrap();
    let ua = &feed_request.headers["user-agent"];
    assert!(
        ua.starts_with("feedsift/") && ua.contains("+https://"),
        "{ua}"
    );
    assert!(feed_request.headers["accept"].starts_with("application/rss+xml"));
    let page_request = seen.iter().find(|s| s.path == "/p/0.html").unwrap();
    assert!(page_request.headers["accept"].starts_with("text/html"));

    // With a gap between requests, starts to the host are spaced by it
    // (config durations are whole seconds, so a short feed keeps it quick).
    let dir = scratch("politeness-gap");
    server.route(
        "/gap.xml",
        Reply::ok("application/rss+xml", rss_of(&listed[..3])),
    );
    server.clear_seen();
    let cfg = config(
        &dir,
        "per_host_delay = \"1s\"\nper_host_concurrency = 4\nrequest_timeout = \"5s\"",
        &[(server.url("/gap.xml"), "")],
    );
    poll(&cfg);
    let mut starts: Vec<Instant> = server.seen().iter().map(|s| s.at).collect();
    starts.sort();
    assert_eq!(starts.len(), 5, "the feed, robots.txt, three pages");
    for pair in starts.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(950),
            "{:?}",
            pair[1] - pair[0]
        );
    }
}

/// An RSS feed with `n` link-less items published `gap` apart, up to now,
/// and `channel` (e.g. `<ttl>`) in its channel.
fn dated_rss(n: i64, gap: chrono::Duration, channel: &str) -> String {
    let now = Utc::now();
    let items: String = (0..n)
        .map(|i| {
            let at = (now - gap * i as i32).to_rfc2822();
            format!("<item><title>Item {i}</title><guid>d-{i}</guid><pubDate>{at}</pubDate></item>")
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:sy=\"http://purl.org/rss/1.0/modules/syndication/\">\
         <channel><title>Dated</title><link>http://dated.test/</link><description>x</description>{channel}{items}</channel></rss>"
    )
}

#[test]
fn the_interval_adapts_to_how_often_a_feed_publishes_within_five_minutes_and_a_day() {
    let dir = scratch("adaptive");
    let server = Server::start("127.0.0.1");
    let cases = [
        // (path, entry gap, feed lines, settled interval)
        ("/hourly.xml", chrono::Duration::hours(1), "", 30 * MINUTE),
        ("/busy.xml", chrono::Duration::minutes(1), "", 5 * MINUTE),
        ("/weekly.xml", chrono::Duration::weeks(1), "", DAY),
        (
            "/fixed.xml",
            chrono::Duration::hours(1),
            "interval = \"2h\"",
            2 * HOUR,
        ),
    ];
    let mut feeds = Vec::new();
    for (path, gap, extra, _) in &cases {
        server.route(
            path,
            Reply::ok("application/rss+xml", dated_rss(10, *gap, "")),
        );
        feeds.push((server.url(path), *extra));
    }
    let config = config(&dir, FAST, &feeds);
    let conn = db_after(&config, &dir);
    for ((url, _), (path, _, _, interval)) in feeds.iter().zip(&cases) {
        let row = feed_row(&conn, url);
        assert_eq!(row.interval_secs, Some(*interval), "{path}");
        let (lo, hi) = (
            *interval as f64 * 0.9,
            (*interval as f64 * 1.1).min(DAY as f64),
        );
        assert!(
            (lo - 1.0..=hi + 1.0).contains(&(row.wait() as f64)),
            "{path}: {} s, expected {lo}..{hi}",
            row.wait()
        );
    }
}

#[test]
fn the_feed_and_the_server_set_lower_bounds_on_the_next_poll() {
    let dir = scratch("lower-bounds");
    let server = Server::start("127.0.0.1");
    let date = SystemTime::now();
    let cases: Vec<(&str, Reply, i64, i64)> = vec![
        // (name, reply, least wait, most wait) in seconds
        (
            "ttl",
            Reply::ok(
                "application/rss+xml",
                dated_rss(0, chrono::Duration::zero(), "<ttl>180</ttl>"),
            ),
            3 * HOUR,
            3 * HOUR * 11 / 10,
        ),
        (
            "sy-daily",
            Reply::ok(
                "application/rss+xml",
                dated_rss(
                    0,
                    chrono::Duration::zero(),
                    "<sy:updatePeriod>daily</sy:updatePeriod>",
                ),
            ),
            DAY,
            DAY,
        ),
        (
            "sy-twice-hourly",
            Reply::ok(
                "application/rss+xml",
                dated_rss(
                    0,
                    chrono::Duration::zero(),
                    "<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>",
                ),
            ),
            30 * MINUTE,
            33 * MINUTE,
        ),
        (
            "max-age",
            Reply::ok("application/rss+xml", EMPTY_RSS)
                .with_header("Cache-Control", "public, max-age=7200"),
            2 * HOUR,
            2 * HOUR * 11 / 10,
        ),
        (
            "expires",
            Reply::ok("application/rss+xml", EMPTY_RSS)
                .with_header("Date", &httpdate::fmt_http_date(date))
                .with_header(
                    "Expires",
                    &httpdate::fmt_http_date(date + Duration::from_secs(4 * 3600)),
                ),
            4 * HOUR,
            4 * HOUR * 11 / 10,
        ),
        (
            "short-ttl",
            Reply::ok(
                "application/rss+xml",
                dated_rss(0, chrono::Duration::zero(), "<ttl>1</ttl>"),
            ),
            15 * MINUTE * 9 / 10,
            15 * MINUTE * 11 / 10,
        ),
    ];
    let mut feeds = Vec::new();
    // Several copies of each, so that a jitter undercutting a bound shows.
    for (name, reply, _, _) in &cases {
        for copy in 0..4 {
            let path = format!("/{name}.xml?copy={copy}");
            server.route(&path, reply.clone().with_etag(&format!("\"{name}\"")));
            feeds.push((server.url(&path), ""));
        }
    }
    let config = config(&dir, FAST, &feeds);
    let conn = db_after(&config, &dir);
    let check = |conn: &rusqlite::Connection, round: &str| {
        for (url, _) in &feeds {
            let (_, least, most) = cases
                .iter()
                .find(|(name, ..)| url.contains(&format!("/{name}.xml")))
                .map(|(n, _, l, m)| (n, *l, *m))
                .unwrap();
            let row = feed_row(conn, url);
            assert_eq!(row.error_count, 0);
            assert!(
                (least..=most).contains(&row.wait()),
                "{round}: {url}: {} s, expected {least}..{most}",
                row.wait()
            );
        }
    };
    check(&conn, "first poll");
    // A 304 carries no document: the feed's own bounds still hold.
    conn.execute("UPDATE feeds SET next_poll_at = NULL", [])
        .unwrap();
    server.clear_seen();
    poll(&config);
    assert!(
        server
            .seen()
            .iter()
            .all(|s| s.headers.contains_key("if-none-match"))
    );
    check(&conn, "after a 304");
}

mod in_process {
    //! Polls through the library, where the address policy can model "a
    //! public feed" served on loopback.

    use super::*;
    use feedsift::config::Config;
    use feedsift::fetch::FetchSettings;

    async fn poll_in_process(dir: &Path, toml: &str, public: &[&Server]) {
        let path = dir.join("feeds.toml");
        std::fs::write(&path, toml).unwrap();
        let config = Config::parse(&path, toml).unwrap();
        let mut settings = FetchSettings::from_config(&config.settings);
        for s in public {
            settings.policy.treat_as_public.insert(s.addr.ip());
        }
        let (summary, _) = feedsift::poll::all::poll_all(&config, settings)
            .await
            .unwrap();
        assert_eq!(summary.feeds_failed, 0, "{summary}");
    }

    fn statuses(dir: &Path) -> Vec<(String, String)> {
        db(dir)
            .prepare("SELECT url, extract_status FROM articles ORDER BY url")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    fn status_of(dir: &Path, url: &str) -> String {
        statuses(dir)
            .into_iter()
            .find(|(u, _)| u == url)
            .unwrap_or_else(|| panic!("{url} not stored"))
            .1
    }

    fn feed_toml(feed: &str, settings: &str) -> String {
        format!(
            "[settings]\ndatabase = \"feedsift.db\"\n{FAST}\nconnect_timeout = \"1s\"\n{settings}\n\n[[feed]]\nurl = \"{feed}\"\nfull_text = \"always\"\n"
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_public_feed_cannot_make_the_daemon_fetch_private_pages() {
        let public = Server::start("127.0.0.2");
        let private = Server::start("127.0.0.3");
        let local = Server::start("127.0.0.1");
        let inside = items(&private, &["/internal.html"]);
        items(&local, &["/admin.html"]);
        public.route(
            "/hop.html",
            Reply::redirect(302, &private.url("/internal.html")),
        );
        let mut listed = items(&public, &["/story.html"]);
        let story = &STORIES[1];
        for link in [
            private.url("/internal.html"),
            local.url("/admin.html"),
            format!("http://localhost:{}/admin.html", local.addr.port()),
            "http://169.254.169.254/latest/meta-data/iam/security-credentials/".to_string(),
            public.url("/hop.html"),
        ] {
            listed.push((format!("g-{link}"), link, story));
        }
        public.route(
            "/rss.xml",
            Reply::ok("application/rss+xml", rss_of(&listed)),
        );
        // Only pages on loopback: with private networks allowed the
        // metadata address would really be tried.
        public.route(
            "/rss2.xml",
            Reply::ok("application/rss+xml", rss_of(&inside)),
        );

        let dir = scratch("ssrf-public");
        poll_in_process(&dir, &feed_toml(&public.url("/rss.xml"), ""), &[&public]).await;
        assert_eq!(private.seen().len(), 0);
        assert_eq!(local.seen().len(), 0);
        assert_eq!(status_of(&dir, &public.url("/story.html")), "ok");
        for (url, status) in statuses(&dir) {
            if url != public.url("/story.html") {
                assert!(
                    status.starts_with("fetch_failed: blocked"),
                    "{url}: {status}"
                );
            }
        }
        assert_eq!(statuses(&dir).len(), 6);

        // The user may allow private networks.
        let dir = scratch("ssrf-allowed");
        poll_in_process(
            &dir,
            &feed_toml(&public.url("/rss2.xml"), "allow_private_networks = true"),
            &[&public],
        )
        .await;
        assert_eq!(status_of(&dir, &private.url("/internal.html")), "ok");
    }

    #[tokio::test]
    async fn polls_under_way_are_bounded_so_fetching_waits_for_the_writer() {
        use feedsift::store::stories;
        use feedsift::store::writer::{self, POLLS_UNDER_WAY};
        let dir = scratch("poll-slots");
        let conn = feedsift::store::open_writer(&dir.join("feedsift.db")).unwrap();
        let stories = stories::load(&conn, 30).unwrap();
        let (handle, thread) = writer::spawn(conn, stories);
        let mut slots = Vec::new();
        for _ in 0..POLLS_UNDER_WAY {
            slots.push(handle.begin_poll().await);
        }
        let one_more = tokio::time::timeout(Duration::from_millis(200), handle.begin_poll()).await;
        assert!(one_more.is_err(), "a poll started past the bound");
        slots.pop();
        let one_more = tokio::time::timeout(Duration::from_secs(5), handle.begin_poll()).await;
        assert!(one_more.is_ok(), "a finished poll frees its slot");
        drop((slots, one_more, handle));
        thread.join().unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_feed_on_a_private_address_may_link_to_private_pages() {
        let lan_feed = Server::start("127.0.0.4");
        let lan_page = Server::start("127.0.0.5");
        let listed = items(&lan_page, &["/wiki/1.html"]);
        lan_feed.route(
            "/rss.xml",
            Reply::ok("application/rss+xml", rss_of(&listed)),
        );
        let dir = scratch("ssrf-lan");
        // Nothing is treated as public: the feed itself is on the LAN.
        poll_in_process(&dir, &feed_toml(&lan_feed.url("/rss.xml"), ""), &[]).await;
        assert_eq!(lan_page.hits("/wiki/1.html"), 1);
        assert_eq!(status_of(&dir, &lan_page.url("/wiki/1.html")), "ok");
    }
}

#[test]
fn a_feed_without_its_own_interval_follows_a_changed_poll_interval_until_it_can_adapt() {
    let dir = scratch("fallback-interval");
    let server = Server::start("127.0.0.1");
    // Too few dated entries to adapt to: the configured default applies.
    server.route(
        "/few.xml",
        Reply::ok(
            "application/rss+xml",
            dated_rss(2, chrono::Duration::hours(1), ""),
        )
        .with_etag("\"few\""),
    );
    let feeds = [(server.url("/few.xml"), "")];
    let cfg = config(&dir, &format!("{FAST}\npoll_interval = \"15m\""), &feeds);
    let conn = db_after(&cfg, &dir);
    let row = feed_row(&conn, &feeds[0].0);
    assert_eq!(row.interval_secs, Some(15 * MINUTE));

    // The default changes; the next poll (a 304) must use it, not the
    // stored fallback.
    config(&dir, &format!("{FAST}\npoll_interval = \"2h\""), &feeds);
    poll(&cfg);
    let row = feed_row(&conn, &feeds[0].0);
    assert_eq!(row.interval_secs, Some(2 * HOUR));
    assert!(
        row.wait() as f64 >= 2.0 * HOUR as f64 * 0.9,
        "{} s",
        row.wait()
    );
}
