//! Readiness rules of `backstop check` (DESIGN.md §2), evaluated purely on a [`Snapshot`].
//!
//! Critical (exit 2): a primary unreachable, archiving failing longer than the RPO,
//! `archive_timeout` 0 or above the RPO, continuous archiving off on a primary.
//! Warning (exit 1): a standby unreachable, archiving failing (not yet longer than the RPO),
//! archive lag above one WAL segment. Backup-source rules (no usable backup, stale backup,
//! source down, retention unmet, window split, failing backups) are in
//! [`super::source_rules`]; later issues add their rules beside them.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::state::{EndpointState, Role, Snapshot, VentureState};

/// How bad a finding is; orders as ok < warning < critical.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Nothing wrong.
    Ok,
    /// Needs attention; recovery still possible.
    Warning,
    /// Recovery at risk now.
    Critical,
}

impl Severity {
    /// The process exit code for this severity (0, 1, 2).
    pub fn exit_code(self) -> i32 {
        match self {
            Severity::Ok => 0,
            Severity::Warning => 1,
            Severity::Critical => 2,
        }
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// One problem (or confirmation) found by a rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The venture.
    pub venture: String,
    /// The endpoint, when the finding is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Stable identifier of the rule (`primary_unreachable`, `archiving_failing`, …).
    pub rule: &'static str,
    /// How bad.
    pub severity: Severity,
    /// What was found, with the figures.
    pub message: String,
    /// What to do next.
    pub action: String,
}

/// Evaluates every rule on every venture. Ventures and endpoints keep configuration order.
pub fn evaluate(snapshot: &Snapshot, now: DateTime<Utc>) -> Vec<Finding> {
    snapshot
        .ventures
        .iter()
        .flat_map(|v| venture_rules(v, now))
        .collect()
}

/// Every rule on one venture: its endpoints' (in configuration order), then its source's.
pub fn venture_rules(venture: &VentureState, now: DateTime<Utc>) -> Vec<Finding> {
    let mut out = Vec::new();
    for endpoint in &venture.endpoints {
        endpoint_rules(venture, endpoint, now, &mut out);
    }
    out.extend(super::source_rules::source_rules(venture, now));
    out
}

/// The worst severity among `findings` (ok when there are none).
pub fn worst(findings: &[Finding]) -> Severity {
    findings
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Ok)
}

fn endpoint_rules(v: &VentureState, e: &EndpointState, now: DateTime<Utc>, out: &mut Vec<Finding>) {
    let mut push = |rule, severity, message: String, action: String| {
        out.push(Finding {
            venture: v.name.clone(),
            endpoint: Some(e.name.clone()),
            rule,
            severity,
            message,
            action,
        })
    };
    let expected_primary = e.configured_role == Role::Primary;
    if e.probe.up != Some(true) {
        let kind = e.last_error.map(|k| k.as_str()).unwrap_or("unknown");
        let (rule, severity) = if expected_primary {
            ("primary_unreachable", Severity::Critical)
        } else {
            ("standby_unreachable", Severity::Warning)
        };
        push(
            rule,
            severity,
            format!(
                "{} endpoint is unreachable (error kind: {kind})",
                role_word(e)
            ),
            "check that the server is running and reachable with the configured DSN \
             (psql with the same connection string); if the primary is lost, promote a \
             healthy standby or restore from backup"
                .to_string(),
        );
    }
    let Some(obs) = &e.observed else { return };
    if obs.in_recovery {
        return;
    }
    let rpo = v.objectives.rpo.as_secs();
    if obs.archive_mode == "off" {
        push(
            "archiving_off",
            Severity::Critical,
            "continuous WAL archiving is off (archive_mode = off): no point-in-time recovery"
                .into(),
            "set archive_mode = on and an archive_command (or pgBackRest archive-push), then restart PostgreSQL".into(),
        );
        return;
    }
    if obs.archive_timeout_seconds == 0 || obs.archive_timeout_seconds > rpo {
        let now_is = if obs.archive_timeout_seconds == 0 {
            "0 (WAL is never switched on a quiet database)".to_string()
        } else {
            format!("{}s", obs.archive_timeout_seconds)
        };
        push(
            "archive_timeout",
            Severity::Critical,
            format!("archive_timeout is {now_is}, above the RPO of {rpo}s"),
            format!("set archive_timeout to at most the RPO (e.g. ALTER SYSTEM SET archive_timeout = '{}s'; SELECT pg_reload_conf();)", rpo.clamp(1, 300)),
        );
    }
    if let Some(a) = &obs.archiver {
        let failing = match (a.last_failed_time, a.last_archived_time) {
            (Some(f), Some(ok)) => f > ok,
            (Some(_), None) => true,
            _ => false,
        };
        if failing {
            // Failing since the last success (or since ever, when nothing was archived).
            let since = a.last_archived_time;
            let failing_for = since.map(|t| (now - t).num_seconds().max(0));
            let longer_than_rpo = failing_for.is_none_or(|s| s as u64 > rpo);
            let how_long = match failing_for {
                Some(s) => format!("no WAL archived for {s}s"),
                None => "no WAL segment was ever archived".into(),
            };
            push(
                "archiving_failing",
                if longer_than_rpo {
                    Severity::Critical
                } else {
                    Severity::Warning
                },
                format!(
                    "WAL archiving is failing ({} failures; {how_long}; RPO {rpo}s)",
                    a.failed_count
                ),
                "read the PostgreSQL log for the archive_command error and fix it (permissions, full disk, repository reachable); WAL piles up in pg_wal until it works".into(),
            );
        }
    }
    if let Some(lag) = obs.archive_lag_bytes {
        if obs.wal_segment_size > 0 && lag > obs.wal_segment_size {
            push(
                "archive_lag",
                Severity::Warning,
                format!(
                    "{lag} bytes of WAL are not archived yet (more than one {}-byte segment)",
                    obs.wal_segment_size
                ),
                "check that archiving keeps up (pg_stat_archiver, ready files) and that archive_command is not slow".into(),
            );
        }
    }
}

