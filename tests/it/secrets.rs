//! Secrets never leak (DESIGN.md §14): the real agent (`backstop run`) runs with a database
//! password (a real cluster requiring scram for the role), an admin token, Supabase access
//! tokens, a Sentry DSN, a PagerDuty routing key, a Slack URL and a trigger webhook URL, all
//! known; errors are caused on purpose (a wrong password on one endpoint, an unparsable DSN
//! with the password on another, a Supabase 401, a failing drill, a failing command trigger
//! and webhook trigger, a write with a wrong token, a second agent that cannot listen), then
//! every output is searched for every secret: the agents' stdout and stderr, `/metrics`, every
//! GET route on the agent, `backstop report` (md, html, json), `backstop check --json`, and the
//! bodies the Sentry, PagerDuty, Slack and trigger webhook fakes received. Nothing may contain
//! any of them.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::fake_http::{FakeHttp, Recorded, Reply};
use crate::harness::http::{get, sample};
use crate::harness::supabase_api::{project_ref, FakeBackup, FakeProject, FakeSupabase};
use crate::harness::{self};

const PASSWORD: &str = "pw-SECRET-right-8731";
const WRONG_PASSWORD: &str = "pw-SECRET-wrong-2290";
const ADMIN_TOKEN: &str = "admin-SECRET-token-5577";
const WRONG_ADMIN_TOKEN: &str = "admin-SECRET-guess-6688";
const SUPABASE_TOKEN: &str = "sbp_SECRET_good_0123456789abcdef0123";
const REVOKED_TOKEN: &str = "sbp_SECRET_revoked_fedcba9876543210ff";
const SENTRY_KEY: &str = "sentrykeySECRET0042";
const PD_KEY: &str = "pdkey-SECRET-0123456789abcdef0123";
const SLACK_TOKEN: &str = "slacktoken-SECRET-xoxo-77";
const HOOK_TOKEN: &str = "hooktoken-SECRET-trigger-31";

/// Every secret the agent is given, with a name for messages.
const SECRETS: [(&str, &str); 10] = [
    ("database password", PASSWORD),
    ("wrong database password", WRONG_PASSWORD),
    ("admin token", ADMIN_TOKEN),
    ("wrong admin token", WRONG_ADMIN_TOKEN),
    ("Supabase token", SUPABASE_TOKEN),
    ("revoked Supabase token", REVOKED_TOKEN),
    ("Sentry key", SENTRY_KEY),
    ("PagerDuty routing key", PD_KEY),
    ("Slack webhook token", SLACK_TOKEN),
    ("trigger webhook token", HOOK_TOKEN),
];

/// A `pgbackrest` whose `info` lists no stanza and whose `restore` fails after a moment.
const FAKE_PGBACKREST: &str = "#!/bin/sh\ncase \"$*\" in\n*restore*) sleep 1; echo 'ERROR: [055]: fake restore failure' >&2; exit 55 ;;\n*) echo '[]' ;;\nesac\n";

/// Makes the role `app` (superuser) with [`PASSWORD`] and requires scram for it over TCP.
async fn require_password(cluster: &backstop::postgres::ScratchCluster) {
    cluster
        .exec(&format!(
            "CREATE ROLE app LOGIN SUPERUSER PASSWORD '{PASSWORD}'"
        ))
        .await
        .expect("create role");
    let hba = cluster.data_dir().join("pg_hba.conf");
    std::fs::write(
        &hba,
        "local all all trust\nhost all app 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 trust\n",
    )
    .expect("write pg_hba.conf");
    cluster
        .exec("SELECT pg_reload_conf()")
        .await
        .expect("reload");
}

