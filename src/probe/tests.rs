//! Table tests of the hysteresis with an injected clock (seconds after a fixed instant).

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use super::*;
use HealthState::{Down, Unknown, Up};
use ProbeOutcome::{Failed, Ok as Pass};

fn t(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
}

fn config(failure_threshold: u32, min_down_s: u64, recovery_threshold: u32) -> HealthConfig {
    HealthConfig {
        failure_threshold,
        min_down: Duration::from_secs(min_down_s),
        recovery_threshold,
    }
}

/// Feeds `(outcome, second)` results and returns the state after each one.
fn run(config: HealthConfig, results: &[(ProbeOutcome, i64)]) -> (Health, Vec<HealthState>) {
    let mut health = Health::new(config);
    let states = results
        .iter()
        .map(|&(outcome, s)| {
            health.record(outcome, t(s));
            health.state()
        })
        .collect();
    (health, states)
}

struct Case {
    name: &'static str,
    config: HealthConfig,
    results: &'static [(ProbeOutcome, i64)],
    states: &'static [HealthState],
}

#[test]
fn hysteresis_table() {
    let defaults = config(3, 5, 2);
    let cases = [
        Case {
            name: "unknown until the first result, then up on a success",
            config: defaults,
            results: &[(Pass, 0), (Pass, 1)],
            states: &[Up, Up],
        },
        Case {
            name: "a blip shorter than min_down never goes down, however many failures",
            config: defaults,
            results: &[
                (Pass, 0),
                (Failed, 1),
                (Failed, 2),
                (Failed, 3),
                (Failed, 4),
                (Failed, 5), // spans 4 s < 5 s with 5 failures
                (Pass, 6),
            ],
            states: &[Up, Up, Up, Up, Up, Up, Up],
        },
        Case {
            name: "down exactly at failure_threshold and min_down",
            config: defaults,
            results: &[(Pass, 0), (Failed, 1), (Failed, 3), (Failed, 6)],
            states: &[Up, Up, Up, Down],
        },
        Case {
            name: "min_down spanned but one failure short of the threshold",
            config: defaults,
            results: &[(Pass, 0), (Failed, 1), (Failed, 10)],
            states: &[Up, Up, Up],
        },
        Case {
            name: "threshold reached early, down once the run spans min_down",
            config: defaults,
            results: &[
                (Pass, 0),
                (Failed, 10),
                (Failed, 11),
                (Failed, 12),
                (Failed, 14),
                (Failed, 15),
            ],
            states: &[Up, Up, Up, Up, Up, Down],
        },
        Case {
            name: "flapping: every success restarts the failure run",
            config: defaults,
            results: &[
                (Pass, 0),
                (Failed, 1),
                (Failed, 3),
                (Pass, 4),
                (Failed, 5),
                (Failed, 7),
                (Pass, 8),
                (Failed, 9),
                (Failed, 13),
                (Pass, 14),
            ],
            states: &[Up, Up, Up, Up, Up, Up, Up, Up, Up, Up],
        },
        Case {
            name: "recovery needs recovery_threshold successes in a row",
            config: defaults,
            results: &[
                (Pass, 0),
                (Failed, 1),
                (Failed, 2),
                (Failed, 6),
                (Pass, 7),
                (Failed, 8),
                (Pass, 9),
                (Pass, 10),
            ],
            states: &[Up, Up, Up, Down, Down, Down, Down, Up],
        },
        Case {
            name: "unknown goes down by the same rule when the first probes fail",
            config: defaults,
            results: &[(Failed, 0), (Failed, 1), (Failed, 5)],
            states: &[Unknown, Unknown, Down],
        },
        Case {
            name: "thresholds of 1 and min_down 0: one failure is down, one success is up",
            config: config(1, 0, 1),
            results: &[(Pass, 0), (Failed, 1), (Pass, 2)],
            states: &[Up, Down, Up],
        },
        Case {
            name: "thresholds of 0 are taken as 1",
            config: config(0, 0, 0),
            results: &[(Pass, 0), (Failed, 1), (Pass, 2)],
            states: &[Up, Down, Up],
        },
        Case {
            name: "a clock step backwards never shortens min_down",
            config: defaults,
            results: &[
                (Pass, 0),
                (Failed, 10),
                (Failed, 11),
                (Failed, 3),
                (Failed, 12),
            ],
            states: &[Up, Up, Up, Up, Up],
        },
    ];
    for case in cases {
        let (_, states) = run(case.config, case.results);
        assert_eq!(states, case.states, "{}", case.name);
    }
}

#[test]
fn unknown_before_any_result() {
    let health = Health::new(config(3, 5, 2));
    assert_eq!(health.state(), Unknown);
    assert_eq!(health.since(), None);
    assert_eq!(health.last_result(), None);
    assert_eq!(health.failing_for(), Duration::ZERO);
    assert!(!health.down_by_rule());
}

#[test]
fn transitions_are_reported_once_with_their_time() {
    let mut health = Health::new(config(2, 3, 2));
    let mut transitions = Vec::new();
    for (outcome, s) in [
        (Pass, 0),
        (Pass, 1),
        (Failed, 2),
        (Failed, 5),
        (Failed, 6),
        (Pass, 7),
        (Pass, 8),
        (Pass, 9),
    ] {
        transitions.extend(health.record(outcome, t(s)));
    }
    assert_eq!(
        transitions,
        vec![
            Transition {
                from: Unknown,
                to: Up,
                at: t(0)
            },
            Transition {
                from: Up,
                to: Down,
                at: t(5)
            },
            Transition {
                from: Down,
                to: Up,
                at: t(8)
            },
        ]
    );
    assert_eq!(health.since(), Some(t(8)));
}

#[test]
fn counts_and_failure_run_are_exposed() {
    let (health, _) = run(
        config(3, 5, 2),
        &[(Pass, 0), (Pass, 1), (Failed, 2), (Failed, 4), (Failed, 9)],
    );
    assert_eq!(health.state(), Down);
    assert_eq!(health.since(), Some(t(9)));
    assert_eq!(health.consecutive_failures(), 3);
    assert_eq!(health.consecutive_successes(), 0);
    assert_eq!(health.failing_since(), Some(t(2)));
    assert_eq!(health.failing_for(), Duration::from_secs(7));
    assert_eq!(health.last_result(), Some((Failed, t(9))));
    assert!(health.down_by_rule());
}

#[test]
fn a_down_endpoint_answering_again_is_not_down_by_rule() {
    // Down with recovery_threshold 3: one success keeps it Down but it answered, and a new
    // failure run has to meet both thresholds again before it counts as down.
    let (mut health, _) = run(
        config(2, 4, 3),
        &[(Pass, 0), (Failed, 1), (Failed, 5), (Pass, 6)],
    );
    assert_eq!(health.state(), Down);
    assert!(!health.down_by_rule());
    assert_eq!(health.consecutive_successes(), 1);
    assert_eq!(health.failing_since(), None);
    health.record(Failed, t(7));
    health.record(Failed, t(8));
    assert_eq!(health.state(), Down);
    assert!(!health.down_by_rule(), "the new run spans only 1 s");
    health.record(Failed, t(11));
    assert!(health.down_by_rule());
}

#[test]
fn config_comes_from_the_failover_section() {
    let failover = crate::config::FailoverConfig::default();
    assert_eq!(
        HealthConfig::from(&failover),
        config(3, 5, 2),
        "defaults of DESIGN.md §3"
    );
}
