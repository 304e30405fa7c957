//! feeds.toml: the serde types, defaults and validation.
//!
//! Every error names `file:line:column` and what is wrong, because the person
//! reading it is editing that file. Unknown keys are errors: a misspelt
//! `intervall` silently ignored would poll at the wrong rate for months.

use std::fmt;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;
use url::Url;

use crate::extract::SiteRules;

pub mod edit;
pub mod opml;
pub mod webhook;

pub use webhook::WebhookConfig;

/// Defaults for `[settings]`, chosen for a small box polling tens to
/// thousands of feeds without upsetting anyone.
pub mod defaults {
    use std::time::Duration;

    pub const DATABASE: &str = "feedsift.db";
    pub const POLL_INTERVAL: Duration = Duration::from_secs(15 * 60);
    pub const USER_AGENT: &str = concat!(
        "feedsift/",
        env!("CARGO_PKG_VERSION"),
        " (+https://github.com/feedsift/feedsift)"
    );
    pub const MAX_CONCURRENT_FETCHES: usize = 32;
    pub const PER_HOST_CONCURRENCY: usize = 2;
    pub const PER_HOST_DELAY: Duration = Duration::from_secs(1);
    pub const MAX_FEED_BYTES: u64 = 20 * 1024 * 1024;
    pub const MAX_PAGE_BYTES: u64 = 10 * 1024 * 1024;
    pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
    pub const DEDUP_WINDOW_DAYS: u32 = 30;
    /// Off: the Markdown column stores the article a second time (MEASURE),
    /// which only pipelines that want structure should pay for.
    pub const MARKDOWN: bool = false;
}

/// The shortest interval a feed may be polled at: anything faster is
/// impolite to the site and never useful for news.
pub const MIN_INTERVAL: Duration = Duration::from_secs(60);

/// A loaded, validated feeds.toml.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file it came from; relative paths inside are relative to its folder.
    pub path: PathBuf,
    pub settings: Settings,
    pub feeds: Vec<FeedConfig>,
    /// `[webhook]`: announces new stories of feeds without their own.
    pub webhook: Option<WebhookConfig>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Absolute, or relative to the working directory when the config path was.
    pub database: PathBuf,
    pub poll_interval: Duration,
    pub user_agent: String,
    pub max_concurrent_fetches: usize,
    pub per_host_concurrency: usize,
    /// Minimum gap between the starts of two requests to one host.
    pub per_host_delay: Duration,
    pub allow_private_networks: bool,
    pub respect_robots: bool,
    pub max_feed_bytes: u64,
    pub max_page_bytes: u64,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// 0 keeps text forever.
    pub retention_days: u32,
    pub dedup_window_days: u32,
    pub metrics_listen: Option<SocketAddr>,
    /// Store each article as Markdown too (`articles.markdown`).
    pub markdown: bool,
}

