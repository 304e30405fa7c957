//! `status`, `search` and `export` on PostgreSQL: the questions of
//! [`crate::store::query`], answered with the same types. Search is
//! PostgreSQL's own full-text search (`articles_fts`, GIN), ranked with
//! `ts_rank` with the title weighted as on SQLite.

use postgres::{Client, IsolationLevel, Row, Statement, Transaction};

use crate::model::FeedStatus;
use crate::store::query::{
    ExportError, ExportFilter, ExportedSource, ExportedStory, FEED_HEALTH_SQL, FeedHealth,
    Highlight, SNIPPET_WORDS, STORY_COLUMNS, SearchError, SearchHit, TITLE_WEIGHT, Totals,
    json_list,
};
use crate::store::{StoreError, parse_timestamp, timestamp};

/// Stories read from the server per round trip while exporting: memory
/// stays flat on any size of database.
const EXPORT_FETCH: i32 = 256;

pub fn feed_health(client: &mut Client) -> Result<Vec<FeedHealth>, StoreError> {
    let rows = client.query(FEED_HEALTH_SQL, &[])?;
    let time = |r: &Row, i| {
        r.get::<_, Option<String>>(i)
            .as_deref()
            .and_then(parse_timestamp)
    };
    Ok(rows
        .iter()
        .map(|r| FeedHealth {
            id: r.get(0),
            url: r.get(1),
            fetch_url: r.get(2),
            name: r.get(3),
            title: r.get(4),
            state: FeedStatus::from_sql(r.get(5)).unwrap_or_default(),
            state_reason: r.get(6),
            last_polled_at: time(r, 7),
            last_success_at: time(r, 8),
            next_poll_at: time(r, 9),
            interval_secs: r.get(10),
            error_count: r.get(11),
            last_error: r.get(12),
            articles: r.get(13),
            duplicates: r.get(14),
            pending: r.get(15),
            gave_up: r.get(16),
        })
        .collect())
}

pub fn totals(client: &mut Client) -> Result<Totals, StoreError> {
    let r = client.query_one(
        "SELECT count(*), count(*) FILTER (WHERE duplicate_of IS NULL),
                count(*) FILTER (WHERE purged_at IS NOT NULL AND text IS NULL), coalesce(max(change_seq), 0)
         FROM articles",
        &[],
    )?;
    Ok(Totals {
        articles: r.get(0),
        stories: r.get(1),
        purged: r.get(2),
        change_seq: r.get(3),
    })
}

/// `ts_rank` weights for {D, C, B, A}: the text is B, the title A, and a
/// title hit counts [`TITLE_WEIGHT`] times a text hit, as on SQLite.
fn rank_weights() -> Vec<f32> {
    vec![0.0, 0.0, (1.0 / TITLE_WEIGHT) as f32, 1.0]
}

/// Full-text search: the query is `websearch_to_tsquery`'s syntax (words,
/// "phrases", `or`, `-word`), which accepts anything a person types. Every
/// matching article counts for its story; the best rank first. `score` is
/// the rank negated, so that lower is better as on SQLite.
pub fn search(
    client: &mut Client,
    query: &str,
    limit: usize,
    highlight: Highlight,
) -> Result<Vec<SearchHit>, SearchError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let ranked = client
        .query(
            "WITH q AS (SELECT websearch_to_tsquery('simple', $1) AS q),
             hits AS (SELECT f.id AS article_id, ts_rank($2::real[], f.document, q.q)::float8 AS score
                      FROM articles_fts f, q WHERE f.document @@ q.q)
             SELECT coalesce(a.duplicate_of, a.id) AS story, max(h.score),
                    (array_agg(h.article_id ORDER BY h.score DESC, h.article_id))[1]
             FROM hits h JOIN articles a ON a.id = h.article_id
             GROUP BY story ORDER BY 2 DESC, story LIMIT $3",
            &[&query, &rank_weights(), &limit],
        )
        .map_err(StoreError::from)?;
    let options = format!(
        "StartSel=\"{}\", StopSel=\"{}\", MaxWords={SNIPPET_WORDS}, MinWords={}, MaxFragments=1, FragmentDelimiter=\" … \"",
        highlight.open.replace('"', ""),
        highlight.close.replace('"', ""),
        SNIPPET_WORDS / 2
    );
    let mut hits = Vec::with_capacity(ranked.len());
    for r in ranked {
        let (id, rank, matched): (i64, f64, i64) = (r.get(0), r.get(1), r.get(2));
        let snippet: Option<String> = client
            .query_opt(
                "SELECT ts_headline('simple', text, websearch_to_tsquery('simple', $1), $3)
                 FROM articles WHERE id = $2 AND text IS NOT NULL",
                &[&query, &matched, &options],
            )
            .map_err(StoreError::from)?
            .and_then(|r| r.get(0));
        let story = client
            .query_opt(
                "SELECT title, url, published_at, site_name, description, purged_at,
                        (SELECT count(*) FROM articles c WHERE coalesce(c.duplicate_of, c.id) = s.id) - 1
                 FROM articles s WHERE id = $1",
                &[&id],
            )
            .map_err(StoreError::from)?;
        hits.extend(story.map(|s| {
            SearchHit {
                id,
                title: s.get(0),
                url: s.get(1),
                published_at: s.get(2),
                site_name: s.get(3),
                score: -rank,
                snippet: snippet
                    .clone()
                    .filter(|t| !t.trim().is_empty())
                    .or(s.get(4))
                    .unwrap_or_default(),
                matched_article_id: matched,
                copies: s.get(6),
                purged_at: s.get(5),
            }
        }));
    }
    Ok(hits)
}

