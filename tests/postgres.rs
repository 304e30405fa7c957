//! PostgreSQL as the store: the same contract as the SQLite file, several
//! nodes sharing one database. Every test starts a throwaway server of its
//! own (tests/common/pg.rs); without the server binaries they are ignored,
//! with the reason, never passed.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::pg::PgServer;
use common::site::{self, STORIES, syndicated_page};
use common::{Reply, Server, bin, feedsift, scratch};
use feedsift::dedup::fingerprint::Fingerprint;
use feedsift::dedup::index::DEFAULT_WINDOW_SECS;
use feedsift::dedup::site_blocks::{MAX_BLOCKS_PER_HOST, RECENT_PAGES_PER_HOST};
use feedsift::dedup::stories::Stories;
use feedsift::model::Lease;
use feedsift::store::postgres::db::{Conn, Db, Statements};
use feedsift::store::postgres::{self as pg, lease, site_blocks};

/// feeds.toml on the given database, with fast, robots-free test settings.
fn config(dir: &Path, database: &str, feeds: &[String]) -> PathBuf {
    let mut toml = format!(
        "[settings]\ndatabase = \"{database}\"\nper_host_delay = \"0s\"\nrespect_robots = false\n"
    );
    for f in feeds {
        toml.push_str(&format!("\n[[feed]]\nurl = \"{f}\"\n"));
    }
    let path = dir.join("feeds.toml");
    std::fs::write(&path, toml).expect("write feeds.toml");
    path
}

/// Two sites: the herald with an original story and another one; the wire
/// with a syndicated copy of the original and a story of its own, which the
/// herald's feed also lists with tracking parameters (one page, two feeds).
struct Sites {
    herald: Server,
    wire: Server,
    original: String,
    copy: String,
    pages: Vec<String>,
}

const TRACKING: &str = "?utm_source=rss&utm_medium=feed";

fn sites() -> Sites {
    let herald = Server::start("127.0.0.1");
    let wire = Server::start("127.0.0.2");
    let original = herald.url("/news/cranes.html");
    let seeds = herald.url("/news/seeds.html");
    let copy = wire.url("/2026/cranes-back.html");
    let trains = wire.url("/2026/night-trains.html");
    herald.route("/news/cranes.html", Reply::html(STORIES[0].page(&original)));
    herald.route("/news/seeds.html", Reply::html(STORIES[1].page(&seeds)));
    herald.route(
        "/rss.xml",
        Reply::ok(
            "application/rss+xml",
            site::rss(&[
                ("h-1", &original, &STORIES[0]),
                ("h-2", &seeds, &STORIES[1]),
                ("h-3", &format!("{trains}{TRACKING}"), &STORIES[2]),
            ]),
        ),
    );
    wire.route(
        "/2026/cranes-back.html",
        Reply::html(syndicated_page(&STORIES[0], "Valley Wire")),
    );
    wire.route(
        "/2026/night-trains.html",
        Reply::html(STORIES[2].page(&trains)),
    );
    wire.route(
        &format!("/2026/night-trains.html{TRACKING}"),
        Reply::html(STORIES[2].page(&trains)),
    );
    wire.route(
        "/atom.xml",
        Reply::ok(
            "application/atom+xml",
            site::atom(&[("w-1", &copy, &STORIES[0]), ("w-2", &trains, &STORIES[2])]),
        ),
    );
    Sites {
        pages: vec![original.clone(), seeds, copy.clone(), trains],
        herald,
        wire,
        original,
        copy,
    }
}

impl Sites {
    fn feeds(&self) -> Vec<String> {
        vec![self.herald.url("/rss.xml"), self.wire.url("/atom.xml")]
    }

