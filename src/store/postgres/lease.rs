//! Leases: how several nodes on one database split the feeds.
//!
//! A node polls a feed only while it holds the feed's lease
//! (`feeds.lease_owner`, `feeds.lease_until`). It takes the lease just
//! before fetching, with `SELECT … FOR UPDATE SKIP LOCKED` so that two
//! nodes asking at once never wait on each other, renews it every
//! [`RENEW_EVERY`] while the poll runs, and frees it in the transaction
//! that commits the poll. A node that dies leaves its leases to expire:
//! after [`LEASE`] another node takes the feed over and redoes what the
//! dead node had not committed.
//!
//! Politeness across nodes (the coarse rule): a node takes a feed only
//! when no other node holds a live lease on a feed of the same host
//! (`feeds.host`), under a per-host advisory lock so two nodes cannot
//! both pass that check. So each host is polled by one node at a time and
//! that node's per-host gates (`per_host_concurrency`, the gap between
//! requests) hold for the whole cluster. Article pages on other hosts than
//! their feed's are paced per node only.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::db::Conn;
use crate::model::{Lease, PageClaim};
use crate::store::{StoreError, parse_timestamp, timestamp};

/// How long a lease holds without renewal: the longest a dead node's feeds
/// wait for another node (the issue asks for at most ~60 s).
pub const LEASE: Duration = Duration::from_secs(45);

/// Renewal period of a running poll's lease: three chances before expiry.
pub const RENEW_EVERY: Duration = Duration::from_secs(15);

/// When a feed (or its host) is held by another node, look again after
/// this long: the holder usually commits within seconds, and a dead
/// holder's feeds are taken over at most this long after its lease ran
/// out. One indexed query per held feed and node every 5 s is nothing to
/// the server.
const RETRY_HELD: Duration = Duration::from_secs(5);

/// The first key of the per-host advisory locks ("fsho").
const HOST_LOCK_SPACE: i32 = 0x6673_686f;

/// Tries to take feed `feed_id` for `node`. Unless `any_time`, only a feed
/// that is due by `now` in the database is taken: another node may have
/// polled it since this node scheduled it.
pub fn acquire(
    conn: &mut Conn,
    feed_id: i64,
    node: &str,
    any_time: bool,
    now: DateTime<Utc>,
) -> Result<Lease, StoreError> {
    let lease_secs = LEASE.as_secs_f64();
    let mut tx = conn.client.transaction()?;
    let host: Option<String> = tx
        .query_opt("SELECT host FROM feeds WHERE id = $1", &[&feed_id])?
        .and_then(|r| r.get(0));
    if let Some(host) = &host {
        tx.execute(
            "SELECT pg_advisory_xact_lock($1, hashtext($2))",
            &[&HOST_LOCK_SPACE, host],
        )?;
    }
    let granted = tx.query_opt(
        "UPDATE feeds f SET lease_owner = $2, lease_until = now() + make_interval(secs => $3)
         WHERE f.id = (SELECT id FROM feeds
                       WHERE id = $1
                         AND (lease_owner IS NULL OR lease_owner = $2 OR lease_until < now())
                         AND ($4 OR next_poll_at IS NULL OR next_poll_at <= $5)
                       FOR UPDATE SKIP LOCKED)
           AND NOT EXISTS (SELECT 1 FROM feeds o
                           WHERE o.host = f.host AND o.id <> f.id AND o.lease_owner <> $2
                             AND o.lease_until >= now())
         RETURNING id",
        &[&feed_id, &node, &lease_secs, &any_time, &timestamp(now)],
    )?;
    if granted.is_some() {
        tx.commit()?;
        return Ok(Lease::Granted);
    }
    // Why not: polled already (come back when it is due) or held now.
    let row = tx.query_opt(
        "SELECT next_poll_at, lease_until > now() FROM feeds WHERE id = $1",
        &[&feed_id],
    )?;
    tx.commit()?;
    let next_poll = row
        .as_ref()
        .and_then(|r| r.get::<_, Option<String>>(0))
        .as_deref()
        .and_then(parse_timestamp);
    let retry_at = match next_poll {
        Some(at) if at > now && !any_time => at,
        _ => now + chrono::Duration::from_std(RETRY_HELD).unwrap_or_default(),
    };
    Ok(Lease::Held { retry_at })
}

/// Extends `node`'s lease on a feed it is polling; false when it no longer
/// holds it (expired and taken over).
pub fn renew(conn: &mut Conn, feed_id: i64, node: &str) -> Result<bool, StoreError> {
    let lease_secs = LEASE.as_secs_f64();
    let n = conn.client.execute(
        "UPDATE feeds SET lease_until = now() + make_interval(secs => $3)
         WHERE id = $1 AND lease_owner = $2",
        &[&feed_id, &node, &lease_secs],
    )?;
    Ok(n == 1)
}

/// A name for this node in `feeds.lease_owner`: host name, process id and
/// a random part, so a restarted node never mistakes a dead one's leases
/// for its own.
pub fn node_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    let host = if host.is_empty() { "node".into() } else { host };
    format!(
        "{host}:{}:{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )
}

/// Claims the page under `url_key` for `node` to fetch: [`PageClaim::Fetch`]
/// when no other node is fetching it, [`PageClaim::Stored`] when another
/// node's poll stored it meanwhile, else [`PageClaim::Wait`].
pub fn claim_page(conn: &mut Conn, url_key: &str, node: &str) -> Result<PageClaim, StoreError> {
    let lease_secs = LEASE.as_secs_f64();
    let mine = conn.query(
        "INSERT INTO page_claims(url_key, owner, until) VALUES ($1, $2, now() + make_interval(secs => $3))
         ON CONFLICT (url_key) DO UPDATE SET owner = excluded.owner, until = excluded.until
             WHERE page_claims.article_id IS NULL
               AND (page_claims.until < now() OR page_claims.owner = excluded.owner)
         RETURNING owner",
        &[&url_key, &node, &lease_secs],
    )?;
    if !mine.is_empty() {
        return Ok(PageClaim::Fetch);
    }
    let row = conn.query_opt(
        "SELECT article_id FROM page_claims WHERE url_key = $1",
        &[&url_key],
    )?;
    Ok(match row.and_then(|r| r.get::<_, Option<i64>>(0)) {
        Some(id) => PageClaim::Stored(id),
        None => PageClaim::Wait,
    })
}
