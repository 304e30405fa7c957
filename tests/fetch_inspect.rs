//! `feedsift inspect URL`: the real binary fetches a feed from loopback the
//! way the poller does and reports what it saw, HTTP facts included.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{Reply, Server, scratch};
use serde_json::Value;

const RSS: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>\
    <title>Inspected Daily</title><link>http://inspected.test/</link><description>x</description>\
    <item><title>First</title><link>/a/1.html</link><guid isPermaLink=\"false\">i-1</guid></item>\
    <item><title>Second</title><link>/a/2.html</link><guid isPermaLink=\"false\">i-2</guid></item>\
    </channel></rss>";

/// Runs `feedsift inspect` in `dir`, where there is no feeds.toml unless a
/// test wrote one.
fn inspect(dir: &Path, args: &[&str]) -> Output {
    Command::new(common::bin())
        .current_dir(dir)
        .arg("inspect")
        .args(args)
        .env_remove("FEEDSIFT_CONFIG")
        .output()
        .unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn inspect_url_reports_the_feed_and_how_it_was_served() {
    let dir = scratch("inspect-url");
    let server = Server::start("127.0.0.1");
    server.route("/old.xml", Reply::redirect(301, "/feed.xml"));
    server.route(
        "/feed.xml",
        Reply::ok("application/rss+xml; charset=utf-8", RSS)
            .with_etag("\"r1\"")
            .with_header("Last-Modified", "Fri, 20 Nov 2026 08:30:00 GMT")
            .with_header("Cache-Control", "max-age=600"),
    );
    let out = inspect(&dir, &[&server.url("/old.xml"), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = json(&out);
    assert_eq!(r["ok"], true);
    assert_eq!(r["source"], server.url("/old.xml"));
    assert_eq!(r["title"], "Inspected Daily");
    assert_eq!(r["entries"].as_array().unwrap().len(), 2);
    // Relative links resolve against where the feed really came from.
    assert_eq!(r["entries"][0]["link"], server.url("/a/1.html"));
    let http = &r["http"];
    assert_eq!(http["status"], 200);
    assert_eq!(http["final_url"], server.url("/feed.xml"));
    assert_eq!(http["content_type"], "application/rss+xml; charset=utf-8");
    assert_eq!(http["etag"], "\"r1\"");
    assert_eq!(http["last_modified"], "Fri, 20 Nov 2026 08:30:00 GMT");
    assert_eq!(http["fresh_for_secs"], 600);
    assert_eq!(http["remote_ip"], "127.0.0.1");
    assert_eq!(http["redirects"][0]["status"], 301);
    assert_eq!(http["redirects"][0]["from"], server.url("/old.xml"));
    assert_eq!(http["moved_permanently_to"], server.url("/feed.xml"));
    // Fetched as a feed, by feedsift, with the default settings.
    let seen = server.seen();
    assert!(seen[0].headers["user-agent"].starts_with("feedsift/"));
    assert!(seen[0].headers["accept"].starts_with("application/rss+xml"));

    let out = inspect(&dir, &[&server.url("/old.xml")]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: [String; 6] = [
        format!(
            "redirect:  301 {} -> {}",
            server.url("/old.xml"),
            server.url("/feed.xml")
        ),
        format!("final URL: {}", server.url("/feed.xml")),
        "status:    200".into(),
        "etag:      \"r1\"".into(),
        "title:     Inspected Daily".into(),
        "entries:   2".into(),
    ];
    for line in &lines {
        assert!(text.contains(line), "{line:?} missing from\n{text}");
    }
}

#[test]
fn inspect_url_takes_the_charset_from_http() {
    let dir = scratch("inspect-charset");
    let server = Server::start("127.0.0.1");
    // windows-1252 bytes, no XML declaration: only the header tells.
    let doc = "<rss version=\"2.0\"><channel><title>Caf\u{e9} \u{201c}Zeitung\u{201d}</title>\
               <item><title>\u{c4}rger \u{2013} Stra\u{df}e</title><guid>x</guid></item></channel></rss>";
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(doc);
    assert!(!unmappable);
    server.route(
        "/cp1252.xml",
        Reply::ok("text/xml; charset=windows-1252", bytes.into_owned()),
    );
    let r = json(&inspect(&dir, &[&server.url("/cp1252.xml"), "--json"]));
    assert_eq!(r["title"], "Café “Zeitung”");
    assert_eq!(r["entries"][0]["title"], "Ärger – Straße");
}

#[test]
fn inspect_url_uses_the_settings_of_feeds_toml() {
    let dir = scratch("inspect-config");
    let server = Server::start("127.0.0.1");
    server.route("/feed.xml", Reply::ok("application/rss+xml", RSS));
    std::fs::write(
        dir.join("feeds.toml"),
        "[settings]\nuser_agent = \"probe/1 (+https://probe.test/)\"\nmax_feed_bytes = 1024\n",
    )
    .unwrap();
    let out = inspect(&dir, &[&server.url("/feed.xml"), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        server.seen()[0].headers["user-agent"],
        "probe/1 (+https://probe.test/)"
    );
    // The cap applies too.
    server.route(
        "/big.xml",
        Reply::ok("application/rss+xml", format!("{RSS}{}", " ".repeat(2048))),
    );
    let out = inspect(&dir, &[&server.url("/big.xml"), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        json(&out)["error"]
            .as_str()
            .unwrap()
            .contains("1024-byte cap")
    );
    // A broken feeds.toml is a config error, as for every command.
    std::fs::write(dir.join("feeds.toml"), "[settings]\nbogus = 1\n").unwrap();
    let out = inspect(&dir, &[&server.url("/feed.xml")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("feeds.toml:2:1"));
}

#[test]
fn inspect_url_failures_exit_1_and_say_why() {
    let dir = scratch("inspect-fail");
    let server = Server::start("127.0.0.1");
    server.route("/gone.xml", Reply::status(410));
    server.route("/a", Reply::redirect(302, "/b"));
    server.route("/b", Reply::redirect(302, "/a"));
    server.route(
        "/page.html",
        Reply::html("<html><body><p>Not a feed.</p></body></html>"),
    );
    for (path, reason) in [
        ("/gone.xml", "HTTP 410"),
        ("/missing.xml", "HTTP 404"),
        ("/a", "redirect loop"),
        ("/page.html", ""),
    ] {
        let out = inspect(&dir, &[&server.url(path), "--json"]);
        assert_eq!(out.status.code(), Some(1), "{path}");
        let r = json(&out);
        assert_eq!(r["ok"], false, "{path}");
        let error = r["error"].as_str().unwrap();
        assert!(error.contains(reason), "{path}: {error}");
    }
    let out = inspect(&dir, &["http://[::1", "--json"]);
    assert_eq!(out.status.code(), Some(2));
}