    /// Requests each article page (under any of its addresses) and feed
    /// received.
    fn hits(&self) -> Vec<(String, usize)> {
        let path = |u: &str| {
            u.split_once("//")
                .map(|(_, r)| r[r.find('/').unwrap_or(0)..].to_string())
                .unwrap_or_default()
        };
        let mut hits = Vec::new();
        for page in self.pages.iter().chain(&self.feeds()) {
            let server = if page.starts_with(&self.herald.url("/")) {
                &self.herald
            } else {
                &self.wire
            };
            let tracked = format!("{}{TRACKING}", path(page));
            hits.push((
                page.clone(),
                server.hits(&path(page)) + server.hits(&tracked),
            ));
        }
        hits
    }
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn one(client: &mut postgres::Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).expect(sql).get(0)
}

#[test]
#[cfg_attr(
    not(has_postgres),
    ignore = "PostgreSQL server binaries not found: apt-get install postgresql"
)]
fn poll_all_on_postgres_keeps_the_contract_and_the_reading_commands_work() {
    let server = PgServer::start("contract");
    let url = server.create_db("contract");
    let dir = scratch("pg-contract");
    let sites = sites();
    let config = config(&dir, &url, &sites.feeds());

    // Webhooks are SQLite's for now: refused by name, before anything is
    // written (the schema is not even created).
    let toml = std::fs::read_to_string(&config).expect("read feeds.toml");
    let hooked = dir.join("hooked.toml");
    std::fs::write(
        &hooked,
        format!("{toml}\n[webhook]\nurl = \"http://127.0.0.1:9/hook\"\n"),
    )
    .expect("write hooked.toml");
    let refused = feedsift(&hooked, &["poll", "--all"]);
    let error = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{error}");
    assert!(
        error.contains("[webhook] announces stories from a SQLite database only"),
        "{error}"
    );
    assert_eq!(
        one(
            &mut server.client("contract"),
            "SELECT count(*) FROM pg_tables WHERE tablename = 'articles'"
        ),
        0
    );

    let first = feedsift(&config, &["poll", "--all"]);
    let summary = ok(&first);
    let log = String::from_utf8_lossy(&first.stderr);
    assert!(summary.contains("4 new, 1 duplicates"), "{summary}");
    let mut db = server.client("contract");
    assert_eq!(one(&mut db, "SELECT count(*) FROM articles"), 4);
    assert_eq!(one(&mut db, "SELECT count(*) FROM stories"), 3);
    let sightings: Vec<(i64, i64, String)> = db
        .query(
            "SELECT article_id, feed_id, entry_id FROM article_sources ORDER BY 1, 2",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    assert_eq!(sightings.len(), 5, "{sightings:?}\n{summary}\n{log}");
    let root: i64 = db
        .query_one("SELECT id FROM articles WHERE url = $1", &[&sites.original])
        .unwrap()
        .get(0);
    let copy_of: Option<i64> = db
        .query_one(
            "SELECT duplicate_of FROM articles WHERE url = $1",
            &[&sites.copy],
        )
        .unwrap()
        .get(0);
    assert_eq!(
        copy_of,
        Some(root),
        "the syndicated copy points at the original"
    );
    // Every row has its own change number, and the counter is the highest.
    assert_eq!(
        one(&mut db, "SELECT count(DISTINCT change_seq) FROM articles"),
        4
    );
    assert_eq!(
        one(&mut db, "SELECT max(change_seq) FROM articles"),
        one(&mut db, "SELECT seq FROM change_counter")
    );
    assert_eq!(one(&mut db, "SELECT count(*) FROM articles_fts"), 4);
    assert_eq!(
        one(
            &mut db,
            "SELECT count(*) FROM feeds WHERE last_success_at IS NOT NULL AND lease_owner IS NULL"
        ),
        2
    );

    // Polled again: nothing new, nothing doubled.
    let again = ok(&feedsift(&config, &["poll", "--all"]));
    assert!(again.contains("0 new"), "{again}");
    assert_eq!(one(&mut db, "SELECT count(*) FROM articles"), 4);

    // The reading commands, on --db as on feeds.toml.
    let status = ok(&Command::new(bin())
        .args(["--db", &url, "status", "--json"])
        .output()
        .unwrap());
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["feeds"].as_array().map(Vec::len), Some(2));
    assert_eq!(status["totals"]["stories"], 3);
    let found = ok(&feedsift(&config, &["search", "--json", "cranes"]));
    let hits: Vec<serde_json::Value> = found
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(hits.len(), 1, "{found}");
    assert_eq!(hits[0]["id"], root);
    assert_eq!(hits[0]["copies"], 1);
    let export = ok(&feedsift(&config, &["export"]));
    let stories: Vec<serde_json::Value> = export
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(stories.len(), 3);
    let seqs: Vec<i64> = stories
        .iter()
        .filter_map(|s| s["change_seq"].as_i64())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    let cranes = stories.iter().find(|s| s["id"] == root).unwrap();
    assert_eq!(cranes["sources"].as_array().map(Vec::len), Some(2));
    let last = seqs[seqs.len() - 1].to_string();
    let rest = ok(&feedsift(&config, &["export", "--after-id", &last]));
    assert_eq!(rest, "");
}

