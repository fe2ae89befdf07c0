//! [`FailoverState`]: what the metrics know about a venture's failovers — outcomes counted since
//! the agent started, whether one is running now, and how long the last completed one took
//! (primary declared down → new primary writable). Updated by the failover controller.

/// Outcomes counted in `backstop_failovers_total`, in the order of [`FailoverState::outcomes`].
pub const FAILOVER_OUTCOMES: [&str; 3] = ["completed", "refused", "failed"];

/// Failover facts of one venture.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FailoverState {
    /// Failovers since the agent started, by outcome ([`FAILOVER_OUTCOMES`] order). A refusal
    /// counts once per change of reason, not every probe round.
    pub outcomes: [u64; 3],
    /// A failover of the venture is running in this agent.
    pub in_progress: bool,
    /// Seconds from the primary declared down to the new primary writable, for the last
    /// completed failover; `None` until one completed.
    pub last_duration_seconds: Option<f64>,
}

impl FailoverState {
    /// Counts one failover `outcome` (one of [`FAILOVER_OUTCOMES`]; others are ignored).
    pub fn count(&mut self, outcome: &str) {
        if let Some(i) = FAILOVER_OUTCOMES.iter().position(|o| *o == outcome) {
            self.outcomes[i] += 1;
        }
    }
}
