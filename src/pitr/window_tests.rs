//! Table tests of [`compute_window`].

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::*;
use crate::pitr::parse_history;
use crate::postgres::wal::segment_file_name;

const MIB: u64 = 1 << 20;
const S16: u64 = 16 * MIB;

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 0, 0, 0).unwrap()
}

/// Archive time of segment `segno`: one minute per segment.
fn at(segno: u64) -> DateTime<Utc> {
    base() + Duration::minutes(i64::try_from(segno).unwrap())
}

fn name(tli: u32, segno: u64) -> String {
    segment_file_name(tli, segno, S16)
}

fn seg(name: &str, archived_at: DateTime<Utc>) -> ArchivedSegment {
    ArchivedSegment {
        name: name.to_owned(),
        archived_at,
        size: 1000,
    }
}

/// TLI-1 segments `range` at 16 MiB, except `missing`.
fn segs(range: std::ops::RangeInclusive<u64>, missing: &[u64]) -> Vec<ArchivedSegment> {
    range
        .filter(|s| !missing.contains(s))
        .map(|s| seg(&name(1, s), at(s)))
        .collect()
}

/// A TLI-1 backup needing `start..=stop`, stopped 30 s before its stop segment was archived.
fn backup(label: &str, start: u64, stop: u64) -> BackupPoint {
    backup_on(label, &name(1, start), &name(1, stop), at(stop))
}

fn backup_on(label: &str, start: &str, stop: &str, archived: DateTime<Utc>) -> BackupPoint {
    BackupPoint {
        label: label.to_owned(),
        start: archived - Duration::minutes(5),
        stop: archived - Duration::seconds(30),
        archive_start: start.to_owned(),
        archive_stop: stop.to_owned(),
        usable: true,
    }
}

fn stop_of(b: &BackupPoint) -> DateTime<Utc> {
    b.stop
}

/// (start, end, base, first, last) of each piece.
type Shape = (DateTime<Utc>, DateTime<Utc>, String, String, String);

fn shape(w: &Window) -> Vec<Shape> {
    w.pieces
        .iter()
        .map(|p| {
            (
                p.start,
                p.end,
                p.base_backup.clone(),
                p.first_segment.clone(),
                p.last_segment.clone(),
            )
        })
        .collect()
}

fn piece(b: &BackupPoint, end: DateTime<Utc>, first: &str, last: &str) -> Shape {
    (
        stop_of(b),
        end,
        b.label.clone(),
        first.to_owned(),
        last.to_owned(),
    )
}

fn compute(backups: &[BackupPoint], segments: &[ArchivedSegment]) -> Window {
    compute_window(backups, segments, &[], S16).unwrap()
}

#[test]
fn contiguous_single_timeline() {
    let (a, b) = (backup("A", 2, 2), backup("B", 6, 7));
    let w = compute(&[b.clone(), a.clone()], &segs(1..=10, &[]));
    assert_eq!(
        shape(&w),
        vec![piece(&a, at(10), &name(1, 2), &name(1, 10))]
    );
    let labels: Vec<&str> = w.pieces[0]
        .backups
        .iter()
        .map(|b| b.label.as_str())
        .collect();
    assert_eq!(labels, ["A", "B"]);
    assert_eq!((w.missing_segments, w.gaps.len()), (0, 0));
    assert_eq!(w.timeline, Some(1));
    assert_eq!(w.archived_bytes, 10_000);
    // Earliest is the oldest backup's stop, not its start.
    assert_eq!(w.earliest(), Some(a.stop));
    assert_ne!(w.earliest(), Some(a.start));
}

#[test]
fn one_missing_segment_splits_the_window() {
    let (a, b) = (backup("A", 2, 2), backup("B", 7, 7));
    let w = compute(&[a.clone(), b.clone()], &segs(1..=10, &[5]));
    assert_eq!(
        shape(&w),
        vec![
            piece(&a, at(4), &name(1, 2), &name(1, 4)),
            piece(&b, at(10), &name(1, 7), &name(1, 10)),
        ]
    );
    assert_eq!(w.missing_segments, 1);
    assert_eq!(
        w.gaps,
        vec![Gap {
            after_segment: Some(name(1, 4)),
            before_segment: Some(name(1, 6)),
            missing: 1,
            missing_names: vec![name(1, 5)],
            last_missing: name(1, 5),
        }]
    );
}

#[test]
fn gap_before_the_newest_backup_cuts_older_backups_off() {
    // The gap lies inside A's own WAL: A cannot be restored at all; one piece from B.
    let (a, b) = (backup("A", 2, 4), backup("B", 6, 6));
    let w = compute(&[a, b.clone()], &segs(1..=10, &[3]));
    assert_eq!(
        shape(&w),
        vec![piece(&b, at(10), &name(1, 6), &name(1, 10))]
    );
    assert_eq!(w.missing_segments, 1);
    // The gap lies after A's own WAL: A keeps an isolated piece up to the gap, the newest piece
    // starts at B's stop.
    let (a, b) = (backup("A", 2, 3), backup("B", 6, 6));
    let w = compute(&[a.clone(), b.clone()], &segs(1..=10, &[5]));
    assert_eq!(
        shape(&w),
        vec![
            piece(&a, at(4), &name(1, 2), &name(1, 4)),
            piece(&b, at(10), &name(1, 6), &name(1, 10)),
        ]
    );
    assert_eq!(w.newest().map(|p| p.start), Some(b.stop));
}

