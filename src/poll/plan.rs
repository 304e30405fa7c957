//! What one poll writes about its feed and when the feed is polled next,
//! decided without I/O: no async, no SQLite, no HTTP, the clock passed in.
//! [`super`] fetches, parses and reads, and asks this module what it means.
//!
//! The rules:
//!
//! - **Request**: the feed is fetched from where it moved to (a permanent
//!   redirect seen earlier), with the validators of its last clean response.
//! - **304 Not Modified**: validators and feed fields stay. The next poll
//!   comes after the interval, no sooner than the bound the last full
//!   response set (`<ttl>`, kept in the database) or this response's
//!   `Cache-Control`.
//! - **410 Gone**: the feed is muted: not polled on schedule until a manual
//!   poll succeeds.
//! - **Any other failure** (HTTP error, network, a document that does not
//!   parse): validators stay, and the next poll backs off, doubling from
//!   the interval per failure in a row up to the feed's `max_interval` (a
//!   day by default), never sooner than the server's `Retry-After` counted
//!   from when the failure was seen.
//! - **A fetched document**: its validators are kept only when it parsed
//!   without repairs and every entry was processed, so that a truncated
//!   document, or a poll cut short by shutdown, is fetched whole next time.
//!   Repairs are reported as the feed's warning; a document with items of
//!   which none could be read is a soft failure. The interval adapts to the
//!   feed's publishing rate within its bounds unless the feed is pinned.
//! - **Every wait** but a `Retry-After` is at most the feed's
//!   `max_interval`: a `<ttl>` of a week does not silence a feed capped at
//!   an hour.

use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;

use super::{FeedTarget, schedule};
use crate::config::Schedule;
use crate::feed::ParsedFeed;
use crate::fetch::FetchError;
use crate::model::{EntryWrite, FeedPoll, FeedState, PollOutcome, Validators};

/// Why a poll of the feed failed: the request, or the document it returned.
#[derive(Debug)]
pub enum FeedFailure {
    Fetch(FetchError),
    Parse(String),
    /// 304 Not Modified to a request that carried no validators: there is
    /// nothing it can be "not modified" from (a broken cache in front of
    /// the site), so it is no answer, and never a success.
    UnaskedNotModified,
}

impl FeedFailure {
    fn retry_after(&self) -> Option<Duration> {
        match self {
            FeedFailure::Fetch(e) => e.retry_after(),
            FeedFailure::Parse(_) | FeedFailure::UnaskedNotModified => None,
        }
    }

    fn status(&self) -> Option<u16> {
        match self {
            FeedFailure::Fetch(e) => e.status(),
            FeedFailure::Parse(_) | FeedFailure::UnaskedNotModified => None,
        }
    }
}

impl std::fmt::Display for FeedFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FeedFailure::Fetch(e) => e.fmt(f),
            FeedFailure::Parse(e) => write!(f, "cannot parse the feed: {e}"),
            FeedFailure::UnaskedNotModified => f.write_str(
                "HTTP 304 Not Modified to a request without validators (no ETag or date was sent): \
                 the server or a cache before it is broken; nothing was stored",
            ),
        }
    }
}

/// What the plan needs of a full (200) response besides its document.
#[derive(Debug, Clone, Default)]
pub struct Response {
    pub validators: Validators,
    /// How long the server says the response stays fresh.
    pub fresh_for: Option<Duration>,
    /// Every redirect hop was permanent: the feed lives here now.
    pub moved_to: Option<Url>,
}

/// One poll of one feed, from the state its last poll left.
#[derive(Debug, Clone)]
pub struct FeedPlan {
    feed_id: i64,
    polled_at: DateTime<Utc>,
    fetch_url: Url,
    validators: Option<Validators>,
    /// The interval until this poll says otherwise: configured, or what
    /// the feed's publishing rate set last time (within its bounds).
    interval: Duration,
    interval_adapted: bool,
    /// Pinned (never adapted) or adaptive within bounds; its `max` caps
    /// every wait but a `Retry-After`.
    schedule: Schedule,
    error_count: u32,
    /// The bound the last full response asked for.
    min_interval: Option<Duration>,
}

impl FeedPlan {
    pub fn new(target: &FeedTarget, state: &FeedState, polled_at: DateTime<Utc>) -> FeedPlan {
        let schedule = target.schedule;
        let adapted = state.interval.filter(|_| !schedule.is_pinned());
        let (interval, interval_adapted) = (schedule.current(adapted), adapted.is_some());
        FeedPlan {
            feed_id: target.id,
            polled_at,
            fetch_url: state
                .fetch_url
                .clone()
                .unwrap_or_else(|| target.config.url.clone()),
            validators: (state.validators != Validators::default())
                .then(|| state.validators.clone()),
            interval,
            interval_adapted,
            schedule,
            error_count: state.error_count,
            min_interval: state.min_interval,
        }
    }

