//! Table tests of the `pgbackrest verify` text parser, on output recorded from pgBackRest 2.45.

use super::*;

const PASSED: &str = "stanza: vx
status: ok
  archiveId: 15-1, total WAL checked: 2, total valid WAL: 2
    missing: 0, checksum invalid: 0, size invalid: 0, other: 0
  backup: 20261127-110302F, status: valid, total files checked: 964, total valid files: 964
    missing: 0, checksum invalid: 0, size invalid: 0, other: 0
";

const FAILED_VERBOSE: &str = "stanza: vx
status: error
  archiveId: 15-1, total WAL checked: 2, total valid WAL: 1
    missing: 0, checksum invalid: 1, size invalid: 0, other: 0
  backup: 20261127-110302F, status: invalid, total files checked: 964, total valid files: 963
    missing: 0, checksum invalid: 1, size invalid: 0, other: 0
";

const FAILED_TERSE: &str = "stanza: vx
status: error
  archiveId: 15-1, total WAL checked: 2, total valid WAL: 1
    checksum invalid: 1
  backup: 20261127-110302F, status: invalid, total files checked: 964, total valid files: 963
    checksum invalid: 1
";

#[test]
fn a_clean_repository_passes() {
    let r = parse_verify(PASSED, "vx").expect("parses");
    assert!(r.ok);
    assert_eq!(r.archives.len(), 1);
    assert_eq!(r.archives[0].id, "15-1");
    assert_eq!(r.archives[0].counts.checked, 2);
    assert_eq!(r.backups[0].counts.valid, 964);
    assert_eq!((r.missing_wal(), r.checksum_invalid()), (0, 0));
    assert!(r.invalid_backups().is_empty());
    assert_eq!(
        r.summary(),
        "passed: 2 WAL files and 1 backups (964 files) valid"
    );
}

#[test]
fn verbose_and_terse_errors_parse_alike() {
    for text in [FAILED_VERBOSE, FAILED_TERSE] {
        let r = parse_verify(text, "vx").expect("parses");
        assert!(!r.ok);
        assert_eq!(r.missing_wal(), 0);
        assert_eq!(r.checksum_invalid(), 2);
        assert_eq!(r.invalid_backups(), vec!["20261127-110302F".to_owned()]);
        assert_eq!(
            r.summary(),
            "failed: WAL archive 15-1: 1 checksum invalid; backup 20261127-110302F invalid: 1 checksum invalid"
        );
    }
}

#[test]
fn missing_wal_and_other_stanzas() {
    let text = "stanza: other\nstatus: error\n  archiveId: 15-1, total WAL checked: 9, total valid WAL: 0\n    missing: 9\n\
                stanza: vx\nstatus: error\n  archiveId: 15-1, total WAL checked: 4, total valid WAL: 3\n    missing: 1\n\
                  backup: 20261127-110302F, status: manifest missing, total files checked: 0, total valid files: 0\n";
    let r = parse_verify(text, "vx").expect("parses");
    assert!(!r.ok);
    assert_eq!(r.missing_wal(), 1);
    assert_eq!(r.invalid_backups(), vec!["20261127-110302F".to_owned()]);
    assert!(
        r.summary().contains("WAL archive 15-1: 1 missing"),
        "{}",
        r.summary()
    );
    assert!(r.summary().contains("manifest missing"), "{}", r.summary());
}

#[test]
fn malformed_output_is_a_parse_error() {
    for text in [
        "",
        "stanza: other\nstatus: ok\n",
        "stanza: vx\nstatus: ok\n  archiveId: 15-1, total WAL checked: many\n",
    ] {
        let e = parse_verify(text, "vx").expect_err(text);
        assert_eq!(e.kind(), crate::error::ErrorKind::Parse, "{text}: {e}");
    }
    // An error status with nothing itemised still fails with a reason.
    let r = parse_verify("stanza: vx\nstatus: error\n", "vx").expect("parses");
    assert_eq!(
        r.summary(),
        "failed: pgbackrest verify reported status error"
    );
}
