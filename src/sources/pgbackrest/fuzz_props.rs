//! The pgBackRest fuzz targets as proptest cases (stable, in CI): the seeds parse, and arbitrary
//! or mutated input gives Ok or an error, never a panic (see `crate::fuzzing`).

use proptest::prelude::*;

use crate::fuzzing::seeds::seeds;
use crate::fuzzing::strategies::{bytes, config, mutated_seeds};
use crate::fuzzing::{self, STANZA};

#[test]
fn every_seed_parses() {
    for (name, data) in seeds("pgbackrest_info") {
        let info = super::parse_info(&String::from_utf8_lossy(&data), STANZA)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!info.backups.is_empty(), "{name}");
    }
    for (name, data) in seeds("pgbackrest_verify") {
        let report = super::parse_verify(&String::from_utf8_lossy(&data), STANZA)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(report.backups.len(), 1, "{name}");
    }
    for (name, data) in seeds("pgbackrest_repo_ls") {
        let (files, total) = super::parse_repo_ls(&String::from_utf8_lossy(&data))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!files.is_empty() && total > 0, "{name}");
    }
    for (name, data) in seeds("pgbackrest_backup_log") {
        let runs = super::backup_log::parse_backup_log(&String::from_utf8_lossy(&data), 5, |t| {
            Some(t.and_utc())
        });
        assert!(runs.total > 0, "{name}: the recorded log has a failed run");
    }
}

/// Found by these cases: two files whose sizes add up past `u64::MAX` overflowed the total
/// (a panic in debug builds, a wrapped total in release).
#[test]
fn repo_ls_sizes_adding_past_u64_are_an_error() {
    let max = u64::MAX;
    let json = format!(
        r#"{{"15-1/0000000100000000/000000010000000000000006":{{"type":"file","size":{max},"time":1}},
            "15-1/0000000100000000/000000010000000000000007":{{"type":"file","size":1,"time":1}}}}"#
    );
    let err = super::parse_repo_ls(&json).expect_err("the total does not fit");
    assert!(err.to_string().contains("size"), "{err}");
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn info_arbitrary(data in bytes()) {
        let _ = fuzzing::pgbackrest_info(&data);
    }

    #[test]
    fn verify_arbitrary(data in bytes()) {
        let _ = fuzzing::pgbackrest_verify(&data);
    }

    #[test]
    fn backup_log_arbitrary(data in bytes()) {
        fuzzing::pgbackrest_backup_log(&data);
    }

    #[test]
    fn repo_ls_arbitrary(data in bytes()) {
        let _ = fuzzing::pgbackrest_repo_ls(&data);
    }
}

proptest! {
    #![proptest_config(config(3000))]

    #[test]
    fn info_mutated(data in mutated_seeds("pgbackrest_info")) {
        let _ = fuzzing::pgbackrest_info(&data);
    }

    #[test]
    fn verify_mutated(data in mutated_seeds("pgbackrest_verify")) {
        let _ = fuzzing::pgbackrest_verify(&data);
    }

    #[test]
    fn backup_log_mutated(data in mutated_seeds("pgbackrest_backup_log")) {
        fuzzing::pgbackrest_backup_log(&data);
    }

    #[test]
    fn repo_ls_mutated(data in mutated_seeds("pgbackrest_repo_ls")) {
        let _ = fuzzing::pgbackrest_repo_ls(&data);
    }
}

/// Found by `verify_mutated`: counts near `u64::MAX` in two entries overflowed the sums of
/// `missing_wal`, `checksum_invalid` and the summary (a panic in debug builds).
#[test]
fn verify_counts_adding_past_u64_saturate() {
    let max = u64::MAX;
    let text = format!(
        "stanza: {STANZA}\nstatus: error\n  archiveId: 15-1, total WAL checked: {max}, total valid WAL: 1\n    \
         missing: {max}, checksum invalid: {max}\n  archiveId: 16-2, total WAL checked: 5, total valid WAL: 1\n    \
         missing: 2, checksum invalid: 3\n  backup: 20261127-110302F, status: invalid, total files checked: {max}\n    \
         checksum invalid: 1\n"
    );
    let report = super::parse_verify(&text, STANZA).expect("parses");
    assert_eq!(report.missing_wal(), max);
    assert_eq!(report.checksum_invalid(), max);
    assert!(
        report.summary().starts_with("failed: "),
        "{}",
        report.summary()
    );
}
