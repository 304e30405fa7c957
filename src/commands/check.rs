//! `feedsift check`: validates feeds.toml without touching anything else.

use std::path::Path;

use super::{exit, load_config};

pub fn run(config_path: &Path) -> u8 {
    match load_config(config_path, None) {
        Ok(config) => {
            println!(
                "{}: ok, {} feeds",
                config_path.display(),
                config.feeds.len()
            );
            exit::OK
        }
        Err(code) => code,
    }
}
