//! Drives one failover through its persisted stages ([`super::steps`]): fence the old primary,
//! promote the candidate (at most once), verify it writable, switch roles, finish — writing each
//! stage to the store before the action that follows it, so a crash leaves a record a restart can
//! resume or abort ([`super::steps::resume`]).
//!
//! Before every stage the store checks that this run's holder still holds the failover and (an
//! agent) the venture's lease ([`crate::store::holder`]); every write checks it again in its
//! transaction. A run that lost it stops at once without acting, notes why in the failover's
//! steps (`holder_lost`) and returns [`StoreError::NotFailoverHolder`]: the lease holder resumes
//! the failover from its recorded stage.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::postgres::wal::format_lsn;
use crate::probe::elapsed;
use crate::state::{Role, SharedState};
use crate::store::{EndpointRoleRecord, FailoverRecord, Store, StoreError};

use super::actions::Actions;
use super::error::ControllerError;
use super::steps::{outcome, Next, Stage};

/// What a failover run needs besides the record.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The store the failover is recorded in.
    pub store: &'a Store,
    /// The snapshot fences and roles are published to.
    pub state: &'a SharedState,
    /// Who runs the failover: the agent's leadership holder id, or a `manual:` holder.
    pub holder: &'a str,
    /// How long to wait for a candidate to leave recovery after `pg_promote` answered false or
    /// timed out (or after a crash in `promoting`), re-checking every `recheck`.
    pub promote_wait: Duration,
    /// Re-check interval of `pg_is_in_recovery()` while waiting.
    pub recheck: Duration,
    /// Planned switchover: before promoting, wait (up to `promote_wait`) until the candidate
    /// replayed everything the stopped old primary sent, at least this LSN (its last one seen).
    pub catch_up_to: Option<u64>,
}

/// How a failover run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Finished {
    /// `completed`, `failed` or `aborted`.
    pub outcome: &'static str,
    /// What happened last, for logs and notifications.
    pub detail: String,
    /// Seconds from `down_at` to the new primary writable (completed only).
    pub duration_seconds: Option<f64>,
}

/// Runs `record` from `next` to its end. `down_at` is when the primary was declared down (the
/// start of the measured duration). Store errors stop the run (it stays in flight for the next
/// start to resume); every other failure finishes it `failed` or `aborted` with the reason.
/// A holder that lost the failover stops with [`StoreError::NotFailoverHolder`], noted.
pub async fn drive<A: Actions>(
    ctx: Context<'_>,
    actions: &A,
    record: &FailoverRecord,
    next: Next,
    down_at: DateTime<Utc>,
) -> Result<Finished, ControllerError> {
    let result = run_stages(ctx, actions, record, next, down_at).await;
    if let Err(ControllerError::Store(StoreError::NotFailoverHolder { reason, .. })) = &result {
        tracing::warn!(venture = %record.venture, epoch = record.epoch, holder = %ctx.holder, reason = %reason,
            "this agent no longer holds the failover: stopped without acting");
        let detail = format!("{} stopped without acting: {reason}", ctx.holder);
        if let Err(e) = ctx
            .store
            .note_failover(record.id, ctx.holder, HOLDER_LOST, &detail)
            .await
        {
            tracing::warn!(venture = %record.venture, error = %e, "could not note why the failover stopped");
        }
    }
    result
}

/// The step noted by a holder that lost its failover (not a stage: the record keeps its state).
pub const HOLDER_LOST: &str = "holder_lost";

