//! Logging for every command: tracing events to stderr (stdout is for
//! command output), as text for people or JSON lines for log shippers.
//!
//! Under systemd (`JOURNAL_STREAM` names our stderr) journald stamps every
//! line itself, so the text format drops its own timestamp and colours
//! and starts each line with a syslog priority (`<3>` … `<7>`), which
//! journald turns into the entry's priority: `journalctl -p warning -u
//! feedsift` then works. Colours are used only on a terminal, and never
//! with `NO_COLOR` set.

use std::io::IsTerminal;
use std::os::fd::AsFd;
use std::os::unix::fs::MetadataExt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::fmt::format::{self, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use super::progress::LogWriter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line: timestamp, level, target, message, fields.
    Json,
}

/// Libraries whose log lines are about the documents they parse, not
/// about feedsift: html5ever says "foster parenting not implemented" for
/// every misnested table on the web. Shown only at `error` unless a filter
/// names them (`--log-level info,html5ever=warn`).
const QUIET_TARGETS: &[&str] = &["html5ever", "markup5ever", "selectors", "cssparser"];

/// The level names a filter may use.
const LEVELS: &[&str] = &["error", "warn", "info", "debug", "trace", "off"];

/// Checks a `--log-level` value: a level (`debug`), or comma-separated
/// directives each a level or `target=level` (`feedsift=debug,info`).
/// tracing would take any word as a target name, so `verbose` would
/// silently mean "trace for a module called verbose"; here it is refused
/// with the valid levels.
pub fn parse_level(text: &str) -> Result<String, String> {
    let text = text.trim();
    let bad = |what: &str| {
        Err(format!(
            "{what} is not a log level; use one of {} or target=level directives such as \
             feedsift=debug,info",
            LEVELS.join(", ")
        ))
    };
    if text.is_empty() {
        return bad("an empty value");
    }
    for directive in text.split(',').map(str::trim) {
        let level = match directive.rsplit_once('=') {
            Some((target, level)) if !target.trim().is_empty() => level,
            Some(_) => return bad(&format!("{directive:?}")),
            None => directive,
        };
        if !LEVELS.contains(&level.trim().to_ascii_lowercase().as_str()) {
            return bad(&format!("{:?}", level.trim()));
        }
    }
    EnvFilter::try_new(text).map_err(|e| format!("{text:?}: {e}"))?;
    Ok(text.to_owned())
}

/// The filter to install: `level` (already checked), else `RUST_LOG`,
/// else `info`; then [`QUIET_TARGETS`] at `error` unless named.
fn filter_text(level: Option<&str>, rust_log: Option<String>) -> String {
    let chosen = match (level, rust_log) {
        (Some(l), _) => l.to_owned(),
        (None, Some(env)) if EnvFilter::try_new(&env).is_ok() => env,
        (None, Some(env)) => {
            eprintln!("feedsift: RUST_LOG={env:?} is not a valid filter; logging at info");
            "info".to_owned()
        }
        (None, None) => "info".to_owned(),
    };
    let mut text = chosen.clone();
    for target in QUIET_TARGETS {
        if !chosen.contains(target) {
            text.push_str(&format!(",{target}=error"));
        }
    }
    text
}

/// Installs the global subscriber. `level` (`--log-level`, checked by
/// [`parse_level`]) wins over `RUST_LOG`; the default is `info`.
pub fn init(level: Option<&str>, format: LogFormat) {
    let rust_log = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let filter =
        EnvFilter::try_new(filter_text(level, rust_log)).unwrap_or_else(|_| EnvFilter::new("info"));
    let journal = stderr_is_journal();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(LogWriter);
    // A second subscriber cannot be installed; there never is one.
    let _ = match (format, journal) {
        (LogFormat::Json, _) => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
        (LogFormat::Text, true) => builder
            .with_ansi(false)
            .event_format(JournalPriority(
                format::format().without_time().with_ansi(false),
            ))
            .try_init(),
        (LogFormat::Text, false) => {
            let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            builder.with_ansi(colour).try_init()
        }
    };
}

/// `JOURNAL_STREAM` is `device:inode` of the stream systemd connected to
/// journald; it only counts if that is still our stderr (not, say, a
/// child's stderr redirected to a file by a script run from a service).
fn stderr_is_journal() -> bool {
    let Some(stream) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    let Some((dev, ino)) = stream.to_str().and_then(|s| s.split_once(':')) else {
        return false;
    };
    let Ok(fd) = std::io::stderr().as_fd().try_clone_to_owned() else {
        return false;
    };
    let Ok(meta) = std::fs::File::from(fd).metadata() else {
        return false;
    };
    dev.parse() == Ok(meta.dev()) && ino.parse() == Ok(meta.ino())
}

/// Prefixes each line with its syslog priority for journald.
struct JournalPriority<F>(F);

impl<S, N, F> FormatEvent<S, N> for JournalPriority<F>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: format::Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let priority = match *event.metadata().level() {
            Level::ERROR => 3,
            Level::WARN => 4,
            Level::INFO => 6,
            _ => 7,
        };
        write!(writer, "<{priority}>")?;
        self.0.format_event(ctx, writer, event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_directives_are_accepted_words_are_not() {
        for ok in [
            "debug",
            "INFO",
            "feedsift=debug,info",
            "feedsift::fetch=trace",
            "off",
            "warn,html5ever=warn",
        ] {
            assert_eq!(parse_level(ok).as_deref(), Ok(ok), "{ok}");
        }
        for bad in [
            "verbose",
            "feedsift",
            "feedsift=loud",
            "=debug",
            "",
            "info,",
        ] {
            let e = parse_level(bad).unwrap_err();
            assert!(
                e.contains("error, warn, info, debug, trace, off"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn parser_chatter_is_quiet_unless_asked_for() {
        assert_eq!(
            filter_text(None, None),
            "info,html5ever=error,markup5ever=error,selectors=error,cssparser=error"
        );
        assert_eq!(
            filter_text(Some("debug,html5ever=warn"), Some("trace".into())),
            "debug,html5ever=warn,markup5ever=error,selectors=error,cssparser=error"
        );
        assert!(
            filter_text(None, Some("feedsift=debug".into()))
                .starts_with("feedsift=debug,html5ever=error")
        );
        assert!(filter_text(None, Some("=nonsense[".into())).starts_with("info,"));
    }
}
