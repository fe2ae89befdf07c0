//! DR drill gauges, labelled `{venture}`, read from each venture's
//! [`DrillState`](crate::state::DrillState): when a drill last ran and last passed, whether the
//! last passed-or-failed one passed, and the RTO/RPO the last passed drill measured. Absent until
//! a drill finished (or one was loaded from the store at start); the next due time is absent for
//! a venture the scheduler does not drill. The run counters are encoded
//! with the other venture counters in `collector.rs`.

use std::fmt;

use prometheus_client::encoding::DescriptorEncoder;

use super::family::{flag, unix, venture_gauge, SECONDS};
use crate::state::Snapshot;

/// Writes the `drill_*` gauges.
pub(super) fn encode(enc: &mut DescriptorEncoder<'_>, snap: &Snapshot) -> fmt::Result {
    venture_gauge(
        enc,
        snap,
        "drill_last_run_timestamp",
        "Unix time the last DR drill (any outcome) finished.",
        Some(&SECONDS),
        |v| v.drill.last_run.map(unix),
    )?;
    venture_gauge(
        enc,
        snap,
        "drill_last_success_timestamp",
        "Unix time the last passed DR drill finished.",
        Some(&SECONDS),
        |v| v.drill.last_success.map(unix),
    )?;
    venture_gauge(
        enc,
        snap,
        "drill_next_run_timestamp",
        "Unix time the next scheduled DR drill is due.",
        Some(&SECONDS),
        |v| v.drill.next_run.map(unix),
    )?;
    venture_gauge(
        enc,
        snap,
        "drill_last_outcome",
        "1 when the last DR drill passed, 0 when it failed (an aborted drill does not change it).",
        None,
        |v| v.drill.last_outcome_ok.map(flag),
    )?;
    venture_gauge(
        enc,
        snap,
        "drill_rto",
        "RTO measured by the last passed DR drill: drill start to validated restore.",
        Some(&SECONDS),
        |v| v.drill.rto_seconds,
    )?;
    venture_gauge(
        enc,
        snap,
        "drill_rpo",
        "RPO measured by the last passed DR drill: target time minus the newest restored heartbeat (or last replayed commit).",
        Some(&SECONDS),
        |v| v.drill.rpo_seconds,
    )
}
