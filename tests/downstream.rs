//! What reaches the database and the tools downstream, through the real
//! binary and loopback servers: the feed entry's details (summary, tags,
//! enclosures, people, comments, language) and the Markdown rendering in
//! the row and in `export`, and webhooks announcing each new story.

mod common;

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{Reply, Server, bin, db, scratch};
use serde_json::Value;

fn run(config: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(bin());
    cmd.arg("--config").arg(config).args(args);
    cmd.env("RUST_LOG", "feedsift=debug");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run feedsift")
}

fn ok(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "feedsift failed: {stderr}");
    stderr
}

fn export(config: &Path) -> Vec<Value> {
    let out = run(config, &["export"], &[]);
    ok(&out);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

fn write(dir: &Path, toml: &str) -> PathBuf {
    let path = dir.join("feeds.toml");
    std::fs::write(&path, toml).expect("write feeds.toml");
    path
}

const SETTINGS: &str =
    "[settings]\ndatabase = \"feedsift.db\"\nper_host_delay = \"0s\"\nrespect_robots = false\n";

// ---- entry details and Markdown

const PAGE: &str = r#"<!doctype html><html lang="en"><head><title>Harbour strike ends</title></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>
<article>
<h1>Harbour strike ends</h1>
<p>Dockers returned to the northern quay on Tuesday after a two-week strike over pay and hours, the union said in a statement read outside the port gates.</p>
<h2>What was agreed</h2>
<ul><li>A four percent rise from March</li><li>No shift longer than ten hours</li></ul>
<blockquote><p>We won what we came out for, and nobody lost a job over it.</p></blockquote>
<p>The full agreement is on the <a href="/docs/agreement.pdf">union's website</a>, and the ships waiting in the anchorage will be unloaded first, starting with the perishable cargo.</p>
</article>
<aside class="related"><h3>Related stories</h3><ul><li><a href="/x">Ferry fares rise again</a></li></ul></aside>
<footer>All rights reserved</footer>
</body></html>"#;

/// The page's article as Markdown: the headline (metadata) and the site's
/// navigation and related links are not in it, as they are not in the text.
const PAGE_MARKDOWN: &str = "Dockers returned to the northern quay on Tuesday after a two-week strike over pay and hours, the union said in a statement read outside the port gates.\n\n\
## What was agreed\n\n\
- A four percent rise from March\n\
- No shift longer than ten hours\n\n\
> We won what we came out for, and nobody lost a job over it.\n\n\
The full agreement is on the [union's website](http://HOST/docs/agreement.pdf), and the ships waiting in the anchorage will be unloaded first, starting with the perishable cargo.";

fn atom(site: &Server) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-GB">
  <title>The Quay</title><id>urn:quay</id><updated>2026-03-03T10:00:00Z</updated>
  <entry>
    <id>urn:quay:strike</id>
    <title>Harbour strike ends</title>
    <link rel="alternate" href="{page}"/>
    <link rel="enclosure" href="{audio}" type="audio/mpeg" length="48213"/>
    <link rel="replies" type="text/html" href="{comments}"/>
    <updated>2026-03-03T09:00:00Z</updated>
    <author><name>Ilse Brandt</name><email>ilse@quay.example</email></author>
    <contributor><name>Tom Reyes</name><uri>{about}</uri></contributor>
    <category term="Labour" label="Labour news"/>
    <category term="Ports"/>
    <category term="Labour"/>
    <summary type="html">&lt;p&gt;The &lt;b&gt;strike&lt;/b&gt; is over.&lt;/p&gt;</summary>
  </entry>
</feed>"#,
        page = site.url("/2026/strike.html"),
        audio = site.url("/audio/strike.mp3"),
        comments = site.url("/2026/strike.html#comments"),
        about = site.url("/people/tom"),
    )
}

