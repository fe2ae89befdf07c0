//! Failover decisions (DESIGN.md §9): when a standby may replace a dead primary, and why not.
//!
//! This part is pure: [`decide`] maps a [`PolicyInput`] (mode and thresholds, per-endpoint
//! [`Health`](crate::probe::Health) and last observation, the [`Baseline`], the store's answers
//! on leadership and failovers) and `now` to a [`Decision`]. Every refusal carries a
//! [`RefusalReason`] whose text says what was checked with which figures. The controller (which
//! fences, promotes, verifies, records and notifies) acts on it.
//!
//! The rules, all of which must hold before a promotion:
//!
//! - **Mode**: `off` never acts, `manual` only recommends, `auto` promotes; `auto` is refused
//!   for Supabase ventures (no promote API).
//! - **Leadership and single flight**: this agent leads the venture; no failover is in flight.
//! - **Primary down by hysteresis**: `failure_threshold` consecutive failed probes spanning at
//!   least `min_down`, with no success since ([`crate::probe`]), and no observation of it
//!   succeeded after its first failed probe. A blip shorter than `min_down` never fails over.
//! - **Cooldown**: no failover within `cooldown` of the last one (anti-flap).
//! - **Armed**: the agent saw this primary healthy (its LSN and timeline) and a standby
//!   streaming on that timeline; a cold start against a dead primary does nothing. The last
//!   primary LSN must have been sampled shortly before the failure (`max_sample_age`), or every
//!   standby would look caught up.
//! - **No second primary**: no other unfenced endpoint is out of recovery.
//! - **The standby no longer hears the primary**: a standby whose WAL receiver streams with a
//!   message within `min_down` proves the primary alive (a partition between agent and primary
//!   only), so nothing happens ([`receiver`]).
//! - **Candidate**: unfenced, recorded standby, up, freshly observed in recovery, on the last
//!   primary's timeline, at most `max_lag_bytes` behind the last primary LSN seen
//!   ([`candidate`], which also says which LSN and why).
//! - **Choice**: the most advanced candidate; equal positions go to the earlier endpoint in
//!   configuration order.
//! - **Never fail back**: a fenced endpoint (an old primary) is never a candidate; only a human
//!   clearing the fence (after rejoining it as a standby) makes it one again.
//!
//! Lessons taken from the anchors' failures (reference/anchors-failover.md §6): stale samples
//! are not evidence (observations must postdate the primary's first failed probe, PgDog #927);
//! the lag gate and the timeline gate are hard (Patroni #2175/#2787); an old primary that comes
//! back stays fenced (repmgr #766); a standby that still hears the primary vetoes (Patroni's
//! "primary is still alive", repmgr's visibility consensus).

pub mod actions;
mod baseline;
pub mod candidate;
pub mod command;
pub mod controller;
mod decision;
pub mod down;
pub mod error;
pub mod execute;
pub mod fence;
mod inputs;
pub mod manual;
pub mod notice;
mod policy;
pub mod prober;
pub mod promote;
pub mod receiver;
pub mod steps;

pub use baseline::{Baseline, StandbySeen};
pub use decision::{CandidateRefusal, Decision, Plan, RefusalReason, Rejected};
pub use inputs::{EndpointInput, PastFailover, PolicyInput};
pub use policy::decide;

#[cfg(test)]
mod baseline_tests;
#[cfg(test)]
mod execute_tests;
#[cfg(test)]
mod fixture;
#[cfg(test)]
mod policy_tests;
