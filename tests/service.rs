//! `feedsift run` as a service: the systemd notify protocol and watchdog,
//! shutdown during a large poll, reload on SIGHUP and on a change of
//! feeds.toml, metrics, logs and the progress bar. Every test drives the
//! real binary against feeds served on loopback and reads the real SQLite
//! file it wrote.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::site::{self, STORIES, Story};
use common::{Reply, Server, count, db, feedsift, scratch};

// ---- support

/// A running `feedsift run`, its stderr collected line by line.
struct Daemon {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
}

impl Daemon {
    fn start(config: &Path, extra_args: &[&str], env: &[(&str, String)]) -> Daemon {
        let mut cmd = Command::new(common::bin());
        cmd.arg("--config")
            .arg(config)
            .args(extra_args)
            .arg("run")
            .env("RUST_LOG", "feedsift=debug")
            .env_remove("NOTIFY_SOCKET")
            .env_remove("WATCHDOG_USEC")
            .env_remove("WATCHDOG_PID")
            .env_remove("JOURNAL_STREAM")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start feedsift run");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().expect("stderr");
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line);
            }
        });
        Daemon { child, log }
    }

    fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    /// Waits until a log line contains every one of `needles`.
    fn wait_log(&self, needles: &[&str], timeout: Duration) -> Option<String> {
        wait_until(timeout, || {
            self.log
                .lock()
                .unwrap()
                .iter()
                .find(|l| needles.iter().all(|n| l.contains(n)))
                .cloned()
        })
    }

    fn signal(&self, sig: &str) {
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!("kill -{sig} {}", self.child.id()))
            .status()
            .expect("kill");
        assert!(status.success(), "kill -{sig} failed");
    }

    fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        wait_until(timeout, || self.child.try_wait().ok().flatten())
    }

    /// SIGTERM, then the exit status (within the promised 10 s).
    fn stop(self) -> ExitStatus {
        self.stop_with("TERM")
    }

    fn stop_with(mut self, sig: &str) -> ExitStatus {
        self.signal(sig);
        let status = self.wait_exit(Duration::from_secs(10));
        let log = self.log_text();
        status.unwrap_or_else(|| panic!("feedsift run did not exit within 10 s\n{log}"))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn wait_until<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until `server` has answered `path` `n` times.
fn wait_hits(server: &Server, path: &str, n: usize, timeout: Duration) -> bool {
    wait_until(timeout, || (server.hits(path) == n).then_some(())).is_some()
}

/// The service manager's end of the notify protocol: a datagram socket
/// whose path goes into `NOTIFY_SOCKET`.
struct NotifySocket {
    socket: UnixDatagram,
    path: PathBuf,
    /// Every message so far, with when it arrived.
    seen: Vec<(Instant, String)>,
}

impl NotifySocket {
    fn bind(dir: &Path) -> NotifySocket {
        let path = dir.join("notify.sock");
        let socket = UnixDatagram::bind(&path).expect("bind notify socket");
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        NotifySocket {
            socket,
            path,
            seen: Vec::new(),
        }
    }

    fn env(&self) -> (&'static str, String) {
        ("NOTIFY_SOCKET", self.path.display().to_string())
    }

    /// Reads messages until one has a line starting with `prefix`; returns
    /// that message.
    fn wait_for(&mut self, prefix: &str, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 4096];
        while Instant::now() < deadline {
            if let Ok(n) = self.socket.recv(&mut buf) {
                let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
                self.seen.push((Instant::now(), msg.clone()));
                if msg.lines().any(|l| l.starts_with(prefix)) {
                    return Some(msg);
                }
            }
        }
        None
    }

    /// Collects messages for `period`.
    fn drain(&mut self, period: Duration) -> Vec<String> {
        let deadline = Instant::now() + period;
        let mut buf = [0u8; 4096];
        let mut got = Vec::new();
        while Instant::now() < deadline {
            if let Ok(n) = self.socket.recv(&mut buf) {
                let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
                self.seen.push((Instant::now(), msg.clone()));
                got.push(msg);
            }
        }
        got
    }
}

fn pings(messages: &[String]) -> usize {
    messages.iter().filter(|m| m.contains("WATCHDOG=1")).count()
}

/// Starts `feedsift run` reporting to `sock` and waits for READY=1.
fn start_ready(config: &Path, sock: &mut NotifySocket) -> Daemon {
    let daemon = Daemon::start(config, &[], &[sock.env()]);
    sock.wait_for("READY=1", Duration::from_secs(10))
        .expect("READY=1");
    daemon
}

/// Asserts the daemon logs a completed poll of the feed at `path` soon.
fn assert_polled(daemon: &Daemon, path: &str) {
    assert!(
        daemon
            .wait_log(&["feed polled", path], Duration::from_secs(10))
            .is_some(),
        "no poll of {path}\n{}",
        daemon.log_text()
    );
}

