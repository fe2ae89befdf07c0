//! Whether a trigger's condition holds for a venture now (pure): the `backstop check` rules
//! ([`crate::check::rules::venture_rules`]) that firing at warning or above means it.
//!
//! - `backup_stale`: `backup_stale` (newest usable backup older than `backup_max_age`) or
//!   `no_usable_backup` (the source answered and lists none: as stale as it gets).
//! - `archiving_failing`: `archiving_failing` on any endpoint.
//! - `endpoint_down`: `primary_unreachable` / `standby_unreachable` of an endpoint whose last
//!   probe *failed* (an endpoint not probed yet is not down).
//! - `drill_failed`: the venture's last passed-or-failed drill failed.

use chrono::{DateTime, Utc};

use crate::check::rules::{venture_rules, Severity};
use crate::config::TriggerWhen;
use crate::state::VentureState;

/// A condition that holds: which rule fired and what it found.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The rule (`backup_stale`, `archiving_failing`, `primary_unreachable`, `drill_failed`, …).
    pub rule: &'static str,
    /// The finding's message (`endpoint pg1: …` when about an endpoint), with its figures.
    pub detail: String,
}

/// Rules that mean `when` holds.
fn rules_of(when: TriggerWhen) -> &'static [&'static str] {
    match when {
        TriggerWhen::BackupStale => &["backup_stale", "no_usable_backup"],
        TriggerWhen::ArchivingFailing => &["archiving_failing"],
        TriggerWhen::EndpointDown => &["primary_unreachable", "standby_unreachable"],
        TriggerWhen::DrillFailed => &[],
    }
}

/// The first finding that makes `when` hold for `v` at `now`, or `None`.
pub fn holds(when: TriggerWhen, v: &VentureState, now: DateTime<Utc>) -> Option<Condition> {
    if when == TriggerWhen::DrillFailed {
        return (v.drill.last_outcome_ok == Some(false)).then(|| Condition {
            rule: "drill_failed",
            detail: match v.drill.last_run {
                Some(at) => format!("the last DR drill (finished {}) failed", at.to_rfc3339()),
                None => "the last DR drill failed".to_owned(),
            },
        });
    }
    let rules = rules_of(when);
    venture_rules(v, now)
        .into_iter()
        .filter(|f| f.severity >= Severity::Warning && rules.contains(&f.rule))
        .find(|f| {
            // Unreachable includes "never probed yet"; down means a probe failed.
            when != TriggerWhen::EndpointDown
                || f.endpoint
                    .as_deref()
                    .and_then(|e| v.endpoint(e))
                    .is_some_and(|e| e.probe.up == Some(false))
        })
        .map(|f| Condition {
            rule: f.rule,
            detail: match &f.endpoint {
                Some(e) => format!("endpoint {e}: {}", f.message),
                None => f.message,
            },
        })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeDelta;

    use super::*;
    use crate::state::{
        ArchiverStats, BackupRecord, BackupStatus, BackupType, EndpointObservation, EndpointState,
        Role, SourceKind, SourceState,
    };

    fn now() -> DateTime<Utc> {
        "2026-05-01T12:00:00Z".parse().expect("time")
    }

    fn venture(backup_age_hours: Option<i64>) -> VentureState {
        let mut source = SourceState::new(SourceKind::PgBackRest);
        source.up = Some(true);
        if let Some(h) = backup_age_hours {
            source.backups.push(BackupRecord {
                label: "20260501-000000F".into(),
                kind: BackupType::Full,
                status: BackupStatus::Completed,
                start: now() - TimeDelta::hours(h + 1),
                stop: now() - TimeDelta::hours(h),
                database_size: 1,
                delta: 1,
                repo_size: None,
                repo_delta: None,
                prior: None,
                references: vec![],
                archive_start: None,
                archive_stop: None,
                lsn_start: None,
                lsn_stop: None,
                archive_id: None,
            });
        }
        let mut v = VentureState {
            name: "acme".into(),
            source: Some(source),
            endpoints: vec![EndpointState {
                name: "pg1".into(),
                configured_role: Role::Primary,
                ..Default::default()
            }],
            ..Default::default()
        };
        v.objectives.backup_max_age = Duration::from_secs(26 * 3600);
        v
    }

    fn rule(when: TriggerWhen, v: &VentureState) -> Option<&'static str> {
        holds(when, v, now()).map(|c| c.rule)
    }

    #[test]
    fn each_condition_reads_its_rules() {
        use TriggerWhen::*;
        let fresh = venture(Some(2));
        for when in [BackupStale, ArchivingFailing, EndpointDown, DrillFailed] {
            assert_eq!(
                rule(when, &fresh),
                None,
                "{when}: a fresh, unprobed venture"
            );
        }
        assert_eq!(rule(BackupStale, &venture(Some(30))), Some("backup_stale"));
        assert_eq!(rule(BackupStale, &venture(None)), Some("no_usable_backup"));
        let stale = holds(BackupStale, &venture(Some(30)), now()).expect("holds");
        assert!(stale.detail.contains("above backup_max_age"), "{stale:?}");

        let mut down = venture(Some(2));
        down.endpoints[0].probe.up = Some(false);
        assert_eq!(rule(EndpointDown, &down), Some("primary_unreachable"));
        let detail = holds(EndpointDown, &down, now()).expect("down").detail;
        assert!(
            detail.starts_with("endpoint pg1: primary endpoint is unreachable"),
            "{detail}"
        );

        let mut archiving = venture(Some(2));
        archiving.endpoints[0].probe.up = Some(true);
        archiving.endpoints[0].observed = Some(EndpointObservation {
            archive_mode: "on".into(),
            archive_timeout_seconds: 60,
            archiver: Some(ArchiverStats {
                failed_count: 3,
                last_failed_time: Some(now()),
                last_archived_time: Some(now() - TimeDelta::seconds(10)),
                ..Default::default()
            }),
            ..Default::default()
        });
        assert_eq!(
            rule(ArchivingFailing, &archiving),
            Some("archiving_failing")
        );
        assert_eq!(rule(EndpointDown, &archiving), None);

        let mut drill = venture(Some(2));
        drill.drill.last_outcome_ok = Some(false);
        assert_eq!(rule(DrillFailed, &drill), Some("drill_failed"));
        drill.drill.last_outcome_ok = Some(true);
        assert_eq!(rule(DrillFailed, &drill), None);
    }
}
