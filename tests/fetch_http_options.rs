//! Per-feed HTTP options (`[feed.http]`) on loopback: what the server — or
//! a proxy — receives, where credentials may go and where they may not,
//! and that secrets reach neither the database nor the logs.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use common::{Reply, Server, scratch};
use feedsift::config::{Config, FeedConfig};
use feedsift::fetch::address::AddressPolicy;
use feedsift::fetch::proxy::ProxyEnv;
use feedsift::fetch::{FetchError, FetchOutcome, FetchSettings, Fetcher, RequestOptions, Resource};
use url::Url;

const RSS: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Members only</title>
<link>http://127.0.0.1/</link><item><title>One</title><link>http://127.0.0.1/1</link>
<description>The first story, for members.</description></item></channel></rss>"#;

fn settings() -> FetchSettings {
    FetchSettings {
        user_agent: "feedsift-test/1".into(),
        connect_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(3),
        max_feed_bytes: 1024 * 1024,
        max_page_bytes: 1024 * 1024,
        max_concurrent: 8,
        per_host_concurrency: 2,
        per_host_delay: Duration::ZERO,
        respect_robots: false,
        policy: AddressPolicy::default(),
    }
}

fn fetcher(proxy: ProxyEnv) -> Arc<Fetcher> {
    Arc::new(Fetcher::with_proxy_env(settings(), None, proxy).unwrap())
}

/// The one feed of a feeds.toml written into `dir`.
fn feed(dir: &Path, toml: &str) -> FeedConfig {
    let path = dir.join("feeds.toml");
    std::fs::write(&path, toml).unwrap();
    let mut config = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    config.feeds.remove(0)
}

fn ok(outcome: Result<FetchOutcome, FetchError>) {
    match outcome {
        Ok(FetchOutcome::Fetched(_)) => {}
        other => panic!("expected a body, got {other:?}"),
    }
}

fn basic(user_and_password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(user_and_password)
    )
}

#[tokio::test]
async fn headers_basic_auth_cookie_and_user_agent_reach_the_feed() {
    let dir = scratch("http-options-basic");
    let server = Server::start("127.0.0.1");
    server.route("/feed.xml", Reply::ok("application/rss+xml", RSS));
    std::fs::create_dir(dir.join("secrets")).unwrap();
    std::fs::write(dir.join("secrets/news.pw"), "correct horse\n").unwrap();
    let feed = feed(
        &dir,
        &format!(
            r#"[[feed]]
url = "{}"
[feed.http]
headers = {{ "Accept-Language" = "de", "X-Api-Version" = "2" }}
cookie = "consent=yes; edition=de"
username = "alice"
password_file = "secrets/news.pw"
user_agent = "Mozilla/5.0 (compatible; feedsift)"
"#,
            server.url("/feed.xml")
        ),
    );
    ok(fetcher(ProxyEnv::default())
        .fetch_feed(&feed.url, &feed, None)
        .await);
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    let h = &seen[0].headers;
    assert_eq!(h["authorization"], basic("alice:correct horse"));
    assert_eq!(h["cookie"], "consent=yes; edition=de");
    assert_eq!(h["accept-language"], "de");
    assert_eq!(h["x-api-version"], "2");
    assert_eq!(h["user-agent"], "Mozilla/5.0 (compatible; feedsift)");
    // The feed's own validators and Accept are still feedsift's.
    assert!(h["accept"].starts_with("application/rss+xml"), "{h:?}");
}

