//! `feedsift feeds add|remove|list|import|export`: managing feeds.toml from
//! the command line.
//!
//! Every edit goes through [`crate::config::edit`], so comments, order and
//! formatting survive and the file is replaced atomically; a running daemon
//! that watches the file sees either the old or the new version.
//!
//! `add` checks before it writes: the URL must answer with a feed that
//! parses, or be a page whose autodiscovery links lead to one, because a
//! typo found now is cheaper than a feed that fails silently for weeks.
//! `import` does not fetch: a 300-feed OPML file would take minutes and one
//! dead feed in it is no reason to refuse the other 299; the poller reports
//! broken feeds (`feedsift status`).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use chrono::Utc;
use clap::Subcommand;
use serde::Serialize;
use url::Url;

use super::error::{CliError, CliResult, Failure};
use super::{load_config, runtime};
use crate::config::edit::{self, EditError, FeedsFile, Lookup, NewFeed};
use crate::config::{
    FeedConfig, FullText, MIN_INTERVAL, Schedule, feed_identity, format_duration, opml,
    parse_duration,
};
use crate::encoding::{self, DocumentKind};
use crate::feed::{self, ParsedFeed, discover};
use crate::fetch::{FetchOutcome, FetchSettings, Fetched, Fetcher, Resource};

#[derive(Debug, Subcommand)]
pub enum FeedsCommand {
    /// Add a feed (or a page that links to its feed) after checking that it parses.
    #[command(after_help = "\
Examples:
  feedsift feeds add https://example.org/rss.xml --tag world --interval 30m
  feedsift feeds add example.org                # https:// is assumed; its announced feed is used")]
    Add {
        /// The feed's URL, or a web page announcing its feed.
        url: String,
        /// Display name (default: the feed's title).
        #[arg(long)]
        name: Option<String>,
        /// Fixed poll interval for this feed, e.g. 30m or 2h.
        #[arg(long)]
        interval: Option<String>,
        /// A tag; repeat for several.
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
    },
    /// Remove a feed (exact URL or an equivalent spelling of it).
    #[command(after_help = "\
Examples:
  feedsift feeds remove https://example.org/rss.xml
  feedsift feeds remove http://www.example.org/rss.xml/   # the same feed, spelled differently")]
    Remove {
        /// The feed's URL as in feeds.toml, or another spelling of it.
        url: String,
    },
    /// List the configured feeds.
    #[command(after_help = "\
Examples:
  feedsift feeds list
  feedsift feeds list --json | jq -r '.[].url'")]
    List {
        /// Print a JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Add the feeds of an OPML file (folders and categories become tags).
    #[command(after_help = "\
Examples:
  feedsift feeds import miniflux-export.opml")]
    Import {
        /// The OPML file another reader exported.
        file: String,
    },
    /// Print every feed as OPML 2.0.
    #[command(after_help = "\
Examples:
  feedsift feeds export > feedsift.opml")]
    Export,
}

/// Runs one `feeds` subcommand.
/// `db` (`--db`, `--system`) is only read by `list`, for the intervals
/// the last polls left; the other commands touch feeds.toml alone.
pub fn run(config_path: &Path, db: Option<&Path>, command: FeedsCommand) -> CliResult {
    match command {
        FeedsCommand::Add {
            url,
            name,
            interval,
            tags,
        } => add(config_path, &url, name, interval, tags),
        FeedsCommand::Remove { url } => remove(config_path, &url),
        FeedsCommand::List { json } => list(config_path, db, json),
        FeedsCommand::Import { file } => import(config_path, Path::new(&file)),
        FeedsCommand::Export => export(config_path),
    }
}

fn fail(command: &str, failure: Failure, message: impl std::fmt::Display) -> CliResult {
    Err(CliError::new(failure, message).within(&format!("feeds {command}")))
}

fn edit_failure(command: &str, e: EditError) -> CliResult {
    let failure = match e {
        EditError::Config(_) | EditError::Unsupported { .. } => Failure::Usage,
        EditError::Io { .. } | EditError::Changed { .. } => Failure::Runtime,
    };
    fail(command, failure, e)
}

/// Tags from the command line: trimmed, non-empty, each once.
fn clean_tags(tags: Vec<String>) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags {
        let tag = tag.split_whitespace().collect::<Vec<_>>().join(" ");
        if tag.is_empty() {
            return Err("--tag must not be empty".into());
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    Ok(out)
}

fn add(
    config_path: &Path,
    url_text: &str,
    name: Option<String>,
    interval: Option<String>,
    tags: Vec<String>,
) -> CliResult {
    const CMD: &str = "add";
    let url = match edit::feed_url(url_text) {
        Ok(u) => u,
        Err(e) => return fail(CMD, Failure::Usage, e),
    };
    if let Some(i) = &interval {
        match parse_duration(i) {
            Ok(d) if d >= MIN_INTERVAL => {}
            Ok(_) => {
                return fail(
                    CMD,
                    Failure::Usage,
                    format!(
                        "--interval must be at least {}",
                        format_duration(MIN_INTERVAL)
                    ),
                );
            }
            Err(e) => return fail(CMD, Failure::Usage, format!("--interval: {e}")),
        }
    }
    let name = match name.map(|n| n.trim().to_owned()) {
        Some(n) if n.is_empty() => return fail(CMD, Failure::Usage, "--name must not be empty"),
        other => other,
    };
    let tags = match clean_tags(tags) {
        Ok(t) => t,
        Err(e) => return fail(CMD, Failure::Usage, e),
    };
    let mut file = match FeedsFile::open(config_path) {
        Ok(f) => f,
        Err(e) => return edit_failure(CMD, e),
    };
    // Before any network work: a duplicate needs no fetch to be refused.
    if let Some(message) = duplicate(file.config().feeds.as_slice(), &url) {
        return fail(CMD, Failure::Usage, message);
    }
    let rt = runtime()?;
    let fetcher = match Fetcher::new(FetchSettings::from_config(&file.config().settings), None) {
        Ok(f) => f,
        Err(e) => return fail(CMD, Failure::Runtime, e),
    };
    let found = match rt.block_on(find_feed(&fetcher, &url)) {
        Ok(found) => found,
        Err(message) if !edit::has_scheme(url_text) && url.scheme() == "https" => {
            let mut plain = url.clone();
            let _ = plain.set_scheme("http");
            return fail(
                CMD,
                Failure::Runtime,
                format!(
                    "{message}\n(no scheme was given, so https:// was tried; for a site that \
                     only speaks plain HTTP, run: feedsift feeds add {plain})"
                ),
            );
        }
        Err(message) => return fail(CMD, Failure::Runtime, message),
    };
    if let Some(link) = &found.discovered {
        println!(
            "{url} is a web page; using the feed it announces: {} ({}{})",
            link.url,
            link.media_type,
            link.title
                .as_deref()
                .map(|t| format!(", \"{t}\""))
                .unwrap_or_default()
        );
        for other in &found.alternatives {
            println!("  also announced: {} ({})", other.url, other.media_type);
        }
        if let Some(message) = duplicate(file.config().feeds.as_slice(), &link.url) {
            return fail(CMD, Failure::Usage, message);
        }
    }
    let feed_url = found.url.clone();
    let name = name.or_else(|| {
        found
            .parsed
            .title
            .as_deref()
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|t| !t.is_empty())
    });
    let entries = found.parsed.entries.len();
    file.append(&NewFeed {
        url: feed_url.clone(),
        name: name.clone(),
        interval,
        full_text: None,
        tags,
    });
    let created = file.is_new();
    match file.save() {
        Ok(config) => {
            println!(
                "added {feed_url}{} ({entries} entries in it now) to {}{}; {} feeds configured",
                name.map(|n| format!(" \"{n}\"")).unwrap_or_default(),
                config_path.display(),
                if created { " (created)" } else { "" },
                config.feeds.len()
            );
            Ok(())
        }
        Err(e) => edit_failure(CMD, e),
    }
}

/// The refusal message when `url` is already configured, exactly or as an
/// equivalent spelling.
fn duplicate(feeds: &[FeedConfig], url: &Url) -> Option<String> {
    match edit::lookup(feeds, url) {
        Lookup::Absent => None,
        Lookup::Exact(i) => Some(format!(
            "{url} is already in feeds.toml (line {})",
            feeds[i].line
        )),
        Lookup::Equivalent(i) => Some(format!(
            "{url} is already in feeds.toml as {} (line {}): the same feed once http/https, \
             www. and trailing slashes are ignored",
            feeds[i].url, feeds[i].line
        )),
    }
}

/// The feed `add` settled on.
struct Found {
    url: Url,
    parsed: ParsedFeed,
    /// Set when `url` came from a page's autodiscovery links.
    discovered: Option<discover::FeedLink>,
    /// The page's other feed links, for the user to pick instead.
    alternatives: Vec<discover::FeedLink>,
}

async fn fetch(fetcher: &Fetcher, url: &Url) -> Result<Fetched, String> {
    match fetcher.fetch(url, Resource::Feed, None).await {
        Ok(FetchOutcome::Fetched(f)) => Ok(f),
        Ok(FetchOutcome::NotModified { .. }) => Err(format!(
            "{url} answered 304 Not Modified to a plain request; cannot read it"
        )),
        Err(e) => Err(format!("cannot fetch {url}: {e}")),
    }
}

/// Fetches `url`; a feed is taken as it is, an HTML page is searched for
/// autodiscovery links and the first one must answer with a feed.
async fn find_feed(fetcher: &Fetcher, url: &Url) -> Result<Found, String> {
    let page = fetch(fetcher, url).await?;
    let content_type = page.content_type.as_deref();
    let not_feed = match feed::parse(&page.body, content_type, Some(&page.final_url)) {
        Ok(parsed) => {
            return Ok(Found {
                url: url.clone(),
                parsed,
                discovered: None,
                alternatives: Vec::new(),
            });
        }
        Err(e) => e,
    };
    if !discover::looks_like_html(content_type, &page.body) {
        return Err(format!("{url} is not a feed: {not_feed}"));
    }
    let html = encoding::decode(&page.body, content_type, DocumentKind::Html).text;
    let mut links = discover::feed_links(&html, &page.final_url).into_iter();
    let Some(link) = links.next() else {
        return Err(format!(
            "{url} is an HTML page that announces no feed (no <link rel=\"alternate\" \
             type=\"application/rss+xml\"> or Atom/JSON Feed equivalent); give the feed's own URL"
        ));
    };
    let body = fetch(fetcher, &link.url).await?;
    let parsed = feed::parse(
        &body.body,
        body.content_type.as_deref(),
        Some(&body.final_url),
    )
    .map_err(|e| {
        format!(
            "{url} announces {} as its feed, but that is not a feed: {e}",
            link.url
        )
    })?;
    Ok(Found {
        url: link.url.clone(),
        parsed,
        discovered: Some(link),
        alternatives: links.collect(),
    })
}

fn remove(config_path: &Path, url: &str) -> CliResult {
    const CMD: &str = "remove";
    let url = match edit::feed_url(url) {
        Ok(u) => u,
        Err(e) => return fail(CMD, Failure::Usage, e),
    };
    if !config_path.exists() {
        return fail(
            CMD,
            Failure::Usage,
            format!("{} does not exist", config_path.display()),
        );
    }
    let mut file = match FeedsFile::open(config_path) {
        Ok(f) => f,
        Err(e) => return edit_failure(CMD, e),
    };
    let feeds = &file.config().feeds;
    let index = match edit::lookup(feeds, &url) {
        Lookup::Exact(i) => i,
        Lookup::Equivalent(i) => {
            println!(
                "{url} matches {} (the same feed written differently)",
                feeds[i].url
            );
            i
        }
        Lookup::Absent => {
            return fail(
                CMD,
                Failure::Usage,
                format!(
                    "{url} is not in {} (`feedsift feeds list` shows the feeds)",
                    config_path.display()
                ),
            );
        }
    };
    let removed = feeds[index].clone();
    if !file.remove(index) {
        return fail(CMD, Failure::Runtime, "the entry could not be removed");
    }
    match file.save() {
        Ok(config) => {
            println!(
                "removed {}{} (was line {}); {} feeds left; its stored articles stay in the database",
                removed.url,
                removed
                    .name
                    .map(|n| format!(" \"{n}\""))
                    .unwrap_or_default(),
                removed.line,
                config.feeds.len()
            );
            Ok(())
        }
        Err(e) => edit_failure(CMD, e),
    }
}

/// One feed as `feeds list --json` prints it.
#[derive(Serialize)]
struct Listed<'a> {
    url: &'a str,
    name: Option<&'a str>,
    /// The interval the feed is polled at when its publishing rate is not
    /// yet known: its own, else the default (`interval_is_default`).
    interval: String,
    interval_secs: u64,
    interval_is_default: bool,
    /// `adaptive` or `pinned` (README "Scheduling").
    schedule: &'static str,
    /// The bounds of an adaptive interval (`null` when pinned).
    min_interval_secs: Option<u64>,
    /// The longest wait between polls.
    max_interval_secs: u64,
    /// The interval in force: what the last polls adapted (from the
    /// database, when there is one), else where the feed starts.
    current_interval_secs: u64,
    /// `pinned 2m` or `adaptive, now 5h38m, bounds 2m–6h`, as `status`
    /// shows it.
    shown: String,
    tags: &'a [String],
    full_text: &'static str,
    /// Line of the `[[feed]]` header in feeds.toml.
    line: usize,
}

