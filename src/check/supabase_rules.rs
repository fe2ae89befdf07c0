//! Readiness rules of a Supabase venture (pure), applied after the generic source rules.
//!
//! The generic `source_down`, `no_usable_backup` and `backup_stale` findings are replaced by
//! Supabase-aware ones: a rejected token (`source_auth`, critical: nothing is watched until it is
//! fixed), the project not `ACTIVE_HEALTHY` (`project_unhealthy`) or its `db` service unhealthy
//! (`db_unhealthy`): critical, or warning while in a transition (coming up, restoring, …).
//! With PITR on, Supabase stops daily backups, so freshness is judged by the window's latest
//! point: older than the RPO (`pitr_window_lagging`) or than `backup_max_age` (`backup_stale`)
//! is critical when the database wrote WAL since, nothing when it was idle, a warning when that
//! is unknown (no endpoint); a window shorter than the `pitr_window` objective is a warning
//! (`pitr_window_short`). Without PITR, the newest completed daily backup must be younger than
//! `backup_max_age`.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::rules::{Finding, Severity};
use crate::error::ErrorKind;
use crate::sources::supabase::activity::{self, Freshness};
use crate::state::{SourceState, SupabaseState, VentureState};

/// Generic source findings this module replaces for Supabase ventures.
const REPLACED: [&str; 3] = ["source_down", "no_usable_backup", "backup_stale"];

/// Project statuses that pass by themselves (a warning, not critical).
const TRANSITIONS: [&str; 7] = [
    "COMING_UP",
    "RESTORING",
    "UPGRADING",
    "RESTARTING",
    "RESIZING",
    "PAUSING",
    "GOING_DOWN",
];

/// Replaces the generic findings about `v`'s Supabase source in `out` with the Supabase rules;
/// leaves `out` alone for other ventures.
pub fn supabase_rules(v: &VentureState, now: DateTime<Utc>, out: &mut Vec<Finding>) {
    let Some(src) = v.source.as_ref() else {
        return;
    };
    let Some(sb) = src.supabase.as_ref() else {
        return;
    };
    out.retain(|f| f.venture != v.name || !REPLACED.contains(&f.rule));
    let mut push = |rule, severity, message: String, action: &str| {
        out.push(Finding {
            venture: v.name.clone(),
            endpoint: None,
            rule,
            severity,
            message,
            action: action.to_owned(),
        })
    };
    match (src.up, sb.last_error) {
        (Some(false), Some(ErrorKind::Auth)) => push(
            "source_auth",
            Severity::Critical,
            "the Supabase Management API rejects the token (401/403): backups are not watched".into(),
            "create a new access token with access to the project (backups read, projects read) and set it in the variable named by token_env",
        ),
        (Some(false), kind) => push(
            "source_down",
            Severity::Warning,
            format!(
                "the last Supabase backups call failed ({}); showing data as of its last success",
                kind.map_or("unknown", ErrorKind::as_str)
            ),
            "check https://status.supabase.com and the agent's log; rate_limited means too many projects share the token (see backstop_source_poll_interval_seconds)",
        ),
        _ => {}
    }
    if let Some(status) = sb
        .project_status
        .as_deref()
        .filter(|s| *s != "ACTIVE_HEALTHY")
    {
        let severity = if TRANSITIONS.contains(&status) {
            Severity::Warning
        } else {
            Severity::Critical
        };
        push(
            "project_unhealthy",
            severity,
            format!("the Supabase project's status is {status}, not ACTIVE_HEALTHY"),
            "open the project in the Supabase dashboard; a paused project must be restored, a failed restore or init needs Supabase support",
        );
    }
    if let Some(health) = sb.db_health.as_deref().filter(|s| *s != "ACTIVE_HEALTHY") {
        let severity = if health == "COMING_UP" {
            Severity::Warning
        } else {
            Severity::Critical
        };
        push(
            "db_unhealthy",
            severity,
            format!("the project's db service reports {health}"),
            "check the database in the Supabase dashboard (Reports, Logs) and https://status.supabase.com",
        );
    }
    let pitr_end = src.window.as_ref().and_then(|w| w.newest());
    match (sb.pitr_enabled, pitr_end) {
        (Some(true), Some(piece)) => {
            let o = &v.objectives;
            let length = (piece.end - piece.start).to_std().unwrap_or_default();
            if length < o.pitr_window {
                push(
                    "pitr_window_short",
                    Severity::Warning,
                    format!(
                        "the PITR window covers {:.1} days, below the pitr_window objective of {:.1} days",
                        days(length),
                        days(o.pitr_window)
                    ),
                    "a new PITR add-on fills its window over its retention; a longer objective needs a longer add-on (pitr_7/14/28; 28 days at most)",
                );
            }
            let judge = |allowed| freshness(v, sb, piece.end, now, allowed);
            let age = (now - piece.end).num_seconds().max(0);
            lag_finding(&mut push, "pitr_window_lagging", judge(o.rpo), age, o.rpo);
            lag_finding(
                &mut push,
                "backup_stale",
                judge(o.backup_max_age),
                age,
                o.backup_max_age,
            );
        }
        _ => daily_rules(v, src, now, &mut push),
    }
}