#[test]
fn multiple_gaps() {
    let (a, b, c) = (backup("A", 1, 1), backup("B", 9, 9), backup("C", 15, 16));
    let w = compute(
        &[a.clone(), b.clone(), c.clone()],
        &segs(1..=20, &[5, 6, 7, 12]),
    );
    assert_eq!(
        shape(&w),
        vec![
            piece(&a, at(4), &name(1, 1), &name(1, 4)),
            piece(&b, at(11), &name(1, 9), &name(1, 11)),
            piece(&c, at(20), &name(1, 15), &name(1, 20)),
        ]
    );
    assert_eq!(w.missing_segments, 4);
    let counts: Vec<u64> = w.gaps.iter().map(|g| g.missing).collect();
    assert_eq!(counts, [3, 1]);
    assert_eq!(
        w.gaps[0].missing_names,
        vec![name(1, 5), name(1, 6), name(1, 7)]
    );
    assert_eq!(w.gaps[0].last_missing, name(1, 7));
    // A long gap lists only the first few names.
    let w = compute(&[a, c], &segs(1..=40, &(20..=30).collect::<Vec<_>>()));
    assert_eq!(w.missing_segments, 11);
    assert_eq!(w.gaps[0].missing_names.len(), GAP_NAMES_SHOWN);
    assert_eq!(w.gaps[0].missing_names[0], name(1, 20));
    assert_eq!(w.gaps[0].last_missing, name(1, 30));
    assert_eq!(w.pieces.len(), 1); // nothing after the gap has a backup
    assert_eq!(
        w.exposure(at(40)),
        Some(std::time::Duration::from_secs(21 * 60))
    );
}

#[test]
fn log_boundaries_use_the_real_segment_size() {
    // (segment size, names in order, index of the first name of the next log id)
    let cases: [(u64, [&str; 4]); 3] = [
        (
            MIB,
            [
                "000000010000000000000FFE",
                "000000010000000000000FFF",
                "000000010000000100000000",
                "000000010000000100000001",
            ],
        ),
        (
            S16,
            [
                "0000000100000000000000FE",
                "0000000100000000000000FF",
                "000000010000000100000000",
                "000000010000000100000001",
            ],
        ),
        (
            64 * MIB,
            [
                "00000001000000000000003E",
                "00000001000000000000003F",
                "000000010000000100000000",
                "000000010000000100000001",
            ],
        ),
    ];
    for (size, names) in cases {
        let minute = |i: usize| base() + Duration::minutes(i64::try_from(i).unwrap());
        let all: Vec<ArchivedSegment> = names
            .iter()
            .enumerate()
            .map(|(i, n)| seg(n, minute(i)))
            .collect();
        let b = backup_on("A", names[0], names[0], minute(0));
        let w = compute_window(std::slice::from_ref(&b), &all, &[], size).unwrap();
        assert_eq!(w.missing_segments, 0, "{size}");
        assert_eq!(
            shape(&w),
            vec![piece(&b, minute(3), names[0], names[3])],
            "{size}"
        );
        // Without the first segment of the new log id: exactly that one is missing.
        let holed: Vec<ArchivedSegment> =
            all.iter().filter(|s| s.name != names[2]).cloned().collect();
        let w = compute_window(std::slice::from_ref(&b), &holed, &[], size).unwrap();
        assert_eq!(w.missing_segments, 1, "{size}");
        assert_eq!(w.gaps[0].missing_names, vec![names[2].to_owned()], "{size}");
        assert_eq!(w.gaps[0].after_segment.as_deref(), Some(names[1]), "{size}");
    }
}

