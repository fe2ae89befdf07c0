//! The durable state store (`agent.state`): audit events, verifications, drills, failovers,
//! recoveries, size samples, objective overrides, endpoint roles, notification sends, leadership.
//!
//! [`Store`] is a cheap `Clone` handle over one of two backends:
//! - `sqlite:<path>` (the default, one agent): a file in WAL mode with `synchronous=FULL`,
//!   driven on `spawn_blocking` behind a mutex;
//! - `postgres://…` (several agents): tokio-postgres with timeouts, everything under schema
//!   `backstop`, reconnecting at the next call after a broken connection.
//!
//! Every multi-row write is one transaction, so a crash or SIGKILL leaves either all of it or
//! none. Times are kept to the microsecond. Schemas are versioned ([`migrations`]).
//! List methods return oldest first over a half-open period `[since, until)`, except the
//! audit log and sends, which return newest first.

mod api;
mod error;
pub mod holder;
mod migrations;
mod pg;
pub mod records;
mod sqlite;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use error::StoreError;
pub use records::{
    DrillFinish, DrillRecord, DrillStep, EndpointRoleRecord, Event, EventFilter, FailoverRecord,
    FailoverStep, NewEvent, ObjectiveOverride, PruneCounts, RecoveryRecord, SendRecord, SizeSample,
    VerificationRecord,
};

use crate::secret::Secret;

/// How to open a store; [`Store::open`] uses the defaults.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// SQLite: how long to wait for a lock held by another connection.
    pub busy_timeout: Duration,
    /// PostgreSQL: TCP connect + startup timeout.
    pub connect_timeout: Duration,
    /// PostgreSQL: server-side `statement_timeout`.
    pub statement_timeout: Duration,
    /// SQLite: `PRAGMA max_page_count` (a size cap; tests use it to simulate a full disk).
    pub sqlite_max_page_count: Option<u64>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            busy_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(10),
            sqlite_max_page_count: None,
        }
    }
}

/// A handle to the durable store; clones share the connection.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    Sqlite(Arc<sqlite::Sqlite>),
    Postgres(Arc<pg::Pg>),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("at", &self.place()).finish()
    }
}

/// Where `agent.state` points, parsed.
enum Target {
    Sqlite(PathBuf),
    Postgres,
}

fn parse_url(url: &Secret) -> Result<Target, StoreError> {
    let text = url.expose().trim();
    if let Some(rest) = text.strip_prefix("sqlite:") {
        let path = rest.strip_prefix("//").unwrap_or(rest);
        if path.is_empty() {
            return Err(StoreError::InvalidUrl {
                reason: "sqlite: needs a file path, e.g. sqlite:/var/lib/backstop/state.db".into(),
            });
        }
        return Ok(Target::Sqlite(PathBuf::from(path)));
    }
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        return Ok(Target::Postgres);
    }
    Err(StoreError::InvalidUrl {
        reason: "unknown scheme".into(),
    })
}

impl Store {
    /// Opens (creating and migrating as needed) the store at `url`: `sqlite:<path>` or
    /// `postgres://…` / `postgresql://…`.
    pub async fn open(url: &Secret) -> Result<Store, StoreError> {
        Self::open_with(url, &StoreOptions::default()).await
    }

    /// [`Store::open`] with explicit options.
    pub async fn open_with(url: &Secret, opts: &StoreOptions) -> Result<Store, StoreError> {
        let backend = match parse_url(url)? {
            Target::Sqlite(path) => {
                Backend::Sqlite(Arc::new(sqlite::Sqlite::open(path, opts).await?))
            }
            Target::Postgres => Backend::Postgres(Arc::new(pg::Pg::open(url.clone(), opts).await?)),
        };
        Ok(Store { backend })
    }

    /// For logs and errors: "the state store at <path>" or "the PostgreSQL state store".
    pub fn place(&self) -> String {
        match &self.backend {
            Backend::Sqlite(s) => s.place().to_owned(),
            Backend::Postgres(_) => pg::PLACE.to_owned(),
        }
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        match &self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }
}

/// Now, to the microsecond (what both backends keep).
pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound as _;
    chrono::Utc::now().trunc_subsecs(6)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send<T: Send>(_: &T) {}

    /// The agent spawns store calls on tokio tasks: handles and futures must be `Send`.
    #[test]
    fn handles_and_futures_are_send() {
        fn sync<T: Send + Sync + Clone + 'static>() {}
        sync::<Store>();
        let url = Secret::new("sqlite:/nonexistent/x.db");
        let open = Store::open(&url);
        send(&open);
        #[allow(dead_code)]
        async fn calls(s: Store) {
            let f = s.begin_failover("v", "a", "b", false, "h");
            send(&f);
            let f = s.take_over_failover(1, 1, "h", Duration::from_secs(1), "x");
            send(&f);
            let finish = records::DrillFinish {
                finished_at: now(),
                outcome: "passed".into(),
                target_time: None,
                rto_seconds: None,
                rpo_seconds: None,
                reason: None,
                log_excerpt: None,
                steps: vec![],
            };
            let f = s.finish_drill(1, &finish);
            send(&f);
            send(&s.try_lead("v", "h", Duration::from_secs(1)));
            send(&s.prune(now()));
        }
    }

    #[test]
    fn urls_are_parsed_without_echoing_them() {
        assert!(
            matches!(parse_url(&Secret::new("sqlite:a.db")), Ok(Target::Sqlite(p)) if p.as_path() == std::path::Path::new("a.db"))
        );
        assert!(
            matches!(parse_url(&Secret::new("sqlite:///var/x.db")), Ok(Target::Sqlite(p)) if p.as_path() == std::path::Path::new("/var/x.db"))
        );
        assert!(matches!(
            parse_url(&Secret::new("postgresql://u:pw@h/db")),
            Ok(Target::Postgres)
        ));
        let err = parse_url(&Secret::new("redis://u:s3cr3t@h"))
            .err()
            .expect("refused");
        assert!(!err.to_string().contains("s3cr3t"));
    }
}
