//! `backstop_source_poll_interval_seconds{venture, source}`: the poll interval in force for a
//! backup source, so staleness from a stretched interval is visible (and alertable against
//! `backstop_source_last_poll_timestamp_seconds`).
//!
//! Supabase sources publish it after every poll: the configured `poll_interval`, or longer when
//! the token's rate limit cannot fit one poll of every project sharing it. Absent until then,
//! and for sources that do not stretch.

use std::fmt;

use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::metrics::MetricType;

use super::family::SECONDS;
use crate::state::Snapshot;

/// Writes the family (nothing when no source published an interval).
pub(super) fn encode(enc: &mut DescriptorEncoder<'_>, snap: &Snapshot) -> fmt::Result {
    let series: Vec<(&str, &str, f64)> = snap
        .ventures
        .iter()
        .filter_map(|v| {
            let src = v.source.as_ref()?;
            let interval = src.supabase.as_ref()?.effective_interval?;
            Some((v.name.as_str(), src.kind.as_str(), interval.as_secs_f64()))
        })
        .collect();
    if series.is_empty() {
        return Ok(());
    }
    let mut family = enc.encode_descriptor(
        "source_poll_interval",
        "Poll interval in force for the backup source: the configured one, or longer when the API rate limit cannot fit every project's calls in it.",
        Some(&SECONDS),
        MetricType::Gauge,
    )?;
    for (venture, source, seconds) in series {
        family
            .encode_family(&[("venture", venture), ("source", source)])?
            .encode_gauge(&seconds)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::Utc;

    use crate::metrics::{synthetic, Format, Metrics};
    use crate::state::{SharedState, SourceKind, SourceState};

    #[test]
    fn present_once_published_absent_before() {
        let mut snap = synthetic::snapshot(1, Utc::now());
        std::sync::Arc::make_mut(&mut snap.ventures[0]).source =
            Some(SourceState::new(SourceKind::Supabase));
        let text = |snap| {
            Metrics::new(SharedState::new(snap))
                .encode(Format::PrometheusText)
                .expect("encodes")
        };
        assert!(!text(snap.clone()).contains("backstop_source_poll_interval"));
        if let Some(sb) = std::sync::Arc::make_mut(&mut snap.ventures[0])
            .source
            .as_mut()
            .and_then(|s| s.supabase.as_mut())
        {
            sb.effective_interval = Some(Duration::from_secs(1500));
        }
        let out = text(snap);
        assert!(
            out.contains(
                "backstop_source_poll_interval_seconds{venture=\"venture-0000\",source=\"supabase\"} 1500"
            ),
            "{out}"
        );
    }
}
