//! The rules side of metric consistency, on a real Prometheus that loads `alerts/*.yaml`: every
//! `backstop_…` metric a rule uses is listed in docs/metrics.md, and every `backstop:…` name a
//! rule or a panel uses is defined by a recording rule. (That the metrics appear in a real
//! agent's `/metrics` is checked by the end-to-end test.)

use std::collections::BTreeSet;

use serde_json::Value;

use super::dashboards::{load_all, metrics_doc, used_metrics};
use super::prometheus::{rule_files, Prometheus};
use super::promql::{documented, family, metric_names};

/// The `backstop_…`/`backstop:…` names the loaded rules' queries use.
pub fn rule_metrics(rules: &[Value]) -> BTreeSet<String> {
    rules
        .iter()
        .filter_map(|r| r["query"].as_str())
        .flat_map(metric_names)
        .collect()
}

/// The names recording rules define.
pub fn recorded(rules: &[Value]) -> BTreeSet<String> {
    rules
        .iter()
        .filter(|r| r["type"] == "recording")
        .filter_map(|r| r["name"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_and_panels_use_documented_metrics_and_defined_recording_rules() {
    assert!(
        !rule_files().is_empty(),
        "no alerts/*.yaml: the alert rules are missing"
    );
    let prom = Prometheus::start(None, None).await;
    let rules = prom.rules().await;
    assert!(
        !rules.is_empty(),
        "Prometheus loaded no rules:\n{}",
        prom.log()
    );
    let docs = documented(&metrics_doc());
    let used = rule_metrics(&rules);
    let undocumented: Vec<&String> = used
        .iter()
        .filter(|m| m.starts_with("backstop_") && family(m, &docs).is_none())
        .collect();
    assert!(
        undocumented.is_empty(),
        "rules use metrics docs/metrics.md does not list as emitted: {undocumented:?}"
    );
    let defined = recorded(&rules);
    let undefined: Vec<String> = used
        .into_iter()
        .chain(used_metrics(&load_all()))
        .filter(|m| m.starts_with("backstop:") && !defined.contains(m))
        .collect();
    assert!(
        undefined.is_empty(),
        "recording-rule names used but not defined by a rule: {undefined:?} (defined: {defined:?})"
    );
}
