//! `backstop retention` as a user runs it: timestamps on stdin, verdicts on stdout, with no
//! configuration needed (a missing or broken config file does not matter).

use std::io::Write;
use std::process::{Command, Output, Stdio};

use chrono::{Duration, NaiveDate};

fn retention(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .arg("retention")
        .args(args)
        .env_remove("SENTRY_DSN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("backstop starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("backstop exits")
}

/// One backup a day at 01:00Z, 2024-05-01 .. 2025-06-15 (a Sunday): the anchors' worked example.
fn daily_input() -> String {
    let mut day = NaiveDate::from_ymd_opt(2024, 5, 1).expect("date");
    let last = NaiveDate::from_ymd_opt(2025, 6, 15).expect("date");
    let mut s = String::new();
    while day <= last {
        s.push_str(&format!("{day}T01:00:00Z\n"));
        day += Duration::days(1);
    }
    s
}

#[test]
fn retention_gfs_json_matches_restic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let broken = dir.path().join("broken.toml");
    std::fs::write(&broken, "this is [not toml").expect("write");
    let out = retention(
        &[
            "--keep-daily",
            "7",
            "--keep-weekly",
            "4",
            "--keep-monthly",
            "12",
            "--json",
            "--config",
            broken.to_str().expect("utf-8"),
        ],
        &daily_input(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let all = json.as_array().expect("array");
    assert_eq!(all.len(), 411, "one entry per input line, in input order");
    assert_eq!(all[0]["time"], "2024-05-01T01:00:00Z");
    let kept: Vec<&str> = all
        .iter()
        .filter(|v| v["keep"] == true)
        .map(|v| v["time"].as_str().expect("time"))
        .collect();
    let mut want: Vec<String> = [
        "2024-07-31",
        "2024-08-31",
        "2024-09-30",
        "2024-10-31",
        "2024-11-30",
        "2024-12-31",
        "2025-01-31",
        "2025-02-28",
        "2025-03-31",
        "2025-04-30",
        "2025-05-25",
        "2025-05-31",
        "2025-06-01",
        "2025-06-08",
        "2025-06-09",
        "2025-06-10",
        "2025-06-11",
        "2025-06-12",
        "2025-06-13",
        "2025-06-14",
        "2025-06-15",
    ]
    .iter()
    .map(|d| format!("{d}T01:00:00Z"))
    .collect();
    want.sort();
    assert_eq!(kept, want, "restic keeps 21");
    let newest = &all[410];
    assert_eq!(
        newest["reasons"],
        serde_json::json!(["daily snapshot", "weekly snapshot", "monthly snapshot"])
    );
    let removed = &all[1];
    assert_eq!(removed["keep"], false);
    assert_eq!(removed["reasons"], serde_json::json!([]));
}

#[test]
fn retention_bad_line_exits_1_with_the_line_number() {
    let out = retention(
        &["--keep-last", "1", "--config", "/nonexistent/backstop.toml"],
        "2025-06-15T01:00:00Z\n\n2025-06-16 01:00\n",
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 3:"), "{err}");
    assert!(err.contains("RFC 3339"), "{err}");
    assert!(out.stdout.is_empty());

    let out = retention(&[], "2025-06-15T01:00:00Z\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--keep-daily"));
}

#[test]
fn retention_table_reports_each_line() {
    let out = retention(
        &["--keep-daily", "1"],
        "2025-06-14T01:00:00Z\n2025-06-15T01:00:00Z\n",
    );
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[1].starts_with("2025-06-14T01:00:00Z") && lines[1].ends_with("remove"));
    assert!(lines[2].ends_with("keep     daily snapshot"), "{text}");
}
