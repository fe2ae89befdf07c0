//! `backstop drill --venture V [--to TIME] [--json]`: cleans leftovers of earlier crashes, runs
//! one drill now (the configured target, or `--to`), records it, prints it. Exit codes: 0 passed,
//! 2 failed or aborted (also when another drill of the venture runs), 1 refusal or user error
//! (unknown venture, no backups, `--to` not a time or outside the window). Supabase ventures get
//! the logical drill ([`super::logical`]). Notifications follow as for the agent's drills
//! ([`super::notify`]).

use std::fmt::Write as _;
use std::sync::Arc;

use chrono::Utc;

use super::cleanup::cleanup_leftovers;
use super::runner::{run_drill, DrillContext, DrillOutcome, DrillRunner};
use super::target::TargetRequest;
use super::DrillError;
use crate::cli::DrillArgs;
use crate::config::Config;
use crate::state::SharedState;
use crate::store::Store;

/// Runs the command and prints its result; returns the exit code.
pub async fn run(config: &Config, args: &DrillArgs) -> u8 {
    match drill(config, args).await {
        Ok(outcome) => {
            super::notify::after_command(config, &outcome).await;
            if args.json {
                match serde_json::to_string_pretty(&outcome) {
                    Ok(text) => println!("{text}"),
                    Err(e) => eprintln!("backstop: encoding the result: {e}"),
                }
            } else {
                print!("{}", text(&outcome));
            }
            if outcome.outcome == "passed" {
                0
            } else {
                if let Some(reason) = &outcome.reason {
                    eprintln!("backstop: drill {}: {reason}", outcome.outcome);
                }
                2
            }
        }
        Err(e) => {
            if args.json {
                let out = serde_json::json!({
                    "venture": args.venture,
                    "outcome": if e.exit_code() == 1 { "refused" } else { "aborted" },
                    "reason": e.to_string(),
                });
                println!("{out}");
            }
            eprintln!("backstop: {e}");
            e.exit_code()
        }
    }
}

/// Cleans leftovers, then runs the drill.
pub async fn drill(config: &Config, args: &DrillArgs) -> Result<DrillOutcome, DrillError> {
    let request = match &args.to {
        Some(text) => TargetRequest::At(
            crate::recover::parse_time(text, Utc::now())
                .map_err(|e| DrillError::Target(e.to_string()))?,
        ),
        None => TargetRequest::Configured,
    };
    let venture = config
        .venture(&args.venture)
        .ok_or_else(|| DrillError::UnknownVenture(args.venture.clone()))?;
    if venture.backups.is_none() {
        return Err(DrillError::NotPgBackRest(args.venture.clone()));
    }
    let store = Store::open(&config.agent.state).await?;
    let state = SharedState::new(crate::agent::initial_snapshot(config));
    match cleanup_leftovers(config, &store, &state).await {
        Ok(c) if !c.removed.is_empty() || !c.aborted.is_empty() => eprintln!(
            "backstop: cleaned up after an interrupted drill: removed {} scratch cluster(s), recorded drill(s) {:?} as aborted",
            c.removed.len(),
            c.aborted
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cleaning up leftovers of earlier drills failed"),
    }
    let ctx = DrillContext {
        config: Arc::new(config.clone()),
        store,
        state,
        runner: DrillRunner::new(config.agent.max_concurrent_drills),
    };
    run_drill(&ctx, &args.venture, request).await
}

/// The outcome for humans.
pub fn text(o: &DrillOutcome) -> String {
    let secs = |s: Option<f64>| s.map_or("-".to_owned(), |s| format!("{s:.1}s"));
    let mut out = format!("Drill {} of {}: {}\n", o.id, o.venture, o.outcome);
    let target = o.target_time.map_or("-".to_owned(), |t| {
        t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    });
    let _ = writeln!(
        out,
        "  target  {} {target}{}",
        o.target,
        if o.target == "latest" {
            " (when replay ended)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "  RTO     {}  (drill start to validated)",
        secs(o.rto_seconds)
    );
    let basis = match o.rpo_basis {
        Some(super::measure::RpoBasis::Heartbeat) if o.target == "snapshot" => {
            "  (end of the dump minus the newest restored heartbeat)"
        }
        Some(super::measure::RpoBasis::Heartbeat) => {
            "  (target minus the newest restored heartbeat)"
        }
        Some(super::measure::RpoBasis::LastReplayedCommit) => {
            "  (target minus the last replayed commit)"
        }
        Some(super::measure::RpoBasis::DumpSnapshot) => {
            "  (end of the dump minus its snapshot: a dump of the live database)"
        }
        None => "",
    };
    let _ = writeln!(out, "  RPO     {}{basis}", secs(o.rpo_seconds));
    out.push_str("  steps:\n");
    for s in &o.steps {
        let _ = writeln!(
            out,
            "    {:<9}{:>7.1}s  {:<4} {}",
            s.name,
            s.seconds,
            if s.ok { "ok" } else { "FAIL" },
            s.detail
        );
    }
    if let Some(reason) = &o.reason {
        let _ = writeln!(out, "  reason: {reason}");
    }
    if let Some(log) = &o.log_excerpt {
        let _ = writeln!(out, "  log excerpt:\n{}", indent(log));
    }
    out
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
