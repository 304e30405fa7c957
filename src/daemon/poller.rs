//! One poll of one feed, end to end: fetch the feed, parse it, find the new
//! entries, fetch and extract their pages, and hand the writer one
//! [`FeedPoll`] that commits it all at once.
//!
//! Nothing here writes to the database directly, and nothing is committed
//! before the whole poll is known: the feed's validators travel in the same
//! [`FeedPoll`] as the articles they cover.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use tokio::sync::watch;
use url::Url;

use super::metrics::{ErrorKind, METRICS, Target};
use super::pages::{PageError, PageMemo, PageOk, PageResult};
use super::schedule;
use crate::config::{FeedConfig, FullText};
use crate::dedup::canonical;
use crate::encoding::{self, DocumentKind};
use crate::extract::{self, ExtractStatus, PageContext, SiteRules};
use crate::feed::{self, FeedEntry, ParsedFeed};
use crate::fetch::{FetchError, FetchOutcome, Fetcher, Resource};
use crate::store::read::{self, EntryStatus};
use crate::store::writer::{
    Applied, ArticleRecord, EntrySource, EntryWrite, FeedPoll, PollOutcome, Validators,
    WriterHandle,
};
use crate::store::{ReadPool, StoreError};

/// `full_text = "auto"` fetches the page when the feed's own content is
/// shorter than this: news feeds carry either a teaser (a sentence or two,
/// rarely past 80 words) or the whole article (hundreds of words).
pub const FEED_CONTENT_MIN_WORDS: usize = 150;

/// Pages of one feed fetched at the same time. Per-host politeness still
/// applies; this only bounds the memory one poll holds.
const PAGES_IN_FLIGHT: usize = 8;

/// Waits before retrying a page that failed, by attempt. Transient errors
/// (5xx, timeouts) retry sooner; a 404 may be a page published after its
/// feed entry, so it gets a few patient retries before it is given up.
const TRANSIENT_RETRY_WAITS: [Duration; 4] = [
    Duration::from_secs(15 * 60),
    Duration::from_secs(3600),
    Duration::from_secs(6 * 3600),
    Duration::from_secs(24 * 3600),
];
const MISSING_PAGE_RETRY_WAITS: [Duration; 3] = [
    Duration::from_secs(3600),
    Duration::from_secs(6 * 3600),
    Duration::from_secs(24 * 3600),
];

/// What a poll task needs; shared by every poll.
#[derive(Clone)]
pub struct PollContext {
    pub fetcher: Arc<Fetcher>,
    pub reader: ReadPool,
    pub writer: WriterHandle,
    pub allow_private_networks: bool,
    /// Pages fetched lately, so one page listed by several feeds at once is
    /// fetched once.
    pub pages: Arc<PageMemo>,
    /// Turns true when the daemon is shutting down: stop fetching pages,
    /// commit what is complete.
    pub shutdown: watch::Receiver<bool>,
}

/// A feed to poll, as the scheduler knows it.
#[derive(Debug, Clone)]
pub struct FeedTarget {
    pub id: i64,
    pub config: FeedConfig,
    /// The feed's own `interval`, else `[settings].poll_interval`.
    pub interval: Duration,
    /// The feed has its own `interval`: it is used as is. Otherwise the
    /// interval adapts to how often the feed publishes.
    pub fixed_interval: bool,
}

/// How a poll went, for logs and summaries.
#[derive(Debug, Clone, Default)]
pub struct PollReport {
    pub feed_id: i64,
    pub url: String,
    pub error: Option<String>,
    pub not_modified: bool,
    /// The feed answered 410 Gone and is no longer polled on schedule.
    pub muted: bool,
    /// Shutdown came before the feed answered: nothing was stored.
    pub abandoned: bool,
    pub applied: Applied,
    pub next_poll_at: Option<DateTime<Utc>>,
}

impl PollReport {
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }
}

/// Polls one feed and commits the result. Never panics on bad input: every
/// failure ends up in the report and in `feeds.last_error`.
pub async fn poll_feed(ctx: &PollContext, target: &FeedTarget) -> PollReport {
    let report = poll_and_store(ctx, target).await;
    METRICS.poll(&report);
    report
}

