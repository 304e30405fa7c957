//! What each CLI subcommand does. `main.rs` parses arguments and calls one
//! of these; each returns the process exit code.

pub mod check;
pub mod export;
pub mod extract;
pub mod feeds;
pub mod inspect;
pub mod logging;
pub mod poll;
pub mod progress;
pub mod read_only;
pub mod run;
pub mod search;
pub mod status;

use std::path::Path;

use crate::config::Config;

/// Exit codes of the CLI contract (DESIGN.md).
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILURE: u8 = 1;
    pub const USAGE: u8 = 2;
}

/// Loads feeds.toml and applies `--db`; on error prints it (file:line:col)
/// and returns the exit code for a config error.
pub fn load_config(path: &Path, db: Option<&Path>) -> Result<Config, u8> {
    match Config::load(path) {
        Ok(mut config) => {
            if let Some(db) = db {
                config.settings.database = db.to_path_buf();
            }
            Ok(config)
        }
        Err(e) => {
            eprintln!("feedsift: {e}");
            Err(exit::USAGE)
        }
    }
}

/// What `run` and `poll --all` start with: the validated config and an
/// async runtime.
pub fn config_and_runtime(
    config_path: &Path,
    db: Option<&Path>,
) -> Result<(Config, tokio::runtime::Runtime), u8> {
    Ok((load_config(config_path, db)?, runtime()?))
}

/// A multi-threaded tokio runtime for the commands that do network work.
pub fn runtime() -> Result<tokio::runtime::Runtime, u8> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("feedsift: cannot start the async runtime: {e}");
            exit::FAILURE
        })
}
