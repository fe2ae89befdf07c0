use super::*;

use chrono::TimeZone;

use crate::config::RetentionPolicy;
use crate::state::{BackupStatus, BackupType};

/// 2026-11-27 12:00 UTC, minus `hours`.
fn at(hours: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0)
        .single()
        .expect("valid")
        - TimeDelta::hours(hours)
}

fn backup(id: u32, stop: DateTime<Utc>, status: BackupStatus) -> BackupRecord {
    BackupRecord {
        label: id.to_string(),
        kind: BackupType::Physical,
        status,
        start: stop,
        stop,
        database_size: 0,
        delta: 0,
        repo_size: None,
        repo_delta: None,
        prior: None,
        references: Vec::new(),
        archive_start: None,
        archive_stop: None,
        lsn_start: None,
        lsn_stop: None,
        archive_id: None,
    }
}

/// Daily backups at 04:00 UTC on the `days` days before 2026-11-27 (and that day).
fn dailies(days: i64) -> Vec<BackupRecord> {
    (0..days)
        .rev()
        .map(|d| backup(d as u32, at(8 + 24 * d), BackupStatus::Completed))
        .collect()
}

fn facts(pitr: Option<bool>, addon: Option<&str>, window_hours: Option<i64>) -> SupabaseState {
    SupabaseState {
        pitr_enabled: pitr,
        pitr_addon: addon.map(str::to_owned),
        reported_window: window_hours.map(|h| (at(h), at(0))),
        ..SupabaseState::default()
    }
}

fn policy(daily: i32, weekly: i32, monthly: i32) -> Policy {
    Policy {
        daily,
        weekly,
        monthly,
        ..Policy::default()
    }
}

const DAY: Duration = Duration::from_secs(86_400);

fn rules(a: &Assessment) -> Vec<(&'static str, i64, i64)> {
    a.retention
        .iter()
        .map(|r| (r.rule, r.required, r.kept))
        .collect()
}

fn unmeetable(a: &Assessment) -> Vec<(&str, &str)> {
    a.unmeetable
        .iter()
        .map(|u| (u.rule.as_str(), u.reason.as_str()))
        .collect()
}

#[test]
fn seven_daily_met_by_a_seven_day_pitr_window() {
    let f = facts(Some(true), Some("pitr_7"), Some(7 * 24));
    let a = assess(&policy(7, 0, 0), DAY * 7, &[], Some(&f));
    // 2026-11-20 12:00 .. 2026-11-27 12:00 touches 8 UTC days.
    assert_eq!(a.points.len(), 8);
    assert!(a.points.iter().all(|p| p.origin == Origin::Pitr));
    assert_eq!(a.points[0].at, at(7 * 24 - 12) - TimeDelta::seconds(1));
    assert_eq!(a.points[7].at, at(0), "today: the window's end");
    assert_eq!(rules(&a), vec![("daily", 7, 7)]);
    assert!(a.unmeetable.is_empty(), "{:?}", a.unmeetable);
    assert_eq!(a.verdicts.iter().filter(|v| v.keep).count(), 7);
    assert!(
        !a.verdicts[0].keep,
        "the oldest, partial day is beyond 7 daily"
    );
}

#[test]
fn weekly_and_monthly_unmeetable_on_pitr_7() {
    let f = facts(Some(true), Some("pitr_7"), Some(7 * 24));
    let a = assess(&policy(7, 4, 12), Duration::ZERO, &dailies(7), Some(&f));
    assert_eq!(
        unmeetable(&a),
        vec![
            (
                "weekly",
                "4 weekly restore points need 22 days of history; the plan keeps 7 days (pitr_7)"
            ),
            (
                "monthly",
                "12 monthly restore points need 11 months of history; the plan keeps 7 days (pitr_7)"
            ),
        ]
    );
    assert_eq!(
        rules(&a),
        vec![("daily", 7, 7), ("weekly", 4, 2), ("monthly", 12, 1)]
    );
}

#[test]
fn pitr_off_with_thirty_daily_backups() {
    let f = facts(Some(false), Some("off"), None);
    let backups = dailies(30);
    let a = assess(&policy(30, 4, 12), Duration::ZERO, &backups, Some(&f));
    assert_eq!(a.points.len(), 30);
    assert!(a.points.iter().all(|p| p.origin == Origin::Backup));
    assert_eq!(a.points[29].label.as_deref(), Some("0"));
    assert_eq!(rules(&a)[0], ("daily", 30, 30));
    assert_eq!(
        unmeetable(&a),
        vec![(
            "monthly",
            "12 monthly restore points need 11 months of history; the plan keeps 30 days (daily backups, PITR off; plan tier unknown: assumed Enterprise's 30 days; Pro keeps 7, Team 14)"
        )]
    );
    assert_eq!(a.backup_verdicts.len(), 30);
    assert!(a.backup_verdicts.iter().all(|v| v.keep));
    assert_eq!(a.backup_verdicts[29].reasons[0], "daily snapshot");
    let a = assess(&policy(31, 0, 0), Duration::ZERO, &backups, Some(&f));
    assert_eq!(a.unmeetable[0].rule, "daily");
}