async fn poll_and_store(ctx: &PollContext, target: &FeedTarget) -> PollReport {
    let mut report = PollReport {
        feed_id: target.id,
        url: target.config.url.to_string(),
        ..PollReport::default()
    };
    let mut shutdown = ctx.shutdown.clone();
    let _slot = tokio::select! {
        slot = ctx.writer.begin_poll() => slot,
        _ = shutdown.wait_for(|stop| *stop) => {
            report.error = Some("not polled: shutting down".into());
            return report;
        }
    };
    let poll = match build_poll(ctx, target).await {
        Ok(Some(poll)) => poll,
        Ok(None) => {
            report.abandoned = true;
            report.error = Some("abandoned at shutdown".into());
            tracing::info!(feed = %target.config.url, "poll abandoned at shutdown; redone next start");
            return report;
        }
        Err(e) => {
            report.error = Some(e.to_string());
            METRICS.error(Target::Feed, ErrorKind::Store);
            tracing::error!(feed = %target.config.url, error = %e, "poll failed before it could be stored");
            return report;
        }
    };
    report.next_poll_at = Some(poll.next_poll_at);
    match &poll.outcome {
        PollOutcome::Failed { error } => report.error = Some(error.clone()),
        PollOutcome::Gone { error } => {
            report.error = Some(error.clone());
            report.muted = true;
        }
        PollOutcome::NotModified => report.not_modified = true,
        PollOutcome::Fetched { .. } => {}
    }
    match ctx.writer.apply(poll).await {
        Ok(applied) => report.applied = applied,
        Err(e) => report.error = Some(format!("not stored: {e}")),
    }
    match &report.error {
        Some(error) => tracing::warn!(feed = %target.config.url, %error, "feed poll failed"),
        None => tracing::info!(
            feed = %target.config.url,
            new = report.applied.new_articles,
            duplicates = report.applied.duplicates,
            sightings = report.applied.new_sources,
            not_modified = report.not_modified,
            "feed polled"
        ),
    }
    report
}

