//! What the failover policy answers: [`Decision`], with a [`RefusalReason`] for every refusal.
//!
//! Every refusal names what was checked and the figures it was checked with, so the text can be
//! recorded, logged and notified as is.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};

use crate::config::format_duration;
use crate::postgres::wal::format_lsn;
use crate::probe::HealthState;
use crate::state::Role;

use super::receiver::ReceiverView;

/// The policy's answer for one venture at one instant.
#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// The primary is healthy (or there is nothing to fail over): nothing to do.
    Nothing,
    /// `mode = "manual"`: every rule holds; a human should run `backstop failover`.
    Recommend(Plan),
    /// `mode = "auto"`: every rule holds; the controller fences `from` and promotes `to`.
    Promote(Plan),
    /// The primary is not healthy but a rule forbids failing over.
    Refuse(RefusalReason),
}

/// The failover every rule allows.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The primary that is down (to be fenced).
    pub from: String,
    /// The standby to promote.
    pub to: String,
    /// The epoch this failover should get (the last recorded epoch + 1); the store assigns the
    /// real one in `begin_failover`.
    pub epoch_hint: i64,
    /// The candidate's WAL position used (max of its WAL receiver's flushed LSN and its replay
    /// LSN).
    pub position: u64,
    /// Bytes behind the last primary LSN seen (0 when at or ahead of it).
    pub lag_bytes: u64,
    /// The timeline shared by the last primary seen and the candidate.
    pub timeline: u32,
    /// One line per rule that held, with its figures, for the record.
    pub reasons: Vec<String>,
}

/// Why the policy refused to fail over.
#[derive(Debug, Clone, PartialEq)]
pub enum RefusalReason {
    /// `mode = "off"`: probes only.
    ModeOff {
        /// The primary that is not healthy.
        primary: String,
    },
    /// `mode = "auto"` on a Supabase venture (no promote API).
    SupabaseAuto,
    /// Another agent holds the venture's leadership.
    NotLeader,
    /// A failover of the venture is unfinished (single flight).
    InFlight {
        /// Its epoch.
        epoch: i64,
    },
    /// No unfenced endpoint is recorded primary.
    NoPrimary,
    /// Several unfenced endpoints are recorded primary.
    SeveralPrimaries(Vec<String>),
    /// The primary is not down by the hysteresis rule (yet, or it answered again).
    PrimaryNotDown {
        /// The primary.
        primary: String,
        /// Its health state.
        state: HealthState,
        /// Its consecutive failed probes.
        failures: u32,
        /// How long they span.
        span: Duration,
        /// `failure_threshold`.
        failure_threshold: u32,
        /// `min_down`.
        min_down: Duration,
    },
    /// The primary answered an observation after its first failed probe: it is alive.
    PrimaryAnswered {
        /// The primary.
        primary: String,
        /// When it answered.
        observed_at: DateTime<Utc>,
        /// Its first failed probe of the current run.
        failing_since: DateTime<Utc>,
    },
    /// The last primary LSN seen was sampled too long before the primary failed.
    StalePrimarySample {
        /// The primary.
        primary: String,
        /// When the LSN was sampled.
        sampled_at: DateTime<Utc>,
        /// The primary's first failed probe of the current run.
        failing_since: DateTime<Utc>,
        /// The oldest sample accepted, before `failing_since`.
        max_age: Duration,
    },
    /// A failover happened within `cooldown`.
    Cooldown {
        /// Its epoch.
        epoch: i64,
        /// When it happened.
        at: DateTime<Utc>,
        /// Time since.
        elapsed: Duration,
        /// `cooldown`.
        cooldown: Duration,
    },
    /// The agent never saw the current primary healthy with its LSN and timeline.
    NeverSawHealthyPrimary {
        /// The primary.
        primary: String,
    },
    /// The agent saw the primary healthy but never a standby streaming from it.
    NeverSawStreamingStandby {
        /// The primary.
        primary: String,
        /// Its last LSN seen.
        primary_lsn: u64,
        /// Its timeline.
        timeline: u32,
    },
    /// Another unfenced endpoint runs out of recovery: a second primary exists.
    OtherPrimaryAlive {
        /// That endpoint.
        endpoint: String,
        /// When it was observed out of recovery.
        at: DateTime<Utc>,
    },
    /// A standby still hears the primary: only the agent's path to the primary is broken.
    PrimaryAliveFromStandby {
        /// The standby.
        standby: String,
        /// Its WAL receiver.
        receiver: ReceiverView,
        /// `min_down`.
        min_down: Duration,
    },
    /// No standby passes the candidate rules.
    NoCandidate(Vec<Rejected>),
}

