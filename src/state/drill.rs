//! [`DrillState`]: what the metrics know about a venture's DR drills — the last run, the last
//! success, the last passed/failed outcome, the RTO/RPO the last passed drill measured, and the
//! run counters since the agent started. Loaded from the store at start, updated after each
//! drill by [`crate::drill::record`].

use chrono::{DateTime, Utc};

/// Outcomes a finished drill can have, in the order of [`DrillState::runs`].
pub const DRILL_OUTCOMES: [&str; 3] = ["passed", "failed", "aborted"];

/// Drill facts of one venture.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DrillState {
    /// When the last drill (any outcome) finished.
    pub last_run: Option<DateTime<Utc>>,
    /// When the last passed drill finished.
    pub last_success: Option<DateTime<Utc>>,
    /// Whether the last passed-or-failed drill passed (an aborted drill does not change it).
    pub last_outcome_ok: Option<bool>,
    /// RTO measured by the last passed drill, seconds.
    pub rto_seconds: Option<f64>,
    /// RPO measured by the last passed drill, seconds.
    pub rpo_seconds: Option<f64>,
    /// Finished drills since the agent started, by outcome ([`DRILL_OUTCOMES`] order).
    pub runs: [u64; 3],
    /// Scheduled drills that could not start, since the agent started.
    pub missed_runs: u64,
    /// When the next scheduled drill is due (`None` when the venture is not scheduled).
    pub next_run: Option<DateTime<Utc>>,
}

impl DrillState {
    /// Takes a finished drill into account; `count` adds it to [`DrillState::runs`] (false when
    /// loading history from the store at start).
    pub fn observe(
        &mut self,
        outcome: &str,
        finished_at: DateTime<Utc>,
        rto_seconds: Option<f64>,
        rpo_seconds: Option<f64>,
        count: bool,
    ) {
        if let Some(i) = DRILL_OUTCOMES.iter().position(|o| *o == outcome) {
            if count {
                self.runs[i] += 1;
            }
        }
        if self.last_run.is_none_or(|t| t <= finished_at) {
            self.last_run = Some(finished_at);
        }
        match outcome {
            "passed" => {
                self.last_outcome_ok = Some(true);
                self.last_success = Some(finished_at);
                self.rto_seconds = rto_seconds;
                self.rpo_seconds = rpo_seconds;
            }
            "failed" => self.last_outcome_ok = Some(false),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn aborted_drills_do_not_change_the_outcome_and_failed_ones_keep_the_last_measurement() {
        let t = |s| Utc.timestamp_opt(s, 0).single().expect("ts");
        let mut d = DrillState::default();
        d.observe("passed", t(10), Some(60.0), Some(4.0), true);
        d.observe("failed", t(20), None, None, true);
        d.observe("aborted", t(30), None, None, true);
        assert_eq!(d.last_run, Some(t(30)));
        assert_eq!(d.last_success, Some(t(10)));
        assert_eq!(d.last_outcome_ok, Some(false));
        assert_eq!((d.rto_seconds, d.rpo_seconds), (Some(60.0), Some(4.0)));
        assert_eq!(d.runs, [1, 1, 1]);
        d.observe("passed", t(5), Some(1.0), Some(1.0), false);
        assert_eq!(d.runs, [1, 1, 1], "loading does not count");
        assert_eq!(
            d.last_run,
            Some(t(30)),
            "an older drill does not move last_run"
        );
    }
}
