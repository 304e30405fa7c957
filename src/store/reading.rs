//! The reading commands' database (`status`, `search`, `export`), either
//! backend: [`crate::store::query`] on a read-only SQLite connection, or
//! [`crate::store::postgres::query`] on a PostgreSQL connection.

use rusqlite::Connection;

use super::StoreError;
use super::postgres::query as pg;
use super::query::{
    self, ExportError, ExportFilter, ExportedStory, FeedHealth, Highlight, SearchError, SearchHit,
    Totals,
};

pub enum ReadDb {
    Sqlite(Connection),
    Postgres(Box<::postgres::Client>),
}

impl ReadDb {
    pub fn feed_health(&mut self) -> Result<Vec<FeedHealth>, StoreError> {
        match self {
            ReadDb::Sqlite(c) => query::feed_health(c),
            ReadDb::Postgres(c) => pg::feed_health(c),
        }
    }

    pub fn totals(&mut self) -> Result<Totals, StoreError> {
        match self {
            ReadDb::Sqlite(c) => query::totals(c),
            ReadDb::Postgres(c) => pg::totals(c),
        }
    }

    pub fn search(
        &mut self,
        text: &str,
        limit: usize,
        highlight: Highlight,
    ) -> Result<Vec<SearchHit>, SearchError> {
        match self {
            ReadDb::Sqlite(c) => query::search(c, text, limit, highlight),
            ReadDb::Postgres(c) => pg::search(c, text, limit, highlight),
        }
    }

    pub fn export_stories(
        &mut self,
        filter: ExportFilter,
        sink: impl FnMut(&ExportedStory) -> std::io::Result<()>,
    ) -> Result<usize, ExportError> {
        match self {
            ReadDb::Sqlite(c) => query::export_stories(c, filter, sink),
            ReadDb::Postgres(c) => pg::export_stories(c, filter, sink),
        }
    }
}
