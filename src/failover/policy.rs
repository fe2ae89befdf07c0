//! The failover policy (pure): ([`PolicyInput`], `now`) → [`Decision`].
//!
//! Nothing to do while the primary has not failed a single probe (or was never probed). Once it
//! has, the rules are checked in this order and the first that fails is the refusal:
//!
//! 1. `mode` is not `off` ([`RefusalReason::ModeOff`]);
//! 2. not `auto` on a Supabase venture ([`RefusalReason::SupabaseAuto`]);
//! 3. this agent holds the venture's leadership ([`RefusalReason::NotLeader`]);
//! 4. no failover of the venture is in flight ([`RefusalReason::InFlight`]);
//! 5. exactly one unfenced endpoint is recorded primary ([`RefusalReason::NoPrimary`],
//!    [`RefusalReason::SeveralPrimaries`]);
//! 6. the primary is down by hysteresis *now*: `Down`, and the current run of failures alone
//!    has `failure_threshold` failures over at least `min_down` ([`RefusalReason::PrimaryNotDown`]),
//!    and no observation of the primary succeeded since its first failed probe (a second signal,
//!    [`RefusalReason::PrimaryAnswered`]);
//! 7. no failover within `cooldown` ([`RefusalReason::Cooldown`]);
//! 8. the agent has seen this primary healthy with its LSN and timeline, and a standby streaming
//!    on that timeline ([`RefusalReason::NeverSawHealthyPrimary`],
//!    [`RefusalReason::NeverSawStreamingStandby`]), and the primary's LSN was sampled at most
//!    `max_sample_age` before its first failed probe ([`RefusalReason::StalePrimarySample`]);
//! 9. no other unfenced endpoint runs out of recovery ([`RefusalReason::OtherPrimaryAlive`]);
//! 10. no standby, in a fresh observation, still streams from the primary with a message within
//!     `min_down` ([`RefusalReason::PrimaryAliveFromStandby`]): the agent↔primary partition;
//! 11. at least one candidate passes the candidate rules of [`super::candidate`]: unfenced
//!     (an old primary is never failed back to), recorded standby, up, freshly observed in
//!     recovery, WAL receiver readable, same timeline as the last primary seen, lag within
//!     `max_lag_bytes` of the last primary LSN seen ([`RefusalReason::NoCandidate`] lists every
//!     endpoint with its reason).
//!
//! Then the most advanced candidate (highest WAL position) is chosen, ties going to the
//! earlier endpoint in configuration order, and `manual` answers [`Decision::Recommend`] where
//! `auto` answers [`Decision::Promote`].
//!
//! An observation is fresh when it was taken after the primary's first failed probe of the
//! current run and at most `max(min_down, probe_interval)` before `now`: the controller observes
//! the standbys right before asking. Older evidence could predate the failure (a receiver that
//! "was streaming") or miss a reconnection since.

use chrono::{DateTime, Utc};

use crate::config::{format_duration, FailoverMode};
use crate::postgres::wal::format_lsn;
use crate::probe::{HealthState, ProbeOutcome};
use crate::state::Role;

use super::candidate::{evaluate, fresh, Bar, Eligible};
use super::decision::{Decision, Plan, RefusalReason, Rejected};
use super::inputs::{EndpointInput, PolicyInput};
use super::receiver::ReceiverView;

/// Decides what to do about the venture's primary at `now`.
pub fn decide(input: &PolicyInput<'_>, now: DateTime<Utc>) -> Decision {
    match judge(input, now) {
        Ok(decision) => decision,
        Err(reason) => Decision::Refuse(reason),
    }
}

