//! Prometheus metrics: what the pipeline did since the process started.
//!
//! The counters are one process-wide set of atomics: the poll records into
//! them from any task without a handle being threaded through, and a
//! one-shot `poll --all` records too (nobody reads them there). They live
//! outside the daemon so that the poll, which both the daemon and `poll
//! --all` run, reports to them without depending on the service around it;
//! the daemon serves them at `/metrics` (`daemon::metrics_endpoint`).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use crate::fetch::FetchError;
use crate::model::{Applied, PollResult};

/// The process-wide metrics.
pub static METRICS: Metrics = Metrics::new();

/// Upper bounds of the latency histograms, in seconds: from a page parsed
/// in a millisecond to a feed that takes the whole default 60 s timeout.
const LATENCY_BUCKETS: [f64; 15] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// What was being fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Feed,
    Page,
}

impl Target {
    const ALL: [Target; 2] = [Target::Feed, Target::Page];

    fn label(self) -> &'static str {
        match self {
            Target::Feed => "feed",
            Target::Page => "page",
        }
    }
}

/// Why a feed or page failed, coarse enough to alert on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Http4xx,
    Http5xx,
    HttpOther,
    Timeout,
    TooLarge,
    Redirect,
    Blocked,
    Robots,
    Network,
    /// The feed document could not be parsed.
    Parse,
    /// Page extraction crashed.
    Extract,
    /// The database refused the poll.
    Store,
}

impl ErrorKind {
    const ALL: [ErrorKind; 12] = [
        ErrorKind::Http4xx,
        ErrorKind::Http5xx,
        ErrorKind::HttpOther,
        ErrorKind::Timeout,
        ErrorKind::TooLarge,
        ErrorKind::Redirect,
        ErrorKind::Blocked,
        ErrorKind::Robots,
        ErrorKind::Network,
        ErrorKind::Parse,
        ErrorKind::Extract,
        ErrorKind::Store,
    ];

    pub fn of(error: &FetchError) -> ErrorKind {
        match error {
            FetchError::Status { status, .. } => match status {
                400..=499 => ErrorKind::Http4xx,
                500..=599 => ErrorKind::Http5xx,
                _ => ErrorKind::HttpOther,
            },
            FetchError::Timeout(_) => ErrorKind::Timeout,
            FetchError::TooLarge { .. } => ErrorKind::TooLarge,
            FetchError::TooManyRedirects
            | FetchError::RedirectLoop(_)
            | FetchError::BadRedirect(_) => ErrorKind::Redirect,
            FetchError::Blocked(_) | FetchError::Options(_) => ErrorKind::Blocked,
            FetchError::Robots(_) => ErrorKind::Robots,
            FetchError::Network(_) => ErrorKind::Network,
        }
    }

    fn label(self) -> &'static str {
        match self {
            ErrorKind::Http4xx => "http_4xx",
            ErrorKind::Http5xx => "http_5xx",
            ErrorKind::HttpOther => "http_other",
            ErrorKind::Timeout => "timeout",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Redirect => "redirect",
            ErrorKind::Blocked => "blocked",
            ErrorKind::Robots => "robots",
            ErrorKind::Network => "network",
            ErrorKind::Parse => "parse",
            ErrorKind::Extract => "extract",
            ErrorKind::Store => "store",
        }
    }
}

/// What became of a story sent to a webhook receiver (see
/// [`crate::webhook`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookEvent {
    /// A receiver accepted the story (2xx).
    Delivered,
    /// An attempt failed and will be tried again.
    Retried,
    /// Given up on after its retries, or refused (4xx).
    Failed,
    /// Never sent: its target's queue was full.
    Dropped,
}

impl WebhookEvent {
    pub const ALL: [WebhookEvent; 4] = [
        WebhookEvent::Delivered,
        WebhookEvent::Retried,
        WebhookEvent::Failed,
        WebhookEvent::Dropped,
    ];

    fn label(self) -> &'static str {
        match self {
            WebhookEvent::Delivered => "delivered",
            WebhookEvent::Retried => "retried",
            WebhookEvent::Failed => "failed",
            WebhookEvent::Dropped => "dropped",
        }
    }
}

/// A latency histogram with [`LATENCY_BUCKETS`].
pub struct Histogram {
    /// Non-cumulative counts per bucket; the last one is `+Inf`.
    buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

impl Histogram {
    const fn new() -> Histogram {
        Histogram {
            buckets: [const { AtomicU64::new(0) }; LATENCY_BUCKETS.len() + 1],
            sum_micros: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let i = LATENCY_BUCKETS
            .iter()
            .position(|&bound| secs <= bound)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.buckets[i].fetch_add(1, Relaxed);
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (i, bucket) in self.buckets.iter().enumerate() {
            cumulative += bucket.load(Relaxed);
            let le = LATENCY_BUCKETS
                .get(i)
                .map_or_else(|| "+Inf".to_string(), |b| b.to_string());
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}"
            );
        }
        let sum = self.sum_micros.load(Relaxed) as f64 / 1e6;
        let braced = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braced} {sum}");
        let _ = writeln!(out, "{name}_count{braced} {cumulative}");
    }
}

