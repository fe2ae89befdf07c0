//! The report's data model ([`ReportData`]): everything a renderer shows, already judged. Plain
//! serde structs with owned fields; the field names are the `--format json` contract.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The whole DR evidence report of one venture over one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportData {
    /// The venture.
    pub venture: String,
    /// `pgbackrest`, `supabase`, or `null` without a backup source.
    pub source: Option<String>,
    /// The period reported on, `[since, until)`.
    pub period: PeriodRow,
    /// When the report was made.
    pub generated_at: DateTime<Utc>,
    /// The backstop version that made it.
    pub backstop_version: String,
    /// The objectives in force when the report was made.
    pub objectives: ObjectivesRow,
    /// Objective overrides set or cleared in the period (audit log).
    pub objective_changes: Vec<ObjectiveChange>,
    /// The verdict and its reasons.
    pub summary: Summary,
    /// Every drill started in the period, oldest first.
    pub drills: Vec<DrillRow>,
    /// The phase that dominates RTO across the passed drills; `null` without a passed drill.
    pub dominant_phase: Option<DominantPhase>,
    /// Backup coverage now (one poll when the report was made).
    pub coverage: Coverage,
    /// Retention compliance now.
    pub retention: Retention,
    /// Repository verifications in the period, oldest first.
    pub verifications: Vec<VerificationRow>,
    /// Failovers in the period, oldest first.
    pub failovers: Vec<FailoverRow>,
    /// Point-in-time recoveries in the period, oldest first.
    pub recoveries: Vec<RecoveryRow>,
    /// Daily backup-size samples in the period, oldest first.
    pub size_history: Vec<SizeRow>,
    /// What the report could not know (e.g. no state store yet), for humans.
    pub notes: Vec<String>,
}

/// The period, half-open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodRow {
    /// First instant included.
    pub since: DateTime<Utc>,
    /// First instant excluded.
    pub until: DateTime<Utc>,
}

/// Objectives in force (configured, with a stored override applied).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectivesRow {
    /// Recovery point objective, seconds.
    pub rpo_seconds: u64,
    /// Recovery time objective, seconds.
    pub rto_seconds: u64,
    /// PITR window the backups must cover, seconds.
    pub pitr_window_seconds: u64,
    /// Maximum age of the newest backup, seconds.
    pub backup_max_age_seconds: u64,
    /// GFS retention counts (`-1` = unlimited, 0 = unused).
    pub retention: RetentionPolicyRow,
    /// A stored override changes the configured values.
    pub overridden: bool,
}

/// The GFS retention policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionPolicyRow {
    /// Newest N backups.
    pub last: i32,
    /// Hourly.
    pub hourly: i32,
    /// Daily.
    pub daily: i32,
    /// Weekly.
    pub weekly: i32,
    /// Monthly.
    pub monthly: i32,
    /// Yearly.
    pub yearly: i32,
}

/// One audited objective change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveChange {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (`api:<who>`).
    pub actor: String,
    /// What changed.
    pub message: String,
}

/// The verdict of the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// `met` (every check holds), `not met`, or `no evidence` (no drill in the period).
    pub verdict: String,
    /// One sentence per check that does not hold (empty when met).
    pub reasons: Vec<String>,
    /// Passed drills in the period.
    pub drills_passed: u32,
    /// Failed drills in the period.
    pub drills_failed: u32,
    /// Aborted drills in the period.
    pub drills_aborted: u32,
    /// Drills still running when the report was made.
    pub drills_running: u32,
    /// Passed drills against the RTO objective.
    pub rto: ObjectiveCheck,
    /// Passed drills against the RPO objective.
    pub rpo: ObjectiveCheck,
    /// The quarterly-drill requirement: one passed drill per calendar quarter (UTC).
    pub quarters: Vec<QuarterRow>,
}

/// Measured values of passed drills against one objective.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveCheck {
    /// The objective, seconds.
    pub objective_seconds: u64,
    /// Passed drills with a measurement.
    pub measured: u32,
    /// Of those, within the objective.
    pub within: u32,
    /// The largest measurement, seconds.
    pub worst_seconds: Option<f64>,
    /// `null` without a measurement.
    pub met: Option<bool>,
}

