//! Target for the retention evaluator: bytes decode into a policy and backups (timestamps from
//! ordinary to the ends of chrono's calendar, any offset, duplicates, chains with missing or
//! cyclic priors), then [`check_retention`] asserts the evaluator's invariants.

use chrono::{DateTime, FixedOffset, Offset, TimeZone, Utc};

use crate::retention::{
    evaluate, BackupKind, Counters, Item, Policy, RetentionDuration, Rule, Verdict,
};

use super::bounded;

/// Bytes of the policy header, then of each item.
const POLICY_BYTES: usize = 12;
const ITEM_BYTES: usize = 12;
/// At most this many items (the evaluator is O(n log n); keeps each run short).
const MAX_ITEMS: usize = 512;
/// Instants where calendars and bucket keys turn: the ends of chrono's range, the epoch, the
/// starts of years 1, 0 and -1 (bucket keys go negative there), 9999 and 10000.
const EDGES: [i64; 8] = [
    i64::MIN,
    i64::MAX,
    0,
    -62_135_596_800,
    -62_167_219_200,
    -62_198_755_200,
    253_402_300_799,
    253_402_300_800,
];
/// An ordinary recent instant (2026-11-17), around which most decoded times fall.
const BASE: i64 = 1_795_400_000;

/// The policy and items that `data` encodes (a policy from the first 12 bytes, an item per
/// following 12 bytes).
pub fn decode_retention(data: &[u8]) -> (Policy, Vec<Item>) {
    let data = bounded(data);
    let mut head = [0u8; POLICY_BYTES];
    for (slot, b) in head.iter_mut().zip(data) {
        *slot = *b;
    }
    let count = |b: u8| match b % 16 {
        0..=5 => 0,
        6 => -1,
        15 => i32::from(b),
        n => i32::from(n) - 6,
    };
    let within = |b: u8| {
        (b % 4 != 0).then(|| RetentionDuration {
            years: i32::from(b >> 7),
            months: i32::from((b >> 5) & 3),
            days: i32::from((b >> 2) & 7),
            hours: if b == 255 { i32::MAX } else { i32::from(b & 3) },
        })
    };
    let policy = Policy {
        last: count(head[0]),
        hourly: count(head[1]),
        daily: count(head[2]),
        weekly: count(head[3]),
        monthly: count(head[4]),
        yearly: count(head[5]),
        within: within(head[6]),
        within_hourly: within(head[7]),
        within_daily: within(head[8]),
        within_weekly: within(head[9]),
        within_monthly: within(head[10]),
        within_yearly: within(head[11]),
    };
    let rest = data.get(POLICY_BYTES..).unwrap_or_default();
    let items = rest
        .chunks_exact(ITEM_BYTES)
        .take(MAX_ITEMS)
        .enumerate()
        .map(|(i, c)| item(i, c))
        .collect();
    (policy, items)
}

fn item(i: usize, c: &[u8]) -> Item {
    let mut raw = [0u8; 8];
    raw.copy_from_slice(&c[..8]);
    let raw = i64::from_le_bytes(raw);
    let min = DateTime::<Utc>::MIN_UTC.timestamp() + 2 * 86_400;
    let max = DateTime::<Utc>::MAX_UTC.timestamp() - 2 * 86_400;
    let secs = match c[8] % 8 {
        0 => min + raw.rem_euclid(max - min),
        1 => EDGES[raw.rem_euclid(EDGES.len() as i64) as usize].clamp(min, max) + (raw % 7_200),
        _ => BASE + raw.rem_euclid(800 * 86_400) - 400 * 86_400,
    };
    let offset = i32::from(i16::from_le_bytes([c[9], c[10]])) * 3 % 86_400;
    let zone = FixedOffset::east_opt(offset).unwrap_or_else(|| Utc.fix());
    let time = zone
        .timestamp_opt(secs, 0)
        .single()
        .unwrap_or_else(|| DateTime::<Utc>::UNIX_EPOCH.fixed_offset());
    let kind = match c[11] % 4 {
        0 => None,
        1 => Some(BackupKind::Full),
        2 => Some(BackupKind::Diff),
        _ => Some(BackupKind::Incr),
    };
    let prior = usize::from(c[11] >> 2);
    Item {
        time,
        label: (c[8] & 0x80 == 0).then(|| format!("b{}", i % 40)),
        kind,
        prior: (prior < 60).then(|| format!("b{prior}")),
    }
}

