//! What the failover policy decides from: plain values gathered by the controller.
//!
//! The policy reads no clock, store or network: the controller passes the venture's
//! `[ventures.failover]` section, the per-endpoint health ([`crate::probe::Health`]) and last
//! observation, the [`Baseline`] it keeps, the store's answers (failover in flight, last
//! failover, leadership) and `now`.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::FailoverConfig;
use crate::probe::Health;
use crate::state::{EndpointObservation, Role};

use super::Baseline;

/// One endpoint as the policy sees it.
#[derive(Debug, Clone, Copy)]
pub struct EndpointInput<'a> {
    /// The endpoint name.
    pub name: &'a str,
    /// The recorded role: the store's after a failover, else the configured one.
    pub role: Role,
    /// Fenced after a failover (until a human clears it). `Role::Fenced` counts as fenced too.
    pub fenced: bool,
    /// Liveness by hysteresis.
    pub health: &'a Health,
    /// The last successful observation (`pg_is_in_recovery()`, timeline, LSNs, WAL receiver).
    pub observed: Option<&'a EndpointObservation>,
}

impl EndpointInput<'_> {
    /// Fenced by flag or by recorded role.
    pub fn is_fenced(&self) -> bool {
        self.fenced || self.role == Role::Fenced
    }
}

/// A failover already recorded for the venture (the newest one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PastFailover {
    /// Its epoch (the venture's highest).
    pub epoch: i64,
    /// When it finished, or when it started if it never finished. Aborted failovers count too:
    /// they may have fenced or signalled a promotion.
    pub at: DateTime<Utc>,
}

/// Everything the policy decides from, for one venture.
#[derive(Debug, Clone, Copy)]
pub struct PolicyInput<'a> {
    /// `[ventures.failover]`: mode and thresholds.
    pub config: &'a FailoverConfig,
    /// The venture's backups are Supabase's (no promote API: `auto` is refused).
    pub supabase: bool,
    /// This agent holds the venture's leadership lease (`Store::try_lead`).
    pub leader: bool,
    /// Epoch of an unfinished failover of the venture (`Store::in_flight_failover`).
    pub in_flight: Option<i64>,
    /// The newest recorded failover of the venture.
    pub last_failover: Option<PastFailover>,
    /// What the agent saw while the primary was healthy.
    pub baseline: Option<&'a Baseline>,
    /// The last primary LSN must have been sampled at most this long before the primary's first
    /// failed probe: an old sample makes every standby look caught up. The controller passes a
    /// few times the interval it samples the primary's LSN at.
    pub max_sample_age: Duration,
    /// Every endpoint of the venture, in configuration order (ties break by this order).
    pub endpoints: &'a [EndpointInput<'a>],
}
