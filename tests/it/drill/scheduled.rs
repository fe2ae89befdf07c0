//! The drill scheduler end to end through `agent::start` on a real stanza, with a seconds-level
//! schedule (set on the loaded config: the config file accepts 5-field cron only): scheduled
//! drills run; the first fails (its assertion needs a table that does not exist yet) and pages
//! `acme:drill` at a PagerDuty fake; once the table is archived a later drill passes and
//! resolves it; drills longer than the 2 s period (an assertion sleeps 3 s) overlap the next due
//! times, which are skipped,
//! counted in `backstop_drill_missed_runs_total` and recorded as events; each started drill
//! checks in with a Sentry fake (`in_progress`, then `error` or `ok` with the same id).

use std::sync::Arc;
use std::time::{Duration, Instant};

use backstop::config::{NotifyConfig, NotifyTarget, Severity};
use backstop::metrics::{Format, Metrics};
use backstop::secret::Secret;
use backstop::store::EventFilter;
use sentry::SentryFutureExt;

use super::setup;
use crate::harness::fake_http::FakeHttp;
use crate::harness::http::sample;

/// A Sentry hub whose client sends to `fake` (no default integrations: no global panic hook).
fn sentry_hub(fake: &FakeHttp) -> Arc<sentry::Hub> {
    let dsn = format!("http://publickey@{}/9", fake.addr);
    let mut options = sentry::ClientOptions::default();
    options.dsn = Some(dsn.parse().expect("dsn"));
    options.default_integrations = false;
    let client = Arc::new(sentry::Client::from(sentry::apply_defaults(options)));
    Arc::new(sentry::Hub::new(
        Some(client),
        Arc::new(sentry::Scope::default()),
    ))
}

