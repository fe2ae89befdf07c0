//! `backstop check`: one poll of everything, then the readiness rules, as a table or JSON.
//!
//! The poll uses the same collector code as the agent (so `check` sees what `/metrics` would),
//! with every endpoint polled concurrently under its timeouts.

pub mod render;
pub mod rules;

use crate::config::Config;
use crate::state::SharedState;

/// Polls every endpoint once, prints the readiness table (or JSON), returns the exit code.
pub async fn run(config: &Config, json: bool) -> u8 {
    let state = SharedState::new(crate::agent::initial_snapshot(config));
    let polls = crate::agent::targets(config)
        .into_iter()
        .map(|t| {
            let state = state.clone();
            tokio::spawn(async move { crate::postgres::collector::poll_once(&t, &state).await })
        })
        .collect::<Vec<_>>();
    for p in polls {
        // A panicking poll is a bug, but it must not hide the other results.
        let _ = p.await;
    }
    let snapshot = state.load();
    let findings = rules::evaluate(&snapshot, chrono::Utc::now());
    let report = render::report(&snapshot, &findings);
    if json {
        match serde_json::to_string_pretty(&report) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("backstop: cannot encode the report as JSON: {e}");
                return 2;
            }
        }
    } else {
        print!("{}", render::table(&report));
    }
    report.exit_code as u8
}
