//! `feedsift feeds add|remove|list`: the real binary against a loopback
//! server and real files. What matters to users is checked byte for byte:
//! everything in feeds.toml other than the changed entry is left exactly as
//! it was, and a failed command leaves the file untouched.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

use common::{Reply, Server, feedsift, scratch};

const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
  <title>  The Loopback
     Gazette </title>
  <link>http://gazette.test/</link>
  <description>Test feed</description>
  <item><title>One</title><link>http://gazette.test/1</link><guid>1</guid></item>
  <item><title>Two</title><link>http://gazette.test/2</link><guid>2</guid></item>
</channel></rss>"#;

const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Atom Side</title>
  <id>urn:test:atom</id>
  <updated>2026-01-01T00:00:00Z</updated>
  <entry><title>E</title><id>urn:test:e</id><updated>2026-01-01T00:00:00Z</updated>
    <link href="http://atom.test/e"/></entry>
</feed>"#;

/// A hand-written feeds.toml with the things people put in one: comments
/// everywhere, odd spacing, literal strings, a sub-table.
const HAND_WRITTEN: &str = "\
# My feeds. Keep this comment!
[settings]
database = \"feedsift.db\"   # next to this file
per_host_delay = \"0s\"
respect_robots=false

# ---- World ----

# The BBC's world desk
[[feed]]
url = \"https://feeds.bbci.co.uk/news/world/rss.xml\"
name = 'BBC World'
tags = [ \"world\" ]

[[feed]]
url = \"https://www.example.org/feed/\"
# interval = \"5m\"  (too often)

# ---- Tech ----
[[feed]]
url   = \"https://tech.example.net/atom.xml\"
full_text = \"always\"

[feed.extract]
content = \"article .body\"
";

fn write(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("feeds.toml");
    fs::write(&path, text).expect("write feeds.toml");
    path
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).expect("read feeds.toml")
}

