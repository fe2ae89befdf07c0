//! The `backstop` binary: `check` exit codes against real clusters (healthy, archiving failing
//! within and beyond the RPO, primary unreachable, a hung backup source reported in time),
//! `pitr`/`backups` naming the ventures on a typo, `config check` errors word for word, and a
//! clean exit on SIGTERM.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::harness::{self, SEG};

fn backstop(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_backstop"));
    cmd.args(args)
        .env_remove("SENTRY_DSN")
        .env("BACKSTOP_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("backstop runs")
}

fn write_config(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, body).expect("write config");
    path
}

fn check_json(config: &Path, dsn: &str) -> (i32, serde_json::Value) {
    let out = backstop(
        &[
            "check",
            "--json",
            "--config",
            config.to_str().expect("utf-8"),
        ],
        &[("SHOP_PG1_DSN", dsn)],
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "check --json printed no JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exit code"), json)
}

fn finding<'a>(json: &'a serde_json::Value, rule: &str) -> Option<&'a serde_json::Value> {
    json["ventures"][0]["findings"]
        .as_array()?
        .iter()
        .find(|f| f["rule"] == rule)
}

fn venture(rpo: &str) -> String {
    format!("[[ventures]]\nname = \"shop\"\nrpo = \"{rpo}\"\n  [[ventures.endpoints]]\n  name = \"pg1\"\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_exit_codes_follow_archiving() {
    let root = harness::root();
    let (pg, _archive) = harness::archiving(root.path(), "pg1", "2").await;
    let dsn = pg.dsn().expose().to_string();
    let relaxed = write_config(root.path(), "relaxed.toml", &venture("15m"));
    let strict = write_config(root.path(), "strict.toml", &venture("3s"));

    pg.exec("CREATE TABLE t (id int, pad text); INSERT INTO t SELECT g, 'x' FROM generate_series(1, 100) g; SELECT pg_switch_wal();")
        .await
        .expect("write");
    // Healthy: archiving works, archive_timeout (2 s) within both RPOs.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (code, json) = check_json(&relaxed, &dsn);
        if code == 0 {
            assert_eq!(json["status"], "ok");
            break;
        }
        assert!(Instant::now() < deadline, "never healthy: {json:#}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // Break archiving, write a few segments' worth.
    pg.exec("ALTER SYSTEM SET archive_command = '/bin/false'")
        .await
        .expect("break archiving");
    pg.exec("SELECT pg_reload_conf()").await.expect("reload");
    tokio::time::sleep(Duration::from_millis(300)).await;
    for _ in 0..3 {
        pg.exec("INSERT INTO t SELECT g, repeat('x', 500) FROM generate_series(1, 3000) g; SELECT pg_switch_wal();")
            .await
            .expect("write and switch");
    }
    // Within the 15 min RPO: a warning (exit 1), with the lag above one segment.
    let deadline = Instant::now() + Duration::from_secs(20);
    let json = loop {
        let (code, json) = check_json(&relaxed, &dsn);
        if finding(&json, "archiving_failing").is_some() && finding(&json, "archive_lag").is_some()
        {
            assert_eq!(code, 1, "{json:#}");
            break json;
        }
        assert!(Instant::now() < deadline, "failure never seen: {json:#}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(
        finding(&json, "archiving_failing").expect("found")["severity"],
        "warning"
    );
    assert_eq!(json["exit_code"], 1);

    // Beyond a 3 s RPO: critical (exit 2), for exactly that reason.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (code, json) = check_json(&strict, &dsn);
    assert_eq!(code, 2, "{json:#}");
    let f = finding(&json, "archiving_failing").expect("archiving_failing");
    assert_eq!(f["severity"], "critical");
    assert!(
        finding(&json, "archive_timeout").is_none(),
        "archive_timeout 2 s is within the 3 s RPO"
    );
    let lag = f["message"].as_str().expect("message");
    assert!(lag.contains("failures"), "{lag}");
    let _ = SEG;
}

#[test]
fn check_primary_unreachable_is_critical() {
    let root = harness::root();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let config = write_config(root.path(), "down.toml", &venture("15m"));
    let (code, json) = check_json(
        &config,
        &format!("postgres://postgres:hunter2@127.0.0.1:{port}/postgres?sslmode=disable"),
    );
    assert_eq!(code, 2);
    let f = finding(&json, "primary_unreachable").expect("primary_unreachable");
    assert_eq!(f["severity"], "critical");
    assert!(!json.to_string().contains("hunter2"));
    // The table form says what to do.
    let out = backstop(
        &["check", "--config", config.to_str().expect("utf-8")],
        &[(
            "SHOP_PG1_DSN",
            &format!("postgres://postgres:hunter2@127.0.0.1:{port}/postgres?sslmode=disable"),
        )],
    );
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("what to do:"), "{table}");
    assert!(table.contains("status: critical (exit 2)"), "{table}");
    assert!(!table.contains("hunter2"));
}

#[test]
fn config_check_reports_key_file_and_line() {
    let root = harness::root();
    let good = write_config(root.path(), "good.toml", &venture("15m"));
    let out = backstop(
        &["config", "check", "--config", good.to_str().expect("utf-8")],
        &[("SHOP_PG1_DSN", "postgres://127.0.0.1/x")],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("ok: 1 venture(s), 1 endpoint(s)"),
        "{stdout}"
    );

    let bad = write_config(
        root.path(),
        "bad.toml",
        "[agent]\npoll_interval = \"10 seconds\"\n\n[[ventures]]\nname = \"Shop\"\n",
    );
    let out = backstop(
        &["config", "check", "--config", bad.to_str().expect("utf-8")],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let file = bad.display();
    let expected = format!(
        "{file}:2: agent.poll_interval: invalid duration \"10 seconds\": write a number and a unit (ms, s, m, h, d, w), e.g. \"15m\"\n"
    );
    assert!(
        stderr.starts_with(&expected),
        "got:\n{stderr}\nwanted first:\n{expected}"
    );
    assert!(
        stderr.contains(&format!("{file}:5: ventures[0].name:")),
        "{stderr}"
    );

    // A missing *_env variable names the key, the variable and what to do.
    let out = backstop(
        &["config", "check", "--config", good.to_str().expect("utf-8")],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("SHOP_PG1_DSN"), "{stderr}");
}

#[test]
fn run_exits_cleanly_on_sigterm() {
    let root = harness::root();
    let config = write_config(
        root.path(),
        "empty.toml",
        &format!(
            "[agent]\nlisten = \"127.0.0.1:0\"\nstate = \"sqlite:{}\"\n",
            root.path().join("state.db").display()
        ),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .args(["run", "--config", config.to_str().expect("utf-8")])
        .env_remove("SENTRY_DSN")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(500));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .expect("signal");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            assert_eq!(status.code(), Some(0));
            break;
        }
        assert!(Instant::now() < deadline, "backstop run ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn pitr_and_backups_name_the_ventures_on_a_typo() {
    let root = harness::root();
    let config = write_config(
        root.path(),
        "two.toml",
        &format!("{}[[ventures]]\nname = \"blog\"\n", venture("15m")),
    );
    for command in ["pitr", "backups"] {
        let out = backstop(
            &[
                command,
                "--venture",
                "shpo",
                "--config",
                config.to_str().expect("utf-8"),
            ],
            &[("SHOP_PG1_DSN", "host=127.0.0.1 port=1")],
        );
        assert_eq!(out.status.code(), Some(1), "{command}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("unknown venture \"shpo\""), "{err}");
        assert!(err.contains("shop, blog"), "{err}");
    }
}

#[test]
fn check_reports_a_hung_backup_source_without_hanging() {
    use std::os::unix::fs::PermissionsExt;
    let root = harness::root();
    let hang = root.path().join("pgbackrest-hangs");
    std::fs::write(&hang, "#!/bin/sh\nexec sleep 60\n").expect("script");
    std::fs::set_permissions(&hang, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let config = write_config(
        root.path(),
        "hung.toml",
        &format!(
            "[[ventures]]\nname = \"shop\"\n  [ventures.backups]\n  kind = \"pgbackrest\"\n  \
             stanza = \"shop\"\n  config = \"{}\"\n  command = \"{}\"\n  timeout = \"1s\"\n",
            root.path().join("pgbackrest.conf").display(),
            hang.display()
        ),
    );
    let started = Instant::now();
    let (code, json) = check_json(&config, "");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "check took {:?}",
        started.elapsed()
    );
    let f = finding(&json, "source_down").unwrap_or_else(|| panic!("{json:#}"));
    assert_eq!(f["severity"], "warning");
    assert_eq!(code, 1, "{json:#}");
}
