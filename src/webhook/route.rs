//! The webhook's decisions, without I/O: which targets hear of a story,
//! what an answer means, and how long to wait before trying again.

use std::collections::HashMap;
use std::time::Duration;

use crate::config::{Config, WebhookConfig};

/// Which targets announce which feeds' stories: a feed's own
/// `[feed.webhook]`, else the global `[webhook]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Routes {
    global: Option<WebhookConfig>,
    /// By the feed's URL as configured (`feeds.url`).
    per_feed: HashMap<String, WebhookConfig>,
}

impl Routes {
    pub fn of(config: &Config) -> Routes {
        Routes {
            global: config.webhook.clone(),
            per_feed: config
                .feeds
                .iter()
                .filter_map(|f| Some((f.url.to_string(), f.webhook.clone()?)))
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.global.is_none() && self.per_feed.is_empty()
    }

    /// Whether a story's feeds must be looked up to route it.
    pub fn by_feed(&self) -> bool {
        !self.per_feed.is_empty()
    }

    /// Every distinct target.
    pub fn targets(&self) -> Vec<&WebhookConfig> {
        let mut all: Vec<&WebhookConfig> = Vec::new();
        for t in self.global.iter().chain(self.per_feed.values()) {
            if !all.contains(&t) {
                all.push(t);
            }
        }
        all
    }

    /// The targets of a story seen in `feeds` (their configured URLs),
    /// each once. A feed no longer configured goes to the global target.
    pub fn for_story(&self, feeds: &[String]) -> Vec<&WebhookConfig> {
        let mut out: Vec<&WebhookConfig> = Vec::new();
        let chosen = feeds
            .iter()
            .filter_map(|f| self.per_feed.get(f).or(self.global.as_ref()));
        let chosen: Vec<&WebhookConfig> = if feeds.is_empty() {
            self.global.iter().collect()
        } else {
            chosen.collect()
        };
        for t in chosen {
            if !out.contains(&t) {
                out.push(t);
            }
        }
        out
    }
}

/// What an answer to a delivery means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Delivered,
    /// Worth another attempt: the receiver is busy, restarting or failing
    /// (5xx, 408, 429), or did not answer in time.
    Retry,
    /// Trying again would get the same answer (other 4xx; a 3xx, since
    /// deliveries follow no redirects).
    Refused,
}

impl Answer {
    pub fn of_status(status: u16) -> Answer {
        match status {
            200..=299 => Answer::Delivered,
            408 | 429 | 500..=599 => Answer::Retry,
            _ => Answer::Refused,
        }
    }
}

/// The wait before the first retry; each later one doubles.
pub const FIRST_RETRY_WAIT: Duration = Duration::from_secs(1);

/// No wait is longer, whatever the attempt or a `Retry-After` asks.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

/// The wait before retry number `retry` (1 for the first), or what the
/// receiver's `Retry-After` asked when that is longer, within
/// [`MAX_RETRY_WAIT`].
pub fn retry_wait(retry: u32, retry_after: Option<Duration>) -> Duration {
    let doubled = FIRST_RETRY_WAIT.saturating_mul(1u32 << retry.saturating_sub(1).min(16));
    doubled
        .max(retry_after.unwrap_or(Duration::ZERO))
        .min(MAX_RETRY_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn config(src: &str) -> Config {
        Config::parse(Path::new("feeds.toml"), src).expect("valid config")
    }

    #[test]
    fn a_feed_with_its_own_webhook_uses_it_and_the_others_the_global_one() {
        let routes = Routes::of(&config(
            r#"
[webhook]
url = "http://127.0.0.1:9000/all"
[[feed]]
url = "https://a.example/feed"
[[feed]]
url = "https://b.example/feed"
[feed.webhook]
url = "http://127.0.0.1:9000/b"
"#,
        ));
        let urls = |feeds: &[&str]| -> Vec<String> {
            let feeds: Vec<String> = feeds.iter().map(|f| f.to_string()).collect();
            routes
                .for_story(&feeds)
                .iter()
                .map(|t| t.url.path().to_string())
                .collect()
        };
        assert_eq!(urls(&["https://a.example/feed"]), ["/all"]);
        assert_eq!(urls(&["https://b.example/feed"]), ["/b"]);
        assert_eq!(
            urls(&["https://b.example/feed", "https://a.example/feed"]),
            ["/b", "/all"]
        );
        assert_eq!(urls(&["https://gone.example/feed"]), ["/all"]);
        assert_eq!(urls(&[]), ["/all"]);
        assert_eq!(routes.targets().len(), 2);
        assert!(routes.by_feed() && !routes.is_empty());
    }

    #[test]
    fn without_a_global_webhook_only_feeds_with_their_own_are_announced() {
        let routes = Routes::of(&config(
            "[[feed]]\nurl = \"https://a.example/feed\"\n[feed.webhook]\nurl = \"http://127.0.0.1:1/a\"\n\
             [[feed]]\nurl = \"https://b.example/feed\"\n",
        ));
        assert_eq!(
            routes.for_story(&["https://b.example/feed".into()]).len(),
            0
        );
        assert_eq!(
            routes.for_story(&["https://a.example/feed".into()]).len(),
            1
        );
        assert!(Routes::of(&config("")).is_empty());
    }

    #[test]
    fn answers_and_waits() {
        assert_eq!(Answer::of_status(204), Answer::Delivered);
        assert_eq!(Answer::of_status(503), Answer::Retry);
        assert_eq!(Answer::of_status(429), Answer::Retry);
        assert_eq!(Answer::of_status(404), Answer::Refused);
        assert_eq!(Answer::of_status(301), Answer::Refused);
        let s = Duration::from_secs;
        assert_eq!(
            (1..=5).map(|r| retry_wait(r, None)).collect::<Vec<_>>(),
            [s(1), s(2), s(4), s(8), s(16)]
        );
        assert_eq!(retry_wait(20, None), MAX_RETRY_WAIT);
        assert_eq!(retry_wait(1, Some(s(30))), s(30));
        assert_eq!(retry_wait(1, Some(s(3600))), MAX_RETRY_WAIT);
    }
}
