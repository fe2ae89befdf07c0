//! `backstop pitr --venture V [--json]`: the recovery window's pieces and gaps, the missing
//! segments, and the exposure (now − latest recoverable point) beside the RPO.
//!
//! Exit 0 when there is a window whose exposure is within the RPO, 1 when the exposure is above
//! it or the window is split (more than one piece, or missing segments), 2 when nothing is
//! recoverable (no window known, or no piece).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::human;
use crate::config::Config;
use crate::pitr::{Gap, Piece};
use crate::state::VentureState;

/// The JSON document of `backstop pitr --json` (field names are a contract).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PitrReport {
    /// The venture.
    pub venture: String,
    /// Recoverable pieces, oldest first, newest last.
    pub pieces: Vec<PieceReport>,
    /// Runs of missing segments, oldest first.
    pub gaps: Vec<GapReport>,
    /// Segments missing inside the retained range; `null` until the archive was listed.
    pub missing_segments: Option<u64>,
    /// The latest recoverable point (an upper bound); `null` when nothing is recoverable.
    pub latest: Option<DateTime<Utc>>,
    /// now − `latest` in seconds (0 when `latest` is not before now); `null` without a window.
    pub exposure_seconds: Option<u64>,
    /// The venture's RPO objective in seconds.
    pub rpo_seconds: u64,
}

/// One window piece.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PieceReport {
    /// Earliest recoverable point: the stop time of `base_backup`.
    pub start: DateTime<Utc>,
    /// Latest recoverable point (archive time of `last_segment`, an upper bound).
    pub end: DateTime<Utc>,
    /// The oldest backup whose WAL chain reaches this piece.
    pub base_backup: String,
    /// First segment a recovery from `base_backup` reads.
    pub first_segment: String,
    /// Newest contiguous segment.
    pub last_segment: String,
}

/// One gap.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GapReport {
    /// The present segment just before the gap (`null` when it opens the retained range).
    pub after_segment: Option<String>,
    /// The present segment just after the gap (`null` when it closes the retained range).
    pub before_segment: Option<String>,
    /// How many segments are missing.
    pub missing: u64,
    /// The first few missing names.
    pub missing_names: Vec<String>,
    /// The last missing name.
    pub last_missing: String,
}

impl From<&Piece> for PieceReport {
    fn from(p: &Piece) -> Self {
        Self {
            start: p.start,
            end: p.end,
            base_backup: p.base_backup.clone(),
            first_segment: p.first_segment.clone(),
            last_segment: p.last_segment.clone(),
        }
    }
}

impl From<&Gap> for GapReport {
    fn from(g: &Gap) -> Self {
        Self {
            after_segment: g.after_segment.clone(),
            before_segment: g.before_segment.clone(),
            missing: g.missing,
            missing_names: g.missing_names.clone(),
            last_missing: g.last_missing.clone(),
        }
    }
}

/// The report of `v` at `now` (pure).
pub fn report(v: &VentureState, now: DateTime<Utc>) -> PitrReport {
    let window = v.source.as_ref().and_then(|s| s.window.as_ref());
    PitrReport {
        venture: v.name.clone(),
        pieces: window.map_or_else(Vec::new, |w| w.pieces.iter().map(Into::into).collect()),
        gaps: window.map_or_else(Vec::new, |w| w.gaps.iter().map(Into::into).collect()),
        missing_segments: window.map(|w| w.missing_segments),
        latest: window.and_then(|w| w.latest()),
        exposure_seconds: window.and_then(|w| w.exposure(now)).map(|d| d.as_secs()),
        rpo_seconds: v.objectives.rpo.as_secs(),
    }
}

impl PitrReport {
    /// 0 whole and within the RPO, 1 above the RPO or split, 2 nothing recoverable.
    pub fn exit_code(&self) -> u8 {
        match self.exposure_seconds {
            _ if self.pieces.is_empty() => 2,
            None => 2,
            Some(e) if e > self.rpo_seconds || self.is_split() => 1,
            Some(_) => 0,
        }
    }

    /// More than one piece, or segments missing.
    pub fn is_split(&self) -> bool {
        self.pieces.len() > 1 || self.missing_segments.is_some_and(|m| m > 0)
    }

