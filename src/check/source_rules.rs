//! Readiness rules about a venture's backup source (DESIGN.md §2), evaluated purely.
//!
//! Critical: no usable backup (the source answered but lists none), the newest usable backup
//! older than `backup_max_age`. Warning: the source down, a retention rule unmet, the PITR
//! window split by a WAL gap, a backup failure newer than the newest success, the last backup
//! verification failed or more than a day overdue, a rule the Supabase plan cannot meet
//! ([`super::plan_rule`]). `backstop backups`
//! uses the backup rules alone ([`BACKUP_RULES`]) for its exit code.

use chrono::{DateTime, Utc};

use super::rules::{Finding, Severity};
use crate::state::{SourceState, VentureState};

/// The rules `backstop backups` judges by (the others are about the source or the WAL).
pub const BACKUP_RULES: [&str; 7] = [
    "no_usable_backup",
    "backup_stale",
    "retention_unmet",
    super::plan_rule::RULE,
    "backup_failing",
    "verification_failed",
    "verification_stale",
];

/// The findings about `v`'s backup source (none when it has no source).
pub fn source_rules(v: &VentureState, now: DateTime<Utc>) -> Vec<Finding> {
    let Some(src) = &v.source else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut push = |rule, severity, message: String, action: &str| {
        out.push(Finding {
            venture: v.name.clone(),
            endpoint: None,
            rule,
            severity,
            message,
            action: action.to_string(),
        })
    };
    let source = src.kind.as_str();
    if src.up == Some(false) {
        push(
            "source_down",
            Severity::Warning,
            format!("the last poll of the {source} source failed; showing data as of its last success"),
            "run the source command by hand (e.g. `pgbackrest --stanza=<stanza> info`) and fix what it reports (repository reachable, configuration, permissions)",
        );
    }
    let newest = src.newest_usable(None);
    match newest {
        None if src.up == Some(true) => push(
            "no_usable_backup",
            Severity::Critical,
            format!("the {source} source lists no usable backup: nothing can be restored"),
            "take a full backup now (pgbackrest --stanza=<stanza> backup --type=full) and find why none exists",
        ),
        Some(b) => {
            let max_age = v.objectives.backup_max_age.as_secs();
            let age = (now - b.stop).num_seconds().max(0);
            if age as u64 > max_age {
                push(
                    "backup_stale",
                    Severity::Critical,
                    format!(
                        "newest usable backup {} stopped {age}s ago, above backup_max_age {max_age}s",
                        b.label
                    ),
                    "take a backup now and check the backup schedule (cron/systemd timer) and its log",
                );
            }
        }
        None => {}
    }
    // A rule the Supabase plan cannot meet has its own finding (`retention_unmeetable`).
    let unmeetable: Vec<&str> = src
        .supabase
        .as_ref()
        .map(|s| s.unmeetable.iter().map(|u| u.rule.as_str()).collect())
        .unwrap_or_default();
    let unmet: Vec<String> = unmet_rules(src)
        .into_iter()
        .filter(|u| !unmeetable.iter().any(|r| u.starts_with(&format!("{r}:"))))
        .collect();
    if !unmet.is_empty() {
        push(
            "retention_unmet",
            Severity::Warning,
            format!("retention unmet: {}", unmet.join(", ")),
            if src.supabase.is_some() {
                "the missing days had no completed daily backup and no PITR coverage: check the project's backups in the dashboard; `backstop backups --venture <venture>` lists the restore points"
            } else {
                "keep backups longer (pgBackRest repo-retention-full/diff) or take the missing backups; `backstop backups --venture <venture>` lists the verdicts"
            },
        );
    }
    if let Some(w) = &src.window {
        if w.pieces.len() > 1 || w.missing_segments > 0 {
            push(
                "pitr_window_split",
                Severity::Warning,
                format!(
                    "the PITR window is split into {} pieces by {} missing WAL segment(s)",
                    w.pieces.len(),
                    w.missing_segments
                ),
                "see `backstop pitr --venture <venture>` for the gap; take a full backup so the newest piece starts after it, and find why WAL went missing",
            );
        }
    }
    if let Some(f) = newest_failure_after_success(src) {
        push(
            "backup_failing",
            Severity::Warning,
            format!(
                "backup failed at {} after the newest success{}: {}",
                f.0.to_rfc3339(),
                f.1.map(|c| format!(" (error {c})")).unwrap_or_default(),
                f.2
            ),
            "read the stanza's backup log, fix the error and run the backup again",
        );
    }
    if let Some(ver) = &src.verification {
        if !ver.last_outcome_ok {
            push(
                "verification_failed",
                Severity::Warning,
                format!(
                    "the last backup verification ({}) failed: {}",
                    ver.last_run.to_rfc3339(),
                    ver.detail
                ),
                "run `pgbackrest --stanza=<stanza> verify --output=text --verbose`, then replace what it names (a new full backup; missing WAL cannot be recreated — the window will show the gap)",
            );
        }
        if ver
            .next_due
            .is_some_and(|due| now > due + chrono::TimeDelta::days(1))
        {
            push(
                "verification_stale",
                Severity::Warning,
                format!(
                    "no backup verification since {}: the scheduled one is more than a day late",
                    ver.last_run.to_rfc3339()
                ),
                "check that the agent runs and that verify_schedule is what you want; verification runs in the agent, not in `backstop check`",
            );
        }
    }
    out.extend(super::drift_rule::drift_rules(v));
    out.extend(super::plan_rule::plan_rules(v));
    super::supabase_rules::supabase_rules(v, now, &mut out);
    out
}

