//! The Supabase part of `backstop backups`: restore points (one per UTC day from completed
//! backups and the PITR window) with their retention verdicts, what the plan keeps, and the
//! rules it cannot meet ([`crate::sources::supabase::compliance`]). Pure.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::retention::Policy;
use crate::sources::supabase::compliance;
use crate::state::{SourceKind, VentureState};

/// Restore points, plan and unmeetable rules of a Supabase venture.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupabaseRetention {
    /// What the plan keeps, e.g. "the plan keeps 28 days (pitr_28)".
    pub plan: String,
    /// Days of history the plan keeps (assumed when the plan is not known; see `plan`).
    pub plan_days: u32,
    /// Restore points, oldest first.
    pub restore_points: Vec<RestorePointRow>,
    /// The rules (and `pitr_window`) the plan cannot meet, with why.
    pub unmeetable_rules: Vec<UnmeetableRow>,
}

/// One restore point with its verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestorePointRow {
    /// Its UTC day.
    pub day: NaiveDate,
    /// The instant restored to.
    pub at: DateTime<Utc>,
    /// `backup` or `pitr`.
    pub origin: &'static str,
    /// The backup's id, for a backup.
    pub label: Option<String>,
    /// `kept` or `expirable` by the policy; `null` without a policy.
    pub verdict: Option<&'static str>,
    /// restic's reasons when kept.
    pub reasons: Vec<String>,
}

/// One rule the plan cannot meet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnmeetableRow {
    /// `daily`, `weekly`, `monthly`, `yearly`, `hourly`, `last` or `pitr_window`.
    pub rule: String,
    /// The sentence with the numbers.
    pub reason: String,
}

/// The section for `v`, when its source is Supabase.
pub fn of(v: &VentureState) -> Option<SupabaseRetention> {
    let src = v
        .source
        .as_ref()
        .filter(|s| s.kind == SourceKind::Supabase)?;
    let policy = Policy::from(v.objectives.retention);
    let facts = src.supabase.as_ref();
    let a = compliance::assess(&policy, v.objectives.pitr_window, &src.backups, facts);
    let restore_points = a
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let verdict = a.verdicts.get(i);
            RestorePointRow {
                day: p.at.date_naive(),
                at: p.at,
                origin: p.origin.as_str(),
                label: p.label.clone(),
                verdict: verdict.map(|d| if d.keep { "kept" } else { "expirable" }),
                reasons: verdict.map_or_else(Vec::new, |d| d.reasons.clone()),
            }
        })
        .collect();
    let unmeetable_rules = facts
        .map(|f| f.unmeetable.as_slice())
        .unwrap_or_default()
        .iter()
        .map(|u| UnmeetableRow {
            rule: u.rule.clone(),
            reason: u.reason.clone(),
        })
        .collect();
    Some(SupabaseRetention {
        plan: a.horizon.describe(),
        plan_days: a.horizon.days,
        restore_points,
        unmeetable_rules,
    })
}

impl SupabaseRetention {
    /// The text section: a table of restore points, the plan, the unmeetable rules.
    pub fn text(&self) -> String {
        let mut out = String::from(
            "\nrestore points (one per UTC day: a completed backup, or the PITR window's latest point that day):\n",
        );
        let mut rows: Vec<[String; 4]> = vec![["DAY", "AT", "FROM", "VERDICT"].map(String::from)];
        for p in &self.restore_points {
            let verdict = match (p.verdict, p.reasons.is_empty()) {
                (Some("kept"), false) => format!("kept: {}", p.reasons.join(", ")),
                (Some(v), _) => v.to_string(),
                (None, _) => "no retention policy".to_string(),
            };
            let from = match &p.label {
                Some(l) => format!("{} {l}", p.origin),
                None => p.origin.to_string(),
            };
            rows.push([p.day.to_string(), p.at.to_rfc3339(), from, verdict]);
        }
        let widths: Vec<usize> = (0..3)
            .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
            .collect();
        for r in &rows {
            for (i, w) in widths.iter().enumerate() {
                out.push_str(&format!("{:w$}  ", r[i]));
            }
            out.push_str(&r[3]);
            out.push('\n');
        }
        if self.restore_points.is_empty() {
            out.push_str("(no restore points: no completed backup and no PITR window)\n");
        }
        out.push_str(&format!("plan: {}\n", self.plan));
        if !self.unmeetable_rules.is_empty() {
            out.push_str("\nrules the plan cannot meet:\n");
            for u in &self.unmeetable_rules {
                out.push_str(&format!("  {}: {}\n", u.rule, u.reason));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeDelta, TimeZone};

    use super::*;
    use crate::state::SourceState;

    fn venture() -> VentureState {
        let end = Utc
            .with_ymd_and_hms(2026, 11, 27, 12, 0, 0)
            .single()
            .expect("valid");
        let mut src = SourceState::new(SourceKind::Supabase);
        src.last_poll = Some(end);
        if let Some(f) = src.supabase.as_mut() {
            f.pitr_enabled = Some(true);
            f.pitr_addon = Some("pitr_7".into());
            f.reported_window = Some((end - TimeDelta::days(7), end));
        }
        let mut v = VentureState {
            name: "acme".into(),
            source: Some(src),
            ..VentureState::default()
        };
        crate::sources::derive::refresh(&mut v);
        v
    }

    #[test]
    fn restore_points_plan_and_unmeetable_rules() {
        let s = of(&venture()).expect("supabase");
        assert_eq!(s.restore_points.len(), 8);
        assert_eq!(s.plan, "the plan keeps 7 days (pitr_7)");
        let rules: Vec<&str> = s.unmeetable_rules.iter().map(|u| u.rule.as_str()).collect();
        assert_eq!(rules, vec!["weekly", "monthly", "pitr_window"]);
        let text = s.text();
        assert!(text.contains("2026-11-27  2026-11-27T12:00:00+00:00  pitr  kept: daily snapshot, weekly snapshot, monthly snapshot"), "{text}");
        assert!(text.contains("  monthly: 12 monthly restore points need 11 months of history; the plan keeps 7 days (pitr_7)\n"), "{text}");
        assert!(
            text.contains("  pitr_window: a PITR window of 30 days is unmeetable by 23 days"),
            "{text}"
        );
        let json = serde_json::to_value(&s).expect("json");
        assert_eq!(json["restore_points"][7]["origin"], "pitr");
        assert_eq!(json["unmeetable_rules"][0]["rule"], "weekly");
    }

    #[test]
    fn not_for_pgbackrest() {
        let mut v = venture();
        v.source = Some(SourceState::new(SourceKind::PgBackRest));
        assert!(of(&v).is_none());
    }
}
