//! The `config_drift` rule of `backstop check` (pure): one warning per Supabase setting whose
//! last read differs from the desired state in config, naming the command that fixes it.
//! Settings not read yet (unknown) and settings without a desired value are not judged.

use super::rules::{Finding, Severity};
use crate::sources::supabase::desired::{PITR, SCHEDULE};
use crate::state::VentureState;

/// The rule's identifier in findings.
pub const RULE: &str = "config_drift";

/// One finding per drifted setting of `v` (none for a venture without a Supabase source).
pub fn drift_rules(v: &VentureState) -> Vec<Finding> {
    let Some(sb) = v.source.as_ref().and_then(|s| s.supabase.as_ref()) else {
        return Vec::new();
    };
    let apply = format!("backstop supabase apply --venture {}", v.name);
    sb.drift
        .iter()
        .filter(|(_, drifted)| **drifted)
        .map(|(setting, _)| {
            let (message, action) = match setting.as_str() {
                SCHEDULE => match sb.schedule {
                    Some(at) => (
                        format!(
                            "the Supabase daily backup runs at {} UTC, not at desired_schedule",
                            at.format("%H:%M:%S")
                        ),
                        format!("run `{apply}` to set it (Supabase allows 3 schedule changes per 24 hours)"),
                    ),
                    None => (
                        "the project's plan has no backup schedule entitlement (HTTP 402): desired_schedule cannot be met".to_owned(),
                        format!("upgrade the plan or remove desired_schedule; `{apply} --dry-run` explains"),
                    ),
                },
                PITR => (
                    format!(
                        "the Supabase PITR add-on is {}, not desired_pitr",
                        sb.pitr_addon.as_deref().unwrap_or("unknown")
                    ),
                    format!("run `{apply}` for the dashboard steps (backstop never changes billing add-ons)"),
                ),
                other => (
                    format!("the Supabase setting {other} differs from the desired state"),
                    format!("run `{apply}`"),
                ),
            };
            Finding {
                venture: v.name.clone(),
                endpoint: None,
                rule: RULE,
                severity: Severity::Warning,
                message,
                action,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{SourceKind, SourceState, SupabaseState};

    fn venture(sb: SupabaseState) -> VentureState {
        let mut src = SourceState::new(SourceKind::Supabase);
        src.supabase = Some(sb);
        VentureState {
            name: "shop".into(),
            source: Some(src),
            ..VentureState::default()
        }
    }

    #[test]
    fn table() {
        let at = chrono::NaiveTime::from_hms_opt(3, 0, 0);
        let cases: Vec<(&str, SupabaseState, Vec<&str>)> = vec![
            ("nothing known", SupabaseState::default(), vec![]),
            (
                "in the desired state",
                SupabaseState {
                    schedule: at,
                    drift: [("schedule".into(), false), ("pitr".into(), false)].into(),
                    ..SupabaseState::default()
                },
                vec![],
            ),
            (
                "both drifted",
                SupabaseState {
                    schedule: at,
                    pitr_addon: Some("off".into()),
                    drift: [("schedule".into(), true), ("pitr".into(), true)].into(),
                    ..SupabaseState::default()
                },
                vec!["PITR add-on is off", "runs at 03:00:00 UTC"],
            ),
            (
                "no entitlement",
                SupabaseState {
                    drift: [("schedule".into(), true)].into(),
                    ..SupabaseState::default()
                },
                vec!["no backup schedule entitlement"],
            ),
        ];
        for (name, sb, want) in cases {
            let got = drift_rules(&venture(sb));
            assert_eq!(got.len(), want.len(), "case: {name}: {got:?}");
            for (f, text) in got.iter().zip(want) {
                assert_eq!(f.rule, RULE);
                assert_eq!(f.severity, Severity::Warning);
                assert!(f.message.contains(text), "case {name}: {}", f.message);
                assert!(
                    f.action.contains("backstop supabase apply --venture shop"),
                    "case {name}: {}",
                    f.action
                );
            }
        }
        let pgbackrest = VentureState {
            source: Some(SourceState::new(SourceKind::PgBackRest)),
            ..VentureState::default()
        };
        assert!(drift_rules(&pgbackrest).is_empty());
    }
}
