//! Fetch stage: HTTP for feeds and article pages.
//!
//! Everything that touches the network for content goes through
//! [`Fetcher`], so the rules hold everywhere: a global cap on requests in
//! flight, per-host politeness ([`politeness`]), conditional GET, caps on
//! body size while streaming (after decompression, so a gzip bomb stops at
//! the cap), a deadline on the whole response (a slow-drip server is cut
//! off), redirects followed by hand (to record permanent moves, detect loops
//! and re-check every hop's address) and the address policy for article
//! URLs ([`address`]).

pub mod address;
pub mod headers;
pub mod options;
pub mod politeness;
pub mod proxy;
pub mod robots;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Client, StatusCode, redirect};
use tokio::sync::Semaphore;
use url::Url;

use crate::config::{FeedConfig, Settings};
use crate::model::Validators;
use address::{AddressPolicy, PublicOnlyResolver};
pub use options::RequestOptions;
use politeness::HostGates;
use proxy::{ProxyEnv, Route};
use robots::RobotsCache;

/// Redirect hops followed before giving up (issue: at most 5).
pub const MAX_REDIRECTS: usize = 5;

/// Attempts per request within one poll for transient failures (429, 5xx,
/// timeouts, refused connections). Later failures wait for the next poll.
const MAX_ATTEMPTS: u32 = 3;

/// The longest `Retry-After` we wait out within a poll. Longer ones end the
/// poll; the scheduler then waits that long before the next.
pub const MAX_INLINE_RETRY_WAIT: Duration = Duration::from_secs(30);

/// First backoff for a transient failure without `Retry-After`; doubles per
/// attempt (1 s, 2 s) — enough for a server restart or a brief 503 storm.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);

const ACCEPT_FEED: &str = "application/rss+xml, application/atom+xml, application/feed+json, \
    application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5";
const ACCEPT_PAGE: &str = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5";
const ACCEPT_TEXT: &str = "text/plain, */*;q=0.5";

/// What is being fetched; decides caps, headers and which addresses may be
/// reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    /// A feed from feeds.toml: a trusted destination.
    Feed,
    /// An article page linked from feed content. `allow_private` when the
    /// feed itself is on a private address or the user allowed it.
    Page { allow_private: bool },
    /// The robots.txt of a page's site, under the page's address rules.
    Robots { allow_private: bool },
}

impl Resource {
    fn allow_private(self) -> bool {
        match self {
            Resource::Feed => true,
            Resource::Page { allow_private } | Resource::Robots { allow_private } => allow_private,
        }
    }
}

/// Everything the fetcher needs from the configuration.
#[derive(Debug, Clone)]
pub struct FetchSettings {
    pub user_agent: String,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    pub max_feed_bytes: u64,
    pub max_page_bytes: u64,
    pub max_concurrent: usize,
    pub per_host_concurrency: usize,
    pub per_host_delay: Duration,
    pub respect_robots: bool,
    pub policy: AddressPolicy,
}

impl FetchSettings {
    pub fn from_config(s: &Settings) -> FetchSettings {
        FetchSettings {
            user_agent: s.user_agent.clone(),
            connect_timeout: s.connect_timeout,
            request_timeout: s.request_timeout,
            max_feed_bytes: s.max_feed_bytes,
            max_page_bytes: s.max_page_bytes,
            max_concurrent: s.max_concurrent_fetches,
            per_host_concurrency: s.per_host_concurrency,
            per_host_delay: s.per_host_delay,
            respect_robots: s.respect_robots,
            policy: AddressPolicy::default(),
        }
    }
}

/// One redirect followed on the way to a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    pub status: u16,
    pub from: Url,
    pub to: Url,
}

/// A complete response.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Where the body came from, after redirects.
    pub final_url: Url,
    /// The final response's status (2xx).
    pub status: u16,
    /// The hops that led to `final_url`, in order.
    pub redirects: Vec<Redirect>,
    pub content_type: Option<String>,
    pub body: Bytes,
    pub validators: Validators,
    /// Set when every redirect hop was permanent (301/308): the resource
    /// now lives here.
    pub moved_to: Option<Url>,
    /// `Cache-Control: max-age` or `Expires`: how long the server says the
    /// response stays fresh.
    pub fresh_for: Option<Duration>,
    pub remote_ip: Option<IpAddr>,
}

