//! Dedup layer 3 end to end: syndicated copies on other sites are stored
//! and marked `duplicate_of` the original, distinct stories on the same
//! event stay apart, and the near-duplicate index survives a restart.

mod common;

use common::site::{self, STORIES, Story, syndicated_page};
use common::{Reply, Server, count, db, feedsift, scratch, write_config};

/// A different report on the same event as `STORIES[0]`: same port, same
/// cranes, one shared quote, but its own reporting.
const SAME_EVENT: &[&str] = &[
    "Dock workers at the northern quay said on Tuesday that the two-week crane stoppage had cost many of them a fortnight of overtime, and that the union would ask the port for compensation.",
    "\"We replaced the cabling and raised every junction box above the new flood line,\" said the harbour master, Ilse Brandt. \"It should not happen again.\"",
    "Union representatives argued that the flooding risk had been known since an inspection three years ago, when engineers recommended moving the electrical cabinets to higher ground.",
    "A port spokesperson declined to comment on the inspection report but said a review of all quayside electrics would be published before the end of the year.",
    "Several hauliers who queued at the gates during the stoppage said they would seek to recover their own losses through the chamber of commerce.",
];

fn same_event_page() -> String {
    let body: String = SAME_EVENT
        .iter()
        .map(|p| format!("<p>{}</p>\n", site::html_escape(p)))
        .collect();
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><title>Dockers seek compensation after crane stoppage</title></head>
<body><header><nav><a href="/">Home</a></nav></header><main><article><h1>Dockers seek compensation after crane stoppage</h1>
{body}</article></main><footer>The Quayside Post</footer></body></html>"#
    )
}