    /// The plain-text rendering.
    pub fn text(&self) -> String {
        let mut out = format!("venture {}: PITR window\n", self.venture);
        if self.pieces.is_empty() {
            out.push_str("  no recoverable window: ");
            out.push_str(match self.missing_segments {
                None => "the WAL archive has not been listed (no pgBackRest source, or `repo-ls` failed: see `backstop check`)\n",
                Some(_) => "no backup has its WAL in the archive; take a full backup\n",
            });
        }
        for (i, p) in self.pieces.iter().enumerate() {
            out.push_str(&format!(
                "  piece {}: {} .. {}  base backup {}  WAL {} .. {}\n",
                i + 1,
                p.start.to_rfc3339(),
                p.end.to_rfc3339(),
                p.base_backup,
                p.first_segment,
                p.last_segment
            ));
        }
        for g in &self.gaps {
            out.push_str(&format!(
                "  gap: {} segment(s) missing after {} before {}: {}{}\n",
                g.missing,
                g.after_segment.as_deref().unwrap_or("(start of range)"),
                g.before_segment.as_deref().unwrap_or("(end of range)"),
                g.missing_names.join(", "),
                if g.missing as usize > g.missing_names.len() {
                    format!(" … {}", g.last_missing)
                } else {
                    String::new()
                }
            ));
        }
        if let Some(m) = self.missing_segments {
            out.push_str(&format!("  missing segments: {m}\n"));
        }
        if let (Some(latest), Some(e)) = (self.latest, self.exposure_seconds) {
            out.push_str(&format!(
                "  latest recoverable point: {} (upper bound)\n  exposure: {} (RPO {})\n",
                latest.to_rfc3339(),
                human(e),
                human(self.rpo_seconds)
            ));
        }
        let verdict = match self.exit_code() {
            0 => "ok",
            1 if self.is_split() => {
                "warning: the window is split; take a full backup so the newest piece starts after the gap, and find why WAL went missing"
            }
            1 => "warning: exposure above the RPO; check that WAL archiving works and archive_timeout is at most the RPO",
            _ => "critical: nothing is recoverable",
        };
        out.push_str(&format!("status: {verdict}\n"));
        out
    }
}

/// Runs the command: poll, print, exit code.
pub async fn run(config: &Config, venture: &str, json: bool) -> u8 {
    super::run(
        config,
        venture,
        json,
        "configure a pgBackRest source to get a PITR window",
        report,
    )
    .await
}

impl super::Report for PitrReport {
    fn text(&self) -> String {
        PitrReport::text(self)
    }

    fn exit_code(&self) -> u8 {
        PitrReport::exit_code(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::synthetic;
    use chrono::TimeDelta;

    fn venture(now: DateTime<Utc>) -> VentureState {
        std::sync::Arc::unwrap_or_clone(synthetic::snapshot(1, now).ventures.remove(0))
    }

    fn whole(v: &mut VentureState) {
        let w = v
            .source
            .as_mut()
            .and_then(|s| s.window.as_mut())
            .expect("w");
        w.pieces.remove(0);
        w.gaps.clear();
        w.missing_segments = 0;
    }

    #[test]
    fn exit_codes() {
        let now = Utc::now();
        let mut v = venture(now);
        let split = report(&v, now);
        assert_eq!(split.pieces.len(), 2);
        assert_eq!(split.exit_code(), 1, "split");
        whole(&mut v);
        let end = v
            .source
            .as_ref()
            .and_then(|s| s.window.as_ref())
            .and_then(|w| w.latest())
            .expect("latest");
        assert_eq!(report(&v, end).exit_code(), 0, "whole, no exposure");
        assert_eq!(report(&v, end).exposure_seconds, Some(0));
        let rpo = v.objectives.rpo.as_secs() as i64;
        let late = end + TimeDelta::seconds(rpo + 1);
        assert_eq!(report(&v, late).exit_code(), 1, "above rpo");
        assert_eq!(report(&v, late).exposure_seconds, Some(rpo as u64 + 1));
        v.source
            .as_mut()
            .expect("s")
            .window
            .as_mut()
            .expect("w")
            .pieces
            .clear();
        assert_eq!(report(&v, now).exit_code(), 2, "no piece");
        v.source.as_mut().expect("s").window = None;
        let none = report(&v, now);
        assert_eq!((none.exit_code(), none.missing_segments), (2, None));
        assert!(none.text().contains("has not been listed"));
    }

    #[test]
    fn json_shape_is_stable() {
        let now = Utc::now();
        let r = report(&venture(now), now);
        let j = serde_json::to_value(&r).expect("json");
        let keys: Vec<&str> = j
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        let mut want = [
            "venture",
            "pieces",
            "gaps",
            "missing_segments",
            "latest",
            "exposure_seconds",
            "rpo_seconds",
        ];
        want.sort_unstable();
        let mut got = keys.clone();
        got.sort_unstable();
        assert_eq!(got, want);
        let piece = j["pieces"][0].as_object().expect("piece");
        for k in [
            "start",
            "end",
            "base_backup",
            "first_segment",
            "last_segment",
        ] {
            assert!(piece.contains_key(k), "{k}");
        }
        let gap = &j["gaps"][0];
        assert_eq!(gap["missing"], 1);
        assert!(
            r.text().contains("gap: 1 segment(s) missing"),
            "{}",
            r.text()
        );
    }
}