/// The poll to commit; `None` when shutdown came before the feed answered.
async fn build_poll(
    ctx: &PollContext,
    target: &FeedTarget,
) -> Result<Option<FeedPoll>, StoreError> {
    let feed_id = target.id;
    let state = ctx.reader.with(|c| read::feed_state(c, feed_id))?;
    let fetch_url = state
        .fetch_url
        .clone()
        .unwrap_or_else(|| target.config.url.clone());
    let validators = (state.validators != Validators::default()).then_some(&state.validators);
    // The interval until this poll says otherwise: configured, or what the
    // feed's publishing rate set last time.
    let (known_interval, known_adapted) = match (target.fixed_interval, state.interval) {
        (false, Some(adapted)) => (adapted, true),
        _ => (target.interval, false),
    };
    let polled_at = Utc::now();
    let started = std::time::Instant::now();
    let mut shutdown = ctx.shutdown.clone();
    // A feed that is slow to answer must not hold up shutdown: nothing of
    // this poll exists yet, so there is nothing to commit.
    let outcome = tokio::select! {
        outcome = ctx.fetcher.fetch_feed(&fetch_url, &target.config, validators) => outcome,
        Ok(_) = shutdown.wait_for(|stop| *stop) => return Ok(None),
    };
    METRICS.fetched(Target::Feed, started.elapsed());

    let poll =
        |outcome: PollOutcome, next_poll_at, (interval, interval_adapted), moved_to, entries| {
            FeedPoll {
                feed_id,
                polled_at,
                next_poll_at,
                interval,
                interval_adapted,
                outcome,
                moved_to,
                entries,
            }
        };
    let failed = |error: FetchOrParse| {
        METRICS.error(Target::Feed, error.kind());
        // From now, not from the poll's start: `Retry-After` counts from
        // the response, and an HTTP date in it must not be undercut.
        let next = schedule::after_failure(
            Utc::now(),
            known_interval,
            state.error_count + 1,
            error.retry_after(),
        );
        let outcome = match error.status() {
            Some(410) => PollOutcome::Gone {
                error: error.to_string(),
            },
            _ => PollOutcome::Failed {
                error: error.to_string(),
            },
        };
        poll(
            outcome,
            next,
            (known_interval, known_adapted),
            None,
            Vec::new(),
        )
    };
    let moved_to = match &outcome {
        Ok(FetchOutcome::Fetched(f)) => f.moved_to.as_ref(),
        Ok(FetchOutcome::NotModified { moved_to, .. }) => moved_to.as_ref(),
        Err(_) => None,
    };
    if let Some(to) = moved_to {
        // Once: from the next poll on, the new URL is fetched directly.
        tracing::info!(feed = %target.config.url, %to, "feed moved permanently; polling the new URL from now on (feeds.toml is left as written)");
    }
    let fetched = match outcome {
        Err(e) => return Ok(Some(failed(FetchOrParse::Fetch(e)))),
        Ok(FetchOutcome::NotModified {
            moved_to,
            fresh_for,
            remote_ip,
        }) => {
            let pages = PageFetch::new(ctx, target, remote_ip);
            let entries = pages.retry_pending(ctx, polled_at).await?;
            // A 304 carries no document: the feed's own bound is the one
            // its last full response gave.
            let next = schedule::after_success(
                polled_at,
                known_interval,
                &[state.min_interval, fresh_for],
            );
            return Ok(Some(poll(
                PollOutcome::NotModified,
                next,
                (known_interval, known_adapted),
                moved_to,
                entries,
            )));
        }
        Ok(FetchOutcome::Fetched(f)) => f,
    };

    let parsed = parse_off_thread(
        fetched.body.clone(),
        fetched.content_type.clone(),
        fetched.final_url.clone(),
    );
    let parsed = match parsed.await {
        Ok(p) => p,
        // Validators of a response we could not parse are never kept: the
        // next poll must fetch the document whole.
        Err(e) => return Ok(Some(failed(FetchOrParse::Parse(e)))),
    };

    let pages = PageFetch::new(ctx, target, fetched.remote_ip);
    let (mut entries, complete) = pages.process_entries(ctx, &parsed.entries).await?;
    if complete {
        entries.extend(pages.retry_pending(ctx, polled_at).await?);
    }
    let mut warnings = parsed.warnings.clone();
    if !parsed.recovered.is_empty() {
        warnings.push(format!("repaired: {}", parsed.recovered.join("; ")));
    }
    let adapted = if target.fixed_interval {
        None
    } else {
        schedule::adaptive_interval(
            parsed
                .entries
                .iter()
                .filter_map(|e| e.published.or(e.updated)),
        )
    };
    let (interval, interval_adapted) = match adapted {
        Some(a) => (a, true),
        None => (known_interval, known_adapted),
    };
    // Keep validators only for a clean, completely processed document.
    let keep_validators = parsed.is_clean() && complete;
    let next = schedule::after_success(
        polled_at,
        interval,
        &[parsed.min_interval, fetched.fresh_for],
    );
    let outcome = PollOutcome::Fetched {
        validators: keep_validators.then(|| fetched.validators.clone()),
        title: parsed.title.clone(),
        site_url: parsed.site_url.clone(),
        min_interval: parsed.min_interval,
        warning: (!warnings.is_empty()).then(|| warnings.join("; ")),
        unreadable_items: parsed.entries.is_empty() && parsed.items_in_document > 0,
    };
    Ok(Some(poll(
        outcome,
        next,
        (interval, interval_adapted),
        fetched.moved_to.clone(),
        entries,
    )))
}

/// Why a poll failed: the request, or the document it returned.
enum FetchOrParse {
    Fetch(FetchError),
    Parse(String),
}

impl FetchOrParse {
    fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchOrParse::Fetch(e) => e.retry_after(),
            FetchOrParse::Parse(_) => None,
        }
    }

    fn status(&self) -> Option<u16> {
        match self {
            FetchOrParse::Fetch(e) => e.status(),
            FetchOrParse::Parse(_) => None,
        }
    }

    fn kind(&self) -> ErrorKind {
        match self {
            FetchOrParse::Fetch(e) => ErrorKind::of(e),
            FetchOrParse::Parse(_) => ErrorKind::Parse,
        }
    }
}

impl std::fmt::Display for FetchOrParse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchOrParse::Fetch(e) => e.fmt(f),
            FetchOrParse::Parse(e) => write!(f, "cannot parse the feed: {e}"),
        }
    }
}

