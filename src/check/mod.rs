//! `backstop check`: one poll of everything, then the readiness rules, as a table or JSON.
//!
//! The poll uses the same collector code as the agent (so `check` sees what `/metrics` would),
//! with every endpoint and backup source polled concurrently under its timeouts ([`poll`]).

pub mod drift_rule;
pub mod plan_rule;
pub mod poll;
pub mod render;
pub mod rules;
pub mod source_rules;
pub mod supabase_rules;

use crate::config::Config;

/// Polls every endpoint and source once, prints the readiness table (or JSON), returns the
/// exit code.
pub async fn run(config: &Config, json: bool) -> u8 {
    let state = poll::poll_once(config, None).await;
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
