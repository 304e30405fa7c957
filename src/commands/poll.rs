//! `feedsift poll --all` and `feedsift run`.

use std::path::Path;

use super::{exit, load_config, runtime};
use crate::daemon;
use crate::fetch::FetchSettings;

/// Polls every feed once and prints a one-line summary.
pub fn poll_all(config_path: &Path, db: Option<&Path>) -> u8 {
    let config = match load_config(config_path, db) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let fetch = FetchSettings::from_config(&config.settings);
    match rt.block_on(daemon::poll_all(&config, fetch)) {
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
    let config = match load_config(config_path, db) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let fetch = FetchSettings::from_config(&config.settings);
    match rt.block_on(daemon::run(config, fetch)) {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("feedsift: {e}");
            exit::FAILURE
        }
    }
}
