//! `backstop recover`: plans a point-in-time recovery of a pgBackRest venture and, with
//! `--execute --confirm V --target-dir DIR`, restores it into DIR (never over a running cluster);
//! of a Supabase venture, plans restore-pitr and with `--execute --confirm V` (and
//! `allow_in_place_restore = true`) restores the project in place.
//!
//! - [`time`]: the target, RFC 3339 or `-15m`.
//! - [`plan()`]: pure; inside a window piece → base backup, WAL range and the exact steps;
//!   outside → a refusal naming the nearest recoverable points.
//! - [`execute`]: the target-directory checks, the restore as the `postgres` OS user with
//!   `--archive-mode=off` (the restored cluster can never push WAL into the production
//!   repository), the standalone settings, and optionally start and wait for promotion.
//! - [`command`]: the CLI: poll once, plan, execute, record in the store, print.
//! - [`supabase_plan`]: pure; the in-place plan of a Supabase project against its PITR window.
//! - [`supabase_watch`]: pure; the project statuses after restore-pitr was accepted.
//! - [`supabase`]: the Supabase flow: plan, restore-pitr, watch, health, probe, measured RTO.
//!
//! Exit codes: 0 success, 1 refusal or user error, 2 failure.

pub mod command;
pub mod execute;
pub mod plan;
pub mod supabase;
pub mod supabase_plan;
pub mod supabase_watch;
pub mod time;

pub use command::{run, RecoverOutcome};
pub use plan::{plan, render, Plan, PlanInput};
pub use time::parse_time;

use crate::postgres::PgError;
use crate::sources::SourceError;
use crate::store::StoreError;

/// Why a recovery was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum RecoverError {
    /// `--to` does not parse.
    #[error("--to {text:?} is not a time: write RFC 3339 (2026-11-27T08:00:00Z) or a relative time before now (-15m, -2h, -1d)")]
    Time {
        /// What was given.
        text: String,
    },
    /// No such venture in the configuration.
    #[error(
        "no venture named {0:?} in the configuration; run `backstop config check` to list them"
    )]
    UnknownVenture(String),
    /// The venture has no backup source `recover` can use.
    #[error("venture {0:?} has no [ventures.backups]; `recover` restores pgBackRest stanzas (kind = \"pgbackrest\") and Supabase projects (kind = \"supabase\")")]
    NotPgBackRest(String),
    /// The Supabase project has no point-in-time recovery.
    #[error("Supabase project {project_ref} of venture {venture:?} has no point-in-time recovery (pitr_enabled is false): enable the PITR add-on (Pro plan or above with at least the Small compute add-on: Dashboard → Project Settings → Add-ons → Point in time recovery; desired_pitr = \"pitr_7\" in [ventures.backups] makes `backstop supabase apply` report it), wait for its first physical backup, then plan again; until then only the daily backups can be restored, from the dashboard")]
    PitrDisabled {
        /// The venture.
        venture: String,
        /// The project ref.
        project_ref: String,
    },
    /// PITR is on but no window is reported yet.
    #[error("Supabase project {project_ref} of venture {venture:?} reports no PITR window yet (empty physical_backup_data): the first physical backup has not completed since PITR was enabled; try again after it")]
    NoPitrWindow {
        /// The venture.
        venture: String,
        /// The project ref.
        project_ref: String,
    },
    /// `--execute` on a Supabase venture without the opt-in.
    #[error("venture {0:?} does not allow in-place restores: restore-pitr takes the whole Supabase project offline and discards everything written after the target; to allow it set allow_in_place_restore = true in its [ventures.backups]")]
    InPlaceNotAllowed(String),
    /// A pgBackRest-only flag on a Supabase venture.
    #[error(
        "{0} does not apply to a Supabase venture: Supabase restores the project in place; drop it"
    )]
    NotInPlace(&'static str),
    /// A Management API call failed.
    #[error("the Supabase Management API: {0}; check the venture's token, project_ref and api_url (`backstop check`) and try again")]
    SupabaseApi(#[source] SourceError),
    /// Supabase refused restore-pitr (4xx); nothing was changed.
    #[error("Supabase refused the restore: {0} — the project was not changed; fix what it says, then run the command again")]
    RestoreRefused(#[source] SourceError),
    /// restore-pitr got no usable answer: it may or may not have started.
    #[error("restore-pitr got no answer: {0}; the restore may have started: check the project's status in the dashboard before retrying")]
    RestoreUnanswered(#[source] SourceError),
    /// The in-place restore was accepted but did not end healthy.
    #[error("the in-place restore failed: {0}")]
    InPlace(String),
    /// The target is not recoverable.
    #[error("refusing to recover: {message}; choose a --to inside the recovery window")]
    Outside {
        /// Where the target falls and the nearest recoverable points.
        message: String,
    },
    /// `--execute` without the venture name in `--confirm`.
    #[error("--execute needs --confirm {expected} (the venture name){}", given.as_ref().map(|g| format!("; got {g:?}")).unwrap_or_default())]
    Confirm {
        /// The venture name.
        expected: String,
        /// What was given.
        given: Option<String>,
    },
    /// `--execute` without `--target-dir`.
    #[error("--execute needs --target-dir DIR: an empty or absent directory to restore into")]
    NoTargetDir,
    /// The target directory is unusable.
    #[error("refusing to restore into {dir}: {reason}")]
    TargetDir {
        /// The directory.
        dir: String,
        /// Why (not empty, a running cluster, …) and what to do.
        reason: String,
    },
    /// The backup source could not be polled.
    #[error("polling pgBackRest failed: {0}; fix the source (`backstop check`) and try again")]
    Poll(#[source] SourceError),
    /// `pgbackrest restore` failed.
    #[error("pgbackrest restore failed: {0}; the target directory may be partly written, remove it before retrying")]
    Restore(#[source] SourceError),
    /// Starting or waiting for the restored cluster failed.
    #[error("the restored cluster: {0}")]
    Cluster(#[source] PgError),
    /// Recovery did not finish as expected.
    #[error("recovery did not finish: {reason}\n{log_tail}")]
    Recovery {
        /// What happened.
        reason: String,
        /// The end of the server log.
        log_tail: String,
    },
    /// A local file operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The store could not be written.
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl RecoverError {
    /// 1 for a refusal or user error, 2 for a failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            RecoverError::Time { .. }
            | RecoverError::UnknownVenture(_)
            | RecoverError::NotPgBackRest(_)
            | RecoverError::Outside { .. }
            | RecoverError::Confirm { .. }
            | RecoverError::NoTargetDir
            | RecoverError::TargetDir { .. }
            | RecoverError::PitrDisabled { .. }
            | RecoverError::NoPitrWindow { .. }
            | RecoverError::InPlaceNotAllowed(_)
            | RecoverError::NotInPlace(_)
            | RecoverError::RestoreRefused(_) => 1,
            RecoverError::Poll(_)
            | RecoverError::Restore(_)
            | RecoverError::Cluster(_)
            | RecoverError::Recovery { .. }
            | RecoverError::Io { .. }
            | RecoverError::Store(_)
            | RecoverError::SupabaseApi(_)
            | RecoverError::RestoreUnanswered(_)
            | RecoverError::InPlace(_) => 2,
        }
    }

    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        RecoverError::Io {
            what: what.into(),
            source,
        }
    }
}
