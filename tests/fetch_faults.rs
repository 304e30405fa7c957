//! The fetch layer against hostile and unlucky servers on loopback, through
//! the library's [`Fetcher`]: retries and `Retry-After`, redirects, caps,
//! deadlines, conditional GET, request headers, per-host politeness,
//! robots.txt and the address policy for article pages.

mod common;

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use common::{Reply, Server};
use feedsift::fetch::address::AddressPolicy;
use feedsift::fetch::{FetchError, FetchOutcome, FetchSettings, Fetched, Fetcher, Resource};
use feedsift::model::Validators;
use url::Url;

const RSS: &str = "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>T</title>\
    <item><title>One</title><link>http://example.org/1</link></item></channel></rss>";

/// Short deadlines so the suite stays fast; everything else as shipped.
fn settings() -> FetchSettings {
    FetchSettings {
        user_agent: feedsift::config::defaults::USER_AGENT.to_string(),
        connect_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(2),
        max_feed_bytes: 1024 * 1024,
        max_page_bytes: 256 * 1024,
        max_concurrent: 32,
        per_host_concurrency: 2,
        per_host_delay: Duration::ZERO,
        respect_robots: false,
        policy: AddressPolicy::default(),
    }
}

fn fetcher(settings: FetchSettings) -> Arc<Fetcher> {
    Arc::new(Fetcher::new(settings, None).unwrap())
}

fn url(server: &Server, path: &str) -> Url {
    Url::parse(&server.url(path)).unwrap()
}

fn fetched(outcome: Result<FetchOutcome, FetchError>) -> Fetched {
    match outcome {
        Ok(FetchOutcome::Fetched(f)) => f,
        other => panic!("expected a body, got {other:?}"),
    }
}

/// Time between the first two requests the server saw for `path`.
fn gap(server: &Server, path: &str) -> Duration {
    let at: Vec<Instant> = server
        .seen()
        .into_iter()
        .filter(|s| s.path == path)
        .map(|s| s.at)
        .collect();
    assert!(at.len() >= 2, "{path} requested {} times", at.len());
    at[1] - at[0]
}

const PAGE: Resource = Resource::Page {
    allow_private: true,
};
const PUBLIC_PAGE: Resource = Resource::Page {
    allow_private: false,
};

#[tokio::test]
async fn retry_after_in_seconds_is_waited_out_within_the_fetch() {
    let server = Server::start("127.0.0.1");
    server.script(
        "/feed.xml",
        vec![
            Reply::status(429).with_header("Retry-After", "2"),
            Reply::ok("application/rss+xml", RSS),
        ],
    );
    let f = fetched(
        fetcher(settings())
            .fetch(&url(&server, "/feed.xml"), Resource::Feed, None)
            .await,
    );
    assert_eq!(&f.body[..], RSS.as_bytes());
    assert_eq!(server.hits("/feed.xml"), 2);
    // Without Retry-After the first backoff is 1 s: this is the server's 2 s.
    assert!(gap(&server, "/feed.xml") >= Duration::from_millis(1950));
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_waited_out_within_the_fetch() {
    let server = Server::start("127.0.0.1");
    // The date, and the same moment on the monotonic clock; measured from
    // the date rather than from the first request, a slow first request on a
    // loaded machine cannot shorten the wait the test expects.
    let ahead = Duration::from_secs(4);
    let deadline = Instant::now() + ahead;
    let at = httpdate::fmt_http_date(SystemTime::now() + ahead);
    server.script(
        "/feed.xml",
        vec![
            Reply::status(503).with_header("Retry-After", &at),
            Reply::ok("application/rss+xml", RSS),
        ],
    );
    fetched(
        fetcher(settings())
            .fetch(&url(&server, "/feed.xml"), Resource::Feed, None)
            .await,
    );
    assert_eq!(server.hits("/feed.xml"), 2);
    // The date is whole seconds, so the retry comes at most 1 s before the
    // deadline; the default backoff (1 s after the first request) would have
    // come about 3 s before it.
    let retried = server.seen()[1].at;
    assert!(
        retried + Duration::from_millis(1050) >= deadline,
        "retried {:?} before the date",
        deadline - retried
    );
}

#[tokio::test]
async fn retry_after_beyond_the_inline_limit_ends_the_fetch_with_the_wait() {
    let server = Server::start("127.0.0.1");
    server.route(
        "/feed.xml",
        Reply::status(429).with_header("Retry-After", "3600"),
    );
    let started = Instant::now();
    let err = fetcher(settings())
        .fetch(&url(&server, "/feed.xml"), Resource::Feed, None)
        .await
        .unwrap_err();
    assert_eq!(
        err,
        FetchError::Status {
            status: 429,
            retry_after: Some(Duration::from_secs(3600))
        }
    );
    assert!(Duration::from_secs(3600) > feedsift::fetch::MAX_INLINE_RETRY_WAIT);
    assert_eq!(server.hits("/feed.xml"), 1, "no retry within the poll");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_503_is_retried_within_the_fetch_and_recovers() {
    let server = Server::start("127.0.0.1");
    server.script(
        "/feed.xml",
        vec![Reply::status(503), Reply::ok("application/rss+xml", RSS)],
    );
    fetched(
        fetcher(settings())
            .fetch(&url(&server, "/feed.xml"), Resource::Feed, None)
            .await,
    );
    assert_eq!(server.hits("/feed.xml"), 2);
}

#[tokio::test]
async fn a_404_is_not_retried_within_the_fetch() {
    let server = Server::start("127.0.0.1");
    let err = fetcher(settings())
        .fetch(&url(&server, "/missing.xml"), Resource::Feed, None)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404));
    assert!(!err.is_transient());
    assert_eq!(server.hits("/missing.xml"), 1);
}

