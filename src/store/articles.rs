//! An [`ArticleRecord`] as an `articles` row. Its columns are listed once,
//! in [`CONTENT`], for both the insert of a new page and the refresh of a
//! stored one.

use std::borrow::Cow;
use std::sync::LazyLock;

use chrono::Utc;
use rusqlite::{Connection, ToSql, params_from_iter};

use super::timestamp;
use crate::dedup::fingerprint::Fingerprint;
use crate::model::ArticleRecord;

/// What a refresh does with a column.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnRefresh {
    Replace,
    /// Keep the stored value when the new one is NULL: a feed's stand-in
    /// text carries no page metadata, and must not erase what a fetched
    /// page gave.
    KeepIfNull,
}

use OnRefresh::{KeepIfNull, Replace};

/// The columns an article's content fills, in the order of
/// [`Content::params`].
pub(crate) const CONTENT: [(&str, OnRefresh); 23] = [
    ("url", Replace),
    ("title", KeepIfNull),
    ("byline", KeepIfNull),
    ("published_at", KeepIfNull),
    ("fetched_at", KeepIfNull),
    ("lang", KeepIfNull),
    ("text", Replace),
    ("word_count", Replace),
    ("content_hash", Replace),
    ("minhash", Replace),
    ("extract_status", Replace),
    ("modified_at", KeepIfNull),
    ("site_name", KeepIfNull),
    ("description", KeepIfNull),
    ("image_url", KeepIfNull),
    // Markdown goes with `text`: a stand-in text must not keep the page's.
    ("markdown", Replace),
    ("summary", KeepIfNull),
    ("tags", KeepIfNull),
    ("enclosures", KeepIfNull),
    ("authors", KeepIfNull),
    ("contributors", KeepIfNull),
    ("comments_url", KeepIfNull),
    ("feed_lang", KeepIfNull),
];

/// A new row also gets its place after the content: canonical_url, url_key,
/// duplicate_of, created_at (= updated_at).
static INSERT: LazyLock<String> = LazyLock::new(|| insert_sql('?'));

/// A refresh keeps the row's place; updated_at and id follow the content.
static UPDATE: LazyLock<String> = LazyLock::new(|| update_sql('?'));

/// The insert of a new article with numbered parameters written
/// `{mark}N` (`?N` for SQLite, `$N` for PostgreSQL): the [`CONTENT`]
/// columns, then canonical_url, url_key, duplicate_of and created_at
/// (= updated_at).
pub(crate) fn insert_sql(mark: char) -> String {
    let n = CONTENT.len();
    let columns: Vec<&str> = CONTENT
        .iter()
        .map(|(c, _)| *c)
        .chain([
            "canonical_url",
            "url_key",
            "duplicate_of",
            "created_at",
            "updated_at",
        ])
        .collect();
    let values: Vec<String> = (1..=n + 4)
        .chain([n + 4])
        .map(|i| format!("{mark}{i}"))
        .collect();
    format!(
        "INSERT INTO articles({}) VALUES ({}) RETURNING id",
        columns.join(", "),
        values.join(", ")
    )
}

/// The refresh of a stored article, parameters as in [`insert_sql`]: the
/// [`CONTENT`] columns as each [`OnRefresh`] says, then updated_at and id.
pub(crate) fn update_sql(mark: char) -> String {
    let n = CONTENT.len();
    let sets: Vec<String> = CONTENT
        .iter()
        .enumerate()
        .map(|(i, (column, on_refresh))| match on_refresh {
            Replace => format!("{column} = {mark}{}", i + 1),
            KeepIfNull => format!("{column} = coalesce({mark}{}, {column})", i + 1),
        })
        .collect();
    format!(
        "UPDATE articles SET {}, updated_at = {mark}{} WHERE id = {mark}{}",
        sets.join(", "),
        n + 1,
        n + 2
    )
}

/// Where a new row goes among stories.
pub struct Place<'a> {
    pub canonical_url: &'a str,
    pub url_key: &'a str,
    pub duplicate_of: Option<i64>,
}

/// Inserts a new article; returns its id.
pub fn insert(
    conn: &Connection,
    article: &ArticleRecord,
    fingerprint: &Fingerprint,
    place: &Place,
) -> Result<i64, rusqlite::Error> {
    let content = Content::of(article, fingerprint);
    let now = timestamp(Utc::now());
    let extra: [&dyn ToSql; 4] = [
        &place.canonical_url,
        &place.url_key,
        &place.duplicate_of,
        &now,
    ];
    conn.prepare_cached(&INSERT)?.query_row(
        params_from_iter(content.params().into_iter().chain(extra)),
        |r| r.get(0),
    )
}

/// Refreshes row `id` with a newer version of its article.
pub fn update(
    conn: &Connection,
    id: i64,
    article: &ArticleRecord,
    fingerprint: &Fingerprint,
) -> Result<(), rusqlite::Error> {
    let content = Content::of(article, fingerprint);
    let now = timestamp(Utc::now());
    let extra: [&dyn ToSql; 2] = [&now, &id];
    conn.prepare_cached(&UPDATE)?
        .execute(params_from_iter(content.params().into_iter().chain(extra)))?;
    Ok(())
}

