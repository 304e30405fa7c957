//! The stories in PostgreSQL: [`StoryLookup`] inside the writing
//! transaction, the near-duplicate index loaded at start-up, and its
//! catching up with the stories other nodes stored.
//!
//! Every node keeps the index of the window in memory, as on SQLite. Each
//! writing transaction first takes the cluster's writing lock
//! ([`super::writer`]), then reads the articles other nodes changed since
//! it last looked (`change_seq` above its cursor: numbers are committed in
//! order, see migrations/postgres/0001) and adds them to the index. So the
//! decision sees every stored story, whichever node stored it, and no other
//! node can store a copy between the look-up and this transaction's commit.

use chrono::Utc;

use super::db::Db;
use crate::dedup::fingerprint::{ContentHash, Fingerprint, SKETCH_BYTES, Sketch};
use crate::dedup::lookup::{StoredCandidate, StoredPage, StoryLookup};
use crate::dedup::root::StoredMatch;
use crate::dedup::stories::Stories;
use crate::model::Extraction;
use crate::store::parse_timestamp;

type Result<T> = std::result::Result<T, postgres::Error>;

/// The stories index over the window, and the change cursor it is
/// complete up to. Sketches stored by an older build (another length) are
/// recomputed from their text first.
pub fn load(db: &mut Db, window_days: u32) -> Result<(Stories, i64)> {
    upgrade_sketches(db)?;
    let window_secs = i64::from(window_days) * 86_400;
    let now = Utc::now().timestamp();
    let cursor: i64 = db
        .query_one("SELECT seq FROM change_counter WHERE id = 1", &[])?
        .get(0);
    let cutoff = crate::store::timestamp(Utc::now() - chrono::Duration::seconds(window_secs));
    let rows = db.query(
        "SELECT id, minhash, created_at FROM articles
         WHERE minhash IS NOT NULL AND created_at >= $1",
        &[&cutoff],
    )?;
    let stories = Stories::rebuild(
        window_secs,
        now,
        rows.iter().filter_map(|r| sketch_row(r, now)),
    );
    Ok((stories, cursor))
}

/// Recomputes the `minhash` of rows whose sketch has another length than
/// this build's (the 96-byte sketches of 24 values before issue 15), from
/// their text, in the caller's transaction, as on SQLite. A row whose text
/// was purged keeps its old sketch: it is no longer a near-duplicate
/// candidate (its exact content hash still matches). The rewrite takes the
/// cluster's writing lock, so nodes starting together do it once; the new
/// sketches take new change numbers, which other nodes' indexes catch up.
fn upgrade_sketches(db: &mut Db) -> Result<()> {
    if stale_sketches(db)?.is_empty() {
        return Ok(());
    }
    db.take_write_lock()?;
    let stale = stale_sketches(db)?;
    for (id, text) in &stale {
        let sketch = Fingerprint::of(text).sketch.map(|s| s.to_bytes().to_vec());
        db.execute(
            "UPDATE articles SET minhash = $2 WHERE id = $1",
            &[id, &sketch],
        )?;
    }
    tracing::info!(rows = stale.len(), "near-duplicate sketches recomputed");
    Ok(())
}

