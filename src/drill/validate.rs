//! Validation of the restored cluster (DESIGN.md §8), through its own socket:
//!
//! 1. it is promoted (`pg_is_in_recovery()` false) and when the last replayed commit was;
//! 2. the heartbeat's newest row (`max(at)`), when the heartbeat is enabled;
//! 3. `bt_index_check(index, heapallindexed => true)` (amcheck, created in the scratch cluster) on
//!    every valid btree index of every database that allows connections;
//! 4. exact row counts of `[ventures.drill] tables`. For `latest` drills they are compared with the
//!    source's counts taken at drill start: rows committed after the newest archived WAL are
//!    expected to be missing, so list tables not written within `archive_timeout` (reference
//!    data), or use assertions. For time targets the source's counts at that time are not
//!    observable: the restored counts are recorded, not compared;
//! 5. `[ventures.drill] assertions`: each must return one row with one `true`.
//!
//! Each problem is one line; any problem fails the drill.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_postgres::Client;

use super::sql::{qualified, socket_dsn};
use super::DrillError;
use crate::postgres::{connect, ConnectOptions, PgError};

/// Problems listed per check before the rest are summarised.
const MAX_PROBLEMS: usize = 5;

/// How to reach the scratch cluster and what to check.
#[derive(Debug, Clone)]
pub struct Checks<'a> {
    /// Its socket directory.
    pub sock: &'a std::path::Path,
    /// Its port (names the socket file).
    pub port: u16,
    /// The venture's database (the primary DSN's).
    pub dbname: &'a str,
    /// The heartbeat table, when the heartbeat is enabled.
    pub heartbeat_table: Option<&'a str>,
    /// Tables whose rows are counted.
    pub tables: &'a [String],
    /// SQL returning one boolean each.
    pub assertions: &'a [String],
    /// The source's counts at drill start (`latest` drills), same order as `tables`.
    pub source_counts: Option<&'a [i64]>,
    /// Server-side limit of one statement (the drill's remaining time).
    pub statement_timeout: Duration,
}

/// What validation found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Validation {
    /// The newest heartbeat restored.
    pub heartbeat: Option<DateTime<Utc>>,
    /// Databases whose indexes were checked.
    pub databases: usize,
    /// Btree indexes checked.
    pub indexes: usize,
    /// Restored row counts, same order as `tables`.
    pub counts: Vec<i64>,
    /// Assertions that held.
    pub assertions_passed: usize,
    /// One line per problem; empty when the restore is valid.
    pub problems: Vec<String>,
}

impl Validation {
    /// One line for the step's detail.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} btree indexes in {} databases checked with bt_index_check(heapallindexed)",
            self.indexes, self.databases
        );
        if let Some(h) = self.heartbeat {
            s.push_str(&format!("; newest heartbeat {}", h.to_rfc3339()));
        }
        if !self.counts.is_empty() {
            s.push_str(&format!("; {} table counts", self.counts.len()));
        }
        if self.assertions_passed > 0 {
            s.push_str(&format!("; {} assertions held", self.assertions_passed));
        }
        if !self.problems.is_empty() {
            s.push_str(&format!("; problems: {}", self.problems.join("; ")));
        }
        s
    }
}

fn options(statement_timeout: Duration) -> ConnectOptions {
    ConnectOptions {
        connect_timeout: Duration::from_secs(10),
        statement_timeout: statement_timeout.max(Duration::from_secs(1)),
        application_name: "backstop-drill".to_owned(),
        ..ConnectOptions::default()
    }
}

/// How long a promoted scratch cluster may still refuse connections as "starting up".
const STARTING_UP_GRACE: Duration = Duration::from_secs(30);

/// Connects to `dbname` of the scratch cluster. The control file says "in production" a moment
/// before the postmaster accepts connections, so SQLSTATE 57P03 ("the database system is starting
/// up") is retried for [`STARTING_UP_GRACE`].
pub async fn scratch_client(checks: &Checks<'_>, dbname: &str) -> Result<Client, PgError> {
    let dsn = socket_dsn(checks.sock, checks.port, dbname);
    let started = std::time::Instant::now();
    loop {
        match connect(&dsn, &options(checks.statement_timeout)).await {
            Err(e) if starting_up(&e) && started.elapsed() < STARTING_UP_GRACE => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            other => return other,
        }
    }
}

/// The server refused the connection because it is still starting up (57P03).
fn starting_up(e: &PgError) -> bool {
    matches!(e, PgError::Connect { reason, .. } if reason.contains("57P03"))
}

/// `pg_is_in_recovery()` and `pg_last_xact_replay_timestamp()` of the promoted cluster.
pub async fn replay_facts(client: &Client) -> Result<(bool, Option<DateTime<Utc>>), PgError> {
    let row = client
        .query_one(
            "SELECT pg_is_in_recovery(), pg_last_xact_replay_timestamp()",
            &[],
        )
        .await
        .map_err(|e| PgError::query("pg_is_in_recovery", &e))?;
    Ok((row.get(0), row.get(1)))
}

/// Counts the rows of `tables` with `client` (the source at drill start, or the restore).
pub async fn count_rows(client: &Client, tables: &[String]) -> Result<Vec<i64>, PgError> {
    let mut counts = Vec::with_capacity(tables.len());
    for table in tables {
        let row = client
            .query_one(&format!("SELECT count(*) FROM {}", qualified(table)), &[])
            .await
            .map_err(|e| PgError::query("counting rows", &e))?;
        counts.push(row.get(0));
    }
    Ok(counts)
}