pub struct Metrics {
    polls: [AtomicU64; PollResult::ALL.len()],
    errors: [[AtomicU64; ErrorKind::ALL.len()]; Target::ALL.len()],
    articles_stored: AtomicU64,
    duplicates: AtomicU64,
    sightings: AtomicU64,
    articles_updated: AtomicU64,
    entries_filtered: AtomicU64,
    webhook: [AtomicU64; WebhookEvent::ALL.len()],
    fetch_seconds: [Histogram; Target::ALL.len()],
    extract_seconds: Histogram,
    // Gauges the scheduler keeps current.
    feeds: AtomicU64,
    feeds_failing: AtomicU64,
    polls_in_flight: AtomicU64,
    articles_at_start: AtomicU64,
    store_error: std::sync::Mutex<Option<String>>,
}

/// A label value in the text format: backslash, quote and newline escaped.
fn label_value(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    const fn new() -> Metrics {
        Metrics {
            polls: [const { AtomicU64::new(0) }; PollResult::ALL.len()],
            errors: [const { [const { AtomicU64::new(0) }; ErrorKind::ALL.len()] };
                Target::ALL.len()],
            articles_stored: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            sightings: AtomicU64::new(0),
            articles_updated: AtomicU64::new(0),
            entries_filtered: AtomicU64::new(0),
            webhook: [const { AtomicU64::new(0) }; WebhookEvent::ALL.len()],
            fetch_seconds: [Histogram::new(), Histogram::new()],
            extract_seconds: Histogram::new(),
            feeds: AtomicU64::new(0),
            feeds_failing: AtomicU64::new(0),
            polls_in_flight: AtomicU64::new(0),
            articles_at_start: AtomicU64::new(0),
            store_error: std::sync::Mutex::new(None),
        }
    }

    pub fn webhook(&self, event: WebhookEvent) {
        self.webhook[event as usize].fetch_add(1, Relaxed);
    }

    /// The store's failure while it lasts (`None` once a batch commits
    /// again): shown as `feedsift_store_failing` with its cause.
    pub fn set_store_error(&self, cause: Option<&str>) {
        let mut slot = self.store_error.lock().unwrap_or_else(|p| p.into_inner());
        *slot = cause.map(str::to_string);
    }

    /// Counts a finished poll: how it ended and what it stored.
    pub fn poll(&self, result: PollResult, applied: &Applied) {
        self.polls[result as usize].fetch_add(1, Relaxed);
        self.articles_stored
            .fetch_add(applied.new_articles as u64, Relaxed);
        self.duplicates
            .fetch_add(applied.duplicates as u64, Relaxed);
        self.sightings
            .fetch_add(applied.new_sources as u64, Relaxed);
        self.articles_updated
            .fetch_add(applied.updated as u64, Relaxed);
        self.entries_filtered
            .fetch_add(applied.filtered as u64, Relaxed);
    }

    pub fn error(&self, target: Target, kind: ErrorKind) {
        self.errors[target as usize][kind as usize].fetch_add(1, Relaxed);
    }

    /// One request, retries and politeness waits included: the time a poll
    /// spent getting the document.
    pub fn fetched(&self, target: Target, took: Duration) {
        self.fetch_seconds[target as usize].observe(took);
    }

    pub fn extracted(&self, took: Duration) {
        self.extract_seconds.observe(took);
    }

    pub fn set_feeds(&self, feeds: usize, failing: usize, in_flight: usize) {
        self.feeds.store(feeds as u64, Relaxed);
        self.feeds_failing.store(failing as u64, Relaxed);
        self.polls_in_flight.store(in_flight as u64, Relaxed);
    }

    pub fn set_articles_at_start(&self, n: u64) {
        self.articles_at_start.store(n, Relaxed);
    }

    /// Feeds, failing feeds, articles in the database and articles stored
    /// since start, for the systemd STATUS line.
    pub fn summary(&self) -> Summary {
        let new = self.articles_stored.load(Relaxed);
        Summary {
            feeds: self.feeds.load(Relaxed),
            failing: self.feeds_failing.load(Relaxed),
            articles: self.articles_at_start.load(Relaxed) + new,
            new_articles: new,
        }
    }

    /// The Prometheus text exposition format, version 0.0.4.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        let polls: Vec<(String, u64)> = PollResult::ALL
            .iter()
            .map(|o| {
                (
                    format!("{{outcome=\"{}\"}}", o.as_str()),
                    self.polls[*o as usize].load(Relaxed),
                )
            })
            .collect();
        family(
            &mut out,
            ("feedsift_polls_total", "counter"),
            "Feed polls finished, by outcome.",
            &polls,
        );
        let mut errors = Vec::new();
        for t in Target::ALL {
            for k in ErrorKind::ALL {
                errors.push((
                    format!("{{resource=\"{}\",kind=\"{}\"}}", t.label(), k.label()),
                    self.errors[t as usize][k as usize].load(Relaxed),
                ));
            }
        }
        family(
            &mut out,
            ("feedsift_errors_total", "counter"),
            "Failed feed and page fetches, by resource and kind.",
            &errors,
        );
        let webhook: Vec<(String, u64)> = WebhookEvent::ALL
            .iter()
            .map(|e| {
                (
                    format!("{{event=\"{}\"}}", e.label()),
                    self.webhook[*e as usize].load(Relaxed),
                )
            })
            .collect();
        family(
            &mut out,
            ("feedsift_webhook_events_total", "counter"),
            "Stories sent to webhook receivers, by what became of them (retried counts attempts).",
            &webhook,
        );
        let plain: [(&str, &str, &str, &AtomicU64); 8] = [
            (
                "feedsift_articles_stored_total",
                "counter",
                "New articles stored (one per distinct page), duplicates included.",
                &self.articles_stored,
            ),
            (
                "feedsift_duplicates_total",
                "counter",
                "New articles marked as a copy of a story already stored.",
                &self.duplicates,
            ),
            (
                "feedsift_sightings_total",
                "counter",
                "Entries that were another sighting of an article already stored.",
                &self.sightings,
            ),
            (
                "feedsift_articles_updated_total",
                "counter",
                "Stored articles refreshed (updated upstream, or their page fetched at last).",
                &self.articles_updated,
            ),
            (
                "feedsift_entries_filtered_total",
                "counter",
                "Entries a feed's [feed.filter] dropped (recorded in filtered_entries, not stored).",
                &self.entries_filtered,
            ),
            ("feedsift_feeds", "gauge", "Feeds configured.", &self.feeds),
            (
                "feedsift_feeds_failing",
                "gauge",
                "Feeds whose last poll failed.",
                &self.feeds_failing,
            ),
            (
                "feedsift_polls_in_flight",
                "gauge",
                "Feed polls running now.",
                &self.polls_in_flight,
            ),
        ];
        for (name, kind, help, value) in plain {
            family(
                &mut out,
                (name, kind),
                help,
                &[(String::new(), value.load(Relaxed))],
            );
        }
        let store = match &*self.store_error.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(cause) => (format!("{{cause=\"{}\"}}", label_value(cause)), 1),
            None => (String::new(), 0),
        };
        family(
            &mut out,
            ("feedsift_store_failing", "gauge"),
            "1 while the database does not take writes (its cause as a label), else 0.",
            &[store],
        );
        self.render_histograms(&mut out);
        out
    }

    fn render_histograms(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP feedsift_fetch_duration_seconds Time to get a feed or page, retries and politeness waits included.\n\
             # TYPE feedsift_fetch_duration_seconds histogram"
        );
        for t in Target::ALL {
            self.fetch_seconds[t as usize].render(
                out,
                "feedsift_fetch_duration_seconds",
                &format!("resource=\"{}\"", t.label()),
            );
        }
        let _ = writeln!(
            out,
            "# HELP feedsift_extract_duration_seconds Time to decode and extract one article page.\n\
             # TYPE feedsift_extract_duration_seconds histogram"
        );
        self.extract_seconds
            .render(out, "feedsift_extract_duration_seconds", "");
    }
}

