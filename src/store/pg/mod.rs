//! The PostgreSQL backend: one tokio-postgres connection (connect and statement timeouts, TCP
//! keepalive) behind an async mutex, replaced at the next call once it breaks; all tables under
//! schema `backstop`; multi-row writes in transactions; leadership as a lease row judged by the
//! database clock.

mod control;
mod drills;
mod failovers;
mod history;

use tokio::sync::{Mutex, MutexGuard};
use tokio_postgres::error::SqlState;
use tokio_postgres::Client;

use super::{migrations, StoreError, StoreOptions};
use crate::postgres::{connect, ConnectOptions};
use crate::secret::Secret;

/// How a PostgreSQL store is named in errors and logs (never by its URL).
pub(super) const PLACE: &str = "the PostgreSQL state store";

/// Advisory-lock class ids (first key of `pg_advisory_xact_lock(int, int)`).
const LOCK_MIGRATE: i32 = 0x6273_0001;
const LOCK_FAILOVER: i32 = 0x6273_0002;

/// The PostgreSQL store.
pub(super) struct Pg {
    dsn: Secret,
    opts: ConnectOptions,
    client: Mutex<Option<Client>>,
}

/// What an operation fails with: PostgreSQL itself, or a store-level refusal.
pub(super) enum Fail {
    Pg(tokio_postgres::Error),
    Store(StoreError),
}

impl From<tokio_postgres::Error> for Fail {
    fn from(e: tokio_postgres::Error) -> Self {
        Fail::Pg(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}

impl Pg {
    /// Connects and applies migrations.
    pub(super) async fn open(dsn: Secret, opts: &StoreOptions) -> Result<Self, StoreError> {
        let pg = Pg {
            dsn,
            opts: ConnectOptions {
                connect_timeout: opts.connect_timeout,
                statement_timeout: opts.statement_timeout,
                ..ConnectOptions::default()
            },
            client: Mutex::new(None),
        };
        let mut c = pg.conn().await?;
        let result = migrate(&mut c.client).await;
        c.done("applying migrations", result)?;
        Ok(pg)
    }

    /// The live connection, (re)connecting when there is none or it broke.
    pub(super) async fn conn(&self) -> Result<Lease<'_>, StoreError> {
        let mut slot = self.client.lock().await;
        let client = match slot.take() {
            Some(client) if !client.is_closed() => client,
            _ => connect(&self.dsn, &self.opts)
                .await
                .map_err(|e| StoreError::Open {
                    place: PLACE.into(),
                    reason: e.to_string(),
                })?,
        };
        Ok(Lease { slot, client })
    }

    pub(super) async fn schema_version(&self) -> Result<i64, StoreError> {
        let c = self.conn().await?;
        let result = async {
            let row = c
                .client
                .query_one(
                    "SELECT coalesce(max(version), 0)::int8 FROM backstop.schema_migrations",
                    &[],
                )
                .await?;
            Ok(row.get(0))
        }
        .await;
        c.done("reading the schema version", result)
    }

    pub(super) async fn try_lead(
        &self,
        venture: String,
        holder: String,
        ttl: std::time::Duration,
    ) -> Result<bool, StoreError> {
        let c = self.conn().await?;
        let result = async {
            let rows = c
                .client
                .query(
                    "INSERT INTO backstop.leases AS l (venture, holder, expires_at)
                     VALUES ($1, $2, clock_timestamp() + make_interval(secs => $3))
                     ON CONFLICT (venture) DO UPDATE
                         SET holder = excluded.holder, expires_at = excluded.expires_at
                         WHERE l.holder = excluded.holder OR l.expires_at <= clock_timestamp()
                     RETURNING holder",
                    &[&venture, &holder, &ttl.as_secs_f64()],
                )
                .await?;
            Ok(!rows.is_empty())
        }
        .await;
        c.done("taking the leadership lease", result)
    }

    pub(super) async fn release(&self, venture: String, holder: String) -> Result<(), StoreError> {
        let c = self.conn().await?;
        let result = async {
            c.client
                .execute(
                    "DELETE FROM backstop.leases WHERE venture = $1 AND holder = $2",
                    &[&venture, &holder],
                )
                .await?;
            Ok(())
        }
        .await;
        c.done("releasing the leadership lease", result)
    }
}

/// The connection, taken out of its slot for one operation; [`Lease::done`] puts it back when
/// it is still healthy. Dropped mid-operation (a cancelled call), it is simply not put back.
pub(super) struct Lease<'a> {
    slot: MutexGuard<'a, Option<Client>>,
    pub(super) client: Client,
}

