//! `feedsift poll --all`: every feed once, now, without the daemon;
//! `feedsift poll --feed URL`: one of them.

use std::path::Path;

use super::config_and_runtime;
use super::error::{CliError, CliResult};
use super::progress::Progress;
use crate::config::{edit, feed_identity};
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

/// Polls the feed of feeds.toml that `url` names (however it is spelled:
/// the feed identity decides), prints the summary, and fails when its poll
/// did: a one-feed poll that failed is not "ok".
pub fn poll_one(config_path: &Path, db: Option<&Path>, url: &str) -> CliResult {
    let (config, rt) = config_and_runtime(config_path, db)?;
    let wanted =
        edit::feed_url(url).map_err(|e| CliError::usage(format!("--feed: {e}")).within("poll"))?;
    let identity = feed_identity(&wanted);
    let Some(index) = config
        .feeds
        .iter()
        .position(|f| feed_identity(&f.url) == identity)
    else {
        return Err(CliError::usage(format!(
            "{wanted} is not a feed of {} (`feedsift feeds list` shows them; `feedsift feeds add {wanted}` adds it)",
            config_path.display()
        ))
        .within("poll"));
    };
    let fetch = FetchSettings::from_config(&config.settings);
    let (summary, report) = rt
        .block_on(all::poll_one(&config, fetch, index))
        .map_err(CliError::runtime)?;
    println!("{summary}");
    match &report.error {
        Some(error) if !report.ok() => {
            Err(CliError::runtime(format!("{}: {error}", report.url)).within("poll"))
        }
        _ => Ok(()),
    }
}
