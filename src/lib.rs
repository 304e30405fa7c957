//! feedsift: a feed aggregator daemon.
//!
//! The pipeline is the architecture, one module per stage:
//!
//! ```text
//! config -> fetch -> feed -> extract -> dedup -> store
//! ```
//!
//! with [`daemon`] (scheduler, poller, signals, systemd) around it and
//! [`commands`] holding what each CLI subcommand does. The middle stages
//! ([`feed`], [`extract`], [`dedup`], [`encoding`]) are pure functions on
//! plain data; HTTP lives in [`fetch`] and SQLite in [`store`].

pub mod commands;
pub mod config;
pub mod daemon;
pub mod dedup;
pub mod encoding;
pub mod extract;
pub mod feed;
pub mod fetch;
pub mod filter;
pub mod store;
