//! Read queries behind `status`, `search` and `export`: what a person or a
//! pipeline asks of the database, as opposed to the poll's look-ups
//! in [`super::read`]. Everything here runs on a read-only connection and
//! never blocks the writer (WAL).

use chrono::{DateTime, Utc};
use rusqlite::{Connection, ErrorCode, OptionalExtension, params};
use serde::Serialize;

use super::{StoreError, parse_timestamp, timestamp};
use crate::model::{Enclosure, FeedStatus, Person};

// ---- status

/// One feed's health, as `feedsift status` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedHealth {
    pub id: i64,
    pub url: String,
    /// Where the feed is fetched from after a permanent redirect.
    pub fetch_url: Option<String>,
    pub name: Option<String>,
    pub title: Option<String>,
    pub state: FeedStatus,
    pub state_reason: Option<String>,
    pub last_polled_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub next_poll_at: Option<DateTime<Utc>>,
    pub interval_secs: Option<i64>,
    /// Consecutive failed polls.
    pub error_count: i64,
    pub last_error: Option<String>,
    /// Distinct articles this feed listed.
    pub articles: i64,
    /// Of those, copies of a story first stored from elsewhere.
    pub duplicates: i64,
    /// Entries whose page is waiting for another attempt.
    pub pending: i64,
    /// Entries whose page was given up on.
    pub gave_up: i64,
}

/// Each feed's row and counts, in SQL both SQLite (3.30+, bundled) and
/// PostgreSQL read: the status page of either store.
pub(crate) const FEED_HEALTH_SQL: &str = "WITH counts AS (
             SELECT s.feed_id,
                    count(DISTINCT s.article_id) AS articles,
                    count(DISTINCT CASE WHEN a.duplicate_of IS NOT NULL THEN a.id END) AS duplicates
             FROM article_sources s JOIN articles a ON a.id = s.article_id
             GROUP BY s.feed_id),
         pend AS (
             SELECT feed_id, count(*) FILTER (WHERE next_attempt_at IS NOT NULL) AS waiting,
                    count(*) FILTER (WHERE next_attempt_at IS NULL) AS gave_up
             FROM pending_entries GROUP BY feed_id)
         SELECT f.id, f.url, f.fetch_url, f.name, f.title, f.state, f.state_reason, f.last_polled_at,
                f.last_success_at, f.next_poll_at, f.interval_secs, f.error_count, f.last_error,
                coalesce(c.articles, 0), coalesce(c.duplicates, 0), coalesce(p.waiting, 0), coalesce(p.gave_up, 0)
         FROM feeds f
         LEFT JOIN counts c ON c.feed_id = f.id
         LEFT JOIN pend p ON p.feed_id = f.id
         ORDER BY f.id";

