//! feeds.toml: the configuration types, defaults and validation.
//!
//! Every error names `file:line:column` and what is wrong, because the person
//! reading it is editing that file, and a file's errors are reported all at
//! once ([`error`]). Unknown keys are errors: a misspelt `intervall`
//! silently ignored would poll at the wrong rate for months.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::dedup::canonical::url_key;
use crate::extract::SiteRules;
use crate::filter::FilterRules;

pub mod edit;
pub mod error;
mod filters;
pub mod http;
pub mod opml;
mod raw;
mod selector;
mod values;

pub use error::{ConfigError, Position, Problem};
pub use http::FeedHttp;
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
    /// New entries one poll of one feed takes (newest first; the rest on
    /// the next polls). Real feeds list 10 to 100 entries (the 411 feeds
    /// of the project's corpus: at most 25 per document), so this never
    /// holds back a real feed's poll; it bounds what a runaway or archive
    /// feed queues at once (pages to fetch, rows in one poll).
    pub const MAX_ENTRIES_PER_POLL: usize = 1000;
    /// Bounds of an adaptive interval: never more often than every 5
    /// minutes (politeness), never less than daily (a quiet feed that
    /// wakes up is noticed within a day).
    pub const MIN_INTERVAL: Duration = Duration::from_secs(5 * 60);
    pub const MAX_INTERVAL: Duration = Duration::from_secs(24 * 3600);
    /// Off: the Markdown column stores the article's text a second time
    /// (1.05-1.09x its bytes on the evaluation sets), which only pipelines
    /// that want its structure should pay for.
    pub const MARKDOWN: bool = false;
}

/// The shortest interval a feed may be polled at: anything faster is
/// impolite to the site and never useful for news.
pub const MIN_INTERVAL: Duration = Duration::from_secs(60);

/// The longest `max_interval` allowed: a feed is never left alone for
/// more than a week (as with a server's `Retry-After`).
pub const MAX_MAX_INTERVAL: Duration = Duration::from_secs(7 * 24 * 3600);

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
    /// A feed's interval until its publishing rate is known; with
    /// `adaptive = false`, its interval for good.
    pub poll_interval: Duration,
    /// Intervals of feeds without their own `interval` follow how often
    /// they publish.
    pub adaptive: bool,
    /// Bounds of an adaptive interval (`max_interval` also caps the
    /// backoff after failures and what a feed or server asks for).
    pub min_interval: Duration,
    pub max_interval: Duration,
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
    /// New entries one poll of one feed takes, newest first.
    pub max_entries_per_poll: usize,
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
    /// Pins the feed's interval.
    pub interval: Option<Duration>,
    /// This feed's bounds, in place of `[settings]`'s.
    pub min_interval: Option<Duration>,
    pub max_interval: Option<Duration>,
    pub full_text: FullText,
    pub tags: Vec<String>,
    pub extract: Option<SiteRules>,
    /// Request options: headers, credentials, cookies, user agent, proxy.
    pub http: FeedHttp,
    /// Which entries are kept.
    pub filter: FilterRules,
    /// `[feed.webhook]`: announces this feed's new stories instead of
    /// `[webhook]`.
    pub webhook: Option<WebhookConfig>,
    /// 1-based line of the `[[feed]]` entry, for messages about it.
    pub line: usize,
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let source = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::whole_file(path, format!("cannot read: {e}")))?;
        Config::parse(path, &source)
    }

    /// Parses config text; `path` is used for messages and relative paths.
    pub fn parse(path: &Path, source: &str) -> Result<Config, ConfigError> {
        raw::parse(path, source)
    }

    /// How a feed is scheduled: the one place the rule is decided.
    pub fn schedule_of(&self, feed: &FeedConfig) -> Schedule {
        let max = feed.max_interval.unwrap_or(self.settings.max_interval);
        match feed.interval {
            Some(interval) => Schedule::Pinned { interval, max },
            None if !self.settings.adaptive => Schedule::Pinned {
                interval: self.settings.poll_interval,
                max,
            },
            None => Schedule::Adaptive {
                initial: self.settings.poll_interval,
                bounds: IntervalBounds {
                    min: feed.min_interval.unwrap_or(self.settings.min_interval),
                    max,
                },
            },
        }
    }
}

/// The identity of a feed: two URLs with the same identity are one feed
/// (`check`, `feeds add` and `feeds import` all ask this). http and https,
/// `www.`, a trailing slash, tracking parameters and the fragment do not
/// make another feed.
pub fn feed_identity(url: &Url) -> String {
    url_key(url)
}

