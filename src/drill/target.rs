//! Which point a drill restores (pure): the latest recoverable point, an explicit `--to TIME`,
//! or a random point inside the newest piece of the PITR window (`target = "random"`).
//!
//! A random target keeps clear of the piece's end: that end is only an upper bound (the archive
//! time of the newest segment), and a target after the last archived commit makes PostgreSQL
//! end recovery before the target — a failed drill that says nothing about the backups. So the
//! draw is uniform over `[start, end − guard]` with `guard = min(half the piece, 10 min)`.

use chrono::{DateTime, TimeDelta, Utc};

use crate::config::DrillTarget;
use crate::pitr::Window;

/// What the caller asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetRequest {
    /// The venture's `[ventures.drill] target` (the scheduler).
    Configured,
    /// The newest recoverable point.
    Latest,
    /// A point in time (`backstop drill --to`).
    At(DateTime<Utc>),
}

/// The resolved target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Replay every archived WAL segment, then promote; the target time is when replay ended.
    Latest,
    /// Replay up to this time (`recovery_target_time`), then promote.
    At(DateTime<Utc>),
}

impl Target {
    /// `latest` or `time`, for logs and the JSON output.
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Latest => "latest",
            Target::At(_) => "time",
        }
    }
}

/// The longest stretch kept free at the end of a piece for random targets.
pub const RANDOM_GUARD: TimeDelta = TimeDelta::minutes(10);

/// Resolves a request: `draw` is a random number (only used for `random`).
pub fn resolve(
    configured: DrillTarget,
    request: TargetRequest,
    window: Option<&Window>,
    draw: u64,
) -> Result<Target, String> {
    match (request, configured) {
        (TargetRequest::At(t), _) => Ok(Target::At(t)),
        (TargetRequest::Latest, _) | (TargetRequest::Configured, DrillTarget::Latest) => {
            Ok(Target::Latest)
        }
        (TargetRequest::Configured, DrillTarget::Random) => random_in(window, draw)
            .map(Target::At)
            .ok_or_else(|| {
                "nothing is recoverable: no window piece to draw a random target from (run a full backup and check archiving)".to_owned()
            }),
    }
}

/// A point drawn from `[start, end − guard]` of the newest piece; `None` without a piece.
pub fn random_in(window: Option<&Window>, draw: u64) -> Option<DateTime<Utc>> {
    let piece = window?.newest()?;
    let span = piece.end - piece.start;
    let guard = (span / 2).min(RANDOM_GUARD);
    let usable_ms = (span - guard).num_milliseconds().max(0) as u64;
    let offset = if usable_ms == 0 {
        0
    } else {
        draw % (usable_ms + 1)
    };
    Some(piece.start + TimeDelta::milliseconds(offset as i64))
}

/// A random number without a dependency: the std hasher's per-process random keys over the time.
pub fn draw() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.finish()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::pitr::Piece;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(s, 0).single().expect("ts")
    }

    fn window(pieces: &[(i64, i64)]) -> Window {
        Window {
            pieces: pieces
                .iter()
                .map(|&(start, end)| Piece {
                    start: t(start),
                    end: t(end),
                    base_backup: "b".into(),
                    first_segment: "s".into(),
                    last_segment: "e".into(),
                    backups: Vec::new(),
                })
                .collect(),
            ..Window::default()
        }
    }

    #[test]
    fn requests_resolve() {
        let w = window(&[(0, 100), (10_000, 20_000)]);
        let cases = [
            (
                DrillTarget::Latest,
                TargetRequest::Configured,
                Ok(Target::Latest),
            ),
            (
                DrillTarget::Random,
                TargetRequest::Latest,
                Ok(Target::Latest),
            ),
            (
                DrillTarget::Random,
                TargetRequest::At(t(5)),
                Ok(Target::At(t(5))),
            ),
            (
                DrillTarget::Latest,
                TargetRequest::At(t(5)),
                Ok(Target::At(t(5))),
            ),
            (
                DrillTarget::Random,
                TargetRequest::Configured,
                Ok(Target::At(t(10_000))),
            ),
        ];
        for (configured, request, want) in cases {
            assert_eq!(
                resolve(configured, request, Some(&w), 0),
                want,
                "{configured} {request:?}"
            );
        }
        let e = resolve(DrillTarget::Random, TargetRequest::Configured, None, 0);
        assert!(e.expect_err("no window").contains("nothing is recoverable"));
    }

    #[test]
    fn random_targets_stay_in_the_newest_piece_clear_of_its_end() {
        // A 10 000 s piece: the last 600 s are kept free.
        let w = window(&[(0, 100), (10_000, 20_000)]);
        for draw in [0, 1, 999, 9_399_999, 9_400_000, 9_400_001, u64::MAX] {
            let at = random_in(Some(&w), draw).expect("a target");
            assert!(at >= t(10_000) && at <= t(19_400), "{draw}: {at}");
        }
        assert_eq!(random_in(Some(&w), 9_400_000), Some(t(19_400)));
        // A 60 s piece: half of it is kept free.
        let short = window(&[(0, 60)]);
        assert_eq!(random_in(Some(&short), 30_000), Some(t(30)));
        assert_eq!(random_in(Some(&short), 30_001), Some(t(0)));
        // A piece of one instant.
        assert_eq!(random_in(Some(&window(&[(7, 7)])), 12345), Some(t(7)));
        assert_eq!(random_in(Some(&Window::default()), 1), None);
        assert_ne!(draw(), draw(), "two draws differ");
    }
}
