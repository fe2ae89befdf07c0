//! Pure parts of the verifier: records from runs, state from records (restart included), and
//! the schedule.

use chrono::{TimeZone, Utc};

use super::*;
use crate::sources::pgbackrest::verify::parse_verify;
use crate::state::VentureState;

fn at(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, h, 0, 0)
        .single()
        .expect("valid")
}

fn run(text: &str, h: u32) -> VerifyRun {
    VerifyRun {
        started_at: at(h),
        finished_at: at(h) + chrono::TimeDelta::minutes(5),
        result: parse_verify(text, "vx"),
    }
}

const OK: &str =
    "stanza: vx\nstatus: ok\n  archiveId: 15-1, total WAL checked: 2, total valid WAL: 2\n";
const BAD: &str = "stanza: vx\nstatus: error\n  archiveId: 15-1, total WAL checked: 3, total valid WAL: 1\n    missing: 1, checksum invalid: 1\n  backup: 20261127-110302F, status: invalid, total files checked: 9, total valid files: 8\n    checksum invalid: 1\n";

fn snapshot() -> Snapshot {
    Snapshot {
        ventures: crate::state::shared(vec![VentureState {
            name: "acme".to_owned(),
            ..Default::default()
        }]),
        ..Default::default()
    }
}

#[test]
fn a_failure_keeps_the_last_success_and_names_the_problem() {
    let mut s = snapshot();
    let passed = to_record("acme", &run(OK, 1));
    assert_eq!(passed.outcome, "passed");
    apply_verification(&mut s, "acme", &passed);
    let failed = to_record("acme", &run(BAD, 2));
    assert_eq!(failed.outcome, "failed");
    apply_verification(&mut s, "acme", &failed);
    let v = s.ventures[0]
        .source
        .as_ref()
        .and_then(|x| x.verification.clone())
        .expect("published");
    assert!(!v.last_outcome_ok);
    assert_eq!(v.last_run, at(2) + chrono::TimeDelta::minutes(5));
    assert_eq!(v.last_success, Some(at(1) + chrono::TimeDelta::minutes(5)));
    assert_eq!((v.missing_wal, v.checksum_invalid), (1, 2));
    assert_eq!(v.invalid_backups, vec!["20261127-110302F".to_owned()]);
    assert!(
        v.detail
            .contains("WAL archive 15-1: 1 missing, 1 checksum invalid"),
        "{}",
        v.detail
    );
}

#[test]
fn a_run_that_could_not_finish_is_a_failed_verification() {
    let r = VerifyRun {
        started_at: at(3),
        finished_at: at(3),
        result: Err(SourceError::Timeout {
            command: "pgbackrest verify".to_owned(),
            after: Duration::from_secs(3600),
        }),
    };
    let record = to_record("acme", &r);
    assert_eq!(record.outcome, "failed");
    let v = state_from(&record, None);
    assert!(!v.last_outcome_ok);
    assert_eq!(v.last_success, None);
    assert!(v.detail.contains("did not complete"), "{}", v.detail);
}

#[test]
fn records_round_trip_through_the_detail() {
    let record = to_record("acme", &run(BAD, 4));
    let v = state_from(&record, Some(at(1)));
    assert_eq!(v.last_success, Some(at(1)));
    assert_eq!(v.invalid_backups.len(), 1);
    // A detail that is not JSON (written by something else) is kept as the text.
    let mut other = record.clone();
    other.detail = "plain words".to_owned();
    assert_eq!(state_from(&other, None).detail, "plain words");
}

#[test]
fn the_schedule_is_cron_in_utc() {
    let schedule = croner::Cron::new("30 3 * * 0").parse().expect("cron");
    let next = schedule
        .find_next_occurrence(&at(4), false)
        .expect("next run");
    // 2026-11-27 is a Friday: the next Sunday 03:30 UTC.
    assert_eq!(
        next,
        Utc.with_ymd_and_hms(2026, 11, 29, 3, 30, 0)
            .single()
            .expect("valid")
    );
}
