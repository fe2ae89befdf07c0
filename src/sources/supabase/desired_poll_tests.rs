//! How a desired-state read lands in the snapshot: values and drift published, the last
//! verdict kept on failure, error kinds counted, 402 as drift rather than an error.

use super::*;
use crate::config::PitrPlan;
use crate::state::VentureState;

fn snapshot() -> Snapshot {
    let mut s = Snapshot::default();
    s.push_venture(VentureState {
        name: "demo".into(),
        ..VentureState::default()
    });
    s
}

fn t(h: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, 0, 0).expect("valid")
}

const BOTH: Desired = Desired {
    schedule: Some(NaiveTime::MIN),
    pitr: Some(PitrPlan::Pitr7),
};

fn status(status: u16) -> SourceError {
    SourceError::Status { what: "x", status }
}

fn sb(s: &Snapshot) -> &crate::state::SupabaseState {
    s.ventures[0]
        .source
        .as_ref()
        .and_then(|x| x.supabase.as_ref())
        .expect("supabase state")
}

#[test]
fn a_read_publishes_values_and_drift() {
    let mut s = snapshot();
    let read = DesiredRead {
        schedule: Some(Ok(t(3))),
        pitr_addon: Some(Ok("pitr_7".into())),
    };
    apply_desired(&mut s, "demo", &BOTH, &read);
    let got = sb(&s);
    assert_eq!(got.schedule, Some(t(3)));
    assert_eq!(got.pitr_addon.as_deref(), Some("pitr_7"));
    assert_eq!(got.drift.get(SCHEDULE), Some(&true));
    assert_eq!(got.drift.get(PITR), Some(&false));
    assert_eq!(
        std::sync::Arc::make_mut(&mut s.ventures[0])
            .source
            .as_ref()
            .map(|x| x.kind),
        Some(SourceKind::Supabase)
    );
    assert!(s.ventures[0].errors.is_empty());
}

#[test]
fn a_failed_read_keeps_the_last_verdict_and_counts_its_kind() {
    let mut s = snapshot();
    let ok = DesiredRead {
        schedule: Some(Ok(t(0))),
        pitr_addon: Some(Ok("off".into())),
    };
    apply_desired(&mut s, "demo", &BOTH, &ok);
    let failed = DesiredRead {
        schedule: Some(Err(status(401))),
        pitr_addon: Some(Err(status(503))),
    };
    apply_desired(&mut s, "demo", &BOTH, &failed);
    let got = sb(&s);
    assert_eq!(got.schedule, Some(t(0)));
    assert_eq!(got.drift.get(SCHEDULE), Some(&false));
    assert_eq!(got.drift.get(PITR), Some(&true));
    let errors = &s.ventures[0].errors;
    assert_eq!(errors.get(&ErrorKind::Auth), Some(&1));
    assert_eq!(errors.get(&ErrorKind::Http), Some(&1));
}

#[test]
fn never_read_is_unknown() {
    let mut s = snapshot();
    let failed = DesiredRead {
        schedule: Some(Err(status(500))),
        pitr_addon: None,
    };
    apply_desired(&mut s, "demo", &BOTH, &failed);
    assert!(sb(&s).drift.is_empty());
}

#[test]
fn no_entitlement_is_drift_not_an_error() {
    let mut s = snapshot();
    let read = DesiredRead {
        schedule: Some(Err(SourceError::Rejected {
            what: "x",
            status: 402,
            message: "Feature requires a higher plan".into(),
        })),
        pitr_addon: None,
    };
    apply_desired(&mut s, "demo", &BOTH, &read);
    assert_eq!(sb(&s).drift.get(SCHEDULE), Some(&true));
    assert_eq!(sb(&s).schedule, None);
    assert!(s.ventures[0].errors.is_empty());
}

#[test]
fn a_pgbackrest_venture_is_left_alone() {
    let mut s = snapshot();
    std::sync::Arc::make_mut(&mut s.ventures[0]).source =
        Some(SourceState::new(SourceKind::PgBackRest));
    let read = DesiredRead {
        schedule: Some(Ok(t(3))),
        pitr_addon: None,
    };
    apply_desired(&mut s, "demo", &BOTH, &read);
    assert!(std::sync::Arc::make_mut(&mut s.ventures[0])
        .source
        .as_ref()
        .is_some_and(|x| x.supabase.is_none()));
    apply_desired(&mut s, "other", &BOTH, &read);
}
