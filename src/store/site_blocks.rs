//! Each site's learned boilerplate in SQLite (`site_blocks`, `site_pages`,
//! migration 0012): what [`crate::dedup::site_blocks`] decides, kept per
//! host across restarts, bounded, and applied by the writer.
//!
//! Order, inside the transaction that stores an article: its text is
//! cleaned of its host's known blocks ([`clean`]) before the duplicate
//! decision and the fingerprint; once stored, a page that is its host's
//! first of its story teaches its blocks ([`learn`]). When a block becomes
//! known, the host's recent stored pages are cleaned again, text and
//! fingerprint, and re-indexed: a re-filter of the stored text, not a
//! re-fetch, so it costs a read and an update per page.

use std::collections::HashMap;

use rusqlite::{Connection, params};

use crate::dedup::fingerprint::Fingerprint;
use crate::dedup::site_blocks::{
    self, MAX_BLOCKS_PER_HOST, PAGES_TO_LEARN, RECENT_PAGES_PER_HOST, host_of,
};
use crate::dedup::stories::Stories;

/// The host's known blocks, each with the page it was first seen on.
fn known(conn: &Connection, host: &str) -> Result<HashMap<u64, i64>, rusqlite::Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT block, first_page FROM site_blocks WHERE host = ?1 AND pages >= ?2",
    )?;
    let rows = stmt.query_map(params![host, PAGES_TO_LEARN], |r| {
        Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)?))
    })?;
    rows.collect()
}

/// The page's text without its site's known boilerplate, or `None` when
/// there is nothing to drop.
pub fn clean(
    conn: &Connection,
    page_url: &str,
    text: &str,
) -> Result<Option<String>, rusqlite::Error> {
    let Some(host) = host_of(page_url) else {
        return Ok(None);
    };
    let known = known(conn, &host)?;
    if known.is_empty() {
        return Ok(None);
    }
    Ok(site_blocks::filter(text, |h| known.contains_key(&h)))
}

/// Learns from stored article `id` (its page at `page_url`, its text as
/// extracted, before cleaning), when it is the first page of its story on
/// its host: blocks of one story's pages are that story, not the site.
pub fn learn(
    conn: &Connection,
    stories: &mut Stories,
    id: i64,
    page_url: &str,
    extracted_text: &str,
) -> Result<(), rusqlite::Error> {
    let Some(host) = host_of(page_url) else {
        return Ok(());
    };
    let story_already_on_host: bool = conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM site_pages p JOIN articles a ON a.id = p.article_id
              WHERE p.host = ?1 AND p.article_id != ?2
                AND coalesce(a.duplicate_of, a.id) =
                    (SELECT coalesce(duplicate_of, id) FROM articles WHERE id = ?2))",
        )?
        .query_row(params![host, id], |r| r.get(0))?;
    if story_already_on_host {
        return Ok(());
    }
    conn.prepare_cached("INSERT OR IGNORE INTO site_pages(article_id, host) VALUES (?1, ?2)")?
        .execute(params![id, host])?;
    let mut learned = false;
    let mut count = conn.prepare_cached(
        "INSERT INTO site_blocks(host, block, pages, words, first_page, last_page)
         VALUES (?1, ?2, 1, ?3, ?4, ?4)
         ON CONFLICT(host, block) DO UPDATE SET pages = pages + 1, last_page = excluded.last_page
         RETURNING pages",
    )?;
    for (block, words) in site_blocks::learnable(extracted_text) {
        let pages: u32 = count.query_row(params![host, block as i64, words, id], |r| r.get(0))?;
        learned |= pages == PAGES_TO_LEARN;
    }
    bound(conn, &host)?;
    if learned {
        clean_recent(conn, stories, &host)?;
    }
    Ok(())
}

/// Keeps the host's tables within [`MAX_BLOCKS_PER_HOST`] blocks and
/// [`RECENT_PAGES_PER_HOST`] pages, least recently seen forgotten first: a
/// blurb still on the site's pages is seen again with each of them, while
/// the teasers of last month's stories age out. Counting is an index range;
/// the sort that picks what to forget runs only when a table is over its
/// bound, and then cuts it to [`PRUNE_TO`] of it, so it runs once per many
/// pages rather than with each.
fn bound(conn: &Connection, host: &str) -> Result<(), rusqlite::Error> {
    let over = |table: &str, limit: usize| -> Result<Option<i64>, rusqlite::Error> {
        let n: i64 = conn
            .prepare_cached(&format!("SELECT count(*) FROM {table} WHERE host = ?1"))?
            .query_row([host], |r| r.get(0))?;
        Ok((n > limit as i64).then_some((limit as f64 * PRUNE_TO) as i64))
    };
    if let Some(keep) = over("site_blocks", MAX_BLOCKS_PER_HOST)? {
        conn.prepare_cached(
            "DELETE FROM site_blocks WHERE host = ?1 AND block IN (
                 SELECT block FROM site_blocks WHERE host = ?1
                 ORDER BY last_page DESC LIMIT -1 OFFSET ?2)",
        )?
        .execute(params![host, keep])?;
    }
    if let Some(keep) = over("site_pages", RECENT_PAGES_PER_HOST)? {
        conn.prepare_cached(
            "DELETE FROM site_pages WHERE host = ?1 AND article_id IN (
                 SELECT article_id FROM site_pages WHERE host = ?1
                 ORDER BY article_id DESC LIMIT -1 OFFSET ?2)",
        )?
        .execute(params![host, keep])?;
    }
    Ok(())
}