/// A feed of `stories` served at `/{name}.xml`, each page at
/// `/{name}/{i}.html` with a line that makes its text unique.
fn serve_feed(
    server: &Server,
    name: &str,
    stories: usize,
    page: impl Fn(Reply) -> Reply,
) -> String {
    serve_slow_feed(server, name, stories, page, Duration::ZERO)
}

/// [`serve_feed`] whose feed document answers after `delay`.
fn serve_slow_feed(
    server: &Server,
    name: &str,
    stories: usize,
    page: impl Fn(Reply) -> Reply,
    delay: Duration,
) -> String {
    let mut items = Vec::new();
    for i in 0..stories {
        let story = &STORIES[i % STORIES.len()];
        let path = format!("/{name}/{i}.html");
        let body = story.page(&server.url(&path)).replace(
            "</p>\n</div>",
            &format!("</p>\n<p>Edition {name} number {i} of this report.</p>\n</div>"),
        );
        server.route(&path, page(Reply::html(body)));
        items.push((format!("{name}-{i}"), server.url(&path), story));
    }
    let refs: Vec<(&str, &str, &Story)> = items
        .iter()
        .map(|(g, l, s)| (g.as_str(), l.as_str(), *s))
        .collect();
    let feed = format!("/{name}.xml");
    server.route(
        &feed,
        Reply::ok("application/rss+xml", site::rss(&refs))
            .with_etag(&format!("\"{name}\""))
            .with_delay(delay),
    );
    server.url(&feed)
}

/// A feeds.toml with test settings and `(url, interval)` feeds, written
/// the way editors save: a new file renamed over the old one.
fn write_feeds(dir: &Path, settings: &str, feeds: &[(&str, Option<&str>)]) -> PathBuf {
    let mut toml = format!(
        "[settings]\ndatabase = \"feedsift.db\"\nper_host_delay = \"0s\"\nrespect_robots = false\n{settings}\n"
    );
    for (url, interval) in feeds {
        toml.push_str(&format!("\n[[feed]]\nurl = \"{url}\"\n"));
        if let Some(i) = interval {
            toml.push_str(&format!("interval = \"{i}\"\n"));
        }
    }
    replace_file(&dir.join("feeds.toml"), &toml)
}

fn replace_file(path: &Path, text: &str) -> PathBuf {
    let tmp = path.with_extension("toml.new");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
    path.to_path_buf()
}

