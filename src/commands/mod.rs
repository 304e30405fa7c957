//! What each CLI subcommand does. `main.rs` parses arguments and calls one
//! of these; each returns a [`CliResult`], which `main` turns into the
//! exit code.

pub mod check;
pub mod error;
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
use error::CliError;

/// Loads feeds.toml and applies `--db`; an error names file:line:col and
/// is a usage error.
pub fn load_config(path: &Path, db: Option<&Path>) -> Result<Config, CliError> {
    let mut config = Config::load(path).map_err(CliError::usage)?;
    if let Some(db) = db {
        config.settings.database = db.to_path_buf();
    }
    Ok(config)
}

/// What `run` and `poll --all` start with: the validated config and an
/// async runtime.
pub fn config_and_runtime(
    config_path: &Path,
    db: Option<&Path>,
) -> Result<(Config, tokio::runtime::Runtime), CliError> {
    Ok((load_config(config_path, db)?, runtime()?))
}

/// A multi-threaded tokio runtime for the commands that do network work.
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::runtime(format!("cannot start the async runtime: {e}")))
}
