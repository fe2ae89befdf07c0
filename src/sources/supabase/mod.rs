//! The Supabase source: the Management API's backup list of a project, polled by
//! [`SupabaseSource`].
//!
//! - [`parse`]: pure parser of `GET /v1/projects/{ref}/database/backups`.
//! - [`ratelimit`]: the per-token call budget, fed from `X-RateLimit-*` headers.
//! - [`project`]: pure parsers of project status, service health, schedule and add-ons.
//! - [`compliance`]: pure restore points per day and the policy evaluated against them.
//! - [`horizon`]: pure history the plan keeps and the rules it cannot meet.
//! - [`client`]: the HTTP calls (timeouts, bearer token, body cap).
//! - [`poller`]: the task, and how its results land in the snapshot.
//! - [`desired`]: pure drift of the schedule and PITR add-on from `desired_*`.
//! - [`desired_poll`]: the slow periodic read of those settings, published as drift.
//! - [`apply`] and [`apply_report`]: `backstop supabase apply`.
//! - [`retry`]: which failed calls are tried again, after what backoff.
//! - [`window`]: the PITR window from `physical_backup_data`.
//! - [`activity`]: idle database or failing archive, from an endpoint's WAL position.

pub mod activity;
pub mod apply;
pub mod apply_report;
pub mod client;
pub mod compliance;
pub mod desired;
pub mod desired_poll;
#[cfg(test)]
mod fuzz_props;
pub mod horizon;
pub mod parse;
pub mod poller;
pub mod project;
pub mod ratelimit;
pub mod retry;
pub mod window;

pub use client::{SharedLimiter, SupabaseClient};
pub use parse::{parse_backups, SupabaseBackups};
pub use poller::SupabaseSource;
pub use ratelimit::{Priority, RateHeaders, RateLimiter};
