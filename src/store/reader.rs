//! The poll's reads, whichever backend the database is: a SQLite
//! [`ReadPool`] or the PostgreSQL reader pool. Also where a poll asks for
//! its feed's lease, which only means something when several nodes share
//! a PostgreSQL database (on SQLite, the one writer is the one node).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::postgres::{lease, pool::PgPool, read as pg};
use super::{ReadPool, StoreError, read};
use crate::model::{DuePending, EntryStatus, FeedState, Lease, PageClaim, StoredRobots};

#[derive(Clone)]
pub enum Reader {
    Sqlite(ReadPool),
    Postgres {
        pool: PgPool,
        /// This node's name in `feeds.lease_owner`.
        node: Arc<str>,
    },
}

fn owned(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| k.to_string()).collect()
}

impl Reader {
    pub fn feed_state(&self, feed_id: i64) -> Result<FeedState, StoreError> {
        match self {
            Reader::Sqlite(p) => p.with(|c| read::feed_state(c, feed_id)),
            Reader::Postgres { pool, .. } => pool.with(move |c| pg::feed_state(c, feed_id)),
        }
    }

    pub fn due_pending(
        &self,
        feed_id: i64,
        now: DateTime<Utc>,
    ) -> Result<Vec<DuePending>, StoreError> {
        match self {
            Reader::Sqlite(p) => p.with(|c| read::due_pending(c, feed_id, now)),
            Reader::Postgres { pool, .. } => pool.with(move |c| pg::due_pending(c, feed_id, now)),
        }
    }

    /// What is known of a document's entries, and the feed's pending
    /// entries due at `now`: one round for both.
    pub fn entries_and_due(
        &self,
        feed_id: i64,
        keys: &[&str],
        now: DateTime<Utc>,
    ) -> Result<(Vec<EntryStatus>, Vec<DuePending>), StoreError> {
        match self {
            Reader::Sqlite(p) => p.with(|c| {
                let statuses = read::entry_statuses(c, feed_id, keys)?;
                Ok((statuses, read::due_pending(c, feed_id, now)?))
            }),
            Reader::Postgres { pool, .. } => {
                let keys = owned(keys);
                pool.with(move |c| {
                    let statuses = pg::entry_statuses(c, feed_id, &keys)?;
                    Ok((statuses, pg::due_pending(c, feed_id, now)?))
                })
            }
        }
    }

    /// What is known of a document's entries, by key.
    pub fn entry_statuses(
        &self,
        feed_id: i64,
        keys: &[&str],
    ) -> Result<Vec<EntryStatus>, StoreError> {
        match self {
            Reader::Sqlite(p) => p.with(|c| read::entry_statuses(c, feed_id, keys)),
            Reader::Postgres { pool, .. } => {
                let keys = owned(keys);
                pool.with(move |c| pg::entry_statuses(c, feed_id, &keys))
            }
        }
    }

    pub fn stored_pages(&self, keys: &[&str]) -> Result<HashMap<String, i64>, StoreError> {
        match self {
            Reader::Sqlite(p) => p.with(|c| read::stored_pages(c, keys)),
            Reader::Postgres { pool, .. } => {
                let keys = owned(keys);
                pool.with(move |c| pg::stored_pages(c, &keys))
            }
        }
    }

    pub fn robots(&self, origin: &str) -> Result<Option<StoredRobots>, StoreError> {
        match self {
            Reader::Sqlite(p) => p.with(|c| read::robots(c, origin)),
            Reader::Postgres { pool, .. } => {
                let origin = origin.to_string();
                pool.with(move |c| pg::robots(c, &origin))
            }
        }
    }

    pub fn last_poll(&self, feed_id: i64) -> Result<Option<(DateTime<Utc>, u32)>, StoreError> {
        match self {
            Reader::Sqlite(p) => p.with(|c| read::last_poll(c, feed_id)),
            Reader::Postgres { pool, .. } => pool.with(move |c| pg::last_poll(c, feed_id)),
        }
    }

    pub fn article_count(&self) -> Result<u64, StoreError> {
        match self {
            Reader::Sqlite(p) => p.with(read::article_count),
            Reader::Postgres { pool, .. } => pool.with(pg::article_count),
        }
    }

    /// May this node poll the feed now? Always on SQLite. `any_time`:
    /// whether or not it is due (`poll --all`).
    pub fn lease(
        &self,
        feed_id: i64,
        any_time: bool,
        now: DateTime<Utc>,
    ) -> Result<Lease, StoreError> {
        match self {
            Reader::Sqlite(_) => Ok(Lease::Granted),
            Reader::Postgres { pool, node } => {
                let node = node.clone();
                pool.with(move |c| lease::acquire(c, feed_id, &node, any_time, now))
            }
        }
    }

    /// Keeps a running poll's lease; false when it was lost.
    pub fn renew_lease(&self, feed_id: i64) -> Result<bool, StoreError> {
        match self {
            Reader::Sqlite(_) => Ok(true),
            Reader::Postgres { pool, node } => {
                let node = node.clone();
                pool.with(move |c| lease::renew(c, feed_id, &node))
            }
        }
    }

    /// May this node fetch the page stored under `url_key`? Always on
    /// SQLite (one node; its own polls share pages through the memo).
    pub fn claim_page(&self, url_key: &str) -> Result<PageClaim, StoreError> {
        match self {
            Reader::Sqlite(_) => Ok(PageClaim::Fetch),
            Reader::Postgres { pool, node } => {
                let (node, key) = (node.clone(), url_key.to_string());
                pool.with(move |c| lease::claim_page(c, &key, &node))
            }
        }
    }

    /// Whether polls need leases renewed at all.
    pub fn shares_database(&self) -> bool {
        matches!(self, Reader::Postgres { .. })
    }
}
