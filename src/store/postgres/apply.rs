//! A poll, a robots.txt answer or the feed list as PostgreSQL statements:
//! what the writer ([`super::writer`]) runs in each command's savepoint.
//! The same writes as [`crate::store::apply`] for SQLite, in PostgreSQL's
//! dialect; where an article goes is [`crate::dedup`]'s decision, asked
//! through [`super::stories::PgStories`].

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use postgres::types::ToSql;

use super::big;
use super::db::Db;
use super::site_blocks;
use super::stories::{PgStories, repoint};
use crate::dedup::fingerprint::{Fingerprint, Profile};
use crate::dedup::stories::{Decision, Stories};
use crate::model::{
    Applied, ArticleRecord, EntrySource, EntryWrite, FeedListing, FeedPoll, FeedStatus,
    PollOutcome, StoredRobots, Validators,
};
use crate::store::articles::{insert_sql, json_array, update_sql};
use crate::store::{parse_timestamp, timestamp};

type Result<T> = std::result::Result<T, postgres::Error>;

pub fn save_robots(db: &mut Db, origin: &str, r: &StoredRobots) -> Result<()> {
    db.execute(
        "INSERT INTO robots_txt(origin, status, body, etag, last_modified, fetched_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT(origin) DO UPDATE SET status = excluded.status, body = excluded.body, etag = excluded.etag,
             last_modified = excluded.last_modified, fetched_at = excluded.fetched_at",
        &[
            &origin,
            &i64::from(r.status),
            &r.body.as_ref(),
            &r.validators.etag,
            &r.validators.last_modified,
            &timestamp(r.fetched_at),
        ],
    )?;
    Ok(())
}

/// Mirrors the configured feeds into `feeds`; returns their ids in order.
pub fn sync_feeds(db: &mut Db, feeds: &[FeedListing]) -> Result<Vec<i64>> {
    let now = timestamp(Utc::now());
    db.execute("UPDATE feeds SET active = 0 WHERE active = 1", &[])?;
    let (removed, ok) = (FeedStatus::Removed.as_sql(), FeedStatus::Ok.as_sql());
    let mut ids = Vec::with_capacity(feeds.len());
    for f in feeds {
        let row = db.query_one(
            "INSERT INTO feeds(url, name, active, created_at) VALUES ($1, $2, 1, $3)
             ON CONFLICT(url) DO UPDATE SET name = excluded.name, active = 1,
                 state = CASE WHEN feeds.state = $4 THEN $5 ELSE feeds.state END
             RETURNING id",
            &[&f.url, &f.name, &now, &removed, &ok],
        )?;
        ids.push(row.get(0));
    }
    db.execute(
        "UPDATE feeds SET state = $1 WHERE active = 0 AND state <> $1",
        &[&removed],
    )?;
    Ok(ids)
}

/// Writes one poll: each entry, then the feed's new state, then frees the
/// feed's lease if `node` still holds it.
pub fn apply_poll(
    db: &mut Db,
    stories: &mut Stories,
    poll: &FeedPoll,
    node: &str,
) -> Result<Applied> {
    let mut applied = apply_entries(db, stories, poll.feed_id, poll.polled_at, &poll.entries)?;
    update_feed(db, poll)?;
    if let Some(moved_to) = &poll.moved_to {
        db.execute(
            "UPDATE feeds SET fetch_url = $2 WHERE id = $1 AND fetch_url IS DISTINCT FROM $2",
            &[&poll.feed_id, &moved_to.as_str()],
        )?;
    }
    applied.next_poll_at = Some(next_poll_at(db, poll)?);
    db.execute(
        "UPDATE feeds SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2",
        &[&poll.feed_id, &node],
    )?;
    Ok(applied)
}

