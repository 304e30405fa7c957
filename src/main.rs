//! The `feedsift` binary: parses the command line, sets up logging, calls
//! the library, and turns a command's failure into the exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use feedsift::commands;
use feedsift::commands::error::{CliResult, Failure};
use feedsift::commands::logging::LogFormat;

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
    /// Log line format: text for people, json (one object per line) for log shippers.
    #[arg(long, global = true, value_enum, env = "FEEDSIFT_LOG_FORMAT", default_value_t = LogFormat::Text)]
    log_format: LogFormat,
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
        /// Print the article as Markdown (with --json: a `markdown` field too).
        #[arg(long)]
        markdown: bool,
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// Validate feeds.toml; errors name file:line:column.
    Check,
    /// Manage feeds.toml: add, remove, list, import and export OPML (comments are kept).
    Feeds {
        #[command(subcommand)]
        action: commands::feeds::FeedsCommand,
    },
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
    /// Per-feed health: state, last success, last error, next poll, counts.
    Status {
        /// Print JSON (every field, RFC 3339 times) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Full-text search over stored stories (FTS5 query syntax).
    Search {
        /// Words, "phrases", AND/OR/NOT, prefix*, title:word.
        #[arg(required = true)]
        query: Vec<String>,
        /// Stories shown at most.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..))]
        limit: u16,
        /// One JSON object per story, snippets without markers.
        #[arg(long)]
        json: bool,
        /// Search the words as written: no operators, punctuation kept.
        #[arg(long)]
        literal: bool,
    },
    /// Stories with their sources as JSON lines, in change order.
    Export {
        /// Only stories published (else first stored) since: 2026-11-20, an RFC 3339 time, or 7d / 36h back.
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Only stories changed after this change_seq (the last one a previous export printed).
        #[arg(long, value_name = "N")]
        after_id: Option<i64>,
        #[arg(long, value_enum, default_value = "jsonl")]
        format: commands::export::Format,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    commands::logging::init(cli.log_level.as_deref(), cli.log_format);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if let Some(line) = e.line() {
                eprintln!("{line}");
            }
            ExitCode::from(exit_code(e.failure))
        }
    }
}

/// The exit codes of the CLI contract (README: 0 success, 1 runtime failure,
/// 2 usage or config error), decided here
/// and nowhere else. `clap` exits with 2 on a bad command line by itself.
fn exit_code(failure: Failure) -> u8 {
    match failure {
        Failure::Runtime => 1,
        Failure::Usage => 2,
    }
}

fn run(cli: Cli) -> CliResult {
    let db = cli.db.as_deref();
    match cli.command {
        Command::Run => commands::run::run(&cli.config, db),
        Command::Poll { all: _ } => commands::poll::poll_all(&cli.config, db),
        Command::Extract {
            url,
            json,
            markdown,
            files,
        } => commands::extract::run(&files, url.as_deref(), json, markdown),
        Command::Check => commands::check::run(&cli.config),
        Command::Feeds { action } => commands::feeds::run(&cli.config, action),
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
        Command::Status { json } => commands::status::run(&cli.config, db, json),
        Command::Search {
            query,
            limit,
            json,
            literal,
        } => commands::search::run(
            &cli.config,
            db,
            &query,
            &commands::search::Options {
                limit: usize::from(limit),
                json,
                literal,
            },
        ),
        Command::Export {
            since,
            after_id,
            format: commands::export::Format::Jsonl,
        } => commands::export::run(&cli.config, db, since.as_deref(), after_id),
    }
}
