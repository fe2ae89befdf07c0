//! The wall clock jumping (an NTP step, a VM resumed): the agent's time-driven decisions are
//! pure functions of an injected `now` (DESIGN.md §1), so the jumps are fed straight to them —
//! the probe hysteresis and the drill schedule's catch-up. Neither panics, fires early on fewer
//! than its thresholds, nor stalls: a backward step during an outage still declares the
//! endpoint down once the failures span `min_down` (not an hour later, when the clock has
//! caught up), and a forward step runs exactly one catch-up drill, however many due times it
//! skipped.
//!
//! What a jump can still do (documented in the README's chaos paragraph): the hysteresis spans
//! wall-clock time, so a forward step during an outage shortens `min_down` — the
//! `failure_threshold` consecutive failures are still required. Making spans monotonic needs
//! `Instant`s in the probe loop, not a change of this pure layer.

use chrono::{DateTime, TimeDelta, Utc};
use std::time::Duration;

use backstop::drill::schedule::{catch_up, Schedule, MAX_COUNTED};
use backstop::probe::{Health, HealthConfig, HealthState, ProbeOutcome};

fn t0() -> DateTime<Utc> {
    "2026-11-27T12:00:00Z".parse().expect("time")
}

fn health() -> Health {
    Health::new(HealthConfig {
        failure_threshold: 3,
        min_down: Duration::from_secs(5),
        recovery_threshold: 2,
    })
}

/// Feeds one probe a second from `from` (wall clock `from + k s`), `n` of them; returns the
/// index of the probe that declared `Down`, if any.
fn fail_every_second(h: &mut Health, from: DateTime<Utc>, n: i64) -> Option<i64> {
    (0..n).find(|k| {
        h.record(ProbeOutcome::Failed, from + TimeDelta::seconds(*k))
            .is_some_and(|t| t.to == HealthState::Down)
    })
}

#[test]
fn a_backward_step_during_an_outage_neither_fires_early_nor_stalls() {
    let mut h = health();
    assert!(h.record(ProbeOutcome::Ok, t0()).is_some());
    // Two failures, then the clock steps back an hour; probes go on once a second.
    assert_eq!(
        fail_every_second(&mut h, t0() + TimeDelta::seconds(1), 2),
        None
    );
    let stepped = t0() - TimeDelta::hours(1);
    let declared = fail_every_second(&mut h, stepped, 120)
        .expect("down is declared after a backward step (not an hour later)");
    // The failures spanned 1 s before the step; min_down (5 s) is reached 4 s after it —
    // never sooner, and not an hour later when the clock has caught up.
    assert_eq!(declared, 4, "declared down {declared} s after the step");
    assert_eq!(h.state(), HealthState::Down);
    // Recovery follows the successes, whatever the clock does next.
    let back = stepped - TimeDelta::hours(2);
    assert_eq!(h.record(ProbeOutcome::Ok, back), None);
    let up = h.record(ProbeOutcome::Ok, back + TimeDelta::days(400));
    assert_eq!(up.map(|t| t.to), Some(HealthState::Up));
}

#[test]
fn a_forward_step_never_replaces_the_failure_threshold() {
    let mut h = health();
    h.record(ProbeOutcome::Ok, t0());
    assert_eq!(
        h.record(ProbeOutcome::Failed, t0() + TimeDelta::seconds(1)),
        None
    );
    // A day forward between two failures: the span is long, but two failures are not three.
    let jumped = t0() + TimeDelta::days(1);
    assert_eq!(h.record(ProbeOutcome::Failed, jumped), None);
    assert_eq!(h.state(), HealthState::Up);
    // A success in between resets the count, jump or not.
    h.record(ProbeOutcome::Ok, jumped + TimeDelta::seconds(1));
    assert_eq!(
        fail_every_second(&mut h, jumped + TimeDelta::days(30), 2),
        None
    );
    assert_eq!(h.state(), HealthState::Up);
    // Far in the future and back again, each probe once: no panic, no overflow.
    for at in [DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC, t0()] {
        h.record(ProbeOutcome::Failed, at);
    }
    assert!(h.failing_for() < Duration::from_secs(u64::MAX));
}

#[test]
fn schedule_catch_up_across_jumps_runs_at_most_one_drill() {
    let quarterly = Schedule::parse("0 3 1 */3 *").expect("cron");
    let last = t0();
    // Backward: the last drill "started in the future": nothing missed, nothing runs.
    let back = catch_up(&quarterly, Some(last), last - TimeDelta::days(200));
    assert_eq!((back.missed, back.run), (0, false));
    // Forward a year: four quarters missed, one catch-up drill.
    let fwd = catch_up(&quarterly, Some(last), last + TimeDelta::days(366));
    assert_eq!((fwd.missed, fwd.run), (4, true));
    // A seconds-level schedule forward a year: counted up to the bound, still one drill.
    let every_second = Schedule::parse("* * * * * *").expect("cron");
    let far = catch_up(&every_second, Some(last), last + TimeDelta::days(366));
    assert_eq!((far.missed, far.run), (MAX_COUNTED, true));
    // The next due time after any jump exists and is after it.
    for now in [last - TimeDelta::days(3650), last + TimeDelta::days(3650)] {
        let next = quarterly.next_after(now).expect("next due time");
        assert!(
            next > now && next - now <= TimeDelta::days(93),
            "{now} -> {next}"
        );
    }
}
