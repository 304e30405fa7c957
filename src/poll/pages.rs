//! Article pages: fetched and extracted off the async workers, and
//! remembered for a while so that polls running at once share them.
//!
//! The same page often arrives through several feeds in one round (a
//! section feed and the front-page feed; a newsletter link with tracking
//! junk). Polls run concurrently, so none of them finds the page in the
//! database yet; without this memo each would fetch it. The first caller
//! fetches, the others wait for its result, and the writer folds their
//! sightings into one article.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::OnceCell;
use tokio::time::Instant;
use url::Url;

use crate::encoding::{self, DocumentKind};
use crate::extract::{self, Extracted, PageContext, SiteRules};
use crate::fetch::{FetchError, FetchOutcome, Fetcher, Resource};
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
}

impl PageMemo {
    pub fn new() -> PageMemo {
        PageMemo::default()
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

/// Fetches and extracts one article page.
pub async fn fetch_page(
    fetcher: Arc<Fetcher>,
    link: Url,
    allow_private: bool,
    rules: Option<SiteRules>,
) -> PageResult {
    let started = std::time::Instant::now();
    let fetched = fetcher
        .fetch(&link, Resource::Page { allow_private }, None)
        .await;
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
