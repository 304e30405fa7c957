//! `[feed.http]`: per-feed request options — headers, cookies, HTTP Basic
//! or bearer credentials, user agent and proxy.
//!
//! Secrets never live in feeds.toml, which is world-readable by default,
//! copied into backups and pasted into bug reports: a password or token is
//! named by the file or environment variable that holds it, and read when
//! a request is made (so a rotated secret needs no reload). The config,
//! and so its `Debug` output, the database and the logs, only ever hold
//! those names. [`Secret`] wraps a value once read and never prints it.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;
use url::Url;

use super::error::Problems;
use super::values::non_empty;

/// A feed's request options; the default adds nothing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FeedHttp {
    /// Extra request headers, validated, by name.
    pub headers: Vec<(String, String)>,
    /// The `Cookie` header's value.
    pub cookie: Option<Value>,
    pub auth: Option<Auth>,
    /// Replaces `[settings].user_agent` for this feed.
    pub user_agent: Option<String>,
    pub proxy: ProxySetting,
}

impl FeedHttp {
    pub fn is_empty(&self) -> bool {
        self == &FeedHttp::default()
    }
}

/// A value written in feeds.toml, or read from a secret source.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Literal(String),
    Secret(SecretSource),
}

impl Value {
    pub fn resolve(&self) -> Result<Secret, String> {
        match self {
            Value::Literal(v) => Ok(Secret(v.clone())),
            Value::Secret(source) => source.read(),
        }
    }
}

/// Credentials sent with the feed's requests (to its own origin only).
#[derive(Debug, Clone, PartialEq)]
pub enum Auth {
    /// HTTP Basic.
    Basic {
        username: String,
        password: Option<SecretSource>,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(SecretSource),
}

/// Where a secret is read from.
#[derive(Debug, Clone, PartialEq)]
pub enum SecretSource {
    /// An environment variable of the feedsift process (for the service:
    /// `Environment=` or `EnvironmentFile=` in a drop-in).
    Env(String),
    /// A file (absolute, or relative to feeds.toml's folder); one trailing
    /// line break is not part of the secret. For the service, systemd's
    /// `LoadCredential=` puts files under `/run/credentials/feedsift.service/`.
    File(PathBuf),
}

impl SecretSource {
    /// Reads the secret now. Errors name the source, never a value.
    pub fn read(&self) -> Result<Secret, String> {
        let value = match self {
            SecretSource::Env(name) => std::env::var(name).map_err(|e| match e {
                std::env::VarError::NotPresent => {
                    format!("environment variable {name} is not set")
                }
                std::env::VarError::NotUnicode(_) => {
                    format!("environment variable {name} is not valid UTF-8")
                }
            })?,
            SecretSource::File(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                let text = text.strip_suffix('\n').unwrap_or(&text);
                text.strip_suffix('\r').unwrap_or(text).to_owned()
            }
        };
        if value.is_empty() {
            return Err(format!("{self} is empty"));
        }
        Ok(Secret(value))
    }
}

impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Env(name) => write!(f, "environment variable {name}"),
            SecretSource::File(path) => write!(f, "file {}", path.display()),
        }
    }
}

/// A secret value. `Debug` and `Display` print a placeholder, so it cannot
/// reach a log line by accident; [`Secret::expose`] is the one way out.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Which proxy a feed's requests go through.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ProxySetting {
    /// `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (as curl
    /// reads them); loopback destinations always go direct.
    #[default]
    Environment,
    /// Direct, whatever the environment says (`proxy = "none"`).
    Direct,
    /// This proxy, for every request of the feed.
    Url(Url),
    /// The proxy URL in this environment variable (it may hold credentials).
    UrlFromEnv(String),
}

