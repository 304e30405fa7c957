//! A retention pass: the order of [`Step`]s, each sent through the writer
//! (which applies it with [`super::apply`] between polls).

use chrono::{DateTime, Utc};

use super::{Outcome, PURGE_BATCH, Step};
use crate::store::StoreError;
use crate::store::writer::WriterHandle;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    pub purged: usize,
    pub pages_freed: u64,
    pub converted: bool,
}

/// One full pass: purge everything older than `retention_days` (0 does
/// nothing), then give freed space back. Each step is its own writer
/// command, so polls interleave with a long first pass.
pub async fn run_pass(
    writer: &WriterHandle,
    retention_days: u32,
    now: DateTime<Utc>,
) -> Result<PassReport, StoreError> {
    let mut report = PassReport::default();
    if retention_days == 0 {
        return Ok(report);
    }
    let cutoff = now - chrono::Duration::days(i64::from(retention_days));
    while let Outcome::Purged(n) = step(writer, Step::Purge { cutoff }).await? {
        report.purged += n;
        if n < PURGE_BATCH {
            break;
        }
    }
    if report.purged == 0 {
        return Ok(report);
    }
    match step(writer, Step::EnableIncrementalVacuum).await? {
        Outcome::Converted => {
            report.converted = true;
            tracing::info!("database converted to incremental auto-vacuum (one-time VACUUM)");
        }
        Outcome::TooLargeToConvert { bytes } => {
            tracing::warn!(
                bytes,
                "freed space is reused for new articles but not returned to the file system: this database \
                 predates incremental auto-vacuum and is too large to convert while running. To convert, stop \
                 feedsift and run: sqlite3 FILE 'PRAGMA auto_vacuum = INCREMENTAL; VACUUM;'"
            );
        }
        _ => {}
    }
    loop {
        match step(writer, Step::Vacuum).await? {
            Outcome::Vacuumed(n) if n > 0 => report.pages_freed += n,
            _ => break,
        }
    }
    tracing::info!(
        purged = report.purged,
        pages_freed = report.pages_freed,
        retention_days,
        "retention: old article text purged (rows, URLs and fingerprints kept)"
    );
    Ok(report)
}

/// Runs one step through the writer, between polls.
async fn step(writer: &WriterHandle, step: Step) -> Result<Outcome, StoreError> {
    writer.retain(step).await
}
