//! The poll of one feed, end to end: the program's main path.
//!
//! ```text
//! feed state ─▶ fetch ─▶ parse (blocking pool) ─▶ what is known of the entries
//!   (1 read)                                   (1 read, and 1 for the links of new ones)
//!      ─▶ pages: fetch + extract, 8 at a time ─▶ one FeedPoll ─▶ writer (1 commit)
//! ```
//!
//! The decisions are pure and live in [`plan`] (the feed: validators, 304,
//! 410, failures, when to come back), [`entries`] (which entries need
//! work, what each needs, page failures and their retries) and [`screen`]
//! (what the feed's filter drops, before the page or on its text); this
//! module is the I/O between them. Nothing here writes to the database directly, and
//! nothing is committed before the whole poll is known: the feed's
//! validators travel in the same [`FeedPoll`] as the articles they cover.
//!
//! `poll --all` ([`all`]) and the daemon's scheduler both run
//! [`poll_feed`]; they own the [`pipeline::Pipeline`] it runs on.

mod address;
pub mod all;
pub mod entries;
pub mod large;
pub mod pages;
pub mod pipeline;
pub mod plan;
pub mod resume;
pub mod schedule;
pub mod screen;

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use url::Url;

use crate::config::{FeedConfig, Schedule};
use crate::feed::{self, ParsedFeed};
use crate::fetch::{FetchError, FetchOutcome, Fetched, RequestOptions};
use crate::metrics::{ErrorKind, METRICS, Target};
use crate::model::{Applied, EntryBatch, EntryWrite, FeedPoll, Lease, PageClaim, PollResult};
use crate::store::StoreError;
use crate::store::postgres::lease;
use entries::{Job, Next, PageWork, Work};
use pipeline::PollContext;
use plan::{FeedFailure, FeedPlan, Response};

/// Pages of one feed fetched at the same time. Per-host politeness still
/// applies; this only bounds the memory one poll holds.
const PAGES_IN_FLIGHT: usize = 8;

/// A feed to poll, as the scheduler knows it.
#[derive(Debug, Clone)]
pub struct FeedTarget {
    pub id: i64,
    pub config: FeedConfig,
    /// Pinned or adaptive, and its bounds ([`crate::config::Config::schedule_of`]).
    pub schedule: Schedule,
}

/// How a poll went, for logs, metrics, summaries and the scheduler.
#[derive(Debug, Clone)]
pub struct PollReport {
    pub feed_id: i64,
    pub url: String,
    pub result: PollResult,
    pub error: Option<String>,
    pub applied: Applied,
    pub next_poll_at: Option<DateTime<Utc>>,
    /// The database did not take the poll (full disk, locked past the
    /// busy timeout): feedsift's failure, not the feed's.
    pub store_failed: bool,
}

impl PollReport {
    pub fn ok(&self) -> bool {
        self.result.is_ok()
    }
}

/// Polls one feed and commits the result. Never panics on bad input: every
/// failure ends up in the report and in `feeds.last_error`.
pub async fn poll_feed(ctx: &PollContext, target: &FeedTarget) -> PollReport {
    let report = poll_and_store(ctx, target).await;
    METRICS.poll(report.result, &report.applied);
    report
}

