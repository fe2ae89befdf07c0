//! `backstop_config_drift{venture, setting}`: 1 when a Supabase project's setting (`schedule`,
//! `pitr`) differs from the desired state in config, 0 when it matches, read from each venture's
//! [`SupabaseState::drift`](crate::state::SupabaseState). Absent for a setting without a desired
//! value, and while the desired-state read has not answered yet (unknown).

use std::fmt;

use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::metrics::MetricType;

use super::family::flag;
use crate::state::{Snapshot, VentureState};

fn drift(v: &VentureState) -> impl Iterator<Item = (&str, bool)> {
    v.source
        .as_ref()
        .and_then(|s| s.supabase.as_ref())
        .into_iter()
        .flat_map(|sb| sb.drift.iter().map(|(k, d)| (k.as_str(), *d)))
}

/// Writes `config_drift` when any venture has a known verdict.
pub(super) fn encode(enc: &mut DescriptorEncoder<'_>, snap: &Snapshot) -> fmt::Result {
    if !snap.ventures.iter().any(|v| drift(v).next().is_some()) {
        return Ok(());
    }
    let mut family = enc.encode_descriptor(
        "config_drift",
        "1 when a Supabase setting (schedule, pitr) differs from the desired state in config, 0 when it matches.",
        None,
        MetricType::Gauge,
    )?;
    for v in &snap.ventures {
        for (setting, drifted) in drift(v) {
            let labels = [("venture", v.name.as_str()), ("setting", setting)];
            family
                .encode_family(&labels)?
                .encode_gauge(&flag(drifted))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::metrics::{synthetic, Format, Metrics};
    use crate::state::SharedState;

    fn encode(snap: crate::state::Snapshot) -> String {
        Metrics::new(SharedState::new(snap))
            .encode(Format::PrometheusText)
            .expect("encodes")
    }

    #[test]
    fn one_series_per_known_setting_absent_when_unknown() {
        let mut snap = synthetic::snapshot(2, chrono::Utc::now());
        let text = encode(snap.clone());
        assert!(
            text.contains("# TYPE backstop_config_drift gauge"),
            "{text}"
        );
        assert!(
            text.contains(r#"backstop_config_drift{venture="venture-0001",setting="schedule"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"backstop_config_drift{venture="venture-0001",setting="pitr"} 0"#),
            "{text}"
        );
        assert!(!text.contains(r#"backstop_config_drift{venture="venture-0000""#));
        for v in snap.ventures_mut() {
            if let Some(sb) = v.source.as_mut().and_then(|s| s.supabase.as_mut()) {
                sb.drift.clear();
            }
        }
        assert!(!encode(snap).contains("backstop_config_drift"));
    }
}
