//! A small newsroom on loopback for the data tests: the Test Herald's RSS
//! feed with four stories, a wire service on another host republishing two
//! of them (one verbatim, one with a dateline and an "Updated" line), and an
//! Atom feed that links one Herald story with tracking parameters. One real
//! `poll --all` turns it into a database with stories, copies and several
//! sources per story: what the reading commands and README examples read.

#![allow(dead_code)] // each test binary uses a different part of this file

use std::path::{Path, PathBuf};

use crate::common::site::{self, STORIES, Story};
use crate::common::{Reply, Server, feedsift, write_config};

pub struct Newsroom {
    pub herald: Server,
    pub wire: Server,
    pub config: PathBuf,
    pub dir: PathBuf,
}

/// The wire's dateline and update line around a Herald story.
pub fn wire_edit(story: &Story) -> String {
    let mut paragraphs: Vec<String> = story.paragraphs.iter().map(|p| p.to_string()).collect();
    paragraphs[0] = format!("HARBOURTON (Lantern Wire) — {}", paragraphs[0]);
    paragraphs.push("Updated at 10:40 with comment from port officials.".into());
    paragraphs.join("\n\n")
}

/// A page on the wire's site carrying `text` under `title`.
pub fn wire_page(title: &str, text: &str, url: &str) -> String {
    let body: String = text
        .split("\n\n")
        .map(|p| format!("<p>{}</p>\n", site::html_escape(p)))
        .collect();
    format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="canonical" href="{url}">
<meta property="og:site_name" content="Lantern Wire">
<meta property="article:published_time" content="2026-11-20T11:30:00Z">
</head><body><nav><a href="/">Lantern Wire</a> <a href="/world">World</a></nav>
<article><h1>{title}</h1><div class="story-body">
{body}</div></article><footer>Lantern Wire. All rights reserved.</footer></body></html>"#,
        title = site::html_escape(title)
    )
}

/// The wire's JSON Feed: its copies run 45 minutes after the Herald's
/// originals, so the Herald's are the stories and these the copies.
pub fn wire_feed(items: &[(&str, &str, &Story)]) -> String {
    let items: Vec<serde_json::Value> = items
        .iter()
        .map(|(id, url, s)| {
            serde_json::json!({
                "id": id, "url": url, "title": s.title, "content_text": s.teaser(),
                "date_published": "2026-11-20T11:30:00Z"
            })
        })
        .collect();
    serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Lantern Wire",
        "items": items
    })
    .to_string()
}

impl Newsroom {
    /// Serves everything and writes feeds.toml (with `settings` added).
    pub fn start(dir: &Path, settings: &str) -> Newsroom {
        let herald = Server::start("127.0.0.1");
        let wire = Server::start("127.0.0.2");
        let mut herald_items = Vec::new();
        for s in STORIES {
            let path = format!("/news/{}.html", s.slug);
            herald.route(&path, Reply::html(s.page(&herald.url(&path))));
            herald_items.push((format!("herald:{}", s.slug), herald.url(&path), s));
        }
        let refs: Vec<(&str, &str, &Story)> = herald_items
            .iter()
            .map(|(g, l, s)| (g.as_str(), l.as_str(), *s))
            .collect();
        herald.route(
            "/rss.xml",
            Reply::ok("application/rss+xml", site::rss(&refs)),
        );
        // The same Herald page through a newsletter link: one more source.
        let tracked = format!(
            "{}?utm_source=newsletter&utm_medium=email",
            herald.url("/news/library-opens-seed-bank.html")
        );
        herald.route(
            "/digest.atom",
            Reply::ok(
                "application/atom+xml",
                site::atom(&[("tag:digest,1", &tracked, &STORIES[1])]),
            ),
        );
        // The wire republishes the harbour story verbatim and the night
        // trains story with its own dateline.
        let verbatim = wire.url("/w/cranes.html");
        let edited = wire.url("/w/trains.html");
        wire.route(
            "/w/cranes.html",
            Reply::html(wire_page(STORIES[0].title, &STORIES[0].text(), &verbatim)),
        );
        wire.route(
            "/w/trains.html",
            Reply::html(wire_page(
                STORIES[2].title,
                &wire_edit(&STORIES[2]),
                &edited,
            )),
        );
        wire.route(
            "/wire.json",
            Reply::ok(
                "application/feed+json",
                wire_feed(&[
                    ("wire-1", &verbatim, &STORIES[0]),
                    ("wire-2", &edited, &STORIES[2]),
                ]),
            ),
        );
        let config = write_config(
            dir,
            &[
                &herald.url("/rss.xml"),
                &herald.url("/digest.atom"),
                &wire.url("/wire.json"),
            ],
            settings,
        );
        Newsroom {
            herald,
            wire,
            config,
            dir: dir.to_path_buf(),
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.join("feedsift.db")
    }

    /// Polls the feeds once with the real binary; panics with its stderr if
    /// it fails. Fixtures may have failing feeds on purpose (404, 410):
    /// `poll --all` then exits 3 ("some feeds failed"), never 1 or 2.
    pub fn poll(&self) {
        let out = feedsift(&self.config, &["poll", "--all"]);
        assert!(
            matches!(out.status.code(), Some(0 | 3)),
            "poll failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