#[tokio::test]
async fn permanent_redirects_report_the_new_home_and_temporary_ones_do_not() {
    let server = Server::start("127.0.0.1");
    server.route("/new.xml", Reply::ok("application/rss+xml", RSS));
    let new = url(&server, "/new.xml");
    let f = fetcher(settings());
    for status in [301, 308, 302, 303, 307] {
        let old = format!("/old-{status}.xml");
        server.route(&old, Reply::redirect(status, "/new.xml"));
        let got = fetched(f.fetch(&url(&server, &old), Resource::Feed, None).await);
        assert_eq!(got.final_url, new, "{status}");
        let permanent = matches!(status, 301 | 308);
        assert_eq!(got.moved_to.as_ref(), permanent.then_some(&new), "{status}");
        assert_eq!(got.redirects.len(), 1, "{status}");
        assert_eq!(got.redirects[0].status, status);
        assert_eq!(got.redirects[0].to, new);
    }
    // A chain is a move only when every hop is permanent.
    server.route("/p1", Reply::redirect(301, "/p2"));
    server.route("/p2", Reply::redirect(308, "/new.xml"));
    let got = fetched(f.fetch(&url(&server, "/p1"), Resource::Feed, None).await);
    assert_eq!(got.moved_to, Some(new.clone()));
    server.route("/m1", Reply::redirect(301, "/m2"));
    server.route("/m2", Reply::redirect(302, "/new.xml"));
    let got = fetched(f.fetch(&url(&server, "/m1"), Resource::Feed, None).await);
    assert_eq!(got.moved_to, None);
    assert_eq!(got.final_url, new);
}

#[tokio::test]
async fn five_redirects_are_followed_and_a_sixth_is_refused() {
    let server = Server::start("127.0.0.1");
    for i in 0..5 {
        server.route(
            &format!("/a{i}"),
            Reply::redirect(302, &format!("/a{}", i + 1)),
        );
    }
    server.route("/a5", Reply::ok("application/rss+xml", RSS));
    for i in 0..6 {
        server.route(
            &format!("/b{i}"),
            Reply::redirect(301, &format!("/b{}", i + 1)),
        );
    }
    server.route("/b6", Reply::ok("application/rss+xml", RSS));
    let f = fetcher(settings());
    let got = fetched(f.fetch(&url(&server, "/a0"), Resource::Feed, None).await);
    assert_eq!(got.final_url, url(&server, "/a5"));
    assert_eq!(got.redirects.len(), feedsift::fetch::MAX_REDIRECTS);
    let err = f
        .fetch(&url(&server, "/b0"), Resource::Feed, None)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::TooManyRedirects);
    assert_eq!(server.hits("/b6"), 0, "the sixth redirect is not followed");
    assert_eq!(server.hits("/b0"), 1, "not retried");
}

