//! The machinery polls run on: the database (its single writer and a pool
//! of readers), the HTTP client, the memo of pages fetched lately and the
//! shutdown flag. `poll --all` starts one for a round of polls; the daemon
//! keeps one for its whole life.

use std::sync::Arc;

use tokio::sync::watch;

use super::FeedTarget;
use super::pages::PageMemo;
use crate::config::Config;
use crate::fetch::robots::RobotsStore;
use crate::fetch::{FetchError, FetchSettings, Fetcher};
use crate::model::{FeedListing, StoredRobots};
use crate::store::postgres::{lease, pool::PgPool, writer::PgWriter};
use crate::store::writer::{self, WriterHandle};
use crate::store::{self, Location, ReadPool, Reader, StoreError, lock, stories};
use crate::webhook::{Routes, Webhooks};

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("database open task failed: {0}")]
    Task(String),
    /// Which of several nodes sharing a PostgreSQL database announces a
    /// story is not settled, so webhooks stay a SQLite feature for now.
    #[error(
        "[webhook] announces stories from a SQLite database only; remove [webhook] and [feed.webhook] to use PostgreSQL"
    )]
    WebhooksNeedSqlite,
}

/// What a poll task needs; shared by every poll.
#[derive(Clone)]
pub struct PollContext {
    pub fetcher: Arc<Fetcher>,
    pub reader: Reader,
    pub writer: WriterHandle,
    /// Poll a feed whether or not it is due (`poll --all`); the daemon
    /// polls due feeds only, which matters when other nodes share the
    /// database.
    pub any_time: bool,
    pub allow_private_networks: bool,
    /// `[settings].max_entries_per_poll`.
    pub max_entries_per_poll: usize,
    /// Store articles as Markdown too (`[settings] markdown`).
    pub markdown: bool,
    /// Pages fetched lately, so one page listed by several feeds at once is
    /// fetched once.
    pub pages: Arc<PageMemo>,
    /// Turns true when the daemon is shutting down: stop fetching pages,
    /// commit what is complete.
    pub shutdown: watch::Receiver<bool>,
}

/// Everything a running pipeline holds; dropping it (after the poll tasks
/// end) lets the writer finish.
pub struct Pipeline {
    pub ctx: PollContext,
    pub writer_thread: std::thread::JoinHandle<()>,
    pub shutdown: watch::Sender<bool>,
    /// Announce new stories after each commit (feeds.toml `[webhook]`);
    /// `None` on PostgreSQL (see [`PipelineError::WebhooksNeedSqlite`]).
    pub webhooks: Option<Webhooks>,
}

impl Pipeline {
    /// Opens (creating and migrating) the database and starts the writer
    /// and the HTTP client.
    pub async fn start(config: &Config, fetch: FetchSettings) -> Result<Pipeline, PipelineError> {
        let location = Location::of(&config.settings.database);
        let window_days = config.settings.dedup_window_days;
        let (writer, writer_thread, reader) = match location {
            Location::Sqlite(db) => {
                let (lock, conn, stories) = tokio::task::spawn_blocking({
                    let db = db.clone();
                    move || {
                        // Before the database is touched: a second writer is
                        // refused before it migrates, syncs feeds or fetches.
                        let lock = lock::acquire(&db)?;
                        let conn = store::open_writer(&db)?;
                        let stories = stories::load(&conn, window_days)?;
                        Ok::<_, StoreError>((lock, conn, stories))
                    }
                })
                .await
                .map_err(|e| PipelineError::Task(e.to_string()))??;
                let (writer, thread) = writer::spawn_locked(conn, stories, lock);
                (writer, thread, Reader::Sqlite(ReadPool::new(&db)))
            }
            Location::Postgres(url) => {
                if !Routes::of(config).is_empty() {
                    return Err(PipelineError::WebhooksNeedSqlite);
                }
                let node = lease::node_name();
                let backend = tokio::task::spawn_blocking({
                    let (url, node) = (url.clone(), node.clone());
                    move || PgWriter::open(&url, window_days, node)
                })
                .await
                .map_err(|e| PipelineError::Task(e.to_string()))??;
                tracing::info!(%node, "sharing the PostgreSQL database as this node");
                let (writer, thread) = writer::spawn_backend(backend, None);
                let pool = PgPool::new(&url)?;
                (
                    writer,
                    thread,
                    Reader::Postgres {
                        pool,
                        node: node.into(),
                    },
                )
            }
        };
        let (shutdown, shutdown_rx) = watch::channel(false);
        let webhooks = match &reader {
            Reader::Sqlite(pool) => Some(Webhooks::start(config, pool.clone(), writer.commits())?),
            Reader::Postgres { .. } => None,
        };
        let ctx = PollContext {
            fetcher: fetcher(fetch, &reader, &writer)?,
            reader,
            writer,
            any_time: false,
            allow_private_networks: config.settings.allow_private_networks,
            max_entries_per_poll: config.settings.max_entries_per_poll,
            markdown: config.settings.markdown,
            pages: Arc::new(PageMemo::new()),
            shutdown: shutdown_rx,
        };
        Ok(Pipeline {
            ctx,
            writer_thread,
            shutdown,
            webhooks,
        })
    }

    /// Mirrors feeds.toml into the `feeds` table; returns one target per feed.
    pub async fn sync_feeds(&self, config: &Config) -> Result<Vec<FeedTarget>, StoreError> {
        let listings = config
            .feeds
            .iter()
            .map(|f| FeedListing {
                url: f.url.to_string(),
                name: f.name.clone(),
            })
            .collect();
        let ids = self.ctx.writer.sync_feeds(listings).await?;
        Ok(ids
            .into_iter()
            .zip(&config.feeds)
            .map(|(id, f)| FeedTarget {
                id,
                config: f.clone(),
                schedule: config.schedule_of(f),
            })
            .collect())
    }

    /// Stops the writer after everything sent to it is committed.
    pub async fn finish(self) {
        let Pipeline {
            ctx,
            writer_thread,
            shutdown,
            webhooks,
        } = self;
        drop(ctx);
        drop(shutdown);
        let _ = tokio::task::spawn_blocking(move || writer_thread.join()).await;
        if let Some(webhooks) = webhooks {
            webhooks.finish().await;
        }
    }

    pub fn writer(&self) -> &WriterHandle {
        &self.ctx.writer
    }

    /// A new HTTP client with these settings, keeping robots.txt answers
    /// in this pipeline's database.
    pub fn fetcher(&self, fetch: FetchSettings) -> Result<Arc<Fetcher>, FetchError> {
        fetcher(fetch, &self.ctx.reader, &self.ctx.writer)
    }
}

fn fetcher(
    fetch: FetchSettings,
    reader: &Reader,
    writer: &WriterHandle,
) -> Result<Arc<Fetcher>, FetchError> {
    let robots = Arc::new(DbRobots {
        reader: reader.clone(),
        writer: writer.clone(),
    });
    Ok(Arc::new(Fetcher::new(fetch, Some(robots))?))
}

/// robots.txt answers kept in the database between runs.
struct DbRobots {
    reader: Reader,
    writer: WriterHandle,
}

impl RobotsStore for DbRobots {
    fn load(&self, origin: &str) -> Option<StoredRobots> {
        self.reader.robots(origin).ok().flatten()
    }

    fn save(&self, origin: &str, robots: &StoredRobots) {
        self.writer.save_robots(origin, robots);
    }
}