async fn poll_and_store(ctx: &PollContext, target: &FeedTarget) -> PollReport {
    let report = |result, error: Option<&str>| PollReport {
        feed_id: target.id,
        url: target.config.url.to_string(),
        result,
        error: error.map(str::to_string),
        applied: Applied::default(),
        next_poll_at: None,
        store_failed: false,
    };
    let mut shutdown = ctx.shutdown.clone();
    let _slot = tokio::select! {
        slot = ctx.writer.begin_poll() => slot,
        _ = shutdown.wait_for(|stop| *stop) => {
            return report(PollResult::Failed, Some("not polled: shutting down"));
        }
    };
    match ctx.reader.lease(target.id, ctx.any_time, Utc::now()) {
        Ok(Lease::Granted) => {}
        Ok(Lease::Held { retry_at }) => {
            tracing::debug!(feed = %target.config.url, %retry_at, "another node has this feed now");
            let mut elsewhere = report(PollResult::Elsewhere, None);
            elsewhere.next_poll_at = Some(retry_at);
            return elsewhere;
        }
        Err(e) => {
            METRICS.error(Target::Feed, ErrorKind::Store);
            tracing::error!(feed = %target.config.url, error = %e, "cannot take the feed's lease");
            return report(PollResult::Failed, Some(&e.to_string()));
        }
    }
    let _renewal = LeaseRenewal::start(ctx, target);
    let (poll, ahead) = match build_poll(ctx, target).await {
        Ok(Some(built)) => built,
        Ok(None) => {
            tracing::info!(feed = %target.config.url, "poll abandoned at shutdown; redone next start");
            return report(PollResult::Abandoned, Some("abandoned at shutdown"));
        }
        Err(e) => {
            METRICS.error(Target::Feed, ErrorKind::Store);
            tracing::error!(feed = %target.config.url, error = %e, "poll failed: the database did not take it; redone soon");
            let mut failed = report(PollResult::Failed, Some(&format!("not stored: {e}")));
            failed.next_poll_at = Some(resume::after_store_failure(Utc::now()));
            failed.store_failed = true;
            return failed;
        }
    };
    let mut done = report(PollResult::of(&poll.outcome), poll.outcome.error());
    done.applied = ahead;
    done.next_poll_at = Some(poll.next_poll_at);
    match ctx.writer.apply(poll).await {
        Ok(applied) => {
            done.applied += applied;
            done.next_poll_at = applied.next_poll_at.or(done.next_poll_at);
        }
        Err(e) => {
            METRICS.error(Target::Feed, ErrorKind::Store);
            done.result = done.result.unstored();
            done.error = Some(format!("not stored: {e}"));
            // Not stored, so not planned: the feed's row still says when
            // it was due; redo it soon rather than at its interval.
            done.next_poll_at = Some(resume::after_store_failure(Utc::now()));
            done.store_failed = true;
        }
    }
    match &done.error {
        Some(error) => tracing::warn!(feed = %target.config.url, %error, "feed poll failed"),
        None => tracing::info!(
            feed = %target.config.url,
            new = done.applied.new_articles,
            duplicates = done.applied.duplicates,
            sightings = done.applied.new_sources,
            filtered = done.applied.filtered,
            not_modified = done.result == PollResult::NotModified,
            "feed polled"
        ),
    }
    done
}

impl Pages<'_> {
    /// On a database shared by several nodes: when another node is
    /// fetching this page now (the same page listed in feeds two nodes
    /// poll), waits for it to be stored and returns its id, rather than
    /// fetching it again; `None` when this node should fetch it (claimed,
    /// or the other node's claim ran out, or shutdown).
    async fn stored_by_another_node(&self, key: &str) -> Option<i64> {
        let reader = &self.ctx.reader;
        if !reader.shares_database() {
            return None;
        }
        let mut shutdown = self.ctx.shutdown.clone();
        loop {
            match reader.claim_page(key) {
                Ok(PageClaim::Fetch) | Err(_) => return None,
                Ok(PageClaim::Stored(id)) => return Some(id),
                Ok(PageClaim::Wait) => {}
            }
            tokio::select! {
                _ = tokio::time::sleep(CLAIM_RECHECK) => {}
                _ = shutdown.wait_for(|stop| *stop) => return None,
            }
        }
    }
}

/// How often a poll waiting for a page another node fetches looks whether
/// it is stored: a page takes a fraction of a second to a few seconds.
const CLAIM_RECHECK: Duration = Duration::from_millis(500);

/// Keeps a running poll's lease alive on a shared database (see
/// [`crate::store::postgres::lease`]); stops when dropped.
struct LeaseRenewal(Option<tokio::task::JoinHandle<()>>);

impl LeaseRenewal {
    fn start(ctx: &PollContext, target: &FeedTarget) -> LeaseRenewal {
        if !ctx.reader.shares_database() {
            return LeaseRenewal(None);
        }
        let (reader, id, url) = (ctx.reader.clone(), target.id, target.config.url.clone());
        LeaseRenewal(Some(tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease::RENEW_EVERY).await;
                let reader = reader.clone();
                match tokio::task::spawn_blocking(move || reader.renew_lease(id)).await {
                    Ok(Ok(true)) => {}
                    Ok(Ok(false)) => {
                        tracing::warn!(feed = %url, "lease lost (expired and taken over): another node may poll this feed too");
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(feed = %url, error = %e, "cannot renew the feed's lease")
                    }
                    Err(_) => return,
                }
            }
        })))
    }
}