/// Writes a part of a long poll's entries ahead of the poll itself (see
/// `poll::resume`): each entry's rows are whole, so a restart finds them
/// stored; the feed's state, validators and lease wait for the poll's end.
pub fn apply_entries(
    db: &mut Db,
    stories: &mut Stories,
    feed_id: i64,
    polled_at: DateTime<Utc>,
    entries: &[EntryWrite],
) -> Result<Applied> {
    let mut applied = Applied::default();
    for entry in entries {
        match entry {
            EntryWrite::Article { source, article } => {
                store_article(db, stories, feed_id, source, article, &mut applied)?
            }
            EntryWrite::Sighting { source, article_id } => {
                if insert_source(db, *article_id, feed_id, source)? {
                    applied.new_sources += 1;
                }
                clear_pending(db, feed_id, &source.entry_id)?;
            }
            EntryWrite::Pending {
                source,
                entry_json,
                attempts,
                next_attempt_at,
                error,
            } => {
                db.execute(
                    "INSERT INTO pending_entries(feed_id, entry_id, entry_url, entry_json, attempts,
                                                 next_attempt_at, last_error, first_seen_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT(feed_id, entry_id) DO UPDATE SET
                        entry_url = excluded.entry_url, entry_json = excluded.entry_json,
                        attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at,
                        last_error = excluded.last_error",
                    &[
                        &feed_id,
                        &source.entry_id,
                        &source.entry_url,
                        &entry_json,
                        &i64::from(*attempts),
                        &next_attempt_at.map(timestamp),
                        &error,
                        &timestamp(polled_at),
                    ],
                )?;
                applied.pending += 1;
            }
            EntryWrite::Filtered {
                source,
                title,
                reason,
            } => {
                db.execute(
                    "INSERT INTO filtered_entries(feed_id, entry_id, entry_url, title, reason, filtered_at)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT(feed_id, entry_id) DO NOTHING",
                    &[
                        &feed_id,
                        &source.entry_id,
                        &source.entry_url,
                        title,
                        reason,
                        &timestamp(polled_at),
                    ],
                )?;
                // A retry whose page text the filter dropped waits no more.
                clear_pending(db, feed_id, &source.entry_id)?;
                applied.filtered += 1;
            }
        }
    }
    Ok(applied)
}

/// The feed's next poll as stored: the plan's, brought forward after a
/// success to its earliest pending entry's retry, as on SQLite. Entries
/// waiting to be resumed or retried are work the feed owes, and it must not
/// wait for the feed's own interval (hours, for a slow feed) to be done; a
/// failing feed keeps its backoff, as a retry needs the feed to answer.
fn next_poll_at(db: &mut Db, poll: &FeedPoll) -> Result<DateTime<Utc>> {
    if poll.outcome.error().is_none() {
        // `least` ignores the NULL of a feed without pending retries.
        db.execute(
            "UPDATE feeds SET next_poll_at = least(next_poll_at,
                 (SELECT min(next_attempt_at) FROM pending_entries WHERE feed_id = $1))
             WHERE id = $1",
            &[&poll.feed_id],
        )?;
    }
    let at: Option<String> = db
        .query_opt(
            "SELECT next_poll_at FROM feeds WHERE id = $1",
            &[&poll.feed_id],
        )?
        .and_then(|r| r.get(0));
    Ok(at
        .as_deref()
        .and_then(parse_timestamp)
        .unwrap_or(poll.next_poll_at))
}

