//! [`TriggerState`]: what the metrics know about one recovery trigger of a venture — its
//! `trigger` label and its runs by outcome since the agent started
//! (`backstop_trigger_runs_total`). One entry per configured trigger from the first snapshot,
//! so the counters start at 0; updated after each run by [`crate::triggers`].

/// Outcomes a trigger run can have, in the order of [`TriggerState::runs`].
pub const TRIGGER_OUTCOMES: [&str; 2] = ["ok", "failed"];

/// Run counters of one configured trigger.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TriggerState {
    /// The `trigger` label ([`crate::triggers::labels`]).
    pub label: String,
    /// Finished runs since the agent started, by outcome ([`TRIGGER_OUTCOMES`] order).
    pub runs: [u64; 2],
}

impl TriggerState {
    /// Counts one finished run.
    pub fn count(&mut self, ok: bool) {
        self.runs[usize::from(!ok)] += 1;
    }
}