impl Drop for LeaseRenewal {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}

/// The poll to commit, and what parts of it were committed already;
/// `None` when shutdown came before the feed answered.
async fn build_poll(
    ctx: &PollContext,
    target: &FeedTarget,
) -> Result<Option<(FeedPoll, Applied)>, StoreError> {
    let state = ctx.reader.feed_state(target.id)?;
    let plan = FeedPlan::new(target, &state, Utc::now());
    let Some(outcome) = fetch_feed(ctx, target, &plan).await else {
        return Ok(None);
    };
    let poll = match outcome {
        Err(e) => (failed(&plan, FeedFailure::Fetch(e)), Applied::default()),
        Ok(FetchOutcome::NotModified { .. }) if !plan.sent_validators() => {
            let failure = FeedFailure::UnaskedNotModified;
            (failed(&plan, failure), Applied::default())
        }
        Ok(FetchOutcome::NotModified {
            moved_to,
            fresh_for,
            remote_ip,
        }) => {
            let due = ctx.reader.due_pending(target.id, plan.polled_at())?;
            let pages = Pages::new(ctx, target, &plan, remote_ip);
            // Retries shutdown cuts short stay pending, and due.
            let ran = pages.run(entries::retries(due)).await?;
            let poll = plan.not_modified(fresh_for, moved_to, ran.writes);
            (poll, ran.applied)
        }
        Ok(FetchOutcome::Fetched(fetched)) => document(ctx, target, &plan, fetched).await?,
    };
    Ok(Some(poll))
}

/// The feed's response; `None` when shutdown came first. A feed that is
/// slow to answer must not hold up shutdown: nothing of this poll exists
/// yet, so there is nothing to commit.
async fn fetch_feed(
    ctx: &PollContext,
    target: &FeedTarget,
    plan: &FeedPlan,
) -> Option<Result<FetchOutcome, FetchError>> {
    let (url, validators) = plan.request();
    let started = Instant::now();
    let mut shutdown = ctx.shutdown.clone();
    let outcome = tokio::select! {
        outcome = ctx.fetcher.fetch_feed(url, &target.config, validators) => outcome,
        Ok(_) = shutdown.wait_for(|stop| *stop) => return None,
    };
    METRICS.fetched(Target::Feed, started.elapsed());
    let moved_to = match &outcome {
        Ok(FetchOutcome::Fetched(f)) => f.moved_to.as_ref(),
        Ok(FetchOutcome::NotModified { moved_to, .. }) => moved_to.as_ref(),
        Err(_) => None,
    };
    if let Some(to) = moved_to {
        // Once: from the next poll on, the new URL is fetched directly.
        tracing::info!(feed = %target.config.url, %to, "feed moved permanently; polling the new URL from now on (feeds.toml is left as written)");
    }
    Some(outcome)
}

fn failed(plan: &FeedPlan, failure: FeedFailure) -> FeedPoll {
    let kind = match &failure {
        FeedFailure::Fetch(e) => ErrorKind::of(e),
        FeedFailure::Parse(_) => ErrorKind::Parse,
        FeedFailure::UnaskedNotModified => ErrorKind::HttpOther,
    };
    METRICS.error(Target::Feed, kind);
    // From now, not from the poll's start: `Retry-After` counts from the
    // response, and an HTTP date in it must not be undercut.
    plan.failed(&failure, Utc::now())
}

