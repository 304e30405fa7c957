//! A large feed document, parsed and diffed in batches so that one poll's
//! memory stays bounded whatever the feed holds: the entries are read item
//! by item ([`feed::parse_batched`]), each batch's statuses are asked of
//! the database at once, and only the newest `max_entries_per_poll` entries
//! needing work are kept (the rest are taken by the next polls, as
//! [`super::entries::newest_first`] does for small documents).
//!
//! Measured on a 19 MB feed of 560,000 tiny items (`poll --all`, release
//! build): 2.57 GB peak RSS and 5 min 15 s when read whole and all taken
//! at once; see the report of issue 10 for the figures with this path.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use url::Url;

use super::entries::{self, Job};
use crate::feed::{self, FeedEntry, ParsedFeed};
use crate::store::{Reader, StoreError};

/// Documents larger than this are read in batches. Read whole, a document
/// costs ~70 times its size (1.3 GB for 19 MB); at 1 MiB that is ~70 MB,
/// about what a poll of a normal feed with its pages holds, and real
/// feeds (the project's corpus: 411 documents) are all smaller.
pub const LARGE_FEED_BYTES: usize = 1024 * 1024;

/// Entries read and diffed per batch: one database query each.
const BATCH: usize = 1000;

/// What a large document comes to: the feed (its `entries` the newest
/// `cap` of the document, for the interval and the warnings), the newest
/// `cap` jobs, and how many jobs were left for the next polls.
pub struct Taken {
    pub parsed: ParsedFeed,
    pub jobs: Vec<Job>,
    pub deferred: usize,
}

/// Parses and diffs on the blocking pool. The outer error is the
/// database's; the inner one, the document's (a parse failure).
pub async fn parse_and_diff(
    body: Bytes,
    content_type: Option<String>,
    base: Url,
    reader: Reader,
    feed_id: i64,
    cap: usize,
) -> Result<Result<Taken, String>, StoreError> {
    let task = tokio::task::spawn_blocking(move || {
        let mut entries = Newest::new(cap);
        let mut jobs = Newest::new(cap);
        let mut failure = None;
        let mut take = |batch: Vec<FeedEntry>| {
            if failure.is_some() {
                return;
            }
            let keys: Vec<&str> = batch.iter().map(|e| e.key.as_str()).collect();
            match reader.entry_statuses(feed_id, &keys) {
                Ok(statuses) => {
                    for job in entries::to_work_on(&batch, &statuses) {
                        jobs.push(date(&job.entry), job);
                    }
                }
                Err(e) => failure = Some(e),
            }
            for entry in batch {
                entries.push(date(&entry), entry);
            }
        };
        let parsed = feed::parse_batched(
            &body,
            content_type.as_deref(),
            Some(&base),
            BATCH,
            &mut take,
        );
        if let Some(e) = failure {
            return Err(e);
        }
        Ok(parsed.map_err(|e| e.to_string()).map(|mut parsed| {
            let deferred = jobs.total.saturating_sub(cap);
            parsed.entries = entries.into_newest();
            Taken {
                parsed,
                jobs: jobs.into_newest(),
                deferred,
            }
        }))
    });
    match task.await {
        Ok(result) => result,
        Err(e) => Ok(Err(format!("parser crashed: {e}"))),
    }
}

fn date(entry: &FeedEntry) -> Option<DateTime<Utc>> {
    entry.published.or(entry.updated)
}

/// The newest `cap` of what is pushed, by date (undated after dated,
/// document order among equals), in bounded memory: at most `2 × cap`
/// held between trims.
struct Newest<T> {
    cap: usize,
    items: Vec<(Option<DateTime<Utc>>, T)>,
    total: usize,
}

impl<T> Newest<T> {
    fn new(cap: usize) -> Newest<T> {
        Newest {
            cap,
            items: Vec::new(),
            total: 0,
        }
    }

    fn push(&mut self, date: Option<DateTime<Utc>>, item: T) {
        self.total += 1;
        self.items.push((date, item));
        if self.items.len() >= 2 * self.cap.max(1) {
            self.trim();
        }
    }

    fn trim(&mut self) {
        // Stable: equal dates keep the order they were pushed in.
        self.items.sort_by_key(|(d, _)| std::cmp::Reverse(*d));
        self.items.truncate(self.cap);
    }

    fn into_newest(mut self) -> Vec<T> {
        self.trim();
        self.items.into_iter().map(|(_, item)| item).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> Option<DateTime<Utc>> {
        chrono::NaiveDate::from_ymd_opt(2026, 11, d)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .map(|t| t.and_utc())
    }

    #[test]
    fn keeps_the_newest_in_bounded_memory_and_counts_the_rest() {
        let mut newest = Newest::new(3);
        let pushed = [
            (day(1), "a"),
            (None, "undated"),
            (day(9), "b"),
            (day(5), "c"),
            (day(9), "d"),
            (day(2), "e"),
            (day(7), "f"),
        ];
        for (date, item) in pushed {
            newest.push(date, item);
            assert!(newest.items.len() < 6, "never more than twice the cap");
        }
        assert_eq!(newest.total, 7);
        assert_eq!(newest.into_newest(), ["b", "d", "f"]);
    }

    #[test]
    fn under_the_cap_everything_is_kept_newest_first() {
        let mut newest = Newest::new(10);
        newest.push(day(1), 1);
        newest.push(day(3), 3);
        newest.push(None, 0);
        assert_eq!(newest.into_newest(), [3, 1, 0]);
    }
}