/// Header names feeds.toml may not set, and why: feedsift sets them itself
/// or they have their own keys.
pub const RESERVED_HEADERS: &[(&str, &str)] = &[
    (
        "authorization",
        "use username/password_file or token_file/token_env",
    ),
    (
        "proxy-authorization",
        "put the credentials in the proxy_env URL",
    ),
    ("cookie", "use cookie, cookie_file or cookie_env"),
    ("user-agent", "use user_agent"),
    ("host", "feedsift sets it from the URL"),
    ("content-length", "feedsift sets it"),
    ("transfer-encoding", "feedsift sets it"),
    ("connection", "feedsift manages connections"),
    ("te", "feedsift sets it"),
    ("upgrade", "feedsift manages connections"),
    ("accept-encoding", "feedsift decompresses what it asks for"),
    (
        "if-none-match",
        "feedsift sends the feed's validators itself",
    ),
    (
        "if-modified-since",
        "feedsift sends the feed's validators itself",
    ),
];

/// Why a header name or value cannot be sent, if it cannot.
pub fn check_header(name: &str, value: &str) -> Result<(), String> {
    let lower = name.to_ascii_lowercase();
    if let Some((_, why)) = RESERVED_HEADERS.iter().find(|(n, _)| *n == lower) {
        return Err(format!("header {name:?} cannot be set here: {why}"));
    }
    reqwest::header::HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("{name:?} is not a valid HTTP header name"))?;
    check_header_value(value).map_err(|e| format!("header {name:?}: {e}"))
}

/// Header values are one line of visible text.
pub fn check_header_value(value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err("the value is empty".into());
    }
    reqwest::header::HeaderValue::from_str(value)
        .map(|_| ())
        .map_err(|_| "the value has a line break or another control character".into())
}

/// An environment variable name a secret may come from.
pub fn check_env_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.contains(['=', '\0']) {
        return Err(format!("{name:?} is not an environment variable name"));
    }
    Ok(())
}

/// A proxy URL as feeds.toml may hold it: http or https, no password.
pub fn proxy_url(text: &str) -> Result<Url, String> {
    let url = Url::parse(text.trim())
        .map_err(|e| format!("proxy {text:?} is not a URL: {e} (write http://host:port)"))?;
    match url.scheme() {
        "http" | "https" => {}
        s if s.starts_with("socks") => {
            return Err(format!(
                "proxy {text:?}: SOCKS proxies are not supported, only http:// and https:// ones"
            ));
        }
        s => {
            return Err(format!(
                "proxy {text:?}: a {s} URL is no proxy; use http://host:port"
            ));
        }
    }
    if url.password().is_some() {
        return Err(format!(
            "proxy URL {} has a password: keep it out of feeds.toml, \
             give the whole URL in an environment variable with proxy_env",
            redact_password(&url)
        ));
    }
    Ok(url)
}

/// The URL with its password replaced, for messages.
pub fn redact_password(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        let _ = shown.set_password(Some("REDACTED"));
    }
    shown.to_string()
}

/// A secret file path from feeds.toml: relative to the file's folder.
pub fn secret_file(base: &Path, text: &str) -> Result<PathBuf, String> {
    if text.trim().is_empty() {
        return Err("the file name is empty".into());
    }
    Ok(base.join(text))
}

// ---- the file's shape, checked one key at a time.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHttp {
    #[serde(default)]
    headers: std::collections::BTreeMap<Spanned<String>, Spanned<String>>,
    cookie: Option<Spanned<String>>,
    cookie_env: Option<Spanned<String>>,
    cookie_file: Option<Spanned<String>>,
    username: Option<Spanned<String>>,
    password: Option<Spanned<String>>,
    password_env: Option<Spanned<String>>,
    password_file: Option<Spanned<String>>,
    token: Option<Spanned<String>>,
    token_env: Option<Spanned<String>>,
    token_file: Option<Spanned<String>>,
    user_agent: Option<Spanned<String>>,
    proxy: Option<Spanned<String>>,
    proxy_env: Option<Spanned<String>>,
}

