//! `backstop supabase apply --venture V [--dry-run] [--json]`: reads the project's daily backup
//! schedule and PITR add-on, prints the drift from `desired_schedule` / `desired_pitr`, and
//! without `--dry-run` sets the schedule through the Management API (Supabase allows three
//! changes per 24 hours). Billing is never touched: a PITR mismatch prints the dashboard steps,
//! and the command exits 1 because the project is still drifted. A schedule change is recorded
//! in the store's audit log.
//!
//! Exit codes: 0 in the desired state (or converged), 1 drift remains or a user error, 2 the API
//! or the network failed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{NaiveTime, Utc};

use super::apply_report::{Action, ApplyReport, SettingOutcome};
use super::client::SupabaseClient;
use super::desired::{pitr_drift, pitr_steps, schedule_drift, time_text, Desired, Observed};
use super::desired_poll::no_entitlement;
use super::ratelimit::RateLimiter;
use crate::cli::SupabaseApplyArgs;
use crate::config::{BackupsConfig, Config, PitrPlan, SupabaseConfig};
use crate::error::ErrorKind;
use crate::sources::SourceError;
use crate::store::{NewEvent, Store};

/// The bound on the whole command: three calls, the rate limiter's waits, and a margin.
pub const DEADLINE: Duration = Duration::from_secs(150);
/// The bound on recording the audit event.
const STORE_DEADLINE: Duration = Duration::from_secs(10);

/// Runs the command, prints its result, returns the exit code.
pub async fn run(config: &Config, args: &SupabaseApplyArgs) -> u8 {
    let cfg = match supabase_config(config, &args.venture) {
        Ok(cfg) => cfg,
        Err(message) => return refuse(args, &message, 1),
    };
    let desired = Desired::of(cfg);
    if !desired.any() {
        let message = format!(
            "venture {:?} sets neither desired_schedule nor desired_pitr: nothing to apply; set them in its [ventures.backups] (e.g. desired_schedule = \"04:00\", desired_pitr = \"pitr_7\")",
            args.venture
        );
        return refuse(args, &message, 1);
    }
    let limiter = Arc::new(Mutex::new(RateLimiter::new(
        config.agent.supabase_max_requests_per_min,
    )));
    let client = match SupabaseClient::new(cfg, limiter) {
        Ok(c) => c,
        Err(e) => return refuse(args, &format!("cannot build the HTTP client: {e}"), 2),
    };
    let applied =
        tokio::time::timeout(DEADLINE, apply(&client, &args.venture, cfg, args.dry_run)).await;
    let report = match applied {
        Ok(report) => report,
        Err(_) => {
            let message = format!(
                "the Management API did not answer within {}s; check network access to {} and run it again",
                DEADLINE.as_secs(),
                cfg.api_url
            );
            return refuse(args, &message, 2);
        }
    };
    if report.settings.iter().any(|s| s.action == Action::Changed) {
        record(config, &report).await;
    }
    if args.json {
        if !crate::inspect::print_json(&report) {
            return 2;
        }
    } else {
        print!("{}", report.text());
    }
    report.exit_code
}

/// Reads, compares and (without `dry_run`) converges what the API can change.
pub async fn apply(
    client: &SupabaseClient,
    venture: &str,
    cfg: &SupabaseConfig,
    dry_run: bool,
) -> ApplyReport {
    let desired = Desired::of(cfg);
    let rerun = format!("backstop supabase apply --venture {venture}");
    let mut settings = Vec::new();
    if let Some(want) = desired.schedule {
        settings.push(schedule(client, &rerun, want, dry_run).await);
    }
    if let Some(want) = desired.pitr {
        settings.push(pitr(client, &cfg.project_ref, want, &rerun).await);
    }
    ApplyReport::new(venture, &cfg.project_ref, dry_run, settings)
}

const LIMIT_NOTE: &str = "Supabase allows 3 schedule changes per 24 hours";

async fn schedule(
    client: &SupabaseClient,
    rerun: &str,
    want: NaiveTime,
    dry_run: bool,
) -> SettingOutcome {
    let read = client.schedule().await;
    let observed = Observed {
        schedule: read.as_ref().ok().copied(),
        schedule_unavailable: read.as_ref().is_err_and(no_entitlement),
        pitr_addon: None,
    };
    let drift = schedule_drift(want, &observed);
    let want_text = time_text(want);
    let (action, message) = match (read, dry_run) {
        (Ok(have), _) if have == want => (Action::None, None),
        (Ok(have), true) => (
            Action::WouldChange,
            Some(format!(
                "would set the daily backup time from {} to {want_text} UTC (PATCH database/backups/schedule). {LIMIT_NOTE}.",
                time_text(have)
            )),
        ),
        (Ok(have), false) => match client.set_schedule(want).await {
            Ok(()) => (
                Action::Changed,
                Some(format!(
                    "set the daily backup time from {} to {want_text} UTC. {LIMIT_NOTE}, so keep desired_schedule steady.",
                    time_text(have)
                )),
            ),
            Err(e) if no_entitlement(&e) => (Action::Unavailable, Some(no_plan(&e))),
            Err(e) if refused(&e) => (
                Action::Refused,
                Some(format!(
                    "the API refused the change ({e}). {LIMIT_NOTE}: if that is the reason, run `{rerun}` again once the oldest change of the last 24 hours is a day old; until then backups keep running daily at {} UTC.",
                    time_text(have)
                )),
            ),
            Err(e) => (Action::Failed, Some(failure(&e, "change the schedule", rerun))),
        },
        (Err(e), _) if no_entitlement(&e) => (Action::Unavailable, Some(no_plan(&e))),
        (Err(e), _) => (Action::Failed, Some(failure(&e, "read the schedule", rerun))),
    };
    SettingOutcome {
        drift,
        action,
        message,
    }
}

