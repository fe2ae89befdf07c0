//! The window computation: archived segments and backups in, pieces and gaps out.
//!
//! 1. The chain: the newest reachable timeline and, from its history file, which timeline each
//!    segment number must be on ([`super::timeline`]).
//! 2. Present segments: complete segments (not `.partial`, `.backup` or `.history`) whose
//!    timeline is the chain's for their number; duplicates keep the earliest archive time (the
//!    tightest upper bound). Names the segment size rejects are skipped.
//! 3. The retained range: from the lowest of the first present segment and every usable
//!    backup's `archive_start`, to the highest of the last present segment and every usable
//!    backup's `archive_stop`. Every number in it without a present segment is missing, also
//!    where pgBackRest's `repo-retention-archive` expired WAL between older backups on purpose
//!    (those backups keep their own WAL and show as isolated pieces).
//! 4. Runs of contiguous present segments; a run holding some usable backup's whole
//!    `archive_start..=archive_stop` is a piece based on the oldest such backup.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::postgres::wal::{check_segment_size, parse_wal_file_name, segment_file_name, WalFile};

use super::timeline::{Chain, TimelineHistory};
use super::{
    ArchivedSegment, BackupPoint, Gap, Piece, PieceBackup, PitrError, Window, GAP_NAMES_SHOWN,
};

/// `(timeline, segment number)` of a complete segment.
type SegmentId = (u32, u64);

/// A usable backup with its own WAL range.
struct Placed<'a> {
    backup: &'a BackupPoint,
    start: u64,
    stop: u64,
    /// Timelines of `archive_start` and `archive_stop`.
    timelines: (u32, u32),
}

/// Computes the PITR window. `histories` are the parsed history files present in the archive
/// ([`super::parse_history`]); backups whose archive names do not parse with this segment size,
/// or that lie off the chain, take no part. Fails only on an invalid segment size.
pub fn compute_window(
    backups: &[BackupPoint],
    segments: &[ArchivedSegment],
    histories: &[TimelineHistory],
    wal_segment_size: u64,
) -> Result<Window, PitrError> {
    let seg_size = wal_segment_size;
    check_segment_size(seg_size).map_err(|_| PitrError::SegmentSize(seg_size))?;
    let archived_bytes = segments.iter().map(|s| s.size).sum();

    let complete: Vec<(u32, u64, DateTime<Utc>)> = segments
        .iter()
        .filter_map(|s| match parse_wal_file_name(&s.name, seg_size).ok()? {
            WalFile::Segment {
                timeline,
                segno,
                partial: false,
            } => Some((timeline, segno, s.archived_at)),
            _ => None,
        })
        .collect();
    let mut placed: Vec<Placed> = backups
        .iter()
        .filter(|b| b.usable)
        .filter_map(|backup| {
            let start = complete_segment(&backup.archive_start, seg_size)?;
            let stop = complete_segment(&backup.archive_stop, seg_size)?;
            (start.1 <= stop.1).then_some(Placed {
                backup,
                start: start.1,
                stop: stop.1,
                timelines: (start.0, stop.0),
            })
        })
        .collect();
    let seen: Vec<u32> = complete
        .iter()
        .map(|c| c.0)
        .chain(placed.iter().flat_map(|p| [p.timelines.0, p.timelines.1]))
        .collect();
    let Some(chain) = Chain::select(histories, &seen, seg_size) else {
        return Ok(Window {
            archived_bytes,
            ..Window::default()
        });
    };

    let mut present: BTreeMap<u64, DateTime<Utc>> = BTreeMap::new();
    let mut off_chain_segments = 0;
    for &(timeline, segno, at) in &complete {
        if chain.timeline_of(segno) != timeline {
            off_chain_segments += 1;
            continue;
        }
        present
            .entry(segno)
            .and_modify(|t| *t = (*t).min(at))
            .or_insert(at);
    }
    placed.retain(|p| {
        chain.timeline_of(p.start) == p.timelines.0 && chain.timeline_of(p.stop) == p.timelines.1
    });
    placed.sort_by(|x, y| (x.backup.stop, &x.backup.label).cmp(&(y.backup.stop, &y.backup.label)));

    let name = |segno: u64| segment_file_name(chain.timeline_of(segno), segno, seg_size);
    let lo = present
        .keys()
        .next()
        .copied()
        .into_iter()
        .chain(placed.iter().map(|p| p.start))
        .min();
    let hi = present
        .keys()
        .next_back()
        .copied()
        .into_iter()
        .chain(placed.iter().map(|p| p.stop))
        .max();
    let (Some(lo), Some(hi)) = (lo, hi) else {
        return Ok(Window {
            timeline: Some(chain.head),
            off_chain_segments,
            archived_bytes,
            ..Window::default()
        });
    };

    let runs = runs(&present);
    let gaps = gaps(&runs, lo, hi, &name);
    let missing_segments = gaps.iter().map(|g| g.missing).sum();
    let pieces = runs
        .iter()
        .filter_map(|run| piece(run, &placed, &present, &name))
        .collect();
    Ok(Window {
        pieces,
        gaps,
        missing_segments,
        timeline: Some(chain.head),
        off_chain_segments,
        archived_bytes,
    })
}

