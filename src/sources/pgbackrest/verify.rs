//! `pgbackrest verify` (2.45: the whole repository): running it and parsing its text summary.
//!
//! The command runs as `verify --output=text --verbose`, which prints one block per stanza:
//!
//! ```text
//! stanza: acme
//! status: error
//!   archiveId: 15-1, total WAL checked: 2, total valid WAL: 1
//!     missing: 0, checksum invalid: 1, size invalid: 0, other: 0
//!   backup: 20261127-110302F, status: invalid, total files checked: 964, total valid files: 963
//!     missing: 0, checksum invalid: 1, size invalid: 0, other: 0
//! ```
//!
//! pgBackRest 2.45 exits 0 with `--output=text` even when it finds errors, so the outcome is the
//! `status:` line; a non-zero exit (it could not run at all) is a command error. Without
//! `--verbose` the count lines list only non-zero counts; both forms parse. Verify does not
//! prove that each backup's own WAL range is present (reference §4.2): the PITR window does.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::command::PgBackRestCommand;
use crate::sources::SourceError;

/// File counts of one archive id or one backup.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCounts {
    /// Files checked.
    pub checked: u64,
    /// Files that passed.
    pub valid: u64,
    /// Files the manifest (or the WAL sequence) names but the repository lacks.
    pub missing: u64,
    /// Files whose SHA-1 differs.
    pub checksum_invalid: u64,
    /// Files whose size differs.
    pub size_invalid: u64,
    /// Other errors (unreadable, …).
    pub other: u64,
}

/// One archive id (`15-1`) as verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveCheck {
    /// The archive id.
    pub id: String,
    /// What was found.
    pub counts: FileCounts,
}

/// One backup as verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupCheck {
    /// The backup label.
    pub label: String,
    /// `valid`, `invalid`, `manifest missing` or `in-progress`.
    pub status: String,
    /// What was found.
    pub counts: FileCounts,
}

/// The parsed result of one `pgbackrest verify`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyReport {
    /// `status: ok`.
    pub ok: bool,
    /// Archive ids, in output order.
    pub archives: Vec<ArchiveCheck>,
    /// Backups, in output order.
    pub backups: Vec<BackupCheck>,
}

impl VerifyReport {
    /// WAL files missing, over every archive id.
    pub fn missing_wal(&self) -> u64 {
        total(self.archives.iter().map(|a| a.counts.missing))
    }

    /// Files with a wrong checksum, archives and backups together.
    pub fn checksum_invalid(&self) -> u64 {
        let wal = self.archives.iter().map(|a| a.counts.checksum_invalid);
        total(wal.chain(self.backups.iter().map(|b| b.counts.checksum_invalid)))
    }

    /// Labels of backups verify found invalid (or whose manifest is missing).
    pub fn invalid_backups(&self) -> Vec<String> {
        self.backups
            .iter()
            .filter(|b| b.status == "invalid" || b.status == "manifest missing")
            .map(|b| b.label.clone())
            .collect()
    }

    /// One line naming what is wrong (or `passed: …` with what was checked).
    pub fn summary(&self) -> String {
        let mut problems = Vec::new();
        for a in &self.archives {
            if let Some(text) = describe(&a.counts) {
                problems.push(format!("WAL archive {}: {text}", a.id));
            }
        }
        for b in &self.backups {
            let text = describe(&b.counts);
            if b.status != "valid" && b.status != "in-progress" {
                let what = text.map(|t| format!(": {t}")).unwrap_or_default();
                problems.push(format!("backup {} {}{what}", b.label, b.status));
            }
        }
        if self.ok && problems.is_empty() {
            let wal = total(self.archives.iter().map(|a| a.counts.checked));
            let files = total(self.backups.iter().map(|b| b.counts.checked));
            return format!(
                "passed: {wal} WAL files and {} backups ({files} files) valid",
                self.backups.len()
            );
        }
        if problems.is_empty() {
            problems.push("pgbackrest verify reported status error".to_owned());
        }
        format!("failed: {}", problems.join("; "))
    }
}

/// The sum of counts, saturating: each count is any `u64` the output printed, so a sum of
/// several may not fit.
fn total(counts: impl Iterator<Item = u64>) -> u64 {
    counts.fold(0, u64::saturating_add)
}