/// Stores an entry's article where the duplicate decision puts it, and
/// records where it was seen. Its site's learned boilerplate is dropped
/// from its text first, and a new page teaches its site's boilerplate
/// ([`site_blocks`]).
fn store_article(
    db: &mut Db,
    stories: &mut Stories,
    feed_id: i64,
    source: &EntrySource,
    extracted: &ArticleRecord,
    applied: &mut Applied,
) -> Result<()> {
    let cleaned =
        site_blocks::clean(db, &extracted.url, &extracted.text)?.map(|text| ArticleRecord {
            text,
            ..extracted.clone()
        });
    let article = cleaned.as_ref().unwrap_or(extracted);
    let profile = Profile::of(&article.text);
    let fp = &profile.fingerprint;
    let decision = stories.decide(&mut PgStories(db), feed_id, source, article, &profile)?;
    match decision {
        Decision::SameEntry { id } => {
            update_article(db, id, article, fp)?;
            stories.remember(id, fp);
            db.execute(
                "UPDATE article_sources SET entry_updated_at = $3 WHERE feed_id = $1 AND entry_id = $2",
                &[
                    &feed_id,
                    &source.entry_id,
                    &source.entry_updated_at.map(timestamp),
                ],
            )?;
            applied.updated += 1;
        }
        Decision::SamePage { id, refresh } => {
            if refresh {
                update_article(db, id, article, fp)?;
                stories.remember(id, fp);
                applied.updated += 1;
            }
            if insert_source(db, id, feed_id, source)? {
                applied.new_sources += 1;
            }
            settle_claims(db, id, &article.url_key, article)?;
        }
        Decision::NewPage {
            canonical_url,
            url_key,
            duplicate_of,
            replaces_root,
        } => {
            let content = Content::of(article, fp);
            let now = timestamp(Utc::now());
            let mut params = content.params();
            params.extend([
                &canonical_url as &(dyn ToSql + Sync),
                &url_key,
                &duplicate_of,
                &now,
            ]);
            let id: i64 = db.query_one(&INSERT, &params)?.get(0);
            if let Some(old_root) = replaces_root {
                repoint(db, old_root, id)?;
                applied.duplicates += 1;
            }
            if duplicate_of.is_some() {
                applied.duplicates += 1;
            }
            stories.remember(id, fp);
            applied.new_articles += 1;
            insert_source(db, id, feed_id, source)?;
            settle_claims(db, id, url_key, article)?;
            if extracted.extraction.is_extracted() {
                site_blocks::learn(db, stories, id, &extracted.url, &extracted.text)?;
            }
        }
    }
    clear_pending(db, feed_id, &source.entry_id)
}

/// The page is stored as `id`: nodes waiting for it (under the page's key
/// or its own address's) take it as a sighting.
fn settle_claims(db: &mut Db, id: i64, url_key: &str, article: &ArticleRecord) -> Result<()> {
    let own_key = article.own_address.as_ref().map(|(_, key)| key.as_str());
    db.execute(
        "UPDATE page_claims SET article_id = $1 WHERE url_key = $2 OR url_key = $3",
        &[&id, &url_key, &own_key],
    )?;
    Ok(())
}

/// [`crate::store::articles`]'s insert and refresh, in PostgreSQL's
/// placeholders.
static INSERT: LazyLock<String> = LazyLock::new(|| insert_sql('$'));
static UPDATE: LazyLock<String> = LazyLock::new(|| update_sql('$'));

fn update_article(db: &mut Db, id: i64, article: &ArticleRecord, fp: &Fingerprint) -> Result<()> {
    let content = Content::of(article, fp);
    let now = timestamp(Utc::now());
    let mut params = content.params();
    params.extend([&now as &(dyn ToSql + Sync), &id]);
    db.execute(&UPDATE, &params)?;
    Ok(())
}

/// The values of [`crate::store::articles::CONTENT`], in its order, as
/// PostgreSQL types.
struct Content<'a> {
    article: &'a ArticleRecord,
    published_at: Option<String>,
    fetched_at: Option<String>,
    modified_at: Option<String>,
    word_count: i64,
    content_hash: String,
    minhash: Option<Vec<u8>>,
    extract_status: String,
    tags: Option<String>,
    enclosures: Option<String>,
    authors: Option<String>,
    contributors: Option<String>,
}

