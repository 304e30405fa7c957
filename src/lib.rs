//! feedsift: a feed aggregator daemon.
//!
//! The pipeline is the architecture, one module per stage:
//!
//! ```text
//! feeds.toml -> daemon (scheduler) or poll --all
//!                 `-> poll of one feed: fetch -> feed -> extract -> dedup -> store
//! ```
//!
//! | module | what |
//! | --- | --- |
//! | [`config`] | feeds.toml types, validation, editing, OPML |
//! | [`model`] | the data that crosses stages; states as enums |
//! | [`fetch`] | HTTP for feeds, pages and robots.txt |
//! | [`encoding`] | charset detection and decoding |
//! | [`feed`] | feed parsing, with repairs for broken feeds |
//! | [`extract`] | the article text and metadata of a page |
//! | [`dedup`] | canonical URLs, fingerprints, the duplicate decision |
//! | [`store`] | SQLite (or PostgreSQL): migrations, the writer, reads and queries |
//! | [`poll`] | the poll of one feed: pure plan, thin I/O |
//! | [`filter`] | per-feed include/exclude rules on entries |
//! | [`metrics`] | process-wide counters |
//! | [`daemon`] | the service: scheduler, reload, systemd, metrics endpoint |
//! | [`webhook`] | new stories POSTed to receivers after each commit |
//! | [`commands`] | the CLI subcommands |
//!
//! The middle stages ([`feed`], [`extract`], [`dedup`], [`encoding`]) and
//! the poll's decisions ([`poll::plan`], [`poll::entries`]) are pure
//! functions on plain data; HTTP lives in [`fetch`] and SQLite in [`store`].

pub mod commands;
pub mod config;
pub mod daemon;
pub mod dedup;
pub mod encoding;
pub mod extract;
pub mod feed;
pub mod fetch;
pub mod filter;
pub mod metrics;
pub mod model;
pub mod poll;
pub mod store;
pub mod webhook;

/// An error with its causes: some crates' own message is only the outer
/// step ("error sending request", "error performing TLS handshake").
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