fn integrity(conn: &rusqlite::Connection) -> String {
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

fn feed_row(conn: &rusqlite::Connection, url: &str) -> (String, i64) {
    conn.query_row(
        "SELECT state, active FROM feeds WHERE url = ?1",
        [url],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

fn articles_of(conn: &rusqlite::Connection, feed_url: &str) -> i64 {
    conn.query_row(
        "SELECT count(*) FROM article_sources s JOIN feeds f ON f.id = s.feed_id WHERE f.url = ?1",
        [feed_url],
        |r| r.get(0),
    )
    .unwrap()
}

// ---- systemd notify protocol and watchdog

#[test]
fn notify_protocol_ready_status_watchdog_reloading_stopping() {
    let dir = scratch("notify");
    let server = Server::start("127.0.0.1");
    let feed = serve_feed(&server, "n", 2, |r| r);
    let config = write_feeds(&dir, "", &[(&feed, None)]);
    let mut sock = NotifySocket::bind(&dir);
    let daemon = Daemon::start(
        &config,
        &[],
        &[sock.env(), ("WATCHDOG_USEC", "1000000".into())],
    );

    let ready = sock
        .wait_for("READY=1", Duration::from_secs(10))
        .unwrap_or_else(|| panic!("no READY=1\n{}", daemon.log_text()));
    assert!(
        ready.contains("STATUS=1 feeds (0 failing), 0 articles"),
        "{ready:?}"
    );
    assert!(
        sock.wait_for("WATCHDOG=1", Duration::from_secs(2))
            .is_some(),
        "no watchdog ping within the 0.5 s period"
    );
    // The first poll stores the two articles; STATUS follows within 5 s.
    let status = sock
        .wait_for(
            "STATUS=1 feeds (0 failing), 2 articles (2 new",
            Duration::from_secs(8),
        )
        .unwrap_or_else(|| panic!("no STATUS with 2 articles: {:?}", sock.seen));
    assert!(!status.contains("READY"), "{status:?}");
    let pinged = pings(&sock.drain(Duration::from_millis(1600)));
    assert!(
        (2..=4).contains(&pinged),
        "{pinged} pings in 1.6 s at a 0.5 s period"
    );

    daemon.signal("HUP");
    let reloading = sock
        .wait_for("RELOADING=1", Duration::from_secs(5))
        .expect("RELOADING=1 on SIGHUP");
    assert!(reloading.contains("MONOTONIC_USEC="), "{reloading:?}");
    sock.wait_for("READY=1", Duration::from_secs(5))
        .expect("READY=1 after the reload");

    daemon.signal("TERM");
    sock.wait_for("STOPPING=1", Duration::from_secs(5))
        .expect("STOPPING=1 on SIGTERM");
    let mut daemon = daemon;
    let status = daemon.wait_exit(Duration::from_secs(10)).expect("exit");
    assert!(status.success(), "{status:?}\n{}", daemon.log_text());

    // The whole conversation, in order.
    let order: Vec<&str> = sock
        .seen
        .iter()
        .flat_map(|(_, m)| m.lines())
        .filter_map(|l| {
            ["READY=1", "RELOADING=1", "STOPPING=1"]
                .into_iter()
                .find(|k| l == *k)
        })
        .collect();
    assert_eq!(order, ["READY=1", "RELOADING=1", "READY=1", "STOPPING=1"]);
}

#[test]
fn no_watchdog_ping_while_the_writer_is_stuck_in_a_transaction() {
    let dir = scratch("watchdog");
    let server = Server::start("127.0.0.1");
    let feed = serve_feed(&server, "w", 1, |r| r);
    let config = write_feeds(&dir, "", &[(&feed, None)]);
    let mut sock = NotifySocket::bind(&dir);
    let daemon = Daemon::start(
        &config,
        &[],
        &[sock.env(), ("WATCHDOG_USEC", "1000000".into())],
    );
    sock.wait_for("READY=1", Duration::from_secs(10))
        .expect("READY=1");
    assert!(
        daemon
            .wait_log(&["feed polled"], Duration::from_secs(10))
            .is_some()
    );
    assert!(
        pings(&sock.drain(Duration::from_millis(1100))) >= 2,
        "healthy: pinged"
    );

    // Another process holds the write lock: the writer's next transaction
    // waits on it (up to its 10 s busy timeout) and makes no progress.
    let locker = db(&dir);
    locker.execute_batch("BEGIN IMMEDIATE").unwrap();
    daemon.signal("HUP"); // the reload writes the feed list
    sock.wait_for("RELOADING=1", Duration::from_secs(5))
        .expect("RELOADING=1");
    // Half the timeout (0.5 s) of stall, then no more pings. (Pings sent
    // before that wait in the socket: read and drop them first.)
    sock.drain(Duration::from_millis(700));
    let stuck = sock.drain(Duration::from_millis(2000));
    assert_eq!(
        pings(&stuck),
        0,
        "pinged while the writer was stuck: {stuck:?}"
    );
    assert!(
        daemon
            .wait_log(
                &["systemd watchdog not pinged", "writer has been stuck"],
                Duration::from_secs(2)
            )
            .is_some()
    );

    locker.execute_batch("ROLLBACK").unwrap();
    sock.wait_for("READY=1", Duration::from_secs(5))
        .expect("the reload completes once the lock is gone");
    assert!(
        pings(&sock.drain(Duration::from_millis(1200))) >= 1,
        "pings resume once the writer moves again"
    );
    assert!(daemon.stop().success());
}

#[test]
fn no_watchdog_pings_when_the_watchdog_is_meant_for_another_process() {
    let dir = scratch("watchdog-pid");
    let config = write_feeds(&dir, "", &[]);
    let mut sock = NotifySocket::bind(&dir);
    // systemd sets WATCHDOG_PID to the main process; a child that
    // inherited the variables must not ping on its behalf.
    let daemon = Daemon::start(
        &config,
        &[],
        &[
            sock.env(),
            ("WATCHDOG_USEC", "1000000".into()),
            ("WATCHDOG_PID", "1".into()),
        ],
    );
    sock.wait_for("READY=1", Duration::from_secs(10))
        .expect("READY=1");
    let messages = sock.drain(Duration::from_millis(1500));
    assert_eq!(pings(&messages), 0, "{messages:?}");
    assert!(daemon.stop().success());
}

// ---- shutdown

#[test]
fn sigterm_during_a_large_poll_exits_promptly_and_commits_only_whole_articles() {
    let dir = scratch("sigterm");
    // Three sites of 12 slow pages each (every page drips in over ~0.8 s)
    // and one feed that does not answer at all.
    let servers: Vec<Server> = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
        .iter()
        .map(|ip| Server::start(ip))
        .collect();
    let mut feeds: Vec<String> = servers
        .iter()
        .enumerate()
        .map(|(i, s)| {
            serve_feed(s, &format!("site{i}"), 12, |r| {
                r.with_drip(600, Duration::from_millis(100))
            })
        })
        .collect();
    servers[0].route(
        "/hangs.xml",
        Reply::ok("application/rss+xml", site::rss(&[])).with_delay(Duration::from_secs(30)),
    );
    feeds.push(servers[0].url("/hangs.xml"));
    let listed: Vec<(&str, Option<&str>)> = feeds.iter().map(|f| (f.as_str(), None)).collect();
    let config = write_feeds(&dir, "", &listed);

    let daemon = Daemon::start(&config, &[], &[]);
    let page_requests = || {
        servers
            .iter()
            .flat_map(|s| s.seen())
            .filter(|s| s.path.ends_with(".html"))
            .count()
    };
    // Some pages done, many in flight or still to come.
    assert!(
        wait_until(Duration::from_secs(15), || {
            (page_requests() >= 10).then_some(())
        })
        .is_some(),
        "pages were not fetched\n{}",
        daemon.log_text()
    );
    let started = Instant::now();
    let mut daemon = daemon;
    daemon.signal("TERM");
    let status = daemon.wait_exit(Duration::from_secs(10));
    let took = started.elapsed();
    let log = daemon.log_text();
    let status = status.unwrap_or_else(|| panic!("no exit within 10 s\n{log}"));
    assert!(status.success(), "{status:?}\n{log}");
    assert!(
        page_requests() < 36,
        "the poll finished before SIGTERM; the test proves nothing"
    );
    // In-flight fetches are abandoned, not waited for.
    assert!(took < Duration::from_secs(5), "took {took:?}\n{log}");

    let conn = db(&dir);
    assert_eq!(integrity(&conn), "ok");
    let stored = count(&conn, "SELECT count(*) FROM articles");
    assert!(
        stored > 0,
        "pages complete before SIGTERM were not committed\n{log}"
    );
    // Every article whole, with its source; every source once.
    assert_eq!(count(&conn, "SELECT count(*) FROM article_sources"), stored);
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM articles WHERE id NOT IN (SELECT article_id FROM article_sources)"
        ),
        0
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM articles WHERE extract_status = 'ok' AND text LIKE '%of this report.'"
        ),
        stored
    );
    // Interrupted polls keep no validators: the next poll reads them whole.
    assert_eq!(
        count(&conn, "SELECT count(*) FROM feeds WHERE etag IS NOT NULL"),
        0
    );

    servers[0].route(
        "/hangs.xml",
        Reply::ok("application/rss+xml", site::rss(&[])),
    );
    let out = feedsift(&config, &["poll", "--all"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM articles"), 36);
    assert_eq!(
        count(&conn, "SELECT count(DISTINCT canonical_url) FROM articles"),
        36
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM article_sources"), 36);
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM articles WHERE extract_status = 'ok'"
        ),
        36
    );
    assert_eq!(integrity(&conn), "ok");
}

// ---- reload

#[test]
fn a_feed_added_to_the_file_is_polled_within_seconds() {
    let dir = scratch("reload-add");
    let server = Server::start("127.0.0.1");
    let a = serve_feed(&server, "a", 1, |r| r);
    let b = serve_feed(&server, "b", 2, |r| r);
    let config = write_feeds(&dir, "", &[(&a, None)]);
    let mut sock = NotifySocket::bind(&dir);
    let daemon = start_ready(&config, &mut sock);
    assert_polled(&daemon, "/a.xml");

    // Edited on disk, no signal: the directory watch picks it up.
    let saved = Instant::now();
    write_feeds(&dir, "", &[(&a, None), (&b, None)]);
    assert!(
        daemon
            .wait_log(&["config reloaded", "added=1"], Duration::from_secs(5))
            .is_some(),
        "{}",
        daemon.log_text()
    );
    assert!(
        daemon
            .wait_log(&["feed polled", "/b.xml", "new=2"], Duration::from_secs(5))
            .is_some(),
        "{}",
        daemon.log_text()
    );
    assert!(saved.elapsed() < Duration::from_secs(6));
    // A file change announces itself to systemd like a reload.
    sock.wait_for("RELOADING=1", Duration::from_secs(1))
        .expect("RELOADING=1");
    // Ctrl-C stops it as cleanly as SIGTERM.
    assert!(daemon.stop_with("INT").success());
    let conn = db(&dir);
    assert_eq!(articles_of(&conn, &b), 2);
    assert_eq!(feed_row(&conn, &b), ("ok".into(), 1));
}

#[test]
fn a_symlinked_config_is_watched_through_its_target() {
    let dir = scratch("reload-symlink");
    let server = Server::start("127.0.0.1");
    let a = serve_feed(&server, "a", 1, |r| r);
    let b = serve_feed(&server, "b", 1, |r| r);
    // feeds.toml -> conf/real.toml; edits replace the target, the link stays.
    let conf = dir.join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    let real = write_feeds(&conf, "", &[(&a, None)]);
    let link = dir.join("feeds.toml");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let mut sock = NotifySocket::bind(&dir);
    let daemon = start_ready(&link, &mut sock);
    assert_polled(&daemon, "/a.xml");
    write_feeds(&conf, "", &[(&a, None), (&b, None)]);
    assert!(
        daemon
            .wait_log(&["feed polled", "/b.xml"], Duration::from_secs(6))
            .is_some(),
        "{}",
        daemon.log_text()
    );
    assert!(daemon.stop().success());
}

/// Polls `feeds` once with `poll --all`, then sets their schedule as if
/// time had passed: last polled `ago_secs` ago, next poll `in_secs` from
/// now.
fn polled_earlier(dir: &Path, config: &Path, feeds: &[(&str, i64, i64)]) {
    let out = feedsift(config, &["poll", "--all"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let conn = db(dir);
    for (url, ago, next) in feeds {
        let n = conn
            .execute(
                "UPDATE feeds SET last_polled_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?2),
                                  next_poll_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?3)
                 WHERE url = ?1",
                rusqlite::params![url, format!("-{ago} seconds"), format!("+{next} seconds")],
            )
            .unwrap();
        assert_eq!(n, 1);
    }
}

#[test]
fn a_removed_feed_stops_being_polled_and_keeps_its_articles() {
    let dir = scratch("reload-remove");
    let server = Server::start("127.0.0.1");
    let kept = serve_feed(&server, "kept", 1, |r| r);
    let gone = serve_feed(&server, "gone", 2, |r| r);
    // Removed while its poll runs: the poll commits, the feed stays removed.
    let busy = serve_slow_feed(&server, "busy", 1, |r| r, Duration::from_secs(2));
    let config = write_feeds(
        &dir,
        "",
        &[
            (&kept, Some("1h")),
            (&gone, Some("1h")),
            (&busy, Some("1h")),
        ],
    );
    // Two due again 3 s after the daemon starts, one at once.
    polled_earlier(
        &dir,
        &config,
        &[(&kept, 3600, 3), (&gone, 3600, 3), (&busy, 3600, 0)],
    );
    server.clear_seen();

    let mut sock = NotifySocket::bind(&dir);
    let daemon = start_ready(&config, &mut sock);
    assert!(wait_hits(&server, "/busy.xml", 1, Duration::from_secs(2)));
    write_feeds(&dir, "", &[(&kept, Some("1h"))]);
    daemon.signal("HUP");
    assert!(
        daemon
            .wait_log(&["config reloaded", "removed=2"], Duration::from_secs(5))
            .is_some(),
        "{}",
        daemon.log_text()
    );
    // The kept feed's poll comes when due: the moment had come for both.
    assert!(
        wait_hits(&server, "/kept.xml", 1, Duration::from_secs(8)),
        "{}",
        daemon.log_text()
    );
    assert!(
        daemon
            .wait_log(&["feed polled", "/busy.xml"], Duration::from_secs(3))
            .is_some()
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(server.hits("/gone.xml"), 0, "a removed feed was polled");
    assert_eq!(
        server.hits("/busy.xml"),
        1,
        "a removed feed was polled again"
    );
    assert!(daemon.stop().success());

    let conn = db(&dir);
    assert_eq!(feed_row(&conn, &gone), ("removed".into(), 0));
    assert_eq!(articles_of(&conn, &gone), 2, "its articles stay");
    assert_eq!(feed_row(&conn, &busy), ("removed".into(), 0));
    assert_eq!(articles_of(&conn, &busy), 1);
    assert_eq!(feed_row(&conn, &kept), ("ok".into(), 1));
}

#[test]
fn a_changed_interval_moves_the_next_poll_both_ways() {
    let dir = scratch("reload-interval");
    let server = Server::start("127.0.0.1");
    let shorter = serve_feed(&server, "shorter", 1, |r| r);
    let same = serve_feed(&server, "same", 1, |r| r);
    let longer = serve_feed(&server, "longer", 1, |r| r);
    let config = write_feeds(
        &dir,
        "",
        &[
            (&shorter, Some("1h")),
            (&same, Some("15m")),
            (&longer, Some("15m")),
        ],
    );
    polled_earlier(
        &dir,
        &config,
        &[
            // Polled 10 min ago at 1 h: due in 50 min; at 5 min it is overdue.
            (&shorter, 600, 3000),
            // Polled almost 15 min ago at 15 min: due in 3 s.
            (&same, 897, 3),
            (&longer, 897, 3),
        ],
    );
    server.clear_seen();

    let mut sock = NotifySocket::bind(&dir);
    let daemon = start_ready(&config, &mut sock);
    write_feeds(
        &dir,
        "",
        &[
            (&shorter, Some("5m")),
            (&same, Some("15m")),
            (&longer, Some("1h")),
        ],
    );
    daemon.signal("HUP");
    assert!(
        daemon
            .wait_log(
                &["config reloaded", "rescheduled=2"],
                Duration::from_secs(5)
            )
            .is_some(),
        "{}",
        daemon.log_text()
    );
    assert!(
        wait_hits(&server, "/shorter.xml", 1, Duration::from_secs(3)),
        "the shortened interval did not bring the poll forward"
    );
    // The unchanged feed is polled when due; the lengthened one is not.
    assert!(
        wait_hits(&server, "/same.xml", 1, Duration::from_secs(8)),
        "{}",
        daemon.log_text()
    );
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        server.hits("/longer.xml"),
        0,
        "the lengthened interval was ignored"
    );
    assert!(daemon.stop().success());
}

#[test]
fn an_invalid_file_on_reload_keeps_the_running_config_and_names_the_line() {
    let dir = scratch("reload-invalid");
    let server = Server::start("127.0.0.1");
    let a = serve_feed(&server, "a", 1, |r| r);
    let b = serve_feed(&server, "b", 1, |r| r);
    let config = write_feeds(&dir, "", &[(&a, None)]);
    let mut sock = NotifySocket::bind(&dir);
    let daemon = start_ready(&config, &mut sock);
    assert_polled(&daemon, "/a.xml");

    let broken = format!(
        "[settings]\ndatabase = \"feedsift.db\"\nper_host_delay = \"0s\"\nrespect_robots = false\n\n[[feed]]\nurl = \"{a}\"\n\n[[feed]]\nurl = \"{b}\"\nintervall = \"5m\"\n"
    );
    replace_file(&config, &broken);
    let at = format!("{}:11:1:", config.display());
    let error = daemon
        .wait_log(&["config not reloaded", &at], Duration::from_secs(5))
        .unwrap_or_else(|| panic!("{}", daemon.log_text()));
    assert!(error.contains("intervall"), "{error}");
    let status = sock
        .wait_for("STATUS=config not reloaded", Duration::from_secs(2))
        .expect("STATUS names the error");
    assert!(status.contains(&at), "{status}");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        server.hits("/b.xml"),
        0,
        "a feed from the invalid file was polled"
    );

    // Still running on the old config: the fixed file is applied.
    write_feeds(&dir, "", &[(&a, None), (&b, None)]);
    assert!(
        daemon
            .wait_log(&["feed polled", "/b.xml"], Duration::from_secs(6))
            .is_some(),
        "{}",
        daemon.log_text()
    );
    assert!(daemon.stop().success());
}

// ---- metrics

fn http_get(addr: &str, path: &str) -> String {
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(conn, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut out = String::new();
    conn.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn metrics_endpoint_serves_prometheus_text() {
    let dir = scratch("metrics");
    let server = Server::start("127.0.0.1");
    let feed = serve_feed(&server, "m", 2, |r| r);
    server.route("/missing.xml", Reply::status(404));
    server.route("/hook", Reply::ok("text/plain", "thanks"));
    let config = write_feeds(
        &dir,
        &format!(
            "metrics_listen = \"127.0.0.1:0\"\n\n[webhook]\nurl = \"{}\"",
            server.url("/hook")
        ),
        &[(&feed, None), (&server.url("/missing.xml"), None)],
    );
    let daemon = Daemon::start(&config, &["--log-format", "json"], &[]);
    let line = daemon
        .wait_log(&["serving Prometheus metrics"], Duration::from_secs(10))
        .unwrap_or_else(|| panic!("{}", daemon.log_text()));
    let event: serde_json::Value = serde_json::from_str(&line).unwrap();
    let addr = event["addr"].as_str().unwrap().to_string();
    assert_polled(&daemon, "/m.xml");
    assert!(
        daemon
            .wait_log(
                &["feed poll failed", "/missing.xml"],
                Duration::from_secs(10)
            )
            .is_some()
    );

    // Both new stories are announced after their commit.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while server.hits("/hook") < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let answer = http_get(&addr, "/metrics");
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.contains("Content-Type: text/plain; version=0.0.4"),
        "{head}"
    );
    for expected in [
        "feedsift_polls_total{outcome=\"ok\"} 1\n",
        "feedsift_polls_total{outcome=\"failed\"} 1\n",
        "feedsift_errors_total{resource=\"feed\",kind=\"http_4xx\"} 1\n",
        "feedsift_errors_total{resource=\"page\",kind=\"http_4xx\"} 0\n",
        "feedsift_articles_stored_total 2\n",
        "feedsift_duplicates_total 0\n",
        "feedsift_feeds 2\n",
        "feedsift_feeds_failing 1\n",
        "feedsift_fetch_duration_seconds_count{resource=\"feed\"} 2\n",
        "feedsift_fetch_duration_seconds_count{resource=\"page\"} 2\n",
        "feedsift_fetch_duration_seconds_bucket{resource=\"page\",le=\"+Inf\"} 2\n",
        "feedsift_extract_duration_seconds_count 2\n",
        "feedsift_webhook_events_total{event=\"delivered\"} 2\n",
        "feedsift_webhook_events_total{event=\"failed\"} 0\n",
        "# TYPE feedsift_extract_duration_seconds histogram\n",
    ] {
        assert!(body.contains(expected), "missing {expected:?} in\n{body}");
    }
    assert!(http_get(&addr, "/").starts_with("HTTP/1.1 404"));
    assert!(daemon.stop().success());
}

// ---- logs and progress

/// A `poll --all` of one small feed, with stderr going to a file.
fn poll_with_stderr_file(
    name: &str,
    args: &[&str],
    env: impl Fn(&std::fs::File) -> Vec<(String, String)>,
) -> String {
    let dir = scratch(name);
    let server = Server::start("127.0.0.1");
    let feed = serve_feed(&server, "l", 1, |r| r);
    let config = write_feeds(&dir, "", &[(&feed, None)]);
    let log_path = dir.join("stderr.log");
    let file = std::fs::File::create(&log_path).unwrap();
    let status = Command::new(common::bin())
        .arg("--config")
        .arg(&config)
        .args(args)
        .args(["poll", "--all"])
        .env_remove("JOURNAL_STREAM")
        .env_remove("RUST_LOG")
        .envs(env(&file))
        .stdout(Stdio::null())
        .stderr(file)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read_to_string(&log_path).unwrap()
}

#[test]
fn under_journald_lines_carry_a_priority_and_no_timestamp_or_colour() {
    let log = poll_with_stderr_file("journal", &[], |f| {
        let meta = f.metadata().unwrap();
        vec![(
            "JOURNAL_STREAM".into(),
            format!("{}:{}", meta.dev(), meta.ino()),
        )]
    });
    assert!(!log.is_empty());
    for line in log.lines() {
        assert!(
            line.starts_with("<6> INFO ") || line.starts_with("<4> WARN "),
            "{line:?}"
        );
        assert!(!line.contains('\x1b'), "{line:?}");
    }
    assert!(
        log.contains("<6> INFO feedsift::poll: feed polled"),
        "{log}"
    );

    // JOURNAL_STREAM naming another stream (inherited by a child whose
    // stderr was redirected) is not the journal: timestamps stay.
    let log = poll_with_stderr_file("not-journal", &[], |_| {
        vec![("JOURNAL_STREAM".into(), "1:1".into())]
    });
    let first = log.lines().next().unwrap_or_default();
    assert!(first.starts_with("20") && first.contains('T'), "{first:?}");
    assert!(!log.contains('\x1b'), "colours on a file: {log:?}");
}

#[test]
fn json_logs_are_one_object_per_line() {
    let log = poll_with_stderr_file("json-logs", &["--log-format", "json"], |_| Vec::new());
    let events: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    let polled = events
        .iter()
        .find(|e| e["message"] == "feed polled")
        .unwrap_or_else(|| panic!("{log}"));
    assert_eq!(polled["level"], "INFO");
    assert_eq!(polled["new"], 1);
    assert!(polled["timestamp"].as_str().unwrap().starts_with("20"));
}

#[test]
fn poll_all_shows_progress_on_a_terminal_and_stays_quiet_when_piped() {
    let dir = scratch("progress");
    let server = Server::start("127.0.0.1");
    let a = serve_feed(&server, "pa", 1, |r| r);
    let b = serve_feed(&server, "pb", 1, |r| r);
    // Slow enough for the bar to be drawn a few times.
    server.route(
        "/slow.xml",
        Reply::ok("application/rss+xml", site::rss(&[])).with_delay(Duration::from_millis(800)),
    );
    let slow = server.url("/slow.xml");
    let config = write_feeds(&dir, "", &[(&a, None), (&b, None), (&slow, None)]);

    let out = Command::new(common::bin())
        .arg("--config")
        .arg(&config)
        .args(["--log-level", "warn", "poll", "--all"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stderr, b"", "piped: nothing but warnings on stderr");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout:?}");
    assert!(stdout.starts_with("feeds: 3 ok"), "{stdout:?}");

    // On a terminal (script(1) gives it a pseudo-terminal): a bar.
    std::fs::remove_file(dir.join("feedsift.db")).unwrap();
    let command = format!(
        "{} --config {} --log-level warn poll --all",
        common::bin(),
        config.display()
    );
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .expect("script(1) from util-linux");
    assert!(out.status.success(), "{out:?}");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(screen.contains("polling ["), "{screen:?}");
    assert!(screen.contains("/3"), "{screen:?}");
    assert!(screen.contains("feeds: 3 ok"), "{screen:?}");
}

// ---- the systemd unit

/// Writes a unit file as installed: with the binary where it expects it.
fn write_installed(path: &Path, text: &str) {
    std::fs::write(path, text.replace("/usr/local/bin/feedsift", common::bin())).unwrap();
}

/// `systemd-analyze verify`: success, and what it complained about.
fn verify(path: &Path) -> (bool, String) {
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(path)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
#[cfg_attr(
    not(has_systemd_analyze),
    ignore = "systemd-analyze is not installed (apt-get install systemd procps; .ci/run does)"
)]
fn the_unit_passes_systemd_analyze_verify_and_rates_at_most_2_0() {
    let dir = scratch("unit");
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/contrib/systemd/feedsift.service"
    ))
    .unwrap();
    assert!(unit.contains(
        "ExecStart=/usr/local/bin/feedsift --config /etc/feedsift/feeds.toml --db /var/lib/feedsift/feedsift.db run"
    ));
    // Checked as installed, with the binary where the unit expects it.
    let path = dir.join("feedsift.service");
    write_installed(&path, &unit);
    let (verified, complaints) = verify(&path);
    assert!(verified, "{complaints}");
    assert!(
        !complaints.contains("feedsift.service"),
        "verify complains: {complaints}"
    );

    let out = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--threshold=20", "--no-pager"])
        .arg(&path)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    let exposure: f64 = report
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for feedsift.service: ")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in {report}"));
    assert!(exposure <= 2.0, "exposure {exposure}\n{report}");
    assert!(out.status.success(), "over the 2.0 threshold\n{report}");
}

