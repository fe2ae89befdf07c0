//! Parsing `pgbackrest info --output=json` (pure): the stanza's status, backups, database
//! histories and archive ranges.
//!
//! Keys are read by name (pgBackRest emits them alphabetically and adds new ones over time);
//! unknown keys are ignored, missing optional ones are unknown. Shape: reference
//! anchors-retention-verify-drill.md §4.3; checked against pgBackRest 2.45.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::super::error::SourceError;
use crate::postgres::wal::parse_lsn;
use crate::state::{ArchiveRange, BackupRecord, BackupStatus, BackupType, RepoDatabase};

const WHAT: &str = "pgbackrest info output";

/// What `info` says about one stanza.
#[derive(Debug, Clone, PartialEq)]
pub struct StanzaInfo {
    /// `status.code` and `status.message`.
    pub status: (i32, String),
    /// Backups as listed (oldest first).
    pub backups: Vec<BackupRecord>,
    /// `db[]`.
    pub databases: Vec<RepoDatabase>,
    /// `archive[]`.
    pub archives: Vec<ArchiveRange>,
}

#[derive(Deserialize)]
struct RawStanza {
    name: String,
    status: RawStatus,
    #[serde(default)]
    backup: Vec<RawBackup>,
    #[serde(default)]
    db: Vec<RawDb>,
    #[serde(default)]
    archive: Vec<RawArchive>,
}

#[derive(Deserialize)]
struct RawStatus {
    code: i32,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct RawBackup {
    label: String,
    #[serde(rename = "type")]
    kind: String,
    timestamp: RawRange<i64>,
    info: RawInfo,
    prior: Option<String>,
    reference: Option<Vec<String>>,
    archive: Option<RawRange<Option<String>>>,
    error: Option<bool>,
    lsn: Option<RawRange<Option<String>>>,
    database: Option<RawDbRef>,
}

#[derive(Deserialize)]
struct RawRange<T> {
    start: T,
    stop: T,
}

#[derive(Deserialize)]
struct RawInfo {
    size: u64,
    delta: u64,
    repository: Option<RawRepository>,
}

#[derive(Deserialize)]
struct RawRepository {
    size: Option<u64>,
    delta: Option<u64>,
}

#[derive(Deserialize)]
struct RawDbRef {
    id: u32,
}

#[derive(Deserialize)]
struct RawDb {
    id: u32,
    #[serde(rename = "system-id")]
    system_id: u64,
    version: String,
}

#[derive(Deserialize)]
struct RawArchive {
    id: String,
    database: Option<RawDbRef>,
    min: Option<String>,
    max: Option<String>,
}

/// Parses `info --output=json` and returns the entry of `stanza`.
pub fn parse_info(json: &str, stanza: &str) -> Result<StanzaInfo, SourceError> {
    if json.trim().is_empty() {
        return Err(SourceError::parse(WHAT, "empty output"));
    }
    let stanzas: Vec<RawStanza> =
        serde_json::from_str(json).map_err(|e| SourceError::parse(WHAT, e))?;
    let raw = stanzas
        .into_iter()
        .find(|s| s.name == stanza)
        .ok_or_else(|| SourceError::parse(WHAT, format!("stanza {stanza:?} is not listed")))?;
    let archives: Vec<ArchiveRange> = raw
        .archive
        .into_iter()
        .map(|a| ArchiveRange {
            id: a.id,
            database_id: a.database.map(|d| d.id),
            min: a.min,
            max: a.max,
        })
        .collect();
    let backups = raw
        .backup
        .into_iter()
        .map(|b| backup(b, &archives))
        .collect::<Result<_, _>>()?;
    Ok(StanzaInfo {
        status: (raw.status.code, raw.status.message),
        backups,
        databases: raw
            .db
            .into_iter()
            .map(|d| RepoDatabase {
                id: d.id,
                version: d.version,
                system_id: d.system_id,
            })
            .collect(),
        archives,
    })
}

fn backup(b: RawBackup, archives: &[ArchiveRange]) -> Result<BackupRecord, SourceError> {
    let kind = match b.kind.as_str() {
        "full" => BackupType::Full,
        "diff" => BackupType::Diff,
        "incr" => BackupType::Incr,
        other => {
            return Err(SourceError::parse(
                WHAT,
                format!("backup {} has unknown type {other:?}", b.label),
            ))
        }
    };
    let time = |secs: i64| {
        DateTime::<Utc>::from_timestamp(secs, 0).ok_or_else(|| {
            SourceError::parse(WHAT, format!("backup {} has timestamp {secs}", b.label))
        })
    };
    let (start, stop) = (time(b.timestamp.start)?, time(b.timestamp.stop)?);
    let (archive_start, archive_stop) = b.archive.map_or((None, None), |a| (a.start, a.stop));
    let lsn = |t: Option<String>| t.and_then(|t| parse_lsn(&t).ok());
    let (lsn_start, lsn_stop) = b.lsn.map_or((None, None), |l| (lsn(l.start), lsn(l.stop)));
    let database_id = b.database.map(|d| d.id);
    let archive_id = archives
        .iter()
        .find(|a| a.database_id.is_some() && a.database_id == database_id)
        .map(|a| a.id.clone());
    Ok(BackupRecord {
        kind,
        status: if b.error == Some(true) {
            BackupStatus::ChecksumError
        } else {
            BackupStatus::Completed
        },
        start,
        stop,
        database_size: b.info.size,
        delta: b.info.delta,
        repo_size: b.info.repository.as_ref().and_then(|r| r.size),
        repo_delta: b.info.repository.as_ref().and_then(|r| r.delta),
        prior: b.prior,
        references: b.reference.unwrap_or_default(),
        archive_start,
        archive_stop,
        lsn_start,
        lsn_stop,
        archive_id,
        label: b.label,
    })
}

#[cfg(test)]
#[path = "info_tests.rs"]
mod tests;
