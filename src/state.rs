//! The immutable [`Snapshot`] of everything the agent has observed, swapped atomically.
//!
//! Pollers build a new `Snapshot` (cloning the previous one and replacing their own part) and
//! publish it with [`SharedState::update`]; the scrape-time collector, the HTTP handlers and
//! `backstop check` only ever read it. Unknown values are `None` and are exported as absent
//! metrics, never as 0. Counters (`*_total`) are cumulative values kept here by the pollers.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};

use crate::error::ErrorKind;

mod backups;
mod drill;
mod failover;
mod supabase;
mod trigger;

pub use backups::{
    ArchiveListing, ArchiveRange, ArchivedFile, BackupFailure, BackupRecord, BackupStatus,
    BackupType, RepoDatabase,
};
pub use drill::{DrillState, DRILL_OUTCOMES};
pub use failover::{FailoverState, FAILOVER_OUTCOMES};
pub use supabase::{SupabaseState, UnmeetableRule};
pub use trigger::{TriggerState, TRIGGER_OUTCOMES};

/// Shared, lock-free handle to the current [`Snapshot`].
#[derive(Debug, Clone)]
pub struct SharedState {
    inner: Arc<ArcSwap<Snapshot>>,
    // Serialises writers so that read-modify-write updates from several pollers never lose
    // each other's changes; readers never take it.
    writer: Arc<std::sync::Mutex<()>>,
}

impl SharedState {
    /// Wraps an initial snapshot.
    pub fn new(snapshot: Snapshot) -> Self {
        Self {
            inner: Arc::new(ArcSwap::from_pointee(snapshot.reindexed())),
            writer: Arc::new(std::sync::Mutex::new(())),
        }
    }

    /// The current snapshot (cheap; never blocks).
    pub fn load(&self) -> Arc<Snapshot> {
        self.inner.load_full()
    }

    /// Applies `f` to a copy of the current snapshot and publishes the result.
    pub fn update(&self, f: impl FnOnce(&mut Snapshot)) {
        // A poisoned lock only means another writer panicked mid-update; the snapshot itself
        // is still the last consistent one, so carry on.
        let _guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = Snapshot::clone(&self.inner.load());
        f(&mut next);
        next.generation = next.generation.wrapping_add(1);
        self.inner.store(Arc::new(next));
    }
}

/// Everything observed, as of the last poll of each part.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Incremented on every published update.
    pub generation: u64,
    /// The agent itself.
    pub agent: AgentState,
    /// One entry per configured venture, in configuration order. A persistent vector: each
    /// venture, and each 64-wide node holding them, is shared between snapshots until an update
    /// changes it, so an update copies one venture and a path of nodes, not the fleet (at 10,000
    /// ventures a flat vector of pointers cost 80 KB and 10,000 reference counts per update).
    pub ventures: imbl::Vector<Arc<VentureState>>,
    /// Venture name → position in `ventures`, built by [`SharedState::new`]; a stale or missing
    /// entry falls back to a scan, so code that pushes ventures (tests) stays correct.
    pub index: Arc<HashMap<String, usize>>,
}

impl Snapshot {
    /// A snapshot of these ventures, indexed by name.
    pub fn new(generation: u64, agent: AgentState, ventures: Vec<VentureState>) -> Self {
        Self {
            generation,
            agent,
            ventures: shared(ventures),
            index: Arc::default(),
        }
        .reindexed()
    }

    /// The position of the venture with this name.
    fn position(&self, name: &str) -> Option<usize> {
        match self.index.get(name) {
            Some(&i) if self.ventures.get(i).is_some_and(|v| v.name == name) => Some(i),
            _ => self.ventures.iter().position(|v| v.name == name),
        }
    }

    /// The venture with this name.
    pub fn venture(&self, name: &str) -> Option<&VentureState> {
        self.position(name).map(|i| &*self.ventures[i])
    }

