//! The PostgreSQL store: the same contract as the SQLite file (tables,
//! columns, meanings, `stories`, `change_seq`, pending work), for users
//! who outgrow one box or want the articles in the database their stack
//! already runs. Several feedsift nodes may share one database: each
//! leases the feeds it polls ([`lease`]) and all of them place stories
//! under one writing lock ([`writer`]), so a story is stored once and its
//! copies are marked whichever node fetched them.
//!
//! The pipeline does not know which backend it writes to: it talks to the
//! same [`super::writer::WriterHandle`] and [`super::Reader`]. The sync
//! `postgres` client runs only on threads of its own (the writer thread,
//! the reader pool's threads, the reading commands' main thread), never on
//! an async worker: it drives its own small runtime.

pub mod apply;
pub mod db;
pub mod lease;
pub mod migrate;
pub mod pool;
pub mod query;
pub mod read;
pub mod site_blocks;
pub mod stories;
pub mod writer;

use std::time::Duration;

use postgres::config::SslMode;
use postgres::{Client, Config, NoTls};

use super::StoreError;
use super::backend::redacted;

/// How long a node waits for the server to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens a connection to the server named by `url` (libpq URL syntax;
/// `sslmode=disable` and `prefer` connect in plain text, see README
/// "Scaling out").
pub fn connect(url: &str) -> Result<Client, StoreError> {
    let mut config: Config = url.parse().map_err(|source| StoreError::PostgresUrl {
        url: redacted(url),
        source,
    })?;
    if matches!(config.get_ssl_mode(), SslMode::Require) {
        return Err(StoreError::PostgresTls { url: redacted(url) });
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("feedsift");
    }
    config
        .connect(NoTls)
        .map_err(|source| StoreError::PostgresConnect {
            url: redacted(url),
            source,
        })
}

/// Opens the writing connection: connects and brings the schema up to date
/// (safe when several nodes start at once).
pub fn open_writer(url: &str) -> Result<Client, StoreError> {
    let mut client = connect(url)?;
    migrate::migrate(&mut client)?;
    Ok(client)
}

/// Opens a connection for reading, refusing a schema newer than this build
/// knows and one older than `needs`.
pub fn open_reader(url: &str, needs: i64) -> Result<Client, StoreError> {
    let mut client = connect(url)?;
    let found = migrate::current_version(&mut client)?;
    if found > migrate::latest_version() {
        return Err(StoreError::TooNew {
            found,
            supported: migrate::latest_version(),
        });
    }
    if found < needs {
        return Err(StoreError::TooOld { found, needs });
    }
    Ok(client)
}

/// Integers as PostgreSQL's bigint, which every integer column is.
pub fn big(n: impl TryInto<i64>) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_that_requires_tls_is_refused_by_name_and_a_bad_url_names_itself() {
        let e = connect("postgres://u:pw@127.0.0.1:1/db?sslmode=require")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some(
                "postgres://u:***@127.0.0.1:1/db?sslmode=require: this build connects to PostgreSQL \
                 without TLS; use sslmode=disable or prefer on a trusted network, or a tunnel"
            )
        );
        let e = connect("postgres://h/db?sslmode=sometimes")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.starts_with("postgres://h/db?sslmode=sometimes: not a PostgreSQL URL"),
            "{e}"
        );
    }
}
