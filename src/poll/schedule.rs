//! When a feed is polled next: pure functions of what the last poll saw.
//!
//! The rule (README "Scheduling", [`crate::config::Schedule`]): a pinned
//! feed waits its interval; an adaptive one half the median gap between
//! its recent entries, within its bounds. What the feed or server asks
//! for raises a wait, failures back off, and no wait passes the feed's
//! `max_interval` — except a server's `Retry-After`, honoured up to a
//! week. The `*_within`/`*_capped` forms take a feed's bounds; the plain
//! forms use the defaults.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::RngExt;

use crate::config::{IntervalBounds, defaults};

/// The longest a feed waits between polls by default, even when failing:
/// a feed is never given up on (`max_interval`).
pub const MAX_INTERVAL: Duration = defaults::MAX_INTERVAL;

/// The default lower bound of an interval adapted to a feed's publishing
/// rate (`min_interval`): never more often than every 5 minutes.
pub const MIN_ADAPTIVE_INTERVAL: Duration = defaults::MIN_INTERVAL;

/// The default bounds of an adaptive interval.
pub const DEFAULT_BOUNDS: IntervalBounds = IntervalBounds {
    min: MIN_ADAPTIVE_INTERVAL,
    max: MAX_INTERVAL,
};

/// Entries the adaptive interval looks at: the recent past, not the
/// feed's whole archive.
const ADAPTIVE_SAMPLE: usize = 20;

/// ±10 % spread on every interval, so feeds configured alike drift apart
/// instead of hitting their hosts in lockstep. The spread never undercuts
/// what the feed or server asked for, nor passes [`MAX_INTERVAL`].
pub const JITTER: f64 = 0.10;

/// The longest `Retry-After` honoured. A server asking for more (a year, by
/// mistake or malice) is asked again after a week: a feed is never given up
/// on for good.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

/// Next poll after a successful one. `lower_bounds` are what the feed or
/// server asked for (RSS `<ttl>`, `Cache-Control: max-age`, ...): the wait
/// is at least the largest of them, and at most [`MAX_INTERVAL`].
pub fn after_success(
    now: DateTime<Utc>,
    interval: Duration,
    lower_bounds: &[Option<Duration>],
) -> DateTime<Utc> {
    after_success_capped(now, interval, lower_bounds, MAX_INTERVAL)
}

/// [`after_success`] for a feed whose longest wait is `cap`: the feed's
/// or server's lower bounds are honoured up to it, not past it.
pub fn after_success_capped(
    now: DateTime<Utc>,
    interval: Duration,
    lower_bounds: &[Option<Duration>],
    cap: Duration,
) -> DateTime<Utc> {
    let floor = lower_bounds
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(Duration::ZERO)
        .min(cap);
    now + to_chrono(spread(interval.min(cap), floor, cap))
}

/// Next poll after `consecutive_errors` failed polls in a row (1 for the
/// first failure): exponential backoff from the interval up to
/// [`MAX_INTERVAL`], never sooner than the server's `Retry-After` (up to
/// [`MAX_RETRY_AFTER`]). `now` is when the failure was seen, which is
/// what `Retry-After` counts from.
pub fn after_failure(
    now: DateTime<Utc>,
    interval: Duration,
    consecutive_errors: u32,
    retry_after: Option<Duration>,
) -> DateTime<Utc> {
    after_failure_capped(now, interval, consecutive_errors, retry_after, MAX_INTERVAL)
}

/// [`after_failure`] for a feed whose longest wait is `cap`: the backoff
/// stops at it; a `Retry-After` still counts past it.
pub fn after_failure_capped(
    now: DateTime<Utc>,
    interval: Duration,
    consecutive_errors: u32,
    retry_after: Option<Duration>,
    cap: Duration,
) -> DateTime<Utc> {
    let doublings = consecutive_errors.saturating_sub(1).min(16);
    let backoff = interval.saturating_mul(1 << doublings).min(cap);
    let floor = retry_after.unwrap_or(Duration::ZERO).min(MAX_RETRY_AFTER);
    now + to_chrono(spread(backoff, floor, cap.max(floor)))
}

/// A wait of about `wanted`, at least `floor` and at most `cap`: uniform
/// over ±[`JITTER`] of the larger of `wanted` and `floor`, cut to
/// `[floor, cap]`. When the floor binds, the spread is only upwards.
fn spread(wanted: Duration, floor: Duration, cap: Duration) -> Duration {
    let base = wanted.max(floor);
    let hi = base.mul_f64(1.0 + JITTER).min(cap);
    let lo = base.mul_f64(1.0 - JITTER).max(floor).min(hi);
    if lo == hi {
        return lo;
    }
    lo + (hi - lo).mul_f64(rand::rng().random_range(0.0..=1.0))
}

