//! Table tests of the failover policy: at least one per rule, named after it, plus the anchors'
//! failure cases (reference/anchors-failover.md §6).

use crate::config::FailoverMode;
use crate::probe::{HealthState, ProbeOutcome};
use crate::state::Role;

use super::fixture::*;
use super::*;

fn refusal(scenario: &Scenario) -> RefusalReason {
    match scenario.decide() {
        Decision::Refuse(reason) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn promoted(scenario: &Scenario) -> Plan {
    match scenario.decide() {
        Decision::Promote(plan) => plan,
        other => panic!("expected a promotion, got {other:?}"),
    }
}

/// The single candidate refusal of `endpoint`.
fn rejection(scenario: &Scenario, endpoint: &str) -> CandidateRefusal {
    match refusal(scenario) {
        RefusalReason::NoCandidate(rejected) => rejected
            .into_iter()
            .find(|r| r.endpoint == endpoint)
            .map(|r| r.why)
            .expect("endpoint listed"),
        other => panic!("expected no candidate, got {other:?}"),
    }
}

// --- happy paths --------------------------------------------------------------------------

#[test]
fn happy_path_auto_promotes_the_standby() {
    let plan = promoted(&Scenario::happy());
    assert_eq!(plan.from, "pg1");
    assert_eq!(plan.to, "pg2");
    assert_eq!(plan.epoch_hint, 1);
    assert_eq!(
        plan.position, PRIMARY_LSN,
        "flushed LSN, not the replay LSN"
    );
    assert_eq!(plan.lag_bytes, 0);
    assert_eq!(plan.timeline, 1);
    let text = plan.reasons.join("\n");
    assert!(
        text.contains("primary pg1 down by hysteresis: 5 consecutive failed probes over 5s"),
        "{text}"
    );
    assert!(text.contains("WAL receiver status \"waiting\""), "{text}");
    assert!(text.contains("0/3000000"), "{text}");
}

#[test]
fn happy_path_manual_recommends() {
    let mut s = Scenario::happy();
    s.config.mode = FailoverMode::Manual;
    match s.decide() {
        Decision::Recommend(plan) => {
            assert_eq!((plan.from.as_str(), plan.to.as_str()), ("pg1", "pg2"))
        }
        other => panic!("expected a recommendation, got {other:?}"),
    }
}

#[test]
fn healthy_or_unprobed_primary_is_nothing() {
    let mut s = Scenario::happy();
    s.node("pg1").health = up_until(16);
    assert_eq!(s.decide(), Decision::Nothing);
    s.node("pg1").health = health(&[]);
    assert_eq!(s.decide(), Decision::Nothing, "never probed");
    s.nodes.clear();
    assert_eq!(s.decide(), Decision::Nothing, "no endpoints (Supabase)");
}

#[test]
fn epoch_hint_follows_the_last_failover() {
    let mut s = Scenario::happy();
    s.last_failover = Some(PastFailover {
        epoch: 4,
        at: t(-3600),
    });
    assert_eq!(promoted(&s).epoch_hint, 5);
}

// --- rule: mode -----------------------------------------------------------------------------

#[test]
fn mode_off_refuses_when_the_primary_fails() {
    let mut s = Scenario::happy();
    s.config.mode = FailoverMode::Off;
    let reason = refusal(&s);
    assert_eq!(
        reason,
        RefusalReason::ModeOff {
            primary: "pg1".into()
        }
    );
    assert!(reason
        .to_string()
        .contains("failover mode is off: primary pg1"));
    s.node("pg1").health = up_until(16);
    assert_eq!(s.decide(), Decision::Nothing);
}

#[test]
fn supabase_auto_refused() {
    let mut s = Scenario::happy();
    s.supabase = true;
    assert_eq!(refusal(&s), RefusalReason::SupabaseAuto);
    s.config.mode = FailoverMode::Manual;
    assert!(
        matches!(s.decide(), Decision::Recommend(_)),
        "manual still recommends"
    );
}

// --- rule: leadership, single flight --------------------------------------------------------

#[test]
fn not_leader_refuses() {
    let mut s = Scenario::happy();
    s.leader = false;
    assert_eq!(refusal(&s), RefusalReason::NotLeader);
}

#[test]
fn failover_in_flight_refuses() {
    let mut s = Scenario::happy();
    s.in_flight = Some(3);
    let reason = refusal(&s);
    assert_eq!(reason, RefusalReason::InFlight { epoch: 3 });
    assert!(reason.to_string().contains("epoch 3 is still in flight"));
}

// --- rule: exactly one primary --------------------------------------------------------------

#[test]
fn no_primary_refuses() {
    let mut s = Scenario::happy();
    s.node("pg1").role = Role::Standby;
    assert_eq!(refusal(&s), RefusalReason::NoPrimary);
    s.config.mode = FailoverMode::Off;
    assert_eq!(s.decide(), Decision::Nothing, "off: nobody asked");
}

#[test]
fn several_primaries_refuse() {
    let mut s = Scenario::happy().with_standby("pg3", PRIMARY_LSN);
    s.node("pg3").role = Role::Primary;
    assert_eq!(
        refusal(&s),
        RefusalReason::SeveralPrimaries(vec!["pg1".into(), "pg3".into()])
    );
}

// --- rule: primary down by hysteresis -------------------------------------------------------

#[test]
fn primary_not_down_blip_shorter_than_min_down() {
    // Anchor: a network blip (proxy drops traffic) of 4 s with a probe every second.
    let mut s = Scenario::happy();
    let mut results: Vec<_> = (0..=10).map(|s| (ProbeOutcome::Ok, s)).collect();
    results.extend((11..=15).map(|s| (ProbeOutcome::Failed, s)));
    s.node("pg1").health = health(&results);
    s.now = t(15);
    let reason = refusal(&s);
    assert!(matches!(
        reason,
        RefusalReason::PrimaryNotDown {
            state: HealthState::Up,
            failures: 5,
            ..
        }
    ));
    assert_eq!(
        reason.to_string(),
        "primary pg1 is not down by hysteresis: 5 consecutive failed probes over 4s \
         (needs 3 over at least 5s), state up"
    );
}

#[test]
fn primary_not_down_when_it_answered_again() {
    // Down, then one success (recovery_threshold 2 keeps it Down): it answered, so no failover
    // until a whole new run of failures meets both thresholds.
    let mut s = Scenario::happy();
    s.node("pg1").health.record(ProbeOutcome::Ok, t(17));
    s.node("pg1").health.record(ProbeOutcome::Failed, t(18));
    s.now = t(18);
    assert_eq!(s.node("pg1").health.state(), HealthState::Down);
    assert!(matches!(
        refusal(&s),
        RefusalReason::PrimaryNotDown {
            state: HealthState::Down,
            failures: 1,
            ..
        }
    ));
}

#[test]
fn primary_answered_after_its_first_failed_probe_refuses() {
    // Second signal (pg_auto_failover's two-signal rule): the collector reached the primary at
    // 13 s although the probes have failed since 11 s.
    let mut s = Scenario::happy();
    s.node("pg1").observed = Some(primary_observation(13, PRIMARY_LSN));
    let reason = refusal(&s);
    assert!(matches!(reason, RefusalReason::PrimaryAnswered { .. }));
    assert!(
        reason.to_string().contains(
            "answered an observation at 2027-01-15T08:00:13Z after its first failed probe at \
             2027-01-15T08:00:11Z"
        ),
        "{reason}"
    );
}

// --- rule: cooldown -------------------------------------------------------------------------

#[test]
fn cooldown_refuses_within_and_allows_from_its_end() {
    let mut s = Scenario::happy();
    s.last_failover = Some(PastFailover {
        epoch: 2,
        at: t(17 - 180),
    });
    let reason = refusal(&s);
    assert!(matches!(reason, RefusalReason::Cooldown { epoch: 2, .. }));
    let text = reason.to_string();
    assert!(text.contains("was 3m ago, within cooldown 10m"), "{text}");
    s.last_failover = Some(PastFailover {
        epoch: 2,
        at: t(17 - 600),
    });
    assert_eq!(promoted(&s).epoch_hint, 3, "exactly at cooldown");
}

// --- rule: armed (healthy primary and streaming standby seen) --------------------------------

#[test]
fn never_saw_healthy_primary_refuses() {
    // Anchor: the agent starts while the primary is already dead (startup grace).
    let mut s = Scenario::happy();
    s.baseline = None;
    assert_eq!(
        refusal(&s),
        RefusalReason::NeverSawHealthyPrimary {
            primary: "pg1".into()
        }
    );
    // A baseline of another primary (before a failover) does not count.
    s.baseline = Scenario::happy().baseline.map(|b| Baseline {
        primary: "pg0".into(),
        ..b
    });
    assert!(matches!(
        refusal(&s),
        RefusalReason::NeverSawHealthyPrimary { .. }
    ));
}

#[test]
fn never_saw_streaming_standby_refuses() {
    let mut s = Scenario::happy();
    if let Some(b) = s.baseline.as_mut() {
        b.streaming_standby = None;
    }
    let reason = refusal(&s);
    assert_eq!(
        reason.to_string(),
        "saw primary pg1 healthy (LSN 0/3000000, timeline 1) but never a standby streaming on \
         that timeline: failover is not armed"
    );
}

#[test]
fn stale_primary_lsn_sample_refused() {
    // Anchor (PgDog #927/#1416; Patroni's loss bound "plus what was written since sampling"):
    // a primary LSN sampled long before the failure makes every standby look caught up.
    let mut s = Scenario::happy();
    if let Some(b) = s.baseline.as_mut() {
        b.primary_seen_at = t(1);
    }
    let reason = refusal(&s);
    assert_eq!(
        reason.to_string(),
        "the last LSN of primary pg1 was sampled at 2027-01-15T08:00:01Z, 10s before its first \
         failed probe at 2027-01-15T08:00:11Z (at most 3s accepted): the lag of the standbys is \
         unknown"
    );
    if let Some(b) = s.baseline.as_mut() {
        b.primary_seen_at = t(8);
    }
    assert!(matches!(s.decide(), Decision::Promote(_)), "exactly 3 s");
}

// --- rule: no second primary ----------------------------------------------------------------

#[test]
fn other_primary_alive_refuses() {
    // Anchor (repmgr #766 / Patroni "primary is still alive"): an unfenced endpoint is out of
    // recovery, e.g. promoted by hand: never make a third primary.
    let mut s = Scenario::happy().with_standby("pg3", PRIMARY_LSN);
    s.node("pg3").observed = Some(primary_observation(16, PRIMARY_LSN + 10));
    assert_eq!(
        refusal(&s),
        RefusalReason::OtherPrimaryAlive {
            endpoint: "pg3".into(),
            at: t(16)
        }
    );
}

// --- rule: the standby no longer hears the primary (WAL receiver) ----------------------------

#[test]
fn partition_where_standby_still_streams_refuses() {
    // Anchor: agent↔primary partition only; the standby still streams with a message 1 s old.
    let mut s = Scenario::happy();
    s.node("pg2").observed = Some(standby_observation(
        16,
        PRIMARY_LSN,
        Some(receiver("streaming", Some(15), Some(PRIMARY_LSN))),
    ));
    let reason = refusal(&s);
    assert!(matches!(
        reason,
        RefusalReason::PrimaryAliveFromStandby { ref standby, .. } if standby == "pg2"
    ));
    assert_eq!(
        reason.to_string(),
        "standby pg2 still hears the primary (WAL receiver streaming, last message 1s before \
         the observation; min_down 5s): only the agent's path to the primary is broken"
    );
}

#[test]
fn wal_receiver_streaming_within_min_down_refuses_beyond_promotes() {
    let cases = [
        // (status, last message second, observation second, promotes)
        ("streaming", Some(11), 16, false), // silent exactly min_down: still alive
        ("streaming", Some(10), 16, true),  // silent 6 s > min_down
        ("streaming", None, 16, false),     // just connected: no message time yet
        ("startup", Some(15), 16, true),    // not streaming
        ("stopping", Some(16), 16, true),
    ];
    for (status, last, at, promotes) in cases {
        let mut s = Scenario::happy();
        s.node("pg2").observed = Some(standby_observation(
            at,
            PRIMARY_LSN,
            Some(receiver(status, last, Some(PRIMARY_LSN))),
        ));
        let decision = s.decide();
        assert_eq!(
            matches!(decision, Decision::Promote(_)),
            promotes,
            "{status} {last:?}: {decision:?}"
        );
    }
}

#[test]
fn wal_receiver_gone_counts_as_not_streaming() {
    // pg_ctl stop -m immediate: the receiver's connection breaks and its row disappears.
    let mut s = Scenario::happy();
    s.node("pg2").observed = Some(standby_observation(16, PRIMARY_LSN, None));
    assert_eq!(promoted(&s).to, "pg2");
}

#[test]
fn another_standby_still_streaming_vetoes_the_candidate() {
    // pg3 lost the primary, pg2 still hears it: promoting pg3 would split the brain.
    let mut s = Scenario::happy().with_standby("pg3", PRIMARY_LSN + 0x1000);
    s.node("pg2").observed = Some(standby_observation(
        16,
        PRIMARY_LSN,
        Some(receiver("streaming", Some(16), Some(PRIMARY_LSN))),
    ));
    assert!(matches!(
        refusal(&s),
        RefusalReason::PrimaryAliveFromStandby { ref standby, .. } if standby == "pg2"
    ));
}

#[test]
fn wal_receiver_unreadable_refused() {
    let mut s = Scenario::happy();
    s.node("pg2").observed = Some(standby_observation(
        16,
        PRIMARY_LSN,
        Some(receiver("", None, None)),
    ));
    assert_eq!(rejection(&s, "pg2"), CandidateRefusal::ReceiverUnreadable);
}

// --- candidate rules ------------------------------------------------------------------------

#[test]
fn candidate_unhealthy_refused() {
    let mut s = Scenario::happy();
    s.node("pg2").health = down_at_16();
    assert_eq!(
        rejection(&s, "pg2"),
        CandidateRefusal::Unhealthy(HealthState::Down)
    );
    s.node("pg2").health = health(&[]);
    assert_eq!(
        rejection(&s, "pg2"),
        CandidateRefusal::Unhealthy(HealthState::Unknown)
    );
}

#[test]
fn candidate_fenced_refused() {
    let mut s = Scenario::happy();
    s.node("pg2").fenced = true;
    assert_eq!(rejection(&s, "pg2"), CandidateRefusal::Fenced);
}

#[test]
fn candidate_not_standby_refused() {
    let mut s = Scenario::happy();
    s.node("pg2").role = Role::Unknown;
    assert_eq!(
        rejection(&s, "pg2"),
        CandidateRefusal::NotStandby(Role::Unknown)
    );
}

#[test]
fn returning_old_primary_is_never_promoted_back() {
    // After failover epoch 1 pg2 is primary and pg1 fenced. pg1 came back (even writable, even
    // streaming as a standby after a rewind); pg2 now dies after the cooldown: pg1 is not a
    // candidate and is no "second primary" either (it is fenced).
    let mut s = Scenario::happy();
    s.now = t(17);
    s.last_failover = Some(PastFailover {
        epoch: 1,
        at: t(-3600),
    });
    s.baseline = Some(Baseline {
        primary: "pg2".into(),
        primary_lsn: PRIMARY_LSN,
        timeline: 2,
        primary_seen_at: t(10),
        streaming_standby: Some(StandbySeen {
            name: "pg1".into(),
            at: t(9),
        }),
    });
    let old = s.node("pg1");
    old.role = Role::Fenced;
    old.fenced = true;
    old.health = up_until(16);
    let mut obs = standby_observation(16, PRIMARY_LSN, None);
    obs.timeline = 2;
    old.observed = Some(obs);
    let new = s.node("pg2");
    new.role = Role::Primary;
    new.health = down_at_16();
    new.observed = Some(primary_observation(10, PRIMARY_LSN));
    let reason = refusal(&s);
    assert_eq!(
        reason,
        RefusalReason::NoCandidate(vec![Rejected {
            endpoint: "pg1".into(),
            why: CandidateRefusal::Fenced
        }])
    );
    assert!(reason.to_string().contains("pg1: fenced"));
    // Writable again, still fenced: still no candidate, and not counted as a second primary.
    s.node("pg1").observed = Some(primary_observation(16, PRIMARY_LSN + 99));
    assert!(matches!(refusal(&s), RefusalReason::NoCandidate(_)));
}

#[test]
fn candidate_on_another_timeline_refused() {
    // Anchor (Patroni #2175 / PR #2787): a node on another timeline must never win.
    let mut s = Scenario::happy();
    if let Some(o) = s.node("pg2").observed.as_mut() {
        o.timeline = 2;
    }
    let why = rejection(&s, "pg2");
    assert_eq!(
        why,
        CandidateRefusal::OtherTimeline {
            timeline: 2,
            primary_timeline: 1
        }
    );
    assert_eq!(
        why.to_string(),
        "on timeline 2, the last primary seen was on timeline 1"
    );
}

#[test]
fn candidate_lag_beyond_max_lag_bytes_refused_with_figures() {
    // Anchor: a standby lagging beyond max_lag_bytes is refused with the reason recorded.
    let mut s = Scenario::happy();
    let behind = PRIMARY_LSN - 20_000_000;
    s.node("pg2").observed = Some(standby_observation(
        16,
        behind - 5,
        Some(receiver("waiting", Some(10), Some(behind))),
    ));
    let reason = refusal(&s);
    assert_eq!(
        reason.to_string(),
        "no standby can be promoted: pg2: lag 20000000 bytes (at 0/1CED300, last primary LSN \
         seen 0/3000000) exceeds max_lag_bytes 16777216"
    );
}

#[test]
fn candidate_lag_exactly_max_lag_bytes_allowed() {
    let mut s = Scenario::happy();
    let at_limit = PRIMARY_LSN - s.config.max_lag_bytes;
    s.node("pg2").observed = Some(standby_observation(
        16,
        at_limit,
        Some(receiver("waiting", Some(10), Some(at_limit))),
    ));
    assert_eq!(promoted(&s).lag_bytes, s.config.max_lag_bytes);
}

#[test]
fn candidate_position_is_the_flushed_lsn_replay_stands_in_without_a_receiver() {
    // Replay 32 MiB behind but everything flushed: promotion replays it all, so it is allowed.
    let mut s = Scenario::happy();
    let replay = PRIMARY_LSN - 32 * 1024 * 1024;
    s.node("pg2").observed = Some(standby_observation(
        16,
        replay,
        Some(receiver("waiting", Some(10), Some(PRIMARY_LSN))),
    ));
    assert_eq!(promoted(&s).position, PRIMARY_LSN);
    // Receiver row gone: only the replay LSN is known, and it is too far behind.
    s.node("pg2").observed = Some(standby_observation(16, replay, None));
    assert!(matches!(
        rejection(&s, "pg2"),
        CandidateRefusal::TooFarBehind { lag_bytes, .. } if lag_bytes == 32 * 1024 * 1024
    ));
}

#[test]
fn candidate_ahead_of_the_sampled_primary_lsn_has_no_lag() {
    // The primary LSN is a sample: a standby may have received more after it.
    let mut s = Scenario::happy();
    s.node("pg2").observed = Some(standby_observation(
        16,
        PRIMARY_LSN,
        Some(receiver("waiting", Some(10), Some(PRIMARY_LSN + 4096))),
    ));
    let plan = promoted(&s);
    assert_eq!((plan.position, plan.lag_bytes), (PRIMARY_LSN + 4096, 0));
}

#[test]
fn candidate_position_unknown_refused() {
    let mut s = Scenario::happy();
    if let Some(o) = s.node("pg2").observed.as_mut() {
        o.current_lsn = None;
        o.wal_receiver = None;
    }
    assert_eq!(rejection(&s, "pg2"), CandidateRefusal::PositionUnknown);
}

#[test]
fn candidate_stale_observation_refused() {
    // Anchor (PgDog #927): stale observations are not evidence. Taken before the primary's
    // first failed probe (11 s), its receiver state says nothing about the failure.
    let mut s = Scenario::happy();
    s.node("pg2").observed = Some(standby_observation(
        10,
        PRIMARY_LSN,
        Some(receiver("waiting", Some(9), Some(PRIMARY_LSN))),
    ));
    let why = rejection(&s, "pg2");
    assert!(matches!(why, CandidateRefusal::StaleObservation { .. }));
    assert!(
        why.to_string()
            .contains("must postdate the primary's first failed probe at 2027-01-15T08:00:11Z"),
        "{why}"
    );
    // After the failure but older than max(min_down, probe_interval) = 5 s at decision time.
    s.node("pg2").observed = Some(standby_observation(
        12,
        PRIMARY_LSN,
        Some(receiver("waiting", Some(10), Some(PRIMARY_LSN))),
    ));
    s.now = t(18);
    assert!(matches!(
        rejection(&s, "pg2"),
        CandidateRefusal::StaleObservation { .. }
    ));
    s.node("pg2").observed = None;
    assert_eq!(rejection(&s, "pg2"), CandidateRefusal::NoObservation);
}

// --- choice among candidates ----------------------------------------------------------------

#[test]
fn two_standbys_pick_the_most_advanced() {
    let s = Scenario::happy().with_standby("pg3", PRIMARY_LSN + 0x200);
    let plan = promoted(&s);
    assert_eq!(plan.to, "pg3");
    assert!(plan
        .reasons
        .iter()
        .any(|r| r == "pg2 passed over: at 0/3000000 (less advanced)"));
}

#[test]
fn equal_positions_break_ties_by_configuration_order() {
    let s = Scenario::happy().with_standby("pg3", PRIMARY_LSN);
    let plan = promoted(&s);
    assert_eq!(plan.to, "pg2");
    assert!(plan
        .reasons
        .iter()
        .any(|r| r.contains("pg3 passed over") && r.contains("later in configuration order")));
}

#[test]
fn an_ineligible_more_advanced_standby_is_skipped() {
    // pg3 is further ahead but on another timeline: pg2 is chosen and pg3's reason recorded.
    let mut s = Scenario::happy().with_standby("pg3", PRIMARY_LSN + 0x200);
    if let Some(o) = s.node("pg3").observed.as_mut() {
        o.timeline = 7;
    }
    let plan = promoted(&s);
    assert_eq!(plan.to, "pg2");
    assert!(plan
        .reasons
        .iter()
        .any(|r| r.starts_with("pg3 not a candidate: on timeline 7")));
}

#[test]
fn no_candidate_lists_every_endpoint() {
    let mut s = Scenario::happy().with_standby("pg3", PRIMARY_LSN);
    s.node("pg2").fenced = true;
    s.node("pg3").health = down_at_16();
    assert_eq!(
        refusal(&s).to_string(),
        "no standby can be promoted: pg2: fenced (an old primary is never failed back to \
         automatically); pg3: not up by hysteresis (state down)"
    );
    assert_eq!(
        RefusalReason::NoCandidate(Vec::new()).to_string(),
        "no standby to promote"
    );
}