/// One calendar quarter of the quarterly-drill requirement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuarterRow {
    /// `2026-Q1`.
    pub quarter: String,
    /// Its first instant.
    pub start: DateTime<Utc>,
    /// Its end (exclusive).
    pub end: DateTime<Utc>,
    /// Passed drills in the quarter (also before `since`, when the quarter began earlier).
    pub passed_drills: u32,
    /// `met`, `missed` (ended without a passed drill) or `open` (not over yet, none so far).
    pub status: String,
}

/// One drill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DrillRow {
    /// The store's id.
    pub id: i64,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it finished (`null` while running).
    pub finished_at: Option<DateTime<Utc>>,
    /// The recovery target.
    pub target_time: Option<DateTime<Utc>>,
    /// `passed`, `failed`, `aborted` or `running`.
    pub outcome: String,
    /// Measured RTO, seconds.
    pub rto_seconds: Option<f64>,
    /// Within the RTO objective (`null` without a measurement).
    pub rto_met: Option<bool>,
    /// Measured RPO, seconds.
    pub rpo_seconds: Option<f64>,
    /// Within the RPO objective (`null` without a measurement).
    pub rpo_met: Option<bool>,
    /// Timed phases, in order.
    pub phases: Vec<PhaseRow>,
    /// Why it failed or was aborted.
    pub reason: Option<String>,
    /// The tail of the relevant log (secrets removed).
    pub log_excerpt: Option<String>,
    /// For a failed or aborted drill: what followed it.
    pub followed_by: Option<FollowUp>,
}

/// One timed phase of a drill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseRow {
    /// `prepare`, `restore`, `replay`, `validate`, `cleanup`, …
    pub name: String,
    /// Duration.
    pub seconds: f64,
    /// It succeeded.
    pub ok: bool,
    /// What happened.
    pub detail: String,
}

/// What followed a failed or aborted drill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUp {
    /// The next drill's id (`null`: none in the period).
    pub next_drill_id: Option<i64>,
    /// When it started.
    pub next_started_at: Option<DateTime<Utc>>,
    /// Its outcome.
    pub next_outcome: Option<String>,
    /// The next *passed* drill's id.
    pub recovered_by_drill_id: Option<i64>,
    /// From this drill's start to the end of the next passed drill, seconds (`null`: not yet).
    pub recovered_after_seconds: Option<f64>,
    /// Notifications sent about this venture's drills after it and before the next drill.
    pub notifications: Vec<String>,
}

/// The phase with the largest share of the measured RTO time of passed drills.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DominantPhase {
    /// Its name.
    pub phase: String,
    /// Its share of the RTO phases' total, 0..1.
    pub share: f64,
    /// Its mean duration per passed drill, seconds.
    pub mean_seconds: f64,
    /// Passed drills considered.
    pub drills: u32,
    /// Every RTO phase's share, largest first.
    pub shares: Vec<PhaseShare>,
    /// How its duration moved over the period.
    pub trend: Trend,
}

/// One phase's share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseShare {
    /// Phase name.
    pub phase: String,
    /// Total seconds over the passed drills.
    pub seconds: f64,
    /// Share, 0..1.
    pub share: f64,
}

/// The trend of the dominant phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trend {
    /// `rising`, `falling`, `flat`, or `unknown` (fewer than two passed drills).
    pub direction: String,
    /// Mean duration in the earlier half of the passed drills, seconds.
    pub earlier_mean_seconds: Option<f64>,
    /// Mean duration in the later half, seconds.
    pub later_mean_seconds: Option<f64>,
    /// Least-squares slope, seconds per 30 days (`null` when the drills span less than a week).
    pub slope_seconds_per_30_days: Option<f64>,
    /// The trend in one sentence with its figures.
    pub sentence: String,
}

/// Backup coverage now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Coverage {
    /// When the source was polled for this report.
    pub polled_at: DateTime<Utc>,
    /// The poll succeeded (`null`: no backup source).
    pub source_up: Option<bool>,
    /// Backups listed.
    pub backups: u32,
    /// The newest usable backup.
    pub newest_backup: Option<NewestBackup>,
    /// Maximum age objective, seconds.
    pub backup_max_age_seconds: u64,
    /// The newest backup is within `backup_max_age` (`null`: no usable backup known).
    pub backup_age_met: Option<bool>,
    /// The PITR window (`null`: not known).
    pub window: Option<WindowRow>,
    /// Why something is not known, for humans.
    pub notes: Vec<String>,
}

