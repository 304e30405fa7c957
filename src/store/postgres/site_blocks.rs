//! Each site's learned boilerplate in PostgreSQL (`site_blocks`,
//! `site_pages`, migrations/postgres/0002): [`crate::store::site_blocks`]
//! in PostgreSQL's dialect, the same decisions
//! ([`crate::dedup::site_blocks`]) in the same order. It runs in the
//! writing transaction, under the cluster's writing lock, so every node
//! learns from and cleans with one table.
//!
//! Order, inside the transaction that stores an article: its text is
//! cleaned of its host's known blocks ([`clean`]) before the duplicate
//! decision and the fingerprint; once stored, a page that is its host's
//! first of its story teaches its blocks ([`learn`]). When a block becomes
//! known, the host's recent stored pages are cleaned again, text and
//! fingerprint, and re-indexed in this node's index (other nodes catch the
//! rows up by their new `change_seq`).

use std::collections::HashMap;

use super::big;
use super::db::Db;
use crate::dedup::fingerprint::Fingerprint;
use crate::dedup::site_blocks::{
    self, MAX_BLOCKS_PER_HOST, PAGES_TO_LEARN, RECENT_PAGES_PER_HOST, host_of,
};
use crate::dedup::stories::Stories;
use crate::store::timestamp;

type Result<T> = std::result::Result<T, postgres::Error>;

/// Blocks are u64 hashes; the column is a signed bigint holding their bits.
fn as_column(block: u64) -> i64 {
    block as i64
}

/// The host's known blocks, each with the page it was first seen on.
fn known(db: &mut Db, host: &str) -> Result<HashMap<u64, i64>> {
    let rows = db.query(
        "SELECT block, first_page FROM site_blocks WHERE host = $1 AND pages >= $2",
        &[&host, &i64::from(PAGES_TO_LEARN)],
    )?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<_, i64>(0) as u64, r.get(1)))
        .collect())
}

/// The page's text without its site's known boilerplate, or `None` when
/// there is nothing to drop.
pub fn clean(db: &mut Db, page_url: &str, text: &str) -> Result<Option<String>> {
    let Some(host) = host_of(page_url) else {
        return Ok(None);
    };
    let known = known(db, &host)?;
    if known.is_empty() {
        return Ok(None);
    }
    Ok(site_blocks::filter(text, |h| known.contains_key(&h)))
}

/// Learns from stored article `id` (its page at `page_url`, its text as
/// extracted, before cleaning), when it is the first page of its story on
/// its host: blocks of one story's pages are that story, not the site.
pub fn learn(
    db: &mut Db,
    stories: &mut Stories,
    id: i64,
    page_url: &str,
    extracted_text: &str,
) -> Result<()> {
    let Some(host) = host_of(page_url) else {
        return Ok(());
    };
    let story_already_on_host: bool = db
        .query_one(
            "SELECT EXISTS(SELECT 1 FROM site_pages p JOIN articles a ON a.id = p.article_id
              WHERE p.host = $1 AND p.article_id <> $2
                AND coalesce(a.duplicate_of, a.id) =
                    (SELECT coalesce(duplicate_of, id) FROM articles WHERE id = $2))",
            &[&host, &id],
        )?
        .get(0);
    if story_already_on_host {
        return Ok(());
    }
    db.execute(
        "INSERT INTO site_pages(article_id, host) VALUES ($1, $2) ON CONFLICT (article_id) DO NOTHING",
        &[&id, &host],
    )?;
    let mut learned = false;
    for (block, words) in site_blocks::learnable(extracted_text) {
        let pages: i64 = db
            .query_one(
                "INSERT INTO site_blocks(host, block, pages, words, first_page, last_page)
                 VALUES ($1, $2, 1, $3, $4, $4)
                 ON CONFLICT (host, block) DO UPDATE
                     SET pages = site_blocks.pages + 1, last_page = excluded.last_page
                 RETURNING pages",
                &[&host, &as_column(block), &i64::from(words), &id],
            )?
            .get(0);
        learned |= pages == i64::from(PAGES_TO_LEARN);
    }
    bound(db, &host)?;
    if learned {
        clean_recent(db, stories, &host)?;
    }
    Ok(())
}

/// Keeps the host's tables within [`MAX_BLOCKS_PER_HOST`] blocks and
/// [`RECENT_PAGES_PER_HOST`] pages, least recently seen forgotten first,
/// as on SQLite: the sort that picks what to forget runs only when a table
/// is over its bound, and then cuts it to [`PRUNE_TO`] of it.
fn bound(db: &mut Db, host: &str) -> Result<()> {
    // OFFSET without LIMIT: every row after the first `keep` (SQLite's
    // `LIMIT -1 OFFSET n`).
    if let Some(keep) = over(db, host, "site_blocks", MAX_BLOCKS_PER_HOST)? {
        db.execute(
            "DELETE FROM site_blocks WHERE host = $1 AND block IN (
                 SELECT block FROM site_blocks WHERE host = $1
                 ORDER BY last_page DESC OFFSET $2)",
            &[&host, &keep],
        )?;
    }
    if let Some(keep) = over(db, host, "site_pages", RECENT_PAGES_PER_HOST)? {
        db.execute(
            "DELETE FROM site_pages WHERE host = $1 AND article_id IN (
                 SELECT article_id FROM site_pages WHERE host = $1
                 ORDER BY article_id DESC OFFSET $2)",
            &[&host, &keep],
        )?;
    }
    Ok(())
}

/// How many of the host's rows `table` keeps when it holds more than
/// `limit`; `None` while within it.
fn over(db: &mut Db, host: &str, table: &str, limit: usize) -> Result<Option<i64>> {
    let n: i64 = db
        .query_one(
            &format!("SELECT count(*) FROM {table} WHERE host = $1"),
            &[&host],
        )?
        .get(0);
    Ok((n > big(limit)).then_some((limit as f64 * PRUNE_TO) as i64))
}

/// What share of its bound a table over it is cut back to (as on SQLite).
const PRUNE_TO: f64 = 0.875;

/// Cleans the host's recent stored pages of its known blocks: text,
/// fingerprint, and their place in the near-duplicate index.
fn clean_recent(db: &mut Db, stories: &mut Stories, host: &str) -> Result<()> {
    let known = known(db, host)?;
    let pages: Vec<(i64, String)> = db
        .query(
            "SELECT a.id, a.text FROM site_pages p JOIN articles a ON a.id = p.article_id
             WHERE p.host = $1 AND a.text IS NOT NULL",
            &[&host],
        )?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let now = timestamp(chrono::Utc::now());
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
        db.execute(
            "UPDATE articles SET text = $2, word_count = $3, content_hash = $4, minhash = $5,
                    updated_at = $6 WHERE id = $1",
            &[
                &id,
                &cleaned,
                &i64::from(fp.word_count),
                &fp.content_hash.to_string(),
                &fp.sketch.map(|s| s.to_bytes().to_vec()),
                &now,
            ],
        )?;
        stories.remember(id, &fp);
        tracing::debug!(
            article = id,
            host,
            "site boilerplate dropped from a stored page"
        );
    }
    Ok(())
}
