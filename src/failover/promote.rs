//! The SQL of a promotion: `pg_is_in_recovery()`, `pg_promote(true, t)` and the writability check.
//!
//! Every call is bounded client-side; `pg_promote` by its own wait plus a margin.

use std::time::Duration;

use tokio::time::timeout;
use tokio_postgres::Client;

use crate::postgres::PgError;

/// Seconds `pg_promote` waits for the promotion to finish.
pub const PROMOTE_WAIT_SECONDS: i32 = 30;

async fn bounded<T>(
    what: &'static str,
    after: Duration,
    work: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, PgError> {
    match timeout(after, work).await {
        Err(_) => Err(PgError::Timeout { what, after }),
        Ok(Err(e)) => Err(PgError::query(what, &e)),
        Ok(Ok(v)) => Ok(v),
    }
}

/// `pg_is_in_recovery()`.
pub async fn in_recovery(client: &Client, after: Duration) -> Result<bool, PgError> {
    let row = bounded(
        "pg_is_in_recovery",
        after,
        client.query_one("SELECT pg_is_in_recovery()", &[]),
    )
    .await?;
    row.try_get(0)
        .map_err(|e| PgError::query("pg_is_in_recovery", &e))
}

/// `SELECT pg_promote(true, PROMOTE_WAIT_SECONDS)`: true when the promotion finished in time;
/// false (or an error) means unknown — the caller re-checks `pg_is_in_recovery()`.
pub async fn promote(client: &Client, margin: Duration) -> Result<bool, PgError> {
    let after = Duration::from_secs(PROMOTE_WAIT_SECONDS.unsigned_abs().into()) + margin;
    let row = bounded(
        "pg_promote",
        after,
        client.query_one("SELECT pg_promote(true, $1)", &[&PROMOTE_WAIT_SECONDS]),
    )
    .await?;
    row.try_get(0).map_err(|e| PgError::query("pg_promote", &e))
}

/// Proves the endpoint accepts writes: out of recovery and able to assign a transaction id
/// (`txid_current()` fails in recovery and in read-only transactions). Returns the txid.
pub async fn writable(client: &Client, after: Duration) -> Result<Result<i64, String>, PgError> {
    let row = bounded(
        "writability check",
        after,
        client.query_one(
            "SELECT pg_is_in_recovery(), current_setting('transaction_read_only')",
            &[],
        ),
    )
    .await?;
    let recovering: bool = row
        .try_get(0)
        .map_err(|e| PgError::query("pg_is_in_recovery", &e))?;
    let read_only: String = row
        .try_get(1)
        .map_err(|e| PgError::query("transaction_read_only", &e))?;
    if recovering {
        return Ok(Err("still in recovery".to_owned()));
    }
    if read_only == "on" {
        return Ok(Err("transaction_read_only is on".to_owned()));
    }
    let row = bounded(
        "txid_current",
        after,
        client.query_one("SELECT txid_current()", &[]),
    )
    .await?;
    Ok(Ok(row
        .try_get(0)
        .map_err(|e| PgError::query("txid_current", &e))?))
}
