//! Helpers that write one metric family from the [`Snapshot`]: per venture or per endpoint.
//!
//! A family is written only when at least one of its samples exists, so an empty snapshot
//! produces no dangling `# HELP` lines and an unknown value is simply absent.

use std::fmt;

use chrono::{DateTime, Utc};
use prometheus_client::encoding::{DescriptorEncoder, EncodeGaugeValue, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Unit;

use crate::state::{EndpointState, Snapshot, VentureState};

/// The `seconds` unit, as a static so descriptors can borrow it for the whole family.
pub(super) static SECONDS: Unit = Unit::Seconds;
/// The `bytes` unit.
pub(super) static BYTES: Unit = Unit::Bytes;

/// A Unix timestamp in seconds with millisecond precision.
pub(super) fn unix(t: DateTime<Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

/// 1 for true, 0 for false.
pub(super) fn flag(b: bool) -> u64 {
    u64::from(b)
}

/// Every endpoint of every venture, with its venture.
pub(super) fn endpoints(snap: &Snapshot) -> impl Iterator<Item = (&VentureState, &EndpointState)> {
    snap.ventures
        .iter()
        .flat_map(|v| v.endpoints.iter().map(move |e| (&**v, e)))
}

/// A gauge family labelled `{venture}`; ventures for which `value` is `None` are absent.
pub(super) fn venture_gauge<V: EncodeGaugeValue>(
    enc: &mut DescriptorEncoder<'_>,
    snap: &Snapshot,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    value: impl Fn(&VentureState) -> Option<V>,
) -> fmt::Result {
    if !snap.ventures.iter().any(|v| value(v).is_some()) {
        return Ok(());
    }
    let mut family = enc.encode_descriptor(name, help, unit, MetricType::Gauge)?;
    for v in &snap.ventures {
        if let Some(x) = value(v) {
            let labels = [("venture", v.name.as_str())];
            family.encode_family(&labels)?.encode_gauge(&x)?;
        }
    }
    Ok(())
}

/// A counter family labelled `{venture, <key>}` with one series per known label value.
pub(super) fn venture_counters(
    enc: &mut DescriptorEncoder<'_>,
    snap: &Snapshot,
    name: &str,
    help: &str,
    key: &str,
    values: &[&str],
    value: impl Fn(&VentureState, usize) -> u64,
) -> fmt::Result {
    if snap.ventures.is_empty() {
        return Ok(());
    }
    let mut family = enc.encode_descriptor(name, help, None, MetricType::Counter)?;
    for v in &snap.ventures {
        for (i, label) in values.iter().enumerate() {
            let labels = [("venture", v.name.as_str()), (key, label)];
            family
                .encode_family(&labels)?
                .encode_counter::<NoLabelSet, _, u64>(&value(v, i), None)?;
        }
    }
    Ok(())
}

/// A gauge family labelled `{venture, endpoint}`; endpoints where `value` is `None` are absent.
pub(super) fn endpoint_gauge<V: EncodeGaugeValue>(
    enc: &mut DescriptorEncoder<'_>,
    snap: &Snapshot,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    value: impl Fn(&EndpointState) -> Option<V>,
) -> fmt::Result {
    if !endpoints(snap).any(|(_, e)| value(e).is_some()) {
        return Ok(());
    }
    let mut family = enc.encode_descriptor(name, help, unit, MetricType::Gauge)?;
    for (v, e) in endpoints(snap) {
        if let Some(x) = value(e) {
            let labels = [("venture", v.name.as_str()), ("endpoint", e.name.as_str())];
            family.encode_family(&labels)?.encode_gauge(&x)?;
        }
    }
    Ok(())
}

/// A counter family labelled `{venture, endpoint}`; endpoints where `value` is `None` are absent.
pub(super) fn endpoint_counter(
    enc: &mut DescriptorEncoder<'_>,
    snap: &Snapshot,
    name: &str,
    help: &str,
    value: impl Fn(&EndpointState) -> Option<u64>,
) -> fmt::Result {
    if !endpoints(snap).any(|(_, e)| value(e).is_some()) {
        return Ok(());
    }
    let mut family = enc.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (v, e) in endpoints(snap) {
        if let Some(x) = value(e) {
            let labels = [("venture", v.name.as_str()), ("endpoint", e.name.as_str())];
            family
                .encode_family(&labels)?
                .encode_counter::<NoLabelSet, _, u64>(&x, None)?;
        }
    }
    Ok(())
}