fn full_text_name(f: FullText) -> &'static str {
    match f {
        FullText::Auto => "auto",
        FullText::Always => "always",
        FullText::Never => "never",
    }
}

/// The interval each feed's last poll left, by URL; empty when nothing
/// was polled yet (listing never creates the database).
fn stored_intervals(db: &Path) -> HashMap<String, Duration> {
    let location = crate::store::Location::of(db);
    if matches!(&location, crate::store::Location::Sqlite(path) if !path.exists()) {
        return HashMap::new();
    }
    let Ok(mut conn) = super::read_only::open_location(location, super::read_only::READING) else {
        return HashMap::new();
    };
    conn.feed_health()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|f| {
            let secs = u64::try_from(f.interval_secs?).ok()?;
            Some((f.url, Duration::from_secs(secs)))
        })
        .collect()
}

fn list(config_path: &Path, db: Option<&Path>, json: bool) -> CliResult {
    let config = load_config(config_path, db)?;
    let stored = stored_intervals(&config.settings.database);
    let rows: Vec<Listed> = config
        .feeds
        .iter()
        .map(|f| {
            let schedule = config.schedule_of(f);
            let interval = schedule.initial();
            let adapted = stored.get(f.url.as_str()).copied();
            let current = schedule.current(adapted);
            Listed {
                url: f.url.as_str(),
                name: f.name.as_deref(),
                interval: format_duration(interval),
                interval_secs: interval.as_secs(),
                interval_is_default: f.interval.is_none(),
                schedule: if schedule.is_pinned() {
                    "pinned"
                } else {
                    "adaptive"
                },
                min_interval_secs: match schedule {
                    Schedule::Adaptive { bounds, .. } => Some(bounds.min.as_secs()),
                    Schedule::Pinned { .. } => None,
                },
                max_interval_secs: schedule.max().as_secs(),
                current_interval_secs: current.as_secs(),
                shown: schedule.describe(adapted),
                tags: &f.tags,
                full_text: full_text_name(f.full_text),
                line: f.line,
            }
        })
        .collect();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = if json {
        serde_json::to_writer_pretty(&mut out, &rows)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        write_table(&mut out, &rows)
    };
    match written.and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) => fail("list", Failure::Runtime, format!("writing output: {e}")),
    }
}

