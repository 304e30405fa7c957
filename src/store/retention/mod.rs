//! Retention: `retention_days` bounds how long article *text* is kept.
//!
//! Text is most of the database, and old text is what a small box can least
//! afford to keep forever. Everything else about an article stays: the row,
//! its URLs, title and metadata, every `article_sources` sighting, and the
//! fingerprints (`content_hash`, `word_count`, `minhash`). Keeping those is
//! what makes retention safe for deduplication (`src/dedup/mod.rs`): the same
//! URL seen again is still a known page, not a new article, and a later copy
//! of a purged story is still matched, exactly by content hash or through
//! `fingerprint::confirm_fingerprints` on the stored sketch. The text's FTS
//! rows go with it (the `articles_fts` triggers); the title stays searchable.
//!
//! Age is counted from `created_at`, when feedsift first stored the article:
//! it always exists, unlike `published_at`, and cannot be set into the future
//! by a publisher. Purged rows get `purged_at`; their `change_seq` does not
//! move (see migration 0006): the story did not change.
//!
//! The work goes through the single writer in small steps ([`Step`]), each
//! its own short transaction, so polls keep committing in between and the
//! write lock is never held for long; [`run_pass`] sends them in order.
//!
//! Freed space: SQLite reuses freed pages for new rows, so with retention on
//! the file stops growing once old text is purged as fast as new text comes.
//! Handing space back to the file system needs `auto_vacuum = INCREMENTAL`,
//! which new databases get at creation (`migrate`); after a pass,
//! `PRAGMA incremental_vacuum` then returns freed pages a slice at a time.
//! A database created before that is converted by a one-time VACUUM when
//! it is small enough for that to be quick ([`CONVERT_MAX_BYTES`]); a larger
//! one is left as it is (free pages are still reused) and the log says how
//! to convert it while the daemon is stopped.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::timestamp;

mod pass;
pub use pass::{PassReport, run_pass};

/// Articles purged per transaction. Each purged row also deletes its text
/// from the FTS index, which means re-tokenising it: 500 news articles
/// (a few MB of text) take tens of milliseconds, short enough that polls
/// queued behind a batch barely notice, and the first pass over a large
/// backlog still moves at thousands of rows a second.
pub const PURGE_BATCH: usize = 500;

/// Pages handed back to the file system per step: 8 MB at SQLite's default
/// 4 KiB page size. Bounded for the same reason as [`PURGE_BATCH`].
pub const VACUUM_STEP_PAGES: u32 = 2048;

/// Largest database converted to incremental auto-vacuum by a one-time
/// VACUUM. VACUUM rewrites the whole file (needing as much free disk again,
/// plus the WAL) while it holds the write lock; at 256 MB that is a few
/// seconds, beyond that it would stall the polls for minutes on a small box.
pub const CONVERT_MAX_BYTES: u64 = 256 * 1024 * 1024;

/// One unit of retention work for the writer.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Purge the text of up to [`PURGE_BATCH`] articles stored before `cutoff`.
    Purge { cutoff: DateTime<Utc> },
    /// Switch the file to incremental auto-vacuum if it is not, and if it is
    /// no larger than [`CONVERT_MAX_BYTES`].
    EnableIncrementalVacuum,
    /// Return up to [`VACUUM_STEP_PAGES`] free pages to the file system.
    Vacuum,
}

/// What a [`Step`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Purged(usize),
    AlreadyIncremental,
    Converted,
    TooLargeToConvert {
        bytes: u64,
    },
    /// Pages returned to the file system (0: none free, or not incremental).
    Vacuumed(u64),
}

/// Runs one step on the writing connection, outside any other transaction.
pub fn apply(conn: &mut Connection, step: &Step) -> Result<Outcome, rusqlite::Error> {
    match step {
        Step::Purge { cutoff } => {
            let tx = conn.transaction()?;
            let n = purge_batch(&tx, *cutoff, Utc::now())?;
            tx.commit()?;
            Ok(Outcome::Purged(n))
        }
        Step::EnableIncrementalVacuum => {
            if auto_vacuum(conn)? == AUTO_VACUUM_INCREMENTAL {
                return Ok(Outcome::AlreadyIncremental);
            }
            let bytes = file_bytes(conn)?;
            if bytes > CONVERT_MAX_BYTES {
                return Ok(Outcome::TooLargeToConvert { bytes });
            }
            conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
            conn.execute_batch("VACUUM")?;
            Ok(Outcome::Converted)
        }
        Step::Vacuum => {
            if auto_vacuum(conn)? != AUTO_VACUUM_INCREMENTAL {
                return Ok(Outcome::Vacuumed(0));
            }
            let before = freelist(conn)?;
            if before == 0 {
                return Ok(Outcome::Vacuumed(0));
            }
            conn.execute_batch(&format!("PRAGMA incremental_vacuum({VACUUM_STEP_PAGES})"))?;
            Ok(Outcome::Vacuumed(before.saturating_sub(freelist(conn)?)))
        }
    }
}

/// `PRAGMA auto_vacuum` value for INCREMENTAL.
const AUTO_VACUUM_INCREMENTAL: i64 = 2;

fn auto_vacuum(conn: &Connection) -> Result<i64, rusqlite::Error> {
    conn.query_row("PRAGMA auto_vacuum", [], |r| r.get(0))
}

