//! One-shot read commands about one venture, `backstop pitr` and `backstop backups`: one poll
//! of the venture's endpoints and backup source ([`crate::check::poll`]), then a pure report
//! printed as text or JSON.
//!
//! - [`pitr`]: the recovery window's pieces, gaps and exposure against the RPO.
//! - [`backups`]: every backup with its retention verdict, failed runs and unmet rules.

pub mod backups;
pub mod pitr;

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

/// The venture's state in `snapshot`.
pub fn venture<'a>(snapshot: &'a Snapshot, name: &str) -> Option<&'a VentureState> {
    snapshot.venture(name)
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
