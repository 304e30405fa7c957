//! Where the database lives: a SQLite file (the default) or a PostgreSQL
//! server, told apart by the `database` setting (`[settings].database`,
//! `--db`, `FEEDSIFT_DB`) alone, so every command picks the same backend.

use std::path::{Path, PathBuf};

use crate::config::is_postgres_url;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Sqlite(PathBuf),
    /// A libpq-style URL: `postgres://user:password@host:port/db?sslmode=…`.
    Postgres(String),
}

impl Location {
    pub fn of(database: &Path) -> Location {
        match database.to_str() {
            Some(s) if is_postgres_url(s) => Location::Postgres(s.to_string()),
            _ => Location::Sqlite(database.to_path_buf()),
        }
    }
}

/// The URL without its password, for logs and messages.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_select_postgres_and_anything_else_is_a_file() {
        assert_eq!(
            Location::of(Path::new("postgres://u@127.0.0.1:5432/feeds")),
            Location::Postgres("postgres://u@127.0.0.1:5432/feeds".into())
        );
        assert!(matches!(
            Location::of(Path::new("PostgreSQL://h/db")),
            Location::Postgres(_)
        ));
        assert_eq!(
            Location::of(Path::new("data/postgres.db")),
            Location::Sqlite("data/postgres.db".into())
        );
        assert_eq!(
            redacted("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
    }
}