#[test]
#[cfg_attr(
    not(has_postgres),
    ignore = "PostgreSQL server binaries not found: apt-get install postgresql"
)]
fn nodes_racing_to_migrate_a_fresh_database_apply_each_migration_once() {
    let server = PgServer::start("race");
    let url = server.create_db("race");
    let racers: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || pg::migrate::migrate(&mut pg::connect(&url).unwrap()))
        })
        .collect();
    let applied: usize = racers
        .into_iter()
        .map(|t| t.join().unwrap().expect("migrated"))
        .sum();
    assert_eq!(applied, pg::migrate::MIGRATIONS.len());
    let mut db = server.client("race");
    assert_eq!(
        one(&mut db, "SELECT version FROM feedsift_schema"),
        pg::migrate::latest_version()
    );
}

#[test]
#[cfg_attr(
    not(has_postgres),
    ignore = "PostgreSQL server binaries not found: apt-get install postgresql"
)]
fn change_seq_numbers_a_story_as_sqlite_does() {
    let server = PgServer::start("seq");
    let url = server.create_db("seq");
    drop(pg::open_writer(&url).unwrap());
    let mut db = server.client("seq");
    let seq = |db: &mut postgres::Client, id: i64| -> i64 {
        db.query_one("SELECT change_seq FROM articles WHERE id = $1", &[&id])
            .unwrap()
            .get(0)
    };
    db.batch_execute(
        "INSERT INTO feeds(id, url, created_at) VALUES (1, 'https://a/feed', 'x');
         INSERT INTO articles(id, url, canonical_url, url_key, text, created_at, updated_at)
             VALUES (10, 'https://a/1', 'https://a/1', 'a/1', 't', 'x', 'x');",
    )
    .unwrap();
    assert_eq!(seq(&mut db, 10), 1);
    // A copy: its own number, then its story's.
    db.batch_execute(
        "INSERT INTO articles(id, url, canonical_url, url_key, text, duplicate_of, created_at, updated_at)
             VALUES (11, 'https://b/1', 'https://b/1', 'b/1', 't', 10, 'x', 'x');",
    )
    .unwrap();
    assert_eq!((seq(&mut db, 11), seq(&mut db, 10)), (2, 3));
    // A sighting of the copy changes the copy, then the story.
    db.batch_execute(
        "INSERT INTO article_sources(article_id, feed_id, entry_id, first_seen_at) VALUES (11, 1, 'e', 'x');",
    )
    .unwrap();
    assert_eq!((seq(&mut db, 11), seq(&mut db, 10)), (4, 5));
    // Retention clearing the text is not a change.
    db.batch_execute("UPDATE articles SET text = NULL, purged_at = 'y' WHERE id = 10;")
        .unwrap();
    assert_eq!(seq(&mut db, 10), 5);
    // A refreshed text is.
    db.batch_execute("UPDATE articles SET title = 'new' WHERE id = 10;")
        .unwrap();
    assert_eq!(seq(&mut db, 10), 6);
    assert_eq!(one(&mut db, "SELECT seq FROM change_counter"), 6);
}