/// How much of an entry to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FullText {
    /// Fetch the page when the feed's own content is too short to be the
    /// article (see [`crate::poll::entries::FEED_CONTENT_MIN_WORDS`]).
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FeedConfig {
    pub url: Url,
    pub name: Option<String>,
    pub interval: Option<Duration>,
    pub full_text: FullText,
    pub tags: Vec<String>,
    pub extract: Option<SiteRules>,
    /// `[feed.webhook]`: announces this feed's new stories instead of
    /// `[webhook]`.
    pub webhook: Option<WebhookConfig>,
    /// 1-based line of the `[[feed]]` entry, for messages about it.
    pub line: usize,
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let source = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_path_buf(),
            position: None,
            message: format!("cannot read: {e}"),
        })?;
        Config::parse(path, &source)
    }

    /// Parses config text; `path` is used for messages and relative paths.
    pub fn parse(path: &Path, source: &str) -> Result<Config, ConfigError> {
        let located = |span: Option<Range<usize>>, message: String| ConfigError {
            path: path.to_path_buf(),
            position: span.map(|s| Position::of_offset(source, s.start)),
            message,
        };
        let raw: RawConfig = toml::from_str(source)
            .map_err(|e| located(e.span(), e.message().trim().to_string()))?;
        let base = path.parent().unwrap_or(Path::new(""));
        let settings = raw.settings.unwrap_or_default().validate(base, &located)?;
        let mut feeds: Vec<FeedConfig> = Vec::with_capacity(raw.feed.len());
        for spanned in raw.feed {
            let span = spanned.span();
            let mut raw_feed = spanned.into_inner();
            let webhook = raw_feed.webhook.take();
            let mut feed = raw_feed.validate(span.clone(), source, &located)?;
            feed.webhook = webhook.map(|w| w.validate(base, &located)).transpose()?;
            if let Some(earlier) = feeds.iter().find(|f| f.url == feed.url) {
                return Err(located(
                    Some(span),
                    format!(
                        "feed {} is listed twice (first at line {})",
                        feed.url, earlier.line
                    ),
                ));
            }
            feeds.push(feed);
        }
        let webhook = raw
            .webhook
            .map(|w| w.validate(base, &located))
            .transpose()?;
        Ok(Config {
            path: path.to_path_buf(),
            settings,
            feeds,
            webhook,
        })
    }

    /// The first webhook secret this process could not read, if any: an
    /// error for the commands that send (`run`, `poll`, `check`, a
    /// reload), while those that only read the database go on.
    pub fn check_secrets(&self) -> Result<(), ConfigError> {
        let hooks = self
            .webhook
            .iter()
            .chain(self.feeds.iter().filter_map(|f| f.webhook.as_ref()));
        for hook in hooks {
            if let webhook::SecretSetting::Unavailable(e) = &hook.secret {
                return Err(e.clone());
            }
        }
        Ok(())
    }

    /// The interval a feed is polled at when nothing else decides.
    pub fn interval_of(&self, feed: &FeedConfig) -> Duration {
        feed.interval.unwrap_or(self.settings.poll_interval)
    }
}

/// A config error with its place in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    pub position: Option<Position>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some(p) => write!(
                f,
                "{}:{}:{}: {}",
                self.path.display(),
                p.line,
                p.column,
                self.message
            ),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