/// Problems from restored vs. source counts (pure).
pub fn compare_counts(tables: &[String], restored: &[i64], source: &[i64]) -> Vec<String> {
    tables
        .iter()
        .zip(restored.iter().zip(source))
        .filter(|(_, (r, s))| r != s)
        .map(|(t, (r, s))| format!("{t}: {r} rows restored, the source had {s} at drill start"))
        .collect()
}

/// Runs every check; an error means validation could not run at all.
pub async fn validate(checks: &Checks<'_>) -> Result<Validation, DrillError> {
    let mut v = Validation::default();
    let main = scratch_client(checks, checks.dbname).await?;
    if let Some(table) = checks.heartbeat_table {
        match main.query_one(&super::heartbeat::newest_sql(table), &[]).await {
            Ok(row) => {
                v.heartbeat = row.get(0);
                if v.heartbeat.is_none() {
                    v.problems
                        .push(format!("the heartbeat table {table} is empty in the restore"));
                }
            }
            Err(e) => v.problems.push(format!(
                "the heartbeat table {table} cannot be read in the restore ({}): was the heartbeat running before the target?",
                PgError::query("heartbeat", &e)
            )),
        }
    }
    check_indexes(checks, &mut v).await?;
    match count_rows(&main, checks.tables).await {
        Ok(counts) => {
            if let Some(source) = checks.source_counts {
                v.problems
                    .extend(compare_counts(checks.tables, &counts, source));
            }
            v.counts = counts;
        }
        Err(e) => v.problems.push(format!("counting rows: {e}")),
    }
    for sql in checks.assertions {
        match main.query(sql.as_str(), &[]).await {
            Ok(rows) if rows.len() == 1 && rows[0].try_get::<_, bool>(0).unwrap_or(false) => {
                v.assertions_passed += 1;
            }
            Ok(_) => v
                .problems
                .push(format!("assertion did not return one true: {sql}")),
            Err(e) => v.problems.push(format!(
                "assertion failed: {sql}: {}",
                PgError::query("assertion", &e)
            )),
        }
    }
    Ok(v)
}

/// `bt_index_check` over every valid btree index of every database.
async fn check_indexes(checks: &Checks<'_>, v: &mut Validation) -> Result<(), DrillError> {
    let main = scratch_client(checks, checks.dbname).await?;
    let databases: Vec<String> = main
        .query(
            "SELECT datname FROM pg_database WHERE datallowconn ORDER BY datname",
            &[],
        )
        .await
        .map_err(|e| PgError::query("listing databases", &e))?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut failures = Vec::new();
    for db in &databases {
        let client = scratch_client(checks, db).await?;
        client
            .batch_execute("CREATE EXTENSION IF NOT EXISTS amcheck")
            .await
            .map_err(|e| PgError::query("CREATE EXTENSION amcheck", &e))?;
        let indexes = client
            .query(
                "SELECT c.oid, c.oid::regclass::text FROM pg_index i \
                 JOIN pg_class c ON c.oid = i.indexrelid \
                 JOIN pg_am am ON am.oid = c.relam \
                 WHERE am.amname = 'btree' AND i.indisvalid AND i.indisready \
                 AND c.relpersistence <> 't' ORDER BY c.oid",
                &[],
            )
            .await
            .map_err(|e| PgError::query("listing btree indexes", &e))?;
        for row in &indexes {
            let oid: u32 = row.get(0);
            let name: String = row.get(1);
            v.indexes += 1;
            if let Err(e) = client
                .execute("SELECT bt_index_check($1::oid::regclass, true)", &[&oid])
                .await
            {
                failures.push(format!(
                    "{db}: index {name}: {}",
                    PgError::query("bt_index_check", &e)
                ));
            }
        }
        v.databases += 1;
    }
    let more = failures.len().saturating_sub(MAX_PROBLEMS);
    v.problems.extend(failures.into_iter().take(MAX_PROBLEMS));
    if more > 0 {
        v.problems
            .push(format!("{more} more indexes failed bt_index_check"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_starting_up_is_retried() {
        let refused = |reason: &str| PgError::Connect {
            kind: crate::error::ErrorKind::Connect,
            reason: reason.to_owned(),
        };
        assert!(starting_up(&refused(
            "FATAL (57P03): the database system is starting up"
        )));
        assert!(!starting_up(&refused(
            "FATAL (28P01): password authentication failed"
        )));
    }

    #[test]
    fn counts_compare_exactly() {
        let tables = vec!["public.a".to_owned(), "b".to_owned()];
        assert!(compare_counts(&tables, &[3, 4], &[3, 4]).is_empty());
        assert_eq!(
            compare_counts(&tables, &[3, 5], &[3, 4]),
            vec!["b: 5 rows restored, the source had 4 at drill start"]
        );
    }

    #[test]
    fn the_summary_names_what_was_checked() {
        let v = Validation {
            databases: 2,
            indexes: 250,
            counts: vec![1],
            problems: vec!["x".into()],
            ..Default::default()
        };
        let s = v.summary();
        assert!(s.starts_with("250 btree indexes in 2 databases"), "{s}");
        assert!(s.contains("problems: x"), "{s}");
    }
}