/// The values of [`CONTENT`], converted to what the columns hold.
struct Content<'a> {
    article: &'a ArticleRecord,
    published_at: Option<String>,
    fetched_at: Option<String>,
    modified_at: Option<String>,
    word_count: u32,
    content_hash: String,
    minhash: Option<Vec<u8>>,
    extract_status: Cow<'static, str>,
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
            word_count: fp.word_count,
            content_hash: fp.content_hash.to_string(),
            minhash: fp.sketch.map(|s| s.to_bytes().to_vec()),
            extract_status: article.extraction.as_sql(),
            tags: json_array(&article.details.tags),
            enclosures: json_array(&article.details.enclosures),
            authors: json_array(&article.details.authors),
            contributors: json_array(&article.details.contributors),
        }
    }

    fn params(&self) -> [&dyn ToSql; CONTENT.len()] {
        let a = self.article;
        [
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

/// A list as its JSON column: NULL when empty, so `json_each` on the column
/// yields nothing and `IS NULL` means "the feed said nothing".
pub(crate) fn json_array<T: serde::Serialize>(items: &[T]) -> Option<String> {
    if items.is_empty() {
        return None;
    }
    // Plain data structs and strings always serialise.
    serde_json::to_string(items).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Enclosure, EntryDetails, Extraction, Person};

    fn db() -> Connection {
        let dir = std::env::temp_dir().join(format!("feedsift-articles-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a test directory");
        super::super::open_writer(&dir.join("test.db")).expect("a database")
    }

    fn article() -> ArticleRecord {
        let t = |s: &str| super::super::parse_timestamp(s);
        ArticleRecord {
            url: "https://news.example/a.html?utm_source=x".into(),
            canonical_url: "https://news.example/a.html".into(),
            url_key: "news.example/a.html".into(),
            syndicated_from: None,
            own_address: None,
            title: Some("Harbour strike".into()),
            byline: Some("A. Writer".into()),
            published_at: t("2026-03-02T08:00:00Z"),
            fetched_at: t("2026-03-02T09:00:00Z"),
            lang: Some("en".into()),
            text: "Dockers walked out on Monday.".into(),
            extraction: Extraction::Extracted,
            modified_at: t("2026-03-02T10:00:00Z"),
            site_name: Some("News".into()),
            description: Some("The strike".into()),
            image_url: Some("https://news.example/a.jpg".into()),
            markdown: Some("Dockers [walked out](https://news.example/s) on Monday.".into()),
            details: EntryDetails {
                summary: Some("Dockers walked out.".into()),
                tags: vec!["Labour".into(), "Ports".into()],
                enclosures: vec![Enclosure {
                    url: "https://news.example/a.mp3".into(),
                    media_type: Some("audio/mpeg".into()),
                    length: Some(1234),
                }],
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

    type Row = Vec<Option<String>>;

    fn row(conn: &Connection, id: i64) -> Row {
        let columns: Vec<&str> = CONTENT
            .iter()
            .map(|(c, _)| *c)
            .filter(|c| *c != "minhash")
            .chain(["canonical_url", "url_key", "duplicate_of"])
            .collect();
        let sql = format!(
            "SELECT {} FROM articles WHERE id = ?1",
            columns
                .iter()
                .map(|c| format!("CAST({c} AS TEXT)"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        conn.query_row(&sql, [id], |r| {
            (0..columns.len()).map(|i| r.get(i)).collect()
        })
        .expect("the row")
    }

    #[test]
    fn every_field_reaches_its_column_and_a_refresh_keeps_page_metadata() {
        let conn = db();
        let a = article();
        let fp = Fingerprint::of(&a.text);
        let place = Place {
            canonical_url: "https://news.example/a.html",
            url_key: "news.example/a.html",
            duplicate_of: None,
        };
        let id = insert(&conn, &a, &fp, &place).expect("inserted");
        let s = |v: &str| Some(v.to_string());
        let inserted = row(&conn, id);
        assert_eq!(
            inserted,
            vec![
                s("https://news.example/a.html?utm_source=x"),
                s("Harbour strike"),
                s("A. Writer"),
                s("2026-03-02T08:00:00Z"),
                s("2026-03-02T09:00:00Z"),
                s("en"),
                s("Dockers walked out on Monday."),
                s(&fp.word_count.to_string()),
                s(&fp.content_hash.to_string()),
                s("ok"),
                s("2026-03-02T10:00:00Z"),
                s("News"),
                s("The strike"),
                s("https://news.example/a.jpg"),
                s("Dockers [walked out](https://news.example/s) on Monday."),
                s("Dockers walked out."),
                s(r#"["Labour","Ports"]"#),
                s(r#"[{"url":"https://news.example/a.mp3","type":"audio/mpeg","length":1234}]"#),
                s(r#"[{"name":"A. Writer","email":null,"uri":null}]"#),
                // No contributors: NULL, not an empty array.
                None,
                s("https://news.example/a.html#comments"),
                s("en-GB"),
                s("https://news.example/a.html"),
                s("news.example/a.html"),
                None,
            ]
        );
        // The feed's stand-in: new text and status, page metadata kept.
        let stand_in = ArticleRecord {
            url: "https://news.example/a.html".into(),
            title: None,
            byline: None,
            published_at: None,
            fetched_at: None,
            lang: None,
            text: "Dockers walked out.".into(),
            extraction: Extraction::FetchFailed {
                error: "HTTP 503".into(),
            },
            modified_at: None,
            site_name: None,
            description: None,
            image_url: None,
            markdown: None,
            details: EntryDetails::default(),
            ..article()
        };
        let fp = Fingerprint::of(&stand_in.text);
        update(&conn, id, &stand_in, &fp).expect("updated");
        let mut expected = inserted;
        expected[0] = s("https://news.example/a.html");
        expected[6] = s("Dockers walked out.");
        expected[7] = s(&fp.word_count.to_string());
        expected[8] = s(&fp.content_hash.to_string());
        expected[9] = s("fetch_failed: HTTP 503");
        // The page's Markdown goes with its text; the entry's details stay.
        expected[14] = None;
        assert_eq!(row(&conn, id), expected);
    }
}