/// "1 checksum invalid, 2 missing", or `None` when every count is zero.
fn describe(c: &FileCounts) -> Option<String> {
    let parts: Vec<String> = [
        (c.missing, "missing"),
        (c.checksum_invalid, "checksum invalid"),
        (c.size_invalid, "size invalid"),
        (c.other, "other error"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// `key: value` pairs of one line, split on commas.
fn pairs(line: &str) -> impl Iterator<Item = (&str, &str)> {
    line.split(',').filter_map(|p| {
        let (k, v) = p.split_once(':')?;
        Some((k.trim(), v.trim()))
    })
}

fn number(value: &str, key: &str) -> Result<u64, SourceError> {
    value.parse().map_err(|_| {
        SourceError::parse(
            "pgbackrest verify output",
            format!("{key}: {value:?} is not a count"),
        )
    })
}

/// Applies one counts line to `counts`.
fn read_counts(line: &str, counts: &mut FileCounts) -> Result<(), SourceError> {
    for (key, value) in pairs(line) {
        let slot = match key {
            "missing" => &mut counts.missing,
            "checksum invalid" => &mut counts.checksum_invalid,
            "size invalid" => &mut counts.size_invalid,
            "other" => &mut counts.other,
            "total WAL checked" | "total files checked" => &mut counts.checked,
            "total valid WAL" | "total valid files" => &mut counts.valid,
            _ => continue,
        };
        *slot = number(value, key)?;
    }
    Ok(())
}

/// Which entry the next counts line belongs to.
enum Current {
    None,
    Archive,
    Backup,
}

/// Parses the text summary of `pgbackrest verify --output=text [--verbose]` for `stanza`.
pub fn parse_verify(text: &str, stanza: &str) -> Result<VerifyReport, SourceError> {
    let mut report = VerifyReport::default();
    let (mut in_stanza, mut status, mut current) = (false, None, Current::None);
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(name) = line.strip_prefix("stanza:") {
            in_stanza = name.trim() == stanza;
            current = Current::None;
            continue;
        }
        if !in_stanza {
            continue;
        }
        if let Some(s) = line.strip_prefix("status:") {
            status = Some(s.trim() == "ok");
        } else if let Some(rest) = line.strip_prefix("archiveId:") {
            let id = rest.split(',').next().unwrap_or_default().trim().to_owned();
            let mut counts = FileCounts::default();
            read_counts(line, &mut counts)?;
            report.archives.push(ArchiveCheck { id, counts });
            current = Current::Archive;
        } else if let Some(rest) = line.strip_prefix("backup:") {
            let label = rest.split(',').next().unwrap_or_default().trim().to_owned();
            let status = pairs(line)
                .find(|(k, _)| *k == "status")
                .map(|(_, v)| v.to_owned())
                .unwrap_or_default();
            let mut counts = FileCounts::default();
            read_counts(line, &mut counts)?;
            report.backups.push(BackupCheck {
                label,
                status,
                counts,
            });
            current = Current::Backup;
        } else {
            let counts = match current {
                Current::Archive => report.archives.last_mut().map(|a| &mut a.counts),
                Current::Backup => report.backups.last_mut().map(|b| &mut b.counts),
                Current::None => None,
            };
            if let Some(counts) = counts {
                read_counts(line, counts)?;
            }
        }
    }
    report.ok = status.ok_or_else(|| {
        SourceError::parse(
            "pgbackrest verify output",
            format!("no `status:` line for stanza {stanza}"),
        )
    })?;
    Ok(report)
}

/// One run of `pgbackrest verify`, timed.
#[derive(Debug)]
pub struct VerifyRun {
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it finished (or failed).
    pub finished_at: DateTime<Utc>,
    /// The parsed report, or why there is none.
    pub result: Result<VerifyReport, SourceError>,
}

/// Runs `pgbackrest verify --output=text --verbose` with `command`'s timeout.
pub async fn run_verify(command: &PgBackRestCommand) -> VerifyRun {
    let started_at = Utc::now();
    let out = command.run(&["verify", "--output=text", "--verbose"]).await;
    let result = out.and_then(|text| parse_verify(&text, command.stanza()));
    VerifyRun {
        started_at,
        finished_at: Utc::now(),
        result,
    }
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