/// Rules with fewer kept than required, as `monthly: 3 of 12`.
pub fn unmet_rules(src: &SourceState) -> Vec<String> {
    src.retention
        .iter()
        .filter(|r| !r.is_met())
        .map(|r| format!("{}: {} of {}", r.rule, r.kept, r.required))
        .collect()
}

/// The newest failure (time, code, message) when it is newer than the newest usable backup.
fn newest_failure_after_success(src: &SourceState) -> Option<(DateTime<Utc>, Option<u32>, &str)> {
    let failure = src.failures.iter().max_by_key(|f| f.at)?;
    let success = src.newest_usable(None).map(|b| b.stop);
    success.is_none_or(|s| failure.at > s).then_some((
        failure.at,
        failure.code,
        failure.message.as_str(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::synthetic;
    use crate::pitr::Window;
    use crate::state::{BackupFailure, BackupStatus};
    use chrono::Duration;

    fn now() -> DateTime<Utc> {
        chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 27, 8, 0, 0)
            .single()
            .expect("valid")
    }

    /// A healthy venture: backups up to now, whole window, retention met, old failure.
    fn healthy() -> VentureState {
        let mut v =
            std::sync::Arc::unwrap_or_clone(synthetic::snapshot(1, now()).ventures.remove(0));
        let src = v.source.as_mut().expect("source");
        src.up = Some(true);
        src.window = Some(Window {
            pieces: vec![src.window.as_ref().expect("w").pieces[1].clone()],
            ..Window::default()
        });
        for r in &mut src.retention {
            r.kept = r.required;
        }
        if let Some(ver) = src.verification.as_mut() {
            ver.last_outcome_ok = true;
            ver.next_due = Some(now() + Duration::days(6));
        }
        src.failures = vec![BackupFailure {
            at: now() - Duration::days(30),
            code: Some(56),
            message: "old".into(),
        }];
        v
    }

    fn rules(v: &VentureState) -> Vec<(&'static str, Severity)> {
        source_rules(v, now())
            .into_iter()
            .map(|f| (f.rule, f.severity))
            .collect()
    }

    #[test]
    fn a_rule_the_supabase_plan_cannot_meet_is_not_also_unmet() {
        let mut v = healthy();
        let src = v.source.as_mut().expect("source");
        src.retention = vec![
            crate::retention::RuleStatus {
                rule: "monthly",
                required: 12,
                kept: 1,
            },
            crate::retention::RuleStatus {
                rule: "daily",
                required: 7,
                kept: 5,
            },
        ];
        src.supabase = Some(crate::state::SupabaseState {
            unmeetable: vec![crate::state::UnmeetableRule {
                rule: "monthly".into(),
                reason: "12 monthly restore points need 11 months of history".into(),
            }],
            ..Default::default()
        });
        let findings = source_rules(&v, now());
        let unmet: Vec<&Finding> = findings
            .iter()
            .filter(|f| f.rule == "retention_unmet")
            .collect();
        assert_eq!(unmet.len(), 1, "{findings:?}");
        assert!(
            unmet[0].message.contains("daily: 5 of 7"),
            "{}",
            unmet[0].message
        );
        assert!(
            !unmet[0].message.contains("monthly"),
            "{}",
            unmet[0].message
        );
        assert!(
            !unmet[0].action.contains("pgBackRest"),
            "{}",
            unmet[0].action
        );
    }

    #[test]
    fn table() {
        type Edit = fn(&mut SourceState);
        type Case = (&'static str, Edit, Vec<(&'static str, Severity)>);
        let cases: Vec<Case> = vec![
            ("healthy", |_| {}, vec![]),
            (
                "verification failed",
                |s| {
                    if let Some(v) = s.verification.as_mut() {
                        v.last_outcome_ok = false;
                    }
                },
                vec![("verification_failed", Severity::Warning)],
            ),
            (
                "verification a day overdue",
                |s| {
                    if let Some(v) = s.verification.as_mut() {
                        v.next_due = Some(now() - Duration::hours(25));
                    }
                },
                vec![("verification_stale", Severity::Warning)],
            ),
            (
                "verification due within the day of grace",
                |s| {
                    if let Some(v) = s.verification.as_mut() {
                        v.next_due = Some(now() - Duration::hours(23));
                    }
                },
                vec![],
            ),
            (
                "source down",
                |s| s.up = Some(false),
                vec![("source_down", Severity::Warning)],
            ),
            (
                "no usable backup",
                |s| {
                    s.backups
                        .iter_mut()
                        .for_each(|b| b.status = BackupStatus::ChecksumError)
                },
                vec![
                    ("no_usable_backup", Severity::Critical),
                    ("backup_failing", Severity::Warning),
                ],
            ),
            (
                "never polled: nothing judged",
                |s| {
                    *s = SourceState::new(s.kind);
                },
                vec![],
            ),
            (
                "stale",
                |s| {
                    s.backups
                        .iter_mut()
                        .for_each(|b| b.stop -= Duration::hours(27))
                },
                vec![("backup_stale", Severity::Critical)],
            ),
            (
                "retention unmet",
                |s| s.retention[0].kept = s.retention[0].required - 1,
                vec![("retention_unmet", Severity::Warning)],
            ),
            (
                "window split",
                |s| {
                    s.window = synthetic::snapshot(1, now()).ventures[0]
                        .source
                        .as_ref()
                        .and_then(|s| s.window.clone())
                },
                vec![("pitr_window_split", Severity::Warning)],
            ),
            (
                "missing segment without a second piece",
                |s| s.window.as_mut().expect("w").missing_segments = 1,
                vec![("pitr_window_split", Severity::Warning)],
            ),
            (
                "failure after the newest success",
                |s| s.failures[0].at = now(),
                vec![("backup_failing", Severity::Warning)],
            ),
        ];
        for (name, edit, want) in cases {
            let mut v = healthy();
            edit(v.source.as_mut().expect("source"));
            assert_eq!(rules(&v), want, "case: {name}");
        }
    }

    #[test]
    fn unmet_rules_read_like_a_sentence() {
        let mut v = healthy();
        let src = v.source.as_mut().expect("source");
        src.retention[0].kept = 3;
        src.retention[0].required = 12;
        assert_eq!(
            unmet_rules(src),
            vec![format!("{}: 3 of 12", src.retention[0].rule)]
        );
        let f = source_rules(&v, now());
        assert!(f[0].message.contains(": 3 of 12"), "{}", f[0].message);
    }
}
