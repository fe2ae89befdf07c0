//! One venture in one document: its summary and readiness, endpoints, backup status, PITR
//! window, objectives in force and drill facts — what `GET /api/v1/ventures/{v}` answers and
//! the status page draws a venture's section from.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::backups::{backups, BackupsView};
use super::objectives::ObjectiveValues;
use super::pitr::{pitr, PitrView};
use super::readiness::{summary, VentureSummary};
use super::scrub::Scrubber;
use crate::state::VentureState;

/// One endpoint (no DSN, no credentials).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EndpointView {
    /// The endpoint's name.
    pub name: String,
    /// primary, standby, fenced or unknown (now).
    pub role: &'static str,
    /// The role in the configuration.
    pub configured_role: &'static str,
    /// Fenced after a failover.
    pub fenced: bool,
    /// The last probe succeeded; `null` before the first probe.
    pub up: Option<bool>,
    /// When the last successful probe finished.
    pub last_probe_success: Option<DateTime<Utc>>,
    /// Standby lag in bytes; `null` when unknown or a primary.
    pub replication_lag_bytes: Option<u64>,
    /// WAL written but not archived, bytes; `null` when unknown.
    pub archive_lag_bytes: Option<u64>,
}

/// Drill facts from the snapshot (the timeline is `…/drills`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrillSummary {
    /// When the last drill finished.
    pub last_run: Option<DateTime<Utc>>,
    /// When the last passed drill finished.
    pub last_success: Option<DateTime<Utc>>,
    /// Whether the last passed-or-failed drill passed.
    pub last_passed: Option<bool>,
    /// RTO of the last passed drill, seconds.
    pub rto_seconds: Option<f64>,
    /// RPO of the last passed drill, seconds.
    pub rpo_seconds: Option<f64>,
    /// Next scheduled drill.
    pub next_run: Option<DateTime<Utc>>,
}

/// `GET /api/v1/ventures/{v}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VentureView {
    /// Name, readiness and findings, headline figures.
    #[serde(flatten)]
    pub summary: VentureSummary,
    /// Objectives in force.
    pub objectives: ObjectiveValues,
    /// Endpoints, in configuration order.
    pub endpoint_states: Vec<EndpointView>,
    /// Backup status.
    pub backups: BackupsView,
    /// The recovery window.
    pub pitr: PitrView,
    /// Drill facts.
    pub drill: DrillSummary,
}

/// The detail of `v` at `now` (pure).
pub fn venture(v: &VentureState, now: DateTime<Utc>, scrub: &Scrubber) -> VentureView {
    VentureView {
        summary: summary(v, now, scrub),
        objectives: (&v.objectives).into(),
        endpoint_states: v
            .endpoints
            .iter()
            .map(|e| EndpointView {
                name: e.name.clone(),
                role: e.role.as_str(),
                configured_role: e.configured_role.as_str(),
                fenced: e.fenced,
                up: e.probe.up,
                last_probe_success: e.probe.last_success,
                replication_lag_bytes: e.observed.as_ref().and_then(|o| o.replication_lag_bytes),
                archive_lag_bytes: e.observed.as_ref().and_then(|o| o.archive_lag_bytes),
            })
            .collect(),
        backups: backups(v, now, scrub),
        pitr: pitr(v, now),
        drill: DrillSummary {
            last_run: v.drill.last_run,
            last_success: v.drill.last_success,
            last_passed: v.drill.last_outcome_ok,
            rto_seconds: v.drill.rto_seconds,
            rpo_seconds: v.drill.rpo_seconds,
            next_run: v.drill.next_run,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_detail_serializes_with_every_section() {
        let now = Utc::now();
        let snap = crate::metrics::synthetic::snapshot(1, now);
        let json = serde_json::to_value(venture(&snap.ventures[0], now, &Scrubber::default()))
            .expect("json");
        for key in [
            "name",
            "readiness",
            "findings",
            "objectives",
            "endpoint_states",
            "backups",
            "pitr",
            "drill",
        ] {
            assert!(json.get(key).is_some(), "{key} missing: {json}");
        }
    }
}
