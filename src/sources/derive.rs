//! What a venture's backups mean: the PITR window ([`crate::pitr`]) and retention compliance
//! ([`crate::retention`]), derived purely from the source state after every poll.
//!
//! The WAL segment size comes from an endpoint's observation (`wal_segment_size`); without one
//! the PostgreSQL default of 16 MiB is assumed. Timeline history files are not read from the
//! repository yet, so after a timeline switch the window follows the lowest timeline listed.

use crate::pitr::{self, ArchivedSegment, BackupPoint, Window};
use crate::retention::{self, BackupKind, Item, Policy};
use crate::state::{BackupType, SourceState, VentureState};

/// PostgreSQL's default WAL segment size, used when no endpoint reported the real one.
pub const DEFAULT_SEGMENT_SIZE: u64 = 16 << 20;

/// Recomputes `window`, `verdicts` and `retention` of the venture's source state.
pub fn refresh(venture: &mut VentureState) {
    let seg = segment_size(venture);
    let policy = Policy::from(venture.objectives.retention);
    let Some(src) = venture.source.as_mut() else {
        return;
    };
    src.window = window(src, seg);
    let items = items(src);
    src.verdicts = if policy.is_empty() {
        Vec::new()
    } else {
        retention::evaluate(&policy, &items)
    };
    src.retention = retention::required_and_kept(&policy, &items);
}

/// The real WAL segment size from the first endpoint observed, else the default.
pub fn segment_size(venture: &VentureState) -> u64 {
    venture
        .endpoints
        .iter()
        .filter_map(|e| e.observed.as_ref())
        .map(|o| o.wal_segment_size)
        .find(|s| *s > 0)
        .unwrap_or(DEFAULT_SEGMENT_SIZE)
}

/// The window from the backups and the archive listing; `None` until the archive was listed.
pub fn window(src: &SourceState, segment_size: u64) -> Option<Window> {
    let listing = src.archive.as_ref()?;
    let backups: Vec<BackupPoint> = src
        .backups
        .iter()
        .filter_map(|b| {
            Some(BackupPoint {
                label: b.label.clone(),
                start: b.start,
                stop: b.stop,
                archive_start: b.archive_start.clone()?,
                archive_stop: b.archive_stop.clone()?,
                // Page-checksum errors do not stop a restore; every listed backup restores.
                usable: true,
            })
        })
        .collect();
    let segments: Vec<ArchivedSegment> = listing
        .files
        .iter()
        .map(|f| ArchivedSegment {
            name: f.name.clone(),
            archived_at: f.time,
            size: f.size,
        })
        .collect();
    pitr::compute_window(&backups, &segments, &[], segment_size).ok()
}

/// Retention items in the order of `src.backups`.
pub fn items(src: &SourceState) -> Vec<Item> {
    src.backups
        .iter()
        .map(|b| {
            let kind = match b.kind {
                BackupType::Diff => BackupKind::Diff,
                BackupType::Incr => BackupKind::Incr,
                _ => BackupKind::Full,
            };
            Item::backup(&b.label, kind, b.prior.as_deref(), b.stop.fixed_offset())
        })
        .collect()
}
