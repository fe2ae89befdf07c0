//! The Grafana dashboards in `dashboards/` as the tests read them: every panel target (rows'
//! nested panels included), the structural checks (schema version, the `datasource` and
//! `venture` variables, unique panel ids, no padding), and the variable substitution a panel
//! query gets before it is sent to Prometheus. A test without any server checks them.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;

use super::promql::{documented, family, metric_names};

/// One panel target.
#[derive(Debug, Clone)]
pub struct Query {
    /// The dashboard file name.
    pub dashboard: String,
    pub panel_id: u64,
    pub panel: String,
    pub ref_id: String,
    /// The expression as written, with Grafana variables.
    pub expr: String,
}

impl Query {
    /// `file › panel (id) › refId`, for messages.
    pub fn name(&self) -> String {
        format!(
            "{} › {} (id {}) › {}",
            self.dashboard, self.panel, self.panel_id, self.ref_id
        )
    }
}

/// The repository's `dashboards/` directory.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("dashboards")
}

/// Every `dashboards/*.json`, sorted by name, parsed; panics naming a file that is not JSON.
pub fn load_all() -> Vec<(String, Value)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .expect("dashboards/ exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("read dashboard");
            let json = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{} is not valid JSON: {e}", p.display()));
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            (name, json)
        })
        .collect()
}

/// Every panel, rows' nested `panels` included (rows themselves too).
pub fn panels(dashboard: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    for p in dashboard["panels"].as_array().into_iter().flatten() {
        out.push(p);
        out.extend(p["panels"].as_array().into_iter().flatten());
    }
    out
}

/// Every target with an `expr` of every panel.
pub fn queries(file: &str, dashboard: &Value) -> Vec<Query> {
    panels(dashboard)
        .into_iter()
        .flat_map(|p| {
            p["targets"]
                .as_array()
                .into_iter()
                .flatten()
                .map(move |t| Query {
                    dashboard: file.to_owned(),
                    panel_id: p["id"].as_u64().unwrap_or(0),
                    panel: p["title"].as_str().unwrap_or("").to_owned(),
                    ref_id: t["refId"].as_str().unwrap_or("").to_owned(),
                    expr: t["expr"].as_str().unwrap_or("").to_owned(),
                })
        })
        .collect()
}

