//! What a backup source reports: backups, failed runs, and the WAL present in the repository.
//!
//! Filled by the backup sources (`crate::sources`) into [`SourceState`](super::SourceState);
//! read by the metrics collector, the PITR window and retention. Lists are in chronological
//! order (oldest first), as the sources report them.

use chrono::{DateTime, Utc};

/// Backup type (the `type` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BackupType {
    /// pgBackRest full backup.
    Full,
    /// pgBackRest differential backup (changes since the last full).
    Diff,
    /// pgBackRest incremental backup (changes since the last backup of any type).
    Incr,
    /// Supabase physical backup.
    Physical,
    /// Supabase logical backup.
    Logical,
}

impl BackupType {
    /// The `type` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            BackupType::Full => "full",
            BackupType::Diff => "diff",
            BackupType::Incr => "incr",
            BackupType::Physical => "physical",
            BackupType::Logical => "logical",
        }
    }
}

/// Status of a backup the source lists (the `status` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BackupStatus {
    /// Finished and usable.
    Completed,
    /// pgBackRest `"error": true`: finished, but page-checksum errors were found while copying.
    /// Not a failed job, but not counted as usable by `backstop_backup_last_success_*`.
    ChecksumError,
}

impl BackupStatus {
    /// The `status` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            BackupStatus::Completed => "completed",
            BackupStatus::ChecksumError => "checksum_error",
        }
    }

    /// Whether a backup with this status counts as a usable restore point.
    pub fn is_usable(self) -> bool {
        self == BackupStatus::Completed
    }
}

/// One backup listed by the source (pgBackRest: one entry of `info`'s `backup[]`).
#[derive(Debug, Clone, PartialEq)]
pub struct BackupRecord {
    /// `20261127-080001F`, `…F_…D`, `…F_…I`. Never a metric label.
    pub label: String,
    /// full, diff or incr.
    pub kind: BackupType,
    /// completed or checksum_error.
    pub status: BackupStatus,
    /// `timestamp.start`.
    pub start: DateTime<Utc>,
    /// `timestamp.stop`: the earliest point this backup can restore to.
    pub stop: DateTime<Utc>,
    /// `info.size`: database size the backup captured, in bytes.
    pub database_size: u64,
    /// `info.delta`: bytes copied by this backup.
    pub delta: u64,
    /// `info.repository.size`: backup set size in the repository (absent with block incremental).
    pub repo_size: Option<u64>,
    /// `info.repository.delta`: bytes this backup stored (absent with block incremental).
    pub repo_delta: Option<u64>,
    /// `prior`: the backup this one is based on (diff/incr).
    pub prior: Option<String>,
    /// `reference[]`: every backup this one needs files from.
    pub references: Vec<String>,
    /// `archive.start`: first WAL segment the backup needs.
    pub archive_start: Option<String>,
    /// `archive.stop`: last WAL segment the backup needs to be consistent.
    pub archive_stop: Option<String>,
    /// `lsn.start`, when listed.
    pub lsn_start: Option<u64>,
    /// `lsn.stop`, when listed.
    pub lsn_stop: Option<u64>,
    /// The archive id (`15-1`) holding this backup's WAL, from its database id.
    pub archive_id: Option<String>,
}

/// A backup run that failed (pgBackRest: a run of the stanza's backup log with an `ERROR` line).
#[derive(Debug, Clone, PartialEq)]
pub struct BackupFailure {
    /// When the error was logged.
    pub at: DateTime<Utc>,
    /// pgBackRest error code (`[056]` → 56), when logged.
    pub code: Option<u32>,
    /// The error message, capped in length (never a metric label).
    pub message: String,
}

/// A database history of the repository (pgBackRest `db[]`: one per `stanza-upgrade`).
#[derive(Debug, Clone, PartialEq)]
pub struct RepoDatabase {
    /// `id`.
    pub id: u32,
    /// PostgreSQL major version (`"15"`).
    pub version: String,
    /// `system-id` of the cluster.
    pub system_id: u64,
}

/// WAL range pgBackRest reports for one archive id (`archive[]`).
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveRange {
    /// Archive id (`15-1`).
    pub id: String,
    /// Database id it belongs to.
    pub database_id: Option<u32>,
    /// Oldest WAL segment present (absent when the archive is empty).
    pub min: Option<String>,
    /// Newest WAL segment present.
    pub max: Option<String>,
}

/// One WAL-archive file present in the repository.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchivedFile {
    /// Archive id directory (`15-1`).
    pub archive_id: String,
    /// Path relative to the stanza's archive directory, as listed.
    pub path: String,
    /// The PostgreSQL file name: a 24-hex segment, `….partial`, `….backup` or `TTTTTTTT.history`,
    /// without pgBackRest's `-<sha1>` and compression suffixes.
    pub name: String,
    /// Size in the repository (compressed size when compressed).
    pub size: u64,
    /// Modification time in the repository.
    pub time: DateTime<Utc>,
}

/// The WAL archive listing of a stanza.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiveListing {
    /// When the listing finished.
    pub at: DateTime<Utc>,
    /// Files in name order within each archive id.
    pub files: Vec<ArchivedFile>,
    /// Σ `files[].size`.
    pub wal_bytes: u64,
    /// Timeline history files (`0000000N.history`): the timeline and the file's text, so the
    /// window can follow a timeline switch.
    pub histories: Vec<(u32, String)>,
}
