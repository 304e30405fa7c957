//! Forward-only schema migrations, applied at start-up.
//!
//! `migrations/NNNN_*.sql` are compiled into the binary, so a deployed
//! feedsift never depends on files next to it. The schema version is
//! `PRAGMA user_version`: the number of the last migration applied. Each
//! migration runs in its own transaction together with the version bump, so
//! a crash mid-upgrade leaves the previous version intact.

use rusqlite::Connection;

use super::StoreError;

/// Every migration, in order; `MIGRATIONS[i]` brings the schema to `i + 1`.
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../../migrations/0001_init.sql")),
    (
        "0002_dedup",
        include_str!("../../migrations/0002_dedup.sql"),
    ),
    (
        "0003_robots",
        include_str!("../../migrations/0003_robots.sql"),
    ),
    (
        "0004_article_metadata",
        include_str!("../../migrations/0004_article_metadata.sql"),
    ),
    (
        "0005_feed_state",
        include_str!("../../migrations/0005_feed_state.sql"),
    ),
    (
        "0006_change_seq_retention",
        include_str!("../../migrations/0006_change_seq_retention.sql"),
    ),
    (
        "0007_feed_min_interval",
        include_str!("../../migrations/0007_feed_min_interval.sql"),
    ),
    (
        "0008_interval_adapted",
        include_str!("../../migrations/0008_interval_adapted.sql"),
    ),
    (
        "0009_entry_details_markdown",
        include_str!("../../migrations/0009_entry_details_markdown.sql"),
    ),
    (
        "0011_filtered_entries",
        include_str!("../../migrations/0011_filtered_entries.sql"),
    ),
    (
        "0012_site_blocks",
        include_str!("../../migrations/0012_site_blocks.sql"),
    ),
];

/// The schema version this build writes.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// The version recorded in the database file.
pub fn current_version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Brings the database to [`latest_version`]; returns how many migrations ran.
/// A database from a newer feedsift is refused rather than guessed at.
pub fn migrate(conn: &mut Connection) -> Result<usize, StoreError> {
    let current = current_version(conn)?;
    let latest = latest_version();
    if current > latest {
        return Err(StoreError::TooNew {
            found: current,
            supported: latest,
        });
    }
    if current == 0 {
        incremental_vacuum_for_new_file(conn)?;
    }
    let mut applied = 0;
    for (index, (name, sql)) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = index as i64 + 1;
        let tx = conn.transaction()?;
        tx.execute_batch(sql)
            .map_err(|e| StoreError::Migration { name, source: e })?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(migration = name, version, "applied database migration");
        applied += 1;
    }
    Ok(applied)
}

/// A new database file gets `auto_vacuum = INCREMENTAL`, so that space freed
/// by retention can be handed back to the file system a little at a time
/// (`store::retention`). The mode can only change while the file has no
/// tables, and once WAL is on only through a VACUUM, which is instant on an
/// empty file. A file that already has tables is left alone here: retention
/// decides whether converting it is worth a full VACUUM.
fn incremental_vacuum_for_new_file(conn: &Connection) -> Result<(), StoreError> {
    let objects: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
    if objects == 0 {
        conn.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
        conn.execute_batch("VACUUM")?;
    }
    Ok(())
}
