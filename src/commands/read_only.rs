//! What the reading commands (`status`, `search`, `export`) share: finding
//! the database, opening it read-only, and writing to a stdout that may be
//! closed early.
//!
//! They only read, so they never create or migrate the file: a missing
//! database is reported as such, and a database whose schema is older than
//! the command needs is left for the daemon (or `poll --all`) of this
//! version to upgrade, rather than changed under a running older daemon.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::{exit, load_config};
use crate::store::{self, migrate};

/// `--db` when given (feeds.toml is then not read at all, so the database
/// can be inspected anywhere), else `[settings].database` of feeds.toml.
fn database_path(config_path: &Path, db: Option<&Path>) -> Result<PathBuf, u8> {
    match db {
        Some(db) => Ok(db.to_path_buf()),
        None => load_config(config_path, None).map(|c| c.settings.database),
    }
}

/// The database of `--db` or feeds.toml, opened read-only for the reading
/// commands; on failure prints why and returns the exit code.
pub fn open_for_reading(config_path: &Path, db: Option<&Path>) -> Result<Connection, u8> {
    open(&database_path(config_path, db)?, READ_SCHEMA)
}

/// Opens the database read-only for a command that needs schema version
/// `needs`; on failure prints why and returns the exit code (1).
pub fn open(path: &Path, needs: i64) -> Result<Connection, u8> {
    if !path.exists() {
        eprintln!(
            "feedsift: no database at {}: nothing has been polled yet (run `feedsift poll --all` or `feedsift run`), or pass --db FILE",
            path.display()
        );
        return Err(exit::FAILURE);
    }
    let conn = store::open_reader(path).map_err(|e| {
        eprintln!("feedsift: cannot read the database: {e}");
        exit::FAILURE
    })?;
    let version = migrate::current_version(&conn).map_err(|e| {
        eprintln!("feedsift: {}: not a feedsift database? {e}", path.display());
        exit::FAILURE
    })?;
    if version < needs {
        eprintln!(
            "feedsift: {} has schema version {version}; this command needs version {needs}. \
             Start this feedsift version's daemon (or run `feedsift poll --all`) once to upgrade it.",
            path.display()
        );
        return Err(exit::FAILURE);
    }
    Ok(conn)
}

/// The schema version that added what the reading commands rely on
/// (`change_seq`, `purged_at`; migration 0006).
pub const READ_SCHEMA: i64 = 6;

/// Output was cut short because the reader went away (`| head`): not an
/// error for a command whose output is meant to be piped.
pub fn reader_gone(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
}

/// Writes all of `text` to stdout; exit code 0 also when stdout was closed
/// early, 1 on any other write error.
pub fn print(text: &str) -> u8 {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => exit::OK,
        Err(e) if reader_gone(&e) => exit::OK,
        Err(e) => {
            eprintln!("feedsift: cannot write output: {e}");
            exit::FAILURE
        }
    }
}
