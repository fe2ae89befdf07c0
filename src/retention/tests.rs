//! restic's golden vectors (`tests/data/restic-policy-cases/`, from restic a80be147): every case
//! 0–39 except the tag cases 18, 19 and 20 (tags are out of scope), compared in order — kept
//! snapshots (time, plus tags and paths to tell apart entries with equal times), each reason's
//! `matches` and `counters`.

use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use super::{evaluate, Item, Policy, RetentionDuration};

/// Tag cases: restic's `--keep-tag`, which backstop does not implement.
const TAG_CASES: [u64; 3] = [18, 19, 20];

fn data(name: &str) -> Value {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests/data/restic-policy-cases",
        name,
    ]
    .iter()
    .collect();
    let text = std::fs::read_to_string(&path).expect("read test vector");
    serde_json::from_str(&text).expect("valid JSON")
}

fn time(v: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(v.as_str().expect("time string")).expect("RFC 3339")
}

/// Tags or paths; missing and `null` mean empty.
fn list(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().expect("string").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn policy(p: &Value) -> Policy {
    let count = |k: &str| p[k].as_i64().map_or(0, |n| i32::try_from(n).expect("i32"));
    let dur = |k: &str| {
        p[k].as_str()
            .map(|s| s.parse::<RetentionDuration>().expect("duration"))
    };
    Policy {
        last: count("last"),
        hourly: count("hourly"),
        daily: count("daily"),
        weekly: count("weekly"),
        monthly: count("monthly"),
        yearly: count("yearly"),
        within: dur("within"),
        within_hourly: dur("within_hourly"),
        within_daily: dur("within_daily"),
        within_weekly: dur("within_weekly"),
        within_monthly: dur("within_monthly"),
        within_yearly: dur("within_yearly"),
    }
}

#[test]
fn restic_golden_cases() {
    let input = data("input.json");
    let input = input.as_array().expect("array");
    let items: Vec<Item> = input.iter().map(|s| Item::at(time(&s["time"]))).collect();
    let cases = data("cases.json");
    let mut checked = 0;
    for case in cases.as_array().expect("array") {
        let n = case["case"].as_u64().expect("case number");
        if TAG_CASES.contains(&n) {
            continue;
        }
        let policy = policy(&case["policy"]);
        let golden = data(&format!("policy_keep_snapshots_{n}.json"));
        let mut verdicts = evaluate(&policy, &items);
        verdicts.sort_by_key(|v| v.rank);
        let kept: Vec<_> = verdicts.iter().filter(|v| v.keep).collect();

        let want_keep = golden["keep"].as_array().cloned().unwrap_or_default();
        let want_reasons = golden["reasons"].as_array().cloned().unwrap_or_default();
        assert_eq!(kept.len(), want_keep.len(), "case {n}: number kept");
        assert_eq!(
            want_reasons.len(),
            want_keep.len(),
            "case {n}: golden shape"
        );
        for (k, (v, (want, reason))) in kept
            .iter()
            .zip(want_keep.iter().zip(&want_reasons))
            .enumerate()
        {
            let got = &input[v.index];
            let at = format!("case {n}, kept #{k} ({})", got["time"]);
            assert_eq!(items[v.index].time, time(&want["time"]), "{at}: time");
            assert_eq!(list(&got["tags"]), list(&want["tags"]), "{at}: tags");
            assert_eq!(list(&got["paths"]), list(&want["paths"]), "{at}: paths");
            assert_eq!(v.reasons, list(&reason["matches"]), "{at}: matches");
            let want_counters: Vec<(String, i64)> = reason["counters"]
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, n)| (k.clone(), n.as_i64().expect("int")))
                        .collect()
                })
                .unwrap_or_default();
            let mut want_counters = want_counters;
            want_counters.sort();
            let mut got_counters: Vec<(String, i64)> = v
                .counters
                .non_zero()
                .into_iter()
                .map(|(k, n)| (k.to_string(), i64::from(n)))
                .collect();
            got_counters.sort();
            assert_eq!(got_counters, want_counters, "{at}: counters");
        }
        checked += 1;
    }
    assert_eq!(checked, 37, "cases 0–39 without the three tag cases");
}

#[test]
fn empty_policy_keeps_nothing_like_restic_case_0() {
    let items = [Item::at(time(&Value::from("2016-01-18T12:02:03Z")))];
    assert!(Policy::default().is_empty());
    let v = evaluate(&Policy::default(), &items);
    assert_eq!(v.len(), 1);
    assert!(!v[0].keep && v[0].reasons.is_empty());
}

#[test]
fn no_items_no_verdicts() {
    assert!(evaluate(
        &Policy {
            daily: 7,
            ..Policy::default()
        },
        &[]
    )
    .is_empty());
}