/// feed-rs is synchronous and has panicked on odd input: run it on the
/// blocking pool so a slow parse never stalls the scheduler, and treat a
/// panic that escapes `feed::parse` as a parse error.
async fn parse_off_thread(
    body: bytes::Bytes,
    content_type: Option<String>,
    base: Url,
) -> Result<ParsedFeed, String> {
    let task = tokio::task::spawn_blocking(move || {
        feed::parse(&body, content_type.as_deref(), Some(&base))
    });
    match task.await {
        Ok(Ok(parsed)) => Ok(parsed),
        Ok(Err(e)) => Err(e.to_string()),
        Err(e) => Err(format!("parser crashed: {e}")),
    }
}

/// Page fetching and extraction for one feed's entries.
struct PageFetch<'a> {
    target: &'a FeedTarget,
    allow_private: bool,
}

impl<'a> PageFetch<'a> {
    fn new(ctx: &PollContext, target: &'a FeedTarget, feed_ip: Option<IpAddr>) -> PageFetch<'a> {
        // Pages may reach private addresses only if the feed itself is on
        // one (a feed on the LAN links to the LAN) or the user allows it.
        let feed_is_private =
            feed_ip.is_some_and(|ip| !ctx.fetcher.settings().policy.is_public(ip));
        PageFetch {
            target,
            allow_private: ctx.allow_private_networks || feed_is_private,
        }
    }

    /// Decides and performs the work for each entry, in document order.
    /// Returns the writes and whether every entry was processed (false
    /// when shutdown interrupted the poll).
    async fn process_entries(
        &self,
        ctx: &PollContext,
        entries: &[FeedEntry],
    ) -> Result<(Vec<EntryWrite>, bool), StoreError> {
        let mut work = Vec::new();
        for entry in entries {
            let status = ctx
                .reader
                .with(|c| read::entry_status(c, self.target.id, &entry.key))?;
            match status {
                EntryStatus::New => work.push((entry.clone(), 0)),
                // Updated upstream since we stored it: refresh.
                EntryStatus::Stored {
                    entry_updated_at: Some(seen),
                    ..
                } if entry.updated.is_some_and(|u| u > seen) => work.push((entry.clone(), 0)),
                EntryStatus::Stored { .. } | EntryStatus::Pending { .. } => {}
            }
        }
        tracing::debug!(feed = %self.target.config.url, entries = entries.len(), new = work.len(), "entries diffed");
        self.run(ctx, work).await
    }

    /// Retries entries whose page failed earlier and is due again.
    async fn retry_pending(
        &self,
        ctx: &PollContext,
        now: DateTime<Utc>,
    ) -> Result<Vec<EntryWrite>, StoreError> {
        let due = ctx
            .reader
            .with(|c| read::due_pending(c, self.target.id, now))?;
        let work = due
            .into_iter()
            .filter_map(|p| match serde_json::from_str::<FeedEntry>(&p.entry_json) {
                Ok(entry) => Some((entry, p.attempts)),
                Err(e) => {
                    tracing::warn!(entry = %p.entry_id, error = %e, "unreadable pending entry skipped");
                    None
                }
            })
            .collect();
        Ok(self.run(ctx, work).await?.0)
    }

    async fn run(
        &self,
        ctx: &PollContext,
        work: Vec<(FeedEntry, u32)>,
    ) -> Result<(Vec<EntryWrite>, bool), StoreError> {
        let total = work.len();
        let mut shutdown = ctx.shutdown.clone();
        let stopped = async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        };
        let results: Vec<Result<Vec<EntryWrite>, StoreError>> = futures_util::stream::iter(work)
            .map(|(entry, attempts)| self.process_entry(ctx, entry, attempts))
            .buffered(PAGES_IN_FLIGHT)
            .take_until(stopped)
            .collect()
            .await;
        let complete = results.len() == total;
        let mut writes = Vec::new();
        for r in results {
            writes.extend(r?);
        }
        Ok((writes, complete))
    }