fn config(root: &Path, port: u16, pd: &FakeHttp, supabase: &FakeSupabase) -> std::path::PathBuf {
    let fake = root.join("fake-pgbackrest");
    std::fs::write(&fake, FAKE_PGBACKREST).expect("fake pgbackrest");
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let toml = format!(
        r#"[agent]
listen = "127.0.0.1:{port}"
state = "sqlite:{state}"
scratch_dir = "{scratch}"
admin_token_env = "SECRETS_ADMIN_TOKEN"
poll_interval = "1s"

[[notify]]
kind = "pagerduty"
routing_key_env = "SECRETS_PD_KEY"
min_severity = "info"
url = "http://{pd}/v2/enqueue"

[[notify]]
kind = "slack"
url_env = "SECRETS_SLACK_URL"
min_severity = "info"

[[ventures]]
name = "acme"
  [[ventures.endpoints]]
  name = "pg1"
  dsn_env = "SECRETS_PG1_DSN"
  [[ventures.endpoints]]
  name = "pg2"
  dsn_env = "SECRETS_PG2_DSN"
  role = "standby"
  [[ventures.endpoints]]
  name = "pg3"
  dsn_env = "SECRETS_PG3_DSN"
  role = "standby"
  [ventures.backups]
  kind = "pgbackrest"
  stanza = "acme"
  command = "{fake}"
  poll_interval = "1s"
  [ventures.drill]
  timeout = "60s"
  [[ventures.triggers]]
  when = "drill_failed"
  run = "echo restoring failed; exit 3"
  cooldown = "1s"
  timeout = "10s"
  [[ventures.triggers]]
  when = "drill_failed"
  webhook_url_env = "SECRETS_HOOK_URL"
  cooldown = "1s"
  timeout = "10s"

[[ventures]]
name = "shop"
  [ventures.backups]
  kind = "supabase"
  project_ref = "{shop}"
  token_env = "SECRETS_SHOP_TOKEN"
  api_url = "{api}"
  poll_interval = "1s"

[[ventures]]
name = "revoked"
  [ventures.backups]
  kind = "supabase"
  project_ref = "{revoked}"
  token_env = "SECRETS_REVOKED_TOKEN"
  api_url = "{api}"
  poll_interval = "1s"
"#,
        state = root.join("state.db").display(),
        scratch = root.join("scratch").display(),
        pd = pd.addr,
        fake = fake.display(),
        shop = project_ref(1),
        revoked = project_ref(2),
        api = supabase.url(),
    );
    let path = root.join("backstop.toml");
    std::fs::write(&path, toml).expect("config");
    path
}

