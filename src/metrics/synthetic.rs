//! Synthetic snapshots with every field set, for encoder tests, scrape benchmarks and demos.
//!
//! Nothing here is observed: values are deterministic functions of the venture index.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::error::ErrorKind;
use crate::state::{
    AgentState, ArchiveListing, ArchiveRange, ArchivedFile, ArchiverStats, BackupFailure,
    BackupRecord, BackupStatus, BackupType, DrillState, EndpointObservation, EndpointState,
    FailoverState, HistogramState, Objectives, ProbeState, ReplicaStats, RepoDatabase, Role,
    Snapshot, SourceKind, SourceState, Timed, VentureState, VerificationState, WalReceiver,
};

/// A snapshot of `ventures` ventures (`venture-0000`, …), each with a primary `db-a` and a
/// standby `db-b`, a pgBackRest source and some errors counted, all observed around `now`.
///
/// ```
/// let snap = backstop::metrics::synthetic::snapshot(3, chrono::Utc::now());
/// assert_eq!(snap.ventures.len(), 3);
/// assert!(snap.ventures.iter().all(|v| v.endpoints.len() == 2));
/// ```
pub fn snapshot(ventures: usize, now: DateTime<Utc>) -> Snapshot {
    Snapshot::new(
        42,
        AgentState {
            version: crate::VERSION.to_owned(),
            started_at: Some(now - TimeDelta::hours(1)),
            first_poll_done: true,
        },
        (0..ventures).map(|i| venture(i, now)).collect(),
    )
}

fn venture(i: usize, now: DateTime<Utc>) -> VentureState {
    let mut errors = BTreeMap::new();
    errors.insert(ErrorKind::Timeout, i as u64 % 7);
    errors.insert(ErrorKind::Connect, 1);
    VentureState {
        name: format!("venture-{i:04}"),
        objectives: Objectives {
            rpo: Duration::from_secs(300 + i as u64 % 600),
            ..Objectives::default()
        },
        endpoints: vec![
            endpoint("db-a", Role::Primary, i, now),
            endpoint("db-b", Role::Standby, i, now),
        ],
        source: Some(source(i, now)),
        errors,
        drill: DrillState {
            last_run: Some(now - TimeDelta::days(20)),
            last_success: Some(now - TimeDelta::days(20)),
            last_outcome_ok: Some(true),
            rto_seconds: Some(1800.0 + i as f64),
            rpo_seconds: Some(7.5),
            runs: [1, 0, 0],
            missed_runs: 0,
            next_run: Some(now + TimeDelta::days(70)),
        },
        leader: Some(true),
        triggers: vec![crate::state::TriggerState {
            label: "backup_stale".to_owned(),
            runs: [1, 0],
        }],
        failover: FailoverState {
            outcomes: [1, 2, 0],
            in_progress: false,
            last_duration_seconds: Some(6.5),
        },
    }
}