/// The outcome of a successful request. Each lives only until the poll
/// consumes it, so the size difference between the variants costs nothing.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum FetchOutcome {
    Fetched(Fetched),
    /// 304 Not Modified.
    NotModified {
        moved_to: Option<Url>,
        fresh_for: Option<Duration>,
        remote_ip: Option<IpAddr>,
    },
}

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum FetchError {
    #[error("HTTP {status}{}", retry_after.map(|d| format!(" (Retry-After {}s)", d.as_secs())).unwrap_or_default())]
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("no complete response within {}s", .0.as_secs())]
    Timeout(Duration),
    #[error("response larger than the {limit}-byte cap")]
    TooLarge { limit: u64 },
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects,
    #[error("redirect loop back to {0}")]
    RedirectLoop(String),
    #[error("bad redirect: {0}")]
    BadRedirect(String),
    #[error("blocked: {0}")]
    Blocked(String),
    #[error("disallowed by {0}")]
    Robots(String),
    #[error("{0}")]
    Network(String),
    /// The feed's request options could not be made (a secret's file or
    /// environment variable is missing, ...): nothing was sent.
    #[error("request options: {0}")]
    Options(String),
}

impl FetchError {
    /// Worth another attempt soon: the server or the path to it may recover.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Status { status, .. } => *status == 429 || *status == 408 || *status >= 500,
            FetchError::Timeout(_) | FetchError::Network(_) => true,
            _ => false,
        }
    }

    /// How long the server asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The HTTP status, when the server answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// The shared HTTP client. Cheap to share behind an `Arc`.
pub struct Fetcher {
    /// One reqwest client per route and address rule, made when first
    /// needed: feeds (and pages that may reach private addresses) use a
    /// plain resolver, other pages one that only returns public addresses.
    clients: Mutex<HashMap<(Route, bool), Client>>,
    proxy_env: ProxyEnv,
    /// The options of a request that has none of its own.
    plain: RequestOptions,
    global: Semaphore,
    gates: HostGates,
    robots: RobotsCache,
    settings: FetchSettings,
}

impl Fetcher {
    /// `robots_store` keeps robots.txt answers between runs (the daemon
    /// passes the database; `None` keeps them in memory only). Proxies
    /// come from the environment ([`proxy`]).
    pub fn new(
        settings: FetchSettings,
        robots_store: Option<Arc<dyn robots::RobotsStore>>,
    ) -> Result<Fetcher, FetchError> {
        Fetcher::with_proxy_env(settings, robots_store, ProxyEnv::from_process())
    }

