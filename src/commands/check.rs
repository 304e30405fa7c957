//! `feedsift check`: validates feeds.toml without touching anything else.

use std::path::Path;

use super::error::CliResult;
use super::load_config;

pub fn run(config_path: &Path) -> CliResult {
    let config = load_config(config_path, None)?;
    println!(
        "{}: ok, {} feeds",
        config_path.display(),
        config.feeds.len()
    );
    Ok(())
}