#[test]
fn copies_are_marked_across_restarts_and_same_event_stories_stay_apart() {
    let dir = scratch("dedup-restart");
    let herald = Server::start("127.0.0.1");
    let wire = Server::start("127.0.0.2");
    let original = &STORIES[0];
    let original_url = herald.url("/news/cranes.html");
    herald.route(
        "/news/cranes.html",
        Reply::html(original.page(&original_url)),
    );
    herald.route(
        "/rss.xml",
        Reply::ok(
            "application/rss+xml",
            site::rss(&[("h-1", &original_url, original)]),
        ),
    );
    let other = &STORIES[1];
    let copy_url = wire.url("/2026/11/20/cranes-back.html");
    let same_event_url = wire.url("/2026/11/20/dockers-compensation.html");
    wire.route(
        "/2026/11/20/cranes-back.html",
        Reply::html(syndicated_page(original, "Valley Wire")),
    );
    wire.route(
        "/2026/11/20/dockers-compensation.html",
        Reply::html(same_event_page()),
    );
    // First the wire feed carries only an unrelated story.
    let other_url = wire.url("/2026/11/20/seed-bank.html");
    wire.route(
        "/2026/11/20/seed-bank.html",
        Reply::html(other.page(&other_url)),
    );
    wire.route(
        "/atom.xml",
        Reply::ok(
            "application/atom+xml",
            site::atom(&[("w-1", &other_url, other)]),
        ),
    );
    let config = write_config(&dir, &[&herald.url("/rss.xml"), &wire.url("/atom.xml")], "");

    let out = feedsift(&config, &["poll", "--all"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let conn = db(&dir);
    assert_eq!(count(&conn, "SELECT count(*) FROM stories"), 2);
    assert_eq!(
        count(
            &conn,
            "SELECT count(*) FROM articles WHERE minhash IS NOT NULL"
        ),
        2
    );

    // A new process: the index is rebuilt from the database, and the copy
    // that arrives now is still recognised.
    let same_event = Story {
        slug: "dockers",
        title: "Dockers seek compensation after crane stoppage",
        paragraphs: SAME_EVENT,
    };
    wire.route(
        "/atom.xml",
        Reply::ok(
            "application/atom+xml",
            site::atom(&[
                ("w-1", &other_url, other),
                ("w-2", &copy_url, original),
                ("w-3", &same_event_url, &same_event),
            ]),
        ),
    );
    let out = feedsift(&config, &["poll", "--all"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains("2 new, 1 duplicates"), "{summary}");

    let id_of = |url: &str| -> i64 {
        conn.query_row("SELECT id FROM articles WHERE url = ?1", [url], |r| {
            r.get(0)
        })
        .unwrap()
    };
    let dup_of = |url: &str| -> Option<i64> {
        conn.query_row(
            "SELECT duplicate_of FROM articles WHERE url = ?1",
            [url],
            |r| r.get(0),
        )
        .unwrap()
    };
    let original_id = id_of(&original_url);
    assert_eq!(
        dup_of(&copy_url),
        Some(original_id),
        "the syndicated copy points at the original"
    );
    assert_eq!(
        dup_of(&same_event_url),
        None,
        "a different report on the same event is its own story"
    );
    assert_eq!(dup_of(&original_url), None);
    assert_eq!(count(&conn, "SELECT count(*) FROM stories"), 3);
    // The copy's text is stored too (it is a page of its own), without the
    // other site's chrome.
    let copy_text: String = conn
        .query_row(
            "SELECT text FROM articles WHERE url = ?1",
            [&copy_url],
            |r| r.get(0),
        )
        .unwrap();
    assert!(copy_text.starts_with("BREMEN (Valley Wire)"), "{copy_text}");
    assert!(!copy_text.contains("Most popular") && !copy_text.contains("Accept all"));
    // Every place the story ran, from the story's point of view.
    let places: Vec<String> = conn
        .prepare("SELECT entry_url FROM story_sources WHERE story_id = ?1 ORDER BY entry_url")
        .unwrap()
        .query_map([original_id], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut expected = vec![original_url.clone(), copy_url.clone()];
    expected.sort();
    assert_eq!(places, expected);
}

#[test]
fn an_original_stored_after_its_copy_becomes_the_root() {
    let dir = scratch("dedup-reorder");
    let herald = Server::start("127.0.0.1");
    let wire = Server::start("127.0.0.3");
    let story = &STORIES[2];
    let original_url = herald.url("/news/night-trains.html");
    herald.route(
        "/news/night-trains.html",
        Reply::html(story.page(&original_url)),
    );
    let copy_url = wire.url("/wire/night-trains.html");
    wire.route(
        "/wire/night-trains.html",
        Reply::html(syndicated_page(story, "Valley Wire")),
    );
    // The copy, published a day after the original, is polled first.
    let copy_feed = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Wire</title>\
         <item><title>{}</title><link>{copy_url}</link><guid>c-1</guid>\
         <pubDate>Sat, 21 Nov 2026 09:00:00 GMT</pubDate></item></channel></rss>",
        site::html_escape(story.title)
    );
    wire.route("/rss.xml", Reply::ok("application/rss+xml", copy_feed));
    herald.route("/rss.xml", Reply::ok("application/rss+xml", site::rss(&[])));
    let config = write_config(&dir, &[&wire.url("/rss.xml"), &herald.url("/rss.xml")], "");
    assert!(feedsift(&config, &["poll", "--all"]).status.success());

    // Then the original (pubDate 20 Nov 08:30) arrives.
    herald.route(
        "/rss.xml",
        Reply::ok(
            "application/rss+xml",
            site::rss(&[("h-1", &original_url, story)]),
        ),
    );
    assert!(feedsift(&config, &["poll", "--all"]).status.success());
    let conn = db(&dir);
    let row = |url: &str| -> (i64, Option<i64>) {
        conn.query_row(
            "SELECT id, duplicate_of FROM articles WHERE url = ?1",
            [url],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    let (original_id, original_dup) = row(&original_url);
    let (_, copy_dup) = row(&copy_url);
    assert_eq!(
        original_dup, None,
        "the earlier-published page is the story"
    );
    assert_eq!(
        copy_dup,
        Some(original_id),
        "the copy was re-pointed, no chain"
    );
    assert_eq!(count(&conn, "SELECT count(*) FROM stories"), 1);
}
