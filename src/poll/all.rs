//! One round over every configured feed, now: what `feedsift poll --all`
//! runs, without the daemon's scheduler around it; and the poll of one of
//! them, `poll --feed`.

use super::pipeline::{Pipeline, PipelineError};
use super::{PollReport, poll_feed};
use crate::config::Config;
use crate::fetch::FetchSettings;
use crate::model::{Applied, PollResult};
use crate::store;

/// What `poll --all` prints.
#[derive(Debug, Clone, Default)]
pub struct PollSummary {
    pub feeds_ok: usize,
    pub feeds_failed: usize,
    pub not_modified: usize,
    /// Polls the database did not take: feedsift failed, not the feed.
    pub not_stored: usize,
    pub applied: Applied,
}

impl PollSummary {
    fn add(&mut self, report: &PollReport) {
        if report.ok() {
            self.feeds_ok += 1;
        } else {
            self.feeds_failed += 1;
        }
        self.not_modified += usize::from(report.result == PollResult::NotModified);
        self.not_stored += usize::from(report.store_failed);
        self.applied += report.applied;
    }
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
        )?;
        if self.applied.filtered > 0 {
            write!(f, "; entries filtered: {}", self.applied.filtered)?;
        }
        if self.not_stored > 0 {
            write!(
                f,
                "; NOT STORED: {} poll(s), the database did not take them",
                self.not_stored
            )?;
        }
        Ok(())
    }
}

/// Polls `config.feeds[index]` once, now (muted or not), and returns
/// how it went. Every feed of feeds.toml is still mirrored into the
/// database, as for any poll.
pub async fn poll_one(
    config: &Config,
    fetch: FetchSettings,
    index: usize,
) -> Result<(PollSummary, PollReport), PipelineError> {
    let pipeline = Pipeline::start(config, fetch).await?;
    let targets = pipeline.sync_feeds(config).await?;
    let report = match targets.into_iter().nth(index) {
        Some(target) => poll_feed(&pipeline.ctx, &target).await,
        None => {
            pipeline.finish().await;
            return Err(PipelineError::Task(format!("no feed number {index}")));
        }
    };
    pipeline.finish().await;
    let mut summary = PollSummary::default();
    summary.add(&report);
    Ok((summary, report))
}

/// Polls every configured feed once, now, and waits for all of them.
pub async fn poll_all(
    config: &Config,
    fetch: FetchSettings,
) -> Result<(PollSummary, Vec<PollReport>), PipelineError> {
    poll_all_observed(config, fetch, |_| {}).await
}

/// How often [`poll_all_observed`] reports the pages' progress while
/// feeds are still running: a terminal redraw rate, not a measurement.
const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// What [`poll_all_observed`] tells its observer.
#[derive(Debug, Clone, Copy)]
pub enum Progress<'a> {
    /// A feed's poll finished.
    Feed(&'a PollReport),
    /// Article pages done and planned so far, over every feed.
    Pages { done: usize, planned: usize },
}

/// [`poll_all`], telling `observe` as each feed's poll finishes and,
/// every [`PROGRESS_EVERY`], how far the pages are (a progress bar, for
/// one).
pub async fn poll_all_observed(
    config: &Config,
    fetch: FetchSettings,
    mut observe: impl FnMut(Progress),
) -> Result<(PollSummary, Vec<PollReport>), PipelineError> {
    let pipeline = Pipeline::start(config, fetch).await?;
    let targets = pipeline.sync_feeds(config).await?;
    let mut tasks = tokio::task::JoinSet::new();
    for target in targets {
        let mut ctx = pipeline.ctx.clone();
        ctx.any_time = true;
        tasks.spawn(async move { poll_feed(&ctx, &target).await });
    }
    let mut reports = Vec::new();
    let mut tick = tokio::time::interval(PROGRESS_EVERY);
    let pages = |observe: &mut dyn FnMut(Progress)| {
        let (done, planned) = pipeline.ctx.pages.progress();
        observe(Progress::Pages { done, planned });
    };
    loop {
        let done = tokio::select! {
            done = tasks.join_next() => done,
            _ = tick.tick() => {
                pages(&mut observe);
                continue;
            }
        };
        match done {
            None => break,
            Some(Ok(report)) => {
                // A finished feed's pages are all done: count them now.
                pages(&mut observe);
                observe(Progress::Feed(&report));
                reports.push(report);
            }
            Some(Err(e)) => tracing::error!(error = %e, "a poll task failed"),
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
        summary.add(r);
    }
    Ok((summary, reports))
}
