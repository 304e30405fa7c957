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
pub mod pages;
pub mod pipeline;
pub mod plan;
pub mod schedule;
pub mod screen;

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use url::Url;

use crate::config::{FeedConfig, Schedule};
use crate::feed::{self, ParsedFeed};
use crate::fetch::{FetchError, FetchOutcome, Fetched, RequestOptions};
use crate::metrics::{ErrorKind, METRICS, Target};
use crate::model::{Applied, EntryWrite, FeedPoll, PollResult};
use crate::store::{StoreError, read};
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
    };
    let mut shutdown = ctx.shutdown.clone();
    let _slot = tokio::select! {
        slot = ctx.writer.begin_poll() => slot,
        _ = shutdown.wait_for(|stop| *stop) => {
            return report(PollResult::Failed, Some("not polled: shutting down"));
        }
    };
    let poll = match build_poll(ctx, target).await {
        Ok(Some(poll)) => poll,
        Ok(None) => {
            tracing::info!(feed = %target.config.url, "poll abandoned at shutdown; redone next start");
            return report(PollResult::Abandoned, Some("abandoned at shutdown"));
        }
        Err(e) => {
            METRICS.error(Target::Feed, ErrorKind::Store);
            tracing::error!(feed = %target.config.url, error = %e, "poll failed before it could be stored");
            return report(PollResult::Failed, Some(&e.to_string()));
        }
    };
    let mut done = report(PollResult::of(&poll.outcome), poll.outcome.error());
    done.next_poll_at = Some(poll.next_poll_at);
    match ctx.writer.apply(poll).await {
        Ok(applied) => done.applied = applied,
        Err(e) => {
            done.result = done.result.unstored();
            done.error = Some(format!("not stored: {e}"));
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

/// The poll to commit; `None` when shutdown came before the feed answered.
async fn build_poll(
    ctx: &PollContext,
    target: &FeedTarget,
) -> Result<Option<FeedPoll>, StoreError> {
    let state = ctx.reader.with(|c| read::feed_state(c, target.id))?;
    let plan = FeedPlan::new(target, &state, Utc::now());
    let Some(outcome) = fetch_feed(ctx, target, &plan).await else {
        return Ok(None);
    };
    let poll = match outcome {
        Err(e) => failed(&plan, FeedFailure::Fetch(e)),
        Ok(FetchOutcome::NotModified {
            moved_to,
            fresh_for,
            remote_ip,
        }) => {
            let due = ctx
                .reader
                .with(|c| read::due_pending(c, target.id, plan.polled_at()))?;
            let pages = Pages::new(ctx, target, remote_ip);
            let (entries, _) = pages.run(entries::retries(due)).await?;
            plan.not_modified(fresh_for, moved_to, entries)
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
) -> Result<FeedPoll, StoreError> {
    let parsed = parse_off_thread(
        fetched.body.clone(),
        fetched.content_type.clone(),
        fetched.final_url.clone(),
    );
    let parsed = match parsed.await {
        Ok(p) => p,
        // Validators of a response we could not parse are never kept: the
        // next poll must fetch the document whole.
        Err(e) => return Ok(failed(plan, FeedFailure::Parse(e))),
    };
    let keys: Vec<&str> = parsed.entries.iter().map(|e| e.key.as_str()).collect();
    let (statuses, due) = ctx.reader.with(|c| {
        let statuses = read::entry_statuses(c, target.id, &keys)?;
        Ok((statuses, read::due_pending(c, target.id, plan.polled_at())?))
    })?;
    let jobs = entries::to_work_on(&parsed.entries, &statuses);
    tracing::debug!(feed = %target.config.url, entries = parsed.entries.len(), new = jobs.len(), "entries diffed");
    let pages = Pages::new(ctx, target, fetched.remote_ip);
    let (mut writes, complete) = pages.run(jobs).await?;
    if complete {
        writes.extend(pages.run(entries::retries(due)).await?.0);
    }
    let response = Response {
        validators: fetched.validators,
        fresh_for: fetched.fresh_for,
        moved_to: fetched.moved_to,
    };
    Ok(plan.fetched(response, &parsed, complete, writes))
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
    allow_private: bool,
    /// The feed's `[feed.http]`, read when the poll starts; `None` when it
    /// has none. An error (a secret gone since the feed was fetched) fails
    /// each page rather than sending it without the credentials.
    options: Result<Option<RequestOptions>, String>,
}

impl<'a> Pages<'a> {
    fn new(ctx: &'a PollContext, target: &'a FeedTarget, feed_ip: Option<IpAddr>) -> Pages<'a> {
        // Pages may reach private addresses only if the feed itself is on
        // one (a feed on the LAN links to the LAN) or the user allows it.
        let feed_is_private =
            feed_ip.is_some_and(|ip| !ctx.fetcher.settings().policy.is_public(ip));
        let http = &target.config.http;
        Pages {
            ctx,
            target,
            allow_private: ctx.allow_private_networks || feed_is_private,
            options: (!http.is_empty())
                .then(|| RequestOptions::for_feed(&target.config))
                .transpose(),
        }
    }

    /// Does the jobs' work, [`PAGES_IN_FLIGHT`] pages at a time, and returns
    /// their writes in job order and whether every job was done (false when
    /// shutdown interrupted the poll).
    async fn run(&self, jobs: Vec<Job>) -> Result<(Vec<EntryWrite>, bool), StoreError> {
        let config = &self.target.config;
        let mut work: Vec<Work> = jobs
            .into_iter()
            .map(|job| Work::plan(job, &config.url, config.full_text).screened(&config.filter))
            .collect();
        self.find_stored_pages(&mut work)?;
        self.ctx
            .pages
            .planned(work.iter().filter(|w| w.fetches_page()).count());
        let total = work.len();
        let mut shutdown = self.ctx.shutdown.clone();
        let stopped = async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        };
        let results: Vec<Vec<EntryWrite>> = futures_util::stream::iter(work)
            .map(|w| self.work(w))
            .buffered(PAGES_IN_FLIGHT)
            .take_until(stopped)
            .collect()
            .await;
        let complete = results.len() == total;
        Ok((results.into_iter().flatten().collect(), complete))
    }

    /// One batched read: which of the linked pages are stored already.
    fn find_stored_pages(&self, work: &mut [Work]) -> Result<(), StoreError> {
        let keys: Vec<&str> = work.iter().filter_map(Work::stored_page_key).collect();
        if keys.is_empty() {
            return Ok(());
        }
        let stored: HashMap<String, i64> =
            self.ctx.reader.with(|c| read::stored_pages(c, &keys))?;
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
