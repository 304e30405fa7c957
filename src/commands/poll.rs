//! `feedsift poll --all` and `feedsift run`.

use std::path::Path;
use std::time::Duration;

use tokio::runtime::Runtime;

use super::progress::Progress;
use super::{exit, load_config, runtime};
use crate::config::Config;
use crate::daemon;
use crate::fetch::FetchSettings;

/// Blocking work still running when the daemon has stopped (a page being
/// extracted for a poll that was abandoned) gets this long before the
/// process exits anyway; the daemon promises to exit within 10 s.
const RUNTIME_SHUTDOWN: Duration = Duration::from_secs(1);

/// Polls every feed once and prints a one-line summary; a progress bar on
/// a terminal.
pub fn poll_all(config_path: &Path, db: Option<&Path>) -> u8 {
    let (config, rt) = match config_and_runtime(config_path, db) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let fetch = FetchSettings::from_config(&config.settings);
    let progress = Progress::new(config.feeds.len() as u64, "polling");
    let (mut new, mut failed) = (0, 0);
    let polled = rt.block_on(daemon::poll_all_observed(&config, fetch, |report| {
        new += report.applied.new_articles;
        failed += usize::from(!report.ok());
        progress.step(format!("{new} new articles, {failed} feeds failed"));
    }));
    drop(progress);
    match polled {
        Ok((summary, _)) => {
            println!("{summary}");
            exit::OK
        }
        Err(e) => {
            eprintln!("feedsift: {e}");
            exit::FAILURE
        }
    }
}

/// Runs the daemon until SIGTERM/SIGINT.
pub fn run(config_path: &Path, db: Option<&Path>) -> u8 {
    let (config, rt) = match config_and_runtime(config_path, db) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let fetch = FetchSettings::from_config(&config.settings);
    let result = rt.block_on(daemon::run(config, fetch, db.map(Path::to_path_buf)));
    rt.shutdown_timeout(RUNTIME_SHUTDOWN);
    match result {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("feedsift: {e}");
            exit::FAILURE
        }
    }
}

/// What both commands start with: the validated config and an async runtime.
fn config_and_runtime(config_path: &Path, db: Option<&Path>) -> Result<(Config, Runtime), u8> {
    Ok((load_config(config_path, db)?, runtime()?))
}