/// An interval fitted to how often a feed publishes: half the median gap
/// between its recent entries (so a new entry waits on average a quarter
/// of a gap), within [`MIN_ADAPTIVE_INTERVAL`] and [`MAX_INTERVAL`].
/// `None` with fewer than three dated entries.
pub fn adaptive_interval(dates: impl Iterator<Item = DateTime<Utc>>) -> Option<Duration> {
    adaptive_interval_within(dates, DEFAULT_BOUNDS)
}

/// [`adaptive_interval`] within a feed's own bounds.
pub fn adaptive_interval_within(
    dates: impl Iterator<Item = DateTime<Utc>>,
    bounds: IntervalBounds,
) -> Option<Duration> {
    let mut dates: Vec<DateTime<Utc>> = dates.collect();
    dates.sort_unstable_by(|a, b| b.cmp(a));
    dates.dedup();
    dates.truncate(ADAPTIVE_SAMPLE);
    if dates.len() < 3 {
        return None;
    }
    let mut gaps: Vec<Duration> = dates
        .windows(2)
        .filter_map(|w| (w[0] - w[1]).to_std().ok())
        .collect();
    gaps.sort_unstable();
    let median = gaps[gaps.len() / 2];
    Some((median / 2).clamp(bounds.min, bounds.max.max(bounds.min)))
}

