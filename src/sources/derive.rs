//! What a venture's backups mean: the PITR window ([`crate::pitr`]) and retention compliance
//! ([`crate::retention`]), derived purely from the source state after every poll.
//!
//! The WAL segment size comes from an endpoint's observation (`wal_segment_size`); without one
//! the PostgreSQL default of 16 MiB is assumed. Timeline history files fetched with the listing
//! let the window follow a timeline switch; an unparsable one is left out (the window then
//! stops at the switch) rather than hiding the whole window. A Supabase source's window is the
//! one piece its API reports ([`crate::sources::supabase::window`]).
//!
//! Supabase sources take a separate retention branch: restore points per UTC day
//! ([`compliance`]), and the rules the plan cannot meet in `supabase.unmeetable`.

use std::time::Duration;

use crate::pitr::{self, ArchivedSegment, BackupPoint, Window};
use crate::retention::{self, BackupKind, Item, Policy};
use crate::sources::supabase::compliance;
use crate::state::{BackupType, SourceKind, SourceState, VentureState};

/// PostgreSQL's default WAL segment size, used when no endpoint reported the real one.
pub const DEFAULT_SEGMENT_SIZE: u64 = 16 << 20;

/// Recomputes `window`, `verdicts` and `retention` of the venture's source state.
pub fn refresh(venture: &mut VentureState) {
    let seg = segment_size(venture);
    let policy = Policy::from(venture.objectives.retention);
    let pitr_objective = venture.objectives.pitr_window;
    let Some(src) = venture.source.as_mut() else {
        return;
    };
    src.window = match src.kind {
        SourceKind::Supabase => crate::sources::supabase::window::window(
            src.supabase.as_ref().and_then(|s| s.reported_window),
            &src.backups,
        ),
        SourceKind::PgBackRest => window(src, seg),
    };
    if src.kind == SourceKind::Supabase {
        supabase_retention(src, &policy, pitr_objective);
        return;
    }
    let items = items(src);
    src.verdicts = if policy.is_empty() {
        Vec::new()
    } else {
        retention::evaluate(&policy, &items)
    };
    src.retention = retention::required_and_kept(&policy, &items);
}

/// Supabase: the policy against one restore point per day (completed backups, PITR-covered
/// days), and the rules the plan cannot meet ([`compliance`]) into `supabase.unmeetable`.
fn supabase_retention(src: &mut SourceState, policy: &Policy, pitr_objective: Duration) {
    let a = compliance::assess(policy, pitr_objective, &src.backups, src.supabase.as_ref());
    src.verdicts = a.backup_verdicts;
    src.retention = a.retention;
    src.supabase.get_or_insert_with(Default::default).unmeetable = a.unmeetable;
}

/// The real WAL segment size from the first endpoint observed, else the default.
pub fn segment_size(venture: &VentureState) -> u64 {
    venture
        .endpoints
        .iter()
        .filter_map(|e| e.observed.as_ref())
        .map(|o| o.wal_segment_size)
        .find(|s| *s > 0)
        .unwrap_or(DEFAULT_SEGMENT_SIZE)
}

/// The window from the backups and the archive listing; `None` until the archive was listed.
pub fn window(src: &SourceState, segment_size: u64) -> Option<Window> {
    let listing = src.archive.as_ref()?;
    let backups: Vec<BackupPoint> = src
        .backups
        .iter()
        .filter_map(|b| {
            Some(BackupPoint {
                label: b.label.clone(),
                start: b.start,
                stop: b.stop,
                archive_start: b.archive_start.clone()?,
                archive_stop: b.archive_stop.clone()?,
                // Page-checksum errors do not stop a restore; every listed backup restores.
                usable: true,
            })
        })
        .collect();
    let segments: Vec<ArchivedSegment> = listing
        .files
        .iter()
        .map(|f| ArchivedSegment {
            name: f.name.clone(),
            archived_at: f.time,
            size: f.size,
        })
        .collect();
    let histories: Vec<pitr::TimelineHistory> = listing
        .histories
        .iter()
        .filter_map(|(timeline, text)| pitr::parse_history(*timeline, text).ok())
        .collect();
    pitr::compute_window(&backups, &segments, &histories, segment_size).ok()
}

