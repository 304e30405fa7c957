//! Read queries a poll needs: what a feed's last poll left behind and
//! whether its entries and pages are already stored. Each is one query,
//! however many entries a document has.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::{StoreError, parse_timestamp};
use crate::model::{DuePending, EntryStatus, FeedState, StoredRobots, Validators};

pub fn feed_state(conn: &Connection, feed_id: i64) -> Result<FeedState, StoreError> {
    let state = conn
        .prepare_cached(
            "SELECT etag, last_modified, next_poll_at, error_count, fetch_url,
                    CASE WHEN interval_adapted THEN interval_secs END, state,
                    min_interval_secs
             FROM feeds WHERE id = ?1",
        )?
        .query_row([feed_id], |r| {
            Ok(FeedState {
                validators: Validators {
                    etag: r.get(0)?,
                    last_modified: r.get(1)?,
                },
                next_poll_at: r
                    .get::<_, Option<String>>(2)?
                    .as_deref()
                    .and_then(parse_timestamp),
                error_count: r.get::<_, i64>(3)?.clamp(0, u32::MAX as i64) as u32,
                fetch_url: r
                    .get::<_, Option<String>>(4)?
                    .and_then(|u| url::Url::parse(&u).ok()),
                interval: r
                    .get::<_, Option<i64>>(5)?
                    .and_then(|s| u64::try_from(s).ok())
                    .map(std::time::Duration::from_secs),
                status: r.get(6)?,
                min_interval: r
                    .get::<_, Option<i64>>(7)?
                    .and_then(|s| u64::try_from(s).ok())
                    .map(std::time::Duration::from_secs),
            })
        })
        .optional()?;
    Ok(state.unwrap_or_default())
}

/// What the database knows of each of a feed's entries, in the order of
/// `entry_ids`: one query for the whole document.
pub fn entry_statuses(
    conn: &Connection,
    feed_id: i64,
    entry_ids: &[&str],
) -> Result<Vec<EntryStatus>, StoreError> {
    if entry_ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = serde_json::Value::from(entry_ids.to_vec()).to_string();
    // `pending_entries` is only asked about entries not stored: most of a
    // document usually is.
    let mut stmt = conn.prepare_cached(
        "SELECT j.key, s.article_id, s.entry_updated_at,
                CASE WHEN s.article_id IS NULL THEN EXISTS (
                    SELECT 1 FROM pending_entries p WHERE p.feed_id = ?1 AND p.entry_id = j.value)
                END,
                CASE WHEN s.article_id IS NULL THEN EXISTS (
                    SELECT 1 FROM filtered_entries x WHERE x.feed_id = ?1 AND x.entry_id = j.value)
                END
         FROM json_each(?2) j
         LEFT JOIN article_sources s ON s.feed_id = ?1 AND s.entry_id = j.value",
    )?;
    let mut statuses = vec![EntryStatus::New; entry_ids.len()];
    let mut rows = stmt.query(params![feed_id, ids])?;
    while let Some(r) = rows.next()? {
        let filtered = r.get::<_, Option<bool>>(4)? == Some(true);
        let status = match (r.get::<_, Option<i64>>(1)?, r.get::<_, Option<bool>>(3)?) {
            (None, _) if filtered => EntryStatus::Filtered,
            (Some(article_id), _) => EntryStatus::Stored {
                article_id,
                entry_updated_at: r
                    .get::<_, Option<String>>(2)?
                    .as_deref()
                    .and_then(parse_timestamp),
            },
            (None, Some(true)) => EntryStatus::Pending,
            (None, _) => continue,
        };
        if let Some(slot) = usize::try_from(r.get::<_, i64>(0)?)
            .ok()
            .and_then(|i| statuses.get_mut(i))
        {
            *slot = status;
        }
    }
    Ok(statuses)
}

