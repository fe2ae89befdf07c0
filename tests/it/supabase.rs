//! The Supabase source against a fake Management API: the recorded answers (a live project's
//! backups, a fresh project's empty `physical_backup_data`, PITR on and off, lowercase statuses)
//! publish `source_up`, the backup, window and `pitr_enabled` metrics with `source="supabase"`
//! and the project status and db health; 401, 429, 5xx, a hang, a slow body and malformed JSON
//! count their error kinds (5xx retried with backoff, other 4xx not) and keep the last values;
//! the token never appears in a log line, an error or the metrics.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backstop::config::SupabaseConfig;
use backstop::error::ErrorKind;
use backstop::metrics::{Format, Metrics};
use backstop::secret::Secret;
use backstop::sources::supabase::{RateLimiter, SupabaseClient, SupabaseSource};
use backstop::state::{SharedState, Snapshot, VentureState};

use crate::harness::fake_http::{FakeHttp, Reply};
use crate::harness::http::sample;
use crate::harness::supabase_api::{FakeBackup, FakeProject, FakeSupabase, Fault};

const TOKEN: &str = "sbp_0123456789abcdef0123456789abcdef01234567";
const REF: &str = "abcdefghijklmnopqrst";
const GOOD: &str = r#"{ "region": "sa-east-1", "walg_enabled": true, "pitr_enabled": false,
  "backups": [ { "inserted_at": "2026-08-10T04:30:15Z", "status": "COMPLETED", "is_physical_backup": true },
               { "inserted_at": "2026-08-09T04:29:41.268Z", "status": "COMPLETED", "is_physical_backup": true } ],
  "physical_backup_data": {} }"#;
/// 2026-08-10T04:30:15Z.
const NEWEST: f64 = 1_786_336_215.0;

fn config(fake: &FakeHttp) -> SupabaseConfig {
    config_for(&format!("http://{}", fake.addr))
}

fn config_for(api_url: &str) -> SupabaseConfig {
    SupabaseConfig {
        poll_interval: Duration::from_secs(60),
        project_ref: REF.into(),
        token: Secret::new(TOKEN),
        api_url: api_url.to_owned(),
        desired_schedule: None,
        desired_pitr: None,
        allow_in_place_restore: false,
    }
}

fn source(fake: &FakeHttp, timeout: Duration) -> SupabaseSource {
    source_at(&config(fake), timeout)
}

fn source_at(cfg: &SupabaseConfig, timeout: Duration) -> SupabaseSource {
    let limiter = Arc::new(Mutex::new(RateLimiter::new(600)));
    let client = SupabaseClient::with_timeout(cfg, limiter, timeout).expect("client");
    SupabaseSource::with_client("demo", cfg, client).with_retry_base(Duration::from_millis(100))
}

/// A fake Management API with one project (`REF`) answering the recorded live-project backups.
async fn fake_api(project: FakeProject) -> (FakeSupabase, SupabaseSource) {
    let fake = FakeSupabase::start(&[TOKEN], 1000, Duration::from_secs(60)).await;
    fake.put(REF, project);
    let src = source_at(&config_for(&fake.url()), Duration::from_secs(5));
    (fake, src)
}

/// The live project's two completed daily backups (one with fractional seconds), PITR off.
fn live_project() -> FakeProject {
    FakeProject {
        region: "sa-east-1".into(),
        backups: vec![
            FakeBackup::completed("2026-08-10T04:30:15Z"),
            FakeBackup::completed("2026-08-09T04:29:41.268Z"),
        ],
        ..FakeProject::default()
    }
}

fn supabase_state(state: &SharedState) -> backstop::state::SupabaseState {
    state.load().ventures[0]
        .source
        .as_ref()
        .and_then(|s| s.supabase.clone())
        .expect("supabase state")
}

const VENTURE: [(&str, &str); 1] = [("venture", "demo")];

fn state() -> SharedState {
    SharedState::new(Snapshot {
        ventures: backstop::state::shared(vec![VentureState {
            name: "demo".into(),
            ..VentureState::default()
        }]),
        ..Snapshot::default()
    })
}