/// Shortest and longest wait of an adaptive interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntervalBounds {
    pub min: Duration,
    pub max: Duration,
}

/// When a feed is polled (see README "Scheduling").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Every `interval`, whatever the feed's publishing rate; a server's
    /// hints and failures lengthen a wait up to `max`.
    Pinned { interval: Duration, max: Duration },
    /// From `initial`, then half the median gap between recent entries,
    /// within `bounds`.
    Adaptive {
        initial: Duration,
        bounds: IntervalBounds,
    },
}

impl Schedule {
    pub fn is_pinned(&self) -> bool {
        matches!(self, Schedule::Pinned { .. })
    }

    /// The interval a feed starts at, before anything was learnt of it.
    pub fn initial(&self) -> Duration {
        match self {
            Schedule::Pinned { interval, .. } => *interval,
            Schedule::Adaptive { initial, .. } => *initial,
        }
    }

    /// The longest wait between two polls (backoff and server hints
    /// included; a `Retry-After` may ask for more).
    pub fn max(&self) -> Duration {
        match self {
            Schedule::Pinned { max, .. } => *max,
            Schedule::Adaptive { bounds, .. } => bounds.max,
        }
    }

    /// The interval in force given what the last polls adapted
    /// (`adapted`, from the database): a pinned feed's own; for an
    /// adaptive feed the adapted one, else where it starts, always within
    /// its bounds (which a reload may have moved).
    pub fn current(&self, adapted: Option<Duration>) -> Duration {
        match self {
            Schedule::Pinned { interval, .. } => *interval,
            Schedule::Adaptive { initial, bounds } => adapted
                .unwrap_or(*initial)
                .clamp(bounds.min, bounds.max.max(bounds.min)),
        }
    }

    /// `pinned 2m` or `adaptive, now 5h38m, bounds 2m–6h`: how `status` and
    /// `feeds list` show it, `adapted` as for [`Schedule::current`].
    pub fn describe(&self, adapted: Option<Duration>) -> String {
        match self {
            Schedule::Pinned { interval, .. } => format!("pinned {}", format_duration(*interval)),
            Schedule::Adaptive { bounds, .. } => format!(
                "adaptive, now {}, bounds {}\u{2013}{}",
                format_duration(self.current(adapted)),
                format_duration(bounds.min),
                format_duration(bounds.max)
            ),
        }
    }
}

impl fmt::Display for Schedule {
    /// [`Schedule::describe`] of a feed nothing was learnt of yet.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe(None))
    }
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

/// Off: the Markdown column stores the article's text a second time
/// (1.05-1.09x its bytes on the evaluation sets), which only pipelines
/// that want its structure should pay for.
pub const MARKDOWN: bool = false;
/// The URL schemes that select PostgreSQL, as libpq accepts them.
const POSTGRES_SCHEMES: [&str; 2] = ["postgres://", "postgresql://"];

