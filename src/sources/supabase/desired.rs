//! Desired-state drift of a Supabase project (pure): the configured `desired_schedule` and
//! `desired_pitr` against what the Management API reported, one verdict per setting.
//!
//! A setting without a desired value has no verdict at all (no `backstop_config_drift` series);
//! a desired setting not observed yet is unknown (absent metric). One special observation: a
//! project whose plan has no backup-schedule entitlement (HTTP 402 on the schedule call) has
//! no schedule to compare, yet it certainly is not at the desired time, so it counts as
//! drifted with the actual value unknown ([`Observed::schedule_unavailable`]).

use std::collections::BTreeMap;

use chrono::NaiveTime;
use serde::Serialize;

use crate::config::{PitrPlan, SupabaseConfig};

/// The `setting` label of the daily backup time.
pub const SCHEDULE: &str = "schedule";
/// The `setting` label of the PITR add-on.
pub const PITR: &str = "pitr";

/// What the configuration asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Desired {
    /// The daily backup time (UTC).
    pub schedule: Option<NaiveTime>,
    /// The PITR add-on.
    pub pitr: Option<PitrPlan>,
}

impl Desired {
    /// The desired settings of a Supabase source.
    pub fn of(cfg: &SupabaseConfig) -> Self {
        Self {
            schedule: cfg.desired_schedule,
            pitr: cfg.desired_pitr,
        }
    }

    /// True when at least one setting has a desired value.
    pub fn any(&self) -> bool {
        self.schedule.is_some() || self.pitr.is_some()
    }
}

/// What the project reported (`None` = not read, or the read failed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed<'a> {
    /// `schedule_for` of `GET …/database/backups/schedule`.
    pub schedule: Option<NaiveTime>,
    /// The schedule call answered 402: the plan cannot set the backup time.
    pub schedule_unavailable: bool,
    /// The PITR add-on variant (`pitr_7`, `pitr_14`, `pitr_28`) or `off`.
    pub pitr_addon: Option<&'a str>,
}

/// The verdict on one desired setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingDrift {
    /// `schedule` or `pitr` (the `setting` label).
    pub setting: &'static str,
    /// The desired value as written for humans (`04:00:00`, `pitr_7`).
    pub desired: String,
    /// The actual value (`None` = unknown or unavailable on the plan).
    pub actual: Option<String>,
    /// `Some(true)` drifted, `Some(false)` in the desired state, `None` unknown.
    pub drifted: Option<bool>,
}

/// `HH:MM:SS`, the form the API uses.
pub fn time_text(t: NaiveTime) -> String {
    t.format("%H:%M:%S").to_string()
}

/// One verdict per desired setting, `schedule` first.
pub fn drift(desired: &Desired, observed: &Observed<'_>) -> Vec<SettingDrift> {
    let schedule = desired.schedule.map(|want| schedule_drift(want, observed));
    let pitr = desired
        .pitr
        .map(|want| pitr_drift(want, observed.pitr_addon));
    schedule.into_iter().chain(pitr).collect()
}

/// The verdict on the daily backup time.
pub fn schedule_drift(want: NaiveTime, observed: &Observed<'_>) -> SettingDrift {
    let drifted = match observed.schedule {
        Some(have) => Some(have != want),
        None if observed.schedule_unavailable => Some(true),
        None => None,
    };
    SettingDrift {
        setting: SCHEDULE,
        desired: time_text(want),
        actual: observed.schedule.map(time_text),
        drifted,
    }
}

/// The verdict on the PITR add-on (`actual`: its variant id or `off`; case is ignored).
pub fn pitr_drift(want: PitrPlan, actual: Option<&str>) -> SettingDrift {
    let actual = actual.map(|a| a.trim().to_ascii_lowercase());
    SettingDrift {
        setting: PITR,
        desired: want.as_str().to_owned(),
        drifted: actual.as_deref().map(|a| a != want.as_str()),
        actual,
    }
}

/// The known verdicts as `setting → drifted`, for [`crate::state::SupabaseState::drift`]
/// (unknown settings are left out).
pub fn drift_map(verdicts: &[SettingDrift]) -> BTreeMap<String, bool> {
    verdicts
        .iter()
        .filter_map(|d| Some((d.setting.to_owned(), d.drifted?)))
        .collect()
}

/// Retention in days and price of a PITR variant (Supabase docs, billed hourly).
pub fn pitr_price(plan: PitrPlan) -> Option<(u32, &'static str, &'static str)> {
    match plan {
        PitrPlan::Off => None,
        PitrPlan::Pitr7 => Some((7, "$100", "$0.137")),
        PitrPlan::Pitr14 => Some((14, "$200", "$0.274")),
        PitrPlan::Pitr28 => Some((28, "$400", "$0.55")),
    }
}