    /// The venture with this name, mutably (copied first if another snapshot shares it).
    pub fn venture_mut(&mut self, name: &str) -> Option<&mut VentureState> {
        let i = self.position(name)?;
        Some(Arc::make_mut(&mut self.ventures[i]))
    }

    /// Every venture, mutably (each copied first if shared): for updates that touch them all.
    pub fn ventures_mut(&mut self) -> impl Iterator<Item = &mut VentureState> {
        self.ventures.iter_mut().map(Arc::make_mut)
    }

    /// Appends a venture (keeps the index whole).
    pub fn push_venture(&mut self, venture: VentureState) {
        Arc::make_mut(&mut self.index).insert(venture.name.clone(), self.ventures.len());
        self.ventures.push_back(Arc::new(venture));
    }

    /// The name index rebuilt from `ventures`.
    fn reindexed(mut self) -> Self {
        self.index = Arc::new(
            self.ventures
                .iter()
                .enumerate()
                .map(|(i, v)| (v.name.clone(), i))
                .collect(),
        );
        self
    }
}

/// Ventures as a snapshot holds them (tests and fixtures build them as plain values).
pub fn shared(ventures: Vec<VentureState>) -> imbl::Vector<Arc<VentureState>> {
    ventures.into_iter().map(Arc::new).collect()
}

/// State of the agent process.
#[derive(Debug, Clone, Default)]
pub struct AgentState {
    /// Version string for `backstop_build_info`.
    pub version: String,
    /// When the agent started.
    pub started_at: Option<DateTime<Utc>>,
    /// True once every endpoint has been polled at least once (success or failure): `/readyz`.
    pub first_poll_done: bool,
}

/// Declared objectives of a venture (from config, or a stored run-time override).
#[derive(Debug, Clone, PartialEq)]
pub struct Objectives {
    /// Recovery point objective.
    pub rpo: Duration,
    /// Recovery time objective.
    pub rto: Duration,
    /// Coverage the PITR window must have.
    pub pitr_window: Duration,
    /// Newest usable backup older than this is critical.
    pub backup_max_age: Duration,
    /// The GFS retention policy the backups must satisfy.
    pub retention: crate::config::RetentionPolicy,
}

impl Default for Objectives {
    fn default() -> Self {
        Self {
            rpo: Duration::from_secs(15 * 60),
            rto: Duration::from_secs(4 * 3600),
            pitr_window: Duration::from_secs(30 * 86400),
            backup_max_age: Duration::from_secs(26 * 3600),
            retention: crate::config::RetentionPolicy::DEFAULT,
        }
    }
}

/// Everything observed about one venture.
#[derive(Debug, Clone, Default)]
pub struct VentureState {
    /// The `venture` label.
    pub name: String,
    /// Objectives in force.
    pub objectives: Objectives,
    /// Database endpoints, in configuration order.
    pub endpoints: Vec<EndpointState>,
    /// Backup source state; `None` when the venture has no `[ventures.backups]` (filled by the
    /// pgBackRest and Supabase sources).
    pub source: Option<SourceState>,
    /// Cumulative pipeline errors by kind (`backstop_errors_total`).
    pub errors: BTreeMap<ErrorKind, u64>,
    /// DR drill results (`backstop_drill_*`).
    pub drill: DrillState,
    /// Whether this agent leads the venture ([`crate::leader`]); `None` until first known.
    pub leader: Option<bool>,
    /// Recovery triggers, one per configured `[[ventures.triggers]]`, in configuration order.
    pub triggers: Vec<TriggerState>,
    /// Failover counters and progress (`backstop_failover*`).
    pub failover: FailoverState,
}

impl VentureState {
    /// The endpoint with this name.
    pub fn endpoint(&self, name: &str) -> Option<&EndpointState> {
        self.endpoints.iter().find(|e| e.name == name)
    }

    /// The endpoint with this name, mutably.
    pub fn endpoint_mut(&mut self, name: &str) -> Option<&mut EndpointState> {
        self.endpoints.iter_mut().find(|e| e.name == name)
    }

