//! DR drills (DESIGN.md §8): restore a pgBackRest backup or a point in time into a scratch
//! cluster under `scratch_dir`, wait for replay, validate, measure RTO and RPO, record the result,
//! and always remove the cluster.
//!
//! - [`heartbeat`]: the `[ventures.heartbeat]` writer on the primary (makes RPO measured).
//! - [`target`]: which point a drill restores: latest, `--to TIME`, or random inside the window (pure).
//! - [`measure`]: RTO and RPO exactly as DESIGN.md §8 defines them (pure).
//! - [`scratch`]: the drill directory under `scratch_dir/drills`, its locks, stopping and removing it.
//! - [`restore`]: `pgbackrest restore --archive-mode=off` as `postgres`, the drill's own settings
//!   (socket only, own port, no slots), start and wait until promoted.
//! - [`validate`]: heartbeat, `bt_index_check` on every valid btree index, row counts, assertions.
//! - [`runner`]: [`run_drill`], single-flight per venture, `max_concurrent_drills`, the timeout.
//! - [`record`]: the result into the store and the snapshot; the last results loaded at start.
//! - [`cleanup`]: leftovers of a crash (scratch clusters, `running` records) at the next start.
//! - [`command`]: `backstop drill --venture V [--to TIME] [--json]`.
//! - [`logical`]: the logical drill of Supabase ventures (`pg_dump --snapshot`, restore into a
//!   fresh scratch cluster, counts in the same snapshot, the PITR-plan check), with its phases
//!   (`logical_phases`), [`logical_source`], [`logical_cluster`], [`dump_restore`],
//!   [`pg_version`], [`supabase_roles`], [`conninfo`], [`client_program`] and [`pitr_check`].
//! - [`schedule`]: due times, catch-up after downtime, what to do at a due time (pure).
//! - [`scheduler`]: runs drills on `[ventures.drill] schedule` as the venture's leader, counts
//!   missed runs, checks in with Sentry.
//! - [`notify`]: drill failed / recovered / aborted notifications after every drill.
//!
//! A drill only reads from the source: `pgbackrest restore` and `archive-get` read the
//! repository, the scratch cluster has `archive_mode = off`, and on the primary only
//! `SELECT count(*)` of the configured tables runs (for `latest` drills). A logical drill reads
//! the source in one `READ ONLY` transaction (catalog, counts, `pg_export_snapshot()`) and with
//! `pg_dump`.

pub mod cleanup;
pub mod client_program;
pub mod command;
pub mod conninfo;
pub mod dump_restore;
pub mod heartbeat;
pub mod logical;
pub mod logical_cluster;
mod logical_phases;
pub mod logical_source;
pub mod measure;
pub mod notify;
pub mod orphans;
pub mod pg_version;
pub mod pitr_check;
pub mod record;
pub mod restore;
pub mod runner;
pub mod schedule;
pub mod scheduler;
pub mod scratch;
mod sql;
pub mod supabase_roles;
pub mod target;
pub mod validate;

pub use runner::{run_drill, DrillContext, DrillOutcome, DrillRunner};
pub use target::TargetRequest;

use crate::postgres::PgError;
use crate::recover::RecoverError;
use crate::store::StoreError;

/// Why a drill could not start, or what broke inside one of its phases.
#[derive(Debug, thiserror::Error)]
pub enum DrillError {
    /// No such venture in the configuration.
    #[error(
        "no venture named {0:?} in the configuration; run `backstop config check` to list them"
    )]
    UnknownVenture(String),
    /// The venture has no backups to drill.
    #[error("venture {0:?} has no [ventures.backups]; drills restore pgBackRest stanzas (kind = \"pgbackrest\") or dump Supabase projects (kind = \"supabase\")")]
    NotPgBackRest(String),
    /// `--to` is not a time, or lies outside the recovery window.
    #[error("{0}")]
    Target(String),
    /// Another drill of this venture runs (here or in another process), or too many drills run.
    #[error("{0}; try again when it has finished")]
    Busy(String),
    /// The scratch directory could not be prepared or removed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, with the path.
        what: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// A restore step (reused from `backstop recover`) failed.
    #[error("{0}")]
    Recover(#[from] RecoverError),
    /// Talking to the source or the scratch cluster failed.
    #[error("{0}")]
    Pg(#[from] PgError),
    /// The restored data did not validate.
    #[error("{0}")]
    Invalid(String),
    /// The whole drill exceeded `[ventures.drill] timeout`.
    #[error("the drill did not finish within its timeout of {0:?} ([ventures.drill] timeout); the restore or replay is slower than that: raise the timeout or take more frequent backups")]
    Timeout(std::time::Duration),
    /// A client program of the logical drill (`pg_dump`, `pg_restore`) failed or timed out.
    #[error("{program} {reason}{}", if output.is_empty() { String::new() } else { format!(":\n{output}") })]
    Program {
        /// The program as configured.
        program: String,
        /// What went wrong.
        reason: String,
        /// The head of its output.
        output: String,
    },
    /// `pg_dump` (or the local server) is older than the source's major version.
    #[error("{0}")]
    Version(String),
    /// The store could not be read or written.
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl DrillError {
    /// 1 for a refusal or user error (nothing ran), 2 for a failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            DrillError::UnknownVenture(_)
            | DrillError::NotPgBackRest(_)
            | DrillError::Target(_) => 1,
            _ => 2,
        }
    }

    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        DrillError::Io {
            what: what.into(),
            source,
        }
    }
}
