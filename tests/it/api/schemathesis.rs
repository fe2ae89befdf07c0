//! schemathesis (PyPI, pinned in `scripts/deps.sh test`, in the venv `target/venv-test`) against
//! the agent's own `/api/v1/openapi.json`: every documented operation, with generated and
//! example inputs and the admin token, answers without a server error (no 5xx). The venture
//! parameter is narrowed to the configured ventures plus an unknown one, so the generated
//! requests reach real handlers: a pgBackRest venture (its `pgbackrest` a fake that lists no
//! backups and fails restores) and a Supabase project on the fake Management API. Excluded:
//! `…/primary`, whose documented answer without a primary is 503.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use backstop::config;
use serde_json::Value;

use super::client::Client;
use crate::harness::supabase_api::{FakeProject, FakeSupabase};
use crate::harness::{self};

const ADMIN: &str = "admin-T0ken-schemathesis-2207";
const SB_TOKEN: &str = "sbp_schemathesis0123456789abcdef01234567";
const REF: &str = "stststststststststst";
const FAKE: &str = "#!/bin/sh\ncase \"$*\" in\n*restore*) sleep 1; echo 'ERROR: [055]: fake restore failure' >&2; exit 55 ;;\n*) echo '[]' ;;\nesac\n";

/// The schemathesis CLI of the test venv, or a failure saying how to create it.
fn st() -> PathBuf {
    let st = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/venv-test/bin/st");
    assert!(
        st.exists(),
        "schemathesis is not installed in target/venv-test: run scripts/deps.sh test"
    );
    st
}

/// One worker: with two, Python 3.11's `ast.parse` (which hypothesis calls to describe
/// schemathesis's filters) runs in two threads at once and its per-interpreter depth counter
/// breaks ("AST constructor recursion depth mismatch", CPython gh-106905).
const WORKERS: &str = "1";

/// Narrows every `venture` path parameter to `names`.
fn narrow(doc: &mut Value, names: &[&str]) {
    let Some(paths) = doc["paths"].as_object_mut() else {
        panic!("no paths");
    };
    for item in paths.values_mut() {
        for op in item.as_object_mut().expect("operations").values_mut() {
            let params = op.get_mut("parameters").and_then(Value::as_array_mut);
            for p in params.into_iter().flatten() {
                if p["name"] == "venture" {
                    p["schema"] = serde_json::json!({"type": "string", "enum": names});
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error() {
    harness::init_logs();
    let st = st();
    let root = harness::root();
    let fake = root.path().join("fake-pgbackrest");
    std::fs::write(&fake, FAKE).expect("fake");
    std::fs::set_permissions(
        &fake,
        <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o755),
    )
    .expect("chmod");
    let api = FakeSupabase::start(&[SB_TOKEN], 1000, Duration::from_secs(60)).await;
    let now = chrono::Utc::now().timestamp();
    api.put(REF, FakeProject::with_pitr(now - 86_400, now - 120));
    let toml = format!(
        "[agent]\nlisten = \"127.0.0.1:0\"\nstate = \"sqlite:{state}\"\nadmin_token_env = \"S_ADMIN\"\n\
         scratch_dir = \"{scratch}\"\n\n\
         [[ventures]]\nname = \"acme\"\n  [ventures.backups]\n  kind = \"pgbackrest\"\n  stanza = \"acme\"\n  \
         command = \"{fake}\"\n  poll_interval = \"1h\"\n  [ventures.drill]\n  timeout = \"30s\"\n\n\
         [[ventures]]\nname = \"shop\"\n  [ventures.backups]\n  kind = \"supabase\"\n  project_ref = \"{REF}\"\n  \
         token_env = \"S_SB_TOKEN\"\n  api_url = \"{url}\"\n",
        state = root.path().join("state.db").display(),
        scratch = root.path().join("scratch").display(),
        fake = fake.display(),
        url = api.url(),
    );
    let env: HashMap<String, String> = [
        ("S_ADMIN".to_owned(), ADMIN.to_owned()),
        ("S_SB_TOKEN".to_owned(), SB_TOKEN.to_owned()),
    ]
    .into();
    let cfg =
        config::load_str(&toml, "st.toml", &|k: &str| env.get(k).cloned()).expect("config loads");
    let agent = backstop::agent::start(&cfg).await.expect("agent starts");
    let c = Client::new(agent.addr);
    let mut doc = c.get("/api/v1/openapi.json", 200).await;
    narrow(&mut doc, &["acme", "shop", "nope"]);
    let schema = root.path().join("openapi.json");
    std::fs::write(&schema, doc.to_string()).expect("schema");

    let started = Instant::now();
    let run = tokio::process::Command::new(&st)
        .arg("run")
        .arg(&schema)
        .args(["--url", &format!("http://{}", agent.addr)])
        .args(["--checks", "not_a_server_error"])
        .args([
            "--max-examples",
            "8",
            "--seed",
            "20261127",
            "--workers",
            WORKERS,
        ])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args([
            "--request-timeout",
            "15",
            "--generation-database",
            "none",
            "--no-color",
        ])
        .args(["-H", &format!("Authorization: Bearer {ADMIN}")])
        // `…/primary` answers 503 by design when a venture has no primary (for clients that
        // treat it like a load-balancer check); these ventures have no endpoints at all.
        .args(["--exclude-path", "/api/v1/ventures/{venture}/primary"])
        .current_dir(root.path())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("schemathesis finishes within 120 s")
        .expect("schemathesis runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "schemathesis found problems ({:?}):\n{text}",
        out.status
    );
    // "450 generated, 450 passed": every generated case ran and passed.
    let counts = text
        .lines()
        .find(|l| l.contains(" generated, "))
        .unwrap_or_else(|| panic!("no test-case summary:\n{text}"));
    let numbers: Vec<u64> = counts
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert!(
        numbers.len() == 2 && numbers[0] == numbers[1] && numbers[0] >= 100,
        "{counts}"
    );
    let elapsed = started.elapsed();
    eprintln!(
        "schemathesis: {elapsed:?}\n{}",
        text.lines().rev().take(12).collect::<Vec<_>>().join("\n")
    );
    agent.shutdown().await.expect("shutdown");
}
