//! The candidate rules: can this standby be promoted, and from which WAL position?
//!
//! A candidate is an endpoint other than the primary that is unfenced, recorded `Standby`, `Up`
//! by hysteresis, observed in recovery after the primary's first failed probe (and recently),
//! with a readable WAL receiver, on the last primary's timeline, and at most `max_lag_bytes`
//! behind the last primary LSN seen.
//!
//! **Which LSN.** The position is `max(flushed LSN of the WAL receiver, replay LSN)`. WAL the
//! receiver flushed is on the standby's disk, and promotion replays all of it before the server
//! leaves recovery (`pg_promote(true, …)` returns once it has; a paused replay or
//! `recovery_min_apply_delay` is ended by the promotion), so the flushed LSN is what survives
//! the failover; the replay LSN alone would overstate the loss by the apply backlog and refuse
//! standbys only because replay is behind. The receiver's row disappears when it stops, taking
//! the flushed LSN with it; the replay LSN, which never exceeds it, then stands in, which can
//! only overstate the lag (refuse), never understate it. This is Patroni's `max(receive,
//! replay)`. The apply backlog costs promotion time, not data; the controller waits for it.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::probe::{elapsed, HealthState};
use crate::state::{EndpointObservation, Role};

use super::decision::CandidateRefusal;
use super::inputs::EndpointInput;
use super::receiver::ReceiverView;
use super::Baseline;

/// What every candidate is checked against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bar<'a> {
    /// The last healthy primary seen.
    pub baseline: &'a Baseline,
    /// The primary's first failed probe of the current run.
    pub primary_failing_since: DateTime<Utc>,
    /// The decision instant.
    pub now: DateTime<Utc>,
    /// The oldest observation accepted.
    pub max_age: Duration,
    /// `min_down` (the WAL receiver's allowed silence).
    pub min_down: Duration,
    /// `max_lag_bytes`.
    pub max_lag_bytes: u64,
}

/// A standby that passed every candidate rule.
#[derive(Debug, Clone)]
pub(crate) struct Eligible<'a> {
    /// Its index in configuration order.
    pub index: usize,
    /// Its name.
    pub name: &'a str,
    /// `max(flushed, replay)` LSN.
    pub position: u64,
    /// Bytes behind the last primary LSN seen.
    pub lag_bytes: u64,
    /// What its WAL receiver says.
    pub receiver: ReceiverView,
    /// When it was observed.
    pub observed_at: DateTime<Utc>,
}

/// The WAL position a promotion of this standby keeps (see the module docs).
pub fn position(observation: &EndpointObservation) -> Option<u64> {
    let flushed = observation
        .wal_receiver
        .as_ref()
        .and_then(|r| r.flushed_lsn);
    flushed.max(observation.current_lsn)
}

/// An observation recent enough to decide on: taken after the primary's first failed probe and
/// at most `max_age` before `now`.
pub(crate) fn fresh<'o>(
    observation: Option<&'o EndpointObservation>,
    bar: &Bar<'_>,
) -> Result<&'o EndpointObservation, CandidateRefusal> {
    let observation = observation.ok_or(CandidateRefusal::NoObservation)?;
    let age = elapsed(observation.at, bar.now);
    if observation.at < bar.primary_failing_since || age > bar.max_age {
        return Err(CandidateRefusal::StaleObservation {
            at: observation.at,
            primary_failing_since: bar.primary_failing_since,
            age,
            max_age: bar.max_age,
        });
    }
    Ok(observation)
}

/// Checks one endpoint against every candidate rule, in the order the refusals are reported.
pub(crate) fn evaluate<'a>(
    index: usize,
    endpoint: &EndpointInput<'a>,
    bar: &Bar<'_>,
) -> Result<Eligible<'a>, CandidateRefusal> {
    if endpoint.is_fenced() {
        return Err(CandidateRefusal::Fenced);
    }
    if endpoint.role != Role::Standby {
        return Err(CandidateRefusal::NotStandby(endpoint.role));
    }
    let health = endpoint.health.state();
    if health != HealthState::Up {
        return Err(CandidateRefusal::Unhealthy(health));
    }
    let observation = fresh(endpoint.observed, bar)?;
    if !observation.in_recovery {
        return Err(CandidateRefusal::NotInRecovery);
    }
    let receiver = ReceiverView::of(observation, bar.min_down);
    if receiver == ReceiverView::Unreadable {
        return Err(CandidateRefusal::ReceiverUnreadable);
    }
    if observation.timeline != bar.baseline.timeline {
        return Err(CandidateRefusal::OtherTimeline {
            timeline: observation.timeline,
            primary_timeline: bar.baseline.timeline,
        });
    }
    let position = position(observation).ok_or(CandidateRefusal::PositionUnknown)?;
    let lag_bytes = bar.baseline.primary_lsn.saturating_sub(position);
    if lag_bytes > bar.max_lag_bytes {
        return Err(CandidateRefusal::TooFarBehind {
            lag_bytes,
            position,
            primary_lsn: bar.baseline.primary_lsn,
            max_lag_bytes: bar.max_lag_bytes,
        });
    }
    Ok(Eligible {
        index,
        name: endpoint.name,
        position,
        lag_bytes,
        receiver,
        observed_at: observation.at,
    })
}
