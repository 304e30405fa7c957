//! The command line as an operator meets it: help, global options,
//! `--system`, log levels, and the error texts of common mistakes —
//! always through the real binary.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{Reply, Server, bin, scratch};

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .current_dir(dir)
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("FEEDSIFT_CONFIG")
        .env_remove("FEEDSIFT_DB")
        .output()
        .expect("run feedsift")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const RSS: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Loopback news</title>
<link>http://127.0.0.1/</link><item><title>One</title><link>http://127.0.0.1/1</link>
<description>One story.</description></item></channel></rss>"#;

#[test]
fn global_options_are_listed_once_and_every_command_has_examples() {
    let dir = scratch("cli-help");
    let top = text(&run(&dir, &["--help"]).stdout);
    for option in [
        "--config <FILE>",
        "--db <FILE>",
        "--system",
        "--log-level <LEVEL>",
        "--log-format",
    ] {
        let listed = top
            .lines()
            .filter(|l| l.trim_start().starts_with(option))
            .count();
        assert_eq!(listed, 1, "{option} in\n{top}");
    }
    assert!(
        top.contains("Global options (before or after the command):"),
        "{top}"
    );
    assert!(top.contains("Examples:"), "{top}");
    for command in [
        "run", "poll", "extract", "check", "feeds", "inspect", "status", "search", "export",
    ] {
        for flag in ["-h", "--help"] {
            let help = text(&run(&dir, &[command, flag]).stdout);
            assert!(help.contains("Examples:"), "{command} {flag}:\n{help}");
            let lists = |option: &str| help.lines().any(|l| l.trim_start().starts_with(option));
            assert!(
                !lists("--config") && !lists("--log-format"),
                "{command} {flag}:\n{help}"
            );
            assert!(
                help.contains("see `feedsift --help`"),
                "{command} {flag}:\n{help}"
            );
        }
    }
    let add = text(&run(&dir, &["feeds", "add", "--help"]).stdout);
    assert!(
        add.contains("--tag <TAG>") && !add.contains("--db <FILE>"),
        "{add}"
    );
    assert!(add.contains("see `feedsift --help`"), "{add}");
    // Still accepted after the command, as before.
    let out = run(
        &dir,
        &["check", "--config", "missing.toml", "--log-format", "json"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("missing.toml: cannot read"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn system_uses_the_service_paths_and_refuses_to_be_mixed() {
    let dir = scratch("cli-system");
    // Whether or not this machine has the service installed, check names
    // the service's feeds.toml (as "ok" or as an error).
    let out = run(&dir, &["--system", "check"]);
    let said = text(&out.stdout) + &text(&out.stderr);
    assert!(said.contains("/etc/feedsift/feeds.toml"), "{said}");
    // The environment does not redirect --system.
    let out = Command::new(bin())
        .current_dir(&dir)
        .args(["check", "--system"])
        .env("FEEDSIFT_CONFIG", dir.join("elsewhere.toml"))
        .output()
        .unwrap();
    let said = text(&out.stdout) + &text(&out.stderr);
    assert!(said.contains("/etc/feedsift/feeds.toml"), "{said}");
    let out = run(&dir, &["--system", "--db", "x.db", "status"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(
            "--system chooses /etc/feedsift/feeds.toml and /var/lib/feedsift/feedsift.db"
        ),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_log_level_that_is_no_level_is_refused_and_filters_still_work() {
    let dir = scratch("cli-log-level");
    std::fs::write(dir.join("feeds.toml"), "").unwrap();
    let out = run(&dir, &["--log-level", "verbose", "check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "\"verbose\" is not a log level; use one of error, warn, info, debug, trace, off"
        ),
        "{err}"
    );
    for ok in ["debug", "feedsift=debug,info", "WARN"] {
        let out = run(&dir, &["--log-level", ok, "check"]);
        assert_eq!(out.status.code(), Some(0), "{ok}: {}", text(&out.stderr));
    }
}

#[test]
fn html_parser_chatter_is_not_logged_unless_asked_for() {
    let dir = scratch("cli-foster");
    // A paragraph inside a table: the HTML parser "foster-parents" it and
    // says so on its log target.
    std::fs::write(
        dir.join("page.html"),
        "<html><body><table><tr><td>cell</td></tr><p>Misplaced</p></table>\
         <article><p>The article's own words, a sentence or two of them.</p></article></body></html>",
    )
    .unwrap();
    let out = run(&dir, &["extract", "page.html"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("The article's own words"));
    assert_eq!(text(&out.stderr), "", "nothing logged at info");
    let out = run(
        &dir,
        &["--log-level", "info,html5ever=warn", "extract", "page.html"],
    );
    assert!(
        text(&out.stderr).contains("foster parenting"),
        "named, it shows: {}",
        text(&out.stderr)
    );
}

#[test]
fn a_database_path_in_a_missing_directory_or_a_directory_is_refused() {
    let dir = scratch("cli-db-path");
    std::fs::write(dir.join("feeds.toml"), "").unwrap();
    let out = run(&dir, &["--db", "nodir/sub/x.db", "poll", "--all"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(
            "nodir/sub/x.db: the directory nodir/sub does not exist; create it (mkdir -p nodir/sub)"
        ),
        "{err}"
    );
    assert!(!dir.join("nodir").exists(), "no directory was created");

    std::fs::create_dir(dir.join("adir")).unwrap();
    for command in [&["poll", "--all"][..], &["status"]] {
        let args = [&["--db", "adir"][..], command].concat();
        let out = run(&dir, &args);
        assert_eq!(out.status.code(), Some(1), "{command:?}");
        let err = text(&out.stderr);
        assert!(
            err.contains("adir: is a directory; name the database file, e.g. adir/feedsift.db"),
            "{command:?}: {err}"
        );
        assert!(!err.contains("disk I/O error"), "{err}");
    }

    // The default database next to feeds.toml is still created there.
    let out = run(&dir, &["poll", "--all"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(dir.join("feedsift.db").is_file());
}

#[test]
fn check_reports_every_problem_in_line_order() {
    let dir = scratch("cli-check");
    std::fs::write(
        dir.join("feeds.toml"),
        r#"[settings]
poll_interval = "10"

[[feed]]
url = "example.org/rss.xml"

[[feed]]
url = "https://a.example/feed"
intervall = "5m"

[[feed]]
url = "https://b.example/feed"
[feed.extract]
content = "div["
remove = ["p:hover"]

[[feed]]
url = "http://www.example.org/rss.xml"

[[feed]]
url = "https://example.org/rss.xml/"
"#,
    )
    .unwrap();
    let out = run(&dir, &["check"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines[0], "feedsift: feeds.toml: 6 problems", "{err}");
    let places: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(": ").next().unwrap_or(""))
        .collect();
    assert_eq!(
        places,
        [
            "feeds.toml:2:17",
            "feeds.toml:5:7",
            "feeds.toml:9:1",
            "feeds.toml:14:11",
            "feeds.toml:15:11",
            "feeds.toml:20:1"
        ],
        "{err}"
    );
    assert!(
        err.contains("write \"https://example.org/rss.xml\""),
        "{err}"
    );
    assert!(err.contains("did you mean `interval`?"), "{err}");
    assert!(err.contains("unsupported pseudo-class"), "{err}");
    assert!(err.contains("is the feed at line 17"), "{err}");
    assert!(!err.contains("report this to the developer"), "{err}");
}

#[test]
fn feeds_add_without_a_scheme_says_https_was_assumed_and_how_to_add_http() {
    let dir = scratch("cli-add-scheme");
    let server = Server::start("127.0.0.1");
    server.route("/feed.xml", Reply::ok("application/rss+xml", RSS));
    let bare = format!("{}/feed.xml", server.addr);
    let out = run(&dir, &["feeds", "add", &bare]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("cannot fetch https://{bare}: TLS failed: ")),
        "{err}"
    );
    assert!(
        err.contains(&format!("no scheme was given, so https:// was tried; for a site that only speaks plain HTTP, run: feedsift feeds add http://{bare}")),
        "{err}"
    );
    assert!(
        !dir.join("feeds.toml").exists()
            || std::fs::read_to_string(dir.join("feeds.toml"))
                .unwrap()
                .find(&bare)
                .is_none()
    );
    let out = run(&dir, &["feeds", "add", &format!("http://{bare}")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Loopback news"),
        "{}",
        text(&out.stdout)
    );
}
