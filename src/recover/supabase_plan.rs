//! The in-place point-in-time restore plan of a Supabase project (pure): the target as the
//! whole unix second restore-pitr takes, checked against the PITR window of one backups call;
//! the impact in plain words, the API call, the equivalent Supabase CLI command and how to
//! carry it out. Refusals: PITR off (how to enable the add-on), no window yet, or a target
//! outside `[earliest, latest]` (naming the nearest recoverable point).

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use serde::Serialize;

use super::RecoverError;
use crate::config::format_duration;
use crate::sources::supabase::SupabaseBackups;

/// The `method` of Supabase recoveries in the store.
pub const METHOD: &str = "supabase-restore-pitr";

/// What the plan is computed from.
#[derive(Debug, Clone)]
pub struct InPlaceInput<'a> {
    /// The venture.
    pub venture: &'a str,
    /// The project ref.
    pub project_ref: &'a str,
    /// The Management API base URL.
    pub api_url: &'a str,
    /// One `GET …/database/backups`, parsed.
    pub backups: &'a SupabaseBackups,
    /// The requested target (may carry fractions of a second).
    pub target: DateTime<Utc>,
    /// The venture's RTO objective.
    pub rto: Duration,
    /// `allow_in_place_restore`.
    pub allowed: bool,
}

/// An in-place restore that can be carried out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InPlacePlan {
    /// The venture.
    pub venture: String,
    /// The project ref.
    pub project_ref: String,
    /// The target restored: the requested time cut to the whole second.
    pub target: DateTime<Utc>,
    /// `recovery_time_target_unix`, an integer.
    pub target_unix: i64,
    /// Earliest recoverable point of the PITR window.
    pub earliest: DateTime<Utc>,
    /// Latest recoverable point of the PITR window.
    pub latest: DateTime<Utc>,
    /// What the restore does to the project, for humans.
    pub impact: Vec<String>,
    /// The Management API request.
    pub api_call: String,
    /// The request body.
    pub api_body: serde_json::Value,
    /// The same restore with the Supabase CLI.
    pub cli_command: String,
    /// How to carry the plan out with backstop.
    pub execute_command: String,
    /// Whether `allow_in_place_restore` is set.
    pub allowed: bool,
}

/// RFC 3339 in UTC, with as many fractional digits as the time has.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn unix(t: DateTime<Utc>) -> String {
    format!("{} (unix {})", rfc3339(t), t.timestamp())
}

/// Checks the target against the window and builds the plan, or refuses.
pub fn plan_in_place(input: &InPlaceInput<'_>) -> Result<InPlacePlan, RecoverError> {
    let venture = input.venture.to_owned();
    let project_ref = input.project_ref.to_owned();
    if input.backups.pitr_enabled == Some(false) {
        return Err(RecoverError::PitrDisabled {
            venture,
            project_ref,
        });
    }
    let Some((earliest, latest)) = input.backups.window else {
        return Err(RecoverError::NoPitrWindow {
            venture,
            project_ref,
        });
    };
    let target_unix = input.target.timestamp();
    let target = Utc
        .timestamp_opt(target_unix, 0)
        .single()
        .unwrap_or(input.target);
    let asked = rfc3339(input.target);
    if target_unix < earliest.timestamp() {
        return Err(RecoverError::Outside {
            message: format!(
                "{asked} is before the PITR window of Supabase project {project_ref}; the earliest recoverable point is {}, the window is {} .. {}",
                unix(earliest),
                rfc3339(earliest),
                rfc3339(latest)
            ),
        });
    }
    if target_unix > latest.timestamp() {
        return Err(RecoverError::Outside {
            message: format!(
                "{asked} is after the PITR window of Supabase project {project_ref}; the latest recoverable point is {}, the window is {} .. {} (the latest point lags behind now when the database had no recent writes: WAL is archived every two minutes, and not at all while idle)",
                unix(latest),
                rfc3339(earliest),
                rfc3339(latest)
            ),
        });
    }
    let api_base = input.api_url.trim_end_matches('/');
    let when = rfc3339(target);
    Ok(InPlacePlan {
        impact: impact(&project_ref, &when, input.rto),
        api_call: format!(
            "POST {api_base}/v1/projects/{project_ref}/database/backups/restore-pitr"
        ),
        api_body: serde_json::json!({ "recovery_time_target_unix": target_unix }),
        cli_command: format!(
            "supabase backups restore --project-ref {project_ref} -t {target_unix}"
        ),
        execute_command: format!(
            "backstop recover --venture {venture} --to {when} --execute --confirm {venture}"
        ),
        allowed: input.allowed,
        venture,
        project_ref,
        target,
        target_unix,
        earliest,
        latest,
    })
}

fn impact(project_ref: &str, when: &str, rto: Duration) -> Vec<String> {
    vec![
        format!(
            "The whole project {project_ref} goes offline until the restore finishes (database, API, Auth, Storage and Realtime); Supabase documents no duration, it grows with the database size (RTO objective: {}).",
            format_duration(rto)
        ),
        format!(
            "The database is restored in place: everything written after {when} is lost, and there is no undo. Export what you may still need first (supabase db dump)."
        ),
        "Drop subscriptions and replication slots first (the Realtime slot is exempt).".to_owned(),
        "Storage objects (files) are not part of the database and are not rolled back.".to_owned(),
    ]
}

/// The plan for humans; `how` adds how to carry it out (omitted once it ran).
pub fn render_in_place(p: &InPlacePlan, how: bool) -> String {
    let mut out = format!(
        "In-place point-in-time restore of {} (Supabase project {})\n  target: {}\n  window: {} .. {}\nImpact:\n",
        p.venture,
        p.project_ref,
        unix(p.target),
        unix(p.earliest),
        unix(p.latest),
    );
    for line in &p.impact {
        out.push_str(&format!("  - {line}\n"));
    }
    out.push_str(&format!(
        "API call:\n  {}\n  {}\nEquivalent Supabase CLI command:\n  {}\n",
        p.api_call, p.api_body, p.cli_command
    ));
    if !how {
        return out;
    }
    out.push_str("To carry it out");
    if !p.allowed {
        out.push_str(&format!(
            " (first set allow_in_place_restore = true in [ventures.backups] of {})",
            p.venture
        ));
    }
    out.push_str(&format!(
        ":\n  {}\nbackstop then watches the project status until it is ACTIVE_HEALTHY again, checks the db health and the endpoint, and records the measured RTO.\n",
        p.execute_command
    ));
    out
}

#[cfg(test)]
#[path = "supabase_plan_tests.rs"]
mod tests;
