//! What `backstop supabase apply` found and did, per setting (pure): the outcome types, the
//! text and JSON forms, and the exit code (0 in the desired state or converged, 1 drift remains
//! or a user error, 2 the API or the network failed).

use serde::Serialize;

use super::desired::SettingDrift;

/// What happened to one setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Already in the desired state.
    None,
    /// `--dry-run`: would be changed.
    WouldChange,
    /// Changed through the API; now in the desired state.
    Changed,
    /// The API refused the change (the message says why, e.g. 3 changes per 24 hours).
    Refused,
    /// The plan cannot do it (402: no schedule entitlement).
    Unavailable,
    /// Needs a human in the dashboard (billing add-ons are never changed by backstop).
    Manual,
    /// The API or the network failed.
    Failed,
}

impl Action {
    /// The exit code this outcome implies.
    pub fn exit_code(self) -> u8 {
        match self {
            Action::None | Action::Changed => 0,
            Action::WouldChange | Action::Refused | Action::Unavailable | Action::Manual => 1,
            Action::Failed => 2,
        }
    }

    /// True when the setting ends in the desired state.
    pub fn settled(self) -> bool {
        matches!(self, Action::None | Action::Changed)
    }

    fn state(self, drift: &SettingDrift) -> &'static str {
        match self {
            Action::None => "ok",
            Action::Changed => "changed",
            Action::Unavailable => "not on plan",
            Action::Failed if drift.drifted.is_none() => "unknown",
            _ => "drifted",
        }
    }
}

/// The outcome of one desired setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingOutcome {
    /// Desired against actual, as read before any change.
    #[serde(flatten)]
    pub drift: SettingDrift,
    /// What happened.
    pub action: Action,
    /// What was done, or what to do next; `None` when in the desired state.
    pub message: Option<String>,
}

/// The whole command's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    /// The venture.
    pub venture: String,
    /// The Supabase project reference.
    pub project_ref: String,
    /// `--dry-run` was given: nothing was changed.
    pub dry_run: bool,
    /// Every desired setting ends in the desired state.
    pub in_desired_state: bool,
    /// One entry per desired setting (`schedule`, then `pitr`).
    pub settings: Vec<SettingOutcome>,
    /// 0, 1 or 2.
    pub exit_code: u8,
}

impl ApplyReport {
    /// The report of `settings`, with its verdict and exit code.
    pub fn new(
        venture: &str,
        project_ref: &str,
        dry_run: bool,
        settings: Vec<SettingOutcome>,
    ) -> Self {
        let exit_code = settings
            .iter()
            .map(|s| s.action.exit_code())
            .max()
            .unwrap_or(0);
        Self {
            venture: venture.to_owned(),
            project_ref: project_ref.to_owned(),
            dry_run,
            in_desired_state: settings.iter().all(|s| s.action.settled()),
            settings,
            exit_code,
        }
    }

    /// The text form: a table of desired against actual, one paragraph per setting that needs
    /// words, and the verdict.
    pub fn text(&self) -> String {
        let mut out = format!(
            "Supabase project {} of venture {}{}\n\n",
            self.project_ref,
            self.venture,
            if self.dry_run {
                " (dry run: nothing is changed)"
            } else {
                ""
            }
        );
        out.push_str(&format!(
            "{:<10} {:<10} {:<10} {}\n",
            "setting", "desired", "actual", "state"
        ));
        for s in &self.settings {
            out.push_str(&format!(
                "{:<10} {:<10} {:<10} {}\n",
                s.drift.setting,
                s.drift.desired,
                s.drift.actual.as_deref().unwrap_or("unknown"),
                s.action.state(&s.drift)
            ));
        }
        for s in &self.settings {
            if let Some(m) = &s.message {
                out.push_str(&format!("\n{}: {m}\n", s.drift.setting));
            }
        }
        out.push('\n');
        out.push_str(&self.verdict());
        out.push('\n');
        out
    }

    fn verdict(&self) -> String {
        let changed = self.settings.iter().any(|s| s.action == Action::Changed);
        let open: Vec<&str> = self
            .settings
            .iter()
            .filter(|s| !s.action.settled())
            .map(|s| s.drift.setting)
            .collect();
        match (open.is_empty(), changed, self.exit_code) {
            (true, true, _) => "Converged: the project is now in the desired state.".to_owned(),
            (true, false, _) => "In the desired state: nothing to change.".to_owned(),
            (false, _, 2) => format!(
                "Could not finish: {} not confirmed in the desired state (see above).",
                open.join(", ")
            ),
            (false, _, _) if self.dry_run => format!(
                "Drifted: {}. Run without --dry-run to apply what backstop can change.",
                open.join(", ")
            ),
            (false, _, _) => format!("Still drifted: {} (see above).", open.join(", ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::supabase::desired::{PITR, SCHEDULE};

    fn outcome(setting: &'static str, drifted: Option<bool>, action: Action) -> SettingOutcome {
        SettingOutcome {
            drift: SettingDrift {
                setting,
                desired: "04:00:00".into(),
                actual: drifted.map(|_| "03:00:00".into()),
                drifted,
            },
            action,
            message: (action != Action::None).then(|| format!("{action:?} message")),
        }
    }

    #[test]
    fn exit_code_and_verdict() {
        let cases = [
            (
                vec![Action::None, Action::None],
                0,
                true,
                "In the desired state",
            ),
            (vec![Action::Changed, Action::None], 0, true, "Converged"),
            (
                vec![Action::Changed, Action::Manual],
                1,
                false,
                "Still drifted: pitr",
            ),
            (vec![Action::Refused], 1, false, "Still drifted: schedule"),
            (vec![Action::Unavailable], 1, false, "Still drifted"),
            (
                vec![Action::Manual, Action::Failed],
                2,
                false,
                "Could not finish",
            ),
        ];
        for (actions, code, settled, verdict) in cases {
            let settings = actions
                .iter()
                .zip([SCHEDULE, PITR])
                .map(|(a, s)| outcome(s, Some(*a != Action::None), *a))
                .collect();
            let r = ApplyReport::new("shop", "abcdefghijklmnopqrst", false, settings);
            assert_eq!(r.exit_code, code, "{actions:?}");
            assert_eq!(r.in_desired_state, settled, "{actions:?}");
            assert!(r.text().contains(verdict), "{actions:?}: {}", r.text());
        }
    }

    #[test]
    fn dry_run_text_says_nothing_changes() {
        let r = ApplyReport::new(
            "shop",
            "abcdefghijklmnopqrst",
            true,
            vec![outcome(SCHEDULE, Some(true), Action::WouldChange)],
        );
        let text = r.text();
        assert!(text.contains("dry run: nothing is changed"), "{text}");
        assert!(
            text.contains("schedule   04:00:00   03:00:00   drifted"),
            "{text}"
        );
        assert!(text.contains("Run without --dry-run"), "{text}");
        assert_eq!(r.exit_code, 1);
    }

    #[test]
    fn json_flattens_the_drift() {
        let r = ApplyReport::new(
            "shop",
            "abcdefghijklmnopqrst",
            false,
            vec![outcome(PITR, None, Action::Failed)],
        );
        let v = serde_json::to_value(&r).expect("json");
        assert_eq!(v["settings"][0]["setting"], "pitr");
        assert_eq!(v["settings"][0]["action"], "failed");
        assert_eq!(v["settings"][0]["drifted"], serde_json::Value::Null);
        assert_eq!(v["exit_code"], 2);
        assert!(r.text().contains("unknown"));
    }
}
