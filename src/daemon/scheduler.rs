//! The scheduler: polls each feed when its `next_poll_at` comes, one poll
//! per feed at a time, until told to stop.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::JoinSet;

use super::Pipeline;
use super::poller::{self, FeedTarget, PollReport};
use crate::store::read;

/// Due feeds found at start-up are spread over this window (or less, at
/// most a tenth of a second apart) instead of all firing at once.
const STARTUP_SPREAD: Duration = Duration::from_secs(60);
const STARTUP_SPREAD_STEP: Duration = Duration::from_millis(100);

/// After a stop signal, in-flight polls get this long to commit what they
/// have; whatever is still running is then abandoned (its feed is simply
/// polled again next start, nothing is half-written). Leaves headroom under
/// systemd's default 90 s and the 10 s we promise.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(7);

/// The longest the scheduler sleeps without looking again.
const MAX_SLEEP: Duration = Duration::from_secs(60);

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
pub async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM received"),
                    _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT received"),
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the daemon");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Polls feeds on schedule until `stop` resolves, then lets in-flight polls
/// commit (within [`SHUTDOWN_GRACE`]) and returns.
pub async fn run(pipeline: &Pipeline, targets: Vec<FeedTarget>, stop: impl Future<Output = ()>) {
    let now = Utc::now();
    let mut due: HashMap<i64, DateTime<Utc>> = HashMap::new();
    let mut overdue = Vec::new();
    for t in &targets {
        let state = pipeline
            .ctx
            .reader
            .with(|c| read::feed_state(c, t.id))
            .unwrap_or_default();
        if state.state == "muted" {
            tracing::info!(feed = %t.config.url, "feed is muted (410 Gone); not polled until `feedsift poll --all` succeeds");
            continue;
        }
        match state.next_poll_at {
            Some(at) if at > now => {
                due.insert(t.id, at);
            }
            _ => overdue.push(t.id),
        }
    }
    let step = if overdue.is_empty() {
        Duration::ZERO
    } else {
        (STARTUP_SPREAD / overdue.len() as u32).min(STARTUP_SPREAD_STEP)
    };
    for (i, id) in overdue.into_iter().enumerate() {
        due.insert(id, now + super::schedule::to_chrono(step * i as u32));
    }
    let targets: HashMap<i64, FeedTarget> = targets.into_iter().map(|t| (t.id, t)).collect();

    let mut in_flight: HashSet<i64> = HashSet::new();
    // A poll task that panicked still has to free its feed for the next poll.
    let mut task_feed: HashMap<tokio::task::Id, i64> = HashMap::new();
    let mut tasks: JoinSet<PollReport> = JoinSet::new();
    tokio::pin!(stop);
    loop {
        let now = Utc::now();
        let ready: Vec<i64> = due
            .iter()
            .filter(|(id, at)| **at <= now && !in_flight.contains(id))
            .map(|(id, _)| *id)
            .collect();
        for id in ready {
            let Some(target) = targets.get(&id).cloned() else {
                continue;
            };
            due.remove(&id);
            in_flight.insert(id);
            let ctx = pipeline.ctx.clone();
            let handle = tasks.spawn(async move { poller::poll_feed(&ctx, &target).await });
            task_feed.insert(handle.id(), id);
        }
        let sleep = due
            .iter()
            .filter(|(id, _)| !in_flight.contains(id))
            .map(|(_, at)| (*at - now).to_std().unwrap_or(Duration::ZERO))
            .min()
            .unwrap_or(MAX_SLEEP)
            .min(MAX_SLEEP);
        tokio::select! {
            _ = &mut stop => break,
            Some(done) = tasks.join_next_with_id() => {
                let (task, next) = match done {
                    Ok((task, report)) if report.muted => {
                        task_feed.remove(&task);
                        in_flight.remove(&report.feed_id);
                        continue;
                    }
                    Ok((task, report)) => (task, report.next_poll_at),
                    Err(e) => {
                        tracing::error!(error = %e, "a poll task failed");
                        (e.id(), None)
                    }
                };
                if let Some(id) = task_feed.remove(&task) {
                    in_flight.remove(&id);
                    let interval = targets.get(&id).map_or(MAX_SLEEP, |t| t.interval);
                    due.insert(id, next.unwrap_or_else(|| Utc::now() + super::schedule::to_chrono(interval)));
                }
            }
            _ = tokio::time::sleep(sleep) => {}
        }
    }

    let _ = pipeline.shutdown.send(true);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            abandoned = tasks.len(),
            "polls still running at shutdown were abandoned; they are redone next start"
        );
        tasks.abort_all();
        while tasks.join_next().await.is_some() {}
    }
}
