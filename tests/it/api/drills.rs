//! The write API over real HTTP against `agent::start`: `POST /api/v1/ventures/{v}/drills` needs
//! the admin token (401 without or with a wrong one, with no detail), is refused with 403 when
//! no token is configured, answers 404 for an unknown venture, 202 with the recorded drill's id,
//! 409 while that drill runs, 400 for a bad body, and 429 with `Retry-After` once the write rate
//! limit is used up. The drill restores with a fake `pgbackrest` that fails after 3 s.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::harness;

const TOKEN: &str = "admin-token-SECRET-5150";
const FAKE: &str = "#!/bin/sh\ncase \"$*\" in\n*restore*) sleep 3; echo 'ERROR: [055]: fake restore failure' >&2; exit 55 ;;\n*) echo '[]' ;;\nesac\n";

fn config(root: &Path, name: &str, token: bool) -> backstop::config::Config {
    let fake = root.join("fake-pgbackrest");
    std::fs::write(&fake, FAKE).expect("fake");
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let token_file = root.join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).expect("token");
    let toml = format!(
        "[agent]\nlisten = \"127.0.0.1:0\"\nstate = \"sqlite:{state}\"\nscratch_dir = \"{scratch}\"\n{token}\n\
         [[ventures]]\nname = \"acme\"\n  [ventures.backups]\n  kind = \"pgbackrest\"\n  stanza = \"acme\"\n  \
         command = \"{fake}\"\n  poll_interval = \"1h\"\n  [ventures.drill]\n  timeout = \"60s\"\n",
        state = root.join(format!("{name}.db")).display(),
        scratch = root.join("scratch").display(),
        token = if token {
            format!("admin_token_file = \"{}\"", token_file.display())
        } else {
            String::new()
        },
        fake = fake.display(),
    );
    let path = root.join(format!("{name}.toml"));
    std::fs::write(&path, toml).expect("config");
    backstop::config::load(Some(&path)).expect("config loads")
}

struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: String,
}

async fn post(addr: std::net::SocketAddr, path: &str, token: Option<&str>, body: &str) -> Answer {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let mut req = client
        .post(format!("http://{addr}{path}"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("POST");
    Answer {
        status: resp.status().as_u16(),
        retry_after: resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: resp.text().await.expect("body"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_drill_endpoint_authenticates_limits_and_starts_drills() {
    harness::init_logs();
    let root = harness::root();
    let agent = backstop::agent::start(&config(root.path(), "with-token", true))
        .await
        .expect("agent starts");
    let drills = agent.drills.clone();
    let path = "/api/v1/ventures/acme/drills";

    let none = post(agent.addr, path, None, "").await;
    let wrong = post(agent.addr, path, Some("admin-token-SECRET-5151"), "").await;
    for a in [&none, &wrong] {
        assert_eq!(a.status, 401, "{}", a.body);
        assert_eq!(a.body, r#"{"error":"unauthorized"}"#);
    }

    let unknown = post(agent.addr, "/api/v1/ventures/nope/drills", Some(TOKEN), "").await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);

    let bad = post(agent.addr, path, Some(TOKEN), r#"{"to": "yesterday"}"#).await;
    assert_eq!(bad.status, 400, "{}", bad.body);

    let started = post(agent.addr, path, Some(TOKEN), "").await;
    assert_eq!(started.status, 202, "{}", started.body);
    let json: serde_json::Value = serde_json::from_str(&started.body).expect("JSON");
    assert_eq!(json["venture"], "acme");
    assert_eq!(json["status"], "started");
    let id = json["id"].as_i64().expect("the recorded drill's id");

    let busy = post(agent.addr, path, Some(TOKEN), "").await;
    assert_eq!(busy.status, 409, "{}", busy.body);
    assert!(busy.body.contains("already running"), "{}", busy.body);

    // 6 writes so far; the limit is 10 a minute (guessing tokens counts too).
    let mut limited = None;
    for _ in 0..5 {
        let a = post(agent.addr, path, Some("guess"), "").await;
        if a.status == 429 {
            limited = Some(a);
            break;
        }
        assert_eq!(a.status, 401);
    }
    let limited = limited.expect("429 within the limit");
    let retry: u64 = limited
        .retry_after
        .as_deref()
        .and_then(|v| v.parse().ok())
        .expect("Retry-After seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    for a in [&none, &wrong, &unknown, &bad, &started, &busy, &limited] {
        assert!(!a.body.contains(TOKEN), "the token leaked: {}", a.body);
    }

    // The drill ran in the background and failed at the fake restore.
    let deadline = Instant::now() + Duration::from_secs(60);
    let drill = loop {
        let last = drills.store.last_drill("acme").await.expect("store");
        if let Some(d) = last.filter(|d| d.id == id) {
            break d;
        }
        assert!(Instant::now() < deadline, "drill {id} did not finish");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(drill.outcome, "failed");
    assert!(
        drill
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("restore failed")),
        "{drill:?}"
    );

    // Without an admin token writes are disabled.
    let other = tempfile::tempdir_in(root.path()).expect("dir");
    let open = backstop::agent::start(&config(other.path(), "no-token", false))
        .await
        .expect("second agent starts");
    let disabled = post(open.addr, path, Some(TOKEN), "").await;
    assert_eq!(disabled.status, 403, "{}", disabled.body);
    assert!(
        disabled.body.contains("writes are disabled"),
        "{}",
        disabled.body
    );
    open.shutdown().await.expect("shutdown");
    agent.shutdown().await.expect("shutdown");
}