fn judge(input: &PolicyInput<'_>, now: DateTime<Utc>) -> Result<Decision, RefusalReason> {
    let config = input.config;
    let primaries: Vec<&EndpointInput<'_>> = input
        .endpoints
        .iter()
        .filter(|e| e.role == Role::Primary && !e.is_fenced())
        .collect();
    let failing = primaries.iter().find(|p| !healthy_or_unprobed(p));
    let Some(failing) = failing else {
        // Every recorded primary is healthy, or none is recorded: nothing is failing unless
        // failover is on and the venture has endpoints but no primary (refused below).
        if !primaries.is_empty() || input.endpoints.is_empty() || config.mode == FailoverMode::Off {
            return Ok(Decision::Nothing);
        }
        return Err(gates(input).err().unwrap_or(RefusalReason::NoPrimary));
    };
    if config.mode == FailoverMode::Off {
        return Err(RefusalReason::ModeOff {
            primary: failing.name.to_owned(),
        });
    }
    gates(input)?;
    let primary = match primaries.as_slice() {
        [] => return Err(RefusalReason::NoPrimary),
        [one] => *one,
        several => {
            return Err(RefusalReason::SeveralPrimaries(
                several.iter().map(|p| p.name.to_owned()).collect(),
            ))
        }
    };
    let health = primary.health;
    let primary_failing_since = match health.failing_since() {
        Some(since) if health.down_by_rule() => since,
        _ => {
            let hc = health.config();
            return Err(RefusalReason::PrimaryNotDown {
                primary: primary.name.to_owned(),
                state: health.state(),
                failures: health.consecutive_failures(),
                span: health.failing_for(),
                failure_threshold: hc.failure_threshold,
                min_down: hc.min_down,
            });
        }
    };
    if let Some(obs) = primary.observed.filter(|o| o.at >= primary_failing_since) {
        return Err(RefusalReason::PrimaryAnswered {
            primary: primary.name.to_owned(),
            observed_at: obs.at,
            failing_since: primary_failing_since,
        });
    }
    if let Some(last) = input.last_failover {
        let elapsed = crate::probe::elapsed(last.at, now);
        if elapsed < config.cooldown {
            return Err(RefusalReason::Cooldown {
                epoch: last.epoch,
                at: last.at,
                elapsed,
                cooldown: config.cooldown,
            });
        }
    }
    let baseline = input
        .baseline
        .filter(|b| b.primary == primary.name)
        .ok_or_else(|| RefusalReason::NeverSawHealthyPrimary {
            primary: primary.name.to_owned(),
        })?;
    if !baseline.armed() {
        return Err(RefusalReason::NeverSawStreamingStandby {
            primary: primary.name.to_owned(),
            primary_lsn: baseline.primary_lsn,
            timeline: baseline.timeline,
        });
    }
    if crate::probe::elapsed(baseline.primary_seen_at, primary_failing_since) > input.max_sample_age
    {
        return Err(RefusalReason::StalePrimarySample {
            primary: primary.name.to_owned(),
            sampled_at: baseline.primary_seen_at,
            failing_since: primary_failing_since,
            max_age: input.max_sample_age,
        });
    }
    let others = || {
        input
            .endpoints
            .iter()
            .filter(|e| e.name != primary.name && !e.is_fenced())
    };
    if let Some((endpoint, obs)) = others()
        .filter_map(|e| e.observed.map(|o| (e.name, o)))
        .find(|(_, o)| !o.in_recovery)
    {
        return Err(RefusalReason::OtherPrimaryAlive {
            endpoint: endpoint.to_owned(),
            at: obs.at,
        });
    }
    let bar = Bar {
        baseline,
        primary_failing_since,
        now,
        max_age: config.min_down.max(config.probe_interval),
        min_down: config.min_down,
        max_lag_bytes: config.max_lag_bytes,
    };
    for endpoint in others() {
        let Ok(obs) = fresh(endpoint.observed, &bar) else {
            continue;
        };
        let receiver = ReceiverView::of(obs, config.min_down);
        if matches!(receiver, ReceiverView::Alive(_)) {
            return Err(RefusalReason::PrimaryAliveFromStandby {
                standby: endpoint.name.to_owned(),
                receiver,
                min_down: config.min_down,
            });
        }
    }
    let mut eligible: Vec<Eligible<'_>> = Vec::new();
    let mut rejected: Vec<Rejected> = Vec::new();
    for (index, endpoint) in input.endpoints.iter().enumerate() {
        if endpoint.name == primary.name {
            continue;
        }
        match evaluate(index, endpoint, &bar) {
            Ok(e) => eligible.push(e),
            Err(why) => rejected.push(Rejected {
                endpoint: endpoint.name.to_owned(),
                why,
            }),
        }
    }
    // Highest position first; equal positions keep configuration order (the sort is stable).
    eligible.sort_by(|a, b| b.position.cmp(&a.position).then(a.index.cmp(&b.index)));
    let Some(chosen) = eligible.first() else {
        return Err(RefusalReason::NoCandidate(rejected));
    };
    let plan = plan(input, primary, chosen, &eligible[1..], &rejected, &bar);
    Ok(match config.mode {
        FailoverMode::Auto => Decision::Promote(plan),
        FailoverMode::Manual | FailoverMode::Off => Decision::Recommend(plan),
    })
}

