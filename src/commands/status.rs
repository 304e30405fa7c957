//! `feedsift status [--json]`: every feed's health at a glance.
//!
//! The table is for a person at a terminal: relative times ("3m ago",
//! "in 12m"), long names and errors cut to keep columns readable. `--json`
//! is for scripts: every field, full text, RFC 3339 times.

use std::fmt::Write as _;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::error::{CliError, CliResult};
use super::read_only;
use crate::config::{Config, format_duration};
use crate::model::FeedStatus;
use crate::store::Location;
use crate::store::lock::{self, Holder};
use crate::store::query::{FeedHealth, Totals};

/// Widest the feed column gets; longer names and URLs are cut with "…".
/// With the other columns this keeps a row within about 150 columns.
const FEED_WIDTH: usize = 40;
/// Widest the note (last error or warning) column gets.
const NOTE_WIDTH: usize = 60;

pub fn run(config_path: &Path, db: Option<&Path>, json: bool) -> CliResult {
    let location = Location::of(&read_only::database_path(config_path, db)?);
    // The one-writer lock is SQLite's; PostgreSQL nodes write side by side.
    let writer = match &location {
        Location::Sqlite(path) => lock::holder(path),
        Location::Postgres(_) => None,
    };
    let mut conn = read_only::open_location(location, read_only::READING)?;
    let read = conn.feed_health().and_then(|f| Ok((f, conn.totals()?)));
    let (feeds, totals) =
        read.map_err(|e| CliError::runtime(format!("cannot read feed status: {e}")))?;
    // The schedule's kind and bounds are configuration, not state: read
    // from feeds.toml when there is one (with --db there may be none).
    let config = Config::load(config_path).ok();
    let schedules: Vec<Option<String>> = feeds
        .iter()
        .map(|f| schedule_shown(config.as_ref(), f))
        .collect();
    let now = Utc::now();
    if json {
        #[derive(Serialize)]
        struct Feed<'a> {
            #[serde(flatten)]
            health: &'a FeedHealth,
            /// `pinned 2m` or `adaptive, now 5h38m, bounds 2m–6h`; null
            /// for a feed feeds.toml does not list.
            schedule: Option<&'a str>,
        }
        #[derive(Serialize)]
        struct Report<'a> {
            generated_at: DateTime<Utc>,
            feeds: Vec<Feed<'a>>,
            totals: Totals,
            writer: Option<Writer>,
        }
        let report = Report {
            generated_at: now,
            feeds: feeds
                .iter()
                .zip(&schedules)
                .map(|(health, s)| Feed {
                    health,
                    schedule: s.as_deref(),
                })
                .collect(),
            totals,
            writer: writer.map(Writer::from),
        };
        match serde_json::to_string_pretty(&report) {
            Ok(text) => read_only::print(&(text + "\n")),
            Err(e) => Err(CliError::runtime(format!("cannot encode the status: {e}"))),
        }
    } else {
        let mut out = writer.map(|w| writer_lines(&w, now)).unwrap_or_default();
        out.push_str(&table(&feeds, &schedules, &totals, now));
        read_only::print(&out)
    }
}

/// The process writing the database, in `status --json`.
#[derive(Serialize)]
struct Writer {
    pid: u32,
    command: String,
    since: Option<DateTime<Utc>>,
    store_error: Option<String>,
    store_error_since: Option<DateTime<Utc>>,
}

impl From<Holder> for Writer {
    fn from(h: Holder) -> Writer {
        let (store_error_since, store_error) = match h.store_error {
            Some((since, error)) => (since, Some(error)),
            None => (None, None),
        };
        Writer {
            pid: h.pid,
            command: h.command,
            since: h.since,
            store_error,
            store_error_since,
        }
    }
}

/// Who writes the database, and above all whether it can: the feeds'
/// rows cannot say so while the disk is full, the writer's lock file can.
fn writer_lines(w: &Holder, now: DateTime<Utc>) -> String {
    let since = w
        .since
        .map_or_else(String::new, |t| format!(", since {}", relative(t, now)));
    let mut out = format!("writer: pid {} `{}`{since}\n", w.pid, w.command);
    if let Some((since, error)) = &w.store_error {
        let since = since.map_or_else(String::new, |t| format!(" (since {})", relative(t, now)));
        let _ = writeln!(
            out,
            "STORE FAILING{since}: {error}; polls are not stored and are redone once it takes writes"
        );
    }
    out.push('\n');
    out
}

/// How the feed is scheduled, with the interval its last poll left; only
/// that interval when feeds.toml is not at hand or no longer lists it.
fn schedule_shown(config: Option<&Config>, f: &FeedHealth) -> Option<String> {
    let current = f
        .interval_secs
        .and_then(|s| u64::try_from(s).ok())
        .map(std::time::Duration::from_secs);
    let listed = config.and_then(|c| {
        c.feeds
            .iter()
            .find(|fc| fc.url.as_str() == f.url)
            .map(|fc| c.schedule_of(fc))
    });
    match listed {
        Some(schedule) => Some(schedule.describe(current)),
        None => current.map(|d| format!("every {}", format_duration(d))),
    }
}