/// A standby that cannot be promoted, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// The endpoint.
    pub endpoint: String,
    /// Why.
    pub why: CandidateRefusal,
}

/// Why one endpoint cannot be promoted.
#[derive(Debug, Clone, PartialEq)]
pub enum CandidateRefusal {
    /// Fenced (an old primary): never failed back to automatically.
    Fenced,
    /// Not recorded as a standby.
    NotStandby(Role),
    /// Not up by the hysteresis rule.
    Unhealthy(HealthState),
    /// Never observed.
    NoObservation,
    /// Its last observation predates the primary's first failed probe, or is older than allowed.
    StaleObservation {
        /// When it was taken.
        at: DateTime<Utc>,
        /// The primary's first failed probe of the current run.
        primary_failing_since: DateTime<Utc>,
        /// Its age at the decision.
        age: Duration,
        /// The oldest age accepted.
        max_age: Duration,
    },
    /// Observed out of recovery.
    NotInRecovery,
    /// Its WAL receiver cannot be read, so the primary's liveness from its view is unknown.
    ReceiverUnreadable,
    /// On another timeline than the last primary seen.
    OtherTimeline {
        /// The candidate's timeline.
        timeline: u32,
        /// The last primary's.
        primary_timeline: u32,
    },
    /// Neither its replay LSN nor its WAL receiver's flushed LSN is known.
    PositionUnknown,
    /// Further behind the last primary LSN seen than `max_lag_bytes`.
    TooFarBehind {
        /// Bytes behind.
        lag_bytes: u64,
        /// Its position.
        position: u64,
        /// The last primary LSN seen.
        primary_lsn: u64,
        /// `max_lag_bytes`.
        max_lag_bytes: u64,
    },
}