/// The gates that do not depend on the databases: Supabase, leadership, single flight.
fn gates(input: &PolicyInput<'_>) -> Result<(), RefusalReason> {
    if input.supabase && input.config.mode == FailoverMode::Auto {
        return Err(RefusalReason::SupabaseAuto);
    }
    if !input.leader {
        return Err(RefusalReason::NotLeader);
    }
    if let Some(epoch) = input.in_flight {
        return Err(RefusalReason::InFlight { epoch });
    }
    Ok(())
}

/// Up (or never probed) with no failure since the last success: nothing to decide.
fn healthy_or_unprobed(endpoint: &EndpointInput<'_>) -> bool {
    let health = endpoint.health;
    match health.last_result() {
        None => true,
        Some((ProbeOutcome::Ok, _)) => health.state() != HealthState::Down,
        Some((ProbeOutcome::Failed, _)) => false,
    }
}

fn plan(
    input: &PolicyInput<'_>,
    primary: &EndpointInput<'_>,
    chosen: &Eligible<'_>,
    runners_up: &[Eligible<'_>],
    rejected: &[Rejected],
    bar: &Bar<'_>,
) -> Plan {
    let config = input.config;
    let health = primary.health;
    let baseline = bar.baseline;
    let mut reasons = vec![
        format!(
            "primary {} down by hysteresis: {} consecutive failed probes over {} since {} (threshold {} over {})",
            primary.name,
            health.consecutive_failures(),
            format_duration(health.failing_for()),
            bar.primary_failing_since.to_rfc3339(),
            health.config().failure_threshold,
            format_duration(health.config().min_down),
        ),
        format!(
            "last primary LSN seen {} on timeline {} at {}; standby {} seen streaming at {}",
            format_lsn(baseline.primary_lsn),
            baseline.timeline,
            baseline.primary_seen_at.to_rfc3339(),
            baseline
                .streaming_standby
                .as_ref()
                .map_or("?", |s| s.name.as_str()),
            baseline
                .streaming_standby
                .as_ref()
                .map_or_else(|| "?".to_owned(), |s| s.at.to_rfc3339()),
        ),
        format!(
            "{} observed at {}: {} (primary gone from its view, min_down {})",
            chosen.name,
            chosen.observed_at.to_rfc3339(),
            chosen.receiver,
            format_duration(config.min_down),
        ),
        format!(
            "{} at {}, {} bytes behind the last primary LSN seen (max_lag_bytes {}), timeline {}",
            chosen.name,
            format_lsn(chosen.position),
            chosen.lag_bytes,
            config.max_lag_bytes,
            baseline.timeline,
        ),
    ];
    match input.last_failover {
        Some(last) => reasons.push(format!(
            "last failover epoch {} at {}, cooldown {} over",
            last.epoch,
            last.at.to_rfc3339(),
            format_duration(config.cooldown)
        )),
        None => reasons.push("no failover recorded before".to_owned()),
    }
    for other in runners_up {
        let why = if other.position == chosen.position {
            "same position, later in configuration order"
        } else {
            "less advanced"
        };
        reasons.push(format!(
            "{} passed over: at {} ({why})",
            other.name,
            format_lsn(other.position)
        ));
    }
    for r in rejected {
        reasons.push(format!("{} not a candidate: {}", r.endpoint, r.why));
    }
    Plan {
        from: primary.name.to_owned(),
        to: chosen.name.to_owned(),
        epoch_hint: input.last_failover.map_or(1, |f| f.epoch.saturating_add(1)),
        position: chosen.position,
        lag_bytes: chosen.lag_bytes,
        timeline: baseline.timeline,
        reasons,
    }
}
