//! Tests of [`Baseline::observe`]: arming on a healthy primary and a streaming standby.

use crate::probe::ProbeOutcome;
use crate::state::Role;

use super::fixture::*;
use super::*;

/// A healthy venture at 20 s: pg1 up at 0/3000000, pg2 streaming.
fn healthy() -> Scenario {
    let mut s = Scenario::happy();
    s.baseline = None;
    s.node("pg1").health = up_until(20);
    s.node("pg1").observed = Some(primary_observation(20, PRIMARY_LSN));
    s.node("pg2").health = up_until(20);
    s.node("pg2").observed = Some(standby_observation(
        19,
        PRIMARY_LSN,
        Some(receiver("streaming", Some(19), Some(PRIMARY_LSN))),
    ));
    s
}

fn observe(s: &Scenario, previous: Option<Baseline>) -> Option<Baseline> {
    Baseline::observe(previous, &s.inputs())
}

#[test]
fn arms_on_a_healthy_primary_and_a_streaming_standby() {
    let s = healthy();
    let b = observe(&s, None).expect("baseline");
    assert_eq!(
        b,
        Baseline {
            primary: "pg1".into(),
            primary_lsn: PRIMARY_LSN,
            timeline: 1,
            primary_seen_at: t(20),
            streaming_standby: Some(StandbySeen {
                name: "pg2".into(),
                at: t(19)
            }),
        }
    );
    assert!(b.armed());
}

#[test]
fn a_standby_not_streaming_does_not_arm() {
    let mut s = healthy();
    s.node("pg2").observed = Some(standby_observation(
        19,
        PRIMARY_LSN,
        Some(receiver("waiting", Some(10), Some(PRIMARY_LSN))),
    ));
    let b = observe(&s, None).expect("primary figures");
    assert!(!b.armed());
    // Streaming, but on another timeline than the primary: not armed either.
    if let Some(r) = s
        .node("pg2")
        .observed
        .as_mut()
        .and_then(|o| o.wal_receiver.as_mut())
    {
        r.status = "streaming".into();
    }
    if let Some(o) = s.node("pg2").observed.as_mut() {
        o.timeline = 2;
    }
    assert!(!observe(&s, None).expect("primary figures").armed());
}

#[test]
fn a_failing_primary_adds_no_figures() {
    let mut s = healthy();
    s.node("pg1").health.record(ProbeOutcome::Failed, t(21));
    assert_eq!(observe(&s, None), None, "never seen healthy");
    let armed = observe(&healthy(), None);
    s.node("pg1").observed = Some(primary_observation(21, PRIMARY_LSN + 1));
    assert_eq!(observe(&s, armed.clone()), armed, "kept as it was");
}

#[test]
fn newer_primary_observations_move_the_lsn_forward_older_ones_do_not() {
    let mut s = healthy();
    let first = observe(&s, None);
    s.node("pg1").observed = Some(primary_observation(25, PRIMARY_LSN + 500));
    let moved = observe(&s, first.clone()).expect("baseline");
    assert_eq!(
        (moved.primary_lsn, moved.primary_seen_at),
        (PRIMARY_LSN + 500, t(25))
    );
    assert!(moved.armed());
    s.node("pg1").observed = Some(primary_observation(15, PRIMARY_LSN - 500));
    assert_eq!(observe(&s, Some(moved.clone())), Some(moved));
}

#[test]
fn a_new_primary_timeline_forgets_the_streaming_standby() {
    let mut s = healthy();
    let armed = observe(&s, None);
    let mut obs = primary_observation(30, PRIMARY_LSN + 10);
    obs.timeline = 2;
    s.node("pg1").observed = Some(obs);
    let b = observe(&s, armed).expect("baseline");
    assert_eq!(b.timeline, 2);
    assert!(!b.armed(), "pg2 streams on timeline 1");
}

#[test]
fn a_new_primary_starts_a_new_baseline() {
    // After a failover to pg2, pg1 fenced: the old baseline (of pg1) is dropped.
    let s = healthy();
    let old = observe(&s, None);
    let mut s = healthy();
    s.node("pg1").role = Role::Fenced;
    s.node("pg1").fenced = true;
    s.node("pg2").role = Role::Primary;
    let mut obs = primary_observation(40, PRIMARY_LSN + 64);
    obs.timeline = 2;
    s.node("pg2").observed = Some(obs);
    let b = observe(&s, old).expect("baseline");
    assert_eq!((b.primary.as_str(), b.timeline), ("pg2", 2));
    assert!(!b.armed(), "the fenced old primary never arms it");
}

#[test]
fn several_or_no_primaries_keep_the_baseline() {
    let mut s = healthy();
    let armed = observe(&s, None);
    s.node("pg2").role = Role::Primary;
    assert_eq!(observe(&s, armed.clone()), armed);
    s.node("pg1").role = Role::Standby;
    s.node("pg2").role = Role::Standby;
    assert_eq!(observe(&s, armed.clone()), armed);
    assert_eq!(observe(&s, None), None);
}