/// One secret given at most one way; `literal` is refused with the ways
/// to give it.
fn secret(
    name: &str,
    literal: Option<&Spanned<String>>,
    env: Option<Spanned<String>>,
    file: Option<Spanned<String>>,
    base: &Path,
    problems: &mut Problems,
) -> Option<SecretSource> {
    if let Some(v) = literal {
        problems.at(
            v.span(),
            format!(
                "{name} cannot be written in feeds.toml (it is readable by others, backed up \
                 and shared): put it in a file ({name}_file = \"...\") or an environment \
                 variable ({name}_env = \"...\")"
            ),
        );
    }
    source(name, env, file, base, problems)
}

pub(super) fn source(
    name: &str,
    env: Option<Spanned<String>>,
    file: Option<Spanned<String>>,
    base: &Path,
    problems: &mut Problems,
) -> Option<SecretSource> {
    match (env, file) {
        (Some(_), Some(f)) => {
            problems.at(
                f.span(),
                format!("{name}_env and {name}_file are both given; use one"),
            );
            None
        }
        (Some(e), None) => match check_env_name(e.get_ref()) {
            Ok(()) => Some(SecretSource::Env(e.into_inner())),
            Err(m) => {
                problems.at(e.span(), m);
                None
            }
        },
        (None, Some(f)) => match secret_file(base, f.get_ref()) {
            Ok(path) => Some(SecretSource::File(path)),
            Err(m) => {
                problems.at(f.span(), format!("{name}_file: {m}"));
                None
            }
        },
        (None, None) => None,
    }
}

impl RawHttp {
    pub(super) fn validate(mut self, base: &Path, problems: &mut Problems) -> FeedHttp {
        let mut headers = Vec::new();
        for (name, value) in std::mem::take(&mut self.headers) {
            match check_header(name.get_ref(), value.get_ref()) {
                Ok(()) => headers.push((name.into_inner(), value.into_inner())),
                Err(m) => problems.at(name.span(), m),
            }
        }
        let cookie = self.cookie(base, problems);
        let auth = self.auth(base, problems);
        let user_agent = self.user_agent.take().and_then(|ua| {
            check_header_value(ua.get_ref())
                .map_err(|m| problems.at(ua.span(), format!("user_agent: {m}")))
                .ok()
                .map(|()| ua.into_inner())
        });
        FeedHttp {
            headers,
            cookie,
            auth,
            user_agent,
            proxy: self.proxy(problems),
        }
    }

    fn cookie(&mut self, base: &Path, problems: &mut Problems) -> Option<Value> {
        let literal = self.cookie.take().and_then(|c| {
            check_header_value(c.get_ref())
                .map_err(|m| problems.at(c.span(), format!("cookie: {m}")))
                .ok()
                .map(|()| (c.span(), c.into_inner()))
        });
        let from = source(
            "cookie",
            self.cookie_env.take(),
            self.cookie_file.take(),
            base,
            problems,
        );
        match (literal, from) {
            (Some((span, _)), Some(_)) => {
                problems.at(
                    span,
                    "cookie is given twice (also as cookie_env or cookie_file); use one",
                );
                None
            }
            (Some((_, c)), None) => Some(Value::Literal(c)),
            (None, Some(s)) => Some(Value::Secret(s)),
            (None, None) => None,
        }
    }

    /// Basic (username, password) or Bearer (token), never both.
    fn auth(&mut self, base: &Path, problems: &mut Problems) -> Option<Auth> {
        let password_span = [&self.password, &self.password_env, &self.password_file]
            .into_iter()
            .flatten()
            .map(|p| p.span())
            .next();
        let password = secret(
            "password",
            self.password.as_ref(),
            self.password_env.take(),
            self.password_file.take(),
            base,
            problems,
        );
        let token = secret(
            "token",
            self.token.as_ref(),
            self.token_env.take(),
            self.token_file.take(),
            base,
            problems,
        );
        let username_span = self.username.as_ref().map(|u| u.span());
        let username = non_empty(self.username.take(), "username", problems);
        match (username, password, token) {
            (Some(_), _, Some(_)) => {
                problems.near(
                    username_span,
                    "username (HTTP Basic) and token (Bearer) are both given; a request \
                     carries one of them",
                );
                None
            }
            (Some(username), password, None) => Some(Auth::Basic { username, password }),
            (None, Some(_), _) => {
                problems.near(password_span, "a password needs a username");
                None
            }
            (None, None, Some(token)) => Some(Auth::Bearer(token)),
            (None, None, None) => None,
        }
    }

