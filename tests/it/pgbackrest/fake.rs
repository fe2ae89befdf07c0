//! A fake `pgbackrest` (configured as the agent's `command`) that prints malformed JSON, nothing,
//! too much, hangs, or fails: the source goes down with the right error kind, the last good
//! values stay, the hung process group is killed, and /metrics keeps answering fast.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use backstop::config::{self, PgBackRestConfig};
use backstop::error::ErrorKind;
use backstop::sources::pgbackrest::{PgBackRestCommand, PgBackRestSource};
use backstop::state::SharedState;

use crate::harness::http::{get, sample};
use crate::harness::{self, wait_until};

const INFO: &str = include_str!("../../../src/sources/pgbackrest/testdata/info-2.45.json");
const LS: &str = include_str!("../../../src/sources/pgbackrest/testdata/repo-ls-2.45.json");

const SCRIPT: &str = r#"#!/bin/sh
dir=$(dirname "$0")
case "$*" in *repo-ls*) out="$dir/ls.json" ;; *) out="$dir/info.json" ;; esac
case "$(cat "$dir/mode")" in
good) cat "$out" ;;
malformed) printf '[{"name":"demo","status":' ;;
empty) ;;
huge) head -c 70000000 /dev/zero ;;
hang) sleep 60 & echo $! > "$dir/sleep.pid"; wait ;;
fail) echo "WARN: a warning first" >&2; echo "ERROR: [055]: unable to open missing file" >&2; exit 55 ;;
esac
"#;

/// Writes the fake and its files into `dir`; returns the script path.
fn fake(dir: &Path) -> std::path::PathBuf {
    std::fs::write(dir.join("mode"), "good").expect("mode");
    harness::pgbackrest::write_fake(dir, SCRIPT, INFO, LS)
}

fn errors(state: &SharedState, kind: ErrorKind) -> u64 {
    state.load().ventures[0]
        .errors
        .get(&kind)
        .copied()
        .unwrap_or(0)
}

fn up(state: &SharedState) -> Option<bool> {
    state.load().ventures[0].source.as_ref().and_then(|s| s.up)
}