/// 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    fn of_offset(source: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(source, offset.min(source.len()));
        let before = &source[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Position { line, column }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Parses `90s`, `15m`, `2h`, `1d`, and sums such as `1h30m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration".into());
    }
    let mut total = 0u64;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => {
                return Err(format!(
                    "invalid duration {text:?}: unknown unit {c:?} (use s, m, h or d)"
                ));
            }
        };
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("invalid duration {text:?}: a number must come before {c:?}"))?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("duration {text:?} is too large"))?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(format!(
            "invalid duration {text:?}: a unit is missing after {digits} (e.g. {digits}m)"
        ));
    }
    Ok(Duration::from_secs(total))
}

/// Formats a duration the way feeds.toml writes them (`15m`, `1h30m`).
pub fn format_duration(d: Duration) -> String {
    let mut secs = d.as_secs();
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, len) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if secs >= len {
            out.push_str(&format!("{}{unit}", secs / len));
            secs %= len;
        }
    }
    out
}

// ---- raw serde types: exactly the file's shape, validated into the above.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    settings: Option<RawSettings>,
    #[serde(default)]
    feed: Vec<Spanned<RawFeed>>,
    webhook: Option<webhook::RawWebhook>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    database: Option<Spanned<String>>,
    poll_interval: Option<Spanned<String>>,
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
    markdown: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFeed {
    url: Spanned<String>,
    name: Option<String>,
    interval: Option<Spanned<String>>,
    full_text: Option<FullText>,
    #[serde(default)]
    tags: Vec<String>,
    extract: Option<RawExtract>,
    webhook: Option<webhook::RawWebhook>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExtract {
    content: Option<Spanned<String>>,
    #[serde(default)]
    remove: Vec<Spanned<String>>,
}

type Locate<'a> = dyn Fn(Option<Range<usize>>, String) -> ConfigError + 'a;

fn duration_setting(
    value: Option<Spanned<String>>,
    default: Duration,
    min: Duration,
    name: &str,
    locate: &Locate,
) -> Result<Duration, ConfigError> {
    let Some(value) = value else {
        return Ok(default);
    };
    let d = parse_duration(value.get_ref()).map_err(|m| locate(Some(value.span()), m))?;
    if d < min {
        return Err(locate(
            Some(value.span()),
            format!("{name} must be at least {}", format_duration(min)),
        ));
    }
    Ok(d)
}

fn count_setting(
    value: Option<Spanned<i64>>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
    name: &str,
    locate: &Locate,
) -> Result<u64, ConfigError> {
    let Some(value) = value else {
        return Ok(default);
    };
    let n = *value.get_ref();
    match u64::try_from(n) {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(locate(
            Some(value.span()),
            format!(
                "{name} must be between {} and {}, not {n}",
                range.start(),
                range.end()
            ),
        )),
    }
}

impl RawSettings {
    fn validate(self, base: &Path, locate: &Locate) -> Result<Settings, ConfigError> {
        let database = match self.database {
            Some(db) if db.get_ref().trim().is_empty() => {
                return Err(locate(Some(db.span()), "database must not be empty".into()));
            }
            Some(db) => base.join(db.into_inner()),
            None => base.join(defaults::DATABASE),
        };
        let user_agent = match self.user_agent {
            Some(ua) if ua.get_ref().trim().is_empty() => {
                return Err(locate(
                    Some(ua.span()),
                    "user_agent must not be empty".into(),
                ));
            }
            Some(ua) => ua.into_inner(),
            None => defaults::USER_AGENT.to_string(),
        };
        let metrics_listen = match self.metrics_listen {
            None => None,
            Some(addr) => Some(addr.get_ref().parse::<SocketAddr>().map_err(|_| {
                locate(
                    Some(addr.span()),
                    format!(
                        "metrics_listen {:?} is not an address:port such as 127.0.0.1:9187",
                        addr.get_ref()
                    ),
                )
            })?),
        };
        const MIB: u64 = 1024 * 1024;
        Ok(Settings {
            database,
            poll_interval: duration_setting(
                self.poll_interval,
                defaults::POLL_INTERVAL,
                MIN_INTERVAL,
                "poll_interval",
                locate,
            )?,
            user_agent,
            max_concurrent_fetches: count_setting(
                self.max_concurrent_fetches,
                defaults::MAX_CONCURRENT_FETCHES as u64,
                1..=1024,
                "max_concurrent_fetches",
                locate,
            )? as usize,
            per_host_concurrency: count_setting(
                self.per_host_concurrency,
                defaults::PER_HOST_CONCURRENCY as u64,
                1..=64,
                "per_host_concurrency",
                locate,
            )? as usize,
            per_host_delay: duration_setting(
                self.per_host_delay,
                defaults::PER_HOST_DELAY,
                Duration::ZERO,
                "per_host_delay",
                locate,
            )?,
            allow_private_networks: self.allow_private_networks.unwrap_or(false),
            respect_robots: self.respect_robots.unwrap_or(true),
            max_feed_bytes: count_setting(
                self.max_feed_bytes,
                defaults::MAX_FEED_BYTES,
                1024..=1024 * MIB,
                "max_feed_bytes",
                locate,
            )?,
            max_page_bytes: count_setting(
                self.max_page_bytes,
                defaults::MAX_PAGE_BYTES,
                1024..=1024 * MIB,
                "max_page_bytes",
                locate,
            )?,
            connect_timeout: duration_setting(
                self.connect_timeout,
                defaults::CONNECT_TIMEOUT,
                Duration::from_secs(1),
                "connect_timeout",
                locate,
            )?,
            request_timeout: duration_setting(
                self.request_timeout,
                defaults::REQUEST_TIMEOUT,
                Duration::from_secs(1),
                "request_timeout",
                locate,
            )?,
            retention_days: count_setting(
                self.retention_days,
                0,
                0..=100_000,
                "retention_days",
                locate,
            )? as u32,
            dedup_window_days: count_setting(
                self.dedup_window_days,
                defaults::DEDUP_WINDOW_DAYS as u64,
                1..=100_000,
                "dedup_window_days",
                locate,
            )? as u32,
            metrics_listen,
            markdown: self.markdown.unwrap_or(defaults::MARKDOWN),
        })
    }
}

impl RawFeed {
    fn validate(
        self,
        span: Range<usize>,
        source: &str,
        locate: &Locate,
    ) -> Result<FeedConfig, ConfigError> {
        let url_span = self.url.span();
        let url = Url::parse(self.url.get_ref().trim()).map_err(|e| {
            locate(
                Some(url_span.clone()),
                format!("invalid feed url {:?}: {e}", self.url.get_ref()),
            )
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(locate(
                Some(url_span),
                format!("feed url {url} must be http or https"),
            ));
        }
        let interval = match self.interval {
            None => None,
            Some(i) => Some(duration_setting(
                Some(i),
                Duration::ZERO,
                MIN_INTERVAL,
                "interval",
                locate,
            )?),
        };
        let extract = match self.extract {
            None => None,
            Some(rules) => Some(rules.validate(locate)?),
        };
        Ok(FeedConfig {
            url,
            name: self.name.filter(|n| !n.trim().is_empty()),
            interval,
            full_text: self.full_text.unwrap_or_default(),
            tags: self.tags,
            extract,
            webhook: None,
            line: Position::of_offset(source, span.start).line,
        })
    }
}

impl RawExtract {
    fn validate(self, locate: &Locate) -> Result<SiteRules, ConfigError> {
        let check = |s: &Spanned<String>| -> Result<String, ConfigError> {
            scraper::Selector::parse(s.get_ref())
                .map(|_| s.get_ref().clone())
                .map_err(|e| {
                    locate(
                        Some(s.span()),
                        format!("invalid CSS selector {:?}: {e}", s.get_ref()),
                    )
                })
        };
        Ok(SiteRules {
            content: self.content.as_ref().map(check).transpose()?,
            remove: self.remove.iter().map(check).collect::<Result<_, _>>()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("conf/feeds.toml"), src)
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
        assert!(
            parse_duration("15")
                .unwrap_err()
                .contains("unit is missing")
        );
        assert!(parse_duration("15x").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("m").is_err());
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
    }

    #[test]
    fn full_config_and_defaults() {
        let c = parse(
            r#"
[settings]
database = "data/x.db"
poll_interval = "30m"

[[feed]]
url = "https://example.org/rss.xml"
name = "Example"
interval = "1h"
full_text = "always"
tags = ["world"]

[feed.extract]
content = "article .body"
remove = [".promo"]

[[feed]]
url = "https://example.com/atom.xml"
"#,
        )
        .unwrap();
        assert_eq!(c.settings.database, Path::new("conf/data/x.db"));
        assert_eq!(c.settings.per_host_concurrency, 2);
        assert_eq!(c.feeds.len(), 2);
        assert_eq!(c.feeds[0].line, 6);
        assert_eq!(c.feeds[0].full_text, FullText::Always);
        assert_eq!(
            c.feeds[0].extract.as_ref().unwrap().remove,
            vec![".promo".to_string()]
        );
        assert_eq!(c.interval_of(&c.feeds[1]), Duration::from_secs(1800));
        assert_eq!(c.feeds[1].line, 17);
    }

    #[test]
    fn unknown_key_names_line_and_column() {
        let e = parse("[[feed]]\nurl = \"https://a.example/\"\nintervall = \"5m\"\n").unwrap_err();
        assert_eq!(e.position, Some(Position { line: 3, column: 1 }));
        assert!(e.message.contains("intervall"), "{e}");
        assert!(e.to_string().starts_with("conf/feeds.toml:3:1: "), "{e}");
    }

    #[test]
    fn bad_values_are_located() {
        let e = parse("[[feed]]\nurl = \"ftp://a.example/\"\n").unwrap_err();
        assert_eq!(e.position.unwrap().line, 2);
        assert!(e.message.contains("http or https"));

        let e = parse("[settings]\npoll_interval = \"10\"\n").unwrap_err();
        assert_eq!(
            e.position,
            Some(Position {
                line: 2,
                column: 17
            })
        );

        let e = parse("[settings]\nper_host_concurrency = 0\n").unwrap_err();
        assert!(e.message.contains("between 1 and 64"), "{e}");

        let e =
            parse("[[feed]]\nurl = \"https://a.example/\"\n[feed.extract]\ncontent = \"div[\"\n")
                .unwrap_err();
        assert_eq!(e.position.unwrap().line, 4);
        assert!(e.message.contains("invalid CSS selector"));

        let e = parse(
            "[[feed]]\nurl = \"https://a.example/\"\n[[feed]]\nurl = \"https://a.example/\"\n",
        )
        .unwrap_err();
        assert!(e.message.contains("listed twice (first at line 1)"), "{e}");

        let e = parse("[[feed]]\nurl = \"https://a.example/\"\nfull_text = \"sometimes\"\n")
            .unwrap_err();
        assert_eq!(e.position.unwrap().line, 3);
        let e = parse("[settings\n").unwrap_err();
        assert_eq!(e.position.unwrap().line, 1);
    }
}
