//! Backup-source families: `source_*`, `backup_*` and `backups{status}`, labelled
//! `{venture, source}` (plus `type` or `status`), read from each venture's
//! [`SourceState`].
//!
//! Usable means `completed`: a `checksum_error` backup is counted in `backups{status}` but never
//! sets `backup_last_success_*` or `backup_last_size_bytes`. Unknown values are absent:
//! everything but `source_up` waits for the first successful poll, `backups{status="failed"}`
//! for the first read of the failures, `backup_repository_size_bytes` for a WAL listing and a
//! repository delta on every backup (block-incremental repositories do not report one).

use std::fmt;

use prometheus_client::encoding::{DescriptorEncoder, EncodeGaugeValue};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;

use super::family::{flag, unix, BYTES, SECONDS};
use crate::state::{BackupStatus, BackupType, Snapshot, SourceKind, SourceState};

/// Backup types, in `type` label order.
const TYPES: [BackupType; 5] = [
    BackupType::Full,
    BackupType::Diff,
    BackupType::Incr,
    BackupType::Physical,
    BackupType::Logical,
];

/// `status` values of `backstop_backups` that backstop observes for every source.
pub const BACKUP_STATUSES: [&str; 3] = ["completed", "checksum_error", "failed"];

/// Writes every backup-source family.
pub(super) fn encode(enc: &mut DescriptorEncoder<'_>, snap: &Snapshot) -> fmt::Result {
    source_gauge(
        enc,
        snap,
        "source_up",
        "1 when the last poll of the backup source succeeded, 0 when it failed.",
        None,
        None,
        |s, _| s.up.map(flag),
    )?;
    source_gauge(
        enc,
        snap,
        "source_last_poll_timestamp",
        "Unix time the last successful poll of the backup source finished.",
        Some(&SECONDS),
        None,
        |s, _| s.last_poll.map(unix),
    )?;
    let types = TYPES.map(BackupType::as_str);
    source_gauge(
        enc,
        snap,
        "backup_last_success_timestamp",
        "Stop time of the newest usable (completed) backup of each type.",
        Some(&SECONDS),
        Some(("type", &types)),
        |s, i| s.newest_usable(Some(TYPES[i])).map(|b| unix(b.stop)),
    )?;
    source_gauge(
        enc,
        snap,
        "backup_last_failure_timestamp",
        "Unix time of the newest failed backup run (pgBackRest: from the stanza's backup log).",
        Some(&SECONDS),
        None,
        |s, _| s.failures.iter().map(|f| f.at).max().map(unix),
    )?;
    source_gauge(
        enc,
        snap,
        "backup_last_size",
        "Database size the newest usable backup captured.",
        Some(&BYTES),
        None,
        // The Supabase API reports no sizes: pg_database_size through an endpoint, else absent.
        |s, _| match s.kind {
            SourceKind::Supabase => {
                s.last_poll?;
                Some(s.supabase.as_ref()?.database_size?.value)
            }
            SourceKind::PgBackRest => s.newest_usable(None).map(|b| b.database_size),
        },
    )?;
    source_gauge(
        enc,
        snap,
        "backup_repository_size",
        "Storage used in the repository: the backups' repository deltas plus archived WAL.",
        Some(&BYTES),
        None,
        |s, _| repository_size(s),
    )?;
    source_gauge(
        enc,
        snap,
        "backups",
        "Backups by status: completed and checksum_error as listed, failed runs from the log.",
        None,
        Some(("status", &BACKUP_STATUSES)),
        |s, i| backups_with_status(s, BACKUP_STATUSES[i]),
    )
}

/// Σ repository delta of every listed backup + archived WAL bytes; absent when unknown.
pub fn repository_size(s: &SourceState) -> Option<u64> {
    s.last_poll?;
    let wal = s.archive.as_ref()?.wal_bytes;
    s.backups
        .iter()
        .try_fold(wal, |sum, b| Some(sum.saturating_add(b.repo_delta?)))
}

