//! One-shot read commands about one venture, `backstop pitr` and `backstop backups`: one poll
//! of the venture's endpoints and backup source ([`crate::check::poll`]), then a pure report
//! printed as text or JSON.
//!
//! - [`pitr`]: the recovery window's pieces, gaps and exposure against the RPO.
//! - [`backups`]: every backup with its retention verdict, failed runs and unmet rules.
//! - [`restore_points`]: the Supabase part of `backups` (restore points, unmeetable rules).

pub mod backups;
pub mod pitr;
pub mod restore_points;

use serde::Serialize;

use crate::config::Config;
use crate::state::{Snapshot, VentureState};

/// The venture named `name` in `config`, or the message listing the configured ones.
pub fn known_venture(config: &Config, name: &str) -> Result<(), String> {
    if config.ventures.iter().any(|v| v.name == name) {
        return Ok(());
    }
    let names: Vec<&str> = config.ventures.iter().map(|v| v.name.as_str()).collect();
    Err(if names.is_empty() {
        format!("unknown venture {name:?}: no ventures are configured; add a [[ventures]] table (see backstop.example.toml)")
    } else {
        format!(
            "unknown venture {name:?}: configured ventures are {}; pass one of them with --venture",
            names.join(", ")
        )
    })
}

/// Polls `venture` once and returns the snapshot (the venture is known to exist).
pub async fn poll(config: &Config, venture: &str) -> std::sync::Arc<Snapshot> {
    crate::check::poll::poll_once(config, Some(venture))
        .await
        .load()
}

/// A one-venture report: printable as text or JSON, with the exit code it implies.
pub trait Report: Serialize {
    /// The human-readable form.
    fn text(&self) -> String;
    /// 0, 1 or 2.
    fn exit_code(&self) -> u8;
}

/// The whole command: check the venture exists, poll it once, build the report with `build`,
/// print it as text or JSON, and return its exit code. `no_source` is said on stderr when the
/// venture has no backup source.
pub async fn run<R: Report>(
    config: &Config,
    venture: &str,
    json: bool,
    no_source: &str,
    build: impl FnOnce(&VentureState, chrono::DateTime<chrono::Utc>) -> R,
) -> u8 {
    if let Err(e) = known_venture(config, venture) {
        eprintln!("backstop: {e}");
        return 1;
    }
    let snapshot = poll(config, venture).await;
    let Some(v) = snapshot.venture(venture) else {
        return 1;
    };
    if v.source.is_none() {
        eprintln!("backstop: venture {venture:?} has no [ventures.backups]: {no_source}");
    }
    let report = build(v, chrono::Utc::now());
    if json {
        if !print_json(&report) {
            return 2;
        }
    } else {
        print!("{}", report.text());
    }
    report.exit_code()
}

/// Prints `value` as pretty JSON; false (after saying so) when it cannot be encoded.
pub fn print_json(value: &impl Serialize) -> bool {
    match serde_json::to_string_pretty(value) {
        Ok(s) => {
            println!("{s}");
            true
        }
        Err(e) => {
            eprintln!("backstop: cannot encode the report as JSON: {e}");
            false
        }
    }
}

/// A duration in seconds as `1h02m03s` (or `45s`).
pub fn human(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s:02}s"),
        _ => format!("{h}h{m:02}m{s:02}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_durations() {
        assert_eq!(human(45), "45s");
        assert_eq!(human(125), "2m05s");
        assert_eq!(human(3723), "1h02m03s");
    }
}
