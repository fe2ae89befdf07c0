//! The readiness rule `retention_unmeetable` (DESIGN.md §7): a warning per retention rule, or
//! the `pitr_window` objective, that a Supabase venture's plan cannot meet, read from
//! `supabase.unmeetable` (filled by [`crate::sources::derive`]), naming what to do. Pure.

use super::rules::{Finding, Severity};
use crate::sources::supabase::horizon::MAX_PITR_DAYS;
use crate::state::{SourceKind, VentureState};

/// The rule's identifier.
pub const RULE: &str = "retention_unmeetable";

/// One warning per unmeetable rule of a Supabase venture (none for other sources).
pub fn plan_rules(v: &VentureState) -> Vec<Finding> {
    let Some(src) = v.source.as_ref().filter(|s| s.kind == SourceKind::Supabase) else {
        return Vec::new();
    };
    let Some(facts) = src.supabase.as_ref() else {
        return Vec::new();
    };
    let max_pitr = u64::from(MAX_PITR_DAYS) * 86_400;
    facts
        .unmeetable
        .iter()
        .map(|u| {
            let action = if u.rule != "pitr_window" {
                "keep logical dumps elsewhere for the history this rule needs (`pg_dump` on a schedule into storage you control, with your own retention), or move to a larger PITR add-on (at most pitr_28, 28 days) when that covers it, or lower the rule in the venture's `retention`".to_owned()
            } else if v.objectives.pitr_window.as_secs() > max_pitr {
                format!("no Supabase add-on keeps more than {MAX_PITR_DAYS} days of PITR: lower `pitr_window` to {MAX_PITR_DAYS}d or less, and cover older points with logical dumps kept elsewhere (`pg_dump` on a schedule)")
            } else {
                "enable a PITR add-on that covers the window (pitr_7, pitr_14 or pitr_28; the project's billing add-ons), or lower `pitr_window`".to_owned()
            };
            Finding {
                venture: v.name.clone(),
                endpoint: None,
                rule: RULE,
                severity: Severity::Warning,
                message: format!("the Supabase plan cannot meet {}: {}", u.rule, u.reason),
                action,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::state::{SourceState, UnmeetableRule};

    fn venture(unmeetable: &[(&str, &str)], pitr_window_days: u64) -> VentureState {
        let mut src = SourceState::new(SourceKind::Supabase);
        if let Some(f) = src.supabase.as_mut() {
            f.unmeetable = unmeetable
                .iter()
                .map(|(rule, reason)| UnmeetableRule {
                    rule: (*rule).into(),
                    reason: (*reason).into(),
                })
                .collect();
        }
        let mut v = VentureState {
            name: "acme".into(),
            source: Some(src),
            ..VentureState::default()
        };
        v.objectives.pitr_window = Duration::from_secs(pitr_window_days * 86_400);
        v
    }

    #[test]
    fn a_warning_per_unmeetable_rule_with_what_to_do() {
        let v = venture(
            &[
                ("monthly", "12 monthly restore points need 11 months of history; the plan keeps 7 days (pitr_7)"),
                ("pitr_window", "a PITR window of 30 days is unmeetable by 2 days: the plan keeps 28 days (pitr_28)"),
            ],
            30,
        );
        let f = plan_rules(&v);
        assert_eq!(f.len(), 2);
        assert!(f
            .iter()
            .all(|f| f.rule == RULE && f.severity == Severity::Warning));
        assert_eq!(
            f[0].message,
            "the Supabase plan cannot meet monthly: 12 monthly restore points need 11 months of history; the plan keeps 7 days (pitr_7)"
        );
        assert!(f[0].action.contains("pg_dump"), "{}", f[0].action);
        assert!(
            f[1].action.contains("lower `pitr_window` to 28d"),
            "{}",
            f[1].action
        );
        let v = venture(&[("pitr_window", "a PITR window of 14 days needs point-in-time recovery; PITR is off (daily backups only)")], 14);
        assert!(plan_rules(&v)[0].action.contains("pitr_14"));
    }

    #[test]
    fn nothing_for_other_sources_or_when_all_can_be_met() {
        assert!(plan_rules(&venture(&[], 30)).is_empty());
        let mut v = venture(&[("monthly", "x")], 30);
        if let Some(s) = v.source.as_mut() {
            s.kind = SourceKind::PgBackRest;
        }
        assert!(plan_rules(&v).is_empty());
    }
}
