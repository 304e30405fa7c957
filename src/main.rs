//! The `feedsift` binary: parses the command line and calls the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use feedsift::commands;

#[derive(Parser)]
#[command(
    name = "feedsift",
    version,
    about = "Feed aggregator daemon: polls feeds, extracts clean article text, deduplicates, stores in SQLite"
)]
struct Cli {
    /// The feeds.toml to use.
    #[arg(
        long,
        global = true,
        env = "FEEDSIFT_CONFIG",
        default_value = "feeds.toml"
    )]
    config: PathBuf,
    /// The SQLite database (overrides [settings].database).
    #[arg(long, global = true, env = "FEEDSIFT_DB")]
    db: Option<PathBuf>,
    /// Log level or filter (overrides RUST_LOG), e.g. `debug` or `feedsift=trace`.
    #[arg(long, global = true)]
    log_level: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Extract the article text from saved pages (`-` reads stdin).
    Extract {
        /// The URL the page came from (resolves relative links, dates in paths).
        #[arg(long)]
        url: Option<String>,
        /// One JSON object per line (implied by several files).
        #[arg(long)]
        json: bool,
        #[arg(required = true)]
        files: Vec<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Extract { url, json, files } => {
            commands::extract::run(&files, url.as_deref(), json)
        }
    };
    ExitCode::from(code)
}
