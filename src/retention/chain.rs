//! pgBackRest chains on top of restic: a kept diff or incr cannot be restored without its
//! `prior` backup, so every kept diff/incr pins its prior chain (transitively, up to the full),
//! each pinned backup gaining the reason `parent of <label>`.

use std::collections::{HashMap, VecDeque};

use super::{BackupKind, Item};

/// The verdicts after pinning, indexed by input position.
#[derive(Debug, Clone, Default)]
pub(super) struct Pinned {
    /// Kept diff/incr whose prior is absent from the list (or unnamed): unrestorable.
    pub broken: Vec<bool>,
}

/// Adds the prior chains of every kept diff/incr to `keep`, newest first, with `parent of …`
/// reasons appended to `reasons`. A label that appears twice resolves to its first occurrence.
pub(super) fn pin_priors(
    items: &[Item],
    order: &[usize],
    keep: &mut [bool],
    reasons: &mut [Vec<String>],
) -> Pinned {
    let mut by_label: HashMap<&str, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        if let Some(label) = item.label.as_deref() {
            by_label.entry(label).or_insert(i);
        }
    }
    let mut broken = vec![false; items.len()];
    let mut queue: VecDeque<usize> = order.iter().copied().filter(|&i| keep[i]).collect();
    while let Some(i) = queue.pop_front() {
        let item = &items[i];
        if !matches!(item.kind, Some(BackupKind::Diff | BackupKind::Incr)) {
            continue;
        }
        let Some(parent) = item.prior.as_deref().and_then(|p| by_label.get(p).copied()) else {
            broken[i] = true;
            continue;
        };
        if parent == i {
            broken[i] = true;
            continue;
        }
        let reason = match item.label.as_deref() {
            Some(label) => format!("parent of {label}"),
            None => format!("parent of backup #{i}"),
        };
        if !reasons[parent].contains(&reason) {
            reasons[parent].push(reason);
        }
        if !keep[parent] {
            keep[parent] = true;
            queue.push_back(parent);
        }
    }
    Pinned { broken }
}

#[cfg(test)]
mod tests {
    use super::super::{evaluate, BackupKind, Item, Policy};
    use chrono::DateTime;

    fn b(label: &str, kind: BackupKind, prior: Option<&str>, time: &str) -> Item {
        Item::backup(
            label,
            kind,
            prior,
            DateTime::parse_from_rfc3339(time).expect("valid"),
        )
    }

    /// A week of pgBackRest backups: full Sunday, diff Wednesday, incrs in between.
    fn week() -> Vec<Item> {
        use BackupKind::*;
        vec![
            b("F1", Full, None, "2025-06-01T01:00:00Z"),
            b("I1", Incr, Some("F1"), "2025-06-02T01:00:00Z"),
            b("I2", Incr, Some("I1"), "2025-06-03T01:00:00Z"),
            b("D1", Diff, Some("F1"), "2025-06-04T01:00:00Z"),
            b("I3", Incr, Some("D1"), "2025-06-05T01:00:00Z"),
            b("I4", Incr, Some("I3"), "2025-06-06T01:00:00Z"),
        ]
    }

    #[test]
    fn kept_incr_pins_its_chain_up_to_the_full() {
        let policy = Policy {
            last: 1,
            ..Policy::default()
        };
        let v = evaluate(&policy, &week());
        let kept: Vec<usize> = v.iter().filter(|v| v.keep).map(|v| v.index).collect();
        assert_eq!(
            kept,
            vec![0, 3, 4, 5],
            "I4 -> I3 -> D1 -> F1; I1 and I2 expire"
        );
        assert_eq!(v[5].reasons, vec!["last snapshot"]);
        assert_eq!(v[4].reasons, vec!["parent of I4"]);
        assert_eq!(v[3].reasons, vec!["parent of I3"]);
        assert_eq!(v[0].reasons, vec!["parent of D1"]);
        assert!(v.iter().all(|v| !v.broken_chain));
    }

    #[test]
    fn a_parent_kept_by_restic_gains_the_reason_and_several_children_each_add_one() {
        let policy = Policy {
            daily: 7,
            ..Policy::default()
        };
        let v = evaluate(&policy, &week());
        assert!(v.iter().all(|v| v.keep));
        assert_eq!(
            v[0].reasons,
            vec!["daily snapshot", "parent of D1", "parent of I1"],
            "children newest first"
        );
        assert_eq!(v[3].reasons, vec!["daily snapshot", "parent of I3"]);
        // The oldest full keeps its restic counters.
        assert_eq!(v[0].counters.daily, 1);
    }

    #[test]
    fn missing_prior_marks_the_chain_broken_and_a_cycle_terminates() {
        use BackupKind::*;
        let items = vec![
            b("I1", Incr, Some("GONE"), "2025-06-02T01:00:00Z"),
            b("A", Incr, Some("B"), "2025-06-03T01:00:00Z"),
            b("B", Incr, Some("A"), "2025-06-04T01:00:00Z"),
        ];
        let policy = Policy {
            last: -1,
            ..Policy::default()
        };
        let v = evaluate(&policy, &items);
        assert!(v[0].broken_chain);
        assert!(!v[1].broken_chain && !v[2].broken_chain);
        assert_eq!(v[1].reasons, vec!["last snapshot", "parent of B"]);
        assert_eq!(v[2].reasons, vec!["last snapshot", "parent of A"]);
    }

    #[test]
    fn removed_children_pin_nothing() {
        let policy = Policy {
            last: 1,
            ..Policy::default()
        };
        let mut items = week();
        items.push(b("F2", BackupKind::Full, None, "2025-06-08T01:00:00Z"));
        let v = evaluate(&policy, &items);
        let kept: Vec<usize> = v.iter().filter(|v| v.keep).map(|v| v.index).collect();
        assert_eq!(kept, vec![6]);
    }
}
