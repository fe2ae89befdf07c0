//! Tests of the backup-log reader: real 2.45 log, run boundaries, config precedence.

use super::*;

const REAL: &str = include_str!("testdata/backup-2.45.log");

fn utc(t: NaiveDateTime) -> Option<DateTime<Utc>> {
    Some(t.and_utc())
}

#[test]
fn real_245_log_has_one_failed_run() {
    let runs = parse_backup_log(REAL, KEEP, utc);
    assert_eq!(runs.total, 1);
    let f = &runs.failures[0];
    assert_eq!(f.code, Some(56));
    assert_eq!(f.message, "unable to find primary cluster - cannot proceed");
    assert_eq!(f.at.to_rfc3339(), "2026-11-27T10:35:54.788+00:00");
}

#[test]
fn one_failure_per_run_newest_kept() {
    let mut log = String::new();
    for i in 0..25 {
        log.push_str(PROCESS_START);
        log.push('\n');
        log.push_str(&format!(
            "2026-01-01 00:{i:02}:00.000 P00   INFO: backup command begin 2.45\n"
        ));
        if i % 2 == 0 {
            log.push_str(&format!(
                "2026-01-01 00:{i:02}:01.500 P00  ERROR: [0{i:02}]: boom {i}\n\
                 \x20                                   HINT: something\n\
                 2026-01-01 00:{i:02}:02.000 P01  ERROR: [099]: second error in the same run\n"
            ));
        }
    }
    let runs = parse_backup_log(&log, 5, utc);
    assert_eq!(runs.total, 13);
    assert_eq!(runs.failures.len(), 5);
    assert_eq!(runs.failures[0].message, "boom 16");
    assert_eq!(runs.failures[4].code, Some(24));
    assert_eq!(
        runs.failures[4].at.to_rfc3339(),
        "2026-01-01T00:24:01.500+00:00"
    );
}

#[test]
fn odd_lines_are_ignored_and_messages_capped() {
    let long = "x".repeat(1000);
    let log = format!(
        "{PROCESS_START}\ngarbage\n\n2026-13-01 00:00:00.000 P00  ERROR: [001]: bad month\n\
         2026-01-01 00:00:00.000 P00  ERROR: no code {long}\n"
    );
    let runs = parse_backup_log(&log, KEEP, utc);
    assert_eq!(runs.total, 1);
    assert_eq!(runs.failures[0].code, None);
    assert!(runs.failures[0].message.chars().count() <= crate::sources::MAX_MESSAGE + 1);
}

#[test]
fn log_path_precedence() {
    let conf = "[global]\nlog-path=/g\n[global:backup]\nlog-path = /gb\n[acme]\nlog-path=/s\n\
                [acme:backup]\n# log-path=/commented\n[other]\nlog-path=/o\n";
    assert_eq!(config_log_path(conf, "acme").as_deref(), Some("/s"));
    assert_eq!(config_log_path(conf, "zzz").as_deref(), Some("/gb"));
    assert_eq!(
        config_log_path("[global]\nlog-path=/g\n", "a").as_deref(),
        Some("/g")
    );
    assert_eq!(config_log_path("[global]\nrepo1-path=/r\n", "a"), None);
}
