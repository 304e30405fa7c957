//! `feedsift run`: the daemon, until SIGTERM/SIGINT.

use std::path::Path;
use std::time::Duration;

use super::config_and_runtime;
use super::error::{CliError, CliResult};
use crate::daemon;
use crate::fetch::FetchSettings;

/// Blocking work still running when the daemon has stopped (a page being
/// extracted for a poll that was abandoned) gets this long before the
/// process exits anyway; the daemon promises to exit within 10 s.
const RUNTIME_SHUTDOWN: Duration = Duration::from_secs(1);

/// Runs the daemon until SIGTERM/SIGINT.
pub fn run(config_path: &Path, db: Option<&Path>) -> CliResult {
    let (config, rt) = config_and_runtime(config_path, db)?;
    let fetch = FetchSettings::from_config(&config.settings);
    let result = rt.block_on(daemon::run(config, fetch, db.map(Path::to_path_buf)));
    rt.shutdown_timeout(RUNTIME_SHUTDOWN);
    result.map_err(CliError::runtime)
}