fn source(i: usize, now: DateTime<Utc>) -> SourceState {
    let kind = if i % 2 == 0 {
        SourceKind::PgBackRest
    } else {
        SourceKind::Supabase
    };
    let day = TimeDelta::days(1);
    let backup = |label: &str, kind, status, age: TimeDelta, prior: Option<&str>| BackupRecord {
        label: label.to_owned(),
        kind,
        status,
        start: now - age - TimeDelta::minutes(10),
        stop: now - age,
        database_size: (1 << 30) + i as u64 * 4096,
        delta: 1 << 20,
        repo_size: Some(300 << 20),
        repo_delta: Some(1 << 20),
        prior: prior.map(str::to_owned),
        references: prior.into_iter().map(str::to_owned).collect(),
        archive_start: Some("000000030000000200000010".to_owned()),
        archive_stop: Some("000000030000000200000011".to_owned()),
        lsn_start: Some(0x2_1000_0028),
        lsn_stop: Some(0x2_1100_0100),
        archive_id: Some("16-1".to_owned()),
    };
    let full = "20260101-040000F";
    let archived = |n: u64| ArchivedFile {
        archive_id: "16-1".to_owned(),
        path: format!("16-1/0000000300000002/{:024X}", n),
        name: format!("{:024X}", n),
        size: 16 << 20,
        time: now - TimeDelta::minutes(n as i64),
    };
    SourceState {
        kind,
        up: Some(i % 13 != 0),
        last_poll: Some(now - TimeDelta::seconds(30)),
        backups: vec![
            backup(
                full,
                BackupType::Full,
                BackupStatus::Completed,
                day * 3,
                None,
            ),
            backup(
                "20260101-040000F_20260102-040000D",
                BackupType::Diff,
                BackupStatus::ChecksumError,
                day * 2,
                Some(full),
            ),
            backup(
                "20260101-040000F_20260103-040000I",
                BackupType::Incr,
                BackupStatus::Completed,
                day,
                Some(full),
            ),
        ],
        failures: vec![BackupFailure {
            at: now - TimeDelta::hours(5),
            code: Some(56),
            message: "unable to find primary cluster - cannot proceed".to_owned(),
        }],
        failed_runs: Some(1 + i as u64 % 3),
        archive: Some(ArchiveListing {
            at: now - TimeDelta::minutes(3),
            files: (0..4).map(archived).collect(),
            wal_bytes: 4 * (16 << 20),
            histories: Vec::new(),
        }),
        stanza_status: Some((0, "ok".to_owned())),
        databases: vec![RepoDatabase {
            id: 1,
            version: "16".to_owned(),
            system_id: 7_000_000_000_000_000_000 + i as u64,
        }],
        archive_ranges: vec![ArchiveRange {
            id: "16-1".to_owned(),
            database_id: Some(1),
            min: Some("000000030000000200000010".to_owned()),
            max: Some("000000030000000200000013".to_owned()),
        }],
        window: Some(window(now)),
        verdicts: Vec::new(),
        retention: ["daily", "weekly", "monthly"]
            .iter()
            .zip([7, 4, 12])
            .map(|(rule, required)| crate::retention::RuleStatus {
                rule,
                required,
                kept: required.min(3),
            })
            .collect(),
        supabase: supabase_facts(kind, i, now),
        verification: Some(VerificationState {
            last_run: now - TimeDelta::hours(2),
            last_success: Some(now - TimeDelta::hours(26)),
            last_outcome_ok: i % 7 != 1,
            missing_wal: 0,
            checksum_invalid: u64::from(i % 7 == 1),
            invalid_backups: Vec::new(),
            detail: if i % 7 == 1 {
                "failed: 1 checksum invalid"
            } else {
                "passed"
            }
            .to_owned(),
            next_due: Some(now + TimeDelta::days(6)),
        }),
    }
}

/// The project facts of a Supabase source: PITR on, healthy, polled on time; the schedule
/// drifted from the desired 04:00, the PITR add-on not.
fn supabase(i: usize, now: DateTime<Utc>) -> crate::state::SupabaseState {
    crate::state::SupabaseState {
        pitr_enabled: Some(true),
        walg_enabled: Some(true),
        reported_window: Some((now - TimeDelta::days(7), now - TimeDelta::minutes(2))),
        project_status: Some("ACTIVE_HEALTHY".to_owned()),
        db_health: Some("ACTIVE_HEALTHY".to_owned()),
        status_polled: Some(now - TimeDelta::seconds(30)),
        effective_interval: Some(Duration::from_secs(300)),
        database_size: Some(Timed {
            value: (1 << 30) + i as u64 * 4096,
            at: now - TimeDelta::minutes(1),
        }),
        schedule: chrono::NaiveTime::from_hms_opt(3, (i % 60) as u32, 0),
        pitr_addon: Some("pitr_7".to_owned()),
        drift: [("schedule".to_owned(), true), ("pitr".to_owned(), false)].into(),
        ..crate::state::SupabaseState::default()
    }
}

