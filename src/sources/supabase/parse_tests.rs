use super::*;

use crate::error::ErrorKind;

fn t(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .expect("time")
        .with_timezone(&Utc)
}

#[test]
fn recorded_fresh_project_has_no_window() {
    let body = br#"{ "region": "us-east-1", "pitr_enabled": false, "walg_enabled": true,
        "backups": [], "physical_backup_data": {} }"#;
    let b = parse_backups(body).expect("parse");
    assert_eq!(b.pitr_enabled, Some(false));
    assert_eq!(b.walg_enabled, Some(true));
    assert!(b.backups.is_empty());
    assert_eq!(b.window, None);
}

#[test]
fn live_project_backups_oldest_first_and_no_physical_data() {
    let body = br#"{ "region": "sa-east-1", "walg_enabled": true, "pitr_enabled": false,
      "backups": [ { "inserted_at": "2026-08-10T04:30:15Z", "status": "COMPLETED", "is_physical_backup": true },
                   { "inserted_at": "2026-08-09T04:29:41Z", "status": "COMPLETED", "is_physical_backup": true } ] }"#;
    let b = parse_backups(body).expect("parse");
    assert_eq!(b.backups.len(), 2);
    assert_eq!(b.backups[0].stop, t("2026-08-09T04:29:41Z"));
    assert_eq!(b.backups[1].stop, t("2026-08-10T04:30:15Z"));
    assert_eq!(b.backups[0].kind, BackupType::Physical);
    assert!(b.backups.iter().all(|r| r.status.is_usable()));
    assert_eq!(b.window, None);
}

#[test]
fn statuses_are_case_insensitive_and_others_counted() {
    let body = br#"{ "pitr_enabled": true, "walg_enabled": true, "extra": 1,
      "backups": [
        { "id": 7, "inserted_at": "2026-05-02T17:54:07.268Z", "status": "completed", "is_physical_backup": false, "x": null },
        { "inserted_at": "2026-05-02T17:54:07Z", "status": "FAILED", "is_physical_backup": true },
        { "inserted_at": "2026-05-02T17:54:07Z", "status": "pending", "is_physical_backup": true },
        { "inserted_at": "2026-05-02T17:54:07Z", "status": "REMOVED", "is_physical_backup": true },
        { "inserted_at": "2026-05-02T17:54:07Z", "status": "ARCHIVED", "is_physical_backup": true },
        { "inserted_at": "2026-05-02T17:54:07Z", "status": "CANCELLED", "is_physical_backup": true },
        { "inserted_at": "2026-05-02T17:54:07Z", "status": "WEIRD", "is_physical_backup": true } ],
      "physical_backup_data": { "earliest_physical_backup_date_unix": 1777000000,
                                "latest_physical_backup_date_unix": 1777600000 } }"#;
    let b = parse_backups(body).expect("parse");
    assert_eq!(b.backups.len(), 1);
    assert_eq!(b.backups[0].label, "7");
    assert_eq!(b.backups[0].kind, BackupType::Logical);
    assert_eq!(b.backups[0].stop, t("2026-05-02T17:54:07.268Z"));
    let o = b.other;
    assert_eq!(
        (
            o.failed,
            o.pending,
            o.removed,
            o.archived,
            o.cancelled,
            o.unknown
        ),
        (1, 1, 1, 1, 1, 1)
    );
    let (e, l) = b.window.expect("window");
    assert_eq!((e.timestamp(), l.timestamp()), (1777000000, 1777600000));
}

#[test]
fn a_half_or_zero_window_is_none() {
    for data in [
        r#"{ "earliest_physical_backup_date_unix": 1777000000 }"#,
        r#"{ "earliest_physical_backup_date_unix": 0, "latest_physical_backup_date_unix": 0 }"#,
        "null",
    ] {
        let body = format!(r#"{{ "backups": [], "physical_backup_data": {data} }}"#);
        assert_eq!(
            parse_backups(body.as_bytes()).expect("parse").window,
            None,
            "{data}"
        );
    }
}

#[test]
fn inserted_at_formats() {
    let want = t("2026-02-08T16:44:07Z");
    for text in [
        "2026-02-08T16:44:07Z",
        "2026-02-08T16:44:07",
        "2026-02-08 16:44:07",
        "2026-02-08T16:44:07.000Z",
        "2026-02-08T16:44:07.000",
        "2026-02-08T18:44:07+02:00",
    ] {
        assert_eq!(parse_time(text).expect(text), want, "{text}");
    }
    assert!(parse_time("yesterday").is_err());
}

#[test]
fn malformed_is_a_parse_error() {
    for body in [&b"{"[..], b"[]", b"{\"backups\": [{\"status\": 1}]}", b""] {
        let e = parse_backups(body).expect_err("malformed");
        assert_eq!(e.kind(), ErrorKind::Parse);
    }
}
