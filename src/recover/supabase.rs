//! `backstop recover` for a Supabase venture: one backups call and the in-place plan; with
//! `--execute --confirm V` (and `allow_in_place_restore = true`) the recovery is recorded as
//! requested, restore-pitr is called with the integer target, the project status is polled
//! until `ACTIVE_HEALTHY` follows a non-active status, the `db` health must be `ACTIVE_HEALTHY`
//! and the configured endpoint must answer `SELECT 1` out of recovery. The measured RTO
//! (request → healthy and probed) is recorded, notified and compared with the objective.
//!
//! Everything after the request is bounded by 2× the RTO objective. The status is polled every
//! [`STATUS_INTERVAL`], or every `--status-interval` (a hidden flag, for tests).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::time::Instant;

use super::execute::check_confirm;
use super::supabase_plan::{plan_in_place, render_in_place, rfc3339, InPlaceInput, InPlacePlan};
use super::supabase_watch::{RestoreWatch, Verdict, ACTIVE};
use super::{parse_time, RecoverError};
use crate::cli::RecoverArgs;
use crate::config::{format_duration, Config, EndpointConfig, SupabaseConfig, VentureConfig};
use crate::notify::{Action, Notification, Notifier};
use crate::postgres::{connect, queries, ConnectOptions};
use crate::sources::supabase::{RateLimiter, SupabaseClient};
use crate::sources::SourceError;
use crate::state::Role;
use crate::store::{NewEvent, RecoveryRecord, Store};

/// How often the project status is polled while it restores.
pub const STATUS_INTERVAL: Duration = Duration::from_secs(5);
/// How long queued notifications may take to go out before the command exits.
const NOTIFY_GRACE: Duration = Duration::from_secs(10);

/// What `recover` did for a Supabase venture, as printed with `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct InPlaceOutcome {
    /// The venture.
    pub venture: String,
    /// `planned` or `recovered`.
    pub outcome: String,
    /// `supabase-restore-pitr`.
    pub method: &'static str,
    /// The plan carried out or proposed.
    pub plan: InPlacePlan,
    /// Whether restore-pitr was called.
    pub executed: bool,
    /// Project statuses seen after the request, in order.
    pub statuses: Vec<String>,
    /// The `db` service health at the end.
    pub db_health: Option<String>,
    /// What the endpoint probe found; `None` without an endpoint.
    pub probe: Option<String>,
    /// Measured RTO: request → healthy and probed.
    pub rto_seconds: Option<f64>,
    /// The RTO objective.
    pub rto_objective_seconds: f64,
    /// Whether the measured RTO met the objective.
    pub rto_met: Option<bool>,
}

/// The venture and its Supabase source, when `name` is a Supabase venture.
pub fn venture<'a>(
    config: &'a Config,
    name: &str,
) -> Option<(&'a VentureConfig, &'a SupabaseConfig)> {
    let v = config.ventures.iter().find(|v| v.name == name)?;
    match v.backups.as_ref() {
        Some(crate::config::BackupsConfig::Supabase(cfg)) => Some((v, cfg)),
        _ => None,
    }
}

/// The outcome for humans.
pub fn text(o: &InPlaceOutcome) -> String {
    let mut out = render_in_place(&o.plan, !o.executed);
    let Some(rto) = o.rto_seconds else {
        return out;
    };
    let objective = format_duration(Duration::from_secs_f64(o.rto_objective_seconds));
    out.push_str(&format!(
        "\nRestored in place: Supabase project {} is back at {} and ACTIVE_HEALTHY.\n  statuses: {}\n  db health: {}\n  endpoint: {}\n  RTO: {rto:.1}s (request → healthy and probed); objective {objective}: {}\n",
        o.plan.project_ref,
        rfc3339(o.plan.target),
        o.statuses.join(" → "),
        o.db_health.as_deref().unwrap_or("-"),
        o.probe.as_deref().unwrap_or("none configured (add [[ventures.endpoints]] to have the database probed)"),
        if o.rto_met == Some(true) { "met" } else { "MISSED" },
    ));
    out
}

