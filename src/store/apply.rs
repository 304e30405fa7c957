//! A poll, a robots.txt answer or the feed list as SQL: what the single
//! writer ([`super::writer`]) runs inside each command's savepoint. Where
//! an article goes among stored stories is [`crate::dedup`]'s decision;
//! this module carries it out.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};

use super::articles::{self, Place};
use super::site_blocks;
use super::stories::{SqliteStories, repoint};
use super::timestamp;
use crate::dedup::fingerprint::Profile;
use crate::dedup::stories::{Decision, Stories};
use crate::model::{
    Applied, ArticleRecord, EntrySource, EntryWrite, FeedListing, FeedPoll, FeedStatus,
    PollOutcome, StoredRobots, Validators,
};

/// Keeps a site's robots.txt answer.
pub fn save_robots(
    conn: &Connection,
    origin: &str,
    r: &StoredRobots,
) -> Result<(), rusqlite::Error> {
    conn.prepare_cached(
        "INSERT INTO robots_txt(origin, status, body, etag, last_modified, fetched_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(origin) DO UPDATE SET status = excluded.status, body = excluded.body, etag = excluded.etag,
             last_modified = excluded.last_modified, fetched_at = excluded.fetched_at",
    )?
    .execute(params![
        origin,
        r.status,
        r.body.as_ref(),
        r.validators.etag,
        r.validators.last_modified,
        timestamp(r.fetched_at)
    ])?;
    Ok(())
}

/// Mirrors the configured feeds into `feeds`; returns their ids in order.
pub fn sync_feeds(conn: &Connection, feeds: &[FeedListing]) -> Result<Vec<i64>, rusqlite::Error> {
    let now = timestamp(Utc::now());
    // Feeds still listed keep their state (a muted feed stays muted across
    // restarts); only those no longer listed become removed.
    conn.execute("UPDATE feeds SET active = 0 WHERE active = 1", [])?;
    let mut upsert = conn.prepare_cached(
        "INSERT INTO feeds(url, name, active, created_at) VALUES (?1, ?2, 1, ?3)
         ON CONFLICT(url) DO UPDATE SET name = excluded.name, active = 1,
             state = CASE WHEN state = ?4 THEN ?5 ELSE state END
         RETURNING id",
    )?;
    let ids = feeds
        .iter()
        .map(|f| {
            let back = (FeedStatus::Removed, FeedStatus::Ok);
            upsert.query_row(params![f.url, f.name, now, back.0, back.1], |r| r.get(0))
        })
        .collect::<Result<Vec<i64>, _>>()?;
    conn.execute(
        "UPDATE feeds SET state = ?1 WHERE active = 0 AND state <> ?1",
        [FeedStatus::Removed],
    )?;
    Ok(ids)
}

/// Writes one poll: each entry, then the feed's new state.
pub fn apply_poll(
    conn: &Connection,
    stories: &mut Stories,
    poll: &FeedPoll,
) -> Result<Applied, rusqlite::Error> {
    let mut applied = apply_entries(conn, stories, poll.feed_id, poll.polled_at, &poll.entries)?;
    update_feed(conn, poll)?;
    if let Some(moved_to) = &poll.moved_to {
        conn.prepare_cached(
            "UPDATE feeds SET fetch_url = ?2 WHERE id = ?1 AND fetch_url IS NOT ?2",
        )?
        .execute(params![poll.feed_id, moved_to.as_str()])?;
    }
    applied.next_poll_at = Some(next_poll_at(conn, poll)?);
    Ok(applied)
}