#[test]
fn pitr_window_objective_beyond_the_add_on() {
    type Case<'a> = (Option<bool>, Option<&'a str>, u32, Option<&'a str>);
    let cases: [Case; 5] = [
        (
            Some(true),
            Some("pitr_28"),
            30,
            Some("a PITR window of 30 days is unmeetable by 2 days: the plan keeps 28 days (pitr_28)"),
        ),
        (Some(true), Some("pitr_28"), 28, None),
        (
            Some(true),
            Some("pitr_7"),
            14,
            Some("a PITR window of 14 days is unmeetable by 7 days: the plan keeps 7 days (pitr_7)"),
        ),
        (
            Some(false),
            None,
            7,
            Some("a PITR window of 7 days needs point-in-time recovery; PITR is off (daily backups only)"),
        ),
        (
            None,
            None,
            30,
            Some("a PITR window of 30 days is unmeetable by 2 days: the largest PITR add-on (pitr_28) keeps 28 days"),
        ),
    ];
    for (pitr, addon, days, want) in cases {
        let f = facts(pitr, addon, None);
        let a = assess(&Policy::default(), DAY * days, &[], Some(&f));
        let got: Vec<&str> = a.unmeetable.iter().map(|u| u.reason.as_str()).collect();
        assert_eq!(
            got,
            want.into_iter().collect::<Vec<_>>(),
            "{pitr:?} {addon:?} {days}"
        );
        assert!(a.unmeetable.iter().all(|u| u.rule == "pitr_window"));
    }
}

#[test]
fn pitr_on_with_unknown_add_on_assumes_the_largest() {
    let f = facts(Some(true), None, Some(24));
    let a = assess(&policy(0, 5, 0), Duration::ZERO, &[], Some(&f));
    assert_eq!(a.horizon.days, 28);
    assert_eq!(
        unmeetable(&a),
        vec![(
            "weekly",
            "5 weekly restore points need 29 days of history; the plan keeps 28 days (pitr_28; PITR is on but its add-on is unknown: assumed the largest, pitr_28)"
        )]
    );
}

#[test]
fn failed_and_missing_days_without_pitr_do_not_count() {
    let mut backups = dailies(7);
    backups.remove(3); // a day with no backup at all
    backups[4].status = BackupStatus::ChecksumError; // a day whose only backup is not usable
    let f = facts(Some(false), None, None);
    let a = assess(&policy(7, 0, 0), Duration::ZERO, &backups, Some(&f));
    assert_eq!(a.points.len(), 5);
    assert_eq!(rules(&a), vec![("daily", 7, 5)]);
    assert!(!a.backup_verdicts[4].keep);
    assert!(a.backup_verdicts[4].reasons.is_empty());
}

#[test]
fn a_reported_window_is_ignored_while_pitr_is_off() {
    let f = facts(Some(false), None, Some(72));
    let a = assess(&policy(7, 0, 0), Duration::ZERO, &[], Some(&f));
    assert!(a.points.is_empty());
}

#[test]
fn empty_window_and_no_facts() {
    let a = assess(&policy(7, 4, 12), Duration::ZERO, &[], None);
    assert!(a.points.is_empty());
    assert!(a.verdicts.is_empty());
    assert_eq!(
        rules(&a),
        vec![("daily", 7, 0), ("weekly", 4, 0), ("monthly", 12, 0)]
    );
    assert_eq!(a.horizon.days, 30, "unknown plan: the best case");
    let inverted = restore_points(&[], Some((at(0), at(5))), TimeDelta::days(1));
    assert!(inverted.is_empty());
    let instant = restore_points(&[], Some((at(0), at(0))), TimeDelta::days(1));
    assert_eq!(instant.len(), 1);
    assert_eq!(instant[0].at, at(0));
}

#[test]
fn a_day_with_backup_and_pitr_keeps_the_later_instant_and_the_backup_its_verdict() {
    let backups = vec![backup(1, at(8), BackupStatus::Completed)];
    let f = facts(Some(true), Some("pitr_7"), Some(10));
    let a = assess(&policy(7, 0, 0), Duration::ZERO, &backups, Some(&f));
    assert_eq!(a.points.len(), 1);
    assert_eq!(a.points[0].origin, Origin::Pitr);
    assert_eq!(a.points[0].at, at(0));
    assert!(a.backup_verdicts[0].keep);
    assert_eq!(a.backup_verdicts[0].index, 0);
}

#[test]
fn hourly_rules_count_pitr_hours_and_one_backup_a_day_otherwise() {
    let hourly = Policy {
        hourly: 24,
        ..Policy::default()
    };
    let f = facts(Some(true), Some("pitr_7"), Some(30));
    let a = assess(&hourly, Duration::ZERO, &[], Some(&f));
    assert_eq!(
        a.points.len(),
        31,
        "06:00 day before .. 12:00 today, per hour"
    );
    assert_eq!(rules(&a), vec![("hourly", 24, 24)]);
    assert!(a.unmeetable.is_empty());

    let f = facts(Some(false), None, None);
    let a = assess(&hourly, Duration::ZERO, &dailies(30), Some(&f));
    assert_eq!(rules(&a), vec![("hourly", 24, 24)]);
    assert!(a.unmeetable.is_empty(), "24 days fit in 30");
    let mut more = hourly;
    more.hourly = 48;
    let a = assess(&more, Duration::ZERO, &dailies(30), Some(&f));
    assert_eq!(
        unmeetable(&a)[0].1,
        "48 hourly restore points need 48 days of history at one backup a day (hourly restore points need PITR); the plan keeps 30 days (daily backups, PITR off; plan tier unknown: assumed Enterprise's 30 days; Pro keeps 7, Team 14)"
    );
}

#[test]
fn unlimited_and_yearly_rules() {
    let p: Policy = RetentionPolicy {
        daily: -1,
        yearly: 2,
        ..RetentionPolicy::default()
    }
    .into();
    let f = facts(Some(true), Some("pitr_28"), None);
    let a = assess(&p, Duration::ZERO, &[], Some(&f));
    assert_eq!(
        unmeetable(&a),
        vec![
            (
                "daily",
                "unlimited daily restore points need unlimited history; the plan keeps 28 days (pitr_28)"
            ),
            (
                "yearly",
                "2 yearly restore points need 1 year of history; the plan keeps 28 days (pitr_28)"
            ),
        ]
    );
}