#[test]
#[cfg_attr(
    not(has_postgres),
    ignore = "PostgreSQL server binaries not found: apt-get install postgresql"
)]
fn a_lease_is_one_nodes_until_it_expires_and_a_host_is_polled_by_one_node() {
    let server = PgServer::start("lease");
    let url = server.create_db("lease");
    drop(pg::open_writer(&url).unwrap());
    let mut db = server.client("lease");
    db.batch_execute(
        "INSERT INTO feeds(id, url, created_at) VALUES
             (1, 'https://news.example/a.xml', 'x'),
             (2, 'https://NEWS.example:8443/b.xml', 'x'),
             (3, 'https://other.example/c.xml', 'x');",
    )
    .unwrap();
    let mut conn = Conn::new(pg::connect(&url).unwrap());
    let now = chrono::Utc::now();
    let mut take =
        |feed: i64, node: &str| lease::acquire(&mut conn, feed, node, false, now).unwrap();
    assert_eq!(take(1, "a"), Lease::Granted);
    assert!(matches!(take(1, "b"), Lease::Held { .. }), "held by a");
    assert!(
        matches!(take(2, "b"), Lease::Held { .. }),
        "another feed of a's host waits for a"
    );
    assert_eq!(take(3, "b"), Lease::Granted, "other hosts are free");
    // a dies: its lease runs out, and b takes the feed over.
    db.batch_execute(
        "UPDATE feeds SET lease_until = now() - interval '1 second' WHERE lease_owner = 'a'",
    )
    .unwrap();
    assert_eq!(take(1, "b"), Lease::Granted);
    // A feed polled already (next poll ahead) is not due for anyone.
    let later = feedsift::store::timestamp(now + chrono::Duration::minutes(10));
    db.execute(
        "UPDATE feeds SET lease_owner = NULL, lease_until = NULL, next_poll_at = $1 WHERE id = 3",
        &[&later],
    )
    .unwrap();
    match take(3, "a") {
        Lease::Held { retry_at } => assert_eq!(feedsift::store::timestamp(retry_at), later),
        other => panic!("{other:?}"),
    }
    assert!(lease::renew(&mut conn, 1, "b").unwrap());
    assert!(!lease::renew(&mut conn, 1, "a").unwrap());
}

fn start_node(config: &Path, log: &Path) -> Child {
    Command::new(bin())
        .arg("--config")
        .arg(config)
        .arg("run")
        .env("RUST_LOG", "feedsift=debug")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("start feedsift run")
}