/// Writes a part of a long poll's entries ahead of the poll itself (see
/// `poll::resume`): each entry's rows are whole, so a restart finds them
/// stored; the feed's state and validators wait for the poll's end.
pub fn apply_entries(
    conn: &Connection,
    stories: &mut Stories,
    feed_id: i64,
    polled_at: DateTime<Utc>,
    entries: &[EntryWrite],
) -> Result<Applied, rusqlite::Error> {
    let mut applied = Applied::default();
    for entry in entries {
        match entry {
            EntryWrite::Article { source, article } => {
                store_article(conn, stories, feed_id, source, article, &mut applied)?
            }
            EntryWrite::Sighting { source, article_id } => {
                if insert_source(conn, *article_id, feed_id, source)? {
                    applied.new_sources += 1;
                }
                clear_pending(conn, feed_id, &source.entry_id)?;
            }
            EntryWrite::Pending {
                source,
                entry_json,
                attempts,
                next_attempt_at,
                error,
            } => {
                conn.prepare_cached(
                    "INSERT INTO pending_entries(feed_id, entry_id, entry_url, entry_json, attempts,
                                                 next_attempt_at, last_error, first_seen_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                     ON CONFLICT(feed_id, entry_id) DO UPDATE SET
                        entry_url = excluded.entry_url, entry_json = excluded.entry_json,
                        attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at,
                        last_error = excluded.last_error",
                )?
                .execute(params![
                    feed_id,
                    source.entry_id,
                    source.entry_url,
                    entry_json,
                    attempts,
                    next_attempt_at.map(timestamp),
                    error,
                    timestamp(polled_at),
                ])?;
                applied.pending += 1;
            }
            EntryWrite::Filtered {
                source,
                title,
                reason,
            } => {
                conn.prepare_cached(
                    "INSERT INTO filtered_entries(feed_id, entry_id, entry_url, title, reason, filtered_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT(feed_id, entry_id) DO NOTHING",
                )?
                .execute(params![
                    feed_id,
                    source.entry_id,
                    source.entry_url,
                    title,
                    reason,
                    timestamp(polled_at),
                ])?;
                // A retry whose page text the filter dropped waits no more.
                clear_pending(conn, feed_id, &source.entry_id)?;
                applied.filtered += 1;
            }
        }
    }
    Ok(applied)
}

/// The feed's next poll as stored: the plan's, brought forward after a
/// success to its earliest pending entry's retry. Entries waiting to be
/// resumed or retried are work the feed owes, and it must not wait for
/// the feed's own interval (hours, for a slow feed) to be done; a failing
/// feed keeps its backoff, as a retry needs the feed to answer.
fn next_poll_at(conn: &Connection, poll: &FeedPoll) -> Result<DateTime<Utc>, rusqlite::Error> {
    if poll.outcome.error().is_none() {
        conn.prepare_cached(
            "UPDATE feeds SET next_poll_at = min(next_poll_at, coalesce(
                 (SELECT min(next_attempt_at) FROM pending_entries WHERE feed_id = ?1), next_poll_at))
             WHERE id = ?1",
        )?
        .execute([poll.feed_id])?;
    }
    let at: Option<String> = conn
        .prepare_cached("SELECT next_poll_at FROM feeds WHERE id = ?1")?
        .query_row([poll.feed_id], |r| r.get(0))?;
    Ok(at
        .as_deref()
        .and_then(super::parse_timestamp)
        .unwrap_or(poll.next_poll_at))
}

/// Stores an entry's article where the duplicate decision puts it, and
/// records where it was seen. Its site's learned boilerplate is dropped
/// from its text first, and a new page teaches its site's boilerplate
/// ([`site_blocks`]).
fn store_article(
    conn: &Connection,
    stories: &mut Stories,
    feed_id: i64,
    source: &EntrySource,
    extracted: &ArticleRecord,
    applied: &mut Applied,
) -> Result<(), rusqlite::Error> {
    let cleaned =
        site_blocks::clean(conn, &extracted.url, &extracted.text)?.map(|text| ArticleRecord {
            text,
            ..extracted.clone()
        });
    let article = cleaned.as_ref().unwrap_or(extracted);
    let profile = Profile::of(&article.text);
    let fp = &profile.fingerprint;
    let mut lookup = SqliteStories(conn);
    match stories.decide(&mut lookup, feed_id, source, article, &profile)? {
        Decision::SameEntry { id } => {
            articles::update(conn, id, article, fp)?;
            stories.remember(id, fp);
            conn.prepare_cached(
                "UPDATE article_sources SET entry_updated_at = ?3 WHERE feed_id = ?1 AND entry_id = ?2",
            )?
            .execute(params![
                feed_id,
                source.entry_id,
                source.entry_updated_at.map(timestamp)
            ])?;
            applied.updated += 1;
        }
        Decision::SamePage { id, refresh } => {
            if refresh {
                articles::update(conn, id, article, fp)?;
                stories.remember(id, fp);
                applied.updated += 1;
            }
            if insert_source(conn, id, feed_id, source)? {
                applied.new_sources += 1;
            }
        }
        Decision::NewPage {
            canonical_url,
            url_key,
            duplicate_of,
            replaces_root,
        } => {
            let place = Place {
                canonical_url,
                url_key,
                duplicate_of,
            };
            let id = articles::insert(conn, article, fp, &place)?;
            if let Some(old_root) = replaces_root {
                repoint(conn, old_root, id)?;
                applied.duplicates += 1;
            }
            if duplicate_of.is_some() {
                applied.duplicates += 1;
            }
            stories.remember(id, fp);
            applied.new_articles += 1;
            insert_source(conn, id, feed_id, source)?;
            if extracted.extraction.is_extracted() {
                site_blocks::learn(conn, stories, id, &extracted.url, &extracted.text)?;
            }
        }
    }
    clear_pending(conn, feed_id, &source.entry_id)
}

