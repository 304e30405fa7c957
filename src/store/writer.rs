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

use rusqlite::{Connection, Transaction};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot, watch};

use super::StoreError;
use super::apply::{apply_entries, apply_poll, save_robots, sync_feeds};
use super::lock::WriterLock;
use super::retention::{self, Outcome, Step};
use crate::dedup::stories::Stories;
use crate::metrics::METRICS;
use crate::model::{Applied, EntryBatch, FeedListing, FeedPoll, StoredRobots};

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

/// A database error of either backend, shared by every sender of a batch.
pub type SharedError = Arc<dyn std::error::Error + Send + Sync>;

/// Why the writer did not store what it was sent.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WriteError {
    /// The command's own statements failed: its savepoint was rolled back,
    /// the rest of its batch was committed.
    #[error("{0}")]
    Rejected(SharedError),
    /// The batch's transaction failed (its commit, or a statement after
    /// which the database rolled it back): nothing of it was stored.
    #[error("{0}")]
    Commit(SharedError),
}

impl WriteError {
    pub fn rejected(e: impl std::error::Error + Send + Sync + 'static) -> WriteError {
        WriteError::Rejected(Arc::new(e))
    }

    pub fn commit(e: impl std::error::Error + Send + Sync + 'static) -> WriteError {
        WriteError::Commit(Arc::new(e))
    }
}

/// What the poll tasks, the daemon and retention send the writer; each
/// backend's writer ([`Backend`]) carries them out.
pub enum Command {
    Poll(Box<FeedPoll>, oneshot::Sender<Result<Applied, WriteError>>),
    /// A part of a long poll, committed ahead of it.
    Entries(EntryBatch, oneshot::Sender<Result<Applied, WriteError>>),
    SaveRobots(String, StoredRobots),
    SyncFeeds(
        Vec<FeedListing>,
        oneshot::Sender<Result<Vec<i64>, WriteError>>,
    ),
    /// A retention step: runs after the batch it arrived in has committed,
    /// in transactions of its own (a VACUUM cannot run inside one).
    Retain(Step, oneshot::Sender<Result<Outcome, WriteError>>),
}

/// A database behind the writer thread: applies one batch of commands,
/// answering each sender, and returns whether the batch committed.
pub trait Backend: Send + 'static {
    fn apply_batch(&mut self, batch: Vec<Command>, health: &WriterHealth)
    -> Result<(), WriteError>;

    /// Called once when the writer stops, after its last batch.
    fn close(&mut self) {}
}

/// The sending side; cheap to clone, one per poll task.
#[derive(Clone)]
pub struct WriterHandle {
    tx: mpsc::Sender<Command>,
    health: Arc<WriterHealth>,
    polls: Arc<Semaphore>,
    commits: watch::Receiver<u64>,
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

    pub fn progress(&self) {
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
    fn new(
        tx: mpsc::Sender<Command>,
        health: Arc<WriterHealth>,
        commits: watch::Receiver<u64>,
    ) -> WriterHandle {
        WriterHandle {
            tx,
            health,
            polls: Arc::new(Semaphore::new(POLLS_UNDER_WAY)),
            commits,
        }
    }

    /// Counts committed batches: changes after each commit, and closes when
    /// the writer has finished. What reacts to new rows (webhooks) waits
    /// on it instead of polling the database.
    pub fn commits(&self) -> watch::Receiver<u64> {
        self.commits.clone()
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
        Ok(answer.await.map_err(|_| StoreError::WriterGone)??)
    }

    /// Commits a part of a poll's entries now, ahead of the poll (see
    /// `poll::resume`); resolves once it is committed.
    pub async fn apply_entries(&self, batch: EntryBatch) -> Result<Applied, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Command::Entries(batch, reply))
            .await
            .map_err(|_| StoreError::WriterGone)?;
        Ok(answer.await.map_err(|_| StoreError::WriterGone)??)
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
        Ok(answer.await.map_err(|_| StoreError::WriterGone)??)
    }

    pub fn health(&self) -> Arc<WriterHealth> {
        self.health.clone()
    }

    /// Runs a retention step after the polls queued before it have
    /// committed, outside their transaction; resolves with what it did.
    pub async fn retain(&self, step: Step) -> Result<Outcome, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Command::Retain(step, reply))
            .await
            .map_err(|_| StoreError::WriterGone)?;
        Ok(answer.await.map_err(|_| StoreError::WriterGone)??)
    }
}

/// Starts the writer thread on the SQLite writing connection and the
/// stories' index loaded from it.
pub fn spawn(conn: Connection, stories: Stories) -> (WriterHandle, JoinHandle<()>) {
    spawn_backend(Writer { conn, stories }, None)
}

