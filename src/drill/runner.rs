//! [`run_drill`]: one DR drill of a pgBackRest venture, from target choice to recorded result
//! (a Supabase venture's goes to [`super::logical`]).
//!
//! Order: take the in-process slot (single flight per venture, at most `max_concurrent_drills`)
//! and the venture's lock file (single flight across processes) → prepare (target, plan, source
//! counts) → record the drill `running` → restore → replay → validate → cleanup → record the
//! result. A refusal (unknown venture, `--to` outside the window, busy) is an error and records
//! nothing; anything failing after the record is a `failed` drill with its reason, the failed
//! step and a log excerpt. The whole drill is bounded by `[ventures.drill] timeout`; the cleanup
//! (stop the scratch cluster, remove its directory) runs whatever happened.
//!
//! A scheduler calls [`run_drill`] with [`TargetRequest::Configured`] and counts a
//! [`DrillError::Busy`] as a missed run.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::measure::{self, RpoBasis};
use super::record::{self, secrets_free};
use super::restore;
use super::scratch::{lock_venture, DrillDir};
use super::target::{self, Target, TargetRequest};
use super::validate::{self, Checks};
use super::DrillError;
use crate::config::{BackupsConfig, Config, PgBackRestConfig, VentureConfig};
use crate::postgres::scratch::tail;
use crate::postgres::{connect, ConnectOptions};
use crate::recover::plan::{plan, PlanInput};
use crate::sources::pgbackrest::PgBackRestSource;
use crate::state::SharedState;
use crate::store::{DrillStep, Store};

/// Lines of the server log kept as the excerpt of a failed replay or validation.
const LOG_LINES: usize = 30;

/// What a drill needs: configuration, store, snapshot and the single-flight registry.
#[derive(Debug, Clone)]
pub struct DrillContext {
    /// The configuration.
    pub config: Arc<Config>,
    /// The durable store.
    pub store: Store,
    /// The snapshot (its PITR window is used when present; results are published into it).
    pub state: SharedState,
    /// Which drills run now.
    pub runner: DrillRunner,
}

/// In-process single flight: one drill per venture, at most `max_concurrent_drills` at once.
#[derive(Debug, Clone)]
pub struct DrillRunner {
    running: Arc<Mutex<HashSet<String>>>,
    slots: Arc<Semaphore>,
}

/// A running drill's claim; released on drop.
#[derive(Debug)]
pub struct Slot {
    running: Arc<Mutex<HashSet<String>>>,
    venture: String,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.venture);
    }
}

impl DrillRunner {
    /// A registry allowing `max_concurrent` drills at once (at least 1).
    pub fn new(max_concurrent: u32) -> Self {
        Self {
            running: Arc::new(Mutex::new(HashSet::new())),
            slots: Arc::new(Semaphore::new(max_concurrent.max(1) as usize)),
        }
    }

    /// Claims a slot for `venture` without waiting.
    pub fn begin(&self, venture: &str) -> Result<Slot, DrillError> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if running.contains(venture) {
            return Err(DrillError::Busy(format!(
                "a drill of {venture} is already running"
            )));
        }
        let permit = self.slots.clone().try_acquire_owned().map_err(|_| {
            DrillError::Busy("max_concurrent_drills drills are already running".to_owned())
        })?;
        running.insert(venture.to_owned());
        Ok(Slot {
            running: self.running.clone(),
            venture: venture.to_owned(),
            _permit: permit,
        })
    }

    /// Whether a drill of `venture` runs in this process.
    pub fn is_running(&self, venture: &str) -> bool {
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(venture)
    }
}

