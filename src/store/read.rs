//! Read queries the poller needs: what a feed's last poll left behind and
//! whether an entry or page is already stored.

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
                state: r.get(6)?,
                min_interval: r
                    .get::<_, Option<i64>>(7)?
                    .and_then(|s| u64::try_from(s).ok())
                    .map(std::time::Duration::from_secs),
            })
        })
        .optional()?;
    Ok(state.unwrap_or_default())
}

pub fn entry_status(
    conn: &Connection,
    feed_id: i64,
    entry_id: &str,
) -> Result<EntryStatus, StoreError> {
    let stored = conn
        .prepare_cached(
            "SELECT article_id, entry_updated_at FROM article_sources WHERE feed_id = ?1 AND entry_id = ?2",
        )?
        .query_row(params![feed_id, entry_id], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
        })
        .optional()?;
    if let Some((article_id, updated)) = stored {
        return Ok(EntryStatus::Stored {
            article_id,
            entry_updated_at: updated.as_deref().and_then(parse_timestamp),
        });
    }
    let pending = conn
        .prepare_cached("SELECT 1 FROM pending_entries WHERE feed_id = ?1 AND entry_id = ?2")?
        .query_row(params![feed_id, entry_id], |_| Ok(()))
        .optional()?;
    Ok(match pending {
        Some(()) => EntryStatus::Pending,
        None => EntryStatus::New,
    })
}

/// The article stored under a URL key (see `dedup::canonical::url_key`).
pub fn article_by_url_key(conn: &Connection, key: &str) -> Result<Option<i64>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT id FROM articles WHERE url_key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
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