    pub fn polled_at(&self) -> DateTime<Utc> {
        self.polled_at
    }

    /// A 304 answers this poll's request only if it sent validators.
    pub fn sent_validators(&self) -> bool {
        self.validators.is_some()
    }

    /// Where to fetch the feed, and the validators to send.
    pub fn request(&self) -> (&Url, Option<&Validators>) {
        (&self.fetch_url, self.validators.as_ref())
    }

    /// The feed failed at `now`; nothing of its document is written.
    pub fn failed(&self, failure: &FeedFailure, now: DateTime<Utc>) -> FeedPoll {
        let next = schedule::after_failure_capped(
            now,
            self.interval,
            self.error_count + 1,
            failure.retry_after(),
            self.schedule.max(),
        );
        let error = failure.to_string();
        let outcome = match failure.status() {
            Some(410) => PollOutcome::Gone { error },
            _ => PollOutcome::Failed { error },
        };
        self.poll(outcome, next, None, None, Vec::new())
    }

    /// 304: only `entries` (pages retried) are new.
    pub fn not_modified(
        &self,
        fresh_for: Option<Duration>,
        moved_to: Option<Url>,
        entries: Vec<EntryWrite>,
    ) -> FeedPoll {
        // A 304 carries no document: the feed's own bound is the one its
        // last full response gave.
        let next = schedule::after_success_capped(
            self.polled_at,
            self.interval,
            &[self.min_interval, fresh_for],
            self.schedule.max(),
        );
        self.poll(PollOutcome::NotModified, next, None, moved_to, entries)
    }

    /// A document was parsed; `complete` when every entry of it was
    /// processed (shutdown may cut a poll short).
    pub fn fetched(
        &self,
        response: Response,
        parsed: &ParsedFeed,
        complete: bool,
        entries: Vec<EntryWrite>,
    ) -> FeedPoll {
        let adapted = match self.schedule {
            Schedule::Pinned { .. } => None,
            Schedule::Adaptive { bounds, .. } => schedule::adaptive_interval_within(
                parsed
                    .entries
                    .iter()
                    .filter_map(|e| e.published.or(e.updated)),
                bounds,
            ),
        };
        let interval = adapted.unwrap_or(self.interval);
        let next = schedule::after_success_capped(
            self.polled_at,
            interval,
            &[parsed.min_interval, response.fresh_for],
            self.schedule.max(),
        );
        let mut warnings = parsed.warnings.clone();
        if !parsed.recovered.is_empty() {
            warnings.push(format!("repaired: {}", parsed.recovered.join("; ")));
        }
        // A feed whose syntax needed repair is fetched whole next time (the
        // site may fix it); dialect rewrites (Atom 0.3, an odd RSS version)
        // are how that feed is, and keep their validators.
        let keep_validators = parsed.well_formed && complete;
        let outcome = PollOutcome::Fetched {
            validators: keep_validators.then_some(response.validators),
            title: parsed.title.clone(),
            site_url: parsed.site_url.clone(),
            min_interval: parsed.min_interval,
            warning: (!warnings.is_empty()).then(|| warnings.join("; ")),
            unreadable_items: parsed.entries.is_empty() && parsed.items_in_document > 0,
        };
        self.poll(outcome, next, adapted, response.moved_to, entries)
    }