#[test]
fn add_feed_appends_one_entry_and_keeps_every_other_byte() {
    let server = Server::start("127.0.0.1");
    server.route("/rss.xml", Reply::ok("application/rss+xml", RSS));
    let dir = scratch("feeds-add");
    let config = write(&dir, HAND_WRITTEN);
    let url = server.url("/rss.xml");
    let out = feedsift(
        &config,
        &[
            "feeds",
            "add",
            &url,
            "--interval",
            "30m",
            "--tag",
            "local",
            "--tag",
            " two  words ",
            "--tag",
            "local",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let expected = format!(
        "{HAND_WRITTEN}\n[[feed]]\nurl = \"{url}\"\nname = \"The Loopback Gazette\"\ninterval = \"30m\"\ntags = [\"local\", \"two words\"]\n"
    );
    assert_eq!(read(&config), expected);
    assert!(stdout(&out).contains("added"), "{}", stdout(&out));
    // The result is a valid config the other commands accept.
    let check = feedsift(&config, &["check"]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
}

#[test]
fn add_html_page_finds_the_feed_by_autodiscovery() {
    let server = Server::start("127.0.0.1");
    server.route(
        "/blog/",
        Reply::html(
            r#"<!DOCTYPE html><html><head><title>Blog</title>
<link rel="alternate" type="application/json" href="/wp-json/wp/v2/pages/2">
<link rel="alternate" type="application/atom+xml" title="Posts" href="feed.atom">
<link rel="alternate" type="application/rss+xml" title="Comments" href="/comments.rss">
</head><body><p>Hello</p></body></html>"#,
        ),
    );
    server.route("/blog/feed.atom", Reply::ok("application/atom+xml", ATOM));
    let dir = scratch("feeds-discover");
    let config = write(
        &dir,
        "[settings]\nper_host_delay = \"0s\"\n\n[[feed]]\nurl = \"https://a.example/rss\"\n",
    );
    let out = feedsift(
        &config,
        &["feeds", "add", &server.url("/blog/"), "--name", "My blog"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let feed = server.url("/blog/feed.atom");
    assert!(stdout(&out).contains(&format!("using the feed it announces: {feed}")));
    assert!(stdout(&out).contains(&server.url("/comments.rss")));
    assert_eq!(
        read(&config),
        format!(
            "[settings]\nper_host_delay = \"0s\"\n\n[[feed]]\nurl = \"https://a.example/rss\"\n\n[[feed]]\nurl = \"{feed}\"\nname = \"My blog\"\n"
        )
    );
    assert_eq!(
        server.hits("/comments.rss"),
        0,
        "only the first feed is used"
    );
}

#[test]
fn add_refuses_what_is_not_a_feed_and_leaves_the_file_alone() {
    let server = Server::start("127.0.0.1");
    server.route("/text", Reply::ok("text/plain", "just some words\n"));
    server.route(
        "/page",
        Reply::html("<html><head><title>No feeds here</title></head><body>hi</body></html>"),
    );
    server.route(
        "/broken-link",
        Reply::html(
            r#"<html><head><link rel="alternate" type="application/rss+xml" href="/missing.rss"></head></html>"#,
        ),
    );
    server.route("/gone", Reply::status(404));
    let dir = scratch("feeds-not-feed");
    let config = write(&dir, HAND_WRITTEN);
    let before = fs::metadata(&config).expect("meta");
    for (path, why) in [
        ("/text", "is not a feed"),
        ("/page", "announces no feed"),
        ("/broken-link", "HTTP 404"),
        ("/gone", "HTTP 404"),
    ] {
        let out = feedsift(&config, &["feeds", "add", &server.url(path)]);
        assert_eq!(out.status.code(), Some(1), "{path}: {}", stderr(&out));
        assert!(stderr(&out).contains(why), "{path}: {}", stderr(&out));
        assert_eq!(read(&config), HAND_WRITTEN, "{path}");
    }
    assert_eq!(
        fs::metadata(&config).expect("meta").ino(),
        before.ino(),
        "file was replaced"
    );
    assert_eq!(fs::read_dir(&dir).expect("dir").count(), 1, "stray files");
}

#[test]
fn add_refuses_duplicates_before_fetching() {
    let dir = scratch("feeds-dup");
    let config = write(&dir, HAND_WRITTEN);
    // Exact, and the same feed spelled with http, without www. and without
    // the trailing slash. No server: a duplicate must not need the network.
    for url in [
        "https://www.example.org/feed/",
        "http://example.org/feed",
        "HTTPS://WWW.EXAMPLE.ORG/feed?utm_source=x",
    ] {
        let out = feedsift(&config, &["feeds", "add", url]);
        assert_eq!(out.status.code(), Some(2), "{url}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("already in feeds.toml") && stderr(&out).contains("line 15"),
            "{url}: {}",
            stderr(&out)
        );
    }
    assert_eq!(read(&config), HAND_WRITTEN);
}

#[test]
fn add_usage_errors_exit_2() {
    let dir = scratch("feeds-usage");
    let config = write(&dir, HAND_WRITTEN);
    for args in [
        vec!["feeds", "add", "ftp://files.example/feed"],
        vec!["feeds", "add", "https://x.example/", "--interval", "10s"],
        vec!["feeds", "add", "https://x.example/", "--interval", "soon"],
        vec!["feeds", "add", "https://x.example/", "--tag", "  "],
        vec!["feeds", "add", "https://x.example/", "--name", ""],
    ] {
        let out = feedsift(&config, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    assert_eq!(read(&config), HAND_WRITTEN);

    // A broken feeds.toml is reported with file:line:column, not edited.
    let broken = "[settings]\npoll_interval = \"15\"\n";
    fs::write(&config, broken).expect("write");
    let out = feedsift(&config, &["feeds", "add", "https://x.example/"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("feeds.toml:2:17:"),
        "{}",
        stderr(&out)
    );
    assert_eq!(read(&config), broken);
}

#[test]
fn add_creates_a_missing_feeds_toml() {
    let server = Server::start("127.0.0.1");
    server.route("/rss.xml", Reply::ok("application/rss+xml", RSS));
    let dir = scratch("feeds-create");
    let config = dir.join("feeds.toml");
    let out = feedsift(&config, &["feeds", "add", &server.url("/rss.xml")]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = read(&config);
    assert!(text.starts_with("# feedsift configuration."), "{text}");
    assert!(text.contains("\n[settings]\n"), "{text}");
    assert!(
        text.ends_with(&format!(
            "[settings]\n\n[[feed]]\nurl = \"{}\"\nname = \"The Loopback Gazette\"\n",
            server.url("/rss.xml")
        )),
        "{text}"
    );
    assert_eq!(feedsift(&config, &["check"]).status.code(), Some(0));
}

#[test]
fn remove_takes_the_entry_and_its_own_comments_only() {
    let dir = scratch("feeds-remove");
    let config = write(&dir, HAND_WRITTEN);

    // An equivalent spelling finds the entry; the commented-out key that
    // hugs it goes too, the section heading below it stays.
    let out = feedsift(&config, &["feeds", "remove", "http://example.org/feed"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("removed https://www.example.org/feed/"));
    let after_first = HAND_WRITTEN.replace(
        "[[feed]]\nurl = \"https://www.example.org/feed/\"\n# interval = \"5m\"  (too often)\n\n",
        "",
    );
    assert_eq!(read(&config), after_first);

    // The comment directly above an entry is its description and goes with
    // it; the blank-line-separated heading above that stays.
    let out = feedsift(
        &config,
        &[
            "feeds",
            "remove",
            "https://feeds.bbci.co.uk/news/world/rss.xml",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let after_second = after_first.replace(
        "# The BBC's world desk\n[[feed]]\nurl = \"https://feeds.bbci.co.uk/news/world/rss.xml\"\nname = 'BBC World'\ntags = [ \"world\" ]\n\n",
        "",
    );
    assert_eq!(read(&config), after_second);
    assert!(read(&config).contains("# ---- World ----\n\n# ---- Tech ----\n"));

    // The last entry goes with its [feed.extract] table.
    let out = feedsift(
        &config,
        &["feeds", "remove", "https://tech.example.net/atom.xml"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!read(&config).contains("extract"), "{}", read(&config));
    assert!(read(&config).starts_with("# My feeds. Keep this comment!\n[settings]\n"));
    assert_eq!(feedsift(&config, &["check"]).status.code(), Some(0));

    // Absent: a clear error, nothing written.
    let before = read(&config);
    let out = feedsift(&config, &["feeds", "remove", "https://nowhere.example/"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is not in"), "{}", stderr(&out));
    assert_eq!(read(&config), before);
}

#[test]
fn list_as_table_and_json() {
    let dir = scratch("feeds-list");
    let config = write(&dir, HAND_WRITTEN);
    let out = feedsift(&config, &["feeds", "list"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("NAME"));
    assert!(lines[1].starts_with("BBC World "));
    assert!(lines[0].contains("SCHEDULE"), "{text}");
    assert!(
        lines[1].contains("adaptive, now 15m, bounds 5m\u{2013}1d") && lines[1].contains("world"),
        "{text}"
    );
    assert!(lines[3].contains("always"));

    let out = feedsift(&config, &["feeds", "list", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let feeds = json.as_array().expect("array");
    assert_eq!(feeds.len(), 3);
    assert_eq!(feeds[0]["name"], "BBC World");
    assert_eq!(feeds[0]["tags"], serde_json::json!(["world"]));
    assert_eq!(feeds[0]["interval"], "15m");
    assert_eq!(feeds[0]["interval_secs"], 900);
    assert_eq!(feeds[0]["interval_is_default"], true);
    assert_eq!(feeds[0]["schedule"], "adaptive");
    assert_eq!(feeds[0]["min_interval_secs"], 300);
    assert_eq!(feeds[0]["max_interval_secs"], 86400);
    assert_eq!(feeds[0]["current_interval_secs"], 900);
    assert_eq!(feeds[1]["name"], serde_json::Value::Null);
    assert_eq!(feeds[2]["full_text"], "always");
    assert_eq!(feeds[2]["line"], 20);
}

#[test]
fn writes_are_atomic_and_keep_mode_and_symlinks() {
    let dir = scratch("feeds-atomic");
    let real_dir = dir.join("etc");
    fs::create_dir_all(&real_dir).expect("mkdir");
    let real = write(&real_dir, HAND_WRITTEN);
    fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).expect("chmod");
    let link = dir.join("feeds.toml");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let inode = fs::metadata(&real).expect("meta").ino();

    let out = feedsift(&link, &["feeds", "remove", "https://www.example.org/feed/"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // The link is still a link, to a file that was replaced (rename, not
    // rewrite in place) with the same permissions, and nothing was left
    // behind in either directory.
    assert!(
        fs::symlink_metadata(&link)
            .expect("meta")
            .file_type()
            .is_symlink()
    );
    let meta = fs::metadata(&real).expect("meta");
    assert_ne!(meta.ino(), inode, "edited in place instead of renamed");
    assert_eq!(meta.permissions().mode() & 0o777, 0o640);
    assert!(!read(&real).contains("www.example.org"));
    assert_eq!(fs::read_dir(&real_dir).expect("dir").count(), 1);
    assert_eq!(fs::read_dir(&dir).expect("dir").count(), 2);
}
