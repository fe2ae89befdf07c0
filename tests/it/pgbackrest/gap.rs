//! The PITR window of a real pgBackRest 2.45 stanza, through the real binary and /metrics:
//! whole after a full backup, archived segments and an incremental (one piece from the full's
//! stop time, `backstop pitr` exit 0); then one archived segment between the two backups is
//! deleted from the repository, and `pitr`, `backups`, `check` and /metrics all show the gap.
//!
//! Both cases share one stanza so the test stays within its time budget.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use backstop::config;
use backstop::state::SharedState;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use crate::harness::http::{get, sample};
use crate::harness::pgbackrest::{stanza, Stanza};
use crate::harness::{self, wait_until};

/// Runs `backstop <args> --config <config>` and returns (exit code, JSON stdout).
fn backstop_json(config: &Path, args: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .args(args)
        .args(["--config", config.to_str().expect("utf-8")])
        .env_remove("SENTRY_DSN")
        .env("BACKSTOP_LOG", "warn")
        .output()
        .expect("backstop runs");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "backstop {args:?} printed no JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exit code"), json)
}

/// Writes data, switches WAL and waits until the finished segment is archived; its name.
async fn switch_and_archive(st: &Stanza, i: usize) -> String {
    let client = st.cluster.client().await.expect("connect");
    client
        .batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS w (id int); INSERT INTO w SELECT generate_series(1, {});",
            1000 * i
        ))
        .await
        .expect("write");
    let row = client
        .query_one("SELECT pg_walfile_name(pg_switch_wal())", &[])
        .await
        .expect("switch");
    let segment: String = row.get(0);
    let start = Instant::now();
    loop {
        let row = client
            .query_one(
                "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver",
                &[],
            )
            .await
            .expect("archiver");
        let last: String = row.get(0);
        if last.len() >= 24 && last[..24] >= *segment.as_str() {
            return segment;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{segment} not archived (last {last})"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The repository files of archived segment `name` (pgBackRest adds `-<sha1>` to the name).
fn repo_files(st: &Stanza, name: &str) -> Vec<PathBuf> {
    let archive = st
        .conf
        .parent()
        .expect("stanza dir")
        .join("repo/archive")
        .join(&st.name);
    let mut found = Vec::new();
    let mut dirs = vec![archive];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read repo dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{name}-")))
            {
                found.push(path);
            }
        }
    }
    found
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("not an RFC 3339 time: {v}"))
}

