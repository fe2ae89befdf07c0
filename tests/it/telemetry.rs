//! Sentry: with `SENTRY_DSN` set, an error-level event reaches a Sentry fake on 127.0.0.1 over
//! real HTTP (envelope endpoint), and it carries no secret.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::fake_http::FakeHttp;
use crate::harness::{self};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_reach_sentry_without_secrets() {
    let sentry = FakeHttp::start(200, "{}").await;
    let root = harness::root();
    // Occupy a port so that `backstop run` fails with an error-level log line.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let config = root.path().join("backstop.toml");
    std::fs::write(
        &config,
        format!(
            "[agent]\nlisten = \"127.0.0.1:{port}\"\nstate = \"sqlite:{state}\"\n\n[[ventures]]\nname = \"shop\"\n  [[ventures.endpoints]]\n  name = \"pg1\"\n",
            state = root.path().join("state.db").display()
        ),
    )
    .expect("write config");
    let secret = "sentry-must-not-see-this-pw";
    let out = tokio::task::spawn_blocking({
        let dsn = format!("http://publickey@{}/42", sentry.addr);
        move || {
            Command::new(env!("CARGO_BIN_EXE_backstop"))
                .args(["run", "--config", config.to_str().expect("utf-8")])
                .env("SENTRY_DSN", dsn)
                .env(
                    "SHOP_PG1_DSN",
                    format!("postgres://postgres:{secret}@127.0.0.1:1/postgres"),
                )
                .output()
                .expect("backstop runs")
        }
    })
    .await
    .expect("join");
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let envelope = loop {
        let got = sentry.requests();
        if let Some(r) = got.iter().find(|r| r.path == "/api/42/envelope/") {
            break r.clone();
        }
        assert!(
            Instant::now() < deadline,
            "no envelope reached the fake: {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(envelope.method, "POST");
    let auth = envelope
        .headers
        .iter()
        .find(|(k, _)| k == "x-sentry-auth")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    assert!(auth.contains("sentry_key=publickey"), "{auth}");
    let text = envelope.text();
    assert!(text.contains("cannot listen on"), "{text}");
    // Error is the default level: Sentry omits it; a warning would carry "level":"warning".
    assert!(!text.contains("\"level\":\"warning\""), "{text}");
    assert!(!text.contains(secret), "a secret reached Sentry");
    drop(taken);
}

/// The poll cycle checks in with Sentry: `in_progress`, then `ok` with the same id, a duration
/// and the monitor's interval schedule.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_cycle_checks_in_with_sentry() {
    let sentry = FakeHttp::start(200, "{}").await;
    let root = harness::root();
    let pg = harness::started(root.path(), "pg1", &[]).await;
    let config = root.path().join("backstop.toml");
    std::fs::write(
        &config,
        format!(
            "[agent]\nlisten = \"127.0.0.1:0\"\nstate = \"sqlite:{}\"\npoll_interval = \"1s\"\n\n[[ventures]]\nname = \"shop\"\n  [[ventures.endpoints]]\n  name = \"pg1\"\n",
            root.path().join("state.db").display()
        ),
    )
    .expect("write config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .args(["run", "--config", config.to_str().expect("utf-8")])
        .env("SENTRY_DSN", format!("http://publickey@{}/7", sentry.addr))
        .env("SHOP_PG1_DSN", pg.dsn().expose())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(20);
    let check_ins = loop {
        let items: Vec<serde_json::Value> = sentry
            .requests()
            .iter()
            .flat_map(|r| envelope_items(&r.text(), "check_in"))
            .collect();
        if items.iter().any(|i| i["status"] == "ok") {
            break items;
        }
        assert!(Instant::now() < deadline, "no ok check-in: {items:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    );
    let _ = child.wait();
    let started = check_ins
        .iter()
        .find(|i| i["status"] == "in_progress")
        .expect("in_progress first");
    let done = check_ins.iter().find(|i| i["status"] == "ok").expect("ok");
    assert_eq!(started["check_in_id"], done["check_in_id"]);
    assert_eq!(done["monitor_slug"], "backstop-poll");
    assert!(
        done["duration"].as_f64().is_some_and(|d| d >= 0.0),
        "{done}"
    );
    let schedule = &started["monitor_config"]["schedule"];
    assert_eq!(schedule["type"], "interval");
    assert_eq!(schedule["unit"], "minute");
    assert_eq!(started["monitor_config"]["checkin_margin"], 1);
}

/// The JSON payloads of the items of `kind` in a Sentry envelope (header line, then item
/// header and payload lines).
pub fn envelope_items(text: &str, kind: &str) -> Vec<serde_json::Value> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for pair in lines.windows(2).skip(1) {
        let header: serde_json::Value = serde_json::from_str(pair[0]).unwrap_or_default();
        if header["type"] == kind {
            if let Ok(v) = serde_json::from_str(pair[1]) {
                out.push(v);
            }
        }
    }
    out
}