/// A fetched document: parse it, find what is new, fetch those pages.
async fn document(
    ctx: &PollContext,
    target: &FeedTarget,
    plan: &FeedPlan,
    fetched: Fetched,
) -> Result<(FeedPoll, Applied), StoreError> {
    let (parsed, jobs, deferred) = match diffed(ctx, target, &fetched).await? {
        Ok(diffed) => diffed,
        // Validators of a response we could not parse are never kept: the
        // next poll must fetch the document whole.
        Err(e) => return Ok((failed(plan, FeedFailure::Parse(e)), Applied::default())),
    };
    if deferred > 0 {
        tracing::info!(feed = %target.config.url, taken = jobs.len(), deferred, "more new entries than max_entries_per_poll: the newest now, the rest on the next polls");
    }
    let due = ctx.reader.due_pending(target.id, plan.polled_at())?;
    let pages = Pages::new(ctx, target, plan, fetched.remote_ip);
    let mut ran = pages.run(jobs).await?;
    // Validators cover the document only when all of its new entries
    // were taken and done.
    let complete = ran.complete() && deferred == 0;
    if ran.complete() {
        ran.extend(pages.run(entries::retries(due)).await?);
    }
    let Ran {
        mut writes,
        applied,
        left,
    } = ran;
    writes.extend(resume::cut_short(left, Utc::now()));
    let response = Response {
        validators: fetched.validators,
        fresh_for: fetched.fresh_for,
        moved_to: fetched.moved_to,
    };
    let mut poll = plan.fetched(response, &parsed, complete, writes);
    if deferred > 0 {
        let soon = plan.polled_at() + schedule::to_chrono(resume::DEFERRED_REPOLL);
        poll.next_poll_at = poll.next_poll_at.min(soon);
    }
    Ok((poll, applied))
}

/// The document parsed, and the newest of its entries that need work
/// (at most `max_entries_per_poll`) with how many more were left for the
/// next polls. A large document is parsed and diffed in batches
/// ([`large`]); the outer error is the database's, the inner the
/// document's.
async fn diffed(
    ctx: &PollContext,
    target: &FeedTarget,
    fetched: &Fetched,
) -> Result<Result<(ParsedFeed, Vec<Job>, usize), String>, StoreError> {
    let cap = ctx.max_entries_per_poll;
    let (body, content_type, base) = (
        fetched.body.clone(),
        fetched.content_type.clone(),
        fetched.final_url.clone(),
    );
    if body.len() > large::LARGE_FEED_BYTES {
        let reader = ctx.reader.clone();
        let taken = large::parse_and_diff(body, content_type, base, reader, target.id, cap).await?;
        return Ok(taken.map(|t| (t.parsed, t.jobs, t.deferred)));
    }
    let parsed = match parse_off_thread(body, content_type, base).await {
        Ok(parsed) => parsed,
        Err(e) => return Ok(Err(e)),
    };
    let keys: Vec<&str> = parsed.entries.iter().map(|e| e.key.as_str()).collect();
    let statuses = ctx.reader.entry_statuses(target.id, &keys)?;
    let jobs = entries::to_work_on(&parsed.entries, &statuses);
    tracing::debug!(feed = %target.config.url, entries = parsed.entries.len(), new = jobs.len(), "entries diffed");
    let (jobs, deferred) = entries::newest_first(jobs, cap);
    Ok(Ok((parsed, jobs, deferred)))
}

/// Parsing is synchronous and linear in the document (a 10 MB feed takes
/// tens of milliseconds): run it on the blocking pool so a slow parse never
/// stalls the scheduler, and treat a panic that escapes `feed::parse` as a
/// parse error rather than a dead poll.
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

/// The work on one feed's entries: pages looked up, fetched and extracted.
struct Pages<'a> {
    ctx: &'a PollContext,
    target: &'a FeedTarget,
    polled_at: DateTime<Utc>,
    allow_private: bool,
    /// The feed's `[feed.http]`, read when the poll starts; `None` when it
    /// has none. An error (a secret gone since the feed was fetched) fails
    /// each page rather than sending it without the credentials.
    options: Result<Option<RequestOptions>, String>,
}

/// What [`Pages::run`] did: writes not yet committed, what the parts
/// committed on the way changed, and the jobs shutdown left undone.
struct Ran {
    writes: Vec<EntryWrite>,
    applied: Applied,
    left: Vec<Job>,
}

impl Ran {
    fn complete(&self) -> bool {
        self.left.is_empty()
    }

    fn extend(&mut self, more: Ran) {
        self.writes.extend(more.writes);
        self.applied += more.applied;
        self.left.extend(more.left);
    }
}