/// [`spawn`] for the holder of the database's [`WriterLock`]: the writer
/// keeps it, and records in it when the store fails and when it works
/// again, for `status` to show.
pub fn spawn_locked(
    conn: Connection,
    stories: Stories,
    lock: WriterLock,
) -> (WriterHandle, JoinHandle<()>) {
    spawn_backend(Writer { conn, stories }, Some(lock))
}

/// Starts the writer thread on `backend`. It stops when every
/// [`WriterHandle`] is dropped, after committing what it was sent.
pub fn spawn_backend(
    backend: impl Backend,
    lock: Option<WriterLock>,
) -> (WriterHandle, JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(QUEUE_CAPACITY);
    let health = Arc::new(WriterHealth::new());
    let (commits, commits_rx) = watch::channel(0);
    let thread = std::thread::Builder::new()
        .name("feedsift-writer".into())
        .spawn({
            let health = health.clone();
            move || {
                let mut store = StoreHealth {
                    lock,
                    failing: false,
                    commits,
                };
                run(backend, rx, &health, &mut store)
            }
        });
    match thread {
        Ok(join) => (WriterHandle::new(tx, health, commits_rx), join),
        // Without a thread there is no writer: hand back a handle whose
        // sends fail with WriterGone, and a thread that ends at once.
        Err(e) => {
            tracing::error!(error = %e, "cannot start the database writer thread");
            health.stopped.store(true, Ordering::Release);
            let (tx, _) = mpsc::channel(1);
            (
                WriterHandle::new(tx, health, commits_rx),
                std::thread::spawn(|| ()),
            )
        }
    }
}

/// The writer thread's loop: takes what is queued, up to [`MAX_BATCH`]
/// commands, and hands it to the backend as one batch.
fn run(
    mut backend: impl Backend,
    mut rx: mpsc::Receiver<Command>,
    health: &Arc<WriterHealth>,
    store: &mut StoreHealth,
) {
    let _stopped = StoppedOnDrop(health.clone());
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(cmd) => batch.push(cmd),
                Err(_) => break,
            }
        }
        health.set_busy(true);
        let commit = backend.apply_batch(batch, health);
        store.record(commit.as_ref().err());
        if commit.is_ok() {
            store.commits.send_modify(|n| *n += 1);
        }
        health.set_busy(false);
    }
    backend.close();
    tracing::debug!("database writer finished");
}

/// What the writer publishes about the store between batches.
struct StoreHealth {
    /// SQLite's one-writer lock, which `status` reads the health from.
    lock: Option<WriterLock>,
    /// The last batch failed to commit (see [`StoreHealth::record`]).
    failing: bool,
    commits: watch::Sender<u64>,
}

impl StoreHealth {
    /// Publishes the store's health when it changes: a batch that could
    /// not commit (full disk, I/O error, a lock held past the busy
    /// timeout, a lost server) until one commits again.
    fn record(&mut self, error: Option<&WriteError>) {
        if self.failing == error.is_some() {
            return;
        }
        self.failing = error.is_some();
        let cause = error.map(WriteError::to_string);
        match &cause {
            Some(cause) => {
                tracing::error!(error = %cause, "the database is not taking writes; polls are redone when it does")
            }
            None => tracing::info!("the database takes writes again"),
        }
        METRICS.set_store_error(cause.as_deref());
        if let Some(lock) = &self.lock {
            lock.store_health(cause.as_deref());
        }
    }
}

/// The SQLite writer: the writing connection and the stories' index.
struct Writer {
    conn: Connection,
    stories: Stories,
}