#[tokio::test]
async fn a_redirect_loop_is_detected() {
    let server = Server::start("127.0.0.1");
    server.route("/a", Reply::redirect(302, "/b"));
    server.route("/b", Reply::redirect(301, &server.url("/a")));
    let err = fetcher(settings())
        .fetch(&url(&server, "/a"), Resource::Feed, None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::RedirectLoop(ref u) if u.ends_with("/a")),
        "{err:?}"
    );
    assert_eq!((server.hits("/a"), server.hits("/b")), (1, 1));
}

#[tokio::test]
async fn a_slow_drip_is_cut_at_the_request_deadline() {
    let server = Server::start("127.0.0.1");
    // 4 KB at 20 bytes every 100 ms: 20 s for the whole body, headers at once.
    let body = format!("{RSS}{}", " ".repeat(4000));
    server.script(
        "/drip.xml",
        vec![
            Reply::ok("application/rss+xml", body.clone())
                .with_drip(20, Duration::from_millis(100)),
            Reply::ok("application/rss+xml", body),
        ],
    );
    let started = Instant::now();
    let err = fetcher(settings())
        .fetch(&url(&server, "/drip.xml"), Resource::Feed, None)
        .await;
    fetched(err);
    // Cut at the 2 s deadline, then the 1 s backoff, then the quick answer.
    let gap = gap(&server, "/drip.xml");
    assert!(
        gap >= Duration::from_millis(2900) && gap < Duration::from_secs(6),
        "{gap:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    // Every attempt dripping: the fetch fails with the deadline.
    server.route(
        "/always.xml",
        Reply::ok("application/rss+xml", " ".repeat(4000))
            .with_drip(20, Duration::from_millis(100)),
    );
    let mut s = settings();
    s.request_timeout = Duration::from_secs(1);
    let started = Instant::now();
    let err = fetcher(s)
        .fetch(&url(&server, "/always.xml"), Resource::Feed, None)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::Timeout(Duration::from_secs(1)));
    // Three 1 s attempts and 1 s + 2 s of backoff, far from the 20 s drip.
    assert!(started.elapsed() < Duration::from_secs(12));
}

#[tokio::test]
async fn an_endless_body_stops_at_the_cap() {
    let server = Server::start("127.0.0.1");
    server.route(
        "/endless.xml",
        Reply::endless("application/rss+xml", vec![b'x'; 64 * 1024]),
    );
    server.route(
        "/endless.html",
        Reply::endless("text/html", vec![b'y'; 64 * 1024]),
    );
    let f = fetcher(settings());
    let started = Instant::now();
    let err = f
        .fetch(&url(&server, "/endless.xml"), Resource::Feed, None)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::TooLarge { limit: 1024 * 1024 });
    let err = f
        .fetch(&url(&server, "/endless.html"), PAGE, None)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::TooLarge { limit: 256 * 1024 });
    assert_eq!(server.hits("/endless.xml"), 1, "a cap is not retried");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_declared_length_over_the_cap_is_refused_before_reading() {
    let server = Server::start("127.0.0.1");
    server.route(
        "/big.xml",
        Reply::ok("application/rss+xml", vec![b' '; 2 * 1024 * 1024]),
    );
    let err = fetcher(settings())
        .fetch(&url(&server, "/big.xml"), Resource::Feed, None)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::TooLarge { limit: 1024 * 1024 });
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[tokio::test]
async fn a_gzip_bomb_stops_at_the_cap_counted_after_decompression() {
    let server = Server::start("127.0.0.1");
    // 16 MiB of spaces after a feed's head: a few KB on the wire.
    let mut inflated = RSS.as_bytes().to_vec();
    inflated.resize(16 * 1024 * 1024, b' ');
    let bomb = gzip(&inflated);
    assert!(bomb.len() < 64 * 1024, "{} bytes compressed", bomb.len());
    server.route(
        "/bomb.xml",
        Reply::ok("application/rss+xml", bomb.clone()).with_header("Content-Encoding", "gzip"),
    );
    server.route(
        "/bomb.html",
        Reply::ok("text/html", bomb).with_header("Content-Encoding", "gzip"),
    );
    // Control: a small gzip feed arrives decompressed, so the cap below is
    // about inflated bytes.
    server.route(
        "/small.xml",
        Reply::ok("application/rss+xml", gzip(RSS.as_bytes()))
            .with_header("Content-Encoding", "gzip"),
    );
    let f = fetcher(settings());
    let small = fetched(
        f.fetch(&url(&server, "/small.xml"), Resource::Feed, None)
            .await,
    );
    assert_eq!(&small.body[..], RSS.as_bytes());
    let err = f
        .fetch(&url(&server, "/bomb.xml"), Resource::Feed, None)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::TooLarge { limit: 1024 * 1024 });
    let err = f
        .fetch(&url(&server, "/bomb.html"), PAGE, None)
        .await
        .unwrap_err();
    assert_eq!(err, FetchError::TooLarge { limit: 256 * 1024 });
    let encodings = &server.seen()[0].headers["accept-encoding"];
    for e in ["gzip", "br", "deflate"] {
        assert!(encodings.contains(e), "{encodings}");
    }
}

