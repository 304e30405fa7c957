//! The single writer: one thread owns the writing connection and applies
//! what the poll tasks send it.
//!
//! A feed's poll arrives as one [`FeedPoll`]: its articles, sightings and
//! pending entries together with the feed's new state and HTTP validators.
//! All of it commits in one transaction, validators last, so a crash at any
//! moment either keeps the whole poll or none of it: a restarted daemon
//! re-fetches what was lost and finds what was kept, never doubling a row.
//! Several polls that queue up while a commit runs share the next
//! transaction (one fsync for many feeds), each inside its own savepoint so
//! one failing poll does not sink the others.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use super::retention;
use super::stories::{self, Stories};
use super::{StoreError, timestamp};
use crate::dedup::fingerprint::Profile;
use crate::model::{
    Applied, ArticleRecord, EntrySource, EntryWrite, Extraction, FeedListing, FeedPoll,
    PollOutcome, StoredRobots, Validators,
};

/// Commands waiting for the writer; senders wait when it is full, which
/// slows fetching down to what the disk can take.
const QUEUE_CAPACITY: usize = 256;

/// Polls under way at once, from the start of their fetch to their commit
/// (see [`WriterHandle::begin_poll`]). Without a bound, a daemon starting
/// with 10,000 feeds fetched and parsed them all while the writer stored
/// the first few hundred: the load harness peaked at 290 MiB, ~29 KB per
/// waiting poll. 256 keeps the writer fed (it takes up to [`MAX_BATCH`]
/// polls per transaction) and leaves room for polls that spend seconds
/// fetching pages from polite hosts.
pub const POLLS_UNDER_WAY: usize = 256;

/// Polls applied in one transaction at most; bounds the time a commit holds
/// the write lock (readers are never blocked, but `feeds add` may wait).
const MAX_BATCH: usize = 64;

enum Command {
    Poll(Box<FeedPoll>, oneshot::Sender<Result<Applied, String>>),
    SaveRobots(String, StoredRobots),
    SyncFeeds(Vec<FeedListing>, oneshot::Sender<Result<Vec<i64>, String>>),
    /// Runs after the batch it arrived in has committed, in transactions of
    /// its own (a VACUUM cannot run inside one).
    Retention(
        retention::Step,
        oneshot::Sender<Result<retention::Outcome, String>>,
    ),
}

/// The sending side; cheap to clone, one per poll task.
#[derive(Clone)]
pub struct WriterHandle {
    tx: mpsc::Sender<Command>,
    health: Arc<WriterHealth>,
    polls: Arc<Semaphore>,
}

/// A poll's place among the [`POLLS_UNDER_WAY`]; held until it is applied.
pub struct PollSlot {
    _permit: Option<OwnedSemaphorePermit>,
}

/// What the writer thread publishes about itself, so a watchdog can tell a
/// writer that is idle (waiting for work: alive) from one stuck inside a
/// transaction (a lock never released, a disk that stopped answering).
#[derive(Debug)]
pub struct WriterHealth {
    started: Instant,
    /// Milliseconds after `started` of the last step completed (a command
    /// applied, a batch begun or ended).
    last_progress_ms: AtomicU64,
    busy: AtomicBool,
    stopped: AtomicBool,
}

impl WriterHealth {
    fn new() -> WriterHealth {
        WriterHealth {
            started: Instant::now(),
            last_progress_ms: AtomicU64::new(0),
            busy: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
        }
    }

    fn progress(&self) {
        let ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_progress_ms.store(ms, Ordering::Release);
    }

    fn set_busy(&self, busy: bool) {
        self.progress();
        self.busy.store(busy, Ordering::Release);
    }

    /// How long the writer has been inside one step of a batch without
    /// finishing it; `None` while it is idle.
    pub fn stalled_for(&self) -> Option<Duration> {
        if !self.busy.load(Ordering::Acquire) {
            return None;
        }
        let last = Duration::from_millis(self.last_progress_ms.load(Ordering::Acquire));
        Some(self.started.elapsed().saturating_sub(last))
    }

    /// The writer thread has ended (finished, failed to start, or panicked).
    pub fn stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }
}

/// Marks the writer stopped when its thread ends, panics included.
struct StoppedOnDrop(Arc<WriterHealth>);