type Push<'a> = dyn FnMut(&'static str, Severity, String, &str) + 'a;

/// Without PITR: the newest completed daily backup against `backup_max_age`.
fn daily_rules(v: &VentureState, src: &SourceState, now: DateTime<Utc>, push: &mut Push<'_>) {
    match src.newest_usable(None) {
        None if src.up == Some(true) => push(
            "no_usable_backup",
            Severity::Critical,
            "the Supabase project lists no completed backup and no PITR window: nothing can be restored".into(),
            "check the project's plan (the Free plan has no downloadable backups) and Database > Backups in the dashboard",
        ),
        Some(b) => {
            let max_age = v.objectives.backup_max_age.as_secs();
            let age = (now - b.stop).num_seconds().max(0);
            if age as u64 > max_age {
                push(
                    "backup_stale",
                    Severity::Critical,
                    format!("newest completed Supabase backup was taken {age}s ago, above backup_max_age {max_age}s"),
                    "check Database > Backups in the Supabase dashboard and the backup schedule (`backstop supabase apply`)",
                );
            }
        }
        None => {}
    }
}

/// The PITR finding for a latest point `age` seconds old against `allowed`.
fn lag_finding(
    push: &mut Push<'_>,
    rule: &'static str,
    freshness: Freshness,
    age: i64,
    allowed: Duration,
) {
    let allowed = allowed.as_secs();
    match freshness {
        Freshness::Fresh | Freshness::Idle => {}
        Freshness::Lagging => push(
            rule,
            Severity::Critical,
            format!("the PITR window ends {age}s ago, above {allowed}s, while the database wrote WAL since"),
            "WAL is not reaching Supabase's archive: contact Supabase support and take a logical dump (`supabase db dump`) meanwhile",
        ),
        Freshness::Unknown => push(
            rule,
            Severity::Warning,
            format!("the PITR window ends {age}s ago, above {allowed}s; an idle database looks the same"),
            "configure an endpoint for the venture so backstop can tell an idle database (no WAL written) from a failing archive",
        ),
    }
}

fn freshness(
    v: &VentureState,
    sb: &SupabaseState,
    latest: DateTime<Utc>,
    now: DateTime<Utc>,
    allowed: Duration,
) -> Freshness {
    let current = activity::wal_position(v).map(|(_, lsn)| lsn);
    activity::judge(latest, now, allowed, sb.wal_mark, current)
}

fn days(d: Duration) -> f64 {
    d.as_secs_f64() / 86_400.0
}

#[cfg(test)]
#[path = "supabase_rules_tests.rs"]
mod tests;
