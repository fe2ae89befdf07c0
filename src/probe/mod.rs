//! Endpoint health with hysteresis (pure): probe results in, `Up`/`Down` with transitions out.
//!
//! Liveness probes (DESIGN.md §9) run on each venture's `probe_interval`; their raw results are
//! too jumpy to act on, so a [`Health`] tracker per endpoint smooths them:
//!
//! - **Unknown** until the first result. The first success makes it `Up`; failures take it
//!   `Down` by the same rule as from `Up`.
//! - **Up → Down** only after `failure_threshold` consecutive failures that also span at least
//!   `min_down`, measured from the first failure of the run to the latest one. A blip shorter
//!   than `min_down` therefore never takes an endpoint down, however many probes fail in it.
//! - **Down → Up** only after `recovery_threshold` consecutive successes.
//! - A success resets the failure run; a failure resets the success run.
//!
//! The tracker reads no clock: every result carries the time it was taken (`at`), so tests inject
//! time and the failover policy ([`crate::failover`]) compares the same timestamps. A result older
//! than the first failure of the current run (a clock step backwards) never shortens `min_down`:
//! the span is measured forwards only and counts as zero otherwise.

mod health;

pub use health::{elapsed, Health, HealthConfig, HealthState, ProbeOutcome, Transition};

#[cfg(test)]
mod tests;
