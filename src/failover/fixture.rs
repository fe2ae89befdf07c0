//! Test scenarios for the policy and baseline tests: a venture of owned endpoints on an
//! injected clock (seconds after a fixed instant), borrowed into [`PolicyInput`] on demand.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use crate::config::{FailoverConfig, FailoverMode};
use crate::probe::{Health, HealthConfig, ProbeOutcome};
use crate::state::{EndpointObservation, Role, WalReceiver};

use super::{decide, Baseline, Decision, EndpointInput, PastFailover, PolicyInput, StandbySeen};

/// Primary LSN of the happy path (0/3000000).
pub const PRIMARY_LSN: u64 = 0x300_0000;

pub fn t(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + seconds, 0).unwrap()
}

/// A tracker fed with `(outcome, second)` results, with the default thresholds.
pub fn health(results: &[(ProbeOutcome, i64)]) -> Health {
    let mut health = Health::new(HealthConfig::from(&FailoverConfig::default()));
    for &(outcome, s) in results {
        health.record(outcome, t(s));
    }
    health
}

/// Up: one success per second from 0 to `last`.
pub fn up_until(last: i64) -> Health {
    let results: Vec<_> = (0..=last).map(|s| (ProbeOutcome::Ok, s)).collect();
    health(&results)
}

/// Up to 10 s, then failing at 11, 12, 13, 14 and 16: down by the rule at 16.
pub fn down_at_16() -> Health {
    let mut h = up_until(10);
    for s in [11, 12, 13, 14, 16] {
        h.record(ProbeOutcome::Failed, t(s));
    }
    h
}

pub fn receiver(status: &str, last_msg: Option<i64>, flushed: Option<u64>) -> WalReceiver {
    WalReceiver {
        status: status.to_owned(),
        last_msg_receipt_time: last_msg.map(t),
        flushed_lsn: flushed,
        received_tli: Some(1),
    }
}

pub fn primary_observation(at: i64, lsn: u64) -> EndpointObservation {
    EndpointObservation {
        at: t(at),
        in_recovery: false,
        timeline: 1,
        current_lsn: Some(lsn),
        ..Default::default()
    }
}

pub fn standby_observation(
    at: i64,
    replay: u64,
    receiver: Option<WalReceiver>,
) -> EndpointObservation {
    EndpointObservation {
        at: t(at),
        in_recovery: true,
        timeline: 1,
        current_lsn: Some(replay),
        wal_receiver: receiver,
        ..Default::default()
    }
}

/// One endpoint, owned.
pub struct Node {
    pub name: String,
    pub role: Role,
    pub fenced: bool,
    pub health: Health,
    pub observed: Option<EndpointObservation>,
}

/// One venture at one instant, owned.
pub struct Scenario {
    pub config: FailoverConfig,
    pub supabase: bool,
    pub leader: bool,
    pub in_flight: Option<i64>,
    pub last_failover: Option<PastFailover>,
    pub baseline: Option<Baseline>,
    pub max_sample_age: Duration,
    pub nodes: Vec<Node>,
    pub now: DateTime<Utc>,
}

impl Scenario {
    /// `auto`, defaults; pg1 (primary) seen healthy at 0/3000000 at 10 s and down by the rule
    /// at 16 s (first failure at 11 s; samples up to 3 s older accepted); pg2 (standby) up, observed at 16 s with its WAL receiver `waiting` (the
    /// primary's connection is gone), flushed up to the primary's LSN, replay slightly behind;
    /// pg2 seen streaming at 9 s. Now is 17 s.
    pub fn happy() -> Self {
        Self {
            config: FailoverConfig {
                mode: FailoverMode::Auto,
                ..FailoverConfig::default()
            },
            supabase: false,
            leader: true,
            in_flight: None,
            last_failover: None,
            baseline: Some(Baseline {
                primary: "pg1".into(),
                primary_lsn: PRIMARY_LSN,
                timeline: 1,
                primary_seen_at: t(10),
                streaming_standby: Some(StandbySeen {
                    name: "pg2".into(),
                    at: t(9),
                }),
            }),
            max_sample_age: Duration::from_secs(3),
            nodes: vec![
                Node {
                    name: "pg1".into(),
                    role: Role::Primary,
                    fenced: false,
                    health: down_at_16(),
                    observed: Some(primary_observation(10, PRIMARY_LSN)),
                },
                Node {
                    name: "pg2".into(),
                    role: Role::Standby,
                    fenced: false,
                    health: up_until(16),
                    observed: Some(standby_observation(
                        16,
                        PRIMARY_LSN - 0x100,
                        Some(receiver("waiting", Some(10), Some(PRIMARY_LSN))),
                    )),
                },
            ],
            now: t(17),
        }
    }

    /// Adds a standby like pg2 with this name and flushed LSN.
    pub fn with_standby(mut self, name: &str, flushed: u64) -> Self {
        self.nodes.push(Node {
            name: name.into(),
            role: Role::Standby,
            fenced: false,
            health: up_until(16),
            observed: Some(standby_observation(
                16,
                flushed.saturating_sub(0x100),
                Some(receiver("waiting", Some(10), Some(flushed))),
            )),
        });
        self
    }

    pub fn node(&mut self, name: &str) -> &mut Node {
        self.nodes
            .iter_mut()
            .find(|n| n.name == name)
            .expect("node in scenario")
    }

    pub fn inputs(&self) -> Vec<EndpointInput<'_>> {
        self.nodes
            .iter()
            .map(|n| EndpointInput {
                name: &n.name,
                role: n.role,
                fenced: n.fenced,
                health: &n.health,
                observed: n.observed.as_ref(),
            })
            .collect()
    }

    pub fn decide(&self) -> Decision {
        let endpoints = self.inputs();
        let input = PolicyInput {
            config: &self.config,
            supabase: self.supabase,
            leader: self.leader,
            in_flight: self.in_flight,
            last_failover: self.last_failover,
            baseline: self.baseline.as_ref(),
            max_sample_age: self.max_sample_age,
            endpoints: &endpoints,
        };
        decide(&input, self.now)
    }
}
