//! The failover controller of one venture: every `probe_interval` it probes every endpoint,
//! feeds each endpoint's [`Health`], folds the [`Baseline`], asks [`decide`] and acts — only
//! while this agent leads the venture (several agents: exactly one acts).
//!
//! - `Promote` (mode `auto`): a failover is begun in the store (single flight, new epoch) and
//!   driven by [`super::execute::drive`]; counters, duration and notification follow.
//! - `Recommend` (mode `manual`): an event and a notification, once per plan; nothing is done.
//! - `Refuse`: an event and `backstop_failovers_total{outcome="refused"}`, once per change of
//!   the kind of refusal ([`super::notice::refusal_key`]), never every round.
//! - A failover found unfinished (this agent crashed, or the leader that ran it died) is taken
//!   over by the leader at its next round — the store records the leader's holder id on it, only
//!   while the leader holds the venture's lease ([`crate::store::holder`]) — and resumed or
//!   aborted ([`super::steps::resume`]): the candidate's recovery state is checked first, so
//!   there is at most one promotion. A human's failover (`manual:` holder) is left alone until
//!   it went [`MANUAL_STALE_AFTER`] without a change.
//! - Before every stage the run checks that this agent still holds the failover and the lease;
//!   one that lost them stops without acting ([`super::execute`]).
//!
//! Roles and fences are read from the store every round (a fence cleared by `backstop failover
//! --clear-fence` takes effect at the next round) and published into the snapshot.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::config::{Config, FailoverMode, VentureConfig};
use crate::notify::Notifier;
use crate::probe::{Health, HealthConfig, ProbeOutcome};
use crate::state::{EndpointObservation, EndpointState, Role, SharedState};
use crate::store::{EndpointRoleRecord, FailoverRecord, Store, StoreError};

use super::actions::{Actions, PgActions};
use super::error::ControllerError;
use super::execute::{drive, Context, Finished};
use super::prober::{options, probe_timeout, ProbeResult, Prober};
use super::steps::{outcome, resume, Next, Stage};
use super::{decide, notice, Baseline, Decision, EndpointInput, PastFailover, Plan, PolicyInput};

/// How long a human's unfinished failover (`backstop failover`, the API) may go without a
/// change before the leader takes it over: longer than any of its stages may take (the fence
/// command's timeout, `promote_wait`, a planned switchover's catch-up wait).
pub const MANUAL_STALE_AFTER: Duration = Duration::from_secs(180);

/// The controller of one venture.
pub struct Controller {
    venture: VentureConfig,
    holder: String,
    store: Store,
    state: SharedState,
    notifier: Arc<Notifier>,
    actions: PgActions,
    probers: Vec<Option<Prober>>,
    health: Vec<Health>,
    observed: Vec<Option<EndpointObservation>>,
    baseline: Option<Baseline>,
    last_refusal: Option<String>,
    last_recommendation: Option<(String, String)>,
}

/// Spawns one controller per venture whose `failover.mode` is not `off` and that has endpoints;
/// `holder` is this agent's leadership holder id ([`crate::leader::Leadership::holder`]).
pub fn spawn_controllers(
    config: &Config,
    store: &Store,
    state: &SharedState,
    notifier: &Arc<Notifier>,
    stopped: &watch::Receiver<bool>,
    holder: &str,
) -> Vec<JoinHandle<()>> {
    config
        .ventures
        .iter()
        .filter(|v| v.failover.mode != FailoverMode::Off && !v.endpoints.is_empty())
        .map(|v| {
            let c = Controller::new(v.clone(), store.clone(), state.clone(), notifier.clone())
                .with_holder(holder);
            tokio::spawn(c.run(stopped.clone()))
        })
        .collect()
}

/// Everything a failover run by `holder` needs, for the controller and for `backstop failover`.
pub fn context<'a>(
    store: &'a Store,
    state: &'a SharedState,
    venture: &VentureConfig,
    holder: &'a str,
) -> Context<'a> {
    Context {
        store,
        state,
        holder,
        promote_wait: Duration::from_secs(30),
        recheck: venture
            .failover
            .probe_interval
            .clamp(Duration::from_millis(100), Duration::from_secs(1)),
        catch_up_to: None,
    }
}

impl std::fmt::Debug for Controller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controller")
            .field("venture", &self.venture.name)
            .finish_non_exhaustive()
    }
}

