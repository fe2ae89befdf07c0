//! Table tests of the `info` parser: real 2.45 output and hand-made variants.

use super::*;

const REAL: &str = include_str!("testdata/info-2.45.json");

#[test]
fn real_245_output_parses_by_key_name() {
    let info = parse_info(REAL, "demo").expect("parses");
    assert_eq!(info.status, (0, "ok".to_owned()));
    assert_eq!(info.backups.len(), 3);
    let kinds: Vec<_> = info.backups.iter().map(|b| b.kind).collect();
    assert_eq!(
        kinds,
        [BackupType::Full, BackupType::Diff, BackupType::Incr]
    );
    let full = &info.backups[0];
    assert_eq!(full.label, "20261127-103543F");
    assert_eq!(full.status, BackupStatus::Completed);
    assert_eq!(full.stop.timestamp(), 1795775749);
    assert_eq!(full.database_size, 23213893);
    assert_eq!(full.repo_delta, Some(23213893));
    assert_eq!(full.prior, None);
    assert!(full.references.is_empty());
    assert_eq!(
        full.archive_start.as_deref(),
        Some("000000010000000000000007")
    );
    assert_eq!(full.lsn_start, Some(0x700028));
    assert_eq!(full.archive_id.as_deref(), Some("15-1"));
    let incr = &info.backups[2];
    assert_eq!(
        incr.prior.as_deref(),
        Some("20261127-103543F_20261127-103550D")
    );
    assert_eq!(incr.references.len(), 2);
    assert_eq!(incr.repo_delta, Some(8456));
    assert_eq!(info.databases[0].version, "15");
    assert_eq!(info.databases[0].system_id, 7712798080050517504);
    assert_eq!(
        info.archives[0].min.as_deref(),
        Some("000000010000000000000006")
    );
    assert_eq!(
        info.archives[0].max.as_deref(),
        Some("00000001000000000000000B")
    );
}

const VARIANTS: &str = r#"[{"name":"other","status":{"code":0,"message":"ok"}},
 {"archive":[{"database":{"id":2,"repo-key":1},"id":"16-2","max":null,"min":null}],
  "backup":[
   {"archive":{"start":null,"stop":null},"database":{"id":2},"error":true,
    "info":{"delta":5,"repository":{"delta-map":1,"size-map":2},"size":10},
    "label":"20260101-000000F","prior":null,"reference":null,"annotation":{"k":"v"},
    "timestamp":{"start":1767225600,"stop":1767225660},"type":"full","new-key":[1,2]},
   {"info":{"delta":1,"size":10},"label":"20260101-000000F_20260102-000000I",
    "prior":"20260101-000000F","reference":["20260101-000000F"],
    "timestamp":{"start":1767312000,"stop":1767312060},"type":"incr"}],
  "db":[{"id":2,"system-id":18446744073709551615,"version":"16"}],
  "name":"acme","status":{"code":2,"lock":{"backup":{"held":true,"size":1}},"message":"no valid backups"}}]"#;

#[test]
fn optional_keys_are_unknown_and_error_true_is_checksum_error() {
    let info = parse_info(VARIANTS, "acme").expect("parses");
    assert_eq!(info.status, (2, "no valid backups".to_owned()));
    let full = &info.backups[0];
    assert_eq!(full.status, BackupStatus::ChecksumError);
    assert_eq!(full.repo_size, None, "block incremental: size-map only");
    assert_eq!(full.repo_delta, None);
    assert_eq!(full.archive_start, None);
    assert_eq!(full.lsn_start, None);
    assert_eq!(full.archive_id.as_deref(), Some("16-2"));
    let incr = &info.backups[1];
    assert_eq!(
        incr.status,
        BackupStatus::Completed,
        "no error key: completed"
    );
    assert_eq!(incr.archive_id, None);
    assert_eq!(info.databases[0].system_id, u64::MAX);
    assert_eq!(info.archives[0].max, None);
}

#[test]
fn malformed_output_is_a_parse_error() {
    for bad in [
        "",
        "   \n",
        "{",
        "null",
        "{}",
        "[]",
        "[{\"name\":\"acme\"}]",
        r#"[{"name":"acme","status":{"code":0},"backup":[{"label":"x","type":"weird","timestamp":{"start":1,"stop":2},"info":{"size":1,"delta":1}}]}]"#,
        r#"[{"name":"acme","status":{"code":0},"backup":[{"label":"x","type":"full","timestamp":{"start":1,"stop":99999999999999},"info":{"size":1,"delta":1}}]}]"#,
        r#"[{"name":"acme","status":{"code":0},"backup":[{"label":"x","type":"full","timestamp":{"start":1,"stop":2},"info":{"size":-1,"delta":1}}]}]"#,
    ] {
        let err = parse_info(bad, "acme").expect_err(bad);
        assert_eq!(err.kind(), crate::error::ErrorKind::Parse, "{bad}: {err}");
    }
    let err = parse_info(REAL, "acme").expect_err("stanza not listed");
    assert!(err.to_string().contains("\"acme\" is not listed"), "{err}");
}