/// What a human must do in the dashboard to bring the PITR add-on from `actual` to `desired`;
/// backstop never changes billing itself.
pub fn pitr_steps(project_ref: &str, desired: PitrPlan, actual: Option<&str>) -> String {
    let now = actual.unwrap_or("unknown");
    let path = format!(
        "Supabase Dashboard → project {project_ref} → Project Settings → Add-ons → Point in time recovery"
    );
    match pitr_price(desired) {
        None => format!(
            "the PITR add-on is {now}, desired off. backstop never changes billing: open {path} and \
             remove the add-on. Daily backups resume once PITR is off (new backups are physical \
             only, with no download), and the recovery window shrinks to the daily backups."
        ),
        Some((days, monthly, hourly)) => format!(
            "the PITR add-on is {now}, desired {desired} ({days} days of point-in-time recovery). \
             backstop never changes billing: open {path} and choose the {days}-day variant \
             ({desired}, about {monthly}/month, billed hourly at {hourly}/h). PITR needs at least \
             the Small compute add-on (Project Settings → Add-ons → Compute size), and enabling \
             it stops the daily backups (the PITR window replaces them)."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).expect("valid")
    }

    fn observed(schedule: Option<NaiveTime>, pitr: Option<&str>) -> Observed<'_> {
        Observed {
            schedule,
            schedule_unavailable: false,
            pitr_addon: pitr,
        }
    }

    #[test]
    fn table() {
        type Case<'a> = (
            &'a str,
            Desired,
            Observed<'a>,
            Vec<(&'static str, Option<bool>)>,
        );
        let both = Desired {
            schedule: Some(t(4, 0)),
            pitr: Some(PitrPlan::Pitr7),
        };
        let cases: Vec<Case> = vec![
            (
                "nothing desired: no verdicts",
                Desired::default(),
                observed(Some(t(3, 0)), Some("off")),
                vec![],
            ),
            (
                "both in the desired state",
                both,
                observed(Some(t(4, 0)), Some("pitr_7")),
                vec![(SCHEDULE, Some(false)), (PITR, Some(false))],
            ),
            (
                "both drifted",
                both,
                observed(Some(t(3, 0)), Some("off")),
                vec![(SCHEDULE, Some(true)), (PITR, Some(true))],
            ),
            (
                "unobserved is unknown",
                both,
                observed(None, None),
                vec![(SCHEDULE, None), (PITR, None)],
            ),
            (
                "seconds count",
                Desired {
                    schedule: Some(t(4, 0)),
                    pitr: None,
                },
                observed(NaiveTime::from_hms_opt(4, 0, 30), Some("off")),
                vec![(SCHEDULE, Some(true))],
            ),
            (
                "another variant drifts; case is ignored",
                Desired {
                    schedule: None,
                    pitr: Some(PitrPlan::Pitr14),
                },
                observed(Some(t(3, 0)), Some("PITR_14")),
                vec![(PITR, Some(false))],
            ),
            (
                "desired off against an add-on",
                Desired {
                    schedule: None,
                    pitr: Some(PitrPlan::Off),
                },
                observed(None, Some("pitr_28")),
                vec![(PITR, Some(true))],
            ),
            (
                "no schedule entitlement: drifted, actual unknown",
                both,
                Observed {
                    schedule: None,
                    schedule_unavailable: true,
                    pitr_addon: Some("pitr_7"),
                },
                vec![(SCHEDULE, Some(true)), (PITR, Some(false))],
            ),
        ];
        for (name, desired, observed, want) in cases {
            let got: Vec<_> = drift(&desired, &observed)
                .into_iter()
                .map(|d| (d.setting, d.drifted))
                .collect();
            assert_eq!(got, want, "case: {name}");
        }
    }

    #[test]
    fn values_are_written_as_the_api_writes_them() {
        let d = drift(
            &Desired {
                schedule: Some(t(4, 0)),
                pitr: Some(PitrPlan::Pitr28),
            },
            &observed(Some(t(23, 30)), Some("off")),
        );
        assert_eq!(d[0].desired, "04:00:00");
        assert_eq!(d[0].actual.as_deref(), Some("23:30:00"));
        assert_eq!(d[1].desired, "pitr_28");
        assert_eq!(d[1].actual.as_deref(), Some("off"));
    }

    #[test]
    fn the_map_leaves_unknown_settings_out() {
        let d = drift(
            &Desired {
                schedule: Some(t(4, 0)),
                pitr: Some(PitrPlan::Pitr7),
            },
            &observed(None, Some("off")),
        );
        let map = drift_map(&d);
        assert_eq!(map.len(), 1);
        assert_eq!(map.get(PITR), Some(&true));
    }

    #[test]
    fn pitr_steps_say_where_what_it_needs_and_costs() {
        let s = pitr_steps("abcdefghijklmnopqrst", PitrPlan::Pitr14, Some("off"));
        for part in [
            "Project Settings → Add-ons → Point in time recovery",
            "pitr_14",
            "$200/month",
            "Small compute",
            "stops the daily backups",
            "never changes billing",
        ] {
            assert!(s.contains(part), "{part:?} missing in {s}");
        }
        let off = pitr_steps("abcdefghijklmnopqrst", PitrPlan::Off, Some("pitr_7"));
        assert!(off.contains("remove the add-on"), "{off}");
        assert!(off.contains("Daily backups resume"), "{off}");
    }
}