fn write_table(out: &mut impl Write, rows: &[Listed]) -> std::io::Result<()> {
    let header = ["NAME", "URL", "SCHEDULE", "TAGS", "FULL_TEXT"];
    let cells: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            [
                r.name.unwrap_or("-").to_owned(),
                r.url.to_owned(),
                r.shown.clone(),
                if r.tags.is_empty() {
                    "-".to_owned()
                } else {
                    r.tags.join(", ")
                },
                r.full_text.to_owned(),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |out: &mut dyn Write, row: [&str; 5]| -> std::io::Result<()> {
        let mut text = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                text.push_str(cell);
            } else {
                let pad = w.saturating_sub(cell.chars().count()) + 2;
                text.push_str(cell);
                text.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(out, "{}", text.trim_end())
    };
    line(out, header)?;
    for row in &cells {
        line(out, [&row[0], &row[1], &row[2], &row[3], &row[4]])?;
    }
    Ok(())
}

/// Largest OPML file read. Subscription lists are kilobytes (a 1,000-feed
/// export is about 200 KB); this leaves room for exporters that add
/// descriptions while keeping a wrong file (a database, a video) out of
/// memory.
const MAX_OPML_BYTES: u64 = 32 * 1024 * 1024;

/// The file's bytes, or `None` when it is larger than `limit`.
fn read_capped(path: &Path, limit: u64) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(limit + 1)
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

fn import(config_path: &Path, opml_path: &Path) -> CliResult {
    const CMD: &str = "import";
    let bytes = match read_capped(opml_path, MAX_OPML_BYTES) {
        Ok(Some(b)) => b,
        Ok(None) => {
            return fail(
                CMD,
                Failure::Usage,
                format!(
                    "{}: larger than {} MiB; that is no subscription list",
                    opml_path.display(),
                    MAX_OPML_BYTES / (1024 * 1024)
                ),
            );
        }
        Err(e) => return fail(CMD, Failure::Usage, format!("{}: {e}", opml_path.display())),
    };
    let doc = match opml::parse(&bytes) {
        Ok(d) => d,
        Err(e) => {
            return fail(
                CMD,
                Failure::Runtime,
                format!("{}: {e}", opml_path.display()),
            );
        }
    };
    let mut file = match FeedsFile::open(config_path) {
        Ok(f) => f,
        Err(e) => return edit_failure(CMD, e),
    };
    if !doc.repairs.is_empty() {
        eprintln!(
            "feedsift feeds import: {} is not well-formed XML; read it after repairs: {}",
            opml_path.display(),
            doc.repairs.join("; ")
        );
    }
    for warning in &doc.warnings {
        eprintln!("feedsift feeds import: {warning}");
    }
    let existing: HashMap<String, &FeedConfig> = file
        .config()
        .feeds
        .iter()
        .map(|f| (feed_identity(&f.url), f))
        .collect();
    let mut present = Vec::new();
    let mut new = Vec::new();
    for feed in &doc.feeds {
        match existing.get(&feed_identity(&feed.url)) {
            Some(have) => present.push(format!(
                "already in feeds.toml: {} (line {})",
                feed.url, have.line
            )),
            None => new.push(NewFeed {
                url: feed.url.clone(),
                name: feed.name.clone(),
                interval: feed.interval.clone(),
                full_text: feed.full_text.clone(),
                tags: feed.tags.clone(),
            }),
        }
    }
    for line in &present {
        println!("{line}");
    }
    for url in &doc.merged {
        println!("listed more than once, imported once with every listing's tags: {url}");
    }
    for s in &doc.skipped {
        println!("skipped {}: {}", s.what, s.reason);
    }
    if !new.is_empty() {
        for feed in &new {
            file.append(feed);
        }
        if let Err(e) = file.save() {
            return edit_failure(CMD, e);
        }
    }
    println!(
        "imported {} feeds from {} into {} ({} already there, {} skipped); feeds are not fetched \
         on import: after `feedsift poll --all` or a while of `feedsift run`, `feedsift status` \
         shows any that fail",
        new.len(),
        opml_path.display(),
        config_path.display(),
        present.len(),
        doc.skipped.len()
    );
    Ok(())
}

fn export(config_path: &Path) -> CliResult {
    let config = load_config(config_path, None)?;
    let title = format!(
        "feedsift feeds ({})",
        config_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "feeds.toml".into())
    );
    let written = opml::write(&config.feeds, &title, Utc::now()).and_then(|xml| {
        let mut out = std::io::stdout().lock();
        out.write_all(xml.as_bytes())?;
        out.flush()
    });
    match written {
        Ok(()) => Ok(()),
        Err(e) => fail("export", Failure::Runtime, format!("writing output: {e}")),
    }
}