impl Lease<'_> {
    /// Ends an operation: a broken connection is dropped (the next call reconnects), errors
    /// mapped.
    pub(super) fn done<T>(
        mut self,
        what: &'static str,
        result: Result<T, Fail>,
    ) -> Result<T, StoreError> {
        let broken = match &result {
            Err(Fail::Pg(e)) => lost(e) || self.client.is_closed(),
            _ => self.client.is_closed(),
        };
        if !broken {
            *self.slot = Some(self.client);
        }
        match result {
            Ok(v) => Ok(v),
            Err(Fail::Store(e)) => Err(e),
            Err(Fail::Pg(e)) => Err(classify(what, &e)),
        }
    }
}

/// Whether the error means the connection is gone (closed, or an I/O failure).
fn lost(e: &tokio_postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    // A terminated backend (57P01 admin_shutdown, 57P02 crash_shutdown), a connection exception
    // (class 08) or any FATAL error ends the session, even before the socket reads as closed.
    if let Some(db) = e.as_db_error() {
        let code = db.code().code();
        if code.starts_with("57P") || code.starts_with("08") || db.severity() == "FATAL" {
            return true;
        }
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.is::<std::io::Error>() {
            return true;
        }
        source = s.source();
    }
    false
}

/// Maps a PostgreSQL error: a full disk and lock waits get their own clear errors.
fn classify(what: &'static str, e: &tokio_postgres::Error) -> StoreError {
    let place = PLACE.to_owned();
    let Some(db) = e.as_db_error() else {
        if !lost(e) {
            return StoreError::Query {
                place,
                what,
                reason: e.to_string(),
            };
        }
        let mut reason = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            reason = format!("{reason}: {s}");
            source = s.source();
        }
        return StoreError::Open {
            place,
            reason: format!(
                "{what} failed, the connection is re-opened at the next call: {reason}"
            ),
        };
    };
    let code = db.code();
    if *code == SqlState::DISK_FULL {
        return StoreError::Full { place };
    }
    if *code == SqlState::LOCK_NOT_AVAILABLE || *code == SqlState::T_R_DEADLOCK_DETECTED {
        return StoreError::Busy { place, what };
    }
    StoreError::Query {
        place,
        what,
        reason: format!("{} ({})", db.message(), code.code()),
    }
}

/// Creates schema `backstop` and applies the missing migrations in one transaction, serialised
/// between agents by an advisory lock.
async fn migrate(client: &mut Client) -> Result<(), Fail> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1, 0)", &[&LOCK_MIGRATE])
        .await?;
    tx.batch_execute(
        "CREATE SCHEMA IF NOT EXISTS backstop;
         CREATE TABLE IF NOT EXISTS backstop.schema_migrations (
             version bigint PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    )
    .await?;
    let found: i64 = tx
        .query_one(
            "SELECT coalesce(max(version), 0)::int8 FROM backstop.schema_migrations",
            &[],
        )
        .await?
        .get(0);
    for (version, sql) in migrations::pending(migrations::POSTGRES, found)? {
        tx.batch_execute(sql).await?;
        tx.execute(
            "INSERT INTO backstop.schema_migrations (version) VALUES ($1)",
            &[&version],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