/// Decodes `data` and checks [`evaluate`] on it.
pub fn retention(data: &[u8]) {
    let (policy, items) = decode_retention(data);
    check_retention(&policy, &items);
}

/// Evaluates `items` under `policy` and asserts what must hold for any input: one verdict per
/// item in input order; ranks newest first (ties in input order); kept exactly when there is a
/// reason; `last = N` keeps the N newest and `-1` keeps all; each count rule alone, and any
/// within rule, keeps the newest;
/// counters never exceed the policy; `parent of X` only on the prior of a kept `X`.
pub fn check_retention(policy: &Policy, items: &[Item]) -> Vec<Verdict> {
    let verdicts = evaluate(policy, items);
    assert_eq!(verdicts.len(), items.len(), "one verdict per item");
    let mut by_rank = vec![usize::MAX; items.len()];
    for (i, v) in verdicts.iter().enumerate() {
        assert_eq!(v.index, i, "verdicts in input order");
        assert!(v.rank < items.len(), "rank {} out of range", v.rank);
        assert_eq!(by_rank[v.rank], usize::MAX, "rank {} given twice", v.rank);
        by_rank[v.rank] = i;
        assert_eq!(v.keep, !v.reasons.is_empty(), "keep without reason: {v:?}");
    }
    for w in by_rank.windows(2) {
        let (a, b) = (&items[w[0]], &items[w[1]]);
        assert!(
            a.time > b.time || (a.time == b.time && w[0] < w[1]),
            "ranks not newest first, ties in input order"
        );
    }
    for (rank, &i) in by_rank.iter().enumerate() {
        let v = &verdicts[i];
        if policy.last == -1 || usize::try_from(policy.last).is_ok_and(|n| rank < n) {
            assert!(v.keep, "keep-last {} dropped rank {rank}", policy.last);
        }
    }
    if let Some(&newest) = by_rank.first() {
        for rule in Rule::ALL {
            let n = policy.count(rule);
            if n > 0 || n == -1 {
                let mut alone = Counters::default();
                alone.set(rule, n);
                let only = Policy {
                    last: alone.last,
                    hourly: alone.hourly,
                    daily: alone.daily,
                    weekly: alone.weekly,
                    monthly: alone.monthly,
                    yearly: alone.yearly,
                    ..Policy::default()
                };
                assert!(
                    evaluate(&only, items)[newest].keep,
                    "{} = {n} alone did not keep the newest item",
                    rule.name()
                );
            }
        }
        let window = policy.within.is_some_and(|d| !d.is_zero())
            || Rule::ALL.iter().any(|r| policy.within_of(*r).is_some());
        assert!(
            !window || verdicts[newest].keep,
            "a within rule did not keep the newest item"
        );
    }
    for v in &verdicts {
        for r in Rule::ALL {
            let (left, asked) = (v.counters.get(r), policy.count(r));
            assert!(
                left == asked || (0..=asked.max(0)).contains(&left),
                "counter {left} for {} outside 0..={asked}",
                r.name()
            );
        }
        for reason in &v.reasons {
            let Some(child) = reason.strip_prefix("parent of ") else {
                continue;
            };
            let parent = items[v.index].label.as_deref();
            assert!(
                verdicts.iter().any(|c| c.keep
                    && items[c.index].prior.as_deref() == parent
                    && (items[c.index].label.as_deref() == Some(child)
                        || child == format!("backup #{}", c.index))),
                "{reason:?} on an item that is no kept backup's prior"
            );
        }
    }
    verdicts
}
