//! The collector's SQL, one function per query; LSNs are read as text and parsed by [`super::wal`].
//!
//! Every function takes a connected client and returns plain values; [`super::observe`]
//! decides which of them apply to a primary or a standby.

use chrono::{DateTime, Utc};
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Row};

use super::{wal, PgError};
use crate::state::{ArchiverStats, ReplicaStats, WalReceiver};

/// Server settings the collector needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `server_version_num`.
    pub server_version_num: i32,
    /// `wal_segment_size` in bytes.
    pub wal_segment_size: u64,
    /// `archive_mode`.
    pub archive_mode: String,
    /// `archive_timeout` in seconds.
    pub archive_timeout_seconds: u64,
}

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    idx: usize,
    what: &'static str,
) -> Result<T, PgError> {
    row.try_get(idx).map_err(|e| PgError::Parse {
        what,
        value: e.to_string(),
    })
}

fn lsn(text: Option<String>) -> Result<Option<u64>, PgError> {
    text.map(|t| wal::parse_lsn(&t)).transpose()
}

/// `pg_is_in_recovery()`.
pub async fn in_recovery(client: &Client) -> Result<bool, PgError> {
    let row = client
        .query_one("SELECT pg_is_in_recovery()", &[])
        .await
        .map_err(|e| PgError::query("pg_is_in_recovery", &e))?;
    get(&row, 0, "pg_is_in_recovery")
}

/// Multiplier of a `pg_settings.unit` (`B`, `kB`, `8kB`, `MB`, `s`, `ms`, `min`, …) to bytes or seconds.
fn unit_factor(unit: &str) -> Option<f64> {
    let digits: String = unit.chars().take_while(|c| c.is_ascii_digit()).collect();
    let scale: f64 = if digits.is_empty() {
        1.0
    } else {
        digits.parse().ok()?
    };
    let base = match &unit[digits.len()..] {
        "B" | "s" | "" => 1.0,
        "kB" => 1024.0,
        "MB" => 1024.0 * 1024.0,
        "GB" => 1024.0 * 1024.0 * 1024.0,
        "ms" => 0.001,
        "min" => 60.0,
        "h" => 3600.0,
        "d" => 86400.0,
        _ => return None,
    };
    Some(scale * base)
}

/// A numeric `pg_settings` value in its base unit (bytes or seconds).
pub fn setting_in_base_unit(setting: &str, unit: Option<&str>) -> Option<u64> {
    let value: f64 = setting.trim().parse().ok()?;
    let factor = unit_factor(unit.unwrap_or(""))?;
    let scaled = value * factor;
    (scaled >= 0.0 && scaled.is_finite()).then_some(scaled.round() as u64)
}

/// `server_version_num`, `wal_segment_size`, `archive_mode`, `archive_timeout` from pg_settings.
pub async fn settings(client: &Client) -> Result<Settings, PgError> {
    let rows = client
        .query(
            "SELECT name, setting, unit FROM pg_settings WHERE name IN \
             ('server_version_num', 'wal_segment_size', 'archive_mode', 'archive_timeout')",
            &[],
        )
        .await
        .map_err(|e| PgError::query("pg_settings", &e))?;
    let mut out = Settings {
        server_version_num: 0,
        wal_segment_size: 0,
        archive_mode: String::new(),
        archive_timeout_seconds: 0,
    };
    for row in &rows {
        let name: String = get(row, 0, "pg_settings.name")?;
        let setting: String = get(row, 1, "pg_settings.setting")?;
        let unit: Option<String> = get(row, 2, "pg_settings.unit")?;
        let bad = |what| PgError::Parse {
            what,
            value: setting.clone(),
        };
        match name.as_str() {
            "server_version_num" => {
                out.server_version_num = setting.parse().map_err(|_| bad("server_version_num"))?
            }
            "wal_segment_size" => {
                out.wal_segment_size = setting_in_base_unit(&setting, unit.as_deref())
                    .ok_or_else(|| bad("wal_segment_size"))?;
                wal::check_segment_size(out.wal_segment_size)?;
            }
            "archive_timeout" => {
                out.archive_timeout_seconds = setting_in_base_unit(&setting, unit.as_deref())
                    .ok_or_else(|| bad("archive_timeout"))?
            }
            "archive_mode" => out.archive_mode = setting,
            _ => {}
        }
    }
    if out.wal_segment_size == 0 {
        return Err(PgError::Parse {
            what: "wal_segment_size",
            value: "missing from pg_settings".to_owned(),
        });
    }
    Ok(out)
}

/// The timeline a primary writes on now: the first 8 hex digits of
/// `pg_walfile_name(pg_current_wal_lsn())` (right after a promotion the checkpoint's timeline
/// may still be the old one, and this needs no privilege).
pub async fn primary_timeline(client: &Client) -> Result<u32, PgError> {
    let row = client
        .query_one("SELECT pg_walfile_name(pg_current_wal_lsn())", &[])
        .await
        .map_err(|e| PgError::query("pg_walfile_name", &e))?;
    let name: String = get(&row, 0, "pg_walfile_name")?;
    name.get(0..8)
        .and_then(|t| u32::from_str_radix(t, 16).ok())
        .ok_or(PgError::Parse {
            what: "WAL file name",
            value: name,
        })
}