/// The articles stored under these URL keys (see
/// `dedup::canonical::url_key`), by key: one query for them all.
pub fn stored_pages(conn: &Connection, keys: &[&str]) -> Result<HashMap<String, i64>, StoreError> {
    let keys = serde_json::Value::from(keys.to_vec()).to_string();
    let mut stmt = conn.prepare_cached(
        "SELECT a.url_key, a.id FROM json_each(?1) j JOIN articles a ON a.url_key = j.value",
    )?;
    let rows = stmt
        .query_map([keys], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// Pending entries of a feed due for another attempt at `now`.
pub fn due_pending(
    conn: &Connection,
    feed_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<DuePending>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT entry_id, entry_json, attempts FROM pending_entries
         WHERE feed_id = ?1 AND next_attempt_at IS NOT NULL AND next_attempt_at <= ?2",
    )?;
    let rows = stmt
        .query_map(params![feed_id, super::timestamp(now)], |r| {
            Ok(DuePending {
                entry_id: r.get(0)?,
                entry_json: r.get(1)?,
                attempts: r.get::<_, i64>(2)?.clamp(0, u32::MAX as i64) as u32,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// A site's robots.txt answer kept by an earlier run.
pub fn robots(conn: &Connection, origin: &str) -> Result<Option<StoredRobots>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT status, body, etag, last_modified, fetched_at FROM robots_txt WHERE origin = ?1",
        )?
        .query_row([origin], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                Validators { etag: r.get(2)?, last_modified: r.get(3)? },
                r.get::<_, String>(4)?,
            ))
        })
        .optional()?
        .and_then(|(status, body, validators, fetched_at)| {
            Some(StoredRobots {
                status: u16::try_from(status).ok()?,
                body: body.into(),
                validators,
                fetched_at: parse_timestamp(&fetched_at)?,
            })
        }))
}

/// When a feed was last polled and how many polls in a row have failed
/// since its last success; `None` for a feed never polled.
pub fn last_poll(
    conn: &Connection,
    feed_id: i64,
) -> Result<Option<(DateTime<Utc>, u32)>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT last_polled_at, error_count FROM feeds WHERE id = ?1")?
        .query_row([feed_id], |r| {
            Ok((r.get::<_, Option<String>>(0)?, r.get::<_, i64>(1)?))
        })
        .optional()?
        .and_then(|(polled, errors)| {
            let polled = parse_timestamp(&polled?)?;
            Some((polled, errors.clamp(0, u32::MAX as i64) as u32))
        }))
}

/// Rows in `articles`, copies included.
pub fn article_count(conn: &Connection) -> Result<u64, StoreError> {
    let n: i64 = conn.query_row("SELECT count(*) FROM articles", [], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(name: &str) -> Connection {
        let dir = std::env::temp_dir().join(format!("feedsift-read-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a test directory");
        let conn = super::super::open_writer(&dir.join("test.db")).expect("a database");
        conn.execute_batch(
            "INSERT INTO feeds(id, url, active, created_at) VALUES (1, 'https://a/feed', 1, 'x'), (2, 'https://b/feed', 1, 'x');
             INSERT INTO articles(id, url, canonical_url, url_key, text, created_at, updated_at)
                 VALUES (10, 'https://a/1', 'https://a/1', 'a/1', 't', 'x', 'x'),
                        (11, 'https://a/2', 'https://a/2', 'a/2', 't', 'x', 'x');
             INSERT INTO article_sources(article_id, feed_id, entry_id, first_seen_at, entry_updated_at)
                 VALUES (10, 1, 'e1', 'x', '2026-03-02T08:00:00Z'), (11, 2, 'e2', 'x', NULL), (11, 1, 'e3', 'x', NULL);
             INSERT INTO pending_entries(feed_id, entry_id, entry_json, attempts, last_error, first_seen_at)
                 VALUES (1, 'e3', '{}', 1, 'HTTP 503', 'x'), (1, 'e4', '{}', 1, 'HTTP 404', 'x');
             INSERT INTO filtered_entries(feed_id, entry_id, reason, filtered_at)
                 VALUES (1, 'f1', 'matched no include rule', 'x'), (2, 'f2', 'matched no include rule', 'x');",
        )
        .expect("fixture rows");
        conn
    }

    #[test]
    fn entry_statuses_answer_a_whole_document_in_its_order() {
        let conn = db("statuses");
        let got = entry_statuses(&conn, 1, &["e4", "e1", "e2", "e3", "e1", "new", "f1", "f2"])
            .expect("read");
        let stored = |article_id, at: Option<&str>| EntryStatus::Stored {
            article_id,
            entry_updated_at: at.and_then(parse_timestamp),
        };
        assert_eq!(
            got,
            vec![
                EntryStatus::Pending,
                stored(10, Some("2026-03-02T08:00:00Z")),
                // Another feed's entry of that name is not this feed's.
                EntryStatus::New,
                // Stored (from the feed's content) and its page retried.
                stored(11, None),
                stored(10, Some("2026-03-02T08:00:00Z")),
                EntryStatus::New,
                EntryStatus::Filtered,
                // Filtered by another feed's rules, new to this one.
                EntryStatus::New,
            ]
        );
        assert_eq!(entry_statuses(&conn, 1, &[]).expect("read"), vec![]);
    }

    #[test]
    fn stored_pages_finds_the_keys_that_are_stored() {
        let conn = db("pages");
        let got = stored_pages(&conn, &["a/2", "a/3", "a/1"]).expect("read");
        assert_eq!(got, HashMap::from([("a/1".into(), 10), ("a/2".into(), 11)]));
    }
}