/// The result of a drill, as printed by `backstop drill --json` (DESIGN.md §2).
#[derive(Debug, Clone, Serialize)]
pub struct DrillOutcome {
    /// The venture.
    pub venture: String,
    /// The store's id of the drill.
    pub id: i64,
    /// `passed`, `failed` or `aborted`.
    pub outcome: String,
    /// `latest` or `time`.
    pub target: &'static str,
    /// The recovery target (for `latest`: when replay was seen to end).
    pub target_time: Option<DateTime<Utc>>,
    /// When the drill started.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: DateTime<Utc>,
    /// Drill start → validated.
    pub rto_seconds: Option<f64>,
    /// Target time − newest restored heartbeat (or last replayed commit).
    pub rpo_seconds: Option<f64>,
    /// What the RPO was measured from.
    pub rpo_basis: Option<RpoBasis>,
    /// The backup restored (`--set`) for a time target; `latest` restores the newest.
    pub base_backup: Option<String>,
    /// Why it failed.
    pub reason: Option<String>,
    /// The tail of the relevant log, secrets-free.
    pub log_excerpt: Option<String>,
    /// Timed steps, in order.
    pub steps: Vec<DrillStep>,
}

/// Why a phase failed: the reason and the log lines that show it.
struct Failure {
    reason: String,
    log: Option<String>,
}

impl Failure {
    fn new(reason: impl Into<String>, log: Option<String>) -> Self {
        Self {
            reason: reason.into(),
            log,
        }
    }
}

/// What preparation settled before the drill is recorded.
struct Prepared {
    target: Target,
    plan_args: Option<Vec<String>>,
    base_backup: Option<String>,
    source_counts: Option<Vec<i64>>,
    detail: String,
}

/// Everything measured while the drill runs.
#[derive(Default)]
struct Progress {
    steps: Vec<DrillStep>,
    target_time: Option<DateTime<Utc>>,
    rto: Option<f64>,
    rpo: Option<measure::Rpo>,
}

impl Progress {
    fn step(&mut self, name: &str, took: Duration, ok: bool, detail: impl Into<String>) {
        self.steps.push(DrillStep {
            name: name.to_owned(),
            seconds: took.as_secs_f64(),
            ok,
            detail: detail.into(),
        });
    }
}

fn pgbackrest(v: &VentureConfig) -> Result<&PgBackRestConfig, DrillError> {
    match v.backups.as_ref() {
        Some(BackupsConfig::PgBackRest(cfg)) => Ok(cfg),
        _ => Err(DrillError::NotPgBackRest(v.name.clone())),
    }
}

/// Runs one drill of `venture` now. `Err` only for refusals (nothing recorded) and for a store
/// that cannot record; a drill that ran is `Ok` with its outcome.
pub async fn run_drill(
    ctx: &DrillContext,
    venture: &str,
    request: TargetRequest,
) -> Result<DrillOutcome, DrillError> {
    let v = ctx
        .config
        .venture(venture)
        .ok_or_else(|| DrillError::UnknownVenture(venture.to_owned()))?;
    if let Some(BackupsConfig::Supabase(cfg)) = v.backups.as_ref() {
        return super::logical::run_logical_drill(ctx, v, cfg, request).await;
    }
    let cfg = pgbackrest(v)?;
    let _slot = ctx.runner.begin(venture)?;
    let scratch_dir = &ctx.config.agent.scratch_dir;
    let _lock = lock_venture(scratch_dir, venture)?.ok_or_else(|| {
        DrillError::Busy(format!(
            "a drill of {venture} is running in another backstop process (it holds {})",
            super::scratch::drills_dir(scratch_dir)
                .join(format!("{venture}.lock"))
                .display()
        ))
    })?;
    let started_at = Utc::now();
    let clock = Instant::now();
    let deadline = clock + v.drill.timeout;
    let prepared = match prepare(ctx, v, cfg, request).await {
        Err(Err(refusal)) => return Err(refusal),
        Err(Ok(failure)) => Err(failure),
        Ok(p) => Ok(p),
    };
    let target_at_start = match &prepared {
        Ok(Prepared {
            target: Target::At(t),
            ..
        }) => Some(*t),
        _ => None,
    };
    let id = ctx
        .store
        .start_drill(venture, started_at, target_at_start)
        .await
        .map_err(|e| super::record::counted(&ctx.state, venture, e))?;
    let dir = DrillDir::new(scratch_dir, venture, id);
    let mut progress = Progress::default();
    let prepare_took = clock.elapsed();
    let result = match prepared {
        Err(failure) => {
            progress.step("prepare", prepare_took, false, failure.reason.clone());
            Err(failure)
        }
        Ok(p) => {
            progress.step("prepare", prepare_took, true, p.detail.clone());
            let phases = run_phases(v, cfg, &p, &dir, deadline, clock, &mut progress);
            match tokio::time::timeout_at(deadline.into(), phases).await {
                Ok(r) => r.map(|()| p.base_backup.clone()),
                Err(_) => Err(Failure::new(
                    DrillError::Timeout(v.drill.timeout).to_string(),
                    Some(tail(&dir.log(), LOG_LINES)).filter(|t| !t.is_empty()),
                )),
            }
        }
    };
    let cleanup = Instant::now();
    let (ok, detail) = dir
        .cleanup(venture, |d| {
            format!("scratch cluster stopped and {} removed", d.display())
        })
        .await;
    progress.step("cleanup", cleanup.elapsed(), ok, detail);
    let (outcome, reason, log_excerpt, base_backup) = match result {
        Ok(base) => ("passed", None, None, base),
        Err(f) => (
            "failed",
            Some(secrets_free(&f.reason, Some(v))),
            f.log.map(|l| secrets_free(&l, Some(v))),
            None,
        ),
    };
    Ok(record::conclude(
        &ctx.store,
        &ctx.state,
        record::Conclusion {
            venture,
            id,
            started_at,
            outcome,
            target: if target_at_start.is_some() {
                "time"
            } else {
                "latest"
            },
            target_time: progress.target_time,
            base_backup,
            reason,
            log_excerpt,
            rto: progress.rto,
            rpo: progress.rpo,
            steps: progress.steps,
        },
    )
    .await?)
}

