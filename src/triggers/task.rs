//! The agent's trigger loop: every [`TICK`], for each venture with triggers that this agent
//! leads, evaluate each trigger on the current snapshot; a trigger due to run is first checked
//! against the store (a run recorded by another agent, or before a restart, within the cooldown
//! wins), recorded as started, then run in its own task. When it ends it is counted
//! (`backstop_trigger_runs_total`), recorded with its outcome and output excerpt, and notified.
//! On shutdown runs still in flight are stopped (a command's process group is killed); their
//! `started` event remains, so the cooldown holds across the restart.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use super::condition::{holds, Condition};
use super::evaluate::{evaluate, finished, with_recorded, Decision, Memory};
use super::notice::{self, RunFacts};
use super::runner::{self, Request};
use super::TriggerError;
use crate::config::{Config, TriggerConfig};
use crate::notify::Notifier;
use crate::state::{SharedState, TriggerState};
use crate::store::{EventFilter, Store};

/// How often conditions are evaluated.
pub const TICK: Duration = Duration::from_secs(2);
/// Longest a store read or write may take.
const STORE_TIMEOUT: Duration = Duration::from_secs(10);

/// One venture's triggers with what their runs need.
#[derive(Debug)]
struct Venture {
    name: String,
    triggers: Vec<(String, TriggerConfig)>,
    /// Everything secret the venture's config holds (DSNs, webhook URLs), kept out of records.
    secrets: Vec<String>,
}

/// What the loop and its runs share.
struct Ctx {
    ventures: Vec<Venture>,
    state: SharedState,
    store: Store,
    notifier: Arc<Notifier>,
    client: reqwest::Client,
}

/// The initial trigger states of a venture (one per configured trigger, counters at 0).
pub fn initial_states(triggers: &[TriggerConfig]) -> Vec<TriggerState> {
    super::labels(triggers)
        .into_iter()
        .map(|label| TriggerState {
            label,
            runs: [0; 2],
        })
        .collect()
}

/// Starts the trigger loop when some venture has triggers.
pub fn spawn_triggers(
    config: &Config,
    state: &SharedState,
    store: &Store,
    notifier: &Arc<Notifier>,
    stopped: &watch::Receiver<bool>,
) -> Option<JoinHandle<()>> {
    let ventures: Vec<Venture> = config
        .ventures
        .iter()
        .filter(|v| !v.triggers.is_empty())
        .map(|v| {
            let mut secrets: Vec<String> = v
                .endpoints
                .iter()
                .map(|e| e.dsn.expose().to_owned())
                .collect();
            for t in &v.triggers {
                if let crate::config::TriggerAction::Webhook(url) = &t.action {
                    secrets.push(url.expose().to_owned());
                }
            }
            Venture {
                name: v.name.clone(),
                triggers: super::labels(&v.triggers)
                    .into_iter()
                    .zip(v.triggers.iter().cloned())
                    .collect(),
                secrets,
            }
        })
        .collect();
    if ventures.is_empty() {
        return None;
    }
    let client = match reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "recovery triggers are off: no HTTP client");
            return None;
        }
    };
    let ctx = Arc::new(Ctx {
        ventures,
        state: state.clone(),
        store: store.clone(),
        notifier: notifier.clone(),
        client,
    });
    Some(tokio::spawn(run_loop(ctx, stopped.clone())))
}

type Key = (usize, usize);

async fn run_loop(ctx: Arc<Ctx>, mut stopped: watch::Receiver<bool>) {
    let mut memory: HashMap<Key, Memory> = HashMap::new();
    let mut runs: JoinSet<()> = JoinSet::new();
    let mut in_flight: HashMap<tokio::task::Id, Key> = HashMap::new();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                for (key, run) in due(&ctx, &mut memory).await {
                    let handle = runs.spawn(run_one(ctx.clone(), key, run));
                    in_flight.insert(handle.id(), key);
                }
            }
            Some(done) = runs.join_next_with_id() => {
                let id = match &done { Ok((id, ())) => *id, Err(e) => e.id() };
                if let Err(e) = done {
                    tracing::error!(error = %e, "a trigger run ended abnormally");
                }
                if let Some(key) = in_flight.remove(&id) {
                    if let Some(m) = memory.get_mut(&key) {
                        *m = finished(*m);
                    }
                }
            }
            _ = stopped.changed() => {
                if !runs.is_empty() {
                    tracing::warn!(runs = runs.len(), "stopping trigger runs still in flight");
                }
                runs.shutdown().await;
                return;
            }
        }
    }
}

/// A run about to start.
struct Due {
    condition: Condition,
    cleared: Option<bool>,
    started_at: DateTime<Utc>,
}

