//! Backup status of a venture: the newest usable backup (time, type, size), counts by status,
//! repository size, and every backup with its retention verdict — `backstop backups --json`
//! plus the summary figures, secrets removed from failure messages.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::scrub::Scrubber;
use crate::inspect::backups::{report, BackupsReport};
use crate::state::VentureState;

/// The newest usable backup.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LastBackup {
    /// Backup label.
    pub label: String,
    /// full, diff, incr, physical or logical.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Its stop time.
    pub time: DateTime<Utc>,
    /// Database size it captured, bytes (Supabase: `pg_database_size` through an endpoint,
    /// `null` without one).
    pub size_bytes: Option<u64>,
}

/// `GET /api/v1/ventures/{v}/backups`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BackupsView {
    /// `pgbackrest`, `supabase`, or `null` without a backup source.
    pub source: Option<&'static str>,
    /// When the source was last polled successfully; `null` before.
    pub last_poll: Option<DateTime<Utc>>,
    /// The newest usable backup; `null` when none is known.
    pub last_backup: Option<LastBackup>,
    /// Backups listed.
    pub count: usize,
    /// Backups by status (`completed`, `checksum_error`), plus `failed` runs when known.
    pub by_status: BTreeMap<&'static str, u64>,
    /// Σ backup deltas + archived WAL, bytes; `null` when unknown.
    pub repository_size_bytes: Option<u64>,
    /// Everything `backstop backups --json` says, verdicts included.
    #[serde(flatten)]
    pub report: BackupsReport,
}

/// The backup status of `v` at `now` (pure).
pub fn backups(v: &VentureState, now: DateTime<Utc>, scrub: &Scrubber) -> BackupsView {
    let src = v.source.as_ref();
    let mut report = report(v, now);
    for f in &mut report.failures {
        f.message = scrub.text(&f.message);
    }
    if let Some(x) = report.verification.as_mut() {
        x.detail = scrub.text(&x.detail);
    }
    for f in &mut report.findings {
        f.message = scrub.text(&f.message);
        f.action = scrub.text(&f.action);
    }
    let mut by_status = BTreeMap::new();
    for b in src.map(|s| s.backups.as_slice()).unwrap_or_default() {
        *by_status.entry(b.status.as_str()).or_insert(0) += 1;
    }
    if let Some(failed) = src.and_then(|s| s.failed_runs) {
        by_status.insert("failed", failed);
    }
    let supabase_size = src
        .and_then(|s| s.supabase.as_ref())
        .map(|s| s.database_size.map(|t| t.value));
    BackupsView {
        source: src.map(|s| s.kind.as_str()),
        last_poll: src.and_then(|s| s.last_poll),
        last_backup: src.and_then(|s| s.newest_usable(None)).map(|b| LastBackup {
            label: b.label.clone(),
            kind: b.kind.as_str(),
            time: b.stop,
            size_bytes: supabase_size.unwrap_or(Some(b.database_size)),
        }),
        count: src.map_or(0, |s| s.backups.len()),
        by_status,
        repository_size_bytes: src.and_then(crate::metrics::source::repository_size),
        report,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_matches_the_listed_backups() {
        let now = Utc::now();
        let snap = crate::metrics::synthetic::snapshot(1, now);
        let v = &snap.ventures[0];
        let view = backups(v, now, &Scrubber::default());
        let src = v.source.as_ref().expect("source");
        assert_eq!(view.count, src.backups.len());
        assert_eq!(view.report.backups.len(), src.backups.len());
        let newest = src.newest_usable(None).expect("usable");
        let last = view.last_backup.expect("last");
        assert_eq!(
            (last.label.as_str(), last.time),
            (newest.label.as_str(), newest.stop)
        );
        let counted: u64 = view
            .by_status
            .iter()
            .filter(|(k, _)| **k != "failed")
            .map(|(_, n)| n)
            .sum();
        assert_eq!(counted as usize, view.count);
        let json = serde_json::to_value(backups(v, now, &Scrubber::default())).expect("json");
        assert!(json["backups"].is_array() && json["last_backup"]["type"].is_string());
    }
}
