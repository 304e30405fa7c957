//! Config errors: every problem of a file at once, each at its place.
//!
//! People fix feeds.toml in an editor, one run of `feedsift check` at a
//! time; a checker that stops at the first problem makes them run it once
//! per mistake. So validation goes on after a problem and the error lists
//! all of them in line order, each as `file:line:column: message` (the
//! shape compilers use, which editors and terminals turn into links).

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// A config file that cannot be used, with every problem found in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// At least one; sorted by position (problems without one first).
    pub problems: Vec<Problem>,
}

/// One thing wrong in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub position: Option<Position>,
    pub message: String,
}

/// 1-based line and column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl ConfigError {
    /// An error about the file as a whole (it cannot be read, ...).
    pub fn whole_file(path: &Path, message: String) -> ConfigError {
        ConfigError {
            path: path.to_path_buf(),
            problems: vec![Problem {
                position: None,
                message,
            }],
        }
    }

    /// The first problem, for callers that show one.
    pub fn first(&self) -> &Problem {
        &self.problems[0]
    }

    /// One line: the first problem, and how many more there are. For
    /// places that take a single line (the systemd STATUS text).
    pub fn summary(&self) -> String {
        let first = self.line(self.first());
        match self.problems.len() {
            1 => first,
            n => format!("{first} (and {} more)", n - 1),
        }
    }

    fn line(&self, p: &Problem) -> String {
        match p.position {
            Some(at) => format!(
                "{}:{}:{}: {}",
                self.path.display(),
                at.line,
                at.column,
                p.message
            ),
            None => format!("{}: {}", self.path.display(), p.message),
        }
    }
}

impl fmt::Display for ConfigError {
    /// One problem: one line. Several: a count, then one line each, so
    /// that every line starts with `file:line:column`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let [only] = self.problems.as_slice() {
            return f.write_str(&self.line(only));
        }
        write!(
            f,
            "{}: {} problems",
            self.path.display(),
            self.problems.len()
        )?;
        for p in &self.problems {
            write!(f, "\n{}", self.line(p))?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

impl Position {
    pub fn of_offset(source: &str, offset: usize) -> Position {
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

/// Collects the problems of one file while it is validated.
pub struct Problems<'a> {
    source: &'a str,
    found: Vec<Problem>,
}

impl<'a> Problems<'a> {
    pub fn new(source: &'a str) -> Problems<'a> {
        Problems {
            source,
            found: Vec::new(),
        }
    }

    /// A problem at `span` (byte offsets into the source).
    pub fn at(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.found.push(Problem {
            position: Some(Position::of_offset(self.source, span.start)),
            message: message.into(),
        });
    }

    /// A problem at a span the parser may not know.
    pub fn near(&mut self, span: Option<Range<usize>>, message: impl Into<String>) {
        match span {
            Some(span) => self.at(span, message),
            None => self.found.push(Problem {
                position: None,
                message: message.into(),
            }),
        }
    }

    pub fn line_of(&self, offset: usize) -> usize {
        Position::of_offset(self.source, offset).line
    }

    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }

    /// `Ok` when nothing was found, else every problem in line order.
    pub fn check(self, path: &Path) -> Result<(), ConfigError> {
        if self.found.is_empty() {
            return Ok(());
        }
        Err(self.into_error(path))
    }

    /// The error of a file with at least one problem found.
    pub fn into_error(mut self, path: &Path) -> ConfigError {
        // Stable: two problems at one place keep the order they were found.
        self.found.sort_by_key(|p| p.position);
        ConfigError {
            path: path.to_path_buf(),
            problems: self.found,
        }
    }
}

/// A text value that must not be blank: `None`, with the problem noted
/// at its place, when it is.
pub(super) fn non_empty(
    value: Option<toml::Spanned<String>>,
    name: &str,
    problems: &mut Problems,
) -> Option<String> {
    let value = value?;
    if value.get_ref().trim().is_empty() {
        problems.at(value.span(), format!("{name} must not be empty"));
        return None;
    }
    Some(value.into_inner())
}
