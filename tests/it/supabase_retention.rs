//! Supabase retention compliance end to end: a backups poll against the fake Management API
//! makes restore points, `backstop_retention_unmeetable` and the `retention_unmeetable` finding
//! (12 monthly and a 30-day window cannot be met by any plan; 7 daily can).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use backstop::check::rules::{evaluate, Severity};
use backstop::config::SupabaseConfig;
use backstop::inspect::backups::report;
use backstop::metrics::{Format, Metrics};
use backstop::secret::Secret;
use backstop::sources::supabase::{RateLimiter, SupabaseClient, SupabaseSource};
use backstop::state::{SharedState, Snapshot, VentureState};

use crate::harness::fake_http::{FakeHttp, Reply};
use crate::harness::http::sample;

const BODY: &str = r#"{ "region": "sa-east-1", "walg_enabled": true, "pitr_enabled": false,
  "backups": [ { "inserted_at": "2026-08-10T04:30:15Z", "status": "COMPLETED", "is_physical_backup": true },
               { "inserted_at": "2026-08-09T04:29:41Z", "status": "FAILED", "is_physical_backup": true },
               { "inserted_at": "2026-08-08T04:29:41Z", "status": "COMPLETED", "is_physical_backup": true } ],
  "physical_backup_data": {} }"#;

#[tokio::test]
async fn a_poll_names_the_rules_the_plan_cannot_meet() {
    let fake = FakeHttp::scripted(vec![Reply::new(200, BODY)]).await;
    let cfg = SupabaseConfig {
        poll_interval: Duration::from_secs(60),
        project_ref: "abcdefghijklmnopqrst".into(),
        token: Secret::new("sbp_0123456789abcdef0123456789abcdef01234567"),
        api_url: format!("http://{}", fake.addr),
        desired_schedule: None,
        desired_pitr: None,
        allow_in_place_restore: false,
    };
    let limiter = Arc::new(Mutex::new(RateLimiter::new(60)));
    let client =
        SupabaseClient::with_timeout(&cfg, limiter, Duration::from_secs(5)).expect("client");
    let state = SharedState::new(Snapshot {
        ventures: backstop::state::shared(vec![VentureState {
            name: "demo".into(),
            ..VentureState::default()
        }]),
        ..Snapshot::default()
    });
    SupabaseSource::with_client("demo", &cfg, client)
        .poll_once(&state)
        .await
        .expect("poll");

    let body = Metrics::new(state.clone())
        .encode(Format::PrometheusText)
        .expect("encode");
    let unmeetable = |rule| {
        sample(
            &body,
            "backstop_retention_unmeetable",
            &[("venture", "demo"), ("rule", rule)],
        )
    };
    assert_eq!(unmeetable("daily"), Some(0.0), "{body}");
    assert_eq!(unmeetable("monthly"), Some(1.0), "{body}");
    assert_eq!(unmeetable("pitr_window"), Some(1.0), "{body}");
    let kept = sample(
        &body,
        "backstop_retention_kept_backups",
        &[("venture", "demo"), ("rule", "daily")],
    );
    assert_eq!(kept, Some(2.0), "the FAILED day is no restore point");

    let snap = state.load();
    let now = chrono::Utc::now();
    let findings: Vec<_> = evaluate(&snap, now)
        .into_iter()
        .filter(|f| f.rule == "retention_unmeetable")
        .collect();
    assert_eq!(findings.len(), 2, "{findings:?}");
    assert!(findings.iter().all(|f| f.severity == Severity::Warning));
    assert!(findings[0].message.contains("11 months of history"));

    let r = report(&snap.ventures[0], now);
    let json = serde_json::to_value(&r).expect("json");
    assert_eq!(
        json["supabase"]["restore_points"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(json["supabase"]["unmeetable_rules"][0]["rule"], "monthly");
    assert!(r.text().contains("rules the plan cannot meet:"));
}
