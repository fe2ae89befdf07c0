//! `backstop failover` against a real pair: `--dry-run` says what it would do, `--planned` stops
//! the old primary with the fence command, waits for the standby to replay everything and
//! promotes it (no acknowledged write lost), and `--clear-fence` is audited.

use std::process::{Command, Output};

use backstop::store::{EventFilter, Store};

use crate::harness::replica::Pair;
use crate::harness::{self};

fn failover(config: &std::path::Path, pair: &Pair, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backstop"))
        .arg("failover")
        .args([
            "--venture",
            "acme",
            "--config",
            config.to_str().expect("utf-8"),
        ])
        .args(args)
        .env("ACME_PG1_DSN", pair.primary_dsn().expose())
        .env("ACME_PG2_DSN", pair.standby_dsn().expose())
        .env_remove("SENTRY_DSN")
        .output()
        .expect("run backstop failover")
}

fn stdout(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A fence command that stops `data_dir` with a fast shutdown (as the server user when root).
fn stop_command(data_dir: &std::path::Path) -> String {
    let bindir = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "/usr/lib/postgresql/15/bin".to_owned());
    let stop = format!("{bindir}/pg_ctl -D {} -m fast -w stop", data_dir.display());
    if backstop::postgres::scratch::runs_as_postgres().unwrap_or(false) {
        format!("runuser -u postgres -- {stop}")
    } else {
        stop
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planned_switchover_dry_run_and_clear_fence() {
    harness::init_logs();
    let root = harness::root();
    let pair = Pair::start(root.path()).await;
    let state_db = root.path().join("state.db");
    let config = root.path().join("manual.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[agent]
listen = "127.0.0.1:0"
state = "sqlite:{}"

[[ventures]]
name = "acme"
  [[ventures.endpoints]]
  name = "pg1"
  role = "primary"
  [[ventures.endpoints]]
  name = "pg2"
  role = "standby"
  [ventures.failover]
  mode = "manual"
  probe_interval = "200ms"
  fence_command = "{}"
"#,
            state_db.display(),
            stop_command(&pair.primary.data_dir())
        ),
    )
    .expect("config");

    let dry = failover(&config, &pair, &["--dry-run"]);
    assert_eq!(dry.status.code(), Some(0), "{}", stdout(&dry));
    assert!(
        stdout(&dry).contains("would switch over (planned) from pg1 to pg2"),
        "{}",
        stdout(&dry)
    );
    assert!(pair.primary.is_running());

    // An acknowledged write right before the switchover survives it.
    let primary = pair.primary.client().await.expect("primary");
    primary
        .batch_execute(
            "CREATE TABLE acked (n int); INSERT INTO acked SELECT generate_series(1, 1000)",
        )
        .await
        .expect("write");
    drop(primary);
    let planned = failover(&config, &pair, &["--planned"]);
    assert_eq!(planned.status.code(), Some(0), "{}", stdout(&planned));
    assert!(
        stdout(&planned).starts_with("completed"),
        "{}",
        stdout(&planned)
    );
    let standby = pair.standby.client().await.expect("standby");
    let row = standby
        .query_one(
            "SELECT pg_is_in_recovery(), (SELECT count(*) FROM acked)",
            &[],
        )
        .await
        .expect("query the new primary");
    assert!(!row.get::<_, bool>(0));
    assert_eq!(row.get::<_, i64>(1), 1000);

    let store = Store::open(&backstop::secret::Secret::new(format!(
        "sqlite:{}",
        state_db.display()
    )))
    .await
    .expect("store");
    let now = chrono::Utc::now();
    let all = store
        .failovers("acme", now - chrono::TimeDelta::hours(1), now)
        .await
        .expect("failovers");
    assert_eq!(all.len(), 1);
    assert!(all[0].planned);
    assert!(
        all[0]
            .steps
            .iter()
            .any(|s| s.detail.contains("replayed the old primary's WAL")),
        "{:?}",
        all[0].steps
    );
    let roles = store.endpoint_roles(Some("acme")).await.expect("roles");
    assert!(roles.iter().any(|r| r.endpoint == "pg1" && r.fenced));

    // Nothing left to switch to: refused.
    let again = failover(&config, &pair, &["--dry-run"]);
    assert_eq!(again.status.code(), Some(1), "{}", stdout(&again));

    let cleared = failover(&config, &pair, &["--clear-fence", "pg1"]);
    assert_eq!(cleared.status.code(), Some(0), "{}", stdout(&cleared));
    let roles = store.endpoint_roles(Some("acme")).await.expect("roles");
    assert!(roles.iter().any(|r| r.endpoint == "pg1" && !r.fenced));
    let events = store
        .events(&EventFilter {
            kind: Some("fence_cleared".into()),
            ..Default::default()
        })
        .await
        .expect("events");
    assert_eq!(events.len(), 1);
    assert!(events[0].event.actor.starts_with("cli:"));
    let twice = failover(&config, &pair, &["--clear-fence", "pg1"]);
    assert_eq!(twice.status.code(), Some(1), "{}", stdout(&twice));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_failover_endpoint_needs_the_token_and_answers_like_the_cli() {
    harness::init_logs();
    let root = harness::root();
    let pair = Pair::start(root.path()).await;
    let token_file = root.path().join("token");
    std::fs::write(&token_file, "failover-token-7\n").expect("token");
    let toml = format!(
        r#"
[agent]
listen = "127.0.0.1:0"
state = "sqlite:{}"
admin_token_file = "{}"

[[ventures]]
name = "acme"
  [[ventures.endpoints]]
  name = "pg1"
  role = "primary"
  [[ventures.endpoints]]
  name = "pg2"
  role = "standby"
  [ventures.failover]
  mode = "manual"
  fence_command = "true"
"#,
        root.path().join("state.db").display(),
        token_file.display()
    );
    let env: std::collections::HashMap<String, String> = [
        (
            "ACME_PG1_DSN".to_string(),
            pair.primary_dsn().expose().to_owned(),
        ),
        (
            "ACME_PG2_DSN".to_string(),
            pair.standby_dsn().expose().to_owned(),
        ),
    ]
    .into();
    let config = backstop::config::load_str(&toml, "api.toml", &|k: &str| env.get(k).cloned())
        .expect("config");
    let agent = backstop::agent::start(&config).await.expect("agent");
    let client = reqwest::Client::new();
    let url = format!("http://{}/api/v1/ventures/acme/failover", agent.addr);
    let post = |token: Option<&'static str>, body: &'static str| {
        let mut req = client
            .post(&url)
            .header("content-type", "application/json")
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        async move {
            let resp = req.send().await.expect("POST");
            (resp.status().as_u16(), resp.text().await.expect("body"))
        }
    };
    assert_eq!(post(None, r#"{"dry_run": true}"#).await.0, 401);
    let (status, body) = post(Some("failover-token-7"), r#"{"dry_run": true}"#).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("\"dry_run\"") && body.contains("pg2"),
        "{body}"
    );
    let (status, body) = post(Some("failover-token-7"), r#"{"clear_fence": "pg1"}"#).await;
    assert_eq!(status, 409, "{body}");
    let (status, _) = post(
        Some("failover-token-7"),
        r#"{"planned": true, "force": true}"#,
    )
    .await;
    assert_eq!(status, 400);
    // Nothing changed: pg2 is still a standby.
    let standby = pair.standby.client().await.expect("standby");
    let row = standby
        .query_one("SELECT pg_is_in_recovery()", &[])
        .await
        .expect("query");
    assert!(row.get::<_, bool>(0));
    agent.shutdown().await.expect("stops");
}