fn errors(state: &SharedState, kind: ErrorKind) -> u64 {
    state.load().ventures[0]
        .errors
        .get(&kind)
        .copied()
        .unwrap_or(0)
}

fn metrics(state: &SharedState) -> String {
    Metrics::new(state.clone())
        .encode(Format::PrometheusText)
        .expect("encode")
}

const LABELS: [(&str, &str); 2] = [("venture", "demo"), ("source", "supabase")];

/// Captures this thread's log lines (the tests run on a current-thread runtime).
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    fn install(&self) -> tracing::subscriber::DefaultGuard {
        let logs = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || logs.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }
}

#[tokio::test]
async fn recorded_shape_publishes_supabase_metrics() {
    let (fake, src) = fake_api(live_project()).await;
    let state = state();
    src.poll_once(&state).await.expect("poll");

    let calls = fake.calls();
    let paths: Vec<&str> = calls.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            format!("/v1/projects/{REF}/database/backups"),
            format!("/v1/projects/{REF}"),
            format!("/v1/projects/{REF}/health?services=db"),
        ],
        "backups first, then status and health"
    );
    assert!(calls.iter().all(|c| c.token == TOKEN && c.status == 200));

    let body = metrics(&state);
    assert_eq!(sample(&body, "backstop_source_up", &LABELS), Some(1.0));
    let physical = [LABELS[0], LABELS[1], ("type", "physical")];
    assert_eq!(
        sample(
            &body,
            "backstop_backup_last_success_timestamp_seconds",
            &physical
        ),
        Some(NEWEST),
        "{body}"
    );
    assert_eq!(
        sample(&body, "backstop_backup_last_size_bytes", &LABELS),
        None,
        "no endpoint, no size: absent, not 0"
    );
    assert_eq!(sample(&body, "backstop_pitr_enabled", &VENTURE), Some(0.0));
    for absent in [
        "backstop_pitr_window_start_timestamp_seconds",
        "backstop_pitr_window_end_timestamp_seconds",
        "backstop_pitr_window_pieces",
        "backstop_wal_missing_segments",
    ] {
        assert_eq!(sample(&body, absent, &VENTURE), None, "{absent}: {body}");
    }
    assert_eq!(
        sample(&body, "backstop_source_poll_interval_seconds", &LABELS),
        Some(60.0)
    );
    let sb = supabase_state(&state);
    assert_eq!(sb.project_status.as_deref(), Some("ACTIVE_HEALTHY"));
    assert_eq!(sb.db_health.as_deref(), Some("ACTIVE_HEALTHY"));
    assert_eq!(
        (sb.pitr_enabled, sb.walg_enabled),
        (Some(false), Some(true))
    );
    assert!(sb.status_polled.is_some());
    assert!(!body.contains(TOKEN));
}

#[tokio::test]
async fn pitr_window_from_physical_backup_data_and_absent_when_empty() {
    let (earliest, latest) = (1_786_000_000_i64, 1_786_336_215_i64);
    let (fake, src) = fake_api(FakeProject::with_pitr(earliest, latest)).await;
    let state = state();
    src.poll_once(&state).await.expect("poll");
    let body = metrics(&state);
    let v = |name| sample(&body, name, &VENTURE);
    assert_eq!(v("backstop_pitr_enabled"), Some(1.0));
    assert_eq!(
        v("backstop_pitr_window_start_timestamp_seconds"),
        Some(earliest as f64)
    );
    assert_eq!(
        v("backstop_pitr_window_end_timestamp_seconds"),
        Some(latest as f64)
    );
    assert_eq!(v("backstop_pitr_window_pieces"), Some(1.0));
    assert_eq!(
        v("backstop_wal_missing_segments"),
        None,
        "Supabase reports no segments"
    );

    // The recorded fresh project: `"physical_backup_data": {}` and no backups.
    fake.with(REF, |p| {
        p.window = None;
        p.pitr_enabled = false;
    });
    src.poll_once(&state).await.expect("poll");
    let body = metrics(&state);
    assert_eq!(sample(&body, "backstop_pitr_enabled", &VENTURE), Some(0.0));
    for absent in [
        "backstop_pitr_window_start_timestamp_seconds",
        "backstop_pitr_window_end_timestamp_seconds",
        "backstop_pitr_window_pieces",
    ] {
        assert_eq!(sample(&body, absent, &VENTURE), None, "{absent}: {body}");
    }
    assert!(
        !body.contains("backstop_pitr_window_start_timestamp_seconds{venture=\"demo\"} 0"),
        "never the epoch"
    );
}

