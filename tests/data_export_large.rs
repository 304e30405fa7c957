//! `export` on a database much larger than the export process may hold:
//! it streams (peak memory stays far below the size of what it prints), and
//! a reader that stops early (`| head`) ends it quietly with exit 0.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use common::scratch;
use rusqlite::params;

const STORIES: usize = 4000;
/// Bytes of text per story: 4000 × 16 KB ≈ 64 MB of JSON to print.
const TEXT_BYTES: usize = 16 * 1024;
/// How much the export's peak memory may grow between its first stories and
/// the point where it has printed 48 MB. What a streaming export holds
/// (binary, SQLite's page cache, one story) is there from the first story
/// on; measured as growth, the bound does not move when the binary grows
/// (it did: the debug build's start-up footprint went from ~17 MB to
/// ~24 MB with the PostgreSQL client and TLS stack). Holding what it has
/// printed would need 48 MB more.
const PEAK_GROWTH_LIMIT_KB: u64 = 16 * 1024;
/// Stories read before the baseline is taken: the export is past start-up
/// and has its statement and page cache warm.
const BASELINE_STORIES: usize = 20;

/// Peak resident memory of a running process, from /proc (Linux).
fn peak_rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[test]
fn export_streams_a_large_database_and_stops_quietly_when_the_reader_does() {
    let dir = scratch("export-large");
    let db = dir.join("feedsift.db");
    {
        let mut conn = feedsift::store::open_writer(&db).expect("create database");
        let tx = conn.transaction().unwrap();
        tx.execute(
            "INSERT INTO feeds(id, url, created_at) VALUES (1, 'http://feed.test/rss', '2026-11-20T00:00:00Z')",
            [],
        )
        .unwrap();
        // One long word per text keeps FTS indexing cheap: the test is about
        // bytes streamed, not tokens.
        let text = "x".repeat(TEXT_BYTES);
        let mut article = tx
            .prepare(
                "INSERT INTO articles(url, canonical_url, url_key, title, text, word_count, created_at, updated_at)
                 VALUES (?1, ?1, ?1, ?2, ?3, 1, '2026-11-20T00:00:00Z', '2026-11-20T00:00:00Z') RETURNING id",
            )
            .unwrap();
        let mut source = tx
            .prepare(
                "INSERT INTO article_sources(article_id, feed_id, entry_id, entry_url, first_seen_at)
                 VALUES (?1, 1, ?2, ?2, '2026-11-20T00:00:00Z')",
            )
            .unwrap();
        for i in 0..STORIES {
            let url = format!("http://site.test/{i}");
            let id: i64 = article
                .query_row(params![url, format!("Story {i}"), text], |r| r.get(0))
                .unwrap();
            source.execute(params![id, url]).unwrap();
        }
        drop((article, source));
        tx.commit().unwrap();
    }

    let mut child = Command::new(common::bin())
        .args(["--db"])
        .arg(&db)
        .args(["export", "--format", "jsonl"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start export");
    let pid = child.id();
    let mut lines = BufReader::new(child.stdout.take().expect("stdout"));
    let mut bytes = 0;
    let mut line = String::new();
    let mut baseline = None;
    // Read most of it: the process is still running (the rest does not fit
    // in the pipe), having produced well over its memory limit in output.
    for i in 0..STORIES * 3 / 4 {
        if i == BASELINE_STORIES {
            baseline = peak_rss_kb(pid);
        }
        line.clear();
        bytes += lines.read_line(&mut line).expect("read export");
        let story: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
        assert_eq!(
            story["sources"].as_array().map(Vec::len),
            Some(1),
            "line {i}"
        );
    }
    let baseline = baseline.expect("the export was running after its first stories");
    let peak = peak_rss_kb(pid).expect("the export is still running");
    println!(
        "streamed {} MB; export peak RSS {} MB after {BASELINE_STORIES} stories, {} MB now",
        bytes >> 20,
        baseline >> 10,
        peak >> 10
    );
    assert!(
        bytes as u64 > 2 * PEAK_GROWTH_LIMIT_KB * 1024,
        "printed too little to tell"
    );
    assert!(
        peak - baseline < PEAK_GROWTH_LIMIT_KB,
        "export grew from {baseline} kB to {peak} kB while printing {bytes} bytes: not streaming"
    );
    // The reader goes away, as `| head` does.
    drop(lines);
    let status = child.wait().expect("wait for export");
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked") && !err.contains("error"), "{err}");
}
