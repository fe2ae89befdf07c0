//! A recovery target against the window: inside a piece (and from which backup), in a gap, or
//! outside the window, with the nearest recoverable points for a refusal.

use chrono::{DateTime, Utc};

use super::Window;

/// Where a target time falls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Located {
    /// Recoverable from `window.pieces[piece]`.
    Inside {
        /// Index into `Window::pieces`.
        piece: usize,
        /// The newest backup of that piece stopped at or before the target: the least WAL to
        /// replay (pass it explicitly, `--set`, as pgBackRest's own choice needs stop < target).
        base_backup: String,
    },
    /// Between two pieces: not recoverable; the nearest points on either side.
    InGap {
        /// Latest recoverable point before the target (end of the piece before).
        before: DateTime<Utc>,
        /// Earliest recoverable point after the target (start of the piece after).
        after: DateTime<Utc>,
    },
    /// Before the earliest recoverable point.
    BeforeWindow {
        /// The earliest recoverable point.
        earliest: DateTime<Utc>,
    },
    /// After the latest recoverable point (an upper bound, so a target just before it may
    /// still find less WAL than hoped; a drill measures the real one).
    AfterWindow {
        /// The latest recoverable point.
        latest: DateTime<Utc>,
    },
    /// Nothing is recoverable.
    NoWindow,
}

/// Places `target` in `window`. Bounds are inclusive; when pieces overlap in time (a late
/// archived segment before a gap), the newest piece containing the target wins, since its start
/// is exact while an end is only an upper bound.
pub fn locate(window: &Window, target: DateTime<Utc>) -> Located {
    let inside = window
        .pieces
        .iter()
        .enumerate()
        .rev()
        .find(|(_, p)| p.start <= target && target <= p.end);
    if let Some((index, piece)) = inside {
        let base = piece
            .backups
            .iter()
            .rev()
            .find(|b| b.stop <= target)
            .map_or(&piece.base_backup, |b| &b.label);
        return Located::Inside {
            piece: index,
            base_backup: base.clone(),
        };
    }
    let before = window
        .pieces
        .iter()
        .map(|p| p.end)
        .filter(|&end| end < target)
        .max();
    let after = window
        .pieces
        .iter()
        .map(|p| p.start)
        .filter(|&start| start > target)
        .min();
    match (before, after) {
        (Some(before), Some(after)) => Located::InGap { before, after },
        (None, Some(earliest)) => Located::BeforeWindow { earliest },
        (Some(latest), None) => Located::AfterWindow { latest },
        (None, None) => Located::NoWindow,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::TimeZone;

    use super::super::{Piece, PieceBackup};
    use super::*;

    fn t(minute: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, 1, 12, minute, 0).unwrap()
    }

    fn piece(start: u32, end: u32, backups: &[(&str, u32)]) -> Piece {
        Piece {
            start: t(start),
            end: t(end),
            base_backup: backups[0].0.to_owned(),
            first_segment: "000000010000000000000001".into(),
            last_segment: "000000010000000000000009".into(),
            backups: backups
                .iter()
                .map(|&(label, stop)| PieceBackup {
                    label: label.into(),
                    stop: t(stop),
                })
                .collect(),
        }
    }

    fn window() -> Window {
        Window {
            pieces: vec![
                piece(10, 20, &[("A", 10)]),
                piece(30, 50, &[("B", 30), ("C", 40)]),
            ],
            ..Window::default()
        }
    }

    #[test]
    fn locate_table() {
        let w = window();
        let inside = |piece: usize, base: &str| Located::Inside {
            piece,
            base_backup: base.into(),
        };
        let cases = [
            (5, Located::BeforeWindow { earliest: t(10) }),
            (10, inside(0, "A")),
            (15, inside(0, "A")),
            (20, inside(0, "A")),
            (
                25,
                Located::InGap {
                    before: t(20),
                    after: t(30),
                },
            ),
            (30, inside(1, "B")),
            (39, inside(1, "B")),
            (40, inside(1, "C")),
            (50, inside(1, "C")),
            (55, Located::AfterWindow { latest: t(50) }),
        ];
        for (minute, want) in cases {
            assert_eq!(locate(&w, t(minute)), want, "minute {minute}");
        }
        assert_eq!(locate(&Window::default(), t(1)), Located::NoWindow);
    }

    #[test]
    fn overlapping_pieces_prefer_the_newest() {
        let w = Window {
            pieces: vec![piece(10, 35, &[("A", 10)]), piece(30, 50, &[("B", 30)])],
            ..Window::default()
        };
        assert_eq!(
            locate(&w, t(32)),
            Located::Inside {
                piece: 1,
                base_backup: "B".into()
            }
        );
    }

    #[test]
    fn exposure_and_bounds() {
        let w = window();
        assert_eq!(w.earliest(), Some(t(10)));
        assert_eq!(w.latest(), Some(t(50)));
        assert_eq!(w.newest().map(|p| p.start), Some(t(30)));
        assert_eq!(w.exposure(t(55)), Some(Duration::from_secs(300)));
        assert_eq!(w.exposure(t(50)), Some(Duration::ZERO));
        assert_eq!(w.exposure(t(45)), Some(Duration::ZERO)); // clock behind the repository
        assert_eq!(Window::default().exposure(t(55)), None);
    }
}