fn unix(v: &Value) -> DateTime<Utc> {
    Utc.timestamp_opt(v.as_i64().expect("unix time"), 0)
        .single()
        .expect("valid")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pitr_backups_check_and_metrics_show_a_deleted_segment() {
    harness::init_logs();
    let started = Instant::now();
    let root = harness::root();
    let st = stanza(root.path(), "gap").await;
    st.backup("full").await;
    let mut switched = Vec::new();
    let mut before_last_switch = Utc::now();
    for i in 1..=3 {
        before_last_switch = Utc::now();
        switched.push(switch_and_archive(&st, i).await);
    }
    st.backup("incr").await;
    let info = st.info();
    let backups = info[0]["backup"].as_array().expect("backups").clone();
    let (full, incr) = (&backups[0], &backups[1]);
    let full_stop = unix(&full["timestamp"]["stop"]);
    let (full_end, incr_start) = (
        full["archive"]["stop"].as_str().expect("stop").to_owned(),
        incr["archive"]["start"].as_str().expect("start").to_owned(),
    );
    let between: Vec<&String> = switched
        .iter()
        .filter(|s| **s > full_end && **s < incr_start)
        .collect();
    assert!(
        between.len() >= 2,
        "segments between the backups: {between:?} ({full_end} .. {incr_start})"
    );

    let endpoint = format!(
        "  [[ventures.endpoints]]\n  name = \"pg1\"\n  dsn = \"{}\"\n  role = \"primary\"\n",
        st.cluster.dsn().expose()
    );
    let toml = format!(
        "[agent]\nlisten = \"127.0.0.1:0\"\nstate = \"sqlite:{}\"\n\n{}{endpoint}",
        root.path().join("state.db").display(),
        st.venture_toml("gap", "300ms", "300ms"),
    );
    let config_file = root.path().join("gap.toml");
    std::fs::write(&config_file, &toml).expect("write config");

    // Healthy: one piece from the full backup's stop time (not its start) to the newest WAL.
    let (code, pitr) = backstop_json(&config_file, &["pitr", "--venture", "gap", "--json"]);
    assert_eq!(code, 0, "{pitr:#}");
    assert_eq!(pitr["venture"], "gap");
    let pieces = pitr["pieces"].as_array().expect("pieces");
    assert_eq!(pieces.len(), 1, "{pitr:#}");
    assert_eq!(pieces[0]["base_backup"], full["label"]);
    assert_eq!(
        time(&pieces[0]["start"]),
        full_stop,
        "start is the stop time"
    );
    assert_ne!(full_stop, unix(&full["timestamp"]["start"]));
    // Repository times have whole seconds.
    let end = time(&pieces[0]["end"]);
    assert!(
        end.timestamp() >= before_last_switch.timestamp(),
        "end {end} before the last archived segment ({before_last_switch})"
    );
    assert!(end <= Utc::now());
    assert_eq!(pitr["missing_segments"], 0);
    assert_eq!(pitr["gaps"], serde_json::json!([]));
    assert!(pitr["exposure_seconds"].as_u64().expect("exposure") <= 900);
    assert_eq!(pitr["rpo_seconds"], 900);

    // Delete one archived segment between the two backups (files belong to postgres: as root).
    let removed = between[between.len() / 2].clone();
    let files = repo_files(&st, &removed);
    assert_eq!(files.len(), 1, "{removed}: {files:?}");
    std::fs::remove_file(&files[0]).expect("remove the segment");

    let (code, pitr) = backstop_json(&config_file, &["pitr", "--venture", "gap", "--json"]);
    assert_eq!(code, 1, "{pitr:#}");
    assert_eq!(
        pitr["pieces"].as_array().expect("pieces").len(),
        2,
        "{pitr:#}"
    );
    assert_eq!(pitr["missing_segments"], 1);
    let gap = &pitr["gaps"][0];
    assert_eq!(gap["missing"], 1);
    assert_eq!(gap["missing_names"], serde_json::json!([removed]));
    assert_eq!(pitr["pieces"][0]["base_backup"], full["label"]);
    assert_eq!(pitr["pieces"][1]["base_backup"], incr["label"]);
    let text = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .args(["pitr", "--venture", "gap", "--config"])
        .arg(&config_file)
        .env("BACKSTOP_LOG", "warn")
        .output()
        .expect("backstop runs");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("gap: 1 segment(s) missing"), "{text}");
    assert!(
        text.contains(&removed) && text.contains("status: warning"),
        "{text}"
    );

    let (code, listed) = backstop_json(&config_file, &["backups", "--venture", "gap", "--json"]);
    let rows = listed["backups"].as_array().expect("backups");
    assert_eq!(rows.len(), 2, "{listed:#}");
    assert_eq!(rows[0]["label"], full["label"]);
    assert_eq!(
        (&rows[0]["type"], &rows[1]["type"]),
        (&"full".into(), &"incr".into())
    );
    for row in rows {
        assert_eq!(row["verdict"], "kept", "{row:#}");
    }
    let pinned = format!("parent of {}", incr["label"].as_str().expect("label"));
    assert!(
        rows[0]["reasons"]
            .as_array()
            .expect("reasons")
            .contains(&Value::from(pinned.clone())),
        "{listed:#}"
    );
    // The default policy asks for 7 daily, 4 weekly and 12 monthly backups: unmet, exit 1.
    assert_eq!(code, 1, "{listed:#}");
    assert!(listed["unmet_rules"]
        .as_array()
        .expect("unmet")
        .iter()
        .any(|r| r["rule"] == "monthly" && r["required"] == 12));

    let (_, check) = backstop_json(&config_file, &["check", "--json"]);
    let findings = check["ventures"][0]["findings"]
        .as_array()
        .expect("findings");
    let split = findings
        .iter()
        .find(|f| f["rule"] == "pitr_window_split")
        .unwrap_or_else(|| panic!("no gap warning: {check:#}"));
    assert_eq!(split["severity"], "warning");

    // /metrics of the running agent says the same.
    let env: HashMap<String, String> = HashMap::new();
    let cfg =
        config::load_str(&toml, "gap.toml", &|k: &str| env.get(k).cloned()).expect("config loads");
    let agent = backstop::agent::start(&cfg).await.expect("agent starts");
    let pieces = |s: &SharedState| {
        s.load().ventures[0]
            .source
            .as_ref()
            .and_then(|src| src.window.as_ref())
            .map(|w| w.pieces.len())
    };
    wait_until(&agent.state, Duration::from_secs(15), "window known", |s| {
        pieces(s) == Some(2)
    })
    .await;
    let body = get(agent.addr, "/metrics", &[]).await.body;
    let l = [("venture", "gap")];
    assert_eq!(sample(&body, "backstop_pitr_window_pieces", &l), Some(2.0));
    assert_eq!(
        sample(&body, "backstop_wal_missing_segments", &l),
        Some(1.0)
    );
    let start = sample(&body, "backstop_pitr_window_start_timestamp_seconds", &l);
    assert_eq!(
        start,
        Some(unix(&incr["timestamp"]["stop"]).timestamp() as f64),
        "the newest piece starts at the incremental's stop"
    );
    let monthly = [("venture", "gap"), ("rule", "monthly")];
    assert_eq!(
        sample(&body, "backstop_retention_required_backups", &monthly),
        Some(12.0)
    );
    assert_eq!(
        sample(&body, "backstop_retention_kept_backups", &monthly),
        Some(1.0)
    );
    agent.shutdown().await.expect("shutdown");
    eprintln!("gap test: {:?}", started.elapsed());
}