    fn proxy(&mut self, problems: &mut Problems) -> ProxySetting {
        match (self.proxy.take(), self.proxy_env.take()) {
            (Some(p), Some(_)) => {
                problems.at(p.span(), "proxy and proxy_env are both given; use one");
                ProxySetting::Environment
            }
            (Some(p), None) if p.get_ref().trim() == "none" => ProxySetting::Direct,
            (Some(p), None) => match proxy_url(p.get_ref()) {
                Ok(url) => ProxySetting::Url(url),
                Err(m) => {
                    problems.at(p.span(), m);
                    ProxySetting::Environment
                }
            },
            (None, Some(e)) => match check_env_name(e.get_ref()) {
                Ok(()) => ProxySetting::UrlFromEnv(e.into_inner()),
                Err(m) => {
                    problems.at(e.span(), m);
                    ProxySetting::Environment
                }
            },
            (None, None) => ProxySetting::Environment,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let s = Secret("hunter2".into());
        assert_eq!(format!("{s:?} {s}"), "Secret(<redacted>) <redacted>");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn secret_files_lose_one_trailing_line_break() {
        let dir = std::env::temp_dir().join(format!("feedsift-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("pw");
        std::fs::write(&path, "s3cret\r\n").unwrap();
        let source = SecretSource::File(path.clone());
        assert_eq!(source.read().unwrap().expose(), "s3cret");
        std::fs::write(&path, "").unwrap();
        assert_eq!(
            source.read().unwrap_err(),
            format!("file {} is empty", path.display())
        );
        std::fs::remove_file(&path).unwrap();
        let e = source.read().unwrap_err();
        assert!(
            e.starts_with(&format!("cannot read {}", path.display())),
            "{e}"
        );
        let missing = SecretSource::Env("FEEDSIFT_TEST_SURELY_UNSET_VARIABLE".into());
        assert_eq!(
            missing.read().unwrap_err(),
            "environment variable FEEDSIFT_TEST_SURELY_UNSET_VARIABLE is not set"
        );
    }

    #[test]
    fn headers_feedsift_owns_are_refused_with_the_key_to_use() {
        assert_eq!(check_header("Accept-Language", "de, en;q=0.5"), Ok(()));
        assert_eq!(check_header("X-Api-Version", "2"), Ok(()));
        let e = check_header("Authorization", "Bearer x").unwrap_err();
        assert!(e.contains("token_file"), "{e}");
        assert!(
            check_header("Cookie", "a=b")
                .unwrap_err()
                .contains("cookie_file")
        );
        assert!(check_header("If-None-Match", "x").is_err());
        assert!(
            check_header("Bad Name", "x")
                .unwrap_err()
                .contains("not a valid")
        );
        assert!(
            check_header("X-A", "one\ntwo")
                .unwrap_err()
                .contains("line break")
        );
        assert!(check_header("X-A", " ").unwrap_err().contains("empty"));
    }

    #[test]
    fn proxies_are_http_without_a_password() {
        assert_eq!(
            proxy_url("http://proxy.internal:3128").unwrap().as_str(),
            "http://proxy.internal:3128/"
        );
        assert!(
            proxy_url("socks5://127.0.0.1:9050")
                .unwrap_err()
                .contains("SOCKS")
        );
        assert!(proxy_url("proxy:3128").is_err());
        let e = proxy_url("http://me:pw@proxy.internal:3128").unwrap_err();
        assert!(e.contains("proxy_env") && !e.contains(":pw@"), "{e}");
    }
}