    /// Counts one pipeline error of `kind`.
    pub fn count_error(&mut self, kind: ErrorKind) {
        *self.errors.entry(kind).or_insert(0) += 1;
    }
}

/// Role of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Role {
    /// Accepts writes.
    Primary,
    /// In recovery, following a primary.
    Standby,
    /// Fenced after a failover; never reported primary until a human clears it.
    Fenced,
    /// Not known (never reached).
    #[default]
    Unknown,
}

impl Role {
    /// All roles, for encoding `backstop_endpoint_role` (one series per role).
    pub const ALL: [Role; 4] = [Role::Primary, Role::Standby, Role::Fenced, Role::Unknown];

    /// The `role` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Standby => "standby",
            Role::Fenced => "fenced",
            Role::Unknown => "unknown",
        }
    }
}

/// Everything observed about one database endpoint.
#[derive(Debug, Clone, Default)]
pub struct EndpointState {
    /// The `endpoint` label.
    pub name: String,
    /// The role from configuration (the store's recorded role wins once failover exists).
    pub configured_role: Role,
    /// The role observed now (from `pg_is_in_recovery()` and fences); `Unknown` until reached.
    pub role: Role,
    /// Fenced after a failover.
    pub fenced: bool,
    /// Since when the endpoint holds its role: the store's record (restored at start) or the
    /// observation that changed it; `None` when unknown.
    pub role_since: Option<DateTime<Utc>>,
    /// Host and port from its DSN (no credentials), for clients asking where the primary is.
    pub address: Option<EndpointAddress>,
    /// Probe results (`backstop_probe_up`, `backstop_probe_duration_seconds`).
    pub probe: ProbeState,
    /// The last successful observation; kept (with its timestamp) while the endpoint is down.
    pub observed: Option<EndpointObservation>,
    /// Database size from the slower `size_interval` poll, with when it was measured.
    pub database_size: Option<Timed<u64>>,
    /// Error kind of the last failed poll, cleared by a successful one.
    pub last_error: Option<ErrorKind>,
    /// The failover controller holds this primary down: by its hysteresis and by a standby
    /// that stopped hearing it ([`crate::failover::down`]); `/health/…/primary` answers 503.
    pub confirmed_down: bool,
}

/// Where an endpoint listens, as its DSN names it (first host and port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointAddress {
    /// Host name, IP address, or Unix socket directory.
    pub host: String,
    /// TCP port (5432 when the DSN names none).
    pub port: u16,
}

/// A value with the time it was observed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timed<T> {
    /// The value.
    pub value: T,
    /// When it was observed.
    pub at: DateTime<Utc>,
}

/// Probe outcome history of an endpoint.
#[derive(Debug, Clone, Default)]
pub struct ProbeState {
    /// Last probe succeeded; `None` before the first probe.
    pub up: Option<bool>,
    /// When the last probe finished.
    pub last_attempt: Option<DateTime<Utc>>,
    /// When the last successful probe finished.
    pub last_success: Option<DateTime<Utc>>,
    /// Round-trip times of all probes so far.
    pub duration: HistogramState,
}

/// Upper bounds (seconds) of the probe-duration histogram buckets.
pub const PROBE_BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// A cumulative histogram over [`PROBE_BUCKETS`] (plus +Inf).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistogramState {
    /// Per-bucket (non-cumulative) counts; index `PROBE_BUCKETS.len()` is the +Inf bucket.
    pub counts: [u64; PROBE_BUCKETS.len() + 1],
    /// Sum of observed values, in seconds.
    pub sum: f64,
    /// Number of observations.
    pub count: u64,
}

impl HistogramState {
    /// Records one observation in seconds.
    pub fn observe(&mut self, seconds: f64) {
        let idx = PROBE_BUCKETS
            .iter()
            .position(|b| seconds <= *b)
            .unwrap_or(PROBE_BUCKETS.len());
        self.counts[idx] += 1;
        self.sum += seconds;
        self.count += 1;
    }
}

