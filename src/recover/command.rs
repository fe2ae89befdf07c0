//! The `backstop recover` command: a Supabase venture goes to [`super::supabase`]; otherwise
//! poll the venture's endpoints (for the WAL segment size) and its pgBackRest source once,
//! plan, and with
//! `--execute` restore; record the plan or the recovery (and an audit event) in the store; print
//! text or JSON. Returns the exit code: 0 success, 1 refusal or user error, 2 failure.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::execute::{self, RECOVERY_LIMIT};
use super::plan::{plan, render, Plan, PlanInput};
use super::{parse_time, RecoverError};
use crate::cli::RecoverArgs;
use crate::config::{BackupsConfig, Config, PgBackRestConfig};
use crate::sources::pgbackrest::PgBackRestSource;
use crate::state::SharedState;
use crate::store::{NewEvent, RecoveryRecord, Store};

/// What `recover` did, as printed with `--json`.
#[derive(Debug, Clone, Serialize)]
pub struct RecoverOutcome {
    /// The venture.
    pub venture: String,
    /// `planned`, `restored` (not started) or `recovered` (started and promoted).
    pub outcome: String,
    /// The plan carried out or proposed.
    pub plan: Plan,
    /// Whether the restore ran.
    pub executed: bool,
    /// Where it was restored.
    pub target_dir: Option<PathBuf>,
    /// How long `pgbackrest restore` took.
    pub restore_seconds: Option<f64>,
    /// From start to promotion (the restored cluster is left running).
    pub recovery_seconds: Option<f64>,
    /// The restored cluster's port on 127.0.0.1.
    pub port: Option<u16>,
}

/// Runs the command and prints its result; returns the exit code.
pub async fn run(config: &Config, args: &RecoverArgs) -> u8 {
    if let Some((venture, cfg)) = super::supabase::venture(config, &args.venture) {
        let result = super::supabase::recover(config, venture, cfg, args).await;
        return report(args, result, super::supabase::text);
    }
    report(args, recover(config, args).await, text)
}

/// Prints the outcome (text or JSON) or the error; returns the exit code.
fn report<T: Serialize>(
    args: &RecoverArgs,
    result: Result<T, RecoverError>,
    text: impl Fn(&T) -> String,
) -> u8 {
    match result {
        Ok(outcome) => {
            if args.json {
                match serde_json::to_string_pretty(&outcome) {
                    Ok(text) => println!("{text}"),
                    Err(e) => eprintln!("backstop: encoding the result: {e}"),
                }
            } else {
                print!("{}", text(&outcome));
            }
            0
        }
        Err(e) => {
            if args.json {
                let out = serde_json::json!({
                    "venture": args.venture,
                    "outcome": if e.exit_code() == 1 { "refused" } else { "failed" },
                    "error": e.to_string(),
                });
                println!("{out}");
            }
            eprintln!("backstop: {e}");
            e.exit_code()
        }
    }
}

fn text(o: &RecoverOutcome) -> String {
    let mut out = render(&o.plan);
    if !o.executed {
        return out;
    }
    let dir = o.target_dir.as_deref().unwrap_or(std::path::Path::new(""));
    out.push_str(&format!(
        "\nRestored {} into {} in {:.1}s (archive_mode off; port {} on 127.0.0.1).\n",
        o.plan.base_backup,
        dir.display(),
        o.restore_seconds.unwrap_or_default(),
        o.port.unwrap_or_default(),
    ));
    match o.recovery_seconds {
        Some(s) => out.push_str(&format!(
            "Started and recovered to {} in {s:.1}s; it is running: psql -h 127.0.0.1 -p {} -U postgres\n",
            o.plan.target,
            o.port.unwrap_or_default()
        )),
        None => out.push_str(&format!(
            "Start it as the postgres OS user: {}\n",
            execute::start_line(dir)
        )),
    }
    out
}

fn pgbackrest<'a>(config: &'a Config, venture: &str) -> Result<&'a PgBackRestConfig, RecoverError> {
    let v = config
        .ventures
        .iter()
        .find(|v| v.name == venture)
        .ok_or_else(|| RecoverError::UnknownVenture(venture.to_owned()))?;
    match v.backups.as_ref() {
        Some(BackupsConfig::PgBackRest(cfg)) => Ok(cfg),
        _ => Err(RecoverError::NotPgBackRest(venture.to_owned())),
    }
}