/// Target, plan and source counts. `Err(Err(_))`: a refusal (nothing recorded);
/// `Err(Ok(_))`: a failure of the recorded drill.
async fn prepare(
    ctx: &DrillContext,
    v: &VentureConfig,
    cfg: &PgBackRestConfig,
    request: TargetRequest,
) -> Result<Prepared, Result<Failure, DrillError>> {
    let needs_window = matches!(request, TargetRequest::At(_))
        || (request == TargetRequest::Configured
            && v.drill.target == crate::config::DrillTarget::Random);
    let mut window = None;
    if needs_window {
        window = Some(window_of(ctx, v, cfg).await.map_err(Ok)?);
    }
    let window_ref = window.as_ref().and_then(Option::as_ref);
    let target = target::resolve(v.drill.target, request, window_ref, target::draw())
        .map_err(|reason| Ok(Failure::new(reason, None)))?;
    let mut prepared = Prepared {
        target,
        plan_args: None,
        base_backup: None,
        source_counts: None,
        detail: String::new(),
    };
    match target {
        Target::At(t) => {
            let snap = ctx.state.load();
            let src = snap.venture(&v.name).and_then(|s| s.source.as_ref());
            let archive = src
                .and_then(|s| s.archive.as_ref())
                .map(|a| a.files.as_slice())
                .unwrap_or_default();
            // The real directory is known once the drill is recorded: restore_args rewrites it.
            let data = std::path::PathBuf::from("DIR");
            let planned = plan(&PlanInput {
                venture: &v.name,
                stanza: &cfg.stanza,
                config: &cfg.config,
                command: &cfg.command,
                window: window_ref,
                archive,
                target: t,
                target_dir: Some(&data),
            });
            let planned = match planned {
                Ok(p) => p,
                Err(e @ crate::recover::RecoverError::Outside { .. })
                    if request != TargetRequest::Configured && window_ref.is_some() =>
                {
                    return Err(Err(DrillError::Target(e.to_string())))
                }
                Err(e) => return Err(Ok(Failure::new(e.to_string(), None))),
            };
            prepared.detail = format!(
                "target {} (time); base backup {}, WAL {} .. {}",
                t.to_rfc3339(),
                planned.base_backup,
                planned.first_segment,
                planned.last_segment
            );
            prepared.base_backup = Some(planned.base_backup);
            prepared.plan_args = Some(planned.restore_args);
        }
        Target::Latest => {
            prepared.detail =
                "target latest: the newest backup and every archived WAL segment".to_owned();
            if !v.drill.tables.is_empty() {
                match source_counts(ctx, v).await {
                    Ok(counts) => {
                        prepared.detail.push_str(&format!(
                            "; source row counts at drill start: {}",
                            pairs(&v.drill.tables, &counts)
                        ));
                        prepared.source_counts = Some(counts);
                    }
                    Err(e) => prepared.detail.push_str(&format!(
                        "; source row counts unavailable ({}), restored counts are recorded, not compared",
                        secrets_free(&e, Some(v))
                    )),
                }
            }
        }
    }
    Ok(prepared)
}

