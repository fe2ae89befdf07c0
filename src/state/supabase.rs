//! [`SupabaseState`]: what the Management API reported about one venture's project, beyond its
//! backup list. Every field is `None` (unknown) until the call that fills it succeeded once.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, NaiveTime, Utc};

/// The project-level facts of a Supabase source.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SupabaseState {
    /// `pitr_enabled` of the backups response.
    pub pitr_enabled: Option<bool>,
    /// `walg_enabled` of the backups response (physical backups).
    pub walg_enabled: Option<bool>,
    /// `[earliest, latest]` of `physical_backup_data`, when both ends were reported.
    pub reported_window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// `status` of `GET /v1/projects/{ref}` (`ACTIVE_HEALTHY`, `RESTORING`, …).
    pub project_status: Option<String>,
    /// `status` of the `db` service in `GET /v1/projects/{ref}/health?services=db`.
    pub db_health: Option<String>,
    /// When project status and health were last read.
    pub status_polled: Option<DateTime<Utc>>,
    /// The poll interval in force: the configured one, or longer when the token's rate limit
    /// cannot fit every project's calls in it.
    pub effective_interval: Option<Duration>,
    /// The daily backup time the project reports (`GET …/database/backups/schedule`).
    pub schedule: Option<NaiveTime>,
    /// The PITR add-on variant the project has (`pitr_7`, `pitr_14`, `pitr_28`, or `off`).
    pub pitr_addon: Option<String>,
    /// Per desired setting (`schedule`, `pitr`): whether the project differs from config.
    pub drift: BTreeMap<String, bool>,
    /// Retention and window objectives the project's plan cannot meet.
    pub unmeetable: Vec<UnmeetableRule>,
    /// Kind of the last failed backups call; `None` after a success.
    pub last_error: Option<crate::error::ErrorKind>,
    /// `pg_database_size` through the venture's endpoint, as of the last poll (no endpoint:
    /// `None`; the API reports no sizes).
    pub database_size: Option<super::Timed<u64>>,
    /// The window's latest point and the endpoint's WAL position first observed at or after it:
    /// WAL beyond that position means the database wrote since the latest recoverable point.
    pub wal_mark: Option<(DateTime<Utc>, u64)>,
}

/// An objective the Supabase plan cannot meet, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmeetableRule {
    /// The rule (`daily`, `weekly`, `monthly`, `yearly`, `pitr_window`, …).
    pub rule: String,
    /// One sentence naming the gap, e.g. "12 monthly backups need 11 months of history; the
    /// plan keeps 28 days".
    pub reason: String,
}
