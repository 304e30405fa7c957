//! The daemon around the pipeline: start-up (database, writer, HTTP
//! client), the scheduler that polls each feed on its own interval, reload,
//! the systemd protocol (readiness, status, watchdog), metrics, and
//! graceful shutdown.
//!
//! Shutdown is a broadcast: a `watch` flag tells every poll task to stop
//! fetching and commit what is complete; the writer thread finishes when
//! the last handle to it is dropped, after committing everything it was
//! sent.

pub mod metrics;
pub mod notify;
pub mod pages;
pub mod poller;
pub mod reload;
pub mod schedule;
pub mod scheduler;
pub mod watchdog;

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::watch;

use crate::config::Config;
use crate::fetch::robots::{RobotsStore, StoredRobots};
use crate::fetch::{FetchSettings, Fetcher};
use crate::store::stories::Stories;
use crate::store::writer::{self, Applied, FeedListing, WriterHandle};
use crate::store::{self, ReadPool};
use poller::{FeedTarget, PollContext, PollReport};

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    #[error("{0}")]
    Other(String),
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
    pub async fn start(config: &Config, fetch: FetchSettings) -> Result<Pipeline, DaemonError> {
        let db = config.settings.database.clone();
        let window_days = config.settings.dedup_window_days;
        let (conn, stories) = tokio::task::spawn_blocking(move || {
            let conn = store::open_writer(&db)?;
            let stories = Stories::load(&conn, window_days)?;
            Ok::<_, store::StoreError>((conn, stories))
        })
        .await
        .map_err(|e| DaemonError::Other(format!("database open task failed: {e}")))??;
        let (writer, writer_thread) = writer::spawn(conn, stories);
        let (shutdown, shutdown_rx) = watch::channel(false);
        let reader = ReadPool::new(&config.settings.database);
        let ctx = PollContext {
            fetcher: fetcher(fetch, &reader, &writer)?,
            reader,
            writer,
            allow_private_networks: config.settings.allow_private_networks,
            pages: Arc::new(pages::PageMemo::new()),
            shutdown: shutdown_rx,
        };
        Ok(Pipeline {
            ctx,
            writer_thread,
            shutdown,
        })
    }

    /// Mirrors feeds.toml into the `feeds` table; returns one target per feed.
    pub async fn sync_feeds(&self, config: &Config) -> Result<Vec<FeedTarget>, DaemonError> {
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
                interval: config.interval_of(f),
                fixed_interval: config.schedule_of(f).is_pinned(),
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
    pub fn fetcher(&self, fetch: FetchSettings) -> Result<Arc<Fetcher>, DaemonError> {
        fetcher(fetch, &self.ctx.reader, &self.ctx.writer)
    }
}

fn fetcher(
    fetch: FetchSettings,
    reader: &ReadPool,
    writer: &WriterHandle,
) -> Result<Arc<Fetcher>, DaemonError> {
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

/// What `poll --all` prints.
#[derive(Debug, Clone, Default)]
pub struct PollSummary {
    pub feeds_ok: usize,
    pub feeds_failed: usize,
    pub not_modified: usize,
    pub applied: Applied,
}

impl std::fmt::Display for PollSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "feeds: {} ok ({} not modified), {} failed; articles: {} new, {} duplicates, {} extra sightings, {} updated; pages pending retry: {}",
            self.feeds_ok,
            self.not_modified,
            self.feeds_failed,
            self.applied.new_articles,
            self.applied.duplicates,
            self.applied.new_sources,
            self.applied.updated,
            self.applied.pending,
        )
    }
}

/// Polls every configured feed once, now, and waits for all of them.
pub async fn poll_all(
    config: &Config,
    fetch: FetchSettings,
) -> Result<(PollSummary, Vec<PollReport>), DaemonError> {
    poll_all_observed(config, fetch, |_| {}).await
}

