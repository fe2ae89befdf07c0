//! `backstop recover` (the real binary) on a Supabase venture against the fake Management API:
//! the plan inside the window (integer target, the Supabase CLI command), refusals outside the
//! window, without PITR and from the API itself (its message printed and recorded), no POST
//! without `allow_in_place_restore` or the right `--confirm`; the restore flow: success with the
//! endpoint probed on a scratch cluster and the measured RTO in the store, `RESTORE_FAILED`,
//! a restore that never starts within 2× the RTO, an endpoint that never answers. Every
//! executed attempt is notified through a webhook; the token never appears in any output.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use backstop::secret::Secret;
use backstop::store::{RecoveryRecord, Store};
use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

use crate::harness::fake_http::FakeHttp;
use crate::harness::supabase_api::{FakeProject, FakeSupabase};
use crate::harness::{self};

const TOKEN: &str = "sbp_5ecret0123456789abcdef0123456789abcdef";
const REF: &str = "abcdefghijklmnopqrst";

/// One test's fake API, webhook receiver, directory and window.
struct Setup {
    dir: tempfile::TempDir,
    api: FakeSupabase,
    hook: FakeHttp,
    earliest: i64,
    latest: i64,
}

/// How the venture is configured.
struct Venture<'a> {
    rto: &'a str,
    allow: bool,
    dsn: Option<String>,
}

const DEFAULT: Venture<'static> = Venture {
    rto: "1m",
    allow: true,
    dsn: None,
};

impl Setup {
    /// A project with PITR over the last week, up to two minutes ago.
    async fn new() -> Setup {
        let now = Utc::now().timestamp();
        let (earliest, latest) = (now - 7 * 86_400, now - 120);
        let api = FakeSupabase::start(&[TOKEN], 1000, Duration::from_secs(60)).await;
        api.put(REF, FakeProject::with_pitr(earliest, latest));
        Setup {
            dir: tempfile::tempdir().expect("temp dir"),
            api,
            hook: FakeHttp::start(200, "{}").await,
            earliest,
            latest,
        }
    }

    fn config(&self, v: &Venture<'_>) -> PathBuf {
        let endpoint = if v.dsn.is_some() {
            "  [[ventures.endpoints]]\n  dsn_env = \"SHOP_PG1_DSN\"\n"
        } else {
            ""
        };
        let body = format!(
            r#"[agent]
state = "sqlite:{state}"

[[notify]]
kind = "webhook"
url_env = "TEST_HOOK_URL"
min_severity = "info"

[[ventures]]
name = "shop"
rto = "{rto}"
{endpoint}
  [ventures.backups]
  kind = "supabase"
  project_ref = "{REF}"
  token_env = "TEST_SUPABASE_TOKEN"
  api_url = "{api}"
  allow_in_place_restore = {allow}
"#,
            state = self.dir.path().join("state.db").display(),
            rto = v.rto,
            api = self.api.url(),
            allow = v.allow,
        );
        let path = self.dir.path().join("backstop.toml");
        std::fs::write(&path, body).expect("write config");
        path
    }