/// Plans, and with `--execute` restores; refusals and failures are errors.
pub async fn recover(config: &Config, args: &RecoverArgs) -> Result<RecoverOutcome, RecoverError> {
    let requested_at = Utc::now();
    let target = parse_time(&args.to, requested_at)?;
    let cfg = pgbackrest(config, &args.venture)?;
    if args.execute {
        execute::check_confirm(&args.venture, args.confirm.as_deref())?;
        let dir = args
            .target_dir
            .as_deref()
            .ok_or(RecoverError::NoTargetDir)?;
        execute::check_target_dir(dir)?;
    }
    let state = SharedState::new(crate::agent::initial_snapshot(config));
    // The venture's endpoints first (best effort): the window needs the real WAL segment size.
    for target in crate::agent::targets(config)
        .iter()
        .filter(|t| t.venture == args.venture)
    {
        if let Err(e) = crate::postgres::collector::poll_once(target, &state).await {
            tracing::warn!(endpoint = %target.endpoint, error = %e,
                "endpoint unreachable; assuming the default WAL segment size");
        }
    }
    PgBackRestSource::new(&args.venture, cfg)
        .poll_once(&state)
        .await
        .map_err(RecoverError::Poll)?;
    let snap = state.load();
    let src = snap.venture(&args.venture).and_then(|v| v.source.as_ref());
    let window = src.and_then(|s| s.window.as_ref());
    let archive = src
        .and_then(|s| s.archive.as_ref())
        .map(|a| a.files.as_slice())
        .unwrap_or_default();
    let plan = plan(&PlanInput {
        venture: &args.venture,
        stanza: &cfg.stanza,
        config: &cfg.config,
        command: &cfg.command,
        window,
        archive,
        target,
        target_dir: args.target_dir.as_deref(),
    })?;
    let mut outcome = RecoverOutcome {
        venture: args.venture.clone(),
        outcome: "planned".to_owned(),
        plan,
        executed: false,
        target_dir: args.target_dir.clone(),
        restore_seconds: None,
        recovery_seconds: None,
        port: None,
    };
    let store = Store::open(&config.agent.state).await;
    if !args.execute {
        match store {
            Ok(store) => {
                if let Err(e) = record(&store, requested_at, &outcome, None).await {
                    tracing::warn!(error = %e, "recording the recovery plan failed");
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot open the store to record the plan"),
        }
        return Ok(outcome);
    }
    let store = store?;
    let result = carry_out(cfg, args, &mut outcome).await;
    let failure = result.as_ref().err().map(ToString::to_string);
    record(&store, requested_at, &outcome, failure.as_deref()).await?;
    result.map(|()| outcome)
}

/// The restore, the standalone settings, and with `--start` the start and the wait.
async fn carry_out(
    cfg: &PgBackRestConfig,
    args: &RecoverArgs,
    outcome: &mut RecoverOutcome,
) -> Result<(), RecoverError> {
    let dir = args
        .target_dir
        .as_deref()
        .ok_or(RecoverError::NoTargetDir)?;
    outcome.executed = true;
    let took = execute::restore(cfg, dir, &outcome.plan.restore_args).await?;
    outcome.restore_seconds = Some(took.as_secs_f64());
    outcome.outcome = "restored".to_owned();
    outcome.port = Some(execute::make_standalone(dir)?);
    if args.start {
        let took: Duration = execute::start_and_wait(dir, RECOVERY_LIMIT).await?;
        outcome.recovery_seconds = Some(took.as_secs_f64());
        outcome.outcome = "recovered".to_owned();
    }
    Ok(())
}

/// Stores the recovery record and its audit event.
async fn record(
    store: &Store,
    requested_at: DateTime<Utc>,
    o: &RecoverOutcome,
    failure: Option<&str>,
) -> Result<(), RecoverError> {
    let dir = o
        .target_dir
        .as_ref()
        .map(|d| d.display().to_string())
        .unwrap_or_default();
    let detail = match failure {
        Some(reason) => format!("failed: {reason}"),
        None => format!(
            "{} from backup {} (WAL {} .. {}){}",
            o.outcome,
            o.plan.base_backup,
            o.plan.first_segment,
            o.plan.last_segment,
            if o.executed {
                format!(" into {dir}")
            } else {
                String::new()
            }
        ),
    };
    let outcome = if failure.is_some() {
        "failed"
    } else {
        &o.outcome
    };
    store
        .insert_recovery(&RecoveryRecord {
            id: 0,
            venture: o.venture.clone(),
            requested_at,
            target_time: o.plan.target,
            method: "pgbackrest".to_owned(),
            executed: o.executed,
            outcome: outcome.to_owned(),
            detail: detail.clone(),
            rto_seconds: None,
        })
        .await?;
    store
        .append_event(&NewEvent {
            at: Utc::now(),
            venture: Some(o.venture.clone()),
            kind: "recovery".to_owned(),
            severity: if failure.is_some() {
                "critical"
            } else {
                "info"
            }
            .to_owned(),
            actor: "cli".to_owned(),
            message: format!("recover to {}: {detail}", o.plan.target),
            details: serde_json::to_value(o).unwrap_or(serde_json::Value::Null),
        })
        .await?;
    Ok(())
}
