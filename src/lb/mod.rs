//! Load-balancer answers (DESIGN.md §5): which endpoint of a venture is its primary now, and
//! whether an endpoint should take writes (`/health/{venture}/{endpoint}/primary`) or reads
//! (`/replica[?max_lag=BYTES]`). Pure over a [`Snapshot`](crate::state::Snapshot), so HAProxy's
//! checks are answered without I/O, also while every database is down.
//!
//! - [`role`]: an endpoint's role now — observed, else persisted (store) or configured.
//! - [`health`]: the 200/503/404 verdicts and the venture's primary.
//! - [`address`]: host and port from a DSN, without credentials.
//! - [`stored`]: persisted roles and fences applied to the snapshot at start.

pub mod address;
pub mod health;
pub mod role;
pub mod stored;
#[cfg(test)]
mod tests;

pub use health::{primary, replica, venture_primary, Verdict};
pub use role::current_role;
