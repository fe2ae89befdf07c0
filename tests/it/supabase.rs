//! The Supabase source against a fake Management API: a recorded-shape answer publishes
//! `source_up` and backup metrics with `source="supabase"`; 401, 429, a hang and malformed JSON
//! count their error kinds and keep the last values; the token never appears in a log line,
//! an error or the metrics; a 429 with rate-limit headers delays the next call.

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
    let cfg = config(fake);
    let limiter = Arc::new(Mutex::new(RateLimiter::new(60)));
    let client = SupabaseClient::with_timeout(&cfg, limiter, timeout).expect("client");
    SupabaseSource::with_client("demo", &cfg, client)
}

fn state() -> SharedState {
    SharedState::new(Snapshot {
        ventures: vec![VentureState {
            name: "demo".into(),
            ..VentureState::default()
        }],
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
    let fake = FakeHttp::scripted(vec![Reply::new(200, GOOD)
        .header("X-RateLimit-Limit", "120")
        .header("X-RateLimit-Remaining", "119")
        .header("X-RateLimit-Reset", "60")])
    .await;
    let state = state();
    source(&fake, Duration::from_secs(5))
        .poll_once(&state)
        .await
        .expect("poll");

    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].path, format!("/v1/projects/{REF}/database/backups"));
    let auth = reqs[0]
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.clone());
    assert_eq!(auth, Some(format!("Bearer {TOKEN}")));

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
        "no size reported: absent, not 0"
    );
    assert!(!body.contains(TOKEN));
}

#[tokio::test]
async fn unauthorized_counts_auth_and_never_shows_the_token() {
    let logs = Logs::default();
    let _guard = logs.install();
    let fake = FakeHttp::scripted(vec![
        Reply::new(200, GOOD),
        Reply::new(401, r#"{"message":"Unauthorized"}"#),
    ])
    .await;
    let state = state();
    let src = source(&fake, Duration::from_secs(5));
    src.poll_once(&state).await.expect("first poll");
    let err = src.poll_once(&state).await.expect_err("401");
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(errors(&state, ErrorKind::Auth), 1);

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
    let log = logs.text();
    assert!(log.contains("backup source poll failing"), "{log}");
    for text in [err.to_string(), format!("{err:?}"), log, body] {
        assert!(!text.contains(TOKEN), "{text}");
        assert!(!text.contains(&TOKEN[4..20]), "{text}");
    }
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
    assert_eq!(reqs.len(), 2);
    assert!(reqs[1].at.duration_since(reqs[0].at) >= Duration::from_millis(1900));
    assert_eq!(
        sample(&metrics(&state), "backstop_source_up", &LABELS),
        Some(1.0)
    );
}

#[tokio::test]
async fn malformed_json_and_a_hang_count_parse_and_timeout() {
    let fake = FakeHttp::scripted(vec![
        Reply::new(200, GOOD),
        Reply::new(200, r#"{"backups": [ {"status": "COMPLETED""#),
        Reply::new(500, r#"{"message":"Failed to get backups"}"#),
        Reply::hang(),
    ])
    .await;
    let state = state();
    let src = source(&fake, Duration::from_millis(300));
    src.poll_once(&state).await.expect("good");
    let e = src.poll_once(&state).await.expect_err("malformed");
    assert_eq!(e.kind(), ErrorKind::Parse);
    let e = src.poll_once(&state).await.expect_err("500");
    assert_eq!(e.kind(), ErrorKind::Http);
    let e = src.poll_once(&state).await.expect_err("hang");
    assert_eq!(e.kind(), ErrorKind::Timeout);
    for kind in [ErrorKind::Parse, ErrorKind::Http, ErrorKind::Timeout] {
        assert_eq!(errors(&state, kind), 1, "{kind:?}");
    }
    let snap = state.load();
    let src_state = snap.ventures[0].source.as_ref().expect("source");
    assert_eq!(src_state.up, Some(false));
    assert_eq!(src_state.backups.len(), 2, "the last good backups stay");
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
