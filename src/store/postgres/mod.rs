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

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use postgres::config::SslMode;
use postgres::{Client, Config, NoTls};
use rustls::ClientConfig;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use rustls_platform_verifier::BuilderVerifierExt;
use tokio_postgres_rustls::MakeRustlsConnect;

use super::StoreError;
use super::backend::redacted;

/// How long a node waits for the server to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens a connection to the server named by `url` (libpq URL syntax).
/// `sslmode=require`, `verify-ca` and `verify-full` connect over TLS and
/// check the server's certificate and name against the system's roots or
/// `sslrootcert`; `disable` and `prefer` (the default) connect in plain
/// text. See README "Scaling out".
pub fn connect(url: &str) -> Result<Client, StoreError> {
    let (libpq_url, roots) = tls_options(url);
    let mut config: Config = libpq_url
        .parse()
        .map_err(|source| StoreError::PostgresUrl {
            url: redacted(url),
            source,
        })?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("feedsift");
    }
    let connected = match config.get_ssl_mode() {
        SslMode::Require => config.connect(MakeRustlsConnect::new(tls_config(url, roots)?)),
        // `prefer` never verified anything (libpq's neither): plain text,
        // as before, rather than a TLS session that proves nothing.
        _ => config.connect(NoTls),
    };
    connected.map_err(|source| StoreError::PostgresConnect {
        url: redacted(url),
        source,
    })
}

/// The URL as the `postgres` crate reads it, and the `sslrootcert` file.
/// libpq's `verify-ca` / `verify-full` (which that crate does not know)
/// become `require`, which here always verifies the certificate and the
/// host name: a TLS session without it would only seem secure.
fn tls_options(url: &str) -> (String, Option<PathBuf>) {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return (url.to_string(), None);
    };
    let mut roots = None;
    let mut kept = Vec::new();
    for (key, value) in parsed.query_pairs() {
        match (key.as_ref(), value.as_ref()) {
            ("sslrootcert", file) => roots = Some(PathBuf::from(file)),
            ("sslmode", "verify-ca" | "verify-full") => {
                kept.push(("sslmode".to_string(), "require".to_string()))
            }
            _ => kept.push((key.into_owned(), value.into_owned())),
        }
    }
    if kept.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(kept);
    }
    (parsed.to_string(), roots)
}

/// A TLS client trusting `roots` (PEM certificates) when given, else the
/// system's trust store, as the HTTP client does.
fn tls_config(url: &str, roots: Option<PathBuf>) -> Result<ClientConfig, StoreError> {
    let refused = |reason: String| StoreError::PostgresTls {
        url: redacted(url),
        reason,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| refused(e.to_string()))?;
    let config = match roots {
        Some(file) => builder
            .with_root_certificates(root_store(&file).map_err(refused)?)
            .with_no_client_auth(),
        None => builder
            .with_platform_verifier()
            .map_err(|e| refused(format!("the system's trust store: {e}")))?
            .with_no_client_auth(),
    };
    Ok(config)
}

/// The certificates of a PEM file, as trust roots.
fn root_store(file: &Path) -> Result<rustls::RootCertStore, String> {
    let named = |e: &dyn std::fmt::Display| format!("sslrootcert {}: {e}", file.display());
    let mut store = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(file).map_err(|e| named(&e))? {
        store
            .add(cert.map_err(|e| named(&e))?)
            .map_err(|e| named(&e))?;
    }
    if store.is_empty() {
        return Err(named(&"no certificate in the file"));
    }
    Ok(store)
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
    fn libpq_tls_options_are_read_and_a_bad_url_names_itself() {
        assert_eq!(
            tls_options(
                "postgres://u@h:5432/db?sslmode=verify-full&sslrootcert=/etc/ca.pem&connect_timeout=3"
            ),
            (
                "postgres://u@h:5432/db?sslmode=require&connect_timeout=3".to_string(),
                Some(PathBuf::from("/etc/ca.pem"))
            )
        );
        assert_eq!(
            tls_options("postgres://u@h/db?sslrootcert=ca.pem"),
            (
                "postgres://u@h/db".to_string(),
                Some(PathBuf::from("ca.pem"))
            )
        );
        let e = connect(
            "postgres://u:pw@127.0.0.1:1/db?sslmode=require&sslrootcert=/nonexistent/ca.pem",
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
        assert!(
            e.starts_with("postgres://u:***@127.0.0.1:1/db?sslmode=require&sslrootcert=/nonexistent/ca.pem: cannot use TLS: sslrootcert /nonexistent/ca.pem:"),
            "{e}"
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