#[tokio::test]
async fn credentials_go_to_the_feeds_origin_only() {
    let dir = scratch("http-options-origin");
    let origin = Server::start("127.0.0.1");
    let elsewhere = Server::start("127.0.0.2");
    // The feed moved to another host; the page of an entry lives on a third.
    origin.route(
        "/feed.xml",
        Reply::redirect(302, &elsewhere.url("/feed.xml")),
    );
    origin.route("/story/1", Reply::html("<p>ours</p>"));
    elsewhere.route("/feed.xml", Reply::ok("application/rss+xml", RSS));
    elsewhere.route("/story/2", Reply::html("<p>theirs</p>"));
    std::fs::write(dir.join("token"), "tkn-5150").unwrap();
    let feed = feed(
        &dir,
        &format!(
            r#"[[feed]]
url = "{}"
[feed.http]
token_file = "token"
cookie = "session=s-42"
headers = {{ "X-Api-Key" = "key-77" }}
user_agent = "PerFeedAgent/2"
"#,
            origin.url("/feed.xml")
        ),
    );
    let fetcher = fetcher(ProxyEnv::default());
    ok(fetcher.fetch_feed(&feed.url, &feed, None).await);
    let options = RequestOptions::for_feed(&feed).unwrap();
    let page = Resource::Page {
        allow_private: true,
    };
    for u in [origin.url("/story/1"), elsewhere.url("/story/2")] {
        ok(fetcher
            .fetch_with(&Url::parse(&u).unwrap(), page, None, &options)
            .await);
    }
    let at_origin: Vec<_> = origin.seen();
    assert_eq!(at_origin.len(), 2);
    for s in &at_origin {
        assert_eq!(s.headers["authorization"], "Bearer tkn-5150", "{}", s.path);
        assert_eq!(s.headers["cookie"], "session=s-42", "{}", s.path);
        assert_eq!(s.headers["x-api-key"], "key-77", "{}", s.path);
        assert_eq!(s.headers["user-agent"], "PerFeedAgent/2");
    }
    let at_elsewhere = elsewhere.seen();
    assert_eq!(at_elsewhere.len(), 2, "the redirect target and the page");
    for s in &at_elsewhere {
        for secret in ["authorization", "cookie", "x-api-key"] {
            assert!(
                !s.headers.contains_key(secret),
                "{secret} sent to {}",
                s.path
            );
        }
        // Not a secret: the whole feed speaks with its own agent.
        assert_eq!(s.headers["user-agent"], "PerFeedAgent/2");
    }
    // Without options, the configured agent and nothing else.
    ok(fetcher
        .fetch(&Url::parse(&origin.url("/story/1")).unwrap(), page, None)
        .await);
    let plain = origin.seen().pop().unwrap();
    assert_eq!(plain.headers["user-agent"], "feedsift-test/1");
    assert!(!plain.headers.contains_key("authorization"));
}

#[tokio::test]
async fn a_missing_secret_fails_the_fetch_before_anything_is_sent() {
    let dir = scratch("http-options-missing");
    let server = Server::start("127.0.0.1");
    server.route("/feed.xml", Reply::ok("application/rss+xml", RSS));
    let feed = feed(
        &dir,
        &format!(
            "[[feed]]\nurl = \"{}\"\n[feed.http]\nusername = \"alice\"\npassword_file = \"nowhere.pw\"\n",
            server.url("/feed.xml")
        ),
    );
    let err = fetcher(ProxyEnv::default())
        .fetch_feed(&feed.url, &feed, None)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, FetchError::Options(_)), "{err:?}");
    assert!(
        text.starts_with("request options: password: cannot read ") && text.contains("nowhere.pw"),
        "{text}"
    );
    assert_eq!(server.seen().len(), 0, "nothing was sent");
}

#[tokio::test]
async fn a_feeds_own_proxy_carries_its_requests_with_its_credentials() {
    let dir = scratch("http-options-proxy");
    // A forward proxy sees the absolute URL in the request line; this one
    // answers itself, which is all the test needs to see.
    let proxy = Server::start("127.0.0.1");
    proxy.route(
        "http://feeds.example.test/rss.xml",
        Reply::ok("application/rss+xml", RSS),
    );
    let feed = feed(
        &dir,
        &format!(
            "[[feed]]\nurl = \"http://feeds.example.test/rss.xml\"\n[feed.http]\nproxy = \"http://{}\"\nheaders = {{ \"X-Api-Key\" = \"key-1\" }}\n",
            proxy.addr
        ),
    );
    ok(fetcher(ProxyEnv::default())
        .fetch_feed(&feed.url, &feed, None)
        .await);
    let seen = proxy.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "http://feeds.example.test/rss.xml");
    assert_eq!(seen[0].headers["host"], "feeds.example.test");
    assert_eq!(seen[0].headers["x-api-key"], "key-1");
}

