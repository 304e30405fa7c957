//! `feedsift export [--since TIME] [--after-id N] [--format jsonl]`: stories
//! as JSON lines, for pipelines.
//!
//! One line per story (root article), in change order, each with its copies
//! and every source it appeared under, and its `change_seq`. A pipeline keeps
//! the last `change_seq` it processed and asks for `--after-id` that number
//! next time: it then gets every story that is new or changed since (new
//! copy or sighting, refreshed text, re-pointed copies), and nothing twice
//! unless it changed again. See README, "Reading the data".
//!
//! Output streams row by row from one read snapshot: memory stays flat on
//! any size of database, and a reader that stops early (`| head`) ends the
//! export quietly with exit 0.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::Path;

use chrono::{DateTime, NaiveDate, Utc};

use super::error::{CliError, CliResult};
use super::read_only;
use crate::config::parse_duration;
use crate::store::query::{ExportError, ExportFilter};

/// Output formats; JSON lines is the one there is, named so that scripts can
/// say what they expect and keep working if another is added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Jsonl,
}

pub fn run(
    config_path: &Path,
    db: Option<&Path>,
    since: Option<&str>,
    after_id: Option<i64>,
) -> CliResult {
    let since = since
        .map(|s| parse_since(s, Utc::now()))
        .transpose()
        .map_err(|message| CliError::usage(format!("--since: {message}")))?;
    let mut conn = read_only::open_for_reading(config_path, db, read_only::EXPORTING)?;
    let filter = ExportFilter {
        after_seq: after_id,
        since,
    };
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut last_seq = None;
    let result = conn
        .export_stories(filter, |story| {
            serde_json::to_writer(&mut out, story)?;
            out.write_all(b"\n")?;
            last_seq = Some(story.change_seq);
            Ok(())
        })
        .and_then(|n| out.flush().map(|()| n).map_err(ExportError::from));
    match result {
        Ok(n) => {
            if std::io::stderr().is_terminal() {
                match last_seq {
                    Some(seq) => eprintln!("{n} stories; continue with --after-id {seq}"),
                    None => eprintln!("no stories to export"),
                }
            }
            Ok(())
        }
        Err(ExportError::Sink(e)) if read_only::reader_gone(&e) => Ok(()),
        Err(ExportError::Sink(e)) => {
            Err(CliError::runtime(format!("cannot write the export: {e}")))
        }
        Err(ExportError::Store(e)) => Err(CliError::runtime(format!("export failed: {e}"))),
    }
}

/// `--since`: an RFC 3339 time (`2026-11-20T08:00:00Z`), a UTC date
/// (`2026-11-20`), or a span back from now (`36h`, `7d`).
pub fn parse_since(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Some(t) = crate::store::parse_timestamp(text) {
        return Ok(t);
    }
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(day.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    if text.starts_with(|c: char| c.is_ascii_digit()) {
        if let Ok(span) = parse_duration(text) {
            return chrono::Duration::from_std(span)
                .ok()
                .and_then(|d| now.checked_sub_signed(d))
                .ok_or_else(|| format!("{text:?} reaches too far back"));
        }
    }
    Err(format!(
        "{text:?} is not a time: use 2026-11-20T08:00:00Z, 2026-11-20, or a span back from now such as 36h or 7d"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_accepts_times_dates_and_spans() {
        let now = crate::store::parse_timestamp("2026-11-20T12:00:00Z").unwrap();
        let t = |s| parse_since(s, now).map(crate::store::timestamp);
        assert_eq!(
            t("2026-11-19T08:30:00+02:00"),
            Ok("2026-11-19T06:30:00Z".into())
        );
        assert_eq!(t("2026-11-19"), Ok("2026-11-19T00:00:00Z".into()));
        assert_eq!(t("36h"), Ok("2026-11-19T00:00:00Z".into()));
        assert_eq!(t("7d"), Ok("2026-11-13T12:00:00Z".into()));
        assert!(t("yesterday").unwrap_err().contains("not a time"));
        assert!(t("2026-13-01").is_err());
    }
}
