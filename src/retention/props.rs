//! Properties of the retention evaluator (the `retention` fuzz target as proptest cases): the
//! target's invariants on arbitrary and seed-mutated bytes, keep-last N keeps exactly the N
//! newest, the verdicts do not depend on the input order, and extreme, duplicate or
//! out-of-order timestamps never panic.

use chrono::{DateTime, Datelike, FixedOffset, TimeZone, Utc};
use proptest::prelude::*;

use crate::fuzzing::seeds::seeds;
use crate::fuzzing::strategies::{bytes, config, mutated_seeds};
use crate::fuzzing::{self, check_retention, decode_retention};

use super::{evaluate, BackupKind, Item, Policy, RetentionDuration};

fn at(secs: i64, offset: i32) -> DateTime<FixedOffset> {
    FixedOffset::east_opt(offset)
        .expect("offset")
        .timestamp_opt(secs, 0)
        .single()
        .expect("in range")
}

/// Seconds anywhere in chrono's calendar (days of margin at both ends), or near 2026.
fn secs() -> impl Strategy<Value = i64> {
    let min = DateTime::<Utc>::MIN_UTC.timestamp() + 2 * 86_400;
    let max = DateTime::<Utc>::MAX_UTC.timestamp() - 2 * 86_400;
    prop_oneof![
        4 => 1_790_000_000i64..1_800_000_000,
        1 => min..max,
        1 => (prop::sample::select(vec![min, max, 0, -62_167_219_200, -62_198_755_200]), 0i64..7_200)
            .prop_map(move |(edge, s)| (edge + s).min(max)),
    ]
}

fn item() -> impl Strategy<Value = Item> {
    (
        secs(),
        -86_399i32..86_400,
        0u8..4,
        proptest::option::of(0usize..30),
        0usize..30,
    )
        .prop_map(|(s, off, kind, prior, label)| Item {
            time: at(s, off),
            label: Some(format!("b{label}")),
            kind: [
                None,
                Some(BackupKind::Full),
                Some(BackupKind::Diff),
                Some(BackupKind::Incr),
            ][usize::from(kind)],
            prior: prior.map(|p| format!("b{p}")),
        })
}

fn duration() -> impl Strategy<Value = Option<RetentionDuration>> {
    proptest::option::of((0i32..3, 0i32..14, 0i32..40, 0i32..50).prop_map(
        |(years, months, days, hours)| RetentionDuration {
            years,
            months,
            days,
            hours,
        },
    ))
}

fn policy() -> impl Strategy<Value = Policy> {
    let count = || prop_oneof![Just(0), Just(-1), 1i32..10];
    (
        (count(), count(), count(), count(), count(), count()),
        (
            duration(),
            duration(),
            duration(),
            duration(),
            duration(),
            duration(),
        ),
    )
        .prop_map(|((l, h, d, w, m, y), (wi, wh, wd, ww, wm, wy))| Policy {
            last: l,
            hourly: h,
            daily: d,
            weekly: w,
            monthly: m,
            yearly: y,
            within: wi,
            within_hourly: wh,
            within_daily: wd,
            within_weekly: ww,
            within_monthly: wm,
            within_yearly: wy,
        })
}

#[test]
fn every_seed_decodes_and_holds() {
    for (name, data) in seeds("retention") {
        let (policy, items) = decode_retention(&data);
        assert!(!items.is_empty() && !policy.is_empty(), "{name}");
        let kept = check_retention(&policy, &items)
            .iter()
            .filter(|v| v.keep)
            .count();
        assert!(kept > 0, "{name}");
    }
}

