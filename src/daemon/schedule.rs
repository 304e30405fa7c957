//! When a feed is polled next: pure functions of what the last poll saw.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::RngExt;

/// The longest a feed ever waits between polls, even when failing: a feed
/// is never given up on.
pub const MAX_INTERVAL: Duration = Duration::from_secs(24 * 3600);

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