pub fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
        (b - a).num_milliseconds() as f64 / 1000.0
    }

    /// Many draws, so a spread that strays out of bounds shows.
    const DRAWS: usize = 500;

    fn waits(f: impl Fn() -> DateTime<Utc>, now: DateTime<Utc>) -> Vec<f64> {
        (0..DRAWS).map(|_| secs(now, f())).collect()
    }

    fn within(waits: &[f64], lo: f64, hi: f64) {
        for w in waits {
            assert!((lo..=hi).contains(w), "{w} s outside [{lo}, {hi}]");
        }
    }

    /// The draws use the range, not one point of it.
    fn spread_over(waits: &[f64], lo: f64, hi: f64) {
        let min = waits.iter().copied().fold(f64::MAX, f64::min);
        let max = waits.iter().copied().fold(f64::MIN, f64::max);
        let quarter = (hi - lo) / 4.0;
        assert!(
            min < lo + quarter && max > hi - quarter,
            "[{min}, {max}] in [{lo}, {hi}]"
        );
    }

    #[test]
    fn success_uses_the_interval_with_ten_percent_jitter() {
        let now = Utc::now();
        let w = waits(|| after_success(now, Duration::from_secs(900), &[]), now);
        within(&w, 810.0, 990.0);
        spread_over(&w, 810.0, 990.0);
    }

    #[test]
    fn lower_bounds_are_never_undercut_by_the_jitter() {
        let now = Utc::now();
        // <ttl> of an hour over a 15 min interval: an hour to 66 min.
        let w = waits(
            || {
                after_success(
                    now,
                    Duration::from_secs(900),
                    &[Some(Duration::from_secs(3600)), None],
                )
            },
            now,
        );
        within(&w, 3600.0, 3960.0);
        spread_over(&w, 3600.0, 3960.0);
        // A bound just under the interval cuts only the low side.
        let w = waits(
            || {
                after_success(
                    now,
                    Duration::from_secs(900),
                    &[Some(Duration::from_secs(880))],
                )
            },
            now,
        );
        within(&w, 880.0, 990.0);
        // A bound below the interval changes nothing.
        let w = waits(
            || {
                after_success(
                    now,
                    Duration::from_secs(900),
                    &[Some(Duration::from_secs(60))],
                )
            },
            now,
        );
        within(&w, 810.0, 990.0);
    }

    #[test]
    fn no_success_waits_more_than_a_day() {
        let now = Utc::now();
        // sy:updatePeriod weekly: asked for more than the cap.
        let w = waits(
            || {
                after_success(
                    now,
                    Duration::from_secs(900),
                    &[Some(Duration::from_secs(7 * 86400))],
                )
            },
            now,
        );
        within(&w, 86400.0, 86400.0);
        // An adapted interval of a day still spreads, below the cap.
        let w = waits(|| after_success(now, MAX_INTERVAL, &[]), now);
        within(&w, 77760.0, 86400.0);
        spread_over(&w, 77760.0, 86400.0);
    }

    #[test]
    fn adaptive_interval_follows_the_publishing_rate() {
        let t0 = Utc::now();
        let every =
            |minutes: i64, n: i64| (0..n).map(move |i| t0 - chrono::Duration::minutes(minutes * i));
        assert_eq!(
            adaptive_interval(every(60, 10)),
            Some(Duration::from_secs(30 * 60))
        );
        assert_eq!(
            adaptive_interval(every(2, 10)),
            Some(MIN_ADAPTIVE_INTERVAL),
            "clamped to 5 min"
        );
        assert_eq!(
            adaptive_interval(every(7 * 24 * 60, 10)),
            Some(MAX_INTERVAL),
            "clamped to a day"
        );
        assert_eq!(adaptive_interval(every(60, 2)), None, "too little history");
        // Only the recent past counts: an old archive tail does not slow it down.
        let recent =
            every(30, 20).chain(every(30 * 24 * 60, 50).map(|t| t - chrono::Duration::days(30)));
        assert_eq!(
            adaptive_interval(recent),
            Some(Duration::from_secs(15 * 60))
        );
    }

    #[test]
    fn failures_back_off_exponentially_to_a_day() {
        let now = Utc::now();
        let i = Duration::from_secs(900);
        for (n, base) in [(1, 900.0), (2, 1800.0), (3, 3600.0), (6, 28800.0)] {
            let w = waits(|| after_failure(now, i, n, None), now);
            within(&w, base * 0.9, base * 1.1);
            spread_over(&w, base * 0.9, base * 1.1);
        }
        for n in [8, 30, u32::MAX] {
            let w = waits(|| after_failure(now, i, n, None), now);
            within(&w, 77760.0, 86400.0);
        }
    }

    #[test]
    fn retry_after_is_never_undercut_and_is_honoured_up_to_a_week() {
        let now = Utc::now();
        let i = Duration::from_secs(900);
        let two_hours = Some(Duration::from_secs(7200));
        let w = waits(|| after_failure(now, i, 1, two_hours), now);
        within(&w, 7200.0, 7920.0);
        spread_over(&w, 7200.0, 7920.0);
        // Longer than the backoff cap: honoured all the same.
        let w = waits(
            || after_failure(now, i, 1, Some(Duration::from_secs(3 * 86400))),
            now,
        );
        within(&w, 3.0 * 86400.0, 3.0 * 86400.0);
        // Past the week: asked again after a week.
        let w = waits(
            || after_failure(now, i, 1, Some(Duration::from_secs(400 * 86400))),
            now,
        );
        within(&w, 7.0 * 86400.0, 7.0 * 86400.0);
        // Shorter than the backoff: the backoff decides.
        let w = waits(
            || after_failure(now, i, 4, Some(Duration::from_secs(60))),
            now,
        );
        within(&w, 6480.0, 7920.0);
    }

    #[test]
    fn a_feeds_cap_bounds_every_wait_but_retry_after() {
        let now = Utc::now();
        let cap = Duration::from_secs(2 * 3600);
        // <ttl> of a day asked for, the feed's cap is 2 h: 2 h.
        let w = waits(
            || {
                after_success_capped(
                    now,
                    Duration::from_secs(900),
                    &[Some(Duration::from_secs(86400))],
                    cap,
                )
            },
            now,
        );
        within(&w, 7200.0, 7200.0);
        // A pinned interval above the cap is cut to it (config refuses
        // that, the function does not rely on it).
        let w = waits(
            || after_success_capped(now, Duration::from_secs(3 * 3600), &[], cap),
            now,
        );
        within(&w, 6480.0, 7200.0);
        // Backoff: 15 min doubling, stopped at 2 h.
        let i = Duration::from_secs(900);
        for (n, lo, hi) in [
            (2, 1620.0, 1980.0),
            (4, 6480.0, 7200.0),
            (9, 6480.0, 7200.0),
        ] {
            let w = waits(|| after_failure_capped(now, i, n, None, cap), now);
            within(&w, lo, hi);
        }
        // Retry-After of 5 h is still honoured past the cap.
        let w = waits(
            || after_failure_capped(now, i, 1, Some(Duration::from_secs(5 * 3600)), cap),
            now,
        );
        within(&w, 18000.0, 18000.0);
    }

    #[test]
    fn adaptive_interval_within_a_feeds_bounds() {
        let t0 = Utc::now();
        let every =
            |minutes: i64, n: i64| (0..n).map(move |i| t0 - chrono::Duration::minutes(minutes * i));
        let bounds = IntervalBounds {
            min: Duration::from_secs(30 * 60),
            max: Duration::from_secs(3 * 3600),
        };
        // Publishes every 10 min: 5 min adapted, raised to the 30 min floor.
        assert_eq!(
            adaptive_interval_within(every(10, 10), bounds),
            Some(bounds.min)
        );
        // Weekly: a day adapted, cut to the 3 h cap.
        assert_eq!(
            adaptive_interval_within(every(7 * 24 * 60, 10), bounds),
            Some(bounds.max)
        );
        assert_eq!(
            adaptive_interval_within(every(120, 10), bounds),
            Some(Duration::from_secs(3600))
        );
        // The defaults are the plain function's.
        assert_eq!(
            adaptive_interval_within(every(60, 10), DEFAULT_BOUNDS),
            adaptive_interval(every(60, 10))
        );
    }
}