#[test]
fn follows_a_timeline_switch() {
    // Promotion inside segment 5: TLI 1 holds 1..=4 (and 5 as .partial), TLI 2 from 5 on.
    let history = parse_history(2, "1\t0/5000028\tno recovery target specified\n").unwrap();
    let mut all = segs(1..=4, &[]);
    all.push(seg(&format!("{}.partial", name(1, 5)), at(5)));
    all.push(seg("00000002.history", at(5)));
    all.extend((5..=8).map(|s| seg(&name(2, s), at(s))));
    let a = backup("A", 2, 2);
    let b = backup_on("B", &name(2, 6), &name(2, 6), at(6));
    let run = |segments: &[ArchivedSegment], histories: &[TimelineHistory]| {
        compute_window(&[a.clone(), b.clone()], segments, histories, S16).unwrap()
    };
    let hist = std::slice::from_ref(&history);
    let w = run(&all, hist);
    assert_eq!(shape(&w), vec![piece(&a, at(8), &name(1, 2), &name(2, 8))]);
    assert_eq!(
        (w.missing_segments, w.timeline, w.off_chain_segments),
        (0, Some(2), 0)
    );
    assert_eq!(w.pieces[0].backups.len(), 2);

    // The child's first segment missing: the parent's .partial does not stand in for it.
    let holed: Vec<ArchivedSegment> = all
        .iter()
        .filter(|s| s.name != name(2, 5))
        .cloned()
        .collect();
    let w = run(&holed, hist);
    assert_eq!(w.gaps[0].missing_names, vec![name(2, 5)]);
    assert_eq!(w.gaps[0].after_segment, Some(name(1, 4)));
    assert_eq!(w.gaps[0].before_segment, Some(name(2, 6)));
    assert_eq!(
        shape(&w),
        vec![
            piece(&a, at(4), &name(1, 2), &name(1, 4)),
            piece(&b, at(8), &name(2, 6), &name(2, 8)),
        ]
    );

    // The old primary kept archiving complete segments on TLI 1 past the switch: off the chain.
    let mut split = all.clone();
    split.extend([5, 6].map(|s| seg(&name(1, s), at(s))));
    let w = run(&split, hist);
    assert_eq!((w.off_chain_segments, w.missing_segments), (2, 0));
    assert_eq!(w.pieces.len(), 1);

    // Without the history file the switch cannot be followed: the chain stays on TLI 1.
    let w = run(&all, &[]);
    assert_eq!(w.timeline, Some(1));
    assert_eq!(w.off_chain_segments, 4);
    assert_eq!(shape(&w), vec![piece(&a, at(4), &name(1, 2), &name(1, 4))]);
}

#[test]
fn backup_whose_stop_segment_is_missing() {
    let (a, b) = (backup("A", 2, 4), backup("B", 6, 6));
    let w = compute(&[a, b.clone()], &segs(1..=10, &[4]));
    assert_eq!(
        shape(&w),
        vec![piece(&b, at(10), &name(1, 6), &name(1, 10))]
    );
    // A stop segment beyond everything archived: missing, and the gap closes the range.
    let c = backup("C", 12, 12);
    let w = compute(&[b.clone(), c], &segs(1..=10, &[]));
    assert_eq!(w.missing_segments, 2);
    assert_eq!(w.gaps[0].after_segment, Some(name(1, 10)));
    assert_eq!(w.gaps[0].before_segment, None);
    assert_eq!(w.pieces.len(), 1);
    // A start segment below everything archived: the gap opens the range.
    let d = backup("D", 0, 1);
    let w = compute(&[d, b], &segs(1..=10, &[]));
    assert_eq!(w.missing_segments, 1);
    assert_eq!(w.gaps[0].after_segment, None);
    assert_eq!(w.pieces[0].base_backup, "B");
}

#[test]
fn no_backups_no_pieces() {
    let w = compute(&[], &segs(1..=5, &[3]));
    assert!(w.pieces.is_empty());
    assert_eq!(w.missing_segments, 1);
    assert_eq!(w.exposure(at(10)), None);
    let w = compute(&[], &[]);
    assert_eq!(w, Window::default());
    // A run without a backup before it is not recoverable.
    let w = compute(&[backup("A", 2, 2)], &segs(1..=10, &[5]));
    assert_eq!(w.pieces.len(), 1);
    assert_eq!(w.pieces[0].last_segment, name(1, 4));
}

#[test]
fn non_segments_duplicates_and_unusable_backups() {
    let mut all = segs(1..=6, &[]);
    all.push(seg("00000002.history", at(3)));
    all.push(seg(&format!("{}.00000028.backup", name(1, 3)), at(3)));
    all.push(seg(&format!("{}.partial", name(1, 7)), at(7)));
    all.push(seg(&name(1, 6), at(9))); // re-pushed later: the earlier time is kept
    all.push(seg("not-a-wal-file", at(9)));
    all.push(seg("000000010000000000000100", at(9))); // out of range at 16 MiB
    let a = backup("A", 2, 2);
    let broken = BackupPoint {
        usable: false,
        ..backup("Z", 1, 1)
    };
    let odd = backup_on("Y", "garbage", &name(1, 1), at(1));
    let w = compute(&[broken, odd, a.clone()], &all);
    assert_eq!(shape(&w), vec![piece(&a, at(6), &name(1, 2), &name(1, 6))]);
    assert_eq!(w.missing_segments, 0);
    assert_eq!(w.archived_bytes, 12_000);
    // A `.history` name among the files does not change the chain (histories come parsed).
    assert_eq!((w.timeline, w.off_chain_segments), (Some(1), 0));
}

#[test]
fn piece_end_never_precedes_its_start() {
    let mut b = backup("A", 2, 2);
    b.stop = at(9); // the repository clock is behind the database's
    let w = compute(std::slice::from_ref(&b), &segs(1..=3, &[]));
    assert_eq!((w.pieces[0].start, w.pieces[0].end), (at(9), at(9)));
}

#[test]
fn invalid_segment_size() {
    assert_eq!(
        compute_window(&[], &[], &[], 3 * MIB),
        Err(PitrError::SegmentSize(3 * MIB))
    );
}
