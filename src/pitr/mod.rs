//! The point-in-time-recovery window (pure): which instants a self-hosted cluster can be restored
//! to, from its base backups and the WAL segments present in the archive.
//!
//! Inputs are what the pgBackRest source observes: [`BackupPoint`]s (`info --output=json`),
//! [`ArchivedSegment`]s (`repo-ls --recurse --output=json archive/<stanza>`, names extracted with
//! [`wal_name_from_path`]), the timeline history files ([`parse_history`]) and the server's real
//! `wal_segment_size`. [`compute_window`] turns them into a [`Window`]: pieces, gaps and the count
//! of missing segments; [`locate`] places a recovery target in it; [`Window::exposure`] says how
//! much would be lost if the primary vanished now.
//!
//! Rules (DESIGN.md §7, reference §8):
//! - A piece is a run of contiguous, complete segments along the timeline chain of the newest
//!   reachable timeline. It is recoverable only if some usable backup has its own WAL
//!   (`archive_start..=archive_stop`) inside the run; its **earliest** point is the **stop** time of
//!   the oldest such backup (a backup is consistent only once its stop WAL is replayed, so its
//!   start is not a recoverable point). A backup whose `archive_stop` segment is missing starts
//!   nothing; a run without any backup is not recoverable and yields no piece.
//! - Its **latest** point is the archive time of the run's newest segment. That is an **upper
//!   bound**: a segment is archived when it is full, when `archive_timeout` forces a switch, or at
//!   `pg_switch_wal()`, so its last commit happened at or before the file reached the repository,
//!   possibly much earlier (an idle server fills a segment slowly). Segment names carry no time;
//!   only replaying the WAL finds the last commit, which is what a drill measures (its RPO): show
//!   both where a drill ran.
//! - A gap (segments missing between two present ones) splits the window; every piece is
//!   reported, oldest first, newest last. Segment arithmetic uses the real segment size
//!   (`0x1_0000_0000 / wal_segment_size` segments per log id) and follows timeline switches.
//!
//! - [`names`]: repository paths to WAL file names.
//! - [`timeline`]: history files and the chain of timelines a recovery follows.
//! - [`window`]: the window computation.
//! - [`locate()`]: a target time against the window; [`Window::exposure`] beside the types.

use chrono::{DateTime, Utc};

mod locate;
pub mod names;
pub mod timeline;
pub mod window;

pub use locate::{locate, Located};
pub use names::wal_name_from_path;
pub use timeline::{parse_history, TimelineHistory, TimelineSwitch};
pub use window::compute_window;

use crate::error::ErrorKind;

/// A completed backup, as the backup source reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupPoint {
    /// Backup label (`20240101-010000F`).
    pub label: String,
    /// When the backup started.
    pub start: DateTime<Utc>,
    /// When the backup stopped: the earliest point it can be recovered to.
    pub stop: DateTime<Utc>,
    /// First WAL segment the backup needs (`archive.start`), a 24-hex file name.
    pub archive_start: String,
    /// Last WAL segment the backup needs to become consistent (`archive.stop`).
    pub archive_stop: String,
    /// `false` only for a backup that cannot be restored at all. Page-checksum errors
    /// (`status="checksum_error"`) still restore, so such backups stay usable.
    pub usable: bool,
}

/// One file in the WAL archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedSegment {
    /// WAL file name: 24 hex digits, or a `.partial`, `.backup` or `.history` file name
    /// (see [`wal_name_from_path`]).
    pub name: String,
    /// The repository file's time: an upper bound of the segment's last commit.
    pub archived_at: DateTime<Utc>,
    /// Bytes stored in the repository (compressed).
    pub size: u64,
}

/// The recoverable window: pieces separated by gaps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Window {
    /// Recoverable pieces, oldest first, newest last.
    pub pieces: Vec<Piece>,
    /// Runs of missing segments inside the retained range, oldest first.
    pub gaps: Vec<Gap>,
    /// Segments missing inside the retained range (the sum over `gaps`).
    pub missing_segments: u64,
    /// The timeline the chain leads to (the newest reachable one); `None` without any WAL or
    /// backup.
    pub timeline: Option<u32>,
    /// Complete segments present in the archive but not on that chain (an abandoned branch,
    /// the old primary's segments past a switch, or a timeline whose history file is missing).
    pub off_chain_segments: u64,
    /// Bytes of every archive file given (duplicates included: storage used).
    pub archived_bytes: u64,
}

/// A stretch of time the cluster can be recovered to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// Earliest recoverable point: the stop time of `base_backup`.
    pub start: DateTime<Utc>,
    /// Latest recoverable point, an upper bound: archive time of `last_segment` (never before
    /// `start`).
    pub end: DateTime<Utc>,
    /// Label of the oldest backup whose WAL chain reaches this piece.
    pub base_backup: String,
    /// First segment a recovery from `base_backup` reads (its `archive_start`).
    pub first_segment: String,
    /// Newest contiguous segment.
    pub last_segment: String,
    /// Every usable backup that can start a recovery in this piece, oldest first.
    pub backups: Vec<PieceBackup>,
}

/// A backup inside a piece.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PieceBackup {
    /// Backup label.
    pub label: String,
    /// Its stop time: the earliest point recoverable from it.
    pub stop: DateTime<Utc>,
}

/// A run of missing segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    /// The present segment just before the gap; `None` when the gap opens the retained range
    /// (a backup's own start segment is missing).
    pub after_segment: Option<String>,
    /// The present segment just after the gap; `None` when the gap closes the retained range
    /// (a backup's stop segment was never archived).
    pub before_segment: Option<String>,
    /// How many segments are missing.
    pub missing: u64,
    /// The first few missing names (at most [`GAP_NAMES_SHOWN`]).
    pub missing_names: Vec<String>,
    /// The last missing name.
    pub last_missing: String,
}

/// How many missing names a [`Gap`] lists.
pub const GAP_NAMES_SHOWN: usize = 5;

impl Window {
    /// The newest piece (its start and end are the `backstop_pitr_window_*` metrics).
    pub fn newest(&self) -> Option<&Piece> {
        self.pieces.last()
    }

    /// The earliest recoverable point of any piece.
    pub fn earliest(&self) -> Option<DateTime<Utc>> {
        self.pieces.iter().map(|p| p.start).min()
    }

    /// The latest recoverable point of any piece (an upper bound).
    pub fn latest(&self) -> Option<DateTime<Utc>> {
        self.pieces.iter().map(|p| p.end).max()
    }

    /// What a loss of the primary now would cost: `now` − the latest recoverable point,
    /// 0 when that point is not before `now`; `None` when nothing is recoverable. Since the
    /// latest point is an upper bound, the real exposure may be larger.
    pub fn exposure(&self, now: DateTime<Utc>) -> Option<std::time::Duration> {
        let latest = self.latest()?;
        Some((now - latest).to_std().unwrap_or_default())
    }
}

/// Errors of the PITR computation: its inputs are malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PitrError {
    /// `wal_segment_size` is not a power of two between 1 MiB and 1 GiB.
    #[error("invalid wal_segment_size {0}: expected a power of two from 1 MiB to 1 GiB")]
    SegmentSize(u64),
    /// A timeline history file could not be parsed.
    #[error("timeline {timeline} history file, line {line}: {reason}")]
    History {
        /// The timeline whose history file it is.
        timeline: u32,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
}

impl PitrError {
    /// The bounded kind for `backstop_errors_total`.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Parse
    }
}
