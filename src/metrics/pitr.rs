//! PITR-window and retention families, labelled `{venture}` (plus `rule`), read from the window
//! and rule statuses [`crate::sources::derive`] computes into each venture's
//! [`SourceState`](crate::state::SourceState).
//!
//! The window families are absent until the window is known (the WAL archive was listed once);
//! `pitr_window_start/end` describe the **newest** piece and are absent when no piece is
//! recoverable, while `pitr_window_pieces` is then 0. Retention families have one series per
//! count rule the venture's policy uses, absent until the backups were listed.

use std::fmt;

use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::metrics::MetricType;

use super::family::{unix, venture_gauge, SECONDS};
use crate::pitr::Window;
use crate::retention::RuleStatus;
use crate::state::{Snapshot, VentureState};

/// Writes the window and retention families.
pub(super) fn encode(enc: &mut DescriptorEncoder<'_>, snap: &Snapshot) -> fmt::Result {
    venture_gauge(
        enc,
        snap,
        "pitr_window_start_timestamp",
        "Earliest recoverable point of the newest PITR window piece (the stop time of its oldest base backup).",
        Some(&SECONDS),
        |v| window(v)?.newest().map(|p| unix(p.start)),
    )?;
    venture_gauge(
        enc,
        snap,
        "pitr_window_end_timestamp",
        "Latest recoverable point of the newest PITR window piece (archive time of its newest segment, an upper bound).",
        Some(&SECONDS),
        |v| window(v)?.newest().map(|p| unix(p.end)),
    )?;
    venture_gauge(
        enc,
        snap,
        "pitr_window_pieces",
        "Pieces the PITR window is split into by WAL gaps (1 when whole, 0 when nothing is recoverable).",
        None,
        |v| window(v).map(|w| w.pieces.len() as u64),
    )?;
    venture_gauge(
        enc,
        snap,
        "wal_missing_segments",
        "WAL segments missing from the archive inside the retained range.",
        None,
        // Supabase names no segments: unknown, so absent.
        |v| {
            let supabase = v.source.as_ref().is_some_and(|s| s.supabase.is_some());
            window(v).filter(|_| !supabase).map(|w| w.missing_segments)
        },
    )?;
    rule_gauge(
        enc,
        snap,
        "retention_required_backups",
        "Backups (distinct buckets) the retention policy asks for, per rule.",
        |r| r.required,
    )?;
    rule_gauge(
        enc,
        snap,
        "retention_kept_backups",
        "Backups (distinct buckets) the retention policy keeps, per rule.",
        |r| r.kept,
    )
}

fn window(v: &VentureState) -> Option<&Window> {
    v.source.as_ref()?.window.as_ref()
}

/// A gauge family labelled `{venture, rule}` with one series per rule status.
fn rule_gauge(
    enc: &mut DescriptorEncoder<'_>,
    snap: &Snapshot,
    name: &str,
    help: &str,
    value: impl Fn(&RuleStatus) -> i64,
) -> fmt::Result {
    let rules = |v: &'_ VentureState| -> Vec<RuleStatus> {
        v.source
            .as_ref()
            .map(|s| s.retention.clone())
            .unwrap_or_default()
    };
    if snap.ventures.iter().all(|v| rules(v).is_empty()) {
        return Ok(());
    }
    let mut family = enc.encode_descriptor(name, help, None, MetricType::Gauge)?;
    for v in &snap.ventures {
        for r in rules(v) {
            let labels = [("venture", v.name.as_str()), ("rule", r.rule)];
            family.encode_family(&labels)?.encode_gauge(&value(&r))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;
    use crate::metrics::{synthetic, Format, Metrics};
    use crate::state::{SharedState, SourceKind, SourceState};

    fn text(snap: Snapshot) -> String {
        Metrics::new(SharedState::new(snap))
            .encode(Format::PrometheusText)
            .expect("encodes")
    }

    #[test]
    fn window_and_retention_from_the_source() {
        let snap = synthetic::snapshot(1, Utc::now());
        let src = snap.ventures[0].source.clone().expect("source");
        let w = src.window.clone().expect("window");
        let newest = w.newest().expect("piece");
        let out = text(snap);
        let l = r#"venture="venture-0000""#;
        for line in [
            format!(
                "backstop_pitr_window_start_timestamp_seconds{{{l}}} {}\n",
                unix(newest.start)
            ),
            format!(
                "backstop_pitr_window_end_timestamp_seconds{{{l}}} {}\n",
                unix(newest.end)
            ),
            format!("backstop_pitr_window_pieces{{{l}}} {}\n", w.pieces.len()),
            format!(
                "backstop_wal_missing_segments{{{l}}} {}\n",
                w.missing_segments
            ),
        ] {
            assert!(out.contains(&line), "{line}:\n{out}");
        }
        for r in &src.retention {
            let labels = format!("{l},rule=\"{}\"", r.rule);
            assert!(out.contains(&format!(
                "backstop_retention_required_backups{{{labels}}} {}\n",
                r.required
            )));
            assert!(out.contains(&format!(
                "backstop_retention_kept_backups{{{labels}}} {}\n",
                r.kept
            )));
        }
    }

    #[test]
    fn absent_until_known() {
        let mut snap = synthetic::snapshot(1, Utc::now());
        std::sync::Arc::make_mut(&mut snap.ventures[0]).source =
            Some(SourceState::new(SourceKind::PgBackRest));
        let out = text(snap.clone());
        for absent in [
            "backstop_pitr_window_start",
            "backstop_pitr_window_end",
            "backstop_pitr_window_pieces",
            "backstop_wal_missing",
            "backstop_retention_",
        ] {
            assert!(!out.contains(absent), "{absent}:\n{out}");
        }
        let src = std::sync::Arc::make_mut(&mut snap.ventures[0])
            .source
            .as_mut()
            .expect("source");
        src.window = Some(Window::default());
        let out = text(snap);
        assert!(out.contains("backstop_pitr_window_pieces{venture=\"venture-0000\"} 0\n"));
        assert!(out.contains("backstop_wal_missing_segments{venture=\"venture-0000\"} 0\n"));
        assert!(!out.contains("backstop_pitr_window_start"));
    }
}
