//! robots.txt for article pages, fetched once per site and cached.
//!
//! Feeds are fetched as the user configured them; pages are what a crawler
//! fetches, so they follow the site's robots.txt (RFC 9309): a missing file
//! (4xx) allows everything, an unreachable one (5xx, network error)
//! disallows for now — the entry is retried later rather than fetched
//! against the site's possible wishes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use texting_robots::Robot;
use tokio::sync::OnceCell;
use tokio::time::Instant;
use url::Url;

use super::Fetcher;

/// The product token matched against `User-agent:` lines.
const AGENT: &str = "feedsift";

/// RFC 9309 lets crawlers cache robots.txt for up to 24 hours.
const CACHE_FOR: Duration = Duration::from_secs(24 * 3600);

/// An unreachable robots.txt is asked again after this long.
const RETRY_UNREACHABLE_AFTER: Duration = Duration::from_secs(10 * 60);

/// RFC 9309 requires parsing at least 500 KiB; more is not read.
const MAX_ROBOTS_BYTES: u64 = 512 * 1024;

enum Rules {
    AllowAll,
    Parsed(Box<Robot>),
    Unreachable,
}

struct Entry {
    rules: OnceCell<(Rules, Instant)>,
}

#[derive(Default)]
pub struct RobotsCache {
    sites: Mutex<HashMap<String, Arc<Entry>>>,
}

impl RobotsCache {
    pub fn new() -> RobotsCache {
        RobotsCache::default()
    }

    /// Whether `url` may be fetched. Concurrent callers for one site share a
    /// single robots.txt request.
    pub async fn allowed(&self, fetcher: &Fetcher, url: &Url, allow_private: bool) -> bool {
        let origin = url.origin().ascii_serialization();
        let entry = {
            let mut sites = self.sites.lock().unwrap_or_else(|p| p.into_inner());
            let stale = sites.get(&origin).is_some_and(|e| match e.rules.get() {
                Some((Rules::Unreachable, at)) => at.elapsed() > RETRY_UNREACHABLE_AFTER,
                Some((_, at)) => at.elapsed() > CACHE_FOR,
                None => false,
            });
            if stale {
                sites.remove(&origin);
            }
            sites
                .entry(origin.clone())
                .or_insert_with(|| {
                    Arc::new(Entry {
                        rules: OnceCell::new(),
                    })
                })
                .clone()
        };
        let (rules, _) = entry
            .rules
            .get_or_init(|| async {
                let rules = match Url::parse(&format!("{origin}/robots.txt")) {
                    Ok(robots_url) => load(fetcher, &robots_url, allow_private).await,
                    Err(_) => Rules::AllowAll,
                };
                (rules, Instant::now())
            })
            .await;
        match rules {
            Rules::AllowAll => true,
            Rules::Parsed(robot) => robot.allowed(url.as_str()),
            Rules::Unreachable => false,
        }
    }
}

async fn load(fetcher: &Fetcher, robots_url: &Url, allow_private: bool) -> Rules {
    match fetcher
        .fetch_plain(robots_url, allow_private, MAX_ROBOTS_BYTES)
        .await
    {
        Ok((200..=299, body)) => match Robot::new(AGENT, &body) {
            Ok(robot) => Rules::Parsed(Box::new(robot)),
            // Unparsable rules are no rules.
            Err(_) => Rules::AllowAll,
        },
        Ok((400..=499, _)) => Rules::AllowAll,
        Ok((status, _)) => {
            tracing::info!(url = %robots_url, status, "robots.txt unavailable; not fetching pages from this site for now");
            Rules::Unreachable
        }
        // A robots.txt too big to read is treated as absent, as Google does
        // past its own cap; a blocked address means pages are blocked anyway.
        Err(super::FetchError::TooLarge { .. }) => Rules::AllowAll,
        Err(e) => {
            tracing::info!(url = %robots_url, error = %e, "robots.txt unreachable; not fetching pages from this site for now");
            Rules::Unreachable
        }
    }
}