    /// `adapted`: the interval this poll fitted to the feed, if it did.
    fn poll(
        &self,
        outcome: PollOutcome,
        next_poll_at: DateTime<Utc>,
        adapted: Option<Duration>,
        moved_to: Option<Url>,
        entries: Vec<EntryWrite>,
    ) -> FeedPoll {
        let (interval, interval_adapted) = match adapted {
            Some(a) => (a, true),
            None => (self.interval, self.interval_adapted),
        };
        FeedPoll {
            feed_id: self.feed_id,
            polled_at: self.polled_at,
            next_poll_at,
            interval,
            interval_adapted,
            outcome,
            moved_to,
            entries,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::feed;

    const HOUR: Duration = Duration::from_secs(3600);

    fn target(fixed: Option<Duration>) -> FeedTarget {
        let toml = "[[feed]]\nurl = \"https://news.example/feed.xml\"\n";
        let config = Config::parse(std::path::Path::new("feeds.toml"), toml).expect("a config");
        let schedule = match fixed {
            Some(interval) => Schedule::Pinned {
                interval,
                max: schedule::MAX_INTERVAL,
            },
            None => Schedule::Adaptive {
                initial: HOUR,
                bounds: schedule::DEFAULT_BOUNDS,
            },
        };
        FeedTarget {
            id: 7,
            config: config.feeds[0].clone(),
            schedule,
        }
    }

    fn plan(state: &FeedState) -> FeedPlan {
        FeedPlan::new(&target(None), state, Utc::now())
    }

    fn etag(tag: &str) -> Validators {
        Validators {
            etag: Some(tag.into()),
            last_modified: None,
        }
    }

    /// Seconds from `from` to `to`.
    fn secs(from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
        (to - from).num_seconds()
    }

    fn rss(items: &str) -> String {
        format!(
            "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>News</title>\
             <link>https://news.example/</link>{items}</channel></rss>"
        )
    }

    fn item(n: u32, day: u32) -> String {
        format!(
            "<item><title>Story {n}</title><link>https://news.example/{n}.html</link>\
             <guid>s{n}</guid><pubDate>{day:02} Mar 2026 08:00:00 GMT</pubDate></item>"
        )
    }

    fn parse(doc: &str) -> ParsedFeed {
        feed::parse(doc.as_bytes(), Some("application/rss+xml"), None).expect("a feed")
    }

    #[test]
    fn the_request_goes_where_the_feed_moved_with_its_validators() {
        let fresh = plan(&FeedState::default());
        assert_eq!(fresh.request().0.as_str(), "https://news.example/feed.xml");
        assert_eq!(fresh.request().1, None, "no empty validators are sent");
        let moved = plan(&FeedState {
            fetch_url: Url::parse("https://news.example/new.xml").ok(),
            validators: etag("\"v1\""),
            ..FeedState::default()
        });
        assert_eq!(moved.request().0.as_str(), "https://news.example/new.xml");
        assert_eq!(moved.request().1, Some(&etag("\"v1\"")));
    }

    #[test]
    fn not_modified_keeps_validators_and_honours_the_last_documents_ttl() {
        let state = FeedState {
            validators: etag("\"v1\""),
            min_interval: Some(3 * HOUR),
            ..FeedState::default()
        };
        let p = plan(&state);
        let poll = p.not_modified(None, None, Vec::new());
        assert_eq!(poll.outcome, PollOutcome::NotModified);
        // The hour interval is lifted to the three hours `<ttl>` asked for.
        let wait = secs(p.polled_at(), poll.next_poll_at);
        assert!((3 * 3600..=3 * 3600 * 11 / 10).contains(&wait), "{wait}");
        assert_eq!((poll.interval, poll.interval_adapted), (HOUR, false));
    }

    #[test]
    fn a_304_to_a_request_without_validators_is_a_failure_not_ok() {
        let fresh = plan(&FeedState::default());
        assert!(!fresh.sent_validators());
        let poll = fresh.failed(&FeedFailure::UnaskedNotModified, fresh.polled_at());
        let PollOutcome::Failed { error } = &poll.outcome else {
            panic!("{:?}", poll.outcome);
        };
        assert!(
            error.contains("304") && error.contains("without validators"),
            "{error}"
        );
        // Backs off like any failure: no sooner than the interval.
        assert!(secs(poll.polled_at, poll.next_poll_at) >= 3600 * 9 / 10);
        let asked = plan(&FeedState {
            validators: etag("\"v1\""),
            ..FeedState::default()
        });
        assert!(asked.sent_validators());
    }

    #[test]
    fn gone_mutes_the_feed_and_other_failures_back_off() {
        let p = plan(&FeedState {
            error_count: 2,
            ..FeedState::default()
        });
        let now = p.polled_at() + chrono::Duration::seconds(5);
        let status = |status, retry_after| {
            FeedFailure::Fetch(FetchError::Status {
                status,
                retry_after,
            })
        };
        let gone = p.failed(&status(410, None), now);
        assert_eq!(
            gone.outcome,
            PollOutcome::Gone {
                error: "HTTP 410".into()
            }
        );
        // Third failure in a row: four times the interval, ±10 %.
        let failed = p.failed(&status(500, None), now);
        assert!(matches!(failed.outcome, PollOutcome::Failed { .. }));
        let wait = secs(now, failed.next_poll_at);
        assert!(
            (4 * 3600 * 9 / 10..=4 * 3600 * 11 / 10).contains(&wait),
            "{wait}"
        );
        assert!(failed.entries.is_empty());
        // Retry-After counts from when the failure was seen, not from the
        // poll's start.
        let asked = p.failed(&status(503, Some(20 * HOUR)), now);
        assert!(secs(now, asked.next_poll_at) >= 20 * 3600);
        let unparsable = p.failed(&FeedFailure::Parse("not a feed".into()), now);
        assert_eq!(
            unparsable.outcome,
            PollOutcome::Failed {
                error: "cannot parse the feed: not a feed".into()
            }
        );
    }

    #[test]
    fn validators_are_kept_only_for_a_clean_completely_processed_document() {
        let p = plan(&FeedState::default());
        let response = || Response {
            validators: etag("\"v2\""),
            ..Response::default()
        };
        let clean = parse(&rss(&item(1, 2)));
        assert!(clean.well_formed);
        let kept = p.fetched(response(), &clean, true, Vec::new());
        assert!(matches!(
            kept.outcome,
            PollOutcome::Fetched { validators: Some(ref v), warning: None, .. } if *v == etag("\"v2\"")
        ));
        // Shutdown cut the poll short: fetch it whole next time.
        let cut = p.fetched(response(), &clean, false, Vec::new());
        assert!(matches!(
            cut.outcome,
            PollOutcome::Fetched {
                validators: None,
                ..
            }
        ));
    }

    #[test]
    fn a_repaired_document_keeps_its_entries_not_its_validators() {
        let doc = rss(&format!("{}{}", item(1, 2), item(2, 3)));
        let truncated = &doc[..doc.len() - "</channel></rss>".len() - 20];
        let repaired = parse(truncated);
        assert!(!repaired.well_formed, "the fixture needs a repair");
        assert!(!repaired.entries.is_empty());
        let poll = plan(&FeedState::default()).fetched(
            Response {
                validators: etag("\"v3\""),
                ..Response::default()
            },
            &repaired,
            true,
            Vec::new(),
        );
        let PollOutcome::Fetched {
            validators,
            warning,
            ..
        } = poll.outcome
        else {
            panic!("{:?}", poll.outcome)
        };
        assert_eq!(validators, None);
        assert!(warning.is_some_and(|w| w.contains("repaired: ")));
    }

    #[test]
    fn the_interval_adapts_to_the_publishing_rate_unless_configured() {
        // One story a day: polled every twelve hours.
        let daily = parse(&rss(&(1..=5).map(|d| item(d, d)).collect::<String>()));
        let poll = plan(&FeedState::default()).fetched(Response::default(), &daily, true, vec![]);
        assert_eq!((poll.interval, poll.interval_adapted), (12 * HOUR, true));
        let fixed = FeedPlan::new(&target(Some(2 * HOUR)), &FeedState::default(), Utc::now());
        let poll = fixed.fetched(Response::default(), &daily, true, vec![]);
        assert_eq!((poll.interval, poll.interval_adapted), (2 * HOUR, false));
        // An interval adapted earlier carries over a 304.
        let adapted = plan(&FeedState {
            interval: Some(6 * HOUR),
            ..FeedState::default()
        });
        let poll = adapted.not_modified(None, None, vec![]);
        assert_eq!((poll.interval, poll.interval_adapted), (6 * HOUR, true));
    }

    #[test]
    fn a_feeds_bounds_hold_in_the_plan() {
        let bounds = crate::config::IntervalBounds {
            min: 30 * 60 * Duration::from_secs(1),
            max: 3 * HOUR,
        };
        let mut bounded = target(None);
        bounded.schedule = Schedule::Adaptive {
            initial: HOUR,
            bounds,
        };
        // One story a day adapts to 12 h, cut to the 3 h cap; a week's
        // <ttl> does not pass it either.
        let mut daily = parse(&rss(&(1..=5).map(|d| item(d, d)).collect::<String>()));
        daily.min_interval = Some(7 * 24 * HOUR);
        let p = FeedPlan::new(&bounded, &FeedState::default(), Utc::now());
        let poll = p.fetched(Response::default(), &daily, true, vec![]);
        assert_eq!((poll.interval, poll.interval_adapted), (3 * HOUR, true));
        assert_eq!(secs(p.polled_at(), poll.next_poll_at), 3 * 3600);
        // An interval adapted under wider bounds is brought within them.
        let wide = FeedState {
            interval: Some(20 * HOUR),
            error_count: 9,
            ..FeedState::default()
        };
        let p = FeedPlan::new(&bounded, &wide, Utc::now());
        assert_eq!(p.not_modified(None, None, vec![]).interval, 3 * HOUR);
        // The tenth failure in a row backs off to the cap, not to a day.
        let failed = p.failed(&FeedFailure::Parse("x".into()), p.polled_at());
        let wait = secs(p.polled_at(), failed.next_poll_at);
        assert!((3 * 3600 * 9 / 10..=3 * 3600).contains(&wait), "{wait}");
    }

    #[test]
    fn items_that_cannot_be_read_are_a_soft_failure() {
        let mut unreadable = parse(&rss(""));
        unreadable.items_in_document = 3;
        let poll =
            plan(&FeedState::default()).fetched(Response::default(), &unreadable, true, vec![]);
        assert!(matches!(
            poll.outcome,
            PollOutcome::Fetched {
                unreadable_items: true,
                ..
            }
        ));
    }
}
