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
use crate::store::reading::ReadDb;
use crate::store::{self, Location, migrate};

/// `--db` when given (feeds.toml is then not read at all, so the database
/// can be inspected anywhere), else `[settings].database` of feeds.toml.
/// A feeds.toml with an error (a typo in a feed being edited) does not stop
/// a command that only reads: its error is shown as a warning and the
/// database it names (or the default) is read.
pub fn database_path(config_path: &Path, db: Option<&Path>) -> Result<PathBuf, CliError> {
    if let Some(db) = db {
        return Ok(db.to_path_buf());
    }
    match load_config(config_path, None) {
        Ok(config) => Ok(config.settings.database),
        Err(e) if config_path.is_file() => {
            let path = named_database(config_path);
            eprintln!(
                "feedsift: warning: {}; reading {} anyway (fix the file before the daemon reloads it)",
                e.line()
                    .unwrap_or_default()
                    .trim_start_matches("feedsift: "),
                path.display()
            );
            Ok(path)
        }
        Err(e) => Err(e),
    }
}

/// The database a feeds.toml names, read without validating the rest:
/// `[settings].database` relative to the file, else the default.
fn named_database(config_path: &Path) -> PathBuf {
    let named = std::fs::read_to_string(config_path)
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .and_then(|table| {
            let settings = table.get("settings")?.as_table()?;
            Some(PathBuf::from(settings.get("database")?.as_str()?))
        })
        .unwrap_or_else(|| PathBuf::from(crate::config::defaults::DATABASE));
    config_path.parent().unwrap_or(Path::new("")).join(named)
}

/// The database of `--db` or feeds.toml, opened read-only for the reading
/// commands: a SQLite file or a PostgreSQL server.
pub fn open_for_reading(
    config_path: &Path,
    db: Option<&Path>,
    needs: Needs,
) -> Result<ReadDb, CliError> {
    open_location(Location::of(&database_path(config_path, db)?), needs)
}

/// Opens a database already located, read-only.
pub fn open_location(location: Location, needs: Needs) -> Result<ReadDb, CliError> {
    match location {
        Location::Sqlite(path) => Ok(ReadDb::Sqlite(open(&path, needs.sqlite)?)),
        Location::Postgres(url) => store::postgres::open_reader(&url, needs.postgres)
            .map(|c| ReadDb::Postgres(Box::new(c)))
            .map_err(|e| CliError::runtime(format!("cannot read the database: {e}"))),
    }
}

/// The schema versions, per backend, that added what a reading command
/// relies on.
#[derive(Debug, Clone, Copy)]
pub struct Needs {
    pub sqlite: i64,
    pub postgres: i64,
}

/// `status`, `search`, `feeds list`: `change_seq` and `purged_at` (SQLite
/// 0006; PostgreSQL's first schema has them).
pub const READING: Needs = Needs {
    sqlite: READ_SCHEMA,
    postgres: 1,
};

/// `export`, which writes the entry details and Markdown columns too
/// (SQLite 0009, PostgreSQL 0002).
pub const EXPORTING: Needs = Needs {
    sqlite: 9,
    postgres: 2,
};

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