impl<'a> Pages<'a> {
    fn new(
        ctx: &'a PollContext,
        target: &'a FeedTarget,
        plan: &FeedPlan,
        feed_ip: Option<IpAddr>,
    ) -> Pages<'a> {
        // Pages may reach private addresses only if the feed itself is on
        // one (a feed on the LAN links to the LAN) or the user allows it.
        let feed_is_private =
            feed_ip.is_some_and(|ip| !ctx.fetcher.settings().policy.is_public(ip));
        let http = &target.config.http;
        Pages {
            ctx,
            target,
            polled_at: plan.polled_at(),
            allow_private: ctx.allow_private_networks || feed_is_private,
            options: (!http.is_empty())
                .then(|| RequestOptions::for_feed(&target.config))
                .transpose(),
        }
    }

    /// Does the jobs' work, [`PAGES_IN_FLIGHT`] pages at a time, in job
    /// order, committing every [`resume::COMMIT_EVERY`] entries' writes so
    /// a restart keeps them; stops fetching when shutdown comes and hands
    /// back the jobs it did not finish.
    async fn run(&self, jobs: Vec<Job>) -> Result<Ran, StoreError> {
        let config = &self.target.config;
        // Kept to hand back what shutdown leaves undone: the work items
        // themselves are consumed by the stream.
        let mut left = jobs.clone();
        let mut work: Vec<Work> = jobs
            .into_iter()
            .map(|job| {
                Work::plan(job, &config.url, config.full_text)
                    .with_markdown(self.ctx.markdown)
                    .screened(&config.filter)
            })
            .collect();
        self.find_stored_pages(&mut work)?;
        self.ctx
            .pages
            .planned(work.iter().filter(|w| w.fetches_page()).count());
        let mut shutdown = self.ctx.shutdown.clone();
        let stopped = async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        };
        let results = futures_util::stream::iter(work)
            .map(|w| self.work(w))
            .buffered(PAGES_IN_FLIGHT)
            .take_until(stopped);
        let mut results = std::pin::pin!(results);
        let (mut writes, mut applied, mut done) = (Vec::new(), Applied::default(), 0);
        while let Some(more) = results.next().await {
            done += 1;
            writes.extend(more);
            if writes.len() >= resume::COMMIT_EVERY {
                let batch = EntryBatch {
                    feed_id: self.target.id,
                    polled_at: self.polled_at,
                    entries: std::mem::take(&mut writes),
                };
                applied += self.ctx.writer.apply_entries(batch).await?;
            }
        }
        left.drain(..done);
        Ok(Ran {
            writes,
            applied,
            left,
        })
    }

    /// One batched read: which of the linked pages are stored already.
    fn find_stored_pages(&self, work: &mut [Work]) -> Result<(), StoreError> {
        let keys: Vec<&str> = work.iter().filter_map(Work::stored_page_key).collect();
        if keys.is_empty() {
            return Ok(());
        }
        let stored: HashMap<String, i64> = self.ctx.reader.stored_pages(&keys)?;
        for w in work {
            if let Some(&id) = w.stored_page_key().and_then(|k| stored.get(k)) {
                w.page_is_stored(id);
            }
        }
        Ok(())
    }

    async fn work(&self, work: Work) -> Vec<EntryWrite> {
        match work.next() {
            Next::Write(writes) => writes,
            Next::FetchPage(page) => {
                let writes = self.page(page).await;
                self.ctx.pages.done();
                writes
            }
        }
    }

    async fn page(&self, work: PageWork) -> Vec<EntryWrite> {
        if let Some(article_id) = self.stored_by_another_node(work.key()).await {
            return work.stored_as(article_id);
        }
        let options = match &self.options {
            Ok(options) => options.clone(),
            Err(e) => {
                let error = FetchError::Options(e.clone());
                return work.writes(Err(pages::PageError::Fetch(error)), Utc::now());
            }
        };
        let key = pages::memo_key(work.key(), self.target.id, options.as_ref());
        let fetch = pages::fetch_page(
            self.ctx.fetcher.clone(),
            work.url.clone(),
            self.allow_private,
            self.target.config.extract.clone(),
            options,
            self.ctx.markdown,
        );
        let page = self.ctx.pages.get_or_fetch(&key, fetch).await;
        match &page {
            Err(pages::PageError::Fetch(error)) => {
                METRICS.error(Target::Page, ErrorKind::of(error));
                tracing::info!(page = %work.url, %error, attempts = work.attempt(), "article page not fetched");
            }
            Err(pages::PageError::Extract(_)) => METRICS.error(Target::Page, ErrorKind::Extract),
            Ok(_) => {}
        }
        work.writes(page, Utc::now())
    }
}
