//! robots.txt for article pages, fetched once per site and cached.
//!
//! Feeds are fetched as the user configured them; pages are what a crawler
//! fetches, so they follow the site's robots.txt (RFC 9309): a missing file
//! (4xx) allows everything, an unreachable one (5xx, network error)
//! disallows for now — the entry is retried later rather than fetched
//! against the site's possible wishes.
//!
//! Answers are kept for a day, in memory and, through [`RobotsStore`], in
//! the database, so a restarted daemon or a `poll --all` run from cron does
//! not ask every site again; an expired copy is refreshed with a
//! conditional request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use texting_robots::Robot;
use tokio::sync::OnceCell;
use url::Url;

use super::{FetchError, FetchOutcome, Fetcher};
use crate::model::{StoredRobots, Validators};

/// The product token matched against `User-agent:` lines.
const AGENT: &str = "feedsift";

/// RFC 9309 lets crawlers cache robots.txt for up to 24 hours.
const CACHE_FOR: Duration = Duration::from_secs(24 * 3600);

/// An unreachable robots.txt is asked again after this long.
const RETRY_UNREACHABLE_AFTER: Duration = Duration::from_secs(10 * 60);

/// RFC 9309 requires parsing at least 500 KiB; more is not read.
pub const MAX_ROBOTS_BYTES: u64 = 512 * 1024;

/// Where robots.txt answers outlive the process (the database).
pub trait RobotsStore: Send + Sync {
    fn load(&self, origin: &str) -> Option<StoredRobots>;
    fn save(&self, origin: &str, robots: &StoredRobots);
}

enum Rules {
    AllowAll,
    Parsed(Box<Robot>),
    /// robots.txt could not be read, and why: its site's pages wait.
    Unreachable(FetchError),
}

struct Entry {
    rules: OnceCell<(Rules, DateTime<Utc>)>,
}

#[derive(Default)]
pub struct RobotsCache {
    sites: Mutex<HashMap<String, Arc<Entry>>>,
    store: Option<Arc<dyn RobotsStore>>,
}

impl RobotsCache {
    pub fn new(store: Option<Arc<dyn RobotsStore>>) -> RobotsCache {
        RobotsCache {
            sites: Mutex::default(),
            store,
        }
    }

    /// Whether `url` may be fetched; `Err` with the cause when the site's
    /// robots.txt could not be read. Concurrent callers for one site share
    /// a single robots.txt request.
    pub async fn allowed(
        &self,
        fetcher: &Fetcher,
        url: &Url,
        allow_private: bool,
    ) -> Result<bool, FetchError> {
        let origin = url.origin().ascii_serialization();
        let entry = {
            let mut sites = self.sites.lock().unwrap_or_else(|p| p.into_inner());
            let stale = sites.get(&origin).is_some_and(|e| match e.rules.get() {
                Some((Rules::Unreachable(_), at)) => age(*at) > RETRY_UNREACHABLE_AFTER,
                Some((_, at)) => age(*at) > CACHE_FOR,
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
            .get_or_init(|| self.load(fetcher, &origin, allow_private))
            .await;
        match rules {
            Rules::AllowAll => Ok(true),
            Rules::Parsed(robot) => Ok(robot.allowed(url.as_str())),
            Rules::Unreachable(cause) => Err(cause.clone()),
        }
    }

    async fn load(
        &self,
        fetcher: &Fetcher,
        origin: &str,
        allow_private: bool,
    ) -> (Rules, DateTime<Utc>) {
        let stored = self.store.as_ref().and_then(|s| s.load(origin));
        if let Some(stored) = stored.as_ref().filter(|s| age(s.fetched_at) <= CACHE_FOR) {
            return (rules_from(stored.status, &stored.body), stored.fetched_at);
        }
        let Ok(robots_url) = Url::parse(&format!("{origin}/robots.txt")) else {
            return (Rules::AllowAll, Utc::now());
        };
        let validators = stored.as_ref().map(|s| &s.validators);
        let now = Utc::now();
        let fresh = match fetcher
            .fetch_robots(&robots_url, allow_private, validators)
            .await
        {
            Ok(FetchOutcome::NotModified { .. }) => match stored {
                Some(s) => StoredRobots {
                    fetched_at: now,
                    ..s
                },
                None => return (Rules::AllowAll, now),
            },
            Ok(FetchOutcome::Fetched(f)) => StoredRobots {
                status: 200,
                body: f.body,
                validators: f.validators,
                fetched_at: now,
            },
            Err(FetchError::Status { status, .. }) if (400..500).contains(&status) => {
                StoredRobots {
                    status,
                    body: Bytes::new(),
                    validators: Validators::default(),
                    fetched_at: now,
                }
            }
            // A robots.txt too big to read is treated as absent, as Google
            // does past its own cap.
            Err(FetchError::TooLarge { .. }) => return (Rules::AllowAll, now),
            Err(e) => {
                tracing::info!(url = %robots_url, error = %e, "robots.txt unreachable; not fetching pages from this site for now");
                return (Rules::Unreachable(e), now);
            }
        };
        if let Some(store) = &self.store {
            store.save(origin, &fresh);
        }
        (rules_from(fresh.status, &fresh.body), now)
    }
}

fn rules_from(status: u16, body: &[u8]) -> Rules {
    if !(200..300).contains(&status) {
        return Rules::AllowAll;
    }
    match Robot::new(AGENT, body) {
        Ok(robot) => Rules::Parsed(Box::new(robot)),
        // Unparsable rules are no rules.
        Err(_) => Rules::AllowAll,
    }
}

fn age(at: DateTime<Utc>) -> Duration {
    (Utc::now() - at).to_std().unwrap_or(Duration::ZERO)
}
