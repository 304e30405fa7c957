//! The service around the poll: the scheduler that polls each feed on its
//! own interval, reload, the systemd protocol (readiness, status,
//! watchdog), the metrics endpoint, the retention timer, and graceful
//! shutdown. The poll itself, and the pipeline it runs on, are
//! [`crate::poll`]'s.
//!
//! Shutdown is a broadcast: a `watch` flag tells every poll task to stop
//! fetching and commit what is complete; the writer thread finishes when
//! the last handle to it is dropped, after committing everything it was
//! sent.

pub mod cycle;
pub mod metrics_endpoint;
pub mod notify;
pub mod reload;
pub mod scheduler;
pub mod watchdog;

use std::path::PathBuf;
use std::time::Duration;

use crate::config::Config;
use crate::fetch::FetchSettings;
use crate::metrics::METRICS;
use crate::poll::pipeline::{Pipeline, PipelineError};
use crate::store;
use crate::store::writer::WriterHandle;

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("{0}")]
    Other(String),
}

/// Time between retention passes of the running daemon. Text is kept for
/// `retention_days`, give or take this much.
const PASS_EVERY: Duration = Duration::from_secs(3600);

/// The daemon's first pass waits this long after start-up, so the polls that
/// are due at start-up get the writer first.
const FIRST_PASS_DELAY: Duration = Duration::from_secs(60);

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
        Some(addr) => Some(metrics_endpoint::serve(addr).await?),
        None => None,
    };

    let pipeline = Pipeline::start(&config, fetch.clone()).await?;
    let targets = pipeline.sync_feeds(&config).await?;
    let articles = pipeline.ctx.reader.article_count()?;
    METRICS.set_articles_at_start(articles);
    tracing::info!(feeds = targets.len(), database = %store::backend::redacted(&config.settings.database.to_string_lossy()), "feedsift running");
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
        retention_timer(pipeline.writer().clone(), retention_days).await;
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

/// The daemon's retention timer ([`store::retention`]): a pass shortly after start-up, then every
/// [`PASS_EVERY`]. Never returns; the daemon aborts it at shutdown (each step
/// is a whole transaction, so stopping between steps loses nothing), which
/// drops its writer handle so the writer can finish.
async fn retention_timer(writer: WriterHandle, retention_days: u32) {
    if retention_days == 0 {
        return;
    }
    tokio::time::sleep(FIRST_PASS_DELAY).await;
    loop {
        if let Err(e) =
            store::retention::run_pass(&writer, retention_days, chrono::Utc::now()).await
        {
            tracing::error!(error = %e, "retention pass failed; retried at the next pass");
        }
        tokio::time::sleep(PASS_EVERY).await;
    }
}