impl Backend for Writer {
    fn apply_batch(
        &mut self,
        batch: Vec<Command>,
        health: &WriterHealth,
    ) -> Result<(), WriteError> {
        let mut replies = Vec::with_capacity(batch.len());
        let mut maintenance = Vec::new();
        let result = (|| -> Result<(), SharedError> {
            let stories = &mut self.stories;
            let mut tx = self.conn.transaction().map_err(shared)?;
            let mut batch = batch.into_iter();
            while let Some(cmd) = batch.next() {
                health.progress();
                let failed = match cmd {
                    Command::Poll(poll, reply) => {
                        let outcome = in_savepoint(&mut tx, |sp| apply_poll(sp, stories, &poll));
                        Reply::Poll(reply, outcome.map_err(shared)).push(&mut replies)
                    }
                    Command::Entries(batch, reply) => {
                        let outcome = in_savepoint(&mut tx, |sp| {
                            apply_entries(
                                sp,
                                stories,
                                batch.feed_id,
                                batch.polled_at,
                                &batch.entries,
                            )
                        });
                        Reply::Poll(reply, outcome.map_err(shared)).push(&mut replies)
                    }
                    Command::SaveRobots(origin, robots) => {
                        let outcome = in_savepoint(&mut tx, |sp| save_robots(sp, &origin, &robots));
                        outcome.err().map(|e| {
                            tracing::warn!(%origin, error = %e, "robots.txt not cached");
                            shared(e)
                        })
                    }
                    Command::SyncFeeds(feeds, reply) => {
                        let outcome = in_savepoint(&mut tx, |sp| sync_feeds(sp, &feeds));
                        Reply::Sync(reply, outcome.map_err(shared)).push(&mut replies)
                    }
                    Command::Retain(step, reply) => {
                        maintenance.push((step, reply));
                        None
                    }
                };
                // Some errors (a full disk, I/O) make SQLite roll the whole
                // transaction back itself: what the batch did so far is gone,
                // and the cause is this error, not the "no transaction is
                // active" a commit would now report.
                if let Some(cause) = failed.filter(|_| tx.is_autocommit()) {
                    for rest in batch.by_ref() {
                        Reply::unanswered(rest, &cause, &mut replies, &mut maintenance);
                    }
                    return Err(cause);
                }
            }
            health.progress();
            tx.commit().map_err(shared)
        })();
        let commit = result.map_err(WriteError::Commit);
        for reply in replies {
            reply.send(&commit);
        }
        for (step, reply) in maintenance {
            health.progress();
            let _ =
                reply.send(retention::apply(&mut self.conn, &step).map_err(WriteError::rejected));
        }
        commit
    }

    fn close(&mut self) {
        self.checkpoint();
    }
}

impl Writer {
    /// Moves everything committed from the WAL into the database file and
    /// empties the WAL. Readers' connections may outlive the writer, and a
    /// read-only connection cannot checkpoint when it closes, so without
    /// this the last polls lived only in `-wal` after feedsift exited: the
    /// `.db` file copied alone (a backup, a move) lacked them.
    fn checkpoint(&mut self) {
        let done = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                r.get::<_, i64>(0)
            });
        match done {
            Ok(0) => {}
            // 1: a reader inside a transaction kept part of the WAL; the
            // next open checkpoints it. Nothing is lost either way.
            Ok(_) => tracing::debug!("the final checkpoint was partial (a reader was active)"),
            Err(e) => {
                tracing::warn!(error = %e, "final WAL checkpoint failed; the data is safe in the -wal file")
            }
        }
    }
}

/// A database error as every sender of its batch shares it.
pub fn shared(e: impl std::error::Error + Send + Sync + 'static) -> SharedError {
    Arc::new(e)
}

type Own<T> = Result<T, SharedError>;

/// A sender waiting for its command's outcome, and that outcome as far as
/// the batch's own statements go.
pub enum Reply {
    Poll(oneshot::Sender<Result<Applied, WriteError>>, Own<Applied>),
    Sync(oneshot::Sender<Result<Vec<i64>, WriteError>>, Own<Vec<i64>>),
}

impl Reply {
    /// Queues the answer; returns the command's own error, if it failed.
    pub fn push(self, replies: &mut Vec<Reply>) -> Option<SharedError> {
        let error = match &self {
            Reply::Poll(_, Err(e)) | Reply::Sync(_, Err(e)) => Some(e.clone()),
            _ => None,
        };
        replies.push(self);
        error
    }

    /// A command of a batch that SQLite rolled back before reaching it:
    /// it fails with the batch's cause.
    pub fn unanswered(
        cmd: Command,
        cause: &SharedError,
        replies: &mut Vec<Reply>,
        maintenance: &mut Vec<(Step, oneshot::Sender<Result<Outcome, WriteError>>)>,
    ) {
        match cmd {
            Command::Poll(_, reply) | Command::Entries(_, reply) => {
                replies.push(Reply::Poll(reply, Err(cause.clone())))
            }
            Command::SyncFeeds(_, reply) => replies.push(Reply::Sync(reply, Err(cause.clone()))),
            Command::SaveRobots(..) => {}
            Command::Retain(step, reply) => maintenance.push((step, reply)),
        }
    }

    /// Answers the sender: its own outcome if the batch committed, else the
    /// commit error. A sender that stopped waiting is not an error.
    pub fn send(self, commit: &Result<(), WriteError>) {
        fn answer<T>(own: Own<T>, commit: &Result<(), WriteError>) -> Result<T, WriteError> {
            commit.clone()?;
            own.map_err(WriteError::Rejected)
        }
        match self {
            Reply::Poll(tx, own) => {
                let _ = tx.send(answer(own, commit));
            }
            Reply::Sync(tx, own) => {
                let _ = tx.send(answer(own, commit));
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
