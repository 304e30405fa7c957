//! Which story a new page belongs to: the writer's side of dedup layer 3.
//!
//! The decisions are [`crate::dedup`]'s pure functions; this module feeds
//! them from SQLite and keeps the near-duplicate index in step with the
//! rows, following the procedure in `src/dedup/mod.rs`. It lives with the
//! single writer so that "the first stored copy is the root" holds: two
//! copies can never be placed concurrently against a stale view.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::dedup::fingerprint::{
    self, ContentHash, Fingerprint, MIN_MATCH_WORDS, MatchKind, Profile, Sketch,
};
use crate::dedup::index::NearDupIndex;
use crate::dedup::root::{self, Placement, StoredMatch};

/// The index of recent stories' sketches, rebuilt from the database when
/// the writer starts.
pub struct Stories {
    index: NearDupIndex,
}

/// Where a new article goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// `duplicate_of` for the new row.
    pub duplicate_of: Option<i64>,
    /// The new row is the original of this stored story: after inserting,
    /// re-point it and its copies to the new row.
    pub replaces_root: Option<i64>,
}

impl Stories {
    /// Rebuilds the index from the stories stored within the window.
    pub fn load(conn: &Connection, window_days: u32) -> Result<Stories, rusqlite::Error> {
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
        let index = NearDupIndex::rebuild(window_secs, now, rows);
        tracing::debug!(stories = index.len(), "near-duplicate index rebuilt");
        Ok(Stories { index })
    }

    /// Finds the story a new text copies, if any, and where the new row goes.
    /// `syndicated_from` is the url key of another site's page that this
    /// page declares as its canonical.
    pub fn place(
        &mut self,
        conn: &Connection,
        profile: &Profile,
        published: Option<DateTime<Utc>>,
        syndicated_from: Option<&str>,
    ) -> Result<Verdict, rusqlite::Error> {
        let alone = Verdict {
            duplicate_of: None,
            replaces_root: None,
        };
        self.index.expire(Utc::now().timestamp());
        let (matched, signal) = match syndicated_from
            .map(|key| by_url_key(conn, key))
            .transpose()?
            .flatten()
        {
            Some(m) => (Some(m), true),
            None if profile.fingerprint.is_matchable() => {
                (self.find_copy_of(conn, profile)?, false)
            }
            None => (None, false),
        };
        let Some(matched) = matched else {
            return Ok(alone);
        };
        let root = matched.root();
        let root_published = published_of(conn, root)?;
        Ok(
            match root::place(
                published.map(|t| t.timestamp()),
                root,
                root_published,
                signal,
            ) {
                Placement::CopyOf { root } => Verdict {
                    duplicate_of: Some(root),
                    replaces_root: None,
                },
                Placement::RootOver { old_root } => Verdict {
                    duplicate_of: None,
                    replaces_root: Some(old_root),
                },
            },
        )
    }

    /// Records a stored article's fingerprint so later copies find it.
    pub fn remember(&mut self, id: i64, fingerprint: &Fingerprint) {
        self.index.insert(id, fingerprint, Utc::now().timestamp());
    }

    /// Exact copy by content hash (any age), else the best confirmed
    /// near-duplicate among the index's candidates.
    fn find_copy_of(
        &self,
        conn: &Connection,
        profile: &Profile,
    ) -> Result<Option<StoredMatch>, rusqlite::Error> {
        let exact = conn
            .prepare_cached(
                "SELECT id, duplicate_of FROM articles WHERE content_hash = ?1 AND word_count >= ?2
                 ORDER BY id LIMIT 1",
            )?
            .query_row(
                params![
                    profile.fingerprint.content_hash.to_string(),
                    MIN_MATCH_WORDS
                ],
                |r| {
                    Ok(StoredMatch {
                        id: r.get(0)?,
                        duplicate_of: r.get(1)?,
                    })
                },
            )
            .optional()?;
        if exact.is_some() {
            return Ok(exact);
        }
        let words = profile.fingerprint.word_count;
        let mut best: Option<(f64, StoredMatch)> = None;
        for candidate in self.index.candidates(&profile.fingerprint) {
            let Some(stored) = load_candidate(conn, candidate.id)? else {
                continue;
            };
            // Jaccard cannot reach the threshold when one text is five
            // times the other; skip loading such texts.
            if stored.word_count.saturating_mul(5) < words
                || words.saturating_mul(5) < stored.word_count
            {
                continue;
            }
            let verdict = match &stored.text {
                Some(text) if !text.is_empty() => profile.confirm(&Profile::of(text)),
                _ => fingerprint::confirm_fingerprints(
                    &profile.fingerprint,
                    &Fingerprint {
                        content_hash: stored.content_hash,
                        word_count: stored.word_count,
                        sketch: stored.sketch,
                    },
                ),
            };
            let score = match verdict {
                None => continue,
                Some(MatchKind::Exact) => 1.0,
                Some(MatchKind::Near { jaccard }) => jaccard,
                Some(MatchKind::Sketch { agreeing }) => {
                    agreeing as f64 / fingerprint::SKETCH_LEN as f64
                }
            };
            if best.as_ref().is_none_or(|(s, _)| score > *s) {
                best = Some((score, stored.matched));
            }
        }
        Ok(best.map(|(_, m)| m))
    }
}

struct StoredCandidate {
    matched: StoredMatch,
    text: Option<String>,
    word_count: u32,
    content_hash: ContentHash,
    sketch: Option<Sketch>,
}

fn load_candidate(conn: &Connection, id: i64) -> Result<Option<StoredCandidate>, rusqlite::Error> {
    conn.prepare_cached(
        "SELECT duplicate_of, text, word_count, content_hash, minhash FROM articles WHERE id = ?1",
    )?
    .query_row([id], |r| {
        Ok(StoredCandidate {
            matched: StoredMatch {
                id,
                duplicate_of: r.get(0)?,
            },
            text: r.get(1)?,
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
        })
    })
    .optional()
}

fn by_url_key(conn: &Connection, key: &str) -> Result<Option<StoredMatch>, rusqlite::Error> {
    conn.prepare_cached("SELECT id, duplicate_of FROM articles WHERE url_key = ?1")?
        .query_row([key], |r| {
            Ok(StoredMatch {
                id: r.get(0)?,
                duplicate_of: r.get(1)?,
            })
        })
        .optional()
}

fn published_of(conn: &Connection, id: i64) -> Result<Option<i64>, rusqlite::Error> {
    let published: Option<String> = conn
        .prepare_cached("SELECT coalesce(published_at, created_at) FROM articles WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .flatten();
    Ok(published
        .as_deref()
        .and_then(super::parse_timestamp)
        .map(|t| t.timestamp()))
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
