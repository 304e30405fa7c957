//! One round over every configured feed, now: what `feedsift poll --all`
//! runs, without the daemon's scheduler around it.

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
        )
    }
}

/// Polls every configured feed once, now, and waits for all of them.
pub async fn poll_all(
    config: &Config,
    fetch: FetchSettings,
) -> Result<(PollSummary, Vec<PollReport>), PipelineError> {
    poll_all_observed(config, fetch, |_| {}).await
}

/// [`poll_all`], calling `observe` as each feed's poll finishes (a
/// progress bar, for one).
pub async fn poll_all_observed(
    config: &Config,
    fetch: FetchSettings,
    mut observe: impl FnMut(&PollReport),
) -> Result<(PollSummary, Vec<PollReport>), PipelineError> {
    let pipeline = Pipeline::start(config, fetch).await?;
    let targets = pipeline.sync_feeds(config).await?;
    let mut tasks = tokio::task::JoinSet::new();
    for target in targets {
        let ctx = pipeline.ctx.clone();
        tasks.spawn(async move { poll_feed(&ctx, &target).await });
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
        summary.add(r);
    }
    Ok((summary, reports))
}