#[tokio::test]
async fn conditional_get_sends_the_validators_and_304_is_not_modified() {
    let server = Server::start("127.0.0.1");
    server.route(
        "/feed.xml",
        Reply::ok("application/rss+xml", RSS)
            .with_etag("\"v7\"")
            .with_header("Last-Modified", "Fri, 20 Nov 2026 08:30:00 GMT")
            .with_header("Cache-Control", "max-age=600"),
    );
    let f = fetcher(settings());
    let first = fetched(
        f.fetch(&url(&server, "/feed.xml"), Resource::Feed, None)
            .await,
    );
    assert_eq!(
        first.validators,
        Validators {
            etag: Some("\"v7\"".into()),
            last_modified: Some("Fri, 20 Nov 2026 08:30:00 GMT".into()),
        }
    );
    assert_eq!(first.fresh_for, Some(Duration::from_secs(600)));
    let again = f
        .fetch(
            &url(&server, "/feed.xml"),
            Resource::Feed,
            Some(&first.validators),
        )
        .await
        .unwrap();
    assert!(
        matches!(again, FetchOutcome::NotModified { fresh_for: Some(d), .. } if d == Duration::from_secs(600)),
        "{again:?}"
    );
    let seen = server.seen();
    assert_eq!(seen[0].headers.get("if-none-match"), None);
    assert_eq!(seen[1].headers["if-none-match"], "\"v7\"");
    assert_eq!(
        seen[1].headers["if-modified-since"],
        "Fri, 20 Nov 2026 08:30:00 GMT"
    );
}

#[tokio::test]
async fn requests_name_feedsift_with_a_url_and_ask_for_feeds_or_pages() {
    let server = Server::start("127.0.0.1");
    server.route("/feed.xml", Reply::ok("application/rss+xml", RSS));
    server.route("/page.html", Reply::html("<p>hi</p>"));
    let f = fetcher(settings());
    fetched(
        f.fetch(&url(&server, "/feed.xml"), Resource::Feed, None)
            .await,
    );
    fetched(f.fetch(&url(&server, "/page.html"), PAGE, None).await);
    let seen = server.seen();
    let ua = &seen[0].headers["user-agent"];
    assert!(ua.starts_with("feedsift/"), "{ua}");
    assert!(ua.contains("(+https://"), "{ua}");
    let accept = &seen[0].headers["accept"];
    for t in [
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
    ] {
        assert!(accept.contains(t), "{accept}");
    }
    assert!(!accept.starts_with("text/html"), "{accept}");
    assert!(seen[1].headers["accept"].starts_with("text/html"));
}