/// What one successful poll of an endpoint returned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EndpointObservation {
    /// When the poll finished.
    pub at: DateTime<Utc>,
    /// `pg_is_in_recovery()`.
    pub in_recovery: bool,
    /// Server major version number (`server_version_num / 10000`).
    pub server_version_num: i32,
    /// Current timeline (`pg_control_checkpoint()`, or the WAL receiver's on a standby).
    pub timeline: u32,
    /// `wal_segment_size` in bytes.
    pub wal_segment_size: u64,
    /// `archive_mode` (`off`, `on`, `always`).
    pub archive_mode: String,
    /// `archive_timeout` in seconds (0 = never forced).
    pub archive_timeout_seconds: u64,
    /// `pg_current_wal_lsn()` on a primary, `pg_last_wal_replay_lsn()` on a standby.
    pub current_lsn: Option<u64>,
    /// pg_stat_archiver, when meaningful here (primary, or `archive_mode = always`).
    pub archiver: Option<ArchiverStats>,
    /// WAL written but not archived, in bytes (absent when unknown).
    pub archive_lag_bytes: Option<u64>,
    /// `.ready` files in `pg_wal/archive_status` (absent without the privilege).
    pub ready_files: Option<u64>,
    /// Standby lag (this endpoint as a standby), bytes behind the primary.
    pub replication_lag_bytes: Option<u64>,
    /// Standby lag in seconds from the primary's `pg_stat_replication.replay_lag`; absent when NULL.
    pub replication_lag_seconds: Option<f64>,
    /// On a standby: `pg_stat_wal_receiver`.
    pub wal_receiver: Option<WalReceiver>,
    /// On a primary: one row per connected standby from `pg_stat_replication`.
    pub replicas: Vec<ReplicaStats>,
}

/// `pg_stat_archiver` as read from a server.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ArchiverStats {
    /// `archived_count`.
    pub archived_count: u64,
    /// `failed_count`.
    pub failed_count: u64,
    /// `last_archived_wal` (may be a `.history`, `.partial` or `.backup` file name).
    pub last_archived_wal: Option<String>,
    /// `last_archived_time`.
    pub last_archived_time: Option<DateTime<Utc>>,
    /// `last_failed_wal`.
    pub last_failed_wal: Option<String>,
    /// `last_failed_time`.
    pub last_failed_time: Option<DateTime<Utc>>,
}

/// `pg_stat_wal_receiver` on a standby.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WalReceiver {
    /// `status` (`streaming`, `catchup`, `stopping`, …).
    pub status: String,
    /// `last_msg_receipt_time`.
    pub last_msg_receipt_time: Option<DateTime<Utc>>,
    /// `flushed_lsn`.
    pub flushed_lsn: Option<u64>,
    /// `received_tli`.
    pub received_tli: Option<u32>,
}

/// One row of `pg_stat_replication` on a primary.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplicaStats {
    /// `application_name` (matched against endpoint names).
    pub application_name: String,
    /// `state`.
    pub state: String,
    /// `replay_lsn`.
    pub replay_lsn: Option<u64>,
    /// `replay_lag` in seconds; `None` when NULL.
    pub replay_lag_seconds: Option<f64>,
}

/// Which backup source a venture uses (the `source` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SourceKind {
    /// Self-hosted pgBackRest.
    PgBackRest,
    /// Supabase Management API.
    Supabase,
}

impl SourceKind {
    /// The `source` label value.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::PgBackRest => "pgbackrest",
            SourceKind::Supabase => "supabase",
        }
    }
}