#[tokio::test]
async fn the_environments_proxy_is_used_except_for_loopback() {
    let proxy = Server::start("127.0.0.1");
    proxy.route(
        "http://feeds.example.test/rss.xml",
        Reply::ok("application/rss+xml", RSS),
    );
    let direct = Server::start("127.0.0.3");
    direct.route("/rss.xml", Reply::ok("application/rss+xml", RSS));
    let env = ProxyEnv::from_vars(|name| {
        (name == "HTTP_PROXY").then(|| format!("http://{}", proxy.addr))
    });
    let fetcher = fetcher(env);
    ok(fetcher
        .fetch(
            &Url::parse("http://feeds.example.test/rss.xml").unwrap(),
            Resource::Feed,
            None,
        )
        .await);
    ok(fetcher
        .fetch(
            &Url::parse(&direct.url("/rss.xml")).unwrap(),
            Resource::Feed,
            None,
        )
        .await);
    assert_eq!(
        proxy.seen().len(),
        1,
        "only the named host went through the proxy"
    );
    assert_eq!(direct.seen().len(), 1, "loopback went direct");
}

#[tokio::test]
async fn a_page_behind_a_proxy_is_still_refused_a_private_address() {
    let dir = scratch("http-options-proxy-ssrf");
    let proxy = Server::start("127.0.0.1");
    let feed = feed(
        &dir,
        &format!(
            "[[feed]]\nurl = \"http://feeds.example.test/rss.xml\"\n[feed.http]\nproxy = \"http://{}\"\n",
            proxy.addr
        ),
    );
    let options = RequestOptions::for_feed(&feed).unwrap();
    // `localhost` resolves to loopback here; through the proxy our guarded
    // resolver never sees the name, so it is looked up before sending.
    let err = fetcher(ProxyEnv::default())
        .fetch_with(
            &Url::parse("http://localhost:9/admin").unwrap(),
            Resource::Page {
                allow_private: false,
            },
            None,
            &options,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FetchError::Blocked(m) if m.contains("localhost resolves to") && m.contains("non-public")),
        "{err:?}"
    );
    assert_eq!(proxy.seen().len(), 0, "nothing went to the proxy");
}

#[test]
fn a_poll_sends_the_secret_but_neither_stores_nor_logs_it() {
    let dir = scratch("http-options-poll");
    let server = Server::start("127.0.0.1");
    server.route("/feed.xml", Reply::ok("application/rss+xml", RSS));
    server.route("/1", Reply::html("<html><body><article><p>The first story, for members, in full: several sentences of it so that the page is the article.</p></article></body></html>"));
    const TOKEN: &str = "tok-8c1f9d2e-never-in-logs";
    std::fs::write(
        dir.join("feeds.toml"),
        format!(
            "[settings]\ndatabase = \"feedsift.db\"\nper_host_delay = \"0s\"\nrespect_robots = false\n\n[[feed]]\nurl = \"{}\"\n[feed.http]\ntoken_env = \"FEEDSIFT_TEST_FEED_TOKEN\"\n",
            server.url("/feed.xml")
        ),
    )
    .unwrap();
    let out = std::process::Command::new(common::bin())
        .current_dir(&dir)
        .args(["--log-level", "trace", "poll", "--all"])
        .env("FEEDSIFT_TEST_FEED_TOKEN", TOKEN)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let feed_request = server
        .seen()
        .into_iter()
        .find(|s| s.path == "/feed.xml")
        .expect("the feed was fetched");
    assert_eq!(
        feed_request.headers["authorization"],
        format!("Bearer {TOKEN}")
    );
    assert!(!stderr.contains(TOKEN), "the token is in the trace log");
    let db = std::fs::read(dir.join("feedsift.db")).unwrap();
    let wal = std::fs::read(dir.join("feedsift.db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(
            !bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()),
            "the token is in the database"
        );
    }

    // Without the variable the poll fails with the reason and sends nothing.
    server.clear_seen();
    let out = std::process::Command::new(common::bin())
        .current_dir(&dir)
        .args(["poll", "--all"])
        .env_remove("FEEDSIFT_TEST_FEED_TOKEN")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "request options: token: environment variable FEEDSIFT_TEST_FEED_TOKEN is not set"
        ),
        "{stderr}"
    );
    assert!(server.seen().iter().all(|s| s.path != "/feed.xml"));
}