/// Every feed the database knows, configured or removed, in the order they
/// were first added.
pub fn feed_health(conn: &Connection) -> Result<Vec<FeedHealth>, StoreError> {
    let mut stmt = conn.prepare(FEED_HEALTH_SQL)?;
    let time = |v: Option<String>| v.as_deref().and_then(parse_timestamp);
    let rows = stmt
        .query_map([], |r| {
            Ok(FeedHealth {
                id: r.get(0)?,
                url: r.get(1)?,
                fetch_url: r.get(2)?,
                name: r.get(3)?,
                title: r.get(4)?,
                state: r.get(5)?,
                state_reason: r.get(6)?,
                last_polled_at: time(r.get(7)?),
                last_success_at: time(r.get(8)?),
                next_poll_at: time(r.get(9)?),
                interval_secs: r.get(10)?,
                error_count: r.get(11)?,
                last_error: r.get(12)?,
                articles: r.get(13)?,
                duplicates: r.get(14)?,
                pending: r.get(15)?,
                gave_up: r.get(16)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

// ---- search

/// How much more a query term in the title counts than one in the text:
/// a title is the story's own summary of what it is about, and bm25 already
/// discounts long texts. At 5, a story with the term in its title ranks above
/// one that merely mentions it a few times in passing.
pub const TITLE_WEIGHT: f64 = 5.0;

/// Words of context in a snippet: about a line and a half of a terminal.
pub const SNIPPET_WORDS: i64 = 16;

/// Markers put around matched terms in snippets.
#[derive(Debug, Clone, Copy)]
pub struct Highlight<'a> {
    pub open: &'a str,
    pub close: &'a str,
}

impl Highlight<'static> {
    pub const NONE: Highlight<'static> = Highlight {
        open: "",
        close: "",
    };
}

/// One story found by a search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    /// The story (root article) id.
    pub id: i64,
    pub title: Option<String>,
    pub url: String,
    pub published_at: Option<String>,
    pub site_name: Option<String>,
    /// bm25 score: lower is better (SQLite's convention).
    pub score: f64,
    /// The best-matching passage, from the story or from the copy that
    /// matched best; its description when the text was purged.
    pub snippet: String,
    /// The article the snippet comes from: the story itself or one of its
    /// copies.
    pub matched_article_id: i64,
    /// Copies folded into this story.
    pub copies: i64,
    /// When retention removed the story's text.
    pub purged_at: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// FTS5 could not parse the query; the message is SQLite's.
    #[error("{0}")]
    Syntax(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Full-text search over stories: every matching article counts for its
/// story (a copy's hit shows the story it copies), best bm25 first.
pub fn search(
    conn: &Connection,
    query: &str,
    limit: usize,
    highlight: Highlight,
) -> Result<Vec<SearchHit>, SearchError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    // Ranking needs no snippets; those are made afterwards for the few
    // stories shown, not for every match of a broad query.
    let ranked: Vec<(i64, f64, i64)> = conn
        .prepare_cached(
            // MATERIALIZED: bm25() only works in a query on the FTS table
            // itself, which flattening into the join would undo.
            "WITH hits AS MATERIALIZED (
                 SELECT rowid AS article_id, bm25(articles_fts, ?2, 1.0) AS score
                 FROM articles_fts WHERE articles_fts MATCH ?1)
             SELECT coalesce(a.duplicate_of, a.id) AS story, min(h.score), h.article_id
             FROM hits h JOIN articles a ON a.id = h.article_id
             GROUP BY story ORDER BY 2, story LIMIT ?3",
        )
        .map_err(StoreError::from)?
        .query_map(params![query, TITLE_WEIGHT, limit], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(classify)?;
    let mut snippet = conn
        .prepare_cached(
            "SELECT snippet(articles_fts, 1, ?3, ?4, '…', ?5) FROM articles_fts
             WHERE articles_fts MATCH ?1 AND rowid = ?2",
        )
        .map_err(StoreError::from)?;
    let mut story = conn
        .prepare_cached(
            "SELECT title, url, published_at, site_name, description, purged_at,
                    (SELECT count(*) FROM articles c WHERE coalesce(c.duplicate_of, c.id) = s.id) - 1
             FROM articles s WHERE id = ?1",
        )
        .map_err(StoreError::from)?;
    let mut hits = Vec::with_capacity(ranked.len());
    for (id, score, matched) in ranked {
        let text: Option<String> = snippet
            .query_row(
                params![
                    query,
                    matched,
                    highlight.open,
                    highlight.close,
                    SNIPPET_WORDS
                ],
                |r| r.get(0),
            )
            .optional()
            .map_err(StoreError::from)?
            .flatten();
        let found = story
            .query_row([id], |r| {
                let description: Option<String> = r.get(4)?;
                Ok(SearchHit {
                    id,
                    title: r.get(0)?,
                    url: r.get(1)?,
                    published_at: r.get(2)?,
                    site_name: r.get(3)?,
                    score,
                    snippet: text
                        .clone()
                        .filter(|t| !t.trim().is_empty())
                        .or(description)
                        .unwrap_or_default(),
                    matched_article_id: matched,
                    copies: r.get(6)?,
                    purged_at: r.get(5)?,
                })
            })
            .optional()
            .map_err(StoreError::from)?;
        hits.extend(found);
    }
    Ok(hits)
}

/// A query FTS5 rejects fails with SQLite's generic error code (syntax
/// errors, unknown columns in `col:term`); anything else is the database's
/// trouble, not the query's.
fn classify(e: rusqlite::Error) -> SearchError {
    match &e {
        rusqlite::Error::SqliteFailure(f, msg) if f.code == ErrorCode::Unknown => {
            SearchError::Syntax(msg.clone().unwrap_or_else(|| e.to_string()))
        }
        _ => SearchError::Store(e.into()),
    }
}

/// `query` with each whitespace-separated term quoted, so FTS5 reads every
/// character literally: what to offer when a query does not parse.
pub fn literal_query(query: &str) -> String {
    query
        .split_whitespace()
        .map(|term| format!("\"{}\"", term.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ")
}

// ---- export

/// Which stories to export. Both filters may be combined.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ExportFilter {
    /// Only stories whose `change_seq` is above this cursor.
    pub after_seq: Option<i64>,
    /// Only stories published (else first stored) at or after this time.
    pub since: Option<DateTime<Utc>>,
}

/// One exported story: the root article with its copies and every place
/// it (or a copy) appeared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportedStory {
    /// The change cursor: pass the last one seen to `--after-id`.
    pub change_seq: i64,
    pub id: i64,
    pub url: String,
    pub canonical_url: String,
    pub title: Option<String>,
    pub byline: Option<String>,
    pub published_at: Option<String>,
    pub modified_at: Option<String>,
    /// When feedsift first stored it.
    pub created_at: String,
    pub fetched_at: Option<String>,
    pub lang: Option<String>,
    pub site_name: Option<String>,
    pub description: Option<String>,
    pub image_url: Option<String>,
    /// What the feed's entry says (README, "Schema"); lists are empty and
    /// the others null when it says nothing.
    pub summary: Option<String>,
    pub tags: Vec<String>,
    pub enclosures: Vec<Enclosure>,
    pub authors: Vec<Person>,
    pub contributors: Vec<Person>,
    pub comments_url: Option<String>,
    pub feed_lang: Option<String>,
    pub word_count: Option<i64>,
    pub extract_status: Option<String>,
    /// When retention removed the text (`text` is then null).
    pub purged_at: Option<String>,
    pub text: Option<String>,
    /// The text as Markdown, when `[settings] markdown` was on.
    pub markdown: Option<String>,
    /// Ids of the articles folded into this story as copies. A reader that
    /// stored one of them as a story earlier should fold it in too: it was
    /// found to copy this one.
    pub copies: Vec<i64>,
    pub sources: Vec<ExportedSource>,
}

/// One sighting of the story or of one of its copies.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportedSource {
    pub article_id: i64,
    pub is_copy: bool,
    pub article_url: String,
    pub entry_url: Option<String>,
    pub feed_id: i64,
    pub feed_url: String,
    pub feed_name: Option<String>,
    pub first_seen_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The sink refused a story (e.g. stdout closed); the export stops.
    #[error(transparent)]
    Sink(#[from] std::io::Error),
}

/// Streams matching stories to `sink` in `change_seq` order, one at a time:
/// memory stays constant however large the database is. All of it is read
/// in one read transaction, so the stream is one consistent snapshot even
/// while the daemon writes. Returns how many stories were sent.
pub fn export_stories(
    conn: &Connection,
    filter: ExportFilter,
    mut sink: impl FnMut(&ExportedStory) -> std::io::Result<()>,
) -> Result<usize, ExportError> {
    let snapshot = conn.unchecked_transaction().map_err(StoreError::from)?;
    let mut stories = snapshot
        .prepare(&format!(
            "SELECT {STORY_COLUMNS} FROM articles
             WHERE duplicate_of IS NULL AND change_seq > ?1
               AND (?2 IS NULL OR coalesce(published_at, created_at) >= ?2)
             ORDER BY change_seq"
        ))
        .map_err(StoreError::from)?;
    let mut parts = StoryParts::prepare(&snapshot)?;
    let after = filter.after_seq.unwrap_or(i64::MIN);
    let since = filter.since.map(timestamp);
    let mut rows = stories
        .query(params![after, since])
        .map_err(StoreError::from)?;
    let mut sent = 0;
    while let Some(r) = rows.next().map_err(StoreError::from)? {
        let story = parts.read(r).map_err(StoreError::from)?;
        sink(&story)?;
        sent += 1;
    }
    Ok(sent)
}

/// One story in the export's shape; `None` when `id` is not a story (no
/// such article, or a copy of another).
pub fn story(conn: &Connection, id: i64) -> Result<Option<ExportedStory>, StoreError> {
    let snapshot = conn.unchecked_transaction()?;
    let mut parts = StoryParts::prepare(&snapshot)?;
    let mut stmt = snapshot.prepare_cached(&format!(
        "SELECT {STORY_COLUMNS} FROM articles WHERE id = ?1 AND duplicate_of IS NULL"
    ))?;
    Ok(stmt.query_row([id], |r| parts.read(r)).optional()?)
}

/// Stories (root articles) stored with an id above `after_id`, in id order,
/// and the highest article id stored: where to continue from.
pub fn stories_after(conn: &Connection, after_id: i64) -> Result<(Vec<i64>, i64), StoreError> {
    let snapshot = conn.unchecked_transaction()?;
    let ids = snapshot
        .prepare_cached(
            "SELECT id FROM articles WHERE id > ?1 AND duplicate_of IS NULL ORDER BY id",
        )?
        .query_map([after_id], |r| r.get(0))?
        .collect::<Result<Vec<i64>, _>>()?;
    let last: i64 = snapshot.query_row("SELECT coalesce(max(id), 0) FROM articles", [], |r| {
        r.get(0)
    })?;
    Ok((ids, last.max(after_id)))
}

/// The highest article id stored (0 when none): new stories come above it.
pub fn last_article_id(conn: &Connection) -> Result<i64, StoreError> {
    Ok(
        conn.query_row("SELECT coalesce(max(id), 0) FROM articles", [], |r| {
            r.get(0)
        })?,
    )
}

/// The feeds (as configured URLs) a story or one of its copies was seen in.
pub fn story_feeds(conn: &Connection, id: i64) -> Result<Vec<String>, StoreError> {
    let feeds = conn
        .prepare_cached("SELECT DISTINCT feed_url FROM story_sources WHERE story_id = ?1")?
        .query_map([id], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(feeds)
}

/// The columns [`StoryParts::read`] reads, in its order (and PostgreSQL's
/// export, the same SQL).
pub(crate) const STORY_COLUMNS: &str =
    "change_seq, id, url, canonical_url, title, byline, published_at,
    modified_at, created_at, fetched_at, lang, site_name, description, image_url, word_count,
    extract_status, purged_at, text, summary, tags, enclosures, authors, contributors,
    comments_url, feed_lang, markdown";

/// The per-story queries of an export: its copies and its sources.
struct StoryParts<'c> {
    copies: rusqlite::Statement<'c>,
    sources: rusqlite::Statement<'c>,
}

impl<'c> StoryParts<'c> {
    fn prepare(conn: &'c Connection) -> Result<StoryParts<'c>, StoreError> {
        Ok(StoryParts {
            copies: conn.prepare(
                "SELECT id FROM articles WHERE coalesce(duplicate_of, id) = ?1 AND id != ?1 ORDER BY id",
            )?,
            sources: conn.prepare(
                "SELECT article_id, is_copy, article_url, entry_url, feed_id, feed_url, feed_name, first_seen_at
                 FROM story_sources WHERE story_id = ?1 ORDER BY first_seen_at, article_id, feed_id",
            )?,
        })
    }

    /// A row of [`STORY_COLUMNS`] with its copies and sources.
    fn read(&mut self, r: &rusqlite::Row) -> Result<ExportedStory, rusqlite::Error> {
        let id: i64 = r.get(1)?;
        Ok(ExportedStory {
            change_seq: r.get(0)?,
            id,
            url: r.get(2)?,
            canonical_url: r.get(3)?,
            title: r.get(4)?,
            byline: r.get(5)?,
            published_at: r.get(6)?,
            modified_at: r.get(7)?,
            created_at: r.get(8)?,
            fetched_at: r.get(9)?,
            lang: r.get(10)?,
            site_name: r.get(11)?,
            description: r.get(12)?,
            image_url: r.get(13)?,
            word_count: r.get(14)?,
            extract_status: r.get(15)?,
            purged_at: r.get(16)?,
            text: r.get(17)?,
            summary: r.get(18)?,
            tags: json_list(r.get(19)?),
            enclosures: json_list(r.get(20)?),
            authors: json_list(r.get(21)?),
            contributors: json_list(r.get(22)?),
            comments_url: r.get(23)?,
            feed_lang: r.get(24)?,
            markdown: r.get(25)?,
            copies: self
                .copies
                .query_map([id], |c| c.get(0))?
                .collect::<Result<_, _>>()?,
            sources: self
                .sources
                .query_map([id], |s| {
                    Ok(ExportedSource {
                        article_id: s.get(0)?,
                        is_copy: s.get(1)?,
                        article_url: s.get(2)?,
                        entry_url: s.get(3)?,
                        feed_id: s.get(4)?,
                        feed_url: s.get(5)?,
                        feed_name: s.get(6)?,
                        first_seen_at: s.get(7)?,
                    })
                })?
                .collect::<Result<_, _>>()?,
        })
    }
}

/// A JSON array column as its items; NULL is none. A value this build did
/// not write (edited by hand) is reported and read as none rather than
/// stopping the export.
pub(crate) fn json_list<T: serde::de::DeserializeOwned>(column: Option<String>) -> Vec<T> {
    let Some(text) = column else {
        return Vec::new();
    };
    serde_json::from_str(&text).unwrap_or_else(|e| {
        tracing::warn!(error = %e, value = %text, "unreadable JSON list in articles; exported as []");
        Vec::new()
    })
}

/// Database-wide figures for the foot of `feedsift status`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub articles: i64,
    pub stories: i64,
    /// Articles whose text retention removed.
    pub purged: i64,
    /// The highest change cursor (0 when empty): where an incremental
    /// reader starting now would begin.
    pub change_seq: i64,
}

pub fn totals(conn: &Connection) -> Result<Totals, StoreError> {
    Ok(conn.query_row(
        "SELECT count(*), count(*) FILTER (WHERE duplicate_of IS NULL),
                count(*) FILTER (WHERE purged_at IS NOT NULL AND text IS NULL), coalesce(max(change_seq), 0)
         FROM articles",
        [],
        |r| {
            Ok(Totals {
                articles: r.get(0)?,
                stories: r.get(1)?,
                purged: r.get(2)?,
                change_seq: r.get(3)?,
            })
        },
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::open_writer;

    fn db(name: &str) -> Connection {
        let dir =
            std::env::temp_dir().join(format!("feedsift-query-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let conn = open_writer(&dir.join("test.db")).unwrap();
        conn.execute(
            "INSERT INTO feeds(id, url, created_at) VALUES (1, 'https://f.test/rss', 'x')",
            [],
        )
        .unwrap();
        conn
    }

    fn insert(conn: &Connection, url: &str, duplicate_of: Option<i64>) -> i64 {
        conn.query_row(
            "INSERT INTO articles(url, canonical_url, url_key, title, text, duplicate_of, created_at, updated_at)
             VALUES (?1, ?1, ?1, 'T', 'text', ?2, 'x', 'x') RETURNING id",
            params![url, duplicate_of],
            |r| r.get(0),
        )
        .unwrap()
    }

    fn seq(conn: &Connection, id: i64) -> i64 {
        conn.query_row("SELECT change_seq FROM articles WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .unwrap()
    }

    fn max_seq(conn: &Connection) -> i64 {
        totals(conn).unwrap().change_seq
    }

    #[test]
    fn change_seq_moves_with_every_change_of_a_story() {
        let conn = db("seq");
        let root = insert(&conn, "a", None);
        let s0 = seq(&conn, root);
        // A copy arrives: the copy is new and its story changed.
        let copy = insert(&conn, "b", Some(root));
        assert!(seq(&conn, copy) > s0);
        assert!(seq(&conn, root) > s0);
        let s1 = seq(&conn, root);
        // A sighting of the copy changes the story's sources.
        conn.execute(
            "INSERT INTO article_sources(article_id, feed_id, entry_id, first_seen_at) VALUES (?1, 1, 'e', 'x')",
            [copy],
        )
        .unwrap();
        let s2 = seq(&conn, root);
        assert!(s2 > s1);
        // Text refreshed: the row and its story move.
        conn.execute("UPDATE articles SET text = 'new' WHERE id = ?1", [copy])
            .unwrap();
        assert!(seq(&conn, root) > s2);
        // A new root found to be the original: old root and copy re-pointed;
        // the new root ends up past everything before it.
        let before = max_seq(&conn);
        let original = insert(&conn, "c", None);
        crate::store::stories::repoint(&conn, root, original).unwrap();
        for id in [root, copy, original] {
            assert!(seq(&conn, id) > before, "{id} did not move");
        }
        // Retention's purge is not a change.
        let before = max_seq(&conn);
        crate::store::retention::purge_batch(
            &conn,
            Utc::now() + chrono::Duration::days(1),
            Utc::now(),
        )
        .unwrap();
        assert_eq!(max_seq(&conn), before);
        // Numbers never repeat.
        let distinct: i64 = conn
            .query_row(
                "SELECT count(DISTINCT change_seq) - count(*) FROM articles",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(distinct, 0);
    }

    #[test]
    fn upgrading_numbers_existing_articles_and_continues_above_them() {
        let dir =
            std::env::temp_dir().join(format!("feedsift-query-{}-upgrade", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("test.db");
        {
            // A database as the previous release left it: migrations 1-5.
            let conn = Connection::open(&path).unwrap();
            for (_, sql) in &crate::store::migrate::MIGRATIONS[..5] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 5).unwrap();
            for url in ["a", "b", "c"] {
                insert(&conn, url, None);
            }
        }
        let conn = open_writer(&path).unwrap();
        let seqs: Vec<i64> = conn
            .prepare("SELECT change_seq FROM articles ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(seqs, [1, 2, 3]);
        let next = insert(&conn, "d", None);
        assert_eq!(seq(&conn, next), 4);
    }

    #[test]
    fn literal_query_quotes_every_term() {
        assert_eq!(literal_query("covid-19  \"x\""), r#""covid-19" """x""""#);
    }
}
