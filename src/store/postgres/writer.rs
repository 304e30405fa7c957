//! The PostgreSQL side of the writer thread ([`crate::store::writer`]).
//!
//! As on SQLite, a batch of commands commits in one transaction, each
//! command in its own savepoint. What differs is that other nodes write to
//! the same database: every batch first takes the cluster's writing lock
//! (a transaction-scoped advisory lock), then catches its stories' index up
//! with what other nodes stored ([`super::stories::catch_up`]). Writers are
//! serialized anyway by `change_seq` (numbers must commit in order), so
//! one lock taken before the look-ups costs no concurrency and settles the
//! race of two nodes placing copies of one story at once: the second waits,
//! then sees the first's row. Fetching, parsing and extracting (the work)
//! stay parallel across nodes; only the commits queue.

use chrono::Utc;

use super::apply::{apply_entries, apply_poll, save_robots, sync_feeds};
use super::db::{Conn, Db};
use super::stories::{catch_up, current_cursor};
use crate::dedup::stories::Stories;
use crate::store::retention::{Outcome, PURGE_BATCH, Step};
use crate::store::writer::{Backend, Command, Reply, WriteError, WriterHealth, shared};
use crate::store::{StoreError, timestamp};

pub struct PgWriter {
    url: String,
    conn: Option<Conn>,
    stories: Stories,
    /// The index holds every story up to this change number.
    cursor: i64,
    /// This node's name in `feeds.lease_owner`.
    node: String,
}

impl PgWriter {
    /// Opens the writing connection (migrating the schema) and loads the
    /// stories' index of the last `window_days`.
    pub fn open(url: &str, window_days: u32, node: String) -> Result<PgWriter, StoreError> {
        let mut conn = Conn::new(super::open_writer(url)?);
        let mut tx = conn.client.transaction()?;
        let (stories, cursor) =
            super::stories::load(&mut Db::new(&mut tx, &mut conn.statements), window_days)?;
        tx.commit()?;
        Ok(PgWriter {
            url: url.to_string(),
            conn: Some(conn),
            stories,
            cursor,
            node,
        })
    }

    /// The connection, reopened when the server dropped it.
    fn conn(&mut self) -> Result<&mut Conn, StoreError> {
        if self.conn.as_ref().is_none_or(|c| c.client.is_closed()) {
            self.conn = None;
            self.conn = Some(Conn::new(super::connect(&self.url)?));
        }
        self.conn.as_mut().ok_or(StoreError::WriterGone)
    }
}

impl Backend for PgWriter {
    fn apply_batch(
        &mut self,
        batch: Vec<Command>,
        health: &WriterHealth,
    ) -> Result<(), WriteError> {
        if let Err(e) = self.conn() {
            let e = WriteError::commit(e);
            answer_all(batch, &e);
            return Err(e);
        }
        let PgWriter {
            conn,
            stories,
            cursor,
            node,
            ..
        } = self;
        let Some(conn) = conn.as_mut() else {
            let e = WriteError::commit(StoreError::WriterGone);
            answer_all(batch, &e);
            return Err(e);
        };
        let mut replies = Vec::with_capacity(batch.len());
        let mut retention = Vec::new();
        let committed = (|| -> Result<i64, postgres::Error> {
            let mut tx = conn.client.transaction()?;
            let mut db = Db::new(&mut tx, &mut conn.statements);
            db.take_write_lock()?;
            catch_up(&mut db, stories, *cursor)?;
            for cmd in batch {
                health.progress();
                match cmd {
                    Command::Poll(poll, reply) => {
                        let own = db.savepoint(|sp| apply_poll(sp, stories, &poll, node));
                        log_rejected(&own);
                        Reply::Poll(reply, own.map_err(shared)).push(&mut replies);
                    }
                    Command::Entries(batch, reply) => {
                        let own = db.savepoint(|sp| {
                            apply_entries(
                                sp,
                                stories,
                                batch.feed_id,
                                batch.polled_at,
                                &batch.entries,
                            )
                        });
                        log_rejected(&own);
                        Reply::Poll(reply, own.map_err(shared)).push(&mut replies);
                    }
                    Command::SaveRobots(origin, robots) => {
                        if let Err(e) = db.savepoint(|sp| save_robots(sp, &origin, &robots)) {
                            tracing::warn!(%origin, error = %e, "robots.txt not cached");
                        }
                    }
                    Command::SyncFeeds(feeds, reply) => {
                        let own = db.savepoint(|sp| sync_feeds(sp, &feeds));
                        Reply::Sync(reply, own.map_err(shared)).push(&mut replies);
                    }
                    Command::Retain(step, reply) => retention.push((step, reply)),
                }
            }
            health.progress();
            let cursor = current_cursor(&mut db)?;
            tx.commit()?;
            Ok(cursor)
        })();
        let commit = match committed {
            Ok(committed_up_to) => {
                *cursor = committed_up_to;
                Ok(())
            }
            Err(e) => {
                tracing::error!(error = %e, "database commit failed; its polls will be redone");
                Err(WriteError::commit(e))
            }
        };
        for reply in replies {
            reply.send(&commit);
        }
        for (step, reply) in retention {
            health.progress();
            let outcome = self
                .conn()
                .and_then(|c| Ok(retain(&mut c.client, &step)?))
                .map_err(WriteError::commit);
            let _ = reply.send(outcome);
        }
        commit
    }
}

fn log_rejected<T>(own: &Result<T, postgres::Error>) {
    if let Err(e) = own {
        tracing::error!(error = %e, "database write failed; its poll will be redone");
    }
}

/// Answers every sender of a batch that could not even start.
fn answer_all(batch: Vec<Command>, e: &WriteError) {
    for cmd in batch {
        match cmd {
            Command::Poll(_, reply) | Command::Entries(_, reply) => {
                let _ = reply.send(Err(e.clone()));
            }
            Command::SyncFeeds(_, reply) => {
                let _ = reply.send(Err(e.clone()));
            }
            Command::Retain(_, reply) => {
                let _ = reply.send(Err(e.clone()));
            }
            Command::SaveRobots(..) => {}
        }
    }
}

/// A retention step on PostgreSQL: purging is the same statement as on
/// SQLite; freed space is the server's business (autovacuum), so the
/// vacuum steps have nothing to do.
fn retain(client: &mut postgres::Client, step: &Step) -> Result<Outcome, postgres::Error> {
    match step {
        Step::Purge { cutoff } => {
            let n = client.execute(
                // The Markdown is the text again: it goes with it.
                "UPDATE articles SET text = NULL, markdown = NULL, purged_at = $1
                 WHERE id IN (SELECT id FROM articles WHERE text IS NOT NULL AND created_at < $2
                              ORDER BY created_at LIMIT $3)",
                &[
                    &timestamp(Utc::now()),
                    &timestamp(*cutoff),
                    &(PURGE_BATCH as i64),
                ],
            )?;
            // Claims are only needed while nodes poll the same pages at
            // about the same time; a day later they are history.
            client.execute(
                "DELETE FROM page_claims WHERE until < now() - interval '1 day'",
                &[],
            )?;
            Ok(Outcome::Purged(usize::try_from(n).unwrap_or(usize::MAX)))
        }
        Step::EnableIncrementalVacuum => Ok(Outcome::AlreadyIncremental),
        Step::Vacuum => Ok(Outcome::Vacuumed(0)),
    }
}
