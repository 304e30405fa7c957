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

use std::collections::HashSet;

use rusqlite::{Connection, params};

use crate::dedup::fingerprint::Fingerprint;
use crate::dedup::site_blocks::{
    self, MAX_BLOCKS_PER_HOST, PAGES_TO_LEARN, RECENT_PAGES_PER_HOST, host_of,
};
use crate::dedup::stories::Stories;

/// The host's known blocks.
fn known(conn: &Connection, host: &str) -> Result<HashSet<u64>, rusqlite::Error> {
    let mut stmt =
        conn.prepare_cached("SELECT block FROM site_blocks WHERE host = ?1 AND pages >= ?2")?;
    let rows = stmt.query_map(params![host, PAGES_TO_LEARN], |r| r.get::<_, i64>(0))?;
    rows.map(|h| h.map(|h| h as u64)).collect()
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
    Ok(site_blocks::filter(text, |h| known.contains(&h)))
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
        "INSERT INTO site_blocks(host, block, pages, words, last_page) VALUES (?1, ?2, 1, ?3, ?4)
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

/// Keeps the host's tables within [`MAX_BLOCKS_PER_HOST`] unlearned blocks
/// and [`RECENT_PAGES_PER_HOST`] pages.
fn bound(conn: &Connection, host: &str) -> Result<(), rusqlite::Error> {
    conn.prepare_cached(
        "DELETE FROM site_blocks WHERE host = ?1 AND block IN (
             SELECT block FROM site_blocks WHERE host = ?1 AND pages < ?2
             ORDER BY last_page DESC LIMIT -1 OFFSET ?3)",
    )?
    .execute(params![host, PAGES_TO_LEARN, MAX_BLOCKS_PER_HOST as i64])?;
    conn.prepare_cached(
        "DELETE FROM site_pages WHERE host = ?1 AND article_id IN (
             SELECT article_id FROM site_pages WHERE host = ?1
             ORDER BY article_id DESC LIMIT -1 OFFSET ?2)",
    )?
    .execute(params![host, RECENT_PAGES_PER_HOST as i64])?;
    Ok(())
}

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
        let Some(cleaned) = site_blocks::filter(&text, |h| known.contains(&h)) else {
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
