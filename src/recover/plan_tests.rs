//! The plan against a window of two pieces split by a gap: inside (which backup, which WAL
//! range), in the gap, before, after, and without a window.

use chrono::{TimeDelta, TimeZone};

use super::*;
use crate::pitr::{Piece, PieceBackup};

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, h, m, 0)
        .single()
        .expect("valid")
}

fn seg(n: u32) -> String {
    format!("00000001000000000000{n:04X}")
}

fn window() -> Window {
    let backup = |label: &str, stop| PieceBackup {
        label: label.to_owned(),
        stop,
    };
    Window {
        pieces: vec![
            Piece {
                start: at(1, 0),
                end: at(3, 0),
                base_backup: "F1".to_owned(),
                first_segment: seg(1),
                last_segment: seg(5),
                backups: vec![backup("F1", at(1, 0)), backup("I1", at(2, 0))],
            },
            Piece {
                start: at(5, 0),
                end: at(8, 0),
                base_backup: "F2".to_owned(),
                first_segment: seg(9),
                last_segment: seg(12),
                backups: vec![backup("F2", at(5, 0))],
            },
        ],
        ..Default::default()
    }
}

fn archive() -> Vec<ArchivedFile> {
    (1..=12)
        .filter(|n| !(6..=8).contains(n))
        .map(|n| ArchivedFile {
            archive_id: "15-1".to_owned(),
            path: format!("15-1/0000000100000000/{}", seg(n)),
            name: seg(n),
            size: 1 << 20,
            time: at(0, 30) + TimeDelta::minutes(30 * i64::from(n)),
        })
        .collect()
}

fn input<'a>(w: Option<&'a Window>, a: &'a [ArchivedFile], target: DateTime<Utc>) -> PlanInput<'a> {
    PlanInput {
        venture: "acme",
        stanza: "acme",
        config: Path::new("/etc/pgbackrest/pgbackrest.conf"),
        command: "sudo -u postgres pgbackrest",
        window: w,
        archive: a,
        target,
        target_dir: Some(Path::new("/srv/restore")),
    }
}

#[test]
fn inside_names_the_newest_backup_before_the_target_and_the_wal_range() {
    let (w, a) = (window(), archive());
    // (target, base backup, last segment)
    let cases = [
        (at(1, 0), "F1", seg(1)),
        (at(1, 50), "F1", seg(3)),
        (at(2, 0), "I1", seg(3)),
        (at(2, 40), "I1", seg(5)),
        (at(3, 0), "I1", seg(5)),
        (at(7, 10), "F2", seg(12)),
        (at(5, 0), "F2", seg(9)),
    ];
    for (target, base, last) in cases {
        let p = plan(&input(Some(&w), &a, target)).expect("inside");
        assert_eq!(p.base_backup, base, "{target}");
        assert_eq!(p.last_segment, last, "{target}");
        let piece = if target < at(4, 0) { 0 } else { 1 };
        assert_eq!(p.first_segment, w.pieces[piece].first_segment, "{target}");
        assert_eq!(p.restore_args[1], format!("--set={base}"));
    }
}

#[test]
fn the_restore_command_is_exact() {
    let (w, a) = (window(), archive());
    let target = at(2, 30) + TimeDelta::milliseconds(250);
    let p = plan(&input(Some(&w), &a, target)).expect("inside");
    assert_eq!(
        p.restore_args,
        [
            "restore",
            "--set=I1",
            "--type=time",
            "--target=2026-11-27 02:30:00.250000+00",
            "--target-action=promote",
            "--target-timeline=current",
            "--archive-mode=off",
            "--pg1-path=/srv/restore",
            "--delta",
        ]
    );
    assert!(p.steps[0].contains(
        "sudo -u postgres pgbackrest --stanza=acme --config=/etc/pgbackrest/pgbackrest.conf restore --set=I1 --type=time \"--target=2026-11-27 02:30:00.250000+00\" --target-action=promote --target-timeline=current --archive-mode=off --pg1-path=/srv/restore --delta"
    ), "{}", p.steps[0]);
    let text = render(&p);
    assert!(text.contains("base backup:  I1 (--set)"), "{text}");
    assert!(
        text.contains(&format!("WAL range:    {} .. {}", seg(1), seg(5))),
        "{text}"
    );
    assert!(text.contains("pg_is_in_recovery()"), "{text}");
}

#[test]
fn outside_the_window_refuses_with_the_nearest_points() {
    let (w, a) = (window(), archive());
    let cases = [
        (
            at(0, 30),
            "earliest recoverable point is 2026-11-27T01:00:00Z",
        ),
        (
            at(4, 0),
            "2026-11-27T03:00:00Z (before) and 2026-11-27T05:00:00Z (after)",
        ),
        (at(9, 0), "latest recoverable point is 2026-11-27T08:00:00Z"),
    ];
    for (target, want) in cases {
        let e = plan(&input(Some(&w), &a, target)).expect_err("refused");
        assert_eq!(e.exit_code(), 1, "{e}");
        assert!(e.to_string().contains(want), "{target}: {e}");
    }
    for w in [None, Some(&Window::default())] {
        let e = plan(&input(w, &a, at(2, 0))).expect_err("refused");
        assert!(e.to_string().contains("nothing is recoverable"), "{e}");
    }
}
