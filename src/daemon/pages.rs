//! Article pages fetched lately, shared by every poll task.
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

use crate::extract::Extracted;
use crate::fetch::FetchError;

/// How long a fetched page is reused. Long enough to cover one round of
/// polls, short enough that a memo never stands in for a real re-fetch.
const KEEP_FOR: Duration = Duration::from_secs(600);

/// Memo size that triggers a sweep of expired pages.
const SWEEP_AT: usize = 512;

#[derive(Debug, Clone)]
pub struct PageOk {
    pub final_url: Url,
    pub fetched_at: DateTime<Utc>,
    pub extracted: Extracted,
}

#[derive(Debug, Clone)]
pub enum PageError {
    Fetch(FetchError),
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
