//! `backstop_retention_unmeetable{venture,rule}`: Supabase ventures only, 1 per retention rule
//! (or the `pitr_window` objective) the project's plan cannot meet, 0 for the policy's other
//! rules; read from `supabase.unmeetable`, which [`crate::sources::derive`] fills after every
//! poll. Absent until the backups were listed once.

use std::fmt;

use prometheus_client::encoding::DescriptorEncoder;
use prometheus_client::metrics::MetricType;

use crate::state::{Snapshot, SourceKind, VentureState};

/// Writes the family.
pub(super) fn encode(enc: &mut DescriptorEncoder<'_>, snap: &Snapshot) -> fmt::Result {
    let series: Vec<(&str, Vec<(String, u64)>)> = snap
        .ventures
        .iter()
        .filter_map(|v| Some((v.name.as_str(), rules(v)?)))
        .collect();
    if series.is_empty() {
        return Ok(());
    }
    let mut family = enc.encode_descriptor(
        "retention_unmeetable",
        "1 for a retention rule (or the pitr_window objective) the Supabase plan cannot meet, 0 for the policy's other rules.",
        None,
        MetricType::Gauge,
    )?;
    for (venture, rules) in &series {
        for (rule, value) in rules {
            let labels = [("venture", *venture), ("rule", rule.as_str())];
            family.encode_family(&labels)?.encode_gauge(value)?;
        }
    }
    Ok(())
}

/// `(rule, 0/1)` of a polled Supabase venture: the policy's count rules, `pitr_window` when the
/// objective is set, and any other rule named unmeetable; `None` for other ventures.
fn rules(v: &VentureState) -> Option<Vec<(String, u64)>> {
    let src = v.source.as_ref()?;
    if src.kind != SourceKind::Supabase || src.last_poll.is_none() {
        return None;
    }
    let facts = src.supabase.as_ref()?;
    let mut names: Vec<String> = src.retention.iter().map(|r| r.rule.to_owned()).collect();
    if !v.objectives.pitr_window.is_zero() {
        names.push("pitr_window".to_owned());
    }
    for u in &facts.unmeetable {
        if !names.contains(&u.rule) {
            names.push(u.rule.clone());
        }
    }
    Some(
        names
            .into_iter()
            .map(|rule| {
                let bad = facts.unmeetable.iter().any(|u| u.rule == rule);
                (rule, u64::from(bad))
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use crate::metrics::{synthetic, Format, Metrics};
    use crate::state::{SharedState, Snapshot, SourceKind, SourceState};

    fn text(snap: Snapshot) -> String {
        Metrics::new(SharedState::new(snap))
            .encode(Format::PrometheusText)
            .expect("encodes")
    }

    #[test]
    fn one_per_rule_of_supabase_ventures_only() {
        let snap = synthetic::snapshot(2, Utc::now());
        let out = text(snap);
        assert!(!out.contains("backstop_retention_unmeetable{venture=\"venture-0000\""));
        for line in [
            "# TYPE backstop_retention_unmeetable gauge\n",
            "backstop_retention_unmeetable{venture=\"venture-0001\",rule=\"daily\"} 0\n",
            "backstop_retention_unmeetable{venture=\"venture-0001\",rule=\"weekly\"} 0\n",
            "backstop_retention_unmeetable{venture=\"venture-0001\",rule=\"monthly\"} 1\n",
            "backstop_retention_unmeetable{venture=\"venture-0001\",rule=\"pitr_window\"} 1\n",
        ] {
            assert!(out.contains(line), "{line}\n{out}");
        }
    }

    #[test]
    fn absent_before_the_first_poll() {
        let mut snap = synthetic::snapshot(2, Utc::now());
        std::sync::Arc::make_mut(&mut snap.ventures[1]).source =
            Some(SourceState::new(SourceKind::Supabase));
        assert!(!text(snap).contains("backstop_retention_unmeetable"));
    }
}
