//! `feedsift search QUERY [--limit N] [--json] [--literal]`: full-text
//! search over stored stories.
//!
//! The query is FTS5's own syntax (words, "phrases", AND/OR/NOT, prefix*,
//! `title:word`), so what works here works in `sqlite3` and Datasette too.
//! Text a person types is often not valid FTS5 (`covid-19`, `U.S.`,
//! `don't`): the parser's error is shown with the exact command that
//! searches the words literally, rather than silently searching something
//! else than what was typed.

use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::Path;

use super::error::{CliError, CliResult};
use super::read_only;
use crate::store::query::{self, Highlight, SearchError, SearchHit};

/// Matched terms in a terminal: bold on, bold off (not a full reset, so the
/// rest of the line keeps whatever style it had).
const TERMINAL_HIGHLIGHT: Highlight<'static> = Highlight {
    open: "\x1b[1m",
    close: "\x1b[22m",
};
/// Matched terms when the output is piped: plain-text markers.
const PLAIN_HIGHLIGHT: Highlight<'static> = Highlight {
    open: "**",
    close: "**",
};

pub struct Options {
    pub limit: usize,
    pub json: bool,
    /// Quote every term: no operators, every character literal.
    pub literal: bool,
}

pub fn run(config_path: &Path, db: Option<&Path>, words: &[String], opts: &Options) -> CliResult {
    let typed = words.join(" ");
    if typed.trim().is_empty() {
        return Err(CliError::usage("the search query is empty"));
    }
    let query = if opts.literal {
        query::literal_query(&typed)
    } else {
        typed.clone()
    };
    let mut conn = read_only::open_for_reading(config_path, db, read_only::READING)?;
    let highlight = if opts.json {
        Highlight::NONE
    } else if std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        TERMINAL_HIGHLIGHT
    } else {
        PLAIN_HIGHLIGHT
    };
    let hits = match conn.search(&query, opts.limit, highlight) {
        Ok(hits) => hits,
        Err(SearchError::Syntax(message)) => {
            return Err(CliError::usage(format!(
                "the query is not valid FTS5 syntax ({message}).\n\
                 To search for the words as written, run:\n  \
                 feedsift search --literal {}\n\
                 Syntax: words, \"exact phrases\", AND / OR / NOT, prefix*, title:word.",
                shell_quote(&typed)
            )));
        }
        Err(SearchError::Store(e)) => {
            return Err(CliError::runtime(format!("search failed: {e}")));
        }
    };
    if hits.is_empty() {
        eprintln!("no stories match {typed:?}");
        return Ok(());
    }
    let out = if opts.json {
        json_lines(&hits)
    } else {
        Ok(list(&hits))
    };
    match out {
        Ok(text) => read_only::print(&text),
        Err(e) => Err(CliError::runtime(format!("cannot encode the results: {e}"))),
    }
}

/// One JSON object per story, best first.
fn json_lines(hits: &[SearchHit]) -> Result<String, serde_json::Error> {
    let mut out = String::new();
    for (rank, hit) in hits.iter().enumerate() {
        let mut value = serde_json::to_value(hit)?;
        if let Some(obj) = value.as_object_mut() {
            obj.insert("rank".into(), (rank + 1).into());
        }
        out.push_str(&serde_json::to_string(&value)?);
        out.push('\n');
    }
    Ok(out)
}

/// Numbered results: title, a line of where and when, the snippet.
fn list(hits: &[SearchHit]) -> String {
    let mut out = String::new();
    let number_width = hits.len().to_string().len();
    for (rank, hit) in hits.iter().enumerate() {
        let indent = " ".repeat(number_width + 2);
        let _ = writeln!(
            out,
            "{:>number_width$}. {}",
            rank + 1,
            hit.title.as_deref().unwrap_or("(untitled)")
        );
        let mut about: Vec<String> = Vec::new();
        if let Some(day) = hit.published_at.as_deref().and_then(|p| p.get(..10)) {
            about.push(day.to_string());
        }
        if let Some(site) = &hit.site_name {
            about.push(site.clone());
        }
        about.push(hit.url.clone());
        match hit.copies {
            0 => {}
            1 => about.push("+1 copy".into()),
            n => about.push(format!("+{n} copies")),
        }
        if hit.purged_at.is_some() {
            about.push("text purged".into());
        }
        let _ = writeln!(out, "{indent}{}", about.join(" · "));
        let snippet = hit.snippet.split_whitespace().collect::<Vec<_>>().join(" ");
        if !snippet.is_empty() {
            let _ = writeln!(out, "{indent}{snippet}");
        }
        out.push('\n');
    }
    out
}

/// `s` as one POSIX shell word.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_survives_apostrophes() {
        assert_eq!(shell_quote("don't panic"), r"'don'\''t panic'");
    }
}
