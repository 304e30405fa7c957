//! The reading side, end to end through the real binary on databases that
//! real polls wrote: `status`, `search`, `export` (with the change cursor)
//! and retention.

mod common;
mod data_support;

use std::collections::BTreeSet;
use std::process::Output;

use common::site::STORIES;
use common::{Reply, count, db, feedsift, scratch, write_config};
use data_support::{Newsroom, wire_feed, wire_page};
use serde_json::Value;

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json_lines(out: &Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn id_of(conn: &rusqlite::Connection, url_suffix: &str) -> i64 {
    conn.query_row(
        "SELECT id FROM articles WHERE url LIKE '%' || ?1",
        [url_suffix],
        |r| r.get(0),
    )
    .unwrap_or_else(|e| panic!("no article at *{url_suffix}: {e}"))
}

#[test]
fn status_shows_every_feed_with_its_state() {
    let dir = scratch("data-status");
    let room = Newsroom::start(&dir, "");
    let h = &room.herald;
    h.route("/broken.xml", Reply::status(404));
    h.route("/gone.xml", Reply::status(410));
    h.route(
        "/old.xml",
        Reply::status(301).with_header("Location", &h.url("/new.xml")),
    );
    h.route(
        "/new.xml",
        Reply::ok(
            "application/feed+json",
            r#"{"version": "https://jsonfeed.org/version/1.1", "title": "Moved Feed", "items": []}"#,
        ),
    );
    // An entry whose page is missing: waits for a retry.
    h.route(
        "/pending.json",
        Reply::ok(
            "application/feed+json",
            serde_json::json!({
                "version": "https://jsonfeed.org/version/1.1", "title": "Pending Post",
                "items": [{"id": "p-1", "url": h.url("/not-yet.html"), "title": "Soon", "content_text": "Soon."}]
            })
            .to_string(),
        ),
    );
    let all = [
        h.url("/rss.xml"),
        h.url("/digest.atom"),
        room.wire.url("/wire.json"),
        h.url("/broken.xml"),
        h.url("/gone.xml"),
        h.url("/old.xml"),
        h.url("/pending.json"),
    ];
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    write_config(&dir, &refs, "");
    room.poll();
    // The digest is taken out of feeds.toml: its row stays, as removed.
    let without_digest: Vec<&str> = refs
        .iter()
        .copied()
        .filter(|u| !u.ends_with(".atom"))
        .collect();
    write_config(&dir, &without_digest, "");
    room.poll();

    let out = feedsift(&room.config, &["status"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let table = stdout(&out);
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[0].starts_with("STATE ") && lines[0].contains(" FEED "),
        "{table}"
    );
    let row = |needle: &str| -> &str {
        lines
            .iter()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no row for {needle}:\n{table}"))
    };
    let herald = row("The Test Herald");
    assert!(herald.starts_with("ok "), "{herald}");
    assert!(
        herald.contains("just now") && herald.contains("in 1"),
        "{herald}"
    );
    let broken = row("/broken.xml");
    assert!(broken.starts_with("failing"), "{broken}");
    assert!(
        broken.contains("never") && broken.contains("HTTP 404"),
        "{broken}"
    );
    let gone = row("/gone.xml");
    assert!(
        gone.starts_with("muted") && gone.contains("not scheduled"),
        "{gone}"
    );
    assert!(row("Atom Test Wire").starts_with("removed"), "{table}");
    let moved = lines.iter().position(|l| l.contains("Moved Feed")).unwrap();
    assert_eq!(
        lines[moved + 1].trim(),
        format!("moved to {}", h.url("/new.xml")),
        "{table}"
    );
    assert!(
        row("Pending Post").ends_with(" 1"),
        "pending page counted: {table}"
    );
    // Columns line up: every row's second column starts where the header's does.
    let feed_col = lines[0].find("FEED").unwrap();
    for l in lines.iter().skip(1).take_while(|l| !l.is_empty()) {
        if !l.trim_start().starts_with("moved to") {
            assert_eq!(&l[feed_col - 2..feed_col], "  ", "misaligned: {l}");
        }
    }
    assert!(
        table.contains("7 feeds (") && table.contains("1 failing") && table.contains("1 removed"),
        "{table}"
    );

    let out = feedsift(&room.config, &["status", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let feeds = report["feeds"].as_array().unwrap();
    assert_eq!(feeds.len(), 7);
    let feed = |suffix: &str| -> &Value {
        feeds
            .iter()
            .find(|f| f["url"].as_str().unwrap().ends_with(suffix))
            .unwrap()
    };
    let herald = feed("/rss.xml");
    assert_eq!(herald["articles"], 4);
    assert_eq!(herald["duplicates"], 0);
    assert_eq!(feed("/wire.json")["duplicates"], 2, "the wire's two copies");
    for key in ["last_success_at", "last_polled_at", "next_poll_at"] {
        let t = herald[key].as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(t).is_ok() && t.ends_with('Z'),
            "{key}: {t}"
        );
    }
    assert_eq!(herald["interval_secs"], 900);
    assert_eq!(feed("/old.xml")["fetch_url"], h.url("/new.xml"));
    assert_eq!(feed("/gone.xml")["state"], "muted");
    assert!(
        feed("/gone.xml")["state_reason"]
            .as_str()
            .unwrap()
            .contains("410")
    );
    assert_eq!(feed("/broken.xml")["error_count"], 2);
    assert_eq!(feed("/pending.json")["pending"], 1);
    assert_eq!(feed("/digest.atom")["state"], "removed");
    assert_eq!(report["totals"]["stories"], 4);

    // --db alone is enough: no feeds.toml needed to read a database.
    let out = common::feedsift(
        &dir.join("no-such-feeds.toml"),
        &["--db", room.db_path().to_str().unwrap(), "status"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // A missing database is a clear runtime failure, not an empty table.
    let out = feedsift(
        &room.config,
        &["--db", "/nonexistent/feedsift.db", "status"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no database at /nonexistent/feedsift.db"),
        "{}",
        stderr(&out)
    );
    // Without --db, a broken feeds.toml is a warning: status only reads.
    std::fs::write(&room.config, "[settings]\nnope = 1\n").unwrap();
    let out = feedsift(&room.config, &["status"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("warning") && stderr(&out).contains("nope"));
}

#[test]
fn search_ranks_stories_folds_copies_and_explains_bad_queries() {
    let dir = scratch("data-search");
    let room = Newsroom::start(&dir, "");
    room.poll();
    let conn = db(&dir);
    let trains = id_of(&conn, "/news/night-trains-timetable.html");
    let wire_trains = id_of(&conn, "/w/trains.html");
    let harbour = id_of(&conn, "/news/harbour-cranes-return.html");

    // Piped output: plain ** markers; the root story, not its copy.
    let out = feedsift(&room.config, &["search", "cranes"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("1. Harbour cranes return"), "{text}");
    assert!(
        !text.contains("\n2. "),
        "one story, its copy folded in: {text}"
    );
    assert!(
        text.contains("/news/harbour-cranes-return.html") && text.contains("+1 copy"),
        "{text}"
    );
    assert!(text.contains("**cranes**"), "{text}");

    // "night" is in one story's title and in passing in another's text: the
    // title match ranks first.
    let hits = json_lines(&feedsift(&room.config, &["search", "--json", "night"]));
    let ids: Vec<i64> = hits.iter().map(|h| h["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![trains, harbour]);
    assert_eq!(hits[0]["rank"], 1);
    assert!(hits[0]["score"].as_f64().unwrap() < hits[1]["score"].as_f64().unwrap());
    for h in &hits {
        let snippet = h["snippet"].as_str().unwrap();
        assert!(
            !snippet.contains("**") && !snippet.contains('\x1b'),
            "{snippet}"
        );
    }
    let limited = json_lines(&feedsift(
        &room.config,
        &["search", "--json", "--limit", "1", "night"],
    ));
    assert_eq!(limited.len(), 1);

    // A word only the wire's copy has: found, shown as the story it copies.
    let hits = json_lines(&feedsift(&room.config, &["search", "--json", "harbourton"]));
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["id"], trains);
    assert_eq!(hits[0]["matched_article_id"], wire_trains);
    assert!(hits[0]["snippet"].as_str().unwrap().contains("HARBOURTON"));

    // FTS5 syntax: phrases, operators and column filters work...
    for q in [
        "\"container cranes\"",
        "seed AND bank",
        "title:river",
        "trolley*",
    ] {
        let hits = json_lines(&feedsift(&room.config, &["search", "--json", q]));
        assert_eq!(hits.len(), 1, "{q}");
    }
    // ...and what FTS5 cannot parse is explained, with the literal command.
    let out = feedsift(&room.config, &["search", "two-week"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("not valid FTS5 syntax"), "{err}");
    assert!(
        err.contains("feedsift search --literal 'two-week'"),
        "{err}"
    );
    assert!(stdout(&out).is_empty());
    let out = feedsift(&room.config, &["search", "nosuchcolumn:cranes"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = feedsift(&room.config, &["search", "--literal", "--json", "two-week"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json_lines(&out)[0]["id"], harbour);
    // No match is not an error; nothing on stdout.
    let out = feedsift(&room.config, &["search", "zeppelin"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).is_empty() && stderr(&out).contains("no stories match"));
}

#[test]
fn export_streams_stories_with_sources_and_resumes_after_the_cursor() {
    let dir = scratch("data-export");
    let room = Newsroom::start(&dir, "");
    room.poll();
    let conn = db(&dir);
    let harbour = id_of(&conn, "/news/harbour-cranes-return.html");
    let wire_cranes = id_of(&conn, "/w/cranes.html");
    let seeds = id_of(&conn, "/news/library-opens-seed-bank.html");
    let river = id_of(&conn, "/news/river-cleanup-record.html");

    let out = feedsift(&room.config, &["export", "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stories = json_lines(&out);
    assert_eq!(stories.len(), 4, "stories only, copies folded in");
    let seqs: Vec<i64> = stories
        .iter()
        .map(|s| s["change_seq"].as_i64().unwrap())
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "change order: {seqs:?}"
    );
    let story = |id: i64| stories.iter().find(|s| s["id"] == id).unwrap();
    let h = story(harbour);
    assert_eq!(h["copies"], serde_json::json!([wire_cranes]));
    assert_eq!(h["text"].as_str().unwrap(), STORIES[0].text());
    let sources = h["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 2);
    let copy_source = sources.iter().find(|s| s["is_copy"] == true).unwrap();
    assert_eq!(copy_source["article_id"], wire_cranes);
    assert!(
        copy_source["feed_url"]
            .as_str()
            .unwrap()
            .ends_with("/wire.json")
    );
    assert_eq!(copy_source["feed_name"], "Lantern Wire");
    // One page, two feeds: two sources, the tracking link kept as given.
    let s = story(seeds);
    let entry_urls: BTreeSet<&str> = s["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["entry_url"].as_str().unwrap())
        .collect();
    assert_eq!(entry_urls.len(), 2);
    assert!(
        entry_urls
            .iter()
            .any(|u| u.contains("utm_source=newsletter"))
    );
    for key in [
        "title",
        "published_at",
        "created_at",
        "canonical_url",
        "word_count",
    ] {
        assert!(!s[key].is_null(), "{key} missing");
    }

    // Nothing changed: nothing after the last cursor.
    let last = *seqs.last().unwrap();
    let out = feedsift(&room.config, &["export", "--after-id", &last.to_string()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).is_empty());

    // A new feed runs a copy of the river story and links the seed-bank
    // page: exactly those two stories come out after the cursor, with the
    // new sightings.
    let w = &room.wire;
    let river_copy = w.url("/w/river.html");
    w.route(
        "/w/river.html",
        Reply::html(wire_page(STORIES[3].title, &STORIES[3].text(), &river_copy)),
    );
    let seeds_url = room.herald.url("/news/library-opens-seed-bank.html");
    w.route(
        "/more.json",
        Reply::ok(
            "application/feed+json",
            wire_feed(&[
                ("m-1", &river_copy, &STORIES[3]),
                ("m-2", &seeds_url, &STORIES[1]),
            ]),
        ),
    );
    let feeds = [
        room.herald.url("/rss.xml"),
        room.herald.url("/digest.atom"),
        w.url("/wire.json"),
        w.url("/more.json"),
    ];
    write_config(
        &dir,
        &feeds.iter().map(String::as_str).collect::<Vec<_>>(),
        "",
    );
    room.poll();
    let out = feedsift(&room.config, &["export", "--after-id", &last.to_string()]);
    let changed = json_lines(&out);
    let ids: BTreeSet<i64> = changed.iter().map(|s| s["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, BTreeSet::from([river, seeds]));
    for s in &changed {
        assert!(s["change_seq"].as_i64().unwrap() > last);
        assert!(
            s["sources"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["feed_url"].as_str().unwrap().ends_with("/more.json")),
            "{s}"
        );
    }
    let river_line = changed.iter().find(|s| s["id"] == river).unwrap();
    assert_eq!(river_line["copies"].as_array().unwrap().len(), 1);

    // --since filters by publication time.
    let all = |args: &[&str]| json_lines(&feedsift(&room.config, args)).len();
    assert_eq!(all(&["export", "--since", "2026-11-20"]), 4);
    assert_eq!(all(&["export", "--since", "2026-11-20T08:30:01Z"]), 0);
    assert_eq!(
        all(&[
            "export",
            "--since",
            "2026-11-20",
            "--after-id",
            &last.to_string()
        ]),
        2
    );
    let out = feedsift(&room.config, &["export", "--since", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not a time"));
    let out = feedsift(&room.config, &["export", "--format", "csv"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn retention_purges_old_text_but_keeps_rows_sources_and_dedup() {
    let dir = scratch("data-retention");
    let room = Newsroom::start(&dir, "retention_days = 1");
    room.poll();
    let conn = db(&dir);
    let articles = count(&conn, "SELECT count(*) FROM articles");
    let sources = count(&conn, "SELECT count(*) FROM article_sources");
    assert_eq!(articles, 6);
    // Everything was stored three days ago, as far as retention can tell.
    conn.execute(
        "UPDATE articles SET created_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-3 days')",
        [],
    )
    .unwrap();
    let seq_before = count(&conn, "SELECT max(change_seq) FROM articles");
    room.poll(); // poll --all ends with a retention pass

    assert_eq!(
        count(&conn, "SELECT count(*) FROM articles"),
        articles,
        "rows kept"
    );
    assert_eq!(
        count(&conn, "SELECT count(*) FROM article_sources"),
        sources
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM articles WHERE text IS NULL AND purged_at IS NOT NULL"
        ),
        articles,
        "all text purged"
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM articles WHERE content_hash IS NULL OR word_count IS NULL OR minhash IS NULL
             OR url IS NULL OR title IS NULL"
        ),
        0,
        "fingerprints, URLs and titles kept"
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'demurrage'"
        ),
        0,
        "purged text is out of the index"
    );
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'title:cranes'"
        ),
        2,
        "titles stay searchable"
    );
    assert_eq!(
        count(&conn, "SELECT max(change_seq) FROM articles"),
        seq_before
    );
    let out = feedsift(&room.config, &["status"]);
    assert!(
        stdout(&out).contains("text of 6 purged by retention"),
        "{}",
        stdout(&out)
    );
    let out = feedsift(&room.config, &["search", "cranes"]);
    assert!(stdout(&out).contains("text purged"), "{}", stdout(&out));

    // New sightings of purged stories: the same URL in another feed, a
    // verbatim copy and an edited copy on a third site.
    let third = common::Server::start("127.0.0.3");
    let harbour_copy = third.url("/harbour.html");
    let trains_copy = third.url("/trains.html");
    third.route(
        "/harbour.html",
        Reply::html(wire_page(
            STORIES[0].title,
            &STORIES[0].text(),
            &harbour_copy,
        )),
    );
    third.route(
        "/trains.html",
        Reply::html(wire_page(
            STORIES[2].title,
            &data_support::wire_edit(&STORIES[2]),
            &trains_copy,
        )),
    );
    let river_url = room.herald.url("/news/river-cleanup-record.html");
    third.route(
        "/feed.json",
        Reply::ok(
            "application/feed+json",
            wire_feed(&[
                ("t-1", &harbour_copy, &STORIES[0]),
                ("t-2", &trains_copy, &STORIES[2]),
                ("t-3", &river_url, &STORIES[3]),
            ]),
        ),
    );
    let feeds = [
        room.herald.url("/rss.xml"),
        room.herald.url("/digest.atom"),
        room.wire.url("/wire.json"),
        third.url("/feed.json"),
    ];
    write_config(
        &dir,
        &feeds.iter().map(String::as_str).collect::<Vec<_>>(),
        "retention_days = 1",
    );
    room.poll();
    assert_eq!(third.hits("/news/river-cleanup-record.html"), 0);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM articles"),
        articles + 2,
        "the purged river story's URL is not a new article"
    );
    let river = id_of(&conn, "/news/river-cleanup-record.html");
    assert_eq!(
        count(
            &conn,
            &format!("SELECT count(*) FROM article_sources WHERE article_id = {river}")
        ),
        2
    );
    let root_of = |suffix: &str| -> Option<i64> {
        conn.query_row(
            "SELECT duplicate_of FROM articles WHERE url LIKE '%' || ?1",
            [suffix],
            |r| r.get(0),
        )
        .unwrap()
    };
    let harbour = id_of(&conn, "/news/harbour-cranes-return.html");
    let trains = id_of(&conn, "/news/night-trains-timetable.html");
    assert_eq!(
        root_of(&harbour_copy),
        Some(harbour),
        "verbatim copy of a purged story"
    );
    assert_eq!(
        root_of(&trains_copy),
        Some(trains),
        "edited copy of a purged story"
    );
}
