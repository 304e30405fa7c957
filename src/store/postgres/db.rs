//! A transaction with the connection's prepared statements: each SQL text
//! is prepared once per connection, so a statement costs one round trip.

use std::collections::HashMap;

use postgres::types::ToSql;
use postgres::{Client, Row, Statement, Transaction};

/// Statements prepared on one connection, by their SQL text.
#[derive(Default)]
pub struct Statements(HashMap<String, Statement>);

/// A connection and its prepared statements, which die with it.
pub struct Conn {
    pub client: Client,
    pub statements: Statements,
}

impl Conn {
    pub fn new(client: Client) -> Conn {
        Conn {
            client,
            statements: Statements::default(),
        }
    }

    fn statement(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(s) = self.statements.0.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql)?;
        self.statements.0.insert(sql.to_string(), s.clone());
        Ok(s)
    }

    /// A query outside any transaction, on a prepared statement.
    pub fn query(&mut self, sql: &str, params: Params) -> Result<Vec<Row>, postgres::Error> {
        let s = self.statement(sql)?;
        self.client.query(&s, params)
    }

    pub fn query_opt(&mut self, sql: &str, params: Params) -> Result<Option<Row>, postgres::Error> {
        let s = self.statement(sql)?;
        self.client.query_opt(&s, params)
    }
}

pub type Params<'p> = &'p [&'p (dyn ToSql + Sync)];

/// Statements run inside one transaction (or savepoint).
/// The advisory lock every node's writing transaction takes ("fswr").
const WRITE_LOCK: i64 = 0x6673_7772;

pub struct Db<'t, 'c> {
    pub tx: &'t mut Transaction<'c>,
    statements: &'t mut Statements,
}

impl<'t, 'c> Db<'t, 'c> {
    pub fn new(tx: &'t mut Transaction<'c>, statements: &'t mut Statements) -> Db<'t, 'c> {
        Db { tx, statements }
    }

    fn statement(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(s) = self.statements.0.get(sql) {
            return Ok(s.clone());
        }
        let s = self.tx.prepare(sql)?;
        self.statements.0.insert(sql.to_string(), s.clone());
        Ok(s)
    }

    pub fn execute(&mut self, sql: &str, params: Params) -> Result<u64, postgres::Error> {
        let s = self.statement(sql)?;
        self.tx.execute(&s, params)
    }

    pub fn query(&mut self, sql: &str, params: Params) -> Result<Vec<Row>, postgres::Error> {
        let s = self.statement(sql)?;
        self.tx.query(&s, params)
    }

    pub fn query_opt(&mut self, sql: &str, params: Params) -> Result<Option<Row>, postgres::Error> {
        let s = self.statement(sql)?;
        self.tx.query_opt(&s, params)
    }

    pub fn query_one(&mut self, sql: &str, params: Params) -> Result<Row, postgres::Error> {
        let s = self.statement(sql)?;
        self.tx.query_one(&s, params)
    }

    /// Takes the cluster's writing lock until this transaction ends: every
    /// node's writing transaction does, before it reads what it decides on
    /// (see [`super::writer`]).
    pub fn take_write_lock(&mut self) -> Result<(), postgres::Error> {
        self.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
            .map(|_| ())
    }

    /// Runs `f` in a savepoint: kept when it succeeds, rolled back (and
    /// the transaction usable again) when it fails.
    pub fn savepoint<T>(
        &mut self,
        f: impl FnOnce(&mut Db) -> Result<T, postgres::Error>,
    ) -> Result<T, postgres::Error> {
        let mut sp = self.tx.savepoint("feedsift_command")?;
        let mut inner = Db::new(&mut sp, self.statements);
        match f(&mut inner) {
            Ok(v) => {
                sp.commit()?;
                Ok(v)
            }
            // Dropping the savepoint rolls it back.
            Err(e) => Err(e),
        }
    }
}
