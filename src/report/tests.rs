//! Renderer tests on a report built from synthetic inputs: the dominant phase and its trend in
//! Markdown, escaping in HTML, the JSON round trip.

use chrono::{DateTime, TimeDelta, Utc};

use super::build::{build, Inputs};
use super::period::Period;
use super::{html, json, md, ReportData};
use crate::store::{DrillRecord, DrillStep};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("time")
        .with_timezone(&Utc)
}

fn drill(id: i64, at: &str, outcome: &str, restore: f64, reason: Option<&str>) -> DrillRecord {
    let start = t(at);
    let step = |name: &str, seconds: f64, ok: bool| DrillStep {
        name: name.into(),
        seconds,
        ok,
        detail: format!("{name} done"),
    };
    let passed = outcome == "passed";
    DrillRecord {
        id,
        venture: "acme".into(),
        started_at: start,
        finished_at: Some(start + TimeDelta::seconds(restore as i64 + 10)),
        outcome: outcome.into(),
        target_time: Some(start),
        rto_seconds: passed.then_some(restore + 2.5),
        rpo_seconds: passed.then_some(3.25),
        reason: reason.map(str::to_owned),
        log_excerpt: reason.map(|r| format!("LOG: {r}\nFATAL: it broke")),
        steps: vec![
            step("restore", restore, true),
            step("replay", 2.0, passed),
            step("validate", 0.5, passed),
            step("cleanup", 30.0, true),
        ],
    }
}

/// A year with three passed drills whose restore grows, and one failure with a hostile reason.
pub fn sample() -> ReportData {
    let now = t("2026-11-27T12:00:00Z");
    let snap = crate::metrics::synthetic::snapshot(1, now);
    let mut venture = (*snap.ventures[0]).clone();
    venture.name = "acme".into();
    build(&Inputs {
        venture,
        overridden: false,
        period: Period {
            since: t("2026-01-01T00:00:00Z"),
            until: now,
        },
        now,
        drills: vec![
            drill(1, "2026-02-01T03:00:00Z", "passed", 10.0, None),
            drill(
                2,
                "2026-05-01T03:00:00Z",
                "failed",
                4.0,
                Some("<script>alert('x')</script> restore | broke"),
            ),
            drill(3, "2026-05-02T03:00:00Z", "passed", 20.0, None),
            drill(4, "2026-08-01T03:00:00Z", "passed", 24.0, None),
        ],
        sends: Vec::new(),
        verifications: Vec::new(),
        failovers: Vec::new(),
        recoveries: Vec::new(),
        size_samples: Vec::new(),
        objective_events: Vec::new(),
        notes: Vec::new(),
    })
}

#[test]
fn markdown_names_the_dominant_phase_and_its_trend() {
    let r = sample();
    let d = r.dominant_phase.as_ref().expect("dominant");
    assert_eq!(d.phase, "restore");
    assert_eq!(d.trend.direction, "rising");
    let text = md::render(&r);
    assert!(text.contains("The restore phase dominates RTO: "), "{text}");
    assert!(text.contains("Trend of restore: rising"), "{text}");
    assert!(text.contains("| 2 | 2026-05-01 03:00:00 UTC |"), "{text}");
    // The failed drill: its reason (pipes escaped), its log and what followed.
    assert!(text.contains("restore \\| broke"), "{text}");
    assert!(text.contains("FATAL: it broke"), "{text}");
    assert!(
        text.contains("What followed: the next drill (3, 2026-05-02 03:00:00 UTC) passed"),
        "{text}"
    );
    assert!(text.contains("| 2026-Q1 | 1 | met |"), "{text}");
    assert!(text.contains("| 2026-Q4 | 0 | open |"), "{text}");
    assert_eq!(r.summary.drills_passed, 3);
    assert_eq!(r.summary.drills_failed, 1);
}

#[test]
fn html_escapes_every_text_and_needs_nothing_external() {
    let r = sample();
    let page = html::render(&r);
    assert!(!page.contains("<script"), "{page}");
    assert!(
        page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"),
        "{page}"
    );
    assert!(
        !page.contains("src=") && !page.contains("href="),
        "external asset"
    );
    assert!(page.starts_with("<!DOCTYPE html>") && page.trim_end().ends_with("</html>"));
    assert!(page.contains("The restore phase dominates RTO"));
    assert!(page.contains("@media print"));
}

#[test]
fn json_round_trips_with_stable_names() {
    let r = sample();
    let text = json::render(&r).expect("json");
    let back = json::parse(&text).expect("parses back");
    assert_eq!(back.drills, r.drills);
    assert_eq!(back.summary.quarters, r.summary.quarters);
    assert_eq!(json::render(&back).expect("json"), text);
    let v: serde_json::Value = serde_json::from_str(&text).expect("value");
    for key in [
        "venture",
        "period",
        "objectives",
        "summary",
        "drills",
        "dominant_phase",
        "coverage",
        "retention",
        "verifications",
        "failovers",
        "recoveries",
    ] {
        assert!(v.get(key).is_some(), "{key} missing");
    }
    assert_eq!(v["drills"][1]["outcome"], "failed");
    assert_eq!(v["dominant_phase"]["phase"], "restore");
}

#[test]
fn an_empty_period_says_there_is_no_evidence() {
    let mut r = sample();
    r.drills.clear();
    r.dominant_phase = None;
    let text = md::render(&r);
    assert!(text.contains("No drill ran in the period."), "{text}");
    assert!(text.contains("no phase can be named"), "{text}");
}
