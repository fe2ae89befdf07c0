//! Table tests of the Supabase readiness rules, through `source_rules` (as `backstop check` runs them).

use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use crate::check::rules::Severity;
use crate::check::source_rules::source_rules;
use crate::error::ErrorKind;
use crate::pitr::{Piece, Window};
use crate::state::{
    BackupRecord, BackupStatus, BackupType, EndpointObservation, EndpointState, Role, SourceKind,
    SourceState, VentureState,
};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0)
        .single()
        .expect("valid")
}

fn backup(age: TimeDelta) -> BackupRecord {
    BackupRecord {
        label: "1".into(),
        kind: BackupType::Physical,
        status: BackupStatus::Completed,
        start: now() - age,
        stop: now() - age,
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

fn window(start: DateTime<Utc>, end: DateTime<Utc>) -> Window {
    Window {
        pieces: vec![Piece {
            start,
            end,
            base_backup: "physical_backup_data".into(),
            first_segment: String::new(),
            last_segment: String::new(),
            backups: Vec::new(),
        }],
        ..Window::default()
    }
}

/// PITR on, a 7-day window ending a minute ago, healthy project, 7-day objective.
fn healthy() -> VentureState {
    let mut src = SourceState::new(SourceKind::Supabase);
    src.up = Some(true);
    src.last_poll = Some(now());
    src.backups = vec![backup(TimeDelta::days(3))];
    let end = now() - TimeDelta::minutes(1);
    src.window = Some(window(end - TimeDelta::days(7), end));
    if let Some(sb) = src.supabase.as_mut() {
        sb.pitr_enabled = Some(true);
        sb.reported_window = Some((end - TimeDelta::days(7), end));
        sb.project_status = Some("ACTIVE_HEALTHY".into());
        sb.db_health = Some("ACTIVE_HEALTHY".into());
    }
    let mut v = VentureState {
        name: "acme".into(),
        source: Some(src),
        ..VentureState::default()
    };
    v.objectives.pitr_window = Duration::from_secs(7 * 86_400);
    v
}

/// The window ends two hours ago (beyond the 15-minute RPO); an endpoint whose WAL position
/// is `current`, marked at 500 when the latest point was first seen.
fn lagging(v: &mut VentureState, current: Option<u64>) {
    let end = now() - TimeDelta::hours(2);
    if let Some(src) = v.source.as_mut() {
        src.window = Some(window(end - TimeDelta::days(7), end));
        if let Some(sb) = src.supabase.as_mut() {
            sb.wal_mark = Some((end, 500));
        }
    }
    if let Some(lsn) = current {
        v.endpoints.push(EndpointState {
            name: "db".into(),
            configured_role: Role::Primary,
            role: Role::Primary,
            observed: Some(EndpointObservation {
                at: now(),
                current_lsn: Some(lsn),
                ..EndpointObservation::default()
            }),
            ..EndpointState::default()
        });
    }
}

fn sb(v: &mut VentureState) -> &mut crate::state::SupabaseState {
    v.source
        .as_mut()
        .and_then(|s| s.supabase.as_mut())
        .expect("supabase")
}

fn src(v: &mut VentureState) -> &mut SourceState {
    v.source.as_mut().expect("source")
}

#[test]
fn table() {
    type Edit = fn(&mut VentureState);
    type Case = (&'static str, Edit, Vec<(&'static str, Severity)>);
    let cases: Vec<Case> = vec![
        ("healthy", |_| {}, vec![]),
        (
            "token rejected",
            |v| {
                src(v).up = Some(false);
                sb(v).last_error = Some(ErrorKind::Auth);
            },
            vec![("source_auth", Severity::Critical)],
        ),
        (
            "5xx: down, not the generic pgBackRest advice",
            |v| {
                src(v).up = Some(false);
                sb(v).last_error = Some(ErrorKind::Http);
            },
            vec![("source_down", Severity::Warning)],
        ),
        (
            "restoring",
            |v| sb(v).project_status = Some("RESTORING".into()),
            vec![("project_unhealthy", Severity::Warning)],
        ),
        (
            "restore failed",
            |v| sb(v).project_status = Some("RESTORE_FAILED".into()),
            vec![("project_unhealthy", Severity::Critical)],
        ),
        (
            "paused",
            |v| sb(v).project_status = Some("INACTIVE".into()),
            vec![("project_unhealthy", Severity::Critical)],
        ),
        (
            "db unhealthy",
            |v| sb(v).db_health = Some("UNHEALTHY".into()),
            vec![("db_unhealthy", Severity::Critical)],
        ),
        (
            "db coming up",
            |v| sb(v).db_health = Some("COMING_UP".into()),
            vec![("db_unhealthy", Severity::Warning)],
        ),
        (
            "status unknown: nothing judged",
            |v| {
                sb(v).project_status = None;
                sb(v).db_health = None;
            },
            vec![],
        ),
        (
            "window shorter than the objective",
            |v| v.objectives.pitr_window = Duration::from_secs(28 * 86_400),
            vec![("pitr_window_short", Severity::Warning)],
        ),
        (
            "lagging with WAL written since",
            |v| lagging(v, Some(501)),
            vec![("pitr_window_lagging", Severity::Critical)],
        ),
        (
            "lagging on an idle database",
            |v| lagging(v, Some(500)),
            vec![],
        ),
        (
            "lagging without an endpoint",
            |v| lagging(v, None),
            vec![("pitr_window_lagging", Severity::Warning)],
        ),
        (
            "PITR on: old daily backups are not stale",
            |v| src(v).backups = vec![backup(TimeDelta::days(9))],
            vec![],
        ),
        (
            "PITR on: window end beyond backup_max_age with writes",
            |v| {
                lagging(v, Some(900));
                let end = now() - TimeDelta::hours(30);
                src(v).window = Some(window(end - TimeDelta::days(7), end));
                sb(v).wal_mark = Some((end, 500));
            },
            vec![
                ("pitr_window_lagging", Severity::Critical),
                ("backup_stale", Severity::Critical),
            ],
        ),
        (
            "PITR off: fresh daily backup",
            |v| {
                sb(v).pitr_enabled = Some(false);
                src(v).backups = vec![backup(TimeDelta::hours(20))];
            },
            vec![],
        ),
        (
            "PITR off: stale daily backup",
            |v| {
                sb(v).pitr_enabled = Some(false);
                src(v).backups = vec![backup(TimeDelta::hours(27))];
            },
            vec![("backup_stale", Severity::Critical)],
        ),
        (
            "PITR off: no backup at all",
            |v| {
                sb(v).pitr_enabled = Some(false);
                src(v).backups.clear();
            },
            vec![("no_usable_backup", Severity::Critical)],
        ),
        (
            "PITR on, nothing reported",
            |v| {
                src(v).window = None;
                src(v).backups.clear();
            },
            vec![("no_usable_backup", Severity::Critical)],
        ),
        (
            "never polled: nothing judged",
            |v| {
                *src(v) = SourceState::new(SourceKind::Supabase);
            },
            vec![],
        ),
    ];
    for (case, edit, want) in cases {
        let mut v = healthy();
        edit(&mut v);
        let got: Vec<(&str, Severity)> = source_rules(&v, now())
            .into_iter()
            .map(|f| (f.rule, f.severity))
            .collect();
        assert_eq!(got, want, "case: {case}");
    }
}

#[test]
fn findings_name_the_figures() {
    let mut v = healthy();
    v.objectives.pitr_window = Duration::from_secs(30 * 86_400);
    let f = source_rules(&v, now());
    assert_eq!(f.len(), 1);
    assert!(f[0].message.contains("7.0 days"), "{}", f[0].message);
    assert!(f[0].message.contains("30.0 days"), "{}", f[0].message);
}