impl Drop for StoppedOnDrop {
    fn drop(&mut self) {
        self.0.stopped.store(true, Ordering::Release);
    }
}

impl WriterHandle {
    fn new(tx: mpsc::Sender<Command>, health: Arc<WriterHealth>) -> WriterHandle {
        WriterHandle {
            tx,
            health,
            polls: Arc::new(Semaphore::new(POLLS_UNDER_WAY)),
        }
    }

    /// Waits until fewer than [`POLLS_UNDER_WAY`] polls are under way: a
    /// poll takes its slot before fetching, so fetching slows to what the
    /// writer can store and the memory held by fetched, not yet committed
    /// polls stays bounded.
    pub async fn begin_poll(&self) -> PollSlot {
        // The semaphore is never closed; `None` would only mean no bound.
        PollSlot {
            _permit: self.polls.clone().acquire_owned().await.ok(),
        }
    }

    /// Applies a poll; resolves once it is committed.
    pub async fn apply(&self, poll: FeedPoll) -> Result<Applied, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Command::Poll(Box::new(poll), reply))
            .await
            .map_err(|_| StoreError::WriterGone)?;
        answer
            .await
            .map_err(|_| StoreError::WriterGone)?
            .map_err(StoreError::Write)
    }

    /// Keeps a robots.txt answer. A cache write: when the queue is full it
    /// is dropped rather than waited for.
    pub fn save_robots(&self, origin: &str, robots: &StoredRobots) {
        let _ = self
            .tx
            .try_send(Command::SaveRobots(origin.to_string(), robots.clone()));
    }

    /// Mirrors the configured feeds into `feeds` (new ones inserted, names
    /// updated, feeds no longer listed marked inactive) and returns their
    /// ids in the order given.
    pub async fn sync_feeds(&self, feeds: Vec<FeedListing>) -> Result<Vec<i64>, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Command::SyncFeeds(feeds, reply))
            .await
            .map_err(|_| StoreError::WriterGone)?;
        answer
            .await
            .map_err(|_| StoreError::WriterGone)?
            .map_err(StoreError::Write)
    }

    pub fn health(&self) -> Arc<WriterHealth> {
        self.health.clone()
    }

    /// Runs one step of retention (see [`retention`]); resolves once done.
    pub async fn retention(&self, step: retention::Step) -> Result<retention::Outcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Command::Retention(step, reply))
            .await
            .map_err(|_| StoreError::WriterGone)?;
        answer
            .await
            .map_err(|_| StoreError::WriterGone)?
            .map_err(StoreError::Write)
    }
}

/// Starts the writer thread on the writing connection and the stories'
/// index loaded from it. It stops when every [`WriterHandle`] is dropped,
/// after committing what it was sent.
pub fn spawn(conn: Connection, stories: Stories) -> (WriterHandle, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
    let health = Arc::new(WriterHealth::new());
    let writer = Writer {
        conn,
        stories,
        health: health.clone(),
    };
    let thread = std::thread::Builder::new()
        .name("feedsift-writer".into())
        .spawn(move || writer.run(rx));
    match thread {
        Ok(join) => (WriterHandle::new(tx, health), join),
        // Without a thread there is no writer: hand back a handle whose
        // sends fail with WriterGone, and a thread that ends at once.
        Err(e) => {
            tracing::error!(error = %e, "cannot start the database writer thread");
            health.stopped.store(true, Ordering::Release);
            let (tx, _) = mpsc::channel(1);
            (WriterHandle::new(tx, health), std::thread::spawn(|| ()))
        }
    }
}

struct Writer {
    conn: Connection,
    stories: Stories,
    health: Arc<WriterHealth>,
}

