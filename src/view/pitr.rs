//! The PITR window of a venture: its pieces and gaps (as `backstop pitr --json`), the earliest
//! and latest recoverable points, the exposure against the RPO and the coverage against the
//! `pitr_window` objective.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::inspect::pitr::{report, PitrReport};
use crate::state::VentureState;

/// `GET /api/v1/ventures/{v}/pitr`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PitrView {
    /// Continuous archiving / PITR is on; `null` when not known.
    pub enabled: Option<bool>,
    /// The earliest recoverable point; `null` when nothing is recoverable.
    pub earliest: Option<DateTime<Utc>>,
    /// latest − earliest, seconds; `null` without a window.
    pub coverage_seconds: Option<u64>,
    /// The `pitr_window` objective, seconds.
    pub pitr_window_objective_seconds: u64,
    /// Coverage at least the objective; `null` without a window.
    pub coverage_met: Option<bool>,
    /// Exposure within the RPO; `null` without a window.
    pub exposure_met: Option<bool>,
    /// Pieces, gaps, missing segments, latest point, exposure and RPO.
    #[serde(flatten)]
    pub window: PitrReport,
}

/// The window of `v` at `now` (pure).
pub fn pitr(v: &VentureState, now: DateTime<Utc>) -> PitrView {
    let window = report(v, now);
    let earliest = window.pieces.iter().map(|p| p.start).min();
    let coverage_seconds = earliest
        .zip(window.latest)
        .map(|(e, l)| (l - e).num_seconds().max(0) as u64);
    let objective = v.objectives.pitr_window.as_secs();
    PitrView {
        enabled: enabled(v),
        earliest,
        coverage_seconds,
        pitr_window_objective_seconds: objective,
        coverage_met: coverage_seconds.map(|c| c >= objective),
        exposure_met: window.exposure_seconds.map(|e| e <= window.rpo_seconds),
        window,
    }
}

/// Supabase: the project's `pitr_enabled`; pgBackRest: `archive_mode` of the primary (or of any
/// endpoint observed) is not `off`, else whether a window exists.
fn enabled(v: &VentureState) -> Option<bool> {
    let src = v.source.as_ref();
    if let Some(s) = src.and_then(|s| s.supabase.as_ref()) {
        return s.pitr_enabled;
    }
    let observed: Vec<_> = v
        .endpoints
        .iter()
        .filter_map(|e| e.observed.as_ref())
        .collect();
    let primary = observed
        .iter()
        .find(|o| !o.in_recovery)
        .or(observed.first());
    if let Some(o) = primary {
        return Some(o.archive_mode != "off");
    }
    src.and_then(|s| s.window.as_ref())
        .map(|w| !w.pieces.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_and_exposure_follow_the_window() {
        let now = Utc::now();
        let snap = crate::metrics::synthetic::snapshot(1, now);
        let v = &snap.ventures[0];
        let view = pitr(v, now);
        let w = v
            .source
            .as_ref()
            .and_then(|s| s.window.as_ref())
            .expect("window");
        assert_eq!(view.earliest, w.earliest());
        assert_eq!(view.window.latest, w.latest());
        let cov = (w.latest().expect("l") - w.earliest().expect("e")).num_seconds() as u64;
        assert_eq!(view.coverage_seconds, Some(cov));
        assert_eq!(
            view.coverage_met,
            Some(cov >= v.objectives.pitr_window.as_secs())
        );
        let empty = VentureState::default();
        let none = pitr(&empty, now);
        assert_eq!((none.earliest, none.coverage_met), (None, None));
        assert!(none.window.pieces.is_empty());
    }
}
