//! `feedsift poll --all`: every feed once, now, without the daemon.

use std::path::Path;

use super::config_and_runtime;
use super::error::{CliError, CliResult};
use super::progress::Progress;
use crate::fetch::FetchSettings;
use crate::poll::all;

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
    Ok(())
}
