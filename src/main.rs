//! The `feedsift` binary: parses the command line, sets up logging, calls
//! the library, and turns a command's failure into the exit code.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};
use feedsift::commands;
use feedsift::commands::error::{CliResult, Failure};
use feedsift::commands::logging::LogFormat;

/// The heading of the options every command takes.
const GLOBAL: &str = "Global options (before or after the command)";

/// Where contrib/systemd/feedsift.service keeps its files (`--system`).
const SYSTEM_CONFIG: &str = "/etc/feedsift/feeds.toml";
const SYSTEM_DB: &str = "/var/lib/feedsift/feedsift.db";

#[derive(Parser)]
#[command(
    name = "feedsift",
    version,
    about = "Feed aggregator daemon: polls feeds, extracts clean article text, deduplicates, stores in SQLite",
    after_help = "\
Examples:
  feedsift feeds add https://example.org/     # find a site's feed and add it to ./feeds.toml
  feedsift poll --all                         # poll every feed once, store new articles in ./feedsift.db
  feedsift run                                # the daemon: poll on schedule until Ctrl-C
  sudo feedsift --system status               # health of the feeds of the installed service

Exit codes: 0 all fine; 1 feedsift itself failed (the database did not take writes,
another feedsift writes it, a runtime error); 2 usage or config error; 3 `poll --all`
stored what it got but some feeds failed (see `feedsift status`).

`feedsift COMMAND --help` shows a command's options and examples."
)]
struct Cli {
    /// The feeds.toml to use.
    #[arg(
        long,
        global = true,
        env = "FEEDSIFT_CONFIG",
        default_value = "feeds.toml",
        value_name = "FILE",
        help_heading = GLOBAL
    )]
    config: PathBuf,
    /// The SQLite database (overrides [settings].database).
    #[arg(long, global = true, env = "FEEDSIFT_DB", value_name = "FILE", help_heading = GLOBAL)]
    db: Option<PathBuf>,
    /// Use the installed service's files: /etc/feedsift/feeds.toml and
    /// /var/lib/feedsift/feedsift.db (see contrib/systemd/feedsift.service).
    #[arg(long, global = true, help_heading = GLOBAL)]
    system: bool,
    /// Log level (error, warn, info, debug, trace, off) or target=level
    /// filters such as feedsift=debug,info; overrides RUST_LOG. Default: info.
    #[arg(
        long,
        global = true,
        value_name = "LEVEL",
        value_parser = commands::logging::parse_level,
        help_heading = GLOBAL
    )]
    log_level: Option<String>,
    /// Log line format: text for people, json (one object per line) for log shippers.
    #[arg(long, global = true, value_enum, env = "FEEDSIFT_LOG_FORMAT", default_value_t = LogFormat::Text, value_name = "FORMAT", help_heading = GLOBAL)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

impl Cli {
    /// Parses the command line. Global options are listed once, in
    /// `feedsift --help`; a command's help shows its own options and
    /// examples. `--system` chooses the service's files.
    fn parse_args() -> Cli {
        let mut command = Cli::command();
        let globals: Vec<clap::Arg> = command
            .get_arguments()
            .filter(|a| a.is_global_set())
            .cloned()
            .collect();
        for sub in command.get_subcommands_mut() {
            list_globals_once(sub, &globals);
        }
        let matches = command.get_matches_mut();
        let mut cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        if cli.system {
            if let Err(message) = cli.use_system_paths(&matches) {
                command
                    .error(clap::error::ErrorKind::ArgumentConflict, message)
                    .exit();
            }
        }
        cli
    }

    /// `--system`: the service's feeds.toml and database, unless the
    /// command line names another (the environment's FEEDSIFT_CONFIG and
    /// FEEDSIFT_DB do not count: `--system` is asked for by name).
    fn use_system_paths(&mut self, matches: &ArgMatches) -> Result<(), String> {
        let given = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
        if given("config") || given("db") {
            return Err(
                "--system chooses /etc/feedsift/feeds.toml and /var/lib/feedsift/feedsift.db; \
                 leave out --config and --db, or leave out --system"
                    .into(),
            );
        }
        self.config = Path::new(SYSTEM_CONFIG).to_path_buf();
        self.db = Some(Path::new(SYSTEM_DB).to_path_buf());
        Ok(())
    }
}