/// [`poll_all`], calling `observe` as each feed's poll finishes (a
/// progress bar, for one).
pub async fn poll_all_observed(
    config: &Config,
    fetch: FetchSettings,
    mut observe: impl FnMut(&PollReport),
) -> Result<(PollSummary, Vec<PollReport>), DaemonError> {
    let pipeline = Pipeline::start(config, fetch).await?;
    let targets = pipeline.sync_feeds(config).await?;
    let mut tasks = tokio::task::JoinSet::new();
    for target in targets {
        let ctx = pipeline.ctx.clone();
        tasks.spawn(async move { poller::poll_feed(&ctx, &target).await });
    }
    let mut reports = Vec::new();
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(report) => {
                observe(&report);
                reports.push(report);
            }
            Err(e) => tracing::error!(error = %e, "a poll task failed"),
        }
    }
    // Retention (store::retention): one pass after the polls, so that
    // `poll --all` from cron keeps the database bounded too.
    let days = config.settings.retention_days;
    if let Err(e) = store::retention::run_pass(pipeline.writer(), days, chrono::Utc::now()).await {
        tracing::error!(error = %e, "retention pass failed");
    }
    pipeline.finish().await;
    let mut summary = PollSummary::default();
    for r in &reports {
        if r.ok() {
            summary.feeds_ok += 1;
        } else {
            summary.feeds_failed += 1;
        }
        summary.not_modified += usize::from(r.not_modified);
        summary.applied += r.applied;
    }
    Ok((summary, reports))
}

/// Commands queued for the scheduler loop: a probe every few seconds and
/// a reload now and then; a short queue is plenty.
const CONTROL_QUEUE: usize = 4;

/// Runs the daemon until SIGTERM or SIGINT. `db_override` is `--db`, kept
/// for reloads.
pub async fn run(
    config: Config,
    fetch: FetchSettings,
    db_override: Option<PathBuf>,
) -> Result<(), DaemonError> {
    // Before anything slow: until these exist, SIGTERM or SIGHUP would
    // end the process with the default action.
    let signals = |e: std::io::Error| DaemonError::Other(format!("cannot listen for signals: {e}"));
    let mut stop_signals = scheduler::StopSignals::register().map_err(signals)?;
    let hangups = reload::Hangups::register().map_err(signals)?;
    let notifier = notify::Notifier::from_env();
    let metrics_server = match config.settings.metrics_listen {
        Some(addr) => Some(metrics::serve(addr).await?),
        None => None,
    };

    let pipeline = Pipeline::start(&config, fetch.clone()).await?;
    let targets = pipeline.sync_feeds(&config).await?;
    let articles = pipeline.ctx.reader.with(store::read::article_count)?;
    metrics::METRICS.set_articles_at_start(articles);
    tracing::info!(feeds = targets.len(), database = %config.settings.database.display(), "feedsift running");
    let scheduler = scheduler::Scheduler::new(pipeline.ctx.clone(), targets);
    let retention_days = config.settings.retention_days;
    let reloader = reload::Reloader::new(config, fetch, db_override);
    notifier.ready();

    let (control, control_rx) = tokio::sync::mpsc::channel(CONTROL_QUEUE);
    let stop = async {
        stop_signals.recv().await;
        notifier.stopping();
        tracing::info!("shutting down: committing what is complete");
    };
    let retention = async {
        store::retention::run_periodically(pipeline.writer().clone(), retention_days).await;
        // Off (0 days): nothing more to do, but the daemon goes on.
        std::future::pending::<()>().await
    };
    // One task: the helpers below run until the scheduler returns and are
    // dropped with it, so nothing of theirs (a writer handle included)
    // outlives the writer.
    tokio::select! {
        biased;
        () = scheduler.run(stop, control_rx, &pipeline.shutdown) => {}
        () = watchdog::run(&notifier, control.clone(), pipeline.writer().health()) => {}
        () = reloader.run(&pipeline, hangups, control, &notifier) => {}
        () = notifier.keep_status() => {}
        () = retention => {}
    }
    if let Some(server) = metrics_server {
        server.abort();
    }
    pipeline.finish().await;
    tracing::info!("stopped");
    Ok(())
}