/// `(timeline, segno)` of a complete segment name.
fn complete_segment(name: &str, seg_size: u64) -> Option<SegmentId> {
    match parse_wal_file_name(name, seg_size).ok()? {
        WalFile::Segment {
            timeline,
            segno,
            partial: false,
        } => Some((timeline, segno)),
        _ => None,
    }
}

/// Maximal runs `(first, last)` of consecutive present segment numbers, ascending.
fn runs(present: &BTreeMap<u64, DateTime<Utc>>) -> Vec<(u64, u64)> {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for &segno in present.keys() {
        match runs.last_mut() {
            Some(run) if run.1.checked_add(1) == Some(segno) => run.1 = segno,
            _ => runs.push((segno, segno)),
        }
    }
    runs
}

/// The missing stretches of `lo..=hi` around the runs.
fn gaps(runs: &[(u64, u64)], lo: u64, hi: u64, name: &dyn Fn(u64) -> String) -> Vec<Gap> {
    let mut gaps = Vec::new();
    let mut next = lo; // first number not yet accounted for
    let mut after: Option<u64> = None;
    for &(first, last) in runs {
        if first > next {
            gaps.push(gap(next, first - 1, after, Some(first), name));
        }
        next = last.saturating_add(1);
        after = Some(last);
    }
    if hi >= next {
        gaps.push(gap(next, hi, after, None, name));
    }
    gaps
}

fn gap(
    first: u64,
    last: u64,
    after: Option<u64>,
    before: Option<u64>,
    name: &dyn Fn(u64) -> String,
) -> Gap {
    Gap {
        after_segment: after.map(name),
        before_segment: before.map(name),
        missing: last - first + 1,
        missing_names: (first..=last).take(GAP_NAMES_SHOWN).map(name).collect(),
        last_missing: name(last),
    }
}

/// The piece of one run, if some backup's own WAL lies inside it.
fn piece(
    &(first, last): &(u64, u64),
    placed: &[Placed],
    present: &BTreeMap<u64, DateTime<Utc>>,
    name: &dyn Fn(u64) -> String,
) -> Option<Piece> {
    let inside: Vec<&Placed> = placed
        .iter()
        .filter(|p| first <= p.start && p.stop <= last)
        .collect();
    let base = inside.first()?;
    let archived = present.get(&last).copied()?;
    Some(Piece {
        start: base.backup.stop,
        end: archived.max(base.backup.stop),
        base_backup: base.backup.label.clone(),
        first_segment: name(base.start),
        last_segment: name(last),
        backups: inside
            .iter()
            .map(|p| PieceBackup {
                label: p.backup.label.clone(),
                stop: p.backup.stop,
            })
            .collect(),
    })
}

#[cfg(test)]
#[path = "window_tests.rs"]
mod tests;
