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
use crate::store::writer::{self, WriterHandle};
use crate::store::{self, ReadPool, StoreError, stories};

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error("database open task failed: {0}")]
    Task(String),
}

/// What a poll task needs; shared by every poll.
#[derive(Clone)]
pub struct PollContext {
    pub fetcher: Arc<Fetcher>,
    pub reader: ReadPool,
    pub writer: WriterHandle,
    pub allow_private_networks: bool,
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
}

impl Pipeline {
    /// Opens (creating and migrating) the database and starts the writer
    /// and the HTTP client.
    pub async fn start(config: &Config, fetch: FetchSettings) -> Result<Pipeline, PipelineError> {
        let db = config.settings.database.clone();
        let window_days = config.settings.dedup_window_days;
        let (conn, stories) = tokio::task::spawn_blocking(move || {
            let conn = store::open_writer(&db)?;
            let stories = stories::load(&conn, window_days)?;
            Ok::<_, StoreError>((conn, stories))
        })
        .await
        .map_err(|e| PipelineError::Task(e.to_string()))??;
        let (writer, writer_thread) = writer::spawn(conn, stories);
        let (shutdown, shutdown_rx) = watch::channel(false);
        let reader = ReadPool::new(&config.settings.database);
        let ctx = PollContext {
            fetcher: fetcher(fetch, &reader, &writer)?,
            reader,
            writer,
            allow_private_networks: config.settings.allow_private_networks,
            pages: Arc::new(PageMemo::new()),
            shutdown: shutdown_rx,
        };
        Ok(Pipeline {
            ctx,
            writer_thread,
            shutdown,
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
        } = self;
        drop(ctx);
        drop(shutdown);
        let _ = tokio::task::spawn_blocking(move || writer_thread.join()).await;
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
    reader: &ReadPool,
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
    reader: ReadPool,
    writer: WriterHandle,
}

impl RobotsStore for DbRobots {
    fn load(&self, origin: &str) -> Option<StoredRobots> {
        self.reader
            .with(|c| store::read::robots(c, origin))
            .ok()
            .flatten()
    }

    fn save(&self, origin: &str, robots: &StoredRobots) {
        self.writer.save_robots(origin, robots);
    }
}
