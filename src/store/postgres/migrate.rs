//! Forward-only migrations of the PostgreSQL schema
//! (`migrations/postgres/NNNN_*.sql`, compiled in). The version is the one
//! row of `feedsift_schema`. Each migration runs in one transaction with
//! its version bump, after taking a transaction-scoped advisory lock: nodes
//! that start at the same instant queue on the lock, and each finds the
//! work done by the first.

use postgres::Client;

use super::super::StoreError;

/// Every migration, in order; `MIGRATIONS[i]` brings the schema to `i + 1`.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_init",
        include_str!("../../../migrations/postgres/0001_init.sql"),
    ),
    (
        "0002_details_filters_site_blocks",
        include_str!("../../../migrations/postgres/0002_details_filters_site_blocks.sql"),
    ),
];

/// The advisory lock key migrations hold (any constant no other program on
/// the server is likely to pick; "fsmg" in ASCII).
const MIGRATION_LOCK: i64 = 0x6673_6d67;

pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// The schema version of the database; 0 for one feedsift never touched.
pub fn current_version(client: &mut Client) -> Result<i64, StoreError> {
    let exists: bool = client
        .query_one("SELECT to_regclass('feedsift_schema') IS NOT NULL", &[])?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let row = client.query_opt("SELECT version FROM feedsift_schema", &[])?;
    Ok(row.map(|r| r.get(0)).unwrap_or(0))
}

/// Brings the database to [`latest_version`]; returns how many migrations
/// this call applied.
pub fn migrate(client: &mut Client) -> Result<usize, StoreError> {
    let mut applied = 0;
    for (index, (name, sql)) in MIGRATIONS.iter().enumerate() {
        let version = index as i64 + 1;
        let mut tx = client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS feedsift_schema (
                 one integer PRIMARY KEY DEFAULT 1 CHECK (one = 1),
                 version bigint NOT NULL)",
        )?;
        let current: i64 = tx
            .query_opt("SELECT version FROM feedsift_schema", &[])?
            .map(|r| r.get(0))
            .unwrap_or(0);
        if current > latest_version() {
            return Err(StoreError::TooNew {
                found: current,
                supported: latest_version(),
            });
        }
        if current >= version {
            continue;
        }
        tx.batch_execute(sql)
            .map_err(|source| StoreError::PostgresMigration { name, source })?;
        tx.execute(
            "INSERT INTO feedsift_schema(one, version) VALUES (1, $1)
             ON CONFLICT (one) DO UPDATE SET version = excluded.version",
            &[&version],
        )?;
        tx.commit()?;
        tracing::info!(migration = name, version, "applied PostgreSQL migration");
        applied += 1;
    }
    Ok(applied)
}
