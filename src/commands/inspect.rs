//! `feedsift inspect URL|FILE [--json]`: what feedsift sees in a feed.
//!
//! Users debug a misbehaving feed with it (which charset was chosen and why,
//! which repairs were needed, which entries came out), and the corpus
//! scorecard measures the parser through it. [`report`] is the pure part:
//! bytes in, a serialisable report out, so the fetch layer can hand it the
//! bytes and content type of a URL.

use std::io::{Read, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use url::Url;

use super::exit;
use crate::encoding::{self, DocumentKind};
use crate::feed::{self, FeedFormat, ParsedFeed};

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
    pub title: Option<String>,
    pub site_url: Option<String>,
    /// Lower bound on the poll interval the feed asks for, in seconds.
    pub min_interval_secs: Option<u64>,
    /// `<item>`/`<entry>` elements in the document, to compare with the
    /// number of entries read.
    pub items_in_document: usize,
    pub entries: Vec<InspectEntry>,
    pub warnings: Vec<String>,
    pub recovered: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InspectEntry {
    pub key: String,
    pub link: Option<String>,
    pub published: Option<String>,
    pub updated: Option<String>,
    pub title: Option<String>,
    pub author: Option<String>,
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
        title: None,
        site_url: None,
        min_interval_secs: None,
        items_in_document: 0,
        entries: Vec::new(),
        warnings: Vec::new(),
        recovered: Vec::new(),
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
    report.title = parsed.title;
    report.site_url = parsed.site_url;
    report.min_interval_secs = parsed.min_interval.map(|d| d.as_secs());
    report.items_in_document = parsed.items_in_document;
    report.entries = parsed
        .entries
        .into_iter()
        .map(|e| InspectEntry {
            key: e.key,
            link: e.link,
            published: rfc3339(e.published),
            updated: rfc3339(e.updated),
            title: e.title,
            author: e.author,
        })
        .collect();
    report.warnings = parsed.warnings;
    report.recovered = parsed.recovered;
}

/// Runs the command. `target` is a file path, `-` for stdin, or a URL.
pub fn run(target: &str, json: bool, content_type: Option<&str>, base_url: Option<&str>) -> u8 {
    if target.starts_with("http://") || target.starts_with("https://") {
        eprintln!(
            "feedsift inspect: fetching URLs is not supported yet; save the feed to a file and inspect the file"
        );
        return exit::USAGE;
    }
    let base_url = match base_url.map(Url::parse).transpose() {
        Ok(u) => u,
        Err(e) => {
            eprintln!("feedsift inspect: invalid --base-url: {e}");
            return exit::USAGE;
        }
    };
    let bytes = match read_input(target) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("feedsift inspect: {target}: {e}");
            return exit::USAGE;
        }
    };
    let report = report(target, &bytes, content_type, base_url.as_ref());
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = if json {
        serde_json::to_writer_pretty(&mut out, &report)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        write_text(&mut out, &report)
    };
    if let Err(e) = written.and_then(|()| out.flush()) {
        eprintln!("feedsift inspect: writing output: {e}");
        return exit::FAILURE;
    }
    if report.ok { exit::OK } else { exit::FAILURE }
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

fn write_text(out: &mut impl Write, r: &InspectReport) -> std::io::Result<()> {
    let none = "-";
    writeln!(out, "source:    {}", r.source)?;
    if let Some(error) = &r.error {
        writeln!(out, "error:     {error}")?;
    }
    let format = r
        .format
        .and_then(|f| serde_json::to_value(f).ok())
        .and_then(|v| v.as_str().map(str::to_owned));
    writeln!(out, "format:    {}", format.as_deref().unwrap_or(none))?;
    writeln!(out, "charset:   {}", r.charset.as_deref().unwrap_or(none))?;
    writeln!(out, "title:     {}", r.title.as_deref().unwrap_or(none))?;
    writeln!(out, "site:      {}", r.site_url.as_deref().unwrap_or(none))?;
    if let Some(secs) = r.min_interval_secs {
        writeln!(out, "interval:  at least {secs} s (ttl / sy:updatePeriod)")?;
    }
    writeln!(
        out,
        "entries:   {} ({} <item>/<entry> in the document)",
        r.entries.len(),
        r.items_in_document
    )?;
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
        writeln!(
            out,
            "{:>3}. {}",
            i + 1,
            e.title.as_deref().unwrap_or("(no title)")
        )?;
        writeln!(out, "     key:  {}", e.key)?;
        writeln!(out, "     link: {}", e.link.as_deref().unwrap_or(none))?;
        let date = e
            .published
            .as_deref()
            .or(e.updated.as_deref())
            .unwrap_or(none);
        writeln!(out, "     date: {date}")?;
    }
    Ok(())
}