/// Backup-source state of a venture. Filled by the backup sources (`crate::sources`); the agent
/// core only sets `kind` so that `source` labels exist from the start. A failed poll sets
/// `up = false` and keeps every other field as of the last good poll (with its timestamp).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceState {
    /// Which source.
    pub kind: SourceKind,
    /// Last poll succeeded; `None` before the first poll.
    pub up: Option<bool>,
    /// When the last successful poll finished.
    pub last_poll: Option<DateTime<Utc>>,
    /// Backups the source lists, oldest first, as of `last_poll`.
    pub backups: Vec<BackupRecord>,
    /// The newest failed backup runs, oldest first (pgBackRest: from the backup log).
    pub failures: Vec<BackupFailure>,
    /// Failed runs found in total (at least `failures.len()`); `None` until the failures were
    /// read once (pgBackRest: the backup log could not be read yet).
    pub failed_runs: Option<u64>,
    /// The WAL archive listing, with when it was taken; `None` until listed once.
    pub archive: Option<ArchiveListing>,
    /// pgBackRest stanza status (code, message): 0 ok, 1 missing stanza path, 2 no valid
    /// backups, 3 missing stanza data, …, 99 other.
    pub stanza_status: Option<(i32, String)>,
    /// Database histories of the repository (pgBackRest `db[]`).
    pub databases: Vec<RepoDatabase>,
    /// WAL ranges per archive id as the source reports them (pgBackRest `archive[]`).
    pub archive_ranges: Vec<ArchiveRange>,
    /// The recovery window derived from `backups` and `archive` (`None` until both are known).
    pub window: Option<crate::pitr::Window>,
    /// Retention verdicts, one per entry of `backups` (same order).
    pub verdicts: Vec<crate::retention::Verdict>,
    /// Retention rules: required against kept, for the venture's policy.
    pub retention: Vec<crate::retention::RuleStatus>,
    /// The last repository verification (`pgbackrest verify`); `None` until one ran (or was
    /// loaded from the store at start).
    pub verification: Option<VerificationState>,
    /// Supabase sources: the project facts beyond the backup list; `None` for pgBackRest.
    pub supabase: Option<SupabaseState>,
}

/// The outcome of the last repository verification, with when the last one passed.
#[derive(Debug, Clone, PartialEq)]
pub struct VerificationState {
    /// When the last verification finished.
    pub last_run: DateTime<Utc>,
    /// When the last passed verification finished; `None` when none passed (that is known).
    pub last_success: Option<DateTime<Utc>>,
    /// The last verification passed.
    pub last_outcome_ok: bool,
    /// WAL files missing from the archive, as the last verification counted them.
    pub missing_wal: u64,
    /// Files (WAL and backup) whose checksum did not match.
    pub checksum_invalid: u64,
    /// Labels of backups the last verification found invalid.
    pub invalid_backups: Vec<String>,
    /// One line naming what is wrong (or what passed), or why verify could not run.
    pub detail: String,
    /// When the next scheduled verification after `last_run` is due (`verify_schedule`); a
    /// verification is stale a day after this passes without a new run.
    pub next_due: Option<DateTime<Utc>>,
}

impl SourceState {
    /// A source of `kind` that has not been polled yet.
    pub fn new(kind: SourceKind) -> Self {
        Self {
            kind,
            up: None,
            last_poll: None,
            backups: Vec::new(),
            failures: Vec::new(),
            failed_runs: None,
            archive: None,
            stanza_status: None,
            databases: Vec::new(),
            archive_ranges: Vec::new(),
            window: None,
            verdicts: Vec::new(),
            retention: Vec::new(),
            verification: None,
            supabase: (kind == SourceKind::Supabase).then(SupabaseState::default),
        }
    }

    /// The newest usable backup (by stop time), optionally of one type.
    pub fn newest_usable(&self, kind: Option<BackupType>) -> Option<&BackupRecord> {
        self.backups
            .iter()
            .filter(|b| b.status.is_usable() && kind.is_none_or(|k| b.kind == k))
            .max_by_key(|b| b.stop)
    }
}

#[cfg(test)]
#[path = "state/snapshot_tests.rs"]
mod snapshot_tests;
