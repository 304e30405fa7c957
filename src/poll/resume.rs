//! Work that outlives a poll, decided without I/O: a long poll commits
//! its entries in parts, a poll cut short leaves what it did not reach
//! as durable pending work, and a poll the store refused is redone soon.
//!
//! The invariant: an entry the feed listed is, after any poll that got
//! the feed's document, either stored or in `pending_entries`, so a
//! restart (after SIGTERM, SIGKILL or a power cut) owes nothing to the
//! feed's schedule. Pending work brings the feed's next poll forward
//! (`store::apply`), so it is resumed within seconds of a start, not at
//! the next poll the feed's interval (hours, for a slow feed) would give.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::entries::Job;
use super::schedule;
use crate::model::{EntrySource, EntryWrite};

/// Entries written per transaction while a poll runs. A restart keeps
/// every part committed before it; one commit (an fsync) per 50 pages is
/// noise next to fetching them, and a poll of only feed content (no
/// pages) of 1,000 entries costs 20 commits (~20 ms on the test box).
pub const COMMIT_EVERY: usize = 50;

/// A poll whose result the store could not take (locked by another
/// program past the busy timeout, disk full) is redone after this long
/// rather than at the feed's interval: nothing of it was stored, and the
/// cause may be gone in a minute.
pub const STORE_RETRY: Duration = Duration::from_secs(60);

/// A feed with more new entries than `max_entries_per_poll` is polled
/// again this soon for the next ones, rather than at its interval.
pub const DEFERRED_REPOLL: Duration = Duration::from_secs(5 * 60);

/// Why an entry cut short waits in `pending_entries`.
pub const CUT_SHORT: &str = "poll cut short (shutdown); resumed at the next start";

/// The entries a poll cut short did not reach, as pending work due at
/// once: the next start (or poll) resumes them even if the feed has
/// dropped them from its document by then.
pub fn cut_short(left: Vec<Job>, now: DateTime<Utc>) -> Vec<EntryWrite> {
    left.into_iter()
        .map(|job| EntryWrite::Pending {
            source: EntrySource {
                entry_id: job.entry.key.clone(),
                entry_url: job.entry.link.clone(),
                entry_updated_at: job.entry.updated,
            },
            entry_json: serde_json::to_string(&job.entry).unwrap_or_default(),
            attempts: job.attempts,
            next_attempt_at: Some(now),
            error: CUT_SHORT.to_string(),
        })
        .collect()
}

/// When a poll the store refused is redone.
pub fn after_store_failure(now: DateTime<Utc>) -> DateTime<Utc> {
    now + schedule::to_chrono(STORE_RETRY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feed::FeedEntry;

    fn job(key: &str, attempts: u32) -> Job {
        let entry: FeedEntry = serde_json::from_value(serde_json::json!({
            "key": key,
            "link": format!("https://news.example/{key}.html"),
            "title": format!("Story {key}"),
        }))
        .expect("a feed entry");
        Job { entry, attempts }
    }

    #[test]
    fn entries_cut_short_become_pending_work_due_at_once_and_read_back() {
        let now = Utc::now();
        let writes = cut_short(vec![job("a", 0), job("b", 2)], now);
        assert_eq!(writes.len(), 2);
        let EntryWrite::Pending {
            source,
            entry_json,
            attempts,
            next_attempt_at,
            error,
        } = &writes[1]
        else {
            panic!("{:?}", writes[1]);
        };
        assert_eq!(source.entry_id, "b");
        assert_eq!(
            source.entry_url.as_deref(),
            Some("https://news.example/b.html")
        );
        // A retry cut short keeps its count: its waits stay where they were.
        assert_eq!(*attempts, 2);
        assert_eq!(*next_attempt_at, Some(now));
        assert_eq!(error, CUT_SHORT);
        let back: FeedEntry = serde_json::from_str(entry_json).expect("the entry reads back");
        assert_eq!(back.title.as_deref(), Some("Story b"));
    }

    #[test]
    fn a_refused_poll_is_redone_within_minutes() {
        let now = Utc::now();
        let at = after_store_failure(now);
        assert!(at > now && at - now <= chrono::Duration::minutes(5));
    }
}