/// The newest usable backup.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewestBackup {
    /// Its label.
    pub label: String,
    /// full, diff or incr.
    pub kind: String,
    /// When it finished.
    pub stop: DateTime<Utc>,
    /// Its age when polled, seconds.
    pub age_seconds: u64,
}

/// The PITR window now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowRow {
    /// Recoverable pieces, oldest first.
    pub pieces: Vec<WindowPiece>,
    /// Runs of missing WAL segments.
    pub gaps: Vec<WindowGap>,
    /// From the earliest recoverable point to the poll, seconds.
    pub coverage_seconds: Option<u64>,
    /// Coverage reaches the `pitr_window` objective.
    pub coverage_met: Option<bool>,
    /// Poll time minus the latest recoverable point, seconds.
    pub exposure_seconds: Option<u64>,
    /// Exposure within the RPO.
    pub exposure_met: Option<bool>,
}

/// One window piece.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowPiece {
    /// Earliest recoverable point.
    pub start: DateTime<Utc>,
    /// Latest recoverable point.
    pub end: DateTime<Utc>,
    /// The base backup it starts from.
    pub base_backup: String,
}

/// One gap in the WAL archive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowGap {
    /// Segments missing.
    pub missing: u64,
    /// The segment before it.
    pub after_segment: Option<String>,
    /// The segment after it.
    pub before_segment: Option<String>,
}

/// Retention compliance now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Retention {
    /// Count rules: required against kept.
    pub rules: Vec<RuleRow>,
    /// Backups the policy keeps.
    pub kept_backups: u32,
    /// Backups it would let expire.
    pub expirable_backups: u32,
    /// Supabase: what the plan keeps.
    pub supabase_plan: Option<String>,
    /// Supabase: rules the plan cannot meet.
    pub unmeetable: Vec<UnmeetableRow>,
}

/// One retention rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleRow {
    /// `last`, `hourly`, `daily`, `weekly`, `monthly`, `yearly`.
    pub rule: String,
    /// Buckets required.
    pub required: i64,
    /// Buckets kept.
    pub kept: i64,
    /// kept ≥ required.
    pub met: bool,
}

/// A rule the Supabase plan cannot meet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnmeetableRow {
    /// The rule.
    pub rule: String,
    /// Why, with numbers.
    pub reason: String,
}

/// One repository verification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerificationRow {
    /// Started.
    pub started_at: DateTime<Utc>,
    /// Finished.
    pub finished_at: DateTime<Utc>,
    /// `passed` or `failed`.
    pub outcome: String,
    /// What it found.
    pub detail: String,
}

/// One failover.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailoverRow {
    /// Began.
    pub started_at: DateTime<Utc>,
    /// Ended (`null` in flight).
    pub finished_at: Option<DateTime<Utc>>,
    /// Old primary.
    pub from_endpoint: String,
    /// New primary.
    pub to_endpoint: String,
    /// Planned switchover or forced failover.
    pub planned: bool,
    /// `completed`, `aborted`, … (`null` in flight).
    pub outcome: Option<String>,
    /// Start to end, seconds.
    pub seconds: Option<f64>,
}

/// One point-in-time recovery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecoveryRow {
    /// Requested.
    pub requested_at: DateTime<Utc>,
    /// Target.
    pub target_time: DateTime<Utc>,
    /// `pgbackrest`, `supabase-restore-pitr`, …
    pub method: String,
    /// Carried out (or only planned).
    pub executed: bool,
    /// What came of it.
    pub outcome: String,
    /// Details.
    pub detail: String,
    /// Measured recovery time, seconds.
    pub rto_seconds: Option<f64>,
    /// Within the RTO objective.
    pub rto_met: Option<bool>,
}

/// One daily size sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SizeRow {
    /// The UTC day.
    pub day: NaiveDate,
    /// Bytes.
    pub bytes: i64,
}
