//! Readers during a large write: while the real binary runs `poll --all`
//! over 200 pages from 20 feeds (20 commits spread over a few seconds), a
//! second, read-only connection (as `sqlite3`, Python or Datasette would
//! open it) reads in a loop and must only ever see whole articles: each with
//! its source row, its complete text, and its FTS entry.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::site::html_escape;
use common::{Reply, Server, scratch, write_config};
use rusqlite::{Connection, OpenFlags};

const FEEDS: usize = 20;
const ENTRIES_PER_FEED: usize = 10;

/// Words the generated stories are made of: enough that two stories share
/// few three-word runs, so none is taken for a copy of another.
const VOCABULARY: &str = "harbour council budget river bridge station market school hospital museum \
    library festival harvest weather storm flood drought tunnel ferry airport stadium garden orchard \
    factory mine quarry forest meadow valley mountain island village city district street square \
    tower castle chapel theatre gallery cinema bakery brewery dairy vineyard canal lock dam reservoir \
    pipeline cable mast beacon lighthouse pier quay dock crane ship barge tram train bus lorry bicycle \
    runner swimmer climber sailor farmer miner teacher nurse doctor judge mayor clerk engineer pilot \
    announced approved rejected delayed opened closed repaired expanded reduced doubled measured \
    reported warned promised expected estimated confirmed denied planned funded built painted";

/// Deterministic pseudo-random words (a linear congruential generator):
/// the same text every run, different for every page.
fn story_text(seed: u64) -> String {
    let words: Vec<&str> = VOCABULARY.split_whitespace().collect();
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        words[(state >> 33) as usize % words.len()]
    };
    let mut paragraphs = Vec::new();
    for _ in 0..4 {
        let sentence: Vec<&str> = (0..45).map(|_| next()).collect();
        let mut p = sentence.join(" ");
        if let Some(first) = p.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        p.push('.');
        paragraphs.push(p);
    }
    paragraphs.push(format!("Filed by the test desk as bulletin {seed}."));
    paragraphs.join("\n\n")
}

fn page(title: &str, text: &str, url: &str) -> String {
    let body: String = text
        .split("\n\n")
        .map(|p| format!("<p>{}</p>\n", html_escape(p)))
        .collect();
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="canonical" href="{url}"></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>{title}</h1><div class="story-body">
{body}</div></article><footer>All rights reserved.</footer></body></html>"#
    )
}

fn rss(items: &[(String, String)]) -> String {
    let items: String = items
        .iter()
        .map(|(title, link)| {
            format!(
                "<item><title>{title}</title><link>{link}</link><guid>{link}</guid><description>Teaser.</description></item>\n"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Load</title><link>http://load.test/</link>\
         <description>x</description>{items}</channel></rss>"
    )
}

/// One consistent look at the database, in one read transaction.
struct Snapshot {
    articles: usize,
    problems: Vec<String>,
}

fn look(conn: &Connection, expected: &HashMap<String, String>) -> rusqlite::Result<Snapshot> {
    let tx = conn.unchecked_transaction()?;
    let mut problems = Vec::new();
    let rows: Vec<(i64, String, Option<String>, i64)> = tx
        .prepare(
            "SELECT a.id, a.url, a.text, (SELECT count(*) FROM article_sources s WHERE s.article_id = a.id)
             FROM articles a",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    for (id, url, text, sources) in &rows {
        if *sources != 1 {
            problems.push(format!("article {id} has {sources} source rows"));
        }
        match (expected.get(url), text) {
            (Some(want), Some(got)) if got.trim() == want => {}
            (None, _) => problems.push(format!("article {id}: unexpected url {url}")),
            (Some(_), got) => problems.push(format!(
                "article {id}: text incomplete or wrong ({} bytes)",
                got.as_ref().map_or(0, String::len)
            )),
        }
    }
    let indexed: BTreeSet<i64> = tx
        .prepare("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'bulletin'")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let ids: BTreeSet<i64> = rows.iter().map(|r| r.0).collect();
    if indexed != ids {
        problems.push(format!(
            "FTS out of step: {} indexed, {} articles",
            indexed.len(),
            ids.len()
        ));
    }
    tx.commit()?;
    Ok(Snapshot {
        articles: rows.len(),
        problems,
    })
}

fn open_read_only(db: &Path) -> Option<Connection> {
    let uri = format!("file:{}?mode=ro", db.display());
    let conn = Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
    )
    .ok()?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .ok()?;
    (version == feedsift::store::migrate::latest_version()).then_some(conn)
}

#[test]
fn a_reader_during_a_large_poll_only_ever_sees_whole_articles() {
    let dir = scratch("concurrent-read");
    let mut servers = Vec::new();
    let mut expected = HashMap::new();
    let mut feed_urls = Vec::new();
    for f in 0..FEEDS {
        // One host per feed, so feeds do not share politeness slots, and a
        // different pace per feed, so their commits spread out in time.
        let server = Server::start(&format!("127.0.0.{}", f + 10));
        let delay = Duration::from_millis(12 * (f as u64 + 1));
        let mut items = Vec::new();
        for e in 0..ENTRIES_PER_FEED {
            let seed = (f * ENTRIES_PER_FEED + e) as u64;
            let path = format!("/story/{seed}.html");
            let url = server.url(&path);
            let title = format!("Load story {seed}");
            let text = story_text(seed);
            server.route(
                &path,
                Reply::html(page(&title, &text, &url)).with_delay(delay),
            );
            expected.insert(url.clone(), text);
            items.push((title, url));
        }
        server.route("/rss.xml", Reply::ok("application/rss+xml", rss(&items)));
        feed_urls.push(server.url("/rss.xml"));
        servers.push(server);
    }
    let config = write_config(
        &dir,
        &feed_urls.iter().map(String::as_str).collect::<Vec<_>>(),
        "per_host_concurrency = 1\nmax_concurrent_fetches = 64",
    );
    let db = dir.join("feedsift.db");

    let mut child = Command::new(common::bin())
        .arg("--config")
        .arg(&config)
        .args(["poll", "--all"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start feedsift");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut reader = None;
    let mut seen_counts = BTreeSet::new();
    let mut looks = 0;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "poll did not finish in time");
        if reader.is_none() {
            reader = open_read_only(&db);
        }
        if let Some(conn) = &reader {
            let snap = look(conn, &expected).expect("read during the poll");
            assert!(snap.problems.is_empty(), "{:?}", snap.problems);
            seen_counts.insert(snap.articles);
            looks += 1;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(status.success(), "poll failed");
    println!("article counts seen: {seen_counts:?} in {looks} looks");
    let conn = reader
        .or_else(|| open_read_only(&db))
        .expect("database readable");
    let last = look(&conn, &expected).unwrap();
    assert!(last.problems.is_empty(), "{:?}", last.problems);
    assert_eq!(last.articles, FEEDS * ENTRIES_PER_FEED);
    let partial = seen_counts
        .iter()
        .filter(|n| **n > 0 && **n < FEEDS * ENTRIES_PER_FEED)
        .count();
    assert!(
        partial >= 3,
        "the reader saw too few intermediate states to prove anything: {seen_counts:?} in {looks} looks"
    );
    // Every snapshot held whole feeds: a poll's articles commit together.
    assert!(
        seen_counts.iter().all(|n| n % ENTRIES_PER_FEED == 0),
        "{seen_counts:?}"
    );
}