    async fn process_entry(
        &self,
        ctx: &PollContext,
        entry: FeedEntry,
        attempts: u32,
    ) -> Result<Vec<EntryWrite>, StoreError> {
        let source = EntrySource {
            entry_id: entry.key.clone(),
            entry_url: entry.link.clone(),
            entry_updated_at: entry.updated,
        };
        let feed_text = entry
            .content_html
            .as_deref()
            .map(extract::fragment_to_text)
            .unwrap_or_default();
        let link = entry.link.as_deref().and_then(|l| Url::parse(l).ok());
        let Some(link) = link.filter(|l| matches!(l.scheme(), "http" | "https")) else {
            // Nothing to fetch: the feed's content is the article, filed
            // under the feed's URL and the entry's key.
            let address = Address::of_entry(&self.target.config.url, &entry.key);
            let article = from_feed(&entry, address, feed_text, "from_feed".into());
            return Ok(vec![EntryWrite::Article { source, article }]);
        };
        let address = Address::of_url(&link);
        if attempts == 0 {
            if let Some(article_id) = ctx
                .reader
                .with(|c| read::article_by_url_key(c, &address.key))?
            {
                return Ok(vec![EntryWrite::Sighting { source, article_id }]);
            }
        }
        let wants_page = match self.target.config.full_text {
            FullText::Always => true,
            FullText::Never => false,
            FullText::Auto => feed_text.split_whitespace().count() < FEED_CONTENT_MIN_WORDS,
        };
        if !wants_page {
            let article = from_feed(&entry, address, feed_text, "from_feed".into());
            return Ok(vec![EntryWrite::Article { source, article }]);
        }

        // Fetch the URL without tracking parameters: they never select
        // content, and requesting them would report us to the trackers.
        let page_url = Url::parse(&address.canonical_url).unwrap_or_else(|_| link.clone());
        let fetch = fetch_page(
            ctx.fetcher.clone(),
            page_url,
            self.allow_private,
            self.target.config.extract.clone(),
        );
        let page = ctx.pages.get_or_fetch(&address.key, fetch).await;
        let PageOk {
            final_url,
            fetched_at,
            extracted,
        } = match page {
            Ok(ok) => ok,
            Err(PageError::Fetch(e)) => {
                return Ok(self.page_failed(entry, source, address, feed_text, attempts, e));
            }
            Err(PageError::Extract(e)) => {
                METRICS.error(Target::Page, ErrorKind::Extract);
                let article = from_feed(&entry, address, feed_text, format!("extract_failed: {e}"));
                return Ok(vec![EntryWrite::Article { source, article }]);
            }
        };
        let address = Address::of_page(&link, &final_url, extracted.canonical_url.as_deref());
        if extracted.status != ExtractStatus::Ok || extracted.text.trim().is_empty() {
            let mut article =
                from_feed(&entry, address, feed_text, extracted.status.as_str().into());
            article.fetched_at = Some(fetched_at);
            return Ok(vec![EntryWrite::Article { source, article }]);
        }
        let article = ArticleRecord {
            url: address.url,
            canonical_url: address.canonical_url,
            url_key: address.key,
            syndicated_from: address.syndicated_from,
            own_address: address.own_address,
            title: entry.title.clone().or(extracted.title),
            byline: extracted.byline.or_else(|| entry.author.clone()),
            // The feed's dates are precise and say when the publisher put it
            // out; the page's may be a bare day taken from its URL.
            published_at: entry.published.or(entry.updated).or(extracted.published),
            fetched_at: Some(fetched_at),
            lang: extracted.lang,
            text: extracted.text,
            extract_status: ExtractStatus::Ok.as_str().into(),
            modified_at: extracted.modified,
            site_name: extracted.site_name,
            description: extracted.description,
            image_url: extracted.image_url,
        };
        Ok(vec![EntryWrite::Article { source, article }])
    }

