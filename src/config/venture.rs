//! The validated `[[ventures]]`: objectives, retention, endpoints and the per-venture sections.

use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveTime;

use crate::secret::Secret;
use crate::state::{Objectives, Role};

use super::types::config_enum;

/// One venture: a database (primary and standbys) with its objectives and backups.
#[derive(Debug, Clone, PartialEq)]
pub struct VentureConfig {
    /// The `venture` label, `[a-z0-9_-]+`.
    pub name: String,
    /// Recovery point objective.
    pub rpo: Duration,
    /// Recovery time objective.
    pub rto: Duration,
    /// Coverage the PITR window must have.
    pub pitr_window: Duration,
    /// Newest usable backup older than this is critical.
    pub backup_max_age: Duration,
    /// Retention policy the backups must meet.
    pub retention: RetentionPolicy,
    /// Database endpoints, in file order.
    pub endpoints: Vec<EndpointConfig>,
    /// The backup source, if any.
    pub backups: Option<BackupsConfig>,
    /// The heartbeat writer.
    pub heartbeat: HeartbeatConfig,
    /// Scheduled DR drills.
    pub drill: DrillConfig,
    /// Probes and failover.
    pub failover: FailoverConfig,
    /// Automated recovery triggers.
    pub triggers: Vec<TriggerConfig>,
}

impl VentureConfig {
    /// The objectives declared in the file (a stored run-time override may replace them).
    pub fn objectives(&self) -> Objectives {
        Objectives {
            rpo: self.rpo,
            rto: self.rto,
            pitr_window: self.pitr_window,
            backup_max_age: self.backup_max_age,
            retention: self.retention,
        }
    }

    /// True when the backups come from Supabase.
    pub fn is_supabase(&self) -> bool {
        matches!(self.backups, Some(BackupsConfig::Supabase(_)))
    }

    /// The endpoint with this name.
    pub fn endpoint(&self, name: &str) -> Option<&EndpointConfig> {
        self.endpoints.iter().find(|e| e.name == name)
    }
}

/// GFS retention, restic-compatible: a count per rule, `0` = rule unused, `-1` = unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct RetentionPolicy {
    /// Keep the newest N backups.
    pub last: i32,
    /// Keep the newest backup of each of the last N hours.
    pub hourly: i32,
    /// … days.
    pub daily: i32,
    /// … ISO weeks.
    pub weekly: i32,
    /// … months.
    pub monthly: i32,
    /// … years.
    pub yearly: i32,
}

impl RetentionPolicy {
    /// The default when `retention` is absent: 7 daily, 4 weekly, 12 monthly.
    pub const DEFAULT: RetentionPolicy = RetentionPolicy {
        last: 0,
        hourly: 0,
        daily: 7,
        weekly: 4,
        monthly: 12,
        yearly: 0,
    };

    /// True when no rule keeps anything.
    pub fn is_empty(&self) -> bool {
        *self == RetentionPolicy::default()
    }
}

/// One database endpoint of a venture.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointConfig {
    /// Unique within the venture, `[a-z0-9_-]+`.
    pub name: String,
    /// Connection string.
    pub dsn: Secret,
    /// Initial role from the file: only [`Role::Primary`] or [`Role::Standby`].
    pub role: Role,
}

config_enum! {
    /// Supabase PITR add-on level.
    PitrPlan {
        /// No PITR add-on.
        Off = "off",
        /// 7 days.
        Pitr7 = "pitr_7",
        /// 14 days.
        Pitr14 = "pitr_14",
        /// 28 days.
        Pitr28 = "pitr_28",
    }
}

/// `[ventures.backups]`, validated.
#[derive(Debug, Clone, PartialEq)]
pub enum BackupsConfig {
    /// Self-hosted pgBackRest.
    PgBackRest(PgBackRestConfig),
    /// Supabase-managed backups.
    Supabase(SupabaseConfig),
}

impl BackupsConfig {
    /// Which source this is (the `source` label).
    pub fn kind(&self) -> crate::state::SourceKind {
        match self {
            BackupsConfig::PgBackRest(_) => crate::state::SourceKind::PgBackRest,
            BackupsConfig::Supabase(_) => crate::state::SourceKind::Supabase,
        }
    }

    /// How often the source is polled.
    pub fn poll_interval(&self) -> Duration {
        match self {
            BackupsConfig::PgBackRest(c) => c.poll_interval,
            BackupsConfig::Supabase(c) => c.poll_interval,
        }
    }
}

/// `kind = "pgbackrest"`.
#[derive(Debug, Clone, PartialEq)]
pub struct PgBackRestConfig {
    /// `pgbackrest info` interval.
    pub poll_interval: Duration,
    /// Stanza name (default: the venture name).
    pub stanza: String,
    /// pgbackrest.conf path.
    pub config: PathBuf,
    /// The pgbackrest executable.
    pub command: String,
    /// Cron schedule (UTC) of `pgbackrest verify`.
    pub verify_schedule: String,
    /// Repository listing interval (WAL gap detection).
    pub repo_ls_interval: Duration,
    /// Timeout of one pgbackrest command.
    pub timeout: Duration,
}

