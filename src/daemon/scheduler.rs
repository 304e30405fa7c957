//! The scheduler: polls each feed when its `next_poll_at` comes, one poll
//! per feed at a time, until told to stop.
//!
//! Besides the clock and finished polls, the loop takes [`Control`]
//! messages: a new set of feeds after a reload (applied between polls, so
//! a running poll is never disturbed), and the watchdog's liveness probes,
//! which only an unblocked loop can answer.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::{Id, JoinError, JoinSet};

use super::cycle::{Alarm, CycleLog};
use crate::config::Schedule;
use crate::metrics::METRICS;
use crate::model::{FeedStatus, PollResult};
use crate::poll::pipeline::PollContext;
use crate::poll::{self, FeedTarget, PollReport, schedule};

/// Due feeds found at start-up (or added by a reload) are spread over this
/// window (or less, at most a tenth of a second apart) instead of all
/// firing at once.
const STARTUP_SPREAD: Duration = Duration::from_secs(60);
const STARTUP_SPREAD_STEP: Duration = Duration::from_millis(100);

/// After a stop signal, in-flight polls get this long to commit what they
/// have; whatever is still running is then abandoned (its feed is simply
/// polled again next start, nothing is half-written). Polls stop fetching
/// as soon as the signal comes, so this only bounds a slow commit; it
/// leaves headroom under the 10 s we promise and systemd's stop timeout.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(7);

/// The longest the scheduler sleeps without looking again.
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// What other parts of the daemon ask of the scheduler loop.
pub enum Control {
    /// Answer at once: proves the loop is running (see `watchdog`).
    Probe(oneshot::Sender<()>),
    /// Poll these feeds from now on (after a reload), with `ctx` for new
    /// polls when the settings changed.
    Retarget {
        targets: Vec<FeedTarget>,
        ctx: Option<PollContext>,
        done: oneshot::Sender<Retargeted>,
    },
}

/// What a reload changed in the schedule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retargeted {
    pub added: usize,
    pub removed: usize,
    /// Feeds whose interval changed and whose next poll moved with it.
    pub rescheduled: usize,
}

/// SIGTERM and SIGINT, registered as soon as the daemon starts so that
/// neither kills it with the default action before it can stop cleanly.
pub struct StopSignals {
    term: Signal,
    int: Signal,
}

impl StopSignals {
    pub fn register() -> std::io::Result<StopSignals> {
        Ok(StopSignals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    pub async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => tracing::info!("SIGTERM received"),
            _ = self.int.recv() => tracing::info!("SIGINT received"),
        }
    }
}

/// A poll task and what it was started with.
struct Running {
    feed_id: i64,
    schedule: Schedule,
}

pub struct Scheduler {
    ctx: PollContext,
    targets: HashMap<i64, FeedTarget>,
    due: HashMap<i64, DateTime<Utc>>,
    in_flight: HashSet<i64>,
    // A poll task that panicked still has to free its feed for the next poll.
    running: HashMap<Id, Running>,
    tasks: JoinSet<PollReport>,
    failing: HashSet<i64>,
    cycle: CycleLog,
}

impl Scheduler {
    /// Makes the first schedule: each feed at its stored `next_poll_at`,
    /// overdue ones spread over the next seconds, muted ones left out.
    pub fn new(ctx: PollContext, targets: Vec<FeedTarget>) -> Scheduler {
        let mut s = Scheduler {
            ctx,
            targets: HashMap::new(),
            due: HashMap::new(),
            in_flight: HashSet::new(),
            running: HashMap::new(),
            tasks: JoinSet::new(),
            failing: HashSet::new(),
            cycle: CycleLog::new(std::time::Instant::now()),
        };
        let ids: Vec<i64> = targets.iter().map(|t| t.id).collect();
        s.targets = targets.into_iter().map(|t| (t.id, t)).collect();
        s.schedule_new(ids, Utc::now());
        s.publish();
        s
    }

