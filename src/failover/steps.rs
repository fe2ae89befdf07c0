//! The stages of a failover's persisted state machine and what a restart does with each (pure).
//!
//! A failover moves `started → fenced → promoting → promoted → roles_switched` and finishes
//! `completed`, `failed` or `aborted`. Every stage is written to the store (with a step) before
//! the action that follows it, so the store always knows the furthest action that *may* have
//! happened. `promoting` is written before `pg_promote` is sent: after a crash in that stage the
//! promotion may or may not have been requested, so it is never sent again ([`resume`]); the
//! standby is re-checked instead, which keeps it to exactly one promotion.

use std::fmt;

/// One stage of a failover, as stored in `failovers.state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// Begun in the store (epoch assigned); nothing done yet.
    Started,
    /// The old primary is fenced in the store and its `fence_command` succeeded.
    Fenced,
    /// `pg_promote` is about to be (or was) sent to the candidate.
    Promoting,
    /// The candidate left recovery and accepted a write.
    Promoted,
    /// The store's roles name the candidate primary.
    RolesSwitched,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 5] = [
        Stage::Started,
        Stage::Fenced,
        Stage::Promoting,
        Stage::Promoted,
        Stage::RolesSwitched,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Started => "started",
            Stage::Fenced => "fenced",
            Stage::Promoting => "promoting",
            Stage::Promoted => "promoted",
            Stage::RolesSwitched => "roles_switched",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Outcomes a failover finishes with (`failovers.outcome`).
pub mod outcome {
    /// The new primary is writable and the roles are switched.
    pub const COMPLETED: &str = "completed";
    /// A step failed; nothing further was attempted.
    pub const FAILED: &str = "failed";
    /// Found interrupted on restart and not resumable without risking a second promotion.
    pub const ABORTED: &str = "aborted";
}

/// What the controller does next with a failover found in `stage`, given whether the candidate
/// is (now) still in recovery (`None`: it could not be asked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Fence the old primary (again: fencing is idempotent), then promote.
    Fence,
    /// Promote the candidate (the fence is done).
    Promote,
    /// The candidate already left recovery: verify it is writable, then switch roles.
    Verify,
    /// Roles are switched: finish as completed.
    Finish,
    /// Wait for the candidate to leave recovery without promoting again; abort if it does not.
    AwaitPromotion,
}

/// The next action on resuming a failover found in `stage` after a restart.
///
/// The old primary is always fenced before anything else (even when the candidate is already out
/// of recovery); the promote step itself re-checks `pg_is_in_recovery()` and skips `pg_promote`
/// for a candidate already out of recovery. In `promoting`, a candidate still in recovery (or
/// unreachable) is only waited for, never promoted again.
pub fn resume(stage: Stage, candidate_in_recovery: Option<bool>) -> Next {
    match (stage, candidate_in_recovery) {
        (Stage::RolesSwitched, _) => Next::Finish,
        (Stage::Promoted, _) => Next::Verify,
        (Stage::Promoting, Some(false)) => Next::Verify,
        (Stage::Promoting, _) => Next::AwaitPromotion,
        (Stage::Fenced, _) => Next::Promote,
        (Stage::Started, _) => Next::Fence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_names_round_trip_in_order() {
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.as_str()), Some(s));
        }
        assert!(Stage::ALL.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(Stage::parse("completed"), None);
    }

    #[test]
    fn resume_never_promotes_twice() {
        use Next::*;
        let table = [
            (Stage::Started, Some(true), Fence),
            (Stage::Started, None, Fence),
            (Stage::Started, Some(false), Fence),
            (Stage::Fenced, Some(true), Promote),
            (Stage::Fenced, None, Promote),
            (Stage::Fenced, Some(false), Promote),
            (Stage::Promoting, Some(true), AwaitPromotion),
            (Stage::Promoting, None, AwaitPromotion),
            (Stage::Promoting, Some(false), Verify),
            (Stage::Promoted, Some(true), Verify),
            (Stage::Promoted, None, Verify),
            (Stage::RolesSwitched, Some(true), Finish),
        ];
        for (stage, rec, want) in table {
            assert_eq!(resume(stage, rec), want, "{stage} {rec:?}");
        }
    }
}
