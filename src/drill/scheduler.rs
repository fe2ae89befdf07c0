//! The drill scheduler: one task per venture with a backup source, running
//! [`run_drill`](super::run_drill) with the configured target on `[ventures.drill] schedule`
//! (cron, UTC) when this agent leads the venture. Decisions are [`super::schedule`]'s (pure);
//! this file sleeps, reads the snapshot and the store, and starts drills.
//!
//! - `backstop_drill_next_run_timestamp_seconds` is published at start and after every due time.
//! - At a due time: another agent leads → nothing; not ready, leadership unknown, the previous
//!   scheduled drill still running (overlap) or the runner busy (another drill of the venture,
//!   `max_concurrent_drills`) → a missed run: counted in `missed_runs`, logged as a warning and
//!   recorded as a `drill` event in the store. Never a silent skip.
//! - When the agent starts, and whenever it becomes the venture's leader: due times after the
//!   newest drill on record count as missed and one catch-up drill runs (see
//!   [`super::schedule::catch_up`]).
//! - Each drill is bounded by `timeout` inside the runner; the scheduler adds
//!   [`CLEANUP_GRACE`] on top as a last resort for a hung preparation (the drill is then left
//!   `running` and cleaned up at the next start, like after a crash).
//! - Each started drill checks in with Sentry (monitor `backstop-drill-<venture>`, crontab = the
//!   schedule): `in_progress`, then `ok` when it passed, `error` otherwise (also when the
//!   runner refused to start it). A run missed before starting (overlap, not ready, leadership
//!   unknown) sends nothing, so Sentry reports it missed. After each drill,
//!   [`super::notify::after`].

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sentry::SentryFutureExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::schedule::{at_due, catch_up, Due, Miss, Schedule};
use super::{run_drill, DrillContext, DrillError, TargetRequest};
use crate::config::VentureConfig;
use crate::notify::checkin::Monitor;
use crate::notify::Notifier;
use crate::store::NewEvent;

/// Time a drill gets beyond its `timeout` for cleanup and recording before the scheduler stops
/// waiting for it.
pub const CLEANUP_GRACE: Duration = Duration::from_secs(600);
/// How often the scheduler looks at leadership between due times: a takeover's catch-up check
/// follows within one lease period (cheap enough for 10,000 idle ventures).
const LOOK_EVERY: Duration = crate::leader::DEFAULT_TTL;
/// Bound on the scheduler's own store calls (last drill, missed-run events).
const STORE_TIMEOUT: Duration = Duration::from_secs(10);

/// Whether the scheduler drills `v`: it has a backup source. [`run_drill`] dispatches by kind
/// (pgBackRest physical drills; Supabase logical drills where the runner supports them — until
/// then a Supabase venture's due runs are refused and counted as missed, never skipped).
pub fn scheduled(v: &VentureConfig) -> bool {
    v.backups.is_some()
}

/// One venture's scheduler.
#[derive(Clone)]
pub struct Scheduler {
    ctx: DrillContext,
    notifier: Arc<Notifier>,
    venture: String,
    schedule: Schedule,
    monitor: Monitor,
    timeout: Duration,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler")
            .field("venture", &self.venture)
            .field("schedule", &self.schedule.text())
            .finish_non_exhaustive()
    }
}

/// The schedulers of every scheduled venture whose schedule parses.
pub fn schedulers(ctx: &DrillContext, notifier: &Arc<Notifier>) -> Vec<Scheduler> {
    ctx.config
        .ventures
        .iter()
        .filter(|v| scheduled(v))
        .filter_map(|v| match Schedule::parse(&v.drill.schedule) {
            Ok(schedule) => Some(Scheduler::new(ctx, notifier, v, schedule)),
            Err(e) => {
                tracing::error!(venture = %v.name, error = %e, "not scheduling drills");
                None
            }
        })
        .collect()
}