#[tokio::test]
async fn lowercase_statuses_are_read() {
    let mut project = live_project();
    project.backups[0].status = "completed".into();
    project.backups.push(FakeBackup {
        inserted_at: "2026-08-11 04:30:00".into(),
        status: "failed".into(),
        physical: true,
    });
    project.status = ["active_healthy".to_string()].into();
    project.db_health = "coming_up".into();
    let (_fake, src) = fake_api(project).await;
    let state = state();
    src.poll_once(&state).await.expect("poll");
    let sb = supabase_state(&state);
    assert_eq!(sb.project_status.as_deref(), Some("ACTIVE_HEALTHY"));
    assert_eq!(sb.db_health.as_deref(), Some("COMING_UP"));
    let body = metrics(&state);
    let completed = [LABELS[0], LABELS[1], ("status", "completed")];
    let failed = [LABELS[0], LABELS[1], ("status", "failed")];
    assert_eq!(sample(&body, "backstop_backups", &completed), Some(2.0));
    assert_eq!(sample(&body, "backstop_backups", &failed), Some(1.0));
    let findings = backstop::check::rules::evaluate(&state.load(), chrono::Utc::now());
    assert!(
        findings.iter().any(|f| f.rule == "db_unhealthy"),
        "{findings:?}"
    );
}

#[tokio::test]
async fn unauthorized_counts_auth_and_never_shows_the_token() {
    let logs = Logs::default();
    let _guard = logs.install();
    let fake = FakeSupabase::start(&["sbp_some_other_token"], 1000, Duration::from_secs(60)).await;
    fake.put(REF, live_project());
    let state = state();
    let src = source_at(&config_for(&fake.url()), Duration::from_secs(5));
    let err = src.poll_once(&state).await.expect_err("401");
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(errors(&state, ErrorKind::Auth), 1);
    assert_eq!(
        fake.calls().len(),
        1,
        "status and health skipped after a 401"
    );

    let body = metrics(&state);
    assert_eq!(sample(&body, "backstop_source_up", &LABELS), Some(0.0));
    assert_eq!(
        sample(
            &body,
            "backstop_errors_total",
            &[("venture", "demo"), ("kind", "auth")]
        ),
        Some(1.0)
    );
    let findings = backstop::check::rules::evaluate(&state.load(), chrono::Utc::now());
    assert!(
        findings.iter().any(|f| f.rule == "source_auth"),
        "{findings:?}"
    );
    let log = logs.text();
    assert!(log.contains("backup source poll failing"), "{log}");
    assert!(log.contains("auth"), "{log}");
    let findings = format!("{findings:?}");
    for text in [err.to_string(), format!("{err:?}"), log, body, findings] {
        assert!(!text.contains(TOKEN), "{text}");
        assert!(!text.contains(&TOKEN[4..20]), "{text}");
    }
}