/// Found while writing these properties: bucket keys start at `-1` ("no bucket yet"), and the yearly key of a
/// backup in year -1 (reachable from a pgBackRest timestamp) is `-1` too, so the newest of two
/// such backups was not kept by `yearly = 1`.
#[test]
fn year_minus_one_is_a_bucket_like_any_other() {
    let year_minus_one = -62_198_755_200 + 86_400 * 100;
    let items = vec![
        Item::at(at(year_minus_one, 0)),
        Item::at(at(year_minus_one + 3600, 0)),
    ];
    let policy = Policy {
        yearly: 1,
        ..Policy::default()
    };
    let v = check_retention(&policy, &items);
    assert_eq!(items[0].time.year(), -1);
    assert!(v[1].keep, "the newest backup of year -1: {v:?}");
    assert_eq!(v[1].reasons, vec!["yearly snapshot"]);
    assert!(!v[0].keep, "{v:?}");
}

proptest! {
    #![proptest_config(config(800))]

    #[test]
    fn target_on_arbitrary_bytes(data in bytes()) {
        fuzzing::retention(&data);
    }

    #[test]
    fn target_on_mutated_seeds(data in mutated_seeds("retention")) {
        fuzzing::retention(&data);
    }
}

proptest! {
    #![proptest_config(config(600))]

    #[test]
    fn invariants_hold(policy in policy(), items in proptest::collection::vec(item(), 0..60)) {
        check_retention(&policy, &items);
    }

    #[test]
    fn invariants_hold_at_the_calendar_edges(
        policy in policy(),
        times in proptest::collection::vec(
            (prop::sample::select(vec![-62_198_755_200i64, -62_167_219_200, 0, 253_402_300_799]),
             0i64..7_200),
            1..5,
        ),
    ) {
        let items: Vec<Item> = times.iter().map(|&(edge, s)| Item::at(at(edge + s, 0))).collect();
        check_retention(&policy, &items);
    }

    #[test]
    fn keep_last_n_keeps_exactly_the_n_newest(
        n in 1i32..20,
        times in proptest::collection::vec(secs(), 0..60),
    ) {
        let items: Vec<Item> = times.iter().map(|&s| Item::at(at(s, 0))).collect();
        let policy = Policy { last: n, ..Policy::default() };
        let v = evaluate(&policy, &items);
        let mut newest: Vec<usize> = (0..items.len()).collect();
        newest.sort_by(|&a, &b| items[b].time.cmp(&items[a].time));
        let want: Vec<bool> = (0..items.len())
            .map(|i| newest.iter().position(|&j| j == i).is_some_and(|r| r < n as usize))
            .collect();
        let got: Vec<bool> = v.iter().map(|v| v.keep).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn verdicts_do_not_depend_on_input_order(
        policy in policy(),
        items in proptest::collection::vec(item(), 0..40),
        shuffle in any::<u64>(),
    ) {
        // Restic breaks ties by input order and pins the first of duplicate labels: the
        // property holds for distinct times and labels.
        let mut items = items;
        items.sort_by_key(|i| i.time);
        items.dedup_by_key(|i| i.time);
        for (n, i) in items.iter_mut().enumerate() {
            i.label = Some(format!("b{n}"));
        }
        let mut order: Vec<usize> = (0..items.len()).collect();
        let mut state = shuffle | 1;
        for k in (1..order.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            order.swap(k, (state % (k as u64 + 1)) as usize);
        }
        let shuffled: Vec<Item> = order.iter().map(|&i| items[i].clone()).collect();
        let a = evaluate(&policy, &items);
        let b = evaluate(&policy, &shuffled);
        for (pos, &i) in order.iter().enumerate() {
            prop_assert_eq!(a[i].keep, b[pos].keep);
            prop_assert_eq!(&a[i].reasons, &b[pos].reasons);
            prop_assert_eq!(a[i].rank, b[pos].rank);
        }
    }

    #[test]
    fn durations_parse_or_fail_on_any_text(text in "\\PC{0,24}") {
        if let Ok(d) = text.parse::<RetentionDuration>() {
            prop_assert!(d.years >= 0 && d.months >= 0 && d.days >= 0 && d.hours >= 0);
        }
    }
}