/// An RSS item whose content is the article (no page fetched): its
/// Markdown comes from the feed's HTML.
fn rss(site: &Server) -> String {
    format!(
        r#"<?xml version="1.0"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>
  <title>Notes</title><link>{home}</link><language>de</language>
  <item>
    <title>Fährplan</title>
    <link>{link}</link>
    <guid>notes-1</guid>
    <dc:creator>Anna Berg</dc:creator>
    <category>Verkehr</category>
    <comments>{link}#kommentare</comments>
    <description>&lt;h3&gt;Neu ab Montag&lt;/h3&gt;&lt;ol&gt;&lt;li&gt;Erste Fähre um 5 Uhr&lt;/li&gt;&lt;li&gt;Letzte um 23 Uhr&lt;/li&gt;&lt;/ol&gt;</description>
  </item>
</channel></rss>"#,
        home = site.url("/"),
        link = site.url("/notes/1.html"),
    )
}

#[test]
fn entry_details_and_markdown_reach_the_row_and_the_export() {
    let dir = scratch("downstream-details");
    let site = Server::start("127.0.0.1");
    site.route("/quay.atom", Reply::ok("application/atom+xml", atom(&site)));
    site.route("/notes.rss", Reply::ok("application/rss+xml", rss(&site)));
    site.route("/2026/strike.html", Reply::html(PAGE));
    let config = write(
        &dir,
        &format!(
            "{SETTINGS}markdown = true\n\n[[feed]]\nurl = \"{}\"\nfull_text = \"always\"\n\n[[feed]]\nurl = \"{}\"\nfull_text = \"never\"\n",
            site.url("/quay.atom"),
            site.url("/notes.rss")
        ),
    );
    ok(&run(&config, &["poll", "--all"], &[]));

    let conn = db(&dir);
    type Row = (
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let row = |url_end: &str| -> Row {
        conn.query_row(
            "SELECT extract_status, summary, tags, enclosures, authors, contributors, comments_url,
                    feed_lang, markdown
             FROM stories WHERE url LIKE '%' || ?1",
            [url_end],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ))
            },
        )
        .unwrap_or_else(|e| panic!("no story at *{url_end}: {e}"))
    };
    let host = site.addr.to_string();
    let page_md = PAGE_MARKDOWN.replace("HOST", &host);
    let s = |v: &str| Some(v.to_string());
    assert_eq!(
        row("/2026/strike.html"),
        (
            "ok".to_string(),
            s("The strike is over."),
            s(r#"["Labour","Ports"]"#),
            s(&format!(
                r#"[{{"url":"http://{host}/audio/strike.mp3","type":"audio/mpeg","length":48213}}]"#
            )),
            s(r#"[{"name":"Ilse Brandt","email":"ilse@quay.example","uri":null}]"#),
            s(&format!(
                r#"[{{"name":"Tom Reyes","email":null,"uri":"http://{host}/people/tom"}}]"#
            )),
            s(&format!("http://{host}/2026/strike.html#comments")),
            s("en-GB"),
            s(&page_md),
        )
    );
    assert_eq!(
        row("/notes/1.html"),
        (
            "from_feed".to_string(),
            s("Neu ab Montag\n\nErste Fähre um 5 Uhr\nLetzte um 23 Uhr"),
            s(r#"["Verkehr"]"#),
            None,
            s(r#"[{"name":"Anna Berg","email":null,"uri":null}]"#),
            None,
            s(&format!("http://{host}/notes/1.html#kommentare")),
            s("de"),
            s("### Neu ab Montag\n\n1. Erste Fähre um 5 Uhr\n2. Letzte um 23 Uhr"),
        )
    );
    // The plain text is what it always was.
    let text: String = conn
        .query_row(
            "SELECT text FROM articles WHERE url LIKE '%/2026/strike.html'",
            [],
            |r| r.get(0),
        )
        .expect("text");
    assert!(text.starts_with("Dockers returned") && text.contains("\n\nWhat was agreed\n\nA four percent rise from March\nNo shift longer than ten hours\n\nWe won what"), "{text}");
    // JSON1 reads the lists.
    let tagged: i64 = conn
        .query_row(
            "SELECT count(*) FROM stories, json_each(stories.tags) WHERE json_each.value = 'Ports'",
            [],
            |r| r.get(0),
        )
        .expect("json_each");
    assert_eq!(tagged, 1);

    let stories = export(&config);
    assert_eq!(stories.len(), 2);
    let strike = stories
        .iter()
        .find(|s| {
            s["url"]
                .as_str()
                .is_some_and(|u| u.ends_with("/strike.html"))
        })
        .expect("the strike story");
    assert_eq!(strike["summary"], "The strike is over.");
    assert_eq!(strike["tags"], serde_json::json!(["Labour", "Ports"]));
    assert_eq!(strike["enclosures"][0]["length"], 48213);
    assert_eq!(strike["enclosures"][0]["type"], "audio/mpeg");
    assert_eq!(strike["authors"][0]["name"], "Ilse Brandt");
    assert_eq!(strike["contributors"][0]["name"], "Tom Reyes");
    assert_eq!(
        strike["comments_url"],
        format!("http://{host}/2026/strike.html#comments")
    );
    assert_eq!(strike["feed_lang"], "en-GB");
    assert_eq!(strike["markdown"], page_md.as_str());
    let notes = stories
        .iter()
        .find(|s| {
            s["url"]
                .as_str()
                .is_some_and(|u| u.ends_with("/notes/1.html"))
        })
        .expect("the notes story");
    // Nothing said: empty lists, not missing fields.
    assert_eq!(notes["enclosures"], serde_json::json!([]));
    assert_eq!(notes["contributors"], serde_json::json!([]));
}

#[test]
fn markdown_is_off_by_default() {
    let dir = scratch("downstream-no-markdown");
    let site = Server::start("127.0.0.1");
    site.route("/quay.atom", Reply::ok("application/atom+xml", atom(&site)));
    site.route("/2026/strike.html", Reply::html(PAGE));
    let config = write(
        &dir,
        &format!(
            "{SETTINGS}\n[[feed]]\nurl = \"{}\"\nfull_text = \"always\"\n",
            site.url("/quay.atom")
        ),
    );
    ok(&run(&config, &["poll", "--all"], &[]));
    let (markdown, summary): (Option<String>, Option<String>) = db(&dir)
        .query_row("SELECT markdown, summary FROM stories", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("one story");
    assert_eq!(markdown, None);
    assert_eq!(summary.as_deref(), Some("The strike is over."));
}

// ---- webhooks

/// A request the receiver got and how it answered.
#[derive(Debug, Clone)]
struct Delivery {
    path: String,
    headers: HashMap<String, String>,
    body: Value,
    status: u16,
}

/// A webhook receiver on loopback: records every POST and answers with
/// the statuses scripted for its path (200 once they run out).
struct Receiver {
    addr: SocketAddr,
    got: Arc<Mutex<Vec<Delivery>>>,
    script: Arc<Mutex<HashMap<String, VecDeque<u16>>>>,
}

impl Receiver {
    fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind receiver");
        let addr = listener.local_addr().expect("addr");
        let got = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Mutex<HashMap<String, VecDeque<u16>>>> = Arc::default();
        let (g, s) = (got.clone(), script.clone());
        thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (g, s) = (g.clone(), s.clone());
                thread::spawn(move || receive(conn, &g, &s));
            }
        });
        Receiver { addr, got, script }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn answer(&self, path: &str, statuses: &[u16]) {
        self.script
            .lock()
            .unwrap()
            .insert(path.into(), statuses.iter().copied().collect());
    }

    fn got(&self, path: &str) -> Vec<Delivery> {
        let all = self.got.lock().unwrap();
        all.iter().filter(|d| d.path == path).cloned().collect()
    }
}

fn receive(
    conn: TcpStream,
    got: &Mutex<Vec<Delivery>>,
    script: &Mutex<HashMap<String, VecDeque<u16>>>,
) {
    let mut reader = BufReader::new(conn.try_clone().expect("clone"));
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let status = script
        .lock()
        .unwrap()
        .get_mut(&path)
        .and_then(VecDeque::pop_front)
        .unwrap_or(200);
    got.lock().unwrap().push(Delivery {
        path,
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        status,
    });
    let mut conn = conn;
    let _ = write!(
        conn,
        "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
}

fn rss_items(site: &Server, prefix: &str, n: usize) -> String {
    let items: String = (1..=n)
        .map(|i| {
            format!(
                "<item><title>{prefix} story {i}</title><link>{}</link><guid>{prefix}-{i}</guid>\
                 <description>Story {i} of {prefix}: the ferry timetable changes on day {i}, with the first boat leaving {i} minutes earlier than before.</description></item>",
                site.url(&format!("/{prefix}/{i}.html"))
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>{prefix}</title>{items}</channel></rss>"
    )
}

fn story_ids(conn: &rusqlite::Connection, url_part: &str) -> Vec<i64> {
    conn.prepare("SELECT id FROM stories WHERE url LIKE '%' || ?1 || '%' ORDER BY id")
        .expect("query")
        .query_map([url_part], |r| r.get(0))
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("ids")
}

fn accepted_ids(deliveries: &[Delivery]) -> Vec<i64> {
    let mut ids: Vec<i64> = deliveries
        .iter()
        .filter(|d| d.status == 200)
        .map(|d| d.body["id"].as_i64().expect("a story id"))
        .collect();
    ids.sort();
    ids
}

#[test]
fn webhook_announces_each_new_story_once_and_retries_after_a_500() {
    let dir = scratch("downstream-webhook");
    let site = Server::start("127.0.0.1");
    let hooks = Receiver::start();
    site.route(
        "/a.rss",
        Reply::ok("application/rss+xml", rss_items(&site, "a", 2)),
    );
    site.route(
        "/b.rss",
        Reply::ok("application/rss+xml", rss_items(&site, "b", 1)),
    );
    // The first delivery fails; the retry must get through.
    hooks.answer("/all", &[500]);
    let config = write(
        &dir,
        &format!(
            "{SETTINGS}\n[webhook]\nurl = \"{all}\"\nsecret_env = \"FEEDSIFT_TEST_HOOK_TOKEN\"\ntimeout = \"5s\"\n\n\
             [[feed]]\nurl = \"{a}\"\nfull_text = \"never\"\n\n\
             [[feed]]\nurl = \"{b}\"\nfull_text = \"never\"\n[feed.webhook]\nurl = \"{own}\"\n",
            all = hooks.url("/all"),
            own = hooks.url("/b-only"),
            a = site.url("/a.rss"),
            b = site.url("/b.rss"),
        ),
    );
    let env = [("FEEDSIFT_TEST_HOOK_TOKEN", "Bearer t0ken")];
    ok(&run(&config, &["poll", "--all"], &env));

    let conn = db(&dir);
    let a_ids = story_ids(&conn, "/a/");
    let b_ids = story_ids(&conn, "/b/");
    assert_eq!((a_ids.len(), b_ids.len()), (2, 1));
    let all = hooks.got("/all");
    // Two stories, one of them sent twice (500, then accepted).
    assert_eq!(all.len(), 3, "{all:#?}");
    assert_eq!(all.iter().filter(|d| d.status == 500).count(), 1);
    let failed = all.iter().find(|d| d.status == 500).expect("the 500");
    let retried = all
        .iter()
        .filter(|d| d.status == 200 && d.body["id"] == failed.body["id"])
        .count();
    assert_eq!(retried, 1, "the refused story was not retried: {all:#?}");
    assert_eq!(accepted_ids(&all), a_ids);
    // A feed with its own webhook goes there only.
    let own = hooks.got("/b-only");
    assert_eq!(accepted_ids(&own), b_ids);
    assert_eq!(own.len(), 1);
    for d in all.iter().chain(&own) {
        assert_eq!(
            d.headers.get("content-type").map(String::as_str),
            Some("application/json")
        );
        assert_eq!(
            d.headers.get("x-feedsift-event").map(String::as_str),
            Some("story.new")
        );
        assert_eq!(
            d.headers.get("x-feedsift-story"),
            Some(&d.body["id"].to_string())
        );
    }
    // The secret goes only where it was configured.
    assert!(
        all.iter()
            .all(|d| d.headers.get("authorization").map(String::as_str) == Some("Bearer t0ken"))
    );
    assert!(own.iter().all(|d| !d.headers.contains_key("authorization")));
    // The body is the story as `export` shows it.
    for line in export(&config) {
        let sent = all
            .iter()
            .chain(&own)
            .find(|d| d.status == 200 && d.body["id"] == line["id"])
            .expect("every story was announced");
        assert_eq!(sent.body, line);
    }

    // Next round: one new entry in feed a, nothing else new.
    site.route(
        "/a.rss",
        Reply::ok("application/rss+xml", rss_items(&site, "a", 3)),
    );
    ok(&run(&config, &["poll", "--all"], &env));
    let a_ids = story_ids(&conn, "/a/");
    assert_eq!(a_ids.len(), 3);
    let all = hooks.got("/all");
    assert_eq!(all.len(), 4, "{all:#?}");
    assert_eq!(accepted_ids(&all), a_ids);
    assert_eq!(hooks.got("/b-only").len(), 1);

    // The secret is read when a story is sent: without it the story is not
    // sent, and the log says which variable is missing.
    site.route(
        "/a.rss",
        Reply::ok("application/rss+xml", rss_items(&site, "a", 4)),
    );
    let said = ok(&run(&config, &["poll", "--all"], &[]));
    assert_eq!(story_ids(&conn, "/a/").len(), 4);
    assert_eq!(hooks.got("/all").len(), 4);
    assert!(
        said.contains("story not sent without its secret")
            && said.contains("environment variable FEEDSIFT_TEST_HOOK_TOKEN is not set"),
        "{said}"
    );
}

#[test]
fn a_dead_webhook_never_stalls_polling() {
    let dir = scratch("downstream-dead-webhook");
    let site = Server::start("127.0.0.1");
    // Accepts connections and never answers.
    let dead = TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead_addr = dead.local_addr().expect("addr");
    thread::spawn(move || {
        let mut held = Vec::new();
        for conn in dead.incoming().flatten() {
            held.push(conn);
        }
    });
    site.route(
        "/a.rss",
        Reply::ok("application/rss+xml", rss_items(&site, "a", 6)),
    );
    let config = write(
        &dir,
        &format!(
            "{SETTINGS}\n[webhook]\nurl = \"http://{dead_addr}/hook\"\ntimeout = \"1s\"\nretries = 20\nqueue = 1\n\n\
             [[feed]]\nurl = \"{}\"\nfull_text = \"never\"\n",
            site.url("/a.rss")
        ),
    );
    let mut child = Command::new(bin())
        .arg("--config")
        .arg(&config)
        .args(["poll", "--all"])
        .env("RUST_LOG", "feedsift=info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // The poll ends after at most the webhook's drain limit (3 s);
    // a minute means it is stuck.
    let started = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("poll --all did not finish with a dead webhook");
        }
        thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().expect("output");
    let stderr = ok(&out);
    // Every story was stored: the writer never waited for the webhook.
    assert_eq!(story_ids(&db(&dir), "/a/").len(), 6);
    // One story in flight, one queued; the rest were dropped, and said so.
    assert!(stderr.contains("webhook queue full"), "{stderr}");
    let dropped: u64 = stderr
        .lines()
        .find(|l| l.contains("webhook deliveries"))
        .and_then(|l| l.split("dropped=").nth(1))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no drop count logged: {stderr}"));
    assert!((4..=5).contains(&dropped), "dropped {dropped}: {stderr}");
}
