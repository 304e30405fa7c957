//! Webhooks: each new story is POSTed as JSON (the shape of one `feedsift
//! export` line) to the `[webhook]` of feeds.toml, or to its feed's own
//! `[feed.webhook]`, after the transaction that stored it has committed.
//!
//! Invariant: announcing never slows storing. The writer only bumps a
//! commit counter ([`crate::store::writer::WriterHandle::commits`]); a
//! dispatcher task then reads the stories stored since it last looked (ids
//! above its cursor, copies of older stories left out) and puts their ids
//! on each target's bounded queue without waiting: when a queue is full the
//! id is dropped, counted and logged. Each target sends its queue in order,
//! one story at a time, retrying with doubling waits ([`route`]); a dead
//! receiver fills its own queue and nothing else.
//!
//! Delivery is at least once while the process runs (a retry after an
//! answer that was lost repeats a story; `X-Feedsift-Story` carries its id
//! for receivers to drop repeats), and best effort across restarts: ids
//! still queued when the process stops are given [`DRAIN_LIMIT`] to go
//! out. A pipeline that must see every story reads `feedsift export
//! --after-id`, which the database keeps.

mod deliver;
pub mod route;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub use deliver::EVENT_NEW_STORY;
pub use route::{FIRST_RETRY_WAIT, Routes};

use crate::config::{Config, WebhookConfig};
use crate::metrics::{METRICS, WebhookEvent};
use crate::store::{ReadPool, StoreError, query};

/// How long a stopping process waits for queued stories to go out; the
/// rest are not sent. The daemon promises to exit within 10 s of SIGTERM,
/// finishing its writes first; a live receiver takes a round's stories in
/// far less (the tests' receiver: 3 stories in ~50 ms).
pub const DRAIN_LIMIT: Duration = Duration::from_secs(3);

/// A full queue is logged at most this often; the count keeps every drop.
const DROP_WARNING_EVERY: Duration = Duration::from_secs(60);

/// What the webhooks did since the process started.
#[derive(Debug, Default)]
pub struct Stats {
    delivered: AtomicU64,
    retried: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
}

/// A copy of [`Stats`] at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Stories a receiver accepted (2xx).
    pub delivered: u64,
    /// Attempts that failed and were tried again.
    pub retried: u64,
    /// Stories given up on after their retries, or refused (4xx).
    pub failed: u64,
    /// Stories never sent because their target's queue was full.
    pub dropped: u64,
}