/// One metric family: its help, type and samples.
fn family(out: &mut String, (name, kind): (&str, &str), help: &str, samples: &[(String, u64)]) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    for (labels, value) in samples {
        let _ = writeln!(out, "{name}{labels} {value}");
    }
}

/// Counts for the STATUS line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub feeds: u64,
    pub failing: u64,
    pub articles: u64,
    pub new_articles: u64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} feeds ({} failing), {} articles ({} new since start)",
            self.feeds, self.failing, self.articles, self.new_articles
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_end_with_inf() {
        let h = Histogram::new();
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_millis(300));
        h.observe(Duration::from_secs(120));
        let mut out = String::new();
        h.render(&mut out, "x", "");
        assert!(out.contains("x_bucket{le=\"0.001\"} 0\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"0.005\"} 1\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"0.5\"} 2\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"60\"} 2\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"+Inf\"} 3\n"), "{out}");
        assert!(out.contains("x_count 3\n"), "{out}");
        assert!(out.contains("x_sum 120.303\n"), "{out}");
    }

    #[test]
    fn fetch_errors_map_to_coarse_kinds() {
        let status = |s| FetchError::Status {
            status: s,
            retry_after: None,
        };
        assert_eq!(ErrorKind::of(&status(404)), ErrorKind::Http4xx);
        assert_eq!(ErrorKind::of(&status(503)), ErrorKind::Http5xx);
        assert_eq!(
            ErrorKind::of(&FetchError::Timeout(Duration::from_secs(1))),
            ErrorKind::Timeout
        );
        assert_eq!(
            ErrorKind::of(&FetchError::RedirectLoop("x".into())),
            ErrorKind::Redirect
        );
    }
}
