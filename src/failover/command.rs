//! `backstop failover`: [`super::manual`] from the command line, with text or JSON output.
//! Exit 0 when done (or a dry run that would act), 1 when refused, 2 when it failed.

use crate::cli::FailoverArgs;
use crate::config::Config;
use crate::state::SharedState;
use crate::store::Store;

use super::manual::{self, Answer, Kind, Request};

/// Who runs the command, for the audit.
fn actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    format!("cli:{user}")
}

/// The answer for humans.
pub fn text(a: &Answer) -> String {
    let mut out = format!("{}: {}\n", a.result, a.detail);
    if let Some(epoch) = a.epoch {
        out.push_str(&format!("  epoch     {epoch}\n"));
    }
    if let Some(s) = a.duration_seconds {
        out.push_str(&format!("  duration  {s:.1}s\n"));
    }
    if let Some(p) = &a.plan {
        for r in &p.reasons {
            out.push_str(&format!("  - {r}\n"));
        }
    }
    out
}

/// Runs the command; returns the exit code.
pub async fn run(config: &Config, args: &FailoverArgs) -> u8 {
    let Some(venture) = config.venture(&args.venture) else {
        eprintln!("backstop: no venture named {:?}", args.venture);
        return 1;
    };
    let store = match Store::open(&config.agent.state).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("backstop: cannot open the state store: {e}");
            return 2;
        }
    };
    let state = SharedState::new(crate::agent::initial_snapshot(config));
    if let Some(endpoint) = &args.clear_fence {
        if args.dry_run {
            println!("dry_run: would clear the fence of {endpoint}");
            return 0;
        }
        return match manual::clear_fence(venture, &store, &state, endpoint, &actor()).await {
            Ok(message) => {
                println!("{message}");
                0
            }
            Err(e) => {
                eprintln!("backstop: {e}");
                1
            }
        };
    }
    let req = Request {
        to: args.to.clone(),
        kind: match (args.planned, args.force) {
            (true, _) => Some(Kind::Planned),
            (_, true) => Some(Kind::Forced),
            _ => None,
        },
        dry_run: args.dry_run,
        actor: actor(),
    };
    match manual::run(venture, &store, &state, &req).await {
        Ok(answer) => {
            if args.json {
                match serde_json::to_string_pretty(&answer) {
                    Ok(j) => println!("{j}"),
                    Err(e) => eprintln!("backstop: {e}"),
                }
            } else {
                print!("{}", text(&answer));
            }
            match answer.result.as_str() {
                "completed" | "dry_run" => 0,
                "refused" => 1,
                _ => 2,
            }
        }
        Err(e) => {
            eprintln!("backstop: failover: {e}");
            2
        }
    }
}
