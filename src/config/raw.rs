//! The file's shape — raw serde types — and their validation into
//! [`Config`], collecting every problem instead of stopping at the first.
//!
//! The document is parsed into a spanned tree first; unknown keys are
//! reported (with the nearest known key) and taken out, then each table
//! (`[settings]`, every `[[feed]]`) is deserialized on its own, so a
//! mistake in one feed does not hide the mistakes in the next. Values are
//! then checked one by one; a bad value is reported and replaced by its
//! default so that checking can go on, and the result is only used when
//! nothing was reported.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde::de::IntoDeserializer;
use toml::Spanned;
use toml::de::{DeTable, DeValue};
use url::Url;

use super::error::Problems;
use super::filters::RawFilter;
use super::http::{self, RawHttp};
use super::values::{count, duration, non_empty};
use super::webhook::{self, RawWebhook};
use super::{
    Config, ConfigError, FeedConfig, FullText, MAX_MAX_INTERVAL, MIN_INTERVAL, Settings, defaults,
    feed_identity, format_duration, selector,
};
use crate::extract::SiteRules;

/// Known keys, per table: anything else is reported.
const TOP_KEYS: &[&str] = &["settings", "feed", "webhook"];
const SETTINGS_KEYS: &[&str] = &[
    "database",
    "poll_interval",
    "adaptive",
    "min_interval",
    "max_interval",
    "user_agent",
    "max_concurrent_fetches",
    "per_host_concurrency",
    "per_host_delay",
    "allow_private_networks",
    "respect_robots",
    "max_feed_bytes",
    "max_page_bytes",
    "connect_timeout",
    "request_timeout",
    "retention_days",
    "dedup_window_days",
    "metrics_listen",
    "max_entries_per_poll",
    "markdown",
];
const FEED_KEYS: &[&str] = &[
    "url",
    "name",
    "interval",
    "min_interval",
    "max_interval",
    "full_text",
    "tags",
    "extract",
    "http",
    "filter",
    "webhook",
];
const EXTRACT_KEYS: &[&str] = &["content", "remove"];
const HTTP_KEYS: &[&str] = &[
    "headers",
    "cookie",
    "cookie_env",
    "cookie_file",
    "username",
    "password",
    "password_env",
    "password_file",
    "token",
    "token_env",
    "token_file",
    "user_agent",
    "proxy",
    "proxy_env",
];
const FILTER_KEYS: &[&str] = &["exclude", "include"];
const RULE_KEYS: &[&str] = &["title", "url", "author", "tag", "summary", "text"];

pub(super) fn parse(path: &Path, source: &str) -> Result<Config, ConfigError> {
    let mut problems = Problems::new(source);
    let (root, syntax) = DeTable::parse_recoverable(source);
    if !syntax.is_empty() {
        // The tree after a syntax error is a guess; checking it would
        // report mistakes the file does not have.
        for e in syntax {
            problems.near(e.span(), e.message().trim());
        }
        return Err(problems.into_error(path));
    }
    let mut root = root.into_inner();
    strip_unknown(&mut root, TOP_KEYS, "at the top level", &mut problems);
    let mut settings = None;
    let mut feeds = None;
    let mut webhook = None;
    for (key, value) in root {
        match key.get_ref().as_ref() {
            "settings" => settings = Some(value),
            "webhook" => webhook = Some(value),
            _ => feeds = Some(value),
        }
    }
    let base = path.parent().unwrap_or(Path::new(""));
    let settings = settings
        .and_then(|v| table_of::<RawSettings>(v, SETTINGS_KEYS, "[settings]", &mut problems))
        .unwrap_or_default()
        .validate(base, &mut problems);
    let mut valid: Vec<FeedConfig> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (raw, span) in feed_tables(feeds, &mut problems) {
        let Some(feed) = raw.validate(span.clone(), base, &settings, &mut problems) else {
            continue;
        };
        let identity = feed_identity(&feed.url);
        if let Some(&earlier) = seen.get(&identity) {
            let first = &valid[earlier];
            let message = if first.url == feed.url {
                format!(
                    "feed {} is listed twice (first at line {})",
                    feed.url, first.line
                )
            } else {
                format!(
                    "feed {} is the feed at line {} ({}): http/https, www., a trailing slash \
                     and tracking parameters do not make another feed; keep one of them",
                    feed.url, first.line, first.url
                )
            };
            problems.at(span, message);
            continue;
        }
        seen.insert(identity, valid.len());
        valid.push(feed);
    }
    let webhook = webhook
        .and_then(|v| table_of::<RawWebhook>(v, webhook::KEYS, "[webhook]", &mut problems))
        .and_then(|w| w.validate(base, &mut problems));
    problems.check(path)?;
    Ok(Config {
        path: path.to_path_buf(),
        settings,
        feeds: valid,
        webhook,
    })
}