fn endpoint(name: &str, role: Role, i: usize, now: DateTime<Utc>) -> EndpointState {
    let standby = role == Role::Standby;
    let mut duration = HistogramState::default();
    for k in 0..20 {
        duration.observe(0.0007 * (1 + (i + k) % 9) as f64);
    }
    EndpointState {
        name: name.to_owned(),
        configured_role: role,
        role,
        fenced: false,
        role_since: None,
        address: None,
        probe: ProbeState {
            up: Some(true),
            last_attempt: Some(now - TimeDelta::seconds(2)),
            last_success: Some(now - TimeDelta::seconds(2)),
            duration,
        },
        observed: Some(EndpointObservation {
            at: now - TimeDelta::seconds(5),
            in_recovery: standby,
            server_version_num: 16,
            timeline: 3,
            wal_segment_size: 16 << 20,
            archive_mode: if standby { "on" } else { "always" }.to_owned(),
            archive_timeout_seconds: 60,
            current_lsn: Some(0x3_0000_0000 + i as u64 * 8192),
            archiver: Some(ArchiverStats {
                archived_count: 10_000 + i as u64,
                failed_count: i as u64 % 3,
                last_archived_wal: Some("000000030000000300000000".to_owned()),
                last_archived_time: Some(now - TimeDelta::seconds(40)),
                last_failed_wal: Some("0000000300000002000000FF".to_owned()),
                last_failed_time: Some(now - TimeDelta::days(2)),
            }),
            archive_lag_bytes: Some(8192 * (i as u64 % 100)),
            ready_files: Some(i as u64 % 4),
            replication_lag_bytes: standby.then_some(4096),
            replication_lag_seconds: standby.then_some(0.25),
            wal_receiver: standby.then(|| WalReceiver {
                status: "streaming".to_owned(),
                last_msg_receipt_time: Some(now - TimeDelta::seconds(1)),
                flushed_lsn: Some(0x3_0000_0000),
                received_tli: Some(3),
            }),
            replicas: if standby {
                Vec::new()
            } else {
                vec![ReplicaStats {
                    application_name: "db-b".to_owned(),
                    state: "streaming".to_owned(),
                    replay_lsn: Some(0x3_0000_0000),
                    replay_lag_seconds: Some(0.25),
                }]
            },
        }),
        database_size: Some(Timed {
            value: (1 << 30) + i as u64 * 4096,
            at: now - TimeDelta::minutes(10),
        }),
        last_error: None,
        confirmed_down: false,
    }
}

/// A window of two pieces split by one missing segment.
fn window(now: DateTime<Utc>) -> crate::pitr::Window {
    use crate::pitr::{Gap, Piece, PieceBackup, Window};
    let piece = |start: i64, end: i64, first: &str, last: &str| Piece {
        start: now - TimeDelta::hours(start),
        end: now - TimeDelta::hours(end),
        base_backup: "20260101-040000F".to_owned(),
        first_segment: first.to_owned(),
        last_segment: last.to_owned(),
        backups: vec![PieceBackup {
            label: "20260101-040000F".to_owned(),
            stop: now - TimeDelta::hours(start),
        }],
    };
    Window {
        pieces: vec![
            piece(
                72,
                30,
                "000000030000000200000010",
                "000000030000000200000011",
            ),
            piece(
                24,
                0,
                "000000030000000200000013",
                "000000030000000200000013",
            ),
        ],
        gaps: vec![Gap {
            after_segment: Some("000000030000000200000011".to_owned()),
            before_segment: Some("000000030000000200000013".to_owned()),
            missing: 1,
            missing_names: vec!["000000030000000200000012".to_owned()],
            last_missing: "000000030000000200000012".to_owned(),
        }],
        missing_segments: 1,
        timeline: Some(3),
        off_chain_segments: 0,
        archived_bytes: 3 * (16 << 20),
    }
}

/// A Supabase venture's project facts: pitr_28, with monthly and the 30-day window unmeetable.
fn supabase_facts(
    kind: SourceKind,
    i: usize,
    now: DateTime<Utc>,
) -> Option<crate::state::SupabaseState> {
    let unmeetable = |rule: &str, reason: &str| crate::state::UnmeetableRule {
        rule: rule.to_owned(),
        reason: reason.to_owned(),
    };
    (kind == SourceKind::Supabase).then(|| crate::state::SupabaseState {
        pitr_enabled: Some(true),
        pitr_addon: Some("pitr_28".to_owned()),
        unmeetable: vec![
            unmeetable(
                "monthly",
                "12 monthly restore points need 11 months of history; the plan keeps 28 days (pitr_28)",
            ),
            unmeetable(
                "pitr_window",
                "a PITR window of 30 days is unmeetable by 2 days: the plan keeps 28 days (pitr_28)",
            ),
        ],
        ..supabase(i, now)
    })
}
