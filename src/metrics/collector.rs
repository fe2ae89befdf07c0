//! [`SnapshotCollector`]: the scrape-time collector that encodes the current [`Snapshot`].
//!
//! It only reads [`SharedState::load`]: no SQL, HTTP, process or `.await` happens at scrape
//! time, so every scrape sees one consistent snapshot and costs only the encoding. Agent- and
//! venture-level families live here; backup-source families in `source.rs`, per-endpoint ones in
//! `endpoint.rs`.

use std::fmt;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;

use super::endpoint;
use super::family::{flag, unix, venture_counters, venture_gauge, SECONDS};
use crate::error::ErrorKind;
use crate::state::{Role, SharedState, Snapshot, VentureState};

/// Outcomes of `backstop_drill_runs_total`.
pub use crate::state::DRILL_OUTCOMES;
/// Outcomes of `backstop_failovers_total`.
pub use crate::state::FAILOVER_OUTCOMES;

/// Encodes the [`Snapshot`] held by a [`SharedState`] on every scrape.
#[derive(Debug, Clone)]
pub struct SnapshotCollector {
    state: SharedState,
}

impl SnapshotCollector {
    /// A collector reading `state`.
    pub fn new(state: SharedState) -> Self {
        Self { state }
    }
}

impl Collector for SnapshotCollector {
    fn encode(&self, mut enc: DescriptorEncoder<'_>) -> fmt::Result {
        let snap = self.state.load();
        encode_agent(&mut enc, &snap)?;
        encode_ventures(&mut enc, &snap)?;
        endpoint::encode(&mut enc, &snap)
    }
}

fn encode_agent(enc: &mut DescriptorEncoder<'_>, snap: &Snapshot) -> fmt::Result {
    let version = if snap.agent.version.is_empty() {
        crate::VERSION
    } else {
        snap.agent.version.as_str()
    };
    enc.encode_descriptor(
        "build_info",
        "Always 1; the version label is the running backstop version.",
        None,
        MetricType::Gauge,
    )?
    .encode_family(&[("version", version)])?
    .encode_gauge(&1u64)?;

    if let Some(started) = snap.agent.started_at {
        enc.encode_descriptor(
            "start_time",
            "Unix time the agent process started.",
            Some(&SECONDS),
            MetricType::Gauge,
        )?
        .encode_gauge(&unix(started))?;
    }
    enc.encode_descriptor(
        "ready",
        "1 once every endpoint has been polled at least once (what /readyz reports).",
        None,
        MetricType::Gauge,
    )?
    .encode_gauge(&flag(snap.agent.first_poll_done))?;
    enc.encode_descriptor(
        "snapshot_generation",
        "Number of snapshot updates published by the pollers since start; flat means no poller is publishing.",
        None,
        MetricType::Gauge,
    )?
    .encode_gauge(&snap.generation)?;
    enc.encode_descriptor(
        "ventures",
        "Number of configured ventures.",
        None,
        MetricType::Gauge,
    )?
    .encode_gauge(&(snap.ventures.len() as u64))
}

fn encode_ventures(enc: &mut DescriptorEncoder<'_>, snap: &Snapshot) -> fmt::Result {
    venture_gauge(
        enc,
        snap,
        "rpo_objective",
        "Declared recovery point objective of the venture.",
        Some(&SECONDS),
        |v| Some(v.objectives.rpo.as_secs_f64()),
    )?;
    venture_gauge(
        enc,
        snap,
        "rto_objective",
        "Declared recovery time objective of the venture.",
        Some(&SECONDS),
        |v| Some(v.objectives.rto.as_secs_f64()),
    )?;
    venture_gauge(
        enc,
        snap,
        "pitr_window_objective",
        "Declared coverage the point-in-time-recovery window must have.",
        Some(&SECONDS),
        |v| Some(v.objectives.pitr_window.as_secs_f64()),
    )?;
    venture_gauge(
        enc,
        snap,
        "backup_max_age_objective",
        "Declared maximum age of the newest usable backup.",
        Some(&SECONDS),
        |v| Some(v.objectives.backup_max_age.as_secs_f64()),
    )?;
    venture_gauge(
        enc,
        snap,
        "pitr_enabled",
        "1 when point-in-time recovery is on (the primary's archive_mode on or always; Supabase: pitr_enabled), 0 when off, as of the last poll.",
        None,
        pitr_enabled,
    )?;
    super::source::encode(enc, snap)?;
    super::pitr::encode(enc, snap)?;
    super::unmeetable::encode(enc, snap)?;
    super::verification::encode(enc, snap)?;
    super::drift::encode(enc, snap)?;
    super::poll_interval::encode(enc, snap)?;
    super::drill::encode(enc, snap)?;
    super::trigger::encode(enc, snap)?;
    let kinds = ErrorKind::ALL.map(ErrorKind::as_str);
    venture_counters(
        enc,
        snap,
        "errors",
        "Pipeline errors by kind since the agent started.",
        "kind",
        &kinds,
        |v, i| v.errors.get(&ErrorKind::ALL[i]).copied().unwrap_or(0),
    )?;
    venture_counters(
        enc,
        snap,
        "failovers",
        "Failovers by outcome since the agent started.",
        "outcome",
        &FAILOVER_OUTCOMES,
        |v, i| v.failover.outcomes[i],
    )?;
    venture_gauge(
        enc,
        snap,
        "failover_in_progress",
        "1 while a failover of the venture runs in this agent.",
        None,
        |v| Some(flag(v.failover.in_progress)),
    )?;
    venture_gauge(
        enc,
        snap,
        "failover_last_duration",
        "Primary declared down to new primary writable, for the last completed failover.",
        Some(&SECONDS),
        |v| v.failover.last_duration_seconds,
    )?;
    venture_counters(
        enc,
        snap,
        "drill_runs",
        "DR drill runs by outcome since the agent started.",
        "outcome",
        &DRILL_OUTCOMES,
        |v, i| v.drill.runs[i],
    )?;
    if !snap.ventures.is_empty() {
        let mut family = enc.encode_descriptor(
            "drill_missed_runs",
            "Scheduled DR drills that could not start, since the agent started.",
            None,
            MetricType::Counter,
        )?;
        for v in &snap.ventures {
            family
                .encode_family(&[("venture", v.name.as_str())])?
                .encode_counter::<NoLabelSet, _, u64>(&v.drill.missed_runs, None)?;
        }
    }
    Ok(())
}

/// `backstop_pitr_enabled`: a Supabase venture's `pitr_enabled`; else from the endpoint that is
/// primary now (else the configured one).
fn pitr_enabled(v: &VentureState) -> Option<u64> {
    if let Some(sb) = v.source.as_ref().and_then(|s| s.supabase.as_ref()) {
        return sb.pitr_enabled.map(u64::from);
    }
    let primary = v
        .endpoints
        .iter()
        .find(|e| e.role == Role::Primary)
        .or_else(|| {
            v.endpoints
                .iter()
                .find(|e| e.configured_role == Role::Primary)
        })?;
    match primary.observed.as_ref()?.archive_mode.as_str() {
        "on" | "always" => Some(1),
        "off" => Some(0),
        _ => None,
    }
}