/// `kind = "supabase"`.
#[derive(Debug, Clone, PartialEq)]
pub struct SupabaseConfig {
    /// Management API poll interval.
    pub poll_interval: Duration,
    /// Project reference (20 lowercase letters).
    pub project_ref: String,
    /// Management API access token.
    pub token: Secret,
    /// Management API base URL (overridable for tests).
    pub api_url: String,
    /// Desired daily backup time (UTC), converged by `supabase apply`.
    pub desired_schedule: Option<NaiveTime>,
    /// Desired PITR add-on, converged by `supabase apply`.
    pub desired_pitr: Option<PitrPlan>,
    /// Whether `recover --execute` may run restore-pitr (takes the project offline).
    pub allow_in_place_restore: bool,
}

/// `[ventures.heartbeat]`.
#[derive(Debug, Clone, PartialEq)]
pub struct HeartbeatConfig {
    /// Whether the agent writes heartbeats.
    pub enabled: bool,
    /// Write interval.
    pub interval: Duration,
    /// `[schema.]table`, created if missing.
    pub table: String,
}

impl Default for HeartbeatConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            interval: Duration::from_secs(5),
            table: "backstop.heartbeat".to_string(),
        }
    }
}

config_enum! {
    /// Which point in time a drill restores.
    DrillTarget {
        /// The newest recoverable point.
        Latest = "latest",
        /// A random point inside the PITR window.
        Random = "random",
    }
}

/// `[ventures.drill]`.
#[derive(Debug, Clone, PartialEq)]
pub struct DrillConfig {
    /// Cron schedule (5 fields, UTC).
    pub schedule: String,
    /// Target point.
    pub target: DrillTarget,
    /// Whole-drill timeout.
    pub timeout: Duration,
    /// Tables whose exact row counts are compared.
    pub tables: Vec<String>,
    /// SQL returning one boolean each, must be true.
    pub assertions: Vec<String>,
    /// Supabase: schemas dumped by pg_dump.
    pub dump_schemas: Vec<String>,
    /// Supabase: the pg_dump executable.
    pub pg_dump: String,
}

impl Default for DrillConfig {
    fn default() -> Self {
        Self {
            schedule: "0 3 1 */3 *".to_string(),
            target: DrillTarget::Latest,
            timeout: Duration::from_secs(2 * 3600),
            tables: Vec::new(),
            assertions: Vec::new(),
            dump_schemas: vec!["public".to_string()],
            pg_dump: "pg_dump".to_string(),
        }
    }
}

config_enum! {
    /// Failover mode.
    FailoverMode {
        /// Probes only.
        Off = "off",
        /// Recommends; a human runs `backstop failover`.
        Manual = "manual",
        /// Fails over automatically (refused for Supabase ventures).
        Auto = "auto",
    }
}

/// `[ventures.failover]`.
#[derive(Debug, Clone, PartialEq)]
pub struct FailoverConfig {
    /// Mode.
    pub mode: FailoverMode,
    /// Liveness probe interval.
    pub probe_interval: Duration,
    /// Consecutive failed probes before the primary is down …
    pub failure_threshold: u32,
    /// … spanning at least this long.
    pub min_down: Duration,
    /// Consecutive successes before an endpoint is up again.
    pub recovery_threshold: u32,
    /// Never promote a standby further behind than this.
    pub max_lag_bytes: u64,
    /// No second failover within this.
    pub cooldown: Duration,
    /// Run before promotion; `{venture} {endpoint} {host} {port}` are substituted. Empty: none.
    pub fence_command: String,
}

impl Default for FailoverConfig {
    fn default() -> Self {
        Self {
            mode: FailoverMode::Off,
            probe_interval: Duration::from_secs(1),
            failure_threshold: 3,
            min_down: Duration::from_secs(5),
            recovery_threshold: 2,
            max_lag_bytes: 16 * 1024 * 1024,
            cooldown: Duration::from_secs(10 * 60),
            fence_command: String::new(),
        }
    }
}

config_enum! {
    /// The condition of a recovery trigger.
    TriggerWhen {
        /// Newest usable backup older than `backup_max_age`.
        BackupStale = "backup_stale",
        /// WAL archiving failing.
        ArchivingFailing = "archiving_failing",
        /// An endpoint is down.
        EndpointDown = "endpoint_down",
        /// A drill failed.
        DrillFailed = "drill_failed",
    }
}

/// What a trigger does.
#[derive(Debug, Clone, PartialEq)]
pub enum TriggerAction {
    /// Runs this shell command.
    Run(String),
    /// POSTs the event to this URL (a secret).
    Webhook(Secret),
}

/// `[[ventures.triggers]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct TriggerConfig {
    /// Condition.
    pub when: TriggerWhen,
    /// Action.
    pub action: TriggerAction,
    /// Minimum time between two runs.
    pub cooldown: Duration,
    /// Longest a run may take (the command is killed, the webhook call abandoned).
    pub timeout: Duration,
}
