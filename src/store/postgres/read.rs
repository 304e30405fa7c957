//! The poll's look-ups ([`crate::store::read`]) on PostgreSQL: the same
//! questions, each one query on a prepared statement.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::db::Conn;
use crate::model::{DuePending, EntryStatus, FeedState, FeedStatus, StoredRobots, Validators};
use crate::store::{StoreError, parse_timestamp, timestamp};

type Result<T> = std::result::Result<T, StoreError>;

fn secs(v: Option<i64>) -> Option<Duration> {
    v.and_then(|s| u64::try_from(s).ok())
        .map(Duration::from_secs)
}

fn count(v: i64) -> u32 {
    v.clamp(0, i64::from(u32::MAX)) as u32
}

pub fn feed_state(conn: &mut Conn, feed_id: i64) -> Result<FeedState> {
    let row = conn.query_opt(
        "SELECT etag, last_modified, next_poll_at, error_count, fetch_url,
                CASE WHEN interval_adapted = 1 THEN interval_secs END, state, min_interval_secs
         FROM feeds WHERE id = $1",
        &[&feed_id],
    )?;
    let Some(r) = row else {
        return Ok(FeedState::default());
    };
    Ok(FeedState {
        validators: Validators {
            etag: r.get(0),
            last_modified: r.get(1),
        },
        next_poll_at: r
            .get::<_, Option<String>>(2)
            .as_deref()
            .and_then(parse_timestamp),
        error_count: count(r.get(3)),
        fetch_url: r
            .get::<_, Option<String>>(4)
            .and_then(|u| url::Url::parse(&u).ok()),
        interval: secs(r.get(5)),
        status: FeedStatus::from_sql(r.get(6)).unwrap_or_default(),
        min_interval: secs(r.get(7)),
    })
}

/// What the database knows of each entry, in the order of `entry_ids`.
pub fn entry_statuses(
    conn: &mut Conn,
    feed_id: i64,
    entry_ids: &[String],
) -> Result<Vec<EntryStatus>> {
    if entry_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = conn.query(
        "SELECT j.ord - 1, s.article_id, s.entry_updated_at,
                CASE WHEN s.article_id IS NULL THEN EXISTS (
                    SELECT 1 FROM pending_entries p WHERE p.feed_id = $1 AND p.entry_id = j.value)
                END,
                CASE WHEN s.article_id IS NULL THEN EXISTS (
                    SELECT 1 FROM filtered_entries x WHERE x.feed_id = $1 AND x.entry_id = j.value)
                END
         FROM unnest($2::text[]) WITH ORDINALITY AS j(value, ord)
         LEFT JOIN article_sources s ON s.feed_id = $1 AND s.entry_id = j.value",
        &[&feed_id, &entry_ids],
    )?;
    let mut statuses = vec![EntryStatus::New; entry_ids.len()];
    for r in rows {
        let filtered = r.get::<_, Option<bool>>(4) == Some(true);
        let status = match (r.get::<_, Option<i64>>(1), r.get::<_, Option<bool>>(3)) {
            (None, _) if filtered => EntryStatus::Filtered,
            (Some(article_id), _) => EntryStatus::Stored {
                article_id,
                entry_updated_at: r
                    .get::<_, Option<String>>(2)
                    .as_deref()
                    .and_then(parse_timestamp),
            },
            (None, Some(true)) => EntryStatus::Pending,
            (None, _) => continue,
        };
        if let Some(slot) = usize::try_from(r.get::<_, i64>(0))
            .ok()
            .and_then(|i| statuses.get_mut(i))
        {
            *slot = status;
        }
    }
    Ok(statuses)
}

pub fn stored_pages(conn: &mut Conn, keys: &[String]) -> Result<HashMap<String, i64>> {
    let rows = conn.query(
        "SELECT url_key, id FROM articles WHERE url_key = ANY($1)",
        &[&keys],
    )?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

pub fn due_pending(conn: &mut Conn, feed_id: i64, now: DateTime<Utc>) -> Result<Vec<DuePending>> {
    let rows = conn.query(
        "SELECT entry_id, entry_json, attempts FROM pending_entries
         WHERE feed_id = $1 AND next_attempt_at IS NOT NULL AND next_attempt_at <= $2",
        &[&feed_id, &timestamp(now)],
    )?;
    Ok(rows
        .iter()
        .map(|r| DuePending {
            entry_id: r.get(0),
            entry_json: r.get(1),
            attempts: count(r.get(2)),
        })
        .collect())
}

pub fn robots(conn: &mut Conn, origin: &str) -> Result<Option<StoredRobots>> {
    let row = conn.query_opt(
        "SELECT status, body, etag, last_modified, fetched_at FROM robots_txt WHERE origin = $1",
        &[&origin],
    )?;
    Ok(row.and_then(|r| {
        Some(StoredRobots {
            status: u16::try_from(r.get::<_, i64>(0)).ok()?,
            body: r.get::<_, Vec<u8>>(1).into(),
            validators: Validators {
                etag: r.get(2),
                last_modified: r.get(3),
            },
            fetched_at: parse_timestamp(r.get(4))?,
        })
    }))
}

pub fn last_poll(conn: &mut Conn, feed_id: i64) -> Result<Option<(DateTime<Utc>, u32)>> {
    let row = conn.query_opt(
        "SELECT last_polled_at, error_count FROM feeds WHERE id = $1",
        &[&feed_id],
    )?;
    Ok(row.and_then(|r| {
        let polled = parse_timestamp(r.get::<_, Option<&str>>(0)?)?;
        Some((polled, count(r.get(1))))
    }))
}

pub fn article_count(conn: &mut Conn) -> Result<u64> {
    let rows = conn.query("SELECT count(*) FROM articles", &[])?;
    Ok(rows
        .first()
        .map(|r| u64::try_from(r.get::<_, i64>(0)).unwrap_or(0))
        .unwrap_or(0))
}
