//! `backstop supabase apply` and the desired-state drift against the fake Management API: a dry
//! run prints the drift and changes nothing, a run converges the schedule (and the next says
//! so), the fourth change in 24 h is refused with the API's message, a plan without the schedule
//! entitlement (402) is explained, a PITR mismatch prints the dashboard steps and exits 1,
//! unknown and non-Supabase ventures are clear errors, the periodic read publishes
//! `backstop_config_drift`, and a bad token is kind `auth` and never printed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backstop::config::{PitrPlan, SupabaseConfig};
use backstop::error::ErrorKind;
use backstop::metrics::{Format, Metrics};
use backstop::secret::Secret;
use backstop::sources::supabase::desired_poll::DesiredPoller;
use backstop::sources::supabase::{RateLimiter, SupabaseClient};
use backstop::state::{SharedState, Snapshot, VentureState};

use crate::harness::http::sample;
use crate::harness::supabase_api::{project_ref, FakeProject, FakeSupabase};

const TOKEN: &str = "sbp_5a1e0123456789abcdef0123456789abcdef0123";
const BAD_TOKEN: &str = "sbp_bad0ffee0123456789abcdef0123456789abcdef";
const TOKEN_ENV: &str = "SHOP_SUPABASE_TOKEN";

fn time(h: u32, m: u32) -> chrono::NaiveTime {
    chrono::NaiveTime::from_hms_opt(h, m, 0).expect("valid")
}

/// A fake with one project (`project_ref(3)`) and a config file naming it as venture `shop`
/// (plus `selfhosted`, a venture without a backup source).
struct Setup {
    fake: FakeSupabase,
    reference: String,
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Setup {
    async fn new(project: FakeProject, desired: &str) -> Setup {
        let fake = FakeSupabase::start(&[TOKEN], 100, Duration::from_secs(60)).await;
        let reference = project_ref(3);
        fake.put(&reference, project);
        let dir = crate::harness::root();
        let body = format!(
            "[agent]\nstate = \"sqlite:{}/state.db\"\n\n[[ventures]]\nname = \"shop\"\n  [ventures.backups]\n  kind = \"supabase\"\n  project_ref = \"{reference}\"\n  token_env = \"{TOKEN_ENV}\"\n  api_url = \"{}\"\n{desired}\n\n[[ventures]]\nname = \"selfhosted\"\n",
            dir.path().display(),
            fake.url(),
        );
        let config = dir.path().join("backstop.toml");
        std::fs::write(&config, body).expect("write config");
        Setup {
            fake,
            reference,
            dir,
            config,
        }
    }

    /// Runs `backstop supabase apply <args>` with `token` in the environment.
    async fn apply_with(&self, args: &[&str], token: &str) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_backstop"));
        cmd.args(["supabase", "apply", "--config"])
            .arg(&self.config)
            .args(args)
            .env_remove("SENTRY_DSN")
            .env("BACKSTOP_LOG", "warn")
            .env(TOKEN_ENV, token);
        tokio::task::spawn_blocking(move || cmd.output().expect("backstop runs"))
            .await
            .expect("join")
    }

    async fn apply(&self, args: &[&str]) -> Output {
        self.apply_with(args, TOKEN).await
    }

    fn schedule(&self) -> Option<String> {
        self.fake.with(&self.reference, |p| p.schedule.clone())
    }

    fn patches(&self) -> usize {
        self.fake
            .calls()
            .iter()
            .filter(|c| c.method == "PATCH")
            .count()
    }

    fn state_db(&self) -> &Path {
        self.dir.path()
    }
}

const BOTH: &str = "  desired_schedule = \"04:00\"\n  desired_pitr = \"pitr_7\"";
const SCHEDULE_ONLY: &str = "  desired_schedule = \"04:00\"";

