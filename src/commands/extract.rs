//! `feedsift extract [--url URL] [--json] FILE...`: one page (or many) to
//! clean text, without touching the network or the database.

use std::io::{Read, Write};
use std::path::Path;

use serde::Serialize;
use url::Url;

use super::exit;
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
pub fn run(files: &[String], url: Option<&str>, json: bool) -> u8 {
    let url = match url.map(Url::parse).transpose() {
        Ok(u) => u,
        Err(e) => {
            eprintln!("feedsift extract: invalid --url: {e}");
            return exit::USAGE;
        }
    };
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
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("feedsift extract: cannot write output: {e}");
            }
            return exit::FAILURE;
        }
    }
    if out.flush().is_err() || failed {
        exit::FAILURE
    } else {
        exit::OK
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
