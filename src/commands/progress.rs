//! A progress line for long one-shot commands (`poll --all`): drawn on stderr only when both stdout and
//! stderr are terminals, so scripts, pipes, cron and CI get only the
//! command's own output.
//!
//! Log lines go to stderr too; [`LogWriter`] writes them above the bar
//! instead of through it.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The bar on screen, if any; [`LogWriter`] clears it around each line.
static ACTIVE: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// A progress bar, or nothing when not on a terminal. It is cleared when
/// dropped.
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A progress line drawn whole by the caller ([`Progress::set`]), who
    /// keeps it within the terminal's width.
    pub fn line() -> Progress {
        let on_terminal = std::io::stderr().is_terminal() && std::io::stdout().is_terminal();
        if !on_terminal {
            return Progress { bar: None };
        }
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        let style =
            ProgressStyle::with_template("{msg}").unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        if let Ok(mut active) = ACTIVE.lock() {
            *active = Some(bar.clone());
        }
        Progress { bar: Some(bar) }
    }

    /// Shows `line` in place of the previous one.
    pub fn set(&self, line: String) {
        if let Some(bar) = &self.bar {
            bar.set_message(line);
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
