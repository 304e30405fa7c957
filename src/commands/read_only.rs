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

use super::error::{CliError, CliResult};
use super::load_config;
use crate::store::{self, migrate};

/// `--db` when given (feeds.toml is then not read at all, so the database
/// can be inspected anywhere), else `[settings].database` of feeds.toml.
fn database_path(config_path: &Path, db: Option<&Path>) -> Result<PathBuf, CliError> {
    match db {
        Some(db) => Ok(db.to_path_buf()),
        None => load_config(config_path, None).map(|c| c.settings.database),
    }
}

/// The database of `--db` or feeds.toml, opened read-only for the reading
/// commands.
pub fn open_for_reading(config_path: &Path, db: Option<&Path>) -> Result<Connection, CliError> {
    open(&database_path(config_path, db)?, READ_SCHEMA)
}

/// Opens the database read-only for a command that needs schema version
/// `needs`.
pub fn open(path: &Path, needs: i64) -> Result<Connection, CliError> {
    if !path.exists() {
        return Err(CliError::runtime(format!(
            "no database at {}: nothing has been polled yet (run `feedsift poll --all` or `feedsift run`), or pass --db FILE",
            path.display()
        )));
    }
    let conn = store::open_reader(path)
        .map_err(|e| CliError::runtime(format!("cannot read the database: {e}")))?;
    let version = migrate::current_version(&conn).map_err(|e| {
        CliError::runtime(format!("{}: not a feedsift database? {e}", path.display()))
    })?;
    if version < needs {
        return Err(CliError::runtime(format!(
            "{} has schema version {version}; this command needs version {needs}. \
             Start this feedsift version's daemon (or run `feedsift poll --all`) once to upgrade it.",
            path.display()
        )));
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

/// Writes all of `text` to stdout; a success also when stdout was closed
/// early.
pub fn print(text: &str) -> CliResult {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if reader_gone(&e) => Ok(()),
        Err(e) => Err(CliError::runtime(format!("cannot write output: {e}"))),
    }
}
