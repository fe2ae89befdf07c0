//! Backup coverage and retention compliance now (pure), from the one poll made for the report:
//! the newest usable backup against `backup_max_age`, the PITR window (pieces, gaps, coverage
//! against `pitr_window`, exposure against the RPO), the retention rules (required against kept)
//! and, on Supabase, the rules the plan cannot meet.

use chrono::{DateTime, Utc};

use super::model::{
    Coverage, NewestBackup, Retention, RuleRow, UnmeetableRow, WindowGap, WindowPiece, WindowRow,
};
use crate::state::{Objectives, VentureState};

/// Coverage of `v` polled at `now`.
pub fn coverage(v: &VentureState, objectives: &Objectives, now: DateTime<Utc>) -> Coverage {
    let mut notes = Vec::new();
    let src = v.source.as_ref();
    if src.is_none() {
        notes.push(
            "the venture has no backup source ([ventures.backups]): no coverage is observed"
                .to_owned(),
        );
    }
    if src.is_some_and(|s| s.up != Some(true)) {
        notes.push("the backup source did not answer the poll made for this report; run `backstop check` for the cause".to_owned());
    }
    let newest = src
        .and_then(|s| s.newest_usable(None))
        .map(|b| NewestBackup {
            label: b.label.clone(),
            kind: b.kind.as_str().to_owned(),
            stop: b.stop,
            age_seconds: (now - b.stop).to_std().unwrap_or_default().as_secs(),
        });
    if src.is_some() && newest.is_none() {
        notes.push("no usable backup is listed".to_owned());
    }
    let window = src.and_then(|s| s.window.as_ref()).map(|w| {
        let coverage_seconds = w
            .earliest()
            .map(|e| (now - e).to_std().unwrap_or_default().as_secs());
        let exposure_seconds = w.exposure(now).map(|d| d.as_secs());
        WindowRow {
            pieces: w
                .pieces
                .iter()
                .map(|p| WindowPiece {
                    start: p.start,
                    end: p.end,
                    base_backup: p.base_backup.clone(),
                })
                .collect(),
            gaps: w
                .gaps
                .iter()
                .map(|g| WindowGap {
                    missing: g.missing,
                    after_segment: g.after_segment.clone(),
                    before_segment: g.before_segment.clone(),
                })
                .collect(),
            coverage_met: coverage_seconds.map(|c| c >= objectives.pitr_window.as_secs()),
            coverage_seconds,
            exposure_met: exposure_seconds.map(|e| e <= objectives.rpo.as_secs()),
            exposure_seconds,
        }
    });
    if src.is_some() && window.is_none() {
        notes.push("the PITR window is not known (the WAL archive was not listed)".to_owned());
    }
    notes.push("the PITR window is observed, not recorded: its history is not kept; passed drills in the period are the evidence that their targets were recoverable".to_owned());
    Coverage {
        polled_at: now,
        source_up: src.and_then(|s| s.up),
        backups: src.map_or(0, |s| s.backups.len() as u32),
        backup_age_met: newest
            .as_ref()
            .map(|n| n.age_seconds <= objectives.backup_max_age.as_secs()),
        newest_backup: newest,
        backup_max_age_seconds: objectives.backup_max_age.as_secs(),
        window,
        notes,
    }
}

/// Retention compliance of `v`.
pub fn retention(v: &VentureState) -> Retention {
    let src = v.source.as_ref();
    let supabase = crate::inspect::restore_points::of(v);
    let verdicts = src.map(|s| s.verdicts.as_slice()).unwrap_or_default();
    Retention {
        rules: src
            .map(|s| s.retention.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|r| RuleRow {
                rule: r.rule.to_owned(),
                required: r.required,
                kept: r.kept,
                met: r.is_met(),
            })
            .collect(),
        kept_backups: verdicts.iter().filter(|d| d.keep).count() as u32,
        expirable_backups: verdicts.iter().filter(|d| !d.keep).count() as u32,
        supabase_plan: supabase.as_ref().map(|s| s.plan.clone()),
        unmeetable: supabase
            .map(|s| s.unmeetable_rules)
            .unwrap_or_default()
            .into_iter()
            .map(|u| UnmeetableRow {
                rule: u.rule,
                reason: u.reason,
            })
            .collect(),
    }
}
