//! `feedsift poll --all`: every feed once, now, without the daemon;
//! `feedsift poll --feed URL`: one of them.

use std::path::Path;
use std::time::Instant;

use super::config_and_runtime;
use super::error::{CliError, CliResult, Failure};
use super::progress::Progress;
use crate::config::{edit, feed_identity};
use crate::fetch::FetchSettings;
use crate::poll::all::{self, PollSummary};

/// Polls every feed once and prints a one-line summary; a progress line
/// on a terminal counting feeds and their pages.
pub fn poll_all(config_path: &Path, db: Option<&Path>) -> CliResult {
    let (config, rt) = config_and_runtime(config_path, db)?;
    let fetch = FetchSettings::from_config(&config.settings);
    let progress = Progress::line();
    let started = Instant::now();
    let mut round = Round {
        feeds_total: config.feeds.len(),
        ..Round::default()
    };
    let polled = rt.block_on(all::poll_all_observed(&config, fetch, |seen| {
        match seen {
            all::Progress::Feed(report) => {
                round.feeds_done += 1;
                round.new += report.applied.new_articles;
                round.failed += usize::from(!report.ok());
            }
            all::Progress::Pages { done, planned } => {
                (round.pages_done, round.pages_planned) = (done, planned);
            }
        }
        progress.set(round.line(started.elapsed()));
    }));
    drop(progress);
    let (summary, _) = polled.map_err(CliError::runtime)?;
    println!("{summary}");
    outcome(&summary)
}

/// The exit status of a round: feedsift's own failure (a poll the
/// database did not take) before the feeds' failures, so cron and
/// systemd can tell "fix the box" from "a site is down".
fn outcome(summary: &PollSummary) -> CliResult {
    if summary.not_stored > 0 {
        return Err(CliError::runtime(format!(
            "{} poll(s) could not be stored; see the log for the database's error",
            summary.not_stored
        )));
    }
    if summary.feeds_failed > 0 {
        return Err(CliError::new(
            Failure::FeedsFailing,
            format!(
                "{} of {} feed(s) failed; `feedsift status` shows why",
                summary.feeds_failed,
                summary.feeds_failed + summary.feeds_ok
            ),
        ));
    }
    Ok(())
}

/// Where a `poll --all` round is, for its progress line.
#[derive(Debug, Clone, Copy, Default)]
struct Round {
    feeds_done: usize,
    feeds_total: usize,
    pages_done: usize,
    pages_planned: usize,
    new: usize,
    failed: usize,
}

/// Widest the progress line gets: a classic terminal.
const LINE_WIDTH: usize = 80;

impl Round {
    /// The bar's position and length: feeds and pages both count, so the
    /// bar moves while a feed's pages are fetched (pages become known as
    /// feeds are read, so the length grows).
    fn steps(&self) -> (u64, u64) {
        let pos = self.feeds_done + self.pages_done;
        let len = self.feeds_total + self.pages_planned;
        (pos as u64, len.max(pos) as u64)
    }

    /// `polling [=====>     ] feeds 3/6  pages 41/97  new 12  failed 1  42s`,
    /// at most [`LINE_WIDTH`] columns whatever the numbers.
    fn line(&self, elapsed: std::time::Duration) -> String {
        let (pos, len) = self.steps();
        const BAR: usize = 12;
        let filled = if len == 0 {
            0
        } else {
            (pos as usize * BAR) / len as usize
        };
        let bar: String = (0..BAR)
            .map(|i| match i.cmp(&filled) {
                std::cmp::Ordering::Less => '=',
                std::cmp::Ordering::Equal => '>',
                std::cmp::Ordering::Greater => ' ',
            })
            .collect();
        let [fd, ft, pd, pp] = [
            self.feeds_done,
            self.feeds_total,
            self.pages_done,
            self.pages_planned,
        ];
        let (new, failed, clock) = (self.new, self.failed, clock(elapsed));
        let full = format!(
            "polling [{bar}] feeds {fd}/{ft}  pages {pd}/{pp}  new {new}  failed {failed}  {clock}"
        );
        if full.chars().count() <= LINE_WIDTH {
            return full;
        }
        let short = format!("[{bar}] f {fd}/{ft} p {pd}/{pp} +{new} !{failed} {clock}");
        short.chars().take(LINE_WIDTH).collect()
    }
}

/// `42s`, `3m05s`, `1h02m`.
fn clock(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

/// Polls the feed of feeds.toml that `url` names (however it is spelled:
/// the feed identity decides), prints the summary, and fails when its poll
/// did: a one-feed poll that failed is not "ok".
pub fn poll_one(config_path: &Path, db: Option<&Path>, url: &str) -> CliResult {
    let (config, rt) = config_and_runtime(config_path, db)?;
    let wanted =
        edit::feed_url(url).map_err(|e| CliError::usage(format!("--feed: {e}")).within("poll"))?;
    let identity = feed_identity(&wanted);
    let Some(index) = config
        .feeds
        .iter()
        .position(|f| feed_identity(&f.url) == identity)
    else {
        return Err(CliError::usage(format!(
            "{wanted} is not a feed of {} (`feedsift feeds list` shows them; `feedsift feeds add {wanted}` adds it)",
            config_path.display()
        ))
        .within("poll"));
    };
    let fetch = FetchSettings::from_config(&config.settings);
    let (summary, report) = rt
        .block_on(all::poll_one(&config, fetch, index))
        .map_err(CliError::runtime)?;
    println!("{summary}");
    match &report.error {
        Some(error) if !report.ok() => {
            Err(CliError::runtime(format!("{}: {error}", report.url)).within("poll"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_progress_line_counts_pages_and_fits_80_columns() {
        let early = Round {
            feeds_done: 0,
            feeds_total: 6,
            pages_done: 41,
            pages_planned: 97,
            new: 12,
            failed: 1,
        };
        let line = early.line(Duration::from_secs(42));
        assert_eq!(
            line,
            "polling [====>       ] feeds 0/6  pages 41/97  new 12  failed 1  42s"
        );
        // No feed finished yet, and the bar still moves with the pages.
        assert_eq!(early.steps(), (41, 103));
        let huge = Round {
            feeds_done: 12_345,
            feeds_total: 12_345,
            pages_done: 1_234_567,
            pages_planned: 1_234_567,
            new: 1_234_567,
            failed: 12_345,
        };
        for round in [early, huge, Round::default()] {
            for secs in [0, 59, 3_599, 360_000] {
                let line = round.line(Duration::from_secs(secs));
                assert!(line.chars().count() <= LINE_WIDTH, "{line}");
            }
        }
        assert!(
            huge.line(Duration::from_secs(5))
                .contains("p 1234567/1234567")
        );
        assert_eq!(clock(Duration::from_secs(185)), "3m05s");
        assert_eq!(clock(Duration::from_secs(3720)), "1h02m");
    }
}
