//! The `feedsift` binary: parses the command line, sets up logging and
//! calls the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use feedsift::commands;
use tracing_subscriber::EnvFilter;

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
    /// Run the daemon: poll every feed on its schedule until SIGTERM/SIGINT.
    Run,
    /// Poll feeds now, store every new article, print a summary and exit.
    Poll {
        /// Poll every configured feed (required: the only mode for now).
        #[arg(long, required = true)]
        all: bool,
    },
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
    /// Validate feeds.toml; errors name file:line:column.
    Check,
    /// Show what feedsift sees in a feed: format, charset, entries, repairs.
    Inspect {
        /// A feed file (`-` reads stdin) or URL (fetched with the settings of
        /// feeds.toml when there is one).
        target: String,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
        /// The HTTP Content-Type the feed was served with (its charset counts).
        #[arg(long)]
        content_type: Option<String>,
        /// The feed's URL, to resolve relative links.
        #[arg(long)]
        base_url: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_level.as_deref());
    let db = cli.db.as_deref();
    let code = match cli.command {
        Command::Run => commands::poll::run(&cli.config, db),
        Command::Poll { all: _ } => commands::poll::poll_all(&cli.config, db),
        Command::Extract { url, json, files } => {
            commands::extract::run(&files, url.as_deref(), json)
        }
        Command::Check => commands::check::run(&cli.config),
        Command::Inspect {
            target,
            json,
            content_type,
            base_url,
        } => commands::inspect::run(
            &target,
            json,
            content_type.as_deref(),
            base_url.as_deref(),
            &cli.config,
        ),
    };
    ExitCode::from(code)
}

/// Logs go to stderr; stdout is for command output. `--log-level` wins over
/// `RUST_LOG`; the default is `info`.
fn init_logging(level: Option<&str>) {
    let filter = match level {
        Some(l) => EnvFilter::try_new(l),
        None => EnvFilter::try_from_default_env().or_else(|_| EnvFilter::try_new("info")),
    }
    .unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