impl<'a> Content<'a> {
    fn of(article: &'a ArticleRecord, fp: &Fingerprint) -> Content<'a> {
        Content {
            article,
            published_at: article.published_at.map(timestamp),
            fetched_at: article.fetched_at.map(timestamp),
            modified_at: article.modified_at.map(timestamp),
            word_count: i64::from(fp.word_count),
            content_hash: fp.content_hash.to_string(),
            minhash: fp.sketch.map(|s| s.to_bytes().to_vec()),
            extract_status: article.extraction.as_sql().into_owned(),
            tags: json_array(&article.details.tags),
            enclosures: json_array(&article.details.enclosures),
            authors: json_array(&article.details.authors),
            contributors: json_array(&article.details.contributors),
        }
    }

    fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        let a = self.article;
        vec![
            &a.url,
            &a.title,
            &a.byline,
            &self.published_at,
            &self.fetched_at,
            &a.lang,
            &a.text,
            &self.word_count,
            &self.content_hash,
            &self.minhash,
            &self.extract_status,
            &self.modified_at,
            &a.site_name,
            &a.description,
            &a.image_url,
            &a.markdown,
            &a.details.summary,
            &self.tags,
            &self.enclosures,
            &self.authors,
            &self.contributors,
            &a.details.comments_url,
            &a.details.language,
        ]
    }
}

/// Records a sighting; false when this (feed, entry) was already recorded.
fn insert_source(db: &mut Db, article_id: i64, feed_id: i64, s: &EntrySource) -> Result<bool> {
    let n = db.execute(
        "INSERT INTO article_sources(article_id, feed_id, entry_id, entry_url, first_seen_at, entry_updated_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT(feed_id, entry_id) DO NOTHING",
        &[
            &article_id,
            &feed_id,
            &s.entry_id,
            &s.entry_url,
            &timestamp(Utc::now()),
            &s.entry_updated_at.map(timestamp),
        ],
    )?;
    Ok(n == 1)
}

fn clear_pending(db: &mut Db, feed_id: i64, entry_id: &str) -> Result<()> {
    db.execute(
        "DELETE FROM pending_entries WHERE feed_id = $1 AND entry_id = $2",
        &[&feed_id, &entry_id],
    )?;
    Ok(())
}

