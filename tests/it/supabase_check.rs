//! `backstop check --json` polls a Supabase venture's project once (backups, status, health)
//! through the real CLI: a restoring project and a window shorter than its objective are named,
//! a healthy project with a fresh window is not, and the token never appears in the output.

use std::process::Command;
use std::time::Duration;

use crate::harness::supabase_api::{project_ref, FakeProject, FakeSupabase};

const TOKEN: &str = "sbp_c4ec0123456789abcdef0123456789abcdef0123";
const TOKEN_ENV: &str = "CHECK_SUPABASE_TOKEN";

/// Runs `backstop check --json` for one Supabase venture on `project`; returns the findings'
/// rule names, the exit code and the whole output.
async fn check(project: FakeProject, objectives: &str) -> (Vec<String>, i32, String) {
    let fake = FakeSupabase::start(&[TOKEN], 100, Duration::from_secs(60)).await;
    let reference = project_ref(7);
    fake.put(&reference, project);
    let dir = crate::harness::root();
    let config = dir.path().join("backstop.toml");
    std::fs::write(
        &config,
        format!(
            "[agent]\nstate = \"sqlite:{}/state.db\"\n\n[[ventures]]\nname = \"shop\"\n{objectives}\n  [ventures.backups]\n  kind = \"supabase\"\n  project_ref = \"{reference}\"\n  token_env = \"{TOKEN_ENV}\"\n  api_url = \"{}\"\n",
            dir.path().display(),
            fake.url()
        ),
    )
    .expect("write config");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_backstop"));
    cmd.args(["check", "--json", "--config"])
        .arg(&config)
        .env_remove("SENTRY_DSN")
        .env("BACKSTOP_LOG", "warn")
        .env(TOKEN_ENV, TOKEN);
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("backstop runs"))
        .await
        .expect("join");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("no JSON ({e}): {text}"));
    let rules = json["ventures"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str().map(str::to_owned))
        .collect();
    assert!(
        fake.calls()
            .iter()
            .any(|c| c.path.ends_with("/database/backups")),
        "check polled the backups"
    );
    (rules, out.status.code().expect("exit code"), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_polls_the_project_and_names_what_is_wrong() {
    let now = chrono::Utc::now().timestamp();
    let objectives = "pitr_window = \"7d\"\nrpo = \"15m\"\nretention = { daily = 3 }";

    let healthy = FakeProject::with_pitr(now - 8 * 86_400, now - 60);
    let (rules, code, text) = check(healthy, objectives).await;
    for bad in [
        "project_unhealthy",
        "db_unhealthy",
        "pitr_window_short",
        "source_down",
        "source_auth",
    ] {
        assert!(
            !rules.iter().any(|r| r == bad),
            "{bad} in {rules:?}: {text}"
        );
    }
    assert!(!text.contains(TOKEN), "token in output: {text}");

    let mut restoring = FakeProject::with_pitr(now - 2 * 86_400, now - 60);
    restoring.status = ["RESTORING".to_string()].into();
    restoring.db_health = "UNHEALTHY".into();
    let (rules, code2, text) = check(restoring, objectives).await;
    for expected in ["project_unhealthy", "db_unhealthy", "pitr_window_short"] {
        assert!(
            rules.iter().any(|r| r == expected),
            "{expected} missing from {rules:?}: {text}"
        );
    }
    assert!(
        code2 > code || code2 == 2,
        "exit {code2} after {code}: {text}"
    );
}
