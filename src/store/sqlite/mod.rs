//! The SQLite backend: one connection in WAL mode (`synchronous=FULL`, foreign keys on, a busy
//! timeout) behind a std mutex, every call on `spawn_blocking`, writes in IMMEDIATE transactions.

mod control;
mod drills;
mod failovers;
mod history;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::types::Type;
use rusqlite::{Connection, ErrorCode, OpenFlags, Row, TransactionBehavior};

use super::{migrations, StoreError, StoreOptions};

/// The SQLite store.
pub(super) struct Sqlite {
    conn: Arc<Mutex<Connection>>,
    place: Arc<str>,
}

/// What a blocking operation fails with: SQLite itself, or a store-level refusal.
pub(super) enum Fail {
    Sql(rusqlite::Error),
    Store(StoreError),
}

impl From<rusqlite::Error> for Fail {
    fn from(e: rusqlite::Error) -> Self {
        Fail::Sql(e)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}

impl Sqlite {
    /// Opens (creating) the file, sets the pragmas and applies migrations.
    pub(super) async fn open(path: PathBuf, opts: &StoreOptions) -> Result<Self, StoreError> {
        let place: Arc<str> = format!("the state store at {}", path.display()).into();
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            return Err(StoreError::MissingDirectory {
                path: dir.display().to_string(),
            });
        }
        let opts = opts.clone();
        let p = place.clone();
        let conn = tokio::task::spawn_blocking(move || -> Result<Connection, StoreError> {
            let open_err = |e: rusqlite::Error| StoreError::Open {
                place: p.to_string(),
                reason: e.to_string(),
            };
            let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let mut conn = Connection::open_with_flags(&path, flags).map_err(open_err)?;
            conn.busy_timeout(opts.busy_timeout).map_err(open_err)?;
            let mode: String = conn
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
                .map_err(|e| classify(&p, "setting journal_mode", e))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::Open {
                    place: p.to_string(),
                    reason: format!(
                        "journal_mode WAL refused (got {mode}); use a local file system"
                    ),
                });
            }
            conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
                .map_err(open_err)?;
            if let Some(pages) = opts.sqlite_max_page_count {
                conn.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))
                    .map_err(open_err)?;
            }
            migrate(&mut conn).map_err(|f| finish_fail(&p, "applying migrations", f))?;
            Ok(conn)
        })
        .await
        .map_err(|e| StoreError::Task {
            place: place.to_string(),
            reason: e.to_string(),
        })??;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            place,
        })
    }

    pub(super) fn place(&self) -> &str {
        &self.place
    }

    /// Runs `f` on the connection on a blocking thread.
    async fn run<T, F>(&self, what: &'static str, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, Fail> + Send + 'static,
    {
        let conn = self.conn.clone();
        let place = self.place.clone();
        let joined = tokio::task::spawn_blocking(move || {
            // A panic mid-call rolled its transaction back when it dropped: the connection is
            // still consistent, so a poisoned lock is taken over.
            let mut guard = conn.lock().unwrap_or_else(|e| e.into_inner());
            f(&mut guard).map_err(|fail| finish_fail(&place, what, fail))
        })
        .await;
        joined.map_err(|e| StoreError::Task {
            place: self.place.to_string(),
            reason: e.to_string(),
        })?
    }

    /// Runs `f` inside an IMMEDIATE transaction (committed when `f` succeeds).
    async fn write<T, F>(&self, what: &'static str, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T, Fail> + Send + 'static,
    {
        self.run(what, move |conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })
        .await
    }

    pub(super) async fn schema_version(&self) -> Result<i64, StoreError> {
        self.run("reading the schema version", |c| {
            Ok(c.query_row(
                "SELECT coalesce(max(version), 0) FROM schema_migrations",
                [],
                |r| r.get(0),
            )?)
        })
        .await
    }

    pub(super) async fn try_lead(
        &self,
        _venture: String,
        _holder: String,
        _ttl: std::time::Duration,
    ) -> Result<bool, StoreError> {
        Ok(true)
    }

    pub(super) async fn release(
        &self,
        _venture: String,
        _holder: String,
    ) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Applies the missing migrations in one transaction.
fn migrate(conn: &mut Connection) -> Result<(), Fail> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
    )?;
    let found: i64 = tx.query_row(
        "SELECT coalesce(max(version), 0) FROM schema_migrations",
        [],
        |r| r.get(0),
    )?;
    for (version, sql) in migrations::pending(migrations::SQLITE, found)? {
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            (version, super::now().timestamp_micros()),
        )?;
    }
    tx.commit()?;
    Ok(())
}

fn finish_fail(place: &str, what: &'static str, fail: Fail) -> StoreError {
    match fail {
        Fail::Store(e) => e,
        Fail::Sql(e) => classify(place, what, e),
    }
}

/// Maps a SQLite error: full disk and lock timeouts get their own clear errors.
fn classify(place: &str, what: &'static str, e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        match f.code {
            ErrorCode::DiskFull => {
                return StoreError::Full {
                    place: place.to_owned(),
                }
            }
            // EFBIG (a file-size limit) and EIO come back as these; ENOSPC as DiskFull.
            ErrorCode::SystemIoFailure
                if matches!(
                    f.extended_code,
                    rusqlite::ffi::SQLITE_IOERR_WRITE
                        | rusqlite::ffi::SQLITE_IOERR_FSYNC
                        | rusqlite::ffi::SQLITE_IOERR_TRUNCATE
                ) =>
            {
                return StoreError::WriteFailed {
                    place: place.to_owned(),
                    what,
                }
            }
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                return StoreError::Busy {
                    place: place.to_owned(),
                    what,
                }
            }
            _ => {}
        }
    }
    let reason = e.to_string();
    if reason.contains("database or disk is full") {
        return StoreError::Full {
            place: place.to_owned(),
        };
    }
    if let rusqlite::Error::FromSqlConversionFailure(_, _, inner) = &e {
        return StoreError::Decode {
            place: place.to_owned(),
            what,
            value: inner.to_string(),
        };
    }
    StoreError::Query {
        place: place.to_owned(),
        what,
        reason,
    }
}

fn bad(idx: usize, ty: Type, text: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(idx, ty, text.into())
}

/// Microseconds since the epoch.
fn us(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

fn time(row: &Row<'_>, idx: usize) -> rusqlite::Result<DateTime<Utc>> {
    let v: i64 = row.get(idx)?;
    DateTime::from_timestamp_micros(v).ok_or_else(|| bad(idx, Type::Integer, format!("time {v}")))
}

fn opt_time(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    match row.get::<_, Option<i64>>(idx)? {
        None => Ok(None),
        Some(_) => time(row, idx).map(Some),
    }
}

fn day(row: &Row<'_>, idx: usize) -> rusqlite::Result<NaiveDate> {
    let v: String = row.get(idx)?;
    NaiveDate::parse_from_str(&v, "%Y-%m-%d")
        .map_err(|_| bad(idx, Type::Text, format!("day {v:?}")))
}

fn json(row: &Row<'_>, idx: usize) -> rusqlite::Result<serde_json::Value> {
    let v: String = row.get(idx)?;
    serde_json::from_str(&v).map_err(|e| bad(idx, Type::Text, format!("details: {e}")))
}
