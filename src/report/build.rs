//! From what [`super::gather`] read to the [`ReportData`] (pure): drills, the dominant phase,
//! coverage and retention now, the other history of the period, and the summary verdict with a
//! sentence for every check that does not hold.

use chrono::{DateTime, Utc};

use super::model::*;
use super::period::Period;
use super::{coverage, drills, phases};
use crate::state::{Objectives, VentureState};
use crate::store::{
    DrillRecord, Event, FailoverRecord, RecoveryRecord, SendRecord, SizeSample, VerificationRecord,
};

/// Everything the report is made of, read by [`super::gather`].
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The venture as polled for the report (objectives with overrides applied).
    pub venture: VentureState,
    /// A stored override changes the configured objectives.
    pub overridden: bool,
    /// The period.
    pub period: Period,
    /// When the report was made (and the venture polled).
    pub now: DateTime<Utc>,
    /// Drills from the start of the first quarter of the period to its end, oldest first.
    pub drills: Vec<DrillRecord>,
    /// Notification sends about the venture.
    pub sends: Vec<SendRecord>,
    /// Verifications in the period.
    pub verifications: Vec<VerificationRecord>,
    /// Failovers in the period.
    pub failovers: Vec<FailoverRecord>,
    /// Recoveries in the period.
    pub recoveries: Vec<RecoveryRecord>,
    /// Size samples from the first day of the period.
    pub size_samples: Vec<SizeSample>,
    /// Objective override events in the period.
    pub objective_events: Vec<Event>,
    /// What could not be read, for humans.
    pub notes: Vec<String>,
}

/// The report (pure).
pub fn build(i: &Inputs) -> ReportData {
    let o = &i.venture.objectives;
    let drill_rows = drills::rows(&i.drills, &i.period, o, &i.sends);
    let coverage = coverage::coverage(&i.venture, o, i.now);
    let retention = coverage::retention(&i.venture);
    let summary = summary(i, &drill_rows, &coverage, &retention);
    ReportData {
        venture: i.venture.name.clone(),
        source: i
            .venture
            .source
            .as_ref()
            .map(|s| s.kind.as_str().to_owned()),
        period: PeriodRow {
            since: i.period.since,
            until: i.period.until,
        },
        generated_at: i.now,
        backstop_version: crate::VERSION.to_owned(),
        objectives: objectives(o, i.overridden),
        objective_changes: i
            .objective_events
            .iter()
            .filter(|e| i.period.contains(e.event.at))
            .map(|e| ObjectiveChange {
                at: e.event.at,
                actor: e.event.actor.clone(),
                message: e.event.message.clone(),
            })
            .collect(),
        summary,
        dominant_phase: phases::dominant(&drill_rows),
        drills: drill_rows,
        coverage,
        retention,
        verifications: i
            .verifications
            .iter()
            .map(|v| VerificationRow {
                started_at: v.started_at,
                finished_at: v.finished_at,
                outcome: v.outcome.clone(),
                detail: v.detail.clone(),
            })
            .collect(),
        failovers: i
            .failovers
            .iter()
            .map(|f| FailoverRow {
                started_at: f.started_at,
                finished_at: f.finished_at,
                from_endpoint: f.from_endpoint.clone(),
                to_endpoint: f.to_endpoint.clone(),
                planned: f.planned,
                outcome: f.outcome.clone(),
                seconds: f
                    .finished_at
                    .map(|e| (e - f.started_at).num_milliseconds() as f64 / 1000.0),
            })
            .collect(),
        recoveries: i
            .recoveries
            .iter()
            .map(|r| RecoveryRow {
                requested_at: r.requested_at,
                target_time: r.target_time,
                method: r.method.clone(),
                executed: r.executed,
                outcome: r.outcome.clone(),
                detail: r.detail.clone(),
                rto_seconds: r.rto_seconds,
                rto_met: r.rto_seconds.map(|s| s <= o.rto.as_secs_f64()),
            })
            .collect(),
        size_history: i
            .size_samples
            .iter()
            .filter(|s| s.day <= i.period.until.date_naive())
            .map(|s| SizeRow {
                day: s.day,
                bytes: s.bytes,
            })
            .collect(),
        notes: i.notes.clone(),
    }
}

