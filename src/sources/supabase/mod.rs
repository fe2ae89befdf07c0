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

pub mod client;
pub mod compliance;
pub mod horizon;
pub mod parse;
pub mod poller;
pub mod project;
pub mod ratelimit;

pub use client::{SharedLimiter, SupabaseClient};
pub use parse::{parse_backups, SupabaseBackups};
pub use poller::SupabaseSource;
pub use ratelimit::{RateHeaders, RateLimiter};