/// Rows with a sketch of another length than this build's, and their text.
fn stale_sketches(db: &mut Db) -> Result<Vec<(i64, String)>> {
    Ok(db
        .query(
            "SELECT id, text FROM articles
             WHERE minhash IS NOT NULL AND length(minhash) <> $1 AND text IS NOT NULL",
            &[&(SKETCH_BYTES as i32)],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// Adds the stories changed since `cursor` (by other nodes: this node's own
/// are remembered as it stores them) to the index; returns the new cursor.
/// Runs under the writing lock, so nothing below the counter is in flight.
pub fn catch_up(db: &mut Db, stories: &mut Stories, cursor: i64) -> Result<i64> {
    let now = Utc::now().timestamp();
    let rows = db.query(
        "SELECT id, minhash, created_at FROM articles
         WHERE change_seq > $1 AND minhash IS NOT NULL",
        &[&cursor],
    )?;
    for (id, sketch, time) in rows.iter().filter_map(|r| sketch_row(r, now)) {
        stories.remember_at(id, sketch, time);
    }
    current_cursor(db)
}

/// The highest change number committed (or written by this transaction).
pub fn current_cursor(db: &mut Db) -> Result<i64> {
    Ok(db
        .query_one("SELECT seq FROM change_counter WHERE id = 1", &[])?
        .get(0))
}

fn sketch_row(r: &postgres::Row, now: i64) -> Option<(i64, Sketch, i64)> {
    let id: i64 = r.try_get(0).ok()?;
    let blob: Vec<u8> = r.try_get(1).ok()?;
    let created: Option<String> = r.try_get(2).ok()?;
    let time = created
        .as_deref()
        .and_then(parse_timestamp)
        .map_or(now, |t| t.timestamp());
    Some((id, Sketch::from_bytes(&blob)?, time))
}

/// Makes `new_root` the story of `old_root` and of all its copies.
pub fn repoint(db: &mut Db, old_root: i64, new_root: i64) -> Result<()> {
    db.execute(
        "UPDATE articles SET duplicate_of = $2 WHERE (id = $1 OR duplicate_of = $1) AND id <> $2",
        &[&old_root, &new_root],
    )?;
    Ok(())
}

/// [`StoryLookup`] inside the writing transaction.
pub struct PgStories<'d, 't, 'c>(pub &'d mut Db<'t, 'c>);

impl StoryLookup for PgStories<'_, '_, '_> {
    type Error = postgres::Error;

    fn entry_article(&mut self, feed_id: i64, entry_id: &str) -> Result<Option<i64>> {
        Ok(self
            .0
            .query_opt(
                "SELECT article_id FROM article_sources WHERE feed_id = $1 AND entry_id = $2",
                &[&feed_id, &entry_id],
            )?
            .map(|r| r.get(0)))
    }

    fn by_url_key(&mut self, key: &str) -> Result<Option<StoredPage>> {
        let row = self.0.query_opt(
            "SELECT id, duplicate_of, extract_status, text FROM articles WHERE url_key = $1",
            &[&key],
        )?;
        Ok(row.map(|r| StoredPage {
            id: r.get(0),
            duplicate_of: r.get(1),
            extraction: r
                .get::<_, Option<String>>(2)
                .as_deref()
                .and_then(Extraction::from_sql),
            text: r.get(3),
        }))
    }

    fn by_content_hash(
        &mut self,
        hash: ContentHash,
        min_words: u32,
    ) -> Result<Option<StoredMatch>> {
        let row = self.0.query_opt(
            "SELECT id, duplicate_of FROM articles WHERE content_hash = $1 AND word_count >= $2
             ORDER BY id LIMIT 1",
            &[&hash.to_string(), &i64::from(min_words)],
        )?;
        Ok(row.map(|r| StoredMatch {
            id: r.get(0),
            duplicate_of: r.get(1),
        }))
    }

    fn candidate(&mut self, id: i64) -> Result<Option<StoredCandidate>> {
        let row = self.0.query_opt(
            "SELECT duplicate_of, text, word_count, content_hash, minhash, url FROM articles WHERE id = $1",
            &[&id],
        )?;
        Ok(row.map(|r| StoredCandidate {
            matched: StoredMatch {
                id,
                duplicate_of: r.get(0),
            },
            text: r.get(1),
            url: r.get(5),
            fingerprint: Fingerprint {
                word_count: r
                    .get::<_, Option<i64>>(2)
                    .unwrap_or(0)
                    .clamp(0, i64::from(u32::MAX)) as u32,
                content_hash: r
                    .get::<_, Option<String>>(3)
                    .and_then(|h| h.parse().ok())
                    .unwrap_or(ContentHash(0)),
                sketch: r
                    .get::<_, Option<Vec<u8>>>(4)
                    .and_then(|b| Sketch::from_bytes(&b)),
            },
        }))
    }

    fn published(&mut self, id: i64) -> Result<Option<i64>> {
        let row = self.0.query_opt(
            "SELECT coalesce(published_at, created_at) FROM articles WHERE id = $1",
            &[&id],
        )?;
        Ok(row
            .and_then(|r| r.get::<_, Option<String>>(0))
            .as_deref()
            .and_then(parse_timestamp)
            .map(|t| t.timestamp()))
    }
}
