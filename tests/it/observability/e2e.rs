//! The end-to-end test: real clusters and the agent ([`super::setup`]), a real Prometheus
//! scraping it every second with the repository's rules. Every panel query of every dashboard,
//! variables substituted, returns data through `/api/v1/query`; every `backstop_…` metric a
//! panel or a rule uses appears in the agent's real `/metrics`; then WAL archiving of `acme`
//! breaks and the archiving alert fires in Prometheus.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::consistency::rule_metrics;
use super::dashboards::{load_all, queries, substitute, used_metrics, Query};
use super::prometheus::{encode, Prometheus};
use super::promql::sample_names;
use super::setup::{self, VENTURES};

/// Panels that may legitimately have no data in the healthy world, with the reason; each must
/// have data once archiving is broken and the alert fires.
const EMPTY_UNTIL_ALERT: &[(&str, &str)] = &[(
    "Firing backstop alerts",
    "no backstop alert has to fire while every venture is healthy; archiving broken fires one",
)];

/// The alerts that may report broken archiving.
const ARCHIVING_ALERTS: [&str; 2] = ["BackstopWalArchivingFailing", "BackstopWalArchivingStale"];

/// The `for:` of every rule in the copy Prometheus loads: the repository's rules hold alerts for
/// minutes against flapping (promtool tests in alerts/tests/ check those durations); here the
/// expressions are what is tested, on real data, within the test's budget.
const HOLD: &str = "5s";

/// How long the panels get to show data (Prometheus needs a few scrapes for rates).
const PANELS_LIMIT: Duration = Duration::from_secs(90);
/// How long the archiving alert gets to fire once archiving is broken.
const ALERT_LIMIT: Duration = Duration::from_secs(120);