/// Publishes every scheduler's first due time (one snapshot update), then spawns each, bound to
/// the current Sentry hub (its check-ins go there).
pub fn spawn_schedulers(
    ctx: &DrillContext,
    notifier: &Arc<Notifier>,
    stopped: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let now = Utc::now();
    let planned: Vec<(Scheduler, Option<DateTime<Utc>>)> = schedulers(ctx, notifier)
        .into_iter()
        .map(|s| {
            let next = s.schedule.next_after(now);
            (s, next)
        })
        .collect();
    ctx.state.update(|snap| {
        for (s, next) in &planned {
            if let Some(v) = snap.venture_mut(&s.venture) {
                v.drill.next_run = *next;
            }
        }
    });
    planned
        .into_iter()
        .map(|(s, next)| {
            tokio::spawn(
                s.run(next, stopped.clone())
                    .bind_hub(sentry::Hub::current()),
            )
        })
        .collect()
}

impl Scheduler {
    /// The scheduler of `v` on `schedule`.
    pub fn new(
        ctx: &DrillContext,
        notifier: &Arc<Notifier>,
        v: &VentureConfig,
        schedule: Schedule,
    ) -> Self {
        let max_runtime = v.drill.timeout.as_secs().div_ceil(60) + 1;
        Self {
            ctx: ctx.clone(),
            notifier: notifier.clone(),
            venture: v.name.clone(),
            monitor: Monitor::crontab(
                format!("backstop-drill-{}", v.name),
                schedule.text(),
                max_runtime,
            ),
            schedule,
            timeout: v.drill.timeout,
        }
    }