/// The status table and its summary line; `schedules` as the feeds.
pub fn table(
    feeds: &[FeedHealth],
    schedules: &[Option<String>],
    totals: &Totals,
    now: DateTime<Utc>,
) -> String {
    let header = [
        "STATE",
        "FEED",
        "LAST SUCCESS",
        "NEXT POLL",
        "SCHEDULE",
        "ARTICLES",
        "DUPS",
        "PENDING",
        "NOTE",
    ];
    let rows: Vec<[String; 9]> = feeds
        .iter()
        .zip(schedules)
        .map(|(f, schedule)| {
            [
                f.state.as_sql().to_string(),
                cut(&feed_label(f), FEED_WIDTH),
                f.last_success_at
                    .map_or_else(|| "never".into(), |t| relative(t, now)),
                next_poll(f, now),
                schedule.clone().unwrap_or_else(|| "-".into()),
                f.articles.to_string(),
                f.duplicates.to_string(),
                if f.gave_up > 0 {
                    format!("{} (+{} given up)", f.pending, f.gave_up)
                } else {
                    f.pending.to_string()
                },
                cut(
                    f.state_reason
                        .as_deref()
                        .or(f.last_error.as_deref())
                        .unwrap_or(""),
                    NOTE_WIDTH,
                ),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    // Numbers are right-aligned so that magnitudes line up.
    let numeric = [false, false, false, false, false, true, true, true, false];
    let line = |cells: &[String]| -> String {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let pad = widths[i].saturating_sub(cell.chars().count());
            let last = i + 1 == cells.len();
            if numeric[i] {
                out.push_str(&" ".repeat(pad));
                out.push_str(cell);
            } else {
                out.push_str(cell);
                if !last {
                    out.push_str(&" ".repeat(pad));
                }
            }
            if !last {
                out.push_str("  ");
            }
        }
        out.trim_end().to_string() + "\n"
    };
    let mut out = line(&header.map(String::from));
    for (row, feed) in rows.iter().zip(feeds) {
        out.push_str(&line(row));
        if let Some(moved) = feed.fetch_url.as_deref().filter(|u| *u != feed.url) {
            let _ = writeln!(out, "{}  moved to {moved}", " ".repeat(widths[0]));
        }
    }
    out.push('\n');
    out.push_str(&summary(feeds, totals));
    out
}

/// The feed's name as configured, else its own title, else its URL.
fn feed_label(f: &FeedHealth) -> String {
    f.name
        .clone()
        .or_else(|| f.title.clone())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| f.url.clone())
}

fn next_poll(f: &FeedHealth, now: DateTime<Utc>) -> String {
    match (f.state, f.next_poll_at) {
        (FeedStatus::Removed, _) => "-".into(),
        (FeedStatus::Muted, _) => "not scheduled".into(),
        (_, None) => "at start".into(),
        (_, Some(t)) if t <= now => "due".into(),
        (_, Some(t)) => relative(t, now),
    }
}

fn summary(feeds: &[FeedHealth], totals: &Totals) -> String {
    let mut states: Vec<(&str, usize)> = Vec::new();
    for f in feeds {
        let state = f.state.as_sql();
        match states.iter_mut().find(|(s, _)| *s == state) {
            Some((_, n)) => *n += 1,
            None => states.push((state, 1)),
        }
    }
    let states = states
        .iter()
        .map(|(s, n)| format!("{n} {s}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut out = format!(
        "{} feeds ({}); {} articles in {} stories",
        feeds.len(),
        if states.is_empty() { "none" } else { &states },
        totals.articles,
        totals.stories,
    );
    if totals.purged > 0 {
        let _ = write!(out, ", text of {} purged by retention", totals.purged);
    }
    let _ = writeln!(out, "; change_seq {}", totals.change_seq);
    out
}

/// "just now", "3m ago", "in 12m", "5h ago", "in 2d".
pub fn relative(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (t - now).num_seconds();
    let abs = secs.unsigned_abs();
    if abs < 60 {
        return "just now".into();
    }
    let amount = match abs {
        a if a < 3600 => format!("{}m", a / 60),
        a if a < 48 * 3600 => format!("{}h", a / 3600),
        a => format!("{}d", a / 86_400),
    };
    if secs < 0 {
        format!("{amount} ago")
    } else {
        format!("in {amount}")
    }
}

/// `s` on one line, at most `width` characters, "…" marking a cut.
fn cut(s: &str, width: usize) -> String {
    let flat = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= width {
        return flat;
    }
    let kept: String = flat.chars().take(width.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        crate::store::parse_timestamp(s).unwrap()
    }

    #[test]
    fn relative_times() {
        let now = at("2026-11-20T12:00:00Z");
        assert_eq!(relative(at("2026-11-20T11:59:30Z"), now), "just now");
        assert_eq!(relative(at("2026-11-20T11:57:00Z"), now), "3m ago");
        assert_eq!(relative(at("2026-11-20T12:12:00Z"), now), "in 12m");
        assert_eq!(relative(at("2026-11-20T07:00:00Z"), now), "5h ago");
        assert_eq!(relative(at("2026-11-17T12:00:00Z"), now), "3d ago");
    }

    #[test]
    fn cut_keeps_one_line_within_width() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("a\nmulti   line", 20), "a multi line");
        let long = cut(&"x".repeat(100), 10);
        assert_eq!(long.chars().count(), 10);
        assert!(long.ends_with('…'));
    }
}
