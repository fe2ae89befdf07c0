//! The DR drill timeline of a venture: recent drills from the store, newest first, each with
//! its outcome, per-step durations and the measured RTO/RPO against the objectives in force;
//! plus the scheduler's last run, last success and next run from the snapshot.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::scrub::Scrubber;
use crate::state::VentureState;
use crate::store::{DrillRecord, DrillStep};

/// How many drills the timeline lists.
pub const RECENT_DRILLS: usize = 50;

/// One drill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrillView {
    /// Store id.
    pub id: i64,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it finished; `null` while running.
    pub finished_at: Option<DateTime<Utc>>,
    /// `running`, `passed`, `failed` or `aborted`.
    pub outcome: String,
    /// The recovery target.
    pub target_time: Option<DateTime<Utc>>,
    /// Measured RTO, seconds.
    pub rto_seconds: Option<f64>,
    /// Measured RPO, seconds.
    pub rpo_seconds: Option<f64>,
    /// RTO within the objective; `null` when not measured.
    pub rto_met: Option<bool>,
    /// RPO within the objective; `null` when not measured.
    pub rpo_met: Option<bool>,
    /// Why it failed or was aborted (secrets removed).
    pub reason: Option<String>,
    /// The timed steps.
    pub steps: Vec<DrillStep>,
}

/// `GET /api/v1/ventures/{v}/drills`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrillsView {
    /// The RTO objective in force, seconds.
    pub rto_objective_seconds: u64,
    /// The RPO objective in force, seconds.
    pub rpo_objective_seconds: u64,
    /// When the last drill finished.
    pub last_run: Option<DateTime<Utc>>,
    /// When the last passed drill finished.
    pub last_success: Option<DateTime<Utc>>,
    /// When the next scheduled drill is due; `null` when not scheduled.
    pub next_run: Option<DateTime<Utc>>,
    /// Recent drills, newest first (at most [`RECENT_DRILLS`]).
    pub drills: Vec<DrillView>,
}

/// The drill timeline of `v` from `records` (any order) (pure).
pub fn drills(v: &VentureState, records: &[DrillRecord], scrub: &Scrubber) -> DrillsView {
    let rto = v.objectives.rto.as_secs_f64();
    let rpo = v.objectives.rpo.as_secs_f64();
    let mut list: Vec<DrillView> = records
        .iter()
        .map(|d| DrillView {
            id: d.id,
            started_at: d.started_at,
            finished_at: d.finished_at,
            outcome: d.outcome.clone(),
            target_time: d.target_time,
            rto_seconds: d.rto_seconds,
            rpo_seconds: d.rpo_seconds,
            rto_met: d.rto_seconds.map(|s| s <= rto),
            rpo_met: d.rpo_seconds.map(|s| s <= rpo),
            reason: d.reason.as_deref().map(|r| scrub.text(r)),
            steps: d
                .steps
                .iter()
                .map(|s| DrillStep {
                    detail: scrub.text(&s.detail),
                    ..s.clone()
                })
                .collect(),
        })
        .collect();
    list.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(b.id.cmp(&a.id)));
    list.truncate(RECENT_DRILLS);
    DrillsView {
        rto_objective_seconds: v.objectives.rto.as_secs(),
        rpo_objective_seconds: v.objectives.rpo.as_secs(),
        last_run: v.drill.last_run,
        last_success: v.drill.last_success,
        next_run: v.drill.next_run,
        drills: list,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: i64, outcome: &str, rto: Option<f64>, rpo: Option<f64>) -> DrillRecord {
        let at = Utc::now() + chrono::TimeDelta::seconds(id);
        DrillRecord {
            id,
            venture: "a".into(),
            started_at: at,
            finished_at: Some(at),
            outcome: outcome.into(),
            target_time: None,
            rto_seconds: rto,
            rpo_seconds: rpo,
            reason: (outcome != "passed").then(|| "dsn postgres://u:pw1234@h/db refused".into()),
            log_excerpt: None,
            steps: vec![],
        }
    }

    #[test]
    fn newest_first_with_objectives_met_or_not() {
        let v = VentureState::default(); // rto 4h, rpo 15m
        let scrub = Scrubber::of(vec!["postgres://u:pw1234@h/db".into()]);
        let view = drills(
            &v,
            &[
                record(1, "passed", Some(60.0), Some(5.0)),
                record(2, "failed", None, None),
                record(3, "passed", Some(20000.0), Some(1000.0)),
            ],
            &scrub,
        );
        let ids: Vec<i64> = view.drills.iter().map(|d| d.id).collect();
        assert_eq!(ids, [3, 2, 1]);
        assert_eq!(
            (view.drills[0].rto_met, view.drills[0].rpo_met),
            (Some(false), Some(false))
        );
        assert_eq!(
            (view.drills[2].rto_met, view.drills[2].rpo_met),
            (Some(true), Some(true))
        );
        assert_eq!(view.drills[1].rto_met, None);
        assert_eq!(
            view.drills[1].reason.as_deref(),
            Some("dsn [redacted] refused")
        );
    }
}
