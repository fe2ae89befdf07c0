//! The [`Baseline`]: what the agent saw while the primary was healthy, which arms failover.
//!
//! Automatic failover is armed only once the agent has seen the current primary healthy (with
//! its LSN and timeline) and a standby streaming on that timeline (DESIGN.md §9; the anchors'
//! start-up grace: no failover from a cold start against an already-dead primary). The last
//! primary LSN seen is also what candidates' lag is measured against once the primary is gone.
//! The controller keeps one per venture and feeds it every poll with [`Baseline::observe`].

use chrono::{DateTime, Utc};

use crate::probe::HealthState;
use crate::state::Role;

use super::inputs::EndpointInput;

/// A standby seen streaming from the primary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandbySeen {
    /// The standby endpoint.
    pub name: String,
    /// When the observation showing its WAL receiver `streaming` was taken.
    pub at: DateTime<Utc>,
}

/// The last healthy primary and streaming standby seen, for the current primary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    /// The primary endpoint the figures belong to.
    pub primary: String,
    /// Its `pg_current_wal_lsn()` in the newest observation taken while it was healthy.
    pub primary_lsn: u64,
    /// Its timeline in that observation.
    pub timeline: u32,
    /// When that observation was taken.
    pub primary_seen_at: DateTime<Utc>,
    /// The newest standby seen streaming on that timeline; `None` until one was.
    pub streaming_standby: Option<StandbySeen>,
}

impl Baseline {
    /// Armed: a healthy primary and a streaming standby were both seen.
    pub fn armed(&self) -> bool {
        self.streaming_standby.is_some()
    }

    /// Folds the current endpoints into `previous`.
    ///
    /// The primary is the one unfenced endpoint recorded `Primary`; with none or several the
    /// baseline is kept as it was (nothing trustworthy to add). A different primary than the
    /// baseline's (after a failover) starts a new baseline. The primary's figures are taken only
    /// while it is `Up` with no failure since its last success and observed out of recovery with
    /// an LSN, and only from an observation newer than the one held. A standby counts as
    /// streaming when it is unfenced, recorded `Standby`, `Up`, in recovery, its WAL receiver's
    /// status is `streaming` and it is on the baseline's timeline. A new primary timeline
    /// forgets the streaming standby seen on the old one.
    pub fn observe(
        previous: Option<Baseline>,
        endpoints: &[EndpointInput<'_>],
    ) -> Option<Baseline> {
        let mut primaries = endpoints
            .iter()
            .filter(|e| e.role == Role::Primary && !e.is_fenced());
        let (Some(primary), None) = (primaries.next(), primaries.next()) else {
            return previous;
        };
        let mut baseline = previous.filter(|b| b.primary == primary.name);
        let healthy =
            primary.health.state() == HealthState::Up && primary.health.consecutive_failures() == 0;
        if let Some(obs) = primary.observed.filter(|o| healthy && !o.in_recovery) {
            if let Some(lsn) = obs.current_lsn {
                baseline = match baseline {
                    Some(b) if b.primary_seen_at > obs.at => Some(b),
                    Some(b) => Some(Baseline {
                        primary_lsn: lsn,
                        timeline: obs.timeline,
                        primary_seen_at: obs.at,
                        streaming_standby: b
                            .streaming_standby
                            .filter(|_| b.timeline == obs.timeline),
                        ..b
                    }),
                    None => Some(Baseline {
                        primary: primary.name.to_owned(),
                        primary_lsn: lsn,
                        timeline: obs.timeline,
                        primary_seen_at: obs.at,
                        streaming_standby: None,
                    }),
                };
            }
        }
        let mut baseline = baseline?;
        let streaming = endpoints
            .iter()
            .filter(|e| e.role == Role::Standby && !e.is_fenced())
            .filter(|e| e.health.state() == HealthState::Up)
            .filter_map(|e| e.observed.map(|o| (e.name, o)))
            .filter(|(_, o)| o.in_recovery && o.timeline == baseline.timeline)
            .filter(|(_, o)| {
                o.wal_receiver
                    .as_ref()
                    .is_some_and(|r| r.status == super::receiver::STREAMING)
            })
            .max_by_key(|(_, o)| o.at);
        if let Some((name, obs)) = streaming {
            let newer = baseline
                .streaming_standby
                .as_ref()
                .is_none_or(|s| s.at <= obs.at);
            if newer {
                baseline.streaming_standby = Some(StandbySeen {
                    name: name.to_owned(),
                    at: obs.at,
                });
            }
        }
        Some(baseline)
    }
}