    /// Runs until `stopped`, starting with the due time `next` (already published); a drill in
    /// progress then finishes in the background.
    pub async fn run(self, mut next: Option<DateTime<Utc>>, mut stopped: watch::Receiver<bool>) {
        let mut running: Option<JoinHandle<()>> = None;
        let mut caught_up = false;
        loop {
            // Read and let go of the snapshot: one held across the wait below would keep a
            // whole generation alive per venture.
            let (leader, first_poll_done) = {
                let snap = self.ctx.state.load();
                let leader = snap.venture(&self.venture).and_then(|v| v.leader);
                (leader, snap.agent.first_poll_done)
            };
            let now = Utc::now();
            if leader != Some(true) {
                caught_up = false;
            } else if !caught_up {
                caught_up = true;
                if let Some(handle) = Box::pin(self.catch_up(now, running.as_ref())).await {
                    running = Some(handle);
                }
            }
            match next {
                Some(due) if due <= now => {
                    let previous_running = running.as_ref().is_some_and(|h| !h.is_finished());
                    match at_due(leader, first_poll_done, previous_running) {
                        Due::Run => running = Some(self.start(due)),
                        Due::NotLeader => {}
                        Due::Missed(miss) => Box::pin(self.missed(due, &miss, 1)).await,
                    }
                    next = self.publish_next(now);
                    continue;
                }
                _ => {}
            }
            let wait = next.map_or(LOOK_EVERY, |due| {
                (due - now).to_std().unwrap_or_default().min(LOOK_EVERY)
            });
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = stopped.wait_for(|s| *s) => return,
            }
        }
    }

    /// The next due time after `now`, published as `drill.next_run`.
    fn publish_next(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let next = self.schedule.next_after(now);
        if next.is_none() {
            tracing::warn!(venture = %self.venture, schedule = %self.schedule.text(),
                "the drill schedule has no next due time");
        }
        self.ctx.state.update(|s| {
            if let Some(v) = s.venture_mut(&self.venture) {
                v.drill.next_run = next;
            }
        });
        next
    }

    /// Counts due times missed since the newest drill on record and starts one catch-up drill.
    async fn catch_up(
        &self,
        now: DateTime<Utc>,
        running: Option<&JoinHandle<()>>,
    ) -> Option<JoinHandle<()>> {
        let last = match tokio::time::timeout(
            STORE_TIMEOUT,
            self.ctx.store.last_drill(&self.venture),
        )
        .await
        {
            Ok(Ok(last)) => last.map(|d| d.started_at),
            Ok(Err(e)) => {
                tracing::warn!(venture = %self.venture, error = %e,
                    "could not read the last drill; missed runs while no agent ran are not counted");
                return None;
            }
            Err(_) => {
                tracing::warn!(venture = %self.venture,
                    "reading the last drill timed out; missed runs while no agent ran are not counted");
                return None;
            }
        };
        let c = catch_up(&self.schedule, last, now);
        if c.missed == 0 {
            return None;
        }
        let why = format!(
            "{} due time(s) passed since the last drill ({}) while no agent ran the schedule; running one catch-up drill now",
            c.missed,
            last.map_or("none".to_owned(), |t| t.to_rfc3339())
        );
        self.record_missed(now, &why, c.missed).await;
        if c.run && running.is_none_or(JoinHandle::is_finished) {
            Some(self.start(now))
        } else {
            None
        }
    }

    /// Counts, logs and records a due run that did not start.
    async fn missed(&self, due: DateTime<Utc>, miss: &Miss, count: u64) {
        self.record_missed(due, &miss.to_string(), count).await;
    }

    async fn record_missed(&self, due: DateTime<Utc>, why: &str, count: u64) {
        self.ctx.state.update(|s| {
            if let Some(v) = s.venture_mut(&self.venture) {
                v.drill.missed_runs += count;
            }
        });
        let message = format!(
            "scheduled drill of {} due {} missed: {why}",
            self.venture,
            due.to_rfc3339()
        );
        tracing::warn!(venture = %self.venture, count, "{message}");
        let event = NewEvent {
            at: Utc::now(),
            venture: Some(self.venture.clone()),
            kind: "drill".to_owned(),
            severity: "warning".to_owned(),
            actor: "scheduler".to_owned(),
            message,
            details: serde_json::json!({ "due": due, "missed": count, "reason": why }),
        };
        match tokio::time::timeout(STORE_TIMEOUT, self.ctx.store.append_event(&event)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(venture = %self.venture, error = %e,
                "recording the missed drill run failed"),
            Err(_) => {
                tracing::warn!(venture = %self.venture, "recording the missed drill run timed out")
            }
        }
    }

    /// Starts the drill due at `due` in the background.
    fn start(&self, due: DateTime<Utc>) -> JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move { this.drill(due).await }.bind_hub(sentry::Hub::current()))
    }

    /// One scheduled drill: check-in, run, notify; a refusal is a missed run.
    async fn drill(&self, due: DateTime<Utc>) {
        tracing::info!(venture = %self.venture, due = %due.to_rfc3339(), "scheduled drill starting");
        let check_in = self.monitor.start();
        let bound = self.timeout + CLEANUP_GRACE;
        let result = tokio::time::timeout(
            bound,
            run_drill(&self.ctx, &self.venture, TargetRequest::Configured),
        )
        .await;
        match result {
            Ok(Ok(outcome)) => {
                tracing::info!(venture = %self.venture, id = outcome.id, outcome = %outcome.outcome,
                    rto_seconds = ?outcome.rto_seconds, rpo_seconds = ?outcome.rpo_seconds,
                    "scheduled drill finished");
                check_in.finish(outcome.outcome == "passed");
                let objectives = self.objectives();
                super::notify::after(&self.notifier, &self.ctx.store, &objectives, &outcome).await;
            }
            Ok(Err(e)) => {
                check_in.finish(false);
                let miss = match e {
                    DrillError::Busy(why) => Miss::Refused(why),
                    other => Miss::Refused(format!("the drill could not start: {other}")),
                };
                self.missed(due, &miss, 1).await;
            }
            Err(_) => {
                check_in.finish(false);
                tracing::error!(venture = %self.venture, bound = ?bound,
                    "the scheduled drill did not return within its timeout plus the cleanup grace; it is cleaned up at the next start");
            }
        }
    }

    /// The objectives in force (run-time overrides included).
    fn objectives(&self) -> crate::state::Objectives {
        self.ctx
            .state
            .load()
            .venture(&self.venture)
            .map(|v| v.objectives.clone())
            .or_else(|| {
                self.ctx
                    .config
                    .venture(&self.venture)
                    .map(VentureConfig::objectives)
            })
            .unwrap_or_default()
    }
}
