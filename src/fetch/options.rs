//! Per-feed request options, ready to send: built from a feed's
//! `[feed.http]` when a poll starts (secrets are read then, so a rotated
//! password needs no reload).
//!
//! The invariant: credentials, cookies and custom headers go only to the
//! feed's own origin — the scheme, host and port of the URL in feeds.toml
//! (an upgrade from http to https on the same host counts as the same
//! origin). An article page on another host, a redirect to another host,
//! or a permanent move recorded elsewhere gets none of them; the user
//! agent and proxy apply to all of the feed's requests. Secret header
//! values are marked sensitive and `Debug` prints no header value.

use std::fmt;

use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use url::Url;

use super::proxy::Route;
use crate::config::FeedConfig;
use crate::config::http::{Auth, FeedHttp, ProxySetting, Secret};

/// How one feed's requests are made; the default adds nothing.
#[derive(Clone, Default)]
pub struct RequestOptions {
    /// The origin that gets `origin_headers`.
    origin: Option<Url>,
    /// Custom headers, `Authorization` and `Cookie`.
    origin_headers: HeaderMap,
    user_agent: Option<HeaderValue>,
    pub(super) route: Route,
}

impl RequestOptions {
    /// The options of a feed: its `[feed.http]`, for its configured URL.
    pub fn for_feed(feed: &FeedConfig) -> Result<RequestOptions, String> {
        RequestOptions::new(&feed.url, &feed.http)
    }

    /// Reads the secrets `http` names; errors name the source, never a
    /// value.
    pub fn new(origin: &Url, http: &FeedHttp) -> Result<RequestOptions, String> {
        let mut headers = HeaderMap::new();
        for (name, value) in &http.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("header {name:?} is not a valid name"))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| format!("header {name}: the value is not valid"))?;
            headers.append(name, value);
        }
        if let Some(cookie) = &http.cookie {
            let cookie = cookie.resolve().map_err(|e| format!("cookie: {e}"))?;
            headers.insert(header::COOKIE, sensitive(&cookie, "cookie")?);
        }
        match &http.auth {
            None => {}
            Some(Auth::Basic { username, password }) => {
                let password = password
                    .as_ref()
                    .map(|p| p.read().map_err(|e| format!("password: {e}")))
                    .transpose()?;
                let pair = format!(
                    "{username}:{}",
                    password.as_ref().map_or("", |p| p.expose())
                );
                let encoded = Secret::from(format!("Basic {}", base64_encode(&pair)));
                headers.insert(header::AUTHORIZATION, sensitive(&encoded, "password")?);
            }
            Some(Auth::Bearer(token)) => {
                let token = token.read().map_err(|e| format!("token: {e}"))?;
                let value = Secret::from(format!("Bearer {}", token.expose()));
                headers.insert(header::AUTHORIZATION, sensitive(&value, "token")?);
            }
        }
        let user_agent = http
            .user_agent
            .as_deref()
            .map(HeaderValue::from_str)
            .transpose()
            .map_err(|_| "user_agent is not a valid header value".to_string())?;
        let route = match &http.proxy {
            ProxySetting::Environment => Route::Environment,
            ProxySetting::Direct => Route::Direct,
            ProxySetting::Url(url) => Route::Via(url.clone()),
            ProxySetting::UrlFromEnv(name) => {
                let text = std::env::var(name)
                    .map_err(|_| format!("proxy_env: environment variable {name} is not set"))?;
                // The message must not echo the value: it may hold a password.
                let url = Url::parse(text.trim())
                    .ok()
                    .filter(|u| matches!(u.scheme(), "http" | "https"))
                    .ok_or_else(|| {
                        format!("proxy_env: environment variable {name} is not an http(s) URL")
                    })?;
                Route::Via(url)
            }
        };
        Ok(RequestOptions {
            origin: Some(origin.clone()),
            origin_headers: headers,
            user_agent,
            route,
        })
    }

    /// Adds what a request to `url` may carry.
    pub(super) fn apply(
        &self,
        url: &Url,
        request: reqwest::RequestBuilder,
    ) -> reqwest::RequestBuilder {
        let mut request = request;
        if let Some(ua) = &self.user_agent {
            request = request.header(header::USER_AGENT, ua.clone());
        }
        if self.origin.as_ref().is_some_and(|o| same_origin(o, url)) {
            request = request.headers(self.origin_headers.clone());
        }
        request
    }
}

impl fmt::Debug for RequestOptions {
    /// Header names only: values may be credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestOptions")
            .field("origin", &self.origin.as_ref().map(Url::as_str))
            .field(
                "origin_headers",
                &self
                    .origin_headers
                    .keys()
                    .map(|k| k.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("user_agent", &self.user_agent)
            .field("route", &self.route)
            .finish()
    }
}

/// A secret as a header value that `Debug` (of reqwest's request, of the
/// header map) shows as `Sensitive`.
fn sensitive(secret: &Secret, what: &str) -> Result<HeaderValue, String> {
    let mut value = HeaderValue::from_str(secret.expose())
        .map_err(|_| format!("{what}: has a line break or another control character"))?;
    value.set_sensitive(true);
    Ok(value)
}

fn base64_encode(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// The same origin for credentials: same host and the same scheme and
/// port, or the http → https upgrade of the same host on default ports.
pub fn same_origin(origin: &Url, target: &Url) -> bool {
    if origin.host_str() != target.host_str() || origin.host_str().is_none() {
        return false;
    }
    let (from, to) = (
        origin.port_or_known_default(),
        target.port_or_known_default(),
    );
    (origin.scheme() == target.scheme() && from == to)
        || (origin.scheme() == "http"
            && target.scheme() == "https"
            && from == Some(80)
            && to == Some(443))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::http::{SecretSource, Value};

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn the_same_origin_is_the_same_host_scheme_and_port() {
        let feed = u("https://news.example/feed.xml");
        assert!(same_origin(&feed, &u("https://news.example/story/1")));
        assert!(!same_origin(&feed, &u("https://cdn.news.example/feed.xml")));
        assert!(!same_origin(&feed, &u("https://news.example.evil.test/")));
        assert!(!same_origin(&feed, &u("https://news.example:8443/")));
        assert!(
            !same_origin(&feed, &u("http://news.example/")),
            "no downgrade"
        );
        let plain = u("http://news.example/feed.xml");
        assert!(
            same_origin(&plain, &u("https://news.example/feed.xml")),
            "upgrade"
        );
        assert!(!same_origin(
            &u("http://news.example:8080/"),
            &u("https://news.example/")
        ));
    }

    #[test]
    fn debug_never_shows_a_secret() {
        let http = FeedHttp {
            cookie: Some(Value::Literal("session=abc123".into())),
            auth: Some(Auth::Basic {
                username: "alice".into(),
                password: None,
            }),
            headers: vec![("X-Api-Key".into(), "k-999".into())],
            ..FeedHttp::default()
        };
        let options = RequestOptions::new(&u("https://a.example/"), &http).unwrap();
        let shown = format!("{options:?}");
        for secret in ["abc123", "k-999", "YWxpY2U6"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(
            shown.contains("x-api-key") && shown.contains("authorization"),
            "{shown}"
        );
        let missing = FeedHttp {
            auth: Some(Auth::Bearer(SecretSource::Env(
                "FEEDSIFT_TEST_NO_SUCH_TOKEN".into(),
            ))),
            ..FeedHttp::default()
        };
        assert_eq!(
            RequestOptions::new(&u("https://a.example/"), &missing).unwrap_err(),
            "token: environment variable FEEDSIFT_TEST_NO_SUCH_TOKEN is not set"
        );
    }
}
