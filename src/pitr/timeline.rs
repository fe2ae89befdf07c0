//! Timeline history files and the chain of timelines a recovery follows.
//!
//! `0000000N.history` lists, one line per ancestor, `parentTLI <tab> switchpoint LSN <tab>
//! reason`: timeline N's ancestry from timeline 1 (or the oldest kept) up to N. On the chain
//! leading to N, segment `s` belongs to the parent timeline when `s` is below the segment holding
//! the switch point, and to the child from that segment on (the parent's copy of the switch
//! segment is at most a `.partial`).

use crate::postgres::wal::{parse_lsn, segno_of};

use super::PitrError;

/// A parsed timeline history file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineHistory {
    /// The timeline the file describes (`N` of `0000000N.history`).
    pub timeline: u32,
    /// Its ancestors, oldest first.
    pub switches: Vec<TimelineSwitch>,
}

/// One line of a history file: the server left `parent` at `switch_lsn`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelineSwitch {
    /// The parent timeline.
    pub parent: u32,
    /// First LSN of the child: the parent's WAL is valid strictly before it.
    pub switch_lsn: u64,
    /// Free text (`no recovery target specified`, `before 2024-01-01 …`).
    pub reason: String,
}

/// Parses the text of timeline `timeline`'s history file. Blank lines and `#` comments are
/// skipped, as PostgreSQL does; parents must increase and stay below `timeline`, and switch
/// points must not go back.
pub fn parse_history(timeline: u32, text: &str) -> Result<TimelineHistory, PitrError> {
    let mut switches: Vec<TimelineSwitch> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let bad = |reason: &str| PitrError::History {
            timeline,
            line: index + 1,
            reason: reason.to_owned(),
        };
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut fields = trimmed.splitn(3, char::is_whitespace);
        let parent = fields
            .next()
            .and_then(|f| f.parse::<u32>().ok())
            .ok_or_else(|| bad("expected a parent timeline number"))?;
        let switch_lsn = fields
            .next()
            .and_then(|f| parse_lsn(f).ok())
            .ok_or_else(|| bad("expected a switch point LSN"))?;
        let reason = fields.next().unwrap_or("").trim().to_owned();
        if parent >= timeline {
            return Err(bad("parent timeline not below the file's timeline"));
        }
        if let Some(prev) = switches.last() {
            if parent <= prev.parent {
                return Err(bad("parent timelines not in increasing order"));
            }
            if switch_lsn < prev.switch_lsn {
                return Err(bad("switch point before the previous one"));
            }
        }
        switches.push(TimelineSwitch {
            parent,
            switch_lsn,
            reason,
        });
    }
    Ok(TimelineHistory { timeline, switches })
}

/// Which timeline each segment number belongs to on the way to `head`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chain {
    /// The newest timeline of the chain.
    pub head: u32,
    /// `(timeline, first segno)`, ascending; a timeline runs until the next entry's segno.
    ranges: Vec<(u32, u64)>,
}

impl Chain {
    /// The chain of the newest reachable timeline. A timeline above 1 is reachable only through
    /// its history file (recovery cannot follow a switch without it), so the head is the highest
    /// timeline with a history file; with none, the lowest timeline seen (a cluster that never
    /// switched, or whose later timelines cannot be followed).
    pub fn select(histories: &[TimelineHistory], seen: &[u32], seg_size: u64) -> Option<Chain> {
        if let Some(history) = histories.iter().max_by_key(|h| h.timeline) {
            return Some(Chain::of(history, seg_size));
        }
        seen.iter().min().map(|&head| Chain {
            head,
            ranges: vec![(head, 0)],
        })
    }

    /// The chain described by one history file.
    pub fn of(history: &TimelineHistory, seg_size: u64) -> Chain {
        let mut ranges = Vec::with_capacity(history.switches.len() + 1);
        let mut begin = 0;
        for switch in &history.switches {
            ranges.push((switch.parent, begin));
            begin = segno_of(switch.switch_lsn, seg_size);
        }
        ranges.push((history.timeline, begin));
        Chain {
            head: history.timeline,
            ranges,
        }
    }

    /// The timeline segment `segno` must be on. Of several timelines starting at the same
    /// segment (two switches inside one segment), the later wins.
    pub fn timeline_of(&self, segno: u64) -> u32 {
        let at = self.ranges.partition_point(|&(_, begin)| begin <= segno);
        at.checked_sub(1)
            .and_then(|i| self.ranges.get(i))
            .map_or(self.head, |&(tli, _)| tli)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn parses_history_files() {
        let text = "1\t0/3000028\tno recovery target specified\n\n\
                    # comment\n2\t0/5000000\tbefore 2024-01-01 00:00:00+00\n";
        let h = parse_history(3, text).unwrap();
        assert_eq!(h.timeline, 3);
        assert_eq!(
            h.switches,
            vec![
                TimelineSwitch {
                    parent: 1,
                    switch_lsn: 0x300_0028,
                    reason: "no recovery target specified".into()
                },
                TimelineSwitch {
                    parent: 2,
                    switch_lsn: 0x500_0000,
                    reason: "before 2024-01-01 00:00:00+00".into()
                },
            ]
        );
        assert_eq!(parse_history(2, "").unwrap().switches, vec![]);
        assert_eq!(
            parse_history(2, "1 0/3000000").unwrap().switches[0].reason,
            ""
        );
        for (tli, bad) in [
            (2, "x\t0/3000000\tr"),
            (2, "1\tnope\tr"),
            (2, "1"),
            (2, "2\t0/3000000\tr"),
            (3, "2\t0/3000000\tr\n1\t0/4000000\tr"),
            (3, "1\t0/5000000\tr\n2\t0/4000000\tr"),
        ] {
            assert!(parse_history(tli, bad).is_err(), "{bad:?}");
        }
        let err = parse_history(3, "1\t0/1\tr\nbad").unwrap_err();
        assert!(matches!(err, PitrError::History { line: 2, .. }), "{err}");
    }

    #[test]
    fn chain_follows_switch_points() {
        let s = 16 * MIB;
        let h = parse_history(3, "1\t0/3000028\tr\n2\t0/5000000\tr").unwrap();
        let chain = Chain::of(&h, s);
        // Switch inside segment 3: TLI 1 up to 2, TLI 2 from 3; at a boundary (0/5000000) the
        // child starts at exactly that segment.
        let want = [(0, 1), (2, 1), (3, 2), (4, 2), (5, 3), (900, 3)];
        for (segno, tli) in want {
            assert_eq!(chain.timeline_of(segno), tli, "segno {segno}");
        }
        // Two switches in one segment: the later timeline owns it.
        let h = parse_history(3, "1\t0/3000028\tr\n2\t0/3000100\tr").unwrap();
        let chain = Chain::of(&h, s);
        assert_eq!(chain.timeline_of(2), 1);
        assert_eq!(chain.timeline_of(3), 3);
    }

    #[test]
    fn head_selection() {
        let h2 = parse_history(2, "1\t0/3000000\tr").unwrap();
        let h3 = parse_history(3, "1\t0/3000000\tr\n2\t0/5000000\tr").unwrap();
        let s = 16 * MIB;
        let chain = Chain::select(&[h3.clone(), h2.clone()], &[1, 2, 3, 4], s).unwrap();
        assert_eq!(chain.head, 3);
        assert_eq!(Chain::select(&[], &[4, 2], s).unwrap().head, 2);
        assert_eq!(Chain::select(&[], &[], s), None);
        assert_eq!(Chain::select(&[h2], &[], s).unwrap().timeline_of(7), 2);
    }
}
