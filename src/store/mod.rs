//! Store stage: the one SQLite file everything ends up in.
//!
//! One task owns the writing connection ([`writer`]); everything else sends
//! it work and reads through its own read-only connections ([`ReadPool`]).
//! WAL mode lets readers (ours, and `sqlite3`/Datasette/pandas outside) run
//! while the writer commits, and a reader only ever sees whole transactions.

mod apply;
pub(crate) mod articles;
pub mod backend;
mod location;
pub mod lock;
pub mod migrate;
pub mod postgres;
pub mod query;
pub mod read;
pub mod reader;
pub mod reading;
pub mod retention;
pub mod site_blocks;
pub mod stories;
pub mod writer;

pub use backend::Location;
pub use reader::Reader;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags};

use crate::model::FeedStatus;

/// How long a connection waits for a lock before giving up. Readers never
/// wait in WAL mode; this covers checkpoints and a second feedsift process
/// (e.g. `feeds add` while the daemon runs).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Location { path: PathBuf, message: String },
    #[error(
        "the database has schema version {found}, written by a newer feedsift; this build knows up to version {supported}. Upgrade feedsift (or use another --db)"
    )]
    TooNew { found: i64, supported: i64 },
    #[error("migration {name} failed: {source}")]
    Migration {
        name: &'static str,
        source: rusqlite::Error,
    },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database write failed: {0}")]
    Write(#[from] writer::WriteError),
    #[error("the database writer has stopped")]
    WriterGone,
    #[error("the database reader threads have stopped")]
    ReadersGone,
    #[error("{url}: not a PostgreSQL URL: {source}")]
    PostgresUrl {
        url: String,
        source: ::postgres::Error,
    },
    #[error("{url}: cannot use TLS: {reason}")]
    PostgresTls { url: String, reason: String },
    #[error("cannot connect to {url}: {}", crate::error_chain(source))]
    PostgresConnect {
        url: String,
        source: ::postgres::Error,
    },
    #[error("PostgreSQL migration {name} failed: {source}")]
    PostgresMigration {
        name: &'static str,
        source: ::postgres::Error,
    },
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] ::postgres::Error),
    #[error(
        "the database has schema version {found}; this command needs version {needs}. Start this feedsift version's daemon (or run `feedsift poll --all`) once to upgrade it"
    )]
    TooOld { found: i64, needs: i64 },
    #[error(
        "{} is being written by another feedsift ({}); one writer per database: stop it first, or leave the polling to it",
        database.display(),
        holder.as_deref().unwrap_or("its pid is unknown")
    )]
    InUse {
        database: PathBuf,
        holder: Option<String>,
    },
}

/// Opens the writing connection: creates the file if needed (never its
/// directory, see [`location`]), applies migrations and sets the
/// durability pragmas.
pub fn open_writer(path: &Path) -> Result<Connection, StoreError> {
    location::check(path)?;
    let mut conn = Connection::open(path).map_err(|source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: every commit is on disk before the writer moves on, so a power
    // cut cannot roll back a commit whose feed validators we already used.
    // Commits are batched, so the fsync cost is per batch, not per article.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    migrate::migrate(&mut conn)?;
    Ok(conn)
}

/// Opens a read-only connection to an existing database, refusing one whose
/// schema is newer than this build understands.
pub fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    location::check(path)?;
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI,
    )
    .map_err(|source| StoreError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let found = migrate::current_version(&conn)?;
    if found > migrate::latest_version() {
        return Err(StoreError::TooNew {
            found,
            supported: migrate::latest_version(),
        });
    }
    Ok(conn)
}

/// A small pool of read-only connections shared by the poll tasks.
#[derive(Clone)]
pub struct ReadPool {
    path: Arc<PathBuf>,
    idle: Arc<Mutex<Vec<Connection>>>,
}

/// Idle read connections kept open; more are opened on demand and closed
/// when returned to a full pool.
const READ_POOL_IDLE: usize = 8;

impl ReadPool {
    /// The database must exist (the writer creates and migrates it first).
    pub fn new(path: &Path) -> ReadPool {
        ReadPool {
            path: Arc::new(path.to_path_buf()),
            idle: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Runs `f` on a read-only connection. Queries are short point lookups,
    /// cheap enough to run on an async worker thread.
    pub fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let pooled = self.idle.lock().map(|mut idle| idle.pop()).unwrap_or(None);
        let conn = match pooled {
            Some(c) => c,
            None => open_reader(&self.path)?,
        };
        let result = f(&conn);
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < READ_POOL_IDLE {
                idle.push(conn);
            }
        }
        result
    }
}

/// RFC 3339 UTC with seconds, the one timestamp format in the database.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parses a timestamp written by [`timestamp`] (or any RFC 3339 text).
pub fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A feed's state as stored, through the model's one mapping.
impl rusqlite::ToSql for FeedStatus {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(self.as_sql()))
    }
}

impl FromSql for FeedStatus {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<FeedStatus> {
        let text = value.as_str()?;
        FeedStatus::from_sql(text)
            .ok_or_else(|| FromSqlError::Other(format!("unknown feed state {text:?}").into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_db(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("feedsift-store-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.join("test.db")
    }

    #[test]
    fn fresh_database_gets_every_migration() {
        let path = temp_db("fresh");
        let conn = open_writer(&path).unwrap();
        assert_eq!(
            migrate::current_version(&conn).unwrap(),
            migrate::latest_version()
        );
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let fk: i64 = conn
            .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
            .unwrap();
        assert_eq!(fk, 1);
        for object in [
            "feeds",
            "articles",
            "article_sources",
            "stories",
            "articles_fts",
        ] {
            let n: i64 = conn
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE name = ?1",
                    [object],
                    |r| r.get(0),
                )
                .unwrap();
            assert_eq!(n, 1, "{object} missing");
        }
    }

    #[test]
    fn reopening_at_latest_version_changes_nothing() {
        let path = temp_db("again");
        drop(open_writer(&path).unwrap());
        let mut conn = Connection::open(&path).unwrap();
        assert_eq!(migrate::migrate(&mut conn).unwrap(), 0);
        drop(conn);
        let conn = open_writer(&path).unwrap();
        assert_eq!(
            migrate::current_version(&conn).unwrap(),
            migrate::latest_version()
        );
    }

    #[test]
    fn database_from_a_newer_feedsift_is_refused() {
        let path = temp_db("newer");
        let conn = open_writer(&path).unwrap();
        conn.pragma_update(None, "user_version", migrate::latest_version() + 1)
            .unwrap();
        drop(conn);
        let err = open_writer(&path).unwrap_err();
        assert!(matches!(err, StoreError::TooNew { .. }));
        assert!(err.to_string().contains("newer feedsift"), "{err}");
        assert!(matches!(
            open_reader(&path).unwrap_err(),
            StoreError::TooNew { .. }
        ));
    }

    #[test]
    fn fts_follows_articles() {
        let path = temp_db("fts");
        let conn = open_writer(&path).unwrap();
        conn.execute(
            "INSERT INTO articles(url, canonical_url, title, text, created_at, updated_at)
             VALUES ('u', 'u', 'Harbour strike', 'Dockers walked out on Monday.', 'x', 'x')",
            [],
        )
        .unwrap();
        let hits = |q: &str| -> i64 {
            conn.query_row(
                "SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?1",
                [q],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(hits("dockers"), 1);
        conn.execute("UPDATE articles SET text = 'Cranes stood idle.'", [])
            .unwrap();
        assert_eq!(hits("dockers"), 0);
        assert_eq!(hits("cranes"), 1);
    }
}