async fn run_stages<A: Actions>(
    ctx: Context<'_>,
    actions: &A,
    record: &FailoverRecord,
    mut next: Next,
    down_at: DateTime<Utc>,
) -> Result<Finished, ControllerError> {
    let (from, to) = (record.from_endpoint.as_str(), record.to_endpoint.as_str());
    let advance = |stage: &'static str, detail: String| async move {
        ctx.store
            .advance_failover(record.id, record.epoch, ctx.holder, stage, &detail)
            .await
    };
    let mut writable_at = None;
    loop {
        // Still ours? (lease and record) — before every stage, so a run that lost it acts no more.
        ctx.store
            .check_failover(record.id, record.epoch, ctx.holder)
            .await?;
        next = match next {
            Next::Fence => {
                set_role(ctx, record, from, Role::Fenced, true).await?;
                match actions.fence(from).await {
                    Ok(out) => {
                        let detail = match out {
                            None => format!("{from} fenced in the store (no fence_command)"),
                            Some(o) => format!("{from} fenced; fence_command said: {o}"),
                        };
                        advance(Stage::Fenced.as_str(), detail).await?;
                        Next::Promote
                    }
                    Err(e) => {
                        let why = format!("fencing {from} failed, not promoting {to}: {e}");
                        return fail(ctx, record, outcome::FAILED, why).await;
                    }
                }
            }
            Next::Promote => match actions.in_recovery(to).await {
                Ok(false) => {
                    let detail = format!("{to} is already out of recovery: pg_promote not sent");
                    advance(Stage::Promoting.as_str(), detail).await?;
                    Next::Verify
                }
                Ok(true) => {
                    let mut detail = format!("sending pg_promote to {to}");
                    if let Some(lsn) = ctx.catch_up_to {
                        match await_catch_up(ctx, actions, to, lsn).await {
                            Ok(at) => detail = format!("{to} replayed the old primary's WAL up to {} (its last LSN seen {}); {detail}", format_lsn(at), format_lsn(lsn)),
                            Err(why) => return fail(ctx, record, outcome::FAILED, why).await,
                        }
                    }
                    advance(Stage::Promoting.as_str(), detail).await?;
                    match actions.promote(to).await {
                        Ok(true) => Next::Verify,
                        Ok(false) => Next::AwaitPromotion,
                        Err(e) => {
                            tracing::warn!(venture = %record.venture, endpoint = %to, error = %e, "pg_promote failed or timed out; re-checking");
                            Next::AwaitPromotion
                        }
                    }
                }
                Err(e) => {
                    let why = format!("cannot reach {to} to promote it: {e}");
                    return fail(ctx, record, outcome::FAILED, why).await;
                }
            },
            Next::AwaitPromotion => {
                if await_promotion(ctx, actions, to).await {
                    Next::Verify
                } else {
                    let why = format!(
                        "{to} is still in recovery {} after pg_promote was requested: not promoting again (exactly one promotion); a human must check it",
                        crate::config::format_duration(ctx.promote_wait)
                    );
                    let end = if Stage::parse(&record.state) == Some(Stage::Promoting) {
                        outcome::ABORTED
                    } else {
                        outcome::FAILED
                    };
                    return fail(ctx, record, end, why).await;
                }
            }
            Next::Verify => match actions.verify_writable(to).await {
                Ok(detail) => {
                    writable_at = Some(Utc::now());
                    advance(Stage::Promoted.as_str(), format!("{to} writable: {detail}")).await?;
                    Next::Finish
                }
                Err(e) => {
                    let why = format!("{to} was promoted but is not writable: {e}");
                    return fail(ctx, record, outcome::FAILED, why).await;
                }
            },
            Next::Finish => {
                set_role(ctx, record, to, Role::Primary, false).await?;
                set_role(ctx, record, from, Role::Fenced, true).await?;
                let detail =
                    format!("{to} is primary, {from} stays fenced until a human clears it");
                advance(Stage::RolesSwitched.as_str(), detail.clone()).await?;
                ctx.store
                    .finish_failover(record.id, ctx.holder, outcome::COMPLETED)
                    .await?;
                let at = writable_at.unwrap_or_else(Utc::now);
                return Ok(Finished {
                    outcome: outcome::COMPLETED,
                    detail,
                    duration_seconds: Some(elapsed(down_at, at).as_secs_f64()),
                });
            }
        };
    }
}

/// Waits until `to` replayed everything received, at least `lsn`, with its receiver stopped.
async fn await_catch_up<A: Actions>(
    ctx: Context<'_>,
    actions: &A,
    to: &str,
    lsn: u64,
) -> Result<u64, String> {
    let deadline = tokio::time::Instant::now() + ctx.promote_wait;
    loop {
        let last = actions.replay_state(to).await;
        if let Ok(r) = &last {
            if r.caught_up(lsn) {
                return Ok(r.replayed.unwrap_or(lsn));
            }
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "{to} did not catch up with the stopped old primary (LSN {}) within {}: last seen {last:?}; not promoting",
                format_lsn(lsn),
                crate::config::format_duration(ctx.promote_wait)
            ));
        }
        tokio::time::sleep(ctx.recheck).await;
    }
}

/// Re-checks `pg_is_in_recovery()` until it is false or `promote_wait` passed.
async fn await_promotion<A: Actions>(ctx: Context<'_>, actions: &A, to: &str) -> bool {
    let deadline = tokio::time::Instant::now() + ctx.promote_wait;
    loop {
        if let Ok(false) = actions.in_recovery(to).await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(ctx.recheck).await;
    }
}

/// Records the failure as a step and finishes the failover with `end`.
async fn fail(
    ctx: Context<'_>,
    record: &FailoverRecord,
    end: &'static str,
    why: String,
) -> Result<Finished, ControllerError> {
    ctx.store
        .advance_failover(record.id, record.epoch, ctx.holder, end, &why)
        .await?;
    ctx.store
        .finish_failover(record.id, ctx.holder, end)
        .await?;
    Ok(Finished {
        outcome: end,
        detail: why,
        duration_seconds: None,
    })
}

/// Persists (then publishes) the role and fence of `endpoint`.
pub async fn set_role(
    ctx: Context<'_>,
    record: &FailoverRecord,
    endpoint: &str,
    role: Role,
    fenced: bool,
) -> Result<(), ControllerError> {
    ctx.store
        .set_endpoint_role(&EndpointRoleRecord {
            venture: record.venture.clone(),
            endpoint: endpoint.to_owned(),
            role,
            fenced,
            epoch: record.epoch,
            updated_at: Utc::now(),
        })
        .await?;
    ctx.state.update(|snap| {
        if let Some(e) = snap
            .venture_mut(&record.venture)
            .and_then(|v| v.endpoint_mut(endpoint))
        {
            e.fenced = fenced;
            if matches!(role, Role::Primary | Role::Standby) {
                e.configured_role = role;
            }
            e.role = if fenced { Role::Fenced } else { role };
            e.role_since = Some(Utc::now());
        }
    });
    Ok(())
}
