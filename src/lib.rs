//! backstop: a PostgreSQL backup and disaster-recovery agent.
//!
//! It answers, for every database a team runs and at every moment: can we recover, to which
//! point, how fast, and losing how much? Pollers observe databases and backup sources and publish
//! an immutable [`state::Snapshot`]; the HTTP server and `backstop check` only read it.
//!
//! Module map (DESIGN.md §1): [`config`] loads and validates the TOML configuration;
//! [`postgres`] talks to PostgreSQL (collector queries, WAL arithmetic, scratch clusters);
//! [`pitr`] computes the point-in-time-recovery window and WAL gaps (pure); [`retention`] judges
//! backups against a GFS policy (restic-compatible, pure); [`sources`] polls backup sources;
//! [`metrics`] encodes the snapshot for Prometheus; [`http`] serves it; [`notify`] tells people
//! (PagerDuty, Slack, webhooks); [`inspect`] answers `backstop pitr` and `backstop backups` for
//! one venture; [`drill`] runs DR drills into scratch clusters; [`recover`] plans and carries out point-in-time recoveries; [`report`] writes DR
//! evidence for auditors; [`probe`] smooths endpoint liveness with hysteresis (pure);
//! [`failover`] decides whether a standby may replace a dead primary, and why not (pure);
//! [`lb`] answers load balancers which endpoint takes writes and reads (pure);
//! [`store`] keeps
//! durable history (drills, failovers, audit events) in SQLite or PostgreSQL; [`leader`] decides
//! which of several agents leads a venture; [`triggers`] runs recovery commands or webhooks
//! when a condition holds; [`process`] runs external commands bounded in time and output;
//! [`agent`] wires
//! it all.
#![deny(missing_docs)]

pub mod agent;
pub mod check;
pub mod cli;
pub mod config;
pub mod demo;
pub mod drill;
pub mod error;
pub mod failover;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod inspect;
pub mod lb;
pub mod leader;
pub mod metrics;
pub mod notify;
pub mod pitr;
pub mod plumbing;
pub mod postgres;
pub mod probe;
pub mod process;
pub mod recover;
pub mod report;
pub mod retention;
pub mod secret;
pub mod sources;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod triggers;
pub mod view;

/// The crate version, for `backstop_build_info` and `--version`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