fn role_word(e: &EndpointState) -> &'static str {
    match e.configured_role {
        Role::Primary => "primary",
        _ => "standby",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{ArchiverStats, EndpointObservation, Objectives};
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 8, 0, 0)
            .single()
            .expect("valid")
    }

    fn healthy_primary() -> EndpointState {
        EndpointState {
            name: "pg1".into(),
            configured_role: Role::Primary,
            role: Role::Primary,
            probe: crate::state::ProbeState {
                up: Some(true),
                ..Default::default()
            },
            observed: Some(EndpointObservation {
                at: now(),
                archive_mode: "on".into(),
                archive_timeout_seconds: 60,
                wal_segment_size: 16 << 20,
                archive_lag_bytes: Some(1000),
                archiver: Some(ArchiverStats {
                    archived_count: 10,
                    last_archived_time: Some(now() - chrono::Duration::seconds(30)),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn snap(endpoints: Vec<EndpointState>) -> Snapshot {
        Snapshot {
            ventures: crate::state::shared(vec![VentureState {
                name: "acme".into(),
                objectives: Objectives::default(),
                endpoints,
                ..Default::default()
            }]),
            ..Default::default()
        }
    }

    fn rules(s: &Snapshot) -> Vec<(&'static str, Severity)> {
        evaluate(s, now())
            .into_iter()
            .map(|f| (f.rule, f.severity))
            .collect()
    }

    #[test]
    fn healthy_is_ok() {
        let s = snap(vec![healthy_primary()]);
        assert_eq!(rules(&s), vec![]);
        assert_eq!(worst(&evaluate(&s, now())), Severity::Ok);
    }

    #[test]
    fn table() {
        type Edit = fn(&mut EndpointState);
        type Case = (&'static str, Edit, Vec<(&'static str, Severity)>);
        let cases: Vec<Case> = vec![
            (
                "primary down",
                |e| e.probe.up = Some(false),
                vec![("primary_unreachable", Severity::Critical)],
            ),
            (
                "standby down",
                |e| {
                    e.configured_role = Role::Standby;
                    e.probe.up = Some(false);
                    e.observed = None;
                },
                vec![("standby_unreachable", Severity::Warning)],
            ),
            (
                "never probed counts as unreachable",
                |e| e.probe.up = None,
                vec![("primary_unreachable", Severity::Critical)],
            ),
            (
                "archive_timeout 0",
                |e| set(e, |o| o.archive_timeout_seconds = 0),
                vec![("archive_timeout", Severity::Critical)],
            ),
            (
                "archive_timeout above rpo",
                |e| set(e, |o| o.archive_timeout_seconds = 901),
                vec![("archive_timeout", Severity::Critical)],
            ),
            (
                "archive_timeout equal to rpo is fine",
                |e| set(e, |o| o.archive_timeout_seconds = 900),
                vec![],
            ),
            (
                "archiving off",
                |e| set(e, |o| o.archive_mode = "off".into()),
                vec![("archiving_off", Severity::Critical)],
            ),
            (
                "failing briefly",
                |e| {
                    set(e, |o| {
                        let a = o.archiver.as_mut().expect("set");
                        a.failed_count = 3;
                        a.last_failed_time = Some(now());
                    })
                },
                vec![("archiving_failing", Severity::Warning)],
            ),
            (
                "failing longer than rpo",
                |e| {
                    set(e, |o| {
                        let a = o.archiver.as_mut().expect("set");
                        a.failed_count = 30;
                        a.last_archived_time = Some(now() - chrono::Duration::seconds(901));
                        a.last_failed_time = Some(now());
                    })
                },
                vec![("archiving_failing", Severity::Critical)],
            ),
            (
                "never archived, failing",
                |e| {
                    set(e, |o| {
                        let a = o.archiver.as_mut().expect("set");
                        a.last_archived_time = None;
                        a.failed_count = 1;
                        a.last_failed_time = Some(now());
                    })
                },
                vec![("archiving_failing", Severity::Critical)],
            ),
            (
                "old failure, archiving since",
                |e| {
                    set(e, |o| {
                        let a = o.archiver.as_mut().expect("set");
                        a.failed_count = 1;
                        a.last_failed_time = Some(now() - chrono::Duration::hours(1));
                    })
                },
                vec![],
            ),
            (
                "lag above one segment",
                |e| set(e, |o| o.archive_lag_bytes = Some((16 << 20) + 1)),
                vec![("archive_lag", Severity::Warning)],
            ),
            (
                "standby is not judged on archiving",
                |e| {
                    e.configured_role = Role::Standby;
                    set(e, |o| {
                        o.in_recovery = true;
                        o.archive_timeout_seconds = 0;
                    })
                },
                vec![],
            ),
        ];
        for (name, edit, want) in cases {
            let mut e = healthy_primary();
            edit(&mut e);
            assert_eq!(rules(&snap(vec![e])), want, "case: {name}");
        }
    }

    fn set(e: &mut EndpointState, f: impl FnOnce(&mut EndpointObservation)) {
        f(e.observed.as_mut().expect("observed"));
    }
}
