//! How poll results land in the snapshot: good data replaced, kept on failure, errors counted.

use chrono::TimeZone;

use super::*;
use crate::error::ErrorKind;
use crate::state::{BackupFailure, VentureState};

fn snapshot() -> Snapshot {
    Snapshot {
        ventures: crate::state::shared(vec![VentureState {
            name: "acme".into(),
            ..Default::default()
        }]),
        ..Default::default()
    }
}

fn info() -> StanzaInfo {
    parse_info(include_str!("testdata/info-2.45.json"), "demo").expect("fixture parses")
}

fn runs() -> FailedRuns {
    FailedRuns {
        failures: vec![BackupFailure {
            at: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
            code: Some(56),
            message: "x".into(),
        }],
        total: 3,
    }
}

fn failure(kind: ErrorKind) -> SourceError {
    match kind {
        ErrorKind::Timeout => SourceError::Timeout {
            command: "pgbackrest info".into(),
            after: Duration::from_secs(1),
        },
        _ => SourceError::parse("x", "y"),
    }
}

#[test]
fn a_failed_poll_keeps_the_last_good_data() {
    let mut s = snapshot();
    let t1 = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
    apply_info(&mut s, "acme", t1, &Ok(info()), &Ok(runs()));
    let src = s.ventures[0].source.clone().expect("source created");
    assert_eq!(src.up, Some(true));
    assert_eq!(src.last_poll, Some(t1));
    assert_eq!(src.backups.len(), 3);
    assert_eq!(src.failed_runs, Some(3));
    assert_eq!(src.stanza_status, Some((0, "ok".into())));

    let t2 = t1 + chrono::TimeDelta::seconds(60);
    apply_info(
        &mut s,
        "acme",
        t2,
        &Err(failure(ErrorKind::Timeout)),
        &Err(SourceError::Read {
            path: "/x".into(),
            source: std::io::Error::other("denied"),
        }),
    );
    let v = &s.ventures[0];
    let after = v.source.clone().expect("source");
    assert_eq!(after.up, Some(false));
    assert_eq!(after.last_poll, Some(t1), "last good poll time kept");
    assert_eq!(after.backups, src.backups);
    assert_eq!(after.failures, src.failures);
    assert_eq!(v.errors.get(&ErrorKind::Timeout), Some(&1));
    assert_eq!(v.errors.get(&ErrorKind::Config), Some(&1));
}

#[test]
fn repo_ls_failures_keep_the_listing_and_leave_up_alone() {
    let mut s = snapshot();
    let listing = ArchiveListing {
        at: Utc.timestamp_opt(1_800_000_000, 0).unwrap(),
        files: Vec::new(),
        wal_bytes: 7,
        histories: Vec::new(),
    };
    apply_repo_ls(&mut s, "acme", &Ok(listing.clone()));
    apply_repo_ls(&mut s, "acme", &Err(failure(ErrorKind::Parse)));
    let v = &s.ventures[0];
    let src = v.source.as_ref().expect("source");
    assert_eq!(src.archive.as_ref(), Some(&listing));
    assert_eq!(src.up, None);
    assert_eq!(v.errors.get(&ErrorKind::Parse), Some(&1));
    // Unknown ventures are ignored.
    apply_repo_ls(&mut s, "nope", &Err(failure(ErrorKind::Parse)));
}