    /// Runs `backstop --config … recover --venture shop <args>` off the runtime's threads.
    async fn recover(&self, v: &Venture<'_>, args: &[&str]) -> Output {
        let config = self.config(v);
        let hook = format!("http://{}/hook", self.hook.addr);
        let dsn = v.dsn.clone().unwrap_or_default();
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let out = tokio::task::spawn_blocking(move || {
            Command::new(env!("CARGO_BIN_EXE_backstop"))
                .arg("--config")
                .arg(&config)
                .args(["recover", "--venture", "shop", "--status-interval", "100ms"])
                .args(&args)
                .env_remove("SENTRY_DSN")
                .env("BACKSTOP_LOG", "debug")
                .env("TEST_SUPABASE_TOKEN", TOKEN)
                .env("TEST_HOOK_URL", hook)
                .env("SHOP_PG1_DSN", dsn)
                .output()
                .expect("backstop runs")
        })
        .await
        .expect("join");
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!all.contains(TOKEN), "the token leaked:\n{all}");
        out
    }

    /// The recoveries recorded in the store.
    async fn recoveries(&self) -> Vec<RecoveryRecord> {
        let url = Secret::new(format!(
            "sqlite:{}",
            self.dir.path().join("state.db").display()
        ));
        let store = Store::open(&url).await.expect("open the store");
        let far = Utc::now() + chrono::TimeDelta::days(1);
        store
            .recoveries("shop", far - chrono::TimeDelta::days(2), far)
            .await
            .expect("recoveries")
    }

    /// restore-pitr bodies the fake received.
    fn restores(&self) -> Vec<serde_json::Value> {
        self.api.with(REF, |p| p.restores.clone())
    }

    /// The webhook notifications received.
    fn notifications(&self) -> Vec<serde_json::Value> {
        self.hook.requests().iter().map(|r| r.json()).collect()
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn rfc3339(unix: i64) -> String {
    at(unix).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn at(unix: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(unix, 0).single().expect("time")
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_prints_the_integer_target_and_the_cli_command() {
    let s = Setup::new().await;
    let target = s.latest - 3600;
    let out = s.recover(&DEFAULT, &["--to", &rfc3339(target)]).await;
    let text = stdout(&out);
    assert_eq!(code(&out), 0, "{text}{}", stderr(&out));
    for want in [
        format!("target: {} (unix {target})", rfc3339(target)),
        format!("window: {} (unix {})", rfc3339(s.earliest), s.earliest),
        "goes offline".to_owned(),
        "replication slots".to_owned(),
        format!("{{\"recovery_time_target_unix\":{target}}}"),
        format!("supabase backups restore --project-ref {REF} -t {target}"),
        "restore-pitr".to_owned(),
        "--execute --confirm shop".to_owned(),
    ] {
        assert!(text.contains(&want), "{want:?} in\n{text}");
    }
    // One backups call, no restore.
    let calls = s.api.calls();
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(calls[0].path.ends_with("/database/backups"), "{calls:?}");
    assert!(s.restores().is_empty());

    // --json: the same plan, the target a JSON integer; a relative --to works too.
    let out = s.recover(&DEFAULT, &["--to=-1h", "--json"]).await;
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(json["outcome"], "planned");
    assert_eq!(json["executed"], false);
    let unix = &json["plan"]["target_unix"];
    assert!(unix.is_i64(), "{json}");
    let now = Utc::now().timestamp();
    assert!((now - 3602..=now - 3599).contains(&unix.as_i64().expect("int")));
    assert_eq!(json["plan"]["api_body"]["recovery_time_target_unix"], *unix);

    let planned = s.recoveries().await;
    assert_eq!(planned.len(), 2, "{planned:?}");
    assert!(planned.iter().all(|r| !r.executed
        && r.outcome == "planned"
        && r.method == "supabase-restore-pitr"
        && r.rto_seconds.is_none()));
    assert!(s.notifications().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_outside_the_window_and_without_pitr() {
    let s = Setup::new().await;
    let out = s
        .recover(&DEFAULT, &["--to", &rfc3339(s.earliest - 60)])
        .await;
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    assert!(err.contains("before the PITR window"), "{err}");
    assert!(
        err.contains(&format!(
            "earliest recoverable point is {} (unix {})",
            rfc3339(s.earliest),
            s.earliest
        )),
        "{err}"
    );

    let out = s.recover(&DEFAULT, &["--to=-10s"]).await;
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "latest recoverable point is {} (unix {})",
            rfc3339(s.latest),
            s.latest
        )),
        "{err}"
    );

    s.api.put(REF, FakeProject::default());
    let out = s
        .recover(&DEFAULT, &["--to=-1h", "--execute", "--confirm", "shop"])
        .await;
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    assert!(err.contains("no point-in-time recovery"), "{err}");
    assert!(err.contains("enable the PITR add-on"), "{err}");
    assert!(s.restores().is_empty());
    assert!(s.recoveries().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execute_needs_the_opt_in_and_the_confirmation() {
    let s = Setup::new().await;
    let to = rfc3339(s.latest - 60);
    let off = Venture {
        allow: false,
        ..DEFAULT
    };
    let out = s
        .recover(&off, &["--to", &to, "--execute", "--confirm", "shop"])
        .await;
    assert_eq!(code(&out), 1);
    let err = stderr(&out);
    assert!(err.contains("allow_in_place_restore = true"), "{err}");
    for confirm in [&["--confirm", "shops"][..], &["--confirm", "SHOP"], &[]] {
        let mut args = vec!["--to", &to, "--execute"];
        args.extend_from_slice(confirm);
        let out = s.recover(&DEFAULT, &args).await;
        assert_eq!(code(&out), 1, "{confirm:?}");
        assert!(stderr(&out).contains("--confirm shop"), "{}", stderr(&out));
    }
    let out = s
        .recover(
            &DEFAULT,
            &[
                "--to",
                &to,
                "--execute",
                "--confirm",
                "shop",
                "--target-dir",
                "/tmp/x",
            ],
        )
        .await;
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("--target-dir does not apply"),
        "{}",
        stderr(&out)
    );
    // Refused before any call.
    assert!(s.api.calls().is_empty(), "{:?}", s.api.calls());
    assert!(s.restores().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apis_refusal_is_printed_and_recorded() {
    let s = Setup::new().await;
    s.api.with(REF, |p| {
        p.restore_fault = Some((
            400,
            r#"{"message":"PITR is not enabled for this project."}"#.into(),
        ))
    });
    let out = s
        .recover(&DEFAULT, &["--to=-1h", "--execute", "--confirm", "shop"])
        .await;
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("Supabase refused the restore")
            && err.contains("HTTP 400: PITR is not enabled for this project."),
        "{err}"
    );
    assert_eq!(s.restores().len(), 1);
    let rec = s.recoveries().await;
    assert_eq!(rec.len(), 1, "{rec:?}");
    assert!(rec[0].executed);
    assert_eq!(rec[0].outcome, "refused");
    assert!(rec[0].detail.contains("PITR is not enabled"), "{rec:?}");
    assert_eq!(rec[0].rto_seconds, None);
    let sent = s.notifications();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["action"], "trigger");
    assert_eq!(sent[0]["event"], "recovery");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_succeeds_probes_the_endpoint_and_records_the_rto() {
    harness::init_logs();
    let root = harness::root();
    let pg = harness::started(root.path(), "restored", &[]).await;
    let s = Setup::new().await;
    let target = s.latest - 600;
    let v = Venture {
        dsn: Some(format!(
            "postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable",
            pg.port()
        )),
        ..DEFAULT
    };
    let began = Instant::now();
    let out = s
        .recover(
            &v,
            &["--to", &rfc3339(target), "--execute", "--confirm", "shop"],
        )
        .await;
    let took = began.elapsed();
    let text = stdout(&out);
    assert_eq!(code(&out), 0, "{text}{}", stderr(&out));
    for want in [
        "Restored in place",
        "statuses: RESTORING → ACTIVE_HEALTHY",
        "db health: ACTIVE_HEALTHY",
        "pg1: SELECT 1 answered, pg_is_in_recovery() false",
        "objective 1m: met",
    ] {
        assert!(text.contains(want), "{want:?} in\n{text}");
    }
    // The body's target is a JSON integer.
    let bodies = s.restores();
    assert_eq!(bodies.len(), 1);
    let sent = &bodies[0]["recovery_time_target_unix"];
    assert!(sent.is_i64() && !sent.is_f64(), "{bodies:?}");
    assert_eq!(sent.as_i64(), Some(target));
    // Status polled until ACTIVE_HEALTHY, then the db health.
    let paths: Vec<String> = s.api.calls().iter().map(|c| c.path.clone()).collect();
    let project = format!("/v1/projects/{REF}");
    assert_eq!(
        paths.iter().filter(|p| **p == project).count(),
        3,
        "{paths:?}"
    );
    assert_eq!(
        paths.last().map(String::as_str),
        Some(format!("{project}/health?services=db").as_str())
    );

    let rec = s.recoveries().await;
    assert_eq!(rec.len(), 1, "{rec:?}");
    let r = &rec[0];
    assert!(r.executed);
    assert_eq!(
        (r.outcome.as_str(), r.method.as_str()),
        ("recovered", "supabase-restore-pitr")
    );
    assert_eq!(r.target_time, at(target));
    let rto = r.rto_seconds.expect("measured RTO");
    assert!(rto > 0.0 && rto < took.as_secs_f64(), "{rto} vs {took:?}");
    assert!(r.detail.contains("RESTORING → ACTIVE_HEALTHY"), "{r:?}");
    let sent = s.notifications();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        (sent[0]["event"].as_str(), sent[0]["action"].as_str()),
        (Some("recovery"), Some("resolve"))
    );
    let summary = sent[0]["summary"].as_str().unwrap_or_default();
    assert!(summary.contains("recovery succeeded"), "{summary}");
    assert!(!sent[0].to_string().contains(TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_failed_exits_2_and_is_recorded() {
    let s = Setup::new().await;
    s.api.with(REF, |p| {
        p.after_restore = ["RESTORING", "RESTORING", "RESTORE_FAILED"]
            .map(String::from)
            .into();
    });
    let out = s
        .recover(
            &DEFAULT,
            &["--to=-1h", "--execute", "--confirm", "shop", "--json"],
        )
        .await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("Supabase reports RESTORE_FAILED"), "{err}");
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(json["outcome"], "failed");
    let rec = s.recoveries().await;
    assert_eq!(rec.len(), 1, "{rec:?}");
    assert_eq!(rec[0].outcome, "failed");
    assert!(
        rec[0].detail.contains("RESTORING → RESTORE_FAILED"),
        "{rec:?}"
    );
    assert_eq!(rec[0].rto_seconds, None);
    let sent = s.notifications();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["action"], "trigger");
    assert_eq!(sent[0]["severity"], "critical");
    let summary = sent[0]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("recovery failed") && summary.contains("RESTORE_FAILED"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_that_never_starts_fails_within_twice_the_rto() {
    let s = Setup::new().await;
    s.api.with(REF, |p| {
        p.after_restore = ["ACTIVE_HEALTHY"].map(String::from).into()
    });
    let v = Venture {
        rto: "1s",
        ..DEFAULT
    };
    let began = Instant::now();
    let out = s
        .recover(&v, &["--to=-1h", "--execute", "--confirm", "shop"])
        .await;
    let took = began.elapsed();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("the restore never started"), "{err}");
    assert!(err.contains("within 2s"), "{err}");
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(20),
        "{took:?}"
    );
    let polls = s
        .api
        .calls()
        .iter()
        .filter(|c| c.path == format!("/v1/projects/{REF}"))
        .count();
    assert!(polls >= 5, "polled {polls} times");
    let rec = s.recoveries().await;
    assert_eq!(rec[0].outcome, "failed");
    assert!(rec[0].detail.contains("never started"), "{rec:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_endpoint_that_never_answers_fails_the_restore() {
    let s = Setup::new().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let password = "pr0be-s3cret";
    let v = Venture {
        rto: "1s",
        dsn: Some(format!(
            "postgres://postgres:{password}@127.0.0.1:{port}/postgres?sslmode=disable"
        )),
        ..DEFAULT
    };
    let out = s
        .recover(&v, &["--to=-1h", "--execute", "--confirm", "shop"])
        .await;
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("endpoint pg1 did not answer out of recovery"),
        "{err}"
    );
    assert!(!err.contains(password), "{err}");
    assert_eq!(s.recoveries().await[0].outcome, "failed");
}