/// What is wrong with a dashboard's structure (empty when nothing).
pub fn problems(file: &str, d: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if d["schemaVersion"].as_u64().unwrap_or(0) < 38 {
        out.push(format!(
            "{file}: schemaVersion {} (Grafana 10 needs ≥ 38)",
            d["schemaVersion"]
        ));
    }
    for key in ["uid", "title"] {
        if d[key].as_str().is_none_or(str::is_empty) {
            out.push(format!("{file}: no {key}"));
        }
    }
    let vars = d["templating"]["list"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let var = |name: &str| vars.iter().find(|v| v["name"] == name);
    match var("datasource") {
        Some(v) if v["type"] == "datasource" && v["query"] == "prometheus" => {}
        other => out.push(format!(
            "{file}: no `datasource` variable of type datasource/prometheus: {other:?}"
        )),
    }
    match var("venture") {
        Some(v)
            if v["type"] == "query"
                && v["multi"] == true
                && v["includeAll"] == true
                && v["datasource"]["uid"] == "${datasource}"
                && v["definition"]
                    .as_str()
                    .is_some_and(|q| q.starts_with("label_values(") && q.contains("venture)")) => {}
        other => out.push(format!(
            "{file}: no `venture` query variable (label_values(…, venture), multi, include all, on ${{datasource}}): {other:?}"
        )),
    }
    let mut ids = BTreeSet::new();
    for p in panels(d) {
        let title = p["title"].as_str().unwrap_or("");
        match p["id"].as_u64() {
            Some(id) if ids.insert(id) => {}
            Some(id) => out.push(format!("{file}: panel id {id} used twice ({title})")),
            None => out.push(format!("{file}: panel without an id ({title})")),
        }
        if p["type"] == "row" {
            continue;
        }
        if p["datasource"]["uid"] != "${datasource}" {
            out.push(format!(
                "{file}: panel {title} does not use ${{datasource}}"
            ));
        }
        let targets = p["targets"].as_array().cloned().unwrap_or_default();
        if targets.is_empty() {
            out.push(format!("{file}: panel {title} has no query"));
        }
        for t in &targets {
            let expr = t["expr"].as_str().unwrap_or("");
            if expr.trim().is_empty() {
                out.push(format!("{file}: panel {title} has a target without expr"));
            }
            let flat: String = expr.chars().filter(|c| !c.is_whitespace()).collect();
            if flat.contains("orvector(") || flat.contains("absent(") {
                out.push(format!(
                    "{file}: panel {title} pads its query with `or vector()`/`absent()`: {expr}"
                ));
            }
        }
    }
    out
}

/// `expr` with Grafana's variables replaced as an instant query needs them: `$venture` and
/// `${venture}` by a regex of `ventures`, `$__rate_interval` by `30s`, `$__interval` by `2s`,
/// `$__range` by `5m`.
pub fn substitute(expr: &str, ventures: &[&str]) -> String {
    let regex = format!("({})", ventures.join("|"));
    let mut vars = [
        ("${venture}", regex.as_str()),
        ("$venture", regex.as_str()),
        ("${__rate_interval}", "30s"),
        ("$__rate_interval", "30s"),
        ("${__interval}", "2s"),
        ("$__interval_ms", "2000"),
        ("$__interval", "2s"),
        ("${__range}", "5m"),
        ("$__range", "5m"),
    ];
    // Longest first, so `$__interval` never eats the start of `$__interval_ms`.
    vars.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
    vars.iter().fold(expr.to_owned(), |acc, (name, value)| {
        acc.replace(name, value)
    })
}

/// The `backstop_…`/`backstop:…` names all panels use.
pub fn used_metrics(dashboards: &[(String, Value)]) -> BTreeSet<String> {
    dashboards
        .iter()
        .flat_map(|(file, d)| queries(file, d))
        .flat_map(|q| metric_names(&q.expr))
        .collect()
}

/// docs/metrics.md, as text.
pub fn metrics_doc() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/metrics.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn dashboards_are_grafana_10_json_with_both_variables_unique_ids_and_documented_metrics() {
    let dashboards = load_all();
    let names: Vec<&str> = dashboards.iter().map(|(n, _)| n.as_str()).collect();
    for expected in [
        "agent.json",
        "recovery-readiness.json",
        "venture-detail.json",
    ] {
        assert!(names.contains(&expected), "{expected} missing: {names:?}");
    }
    let problems: Vec<String> = dashboards
        .iter()
        .flat_map(|(file, d)| problems(file, d))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
    let uids: BTreeSet<&str> = dashboards
        .iter()
        .filter_map(|(_, d)| d["uid"].as_str())
        .collect();
    assert_eq!(uids.len(), dashboards.len(), "dashboard uids are unique");

    let docs = documented(&metrics_doc());
    let undocumented: Vec<String> = used_metrics(&dashboards)
        .into_iter()
        .filter(|m| m.starts_with("backstop_") && family(m, &docs).is_none())
        .collect();
    assert!(
        undocumented.is_empty(),
        "panels use metrics docs/metrics.md does not list as emitted: {undocumented:?}"
    );
    for (file, d) in &dashboards {
        for q in queries(file, d) {
            let s = substitute(&q.expr, &["a", "b"]);
            assert!(!s.contains('$'), "{}: a variable is left in {s}", q.name());
        }
    }
}

#[test]
fn substitution_replaces_every_grafana_variable() {
    let expr = r#"increase(x{venture=~"$venture"}[$__range]) + rate(y{venture=~"${venture}|"}[$__rate_interval]) + z[$__interval] + $__interval_ms"#;
    assert_eq!(
        substitute(expr, &["acme", "shop"]),
        r#"increase(x{venture=~"(acme|shop)"}[5m]) + rate(y{venture=~"(acme|shop)|"}[30s]) + z[2s] + 2000"#
    );
}