fn freelist(conn: &Connection) -> Result<u64, rusqlite::Error> {
    let n: i64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

fn file_bytes(conn: &Connection) -> Result<u64, rusqlite::Error> {
    let pages: i64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    let size: i64 = conn.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    Ok(u64::try_from(pages.saturating_mul(size)).unwrap_or(0))
}

/// Clears the text of the oldest [`PURGE_BATCH`] articles stored before
/// `cutoff` that still have text; returns how many.
pub fn purge_batch(
    conn: &Connection,
    cutoff: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<usize, rusqlite::Error> {
    conn.prepare_cached(
        // The Markdown is the text again: it goes with it.
        "UPDATE articles SET text = NULL, markdown = NULL, purged_at = ?1
         WHERE id IN (SELECT id FROM articles WHERE text IS NOT NULL AND created_at < ?2
                      ORDER BY created_at LIMIT ?3)",
    )?
    .execute(params![
        timestamp(now),
        timestamp(cutoff),
        PURGE_BATCH as i64
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::open_writer;

    fn temp_db(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("feedsift-retention-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("test.db")
    }

    fn insert(conn: &Connection, n: usize, created_at: &str, text: &str) {
        let mut stmt = conn
            .prepare(
                "INSERT INTO articles(url, canonical_url, url_key, title, text, word_count, content_hash,
                                      created_at, updated_at)
                 VALUES (?1, ?1, ?1, 'Title', ?2, 3, 'h', ?3, ?3)",
            )
            .unwrap();
        let base: i64 = conn
            .query_row("SELECT count(*) FROM articles", [], |r| r.get(0))
            .unwrap();
        for i in 0..n {
            stmt.execute(params![
                format!("https://x.test/{}-{created_at}", base + i as i64),
                text,
                created_at
            ])
            .unwrap();
        }
    }

    #[test]
    fn purges_old_text_in_batches_and_keeps_the_rest() {
        let path = temp_db("batches");
        let mut conn = open_writer(&path).unwrap();
        insert(
            &conn,
            PURGE_BATCH + 20,
            "2020-01-01T00:00:00Z",
            "old words here",
        );
        insert(&conn, 5, "2099-01-01T00:00:00Z", "new words here");
        let seq_before: i64 = conn
            .query_row("SELECT max(change_seq) FROM articles", [], |r| r.get(0))
            .unwrap();
        let cutoff = parse("2021-01-01T00:00:00Z");
        assert_eq!(
            apply(&mut conn, &Step::Purge { cutoff }).unwrap(),
            Outcome::Purged(PURGE_BATCH)
        );
        assert_eq!(
            apply(&mut conn, &Step::Purge { cutoff }).unwrap(),
            Outcome::Purged(20)
        );
        assert_eq!(
            apply(&mut conn, &Step::Purge { cutoff }).unwrap(),
            Outcome::Purged(0)
        );
        let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(
            count("SELECT count(*) FROM articles WHERE text IS NULL AND purged_at IS NOT NULL"),
            PURGE_BATCH as i64 + 20
        );
        assert_eq!(
            count("SELECT count(*) FROM articles WHERE text IS NOT NULL"),
            5
        );
        assert_eq!(
            count("SELECT count(*) FROM articles WHERE content_hash IS NULL OR word_count IS NULL"),
            0
        );
        // FTS follows: old text is gone from the index, titles stay.
        assert_eq!(
            count("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'old'"),
            0
        );
        assert_eq!(
            count("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'new'"),
            5
        );
        assert_eq!(
            count("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'title'"),
            PURGE_BATCH as i64 + 25
        );
        // Purging is not a change of the story.
        assert_eq!(
            count("SELECT max(change_seq) FROM articles"),
            seq_before,
            "purge moved the change cursor"
        );
    }

    #[test]
    fn new_files_are_incremental_and_vacuum_returns_space() {
        let path = temp_db("vacuum");
        let mut conn = open_writer(&path).unwrap();
        assert_eq!(auto_vacuum(&conn).unwrap(), AUTO_VACUUM_INCREMENTAL);
        let long = "word ".repeat(4000);
        insert(&conn, 300, "2020-01-01T00:00:00Z", &long);
        let cutoff = parse("2021-01-01T00:00:00Z");
        while apply(&mut conn, &Step::Purge { cutoff }).unwrap() == Outcome::Purged(PURGE_BATCH) {}
        let bytes_before = file_bytes(&conn).unwrap();
        assert!(freelist(&conn).unwrap() > 0);
        let mut freed = 0;
        while let Outcome::Vacuumed(n) = apply(&mut conn, &Step::Vacuum).unwrap() {
            if n == 0 {
                break;
            }
            assert!(n <= u64::from(VACUUM_STEP_PAGES));
            freed += n;
        }
        assert!(freed > 0);
        assert_eq!(freelist(&conn).unwrap(), 0);
        assert!(file_bytes(&conn).unwrap() < bytes_before);
    }

    #[test]
    fn an_old_file_is_converted_once() {
        let path = temp_db("convert");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        {
            // A database created before new files were made incremental.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE before(x);")
                .unwrap();
        }
        let mut conn = open_writer(&path).unwrap();
        assert_eq!(auto_vacuum(&conn).unwrap(), 0);
        assert_eq!(
            apply(&mut conn, &Step::EnableIncrementalVacuum).unwrap(),
            Outcome::Converted
        );
        assert_eq!(auto_vacuum(&conn).unwrap(), AUTO_VACUUM_INCREMENTAL);
        assert_eq!(
            apply(&mut conn, &Step::EnableIncrementalVacuum).unwrap(),
            Outcome::AlreadyIncremental
        );
    }

    fn parse(s: &str) -> DateTime<Utc> {
        crate::store::parse_timestamp(s).unwrap()
    }
}