impl Controller {
    /// A controller of `venture` (not started).
    pub fn new(
        venture: VentureConfig,
        store: Store,
        state: SharedState,
        notifier: Arc<Notifier>,
    ) -> Self {
        let opts = options(venture.failover.probe_interval);
        let probers = venture
            .endpoints
            .iter()
            .map(|e| Some(Prober::new(e.name.clone(), e.dsn.clone(), opts.clone())))
            .collect();
        let health = venture
            .endpoints
            .iter()
            .map(|_| Health::new(HealthConfig::from(&venture.failover)))
            .collect();
        let observed = venture.endpoints.iter().map(|_| None).collect();
        Self {
            actions: PgActions::new(venture.clone(), opts),
            holder: crate::leader::holder_id(),
            venture,
            store,
            state,
            notifier,
            probers,
            health,
            observed,
            baseline: None,
            last_refusal: None,
            last_recommendation: None,
        }
    }

    /// The same controller acting as `holder` (the agent's leadership holder id; by default a
    /// fresh one, which only leads on SQLite).
    pub fn with_holder(mut self, holder: &str) -> Self {
        self.holder = holder.to_owned();
        self
    }

    /// Runs rounds every `probe_interval` until `stopped` turns true.
    pub async fn run(mut self, mut stopped: watch::Receiver<bool>) {
        let every = self
            .venture
            .failover
            .probe_interval
            .max(Duration::from_millis(50));
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        tracing::info!(venture = %self.venture.name, mode = %self.venture.failover.mode.as_str(), "failover controller started");
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                changed = stopped.changed() => {
                    if changed.is_err() || *stopped.borrow() { break; }
                    continue;
                }
            }
            if *stopped.borrow() {
                break;
            }
            // A failover in progress is never cut off by shutdown mid-step: the round finishes.
            if let Err(e) = self.round().await {
                tracing::warn!(venture = %self.venture.name, error = %e, "failover round failed");
            }
        }
    }

    /// One round: probe, decide, act.
    pub async fn round(&mut self) -> Result<(), ControllerError> {
        self.probe_all().await;
        let roles = self.load_roles().await?;
        let name = self.venture.name.clone();
        let leader = self
            .state
            .load()
            .venture(&name)
            .and_then(|v| v.leader)
            .unwrap_or(false);
        let in_flight = self.store.in_flight_failover(&name).await?;
        if let (true, Some(rec)) = (leader, in_flight.as_ref()) {
            return self.resume_orphan(rec.clone()).await;
        }
        let now = Utc::now();
        let since = now
            - TimeDelta::from_std(self.venture.failover.cooldown).unwrap_or(TimeDelta::MAX / 4)
            - TimeDelta::days(1);
        let last_failover = self
            .store
            .failovers(&name, since, now + TimeDelta::minutes(1))
            .await?
            .into_iter()
            .max_by_key(|f| f.epoch)
            .map(|f| PastFailover {
                epoch: f.epoch,
                at: f.finished_at.unwrap_or(f.started_at),
            });
        let interval = self.venture.failover.probe_interval;
        let (decision, down_at) = {
            let inputs: Vec<EndpointInput<'_>> = self
                .venture
                .endpoints
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let (role, fenced) = roles.get(&e.name).copied().unwrap_or((e.role, false));
                    EndpointInput {
                        name: &e.name,
                        role,
                        fenced,
                        health: &self.health[i],
                        observed: self.observed[i].as_ref(),
                    }
                })
                .collect();
            self.baseline = Baseline::observe(self.baseline.take(), &inputs);
            let input = PolicyInput {
                config: &self.venture.failover,
                supabase: self.venture.is_supabase(),
                leader,
                in_flight: in_flight.as_ref().map(|f| f.epoch),
                last_failover,
                baseline: self.baseline.as_ref(),
                // The last good sample precedes the first failed probe by one round: the interval
                // plus a probe that may run to its bound (connect + statement timeouts).
                max_sample_age: (interval + probe_timeout(interval) * 2) * 2,
                endpoints: &inputs,
            };
            let decision = decide(&input, now);
            publish_confirmed_down(&self.state, &name, &inputs, &self.venture.failover, now);
            let down_at = match &decision {
                Decision::Promote(plan) => inputs
                    .iter()
                    .find(|e| e.name == plan.from)
                    .and_then(|e| e.health.since()),
                _ => None,
            };
            (decision, down_at.unwrap_or(now))
        };
        match decision {
            Decision::Nothing => {
                self.last_refusal = None;
                self.last_recommendation = None;
            }
            Decision::Refuse(reason) => {
                let Some(key) = notice::refusal_key(&reason) else {
                    tracing::debug!(venture = %name, reason = %reason, "no failover");
                    return Ok(());
                };
                if self.last_refusal.as_deref() != Some(key.as_str()) {
                    tracing::warn!(venture = %name, reason = %reason, "failover refused");
                    self.store
                        .append_event(&notice::refusal_event(&name, &reason, now))
                        .await?;
                    self.state.update(|s| {
                        if let Some(v) = s.venture_mut(&name) {
                            v.failover.count("refused");
                        }
                    });
                    self.last_refusal = Some(key);
                }
            }
            Decision::Recommend(plan) => {
                let key = (plan.from.clone(), plan.to.clone());
                if self.last_recommendation.as_ref() != Some(&key) {
                    let n = notice::recommendation(&name, &plan, now);
                    tracing::warn!(venture = %name, from = %plan.from, to = %plan.to, "failover recommended (mode manual)");
                    self.store
                        .append_event(&crate::store::NewEvent {
                            at: now,
                            venture: Some(name.clone()),
                            kind: "failover_recommended".to_owned(),
                            severity: "critical".to_owned(),
                            actor: "agent".to_owned(),
                            message: n.summary.clone(),
                            details: n.details.clone(),
                        })
                        .await?;
                    self.notifier.notify(n);
                    self.last_recommendation = Some(key);
                }
            }
            Decision::Promote(plan) => {
                self.failover(&plan, down_at).await?;
                self.last_refusal = None;
            }
        }
        Ok(())
    }

    /// Probes every endpoint concurrently, feeds health and publishes the probe results.
    async fn probe_all(&mut self) {
        let handles: Vec<_> = self
            .probers
            .iter_mut()
            .map(|p| {
                p.take().map(|mut p| {
                    tokio::spawn(async move {
                        let r = p.probe().await;
                        (p, r, Utc::now())
                    })
                })
            })
            .collect();
        let mut results: Vec<Option<(ProbeResult, DateTime<Utc>)>> = Vec::new();
        for (i, h) in handles.into_iter().enumerate() {
            let joined = match h {
                Some(h) => h.await.ok(),
                None => None,
            };
            match joined {
                Some((p, r, at)) => {
                    self.probers[i] = Some(p);
                    results.push(Some((r, at)));
                }
                None => {
                    let e = &self.venture.endpoints[i];
                    let opts = options(self.venture.failover.probe_interval);
                    self.probers[i] = Some(Prober::new(e.name.clone(), e.dsn.clone(), opts));
                    results.push(None);
                }
            }
        }
        let name = self.venture.name.clone();
        let mut published = Vec::new();
        for (i, r) in results.into_iter().enumerate() {
            let Some((r, at)) = r else { continue };
            let ok = r.observation.is_ok();
            let outcome = if ok {
                ProbeOutcome::Ok
            } else {
                ProbeOutcome::Failed
            };
            let endpoint = &self.venture.endpoints[i].name;
            if let Some(t) = self.health[i].record(outcome, at) {
                match &r.observation {
                    Err(e) => {
                        tracing::warn!(venture = %name, endpoint = %endpoint, from = %t.from, to = %t.to, error = %e, "endpoint health changed")
                    }
                    Ok(_) => {
                        tracing::info!(venture = %name, endpoint = %endpoint, from = %t.from, to = %t.to, "endpoint health changed")
                    }
                }
            }
            if let Ok(obs) = r.observation {
                self.observed[i] = Some(obs);
            }
            published.push((endpoint.clone(), ok, r.seconds, at));
        }
        self.state.update(|s| {
            let Some(v) = s.venture_mut(&name) else {
                return;
            };
            for (endpoint, ok, seconds, at) in &published {
                if let Some(e) = v.endpoint_mut(endpoint) {
                    e.probe.up = Some(*ok);
                    e.probe.last_attempt = Some(*at);
                    e.probe.duration.observe(*seconds);
                    if *ok {
                        e.probe.last_success = Some(*at);
                    }
                }
            }
        });
    }

    /// The store's roles and fences (they win over the configuration), published.
    async fn load_roles(&self) -> Result<HashMap<String, (Role, bool)>, StoreError> {
        let name = &self.venture.name;
        let records = self.store.endpoint_roles(Some(name)).await?;
        publish_records(&self.state, name, &records);
        Ok(records
            .into_iter()
            .map(|r| (r.endpoint, (r.role, r.fenced)))
            .collect())
    }

    /// Runs the failover of `plan`, recorded, counted and notified.
    async fn failover(
        &mut self,
        plan: &Plan,
        down_at: DateTime<Utc>,
    ) -> Result<(), ControllerError> {
        let name = self.venture.name.clone();
        tracing::warn!(venture = %name, from = %plan.from, to = %plan.to, "failing over");
        let record = match self
            .store
            .begin_failover(&name, &plan.from, &plan.to, false, &self.holder)
            .await
        {
            Ok(r) => r,
            Err(StoreError::FailoverInFlight { .. }) => return Ok(()),
            Err(StoreError::NotFailoverHolder { reason, .. }) => {
                tracing::warn!(venture = %name, reason = %reason, "not failing over: this agent no longer leads the venture");
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        self.store
            .append_event(&crate::store::NewEvent {
                at: Utc::now(),
                venture: Some(name.clone()),
                kind: "failover".to_owned(),
                severity: "critical".to_owned(),
                actor: "agent".to_owned(),
                message: format!(
                    "{name}: failover {} from {} to {} begun",
                    record.epoch, plan.from, plan.to
                ),
                details: serde_json::json!({ "epoch": record.epoch, "reasons": plan.reasons }),
            })
            .await?;
        self.run_record(&record, Next::Fence, down_at).await
    }

    /// Takes over and resumes (or aborts) a failover found unfinished.
    async fn resume_orphan(&mut self, record: FailoverRecord) -> Result<(), ControllerError> {
        let name = self.venture.name.clone();
        // A human's failover that is still moving is theirs (the store checks this again).
        let manual = record
            .holder
            .as_deref()
            .is_some_and(|h| !crate::store::holder::is_leased(h));
        if manual && crate::probe::elapsed(record.updated_at, Utc::now()) < MANUAL_STALE_AFTER {
            return Ok(());
        }
        let stage = Stage::parse(&record.state);
        let in_recovery = match stage {
            Some(_) => self.actions.in_recovery(&record.to_endpoint).await.ok(),
            None => None,
        };
        let next = stage.map(|s| resume(s, in_recovery));
        let previous = record.holder.as_deref().unwrap_or("no recorded holder");
        let detail = match next {
            Some(next) => format!(
                "{} took over from {previous}: {} in recovery: {}; next: {next:?}",
                self.holder,
                record.to_endpoint,
                in_recovery.map_or("unknown".to_owned(), |b| b.to_string())
            ),
            None => format!("{} took over from {previous} to abort it", self.holder),
        };
        match self
            .store
            .take_over_failover(
                record.id,
                record.epoch,
                &self.holder,
                MANUAL_STALE_AFTER,
                &detail,
            )
            .await
        {
            Ok(_) => {}
            Err(StoreError::NotFailoverHolder { reason, .. }) => {
                tracing::debug!(venture = %name, epoch = record.epoch, reason = %reason, "not taking over the unfinished failover");
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        }
        let (Some(stage), Some(next)) = (stage, next) else {
            let why = format!(
                "found unfinished in state {:?} after a restart",
                record.state
            );
            self.store
                .advance_failover(
                    record.id,
                    record.epoch,
                    &self.holder,
                    outcome::ABORTED,
                    &why,
                )
                .await?;
            self.store
                .finish_failover(record.id, &self.holder, outcome::ABORTED)
                .await?;
            return Ok(());
        };
        tracing::warn!(venture = %name, epoch = record.epoch, stage = %stage, next = ?next, previous = %previous, "taking over an unfinished failover");
        self.run_record(&record, next, record.started_at).await
    }

    async fn run_record(
        &mut self,
        record: &FailoverRecord,
        next: Next,
        down_at: DateTime<Utc>,
    ) -> Result<(), ControllerError> {
        let name = self.venture.name.clone();
        set_in_progress(&self.state, &name, true);
        let ctx = context(&self.store, &self.state, &self.venture, &self.holder);
        let result = drive(ctx, &self.actions, record, next, down_at).await;
        set_in_progress(&self.state, &name, false);
        let done: Finished = match result {
            Ok(done) => done,
            // Noted in the failover's steps by `drive`; the lease holder goes on with it.
            Err(ControllerError::Store(StoreError::NotFailoverHolder { .. })) => return Ok(()),
            Err(e) => return Err(e),
        };
        self.state.update(|s| {
            if let Some(v) = s.venture_mut(&name) {
                v.failover.count(if done.outcome == outcome::COMPLETED {
                    outcome::COMPLETED
                } else {
                    "failed"
                });
                if done.duration_seconds.is_some() {
                    v.failover.last_duration_seconds = done.duration_seconds;
                }
            }
        });
        if done.outcome == outcome::COMPLETED {
            tracing::warn!(venture = %name, epoch = record.epoch, seconds = done.duration_seconds, "failover completed");
        } else {
            tracing::error!(venture = %name, epoch = record.epoch, outcome = done.outcome, detail = %done.detail, "failover did not complete");
        }
        self.notifier.notify(notice::finished(
            &name,
            record.epoch,
            &record.from_endpoint,
            &record.to_endpoint,
            &done,
            Utc::now(),
        ));
        Ok(())
    }
}

/// Publishes which endpoints are confirmed down ([`super::down`]) when that changed: their
/// `/health/…/primary` answers 503 from now on, before any fence.
fn publish_confirmed_down(
    state: &SharedState,
    venture: &str,
    inputs: &[EndpointInput<'_>],
    config: &crate::config::FailoverConfig,
    now: DateTime<Utc>,
) {
    let down: Vec<(&str, Option<&str>)> = inputs
        .iter()
        .map(|e| {
            let by =
                super::down::confirmed_down(e, inputs, config.min_down, config.probe_interval, now);
            (e.name, by)
        })
        .collect();
    let snap = state.load();
    let Some(v) = snap.venture(venture) else {
        return;
    };
    let changed: Vec<(&str, Option<&str>)> = down
        .into_iter()
        .filter(|(name, by)| {
            v.endpoint(name)
                .is_some_and(|e| e.confirmed_down != by.is_some())
        })
        .collect();
    if changed.is_empty() {
        return;
    }
    for (name, by) in &changed {
        match by {
            Some(standby) => {
                tracing::warn!(venture = %venture, endpoint = %name, confirmed_by = %standby,
                "primary confirmed down (hysteresis and the standby's WAL receiver): its load-balancer check answers 503")
            }
            None => {
                tracing::info!(venture = %venture, endpoint = %name, "endpoint no longer confirmed down")
            }
        }
    }
    state.update(|s| {
        let Some(v) = s.venture_mut(venture) else {
            return;
        };
        for (name, by) in &changed {
            if let Some(e) = v.endpoint_mut(name) {
                e.confirmed_down = by.is_some();
            }
        }
    });
}

fn set_in_progress(state: &SharedState, venture: &str, on: bool) {
    state.update(|s| {
        if let Some(v) = s.venture_mut(venture) {
            v.failover.in_progress = on;
        }
    });
}

/// Publishes the store's roles and fences into the snapshot when they differ from it
/// ([`crate::lb::stored::apply`]; the role of a fenced endpoint is `fenced`, and an endpoint whose
/// fence was cleared is `unknown` until observed again).
pub fn publish_records(state: &SharedState, venture: &str, records: &[EndpointRoleRecord]) {
    let fenced = |e: &EndpointState| records.iter().any(|r| r.endpoint == e.name && r.fenced);
    let differs = |e: &EndpointState| {
        let f = fenced(e);
        e.fenced != f
            || (f && e.role != Role::Fenced)
            || records.iter().any(|r| {
                r.endpoint == e.name
                    && matches!(r.role, Role::Primary | Role::Standby)
                    && r.role != e.configured_role
            })
    };
    let snap = state.load();
    let Some(v) = snap.venture(venture) else {
        return;
    };
    if !v.endpoints.iter().any(differs) {
        return;
    }
    state.update(|s| {
        let Some(v) = s.venture_mut(venture) else {
            return;
        };
        for e in &mut v.endpoints {
            let f = fenced(e);
            if f {
                e.role = Role::Fenced;
            } else if e.fenced {
                e.role = Role::Unknown;
            }
        }
        crate::lb::stored::apply(s, records);
    });
}
