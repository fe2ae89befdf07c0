//! Table tests of the drill schedule with an injected clock, and a simulated timeline with a
//! stubbed drill (durations only) for overlap and miss counting.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::*;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().expect("RFC 3339")
}

#[test]
fn next_due_times_are_utc_and_the_default_is_quarterly() {
    let quarterly = Schedule::parse("0 3 1 */3 *").expect("parses");
    let cases = [
        ("2026-01-01T02:59:59Z", "2026-01-01T03:00:00Z"),
        ("2026-01-01T03:00:00Z", "2026-04-01T03:00:00Z"),
        ("2026-02-15T12:00:00Z", "2026-04-01T03:00:00Z"),
        ("2026-11-27T13:00:00Z", "2027-01-01T03:00:00Z"),
    ];
    for (now, next) in cases {
        assert_eq!(quarterly.next_after(t(now)), Some(t(next)), "after {now}");
    }
    let seconds = Schedule::parse("*/5 * * * * *").expect("6 fields parse (tests)");
    assert_eq!(
        seconds.next_after(t("2026-01-01T00:00:01Z")),
        Some(t("2026-01-01T00:00:05Z"))
    );
    assert!(Schedule::parse("every quarter").is_err());
    assert_eq!(quarterly.text(), "0 3 1 */3 *");
}

#[test]
fn catch_up_counts_every_due_time_since_the_last_drill_and_runs_once() {
    let daily = Schedule::parse("0 3 * * *").expect("parses");
    let now = t("2026-03-10T12:00:00Z");
    let cases = [
        // (last drill started, missed, catch-up run)
        (None, 0, false),
        (Some("2026-03-10T03:00:00Z"), 0, false),
        (Some("2026-03-10T02:59:00Z"), 1, true),
        (Some("2026-03-09T03:00:00Z"), 1, true),
        (Some("2026-03-07T04:00:00Z"), 3, true),
        (Some("2026-03-10T11:00:00Z"), 0, false),
    ];
    for (last, missed, run) in cases {
        assert_eq!(
            catch_up(&daily, last.map(t), now),
            CatchUp { missed, run },
            "last drill {last:?}"
        );
    }
    let every_second = Schedule::parse("* * * * * *").expect("parses");
    let ancient = catch_up(&every_second, Some(t("2020-01-01T00:00:00Z")), now);
    assert_eq!(ancient.missed, MAX_COUNTED, "counting is bounded");
}

#[test]
fn due_runs_start_only_for_a_ready_leader_without_overlap() {
    let cases = [
        (Some(true), true, false, Due::Run),
        (Some(false), true, false, Due::NotLeader),
        (Some(false), false, true, Due::NotLeader),
        (None, true, false, Due::Missed(Miss::LeaderUnknown)),
        (Some(true), true, true, Due::Missed(Miss::Overlap)),
        (Some(true), false, false, Due::Missed(Miss::NotReady)),
    ];
    for (leader, ready, running, due) in cases {
        assert_eq!(
            at_due(leader, ready, running),
            due,
            "{leader:?} {ready} {running}"
        );
    }
    assert!(Miss::Overlap.to_string().contains("still running"));
}

/// The scheduler's loop on a virtual clock: each due time asks [`at_due`]; a drill takes
/// `duration`; returns (drills started, runs missed).
fn simulate(
    schedule: &Schedule,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    duration: TimeDelta,
    leader: impl Fn(DateTime<Utc>) -> Option<bool>,
) -> (u32, u64) {
    let (mut started, mut missed) = (0, 0);
    let mut running_until: Option<DateTime<Utc>> = None;
    let mut now = start;
    while let Some(due) = schedule.next_after(now).filter(|d| *d <= end) {
        now = due;
        let running = running_until.is_some_and(|u| u > now);
        match at_due(leader(now), true, running) {
            Due::Run => {
                started += 1;
                running_until = Some(now + duration);
            }
            Due::NotLeader => {}
            Due::Missed(_) => missed += 1,
        }
    }
    (started, missed)
}

#[test]
fn a_simulated_timeline_skips_overlaps_and_counts_them() {
    let every_10s = Schedule::parse("*/10 * * * * *").expect("parses");
    let start = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("time");
    let end = start + TimeDelta::seconds(60);
    // Drills shorter than the period: all six due times run.
    assert_eq!(
        simulate(&every_10s, start, end, TimeDelta::seconds(4), |_| Some(
            true
        )),
        (6, 0)
    );
    // 25 s drills: each run overlaps the next two due times.
    assert_eq!(
        simulate(&every_10s, start, end, TimeDelta::seconds(25), |_| Some(
            true
        )),
        (2, 4)
    );
    // Leadership moves away after 30 s: the other agent runs those, nothing is missed here.
    let lead = |at: DateTime<Utc>| Some(at <= start + TimeDelta::seconds(30));
    assert_eq!(
        simulate(&every_10s, start, end, TimeDelta::seconds(4), lead),
        (3, 0)
    );
    // The store did not answer for the first 20 s.
    let unknown = |at: DateTime<Utc>| (at > start + TimeDelta::seconds(20)).then_some(true);
    assert_eq!(
        simulate(&every_10s, start, end, TimeDelta::seconds(4), unknown),
        (4, 2)
    );
}
