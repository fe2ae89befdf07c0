//! Pure parser of `GET /v1/projects/{ref}/database/backups` (`V1BackupsResponse`).
//!
//! Usable backups (`COMPLETED`, any case) become [`BackupRecord`]s, oldest first; every other
//! status is only counted. `inserted_at` is RFC 3339 with or without fractions and `Z`, or
//! `%Y-%m-%d %H:%M:%S` (UTC). The PITR window comes from `physical_backup_data` and is `None`
//! when either end is absent (never the unix epoch). Unknown fields are ignored.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;

use crate::sources::SourceError;
use crate::state::{BackupRecord, BackupStatus, BackupType};

const WHAT: &str = "Supabase backups response";

/// The parsed backups response of one project.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SupabaseBackups {
    /// `pitr_enabled`, when present.
    pub pitr_enabled: Option<bool>,
    /// `walg_enabled`, when present.
    pub walg_enabled: Option<bool>,
    /// Completed backups, oldest first.
    pub backups: Vec<BackupRecord>,
    /// Backups in another status than completed.
    pub other: OtherStatuses,
    /// `[earliest, latest]` physical backup dates (the PITR window), when both are reported.
    pub window: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// Counts of the backups that are not restore points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OtherStatuses {
    /// `FAILED`.
    pub failed: u64,
    /// `PENDING`.
    pub pending: u64,
    /// `REMOVED`.
    pub removed: u64,
    /// `ARCHIVED`.
    pub archived: u64,
    /// `CANCELLED`.
    pub cancelled: u64,
    /// Any status not in the spec.
    pub unknown: u64,
}

#[derive(Deserialize)]
struct Response {
    pitr_enabled: Option<bool>,
    walg_enabled: Option<bool>,
    #[serde(default)]
    backups: Vec<Backup>,
    #[serde(default)]
    physical_backup_data: Option<PhysicalData>,
}

#[derive(Deserialize)]
struct Backup {
    id: Option<i64>,
    #[serde(default)]
    is_physical_backup: bool,
    status: String,
    inserted_at: String,
}

#[derive(Deserialize, Default)]
struct PhysicalData {
    earliest_physical_backup_date_unix: Option<i64>,
    latest_physical_backup_date_unix: Option<i64>,
}

/// Parses a backups response body.
pub fn parse_backups(body: &[u8]) -> Result<SupabaseBackups, SourceError> {
    let resp: Response = serde_json::from_slice(body).map_err(|e| SourceError::parse(WHAT, e))?;
    let mut out = SupabaseBackups {
        pitr_enabled: resp.pitr_enabled,
        walg_enabled: resp.walg_enabled,
        ..SupabaseBackups::default()
    };
    for b in resp.backups {
        match b.status.to_ascii_uppercase().as_str() {
            "COMPLETED" => {}
            "FAILED" => {
                out.other.failed += 1;
                continue;
            }
            "PENDING" => {
                out.other.pending += 1;
                continue;
            }
            "REMOVED" => {
                out.other.removed += 1;
                continue;
            }
            "ARCHIVED" => {
                out.other.archived += 1;
                continue;
            }
            "CANCELLED" | "CANCELED" => {
                out.other.cancelled += 1;
                continue;
            }
            _ => {
                out.other.unknown += 1;
                continue;
            }
        }
        let at = parse_time(&b.inserted_at)?;
        out.backups.push(record(b.id, b.is_physical_backup, at));
    }
    out.backups.sort_by_key(|b| b.stop);
    let data = resp.physical_backup_data.unwrap_or_default();
    out.window = match (
        data.earliest_physical_backup_date_unix,
        data.latest_physical_backup_date_unix,
    ) {
        (Some(e), Some(l)) if e > 0 && l > 0 => Some((unix(e)?, unix(l)?)),
        _ => None,
    };
    Ok(out)
}

fn unix(secs: i64) -> Result<DateTime<Utc>, SourceError> {
    Utc.timestamp_opt(secs, 0)
        .single()
        .ok_or_else(|| SourceError::parse(WHAT, format!("unix time {secs} out of range")))
}

/// `inserted_at`: RFC 3339 (optional fractions), or a naive date-time taken as UTC.
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, SourceError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    let naive = text.trim_end_matches('Z');
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(naive, f).ok())
        .map(|t| t.and_utc())
        .ok_or_else(|| SourceError::parse(WHAT, format!("inserted_at {text:?} is not a date")))
}

fn record(id: Option<i64>, physical: bool, at: DateTime<Utc>) -> BackupRecord {
    BackupRecord {
        label: id.map_or_else(|| at.to_rfc3339(), |id| id.to_string()),
        kind: if physical {
            BackupType::Physical
        } else {
            BackupType::Logical
        },
        status: BackupStatus::Completed,
        start: at,
        stop: at,
        database_size: 0,
        delta: 0,
        repo_size: None,
        repo_delta: None,
        prior: None,
        references: Vec::new(),
        archive_start: None,
        archive_stop: None,
        lsn_start: None,
        lsn_stop: None,
        archive_id: None,
    }
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
