//! The `pitr_plan` step of a Supabase drill: one `GET …/database/backups` and the in-place
//! restore plan ([`plan_in_place`]) for a target inside the window, never executed.
//!
//! The target: `--to TIME` when given, else the window's latest point (`target = "latest"`) or a
//! whole second drawn uniformly from `[earliest, latest]` (`target = "random"`). Verdicts (pure,
//! [`verdict`]):
//! - a plan → ok, the detail names the target, the window and the API call it would make;
//! - PITR off → ok, "PITR off: daily backups only": the logical drill proves the data restores;
//!   whether daily backups meet the RPO objective is `backstop check`'s verdict, not the drill's;
//! - PITR on without a window yet, or a `--to` outside it → not ok (a point-in-time restore
//!   could not be carried out now);
//! - the Management API failing → not ok (the check did not run).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::target::TargetRequest;
use crate::config::{DrillTarget, SupabaseConfig};
use crate::recover::supabase_plan::{plan_in_place, rfc3339, InPlaceInput};
use crate::recover::RecoverError;
use crate::sources::supabase::{RateLimiter, SupabaseBackups, SupabaseClient};

/// The step's result.
#[derive(Debug, Clone, PartialEq)]
pub struct PitrCheck {
    /// Whether a point-in-time restore could be carried out (or PITR is off by choice).
    pub ok: bool,
    /// What was checked.
    pub detail: String,
}

/// The target to plan for inside `[earliest, latest]` (pure; `draw` is a random number).
pub fn plan_target(
    configured: DrillTarget,
    request: TargetRequest,
    (earliest, latest): (DateTime<Utc>, DateTime<Utc>),
    draw: u64,
) -> DateTime<Utc> {
    match (request, configured) {
        (TargetRequest::At(t), _) => t,
        (TargetRequest::Latest, _) | (TargetRequest::Configured, DrillTarget::Latest) => latest,
        (TargetRequest::Configured, DrillTarget::Random) => {
            let span = (latest - earliest).num_seconds().max(0) as u64;
            earliest + TimeDelta::seconds((draw % (span + 1)) as i64)
        }
    }
}

/// The verdict for one backups response (pure).
pub fn verdict(
    venture: &str,
    cfg: &SupabaseConfig,
    backups: &SupabaseBackups,
    configured: DrillTarget,
    request: TargetRequest,
    draw: u64,
    rto: Duration,
) -> PitrCheck {
    if backups.pitr_enabled == Some(false) {
        return PitrCheck {
            ok: true,
            detail: format!(
                "PITR off: daily backups only ({} completed); no point-in-time plan to check",
                backups.backups.len()
            ),
        };
    }
    let target = match backups.window {
        Some(window) => plan_target(configured, request, window, draw),
        None => match request {
            TargetRequest::At(t) => t,
            _ => Utc::now(),
        },
    };
    let planned = plan_in_place(&InPlaceInput {
        venture,
        project_ref: &cfg.project_ref,
        api_url: &cfg.api_url,
        backups,
        target,
        rto,
        allowed: cfg.allow_in_place_restore,
    });
    match planned {
        Ok(plan) => PitrCheck {
            ok: true,
            detail: format!(
                "restore-pitr to {} (unix {}) is inside the window {} .. {}: planned, not executed ({})",
                rfc3339(plan.target),
                plan.target_unix,
                rfc3339(plan.earliest),
                rfc3339(plan.latest),
                plan.api_call
            ),
        },
        Err(e) => PitrCheck {
            ok: false,
            detail: e.to_string(),
        },
    }
}

/// One backups call and the verdict.
pub async fn check(
    venture: &str,
    cfg: &SupabaseConfig,
    max_requests_per_min: u32,
    configured: DrillTarget,
    request: TargetRequest,
    rto: Duration,
) -> PitrCheck {
    let limiter = Arc::new(Mutex::new(RateLimiter::new(max_requests_per_min)));
    let backups = match SupabaseClient::new(cfg, limiter) {
        Ok(client) => client.backups().await,
        Err(e) => Err(e),
    };
    match backups {
        Ok(b) => verdict(
            venture,
            cfg,
            &b,
            configured,
            request,
            super::target::draw(),
            rto,
        ),
        Err(e) => PitrCheck {
            ok: false,
            detail: RecoverError::SupabaseApi(e).to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(s, 0).single().expect("ts")
    }

    fn cfg() -> SupabaseConfig {
        SupabaseConfig {
            poll_interval: Duration::from_secs(300),
            project_ref: "abcdefghijklmnopqrst".to_owned(),
            token: crate::secret::Secret::new("t"),
            api_url: "http://127.0.0.1:1".to_owned(),
            desired_schedule: None,
            desired_pitr: None,
            allow_in_place_restore: false,
        }
    }

    #[test]
    fn targets_stay_inside_the_window() {
        let w = (t(1000), t(2000));
        assert_eq!(
            plan_target(DrillTarget::Latest, TargetRequest::Configured, w, 7),
            t(2000)
        );
        for draw in [0, 1, 999, 1000, 1001, u64::MAX] {
            let got = plan_target(DrillTarget::Random, TargetRequest::Configured, w, draw);
            assert!(got >= t(1000) && got <= t(2000), "{draw}: {got}");
        }
        assert_eq!(
            plan_target(DrillTarget::Random, TargetRequest::At(t(5)), w, 3),
            t(5)
        );
    }

    #[test]
    fn verdicts() {
        let rto = Duration::from_secs(3600);
        let off = SupabaseBackups {
            pitr_enabled: Some(false),
            ..Default::default()
        };
        let v = verdict(
            "shop",
            &cfg(),
            &off,
            DrillTarget::Latest,
            TargetRequest::Configured,
            0,
            rto,
        );
        assert!(
            v.ok && v.detail.starts_with("PITR off: daily backups only"),
            "{v:?}"
        );
        let on = SupabaseBackups {
            pitr_enabled: Some(true),
            window: Some((t(1000), t(2000))),
            ..Default::default()
        };
        let v = verdict(
            "shop",
            &cfg(),
            &on,
            DrillTarget::Random,
            TargetRequest::Configured,
            500,
            rto,
        );
        assert!(v.ok, "{v:?}");
        assert!(
            v.detail.contains("(unix 1500)") && v.detail.contains("not executed"),
            "{v:?}"
        );
        let v = verdict(
            "shop",
            &cfg(),
            &on,
            DrillTarget::Latest,
            TargetRequest::At(t(10)),
            0,
            rto,
        );
        assert!(
            !v.ok && v.detail.contains("before the PITR window"),
            "{v:?}"
        );
        let none = SupabaseBackups {
            pitr_enabled: Some(true),
            ..Default::default()
        };
        let v = verdict(
            "shop",
            &cfg(),
            &none,
            DrillTarget::Latest,
            TargetRequest::Configured,
            0,
            rto,
        );
        assert!(!v.ok && v.detail.contains("no PITR window yet"), "{v:?}");
    }
}