impl Stats {
    pub fn counts(&self) -> Counts {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Counts {
            delivered: get(&self.delivered),
            retried: get(&self.retried),
            failed: get(&self.failed),
            dropped: get(&self.dropped),
        }
    }
    // Each count goes to /metrics too (process-wide, across reloads).
    fn add_delivered(&self) {
        METRICS.webhook(WebhookEvent::Delivered);
        self.delivered.fetch_add(1, Ordering::Relaxed);
    }
    fn add_retried(&self) {
        METRICS.webhook(WebhookEvent::Retried);
        self.retried.fetch_add(1, Ordering::Relaxed);
    }
    fn add_failed(&self) {
        METRICS.webhook(WebhookEvent::Failed);
        self.failed.fetch_add(1, Ordering::Relaxed);
    }
    fn add_dropped(&self) -> u64 {
        METRICS.webhook(WebhookEvent::Dropped);
        self.dropped.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// The running webhooks of a pipeline.
pub struct Webhooks {
    routes: watch::Sender<Arc<Routes>>,
    dispatcher: JoinHandle<()>,
    stats: Arc<Stats>,
}

impl Webhooks {
    /// Starts announcing stories stored from now on, as `config` routes
    /// them. `commits` is the writer's commit counter; when it closes (the
    /// writer finished) the last stories are queued and the queues drain.
    pub fn start(
        config: &Config,
        reader: ReadPool,
        commits: watch::Receiver<u64>,
    ) -> Result<Webhooks, StoreError> {
        let cursor = reader.with(query::last_article_id)?;
        let (routes, routes_rx) = watch::channel(Arc::new(Routes::of(config)));
        let stats = Arc::new(Stats::default());
        let dispatcher = Dispatcher {
            reader,
            cursor,
            user_agent: config.settings.user_agent.clone(),
            queues: Vec::new(),
            retired: Vec::new(),
            stats: stats.clone(),
            last_drop_warning: None,
        };
        let dispatcher = tokio::spawn(dispatcher.run(commits, routes_rx));
        Ok(Webhooks {
            routes,
            dispatcher,
            stats,
        })
    }

    /// Routes stories stored from now on by a reloaded config.
    pub fn retarget(&self, config: &Config) {
        self.routes.send_replace(Arc::new(Routes::of(config)));
    }

    pub fn counts(&self) -> Counts {
        self.stats.counts()
    }

    /// Waits, at most [`DRAIN_LIMIT`], for the queued stories to go out.
    /// Call after the writer finished, so its last commit is announced.
    pub async fn finish(self) -> Counts {
        let Webhooks {
            routes,
            mut dispatcher,
            stats,
        } = self;
        drop(routes);
        if tokio::time::timeout(DRAIN_LIMIT, &mut dispatcher)
            .await
            .is_err()
        {
            dispatcher.abort();
            tracing::warn!(
                limit = ?DRAIN_LIMIT,
                "webhook: stories still queued at exit were not delivered"
            );
        }
        let counts = stats.counts();
        if counts != Counts::default() {
            tracing::info!(
                delivered = counts.delivered,
                failed = counts.failed,
                dropped = counts.dropped,
                retried = counts.retried,
                "webhook deliveries"
            );
        }
        counts
    }
}

/// A target's queue and the task sending it.
struct Queue {
    tx: mpsc::Sender<i64>,
    task: JoinHandle<()>,
}

struct Dispatcher {
    reader: ReadPool,
    /// Stories up to this article id have been routed.
    cursor: i64,
    user_agent: String,
    /// Few targets: a list, searched by equal config.
    queues: Vec<(WebhookConfig, Queue)>,
    /// Tasks of targets no longer configured, finishing their queues.
    retired: Vec<JoinHandle<()>>,
    stats: Arc<Stats>,
    last_drop_warning: Option<Instant>,
}

impl Dispatcher {
    async fn run(
        mut self,
        mut commits: watch::Receiver<u64>,
        mut routes: watch::Receiver<Arc<Routes>>,
    ) {
        loop {
            let writer_done = commits.changed().await.is_err();
            let current = routes.borrow_and_update().clone();
            self.sync_queues(&current);
            if let Err(e) = self.route_new_stories(&current) {
                tracing::warn!(error = %e, "webhook: cannot read new stories; trying at the next commit");
            }
            if writer_done {
                break;
            }
        }
        // Closing the queues lets each task end once it has sent them.
        let tasks: Vec<JoinHandle<()>> = self
            .queues
            .drain(..)
            .map(|(_, q)| q.task)
            .chain(self.retired.drain(..))
            .collect();
        for task in tasks {
            let _ = task.await;
        }
    }

    /// One queue and task per configured target.
    fn sync_queues(&mut self, routes: &Routes) {
        let wanted = routes.targets();
        let (kept, gone): (Vec<_>, Vec<_>) = std::mem::take(&mut self.queues)
            .into_iter()
            .partition(|(config, _)| wanted.contains(&config));
        self.queues = kept;
        // Dropping a queue's sender lets its task end once it is sent.
        self.retired.extend(gone.into_iter().map(|(_, q)| q.task));
        self.retired.retain(|t| !t.is_finished());
        for config in wanted {
            if self.queues.iter().any(|(c, _)| c == config) {
                continue;
            }
            match deliver::Target::new(config.clone(), &self.user_agent) {
                Ok(target) => {
                    let (tx, rx) = mpsc::channel(config.queue.max(1));
                    let task =
                        tokio::spawn(target.run(rx, self.reader.clone(), self.stats.clone()));
                    self.queues.push((config.clone(), Queue { tx, task }));
                }
                Err(e) => {
                    tracing::error!(webhook = %config.url, error = %e, "webhook: cannot build its HTTP client");
                }
            }
        }
    }

    /// Puts the stories stored since the last look on their targets' queues.
    fn route_new_stories(&mut self, routes: &Routes) -> Result<(), StoreError> {
        let (ids, last) = self.reader.with(|c| query::stories_after(c, self.cursor))?;
        self.cursor = last;
        if routes.is_empty() {
            return Ok(());
        }
        for id in ids {
            let feeds = if routes.by_feed() {
                self.reader.with(|c| query::story_feeds(c, id))?
            } else {
                Vec::new()
            };
            for target in routes.for_story(&feeds) {
                let Some((_, queue)) = self.queues.iter().find(|(c, _)| c == target) else {
                    continue;
                };
                if queue.tx.try_send(id).is_err() {
                    let dropped = self.stats.add_dropped();
                    let due = self
                        .last_drop_warning
                        .is_none_or(|at| at.elapsed() >= DROP_WARNING_EVERY);
                    if due {
                        self.last_drop_warning = Some(Instant::now());
                        tracing::warn!(
                            webhook = %target.url,
                            story = id,
                            dropped_so_far = dropped,
                            "webhook queue full: story not announced (the receiver is slow or down)"
                        );
                    }
                }
            }
        }
        Ok(())
    }
}