    /// As [`Fetcher::new`], with the proxy settings given.
    pub fn with_proxy_env(
        settings: FetchSettings,
        robots_store: Option<Arc<dyn robots::RobotsStore>>,
        proxy_env: ProxyEnv,
    ) -> Result<Fetcher, FetchError> {
        // reqwest is built without a default TLS provider so that no
        // C crypto library is needed; install ring once per process.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let fetcher = Fetcher {
            clients: Mutex::new(HashMap::new()),
            proxy_env,
            plain: RequestOptions::default(),
            global: Semaphore::new(settings.max_concurrent.max(1)),
            gates: HostGates::new(settings.per_host_concurrency, settings.per_host_delay),
            robots: RobotsCache::new(robots_store),
            settings,
        };
        // The usual two clients now, so a broken setup shows at start.
        fetcher.client(&Route::Environment, false)?;
        fetcher.client(&Route::Environment, true)?;
        Ok(fetcher)
    }

    /// The client for a route; `guarded` resolves names to public
    /// addresses only (the proxy's own name excepted).
    fn client(&self, route: &Route, guarded: bool) -> Result<Client, FetchError> {
        let key = (route.clone(), guarded);
        if let Some(c) = self.clients.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(c);
        }
        let s = &self.settings;
        let mut b = Client::builder()
            .user_agent(s.user_agent.clone())
            .redirect(redirect::Policy::none())
            .connect_timeout(s.connect_timeout)
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(s.per_host_concurrency)
            // Proxies are chosen here, not by reqwest's own reading of the
            // environment, so that one rule decides (see `proxy`).
            .no_proxy();
        let proxy_hosts = match route {
            Route::Environment => {
                let env = self.proxy_env.clone();
                if env.http.is_some() || env.https.is_some() {
                    b = b.proxy(reqwest::Proxy::custom(move |url| {
                        env.proxy_for(url).cloned()
                    }));
                }
                self.proxy_env.proxy_hosts()
            }
            Route::Direct => Vec::new(),
            Route::Via(proxy) => {
                let p = reqwest::Proxy::all(proxy.clone()).map_err(|e| {
                    FetchError::Options(format!("proxy {}: {e}", config_redact(proxy)))
                })?;
                b = b.proxy(p);
                proxy.host_str().map(str::to_owned).into_iter().collect()
            }
        };
        if guarded {
            b = b.dns_resolver(Arc::new(PublicOnlyResolver {
                policy: Arc::new(s.policy.clone()),
                trusted_hosts: proxy_hosts.into_iter().collect(),
            }));
        }
        let client = b
            .build()
            .map_err(|e| FetchError::Network(format!("cannot build the HTTP client: {e}")))?;
        if let Ok(mut m) = self.clients.lock() {
            m.insert(key, client.clone());
        }
        Ok(client)
    }

    pub fn settings(&self) -> &FetchSettings {
        &self.settings
    }

    /// Fetches with retries for transient failures within this call: waits
    /// out `Retry-After` up to [`MAX_INLINE_RETRY_WAIT`], else backs off
    /// exponentially, for at most [`MAX_ATTEMPTS`] attempts.
    pub async fn fetch(
        &self,
        url: &Url,
        resource: Resource,
        validators: Option<&Validators>,
    ) -> Result<FetchOutcome, FetchError> {
        self.fetch_with(url, resource, validators, &self.plain)
            .await
    }

    /// Fetches a configured feed with its `[feed.http]` options (secrets
    /// are read now; a missing one fails the fetch before anything is
    /// sent). `url` is where it is fetched from (a permanent move may
    /// have changed it); credentials still go only to the origin of the
    /// URL in feeds.toml.
    pub async fn fetch_feed(
        &self,
        url: &Url,
        feed: &FeedConfig,
        validators: Option<&Validators>,
    ) -> Result<FetchOutcome, FetchError> {
        let options = RequestOptions::for_feed(feed).map_err(FetchError::Options)?;
        self.fetch_with(url, Resource::Feed, validators, &options)
            .await
    }

    /// [`Fetcher::fetch`] with per-feed request options.
    pub async fn fetch_with(
        &self,
        url: &Url,
        resource: Resource,
        validators: Option<&Validators>,
        options: &RequestOptions,
    ) -> Result<FetchOutcome, FetchError> {
        let mut attempt = 1;
        loop {
            let result = self.fetch_once(url, resource, validators, options).await;
            let err = match result {
                Err(e) if e.is_transient() && attempt < MAX_ATTEMPTS => e,
                other => return other,
            };
            let wait = match err.retry_after() {
                Some(d) if d > MAX_INLINE_RETRY_WAIT => return Err(err),
                Some(d) => d,
                None => FIRST_BACKOFF * 2u32.pow(attempt - 1),
            };
            tracing::debug!(%url, error = %err, wait_ms = wait.as_millis() as u64, attempt, "retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// One attempt, following redirects.
    async fn fetch_once(
        &self,
        url: &Url,
        resource: Resource,
        validators: Option<&Validators>,
        options: &RequestOptions,
    ) -> Result<FetchOutcome, FetchError> {
        let mut current = url.clone();
        let mut visited: HashSet<Url> = HashSet::new();
        let mut all_permanent = true;
        let mut redirects = Vec::new();
        for _hop in 0..=MAX_REDIRECTS {
            if !visited.insert(current.clone()) {
                return Err(FetchError::RedirectLoop(current.to_string()));
            }
            self.check_destination(&current, resource, &options.route)
                .await?;
            let (limit, accept) = match resource {
                Resource::Feed => (self.settings.max_feed_bytes, ACCEPT_FEED),
                Resource::Page { .. } => (self.settings.max_page_bytes, ACCEPT_PAGE),
                Resource::Robots { .. } => (robots::MAX_ROBOTS_BYTES, ACCEPT_TEXT),
            };
            let client = self.client(&options.route, !resource.allow_private())?;
            let mut request = options.apply(
                &current,
                client.get(current.clone()).header(header::ACCEPT, accept),
            );
            if let Some(v) = validators {
                if let Some(etag) = v
                    .etag
                    .as_deref()
                    .and_then(|e| HeaderValue::from_str(e).ok())
                {
                    request = request.header(header::IF_NONE_MATCH, etag);
                }
                if let Some(lm) = v
                    .last_modified
                    .as_deref()
                    .and_then(|e| HeaderValue::from_str(e).ok())
                {
                    request = request.header(header::IF_MODIFIED_SINCE, lm);
                }
            }
            let host = current.host_str().unwrap_or_default().to_string();
            let _global = self.global.acquire().await.ok();
            let _pass = self.gates.enter(&host).await;
            let deadline = self.settings.request_timeout;
            let exchange = async {
                let response = request.send().await.map_err(network_error)?;
                let status = response.status();
                let headers = response.headers().clone();
                let remote_ip = response.remote_addr().map(|a| a.ip());
                if status.is_success() {
                    let body = read_capped(response, limit).await?;
                    return Ok(Exchange::Body {
                        status,
                        headers,
                        body,
                        remote_ip,
                    });
                }
                // Read the (small) body of a redirect or error so the server
                // sees a clean exchange and the connection is reused.
                drain(response).await;
                if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                    Ok(Exchange::Redirect { status, headers })
                } else if status == StatusCode::NOT_MODIFIED {
                    Ok(Exchange::NotModified { headers, remote_ip })
                } else {
                    Err(FetchError::Status {
                        status: status.as_u16(),
                        retry_after: headers::retry_after(&headers, chrono::Utc::now()),
                    })
                }
            };
            let exchange = tokio::time::timeout(deadline, exchange)
                .await
                .map_err(|_| FetchError::Timeout(deadline))??;
            let moved =
                |final_url: &Url| (all_permanent && final_url != url).then(|| final_url.clone());
            match exchange {
                Exchange::Redirect { status, headers } => {
                    all_permanent &= matches!(
                        status,
                        StatusCode::MOVED_PERMANENTLY | StatusCode::PERMANENT_REDIRECT
                    );
                    let location = headers
                        .get(header::LOCATION)
                        .and_then(|l| l.to_str().ok())
                        .ok_or_else(|| {
                            FetchError::BadRedirect(format!("HTTP {status} without a Location"))
                        })?;
                    let next = current
                        .join(location.trim())
                        .map_err(|e| FetchError::BadRedirect(format!("{location:?}: {e}")))?;
                    if !matches!(next.scheme(), "http" | "https") {
                        return Err(FetchError::BadRedirect(format!(
                            "to a {} URL",
                            next.scheme()
                        )));
                    }
                    redirects.push(Redirect {
                        status: status.as_u16(),
                        from: current,
                        to: next.clone(),
                    });
                    current = next;
                }
                Exchange::NotModified { headers, remote_ip } => {
                    return Ok(FetchOutcome::NotModified {
                        moved_to: moved(&current),
                        fresh_for: headers::fresh_for(&headers),
                        remote_ip,
                    });
                }
                Exchange::Body {
                    status,
                    headers,
                    body,
                    remote_ip,
                } => {
                    let text = |name: header::HeaderName| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned)
                    };
                    return Ok(FetchOutcome::Fetched(Fetched {
                        moved_to: moved(&current),
                        final_url: current,
                        status: status.as_u16(),
                        redirects,
                        content_type: text(header::CONTENT_TYPE),
                        validators: Validators {
                            etag: text(header::ETAG),
                            last_modified: text(header::LAST_MODIFIED),
                        },
                        fresh_for: headers::fresh_for(&headers),
                        body,
                        remote_ip,
                    }));
                }
            }
        }
        Err(FetchError::TooManyRedirects)
    }

    /// Refuses article URLs the address policy or robots.txt forbids.
    async fn check_destination(
        &self,
        url: &Url,
        resource: Resource,
        route: &Route,
    ) -> Result<(), FetchError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::Blocked(format!(
                "{} URLs are not fetched",
                url.scheme()
            )));
        }
        if resource == Resource::Feed {
            return Ok(());
        }
        let allow_private = resource.allow_private();
        if !allow_private {
            // The guarded resolver checks names; IP literals never reach it.
            let literal = match url.host() {
                Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
                Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
                _ => None,
            };
            if let Some(ip) = literal.filter(|ip| !self.settings.policy.is_public(*ip)) {
                return Err(FetchError::Blocked(format!("{ip} is not a public address")));
            }
            // Through a proxy, the proxy resolves the name and our guarded
            // resolver never sees it: look it up here first.
            if literal.is_none() && route.proxy_for(&self.proxy_env, url).is_some() {
                address::check_name(&self.settings.policy, url).await?;
            }
        }
        let page = matches!(resource, Resource::Page { .. });
        if !page || !self.settings.respect_robots {
            return Ok(());
        }
        let robots = format!("{}/robots.txt", url.origin().ascii_serialization());
        match self.robots.allowed(self, url, allow_private).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(FetchError::Robots(robots)),
            // The site's name resolves to an address pages may not reach:
            // that, not robots.txt, is why the page is refused.
            Err(blocked @ FetchError::Blocked(_)) => Err(blocked),
            Err(e) => Err(FetchError::Robots(format!(
                "{robots}, which could not be read ({e}); the site's pages wait until it can"
            ))),
        }
    }

    /// One attempt without retries: robots.txt is asked once per visit.
    /// Boxed because a page fetch asks for robots.txt, which is a fetch.
    fn fetch_robots<'a>(
        &'a self,
        url: &'a Url,
        allow_private: bool,
        validators: Option<&'a Validators>,
    ) -> Pin<Box<dyn Future<Output = Result<FetchOutcome, FetchError>> + Send + 'a>> {
        Box::pin(self.fetch_once(
            url,
            Resource::Robots { allow_private },
            validators,
            &self.plain,
        ))
    }
}