impl Writer {
    fn run(mut self, mut rx: mpsc::Receiver<Command>) {
        let _stopped = StoppedOnDrop(self.health.clone());
        while let Some(first) = rx.blocking_recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(cmd) => batch.push(cmd),
                    Err(_) => break,
                }
            }
            self.health.set_busy(true);
            self.apply_batch(batch);
            self.health.set_busy(false);
        }
        tracing::debug!("database writer finished");
    }

    fn apply_batch(&mut self, batch: Vec<Command>) {
        let mut replies = Vec::with_capacity(batch.len());
        let mut maintenance = Vec::new();
        let result = (|| -> Result<(), rusqlite::Error> {
            let stories = &mut self.stories;
            let health = &self.health;
            let mut tx = self.conn.transaction()?;
            for cmd in batch {
                health.progress();
                match cmd {
                    Command::Poll(poll, reply) => {
                        let outcome = in_savepoint(&mut tx, |sp| apply_poll(sp, stories, &poll));
                        replies.push(Reply::Poll(reply, outcome));
                    }
                    Command::SaveRobots(origin, robots) => {
                        if let Err(e) =
                            in_savepoint(&mut tx, |sp| save_robots(sp, &origin, &robots))
                        {
                            tracing::warn!(%origin, error = %e, "robots.txt not cached");
                        }
                    }
                    Command::SyncFeeds(feeds, reply) => {
                        let outcome = in_savepoint(&mut tx, |sp| sync_feeds(sp, &feeds));
                        replies.push(Reply::Sync(reply, outcome));
                    }
                    Command::Retention(step, reply) => maintenance.push((step, reply)),
                }
            }
            health.progress();
            tx.commit()
        })();
        for reply in replies {
            reply.send(result.as_ref().map_err(|e| format!("commit failed: {e}")));
        }
        for (step, reply) in maintenance {
            self.health.progress();
            let outcome = retention::apply(&mut self.conn, &step).map_err(|e| e.to_string());
            let _ = reply.send(outcome);
        }
    }
}

enum Reply {
    Poll(
        oneshot::Sender<Result<Applied, String>>,
        Result<Applied, rusqlite::Error>,
    ),
    Sync(
        oneshot::Sender<Result<Vec<i64>, String>>,
        Result<Vec<i64>, rusqlite::Error>,
    ),
}

impl Reply {
    /// Answers the sender: its own outcome if the batch committed, else the
    /// commit error. A sender that stopped waiting is not an error.
    fn send(self, commit: Result<&(), String>) {
        fn answer<T>(
            own: Result<T, rusqlite::Error>,
            commit: &Result<&(), String>,
        ) -> Result<T, String> {
            match commit {
                Err(e) => Err(e.clone()),
                Ok(()) => own.map_err(|e| e.to_string()),
            }
        }
        match self {
            Reply::Poll(tx, own) => {
                let _ = tx.send(answer(own, &commit));
            }
            Reply::Sync(tx, own) => {
                let _ = tx.send(answer(own, &commit));
            }
        }
    }
}

fn in_savepoint<T>(
    tx: &mut Transaction,
    f: impl FnOnce(&Connection) -> Result<T, rusqlite::Error>,
) -> Result<T, rusqlite::Error> {
    let sp = tx.savepoint()?;
    let out = f(&sp);
    match out {
        Ok(v) => {
            sp.commit()?;
            Ok(v)
        }
        Err(e) => {
            tracing::error!(error = %e, "database write failed; its poll will be redone");
            // Dropping the savepoint rolls it back.
            Err(e)
        }
    }
}

fn save_robots(conn: &Connection, origin: &str, r: &StoredRobots) -> Result<(), rusqlite::Error> {
    conn.prepare_cached(
        "INSERT INTO robots_txt(origin, status, body, etag, last_modified, fetched_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(origin) DO UPDATE SET status = excluded.status, body = excluded.body, etag = excluded.etag,
             last_modified = excluded.last_modified, fetched_at = excluded.fetched_at",
    )?
    .execute(params![
        origin,
        r.status,
        r.body.as_ref(),
        r.validators.etag,
        r.validators.last_modified,
        timestamp(r.fetched_at)
    ])?;
    Ok(())
}

