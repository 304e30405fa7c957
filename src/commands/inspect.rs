//! `feedsift inspect URL|FILE [--json]`: what feedsift sees in a feed.
//!
//! Users debug a misbehaving feed with it (which charset was chosen and why,
//! which repairs were needed, which entries came out), and the corpus
//! scorecard measures the parser through it. [`report`] is the pure part:
//! bytes in, a serialisable report out. A URL is fetched exactly as the
//! poller fetches a feed (same [`Fetcher`], settings from feeds.toml when
//! there is one), so what `inspect` shows is what `run` would get; the
//! HTTP facts (redirects, status, validators) are added to the report,
//! since they are half of what goes wrong with a feed.

use std::io::{Read, Write};
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use url::Url;

use super::error::{CliError, CliResult};
use super::{load_config, runtime};
use crate::config::Config;
use crate::encoding::{self, DocumentKind};
use crate::feed::{
    self, Enclosure, FeedEntry, FeedFormat, Image, KeySource, Link, ParsedFeed, Person, Tag,
    TextBlock,
};
use crate::fetch::{FetchOutcome, FetchSettings, Fetcher, Resource};

/// What `inspect` prints; `--json` prints exactly this.
#[derive(Debug, Clone, Serialize)]
pub struct InspectReport {
    /// The file or URL inspected.
    pub source: String,
    /// False when the document could not be parsed at all (see `error`).
    pub ok: bool,
    pub error: Option<String>,
    pub format: Option<FeedFormat>,
    pub charset: Option<String>,
    /// False when the document as sent is not well-formed XML (see
    /// `recovered` for what was repaired); null when it did not parse.
    pub well_formed: Option<bool>,
    /// Plain text.
    pub title: Option<String>,
    /// The title as the document gives it: markup, language, base.
    pub title_detail: Option<TextBlock>,
    /// The site's home page (the feed's alternate link).
    pub site_url: Option<String>,
    pub subtitle: Option<TextBlock>,
    pub language: Option<String>,
    pub updated: Option<String>,
    pub published: Option<String>,
    pub image: Option<Image>,
    pub authors: Vec<Person>,
    pub contributors: Vec<Person>,
    pub rights: Option<TextBlock>,
    pub tags: Vec<Tag>,
    pub links: Vec<Link>,
    pub id: Option<String>,
    /// The base URL the feed's relative links resolved against.
    pub base_url: Option<String>,
    /// Lower bound on the poll interval the feed asks for, in seconds.
    pub min_interval_secs: Option<u64>,
    /// `<item>`/`<entry>` elements in the document, to compare with the
    /// number of entries read.
    pub items_in_document: usize,
    pub entries: Vec<InspectEntry>,
    pub warnings: Vec<String>,
    pub recovered: Vec<String>,
    /// How the feed was served, when a URL was inspected.
    pub http: Option<HttpFacts>,
}