fn backups_with_status(s: &SourceState, status: &str) -> Option<u64> {
    s.last_poll?;
    let count = |st: BackupStatus| s.backups.iter().filter(|b| b.status == st).count() as u64;
    match status {
        "completed" => Some(count(BackupStatus::Completed)),
        "checksum_error" => Some(count(BackupStatus::ChecksumError)),
        "failed" => s.failed_runs,
        _ => None,
    }
}

/// A gauge family labelled `{venture, source}` plus, optionally, one more label with one series
/// per value; series whose value is `None` are absent, and so is a family without series.
fn source_gauge<V: EncodeGaugeValue>(
    enc: &mut DescriptorEncoder<'_>,
    snap: &Snapshot,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    extra: Option<(&str, &[&str])>,
    value: impl Fn(&SourceState, usize) -> Option<V>,
) -> fmt::Result {
    let sources = || {
        snap.ventures
            .iter()
            .filter_map(|v| v.source.as_ref().map(|s| (v.name.as_str(), s)))
    };
    let width = extra.map_or(1, |(_, values)| values.len());
    if !sources().any(|(_, s)| (0..width).any(|i| value(s, i).is_some())) {
        return Ok(());
    }
    let mut family = enc.encode_descriptor(name, help, unit, MetricType::Gauge)?;
    for (venture, s) in sources() {
        for i in 0..width {
            let Some(x) = value(s, i) else { continue };
            let base = [("venture", venture), ("source", s.kind.as_str())];
            match extra {
                Some((key, values)) => {
                    let labels = [base[0], base[1], (key, values[i])];
                    family.encode_family(&labels)?.encode_gauge(&x)?;
                }
                None => family.encode_family(&base)?.encode_gauge(&x)?,
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::metrics::{synthetic, Format, Metrics};
    use crate::state::{SharedState, SourceKind};

    fn text(snap: Snapshot) -> String {
        Metrics::new(SharedState::new(snap))
            .encode(Format::PrometheusText)
            .expect("encodes")
    }

    #[test]
    fn checksum_errors_are_counted_but_not_usable() {
        let now = Utc::now();
        let snap = synthetic::snapshot(1, now);
        let src = snap.ventures[0].source.clone().expect("source");
        let out = text(snap);
        let l = r#"venture="venture-0000",source="pgbackrest""#;
        let incr = unix(src.backups[2].stop);
        assert!(out.contains(&format!(
            "backstop_backup_last_success_timestamp_seconds{{{l},type=\"incr\"}} {incr}\n"
        )));
        assert!(
            !out.contains(r#"type="diff""#),
            "the only diff has checksum errors:\n{out}"
        );
        assert!(out.contains(&format!(
            "backstop_backups{{{l},status=\"checksum_error\"}} 1\n"
        )));
        assert!(out.contains(&format!("backstop_backups{{{l},status=\"completed\"}} 2\n")));
        assert!(out.contains(&format!("backstop_backups{{{l},status=\"failed\"}} 1\n")));
        let repo = 3 * (1u64 << 20) + 4 * (16 << 20);
        assert_eq!(repository_size(&src), Some(repo));
        assert!(out.contains(&format!(
            "backstop_backup_repository_size_bytes{{{l}}} {repo}\n"
        )));
    }

    #[test]
    fn unknown_is_absent() {
        let mut snap = synthetic::snapshot(1, Utc::now());
        let src = std::sync::Arc::make_mut(&mut snap.ventures[0])
            .source
            .as_mut()
            .expect("source");
        src.backups[0].repo_delta = None;
        src.failed_runs = None;
        src.failures.clear();
        let out = text(snap.clone());
        assert!(!out.contains("backstop_backup_repository_size_bytes"));
        assert!(!out.contains(r#"status="failed""#));
        assert!(!out.contains("backstop_backup_last_failure_timestamp_seconds"));

        std::sync::Arc::make_mut(&mut snap.ventures[0]).source =
            Some(SourceState::new(SourceKind::PgBackRest));
        let out = text(snap);
        for absent in [
            "backstop_source_up",
            "backstop_backups",
            "backstop_backup_last",
            "backstop_backup_repository",
        ] {
            assert!(!out.contains(absent), "{absent}:\n{out}");
        }
    }
}