/// PagerDuty events the fake received: (event_action, dedup_key).
fn pd_events(pd: &FakeHttp) -> Vec<(String, String)> {
    pd.requests()
        .iter()
        .map(|r| r.json())
        .map(|j| {
            (
                j["event_action"].as_str().unwrap_or("").to_owned(),
                j["dedup_key"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

async fn eventually<F: FnMut() -> bool>(what: &str, timeout: Duration, mut f: F) {
    let deadline = Instant::now() + timeout;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_drills_run_skip_overlaps_count_misses_notify_and_check_in() {
    let began = Instant::now();
    let s = setup(
        "1s",
        false,
        // The second assertion makes every drill outlast the 2 s period: overlaps are certain.
        "  assertions = [\"SELECT to_regclass('public.marker') IS NOT NULL\", \"SELECT true FROM pg_sleep(3)\"]",
    )
    .await;
    s.st.backup("full").await;
    let pd = FakeHttp::start(202, r#"{"status":"success","message":"Event processed"}"#).await;
    let sentry_fake = FakeHttp::start(200, "{}").await;
    let mut config = s.load();
    config.ventures[0].drill.schedule = "*/2 * * * * *".to_owned();
    config.notify.push(NotifyConfig {
        min_severity: Severity::Critical,
        target: NotifyTarget::PagerDuty {
            routing_key: Secret::new("pd-routing-key-0123456789abcdef01"),
            url: format!("http://{}/v2/enqueue", pd.addr),
        },
    });
    let hub = sentry_hub(&sentry_fake);
    let agent = backstop::agent::start(&config)
        .bind_hub(hub.clone())
        .await
        .expect("agent starts");
    let drills = agent.drills.clone();
    let store = s.store().await;
    let finished = |outcome: &'static str| {
        let store = store.clone();
        async move {
            store
                .drills("acme", chrono::DateTime::UNIX_EPOCH, chrono::Utc::now())
                .await
                .expect("drills")
                .iter()
                .any(|d| d.outcome == outcome)
        }
    };

    // A scheduled drill runs and fails: the marker table does not exist.
    let deadline = Instant::now() + Duration::from_secs(90);
    while !finished("failed").await {
        assert!(Instant::now() < deadline, "no scheduled drill failed");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eventually("the drill failure page", Duration::from_secs(20), || {
        pd_events(&pd).contains(&("trigger".into(), "acme:drill".into()))
    })
    .await;
    let trigger = pd
        .requests()
        .iter()
        .map(|r| r.json())
        .find(|j| j["event_action"] == "trigger")
        .expect("trigger");
    let details = &trigger["payload"]["custom_details"];
    assert!(
        details["reason"]
            .as_str()
            .is_some_and(|r| r.contains("validation failed")),
        "{trigger:#}"
    );
    assert_eq!(details["rto_objective_seconds"], 14400.0, "{trigger:#}");
    assert!(details["rto_seconds"].is_null(), "{trigger:#}");

    // The table arrives in the archive: a later scheduled drill passes and resolves the page.
    s.st.cluster
        .exec("CREATE TABLE marker (id int)")
        .await
        .expect("marker");
    s.st.archive_now().await;
    let deadline = Instant::now() + Duration::from_secs(120);
    while !finished("passed").await {
        assert!(Instant::now() < deadline, "no scheduled drill passed");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    eventually("the resolve", Duration::from_secs(20), || {
        pd_events(&pd).contains(&("resolve".into(), "acme:drill".into()))
    })
    .await;
    let events = pd_events(&pd);
    let first_trigger = events.iter().position(|e| e.0 == "trigger");
    let resolve = events.iter().position(|e| e.0 == "resolve");
    assert!(first_trigger < resolve, "{events:?}");

    // Overlaps: drills take longer than the 2 s period, so due times were skipped and counted.
    let snap = agent.state.load();
    let v = snap.venture("acme").expect("acme");
    assert_eq!(v.leader, Some(true), "SQLite: this agent leads");
    assert!(v.drill.missed_runs > 0, "{:?}", v.drill);
    let next = v.drill.next_run.expect("next run published");
    assert!(
        next > chrono::Utc::now() - chrono::TimeDelta::seconds(5),
        "{next}"
    );
    let text = Metrics::new(agent.state.clone())
        .encode(Format::PrometheusText)
        .expect("encode");
    let missed = sample(
        &text,
        "backstop_drill_missed_runs_total",
        &[("venture", "acme")],
    )
    .expect("missed runs sample");
    assert!(missed >= 1.0, "{missed}");
    assert!(
        sample(
            &text,
            "backstop_drill_next_run_timestamp_seconds",
            &[("venture", "acme")]
        )
        .is_some(),
        "{text}"
    );
    let recorded = store
        .events(&EventFilter {
            venture: Some("acme".into()),
            kind: Some("drill".into()),
            ..Default::default()
        })
        .await
        .expect("events");
    assert!(
        recorded.iter().any(|e| e.event.actor == "scheduler"
            && e.event.severity == "warning"
            && e.event.message.contains("still running")),
        "{recorded:?}"
    );

    // Sentry: each started drill checked in, in_progress then error / ok with the same id.
    let check_ins = || -> Vec<serde_json::Value> {
        sentry_fake
            .requests()
            .iter()
            .flat_map(|r| crate::telemetry::envelope_items(&r.text(), "check_in"))
            .filter(|i| i["monitor_slug"] == "backstop-drill-acme")
            .collect()
    };
    eventually("an ok check-in", Duration::from_secs(20), || {
        check_ins().iter().any(|i| i["status"] == "ok")
    })
    .await;
    let items = check_ins();
    for status in ["error", "ok"] {
        let done = items
            .iter()
            .find(|i| i["status"] == status)
            .unwrap_or_else(|| panic!("no {status} check-in: {items:#?}"));
        assert!(
            items
                .iter()
                .any(|i| i["status"] == "in_progress" && i["check_in_id"] == done["check_in_id"]),
            "{status} without its in_progress: {items:#?}"
        );
        assert!(done["duration"].as_f64().is_some_and(|d| d > 0.0), "{done}");
    }
    let started = items
        .iter()
        .find(|i| i["status"] == "in_progress")
        .expect("in_progress");
    assert_eq!(started["monitor_config"]["schedule"]["type"], "crontab");
    assert_eq!(
        started["monitor_config"]["schedule"]["value"],
        "*/2 * * * * *"
    );

    agent.shutdown().await.expect("shutdown");
    let deadline = Instant::now() + Duration::from_secs(90);
    while drills.runner.is_running("acme") {
        assert!(Instant::now() < deadline, "the last drill did not finish");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(s.leftover_dirs().is_empty(), "{:?}", s.leftover_dirs());
    eprintln!("scheduled drills test took {:?}", began.elapsed());
}
