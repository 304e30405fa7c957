//! The systemd watchdog: `WATCHDOG=1` is sent every half `WATCHDOG_USEC`,
//! but only while both halves of the daemon that can hang are healthy:
//!
//! - the scheduler loop answers a probe sent through its control channel
//!   (a loop blocked on a lock or a starved runtime does not);
//! - the database writer is idle or making progress: it publishes when it
//!   last finished a step ([`WriterHealth`]), and a writer stuck in one
//!   step of a transaction (a lock another process never releases, a disk
//!   that stopped answering) for half the watchdog timeout counts as hung.
//!
//! An idle writer is alive: it is waiting for work, not stuck. When a check
//! fails the ping is skipped, and systemd restarts the service once the
//! timeout passes without one. Nothing is lost by that restart: every poll
//! commits atomically (see `store::writer`).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::notify::Notifier;
use super::scheduler::Control;
use crate::store::writer::WriterHealth;

/// Pings go out at this fraction of the watchdog timeout, as sd_watchdog_enabled(3) advises.
const PINGS_PER_TIMEOUT: u32 = 2;

/// Pings systemd's watchdog while the daemon is healthy; runs until dropped.
/// Without a watchdog (`WATCHDOG_USEC` unset) it only waits.
pub async fn run(notifier: &Notifier, scheduler: mpsc::Sender<Control>, writer: Arc<WriterHealth>) {
    let Some(timeout) = notifier.watchdog_timeout() else {
        return std::future::pending().await;
    };
    let period = timeout / PINGS_PER_TIMEOUT;
    // A writer step longer than half the timeout is hung: far beyond any
    // commit (the busy timeout on a lock is 10 s against a 60 s watchdog),
    // and early enough that systemd acts within about twice the timeout.
    let stall_limit = timeout / 2;
    // The probe must come back within the period, so a slow answer does
    // not delay the next check.
    let probe_timeout = period / 2;
    tracing::info!(timeout = ?timeout, "systemd watchdog enabled");
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match check(&scheduler, &writer, probe_timeout, stall_limit).await {
            Ok(()) => notifier.watchdog(),
            Err(why) => tracing::warn!(%why, "systemd watchdog not pinged"),
        }
    }
}

async fn check(
    scheduler: &mpsc::Sender<Control>,
    writer: &WriterHealth,
    probe_timeout: Duration,
    stall_limit: Duration,
) -> Result<(), String> {
    if writer.stopped() {
        return Err("the database writer has stopped".into());
    }
    if let Some(stalled) = writer.stalled_for().filter(|s| *s > stall_limit) {
        return Err(format!(
            "the database writer has been stuck for {:.1}s",
            stalled.as_secs_f64()
        ));
    }
    let (reply, answer) = oneshot::channel();
    let probe = async {
        scheduler
            .send(Control::Probe(reply))
            .await
            .map_err(|_| "the scheduler has stopped".to_string())?;
        answer
            .await
            .map_err(|_| "the scheduler dropped the probe".to_string())
    };
    match tokio::time::timeout(probe_timeout, probe).await {
        Ok(answered) => answered,
        Err(_) => Err(format!(
            "the scheduler did not answer within {:.1}s",
            probe_timeout.as_secs_f64()
        )),
    }
}