fn sync_feeds(conn: &Connection, feeds: &[FeedListing]) -> Result<Vec<i64>, rusqlite::Error> {
    let now = timestamp(Utc::now());
    // Feeds still listed keep their state (a muted feed stays muted across
    // restarts); only those no longer listed become 'removed'.
    conn.execute("UPDATE feeds SET active = 0 WHERE active = 1", [])?;
    let mut upsert = conn.prepare_cached(
        "INSERT INTO feeds(url, name, active, created_at) VALUES (?1, ?2, 1, ?3)
         ON CONFLICT(url) DO UPDATE SET name = excluded.name, active = 1,
             state = CASE WHEN state = 'removed' THEN 'ok' ELSE state END
         RETURNING id",
    )?;
    let ids = feeds
        .iter()
        .map(|f| upsert.query_row(params![f.url, f.name, now], |r| r.get(0)))
        .collect::<Result<Vec<i64>, _>>()?;
    conn.execute(
        "UPDATE feeds SET state = 'removed' WHERE active = 0 AND state <> 'removed'",
        [],
    )?;
    Ok(ids)
}

fn apply_poll(
    conn: &Connection,
    stories: &mut Stories,
    poll: &FeedPoll,
) -> Result<Applied, rusqlite::Error> {
    let mut applied = Applied::default();
    for entry in &poll.entries {
        match entry {
            EntryWrite::Article { source, article } => {
                store_article(conn, stories, poll.feed_id, source, article, &mut applied)?
            }
            EntryWrite::Sighting { source, article_id } => {
                if insert_source(conn, *article_id, poll.feed_id, source)? {
                    applied.new_sources += 1;
                }
                clear_pending(conn, poll.feed_id, &source.entry_id)?;
            }
            EntryWrite::Pending {
                source,
                entry_json,
                attempts,
                next_attempt_at,
                error,
            } => {
                conn.prepare_cached(
                    "INSERT INTO pending_entries(feed_id, entry_id, entry_url, entry_json, attempts,
                                                 next_attempt_at, last_error, first_seen_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT(feed_id, entry_id) DO UPDATE SET
                        entry_url = excluded.entry_url, entry_json = excluded.entry_json,
                        attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at,
                        last_error = excluded.last_error",
                )?
                .execute(params![
                    poll.feed_id,
                    source.entry_id,
                    source.entry_url,
                    entry_json,
                    attempts,
                    next_attempt_at.map(timestamp),
                    error,
                    timestamp(poll.polled_at),
                ])?;
                applied.pending += 1;
            }
        }
    }
    update_feed(conn, poll)?;
    if let Some(moved_to) = &poll.moved_to {
        conn.prepare_cached(
            "UPDATE feeds SET fetch_url = ?2 WHERE id = ?1 AND fetch_url IS NOT ?2",
        )?
        .execute(params![poll.feed_id, moved_to.as_str()])?;
    }
    Ok(applied)
}

