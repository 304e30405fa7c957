//! `feedsift extract [--url URL] [--json] [--markdown] FILE|URL...`: one
//! page (or many) to clean text. Saved files are read without touching the
//! network; an http(s) URL is fetched as the daemon fetches an article page
//! (see [`fetch_url`]). Nothing is written to the database.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;
use url::Url;

use super::error::{CliError, CliResult};
use super::{load_config, runtime};
use crate::config::{Config, FeedConfig};
use crate::dedup::fingerprint::Profile;
use crate::encoding::{self, DocumentKind};
use crate::extract::{self, Extracted, PageContext};
use crate::fetch::options::same_origin;
use crate::fetch::{FetchSettings, Fetcher, RequestOptions};
use crate::poll::pages::{self, PageError, PageOk};

#[derive(Serialize)]
struct JsonLine<'a> {
    path: &'a str,
    url: Option<&'a str>,
    title: Option<&'a str>,
    byline: Option<&'a str>,
    published: Option<String>,
    lang: Option<&'a str>,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    markdown: Option<&'a str>,
    status: &'a str,
}

/// A fetched page as `--json` prints it: the article fields of `export`'s
/// shape (what only the database knows — ids, `change_seq`, sources — is
/// left out).
#[derive(Serialize)]
struct FetchedJson<'a> {
    url: &'a str,
    canonical_url: &'a str,
    title: Option<&'a str>,
    byline: Option<&'a str>,
    published_at: Option<String>,
    modified_at: Option<String>,
    fetched_at: String,
    lang: Option<&'a str>,
    site_name: Option<&'a str>,
    description: Option<&'a str>,
    image_url: Option<&'a str>,
    word_count: u32,
    extract_status: &'a str,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    markdown: Option<&'a str>,
}

/// An input that is a web address rather than a file: an http(s) URL
/// that names no existing file.
fn as_web_url(input: &str) -> Option<Url> {
    let url = Url::parse(input).ok()?;
    (matches!(url.scheme(), "http" | "https") && !Path::new(input).exists()).then_some(url)
}

/// Runs the command; `inputs` may contain `-` for stdin and http(s) URLs.
/// Inputs that cannot be read or fetched are reported as they come; the
/// others are still extracted, and the command fails at the end.
pub fn run(
    config_path: &Path,
    inputs: &[String],
    url: Option<&str>,
    json: bool,
    markdown: bool,
) -> CliResult {
    let url = url
        .map(Url::parse)
        .transpose()
        .map_err(|e| CliError::usage(format!("invalid --url: {e}")).within("extract"))?;
    let json = json || inputs.len() > 1;
    let web: Vec<Option<Url>> = inputs.iter().map(|i| as_web_url(i)).collect();
    let fetching = match web.iter().any(Option::is_some) {
        true => Some(Fetching::new(config_path, markdown)?),
        false => None,
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = false;
    for (file, web) in inputs.iter().zip(web) {
        if let (Some(page_url), Some(fetching)) = (web, &fetching) {
            let written = match fetching.page(&page_url) {
                Ok(page) => write_fetched(&mut out, &page, json),
                Err(e) => {
                    eprintln!("feedsift extract: {page_url}: {e}");
                    failed = true;
                    continue;
                }
            };
            if let Err(e) = written {
                return Err(write_failed(e));
            }
            continue;
        }
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
            markdown,
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
                markdown: article.markdown.as_deref(),
                status: article.status.as_str(),
            };
            serde_json::to_writer(&mut out, &line)
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"))
        } else {
            let shown = match &article.markdown {
                Some(md) => md,
                None => &article.text,
            };
            writeln!(out, "{shown}")
        };
        if let Err(e) = written {
            return Err(write_failed(e));
        }
    }
    if out.flush().is_err() || failed {
        Err(CliError::reported())
    } else {
        Ok(())
    }
}

fn write_failed(e: std::io::Error) -> CliError {
    // A closed pipe (e.g. `| head`) is not worth a message.
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        CliError::reported()
    } else {
        CliError::runtime(format!("cannot write output: {e}")).within("extract")
    }
}

/// What fetching a URL needs: feeds.toml's settings and feeds (the
/// defaults when there is no feeds.toml), a runtime and the daemon's HTTP
/// client.
struct Fetching {
    config: Config,
    markdown: bool,
    rt: tokio::runtime::Runtime,
    fetcher: Arc<Fetcher>,
}

impl Fetching {
    fn new(config_path: &Path, markdown: bool) -> Result<Fetching, CliError> {
        let config = if config_path.exists() {
            load_config(config_path, None)?
        } else {
            Config::parse(config_path, "").map_err(|e| CliError::runtime(e).within("extract"))?
        };
        let settings = FetchSettings::from_config(&config.settings);
        // robots.txt is asked afresh (no database): a one-off fetch must
        // not write to the daemon's database.
        let fetcher =
            Fetcher::new(settings, None).map_err(|e| CliError::runtime(e).within("extract"))?;
        Ok(Fetching {
            config,
            markdown,
            rt: runtime()?,
            fetcher: Arc::new(fetcher),
        })
    }

    /// Fetches and extracts `url` as the daemon does an article page: its
    /// fetcher (caps, politeness, robots.txt, redirects), and, when a feed
    /// of feeds.toml lives on the page's origin, that feed's request
    /// options and `[feed.extract]` rules. The URL was typed by the
    /// operator, so like a feed in feeds.toml it may be on the LAN.
    fn page(&self, url: &Url) -> Result<PageOk, String> {
        let feed = origin_feed(&self.config.feeds, url);
        let options = feed
            .filter(|f| !f.http.is_empty())
            .map(RequestOptions::for_feed)
            .transpose()?;
        let rules = feed.and_then(|f| f.extract.clone());
        let fetch = pages::fetch_page(
            self.fetcher.clone(),
            url.clone(),
            true,
            rules,
            options,
            self.markdown,
        );
        self.rt.block_on(fetch).map_err(|e| match e {
            PageError::Fetch(e) => e.to_string(),
            PageError::Extract(e) => format!("extraction failed: {e}"),
        })
    }
}

/// The first feed of feeds.toml on `url`'s origin.
fn origin_feed<'c>(feeds: &'c [FeedConfig], url: &Url) -> Option<&'c FeedConfig> {
    feeds.iter().find(|f| same_origin(&f.url, url))
}

fn write_fetched(out: &mut impl Write, page: &PageOk, json: bool) -> std::io::Result<()> {
    let a: &Extracted = &page.extracted;
    if !json {
        return writeln!(out, "{}", a.markdown.as_deref().unwrap_or(&a.text));
    }
    let time =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let line = FetchedJson {
        url: page.final_url.as_str(),
        canonical_url: a
            .canonical_url
            .as_deref()
            .unwrap_or(page.final_url.as_str()),
        title: a.title.as_deref(),
        byline: a.byline.as_deref(),
        published_at: a.published.map(time),
        modified_at: a.modified.map(time),
        fetched_at: time(page.fetched_at),
        lang: a.lang.as_deref(),
        site_name: a.site_name.as_deref(),
        description: a.description.as_deref(),
        image_url: a.image_url.as_deref(),
        word_count: Profile::of(&a.text).fingerprint.word_count,
        extract_status: a.status.as_str(),
        text: &a.text,
        markdown: a.markdown.as_deref(),
    };
    serde_json::to_writer(&mut *out, &line)?;
    out.write_all(b"\n")
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
