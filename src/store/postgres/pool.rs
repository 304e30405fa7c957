//! A small pool of reading connections for the poll tasks, each owned by a
//! thread of its own: the sync client must not run on an async worker, and
//! a poll's look-ups are short, so the caller simply waits for the answer
//! (as it waits for a SQLite read).

use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use super::db::Conn;

use super::super::StoreError;

/// Connections (and threads) in the pool: the poll tasks' look-ups take a
/// fraction of a millisecond on a local server; four keep 32 concurrent
/// fetches from queuing behind each other.
const READERS: usize = 4;

type Job = Box<dyn FnOnce(&mut Slot) + Send>;

/// A pool thread's connection, opened on demand.
struct Slot {
    url: String,
    conn: Option<Conn>,
}

/// Cheap to clone; the threads end when the last clone is dropped.
#[derive(Clone)]
pub struct PgPool {
    jobs: Sender<Job>,
}

impl PgPool {
    /// Starts the pool's threads; each connects on its first job (the
    /// writer has created and migrated the database by then).
    pub fn new(url: &str) -> Result<PgPool, StoreError> {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..READERS {
            let queue = queue.clone();
            let url = url.to_string();
            std::thread::Builder::new()
                .name(format!("feedsift-pg-read-{i}"))
                .spawn(move || serve(&url, &queue))
                .map_err(|source| StoreError::Io {
                    path: "postgres reader thread".into(),
                    source,
                })?;
        }
        Ok(PgPool { jobs })
    }

    /// Runs `f` on a pooled connection and waits for its answer.
    pub fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Conn) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, answer) = channel();
        let job: Job = Box::new(move |slot| {
            let _ = reply.send(run(slot, f));
        });
        self.jobs.send(job).map_err(|_| StoreError::ReadersGone)?;
        answer.recv().map_err(|_| StoreError::ReadersGone)?
    }
}

/// Connects if needed, runs `f`, and drops a connection the server closed
/// so the next job reconnects.
fn run<T>(
    slot: &mut Slot,
    f: impl FnOnce(&mut Conn) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    if slot.conn.as_ref().is_none_or(|c| c.client.is_closed()) {
        slot.conn = None;
        slot.conn = Some(Conn::new(super::connect(&slot.url)?));
    }
    match slot.conn.as_mut() {
        Some(client) => f(client),
        None => Err(StoreError::ReadersGone),
    }
}

fn serve(url: &str, queue: &Mutex<Receiver<Job>>) {
    let mut slot = Slot {
        url: url.to_string(),
        conn: None,
    };
    loop {
        let job = match queue.lock() {
            Ok(q) => q.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(&mut slot),
            Err(_) => return,
        }
    }
}