/// The feed's new state; a feed removed while its poll ran stays removed.
fn update_feed(db: &mut Db, poll: &FeedPoll) -> Result<()> {
    let polled = timestamp(poll.polled_at);
    let next = timestamp(poll.next_poll_at);
    let interval = big(poll.interval.as_secs());
    let success = |db: &mut Db,
                   state: FeedStatus,
                   reason: Option<&str>,
                   validators: Option<&Option<Validators>>| {
        // `validators`: None leaves them as they are (304), Some(None)
        // clears them (a document that needed repairs).
        let (keep, v) = match validators {
            None => (true, Validators::default()),
            Some(v) => (false, v.clone().unwrap_or_default()),
        };
        db.execute(
            "UPDATE feeds SET last_polled_at = $2, last_success_at = $2, next_poll_at = $3, interval_secs = $4,
                    error_count = 0, last_error = $6, state_reason = $6,
                    state = CASE WHEN active = 1 THEN $5 ELSE state END,
                    etag = CASE WHEN $7 THEN etag ELSE $8 END,
                    last_modified = CASE WHEN $7 THEN last_modified ELSE $9 END
             WHERE id = $1",
            &[
                &poll.feed_id,
                &polled,
                &next,
                &interval,
                &state.as_sql(),
                &reason,
                &keep,
                &v.etag,
                &v.last_modified,
            ],
        )
    };
    match &poll.outcome {
        PollOutcome::NotModified => success(db, FeedStatus::Ok, None, None)?,
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
            success(db, state, warning.as_deref(), Some(validators))?;
            let min_interval = min_interval.map(|d| big(d.as_secs()));
            db.execute(
                "UPDATE feeds SET title = coalesce($2, title), site_url = coalesce($3, site_url),
                        min_interval_secs = $4 WHERE id = $1",
                &[&poll.feed_id, title, site_url, &min_interval],
            )?
        }
        PollOutcome::Failed { error } | PollOutcome::Gone { error } => {
            let state = if matches!(poll.outcome, PollOutcome::Gone { .. }) {
                FeedStatus::Muted
            } else {
                FeedStatus::Failing
            };
            db.execute(
                "UPDATE feeds SET last_polled_at = $2, next_poll_at = $3, interval_secs = $4,
                        error_count = error_count + 1, last_error = $5, state_reason = $5,
                        state = CASE WHEN active = 1 THEN $6 ELSE state END
                 WHERE id = $1",
                &[
                    &poll.feed_id,
                    &polled,
                    &next,
                    &interval,
                    error,
                    &state.as_sql(),
                ],
            )?
        }
    };
    db.execute(
        "UPDATE feeds SET interval_adapted = $2 WHERE id = $1",
        &[&poll.feed_id, &i64::from(poll.interval_adapted)],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EntryDetails, Extraction, Person};
    use crate::store::articles::CONTENT;

    fn article() -> ArticleRecord {
        ArticleRecord {
            url: "https://news.example/a.html".into(),
            canonical_url: "https://news.example/a.html".into(),
            url_key: "news.example/a.html".into(),
            syndicated_from: None,
            own_address: None,
            title: Some("Harbour strike".into()),
            byline: None,
            published_at: None,
            fetched_at: None,
            lang: Some("en".into()),
            text: "Dockers walked out on Monday.".into(),
            extraction: Extraction::Extracted,
            modified_at: None,
            site_name: None,
            description: None,
            image_url: None,
            markdown: Some("Dockers *walked out* on Monday.".into()),
            details: EntryDetails {
                summary: Some("Dockers walked out.".into()),
                tags: vec!["Labour".into(), "Ports".into()],
                enclosures: Vec::new(),
                authors: vec![Person {
                    name: Some("A. Writer".into()),
                    email: None,
                    uri: None,
                }],
                contributors: Vec::new(),
                comments_url: Some("https://news.example/a.html#comments".into()),
                language: Some("en-GB".into()),
            },
        }
    }

    #[test]
    fn each_content_column_is_bound_to_its_own_value() {
        let a = article();
        let fp = Fingerprint::of(&a.text);
        let content = Content::of(&a, &fp);
        let params = content.params();
        assert_eq!(params.len(), CONTENT.len());
        let bound = |column: &str| {
            let i = CONTENT
                .iter()
                .position(|(c, _)| *c == column)
                .unwrap_or_else(|| panic!("{column} is not a content column"));
            format!("{:?}", params[i])
        };
        let some = |v: &str| format!("Some({v:?})");
        assert_eq!(bound("text"), format!("{:?}", a.text));
        assert_eq!(bound("markdown"), some("Dockers *walked out* on Monday."));
        assert_eq!(bound("summary"), some("Dockers walked out."));
        // The JSON of SQLite's columns (src/store/articles.rs), NULL for
        // an empty list.
        assert_eq!(bound("tags"), some(r#"["Labour","Ports"]"#));
        assert_eq!(
            bound("authors"),
            some(r#"[{"name":"A. Writer","email":null,"uri":null}]"#)
        );
        assert_eq!(bound("enclosures"), "None");
        assert_eq!(bound("contributors"), "None");
        assert_eq!(
            bound("comments_url"),
            some("https://news.example/a.html#comments")
        );
        assert_eq!(bound("feed_lang"), some("en-GB"));
    }

    #[test]
    fn the_statements_have_a_placeholder_for_each_value() {
        let n = CONTENT.len();
        // Content, then canonical_url, url_key, duplicate_of, created_at
        // (used twice, as updated_at too).
        assert!(
            INSERT.contains(&format!("${}, ${})", n + 4, n + 4)),
            "{}",
            *INSERT
        );
        assert!(!INSERT.contains(&format!("${}", n + 5)), "{}", *INSERT);
        // Content, then updated_at and id.
        assert!(
            UPDATE.ends_with(&format!("WHERE id = ${}", n + 2)),
            "{}",
            *UPDATE
        );
        assert!(UPDATE.contains("markdown = $16,"), "{}", *UPDATE);
        assert!(UPDATE.contains("tags = coalesce($18, tags)"), "{}", *UPDATE);
    }
}
