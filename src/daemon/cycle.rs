//! What the running daemon says about itself in its log besides each
//! poll's line: a summary every [`SUMMARY_EVERY`] (polls, failures, new
//! articles) so a journal read a week later shows how it went without
//! adding up hundreds of lines, and a loud line when every feed is
//! failing at once — a network or DNS outage, a proxy gone, a full disk —
//! which single-feed warnings do not make plain.
//!
//! Pure bookkeeping: the scheduler feeds it finished polls and the count
//! of failing feeds, and logs what it returns.

use std::time::{Duration, Instant};

use crate::model::Applied;

/// Time between summaries. A quarter of an hour is a handful of lines an
/// hour in the journal, and short enough that "nothing new for a while"
/// shows before anyone wonders.
pub const SUMMARY_EVERY: Duration = Duration::from_secs(15 * 60);

/// Every feed failing means an outage only with more than one feed: one
/// feed failing is that feed's problem, reported by its own lines.
pub const ALARM_MIN_FEEDS: usize = 2;

/// Polls since the last summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CycleSummary {
    pub polls: usize,
    pub failed: usize,
    pub applied: Applied,
    /// Over how long.
    pub minutes: u64,
}

/// A change in the "every feed is failing" state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alarm {
    /// Every one of `feeds` feeds failed its last poll.
    Raised { feeds: usize },
    /// A feed answered again.
    Cleared,
}

#[derive(Debug)]
pub struct CycleLog {
    since: Instant,
    current: CycleSummary,
    alarmed: bool,
}

impl CycleLog {
    pub fn new(now: Instant) -> CycleLog {
        CycleLog {
            since: now,
            current: CycleSummary::default(),
            alarmed: false,
        }
    }

    /// Counts a finished poll; returns the summary, and starts a new one,
    /// once [`SUMMARY_EVERY`] has passed since the last.
    pub fn record(&mut self, ok: bool, applied: &Applied, now: Instant) -> Option<CycleSummary> {
        self.current.polls += 1;
        self.current.failed += usize::from(!ok);
        self.current.applied += *applied;
        let elapsed = now.saturating_duration_since(self.since);
        if elapsed < SUMMARY_EVERY {
            return None;
        }
        self.since = now;
        let mut done = std::mem::take(&mut self.current);
        done.minutes = elapsed.as_secs() / 60;
        Some(done)
    }

    /// `failing` of `feeds` feeds failed their last poll: an [`Alarm`]
    /// when that turns into, or out of, every feed failing.
    pub fn failing(&mut self, failing: usize, feeds: usize) -> Option<Alarm> {
        let all = feeds >= ALARM_MIN_FEEDS && failing >= feeds;
        match (all, self.alarmed) {
            (true, false) => {
                self.alarmed = true;
                Some(Alarm::Raised { feeds })
            }
            (false, true) => {
                self.alarmed = false;
                Some(Alarm::Cleared)
            }
            _ => None,
        }
    }

    pub fn alarmed(&self) -> bool {
        self.alarmed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(n: usize) -> Applied {
        Applied {
            new_articles: n,
            ..Applied::default()
        }
    }

    #[test]
    fn a_summary_every_quarter_hour_counts_what_came_since_the_last() {
        let t0 = Instant::now();
        let mut log = CycleLog::new(t0);
        assert_eq!(
            log.record(true, &new(3), t0 + Duration::from_secs(60)),
            None
        );
        assert_eq!(
            log.record(false, &new(0), t0 + Duration::from_secs(600)),
            None
        );
        let first = log
            .record(true, &new(2), t0 + SUMMARY_EVERY + Duration::from_secs(1))
            .expect("a summary after 15 minutes");
        assert_eq!(
            (first.polls, first.failed, first.applied.new_articles),
            (3, 1, 5)
        );
        assert_eq!(first.minutes, 15);
        // The next one starts from zero.
        let later = t0 + 2 * SUMMARY_EVERY + Duration::from_secs(2);
        let second = log.record(true, &new(1), later).expect("a second summary");
        assert_eq!(
            (second.polls, second.failed, second.applied.new_articles),
            (1, 0, 1)
        );
    }

    #[test]
    fn every_feed_failing_alarms_once_and_clears_once() {
        let mut log = CycleLog::new(Instant::now());
        assert_eq!(log.failing(2, 3), None);
        assert_eq!(log.failing(3, 3), Some(Alarm::Raised { feeds: 3 }));
        assert!(log.alarmed());
        assert_eq!(log.failing(3, 3), None, "said once");
        assert_eq!(log.failing(2, 3), Some(Alarm::Cleared));
        assert_eq!(log.failing(2, 3), None);
        // One feed failing is that feed's own problem.
        assert_eq!(log.failing(1, 1), None);
    }
}
