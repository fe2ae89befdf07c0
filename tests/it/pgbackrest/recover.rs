//! `backstop recover` (the real binary) against a real pgBackRest 2.45 stanza: a point in time
//! between two batches of rows is restored into an empty directory, started on a free port and
//! holds exactly the first batch; the repository listing is unchanged (archive mode off); a
//! recovery record is stored. Refusals: a target before the window, a non-empty directory and a
//! wrong confirmation exit 1.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use chrono::{SecondsFormat, Utc};

use crate::harness::pgbackrest::{stanza, text};
use crate::harness::{self};

fn backstop(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backstop"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("SENTRY_DSN")
        .env("BACKSTOP_LOG", "warn")
        .output()
        .expect("backstop runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The repository listing, as pgBackRest itself reports it.
fn repo_listing(st: &crate::harness::pgbackrest::Stanza) -> String {
    let out = st.run(&["repo-ls", "--recurse", "--output=json"]);
    assert!(out.status.success(), "repo-ls: {}", text(&out));
    String::from_utf8(out.stdout).expect("utf-8")
}

/// `pg_ctl stop -m immediate` on the restored cluster, as postgres.
fn stop(dir: &Path) {
    let bindir = Path::new("/usr/lib/postgresql/15/bin");
    let pg_ctl = bindir.join("pg_ctl");
    let out = Command::new("runuser")
        .args(["-u", "postgres", "--"])
        .arg(pg_ctl)
        .arg("-D")
        .arg(dir)
        .args(["-m", "immediate", "-w", "stop"])
        .output()
        .expect("pg_ctl runs");
    assert!(out.status.success(), "pg_ctl stop: {}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recover_restores_exactly_to_the_target_without_touching_the_repository() {
    harness::init_logs();
    let root = harness::root();
    let mut st = stanza(root.path(), "acme").await;
    st.backup("full").await;
    let db = &st.cluster;
    db.exec("CREATE TABLE rows (batch int, n int)")
        .await
        .expect("table");
    db.exec("INSERT INTO rows SELECT 1, generate_series(1, 100)")
        .await
        .expect("batch 1");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let target = Utc::now();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    db.exec("INSERT INTO rows SELECT 2, generate_series(1, 50)")
        .await
        .expect("batch 2");
    st.archive_now().await;
    // Nothing may reach the repository but what the recovery would write: stop production.
    st.cluster.stop().await.expect("stop the primary");

    let state = root.path().join("state.db");
    let config = root.path().join("backstop.toml");
    let toml = format!(
        "[agent]\nstate = \"sqlite:{}\"\n\n{}",
        state.display(),
        st.venture_toml("acme", "1m", "1m")
    );
    std::fs::write(&config, toml).expect("config");
    let to = target.to_rfc3339_opts(SecondsFormat::Micros, true);
    let dir = root.path().join("restored");

    // Refusals first: each exits 1 and restores nothing.
    let out = backstop(
        &config,
        &[
            "recover",
            "--venture",
            "acme",
            "--to",
            "2000-01-01T00:00:00Z",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let stopped_at = st.info()[0]["backup"][0]["timestamp"]["stop"]
        .as_i64()
        .expect("backup stop");
    let earliest = chrono::DateTime::from_timestamp(stopped_at, 0)
        .expect("time")
        .to_rfc3339_opts(SecondsFormat::Secs, true);
    assert!(
        stderr(&out).contains(&format!("earliest recoverable point is {earliest}")),
        "{}",
        stderr(&out)
    );
    let d = dir.to_str().expect("utf-8");
    let out = backstop(
        &config,
        &[
            "recover",
            "--venture",
            "acme",
            "--to",
            &to,
            "--execute",
            "--confirm",
            "acm",
            "--target-dir",
            d,
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("--confirm acme"), "{}", stderr(&out));
    let full = root.path().join("full");
    std::fs::create_dir(&full).expect("mkdir");
    std::fs::write(full.join("keep.txt"), "mine").expect("write");
    let out = backstop(
        &config,
        &[
            "recover",
            "--venture",
            "acme",
            "--to",
            &to,
            "--execute",
            "--confirm",
            "acme",
            "--target-dir",
            full.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("not empty"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(full.join("keep.txt")).expect("kept"),
        "mine"
    );

    // The plan alone names the backup and the exact restore command.
    let out = backstop(&config, &["recover", "--venture", "acme", "--to", &to]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let plan = String::from_utf8_lossy(&out.stdout);
    assert!(
        plan.contains("--archive-mode=off") && plan.contains("--type=time"),
        "{plan}"
    );
    let label = st.info()[0]["backup"][0]["label"]
        .as_str()
        .expect("label")
        .to_owned();
    assert!(plan.contains(&format!("restore --set={label} ")), "{plan}");

    let before = repo_listing(&st);
    let out = backstop(
        &config,
        &[
            "recover",
            "--venture",
            "acme",
            "--to",
            &to,
            "--execute",
            "--confirm",
            "acme",
            "--target-dir",
            d,
            "--start",
            "--json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        stderr(&out),
        String::from_utf8_lossy(&out.stdout)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["outcome"], "recovered", "{json}");
    assert!(json["recovery_seconds"].as_f64().is_some(), "{json}");
    let port = json["port"].as_u64().expect("port") as u16;

    let dsn = format!("host=127.0.0.1 port={port} user=postgres dbname=postgres sslmode=disable");
    let (client, conn) = tokio_postgres::connect(&dsn, tokio_postgres::NoTls)
        .await
        .expect("the restored cluster accepts connections");
    tokio::spawn(conn);
    let rows = client
        .query(
            "SELECT batch, count(*) FROM rows GROUP BY batch ORDER BY batch",
            &[],
        )
        .await
        .expect("query");
    let counts: Vec<(i32, i64)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(counts, vec![(1, 100)], "exactly batch 1");
    let in_recovery: bool = client
        .query_one("SELECT pg_is_in_recovery()", &[])
        .await
        .expect("query")
        .get(0);
    assert!(!in_recovery);
    let archive_mode: String = client
        .query_one("SHOW archive_mode", &[])
        .await
        .expect("query")
        .get(0);
    assert_eq!(archive_mode, "off");
    drop(client);
    stop(&dir);
    assert_eq!(repo_listing(&st), before, "the repository is unchanged");

    let store = backstop::store::Store::open(&backstop::secret::Secret::new(format!(
        "sqlite:{}",
        state.display()
    )))
    .await
    .expect("store");
    let recoveries = store
        .recoveries("acme", chrono::DateTime::UNIX_EPOCH, Utc::now())
        .await
        .expect("recoveries");
    let executed: Vec<_> = recoveries.iter().filter(|r| r.executed).collect();
    assert_eq!(executed.len(), 1, "{recoveries:?}");
    assert_eq!(executed[0].outcome, "recovered");
    assert_eq!(executed[0].method, "pgbackrest");
    assert_eq!(
        executed[0].target_time.timestamp_micros(),
        target.timestamp_micros()
    );
}

#[test]
fn recover_exits_2_when_pgbackrest_cannot_be_polled_and_1_on_bad_input() {
    let root = harness::root();
    let config = root.path().join("backstop.toml");
    let toml = format!(
        "[agent]\nstate = \"sqlite:{}\"\n\n[[ventures]]\nname = \"acme\"\n  [ventures.backups]\n  \
         kind = \"pgbackrest\"\n  config = \"{}\"\n  timeout = \"5s\"\n",
        root.path().join("state.db").display(),
        root.path().join("missing.conf").display()
    );
    std::fs::write(&config, toml).expect("config");
    let out = backstop(
        &config,
        &["recover", "--venture", "acme", "--to=-15m", "--json"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("polling pgBackRest failed"),
        "{}",
        stderr(&out)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["outcome"], "failed", "{json}");
    for (args, want) in [
        (vec!["--venture", "acme", "--to", "soon"], "is not a time"),
        (
            vec!["--venture", "nobody", "--to", "-1h"],
            "no venture named",
        ),
        (
            vec![
                "--venture",
                "acme",
                "--to",
                "-1h",
                "--execute",
                "--confirm",
                "acme",
            ],
            "--target-dir",
        ),
    ] {
        let mut all = vec!["recover"];
        all.extend(args);
        let out = backstop(&config, &all);
        assert_eq!(out.status.code(), Some(1), "{all:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(want), "{all:?}: {}", stderr(&out));
    }
}
