//! One writer per database: `run` and `poll --all` hold an OS file lock on
//! `<database>.lock` for as long as they write, and a second one is
//! refused at once with the holder's pid. Readers (`status`, `search`,
//! `export`, other programs) never take it.
//!
//! Why a lock file and not SQLite's own locking: SQLite locks per
//! transaction, so two daemons both start, poll every feed twice and trip
//! over `database is locked`; and it cannot say who holds it. An `flock`
//! is held for the process's life and released by the kernel however the
//! process ends, SIGKILL included, so a stale file never blocks a start.
//! The file itself stays (deleting it would let two processes lock two
//! different files); what it says is only read while it is locked.
//!
//! The file also carries the writer's health, for `status` to show while
//! the daemon runs: when the store fails (a full disk), the cause is
//! written in place over the file's first block, which was allocated when
//! the lock was taken, so it needs no free space.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};

use super::{StoreError, parse_timestamp, timestamp};

/// Bytes the lock file is written with, padded: room for the holder and a
/// store error, allocated up front so updates need no free space.
const RECORD_BYTES: usize = 4096;

/// The lock file of a database.
pub fn path_of(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// The held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct WriterLock {
    file: File,
    holder: Holder,
    write: Mutex<()>,
}

/// Who holds a database's lock, and how its store is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    pub command: String,
    pub since: Option<DateTime<Utc>>,
    /// The store's last failure, while it lasts: when it began, and why.
    pub store_error: Option<(Option<DateTime<Utc>>, String)>,
}

impl Holder {
    fn record(&self) -> Vec<u8> {
        let mut text = format!(
            "pid={}\ncommand={}\nsince={}\n",
            self.pid,
            one_line(&self.command),
            self.since.map(timestamp).unwrap_or_default()
        );
        if let Some((since, error)) = &self.store_error {
            text.push_str(&format!(
                "store_error_since={}\nstore_error={}\n",
                since.map(timestamp).unwrap_or_default(),
                one_line(error)
            ));
        }
        let mut bytes = text.into_bytes();
        bytes.truncate(RECORD_BYTES - 1);
        bytes.resize(RECORD_BYTES, b' ');
        bytes
    }

    fn parse(text: &str) -> Option<Holder> {
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
                .map(str::trim)
        };
        Some(Holder {
            pid: field("pid")?.parse().ok()?,
            command: field("command").unwrap_or_default().to_string(),
            since: field("since").and_then(parse_timestamp),
            store_error: field("store_error").map(|e| {
                (
                    field("store_error_since").and_then(parse_timestamp),
                    e.to_string(),
                )
            }),
        })
    }
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

/// Takes the database's writer lock for this process, or says who has it.
pub fn acquire(database: &Path) -> Result<WriterLock, StoreError> {
    // A path in a missing directory is a typo to name, not a lock to fail.
    super::location::check(database)?;
    let path = path_of(database);
    let io = |source| StoreError::Io {
        path: path.clone(),
        source,
    };
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    match try_lock(&file) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
            let holder = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| Holder::parse(&t));
            return Err(StoreError::InUse {
                database: database.to_path_buf(),
                holder: holder.map(|h| format!("pid {}, `{}`", h.pid, h.command)),
            });
        }
        Err(e) => return Err(io(e)),
    }
    let holder = Holder {
        pid: std::process::id(),
        command: std::env::args().collect::<Vec<_>>().join(" "),
        since: Some(Utc::now()),
        store_error: None,
    };
    let lock = WriterLock {
        file,
        holder,
        write: Mutex::new(()),
    };
    lock.write(&lock.holder).map_err(io)?;
    Ok(lock)
}

/// An exclusive `flock` without waiting (`File::try_lock` needs Rust 1.89;
/// this crate builds with 1.85).
fn try_lock(file: &File) -> std::io::Result<()> {
    // SAFETY: flock on a descriptor this `File` owns and keeps open; it
    // touches no memory.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

impl WriterLock {
    /// Records the store's health in the lock file: `Some(cause)` when it
    /// starts failing, `None` when it works again. A failure to record it
    /// is logged, never fatal.
    pub fn store_health(&self, error: Option<&str>) {
        let holder = Holder {
            store_error: error.map(|e| (Some(Utc::now()), e.to_string())),
            ..self.holder.clone()
        };
        if let Err(e) = self.write(&holder) {
            tracing::warn!(error = %e, "cannot record the store's health in the lock file");
        }
    }

    fn write(&self, holder: &Holder) -> std::io::Result<()> {
        let _one_at_a_time = self.write.lock().unwrap_or_else(|p| p.into_inner());
        self.file.write_all_at(&holder.record(), 0)?;
        (&self.file).flush()?;
        self.file.sync_data()
    }
}

/// Who writes the database now, read without taking the lock: the lock
/// file's record when its process is alive, else `None`.
pub fn holder(database: &Path) -> Option<Holder> {
    let text = std::fs::read_to_string(path_of(database)).ok()?;
    let holder = Holder::parse(&text)?;
    let alive = Path::new(&format!("/proc/{}", holder.pid)).exists();
    (alive && holder.pid != std::process::id()).then_some(holder)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_reads_back_and_fits_its_block() {
        let holder = Holder {
            pid: 4242,
            command: "feedsift\nrun".into(),
            since: parse_timestamp("2026-11-30T22:00:00Z"),
            store_error: Some((
                parse_timestamp("2026-11-30T23:00:00Z"),
                "database or disk is full".into(),
            )),
        };
        let record = holder.record();
        assert_eq!(record.len(), RECORD_BYTES);
        let back = Holder::parse(std::str::from_utf8(&record).expect("text")).expect("parses");
        assert_eq!(back.command, "feedsift run");
        assert_eq!(
            Holder {
                command: "feedsift\nrun".into(),
                ..back
            },
            holder
        );
    }

    #[test]
    fn a_second_lock_on_one_database_is_refused_naming_the_first() {
        let dir = std::env::temp_dir().join(format!("feedsift-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch dir");
        let db = dir.join("feeds.db");
        let first = acquire(&db).expect("the first lock");
        let second = acquire(&db).expect_err("a second writer");
        let text = second.to_string();
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        drop(first);
        acquire(&db).expect("free again once the first is dropped");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