fn store_article(
    conn: &Connection,
    stories: &mut Stories,
    feed_id: i64,
    source: &EntrySource,
    article: &ArticleRecord,
    applied: &mut Applied,
) -> Result<(), rusqlite::Error> {
    let now = timestamp(Utc::now());
    let profile = Profile::of(&article.text);
    let own: Option<i64> = conn
        .prepare_cached(
            "SELECT article_id FROM article_sources WHERE feed_id = ?1 AND entry_id = ?2",
        )?
        .query_row(params![feed_id, source.entry_id], |r| r.get(0))
        .optional()?;
    if let Some(article_id) = own {
        // Layer 1: the same entry again (updated upstream, or its page
        // finally fetched): refresh the row it already has. Its place among
        // stories (duplicate_of) stays; its fingerprint is renewed.
        update_article(conn, article_id, article, &profile, &now)?;
        stories.remember(article_id, &profile.fingerprint);
        conn.prepare_cached(
            "UPDATE article_sources SET entry_updated_at = ?3 WHERE feed_id = ?1 AND entry_id = ?2",
        )?
        .execute(params![
            feed_id,
            source.entry_id,
            source.entry_updated_at.map(timestamp)
        ])?;
        applied.updated += 1;
        return clear_pending(conn, feed_id, &source.entry_id);
    }
    let mut url = article.canonical_url.as_str();
    let mut key = article.url_key.as_str();
    let mut same_page = stored_page(conn, key)?;
    if let (Some(page), Some((own_url, own_key))) = (&same_page, &article.own_address) {
        // The page's declared canonical is taken, by a different story: a
        // broken canonical tag. Keep this page under its own address.
        if page.is_other_story(&profile) {
            tracing::info!(page = %own_url, declared = %url, "declared canonical holds another story; ignored");
            (url, key) = (own_url.as_str(), own_key.as_str());
            same_page = stored_page(conn, key)?;
        }
    }
    if let Some(page) = same_page {
        // Layer 2: the page is stored already: one more sighting.
        let extracted = Extraction::Extracted.as_sql();
        if page.extract_status.as_deref() != Some(&extracted) && article.extraction.is_extracted() {
            update_article(conn, page.id, article, &profile, &now)?;
            stories.remember(page.id, &profile.fingerprint);
            applied.updated += 1;
        }
        if insert_source(conn, page.id, feed_id, source)? {
            applied.new_sources += 1;
        }
        return clear_pending(conn, feed_id, &source.entry_id);
    }
    // Layer 3: a new page; is its text a story we have?
    let verdict = stories.place(
        conn,
        &profile,
        article.published_at,
        article.syndicated_from.as_deref(),
    )?;
    let fp = &profile.fingerprint;
    let article_id: i64 = conn
        .prepare_cached(
            "INSERT INTO articles(url, canonical_url, url_key, title, byline, published_at, fetched_at, lang,
                                  text, word_count, content_hash, minhash, duplicate_of, extract_status,
                                  created_at, updated_at, modified_at, site_name, description, image_url)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?15, ?16, ?17, ?18, ?19)
             RETURNING id",
        )?
        .query_row(
            params![
                article.url,
                url,
                key,
                article.title,
                article.byline,
                article.published_at.map(timestamp),
                article.fetched_at.map(timestamp),
                article.lang,
                article.text,
                fp.word_count,
                fp.content_hash.to_string(),
                fp.sketch.map(|s| s.to_bytes().to_vec()),
                verdict.duplicate_of,
                article.extraction.as_sql(),
                now,
                article.modified_at.map(timestamp),
                article.site_name,
                article.description,
                article.image_url,
            ],
            |r| r.get(0),
        )?;
    if let Some(old_root) = verdict.replaces_root {
        stories::repoint(conn, old_root, article_id)?;
        applied.duplicates += 1;
    }
    if verdict.duplicate_of.is_some() {
        applied.duplicates += 1;
    }
    stories.remember(article_id, fp);
    applied.new_articles += 1;
    insert_source(conn, article_id, feed_id, source)?;
    clear_pending(conn, feed_id, &source.entry_id)
}

/// A stored page found by url key.
struct StoredPage {
    id: i64,
    extract_status: Option<String>,
    text: Option<String>,
}

impl StoredPage {
    /// Both texts are long enough to judge and are not the same story.
    fn is_other_story(&self, new: &Profile) -> bool {
        let Some(text) = self.text.as_deref() else {
            return false;
        };
        let stored = Profile::of(text);
        stored.fingerprint.is_matchable()
            && new.fingerprint.is_matchable()
            && new.confirm(&stored).is_none()
    }
}

fn stored_page(conn: &Connection, key: &str) -> Result<Option<StoredPage>, rusqlite::Error> {
    conn.prepare_cached("SELECT id, extract_status, text FROM articles WHERE url_key = ?1")?
        .query_row([key], |r| {
            Ok(StoredPage {
                id: r.get(0)?,
                extract_status: r.get(1)?,
                text: r.get(2)?,
            })
        })
        .optional()
}

fn update_article(
    conn: &Connection,
    id: i64,
    a: &ArticleRecord,
    profile: &Profile,
    now: &str,
) -> Result<(), rusqlite::Error> {
    let fp = &profile.fingerprint;
    conn.prepare_cached(
        "UPDATE articles SET url = ?2, title = coalesce(?3, title), byline = coalesce(?4, byline),
                published_at = coalesce(?5, published_at), fetched_at = coalesce(?6, fetched_at),
                lang = coalesce(?7, lang), text = ?8, word_count = ?9, content_hash = ?10, minhash = ?11,
                extract_status = ?12, updated_at = ?13, modified_at = coalesce(?14, modified_at),
                site_name = coalesce(?15, site_name), description = coalesce(?16, description),
                image_url = coalesce(?17, image_url)
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        a.url,
        a.title,
        a.byline,
        a.published_at.map(timestamp),
        a.fetched_at.map(timestamp),
        a.lang,
        a.text,
        fp.word_count,
        fp.content_hash.to_string(),
        fp.sketch.map(|s| s.to_bytes().to_vec()),
        a.extraction.as_sql(),
        now,
        a.modified_at.map(timestamp),
        a.site_name,
        a.description,
        a.image_url,
    ])?;
    Ok(())
}