/// A `database` value naming a PostgreSQL server rather than a file (see
/// `store::Location`).
pub fn is_postgres_url(database: &str) -> bool {
    let lower = database.trim_start().to_ascii_lowercase();
    POSTGRES_SCHEMES.iter().any(|s| lower.starts_with(s))
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
        assert_eq!(
            c.schedule_of(&c.feeds[1]).initial(),
            Duration::from_secs(1800)
        );
        assert_eq!(c.feeds[1].line, 17);
    }

    /// The problems of a file that must fail, as `line:column: message`.
    fn problems(src: &str) -> Vec<String> {
        let e = parse(src).unwrap_err();
        e.problems
            .iter()
            .map(|p| match p.position {
                Some(at) => format!("{}:{}: {}", at.line, at.column, p.message),
                None => p.message.clone(),
            })
            .collect()
    }

    #[test]
    fn unknown_key_names_line_and_column_and_the_key_meant() {
        let e = parse("[[feed]]\nurl = \"https://a.example/\"\nintervall = \"5m\"\n").unwrap_err();
        assert_eq!(e.first().position, Some(Position { line: 3, column: 1 }));
        assert!(e.first().message.contains("intervall"), "{e}");
        assert!(
            e.first().message.contains("did you mean `interval`?"),
            "{e}"
        );
        assert!(e.to_string().starts_with("conf/feeds.toml:3:1: "), "{e}");
        assert_eq!(e.to_string().lines().count(), 1, "one problem, one line");
    }

    #[test]
    fn every_problem_of_a_file_is_reported_in_line_order() {
        let e = parse(
            r#"[settings]
poll_interval = "10"
per_host_concurrency = 0
colour = "blue"

[[feed]]
url = "example.org/rss.xml"

[[feed]]
url = "https://a.example/feed"
intervall = "5m"
interval = "5x"

[[feed]]
url = "https://b.example/feed"
tags = "world"

[[feed]]
url = "https://c.example/feed"
[feed.extract]
content = "div["
remove = ["p:hover", ".ok"]
"#,
        )
        .unwrap_err();
        let lines: Vec<String> = e
            .problems
            .iter()
            .map(|p| format!("{}", p.position.unwrap().line))
            .collect();
        assert_eq!(
            lines,
            ["2", "3", "4", "7", "11", "12", "16", "21", "22"],
            "{e}"
        );
        let text = e.to_string();
        assert!(text.starts_with("conf/feeds.toml: 9 problems\n"), "{text}");
        for line in text.lines().skip(1) {
            assert!(line.starts_with("conf/feeds.toml:"), "{line}");
        }
        assert!(text.contains(":2:17: invalid duration"), "{text}");
        assert!(text.contains(":7:7: feed url \"example.org/rss.xml\" has no scheme: write \"https://example.org/rss.xml\""), "{text}");
        assert!(text.contains("did you mean `interval`?"), "{text}");
        assert!(
            text.contains(":16:8: invalid type: string \"world\", expected a sequence in [[feed]]"),
            "{text}"
        );
        assert!(!text.contains("report this"), "{text}");
        assert_eq!(
            e.summary(),
            "conf/feeds.toml:2:17: invalid duration \"10\": a unit is missing after 10 (e.g. 10m) (and 8 more)"
        );
    }

    #[test]
    fn bad_values_are_located() {
        assert_eq!(
            problems("[[feed]]\nurl = \"ftp://a.example/\"\n"),
            ["2:7: feed url ftp://a.example/ must be http or https"]
        );
        assert_eq!(
            problems("[settings]\npoll_interval = \"10\"\n"),
            ["2:17: invalid duration \"10\": a unit is missing after 10 (e.g. 10m)"]
        );
        let p = problems("[settings]\nper_host_concurrency = 0\n");
        assert!(p[0].contains("between 1 and 64"), "{p:?}");
        let p = problems(
            "[[feed]]\nurl = \"https://a.example/\"\n[feed.extract]\ncontent = \"div[\"\n",
        );
        assert_eq!(
            p,
            [
                "4:11: invalid CSS selector \"div[\": it ends too early (an unclosed `[`, `(` or quote, or nothing after `.`, `#` or `:`?)"
            ]
        );
        let p = problems(
            "[[feed]]\nurl = \"https://a.example/\"\n[[feed]]\nurl = \"https://a.example/\"\n",
        );
        assert_eq!(
            p,
            ["3:1: feed https://a.example/ is listed twice (first at line 1)"]
        );
        let p = problems("[[feed]]\nurl = \"https://a.example/\"\nfull_text = \"sometimes\"\n");
        assert!(
            p[0].starts_with("3:13: unknown variant `sometimes`"),
            "{p:?}"
        );
        let p = problems("[settings\n");
        assert!(p[0].starts_with("1:"), "{p:?}");
        let p = problems("[[feed]]\nurl = \"localhost:8080/rss\"\n");
        assert_eq!(
            p,
            [
                "2:7: feed url \"localhost:8080/rss\" has no scheme: write \"https://localhost:8080/rss\" (or \"http://localhost:8080/rss\" for a site without TLS)"
            ]
        );
        let p = problems("[[feed]]\nurl = \"https://me:hunter2@a.example/\"\n");
        assert!(
            p[0].contains("carries a password") && !p[0].contains("hunter2"),
            "{p:?}"
        );
        let p = problems("[feeds]\nurl = \"x\"\n");
        assert_eq!(
            p,
            ["1:2: unknown key `feeds` at the top level (did you mean `feed`?)"]
        );
    }

    #[test]
    fn one_feed_identity_for_check_and_feeds_add() {
        let src = "[[feed]]\nurl = \"http://www.example.org/rss.xml\"\n\n[[feed]]\nurl = \"https://example.org/rss.xml/\"\n";
        assert_eq!(
            problems(src),
            [
                "4:1: feed https://example.org/rss.xml/ is the feed at line 1 (http://www.example.org/rss.xml): http/https, www., a trailing slash and tracking parameters do not make another feed; keep one of them"
            ]
        );
        // feeds add asks the same question through edit::lookup.
        let one = parse("[[feed]]\nurl = \"http://www.example.org/rss.xml\"\n").unwrap();
        let other = Url::parse("https://example.org/rss.xml/").unwrap();
        assert!(matches!(
            edit::lookup(&one.feeds, &other),
            edit::Lookup::Equivalent(_)
        ));
        assert_eq!(feed_identity(&one.feeds[0].url), feed_identity(&other));
        // Different paths or queries are different feeds.
        assert!(parse("[[feed]]\nurl = \"https://example.org/rss.xml\"\n[[feed]]\nurl = \"https://example.org/rss.xml?cat=2\"\n").is_ok());
    }

    #[test]
    fn scheduling_pinned_and_adaptive() {
        let c = parse(
            r#"[settings]
poll_interval = "10m"
min_interval = "2m"
max_interval = "6h"

[[feed]]
url = "https://a.example/"

[[feed]]
url = "https://b.example/"
interval = "30m"

[[feed]]
url = "https://c.example/"
max_interval = "1h"
min_interval = "10m"
"#,
        )
        .unwrap();
        let m = |s: u64| Duration::from_secs(s * 60);
        assert_eq!(
            c.schedule_of(&c.feeds[0]),
            Schedule::Adaptive {
                initial: m(10),
                bounds: IntervalBounds {
                    min: m(2),
                    max: m(360)
                }
            }
        );
        assert_eq!(
            c.schedule_of(&c.feeds[1]),
            Schedule::Pinned {
                interval: m(30),
                max: m(360)
            }
        );
        assert_eq!(
            c.schedule_of(&c.feeds[2]).to_string(),
            "adaptive, now 10m, bounds 10m\u{2013}1h"
        );
        // What the last polls adapted, kept within the bounds.
        let m = |s: u64| Some(Duration::from_secs(s * 60));
        assert_eq!(
            c.schedule_of(&c.feeds[2]).describe(m(338)),
            "adaptive, now 1h, bounds 10m\u{2013}1h"
        );
        assert_eq!(
            c.schedule_of(&c.feeds[0]).describe(m(338)),
            "adaptive, now 5h38m, bounds 2m\u{2013}6h"
        );
        assert_eq!(c.schedule_of(&c.feeds[1]).to_string(), "pinned 30m");
        assert_eq!(c.schedule_of(&c.feeds[1]).describe(m(338)), "pinned 30m");
        // Defaults: 15m, 5m-1d, adaptive.
        let d = parse("[[feed]]\nurl = \"https://a.example/\"\n").unwrap();
        assert_eq!(
            d.schedule_of(&d.feeds[0]).to_string(),
            "adaptive, now 15m, bounds 5m\u{2013}1d"
        );
        // An adaptive feed starts within its bounds, whatever poll_interval says.
        let low =
            parse("[settings]\npoll_interval = \"2m\"\n[[feed]]\nurl = \"https://a.example/\"\n")
                .unwrap();
        assert_eq!(
            low.schedule_of(&low.feeds[0]).current(None),
            Duration::from_secs(300)
        );
        assert_eq!(
            low.schedule_of(&low.feeds[0]).to_string(),
            "adaptive, now 5m, bounds 5m\u{2013}1d"
        );
        let pinned = parse("[settings]\nadaptive = false\npoll_interval = \"2m\"\n[[feed]]\nurl = \"https://a.example/\"\n").unwrap();
        assert_eq!(
            pinned.schedule_of(&pinned.feeds[0]).to_string(),
            "pinned 2m"
        );
    }

    #[test]
    fn scheduling_mistakes() {
        assert_eq!(
            problems("[settings]\nmin_interval = \"2h\"\nmax_interval = \"1h\"\n"),
            ["3:16: max_interval 1h is shorter than min_interval 2h"]
        );
        assert_eq!(
            problems("[settings]\nmax_interval = \"30d\"\n"),
            ["2:16: max_interval must be at most 7d: a feed is never left alone longer"]
        );
        assert_eq!(
            problems("[settings]\npoll_interval = \"2d\"\n"),
            ["2:17: poll_interval 2d is longer than max_interval 1d"]
        );
        assert_eq!(
            problems(
                "[[feed]]\nurl = \"https://a.example/\"\ninterval = \"2h\"\nmax_interval = \"1h\"\n"
            ),
            ["3:12: interval 2h is longer than max_interval 1h"]
        );
        assert_eq!(
            problems(
                "[[feed]]\nurl = \"https://a.example/\"\ninterval = \"2h\"\nmin_interval = \"1h\"\n"
            ),
            ["4:16: min_interval only bounds an adaptive interval, and its interval pins it"]
        );
        assert_eq!(
            problems(
                "[settings]\nadaptive = false\n[[feed]]\nurl = \"https://a.example/\"\nmin_interval = \"1h\"\n"
            ),
            [
                "5:16: min_interval only bounds an adaptive interval, and [settings] adaptive = false pins it"
            ]
        );
    }

    #[test]
    fn filters_are_parsed_and_bad_regexes_located() {
        let c = parse(
            r#"[[feed]]
url = "https://a.example/"
[feed.filter]
exclude = [
  { title = '(?i)\bsponsored\b' },
  { url = "/live/", title = "(?i)live" },
]
include = [{ tag = "(?i)^politics$" }]
"#,
        )
        .unwrap();
        let f = &c.feeds[0].filter;
        assert_eq!((f.exclude.len(), f.include.len()), (2, 1));
        assert_eq!(f.exclude[1].line, 6);
        assert_eq!(
            f.exclude[1].to_string(),
            "title ~ \"(?i)live\" and url ~ \"/live/\" (line 6)"
        );
        assert_eq!(
            problems(
                "[[feed]]\nurl = \"https://a.example/\"\n[feed.filter]\nexclude = [{ title = \"(unclosed\" }, {}]\ninclude = [{ titel = \"x\" }]\n"
            ),
            [
                "4:22: invalid regular expression \"(unclosed\" for title: unclosed group",
                "4:37: a filter rule needs at least one of title, url, author, tag, summary or text",
                "5:12: a filter rule needs at least one of title, url, author, tag, summary or text",
                "5:14: unknown key `titel` in a filter rule (did you mean `title`?)",
            ]
        );
    }

    #[test]
    fn http_options_are_parsed_and_secrets_stay_out_of_the_file() {
        let c = parse(
            r#"[[feed]]
url = "https://a.example/"
[feed.http]
headers = { "Accept-Language" = "de", "X-Api-Version" = "2" }
cookie = "consent=yes"
username = "alice"
password_file = "secrets/a.pw"
user_agent = "Mozilla/5.0 (compatible; feedsift)"
proxy = "http://proxy.internal:3128"

[[feed]]
url = "https://b.example/"
[feed.http]
token_env = "B_TOKEN"
cookie_file = "/run/credentials/feedsift.service/b-cookie"
proxy = "none"
"#,
        )
        .unwrap();
        let a = &c.feeds[0].http;
        assert_eq!(a.headers.len(), 2);
        assert_eq!(
            a.auth,
            Some(http::Auth::Basic {
                username: "alice".into(),
                password: Some(http::SecretSource::File(PathBuf::from("conf/secrets/a.pw")))
            })
        );
        assert_eq!(a.cookie, Some(http::Value::Literal("consent=yes".into())));
        assert!(matches!(a.proxy, http::ProxySetting::Url(_)));
        let b = &c.feeds[1].http;
        assert_eq!(
            b.auth,
            Some(http::Auth::Bearer(http::SecretSource::Env(
                "B_TOKEN".into()
            )))
        );
        assert_eq!(b.proxy, http::ProxySetting::Direct);
        assert!(c.feeds.iter().all(|f| f.filter.is_empty()));

        let p = problems(
            r#"[[feed]]
url = "https://a.example/"
[feed.http]
password = "hunter2"
token_env = "T"
token_file = "t"
headers = { Authorization = "Basic x", "X-Ok" = "1" }
proxy = "socks5://127.0.0.1:9050"
usrname = "bob"
"#,
        );
        assert_eq!(p.len(), 5, "{p:#?}");
        assert!(
            p[0].starts_with("4:12: password cannot be written in feeds.toml"),
            "{p:?}"
        );
        assert!(!p.iter().any(|m| m.contains("hunter2")), "{p:?}");
        assert!(
            p[1].starts_with("6:14: token_env and token_file are both given"),
            "{p:?}"
        );
        assert!(
            p[2].starts_with("7:13: header \"Authorization\" cannot be set here"),
            "{p:?}"
        );
        assert!(p[3].contains("SOCKS proxies are not supported"), "{p:?}");
        assert!(
            p[4].contains("unknown key `usrname` in [feed.http] (did you mean `username`?)"),
            "{p:?}"
        );
    }
}