/// Records a sighting; false when this (feed, entry) was already recorded.
fn insert_source(
    conn: &Connection,
    article_id: i64,
    feed_id: i64,
    s: &EntrySource,
) -> Result<bool, rusqlite::Error> {
    let n = conn
        .prepare_cached(
            "INSERT INTO article_sources(article_id, feed_id, entry_id, entry_url, first_seen_at, entry_updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(feed_id, entry_id) DO NOTHING",
        )?
        .execute(params![
            article_id,
            feed_id,
            s.entry_id,
            s.entry_url,
            timestamp(Utc::now()),
            s.entry_updated_at.map(timestamp)
        ])?;
    Ok(n == 1)
}

fn clear_pending(conn: &Connection, feed_id: i64, entry_id: &str) -> Result<(), rusqlite::Error> {
    conn.prepare_cached("DELETE FROM pending_entries WHERE feed_id = ?1 AND entry_id = ?2")?
        .execute(params![feed_id, entry_id])?;
    Ok(())
}

/// A feed removed from feeds.toml while its poll ran stays removed: the
/// poll's outcome is recorded, its state is not.
fn update_feed(conn: &Connection, poll: &FeedPoll) -> Result<(), rusqlite::Error> {
    let polled = timestamp(poll.polled_at);
    let next = timestamp(poll.next_poll_at);
    let interval = i64::try_from(poll.interval.as_secs()).unwrap_or(i64::MAX);
    let success = |state: FeedStatus,
                   reason: Option<&str>,
                   validators: Option<&Option<Validators>>| {
        // `validators`: None leaves them as they are (304), Some(None)
        // clears them (a document that needed repairs).
        let (keep, v) = match validators {
            None => (1, Validators::default()),
            Some(v) => (0, v.clone().unwrap_or_default()),
        };
        conn.prepare_cached(
            "UPDATE feeds SET last_polled_at = ?2, last_success_at = ?2, next_poll_at = ?3, interval_secs = ?4,
                    error_count = 0, last_error = ?6, state_reason = ?6,
                    state = CASE WHEN active THEN ?5 ELSE state END,
                    etag = CASE WHEN ?7 THEN etag ELSE ?8 END,
                    last_modified = CASE WHEN ?7 THEN last_modified ELSE ?9 END
             WHERE id = ?1",
        )?
        .execute(params![poll.feed_id, polled, next, interval, state, reason, keep, v.etag, v.last_modified])
    };
    match &poll.outcome {
        PollOutcome::NotModified => success(FeedStatus::Ok, None, None)?,
        PollOutcome::Fetched {
            validators,
            title,
            site_url,
            min_interval,
            warning,
            unreadable_items,
        } => {
            let state = if *unreadable_items {
                FeedStatus::Empty
            } else {
                FeedStatus::Ok
            };
            success(state, warning.as_deref(), Some(validators))?;
            let min_interval = min_interval.map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
            conn.prepare_cached(
                "UPDATE feeds SET title = coalesce(?2, title), site_url = coalesce(?3, site_url),
                        min_interval_secs = ?4 WHERE id = ?1",
            )?
            .execute(params![poll.feed_id, title, site_url, min_interval])?
        }
        PollOutcome::Failed { error } | PollOutcome::Gone { error } => {
            let state = if matches!(poll.outcome, PollOutcome::Gone { .. }) {
                FeedStatus::Muted
            } else {
                FeedStatus::Failing
            };
            conn.prepare_cached(
                "UPDATE feeds SET last_polled_at = ?2, next_poll_at = ?3, interval_secs = ?4,
                        error_count = error_count + 1, last_error = ?5, state_reason = ?5,
                        state = CASE WHEN active THEN ?6 ELSE state END
                 WHERE id = ?1",
            )?
            .execute(params![poll.feed_id, polled, next, interval, error, state])?
        }
    };
    conn.prepare_cached("UPDATE feeds SET interval_adapted = ?2 WHERE id = ?1")?
        .execute(params![poll.feed_id, poll.interval_adapted])?;
    Ok(())
}