    /// A page fetch failed. A missing page (404/410) is not a story yet: the
    /// entry waits and is retried a few times. A transient failure stores
    /// the feed's own content now and retries the page later. Anything else
    /// (blocked, robots, too large) stores the feed's content for good.
    fn page_failed(
        &self,
        entry: FeedEntry,
        source: EntrySource,
        address: Address,
        feed_text: String,
        attempts: u32,
        error: FetchError,
    ) -> Vec<EntryWrite> {
        METRICS.error(Target::Page, ErrorKind::of(&error));
        let attempts = attempts + 1;
        let pending = |waits: &[Duration]| EntryWrite::Pending {
            source: source.clone(),
            entry_json: serde_json::to_string(&entry).unwrap_or_default(),
            attempts,
            next_attempt_at: waits
                .get(attempts as usize - 1)
                .map(|w| Utc::now() + schedule::to_chrono(*w)),
            error: error.to_string(),
        };
        tracing::info!(page = %address.url, %error, attempts, "article page not fetched");
        let status = format!("fetch_failed: {error}");
        match error.status() {
            Some(404 | 410) => {
                let mut writes = vec![pending(&MISSING_PAGE_RETRY_WAITS)];
                if attempts as usize > MISSING_PAGE_RETRY_WAITS.len()
                    && !feed_text.trim().is_empty()
                {
                    // Given up on the page; keep what the feed said.
                    let article = from_feed(&entry, address, feed_text, status);
                    writes.insert(
                        0,
                        EntryWrite::Article {
                            source: source.clone(),
                            article,
                        },
                    );
                }
                writes
            }
            _ if error.is_transient() => {
                let article = from_feed(&entry, address, feed_text, status);
                // The article first: storing it clears any pending row, then
                // the retry is recorded.
                vec![
                    EntryWrite::Article {
                        source: source.clone(),
                        article,
                    },
                    pending(&TRANSIENT_RETRY_WAITS),
                ]
            }
            _ => vec![EntryWrite::Article {
                source,
                article: from_feed(&entry, address, feed_text, status),
            }],
        }
    }
}

/// Where an article lives: the URL it came from, its canonical URL and the
/// key pages are compared by (see [`canonical`]).
struct Address {
    url: String,
    canonical_url: String,
    key: String,
    syndicated_from: Option<String>,
    own_address: Option<(String, String)>,
}

impl Address {
    /// An entry link, before (or without) fetching it.
    fn of_url(url: &Url) -> Address {
        let canonical_url = canonical::canonicalize(url);
        Address {
            url: url.to_string(),
            key: canonical::url_key(&canonical_url),
            canonical_url: canonical_url.to_string(),
            syndicated_from: None,
            own_address: None,
        }
    }

    /// A link-less entry: the feed's URL with the entry's key as the
    /// fragment. Canonicalisation drops fragments, so the key is added
    /// back to both; without it every link-less entry of a feed would be
    /// taken for the same page.
    fn of_entry(feed_url: &Url, entry_key: &str) -> Address {
        let feed = Address::of_url(feed_url);
        let mut canonical_url = canonical::canonicalize(feed_url);
        canonical_url.set_fragment(Some(entry_key));
        let mut url = feed_url.clone();
        url.set_fragment(Some(entry_key));
        Address {
            url: url.to_string(),
            key: format!(
                "{}#{}",
                feed.key,
                canonical_url.fragment().unwrap_or_default()
            ),
            canonical_url: canonical_url.to_string(),
            syndicated_from: None,
            own_address: None,
        }
    }

    /// A fetched page: its declared canonical decides, within the rules of
    /// [`canonical::resolve_page_canonical`].
    fn of_page(entry_url: &Url, final_url: &Url, declared: Option<&str>) -> Address {
        let resolved = canonical::resolve_page_canonical(entry_url, final_url, declared);
        let own = Address::of_url(final_url);
        Address {
            url: final_url.to_string(),
            own_address: (own.key != resolved.key).then_some((own.canonical_url, own.key)),
            canonical_url: resolved.url.to_string(),
            key: resolved.key,
            syndicated_from: resolved.syndicated_from.map(|u| canonical::url_key(&u)),
        }
    }
}

/// Fetches and extracts one article page.
async fn fetch_page(
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

fn from_feed(entry: &FeedEntry, address: Address, text: String, status: String) -> ArticleRecord {
    ArticleRecord {
        url: address.url,
        canonical_url: address.canonical_url,
        url_key: address.key,
        syndicated_from: address.syndicated_from,
        own_address: address.own_address,
        title: entry.title.clone(),
        byline: entry.author.clone(),
        published_at: entry.published.or(entry.updated),
        fetched_at: None,
        lang: None,
        text,
        extract_status: status,
        modified_at: None,
        site_name: None,
        description: None,
        image_url: None,
    }
}
