//! The stories in SQLite: the answers [`crate::dedup`]'s duplicate decision
//! asks for ([`StoryLookup`]), the near-duplicate index rebuilt from the
//! rows at start-up, and the re-pointing of a story to a new root.

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, params};

use crate::dedup::fingerprint::{ContentHash, Fingerprint, SKETCH_BYTES, Sketch};
use crate::dedup::lookup::{StoredCandidate, StoredPage, StoryLookup};
use crate::dedup::root::StoredMatch;
use crate::dedup::stories::Stories;
use crate::model::Extraction;

/// The stories index over the articles stored within the last
/// `window_days` (`dedup_window_days`), by when they were first stored.
/// Sketches stored by an older build (another length) are recomputed from
/// their text first.
pub fn load(conn: &Connection, window_days: u32) -> Result<Stories, rusqlite::Error> {
    upgrade_sketches(conn)?;
    let window_secs = i64::from(window_days) * 86_400;
    let now = Utc::now().timestamp();
    let mut stmt = conn.prepare(
        "SELECT id, minhash, unixepoch(created_at) FROM articles
         WHERE minhash IS NOT NULL AND created_at >= ?1",
    )?;
    let cutoff = super::timestamp(Utc::now() - chrono::Duration::seconds(window_secs));
    let rows = stmt
        .query_map([cutoff], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Option<i64>>(2)?,
            ))
        })?
        .filter_map(|row| match row {
            Ok((id, blob, time)) => Some((id, Sketch::from_bytes(&blob)?, time.unwrap_or(now))),
            Err(_) => None,
        });
    Ok(Stories::rebuild(window_secs, now, rows))
}

/// Recomputes the `minhash` of rows whose sketch has another length than
/// this build's (the 96-byte sketches of 24 values before issue 15), from
/// their text, in one transaction. A row whose text was purged keeps its
/// old sketch: it is no longer a near-duplicate candidate (its exact
/// content hash still matches), since a purged row is normally older than
/// the window anyway.
fn upgrade_sketches(conn: &Connection) -> Result<(), rusqlite::Error> {
    let stale: Vec<(i64, String)> = conn
        .prepare(
            "SELECT id, text FROM articles
             WHERE minhash IS NOT NULL AND length(minhash) != ?1 AND text IS NOT NULL",
        )?
        .query_map([SKETCH_BYTES as i64], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    if stale.is_empty() {
        return Ok(());
    }
    let tx = conn.unchecked_transaction()?;
    {
        let mut update = tx.prepare("UPDATE articles SET minhash = ?2 WHERE id = ?1")?;
        for (id, text) in &stale {
            let sketch = Fingerprint::of(text).sketch.map(|s| s.to_bytes().to_vec());
            update.execute(params![id, sketch])?;
        }
    }
    tx.commit()?;
    tracing::info!(rows = stale.len(), "near-duplicate sketches recomputed");
    Ok(())
}

/// Makes `new_root` the story of `old_root` and of all its copies, in the
/// caller's transaction: no chain ever exists.
pub fn repoint(conn: &Connection, old_root: i64, new_root: i64) -> Result<(), rusqlite::Error> {
    conn.prepare_cached(
        "UPDATE articles SET duplicate_of = ?2 WHERE (id = ?1 OR duplicate_of = ?1) AND id != ?2",
    )?
    .execute(params![old_root, new_root])?;
    Ok(())
}

/// [`StoryLookup`] on a connection, inside the writer's transaction.
pub struct SqliteStories<'c>(pub &'c Connection);

impl StoryLookup for SqliteStories<'_> {
    type Error = rusqlite::Error;

    fn entry_article(&mut self, feed_id: i64, entry_id: &str) -> Result<Option<i64>, Self::Error> {
        self.0
            .prepare_cached(
                "SELECT article_id FROM article_sources WHERE feed_id = ?1 AND entry_id = ?2",
            )?
            .query_row(params![feed_id, entry_id], |r| r.get(0))
            .optional()
    }

    fn by_url_key(&mut self, key: &str) -> Result<Option<StoredPage>, Self::Error> {
        self.0
            .prepare_cached(
                "SELECT id, duplicate_of, extract_status, text FROM articles WHERE url_key = ?1",
            )?
            .query_row([key], |r| {
                Ok(StoredPage {
                    id: r.get(0)?,
                    duplicate_of: r.get(1)?,
                    extraction: r
                        .get::<_, Option<String>>(2)?
                        .as_deref()
                        .and_then(Extraction::from_sql),
                    text: r.get(3)?,
                })
            })
            .optional()
    }

    fn by_content_hash(
        &mut self,
        hash: ContentHash,
        min_words: u32,
    ) -> Result<Option<StoredMatch>, Self::Error> {
        self.0
            .prepare_cached(
                "SELECT id, duplicate_of FROM articles WHERE content_hash = ?1 AND word_count >= ?2
                 ORDER BY id LIMIT 1",
            )?
            .query_row(params![hash.to_string(), min_words], |r| {
                Ok(StoredMatch {
                    id: r.get(0)?,
                    duplicate_of: r.get(1)?,
                })
            })
            .optional()
    }

    fn candidate(&mut self, id: i64) -> Result<Option<StoredCandidate>, Self::Error> {
        self.0
            .prepare_cached(
                "SELECT duplicate_of, text, word_count, content_hash, minhash, url FROM articles WHERE id = ?1",
            )?
            .query_row([id], |r| {
                Ok(StoredCandidate {
                    matched: StoredMatch {
                        id,
                        duplicate_of: r.get(0)?,
                    },
                    text: r.get(1)?,
                    url: r.get(5)?,
                    fingerprint: Fingerprint {
                        word_count: r
                            .get::<_, Option<i64>>(2)?
                            .unwrap_or(0)
                            .clamp(0, i64::from(u32::MAX)) as u32,
                        content_hash: r
                            .get::<_, Option<String>>(3)?
                            .and_then(|h| h.parse().ok())
                            .unwrap_or(ContentHash(0)),
                        sketch: r
                            .get::<_, Option<Vec<u8>>>(4)?
                            .and_then(|b| Sketch::from_bytes(&b)),
                    },
                })
            })
            .optional()
    }

    fn published(&mut self, id: i64) -> Result<Option<i64>, Self::Error> {
        let published: Option<String> = self
            .0
            .prepare_cached(
                "SELECT coalesce(published_at, created_at) FROM articles WHERE id = ?1",
            )?
            .query_row([id], |r| r.get(0))
            .optional()?
            .flatten();
        Ok(published
            .as_deref()
            .and_then(super::parse_timestamp)
            .map(|t| t.timestamp()))
    }
}
