//! Drills in the report (pure): each stored drill as a [`DrillRow`] judged against the
//! objectives, what followed each failure (the next drill, the next passed one and how long the
//! venture went without a passing drill, the notifications sent), and the drill part of the
//! summary: counts, RTO/RPO against the objectives, the quarterly-drill requirement.

use chrono::{DateTime, Utc};

use super::model::{DrillRow, FollowUp, ObjectiveCheck, PhaseRow, QuarterRow};
use super::period::{Period, Quarter};
use crate::state::Objectives;
use crate::store::{DrillRecord, SendRecord};

/// The drills of `records` started inside `period`, as rows. `records` (oldest first) may reach
/// further back; later drills of `records` serve as what followed a failure.
pub fn rows(
    records: &[DrillRecord],
    period: &Period,
    objectives: &Objectives,
    sends: &[SendRecord],
) -> Vec<DrillRow> {
    records
        .iter()
        .enumerate()
        .filter(|(_, d)| period.contains(d.started_at))
        .map(|(i, d)| {
            let later = &records[i + 1..];
            let followed_by = matches!(d.outcome.as_str(), "failed" | "aborted")
                .then(|| follow_up(d, later, period, sends));
            DrillRow {
                id: d.id,
                started_at: d.started_at,
                finished_at: d.finished_at,
                target_time: d.target_time,
                outcome: d.outcome.clone(),
                rto_seconds: d.rto_seconds,
                rto_met: d.rto_seconds.map(|s| s <= objectives.rto.as_secs_f64()),
                rpo_seconds: d.rpo_seconds,
                rpo_met: d.rpo_seconds.map(|s| s <= objectives.rpo.as_secs_f64()),
                phases: d
                    .steps
                    .iter()
                    .map(|s| PhaseRow {
                        name: s.name.clone(),
                        seconds: s.seconds,
                        ok: s.ok,
                        detail: s.detail.clone(),
                    })
                    .collect(),
                reason: d.reason.clone(),
                log_excerpt: d.log_excerpt.clone(),
                followed_by,
            }
        })
        .collect()
}

fn follow_up(
    d: &DrillRecord,
    later: &[DrillRecord],
    period: &Period,
    sends: &[SendRecord],
) -> FollowUp {
    let next = later.first();
    let recovered = later.iter().find(|l| l.outcome == "passed");
    let until = next.map_or(period.until, |n| n.started_at);
    let mut notifications: Vec<&SendRecord> = sends
        .iter()
        .filter(|s| s.event.contains("drill") && s.at >= d.started_at && s.at < until)
        .collect();
    notifications.sort_by_key(|s| s.at);
    FollowUp {
        next_drill_id: next.map(|n| n.id),
        next_started_at: next.map(|n| n.started_at),
        next_outcome: next.map(|n| n.outcome.clone()),
        recovered_by_drill_id: recovered.map(|r| r.id),
        recovered_after_seconds: recovered
            .and_then(|r| r.finished_at)
            .map(|f| seconds(f - d.started_at)),
        notifications: notifications
            .iter()
            .map(|s| {
                format!(
                    "{} {} {} {} to {}: {}",
                    s.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    s.event,
                    s.action,
                    s.severity,
                    s.receiver,
                    s.outcome
                )
            })
            .collect(),
    }
}

fn seconds(d: chrono::TimeDelta) -> f64 {
    d.num_milliseconds() as f64 / 1000.0
}

/// Counts of rows by outcome: passed, failed, aborted, running.
pub fn counts(rows: &[DrillRow]) -> [u32; 4] {
    let n = |o: &str| rows.iter().filter(|d| d.outcome == o).count() as u32;
    [n("passed"), n("failed"), n("aborted"), n("running")]
}

/// The passed drills' measurements of one objective (`pick` chooses RTO or RPO).
pub fn check(
    rows: &[DrillRow],
    objective: std::time::Duration,
    pick: impl Fn(&DrillRow) -> Option<f64>,
) -> ObjectiveCheck {
    let measured: Vec<f64> = rows
        .iter()
        .filter(|d| d.outcome == "passed")
        .filter_map(pick)
        .collect();
    let limit = objective.as_secs_f64();
    let within = measured.iter().filter(|s| **s <= limit).count() as u32;
    ObjectiveCheck {
        objective_seconds: objective.as_secs(),
        measured: measured.len() as u32,
        within,
        worst_seconds: measured.iter().copied().reduce(f64::max),
        met: (!measured.is_empty()).then_some(within as usize == measured.len()),
    }
}

