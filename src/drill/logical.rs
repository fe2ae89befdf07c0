//! [`run_logical_drill`]: the DR drill of a Supabase venture (DESIGN.md §8). Supabase does not
//! hand out its physical backups, so the drill proves the data restores from a logical dump of
//! the live database, and checks that a point-in-time restore could be planned:
//!
//! 1. `prepare`: on the source, `pg_dump --version` against `server_version_num` (older pg_dump:
//!    failed, naming both versions and what to install), the roles and extensions, then one
//!    `REPEATABLE READ, READ ONLY` transaction that exports its snapshot and counts the rows of
//!    every table of `dump_schemas` (or of `tables` when set) exactly, in that snapshot;
//! 2. `dump`: `pg_dump --snapshot --schema … --no-owner --no-privileges --format=custom`
//!    while the transaction stays open;
//! 3. `restore`: a fresh scratch cluster (own port and socket directory, as `postgres`),
//!    Supabase's roles and the source's extensions, `pg_restore --exit-on-error`;
//! 4. `validate`: the counts equal the snapshot's, `bt_index_check` on every btree index, the
//!    heartbeat (when its table is dumped), the assertions; RTO = drill start → validated, RPO
//!    per [`super::measure::logical_rpo`] (it measures the dump, not Supabase's backups);
//! 5. `pitr_plan`: [`pitr_check`] (one backups call, a plan never executed);
//! 6. `cleanup`: the cluster stopped, the directory with the dump removed, always.
//!
//! Without an endpoint the drill is recorded `aborted` with reason `no endpoint to dump`. The
//! whole drill is bounded by `[ventures.drill] timeout` (the programs are killed, the
//! connection dropped). Reasons, excerpts and step details are made secrets-free before they
//! are recorded; the DSN's password reaches only pg_dump's environment.

use std::time::Duration;

use chrono::Utc;
use tokio::time::Instant;

use super::logical_phases::{phases, Drill, Failure, Progress};
use super::record::{self, secrets_free};
use super::scratch::{drills_dir, lock_venture, DrillDir};
use super::target::TargetRequest;
use super::{pitr_check, DrillError, DrillOutcome};
use crate::config::{SupabaseConfig, VentureConfig};

/// The reason of a Supabase drill without an endpoint (DESIGN.md §8).
pub const NO_ENDPOINT: &str = "no endpoint to dump";
/// Limit of the PITR-plan check (one Management API call with its retries).
const PITR_LIMIT: Duration = Duration::from_secs(90);

/// Runs one logical drill of a Supabase venture now. `Err` only for refusals (busy) and for a
/// store that cannot record.
pub async fn run_logical_drill(
    ctx: &super::DrillContext,
    v: &VentureConfig,
    cfg: &SupabaseConfig,
    request: TargetRequest,
) -> Result<DrillOutcome, DrillError> {
    let venture = v.name.as_str();
    let _slot = ctx.runner.begin(venture)?;
    let scratch_dir = &ctx.config.agent.scratch_dir;
    let _lock = lock_venture(scratch_dir, venture)?.ok_or_else(|| {
        DrillError::Busy(format!(
            "a drill of {venture} is running in another backstop process (it holds {})",
            drills_dir(scratch_dir)
                .join(format!("{venture}.lock"))
                .display()
        ))
    })?;
    let started_at = Utc::now();
    let clock = Instant::now();
    let id = ctx
        .store
        .start_drill(venture, started_at, None)
        .await
        .map_err(|e| super::record::counted(&ctx.state, venture, e))?;
    let dir = DrillDir::new(scratch_dir, venture, id);
    let mut progress = Progress::default();
    let snap = ctx.state.load();
    let endpoint = super::heartbeat::primary(&snap, venture, &v.endpoints).or(v.endpoints.first());
    let result = match endpoint {
        None => {
            progress.step(
                "prepare",
                clock,
                false,
                format!("{NO_ENDPOINT}: add a [[ventures.endpoints]] with the project's connection string (Dashboard → Connect, the session pooler or direct connection) to {venture}"),
            );
            Err(Failure {
                outcome: "aborted",
                reason: NO_ENDPOINT.to_owned(),
                log: None,
            })
        }
        Some(endpoint) => {
            let drill = Drill {
                v,
                endpoint,
                dir: &dir,
                deadline: clock + v.drill.timeout,
                clock,
            };
            let phases = tokio::time::timeout_at(drill.deadline, phases(&drill, &mut progress));
            let result = match phases.await {
                Ok(r) => r,
                Err(_) => Err(Failure::failed(
                    DrillError::Timeout(v.drill.timeout).to_string(),
                    drill.log(),
                )),
            };
            let began = Instant::now();
            let check = tokio::time::timeout(
                PITR_LIMIT,
                pitr_check::check(
                    venture,
                    cfg,
                    ctx.config.agent.supabase_max_requests_per_min,
                    v.drill.target,
                    request,
                    v.rto,
                ),
            )
            .await
            .unwrap_or_else(|_| pitr_check::PitrCheck {
                ok: false,
                detail: format!("the Supabase Management API did not answer within {PITR_LIMIT:?}"),
            });
            progress.step("pitr_plan", began, check.ok, check.detail.clone());
            match (result, check.ok) {
                (Err(f), _) => Err(f),
                (Ok(()), true) => Ok(()),
                (Ok(()), false) => Err(Failure::failed(
                    format!("PITR plan check failed: {}", check.detail),
                    None,
                )),
            }
        }
    };
    let began = Instant::now();
    if dir.root().exists() {
        let (ok, detail) = dir
            .cleanup(venture, |d| {
                format!(
                    "scratch cluster stopped; {} and the dump in it removed",
                    d.display()
                )
            })
            .await;
        progress.step("cleanup", began, ok, detail);
    }
    let (outcome, reason, log_excerpt) = match result {
        Ok(()) => ("passed", None, None),
        Err(f) => (
            f.outcome,
            Some(secrets_free(&f.reason, Some(v))),
            f.log.map(|l| secrets_free(&l, Some(v))),
        ),
    };
    for step in &mut progress.steps {
        step.detail = secrets_free(&step.detail, Some(v));
    }
    Ok(record::conclude(
        &ctx.store,
        &ctx.state,
        record::Conclusion {
            venture,
            id,
            started_at,
            outcome,
            target: "snapshot",
            target_time: progress.snapshot_at,
            base_backup: None,
            reason,
            log_excerpt,
            rto: progress.rto,
            rpo: progress.rpo,
            steps: progress.steps,
        },
    )
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_drill_can_be_spawned() {
        fn send<T: Send>(_: T) {}
        fn check(ctx: &super::super::DrillContext, v: &VentureConfig, cfg: &SupabaseConfig) {
            send(run_logical_drill(ctx, v, cfg, TargetRequest::Configured));
        }
        let _ = check;
    }
}