/// What share of its bound a table over it is cut back to.
const PRUNE_TO: f64 = 0.875;

/// Cleans the host's recent stored pages of its known blocks: text,
/// fingerprint, and their place in the near-duplicate index.
fn clean_recent(
    conn: &Connection,
    stories: &mut Stories,
    host: &str,
) -> Result<(), rusqlite::Error> {
    let known = known(conn, host)?;
    let pages: Vec<(i64, String)> = conn
        .prepare_cached(
            "SELECT a.id, a.text FROM site_pages p JOIN articles a ON a.id = p.article_id
             WHERE p.host = ?1 AND a.text IS NOT NULL",
        )?
        .query_map([host], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut update = conn.prepare_cached(
        "UPDATE articles SET text = ?2, word_count = ?3, content_hash = ?4, minhash = ?5,
                updated_at = ?6 WHERE id = ?1",
    )?;
    let now = super::timestamp(chrono::Utc::now());
    for (id, text) in pages {
        // A block is never cleaned from the page it was first seen on: a
        // teaser quoting a story's lead is the site's, the lead is the
        // story's.
        let Some(cleaned) =
            site_blocks::filter(&text, |h| known.get(&h).is_some_and(|first| *first != id))
        else {
            continue;
        };
        let fp = Fingerprint::of(&cleaned);
        update.execute(params![
            id,
            cleaned,
            fp.word_count,
            fp.content_hash.to_string(),
            fp.sketch.map(|s| s.to_bytes().to_vec()),
            now
        ])?;
        stories.remember(id, &fp);
        tracing::debug!(
            article = id,
            host,
            "site boilerplate dropped from a stored page"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::index::DEFAULT_WINDOW_SECS;

    fn db(name: &str) -> Connection {
        let dir = std::env::temp_dir().join(format!(
            "feedsift-site-blocks-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a test directory");
        super::super::open_writer(&dir.join("test.db")).expect("a database")
    }

    /// Stores a page as its own story, as the writer does: cleaned, then
    /// learned from.
    fn store(conn: &Connection, stories: &mut Stories, url: &str, extracted: &str) -> i64 {
        let key = url.trim_start_matches("https://");
        let text = clean(conn, url, extracted)
            .expect("clean")
            .unwrap_or_else(|| extracted.to_string());
        let id: i64 = conn
            .query_row(
                "INSERT INTO articles(url, canonical_url, url_key, text, extract_status, created_at, updated_at)
                 VALUES (?1, ?1, ?2, ?3, 'ok', '2026-11-30T00:00:00Z', '2026-11-30T00:00:00Z') RETURNING id",
                params![url, key, text],
                |r| r.get(0),
            )
            .expect("insert");
        learn(conn, stories, id, url, extracted).expect("learn");
        id
    }

    fn text(conn: &Connection, id: i64) -> String {
        conn.query_row("SELECT text FROM articles WHERE id = ?1", [id], |r| {
            r.get(0)
        })
        .expect("text")
    }

    const NEW: &str =
        "A brand new story, with more words of its own than the teaser has, about the harbour.";
    const TEASER: &str =
        "The new ferry timetable starts on Monday with two extra crossings every evening.";

    #[test]
    fn a_teaser_quoting_a_story_lead_is_cleaned_from_other_pages_but_not_from_that_story() {
        let conn = db("lead");
        let mut stories = Stories::rebuild(DEFAULT_WINDOW_SECS, 0, []);
        let ferry = store(
            &conn,
            &mut stories,
            "https://site.example/ferry",
            &format!(
                "{TEASER}\n\nThe operator hired four more crew for the winter, and said the \
                 older of its two boats would be refitted in the spring at the yard upriver."
            ),
        );
        let others: Vec<i64> = (0..3)
            .map(|i| {
                let own = format!("Story {i} has its own first paragraph about topic {i}.\n\nAnd a second one, number {i}, with more words in it.");
                store(
                    &conn,
                    &mut stories,
                    &format!("https://site.example/s{i}"),
                    &format!("{own}\n\n{TEASER}"),
                )
            })
            .collect();
        assert!(
            text(&conn, ferry).starts_with(TEASER),
            "{}",
            text(&conn, ferry)
        );
        for id in others {
            assert!(!text(&conn, id).contains(TEASER), "{}", text(&conn, id));
        }
        // Another host's pages are not touched by this host's blocks.
        assert_eq!(
            clean(
                &conn,
                "https://other.example/x",
                &format!("Own words here.\n\n{TEASER}")
            )
            .expect("clean"),
            None
        );
        let next = clean(
            &conn,
            "https://www.site.example/next",
            &format!("{NEW}\n\n{TEASER}"),
        )
        .expect("clean");
        assert_eq!(next.as_deref(), Some(NEW));
    }
}
