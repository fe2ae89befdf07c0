//! View models of the JSON API and the status page: serde structs built from the agent's
//! [`Snapshot`](crate::state::Snapshot), its configuration and the store, one concept per file.
//!
//! Builders that only read the snapshot or records are pure (the time is passed in); the few that
//! read the store are in [`load`]. Nothing here renders a secret: texts that may quote a
//! connection string go through [`scrub`].
//!
//! - [`readiness`]: the venture list with readiness (ok, warning, critical, unknown) and the
//!   `backstop check` findings behind it.
//! - [`backups`]: last backup, counts by status, every backup with its retention verdict.
//! - [`pitr`]: window pieces, gaps, exposure and coverage against the objectives.
//! - [`recovery_point`]: `recovery-points?at=TIME`, answered by the recover planners.
//! - [`objectives`]: objectives in force, configured, the run-time override; the update body.
//! - [`drills`]: the drill timeline with RTO/RPO against the objectives.
//! - [`records`]: failovers, recoveries and audit events.
//! - [`size`]: daily size samples (the size trend).
//! - [`venture`]: one venture's detail, everything above in one document.

pub mod backups;
pub mod drills;
pub mod load;
pub mod objectives;
pub mod pitr;
pub mod readiness;
pub mod records;
pub mod recovery_point;
pub mod scrub;
pub mod size;
pub mod venture;

pub use backups::{backups, BackupsView};
pub use drills::{drills, DrillView, DrillsView};
pub use objectives::{objectives, ObjectiveUpdate, ObjectiveValues, ObjectivesView};
pub use pitr::{pitr, PitrView};
pub use readiness::{readiness, summary, ventures, Readiness, VentureSummary};
pub use records::{events, failovers, recoveries, EventView, FailoverView, RecoveryView};
pub use recovery_point::{parse_at, recovery_point, RecoveryPoint};
pub use scrub::Scrubber;
pub use size::{size_history, SizeHistory};
pub use venture::{venture, VentureView};

use crate::store::StoreError;

/// Why a view could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// No such venture in the configuration.
    #[error("unknown venture {0:?}; GET /api/v1/ventures lists them")]
    UnknownVenture(String),
    /// A request parameter is malformed; the message says which and how to write it.
    #[error("{0}")]
    BadInput(String),
    /// The store could not be read or written.
    #[error("the state store: {0}")]
    Store(#[from] StoreError),
}
