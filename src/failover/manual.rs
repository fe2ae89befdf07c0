//! A failover asked for by a human (`backstop failover`, `POST /api/v1/ventures/{v}/failover`):
//! a planned switchover or a forced failover, its `--dry-run`, and clearing a fence. Audited
//! (an event with the actor) and recorded like automatic ones.
//!
//! - **Planned** (the primary answers): 503 on the old primary (fenced in the store) → stop it
//!   fast with `fence_command` (a fast shutdown ships the shutdown checkpoint) → wait until the
//!   standby replayed everything, at least the primary's last LSN seen → promote → verify
//!   writable → switch roles. Refused without a `fence_command` (nothing would stop it).
//! - **Forced** (the human says the primary is gone): fence → promote → verify → switch, without
//!   the hysteresis rules; the candidate must still be reachable and in recovery.
//! - Without `--planned`/`--force`: planned when the primary answers, refused otherwise.
//!
//! [`plan`] is pure; [`run`] observes every endpoint once and acts.

use chrono::Utc;
use serde::Serialize;

use crate::config::VentureConfig;
use crate::postgres::connect;
use crate::postgres::wal::format_lsn;
use crate::state::{EndpointObservation, Role, SharedState};
use crate::store::{EndpointRoleRecord, NewEvent, Store, StoreError};

use super::actions::PgActions;
use super::error::ControllerError;
use super::execute::{drive, Context};
use super::prober::{light_observation, options};
use super::steps::Next;

/// Planned switchover or forced failover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The primary is alive: stop it cleanly first, lose nothing.
    Planned,
    /// The primary is gone (a human says so).
    Forced,
}

/// What a human asks for.
#[derive(Debug, Clone)]
pub struct Request {
    /// The standby to promote (default: the most advanced one).
    pub to: Option<String>,
    /// Planned or forced (default: planned when the primary answers).
    pub kind: Option<Kind>,
    /// Only say what would be done.
    pub dry_run: bool,
    /// Who asks (`cli:<user>`, `api`), for the audit.
    pub actor: String,
}

/// One endpoint as seen right now.
#[derive(Debug, Clone)]
pub struct Seen<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its recorded role (the store's, else the configured one).
    pub role: Role,
    /// Fenced in the store.
    pub fenced: bool,
    /// The observation just taken, or why it failed.
    pub observed: Result<EndpointObservation, String>,
}

/// The switchover or failover to carry out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chosen {
    /// Planned or forced.
    pub kind: Kind,
    /// The old primary.
    pub from: String,
    /// The standby to promote.
    pub to: String,
    /// The old primary's LSN just observed (planned).
    pub primary_lsn: Option<u64>,
    /// What was checked, one line each.
    pub reasons: Vec<String>,
}

/// The answer to a request.
#[derive(Debug, Clone, Serialize)]
pub struct Answer {
    /// `dry_run`, `refused`, `completed`, `failed` or `aborted`.
    pub result: String,
    /// The plan (absent when refused before one could be made).
    pub plan: Option<Chosen>,
    /// Why it was refused, or what happened last.
    pub detail: String,
    /// The failover's epoch, once begun.
    pub epoch: Option<i64>,
    /// Seconds from the start to the new primary writable (completed only).
    pub duration_seconds: Option<f64>,
}

fn position(o: &EndpointObservation) -> Option<u64> {
    let flushed = o.wal_receiver.as_ref().and_then(|r| r.flushed_lsn);
    o.current_lsn.max(flushed)
}

