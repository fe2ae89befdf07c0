//! `backstop_trigger_runs_total{venture,trigger,outcome}`: finished recovery-trigger runs since
//! the agent started, read from each venture's [`TriggerState`](crate::state::TriggerState)s —
//! one series per configured trigger and outcome (`ok`, `failed`), from 0. Absent for a venture
//! without triggers.

use std::fmt;

use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;

use crate::state::{Snapshot, TRIGGER_OUTCOMES};

/// Writes the trigger run counters.
pub(super) fn encode(enc: &mut DescriptorEncoder<'_>, snap: &Snapshot) -> fmt::Result {
    if snap.ventures.iter().all(|v| v.triggers.is_empty()) {
        return Ok(());
    }
    let mut family = enc.encode_descriptor(
        "trigger_runs",
        "Recovery trigger runs by outcome since the agent started.",
        None,
        MetricType::Counter,
    )?;
    for v in &snap.ventures {
        for t in &v.triggers {
            for (outcome, runs) in TRIGGER_OUTCOMES.iter().zip(t.runs) {
                family
                    .encode_family(&[
                        ("venture", v.name.as_str()),
                        ("trigger", t.label.as_str()),
                        ("outcome", outcome),
                    ])?
                    .encode_counter::<NoLabelSet, _, u64>(&runs, None)?;
            }
        }
    }
    Ok(())
}