#[tokio::test]
async fn per_host_cap_holds_across_feed_and_page_fetches_and_other_hosts_are_not_held_up() {
    let busy = Server::start("127.0.0.1");
    let other = Server::start("127.0.0.2");
    busy.route(
        "/feed.xml",
        Reply::ok("application/rss+xml", RSS).with_delay(Duration::from_millis(300)),
    );
    busy.route(
        "/page.html",
        Reply::html("<p>x</p>").with_delay(Duration::from_millis(300)),
    );
    other.route(
        "/page.html",
        Reply::html("<p>x</p>").with_delay(Duration::from_millis(300)),
    );
    let f = fetcher(settings());
    let mut tasks = Vec::new();
    for i in 0..8 {
        let f = f.clone();
        let (resource, target) = match i % 2 {
            0 => (Resource::Feed, url(&busy, "/feed.xml")),
            _ => (PAGE, url(&busy, "/page.html")),
        };
        tasks.push(tokio::spawn(async move {
            f.fetch(&target, resource, None).await
        }));
    }
    for _ in 0..4 {
        let f = f.clone();
        let target = url(&other, "/page.html");
        tasks.push(tokio::spawn(
            async move { f.fetch(&target, PAGE, None).await },
        ));
    }
    for t in tasks {
        fetched(t.await.unwrap());
    }
    assert_eq!(busy.peak_in_flight(), 2, "per_host_concurrency = 2");
    assert_eq!(other.peak_in_flight(), 2);
    // The other host ran alongside the busy one, not after it.
    let busy_last = busy.seen().iter().map(|s| s.at).max().unwrap();
    let other_first = other.seen().iter().map(|s| s.at).min().unwrap();
    assert!(other_first < busy_last);
}

#[tokio::test]
async fn per_host_delay_spaces_the_starts_of_requests_to_one_host() {
    let server = Server::start("127.0.0.1");
    server.route("/feed.xml", Reply::ok("application/rss+xml", RSS));
    server.route("/page.html", Reply::html("<p>x</p>"));
    let mut s = settings();
    s.per_host_concurrency = 4;
    s.per_host_delay = Duration::from_millis(400);
    let f = fetcher(s);
    let mut tasks = Vec::new();
    for i in 0..5 {
        let f = f.clone();
        let (resource, target) = match i % 2 {
            0 => (Resource::Feed, url(&server, "/feed.xml")),
            _ => (PAGE, url(&server, "/page.html")),
        };
        tasks.push(tokio::spawn(async move {
            f.fetch(&target, resource, None).await
        }));
    }
    for t in tasks {
        fetched(t.await.unwrap());
    }
    let mut starts: Vec<Instant> = server.seen().iter().map(|s| s.at).collect();
    starts.sort();
    assert_eq!(starts.len(), 5);
    for pair in starts.windows(2) {
        // Measured on the server side, so allow for scheduling noise.
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(350),
            "{:?}",
            pair[1] - pair[0]
        );
    }
}