/// Chooses what to do from the endpoints as seen now (pure).
pub fn plan(venture: &VentureConfig, seen: &[Seen<'_>], req: &Request) -> Result<Chosen, String> {
    let primaries: Vec<&Seen<'_>> = seen
        .iter()
        .filter(|s| s.role == Role::Primary && !s.fenced)
        .collect();
    let primary = match primaries.as_slice() {
        [one] => *one,
        [] => return Err("no unfenced endpoint is recorded primary".to_owned()),
        many => {
            let names: Vec<&str> = many.iter().map(|s| s.name).collect();
            return Err(format!(
                "several unfenced endpoints are recorded primary ({})",
                names.join(", ")
            ));
        }
    };
    let primary_alive = matches!(&primary.observed, Ok(o) if !o.in_recovery);
    let kind = match (req.kind, primary_alive) {
        (Some(k), _) => k,
        (None, true) => Kind::Planned,
        (None, false) => {
            return Err(format!(
                "primary {} does not answer ({}): check it is really down, then use --force",
                primary.name,
                primary
                    .observed
                    .as_ref()
                    .err()
                    .map_or("in recovery", String::as_str)
            ))
        }
    };
    let mut reasons = Vec::new();
    if kind == Kind::Planned {
        if !primary_alive {
            return Err(format!(
                "a planned switchover needs the primary {} answering out of recovery; use --force if it is gone",
                primary.name
            ));
        }
        if venture.failover.fence_command.trim().is_empty() {
            return Err(
                "a planned switchover stops the old primary with fence_command, and none is set"
                    .to_owned(),
            );
        }
    } else if primary_alive {
        reasons.push(format!(
            "warning: primary {} still answers; forcing fences it and may lose its latest writes",
            primary.name
        ));
    }
    let primary_lsn = primary
        .observed
        .as_ref()
        .ok()
        .filter(|o| !o.in_recovery)
        .and_then(|o| o.current_lsn);
    let candidates: Vec<(&Seen<'_>, u64)> = seen
        .iter()
        .filter(|s| s.name != primary.name && !s.fenced && s.role == Role::Standby)
        .filter_map(|s| match &s.observed {
            Ok(o) if o.in_recovery => position(o).map(|p| (s, p)),
            _ => None,
        })
        .collect();
    let chosen = match &req.to {
        Some(name) => candidates
            .iter()
            .find(|(s, _)| s.name == name)
            .ok_or_else(|| {
                let why = seen.iter().find(|s| s.name == name).map_or(
                    "no such endpoint".to_owned(),
                    |s| match (&s.observed, s.fenced) {
                        (_, true) => {
                            "it is fenced (clear the fence once it is rejoined as a standby)"
                                .to_owned()
                        }
                        (Err(e), _) => format!("it does not answer: {e}"),
                        (Ok(o), _) if !o.in_recovery => "it is not in recovery".to_owned(),
                        _ => format!("it is recorded {}", s.role.as_str()),
                    },
                );
                format!("cannot promote {name}: {why}")
            })?,
        None => candidates
            .iter()
            .rev()
            .max_by_key(|(_, p)| *p)
            .ok_or_else(|| "no reachable unfenced standby in recovery to promote".to_owned())?,
    };
    let (to, pos) = (chosen.0.name, chosen.1);
    reasons.push(format!(
        "{to} is reachable, unfenced and in recovery at {}",
        format_lsn(pos)
    ));
    if let Some(lsn) = primary_lsn {
        reasons.push(format!(
            "primary {} is at {} ({} bytes ahead of {to})",
            primary.name,
            format_lsn(lsn),
            lsn.saturating_sub(pos)
        ));
    }
    Ok(Chosen {
        kind,
        from: primary.name.to_owned(),
        to: to.to_owned(),
        primary_lsn,
        reasons,
    })
}

fn refused(detail: String, plan: Option<Chosen>) -> Answer {
    Answer {
        result: "refused".to_owned(),
        plan,
        detail,
        epoch: None,
        duration_seconds: None,
    }
}

/// Observes every endpoint once and carries out (or, with `dry_run`, describes) the request.
pub async fn run(
    venture: &VentureConfig,
    store: &Store,
    state: &SharedState,
    req: &Request,
) -> Result<Answer, ControllerError> {
    let roles = store.endpoint_roles(Some(&venture.name)).await?;
    let opts = options(venture.failover.probe_interval);
    let mut seen = Vec::new();
    for e in &venture.endpoints {
        let rec = roles.iter().find(|r| r.endpoint == e.name);
        let bound = opts.connect_timeout + opts.statement_timeout;
        let observed = match tokio::time::timeout(bound, async {
            let client = connect(&e.dsn, &opts).await?;
            light_observation(&client).await
        })
        .await
        {
            Ok(Ok(o)) => Ok(o),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no answer within {bound:?}")),
        };
        seen.push(Seen {
            name: &e.name,
            role: rec.map_or(e.role, |r| r.role),
            fenced: rec.is_some_and(|r| r.fenced),
            observed,
        });
    }
    if let Some(f) = store.in_flight_failover(&venture.name).await? {
        return Ok(refused(
            format!(
                "failover epoch {} is in flight (state {})",
                f.epoch, f.state
            ),
            None,
        ));
    }
    let chosen = match plan(venture, &seen, req) {
        Ok(c) => c,
        Err(why) => return Ok(refused(why, None)),
    };
    if req.dry_run {
        return Ok(Answer {
            result: "dry_run".to_owned(),
            detail: format!(
                "would {} from {} to {}",
                match chosen.kind {
                    Kind::Planned => "switch over (planned)",
                    Kind::Forced => "fail over (forced)",
                },
                chosen.from,
                chosen.to
            ),
            plan: Some(chosen),
            epoch: None,
            duration_seconds: None,
        });
    }
    let planned = chosen.kind == Kind::Planned;
    let holder = crate::store::holder::manual_holder(&req.actor);
    let record = match store
        .begin_failover(&venture.name, &chosen.from, &chosen.to, planned, &holder)
        .await
    {
        Ok(r) => r,
        Err(StoreError::FailoverInFlight { id, .. }) => {
            return Ok(refused(format!("failover {id} is in flight"), Some(chosen)))
        }
        Err(e) => return Err(e.into()),
    };
    store
        .append_event(&NewEvent {
            at: Utc::now(),
            venture: Some(venture.name.clone()),
            kind: "failover".to_owned(),
            severity: "critical".to_owned(),
            actor: req.actor.clone(),
            message: format!(
                "{}: {} {} from {} to {} requested",
                venture.name,
                if planned {
                    "planned switchover"
                } else {
                    "forced failover"
                },
                record.epoch,
                chosen.from,
                chosen.to
            ),
            details: serde_json::json!({ "epoch": record.epoch, "reasons": chosen.reasons }),
        })
        .await?;
    let actions = PgActions::new(venture.clone(), opts);
    let mut ctx: Context<'_> = super::controller::context(store, state, venture, &holder);
    ctx.catch_up_to = if planned { chosen.primary_lsn } else { None };
    let done = drive(ctx, &actions, &record, Next::Fence, record.started_at).await?;
    Ok(Answer {
        result: done.outcome.to_owned(),
        plan: Some(chosen),
        detail: done.detail,
        epoch: Some(record.epoch),
        duration_seconds: done.duration_seconds,
    })
}

/// Clears the fence of `endpoint` (a human rejoined it as a standby): recorded `standby`,
/// unfenced, audited. Errors when it is not fenced.
pub async fn clear_fence(
    venture: &VentureConfig,
    store: &Store,
    state: &SharedState,
    endpoint: &str,
    actor: &str,
) -> Result<String, ControllerError> {
    if !venture.endpoints.iter().any(|e| e.name == endpoint) {
        return Err(ControllerError::Invalid(format!(
            "venture {} has no endpoint {endpoint}",
            venture.name
        )));
    }
    let roles = store.endpoint_roles(Some(&venture.name)).await?;
    let Some(rec) = roles.iter().find(|r| r.endpoint == endpoint && r.fenced) else {
        return Err(ControllerError::Invalid(format!(
            "{endpoint} is not fenced"
        )));
    };
    store
        .set_endpoint_role(&EndpointRoleRecord {
            venture: venture.name.clone(),
            endpoint: endpoint.to_owned(),
            role: Role::Standby,
            fenced: false,
            epoch: rec.epoch,
            updated_at: Utc::now(),
        })
        .await?;
    let message = format!(
        "{}: fence of {endpoint} (epoch {}) cleared; it counts as a standby again",
        venture.name, rec.epoch
    );
    store
        .append_event(&NewEvent {
            at: Utc::now(),
            venture: Some(venture.name.clone()),
            kind: "fence_cleared".to_owned(),
            severity: "warning".to_owned(),
            actor: actor.to_owned(),
            message: message.clone(),
            details: serde_json::json!({ "endpoint": endpoint, "epoch": rec.epoch }),
        })
        .await?;
    state.update(|s| {
        if let Some(e) = s
            .venture_mut(&venture.name)
            .and_then(|v| v.endpoint_mut(endpoint))
        {
            e.fenced = false;
            e.configured_role = Role::Standby;
            e.role = Role::Unknown;
        }
    });
    Ok(message)
}
