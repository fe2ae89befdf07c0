//! Rule compliance: how many buckets each count rule asks for and how many it keeps, for the
//! `backstop_retention_required_backups` / `backstop_retention_kept_backups{venture,rule}`
//! metrics and the "retention unmet" finding.

use std::collections::HashSet;

use super::buckets::Rule;
use super::policy::Policy;
use super::{forget, latest_of, Item};

/// One count rule's compliance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleStatus {
    /// `last`, `hourly`, `daily`, `weekly`, `monthly` or `yearly` (the `rule` label).
    pub rule: &'static str,
    /// The count asked; for an unlimited rule (`-1`), the number of distinct buckets present.
    pub required: i64,
    /// Distinct buckets of this rule that have a kept backup chosen by the rule.
    pub kept: i64,
}

impl RuleStatus {
    /// True when the rule keeps as many buckets as it asks for. A rule is unmet when fewer
    /// buckets exist than required (12 monthly asked, 3 months of backups).
    pub fn is_met(&self) -> bool {
        self.kept >= self.required
    }
}

/// The status of every count rule the policy uses (count ≠ 0), in rule order. `within*` rules
/// ask for no count and are not listed.
pub fn required_and_kept(policy: &Policy, items: &[Item]) -> Vec<RuleStatus> {
    let times: Vec<_> = items.iter().map(|i| i.time).collect();
    let outcome = match latest_of(items, None) {
        Some(latest) => forget::apply(policy, &times, latest),
        None => forget::Outcome::default(),
    };
    Rule::ALL
        .iter()
        .enumerate()
        .filter(|(_, rule)| policy.count(**rule) != 0)
        .map(|(r, rule)| {
            let count = policy.count(*rule);
            let required = if count < 0 {
                let present: HashSet<i64> = outcome
                    .order
                    .iter()
                    .enumerate()
                    .map(|(nr, &i)| rule.key(&times[i], nr))
                    .collect();
                i64::try_from(present.len()).unwrap_or(i64::MAX)
            } else {
                i64::from(count)
            };
            RuleStatus {
                rule: rule.name(),
                required,
                kept: outcome.buckets_kept[r],
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Duration};

    fn daily(from: &str, days: i64) -> Vec<Item> {
        let start = DateTime::parse_from_rfc3339(from).expect("valid");
        (0..days)
            .map(|d| Item::at(start + Duration::days(d)))
            .collect()
    }

    fn status(policy: &Policy, items: &[Item]) -> Vec<(&'static str, i64, i64, bool)> {
        required_and_kept(policy, items)
            .into_iter()
            .map(|s| (s.rule, s.required, s.kept, s.is_met()))
            .collect()
    }

    #[test]
    fn twelve_monthly_on_three_months_is_unmet() {
        let policy = Policy {
            daily: 7,
            weekly: 4,
            monthly: 12,
            ..Policy::default()
        };
        // 2025-04-01 .. 2025-06-29: 90 days, 3 months, 13 ISO weeks.
        let items = daily("2025-04-01T01:00:00Z", 90);
        assert_eq!(
            status(&policy, &items),
            vec![
                ("daily", 7, 7, true),
                ("weekly", 4, 4, true),
                ("monthly", 12, 3, false)
            ]
        );
    }

    #[test]
    fn unlimited_requires_every_bucket_present_and_oldest_repeat_is_not_a_new_bucket() {
        let policy = Policy {
            monthly: -1,
            yearly: 5,
            ..Policy::default()
        };
        let items = daily("2025-04-01T01:00:00Z", 90);
        assert_eq!(
            status(&policy, &items),
            vec![("monthly", 3, 3, true), ("yearly", 5, 1, false)]
        );
    }

    #[test]
    fn empty_input_and_unused_rules() {
        assert!(status(&Policy::default(), &daily("2025-04-01T01:00:00Z", 3)).is_empty());
        let policy = Policy {
            last: 3,
            ..Policy::default()
        };
        assert_eq!(status(&policy, &[]), vec![("last", 3, 0, false)]);
    }
}