/// Retention items in the order of `src.backups`.
pub fn items(src: &SourceState) -> Vec<Item> {
    src.backups
        .iter()
        .map(|b| {
            let kind = match b.kind {
                BackupType::Diff => BackupKind::Diff,
                BackupType::Incr => BackupKind::Incr,
                _ => BackupKind::Full,
            };
            Item::backup(&b.label, kind, b.prior.as_deref(), b.stop.fixed_offset())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{ArchiveListing, ArchivedFile, BackupRecord, BackupStatus};
    use chrono::{DateTime, TimeDelta, TimeZone, Utc};

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 0, 0, 0)
            .single()
            .expect("valid")
            + TimeDelta::minutes(min)
    }

    fn file(name: &str, min: i64) -> ArchivedFile {
        ArchivedFile {
            archive_id: "15-1".into(),
            path: format!("15-1/{name}"),
            name: name.into(),
            size: 16 << 20,
            time: t(min),
        }
    }

    /// A backup on timeline 1, a promotion at 0/3000000 (timeline 2), WAL on both sides.
    fn source(with_history: bool) -> SourceState {
        let mut src = SourceState::new(SourceKind::PgBackRest);
        src.backups = vec![BackupRecord {
            label: "20261127-000000F".into(),
            kind: BackupType::Full,
            status: BackupStatus::Completed,
            start: t(0),
            stop: t(1),
            database_size: 1,
            delta: 1,
            repo_size: Some(1),
            repo_delta: Some(1),
            prior: None,
            references: Vec::new(),
            archive_start: Some("000000010000000000000001".into()),
            archive_stop: Some("000000010000000000000001".into()),
            lsn_start: None,
            lsn_stop: None,
            archive_id: Some("15-1".into()),
        }];
        let files = vec![
            file("000000010000000000000001", 2),
            file("000000010000000000000002", 3),
            file("000000010000000000000003.partial", 4),
            file("00000002.history", 4),
            file("000000020000000000000003", 5),
            file("000000020000000000000004", 6),
        ];
        let histories = if with_history {
            vec![(
                2,
                "1\t0/3000000\tno recovery target specified\n".to_string(),
            )]
        } else {
            Vec::new()
        };
        src.archive = Some(ArchiveListing {
            at: t(7),
            files,
            wal_bytes: 0,
            histories,
        });
        src
    }

    #[test]
    fn the_window_follows_a_timeline_switch_through_its_history_file() {
        let w = window(&source(true), DEFAULT_SEGMENT_SIZE).expect("window");
        assert_eq!(w.pieces.len(), 1, "{w:?}");
        assert_eq!(w.pieces[0].start, t(1));
        assert_eq!(
            w.pieces[0].end,
            t(6),
            "ends with the newest timeline-2 segment"
        );
        assert_eq!(w.missing_segments, 0);
    }

    #[test]
    fn without_the_history_file_the_window_stops_at_the_switch() {
        let w = window(&source(false), DEFAULT_SEGMENT_SIZE).expect("window");
        assert_eq!(w.pieces.len(), 1, "{w:?}");
        assert_eq!(
            w.pieces[0].end,
            t(3),
            "ends with the last complete timeline-1 segment"
        );
    }

    #[test]
    fn an_unparsable_history_is_left_out_not_fatal() {
        let mut src = source(true);
        if let Some(l) = src.archive.as_mut() {
            l.histories = vec![(2, "garbage".into())];
        }
        assert!(window(&src, DEFAULT_SEGMENT_SIZE).is_some());
    }

    #[test]
    fn a_supabase_source_is_judged_by_restore_points_and_its_plan() {
        let mut src = SourceState::new(SourceKind::Supabase);
        if let Some(f) = src.supabase.as_mut() {
            f.pitr_enabled = Some(true);
            f.pitr_addon = Some("pitr_7".into());
            f.reported_window = Some((t(-7 * 24 * 60), t(0)));
        }
        let mut v = VentureState {
            name: "acme".into(),
            source: Some(src),
            ..VentureState::default()
        };
        refresh(&mut v);
        let src = v.source.as_ref().expect("source");
        let kept: Vec<(&str, i64, i64)> = src
            .retention
            .iter()
            .map(|r| (r.rule, r.required, r.kept))
            .collect();
        assert_eq!(
            kept,
            vec![("daily", 7, 7), ("weekly", 4, 2), ("monthly", 12, 1)]
        );
        let rules: Vec<&str> = src
            .supabase
            .as_ref()
            .map(|f| f.unmeetable.iter().map(|u| u.rule.as_str()).collect())
            .unwrap_or_default();
        assert_eq!(rules, vec!["weekly", "monthly", "pitr_window"]);
        assert!(
            src.verdicts.is_empty(),
            "one per listed backup: none listed"
        );
    }
}