/// The `Key=value` lines of a unit file, in order, for one key.
fn unit_values<'a>(unit: &'a str, key: &str) -> Vec<&'a str> {
    unit.lines()
        .filter_map(|l| l.strip_prefix(key)?.strip_prefix('='))
        .collect()
}

#[test]
fn a_reload_checks_the_file_first_and_fails_on_errors() {
    let root = env!("CARGO_MANIFEST_DIR");
    let unit = std::fs::read_to_string(format!("{root}/contrib/systemd/feedsift.service")).unwrap();
    let reload = unit_values(&unit, "ExecReload");
    const CHECK: &str = "/usr/local/bin/feedsift --config /etc/feedsift/feeds.toml check";
    assert_eq!(
        reload,
        [CHECK, "/bin/kill -HUP $MAINPID"],
        "check, then signal"
    );
    // `--system` names the unit's files.
    let start = unit_values(&unit, "ExecStart");
    assert_eq!(
        start,
        [
            "/usr/local/bin/feedsift --config /etc/feedsift/feeds.toml --db /var/lib/feedsift/feedsift.db run"
        ]
    );

    // What systemd runs on `systemctl reload`, against a broken file: a
    // failing exit (the reload job fails) and every error on stderr (the
    // journal).
    let dir = scratch("unit-reload-check");
    let bad = dir.join("feeds.toml");
    std::fs::write(
        &bad,
        "[[feed]]\nurl = \"example.org/rss\"\nintervall = \"5m\"\n",
    )
    .unwrap();
    let command = CHECK
        .replace("/usr/local/bin/feedsift", common::bin())
        .replace("/etc/feedsift/feeds.toml", bad.to_str().unwrap());
    let argv: Vec<&str> = command.split(' ').collect();
    let out = Command::new(argv[0]).args(&argv[1..]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("feeds.toml:2:7: feed url \"example.org/rss\" has no scheme"),
        "{err}"
    );
    assert!(
        err.contains("feeds.toml:3:1: unknown key `intervall`"),
        "{err}"
    );

    // The drop-in for systemd >= 253 keeps the same check and lets systemd
    // send the signal itself.
    let drop_in =
        std::fs::read_to_string(format!("{root}/contrib/systemd/notify-reload.conf")).unwrap();
    assert_eq!(unit_values(&drop_in, "Type"), ["notify-reload"]);
    assert_eq!(unit_values(&drop_in, "ExecReload"), ["", CHECK]);
    let version = Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<u32>().ok())
        });
    // systemd 252 (this project's CI image, Debian 12) does not know
    // Type=notify-reload; where systemd does, the pair must verify.
    if version.is_some_and(|v| v >= 253) {
        let d = dir.join("feedsift.service.d");
        std::fs::create_dir_all(&d).unwrap();
        write_installed(&d.join("notify-reload.conf"), &drop_in);
        let path = dir.join("feedsift.service");
        write_installed(&path, &unit);
        let (verified, complaints) = verify(&path);
        assert!(
            verified && !complaints.contains("feedsift.service"),
            "{complaints}"
        );
    }
}

#[test]
fn every_feed_failing_is_logged_loudly_once() {
    let dir = scratch("svc-all-failing");
    let a = Server::start("127.0.0.1");
    let b = Server::start("127.0.0.3");
    a.route("/feed.xml", Reply::status(404));
    b.route("/feed.xml", Reply::status(404));
    let config = common::write_config(&dir, &[&a.url("/feed.xml"), &b.url("/feed.xml")], "");
    let daemon = Daemon::start(&config, &[], &[]);
    let line = daemon.wait_log(
        &["every feed failed its last poll"],
        Duration::from_secs(20),
    );
    let log = daemon.log_text();
    assert!(
        line.as_deref()
            .is_some_and(|l| l.contains("ERROR") && l.contains("feeds=2")),
        "{log}"
    );
    assert_eq!(daemon.stop().code(), Some(0));
    assert_eq!(
        log.matches("every feed failed its last poll").count(),
        1,
        "{log}"
    );
}