/// The sleeping grandchild of a killed fake is gone (or a zombie nobody reaped yet).
fn gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{}/stat", pid.trim())) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misbehaving_pgbackrest_never_hurts_the_agent() {
    harness::init_logs();
    let root = harness::root();
    let dir = root.path();
    let script = fake(dir);
    let toml = format!(
        "[agent]\nlisten = \"127.0.0.1:0\"\nstate = \"sqlite:{}\"\n\n[[ventures]]\nname = \"acme\"\n  [ventures.backups]\n  \
         kind = \"pgbackrest\"\n  stanza = \"demo\"\n  config = \"{}\"\n  command = \"{}\"\n  \
         poll_interval = \"200ms\"\n  repo_ls_interval = \"300ms\"\n  timeout = \"1s\"\n",
        dir.join("state.db").display(),
        dir.join("pgbackrest.conf").display(),
        script.display()
    );
    let env: HashMap<String, String> = HashMap::new();
    let cfg =
        config::load_str(&toml, "fake.toml", &|k: &str| env.get(k).cloned()).expect("config loads");
    let agent = backstop::agent::start(&cfg).await.expect("agent starts");
    let state = agent.state.clone();
    wait_until(&state, Duration::from_secs(10), "good poll", |s| {
        let src = s.load().ventures[0].source.clone().expect("source");
        src.up == Some(true) && src.archive.is_some()
    })
    .await;
    let good = state.load().ventures[0].source.clone().expect("source");
    assert_eq!(good.backups.len(), 3);
    assert_eq!(good.failed_runs, Some(0), "no backup log: no failures");
    let l = [("venture", "acme"), ("source", "pgbackrest")];
    let incr = [l[0], l[1], ("type", "incr")];
    let body = get(agent.addr, "/metrics", &[]).await.body;
    let good_incr = sample(
        &body,
        "backstop_backup_last_success_timestamp_seconds",
        &incr,
    );
    assert_eq!(good_incr, Some(1795775754.0));
    let good_repo = sample(&body, "backstop_backup_repository_size_bytes", &l);
    assert!(good_repo.is_some());

    for (mode, kind) in [
        ("malformed", ErrorKind::Parse),
        ("empty", ErrorKind::Parse),
        ("huge", ErrorKind::Parse),
        ("hang", ErrorKind::Timeout),
        ("fail", ErrorKind::Command),
    ] {
        let before = errors(&state, kind);
        std::fs::write(dir.join("mode"), mode).expect("mode");
        wait_until(&state, Duration::from_secs(15), mode, |s| {
            errors(s, kind) > before && up(s) == Some(false)
        })
        .await;
        let started = Instant::now();
        let body = get(agent.addr, "/metrics", &[]).await.body;
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{mode}: /metrics took {:?}",
            started.elapsed()
        );
        assert_eq!(sample(&body, "backstop_source_up", &l), Some(0.0), "{mode}");
        assert_eq!(
            sample(
                &body,
                "backstop_backup_last_success_timestamp_seconds",
                &incr
            ),
            good_incr,
            "{mode}: last good value kept"
        );
        assert_eq!(
            sample(&body, "backstop_backup_repository_size_bytes", &l),
            good_repo,
            "{mode}: last listing kept"
        );
        let kind_label = [("venture", "acme"), ("kind", kind.as_str())];
        assert!(sample(&body, "backstop_errors_total", &kind_label).unwrap_or(0.0) >= 1.0);
        let now = state.load().ventures[0].source.clone().expect("source");
        assert_eq!(now.backups, good.backups, "{mode}");
        assert!(now.last_poll.is_some());
        if mode == "hang" {
            let pid = std::fs::read_to_string(dir.join("sleep.pid")).expect("sleep pid");
            let deadline = Instant::now() + Duration::from_secs(5);
            while !gone(&pid) {
                assert!(
                    Instant::now() < deadline,
                    "the hung fake's child {pid} survived"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        std::fs::write(dir.join("mode"), "good").expect("mode");
        wait_until(&state, Duration::from_secs(10), "recovered", |s| {
            up(s) == Some(true)
        })
        .await;
    }
    agent.shutdown().await.expect("shutdown");
}

fn config(dir: &Path, command: &str) -> PgBackRestConfig {
    PgBackRestConfig {
        poll_interval: Duration::from_secs(60),
        stanza: "demo".into(),
        config: dir.join("pgbackrest.conf"),
        command: command.into(),
        verify_schedule: "0 4 * * 0".into(),
        repo_ls_interval: Duration::from_secs(600),
        timeout: Duration::from_secs(5),
    }
}

#[tokio::test]
async fn missing_program_and_output_cap() {
    let root = harness::root();
    let script = fake(root.path());
    let cfg = config(root.path(), "/nonexistent/pgbackrest");
    let err = PgBackRestSource::new("acme", &cfg)
        .info()
        .await
        .expect_err("no such program");
    assert_eq!(err.kind(), ErrorKind::Command, "{err}");

    let cfg = config(root.path(), &script.display().to_string());
    let source = PgBackRestSource::new("acme", &cfg);
    let info = source.info().await.expect("good info");
    assert_eq!(info.backups.len(), 3);
    let capped = source
        .clone()
        .with_command(PgBackRestCommand::new(&cfg).with_max_output(1000));
    let err = capped.info().await.expect_err("over the cap");
    assert_eq!(err.kind(), ErrorKind::Parse, "{err}");
    std::fs::write(root.path().join("mode"), "fail").expect("mode");
    let err = source.info().await.expect_err("fails");
    assert_eq!(err.kind(), ErrorKind::Command);
    assert!(
        err.to_string()
            .contains("ERROR: [055]: unable to open missing file"),
        "{err}"
    );
}
