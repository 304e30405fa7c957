//! The systemd notify protocol, spoken by the daemon itself: `READY=1`
//! once the database is migrated and the first schedule is made,
//! `RELOADING=1` … `READY=1` around a reload, `STOPPING=1` on SIGTERM,
//! `STATUS=` lines with feed and article counts, and `WATCHDOG=1` pings
//! (sent by [`super::watchdog`], only while the daemon is healthy).
//!
//! Outside systemd (`NOTIFY_SOCKET` unset) every call is a no-op, so the
//! same binary runs in a terminal, a container or a test.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sd_notify::NotifyState;

use crate::metrics::METRICS;

/// How often the STATUS line is refreshed (when its counts changed):
/// `systemctl status` is read by people, not scraped.
const STATUS_EVERY: Duration = Duration::from_secs(5);

pub struct Notifier {
    enabled: bool,
    /// A send already failed and was logged; later failures stay quiet
    /// (systemd going away would otherwise log every few seconds).
    failed: AtomicBool,
}

impl Notifier {
    pub fn from_env() -> Notifier {
        Notifier {
            enabled: std::env::var_os("NOTIFY_SOCKET").is_some(),
            failed: AtomicBool::new(false),
        }
    }

    /// The watchdog timeout systemd set for this process (`WATCHDOG_USEC`,
    /// when `WATCHDOG_PID` is unset or ours), if any.
    pub fn watchdog_timeout(&self) -> Option<Duration> {
        if !self.enabled {
            return None;
        }
        sd_notify::watchdog_enabled().filter(|d| !d.is_zero())
    }

    pub fn ready(&self) {
        self.send(&[
            NotifyState::Ready,
            NotifyState::Status(&METRICS.summary().to_string()),
        ]);
    }

    /// Start of a reload. `MONOTONIC_USEC` lets systemd ≥ 253 match it to
    /// a `systemctl reload` (Type=notify-reload); older ones ignore it.
    pub fn reloading(&self) {
        let mut states = vec![
            NotifyState::Reloading,
            NotifyState::Status("reloading feeds.toml"),
        ];
        if let Ok(now) = NotifyState::monotonic_usec_now() {
            states.insert(1, now);
        }
        self.send(&states);
    }

    pub fn stopping(&self) {
        self.send(&[
            NotifyState::Stopping,
            NotifyState::Status("stopping: committing what is complete"),
        ]);
    }

    pub fn status(&self, text: &str) {
        self.send(&[NotifyState::Status(text)]);
    }

    pub fn watchdog(&self) {
        self.send(&[NotifyState::Watchdog]);
    }

    fn send(&self, states: &[NotifyState]) {
        if !self.enabled {
            return;
        }
        if let Err(e) = sd_notify::notify(states) {
            if !self.failed.swap(true, Ordering::Relaxed) {
                tracing::warn!(error = %e, "cannot notify systemd (NOTIFY_SOCKET)");
            }
        }
    }

    /// Keeps the STATUS line current; runs until dropped.
    pub async fn keep_status(&self) {
        if !self.enabled {
            return std::future::pending().await;
        }
        let mut shown = METRICS.summary();
        let mut tick = tokio::time::interval(STATUS_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = METRICS.summary();
            if now != shown {
                self.status(&now.to_string());
                shown = now;
            }
        }
    }
}