/// The checkpoint's timeline (`pg_control_checkpoint().timeline_id`), for a standby without
/// a WAL receiver.
pub async fn checkpoint_timeline(client: &Client) -> Result<u32, PgError> {
    let row = client
        .query_one("SELECT timeline_id FROM pg_control_checkpoint()", &[])
        .await
        .map_err(|e| PgError::query("pg_control_checkpoint", &e))?;
    let tli: i32 = get(&row, 0, "timeline_id")?;
    u32::try_from(tli).map_err(|_| PgError::Parse {
        what: "timeline_id",
        value: tli.to_string(),
    })
}

/// `pg_current_wal_lsn()` on a primary, `pg_last_wal_replay_lsn()` on a standby.
pub async fn current_lsn(client: &Client, in_recovery: bool) -> Result<Option<u64>, PgError> {
    let sql = if in_recovery {
        "SELECT pg_last_wal_replay_lsn()::text"
    } else {
        "SELECT pg_current_wal_lsn()::text"
    };
    let row = client
        .query_one(sql, &[])
        .await
        .map_err(|e| PgError::query("current LSN", &e))?;
    lsn(get(&row, 0, "LSN")?)
}

/// `pg_stat_archiver`.
pub async fn archiver(client: &Client) -> Result<ArchiverStats, PgError> {
    let row = client
        .query_one(
            "SELECT archived_count, failed_count, last_archived_wal, last_archived_time, \
             last_failed_wal, last_failed_time FROM pg_stat_archiver",
            &[],
        )
        .await
        .map_err(|e| PgError::query("pg_stat_archiver", &e))?;
    let archived: i64 = get(&row, 0, "archived_count")?;
    let failed: i64 = get(&row, 1, "failed_count")?;
    Ok(ArchiverStats {
        archived_count: archived.max(0) as u64,
        failed_count: failed.max(0) as u64,
        last_archived_wal: get(&row, 2, "last_archived_wal")?,
        last_archived_time: get::<Option<DateTime<Utc>>>(&row, 3, "last_archived_time")?,
        last_failed_wal: get(&row, 4, "last_failed_wal")?,
        last_failed_time: get::<Option<DateTime<Utc>>>(&row, 5, "last_failed_time")?,
    })
}

/// `.ready` files in `pg_wal/archive_status`; `None` without the privilege to list them.
pub async fn ready_files(client: &Client) -> Result<Option<u64>, PgError> {
    let result = client
        .query_one(
            "SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'",
            &[],
        )
        .await;
    match result {
        Ok(row) => {
            let n: i64 = get(&row, 0, "ready files")?;
            Ok(Some(n.max(0) as u64))
        }
        Err(e) if e.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE) => {
            tracing::debug!("no privilege for pg_ls_archive_statusdir(); ready files unknown");
            Ok(None)
        }
        Err(e) => Err(PgError::query("pg_ls_archive_statusdir", &e)),
    }
}

/// `pg_stat_replication` rows (on a primary).
pub async fn replication(client: &Client) -> Result<Vec<ReplicaStats>, PgError> {
    let rows = client
        .query(
            "SELECT coalesce(application_name, ''), coalesce(state, ''), replay_lsn::text, \
             extract(epoch FROM replay_lag)::float8 FROM pg_stat_replication \
             ORDER BY application_name",
            &[],
        )
        .await
        .map_err(|e| PgError::query("pg_stat_replication", &e))?;
    rows.iter()
        .map(|row| {
            Ok(ReplicaStats {
                application_name: get(row, 0, "application_name")?,
                state: get(row, 1, "state")?,
                replay_lsn: lsn(get(row, 2, "replay_lsn")?)?,
                replay_lag_seconds: get::<Option<f64>>(row, 3, "replay_lag")?.map(|s| s.max(0.0)),
            })
        })
        .collect()
}

/// `pg_stat_wal_receiver` (on a standby); `None` when no WAL receiver runs.
pub async fn wal_receiver(client: &Client) -> Result<Option<WalReceiver>, PgError> {
    let row = client
        .query_opt(
            "SELECT status, last_msg_receipt_time, flushed_lsn::text, received_tli \
             FROM pg_stat_wal_receiver",
            &[],
        )
        .await
        .map_err(|e| PgError::query("pg_stat_wal_receiver", &e))?;
    let Some(row) = row else { return Ok(None) };
    let tli: Option<i32> = get(&row, 3, "received_tli")?;
    Ok(Some(WalReceiver {
        status: get::<Option<String>>(&row, 0, "status")?.unwrap_or_default(),
        last_msg_receipt_time: get(&row, 1, "last_msg_receipt_time")?,
        flushed_lsn: lsn(get(&row, 2, "flushed_lsn")?)?,
        received_tli: tli.and_then(|t| u32::try_from(t).ok()),
    }))
}

/// `pg_database_size(current_database())` in bytes.
pub async fn database_size(client: &Client) -> Result<u64, PgError> {
    let row = client
        .query_one("SELECT pg_database_size(current_database())", &[])
        .await
        .map_err(|e| PgError::query("pg_database_size", &e))?;
    let n: i64 = get(&row, 0, "pg_database_size")?;
    Ok(n.max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_units() {
        let cases = [
            ("16777216", Some("B"), Some(16 << 20)),
            ("2048", Some("8kB"), Some(16 << 20)),
            ("64", Some("MB"), Some(64 << 20)),
            ("60", Some("s"), Some(60)),
            ("1500", Some("ms"), Some(2)),
            ("5", Some("min"), Some(300)),
            ("0", None, Some(0)),
            ("x", Some("s"), None),
            ("1", Some("parsecs"), None),
        ];
        for (setting, unit, want) in cases {
            assert_eq!(
                setting_in_base_unit(setting, unit),
                want,
                "{setting} {unit:?}"
            );
        }
    }
}