/// A read-only snapshot: what an export reads is consistent whatever the
/// writers commit meanwhile.
fn snapshot(client: &mut Client) -> Result<Transaction<'_>, postgres::Error> {
    client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
}

/// Streams matching stories in `change_seq` order from one snapshot (a
/// repeatable-read transaction), a batch of rows at a time.
pub fn export_stories(
    client: &mut Client,
    filter: ExportFilter,
    mut sink: impl FnMut(&ExportedStory) -> std::io::Result<()>,
) -> Result<usize, ExportError> {
    let mut tx = snapshot(client).map_err(StoreError::from)?;
    let stories = tx
        .prepare(&format!(
            "SELECT {STORY_COLUMNS} FROM articles
             WHERE duplicate_of IS NULL AND change_seq > $1
               AND ($2::text IS NULL OR coalesce(published_at, created_at) >= $2)
             ORDER BY change_seq"
        ))
        .map_err(StoreError::from)?;
    let parts = StoryParts::prepare(&mut tx).map_err(StoreError::from)?;
    let after = filter.after_seq.unwrap_or(i64::MIN);
    let since = filter.since.map(timestamp);
    let portal = tx
        .bind(&stories, &[&after, &since])
        .map_err(StoreError::from)?;
    let mut sent = 0;
    loop {
        let rows = tx
            .query_portal(&portal, EXPORT_FETCH)
            .map_err(StoreError::from)?;
        if rows.is_empty() {
            break;
        }
        for r in &rows {
            let story = parts.read(&mut tx, r).map_err(StoreError::from)?;
            sink(&story)?;
            sent += 1;
        }
    }
    Ok(sent)
}

/// The per-story queries of an export: its copies and its sources.
struct StoryParts {
    copies: Statement,
    sources: Statement,
}

impl StoryParts {
    fn prepare(tx: &mut Transaction) -> Result<StoryParts, postgres::Error> {
        Ok(StoryParts {
            copies: tx.prepare(
                "SELECT id FROM articles WHERE coalesce(duplicate_of, id) = $1 AND id <> $1 ORDER BY id",
            )?,
            sources: tx.prepare(
                "SELECT article_id, is_copy, article_url, entry_url, feed_id, feed_url, feed_name, first_seen_at
                 FROM story_sources WHERE story_id = $1 ORDER BY first_seen_at, article_id, feed_id",
            )?,
        })
    }

    /// A row of [`STORY_COLUMNS`] with its copies and sources.
    fn read(&self, tx: &mut Transaction, r: &Row) -> Result<ExportedStory, postgres::Error> {
        let id: i64 = r.get(1);
        let copies = tx
            .query(&self.copies, &[&id])?
            .iter()
            .map(|c| c.get(0))
            .collect();
        let sources = tx
            .query(&self.sources, &[&id])?
            .iter()
            .map(|s| ExportedSource {
                article_id: s.get(0),
                is_copy: s.get(1),
                article_url: s.get(2),
                entry_url: s.get(3),
                feed_id: s.get(4),
                feed_url: s.get(5),
                feed_name: s.get(6),
                first_seen_at: s.get(7),
            })
            .collect();
        Ok(ExportedStory {
            change_seq: r.get(0),
            id,
            url: r.get(2),
            canonical_url: r.get(3),
            title: r.get(4),
            byline: r.get(5),
            published_at: r.get(6),
            modified_at: r.get(7),
            created_at: r.get(8),
            fetched_at: r.get(9),
            lang: r.get(10),
            site_name: r.get(11),
            description: r.get(12),
            image_url: r.get(13),
            word_count: r.get(14),
            extract_status: r.get(15),
            purged_at: r.get(16),
            text: r.get(17),
            summary: r.get(18),
            tags: json_list(r.get(19)),
            enclosures: json_list(r.get(20)),
            authors: json_list(r.get(21)),
            contributors: json_list(r.get(22)),
            comments_url: r.get(23),
            feed_lang: r.get(24),
            markdown: r.get(25),
            copies,
            sources,
        })
    }
}