/// What the server said, for a URL.
#[derive(Debug, Clone, Serialize)]
pub struct HttpFacts {
    /// Where the document came from, after redirects.
    pub final_url: String,
    pub status: u16,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// `Cache-Control: max-age` or `Expires`, in seconds.
    pub fresh_for_secs: Option<u64>,
    pub remote_ip: Option<String>,
    pub redirects: Vec<HttpRedirect>,
    /// Set when every hop was permanent (301/308): the poller records this
    /// URL and polls it from then on.
    pub moved_permanently_to: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HttpRedirect {
    pub status: u16,
    pub from: String,
    pub to: String,
}

/// One entry: every field feedsift reads from it.
#[derive(Debug, Clone, Serialize)]
pub struct InspectEntry {
    pub key: String,
    /// Where the key came from: `id`, `link` or `hash`.
    pub key_source: KeySource,
    pub id: Option<String>,
    pub link: Option<String>,
    pub links: Vec<Link>,
    pub published: Option<String>,
    pub updated: Option<String>,
    /// Plain text.
    pub title: Option<String>,
    /// The title as the document gives it: markup, language, base.
    pub title_detail: Option<TextBlock>,
    /// The byline: the first author's name, else email.
    pub author: Option<String>,
    pub authors: Vec<Person>,
    pub contributors: Vec<Person>,
    pub summary: Option<TextBlock>,
    pub content: Option<TextBlock>,
    pub rights: Option<TextBlock>,
    pub tags: Vec<Tag>,
    pub enclosures: Vec<Enclosure>,
    pub comments: Option<String>,
    pub language: Option<String>,
    /// The base URL the entry's relative links resolved against.
    pub base: Option<String>,
}

impl From<FeedEntry> for InspectEntry {
    fn from(e: FeedEntry) -> Self {
        InspectEntry {
            key: e.key,
            key_source: e.key_source,
            id: e.id,
            link: e.link,
            links: e.links,
            published: rfc3339(e.published),
            updated: rfc3339(e.updated),
            title: e.title,
            title_detail: e.title_detail,
            author: e.author,
            authors: e.authors,
            contributors: e.contributors,
            summary: e.summary,
            content: e.content,
            rights: e.rights,
            tags: e.tags,
            enclosures: e.enclosures,
            comments: e.comments,
            language: e.language,
            base: e.base,
        }
    }
}

fn rfc3339(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// Parses `bytes` as feedsift's poller would and describes the result.
pub fn report(
    source: &str,
    bytes: &[u8],
    content_type: Option<&str>,
    base_url: Option<&Url>,
) -> InspectReport {
    let mut report = InspectReport {
        source: source.to_owned(),
        ok: false,
        error: None,
        format: None,
        charset: None,
        well_formed: None,
        title: None,
        title_detail: None,
        site_url: None,
        subtitle: None,
        language: None,
        updated: None,
        published: None,
        image: None,
        authors: Vec::new(),
        contributors: Vec::new(),
        rights: None,
        tags: Vec::new(),
        links: Vec::new(),
        id: None,
        base_url: None,
        min_interval_secs: None,
        items_in_document: 0,
        entries: Vec::new(),
        warnings: Vec::new(),
        recovered: Vec::new(),
        http: None,
    };
    match feed::parse(bytes, content_type, base_url) {
        Ok(parsed) => fill(&mut report, parsed),
        Err(e) => {
            // Still say how the bytes were read: a wrong charset is a
            // common reason a document does not parse.
            if !bytes.is_empty() {
                report.charset =
                    Some(encoding::decode(bytes, content_type, DocumentKind::Xml).describe());
            }
            report.error = Some(e.to_string());
        }
    }
    report
}

fn fill(report: &mut InspectReport, parsed: ParsedFeed) {
    report.ok = true;
    report.format = Some(parsed.format);
    report.charset = Some(parsed.charset);
    report.well_formed = Some(parsed.well_formed);
    report.title = parsed.title;
    report.site_url = parsed.site_url;
    let meta = parsed.meta;
    report.title_detail = meta.title_detail;
    report.subtitle = meta.subtitle;
    report.language = meta.language;
    report.updated = rfc3339(meta.updated);
    report.published = rfc3339(meta.published);
    report.image = meta.image;
    report.authors = meta.authors;
    report.contributors = meta.contributors;
    report.rights = meta.rights;
    report.tags = meta.tags;
    report.links = meta.links;
    report.id = meta.id;
    report.base_url = meta.base;
    report.min_interval_secs = parsed.min_interval.map(|d| d.as_secs());
    report.items_in_document = parsed.items_in_document;
    report.entries = parsed.entries.into_iter().map(InspectEntry::from).collect();
    report.warnings = parsed.warnings;
    report.recovered = parsed.recovered;
}

/// Runs the command. `target` is a file path, `-` for stdin, or a URL;
/// a URL is fetched with the settings of `config` when that file exists,
/// else with the defaults.
pub fn run(
    target: &str,
    json: bool,
    content_type: Option<&str>,
    base_url: Option<&str>,
    config: &Path,
) -> CliResult {
    let usage = |message: String| CliError::usage(message).within("inspect");
    let base_url = base_url
        .map(Url::parse)
        .transpose()
        .map_err(|e| usage(format!("invalid --base-url: {e}")))?;
    let report = if target.starts_with("http://") || target.starts_with("https://") {
        let url = Url::parse(target).map_err(|e| usage(format!("{target}: not a URL: {e}")))?;
        let settings = fetch_settings(config)?;
        let rt = runtime()?;
        rt.block_on(inspect_url(&url, settings, content_type, base_url.as_ref()))
    } else {
        let bytes = read_input(target).map_err(|e| usage(format!("{target}: {e}")))?;
        report(target, &bytes, content_type, base_url.as_ref())
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = if json {
        serde_json::to_writer_pretty(&mut out, &report)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        write_text(&mut out, &report)
    };
    written
        .and_then(|()| out.flush())
        .map_err(|e| CliError::runtime(format!("writing output: {e}")).within("inspect"))?;
    // The report says why.
    if report.ok {
        Ok(())
    } else {
        Err(CliError::reported())
    }
}

/// The fetch settings of feeds.toml when it exists (a broken one is a
/// usage error, as for every command), else the defaults.
fn fetch_settings(config: &Path) -> Result<FetchSettings, CliError> {
    let config = if config.exists() {
        load_config(config, None)?
    } else {
        Config::parse(config, "").map_err(|e| CliError::runtime(e).within("inspect"))?
    };
    Ok(FetchSettings::from_config(&config.settings))
}

/// Fetches `url` as the poller fetches a feed and reports on it. An
/// explicit `content_type` or `base_url` overrides what the server said.
pub async fn inspect_url(
    url: &Url,
    settings: FetchSettings,
    content_type: Option<&str>,
    base_url: Option<&Url>,
) -> InspectReport {
    let failed = |error: String| {
        let mut r = report(url.as_str(), &[], None, None);
        r.error = Some(error);
        r
    };
    let fetcher = match Fetcher::new(settings, None) {
        Ok(f) => f,
        Err(e) => return failed(e.to_string()),
    };
    let fetched = match fetcher.fetch(url, Resource::Feed, None).await {
        Ok(FetchOutcome::Fetched(f)) => f,
        Ok(FetchOutcome::NotModified { .. }) => {
            return failed("HTTP 304 to an unconditional request".into());
        }
        Err(e) => return failed(e.to_string()),
    };
    let content_type = content_type.or(fetched.content_type.as_deref());
    let base = base_url.unwrap_or(&fetched.final_url);
    let mut r = report(url.as_str(), &fetched.body, content_type, Some(base));
    r.http = Some(HttpFacts {
        final_url: fetched.final_url.to_string(),
        status: fetched.status,
        content_type: fetched.content_type.clone(),
        etag: fetched.validators.etag.clone(),
        last_modified: fetched.validators.last_modified.clone(),
        fresh_for_secs: fetched.fresh_for.map(|d| d.as_secs()),
        remote_ip: fetched.remote_ip.map(|ip| ip.to_string()),
        redirects: fetched
            .redirects
            .iter()
            .map(|h| HttpRedirect {
                status: h.status,
                from: h.from.to_string(),
                to: h.to.to_string(),
            })
            .collect(),
        moved_permanently_to: fetched.moved_to.as_ref().map(Url::to_string),
    });
    r
}

fn read_input(target: &str) -> std::io::Result<Vec<u8>> {
    if target == "-" {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes)?;
        Ok(bytes)
    } else {
        std::fs::read(target)
    }
}

const NONE: &str = "-";

fn write_text(out: &mut impl Write, r: &InspectReport) -> std::io::Result<()> {
    writeln!(out, "source:    {}", r.source)?;
    if let Some(error) = &r.error {
        writeln!(out, "error:     {error}")?;
    }
    if let Some(http) = &r.http {
        write_http(out, http)?;
    }
    write_feed(out, r)?;
    for (label, list) in [("recovered", &r.recovered), ("warnings", &r.warnings)] {
        if !list.is_empty() {
            writeln!(out, "{label}:")?;
            for line in list {
                writeln!(out, "  - {line}")?;
            }
        }
    }
    for (i, e) in r.entries.iter().enumerate() {
        writeln!(out)?;
        write_entry(out, i + 1, e)?;
    }
    Ok(())
}

fn write_http(out: &mut impl Write, http: &HttpFacts) -> std::io::Result<()> {
    for hop in &http.redirects {
        writeln!(out, "redirect:  {} {} -> {}", hop.status, hop.from, hop.to)?;
    }
    if let Some(moved) = &http.moved_permanently_to {
        writeln!(
            out,
            "moved:     {moved} (permanent; polled there from now on)"
        )?;
    }
    writeln!(out, "final URL: {}", http.final_url)?;
    writeln!(out, "status:    {}", http.status)?;
    let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| NONE.to_string());
    writeln!(out, "type:      {}", shown(&http.content_type))?;
    writeln!(out, "etag:      {}", shown(&http.etag))?;
    writeln!(out, "modified:  {}", shown(&http.last_modified))?;
    if let Some(secs) = http.fresh_for_secs {
        writeln!(out, "fresh for: {secs} s (Cache-Control / Expires)")?;
    }
    Ok(())
}

fn write_feed(out: &mut impl Write, r: &InspectReport) -> std::io::Result<()> {
    let format = r
        .format
        .and_then(|f| serde_json::to_value(f).ok())
        .and_then(|v| v.as_str().map(str::to_owned));
    writeln!(out, "format:    {}", format.as_deref().unwrap_or(NONE))?;
    writeln!(out, "charset:   {}", r.charset.as_deref().unwrap_or(NONE))?;
    if r.well_formed == Some(false) {
        writeln!(out, "syntax:    not well-formed as sent (see recovered)")?;
    }
    writeln!(out, "title:     {}", r.title.as_deref().unwrap_or(NONE))?;
    writeln!(out, "site:      {}", r.site_url.as_deref().unwrap_or(NONE))?;
    if let Some(language) = &r.language {
        writeln!(out, "language:  {language}")?;
    }
    if let Some(updated) = r.updated.as_deref().or(r.published.as_deref()) {
        writeln!(out, "updated:   {updated}")?;
    }
    if let Some(authors) = people(&r.authors) {
        writeln!(out, "authors:   {authors}")?;
    }
    if let Some(secs) = r.min_interval_secs {
        writeln!(out, "interval:  at least {secs} s (ttl / sy:updatePeriod)")?;
    }
    writeln!(
        out,
        "entries:   {} ({} <item>/<entry> in the document)",
        r.entries.len(),
        r.items_in_document
    )
}

fn write_entry(out: &mut impl Write, n: usize, e: &InspectEntry) -> std::io::Result<()> {
    writeln!(
        out,
        "{n:>3}. {}",
        e.title.as_deref().unwrap_or("(no title)")
    )?;
    let source = serde_json::to_value(e.key_source)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    writeln!(out, "     key:  {} (from {source})", e.key)?;
    writeln!(out, "     link: {}", e.link.as_deref().unwrap_or(NONE))?;
    let date = e
        .published
        .as_deref()
        .or(e.updated.as_deref())
        .unwrap_or(NONE);
    writeln!(out, "     date: {date}")?;
    if let Some(authors) = people(&e.authors) {
        writeln!(out, "     by:   {authors}")?;
    }
    let text = |b: &Option<TextBlock>| {
        b.as_ref()
            .map(|b| format!("{} ({} bytes)", b.media_type, b.value.len()))
    };
    if let Some(content) = text(&e.content).or_else(|| text(&e.summary)) {
        writeln!(out, "     text: {content}")?;
    }
    for enclosure in &e.enclosures {
        let kind = enclosure.media_type.as_deref().unwrap_or(NONE);
        writeln!(out, "     file: {} ({kind})", enclosure.url)?;
    }
    if !e.tags.is_empty() {
        let terms: Vec<&str> = e.tags.iter().map(|t| t.term.as_str()).collect();
        writeln!(out, "     tags: {}", terms.join(", "))?;
    }
    Ok(())
}

/// People as a byline: "Jane Doe, me@example.org".
fn people(list: &[Person]) -> Option<String> {
    let names: Vec<&str> = list.iter().filter_map(Person::display).collect();
    (!names.is_empty()).then(|| names.join(", "))
}