/// Gives a command hidden copies of the global options, so they stay valid
/// there (clap then does not add visible ones), and says where they are
/// described.
fn list_globals_once(command: &mut clap::Command, globals: &[clap::Arg]) {
    let mut taken = std::mem::take(command);
    for arg in globals {
        if !taken.get_arguments().any(|a| a.get_id() == arg.get_id()) {
            taken = taken.arg(arg.clone().hide(true));
        }
    }
    let note = "Global options (--config, --db, --system, --log-level, --log-format): see `feedsift --help`.";
    let help = match taken.get_after_help() {
        Some(h) => format!("{h}\n\n{note}"),
        None => note.to_owned(),
    };
    taken = taken.after_help(help);
    for sub in taken.get_subcommands_mut() {
        list_globals_once(sub, globals);
    }
    *command = taken;
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: poll every feed on its schedule until SIGTERM/SIGINT.
    #[command(after_help = "\
Examples:
  feedsift run                          # ./feeds.toml, writing ./feedsift.db
  feedsift --config ~/news/feeds.toml run
As a service, see contrib/systemd/feedsift.service and the README (Running as a service).")]
    Run,
    /// Poll feeds now, store every new article, print a summary and exit.
    #[command(after_help = "\
Examples:
  feedsift poll --all                   # every feed in ./feeds.toml, once
  feedsift poll --feed https://example.org/feed.xml   # one configured feed, now
  feedsift --db /tmp/try.db poll --all  # into another database")]
    Poll {
        /// Poll every configured feed.
        #[arg(long, required_unless_present = "feed", conflicts_with = "feed")]
        all: bool,
        /// Poll this feed of feeds.toml only (any spelling of its URL);
        /// exits 1 when its poll fails.
        #[arg(long, value_name = "URL")]
        feed: Option<String>,
    },
    /// Extract the article text from saved pages or from URLs (`-` reads stdin).
    #[command(after_help = "\
Examples:
  feedsift extract page.html
  feedsift extract https://example.org/story          # fetched as the daemon fetches pages
  feedsift extract --json https://example.org/story   # the article fields of `export`
  curl -s https://example.org/story | feedsift extract --url https://example.org/story -
  feedsift extract --json saved/*.html > articles.jsonl")]
    Extract {
        /// The URL a saved page came from (resolves relative links, dates in paths).
        #[arg(long)]
        url: Option<String>,
        /// One JSON object per line (implied by several inputs).
        #[arg(long)]
        json: bool,
        /// Print the article as Markdown (with --json: a `markdown` field too).
        #[arg(long)]
        markdown: bool,
        /// Saved pages, `-`, or http(s) URLs to fetch.
        #[arg(required = true, value_name = "FILE|URL")]
        files: Vec<String>,
    },
    /// Validate feeds.toml: every problem, as file:line:column.
    #[command(after_help = "\
Examples:
  feedsift check
  sudo feedsift --system check          # the service's /etc/feedsift/feeds.toml")]
    Check,
    /// Manage feeds.toml: add, remove, list, import and export OPML (comments are kept).
    #[command(after_help = "\
Examples:
  feedsift feeds add https://example.org/rss.xml --tag world
  feedsift feeds list
  feedsift feeds import subscriptions.opml")]
    Feeds {
        #[command(subcommand)]
        action: commands::feeds::FeedsCommand,
    },
    /// Show what feedsift sees in a feed: format, charset, entries, repairs.
    #[command(after_help = "\
Examples:
  feedsift inspect https://example.org/rss.xml
  feedsift inspect saved.xml --content-type 'text/xml; charset=iso-8859-1' --json")]
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
    #[command(after_help = "\
Examples:
  feedsift status
  feedsift status --json | jq '.[] | select(.state != \"ok\")'
  sudo feedsift --system status         # the installed service's feeds")]
    Status {
        /// Print JSON (every field, RFC 3339 times) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Full-text search over stored stories (FTS5 query syntax).
    #[command(after_help = "\
Examples:
  feedsift search harbour strike
  feedsift search '\"harbour strike\" OR title:dockers' --limit 5
  feedsift search --literal covid-19")]
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
    #[command(after_help = "\
Examples:
  feedsift export --since 7d > week.jsonl
  feedsift export --after-id 1234       # only what changed after change_seq 1234")]
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
    let cli = Cli::parse_args();
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

/// The exit codes of the CLI contract (README "Exit codes"), decided here
/// and nowhere else. `clap` exits with 2 on a bad command line by itself.
fn exit_code(failure: Failure) -> u8 {
    match failure {
        Failure::Runtime => 1,
        Failure::Usage => 2,
        Failure::FeedsFailing => 3,
    }
}

fn run(cli: Cli) -> CliResult {
    let db = cli.db.as_deref();
    match cli.command {
        Command::Run => commands::run::run(&cli.config, db),
        Command::Poll {
            feed: Some(url), ..
        } => commands::poll::poll_one(&cli.config, db, &url),
        Command::Poll { feed: None, .. } => commands::poll::poll_all(&cli.config, db),
        Command::Extract {
            url,
            json,
            markdown,
            files,
        } => commands::extract::run(&cli.config, &files, url.as_deref(), json, markdown),
        Command::Check => commands::check::run(&cli.config),
        Command::Feeds { action } => commands::feeds::run(&cli.config, db, action),
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