#[tokio::test]
async fn robots_txt_is_fetched_once_per_site_and_disallowed_pages_are_not_fetched() {
    let site = Server::start("127.0.0.1");
    let picky = Server::start("127.0.0.2");
    let bare = Server::start("127.0.0.3");
    site.route(
        "/robots.txt",
        Reply::ok("text/plain", "User-agent: *\nDisallow: /private/\n"),
    );
    // A group naming feedsift replaces the `*` group (RFC 9309).
    picky.route(
        "/robots.txt",
        Reply::ok(
            "text/plain",
            "User-agent: feedsift\nDisallow: /members/\n\nUser-agent: *\nDisallow: /\n",
        ),
    );
    for p in [
        "/news/1.html",
        "/news/2.html",
        "/private/3.html",
        "/news/4.html",
    ] {
        site.route(p, Reply::html("<p>page</p>"));
    }
    site.route("/private/feed.xml", Reply::ok("application/rss+xml", RSS));
    picky.route("/news/1.html", Reply::html("<p>page</p>"));
    picky.route("/members/2.html", Reply::html("<p>page</p>"));
    bare.route("/a.html", Reply::html("<p>page</p>"));
    let mut s = settings();
    s.respect_robots = true;
    let f = fetcher(s);
    // Pages of one site requested together share one robots.txt request.
    let mut tasks = Vec::new();
    for p in ["/news/1.html", "/news/2.html", "/private/3.html"] {
        let (f, target) = (f.clone(), url(&site, p));
        tasks.push(tokio::spawn(
            async move { f.fetch(&target, PAGE, None).await },
        ));
    }
    let results: Vec<_> = join_all(tasks).await;
    assert!(matches!(results[0], Ok(FetchOutcome::Fetched(_))));
    assert!(matches!(results[1], Ok(FetchOutcome::Fetched(_))));
    assert!(
        matches!(results[2], Err(FetchError::Robots(_))),
        "{:?}",
        results[2]
    );
    fetched(f.fetch(&url(&site, "/news/4.html"), PAGE, None).await);
    // Feeds are fetched as configured, whatever robots.txt says.
    fetched(
        f.fetch(&url(&site, "/private/feed.xml"), Resource::Feed, None)
            .await,
    );
    fetched(f.fetch(&url(&picky, "/news/1.html"), PAGE, None).await);
    let err = f
        .fetch(&url(&picky, "/members/2.html"), PAGE, None)
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Robots(_)), "{err:?}");
    // A site without robots.txt (404) allows everything.
    fetched(f.fetch(&url(&bare, "/a.html"), PAGE, None).await);
    fetched(f.fetch(&url(&bare, "/a.html"), PAGE, None).await);

    for server in [&site, &picky, &bare] {
        assert_eq!(server.hits("/robots.txt"), 1);
    }
    assert_eq!(site.hits("/private/3.html"), 0);
    assert_eq!(picky.hits("/members/2.html"), 0);
    assert_eq!(site.hits("/news/1.html"), 1);
    assert_eq!(site.hits("/private/feed.xml"), 1);
    let robots_ua = &site.seen()[0].headers["user-agent"];
    assert!(robots_ua.starts_with("feedsift/"));
}

async fn join_all<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test]
async fn article_pages_may_not_reach_private_addresses_from_a_public_feed() {
    let public = Server::start("127.0.0.2");
    let private = Server::start("127.0.0.3");
    let local = Server::start("127.0.0.1");
    private.route("/secret", Reply::html("<p>internal</p>"));
    local.route("/admin", Reply::html("<p>internal</p>"));
    public.route("/ok.html", Reply::html("<p>public</p>"));
    public.route("/hop", Reply::redirect(302, &private.url("/secret")));
    let mut s = settings();
    s.policy.treat_as_public.insert(public.addr.ip());
    let f = fetcher(s);

    fetched(f.fetch(&url(&public, "/ok.html"), PUBLIC_PAGE, None).await);
    let blocked = |r: Result<FetchOutcome, FetchError>| {
        assert!(matches!(r, Err(FetchError::Blocked(_))), "{r:?}");
    };
    blocked(f.fetch(&url(&private, "/secret"), PUBLIC_PAGE, None).await);
    blocked(f.fetch(&url(&local, "/admin"), PUBLIC_PAGE, None).await);
    let metadata = Url::parse("http://169.254.169.254/latest/meta-data/").unwrap();
    blocked(f.fetch(&metadata, PUBLIC_PAGE, None).await);
    // A public page redirecting inside: every hop is checked.
    blocked(f.fetch(&url(&public, "/hop"), PUBLIC_PAGE, None).await);
    // A name is judged by the address it resolves to.
    let by_name = Url::parse(&format!("http://localhost:{}/admin", local.addr.port())).unwrap();
    blocked(f.fetch(&by_name, PUBLIC_PAGE, None).await);
    assert_eq!(private.hits("/secret"), 0);
    assert_eq!(local.hits("/admin"), 0);
    assert_eq!(public.hits("/hop"), 1);

    // Allowed when the feed is itself private or the user allows it.
    fetched(f.fetch(&url(&private, "/secret"), PAGE, None).await);
    fetched(f.fetch(&by_name, PAGE, None).await);
    assert_eq!(private.hits("/secret"), 1);
    assert_eq!(local.hits("/admin"), 1);
}