fn ts(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl fmt::Display for RefusalReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefusalReason::ModeOff { primary } => write!(
                f,
                "failover mode is off: primary {primary} is not healthy and nothing is done automatically"
            ),
            RefusalReason::SupabaseAuto => f.write_str(
                "mode \"auto\" is refused for Supabase ventures: they have no promote API",
            ),
            RefusalReason::NotLeader => f.write_str(
                "this agent does not hold the venture's leadership lease: the leader decides",
            ),
            RefusalReason::InFlight { epoch } => write!(
                f,
                "failover epoch {epoch} is still in flight: one failover at a time"
            ),
            RefusalReason::NoPrimary => f.write_str("no unfenced endpoint is recorded primary"),
            RefusalReason::SeveralPrimaries(names) => write!(
                f,
                "several unfenced endpoints are recorded primary ({}): refusing to choose",
                names.join(", ")
            ),
            RefusalReason::PrimaryNotDown {
                primary,
                state,
                failures,
                span,
                failure_threshold,
                min_down,
            } => write!(
                f,
                "primary {primary} is not down by hysteresis: {failures} consecutive failed probes over {} (needs {failure_threshold} over at least {}), state {state}",
                format_duration(*span),
                format_duration(*min_down)
            ),
            RefusalReason::PrimaryAnswered {
                primary,
                observed_at,
                failing_since,
            } => write!(
                f,
                "primary {primary} answered an observation at {} after its first failed probe at {}: it is alive",
                ts(observed_at),
                ts(failing_since)
            ),
            RefusalReason::StalePrimarySample {
                primary,
                sampled_at,
                failing_since,
                max_age,
            } => write!(
                f,
                "the last LSN of primary {primary} was sampled at {}, {} before its first failed probe at {} (at most {} accepted): the lag of the standbys is unknown",
                ts(sampled_at),
                format_duration(crate::probe::elapsed(*sampled_at, *failing_since)),
                ts(failing_since),
                format_duration(*max_age)
            ),
            RefusalReason::Cooldown {
                epoch,
                at,
                elapsed,
                cooldown,
            } => write!(
                f,
                "failover epoch {epoch} at {} was {} ago, within cooldown {}",
                ts(at),
                format_duration(*elapsed),
                format_duration(*cooldown)
            ),
            RefusalReason::NeverSawHealthyPrimary { primary } => write!(
                f,
                "never saw primary {primary} healthy with its LSN and timeline: failover is not armed"
            ),
            RefusalReason::NeverSawStreamingStandby {
                primary,
                primary_lsn,
                timeline,
            } => write!(
                f,
                "saw primary {primary} healthy (LSN {}, timeline {timeline}) but never a standby streaming on that timeline: failover is not armed",
                format_lsn(*primary_lsn)
            ),
            RefusalReason::OtherPrimaryAlive { endpoint, at } => write!(
                f,
                "{endpoint} is not fenced and was observed out of recovery at {}: a second primary exists",
                ts(at)
            ),
            RefusalReason::PrimaryAliveFromStandby {
                standby,
                receiver,
                min_down,
            } => write!(
                f,
                "standby {standby} still hears the primary ({receiver}; min_down {}): only the agent's path to the primary is broken",
                format_duration(*min_down)
            ),
            RefusalReason::NoCandidate(rejected) if rejected.is_empty() => {
                f.write_str("no standby to promote")
            }
            RefusalReason::NoCandidate(rejected) => {
                f.write_str("no standby can be promoted: ")?;
                for (i, r) in rejected.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write!(f, "{}: {}", r.endpoint, r.why)?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for CandidateRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CandidateRefusal::Fenced => {
                f.write_str("fenced (an old primary is never failed back to automatically)")
            }
            CandidateRefusal::NotStandby(role) => {
                write!(f, "recorded role {} is not standby", role.as_str())
            }
            CandidateRefusal::Unhealthy(state) => write!(f, "not up by hysteresis (state {state})"),
            CandidateRefusal::NoObservation => f.write_str("never observed"),
            CandidateRefusal::StaleObservation {
                at,
                primary_failing_since,
                age,
                max_age,
            } => write!(
                f,
                "last observation at {} ({} old, at most {} accepted) must postdate the primary's first failed probe at {}",
                ts(at),
                format_duration(*age),
                format_duration(*max_age),
                ts(primary_failing_since)
            ),
            CandidateRefusal::NotInRecovery => f.write_str("not in recovery"),
            CandidateRefusal::ReceiverUnreadable => f.write_str(
                "WAL receiver status unreadable (grant pg_read_all_stats): cannot tell whether it still hears the primary",
            ),
            CandidateRefusal::OtherTimeline {
                timeline,
                primary_timeline,
            } => write!(
                f,
                "on timeline {timeline}, the last primary seen was on timeline {primary_timeline}"
            ),
            CandidateRefusal::PositionUnknown => {
                f.write_str("neither its replay LSN nor its WAL receiver's flushed LSN is known")
            }
            CandidateRefusal::TooFarBehind {
                lag_bytes,
                position,
                primary_lsn,
                max_lag_bytes,
            } => write!(
                f,
                "lag {lag_bytes} bytes (at {}, last primary LSN seen {}) exceeds max_lag_bytes {max_lag_bytes}",
                format_lsn(*position),
                format_lsn(*primary_lsn)
            ),
        }
    }
}