async fn pitr(
    client: &SupabaseClient,
    project_ref: &str,
    want: PitrPlan,
    rerun: &str,
) -> SettingOutcome {
    let read = client.pitr_addon().await;
    let drift = pitr_drift(want, read.as_deref().ok());
    let (action, message) = match (&read, drift.drifted) {
        (Ok(_), Some(false)) => (Action::None, None),
        (Ok(actual), _) => (
            Action::Manual,
            Some(pitr_steps(project_ref, want, Some(actual.as_str()))),
        ),
        (Err(e), _) => (
            Action::Failed,
            Some(failure(e, "read the billing add-ons", rerun)),
        ),
    };
    SettingOutcome {
        drift,
        action,
        message,
    }
}

/// A 4xx refusal that is about the request (not the token, not the rate limit).
fn refused(e: &SourceError) -> bool {
    match e {
        SourceError::Rejected { status, .. } | SourceError::Status { status, .. } => {
            (400..500).contains(status) && !matches!(status, 401 | 403 | 429)
        }
        _ => false,
    }
}

fn no_plan(e: &SourceError) -> String {
    format!(
        "the project's plan has no backup schedule entitlement ({e}): the daily backup time cannot be set on it. Upgrade the organization's plan (the `backup.schedule` entitlement), or remove desired_schedule from this venture's [ventures.backups]."
    )
}

/// What failed and what to do next, by error kind.
fn failure(e: &SourceError, doing: &str, rerun: &str) -> String {
    let next = match e.kind() {
        ErrorKind::Auth => "check the access token (token_env / token_file of this venture's [ventures.backups]): it must reach this project, and changing the schedule needs database write access",
        ErrorKind::RateLimited => "the token's rate limit is used up; wait a minute",
        ErrorKind::Timeout | ErrorKind::Connect => "check network access to api_url",
        ErrorKind::Http => "Supabase answered with an error; check status.supabase.com, or whether project_ref is right (404)",
        _ => "the answer could not be read",
    };
    format!("could not {doing}: {e}. Next: {next}, then run `{rerun}` again.")
}

/// The Supabase source of `venture`, or why there is none.
fn supabase_config<'a>(config: &'a Config, venture: &str) -> Result<&'a SupabaseConfig, String> {
    crate::inspect::known_venture(config, venture)?;
    match config
        .ventures
        .iter()
        .find(|v| v.name == venture)
        .and_then(|v| v.backups.as_ref())
    {
        Some(BackupsConfig::Supabase(cfg)) => Ok(cfg),
        _ => Err(format!(
            "venture {venture:?} has no [ventures.backups] of kind \"supabase\": `supabase apply` manages the backup settings of Supabase projects only"
        )),
    }
}

/// Says why the command stops before reaching the API; returns `code`.
fn refuse(args: &SupabaseApplyArgs, message: &str, code: u8) -> u8 {
    if args.json {
        let out = serde_json::json!({
            "venture": args.venture,
            "dry_run": args.dry_run,
            "error": message,
            "exit_code": code,
        });
        println!("{out}");
    }
    eprintln!("backstop: {message}");
    code
}

/// Appends the schedule change to the audit log (best effort: a warning when it fails).
async fn record(config: &Config, report: &ApplyReport) {
    let changed: Vec<String> = report
        .settings
        .iter()
        .filter(|s| s.action == Action::Changed)
        .map(|s| {
            format!(
                "{} {} -> {}",
                s.drift.setting,
                s.drift.actual.as_deref().unwrap_or("unknown"),
                s.drift.desired
            )
        })
        .collect();
    let event = NewEvent {
        at: Utc::now(),
        venture: Some(report.venture.clone()),
        kind: "supabase_apply".to_owned(),
        severity: "info".to_owned(),
        actor: "cli".to_owned(),
        message: format!(
            "supabase apply changed project {}: {}",
            report.project_ref,
            changed.join(", ")
        ),
        details: serde_json::to_value(report).unwrap_or(serde_json::Value::Null),
    };
    let appended = async {
        let store = Store::open(&config.agent.state).await?;
        store.append_event(&event).await
    };
    match tokio::time::timeout(STORE_DEADLINE, appended).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => {
            tracing::warn!(kind = %e.kind(), "recording the change in the audit log failed: {e}")
        }
        Err(_) => tracing::warn!(
            "recording the change in the audit log failed: the state store did not answer in 10 s"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_about_the_request() {
        let rejected = |status| SourceError::Rejected {
            what: "x",
            status,
            message: "m".into(),
        };
        assert!(refused(&rejected(400)));
        assert!(refused(&rejected(422)));
        assert!(!refused(&rejected(401)));
        assert!(!refused(&rejected(429)));
        assert!(!refused(&SourceError::Status {
            what: "x",
            status: 500
        }));
    }

    #[test]
    fn failures_say_what_to_do() {
        let e = SourceError::Status {
            what: "Supabase GET database/backups/schedule",
            status: 401,
        };
        let m = failure(
            &e,
            "read the schedule",
            "backstop supabase apply --venture shop",
        );
        assert!(m.contains("HTTP 401"), "{m}");
        assert!(m.contains("check the access token"), "{m}");
        assert!(
            m.contains("`backstop supabase apply --venture shop`"),
            "{m}"
        );
    }
}