/// Runs each query until it returns data or `limit` passes; returns the queries still empty
/// and their last answer. A query Prometheus rejects fails the test at once.
async fn without_data(
    prom: &Prometheus,
    todo: Vec<Query>,
    limit: Duration,
) -> Vec<(Query, String)> {
    let start = Instant::now();
    let mut todo: Vec<(Query, String)> = todo.into_iter().map(|q| (q, String::new())).collect();
    loop {
        let mut left = Vec::new();
        for (q, _) in todo {
            let expr = substitute(&q.expr, &VENTURES);
            match prom.query(&expr).await {
                Ok(series) if !series.is_empty() => {}
                Ok(_) => left.push((q, format!("empty: {expr}"))),
                Err(e) => panic!("{}: Prometheus rejects the query: {e}\n{expr}", q.name()),
            }
        }
        todo = left;
        if todo.is_empty() || start.elapsed() >= limit {
            return todo;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// The series of `panel`'s first query (variables substituted) as (labels, value).
async fn panel_values(prom: &Prometheus, all: &[Query], panel: &str) -> Vec<(Value, f64)> {
    let q = all
        .iter()
        .find(|q| q.panel == panel)
        .unwrap_or_else(|| panic!("no panel {panel}"));
    let series = prom
        .query(&substitute(&q.expr, &VENTURES))
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", q.name()));
    series
        .into_iter()
        .map(|s| {
            let v = s["value"][1].as_str().and_then(|v| v.parse().ok());
            (s["metric"].clone(), v.unwrap_or(f64::NAN))
        })
        .collect()
}

/// The value `panel` shows for `venture` (its only series with that label).
async fn venture_value(prom: &Prometheus, all: &[Query], panel: &str, venture: &str) -> f64 {
    let values = panel_values(prom, all, panel).await;
    let mine: Vec<f64> = values
        .iter()
        .filter(|(m, _)| m["venture"] == venture)
        .map(|(_, v)| *v)
        .collect();
    assert_eq!(mine.len(), 1, "{panel} for {venture}: {values:?}");
    mine[0]
}

/// Active alerts about WAL archiving of `acme`, as (name, state).
fn archiving_alerts(alerts: &[Value]) -> Vec<(String, String)> {
    alerts
        .iter()
        .filter(|a| a["labels"]["venture"] == "acme")
        .filter(|a| {
            ARCHIVING_ALERTS
                .iter()
                .any(|n| a["labels"]["alertname"] == *n)
        })
        .map(|a| {
            (
                a["labels"]["alertname"].as_str().unwrap_or("").to_owned(),
                a["state"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_panel_has_data_on_a_real_prometheus_and_broken_archiving_pages() {
    let began = Instant::now();
    let world = setup::start().await;
    let prom = Prometheus::start(Some(world.agent.addr), Some(HOLD)).await;
    let started = began.elapsed();
    // The drill needs the window's WAL listed; the Supabase poller its first answer.
    world
        .wait_for_metric(
            "backstop_pitr_window_end_timestamp_seconds",
            "acme",
            Duration::from_secs(60),
        )
        .await;
    world.verify().await;
    world.drill().await;
    let drilled = began.elapsed();

    // Every panel query returns data (or is listed with its reason).
    let dashboards = load_all();
    let all: Vec<Query> = dashboards
        .iter()
        .flat_map(|(file, d)| queries(file, d))
        .collect();
    assert!(all.len() > 40, "only {} panel queries", all.len());
    let listed = |q: &Query| EMPTY_UNTIL_ALERT.iter().any(|(t, _)| *t == q.panel);
    for (title, _) in EMPTY_UNTIL_ALERT {
        assert!(
            all.iter().any(|q| q.panel == *title),
            "listed panel {title} is not in any dashboard"
        );
    }
    let (later, now): (Vec<Query>, Vec<Query>) = all.iter().cloned().partition(listed);
    let empty = without_data(&prom, now, PANELS_LIMIT).await;
    assert!(
        empty.is_empty(),
        "{} panel queries without data:\n{}",
        empty.len(),
        empty
            .iter()
            .map(|(q, why)| format!("  {}: {why}", q.name()))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let panels_done = began.elapsed();

    // Each dashboard's venture variable lists the three ventures.
    for (file, d) in &dashboards {
        let vars = d["templating"]["list"].as_array().expect("variables");
        let definition = vars
            .iter()
            .find(|v| v["name"] == "venture")
            .and_then(|v| v["definition"].as_str())
            .expect("venture variable");
        let metric = definition
            .strip_prefix("label_values(")
            .and_then(|r| r.strip_suffix(", venture)"))
            .unwrap_or_else(|| panic!("{file}: unexpected variable query {definition}"));
        let values = prom
            .api(&format!(
                "/api/v1/label/venture/values?match[]={}",
                encode(metric)
            ))
            .await
            .unwrap_or_else(|e| panic!("{file}: {definition}: {e}"));
        assert_eq!(values, serde_json::json!(VENTURES), "{file}: {definition}");
    }

    // The panels say what the world is: the drill passed; acme is recoverable, shop is not
    // (its newest backup is an hour old, backup_max_age is 10 minutes); ha's roles and probes.
    assert_eq!(venture_value(&prom, &all, "Last drill", "acme").await, 1.0);
    assert_eq!(
        venture_value(&prom, &all, "Recoverable now", "acme").await,
        1.0
    );
    assert_eq!(
        venture_value(&prom, &all, "Recoverable now", "shop").await,
        0.0
    );
    let roles: BTreeSet<(String, String, String)> = panel_values(&prom, &all, "Endpoint roles")
        .await
        .iter()
        .map(|(m, _)| {
            let l = |k: &str| m[k].as_str().unwrap_or("").to_owned();
            (l("venture"), l("endpoint"), l("role"))
        })
        .collect();
    for (v, e, r) in [
        ("ha", "pg1", "primary"),
        ("ha", "pg2", "standby"),
        ("acme", "pg1", "primary"),
    ] {
        assert!(
            roles.contains(&(v.into(), e.into(), r.into())),
            "{v}/{e} is not {r}: {roles:?}"
        );
    }
    let probes = panel_values(&prom, &all, "Probe").await;
    assert!(
        probes.len() == 3 && probes.iter().all(|(_, v)| *v == 1.0),
        "every endpoint's probe is up: {probes:?}"
    );

    // Healthy archiving does not page; broken archiving does.
    let before = archiving_alerts(&prom.alerts().await);
    assert!(
        before.is_empty(),
        "archiving alerts before the break: {before:?}"
    );
    world.break_archiving().await;
    let broke = Instant::now();
    // A failed backup too: the metrics of failures are absent until one happened.
    world.fail_a_backup();
    let fired = loop {
        let active = archiving_alerts(&prom.alerts().await);
        if let Some((name, _)) = active.iter().find(|(_, state)| state == "firing") {
            break name.clone();
        }
        assert!(
            broke.elapsed() < ALERT_LIMIT,
            "no archiving alert fired within {ALERT_LIMIT:?} of breaking archiving; active: {active:?}"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    let fired_after = broke.elapsed();

    // Every backstop_ metric a panel or a rule uses is in the agent's real /metrics (the
    // failure timestamps too, now that archiving and a backup failed).
    world
        .wait_for_metric(
            "backstop_backup_last_failure_timestamp_seconds",
            "acme",
            Duration::from_secs(30),
        )
        .await;
    let rules = prom.rules().await;
    assert!(
        !rules.is_empty(),
        "Prometheus loaded no rules:\n{}",
        prom.log()
    );
    let used: BTreeSet<String> = used_metrics(&dashboards)
        .into_iter()
        .chain(rule_metrics(&rules))
        .filter(|m| m.starts_with("backstop_"))
        .collect();
    // Several scrapes: a value can be momentarily unknown (replay_lag is NULL while the standby
    // has nothing to replay), and unknown is absent.
    let mut exposed = BTreeSet::new();
    let scraping = Instant::now();
    let missing = loop {
        exposed.extend(sample_names(&world.metrics().await));
        let missing: Vec<&String> = used.iter().filter(|m| !exposed.contains(*m)).collect();
        if missing.is_empty() || scraping.elapsed() > Duration::from_secs(15) {
            break missing;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert!(
        missing.is_empty(),
        "used by panels or rules but not in the agent's /metrics within 15 s: {missing:?}"
    );

    // The SLI follows, and the firing-alerts table names the page.
    let deadline = Instant::now() + Duration::from_secs(20);
    while venture_value(&prom, &all, "Recoverable now", "acme").await != 0.0 {
        assert!(
            Instant::now() < deadline,
            "acme still recoverable with archiving broken"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let firing = panel_values(&prom, &all, "Firing backstop alerts").await;
    assert!(
        firing
            .iter()
            .any(|(m, _)| m["alertname"] == fired.as_str() && m["venture"] == "acme"),
        "{fired} not in the firing-alerts panel: {firing:?}"
    );

    let still_empty = without_data(&prom, later, Duration::from_secs(10)).await;
    assert!(
        still_empty.is_empty(),
        "listed panels still without data while {fired} fires: {:?}",
        still_empty
            .iter()
            .map(|(q, why)| format!("{}: {why}", q.name()))
            .collect::<Vec<_>>()
    );
    eprintln!(
        "observability e2e: world + Prometheus up {started:?}, drilled {drilled:?}, {} panel \
         queries with data {panels_done:?}, {fired} firing {fired_after:?} after the break, \
         total {:?}",
        all.len(),
        began.elapsed()
    );
    world.agent.shutdown().await.expect("agent shuts down");
}
