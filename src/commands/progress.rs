//! Progress bars for long one-shot commands (`poll --all`, and `feeds
//! import` may use it too): drawn on stderr only when both stdout and
//! stderr are terminals, so scripts, pipes, cron and CI get only the
//! command's own output.
//!
//! Log lines go to stderr too; [`LogWriter`] writes them above the bar
//! instead of through it.

use std::borrow::Cow;
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The bar on screen, if any; [`LogWriter`] clears it around each line.
static ACTIVE: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Redraws per second even when no step finishes, so the elapsed time
/// moves while one slow feed is polled.
const TICK: Duration = Duration::from_millis(200);

/// A progress bar, or nothing when not on a terminal. It is cleared when
/// dropped.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar of `len` steps, prefixed with `what`.
    pub fn new(len: u64, what: &str) -> Progress {
        let on_terminal = std::io::stderr().is_terminal() && std::io::stdout().is_terminal();
        if !on_terminal || len == 0 {
            return Progress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        let style =
            ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {wide_msg} {elapsed}")
                .map(|s| s.progress_chars("=> "))
                .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(what.to_string());
        bar.enable_steady_tick(TICK);
        if let Ok(mut active) = ACTIVE.lock() {
            *active = Some(bar.clone());
        }
        Progress { bar: Some(bar) }
    }

    /// One step done; `message` says what the steps added up to so far.
    pub fn step(&self, message: impl Into<Cow<'static, str>>) {
        if let Some(bar) = &self.bar {
            bar.set_message(message);
            bar.inc(1);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
            if let Ok(mut active) = ACTIVE.lock() {
                *active = None;
            }
        }
    }
}

/// Writes log output to stderr, lifting the progress bar out of the way
/// while it does.
pub struct LogWriter;

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> LogWriter {
        LogWriter
    }
}

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let bar = ACTIVE.lock().ok().and_then(|active| active.clone());
        match bar {
            Some(bar) => bar.suspend(|| std::io::stderr().write(buf)),
            None => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}