fn objectives(o: &Objectives, overridden: bool) -> ObjectivesRow {
    let r = o.retention;
    ObjectivesRow {
        rpo_seconds: o.rpo.as_secs(),
        rto_seconds: o.rto.as_secs(),
        pitr_window_seconds: o.pitr_window.as_secs(),
        backup_max_age_seconds: o.backup_max_age.as_secs(),
        retention: RetentionPolicyRow {
            last: r.last,
            hourly: r.hourly,
            daily: r.daily,
            weekly: r.weekly,
            monthly: r.monthly,
            yearly: r.yearly,
        },
        overridden,
    }
}

fn summary(i: &Inputs, rows: &[DrillRow], cov: &Coverage, ret: &Retention) -> Summary {
    let o = &i.venture.objectives;
    let [passed, failed, aborted, running] = drills::counts(rows);
    let rto = drills::check(rows, o.rto, |d| d.rto_seconds);
    let rpo = drills::check(rows, o.rpo, |d| d.rpo_seconds);
    let quarters = drills::quarters(&i.drills, &i.period);
    let h = |s: f64| super::words::dur(s.round().max(0.0) as u64);
    let mut reasons = Vec::new();
    if rows.is_empty() {
        reasons.push(
            "no drill ran in the period: there is no evidence that the backups restore".to_owned(),
        );
    } else if passed == 0 {
        reasons.push("no drill passed in the period".to_owned());
    }
    for q in quarters.iter().filter(|q| q.status == "missed") {
        reasons.push(format!(
            "no passed drill in {} (one per quarter is required)",
            q.quarter
        ));
    }
    for d in rows.iter().filter(|d| d.outcome == "passed") {
        if let (Some(s), Some(false)) = (d.rto_seconds, d.rto_met) {
            reasons.push(format!(
                "drill {} took {} to recover: above the RTO objective of {}",
                d.id,
                super::words::secs(s),
                h(o.rto.as_secs_f64())
            ));
        }
        if let (Some(s), Some(false)) = (d.rpo_seconds, d.rpo_met) {
            reasons.push(format!(
                "drill {} lost {} of data: above the RPO objective of {}",
                d.id,
                super::words::secs(s),
                h(o.rpo.as_secs_f64())
            ));
        }
    }
    if let Some(last) = rows.iter().rev().find(|d| d.outcome != "running") {
        if last.outcome != "passed" {
            reasons.push(format!(
                "the newest drill ({}, {}) {}{}",
                last.id,
                last.started_at.format("%Y-%m-%d %H:%M UTC"),
                last.outcome,
                last.reason
                    .as_deref()
                    .map_or(String::new(), |r| format!(": {}", first_line(r)))
            ));
        }
    }
    if let (Some(false), Some(b)) = (cov.backup_age_met, &cov.newest_backup) {
        reasons.push(format!(
            "the newest backup is {} old: above backup_max_age {}",
            h(b.age_seconds as f64),
            h(o.backup_max_age.as_secs_f64())
        ));
    }
    if cov.source_up.is_some() && cov.newest_backup.is_none() {
        reasons.push("no usable backup is listed now".to_owned());
    }
    if let Some(w) = &cov.window {
        if let (Some(false), Some(c)) = (w.coverage_met, w.coverage_seconds) {
            reasons.push(format!(
                "the PITR window covers {}: less than the pitr_window objective of {}",
                h(c as f64),
                h(o.pitr_window.as_secs_f64())
            ));
        }
        if !w.gaps.is_empty() {
            reasons.push(format!(
                "the WAL archive has {} gap(s): the window is split",
                w.gaps.len()
            ));
        }
    }
    for r in ret.rules.iter().filter(|r| !r.met) {
        reasons.push(format!(
            "retention rule {} keeps {} of {} required",
            r.rule, r.kept, r.required
        ));
    }
    for u in &ret.unmeetable {
        reasons.push(format!(
            "the Supabase plan cannot meet {}: {}",
            u.rule, u.reason
        ));
    }
    let verdict = if rows.is_empty() {
        "no evidence"
    } else if reasons.is_empty() {
        "met"
    } else {
        "not met"
    };
    Summary {
        verdict: verdict.into(),
        reasons,
        drills_passed: passed,
        drills_failed: failed,
        drills_aborted: aborted,
        drills_running: running,
        rto,
        rpo,
        quarters,
    }
}

/// The first line of a possibly multi-line text.
pub fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}
