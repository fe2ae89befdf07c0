//! restic's `forget` pass (`ApplyPolicy` without tags): one newest-first walk with one bucket
//! per rule; a backup may use up counts in several rules at once; a rule with count left at the
//! oldest backup keeps it (`oldest …` when its bucket was already kept).

use chrono::{DateTime, FixedOffset};

use super::buckets::Rule;
use super::duration::RetentionDuration;
use super::policy::{Counters, Policy};

/// What the pass decided, indexed by input position.
#[derive(Debug, Clone, Default)]
pub(super) struct Outcome {
    /// Input indices, newest first (stable: equal instants keep input order).
    pub order: Vec<usize>,
    /// Kept by a rule.
    pub keep: Vec<bool>,
    /// restic's reasons, in restic's order.
    pub reasons: Vec<Vec<String>>,
    /// Counts left after each backup.
    pub counters: Vec<Counters>,
    /// Per rule (in [`Rule::ALL`] order): distinct buckets the rule kept.
    pub buckets_kept: [i64; 6],
}

/// A `within*` window: its duration (for the reason) and cutoff (`None`: before every backup).
type Window = (RetentionDuration, Option<DateTime<FixedOffset>>);

fn window(d: Option<RetentionDuration>, latest: DateTime<FixedOffset>) -> Option<Window> {
    d.filter(|d| !d.is_zero()).map(|d| (d, d.cutoff(latest)))
}

fn inside(t: &DateTime<FixedOffset>, cutoff: &Option<DateTime<FixedOffset>>) -> bool {
    cutoff.is_none_or(|c| *t > c)
}

/// Runs the policy over `times`; `latest` anchors the `within*` windows.
pub(super) fn apply(
    policy: &Policy,
    times: &[DateTime<FixedOffset>],
    latest: DateTime<FixedOffset>,
) -> Outcome {
    let n = times.len();
    let mut out = Outcome {
        order: (0..n).collect(),
        keep: vec![false; n],
        reasons: vec![Vec::new(); n],
        counters: vec![Counters::default(); n],
        buckets_kept: [0; 6],
    };
    // `sort_by` is stable, like Go's `sort.Stable`.
    out.order.sort_by(|&a, &b| times[b].cmp(&times[a]));

    let mut counts = Rule::ALL.map(|r| policy.count(r));
    let mut last_key: [Option<i64>; 6] = [None; 6];
    let within = window(policy.within, latest);
    let windows = Rule::ALL.map(|r| window(policy.within_of(r), latest));
    let mut within_last: [Option<i64>; 6] = [None; 6];

    for (nr, &i) in out.order.iter().enumerate() {
        let t = &times[i];
        let oldest = nr + 1 == n;
        let mut reasons = Vec::new();

        if let Some((d, cutoff)) = &within {
            if inside(t, cutoff) {
                reasons.push(format!("within {d}"));
            }
        }

        for (r, rule) in Rule::ALL.iter().enumerate() {
            if counts[r] > 0 || counts[r] == -1 {
                let key = rule.key(t, nr);
                if Some(key) != last_key[r] || oldest {
                    if Some(key) == last_key[r] {
                        reasons.push(format!("oldest {}", rule.reason()));
                    } else {
                        reasons.push(rule.reason().to_string());
                        out.buckets_kept[r] += 1;
                    }
                    last_key[r] = Some(key);
                    if counts[r] > 0 {
                        counts[r] -= 1;
                    }
                }
            }
        }

        for (r, rule) in Rule::ALL.iter().enumerate() {
            let Some((d, cutoff)) = &windows[r] else {
                continue;
            };
            if !inside(t, cutoff) {
                continue;
            }
            let key = rule.key(t, nr);
            if Some(key) != within_last[r] || oldest {
                let prefix = if Some(key) == within_last[r] {
                    "oldest "
                } else {
                    ""
                };
                reasons.push(format!("{prefix}{} {d}", rule.within_reason()));
                within_last[r] = Some(key);
            }
        }

        let mut counters = Counters::default();
        for (r, rule) in Rule::ALL.iter().enumerate() {
            counters.set(*rule, counts[r]);
        }
        out.counters[i] = counters;
        out.keep[i] = !reasons.is_empty();
        out.reasons[i] = reasons;
    }
    out
}