fn text(out: &Output) -> (i32, String, String) {
    (
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn drifted_project() -> FakeProject {
    FakeProject {
        schedule: Some("03:00:00".into()),
        pitr_addon: Some("pitr_7".into()),
        ..FakeProject::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_prints_the_drift_and_changes_nothing() {
    let s = Setup::new(drifted_project(), BOTH).await;
    let (code, out, err) = text(&s.apply(&["--venture", "shop", "--dry-run"]).await);
    assert_eq!(code, 1, "drift remains: {out}{err}");
    assert!(out.contains("dry run: nothing is changed"), "{out}");
    assert!(
        out.contains("schedule   04:00:00   03:00:00   drifted"),
        "{out}"
    );
    assert!(out.contains("pitr       pitr_7     pitr_7     ok"), "{out}");
    assert!(
        out.contains("would set the daily backup time from 03:00:00 to 04:00:00 UTC"),
        "{out}"
    );
    assert!(out.contains("3 schedule changes per 24 hours"), "{out}");
    assert_eq!(s.patches(), 0, "a dry run sends no PATCH");
    assert_eq!(s.schedule().as_deref(), Some("03:00:00"));

    let json = s.apply(&["--venture", "shop", "--dry-run", "--json"]).await;
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(json.status.code(), Some(1));
    assert_eq!(v["in_desired_state"], false);
    assert_eq!(v["dry_run"], true);
    assert_eq!(v["settings"][0]["setting"], "schedule");
    assert_eq!(v["settings"][0]["desired"], "04:00:00");
    assert_eq!(v["settings"][0]["actual"], "03:00:00");
    assert_eq!(v["settings"][0]["drifted"], true);
    assert_eq!(v["settings"][0]["action"], "would_change");
    assert_eq!(v["settings"][1]["action"], "none");
    assert_eq!(s.patches(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_converges_the_schedule_and_the_next_run_is_in_the_desired_state() {
    let s = Setup::new(drifted_project(), BOTH).await;
    let (code, out, err) = text(&s.apply(&["--venture", "shop"]).await);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("set the daily backup time from 03:00:00 to 04:00:00 UTC"),
        "{out}"
    );
    assert!(out.contains("3 schedule changes per 24 hours"), "{out}");
    assert!(out.contains("Converged"), "{out}");
    assert_eq!(s.schedule().as_deref(), Some("04:00:00"));
    assert_eq!(s.patches(), 1);

    let (code, out, _) = text(&s.apply(&["--venture", "shop"]).await);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("In the desired state"), "{out}");
    assert_eq!(s.patches(), 1, "nothing to change the second time");

    // The change is in the audit log.
    let url = Secret::new(format!("sqlite:{}/state.db", s.state_db().display()));
    let store = backstop::store::Store::open(&url).await.expect("store");
    let events = store
        .events(&backstop::store::EventFilter::default())
        .await
        .expect("events");
    let e = events
        .iter()
        .find(|e| e.event.kind == "supabase_apply")
        .expect("an audit event");
    assert_eq!(e.event.venture.as_deref(), Some("shop"));
    assert!(
        e.event.message.contains("schedule 03:00:00 -> 04:00:00"),
        "{}",
        e.event.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fourth_change_in_a_day_is_refused_with_the_api_message() {
    let project = FakeProject {
        schedule_changes: vec![Instant::now(); 3],
        ..drifted_project()
    };
    let s = Setup::new(project, SCHEDULE_ONLY).await;
    let (code, out, err) = text(&s.apply(&["--venture", "shop"]).await);
    assert_eq!(code, 1, "drift remains: {out}{err}");
    assert!(
        out.contains("Backup schedule can only be updated 3 times per 24 hours"),
        "the API's own message: {out}"
    );
    assert!(out.contains("the API refused the change"), "{out}");
    assert!(
        out.contains("run `backstop supabase apply --venture shop` again once the oldest change"),
        "{out}"
    );
    assert!(out.contains("Still drifted: schedule"), "{out}");
    assert_eq!(s.schedule().as_deref(), Some("03:00:00"));
    assert_eq!(s.patches(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_without_the_schedule_entitlement_is_explained() {
    let project = FakeProject {
        schedule: None,
        ..FakeProject::default()
    };
    let s = Setup::new(project, SCHEDULE_ONLY).await;
    let (code, out, err) = text(&s.apply(&["--venture", "shop"]).await);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("plan has no backup schedule entitlement"),
        "{out}"
    );
    assert!(out.contains("Feature requires a higher plan"), "{out}");
    assert!(out.contains("remove desired_schedule"), "{out}");
    assert!(out.contains("not on plan"), "{out}");
    assert_eq!(s.patches(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pitr_mismatch_prints_the_dashboard_steps_and_exits_1() {
    let project = FakeProject {
        pitr_addon: None,
        ..FakeProject::default()
    };
    let s = Setup::new(project, BOTH).await;
    let (code, out, err) = text(&s.apply(&["--venture", "shop"]).await);
    assert_eq!(code, 1, "the project stays drifted: {out}{err}");
    for part in [
        "pitr       pitr_7     off        drifted",
        "Project Settings → Add-ons → Point in time recovery",
        "7-day variant",
        "$100/month",
        "Small compute",
        "stops the daily backups",
        "never changes billing",
        "Still drifted: pitr",
    ] {
        assert!(out.contains(part), "{part:?} missing: {out}");
    }
    let calls = s.fake.calls();
    assert!(
        calls.iter().all(|c| c.method == "GET"),
        "billing is never written: {calls:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_non_supabase_ventures_are_clear_errors() {
    let s = Setup::new(FakeProject::default(), BOTH).await;
    let (code, _, err) = text(&s.apply(&["--venture", "shpo"]).await);
    assert_eq!(code, 1);
    assert!(err.contains("unknown venture \"shpo\""), "{err}");
    assert!(err.contains("shop, selfhosted"), "{err}");
    let (code, _, err) = text(&s.apply(&["--venture", "selfhosted"]).await);
    assert_eq!(code, 1);
    assert!(
        err.contains("has no [ventures.backups] of kind \"supabase\""),
        "{err}"
    );
    let json = s.apply(&["--venture", "selfhosted", "--json"]).await;
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(v["exit_code"], 1);
    assert!(s.fake.calls().is_empty());

    let none = Setup::new(FakeProject::default(), "").await;
    let (code, _, err) = text(&none.apply(&["--venture", "shop"]).await);
    assert_eq!(code, 1);
    assert!(err.contains("nothing to apply"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_token_fails_with_exit_2_and_is_never_printed() {
    let s = Setup::new(drifted_project(), BOTH).await;
    let (code, out, err) = text(&s.apply_with(&["--venture", "shop"], BAD_TOKEN).await);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.contains("HTTP 401"), "{out}");
    assert!(out.contains("check the access token"), "{out}");
    assert!(out.contains("Could not finish"), "{out}");
    for text in [&out, &err] {
        assert!(!text.contains(BAD_TOKEN), "{text}");
        assert!(!text.contains(&BAD_TOKEN[4..20]), "{text}");
    }
    assert_eq!(s.patches(), 0);
}

fn config(fake: &FakeSupabase, reference: &str, token: &str) -> SupabaseConfig {
    SupabaseConfig {
        poll_interval: Duration::from_secs(60),
        project_ref: reference.to_owned(),
        token: Secret::new(token),
        api_url: fake.url(),
        desired_schedule: Some(time(4, 0)),
        desired_pitr: Some(PitrPlan::Pitr14),
        allow_in_place_restore: false,
    }
}

fn state() -> SharedState {
    SharedState::new(Snapshot {
        ventures: backstop::state::shared(vec![VentureState {
            name: "demo".into(),
            ..VentureState::default()
        }]),
        ..Snapshot::default()
    })
}

fn poller(cfg: &SupabaseConfig) -> DesiredPoller {
    let limiter = Arc::new(Mutex::new(RateLimiter::new(600)));
    let client =
        SupabaseClient::with_timeout(cfg, limiter, Duration::from_secs(5)).expect("client");
    DesiredPoller::with_client("demo", cfg, client).expect("something is desired")
}

fn encode(state: &SharedState) -> String {
    Metrics::new(state.clone())
        .encode(Format::PrometheusText)
        .expect("encode")
}

const SCHEDULE: [(&str, &str); 2] = [("venture", "demo"), ("setting", "schedule")];
const PITR: [(&str, &str); 2] = [("venture", "demo"), ("setting", "pitr")];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_periodic_read_publishes_config_drift() {
    let fake = FakeSupabase::start(&[TOKEN], 100, Duration::from_secs(60)).await;
    let reference = project_ref(5);
    fake.put(&reference, drifted_project());
    let cfg = config(&fake, &reference, TOKEN);
    let state = state();
    assert!(
        !encode(&state).contains("backstop_config_drift"),
        "unknown: absent"
    );

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(
        poller(&cfg)
            .every(Duration::from_millis(100), Duration::ZERO)
            .run(state.clone(), stopped),
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while sample(&encode(&state), "backstop_config_drift", &SCHEDULE).is_none() {
        assert!(Instant::now() < deadline, "never published");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let body = encode(&state);
    assert_eq!(sample(&body, "backstop_config_drift", &SCHEDULE), Some(1.0));
    assert_eq!(
        sample(&body, "backstop_config_drift", &PITR),
        Some(1.0),
        "pitr_7 is not the desired pitr_14: {body}"
    );

    // The project converges (by hand here); the next reads say so.
    fake.with(&reference, |p| {
        p.schedule = Some("04:00:00".into());
        p.pitr_addon = Some("pitr_14".into());
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let body = encode(&state);
        if sample(&body, "backstop_config_drift", &SCHEDULE) == Some(0.0)
            && sample(&body, "backstop_config_drift", &PITR) == Some(0.0)
        {
            break;
        }
        assert!(Instant::now() < deadline, "never converged: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(true).expect("stop");
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("stops")
        .expect("join");
    let snap = state.load();
    let sb = snap.ventures[0]
        .source
        .as_ref()
        .and_then(|s| s.supabase.as_ref())
        .expect("supabase state");
    assert_eq!(sb.schedule, Some(time(4, 0)));
    assert_eq!(sb.pitr_addon.as_deref(), Some("pitr_14"));
    assert!(
        fake.calls().iter().all(|c| c.method == "GET"),
        "the periodic read never changes anything"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_token_in_the_periodic_read_counts_auth_and_is_never_shown() {
    let fake = FakeSupabase::start(&[TOKEN], 100, Duration::from_secs(60)).await;
    let reference = project_ref(6);
    fake.put(&reference, drifted_project());
    let cfg = config(&fake, &reference, BAD_TOKEN);
    let state = state();
    let err = poller(&cfg).read_once(&state).await.expect_err("401");
    assert_eq!(err.kind(), ErrorKind::Auth);
    let snap = state.load();
    assert_eq!(snap.ventures[0].errors.get(&ErrorKind::Auth), Some(&2));
    let body = encode(&state);
    assert!(!body.contains("backstop_config_drift"), "unknown: {body}");
    assert_eq!(
        sample(
            &body,
            "backstop_errors_total",
            &[("venture", "demo"), ("kind", "auth")]
        ),
        Some(2.0)
    );
    for text in [err.to_string(), format!("{err:?}"), body] {
        assert!(!text.contains(BAD_TOKEN), "{text}");
        assert!(!text.contains(&BAD_TOKEN[4..20]), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_names_the_command_for_each_drifted_setting() {
    let project = FakeProject {
        pitr_addon: None,
        ..drifted_project()
    };
    let s = Setup::new(project, BOTH).await;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_backstop"));
    cmd.args(["check", "--json", "--config"])
        .arg(&s.config)
        .env_remove("SENTRY_DSN")
        .env("BACKSTOP_LOG", "warn")
        .env(TOKEN_ENV, TOKEN);
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("backstop runs"))
        .await
        .expect("join");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "no JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(out.status.code().expect("code") >= 1, "{json:#}");
    let findings: Vec<&serde_json::Value> = json["ventures"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "config_drift")
        .collect();
    assert_eq!(findings.len(), 2, "{json:#}");
    for f in &findings {
        assert_eq!(f["severity"], "warning");
        assert!(
            f["action"]
                .as_str()
                .is_some_and(|a| a.contains("backstop supabase apply --venture shop")),
            "{f}"
        );
    }
    assert!(
        findings.iter().any(|f| f["message"]
            .as_str()
            .is_some_and(|m| m.contains("03:00:00"))),
        "{json:#}"
    );
    assert_eq!(s.patches(), 0, "check only reads");
}