/// The `[[feed]]` tables, deserialized one by one.
fn feed_tables(
    value: Option<Spanned<DeValue>>,
    problems: &mut Problems,
) -> Vec<(RawFeed, std::ops::Range<usize>)> {
    let Some(value) = value else {
        return Vec::new();
    };
    let span = value.span();
    let DeValue::Array(items) = value.into_inner() else {
        problems.at(span, "`feed` must be a list of [[feed]] tables");
        return Vec::new();
    };
    items
        .into_iter()
        .filter_map(|item| {
            let span = item.span();
            let mut item = item;
            if let DeValue::Table(t) = item.get_mut() {
                for (key, value) in t.iter_mut() {
                    let (keys, name) = match key.get_ref().as_ref() {
                        "extract" => (EXTRACT_KEYS, "[feed.extract]"),
                        "http" => (HTTP_KEYS, "[feed.http]"),
                        "filter" => (FILTER_KEYS, "[feed.filter]"),
                        "webhook" => (webhook::KEYS, "[feed.webhook]"),
                        _ => continue,
                    };
                    if let DeValue::Table(sub) = value.get_mut() {
                        strip_unknown(sub, keys, name, problems);
                        if keys == FILTER_KEYS {
                            strip_rules(sub, problems);
                        }
                    }
                }
            }
            table_of::<RawFeed>(item, FEED_KEYS, "[[feed]]", problems).map(|f| (f, span))
        })
        .collect()
}

/// Unknown keys of the rules in `exclude = [...]` and `include = [...]`.
fn strip_rules(filter: &mut DeTable, problems: &mut Problems) {
    for (_, list) in filter.iter_mut() {
        if let DeValue::Array(rules) = list.get_mut() {
            for rule in rules.iter_mut() {
                if let DeValue::Table(t) = rule.get_mut() {
                    strip_unknown(t, RULE_KEYS, "a filter rule", problems);
                }
            }
        }
    }
}

/// Deserializes one table after reporting and removing its unknown keys.
fn table_of<T: for<'de> Deserialize<'de>>(
    mut value: Spanned<DeValue>,
    known: &[&str],
    name: &str,
    problems: &mut Problems,
) -> Option<T> {
    let span = value.span();
    match value.get_mut() {
        DeValue::Table(t) => strip_unknown(t, known, name, problems),
        other => {
            problems.at(
                span,
                format!("{name} must be a table, not {}", other.type_str()),
            );
            return None;
        }
    }
    T::deserialize(value.into_deserializer())
        .map_err(|e| {
            problems.near(
                e.span().or(Some(span)),
                format!("{}{}", e.message().trim(), in_table(name)),
            )
        })
        .ok()
}

/// ` in [feed.http]`, for serde's messages, which do not say where.
fn in_table(name: &str) -> String {
    if name.starts_with('[') {
        format!(" in {name}")
    } else {
        String::new()
    }
}

fn strip_unknown(table: &mut DeTable, known: &[&str], name: &str, problems: &mut Problems) {
    for (key, value) in std::mem::take(table) {
        let k = key.get_ref().as_ref();
        if known.contains(&k) {
            table.insert(key, value);
            continue;
        }
        let hint = match nearest(k, known) {
            Some(n) => format!("did you mean `{n}`?"),
            None => format!("known keys: {}", known.join(", ")),
        };
        let place = if name.starts_with('[') || name.starts_with("a ") {
            format!("in {name}")
        } else {
            name.to_owned()
        };
        problems.at(key.span(), format!("unknown key `{k}` {place} ({hint})"));
    }
}

