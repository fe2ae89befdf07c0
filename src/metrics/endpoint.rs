//! Per-endpoint metric families: WAL archiving, probes, roles, replication lag, size.
//!
//! Values from `EndpointState::observed` are those of the last successful poll and stay
//! visible (with `backstop_endpoint_last_poll_timestamp_seconds`) while the endpoint is down.

use std::fmt;

use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;

use super::family::{endpoint_counter, endpoint_gauge, endpoints, flag, unix, BYTES, SECONDS};
use crate::state::{EndpointState, Role, Snapshot, PROBE_BUCKETS};

/// Writes every per-endpoint family.
pub(super) fn encode(enc: &mut DescriptorEncoder<'_>, snap: &Snapshot) -> fmt::Result {
    encode_archiver(enc, snap)?;
    encode_probe(enc, snap)?;
    encode_role(enc, snap)?;
    endpoint_gauge(
        enc,
        snap,
        "replication_lag",
        "Bytes this standby's replay is behind its primary, as of the last poll.",
        Some(&BYTES),
        |e| e.observed.as_ref()?.replication_lag_bytes,
    )?;
    endpoint_gauge(
        enc,
        snap,
        "replication_lag",
        "Replay lag of this standby (pg_stat_replication.replay_lag), as of the last poll.",
        Some(&SECONDS),
        |e| e.observed.as_ref()?.replication_lag_seconds,
    )?;
    endpoint_gauge(
        enc,
        snap,
        "database_size",
        "Size of the database (pg_database_size), as of the last size poll.",
        Some(&BYTES),
        |e| e.database_size.map(|s| s.value),
    )?;
    endpoint_gauge(
        enc,
        snap,
        "endpoint_last_poll_timestamp",
        "Unix time the last successful poll of the endpoint finished.",
        Some(&SECONDS),
        |e| e.observed.as_ref().map(|o| unix(o.at)),
    )?;
    endpoint_gauge(
        enc,
        snap,
        "endpoint_poll_up",
        "1 when the last poll of the endpoint succeeded, 0 when it failed.",
        None,
        poll_up,
    )
}

/// 0 after a failed poll, 1 after a successful one, absent before the first.
fn poll_up(e: &EndpointState) -> Option<u64> {
    match (&e.last_error, &e.observed) {
        (Some(_), _) => Some(0),
        (None, Some(_)) => Some(1),
        (None, None) => None,
    }
}

fn encode_archiver(enc: &mut DescriptorEncoder<'_>, snap: &Snapshot) -> fmt::Result {
    endpoint_gauge(
        enc,
        snap,
        "wal_archive_last_archived_timestamp",
        "Unix time of the last successful WAL archive (pg_stat_archiver), as of the last poll.",
        Some(&SECONDS),
        |e| {
            let t = e.observed.as_ref()?.archiver.as_ref()?.last_archived_time?;
            Some(unix(t))
        },
    )?;
    endpoint_gauge(
        enc,
        snap,
        "wal_archive_last_failed_timestamp",
        "Unix time of the last failed WAL archive attempt (pg_stat_archiver), as of the last poll.",
        Some(&SECONDS),
        |e| {
            let t = e.observed.as_ref()?.archiver.as_ref()?.last_failed_time?;
            Some(unix(t))
        },
    )?;
    endpoint_counter(
        enc,
        snap,
        "wal_archived",
        "WAL files archived (pg_stat_archiver.archived_count), as of the last poll.",
        |e| Some(e.observed.as_ref()?.archiver.as_ref()?.archived_count),
    )?;
    endpoint_counter(
        enc,
        snap,
        "wal_archive_failed",
        "Failed WAL archive attempts (pg_stat_archiver.failed_count), as of the last poll.",
        |e| Some(e.observed.as_ref()?.archiver.as_ref()?.failed_count),
    )?;
    endpoint_gauge(
        enc,
        snap,
        "wal_archive_lag",
        "WAL bytes written but not yet archived, as of the last poll.",
        Some(&BYTES),
        |e| e.observed.as_ref()?.archive_lag_bytes,
    )?;
    endpoint_gauge(
        enc,
        snap,
        "wal_archive_ready_files",
        "WAL files waiting to be archived (.ready files), as of the last poll.",
        None,
        |e| e.observed.as_ref()?.ready_files,
    )?;
    endpoint_gauge(
        enc,
        snap,
        "archive_timeout",
        "The server's archive_timeout (0 = never forced), as of the last poll.",
        Some(&SECONDS),
        |e| Some(e.observed.as_ref()?.archive_timeout_seconds),
    )
}

fn encode_probe(enc: &mut DescriptorEncoder<'_>, snap: &Snapshot) -> fmt::Result {
    endpoint_gauge(
        enc,
        snap,
        "probe_up",
        "1 when the last probe of the endpoint succeeded, 0 when it failed.",
        None,
        |e| e.probe.up.map(flag),
    )?;
    endpoint_gauge(
        enc,
        snap,
        "probe_last_success_timestamp",
        "Unix time the last successful probe of the endpoint finished.",
        Some(&SECONDS),
        |e| e.probe.last_success.map(unix),
    )?;
    if endpoints(snap).next().is_none() {
        return Ok(());
    }
    let mut family = enc.encode_descriptor(
        "probe_duration",
        "Round-trip time of endpoint probes since the agent started.",
        Some(&SECONDS),
        MetricType::Histogram,
    )?;
    let mut buckets = [(f64::INFINITY, 0u64); PROBE_BUCKETS.len() + 1];
    for (v, e) in endpoints(snap) {
        let h = &e.probe.duration;
        for (i, slot) in buckets.iter_mut().enumerate() {
            // The last slot keeps its +Inf bound: it is the overflow bucket.
            let bound = PROBE_BUCKETS.get(i).copied().unwrap_or(f64::INFINITY);
            *slot = (bound, h.counts[i]);
        }
        let labels = [("venture", v.name.as_str()), ("endpoint", e.name.as_str())];
        family
            .encode_family(&labels)?
            .encode_histogram::<NoLabelSet>(h.sum, h.count, &buckets, None)?;
    }
    Ok(())
}

fn encode_role(enc: &mut DescriptorEncoder<'_>, snap: &Snapshot) -> fmt::Result {
    if endpoints(snap).next().is_none() {
        return Ok(());
    }
    let mut family = enc.encode_descriptor(
        "endpoint_role",
        "1 for the role the endpoint has now (primary, standby, fenced, unknown), 0 for the others.",
        None,
        MetricType::Gauge,
    )?;
    for (v, e) in endpoints(snap) {
        for role in Role::ALL {
            let labels = [
                ("venture", v.name.as_str()),
                ("endpoint", e.name.as_str()),
                ("role", role.as_str()),
            ];
            family
                .encode_family(&labels)?
                .encode_gauge(&flag(e.role == role))?;
        }
    }
    endpoint_gauge(
        enc,
        snap,
        "endpoint_fenced",
        "1 while the endpoint is fenced after a failover.",
        None,
        |e| Some(flag(e.fenced)),
    )
}
