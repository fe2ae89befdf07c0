//! The source side of a logical drill: one read-only connection to the project's database that
//! holds a `REPEATABLE READ, READ ONLY` transaction open for the whole dump, exports its
//! snapshot for `pg_dump --snapshot`, and counts rows exactly in that same snapshot.
//!
//! It also reads what the scratch cluster needs before the restore (the source's roles and
//! extensions, its major version) and the server's clock, so snapshot and dump times come from
//! the same clock as the heartbeat. Nothing is written: the transaction is read only and ends
//! with `ROLLBACK` (or when the connection drops).

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_postgres::Client;

use super::sql::{ident, qualified};
use crate::postgres::{connect, ConnectOptions, PgError};
use crate::secret::Secret;

/// A table whose rows are counted on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountedTable {
    /// `schema.table` (or the configured name) for humans.
    pub name: String,
    /// The quoted SQL name.
    pub sql: String,
}

impl CountedTable {
    /// A table from the catalog.
    pub fn catalog(schema: &str, table: &str) -> Self {
        Self {
            name: format!("{schema}.{table}"),
            sql: format!("{}.{}", ident(schema), ident(table)),
        }
    }

    /// A `[schema.]table` from `[ventures.drill] tables`.
    pub fn configured(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            sql: qualified(name),
        }
    }
}

/// The open transaction and its exported snapshot.
pub struct SourceSnapshot {
    client: Client,
    /// The id for `pg_dump --snapshot`.
    pub id: String,
    /// When the snapshot was taken (the server's `clock_timestamp()`).
    pub taken_at: DateTime<Utc>,
}

/// Connects with the given statement timeout (the drill's remaining time).
pub async fn open(dsn: &Secret, statement_timeout: Duration) -> Result<Client, PgError> {
    let opts = ConnectOptions {
        connect_timeout: Duration::from_secs(10),
        statement_timeout: statement_timeout.max(Duration::from_secs(1)),
        application_name: "backstop-drill".to_owned(),
        ..ConnectOptions::default()
    };
    connect(dsn, &opts).await
}

/// `server_version_num` of a server.
pub async fn server_version_num(client: &Client) -> Result<i64, PgError> {
    let row = client
        .query_one("SELECT current_setting('server_version_num')::int8", &[])
        .await
        .map_err(|e| PgError::query("server_version_num", &e))?;
    Ok(row.get(0))
}

/// The source's roles other than the `pg_` ones.
pub async fn roles(client: &Client) -> Result<Vec<String>, PgError> {
    let rows = client
        .query(
            "SELECT rolname::text FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY 1",
            &[],
        )
        .await
        .map_err(|e| PgError::query("listing roles", &e))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// The source database's extensions (but plpgsql) and the schema each lives in.
pub async fn extensions(client: &Client) -> Result<Vec<(String, String)>, PgError> {
    let rows = client
        .query(
            "SELECT e.extname::text, n.nspname::text FROM pg_extension e \
             JOIN pg_namespace n ON n.oid = e.extnamespace \
             WHERE e.extname <> 'plpgsql' ORDER BY 1",
            &[],
        )
        .await
        .map_err(|e| PgError::query("listing extensions", &e))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Begins the read-only `REPEATABLE READ` transaction and exports its snapshot.
pub async fn export_snapshot(client: Client) -> Result<SourceSnapshot, PgError> {
    client
        .batch_execute(
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY; \
             SET LOCAL idle_in_transaction_session_timeout = 0",
        )
        .await
        .map_err(|e| PgError::query("BEGIN REPEATABLE READ", &e))?;
    let row = client
        .query_one("SELECT pg_export_snapshot(), clock_timestamp()", &[])
        .await
        .map_err(|e| PgError::query("pg_export_snapshot()", &e))?;
    Ok(SourceSnapshot {
        id: row.get(0),
        taken_at: row.get(1),
        client,
    })
}

impl SourceSnapshot {
    /// Every table of `schemas` whose data pg_dump dumps: ordinary and partitioned tables that
    /// are not partitions (a partitioned table's count covers its partitions) and not members
    /// of an extension (pg_dump leaves those to `CREATE EXTENSION`).
    pub async fn tables(&self, schemas: &[String]) -> Result<Vec<CountedTable>, PgError> {
        let rows = self
            .client
            .query(
                "SELECT n.nspname::text, c.relname::text FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition \
                 AND n.nspname = ANY($1) \
                 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass \
                   AND d.objid = c.oid AND d.deptype = 'e') \
                 ORDER BY 1, 2",
                &[&schemas],
            )
            .await
            .map_err(|e| PgError::query("listing tables", &e))?;
        Ok(rows
            .iter()
            .map(|r| CountedTable::catalog(r.get(0), r.get(1)))
            .collect())
    }

    /// Exact row counts in the exported snapshot.
    pub async fn counts(&self, tables: &[CountedTable]) -> Result<Vec<i64>, String> {
        count(&self.client, tables).await
    }

    /// The server's clock now (the transaction stays open).
    pub async fn clock(&self) -> Result<DateTime<Utc>, PgError> {
        let row = self
            .client
            .query_one("SELECT clock_timestamp()", &[])
            .await
            .map_err(|e| PgError::query("clock_timestamp()", &e))?;
        Ok(row.get(0))
    }

    /// Ends the transaction (best effort: dropping the connection ends it too).
    pub async fn close(self) {
        if let Err(e) = self.client.batch_execute("ROLLBACK").await {
            tracing::debug!(error = %e, "ending the drill's snapshot transaction");
        }
    }
}

/// `SELECT count(*)` of each table with `client`; the error names the table.
pub async fn count(client: &Client, tables: &[CountedTable]) -> Result<Vec<i64>, String> {
    let mut counts = Vec::with_capacity(tables.len());
    for t in tables {
        let row = client
            .query_one(&format!("SELECT count(*) FROM {}", t.sql), &[])
            .await
            .map_err(|e| {
                format!(
                    "counting rows of {}: {}",
                    t.name,
                    PgError::query("count", &e)
                )
            })?;
        counts.push(row.get(0));
    }
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_quoted() {
        let t = CountedTable::catalog("public", "Orders");
        assert_eq!(t.name, "public.Orders");
        assert_eq!(t.sql, "\"public\".\"Orders\"");
        assert_eq!(
            CountedTable::configured("app.items").sql,
            "\"app\".\"items\""
        );
    }
}