/// The environment holding every secret.
fn env(port: u16, sentry: &FakeHttp, slack: &FakeHttp, hook: &FakeHttp) -> Vec<(String, String)> {
    let dsn = |pw: &str| format!("postgres://app:{pw}@127.0.0.1:{port}/postgres?sslmode=disable");
    [
        ("SECRETS_PG1_DSN", dsn(PASSWORD)),
        ("SECRETS_PG2_DSN", dsn(WRONG_PASSWORD)),
        // Unparsable (a port that is no number): the parser's complaint must not echo it.
        (
            "SECRETS_PG3_DSN",
            format!("postgres://app:{PASSWORD}@127.0.0.1:port{port}/postgres"),
        ),
        ("SECRETS_ADMIN_TOKEN", ADMIN_TOKEN.to_owned()),
        ("SECRETS_SHOP_TOKEN", SUPABASE_TOKEN.to_owned()),
        ("SECRETS_REVOKED_TOKEN", REVOKED_TOKEN.to_owned()),
        ("SECRETS_PD_KEY", PD_KEY.to_owned()),
        (
            "SECRETS_SLACK_URL",
            format!("http://{}/services/T000/B000/{SLACK_TOKEN}", slack.addr),
        ),
        (
            "SECRETS_HOOK_URL",
            format!("http://{}/hooks/{HOOK_TOKEN}?key={HOOK_TOKEN}", hook.addr),
        ),
        (
            "SENTRY_DSN",
            format!("http://{SENTRY_KEY}@{}/42", sentry.addr),
        ),
        ("RUST_LOG", "debug".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// Runs `backstop ARGS` to completion; stdout and stderr together.
fn backstop(args: &[&str], env: &[(String, String)]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .output()
        .expect("backstop runs");
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The running agent; killed if the test fails before stopping it.
struct Agent(std::process::Child);

impl Drop for Agent {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

async fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn post(addr: std::net::SocketAddr, path: &str, token: &str) -> (u16, String) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let resp = client
        .post(format!("http://{addr}{path}"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("POST");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

fn bodies(name: &str, requests: &[Recorded]) -> Vec<(String, String)> {
    requests
        .iter()
        .map(|r| (format!("{name} {} {}", r.method, r.path), r.text()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_any_output() {
    let root = harness::root();
    let pg = harness::started(root.path(), "pg1", &[]).await;
    require_password(&pg).await;

    let sentry = FakeHttp::start(200, "{}").await;
    let pd = FakeHttp::start(
        202,
        r#"{"status":"success","message":"Event processed","dedup_key":"k"}"#,
    )
    .await;
    let slack = FakeHttp::scripted(vec![Reply::text(200, "ok")]).await;
    // The webhook trigger's endpoint fails: the trigger's error must not carry its URL.
    let hook = FakeHttp::start(500, r#"{"error":"down"}"#).await;
    let supabase = FakeSupabase::start(&[SUPABASE_TOKEN], 1000, Duration::from_secs(60)).await;
    for i in [1, 2] {
        supabase.put(
            &project_ref(i),
            FakeProject {
                backups: vec![FakeBackup::completed("2026-11-26T04:00:00Z")],
                ..FakeProject::default()
            },
        );
    }

    let port = free_port();
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let config = config(root.path(), port, &pd, &supabase);
    let config_arg = config.to_str().expect("utf-8").to_owned();
    let env = env(pg.port(), &sentry, &slack, &hook);
    let checked = tokio::task::block_in_place(|| {
        backstop(&["config", "check", "--config", &config_arg], &env)
    });
    assert!(checked.contains("ok:"), "{checked}");

    let stdout = root.path().join("agent.stdout");
    let stderr = root.path().join("agent.stderr");
    let mut agent = Agent(
        Command::new(env!("CARGO_BIN_EXE_backstop"))
            .args(["run", "--config", &config_arg])
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout).expect("stdout file"))
            .stderr(std::fs::File::create(&stderr).expect("stderr file"))
            .spawn()
            .expect("spawn backstop run"),
    );
    wait_for("the agent to listen", Duration::from_secs(30), || {
        std::net::TcpStream::connect(addr).is_ok()
    })
    .await;

    // The errors: pg2's wrong password and the revoked token happen on their own; a write with
    // a wrong token, then a drill whose restore fails (drill_failed: notifications, trigger).
    let (status, refused) = post(addr, "/api/v1/ventures/acme/drills", WRONG_ADMIN_TOKEN).await;
    assert_eq!(status, 401, "{refused}");
    let (status, accepted) = post(addr, "/api/v1/ventures/acme/drills", ADMIN_TOKEN).await;
    assert_eq!(status, 202, "{accepted}");

    let deadline = Duration::from_secs(60);
    wait_for("the revoked token's 401", deadline, || {
        supabase.calls().iter().any(|c| c.status == 401)
    })
    .await;
    wait_for("drill_failed at PagerDuty and Slack", deadline, || {
        pd.requests()
            .iter()
            .any(|r| r.text().contains("drill_failed"))
            && !slack.requests().is_empty()
    })
    .await;
    let deadline_at = Instant::now() + deadline;
    let metrics = loop {
        let metrics = get(addr, "/metrics", &[]).await.body;
        let failed = |trigger: &str| {
            sample(
                &metrics,
                "backstop_trigger_runs_total",
                &[
                    ("venture", "acme"),
                    ("trigger", trigger),
                    ("outcome", "failed"),
                ],
            )
            .is_some_and(|n| n >= 1.0)
        };
        let triggers_failed = failed("drill_failed") && failed("drill_failed_2");
        let pg2_down = sample(
            &metrics,
            "backstop_endpoint_poll_up",
            &[("venture", "acme"), ("endpoint", "pg2")],
        );
        let pg1_up = sample(
            &metrics,
            "backstop_endpoint_poll_up",
            &[("venture", "acme"), ("endpoint", "pg1")],
        );
        let revoked_down = sample(&metrics, "backstop_source_up", &[("venture", "revoked")]);
        if triggers_failed
            && pg2_down == Some(0.0)
            && pg1_up == Some(1.0)
            && revoked_down == Some(0.0)
        {
            break metrics;
        }
        assert!(
            Instant::now() < deadline_at,
            "no failed run of both triggers, pg1 not up, pg2 or the revoked source not down:\n{metrics}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // An error-level failure for Sentry: a second agent cannot listen on the first one's port.
    let second = tokio::task::block_in_place(|| backstop(&["run", "--config", &config_arg], &env));
    assert!(second.contains("cannot listen on"), "{second}");
    wait_for("an error event and check-ins at Sentry", deadline, || {
        sentry
            .requests()
            .iter()
            .any(|r| r.path == "/api/42/envelope/" && r.text().contains("\"type\":\"event\""))
            && sentry
                .requests()
                .iter()
                .any(|r| r.text().contains("\"type\":\"check_in\""))
    })
    .await;

    // Every GET the agent answers, and a path it does not.
    let mut outputs: Vec<(String, String)> = vec![
        ("/metrics".into(), metrics),
        ("second backstop run".into(), second),
        ("POST drills, wrong token".into(), refused),
        ("POST drills".into(), accepted),
    ];
    let mut paths = vec![
        "/".to_owned(),
        "/healthz".to_owned(),
        "/readyz".to_owned(),
        "/no-such-page".to_owned(),
    ];
    for v in ["acme", "shop", "revoked"] {
        paths.push(format!("/api/v1/ventures/{v}/primary"));
    }
    for e in ["pg1", "pg2", "pg3"] {
        paths.push(format!("/health/acme/{e}/primary"));
        paths.push(format!("/health/acme/{e}/replica"));
    }
    for path in paths {
        let r = get(
            addr,
            &path,
            &[("Authorization", &format!("Bearer {ADMIN_TOKEN}"))],
        )
        .await;
        let headers: Vec<String> = r.headers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        outputs.push((
            format!("GET {path}"),
            format!("{}\n{}", headers.join("\n"), r.body),
        ));
    }

    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(i32::try_from(agent.0.id()).expect("pid")),
        nix::sys::signal::Signal::SIGTERM,
    );
    let _ = agent.0.wait();
    let stdout = std::fs::read_to_string(&stdout).expect("agent stdout");
    let stderr = std::fs::read_to_string(&stderr).expect("agent stderr");
    assert!(
        stderr.contains("password authentication failed")
            || stdout.contains("password authentication failed"),
        "pg2's wrong password was not reported:\n{stderr}"
    );
    outputs.push(("agent stdout".into(), stdout));
    outputs.push(("agent stderr".into(), stderr));

    for venture in ["acme", "shop", "revoked"] {
        for format in ["md", "html", "json"] {
            let args = [
                "report",
                "--venture",
                venture,
                "--format",
                format,
                "--config",
                &config_arg,
            ];
            let out = tokio::task::block_in_place(|| backstop(&args, &env));
            outputs.push((format!("report {venture} {format}"), out));
        }
    }
    let check = tokio::task::block_in_place(|| {
        backstop(&["check", "--json", "--config", &config_arg], &env)
    });
    assert!(
        check.contains("acme") && check.contains("revoked"),
        "{check}"
    );
    outputs.push(("check --json".into(), check));

    outputs.extend(bodies("Sentry", &sentry.requests()));
    outputs.extend(bodies("Slack", &slack.requests()));
    let hook_bodies = bodies("trigger webhook", &hook.requests());
    assert!(!hook_bodies.is_empty(), "the webhook trigger never ran");
    outputs.extend(hook_bodies);
    // PagerDuty's Events API takes the routing key in the body: that one is expected there.
    let pd_bodies = bodies("PagerDuty", &pd.requests());
    for (name, body) in &pd_bodies {
        assert!(body.contains(PD_KEY), "{name}: no routing key: {body}");
        let without_key = body.replace(&format!("\"routing_key\":\"{PD_KEY}\""), "");
        outputs.push((name.clone(), without_key));
    }

    let mut leaks = Vec::new();
    for (source, text) in &outputs {
        for (what, secret) in SECRETS {
            if let Some(at) = text.find(secret) {
                let from = text[..at]
                    .char_indices()
                    .rev()
                    .nth(80)
                    .map_or(0, |(i, _)| i);
                let to = (at + secret.len() + 80).min(text.len());
                let to = (to..=text.len())
                    .find(|&i| text.is_char_boundary(i))
                    .unwrap_or(text.len());
                leaks.push(format!("{source}: the {what}: …{}…", &text[from..to]));
            }
        }
    }
    assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.join("\n"));
    assert!(
        outputs.len() > 25,
        "too few outputs searched: {:?}",
        outputs.iter().map(|(s, _)| s).collect::<Vec<_>>()
    );
}
