//! `feedsift poll --all`: every feed once, now, without the daemon.

use std::path::Path;

use super::config_and_runtime;
use super::error::{CliError, CliResult, Failure};
use super::progress::Progress;
use crate::fetch::FetchSettings;
use crate::poll::all::{self, PollSummary};

/// Polls every feed once and prints a one-line summary; a progress bar on
/// a terminal.
pub fn poll_all(config_path: &Path, db: Option<&Path>) -> CliResult {
    let (config, rt) = config_and_runtime(config_path, db)?;
    let fetch = FetchSettings::from_config(&config.settings);
    let progress = Progress::new(config.feeds.len() as u64, "polling");
    let (mut new, mut failed) = (0, 0);
    let polled = rt.block_on(all::poll_all_observed(&config, fetch, |report| {
        new += report.applied.new_articles;
        failed += usize::from(!report.ok());
        progress.step(format!("{new} new articles, {failed} feeds failed"));
    }));
    drop(progress);
    let (summary, _) = polled.map_err(CliError::runtime)?;
    println!("{summary}");
    outcome(&summary)
}

/// The exit status of a round: feedsift's own failure (a poll the
/// database did not take) before the feeds' failures, so cron and
/// systemd can tell "fix the box" from "a site is down".
fn outcome(summary: &PollSummary) -> CliResult {
    if summary.not_stored > 0 {
        return Err(CliError::runtime(format!(
            "{} poll(s) could not be stored; see the log for the database's error",
            summary.not_stored
        )));
    }
    if summary.feeds_failed > 0 {
        return Err(CliError::new(
            Failure::FeedsFailing,
            format!(
                "{} of {} feed(s) failed; `feedsift status` shows why",
                summary.feeds_failed,
                summary.feeds_failed + summary.feeds_ok
            ),
        ));
    }
    Ok(())
}