fn stop_node(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

#[test]
#[cfg_attr(
    not(has_postgres),
    ignore = "PostgreSQL server binaries not found: apt-get install postgresql"
)]
fn two_daemons_on_one_database_split_the_feeds_and_mark_copies_across_nodes() {
    let server = PgServer::start("nodes");
    let url = server.create_db("nodes");
    let dir = scratch("pg-nodes");
    let sites = sites();
    let config = config(&dir, &url, &sites.feeds());
    let nodes = [
        start_node(&config, &dir.join("node-1.log")),
        start_node(&config, &dir.join("node-2.log")),
    ];
    let mut db = server.client("nodes");
    let deadline = Instant::now() + Duration::from_secs(90);
    let done = "SELECT count(*) FROM feeds WHERE last_success_at IS NOT NULL";
    while Instant::now() < deadline
        && db
            .query_one(done, &[])
            .map(|r| r.get::<_, i64>(0))
            .unwrap_or(0)
            < 2
    {
        std::thread::sleep(Duration::from_millis(200));
    }
    // A moment more: anything fetched twice would show up now.
    std::thread::sleep(Duration::from_secs(2));
    for node in nodes {
        stop_node(node);
    }
    let logs: String = ["node-1.log", "node-2.log"]
        .iter()
        .map(|l| std::fs::read_to_string(dir.join(l)).unwrap_or_default())
        .collect();
    assert_eq!(one(&mut db, done), 2, "{logs}");
    for (page, hits) in sites.hits() {
        assert_eq!(hits, 1, "{page} fetched {hits} times\n{logs}");
    }
    assert_eq!(one(&mut db, "SELECT count(*) FROM articles"), 4);
    assert_eq!(one(&mut db, "SELECT count(*) FROM stories"), 3);
    // Whichever node stored which, the two copies of the story are one.
    let pair: Vec<Option<i64>> = db
        .query(
            "SELECT duplicate_of FROM articles WHERE url = $1 OR url = $2 ORDER BY id",
            &[&sites.original, &sites.copy],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(pair.iter().filter(|d| d.is_some()).count(), 1, "{pair:?}");
    assert_eq!(
        one(
            &mut db,
            "SELECT count(*) FROM feeds WHERE lease_owner IS NOT NULL"
        ),
        0
    );
}

#[test]
#[cfg_attr(
    not(has_postgres),
    ignore = "PostgreSQL server binaries not found: apt-get install postgresql"
)]
fn filtered_entries_are_decided_once_and_entry_details_and_markdown_are_stored() {
    let server = PgServer::start("details");
    let url = server.create_db("details");
    let dir = scratch("pg-details");
    let site = Server::start("127.0.0.1");
    let path = |i: usize| format!("/news/{}.html", STORIES[i].slug);
    let links: Vec<String> = (0..STORIES.len())
        .map(|i| {
            let link = site.url(&path(i));
            site.route(&path(i), Reply::html(STORIES[i].page(&link)));
            link
        })
        .collect();
    let guids: Vec<String> = STORIES.iter().map(|s| format!("urn:{}", s.slug)).collect();
    let mut items: Vec<(&str, &str, &site::Story)> = (0..STORIES.len())
        .map(|i| (guids[i].as_str(), links[i].as_str(), &STORIES[i]))
        .collect();
    // An entry whose page fails for now (stored with the feed's text as a
    // stand-in): its retry is due long before the feed's six-hour interval.
    let late = site.url("/news/late.html");
    site.route("/news/late.html", Reply::status(503));
    items.push(("urn:late", &late, &STORIES[1]));
    // The river story carries a category and an author.
    let rss = site::rss(&items).replacen(
        "<item><title>Volunteers",
        "<item><category>Rivers</category><author>morgan@herald.test (Morgan Reed)</author><title>Volunteers",
        1,
    );
    site.route("/feed.xml", Reply::ok("application/rss+xml", rss));
    let config = dir.join("feeds.toml");
    std::fs::write(
        &config,
        format!(
            "[settings]\ndatabase = \"{url}\"\nper_host_delay = \"0s\"\nrespect_robots = false\nmarkdown = true\n\n\
             [[feed]]\nurl = \"{}\"\ninterval = \"6h\"\n[feed.filter]\nexclude = [\n  {{ title = '(?i)\\bcranes\\b' }},\n  {{ text = '(?i)sleeping cars' }},\n]\n",
            site.url("/feed.xml")
        ),
    )
    .expect("write feeds.toml");

    let first = ok(&feedsift(&config, &["poll", "--all"]));
    assert!(
        first.contains("3 new") && first.contains("entries filtered: 2"),
        "{first}"
    );
    let mut db = server.client("details");
    let filtered: Vec<(String, String)> = db
        .query(
            "SELECT entry_id, reason FROM filtered_entries ORDER BY entry_id",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(filtered.len(), 2, "{filtered:?}");
    assert!(
        filtered[0].0 == guids[0] && filtered[0].1.contains("title ~"),
        "{filtered:?}"
    );
    assert!(
        filtered[1].0 == guids[2] && filtered[1].1.contains("text ~"),
        "{filtered:?}"
    );
    // The feed's next poll is brought forward to the retry.
    let (next_poll, retry): (Option<String>, Option<String>) = db
        .query_one(
            "SELECT next_poll_at, (SELECT min(next_attempt_at) FROM pending_entries) FROM feeds",
            &[],
        )
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert!(
        retry.is_some() && next_poll == retry,
        "{next_poll:?} {retry:?}"
    );
    // The title rule needed no page, the text rule did.
    assert_eq!((site.hits(&path(0)), site.hits(&path(2))), (0, 1));
    assert_eq!(one(&mut db, "SELECT count(*) FROM articles"), 3);

    // The next poll decides nothing again and fetches no page.
    let again = ok(&feedsift(&config, &["poll", "--all"]));
    assert!(!again.contains("filtered"), "{again}");
    assert_eq!((site.hits(&path(0)), site.hits(&path(2))), (0, 1));
    assert_eq!(one(&mut db, "SELECT count(*) FROM filtered_entries"), 2);
    assert_eq!(one(&mut db, "SELECT count(*) FROM articles"), 3);

    // The kept entry's details and Markdown, through the `stories` view.
    let river = db
        .query_one(
            "SELECT tags, authors, markdown, enclosures FROM stories WHERE url = $1",
            &[&links[3]],
        )
        .unwrap();
    assert_eq!(
        river.get::<_, Option<String>>(0).as_deref(),
        Some(r#"["Rivers"]"#)
    );
    let authors: Option<String> = river.get(1);
    assert!(
        authors
            .as_deref()
            .is_some_and(|a| a.contains(r#""name":"Morgan Reed""#)
                && a.contains(r#""email":"morgan@herald.test""#)),
        "{authors:?}"
    );
    let markdown: Option<String> = river.get(2);
    assert!(
        markdown
            .as_deref()
            .is_some_and(|m| m.contains("Four hundred volunteers")),
        "{markdown:?}"
    );
    assert_eq!(
        river.get::<_, Option<String>>(3),
        None,
        "no enclosures: NULL"
    );
    // The lists read as JSON on the server.
    assert_eq!(
        one(
            &mut db,
            "SELECT count(*) FROM stories, jsonb_array_elements_text(stories.tags::jsonb) t WHERE t = 'Rivers'"
        ),
        1
    );
    // And in the export.
    let export = ok(&feedsift(&config, &["export"]));
    let stories: Vec<serde_json::Value> = export
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let exported = stories
        .iter()
        .find(|s| s["url"] == links[3].as_str())
        .unwrap_or_else(|| panic!("the river story in {export}"));
    assert_eq!(exported["tags"], serde_json::json!(["Rivers"]));
    assert_eq!(exported["authors"][0]["name"], "Morgan Reed");
    assert!(exported["markdown"].is_string(), "{exported}");
}

/// Stores a page as its own story on PostgreSQL as the writer does:
/// cleaned of its site's known blocks, then learned from.
fn store_page(db: &mut Db, stories: &mut Stories, url: &str, extracted: &str) -> i64 {
    let text = site_blocks::clean(db, url, extracted)
        .expect("clean")
        .unwrap_or_else(|| extracted.to_string());
    let key = url.trim_start_matches("https://");
    let id: i64 = db
        .query_one(
            "INSERT INTO articles(url, canonical_url, url_key, text, extract_status, created_at, updated_at)
             VALUES ($1, $1, $2, $3, 'ok', '2026-11-30T00:00:00Z', '2026-11-30T00:00:00Z') RETURNING id",
            &[&url, &key, &text],
        )
        .expect("insert")
        .get(0);
    site_blocks::learn(db, stories, id, url, extracted).expect("learn");
    id
}

#[test]
#[cfg_attr(
    not(has_postgres),
    ignore = "PostgreSQL server binaries not found: apt-get install postgresql"
)]
fn site_boilerplate_is_learned_cleaned_and_bounded_on_postgres() {
    const NEW: &str =
        "A brand new story, with more words of its own than the teaser has, about the harbour.";
    const TEASER: &str =
        "The new ferry timetable starts on Monday with two extra crossings every evening.";
    let server = PgServer::start("blocks");
    let url = server.create_db("blocks");
    let mut client = pg::open_writer(&url).unwrap();
    let mut tx = client.transaction().unwrap();
    let mut statements = Statements::default();
    let mut db = Db::new(&mut tx, &mut statements);
    let mut stories = Stories::rebuild(DEFAULT_WINDOW_SECS, 0, []);
    let text = |db: &mut Db, id: i64| -> String {
        db.query_one("SELECT text FROM articles WHERE id = $1", &[&id])
            .unwrap()
            .get(0)
    };

    // The scenario of src/store/site_blocks.rs's test: a teaser quoting a
    // story's lead is cleaned from the site's other pages, not from that
    // story.
    let ferry = store_page(
        &mut db,
        &mut stories,
        "https://site.example/ferry",
        &format!(
            "{TEASER}\n\nThe operator hired four more crew for the winter, and said the \
             older of its two boats would be refitted in the spring at the yard upriver."
        ),
    );
    let others: Vec<i64> = (0..3)
        .map(|i| {
            let own = format!(
                "Story {i} has its own first paragraph about topic {i}.\n\nAnd a second one, number {i}, with more words in it."
            );
            store_page(
                &mut db,
                &mut stories,
                &format!("https://site.example/s{i}"),
                &format!("{own}\n\n{TEASER}"),
            )
        })
        .collect();
    assert!(
        text(&mut db, ferry).starts_with(TEASER),
        "{}",
        text(&mut db, ferry)
    );
    for &id in &others {
        let cleaned = text(&mut db, id);
        assert!(!cleaned.contains(TEASER), "{cleaned}");
    }
    // The two pages stored before the teaser was known were cleaned
    // afterwards, fingerprint included (this test's inserts leave it NULL).
    for &id in &others[..2] {
        let words: Option<i64> = db
            .query_one("SELECT word_count FROM articles WHERE id = $1", &[&id])
            .unwrap()
            .get(0);
        let cleaned = text(&mut db, id);
        assert_eq!(words, Some(i64::from(Fingerprint::of(&cleaned).word_count)));
    }
    assert_eq!(
        site_blocks::clean(
            &mut db,
            "https://other.example/x",
            &format!("Own words here.\n\n{TEASER}")
        )
        .expect("clean"),
        None,
        "another host's pages are not touched by this host's blocks"
    );
    let next = site_blocks::clean(
        &mut db,
        "https://www.site.example/next",
        &format!("{NEW}\n\n{TEASER}"),
    )
    .expect("clean");
    assert_eq!(next.as_deref(), Some(NEW));

    // The bounds (SQLite's `LIMIT -1 OFFSET n` is PostgreSQL's `OFFSET n`):
    // a host's blocks beyond MAX_BLOCKS_PER_HOST and pages beyond
    // RECENT_PAGES_PER_HOST are cut back to 7/8 of them, the most recently
    // seen kept.
    let lines: Vec<String> = (0..MAX_BLOCKS_PER_HOST + 10)
        .map(|i| format!("Line number {i} of a very long listing page."))
        .collect();
    let big = store_page(
        &mut db,
        &mut stories,
        "https://big.example/listing",
        &lines.join("\n"),
    );
    let kept = |db: &mut Db, sql: &str| -> i64 { db.query_one(sql, &[]).unwrap().get(0) };
    assert_eq!(
        kept(
            &mut db,
            "SELECT count(*) FROM site_blocks WHERE host = 'big.example'"
        ),
        (MAX_BLOCKS_PER_HOST * 7 / 8) as i64
    );
    for i in 0..=RECENT_PAGES_PER_HOST {
        store_page(
            &mut db,
            &mut stories,
            &format!("https://many.example/{i}"),
            &format!("Page {i} of many."),
        );
    }
    assert_eq!(
        kept(
            &mut db,
            "SELECT count(*) FROM site_pages WHERE host = 'many.example'"
        ),
        (RECENT_PAGES_PER_HOST * 7 / 8) as i64
    );
    assert!(
        kept(
            &mut db,
            "SELECT min(article_id) FROM site_pages WHERE host = 'many.example'"
        ) > big + (RECENT_PAGES_PER_HOST / 8) as i64,
        "the oldest pages went first"
    );
}

#[test]
#[cfg_attr(
    not(has_postgres),
    ignore = "PostgreSQL server binaries not found: apt-get install postgresql"
)]
fn sketches_of_an_older_build_are_recomputed_when_the_writer_opens() {
    let server = PgServer::start("sketches");
    let url = server.create_db("sketches");
    drop(pg::open_writer(&url).unwrap());
    let mut db = server.client("sketches");
    let text = STORIES[0].text();
    db.execute(
        "INSERT INTO articles(id, url, canonical_url, url_key, text, minhash, created_at, updated_at)
             VALUES (1, 'https://a/1', 'https://a/1', 'a/1', $1, $2, 'x', 'x'),
                    (2, 'https://a/2', 'https://a/2', 'a/2', NULL, $2, 'x', 'x')",
        &[&text, &vec![7u8; 96]],
    )
    .unwrap();
    drop(pg::writer::PgWriter::open(&url, 30, "node".into()).unwrap());
    let stored: Vec<u8> = db
        .query_one("SELECT minhash FROM articles WHERE id = 1", &[])
        .unwrap()
        .get(0);
    let expected = Fingerprint::of(&text).sketch.map(|s| s.to_bytes().to_vec());
    assert_eq!(Some(stored), expected);
    // A purged row keeps its old sketch: there is no text to compute from.
    assert_eq!(
        one(
            &mut db,
            "SELECT length(minhash)::bigint FROM articles WHERE id = 2"
        ),
        96
    );
}

#[test]
#[cfg_attr(
    not(has_postgres),
    ignore = "PostgreSQL server binaries not found: apt-get install postgresql"
)]
fn tls_is_used_and_verified_when_the_url_asks_for_it() {
    let (server, root) = PgServer::start_tls("tls");
    let plain = server.create_db("tls");
    let root = root.to_string_lossy().into_owned();
    let in_tls = |client: &mut postgres::Client| -> bool {
        client
            .query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .expect("pg_stat_ssl")
            .get(0)
    };
    // The certificate checked against sslrootcert, name included.
    for mode in ["require", "verify-ca", "verify-full"] {
        let url = format!("{plain}?sslmode={mode}&sslrootcert={root}");
        let mut client = pg::connect(&url).unwrap_or_else(|e| panic!("{mode}: {e}"));
        assert!(in_tls(&mut client), "{mode}");
    }
    // Without sslrootcert the system's roots do not know this certificate:
    // refused, never downgraded to plain text.
    let refused = pg::connect(&format!("{plain}?sslmode=require"))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        refused.contains("cannot connect to") && refused.contains("invalid peer certificate"),
        "{refused}"
    );
    // By name: a certificate for 127.0.0.1 and localhost is not one for
    // another name of the same server.
    // (hostaddr: connect to 127.0.0.1, check the name in `host`).
    let other_name = plain.replace("127.0.0.1", "db.example");
    let wrong_name = pg::connect(&format!(
        "{other_name}?hostaddr=127.0.0.1&sslmode=require&sslrootcert={root}"
    ))
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(wrong_name.contains("not valid for name"), "{wrong_name}");
    // `prefer` (the default) stays plain text.
    let mut client = pg::connect(&plain).expect("plain");
    assert!(!in_tls(&mut client));

    // The whole pipeline over TLS: a poll stores its articles and `status`
    // reads them back on the same URL.
    let dir = scratch("pg-tls");
    let sites = sites();
    let url = format!("{plain}?sslmode=verify-full&sslrootcert={root}");
    let config = config(&dir, &url, &sites.feeds());
    ok(&feedsift(&config, &["poll", "--all"]));
    assert_eq!(
        one(&mut server.client("tls"), "SELECT count(*) FROM articles"),
        4
    );
    let status = ok(&feedsift(&config, &["status"]));
    assert!(status.contains("articles"), "{status}");
}