/// Evaluates every trigger of every venture this agent leads; returns the runs to start (each
/// already recorded as started).
async fn due(ctx: &Ctx, memory: &mut HashMap<Key, Memory>) -> Vec<(Key, Due)> {
    let snap = ctx.state.load();
    let mut out = Vec::new();
    for (vi, venture) in ctx.ventures.iter().enumerate() {
        let Some(v) = snap.venture(&venture.name) else {
            continue;
        };
        if v.leader != Some(true) {
            continue;
        }
        for (ti, (label, trigger)) in venture.triggers.iter().enumerate() {
            let now = Utc::now();
            let condition = holds(trigger.when, v, now);
            let before = memory.get(&(vi, ti)).copied().unwrap_or_default();
            let (decision, next) = evaluate(trigger.cooldown, condition.is_some(), before, now);
            let (Decision::Run { cleared }, Some(condition)) = (decision, condition) else {
                memory.insert((vi, ti), next);
                continue;
            };
            // Another agent (or this one before a restart) may have run it within the cooldown.
            let recorded = match last_recorded(ctx, venture, label, trigger, now).await {
                Ok(at) => at,
                Err(e) => {
                    tracing::warn!(venture = %venture.name, trigger = %label, error = %e,
                        "trigger not run: the store cannot say when it last ran");
                    memory.insert((vi, ti), before);
                    continue;
                }
            };
            if recorded.is_some() {
                let (_, next) =
                    evaluate(trigger.cooldown, true, with_recorded(before, recorded), now);
                memory.insert((vi, ti), next);
                continue;
            }
            let run = Due {
                condition,
                cleared,
                started_at: now,
            };
            let facts = facts(venture, label, trigger, &run);
            if let Err(e) = store_event(ctx, &notice::started_event(&facts)).await {
                tracing::warn!(venture = %venture.name, trigger = %label, error = %e,
                    "trigger not run: its start cannot be recorded");
                memory.insert((vi, ti), before);
                continue;
            }
            memory.insert((vi, ti), next);
            out.push(((vi, ti), run));
        }
    }
    out
}

/// The start of the newest recorded run of `label` within the cooldown before `now`.
async fn last_recorded(
    ctx: &Ctx,
    venture: &Venture,
    label: &str,
    trigger: &TriggerConfig,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, TriggerError> {
    let since = now - TimeDelta::from_std(trigger.cooldown).unwrap_or(TimeDelta::MAX);
    let filter = EventFilter {
        venture: Some(venture.name.clone()),
        kind: Some(notice::EVENT_KIND.to_owned()),
        // A finished event is written after its run's start: both count from the start.
        since: Some(since),
        ..Default::default()
    };
    let events = tokio::time::timeout(STORE_TIMEOUT, ctx.store.events(&filter))
        .await
        .map_err(|_| TriggerError::Store(format!("no answer within {STORE_TIMEOUT:?}")))?
        .map_err(|e| TriggerError::Store(e.to_string()))?;
    Ok(notice::last_recorded(&events, label).filter(|at| *at >= since))
}

async fn store_event(ctx: &Ctx, event: &crate::store::NewEvent) -> Result<i64, TriggerError> {
    tokio::time::timeout(STORE_TIMEOUT, ctx.store.append_event(event))
        .await
        .map_err(|_| TriggerError::Store(format!("no answer within {STORE_TIMEOUT:?}")))?
        .map_err(|e| TriggerError::Store(e.to_string()))
}

fn secrets(venture: &Venture) -> Vec<&str> {
    venture.secrets.iter().map(String::as_str).collect()
}

fn facts<'a>(
    venture: &'a Venture,
    label: &'a str,
    trigger: &TriggerConfig,
    run: &'a Due,
) -> RunFacts<'a> {
    RunFacts {
        venture: &venture.name,
        trigger: label,
        action: notice::shown(&trigger.action, &secrets(venture)),
        condition: &run.condition,
        cleared: run.cleared,
        started_at: run.started_at,
    }
}

/// Runs one trigger, then counts, records and notifies it.
async fn run_one(ctx: Arc<Ctx>, (vi, ti): Key, run: Due) {
    let Some(venture) = ctx.ventures.get(vi) else {
        return;
    };
    let Some((label, trigger)) = venture.triggers.get(ti) else {
        return;
    };
    let facts = facts(venture, label, trigger, &run);
    tracing::info!(venture = %venture.name, trigger = %label, condition = run.condition.rule,
        action = %facts.action, "running recovery trigger");
    let req = Request {
        venture: &venture.name,
        trigger: label,
        condition: &run.condition,
        at: run.started_at,
    };
    let ran = runner::run(
        &trigger.action,
        &req,
        trigger.timeout,
        &ctx.client,
        &secrets(venture),
    )
    .await;
    let finished_at = Utc::now();
    let ok = ran.result.is_ok();
    ctx.state.update(|s| {
        if let Some(t) = s
            .venture_mut(&venture.name)
            .and_then(|v| v.triggers.get_mut(ti))
        {
            t.count(ok);
        }
    });
    let result = ran.result.map_err(|e| e.to_string());
    match &result {
        Ok(how) => tracing::info!(venture = %venture.name, trigger = %label, result = %how,
            "recovery trigger ran"),
        Err(why) => tracing::warn!(venture = %venture.name, trigger = %label, error = %why,
            "recovery trigger failed"),
    }
    let event = notice::finished_event(&facts, &result, &ran.excerpt, finished_at);
    if let Err(e) = store_event(&ctx, &event).await {
        tracing::warn!(venture = %venture.name, trigger = %label, error = %e,
            "recording the trigger run failed");
    }
    ctx.notifier.notify(notice::notification(
        &facts,
        &result,
        &ran.excerpt,
        finished_at,
    ));
}
