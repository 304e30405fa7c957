//! Article pages: fetched and extracted off the async workers, and
//! remembered for a while so that polls running at once share them.
//!
//! The same page often arrives through several feeds in one round (a
//! section feed and the front-page feed; a newsletter link with tracking
//! junk). Polls run concurrently, so none of them finds the page in the
//! database yet; without this memo each would fetch it. The first caller
//! fetches, the others wait for its result, and the writer folds their
//! sightings into one article.
//!
//! A feed with `[feed.http]` options fetches its pages with them (the
//! credentials only on the feed's own origin, see `fetch::options`), so
//! its pages are memoised under its own key: a page fetched with one
//! feed's credentials is never handed to another feed, nor an anonymous
//! copy to the feed that has them.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::OnceCell;
use tokio::time::Instant;
use url::Url;

use crate::encoding::{self, DocumentKind};
use crate::extract::{self, Extracted, PageContext, SiteRules};
use crate::fetch::{FetchError, FetchOutcome, Fetcher, RequestOptions, Resource};
use crate::metrics::{METRICS, Target};

/// How long a fetched page is reused. Long enough to cover one round of
/// polls, short enough that a memo never stands in for a real re-fetch.
const KEEP_FOR: Duration = Duration::from_secs(600);

/// Memo size that triggers a sweep of expired pages.
const SWEEP_AT: usize = 512;

/// A page fetched and extracted.
#[derive(Debug, Clone)]
pub struct PageOk {
    pub final_url: Url,
    pub fetched_at: DateTime<Utc>,
    pub extracted: Extracted,
}

#[derive(Debug, Clone)]
pub enum PageError {
    Fetch(FetchError),
    /// Extraction crashed (a panic caught on the blocking pool).
    Extract(String),
}

pub type PageResult = Result<PageOk, PageError>;

/// One page's result, filled once by whichever task fetches it first.
type Slot = Arc<OnceCell<PageResult>>;

#[derive(Default)]
pub struct PageMemo {
    pages: Mutex<HashMap<String, (Instant, Slot)>>,
    /// Pages polls decided to fetch, and of those, pages done (fetched,
    /// shared or failed): `poll --all`'s progress.
    planned: AtomicUsize,
    done: AtomicUsize,
}

impl PageMemo {
    pub fn new() -> PageMemo {
        PageMemo::default()
    }

    /// A poll is about to work on `n` pages.
    pub fn planned(&self, n: usize) {
        self.planned.fetch_add(n, Relaxed);
    }

    /// One of the planned pages is done.
    pub fn done(&self) {
        self.done.fetch_add(1, Relaxed);
    }

    /// Pages done and planned so far.
    pub fn progress(&self) -> (usize, usize) {
        (self.done.load(Relaxed), self.planned.load(Relaxed))
    }

    /// The page under `key` (its canonical URL): fetched by `fetch` unless
    /// another task fetched it or is fetching it now.
    pub async fn get_or_fetch(
        &self,
        key: &str,
        fetch: impl Future<Output = PageResult>,
    ) -> PageResult {
        let cell = {
            let mut pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
            if pages.len() >= SWEEP_AT {
                pages.retain(|_, (at, _)| at.elapsed() < KEEP_FOR);
            }
            match pages.get(key) {
                Some((at, cell)) if at.elapsed() < KEEP_FOR => cell.clone(),
                _ => {
                    let cell = Arc::new(OnceCell::new());
                    pages.insert(key.to_string(), (Instant::now(), cell.clone()));
                    cell
                }
            }
        };
        cell.get_or_init(|| fetch).await.clone()
    }
}

/// The memo key of a page: its URL key, or, for a feed with its own
/// request options, the feed's id and the URL key.
pub fn memo_key(url_key: &str, feed_id: i64, options: Option<&RequestOptions>) -> String {
    match options {
        Some(_) => format!("feed {feed_id} {url_key}"),
        None => url_key.to_string(),
    }
}

/// Fetches and extracts one article page, with the feed's request options
/// when it has some.
pub async fn fetch_page(
    fetcher: Arc<Fetcher>,
    link: Url,
    allow_private: bool,
    rules: Option<SiteRules>,
    options: Option<RequestOptions>,
    markdown: bool,
) -> PageResult {
    let started = std::time::Instant::now();
    let resource = Resource::Page { allow_private };
    let fetched = match &options {
        Some(options) => fetcher.fetch_with(&link, resource, None, options).await,
        None => fetcher.fetch(&link, resource, None).await,
    };
    METRICS.fetched(Target::Page, started.elapsed());
    let fetched = match fetched {
        Ok(FetchOutcome::Fetched(f)) => f,
        Ok(FetchOutcome::NotModified { .. }) => {
            return Err(PageError::Fetch(FetchError::Network(
                "page answered 304 to an unconditional request".into(),
            )));
        }
        Err(e) => return Err(PageError::Fetch(e)),
    };
    let fetched_at = Utc::now();
    let final_url = fetched.final_url.clone();
    // Parsing is CPU work measured in milliseconds: keep it off the async
    // workers, and a panic in it costs this page only.
    tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let decoded = encoding::decode(
            &fetched.body,
            fetched.content_type.as_deref(),
            DocumentKind::Html,
        );
        let extracted = extract::extract(
            &decoded.text,
            &PageContext {
                url: Some(&fetched.final_url),
                rules: rules.as_ref(),
                markdown,
            },
        );
        METRICS.extracted(started.elapsed());
        extracted
    })
    .await
    .map(|extracted| PageOk {
        final_url,
        fetched_at,
        extracted,
    })
    .map_err(|e| PageError::Extract(e.to_string()))
}