/// The quarterly-drill requirement over `period`: passed drills per quarter, counting drills of
/// `records` before `since` inside the first quarter too.
pub fn quarters(records: &[DrillRecord], period: &Period) -> Vec<QuarterRow> {
    Quarter::overlapping(period)
        .into_iter()
        .map(|q| {
            let (start, end) = (q.start(), q.end());
            let passed = records
                .iter()
                .filter(|d| d.outcome == "passed" && start <= d.started_at && d.started_at < end)
                .filter(|d| d.started_at < period.until)
                .count() as u32;
            let status = if passed > 0 {
                "met"
            } else if end <= period.until {
                "missed"
            } else {
                "open"
            };
            QuarterRow {
                quarter: q.label(),
                start,
                end,
                passed_drills: passed,
                status: status.into(),
            }
        })
        .collect()
}

/// The first instant whose drills the quarterly requirement needs: the start of `since`'s quarter.
pub fn history_start(period: &Period) -> DateTime<Utc> {
    Quarter::of(period.since).start().min(period.since)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::DrillStep;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("time")
            .with_timezone(&Utc)
    }

    fn rec(id: i64, at: &str, outcome: &str, rto: f64) -> DrillRecord {
        DrillRecord {
            id,
            venture: "acme".into(),
            started_at: t(at),
            finished_at: Some(t(at) + chrono::TimeDelta::seconds(rto as i64 + 5)),
            outcome: outcome.into(),
            target_time: Some(t(at)),
            rto_seconds: (outcome == "passed").then_some(rto),
            rpo_seconds: (outcome == "passed").then_some(30.0),
            reason: (outcome != "passed").then(|| "restore failed".into()),
            log_excerpt: None,
            steps: vec![DrillStep {
                name: "restore".into(),
                seconds: rto,
                ok: outcome == "passed",
                detail: String::new(),
            }],
        }
    }

    #[test]
    fn failures_name_what_followed_and_quarters_are_judged() {
        let records = [
            rec(1, "2025-12-01T03:00:00Z", "passed", 60.0),
            rec(2, "2026-01-10T03:00:00Z", "failed", 0.0),
            rec(3, "2026-01-11T03:00:00Z", "aborted", 0.0),
            rec(4, "2026-01-12T03:00:00Z", "passed", 7200.0),
        ];
        let period = Period {
            since: t("2026-01-01T00:00:00Z"),
            until: t("2026-07-15T00:00:00Z"),
        };
        let sends = [SendRecord {
            at: t("2026-01-10T03:01:00Z"),
            receiver: "slack#0".into(),
            venture: Some("acme".into()),
            event: "drill_failed".into(),
            action: "trigger".into(),
            severity: "critical".into(),
            outcome: "delivered".into(),
            attempts: 1,
            status: Some(200),
            error: None,
        }];
        let objectives = Objectives {
            rto: std::time::Duration::from_secs(3600),
            ..Objectives::default()
        };
        let rows = rows(&records, &period, &objectives, &sends);
        assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), [2, 3, 4]);
        let f = rows[0].followed_by.as_ref().expect("follow-up");
        assert_eq!(f.next_drill_id, Some(3));
        assert_eq!(f.next_outcome.as_deref(), Some("aborted"));
        assert_eq!(f.recovered_by_drill_id, Some(4));
        assert_eq!(f.recovered_after_seconds, Some(2.0 * 86400.0 + 7205.0));
        assert_eq!(f.notifications.len(), 1);
        assert!(
            f.notifications[0].contains("drill_failed"),
            "{:?}",
            f.notifications
        );
        assert!(rows[1]
            .followed_by
            .as_ref()
            .expect("f")
            .notifications
            .is_empty());
        assert!(rows[2].followed_by.is_none());
        assert_eq!(rows[2].rto_met, Some(false));
        assert_eq!(counts(&rows), [1, 1, 1, 0]);
        let rto = check(&rows, objectives.rto, |d| d.rto_seconds);
        assert_eq!((rto.measured, rto.within, rto.met), (1, 0, Some(false)));
        let q = quarters(&records, &period);
        let got: Vec<(&str, &str)> = q
            .iter()
            .map(|q| (q.quarter.as_str(), q.status.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("2026-Q1", "met"),
                ("2026-Q2", "missed"),
                ("2026-Q3", "open")
            ]
        );
        assert_eq!(history_start(&period), t("2026-01-01T00:00:00Z"));
    }
}
