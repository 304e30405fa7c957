//! When a feed is polled next: pure functions of what the last poll saw.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::RngExt;

/// The longest a feed ever waits between polls, even when failing: a feed
/// is never given up on.
pub const MAX_INTERVAL: Duration = Duration::from_secs(24 * 3600);

/// Bounds of an interval adapted to a feed's publishing rate: never more
/// often than every 5 minutes (politeness), never less than daily.
pub const MIN_ADAPTIVE_INTERVAL: Duration = Duration::from_secs(5 * 60);

/// Entries the adaptive interval looks at: the recent past, not the
/// feed's whole archive.
const ADAPTIVE_SAMPLE: usize = 20;

/// ±10 % spread on every interval, so feeds configured alike drift apart
/// instead of hitting their hosts in lockstep.
pub const JITTER: f64 = 0.10;

/// Next poll after a successful one. `lower_bounds` are what the feed or
/// server asked for (RSS `<ttl>`, `Cache-Control: max-age`, ...): the
/// interval is at least the largest of them, and at most [`MAX_INTERVAL`].
pub fn after_success(
    now: DateTime<Utc>,
    interval: Duration,
    lower_bounds: &[Option<Duration>],
) -> DateTime<Utc> {
    let wanted = lower_bounds
        .iter()
        .flatten()
        .copied()
        .fold(interval, Duration::max);
    now + to_chrono(jittered(wanted.min(MAX_INTERVAL)))
}

/// Next poll after `consecutive_errors` failed polls in a row (1 for the
/// first failure): exponential backoff from the interval up to
/// [`MAX_INTERVAL`], never sooner than the server's `Retry-After`.
pub fn after_failure(
    now: DateTime<Utc>,
    interval: Duration,
    consecutive_errors: u32,
    retry_after: Option<Duration>,
) -> DateTime<Utc> {
    let doublings = consecutive_errors.saturating_sub(1).min(16);
    let backoff = interval.saturating_mul(1 << doublings).min(MAX_INTERVAL);
    let wait = retry_after.map_or(backoff, |r| r.max(backoff).min(MAX_INTERVAL.max(r)));
    now + to_chrono(jittered(wait))
}

/// An interval fitted to how often a feed publishes: half the median gap
/// between its recent entries (so a new entry waits on average a quarter
/// of a gap), within [`MIN_ADAPTIVE_INTERVAL`] and [`MAX_INTERVAL`].
/// `None` with fewer than three dated entries.
pub fn adaptive_interval(dates: impl Iterator<Item = DateTime<Utc>>) -> Option<Duration> {
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
    Some((median / 2).clamp(MIN_ADAPTIVE_INTERVAL, MAX_INTERVAL))
}

fn jittered(d: Duration) -> Duration {
    let factor = 1.0 + rand::rng().random_range(-JITTER..=JITTER);
    d.mul_f64(factor)
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

    #[test]
    fn success_uses_interval_with_jitter_and_lower_bounds() {
        let now = Utc::now();
        for _ in 0..200 {
            let s = secs(now, after_success(now, Duration::from_secs(900), &[]));
            assert!((810.0..=990.0).contains(&s), "{s}");
        }
        let s = secs(
            now,
            after_success(
                now,
                Duration::from_secs(900),
                &[Some(Duration::from_secs(3600)), None],
            ),
        );
        assert!((3240.0..=3960.0).contains(&s), "{s}");
        let s = secs(
            now,
            after_success(
                now,
                Duration::from_secs(900),
                &[Some(Duration::from_secs(7 * 86400))],
            ),
        );
        assert!(s <= 86400.0 * 1.1, "{s}");
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
    fn failures_back_off_to_a_day_and_honour_retry_after() {
        let now = Utc::now();
        let i = Duration::from_secs(900);
        let at = |n, ra| secs(now, after_failure(now, i, n, ra));
        assert!((810.0..=990.0).contains(&at(1, None)));
        assert!((3240.0..=3960.0).contains(&at(3, None)));
        assert!(
            (77760.0..=95040.0).contains(&at(30, None)),
            "capped at a day"
        );
        assert!(at(1, Some(Duration::from_secs(7200))) >= 7200.0 * 0.9);
    }
}
