//! `feedsift extract [--url URL] [--json] FILE...`: one page (or many) to
//! clean text, without touching the network or the database.

use std::io::{Read, Write};
use std::path::Path;

use serde::Serialize;
use url::Url;

use super::error::{CliError, CliResult};
use crate::encoding::{self, DocumentKind};
use crate::extract::{self, PageContext};

#[derive(Serialize)]
struct JsonLine<'a> {
    path: &'a str,
    url: Option<&'a str>,
    title: Option<&'a str>,
    byline: Option<&'a str>,
    published: Option<String>,
    lang: Option<&'a str>,
    text: &'a str,
    status: &'a str,
}

/// Runs the command; `files` may contain `-` for stdin.
/// Files that cannot be read are reported as they come; the others are
/// still extracted, and the command fails at the end.
pub fn run(files: &[String], url: Option<&str>, json: bool) -> CliResult {
    let url = url
        .map(Url::parse)
        .transpose()
        .map_err(|e| CliError::usage(format!("invalid --url: {e}")).within("extract"))?;
    let json = json || files.len() > 1;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = false;
    for file in files {
        let bytes = match read_input(file) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("feedsift extract: {file}: {e}");
                failed = true;
                continue;
            }
        };
        let decoded = encoding::decode(&bytes, None, DocumentKind::Html);
        let ctx = PageContext {
            url: url.as_ref(),
            rules: None,
        };
        let article = extract::extract(&decoded.text, &ctx);
        let written = if json {
            let line = JsonLine {
                path: file,
                url: url.as_ref().map(Url::as_str),
                title: article.title.as_deref(),
                byline: article.byline.as_deref(),
                published: article
                    .published
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                lang: article.lang.as_deref(),
                text: &article.text,
                status: article.status.as_str(),
            };
            serde_json::to_writer(&mut out, &line)
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"))
        } else {
            writeln!(out, "{}", article.text)
        };
        if let Err(e) = written {
            // A closed pipe (e.g. `| head`) is not worth a message.
            return Err(if e.kind() == std::io::ErrorKind::BrokenPipe {
                CliError::reported()
            } else {
                CliError::runtime(format!("cannot write output: {e}")).within("extract")
            });
        }
    }
    if out.flush().is_err() || failed {
        Err(CliError::reported())
    } else {
        Ok(())
    }
}

fn read_input(file: &str) -> std::io::Result<Vec<u8>> {
    if file == "-" {
        let mut buf = Vec::new();
        std::io::stdin().lock().read_to_end(&mut buf)?;
        Ok(buf)
    } else {
        std::fs::read(Path::new(file))
    }
}