#[tokio::test]
async fn unauthorized_after_success_keeps_the_last_values() {
    let fake = FakeHttp::scripted(vec![
        Reply::new(200, GOOD),
        Reply::new(200, r#"{"status":"ACTIVE_HEALTHY"}"#),
        Reply::new(
            200,
            r#"[{"name":"db","healthy":true,"status":"ACTIVE_HEALTHY"}]"#,
        ),
        Reply::new(401, r#"{"message":"Unauthorized"}"#),
    ])
    .await;
    let state = state();
    let src = source(&fake, Duration::from_secs(5));
    src.poll_once(&state).await.expect("first poll");
    let err = src.poll_once(&state).await.expect_err("401");
    assert_eq!(err.kind(), ErrorKind::Auth);
    let body = metrics(&state);
    assert_eq!(sample(&body, "backstop_source_up", &LABELS), Some(0.0));
    let physical = [LABELS[0], LABELS[1], ("type", "physical")];
    assert_eq!(
        sample(
            &body,
            "backstop_backup_last_success_timestamp_seconds",
            &physical
        ),
        Some(NEWEST),
        "the last good values stay"
    );
    assert_eq!(
        supabase_state(&state).project_status.as_deref(),
        Some("ACTIVE_HEALTHY")
    );
}

#[tokio::test]
async fn rate_limited_waits_reset_before_the_next_call() {
    let fake = FakeHttp::scripted(vec![
        Reply::new(429, r#"{"message":"Too many requests"}"#)
            .header("X-RateLimit-Limit", "120")
            .header("X-RateLimit-Remaining", "0")
            .header("X-RateLimit-Reset", "2"),
        Reply::new(200, GOOD),
    ])
    .await;
    let state = state();
    let src = source(&fake, Duration::from_secs(5));
    let err = src.poll_once(&state).await.expect_err("429");
    assert_eq!(err.kind(), ErrorKind::RateLimited);
    assert_eq!(errors(&state, ErrorKind::RateLimited), 1);
    assert_eq!(fake.requests().len(), 1, "no status calls after a 429");

    let started = Instant::now();
    let second = tokio::spawn({
        let state = state.clone();
        let src = src.clone();
        async move { src.poll_once(&state).await }
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(fake.requests().len(), 1, "no call before the reset");
    second.await.expect("join").expect("second poll");
    assert!(started.elapsed() >= Duration::from_millis(1900));
    let reqs = fake.requests();
    assert!(reqs[1].at.duration_since(reqs[0].at) >= Duration::from_millis(1900));
    assert_eq!(
        sample(&metrics(&state), "backstop_source_up", &LABELS),
        Some(1.0)
    );
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff_other_4xx_are_not() {
    let fake = FakeHttp::scripted(vec![
        Reply::new(500, r#"{"message":"Failed to get backups"}"#),
        Reply::new(503, "upstream unavailable"),
        Reply::new(200, GOOD),
    ])
    .await;
    let state = state();
    let src = source(&fake, Duration::from_secs(5));
    // Status and health then get GOOD (not their shape): parse errors, the backups poll is fine.
    src.poll_once(&state).await.expect("third attempt succeeds");
    let reqs = fake.requests();
    assert!(reqs.len() >= 3);
    let gap = |i: usize| reqs[i].at.duration_since(reqs[i - 1].at);
    assert!(gap(1) >= Duration::from_millis(100), "{:?}", gap(1));
    assert!(gap(2) >= Duration::from_millis(200), "{:?}", gap(2));
    assert!(gap(2) <= Duration::from_millis(2000), "{:?}", gap(2));
    assert_eq!(
        errors(&state, ErrorKind::Http),
        0,
        "a retried success is no error"
    );
    assert_eq!(
        sample(&metrics(&state), "backstop_source_up", &LABELS),
        Some(1.0)
    );

    // Three 5xx in a row: the poll fails after two retries.
    let fake = FakeHttp::scripted(vec![Reply::new(502, "{}")]).await;
    let state = self::state();
    let err = source(&fake, Duration::from_secs(5))
        .poll_once(&state)
        .await
        .expect_err("502");
    assert_eq!(err.kind(), ErrorKind::Http);
    let backups = format!("/v1/projects/{REF}/database/backups");
    let tries = fake.requests().iter().filter(|r| r.path == backups).count();
    assert_eq!(tries, 3);

    // A 400 is not retried, and carries the API's message.
    let fake = FakeHttp::scripted(vec![Reply::new(400, r#"{"message":"bad ref"}"#)]).await;
    let state = self::state();
    let err = source(&fake, Duration::from_secs(5))
        .poll_once(&state)
        .await
        .expect_err("400");
    assert_eq!(err.kind(), ErrorKind::Http);
    assert!(err.to_string().contains("bad ref"), "{err}");
    let tries = fake.requests().iter().filter(|r| r.path == backups).count();
    assert_eq!(tries, 1);
}

#[tokio::test]
async fn malformed_json_a_hang_and_a_slow_body() {
    let (fake, _) = fake_api(live_project()).await;
    let cfg = config_for(&fake.url());
    let src = source_at(&cfg, Duration::from_millis(800));
    let state = state();
    src.poll_once(&state).await.expect("good");
    fake.with(REF, |p| {
        p.fault = Some(Fault::Slow(Duration::from_millis(300)))
    });
    src.poll_once(&state)
        .await
        .expect("a slow body within the timeout is fine");
    fake.with(REF, |p| p.fault = Some(Fault::Malformed));
    let e = src.poll_once(&state).await.expect_err("malformed");
    assert_eq!(e.kind(), ErrorKind::Parse);
    fake.with(REF, |p| p.fault = Some(Fault::Hang));
    let e = src.poll_once(&state).await.expect_err("hang");
    assert_eq!(e.kind(), ErrorKind::Timeout);
    fake.with(REF, |p| p.fault = Some(Fault::Slow(Duration::from_secs(3))));
    let e = src.poll_once(&state).await.expect_err("too slow");
    assert_eq!(e.kind(), ErrorKind::Timeout);
    assert_eq!(errors(&state, ErrorKind::Parse), 1);
    assert_eq!(errors(&state, ErrorKind::Timeout), 2);
    let snap = state.load();
    let src_state = snap.ventures[0].source.as_ref().expect("source");
    assert_eq!(src_state.up, Some(false));
    assert_eq!(src_state.backups.len(), 2, "the last good backups stay");
}

#[tokio::test]
async fn a_failing_health_call_keeps_the_last_value() {
    let (fake, src) = fake_api(live_project()).await;
    let state = state();
    src.poll_once(&state).await.expect("poll");
    let polled = supabase_state(&state).status_polled;
    fake.with(REF, |p| {
        p.health_fault = Some((
            500,
            r#"{"message":"Failed to retrieve project's service health status"}"#.into(),
        ));
        p.status = ["RESTORING".to_string()].into();
    });
    src.poll_once(&state)
        .await
        .expect("source_up follows the backups call");
    let sb = supabase_state(&state);
    assert_eq!(sb.db_health.as_deref(), Some("ACTIVE_HEALTHY"), "kept");
    assert_eq!(sb.project_status.as_deref(), Some("RESTORING"));
    assert_eq!(sb.status_polled, polled, "moves only when both answered");
    assert_eq!(errors(&state, ErrorKind::Http), 1);
    assert_eq!(
        sample(&metrics(&state), "backstop_source_up", &LABELS),
        Some(1.0)
    );
}

/// The project-level calls against the fake Management API: status, health, schedule (read
/// and change), PITR add-on, and restore-pitr's recorded refusal without PITR.
#[tokio::test]
async fn project_calls_against_the_fake_management_api() {
    use crate::harness::supabase_api::{FakeProject, FakeSupabase};
    let fake = FakeSupabase::start(&[TOKEN], 100, Duration::from_secs(60)).await;
    fake.put(REF, FakeProject::default());
    let cfg = config_for(&fake.url());
    let limiter = Arc::new(Mutex::new(RateLimiter::new(600)));
    let client = SupabaseClient::new(&cfg, limiter).expect("client");
    assert_eq!(
        client.project_status().await.expect("status"),
        "ACTIVE_HEALTHY"
    );
    assert_eq!(client.db_health().await.expect("health"), "ACTIVE_HEALTHY");
    let four = chrono::NaiveTime::from_hms_opt(4, 0, 0).expect("time");
    assert_eq!(client.schedule().await.expect("schedule"), four);
    let two = chrono::NaiveTime::from_hms_opt(2, 30, 0).expect("time");
    client.set_schedule(two).await.expect("set schedule");
    assert_eq!(client.schedule().await.expect("schedule"), two);
    assert_eq!(client.pitr_addon().await.expect("addons"), "off");
    let err = client
        .restore_pitr(1_786_336_215)
        .await
        .expect_err("no PITR");
    assert_eq!(err.kind(), ErrorKind::Http);
    assert!(
        err.to_string()
            .contains("PITR is not enabled for this project."),
        "{err}"
    );
    let restores = fake.with(REF, |p| p.restores.clone());
    assert_eq!(
        restores,
        vec![serde_json::json!({"recovery_time_target_unix": 1_786_336_215})]
    );
    assert_eq!(fake.count_429(), 0);
    assert!(fake.calls().iter().all(|c| c.token == TOKEN));
}