fn pairs(tables: &[String], counts: &[i64]) -> String {
    tables
        .iter()
        .zip(counts)
        .map(|(t, c)| format!("{t}={c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The venture's PITR window: the snapshot's when the source was polled, else one poll now.
async fn window_of(
    ctx: &DrillContext,
    v: &VentureConfig,
    cfg: &PgBackRestConfig,
) -> Result<Option<crate::pitr::Window>, Failure> {
    let polled = |s: &crate::state::Snapshot| {
        s.venture(&v.name)
            .and_then(|x| x.source.as_ref())
            .filter(|src| src.last_poll.is_some() && src.archive.is_some())
            .map(|src| src.window.clone())
    };
    if let Some(window) = polled(&ctx.state.load()) {
        return Ok(window);
    }
    // The endpoints first (best effort): the window needs the real WAL segment size.
    for t in crate::agent::targets(&ctx.config)
        .iter()
        .filter(|t| t.venture == v.name)
    {
        if let Err(e) = crate::postgres::collector::poll_once(t, &ctx.state).await {
            tracing::warn!(endpoint = %t.endpoint, error = %e,
                "endpoint unreachable; assuming the default WAL segment size");
        }
    }
    PgBackRestSource::new(&v.name, cfg)
        .poll_once(&ctx.state)
        .await
        .map_err(|e| Failure::new(format!("polling pgBackRest failed: {e}"), None))?;
    Ok(polled(&ctx.state.load()).flatten())
}

/// `SELECT count(*)` of the drill's tables on the primary (read only).
async fn source_counts(ctx: &DrillContext, v: &VentureConfig) -> Result<Vec<i64>, String> {
    let snap = ctx.state.load();
    let endpoint = super::heartbeat::primary(&snap, &v.name, &v.endpoints)
        .ok_or_else(|| "no primary endpoint".to_owned())?;
    let opts = ConnectOptions {
        statement_timeout: Duration::from_secs(300),
        application_name: "backstop-drill".to_owned(),
        ..ConnectOptions::default()
    };
    let client = connect(&endpoint.dsn, &opts)
        .await
        .map_err(|e| e.to_string())?;
    validate::count_rows(&client, &v.drill.tables)
        .await
        .map_err(|e| e.to_string())
}

/// Restore, replay and validate, each timed into `progress`.
async fn run_phases(
    v: &VentureConfig,
    cfg: &PgBackRestConfig,
    p: &Prepared,
    dir: &DrillDir,
    deadline: Instant,
    clock: Instant,
    progress: &mut Progress,
) -> Result<(), Failure> {
    let remaining = || deadline.saturating_duration_since(Instant::now());
    // Restore.
    let began = Instant::now();
    let args = restore::restore_args(p.target, p.plan_args.as_deref(), &dir.data());
    let restored = match dir.create() {
        Ok(()) => restore::restore(cfg, dir, &args).await,
        Err(e) => Err(e),
    };
    if let Err(e) = restored {
        // recover's advice to remove the directory does not apply: the drill removes it.
        let text = match e {
            DrillError::Recover(crate::recover::RecoverError::Restore(source)) => {
                source.to_string()
            }
            other => other.to_string(),
        };
        progress.step("restore", began.elapsed(), false, text.clone());
        return Err(Failure::new(format!("restore failed: {text}"), Some(text)));
    }
    progress.step(
        "restore",
        began.elapsed(),
        true,
        format!(
            "pgbackrest restore of {} with --archive-mode=off into {}",
            p.base_backup.as_deref().unwrap_or("the newest backup"),
            dir.data().display()
        ),
    );
    // Replay.
    let began = Instant::now();
    let log = || Some(tail(&dir.log(), LOG_LINES)).filter(|t| !t.is_empty());
    let port = restore::configure(dir).map_err(|e| Failure::new(e.to_string(), None))?;
    if let Err(e) = restore::start(dir, remaining()).await {
        let text = e.to_string();
        let excerpt = log();
        let cause = restore::replay_cause(excerpt.as_deref().unwrap_or(&text))
            .map(str::to_owned)
            .unwrap_or_else(|| text.clone());
        progress.step("replay", began.elapsed(), false, cause.clone());
        return Err(Failure::new(
            format!("replay failed: {cause}"),
            excerpt.or(Some(text)),
        ));
    }
    let dbname = v
        .endpoints
        .iter()
        .find(|e| e.role == crate::state::Role::Primary)
        .or(v.endpoints.first())
        .map(|e| super::sql::dbname_of(&e.dsn))
        .unwrap_or_else(|| "postgres".to_owned());
    let checks = Checks {
        sock: &dir.sock(),
        port,
        dbname: &dbname,
        heartbeat_table: v.heartbeat.enabled.then_some(v.heartbeat.table.as_str()),
        tables: &v.drill.tables,
        assertions: &v.drill.assertions,
        source_counts: p.source_counts.as_deref(),
        statement_timeout: remaining(),
    };
    let facts = match validate::scratch_client(&checks, &dbname).await {
        Ok(client) => validate::replay_facts(&client).await,
        Err(e) => Err(e),
    };
    let (in_recovery, last_commit) = match facts {
        Ok(f) => f,
        Err(e) => {
            progress.step("replay", began.elapsed(), false, e.to_string());
            return Err(Failure::new(format!("the restored cluster: {e}"), log()));
        }
    };
    let replay_end = Utc::now();
    if in_recovery {
        let reason = "still in recovery after promotion was reported".to_owned();
        progress.step("replay", began.elapsed(), false, reason.clone());
        return Err(Failure::new(reason, log()));
    }
    let target_time = match p.target {
        Target::At(t) => t,
        Target::Latest => replay_end,
    };
    progress.target_time = Some(target_time);
    progress.step(
        "replay",
        began.elapsed(),
        true,
        format!(
            "started, replayed and promoted (pg_is_in_recovery() = false); last replayed commit {}",
            last_commit.map_or("none".to_owned(), |t| t.to_rfc3339())
        ),
    );
    // Validate.
    let began = Instant::now();
    let validation = match validate::validate(&checks).await {
        Ok(v) => v,
        Err(e) => {
            progress.step("validate", began.elapsed(), false, e.to_string());
            return Err(Failure::new(
                format!("validation could not run: {e}"),
                log(),
            ));
        }
    };
    let mut problems = validation.problems.clone();
    let heartbeat = validation.heartbeat;
    match measure::rpo(target_time, heartbeat, last_commit) {
        Ok(rpo) => progress.rpo = Some(rpo),
        Err(reason) => problems.push(reason),
    }
    progress.rto = Some(measure::rto(clock.elapsed()));
    let mut detail = validation.summary();
    if !validation.counts.is_empty() {
        detail.push_str(&format!(
            " ({})",
            pairs(&v.drill.tables, &validation.counts)
        ));
    }
    if let Some(rpo) = progress.rpo {
        detail.push_str(&format!(
            "; RPO {:.3}s from the {}",
            rpo.seconds,
            match rpo.basis {
                RpoBasis::Heartbeat => "newest heartbeat",
                RpoBasis::LastReplayedCommit => "last replayed commit",
                RpoBasis::DumpSnapshot => "dump's snapshot",
            }
        ));
    }
    progress.step("validate", began.elapsed(), problems.is_empty(), detail);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Failure::new(
            format!("validation failed: {}", problems.join("; ")),
            log(),
        ))
    }
}