/// Plans, and with `--execute` restores in place; refusals and failures are errors.
pub async fn recover(
    config: &Config,
    v: &VentureConfig,
    cfg: &SupabaseConfig,
    args: &RecoverArgs,
) -> Result<InPlaceOutcome, RecoverError> {
    let requested_at = Utc::now();
    let target = parse_time(&args.to, requested_at)?;
    if args.target_dir.is_some() {
        return Err(RecoverError::NotInPlace("--target-dir"));
    }
    if args.start {
        return Err(RecoverError::NotInPlace("--start"));
    }
    if args.execute {
        if !cfg.allow_in_place_restore {
            return Err(RecoverError::InPlaceNotAllowed(v.name.clone()));
        }
        check_confirm(&v.name, args.confirm.as_deref())?;
    }
    let store = Store::open(&config.agent.state).await;
    let rto = rto_objective(v, store.as_ref().ok()).await;
    let limiter = Arc::new(Mutex::new(RateLimiter::new(
        config.agent.supabase_max_requests_per_min,
    )));
    let client = SupabaseClient::new(cfg, limiter).map_err(RecoverError::SupabaseApi)?;
    let backups = client.backups().await.map_err(RecoverError::SupabaseApi)?;
    let plan = plan_in_place(&InPlaceInput {
        venture: &v.name,
        project_ref: &cfg.project_ref,
        api_url: &cfg.api_url,
        backups: &backups,
        target,
        rto,
        allowed: cfg.allow_in_place_restore,
    })?;
    let mut outcome = InPlaceOutcome {
        venture: v.name.clone(),
        outcome: "planned".to_owned(),
        method: super::supabase_plan::METHOD,
        plan,
        executed: false,
        statuses: Vec::new(),
        db_health: None,
        probe: None,
        rto_seconds: None,
        rto_objective_seconds: rto.as_secs_f64(),
        rto_met: None,
    };
    if !args.execute {
        match store {
            Ok(store) => {
                let detail = format!("planned restore-pitr to unix {}", outcome.plan.target_unix);
                if let Err(e) = store
                    .insert_recovery(&record(&outcome, requested_at, &detail))
                    .await
                {
                    tracing::warn!(error = %e, "recording the recovery plan failed");
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot open the store to record the plan"),
        }
        return Ok(outcome);
    }
    let store = store?;
    let watch = Watch {
        client: &client,
        endpoint: primary(v),
        limit: rto * 2,
        interval: args.status_interval.unwrap_or(STATUS_INTERVAL),
    };
    execute(config, &store, &watch, requested_at, &mut outcome).await?;
    Ok(outcome)
}

/// The RTO objective: a stored override wins over the file.
async fn rto_objective(v: &VentureConfig, store: Option<&Store>) -> Duration {
    let configured = v.objectives().rto;
    let Some(store) = store else {
        return configured;
    };
    match store.overrides().await {
        Ok(list) => list
            .iter()
            .find(|o| o.venture == v.name)
            .and_then(|o| o.rto_seconds)
            .and_then(|s| u64::try_from(s).ok())
            .map_or(configured, Duration::from_secs),
        Err(e) => {
            tracing::warn!(error = %e, "reading objective overrides failed; using the configured RTO");
            configured
        }
    }
}

/// The endpoint probed after the restore: the primary, else the first.
fn primary(v: &VentureConfig) -> Option<&EndpointConfig> {
    v.endpoints
        .iter()
        .find(|e| e.role == Role::Primary)
        .or_else(|| v.endpoints.first())
}

fn record(o: &InPlaceOutcome, requested_at: DateTime<Utc>, detail: &str) -> RecoveryRecord {
    RecoveryRecord {
        id: 0,
        venture: o.venture.clone(),
        requested_at,
        target_time: o.plan.target,
        method: o.method.to_owned(),
        executed: o.executed,
        outcome: o.outcome.clone(),
        detail: detail.to_owned(),
        rto_seconds: o.rto_seconds,
    }
}

/// Records the request, restores, records and notifies the result.
async fn execute(
    config: &Config,
    store: &Store,
    watch: &Watch<'_>,
    requested_at: DateTime<Utc>,
    o: &mut InPlaceOutcome,
) -> Result<(), RecoverError> {
    o.executed = true;
    o.outcome = "requested".to_owned();
    let detail = format!(
        "restore-pitr of Supabase project {} to {} (unix {}) requested",
        o.plan.project_ref,
        rfc3339(o.plan.target),
        o.plan.target_unix
    );
    let id = store
        .insert_recovery(&record(o, requested_at, &detail))
        .await?;
    // The recovery row is the record of the request; its audit event is best effort.
    let request = format!("{detail}; the project goes offline");
    if let Err(e) = audit(store, o, "warning", &request).await {
        tracing::warn!(error = %e, "auditing the restore request failed");
    }
    let (sends, records) = tokio::sync::mpsc::unbounded_channel();
    let notifier = match Notifier::builder(&config.notify).records(sends).build() {
        Ok(n) => Some(n),
        Err(e) => {
            tracing::warn!(error = %e, "notifications are off for this recovery");
            None
        }
    };
    let recorder = tokio::spawn(crate::plumbing::record_sends(store.clone(), records));
    let started = Instant::now();
    let result = watch.restore(o).await;
    let (outcome, detail, severity, summary) = match &result {
        Ok(()) => {
            let rto = started.elapsed().as_secs_f64();
            o.rto_seconds = Some(rto);
            o.rto_met = Some(rto <= o.rto_objective_seconds);
            o.outcome = "recovered".to_owned();
            let detail = success_detail(o, rto);
            let summary = format!("{}: recovery succeeded: {detail}", o.venture);
            (o.outcome.clone(), detail, "info", summary)
        }
        Err(e) => {
            let refused = matches!(e, RecoverError::RestoreRefused(_));
            let outcome = if refused { "refused" } else { "failed" };
            let summary = format!("{}: recovery failed: {e}", o.venture);
            (
                outcome.to_owned(),
                format!("{outcome}: {e}"),
                "critical",
                summary,
            )
        }
    };
    let finished = store
        .finish_recovery(id, &outcome, &detail, o.rto_seconds)
        .await;
    let audited = audit(store, o, severity, &detail).await;
    if let Some(notifier) = notifier {
        notifier.notify(notification(o, result.is_ok(), &summary));
        notifier.shutdown(NOTIFY_GRACE).await;
    }
    let _ = recorder.await;
    result?;
    finished?;
    audited
}

fn success_detail(o: &InPlaceOutcome, rto: f64) -> String {
    format!(
        "restored in place to {} (unix {}); statuses {}; db health {}; endpoint {}; RTO {rto:.1}s, objective {} {}",
        rfc3339(o.plan.target),
        o.plan.target_unix,
        o.statuses.join(" → "),
        o.db_health.as_deref().unwrap_or("-"),
        o.probe.as_deref().unwrap_or("none configured"),
        format_duration(Duration::from_secs_f64(o.rto_objective_seconds)),
        if o.rto_met == Some(true) { "met" } else { "missed" },
    )
}

async fn audit(
    store: &Store,
    o: &InPlaceOutcome,
    severity: &str,
    message: &str,
) -> Result<(), RecoverError> {
    store
        .append_event(&NewEvent {
            at: Utc::now(),
            venture: Some(o.venture.clone()),
            kind: "recovery".to_owned(),
            severity: severity.to_owned(),
            actor: "cli".to_owned(),
            message: format!("recover to {}: {message}", rfc3339(o.plan.target)),
            details: serde_json::to_value(o).unwrap_or(serde_json::Value::Null),
        })
        .await?;
    Ok(())
}

/// `recovery succeeded` resolves, `recovery failed` triggers the incident `<venture>:recovery`
/// (critical both: the resolve reaches every receiver a failure would have paged).
fn notification(o: &InPlaceOutcome, ok: bool, summary: &str) -> Notification {
    Notification {
        venture: o.venture.clone(),
        event: "recovery".to_owned(),
        severity: crate::config::Severity::Critical,
        action: if ok { Action::Resolve } else { Action::Trigger },
        summary: crate::notify::truncate_chars(summary, 1000),
        details: serde_json::json!({
            "project_ref": o.plan.project_ref,
            "target": rfc3339(o.plan.target),
            "target_unix": o.plan.target_unix,
            "statuses": o.statuses,
            "rto_seconds": o.rto_seconds,
            "rto_objective_seconds": o.rto_objective_seconds,
        }),
        at: Utc::now(),
    }
}

/// The restore and what is watched after it.
struct Watch<'a> {
    client: &'a SupabaseClient,
    endpoint: Option<&'a EndpointConfig>,
    /// From the request: 2× the RTO objective.
    limit: Duration,
    interval: Duration,
}

impl Watch<'_> {
    /// restore-pitr, then status, health and probe, all before `limit`.
    async fn restore(&self, o: &mut InPlaceOutcome) -> Result<(), RecoverError> {
        let deadline = Instant::now() + self.limit;
        match tokio::time::timeout_at(deadline, self.client.restore_pitr(o.plan.target_unix)).await
        {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(post_error(e)),
            Err(_) => {
                return Err(RecoverError::RestoreUnanswered(SourceError::Timeout {
                    command: "Supabase POST database/backups/restore-pitr".to_owned(),
                    after: self.limit,
                }))
            }
        }
        eprintln!(
            "backstop: Supabase accepted the restore of project {} to {}; watching its status",
            o.plan.project_ref,
            rfc3339(o.plan.target)
        );
        let mut seen = RestoreWatch::default();
        let result = self.until_active(deadline, &mut seen).await;
        o.statuses = seen.statuses;
        result?;
        o.db_health = Some(self.until_healthy(deadline).await?);
        if let Some(endpoint) = self.endpoint {
            o.probe = Some(self.until_probed(endpoint, deadline).await?);
        }
        Ok(())
    }

    /// Polls the project status until the watch says restored or failed, or the deadline.
    async fn until_active(
        &self,
        deadline: Instant,
        seen: &mut RestoreWatch,
    ) -> Result<(), RecoverError> {
        let mut last_error = None;
        let start = Instant::now();
        loop {
            match tokio::time::timeout_at(deadline, self.client.project_status()).await {
                Ok(Ok(status)) => {
                    let before = seen.statuses.len();
                    let verdict = seen.observe(&status);
                    if seen.statuses.len() != before {
                        eprintln!(
                            "backstop: project status {status} after {:.1}s",
                            start.elapsed().as_secs_f64()
                        );
                    }
                    match verdict {
                        Verdict::Restored => return Ok(()),
                        Verdict::Failed(why) => return Err(RecoverError::InPlace(why)),
                        Verdict::Wait => {}
                    }
                }
                Ok(Err(e)) => {
                    tracing::warn!(kind = e.kind().as_str(), error = %e, "project status poll failed");
                    last_error = Some(e.to_string());
                }
                Err(_) => {}
            }
            if !self.pause(deadline).await {
                return Err(RecoverError::InPlace(
                    seen.deadline_failure(self.limit, last_error.as_deref()),
                ));
            }
        }
    }

    /// Polls `health?services=db` until `ACTIVE_HEALTHY`, or the deadline.
    async fn until_healthy(&self, deadline: Instant) -> Result<String, RecoverError> {
        let mut last = String::from("no answer");
        loop {
            match tokio::time::timeout_at(deadline, self.client.db_health()).await {
                Ok(Ok(status)) if status == ACTIVE => return Ok(status),
                Ok(Ok(status)) => last = format!("db health {status}"),
                Ok(Err(e)) => last = e.to_string(),
                Err(_) => {}
            }
            if !self.pause(deadline).await {
                return Err(RecoverError::InPlace(format!(
                    "the project is ACTIVE_HEALTHY but its db service was not within {} (2× the RTO objective; last: {last}); check the database in the dashboard",
                    format_duration(self.limit)
                )));
            }
        }
    }

    /// Connects to the endpoint until `SELECT 1` answers out of recovery, or the deadline.
    async fn until_probed(
        &self,
        endpoint: &EndpointConfig,
        deadline: Instant,
    ) -> Result<String, RecoverError> {
        let mut last = String::from("no answer");
        loop {
            match tokio::time::timeout_at(deadline, probe(endpoint)).await {
                Ok(Ok(())) => {
                    return Ok(format!(
                        "{}: SELECT 1 answered, pg_is_in_recovery() false",
                        endpoint.name
                    ))
                }
                Ok(Err(why)) => last = why,
                Err(_) => {}
            }
            if !self.pause(deadline).await {
                return Err(RecoverError::InPlace(format!(
                    "Supabase reports the project healthy, but endpoint {} did not answer out of recovery within {} (2× the RTO objective; last: {last}); check its DSN and the database",
                    endpoint.name,
                    format_duration(self.limit)
                )));
            }
        }
    }

    /// Sleeps one interval, capped at the deadline; false once the deadline has passed.
    async fn pause(&self, deadline: Instant) -> bool {
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        tokio::time::sleep_until((now + self.interval).min(deadline)).await;
        Instant::now() < deadline
    }
}

/// A 4xx answer is a refusal (nothing changed); anything else leaves it unknown.
fn post_error(e: SourceError) -> RecoverError {
    match &e {
        SourceError::Rejected { status, .. } | SourceError::Status { status, .. }
            if (400..500).contains(status) =>
        {
            RecoverError::RestoreRefused(e)
        }
        _ => RecoverError::RestoreUnanswered(e),
    }
}

/// `SELECT 1` and `pg_is_in_recovery()` on the endpoint (connect and statement timeouts).
async fn probe(endpoint: &EndpointConfig) -> Result<(), String> {
    let client = connect(&endpoint.dsn, &ConnectOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    client
        .simple_query("SELECT 1")
        .await
        .map_err(|e| format!("SELECT 1 failed: {e}"))?;
    match queries::in_recovery(&client).await {
        Ok(false) => Ok(()),
        Ok(true) => Err("still in recovery (pg_is_in_recovery() is true)".to_owned()),
        Err(e) => Err(e.to_string()),
    }
}