    /// Polls feeds on schedule until `stop` resolves, then lets in-flight
    /// polls commit (within [`SHUTDOWN_GRACE`]) and returns. `shutdown`
    /// tells the polls to stop fetching.
    pub async fn run(
        mut self,
        stop: impl Future<Output = ()>,
        mut control: mpsc::Receiver<Control>,
        shutdown: &watch::Sender<bool>,
    ) {
        tokio::pin!(stop);
        loop {
            let now = Utc::now();
            self.start_due(now);
            let sleep = self
                .due
                .iter()
                .filter(|(id, _)| !self.in_flight.contains(id))
                .map(|(_, at)| (*at - now).to_std().unwrap_or(Duration::ZERO))
                .min()
                .unwrap_or(MAX_SLEEP)
                .min(MAX_SLEEP);
            tokio::select! {
                _ = &mut stop => break,
                Some(done) = self.tasks.join_next_with_id() => self.finished(done),
                Some(msg) = control.recv() => match msg {
                    Control::Probe(reply) => {
                        let _ = reply.send(());
                    }
                    Control::Retarget { targets, ctx, done } => {
                        let summary = self.retarget(targets, ctx);
                        let _ = done.send(summary);
                    }
                },
                _ = tokio::time::sleep(sleep) => {}
            }
        }

        let _ = shutdown.send(true);
        let tasks = &mut self.tasks;
        let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                abandoned = self.tasks.len(),
                "polls still running at shutdown were abandoned; they are redone next start"
            );
            self.tasks.abort_all();
            while self.tasks.join_next().await.is_some() {}
        }
    }

    fn start_due(&mut self, now: DateTime<Utc>) {
        let ready: Vec<i64> = self
            .due
            .iter()
            .filter(|(id, at)| **at <= now && !self.in_flight.contains(id))
            .map(|(id, _)| *id)
            .collect();
        for id in ready {
            self.due.remove(&id);
            let Some(target) = self.targets.get(&id).cloned() else {
                continue;
            };
            self.in_flight.insert(id);
            let ctx = self.ctx.clone();
            let running = Running {
                feed_id: id,
                schedule: target.schedule,
            };
            let handle = self
                .tasks
                .spawn(async move { poll::poll_feed(&ctx, &target).await });
            self.running.insert(handle.id(), running);
        }
        self.publish();
    }

    fn finished(&mut self, done: Result<(Id, PollReport), JoinError>) {
        let (task, report) = match done {
            Ok((task, report)) => (task, Some(report)),
            Err(e) => {
                tracing::error!(error = %e, "a poll task failed");
                (e.id(), None)
            }
        };
        let Some(run) = self.running.remove(&task) else {
            return;
        };
        let id = run.feed_id;
        self.in_flight.remove(&id);
        match &report {
            Some(r) if r.ok() => self.failing.remove(&id),
            _ => self.failing.insert(id),
        };
        self.publish();
        self.log_cycle(report.as_ref());
        // Removed by a reload while it ran: not polled again.
        let Some(target) = self.targets.get(&id) else {
            return;
        };
        if report
            .as_ref()
            .is_some_and(|r| r.result == PollResult::Gone)
        {
            return;
        }
        let planned = report.and_then(|r| r.next_poll_at);
        // The poll planned with the interval it started with; a reload
        // may have changed it since.
        let next = if target.schedule != run.schedule {
            self.rescheduled(target, planned).or(planned)
        } else {
            planned
        };
        let next =
            next.unwrap_or_else(|| Utc::now() + schedule::to_chrono(target.schedule.initial()));
        self.due.insert(id, next);
    }

    /// Applies a reload: new feeds are scheduled now (or at the time a
    /// previous life of theirs left in the database), removed ones are
    /// dropped (a running poll of theirs commits and is not repeated), and
    /// a changed interval moves the next poll.
    fn retarget(&mut self, targets: Vec<FeedTarget>, ctx: Option<PollContext>) -> Retargeted {
        if let Some(ctx) = ctx {
            self.ctx = ctx;
        }
        let mut summary = Retargeted::default();
        let new: HashMap<i64, FeedTarget> = targets.into_iter().map(|t| (t.id, t)).collect();
        let removed: Vec<i64> = self
            .targets
            .keys()
            .filter(|id| !new.contains_key(id))
            .copied()
            .collect();
        for id in removed {
            self.targets.remove(&id);
            self.due.remove(&id);
            self.failing.remove(&id);
            summary.removed += 1;
        }
        let mut added = Vec::new();
        let now = Utc::now();
        for (id, target) in new {
            let changed = self
                .targets
                .get(&id)
                .map(|old| old.schedule != target.schedule);
            // A running poll (not in `due`) is rescheduled when it finishes.
            let due = self.due.get(&id).copied();
            let next = due
                .filter(|_| changed == Some(true))
                .and_then(|at| self.rescheduled(&target, Some(at)));
            self.targets.insert(id, target);
            if changed.is_none() {
                added.push(id);
            }
            if let Some(at) = next {
                self.due.insert(id, at.max(now));
                summary.rescheduled += 1;
            }
        }
        summary.added = added.len();
        self.schedule_new(added, now);
        self.publish();
        summary
    }

    /// Schedules feeds the loop did not know: at their stored next poll if
    /// it is ahead, else soon, spread out.
    fn schedule_new(&mut self, ids: Vec<i64>, now: DateTime<Utc>) {
        let mut overdue = Vec::new();
        for id in ids {
            let state = self.ctx.reader.feed_state(id).unwrap_or_default();
            if state.status == FeedStatus::Muted {
                if let Some(t) = self.targets.get(&id) {
                    tracing::info!(feed = %t.config.url, "feed is muted (410 Gone); not polled until `feedsift poll --all` succeeds");
                }
                continue;
            }
            match state.next_poll_at {
                Some(at) if at > now => {
                    self.due.insert(id, at);
                }
                _ => overdue.push(id),
            }
        }
        let step = if overdue.is_empty() {
            Duration::ZERO
        } else {
            (STARTUP_SPREAD / overdue.len() as u32).min(STARTUP_SPREAD_STEP)
        };
        for (i, id) in overdue.into_iter().enumerate() {
            self.due
                .insert(id, now + schedule::to_chrono(step * i as u32));
        }
    }

    /// The next poll of a feed whose schedule changed, `planned` being the
    /// one set under the old schedule. Pinned: its last poll plus the new
    /// interval (with the failure backoff if it is failing), within its
    /// `max_interval`. Adaptive: the feed adapts at its next poll, which
    /// comes no later than its last poll plus the new `max_interval`.
    fn rescheduled(
        &self,
        target: &FeedTarget,
        planned: Option<DateTime<Utc>>,
    ) -> Option<DateTime<Utc>> {
        let (polled, errors) = self.ctx.reader.last_poll(target.id).ok().flatten()?;
        let max = target.schedule.max();
        Some(match target.schedule {
            Schedule::Pinned { interval, .. } if errors > 0 => {
                schedule::after_failure_capped(polled, interval, errors, None, max)
            }
            Schedule::Pinned { interval, .. } => {
                schedule::after_success_capped(polled, interval, &[], max)
            }
            Schedule::Adaptive { .. } => planned?.min(polled + schedule::to_chrono(max)),
        })
    }

    /// The per-cycle summary and the every-feed-failing alarm ([`cycle`]).
    fn log_cycle(&mut self, report: Option<&PollReport>) {
        let ok = report.is_some_and(PollReport::ok);
        let applied = report.map(|r| r.applied).unwrap_or_default();
        match self.cycle.failing(self.failing.len(), self.targets.len()) {
            Some(Alarm::Raised { feeds }) => tracing::error!(
                feeds,
                "every feed failed its last poll: is the network, DNS or the proxy down? \
                 (`feedsift status` shows each feed's error)"
            ),
            Some(Alarm::Cleared) => {
                tracing::info!("a feed answered again after every feed had failed")
            }
            None => {}
        }
        if let Some(s) = self.cycle.record(ok, &applied, std::time::Instant::now()) {
            tracing::info!(
                minutes = s.minutes,
                polls = s.polls,
                failed = s.failed,
                new = s.applied.new_articles,
                duplicates = s.applied.duplicates,
                filtered = s.applied.filtered,
                feeds = self.targets.len(),
                failing = self.failing.len(),
                "cycle summary"
            );
            if self.cycle.alarmed() {
                tracing::error!(feeds = self.targets.len(), "every feed is still failing");
            }
        }
    }

    fn publish(&self) {
        METRICS.set_feeds(self.targets.len(), self.failing.len(), self.in_flight.len());
    }
}