/// Records a sighting; false when this (feed, entry) was already recorded.
fn insert_source(
    conn: &Connection,
    article_id: i64,
    feed_id: i64,
    s: &EntrySource,
) -> Result<bool, rusqlite::Error> {
    let n = conn
        .prepare_cached(
            "INSERT INTO article_sources(article_id, feed_id, entry_id, entry_url, first_seen_at, entry_updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(feed_id, entry_id) DO NOTHING",
        )?
        .execute(params![
            article_id,
            feed_id,
            s.entry_id,
            s.entry_url,
            timestamp(Utc::now()),
            s.entry_updated_at.map(timestamp)
        ])?;
    Ok(n == 1)
}

fn clear_pending(conn: &Connection, feed_id: i64, entry_id: &str) -> Result<(), rusqlite::Error> {
    conn.prepare_cached("DELETE FROM pending_entries WHERE feed_id = ?1 AND entry_id = ?2")?
        .execute(params![feed_id, entry_id])?;
    Ok(())
}

/// A feed removed from feeds.toml while its poll ran keeps `state =
/// 'removed'`: the poll's outcome is recorded, its state is not.
fn update_feed(conn: &Connection, poll: &FeedPoll) -> Result<(), rusqlite::Error> {
    let polled = timestamp(poll.polled_at);
    let next = timestamp(poll.next_poll_at);
    let interval = i64::try_from(poll.interval.as_secs()).unwrap_or(i64::MAX);
    let success = |state: &str, reason: Option<&str>, validators: Option<&Option<Validators>>| {
        // `validators`: None leaves them as they are (304), Some(None)
        // clears them (a document that needed repairs).
        let (keep, v) = match validators {
            None => (1, Validators::default()),
            Some(v) => (0, v.clone().unwrap_or_default()),
        };
        conn.prepare_cached(
            "UPDATE feeds SET last_polled_at = ?2, last_success_at = ?2, next_poll_at = ?3, interval_secs = ?4,
                    error_count = 0, last_error = ?6, state_reason = ?6,
                    state = CASE WHEN active THEN ?5 ELSE state END,
                    etag = CASE WHEN ?7 THEN etag ELSE ?8 END,
                    last_modified = CASE WHEN ?7 THEN last_modified ELSE ?9 END
             WHERE id = ?1",
        )?
        .execute(params![poll.feed_id, polled, next, interval, state, reason, keep, v.etag, v.last_modified])
    };
    match &poll.outcome {
        PollOutcome::NotModified => success("ok", None, None)?,
        PollOutcome::Fetched {
            validators,
            title,
            site_url,
            min_interval,
            warning,
            unreadable_items,
        } => {
            let state = if *unreadable_items { "empty" } else { "ok" };
            success(state, warning.as_deref(), Some(validators))?;
            let min_interval = min_interval.map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
            conn.prepare_cached(
                "UPDATE feeds SET title = coalesce(?2, title), site_url = coalesce(?3, site_url),
                        min_interval_secs = ?4 WHERE id = ?1",
            )?
            .execute(params![poll.feed_id, title, site_url, min_interval])?
        }
        PollOutcome::Failed { error } | PollOutcome::Gone { error } => {
            let state = if matches!(poll.outcome, PollOutcome::Gone { .. }) {
                "muted"
            } else {
                "failing"
            };
            conn.prepare_cached(
                "UPDATE feeds SET last_polled_at = ?2, next_poll_at = ?3, interval_secs = ?4,
                        error_count = error_count + 1, last_error = ?5, state_reason = ?5,
                        state = CASE WHEN active THEN ?6 ELSE state END
                 WHERE id = ?1",
            )?
            .execute(params![poll.feed_id, polled, next, interval, error, state])?
        }
    };
    conn.prepare_cached("UPDATE feeds SET interval_adapted = ?2 WHERE id = ?1")?
        .execute(params![poll.feed_id, poll.interval_adapted])?;
    Ok(())
}
