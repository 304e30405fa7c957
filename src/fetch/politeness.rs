//! Per-host politeness shared by feed and article fetches: at most N
//! requests in flight to one host, and a minimum gap between the starts of
//! two requests to it. Sites block readers that burst; a daemon that runs
//! for months must never be one of them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Hosts idle longer than this are forgotten, so the map does not grow with
/// every site an article ever linked to.
const FORGET_IDLE_HOST_AFTER: Duration = Duration::from_secs(600);

/// Entries in the host map before a sweep for idle hosts runs.
const SWEEP_AT_HOSTS: usize = 4096;

struct Host {
    slots: Arc<Semaphore>,
    /// The earliest moment the next request may start.
    next_start: Mutex<Instant>,
    last_used: Mutex<Instant>,
}

pub struct HostGates {
    per_host: usize,
    delay: Duration,
    hosts: Mutex<HashMap<String, Arc<Host>>>,
}

/// Held while a request to a host is in flight.
pub struct HostPass {
    _permit: Option<OwnedSemaphorePermit>,
}

impl HostGates {
    pub fn new(per_host: usize, delay: Duration) -> HostGates {
        HostGates {
            per_host: per_host.max(1),
            delay,
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a slot on `host` and for the host's gap to pass.
    pub async fn enter(&self, host: &str) -> HostPass {
        let host = self.host(host);
        // Acquiring fails only on a closed semaphore, and ours are never
        // closed; `None` then just means no slot is held.
        let permit = host.slots.clone().acquire_owned().await.ok();
        if !self.delay.is_zero() {
            let start = {
                let mut next = host.next_start.lock().unwrap_or_else(|p| p.into_inner());
                let start = (*next).max(Instant::now());
                *next = start + self.delay;
                start
            };
            tokio::time::sleep_until(start).await;
        }
        *host.last_used.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        HostPass { _permit: permit }
    }

    fn host(&self, name: &str) -> Arc<Host> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        if hosts.len() >= SWEEP_AT_HOSTS {
            hosts.retain(|_, h| {
                Arc::strong_count(h) > 1
                    || h.last_used
                        .lock()
                        .map(|t| t.elapsed() < FORGET_IDLE_HOST_AFTER)
                        .unwrap_or(true)
            });
        }
        hosts
            .entry(name.to_ascii_lowercase())
            .or_insert_with(|| {
                Arc::new(Host {
                    slots: Arc::new(Semaphore::new(self.per_host)),
                    next_start: Mutex::new(Instant::now()),
                    last_used: Mutex::new(Instant::now()),
                })
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(start_paused = true)]
    async fn caps_concurrency_and_spaces_starts() {
        let gates = Arc::new(HostGates::new(2, Duration::from_secs(1)));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let began = Instant::now();
        let mut starts = Vec::new();
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let (gates, in_flight, peak) = (gates.clone(), in_flight.clone(), peak.clone());
            tasks.push(tokio::spawn(async move {
                let _pass = gates.enter("Example.org").await;
                let started = Instant::now();
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_secs(5)).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
                started
            }));
        }
        for t in tasks {
            starts.push(t.await.unwrap());
        }
        starts.sort();
        assert_eq!(peak.load(Ordering::SeqCst), 2);
        for pair in starts.windows(2) {
            assert!(
                pair[1] - pair[0] >= Duration::from_secs(1),
                "starts closer than the host delay"
            );
        }
        // Six 5 s requests, two at a time: three waves.
        assert!(starts[5] - began >= Duration::from_secs(10));
        // Another host is not held up by this one.
        let other = gates.enter("other.example").await;
        drop(other);
    }
}