enum Exchange {
    Redirect {
        status: StatusCode,
        headers: HeaderMap,
    },
    NotModified {
        headers: HeaderMap,
        remote_ip: Option<IpAddr>,
    },
    Body {
        status: StatusCode,
        headers: HeaderMap,
        body: Bytes,
        remote_ip: Option<IpAddr>,
    },
}

/// Reads a body, stopping as soon as it passes `limit` bytes (counted after
/// decompression, which reqwest does while streaming).
async fn read_capped(mut response: reqwest::Response, limit: u64) -> Result<Bytes, FetchError> {
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(FetchError::TooLarge { limit });
    }
    let mut body = BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(network_error)? {
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Err(FetchError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Bytes of an error or redirect body read before the connection is
/// dropped instead; such bodies are short notes.
const DRAIN_LIMIT: usize = 64 * 1024;

async fn drain(mut response: reqwest::Response) {
    let mut read = 0;
    while let Ok(Some(chunk)) = response.chunk().await {
        read += chunk.len();
        if read > DRAIN_LIMIT {
            break;
        }
    }
}

fn config_redact(url: &Url) -> String {
    crate::config::http::redact_password(url)
}

/// What a TLS failure means for the person reading it.
fn tls_reason(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => {
            "the server did not answer in TLS (does it speak plain HTTP on this port? \
             then use an http:// URL)"
                .into()
        }
        rustls::Error::InvalidCertificate(c) => format!("invalid certificate: {c}"),
        other => other.to_string(),
    }
}

/// Every error in `e`'s chain, outermost first. An `io::Error`'s
/// `source()` skips the error it wraps, so those are looked into.
fn causes<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Vec<&'a (dyn std::error::Error + 'static)> {
    let mut out = Vec::new();
    let mut next = Some(e);
    while let Some(err) = next {
        out.push(err);
        next = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    out
}

fn network_error(e: reqwest::Error) -> FetchError {
    // The resolver's refusal is a block, not a network hiccup; a TLS
    // failure says what it means; otherwise the innermost message is the
    // useful one.
    let chain = causes(&e);
    for cause in &chain {
        if let Some(blocked) = cause.downcast_ref::<address::BlockedAddress>() {
            return FetchError::Blocked(blocked.to_string());
        }
        if let Some(tls) = cause.downcast_ref::<rustls::Error>() {
            return FetchError::Network(format!("TLS failed: {}", tls_reason(tls)));
        }
        let hung_up = cause.downcast_ref::<std::io::Error>().is_some_and(|io| {
            // tokio-rustls's words for a peer that hung up mid-handshake.
            io.kind() == std::io::ErrorKind::UnexpectedEof
                && io.to_string().contains("tls handshake")
        });
        if hung_up {
            return FetchError::Network(
                "TLS failed: the server closed the connection during the handshake (does it \
                 speak plain HTTP on this port? then use an http:// URL)"
                    .into(),
            );
        }
    }
    let innermost = chain
        .last()
        .map_or_else(|| e.to_string(), |c| c.to_string());
    if e.is_timeout() {
        return FetchError::Network(format!("timed out: {innermost}"));
    }
    if e.is_connect() {
        return FetchError::Network(format!("cannot connect: {innermost}"));
    }
    FetchError::Network(innermost)
}