/// The known key a typo most likely meant: within two edits, or the same
/// words in another order.
fn nearest<'k>(typed: &str, known: &[&'k str]) -> Option<&'k str> {
    let typed = typed.to_ascii_lowercase().replace('-', "_");
    known
        .iter()
        .map(|k| (edit_distance(&typed, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

// ---- raw serde types: exactly the file's shape.

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    database: Option<Spanned<String>>,
    poll_interval: Option<Spanned<String>>,
    adaptive: Option<bool>,
    min_interval: Option<Spanned<String>>,
    max_interval: Option<Spanned<String>>,
    user_agent: Option<Spanned<String>>,
    max_concurrent_fetches: Option<Spanned<i64>>,
    per_host_concurrency: Option<Spanned<i64>>,
    per_host_delay: Option<Spanned<String>>,
    allow_private_networks: Option<bool>,
    respect_robots: Option<bool>,
    max_feed_bytes: Option<Spanned<i64>>,
    max_page_bytes: Option<Spanned<i64>>,
    connect_timeout: Option<Spanned<String>>,
    request_timeout: Option<Spanned<String>>,
    retention_days: Option<Spanned<i64>>,
    dedup_window_days: Option<Spanned<i64>>,
    metrics_listen: Option<Spanned<String>>,
    max_entries_per_poll: Option<Spanned<i64>>,
    markdown: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeed {
    url: Spanned<String>,
    name: Option<String>,
    interval: Option<Spanned<String>>,
    min_interval: Option<Spanned<String>>,
    max_interval: Option<Spanned<String>>,
    full_text: Option<FullText>,
    #[serde(default)]
    tags: Vec<String>,
    extract: Option<RawExtract>,
    http: Option<RawHttp>,
    filter: Option<RawFilter>,
    webhook: Option<RawWebhook>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExtract {
    content: Option<Spanned<String>>,
    #[serde(default)]
    remove: Vec<Spanned<String>>,
}

// ---- values, each checked on its own.

impl RawSettings {
    /// `poll_interval`, `min_interval` and `max_interval`, checked
    /// against each other.
    fn intervals(&self, problems: &mut Problems) -> (Duration, Duration, Duration) {
        let min_interval = duration(
            self.min_interval.as_ref(),
            defaults::MIN_INTERVAL,
            MIN_INTERVAL,
            "min_interval",
            problems,
        );
        let max_interval = duration(
            self.max_interval.as_ref(),
            defaults::MAX_INTERVAL,
            MIN_INTERVAL,
            "max_interval",
            problems,
        );
        if let Some(v) = self
            .min_interval
            .as_ref()
            .filter(|_| min_interval > MAX_MAX_INTERVAL)
        {
            problems.at(
                v.span(),
                format!(
                    "min_interval must be at most {}",
                    format_duration(MAX_MAX_INTERVAL)
                ),
            );
        }
        let max_interval = bounded_max(
            self.max_interval.as_ref(),
            max_interval,
            min_interval.min(MAX_MAX_INTERVAL),
            problems,
        );
        let poll_interval = duration(
            self.poll_interval.as_ref(),
            defaults::POLL_INTERVAL,
            MIN_INTERVAL,
            "poll_interval",
            problems,
        );
        if let Some(v) = self
            .poll_interval
            .as_ref()
            .filter(|_| poll_interval > max_interval)
        {
            problems.at(
                v.span(),
                format!(
                    "poll_interval {} is longer than max_interval {}",
                    format_duration(poll_interval),
                    format_duration(max_interval)
                ),
            );
        }
        (poll_interval, min_interval, max_interval)
    }

    fn validate(self, base: &Path, problems: &mut Problems) -> Settings {
        const MIB: u64 = 1024 * 1024;
        let (poll_interval, min_interval, max_interval) = self.intervals(problems);
        // A PostgreSQL URL is not a path: nothing to resolve it against.
        let database = non_empty(self.database, "database", problems).map_or_else(
            || base.join(defaults::DATABASE),
            |db| {
                if super::is_postgres_url(&db) {
                    PathBuf::from(db)
                } else {
                    base.join(db)
                }
            },
        );
        let user_agent = non_empty(self.user_agent, "user_agent", problems)
            .unwrap_or_else(|| defaults::USER_AGENT.to_string());
        let metrics_listen = self.metrics_listen.and_then(|addr| {
            addr.get_ref()
                .parse::<SocketAddr>()
                .map_err(|_| {
                    problems.at(
                        addr.span(),
                        format!(
                            "metrics_listen {:?} is not an address:port such as 127.0.0.1:9187",
                            addr.get_ref()
                        ),
                    )
                })
                .ok()
        });
        Settings {
            database,
            poll_interval,
            adaptive: self.adaptive.unwrap_or(true),
            min_interval,
            max_interval,
            user_agent,
            max_concurrent_fetches: count(
                self.max_concurrent_fetches.as_ref(),
                defaults::MAX_CONCURRENT_FETCHES as u64,
                1..=1024,
                "max_concurrent_fetches",
                problems,
            ) as usize,
            per_host_concurrency: count(
                self.per_host_concurrency.as_ref(),
                defaults::PER_HOST_CONCURRENCY as u64,
                1..=64,
                "per_host_concurrency",
                problems,
            ) as usize,
            per_host_delay: duration(
                self.per_host_delay.as_ref(),
                defaults::PER_HOST_DELAY,
                Duration::ZERO,
                "per_host_delay",
                problems,
            ),
            allow_private_networks: self.allow_private_networks.unwrap_or(false),
            respect_robots: self.respect_robots.unwrap_or(true),
            max_feed_bytes: count(
                self.max_feed_bytes.as_ref(),
                defaults::MAX_FEED_BYTES,
                1024..=1024 * MIB,
                "max_feed_bytes",
                problems,
            ),
            max_page_bytes: count(
                self.max_page_bytes.as_ref(),
                defaults::MAX_PAGE_BYTES,
                1024..=1024 * MIB,
                "max_page_bytes",
                problems,
            ),
            connect_timeout: duration(
                self.connect_timeout.as_ref(),
                defaults::CONNECT_TIMEOUT,
                Duration::from_secs(1),
                "connect_timeout",
                problems,
            ),
            request_timeout: duration(
                self.request_timeout.as_ref(),
                defaults::REQUEST_TIMEOUT,
                Duration::from_secs(1),
                "request_timeout",
                problems,
            ),
            retention_days: count(
                self.retention_days.as_ref(),
                0,
                0..=100_000,
                "retention_days",
                problems,
            ) as u32,
            dedup_window_days: count(
                self.dedup_window_days.as_ref(),
                defaults::DEDUP_WINDOW_DAYS as u64,
                1..=100_000,
                "dedup_window_days",
                problems,
            ) as u32,
            metrics_listen,
            max_entries_per_poll: count(
                self.max_entries_per_poll.as_ref(),
                defaults::MAX_ENTRIES_PER_POLL as u64,
                1..=1_000_000,
                "max_entries_per_poll",
                problems,
            ) as usize,
            markdown: self.markdown.unwrap_or(defaults::MARKDOWN),
        }
    }
}

/// `max` checked against `min` and [`MAX_MAX_INTERVAL`]; `min` when it
/// is below it (so that later checks compare with a sane bound).
fn bounded_max(
    written: Option<&Spanned<String>>,
    max: Duration,
    min: Duration,
    problems: &mut Problems,
) -> Duration {
    let Some(written) = written else {
        return max.max(min);
    };
    if max > MAX_MAX_INTERVAL {
        problems.at(
            written.span(),
            format!(
                "max_interval must be at most {}: a feed is never left alone longer",
                format_duration(MAX_MAX_INTERVAL)
            ),
        );
        return MAX_MAX_INTERVAL;
    }
    if max < min {
        problems.at(
            written.span(),
            format!(
                "max_interval {} is shorter than min_interval {}",
                format_duration(max),
                format_duration(min)
            ),
        );
        return min;
    }
    max
}

impl RawFeed {
    fn validate(
        self,
        span: std::ops::Range<usize>,
        base: &Path,
        settings: &Settings,
        problems: &mut Problems,
    ) -> Option<FeedConfig> {
        let url = feed_url(&self.url, problems);
        let interval = self.interval.as_ref().map(|i| {
            duration(
                Some(i),
                settings.poll_interval,
                MIN_INTERVAL,
                "interval",
                problems,
            )
        });
        let pinned_by = match (&self.interval, settings.adaptive) {
            (Some(_), _) => Some("its interval pins it"),
            (None, false) => Some("[settings] adaptive = false pins it"),
            (None, true) => None,
        };
        let min_interval = self.min_interval.as_ref().map(|v| {
            if let Some(why) = pinned_by {
                problems.at(
                    v.span(),
                    format!("min_interval only bounds an adaptive interval, and {why}"),
                );
            }
            duration(
                Some(v),
                settings.min_interval,
                MIN_INTERVAL,
                "min_interval",
                problems,
            )
        });
        let floor = min_interval.unwrap_or(settings.min_interval);
        let max_interval = self.max_interval.as_ref().map(|v| {
            let max = duration(
                Some(v),
                settings.max_interval,
                MIN_INTERVAL,
                "max_interval",
                problems,
            );
            bounded_max(
                Some(v),
                max,
                if pinned_by.is_some() {
                    MIN_INTERVAL
                } else {
                    floor
                },
                problems,
            )
        });
        let cap = max_interval.unwrap_or(settings.max_interval);
        if let (Some(i), Some(v)) = (interval, &self.interval) {
            if i > cap {
                problems.at(
                    v.span(),
                    format!(
                        "interval {} is longer than max_interval {}",
                        format_duration(i),
                        format_duration(cap)
                    ),
                );
            }
        }
        let extract = self.extract.map(|e| e.validate(problems));
        let http = self
            .http
            .map(|h| h.validate(base, problems))
            .unwrap_or_default();
        let filter = self
            .filter
            .map(|f| f.validate(problems))
            .unwrap_or_default();
        Some(FeedConfig {
            url: url?,
            name: self.name.filter(|n| !n.trim().is_empty()),
            interval,
            min_interval,
            max_interval,
            full_text: self.full_text.unwrap_or_default(),
            tags: self.tags,
            extract,
            http,
            filter,
            webhook: self.webhook.and_then(|w| w.validate(base, problems)),
            line: problems.line_of(span.start),
        })
    }
}

/// A feed URL: http or https, with a host and no password in it.
fn feed_url(value: &Spanned<String>, problems: &mut Problems) -> Option<Url> {
    let text = value.get_ref().trim();
    let no_scheme = || {
        format!(
            "feed url {text:?} has no scheme: write \"https://{text}\" \
             (or \"http://{text}\" for a site without TLS)"
        )
    };
    let url = match Url::parse(text) {
        Ok(url) => url,
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            problems.at(value.span(), no_scheme());
            return None;
        }
        Err(e) => {
            problems.at(value.span(), format!("invalid feed url {text:?}: {e}"));
            return None;
        }
    };
    if !matches!(url.scheme(), "http" | "https") {
        // `localhost:8080/feed` parses as the scheme `localhost`.
        let message = if text.contains("://") || url.scheme().contains('.') {
            format!("feed url {url} must be http or https")
        } else if url.path().starts_with(|c: char| c.is_ascii_digit()) {
            no_scheme()
        } else {
            format!("feed url {url} must be http or https")
        };
        problems.at(value.span(), message);
        return None;
    }
    if url.host_str().is_none_or(str::is_empty) {
        problems.at(value.span(), format!("feed url {text:?} has no host"));
        return None;
    }
    if url.password().is_some() {
        problems.at(
            value.span(),
            format!(
                "feed url {} carries a password, which would be stored in the database and \
                 logged: move the credentials to [feed.http] (username and password_file or \
                 password_env)",
                http::redact_password(&url)
            ),
        );
        return None;
    }
    Some(url)
}

impl RawExtract {
    fn validate(self, problems: &mut Problems) -> SiteRules {
        let mut check = |s: Spanned<String>| match selector::check(s.get_ref()) {
            Ok(()) => Some(s.into_inner()),
            Err(m) => {
                problems.at(s.span(), m);
                None
            }
        };
        SiteRules {
            content: self.content.and_then(&mut check),
            remove: self.remove.into_iter().filter_map(check).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_the_key_they_meant() {
        assert_eq!(nearest("intervall", FEED_KEYS), Some("interval"));
        assert_eq!(nearest("full-text", FEED_KEYS), Some("full_text"));
        assert_eq!(
            nearest("polling_interval", SETTINGS_KEYS),
            Some("poll_interval")
        );
        assert_eq!(nearest("colour", FEED_KEYS), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
