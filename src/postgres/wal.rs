//! WAL arithmetic (pure): LSNs, WAL file names with the server's real segment size, archive lag.
//!
//! A WAL segment file is named `TTTTTTTTXXXXXXXXYYYYYYYY`: timeline, then the segment number
//! split into a "log id" (`segno / segments_per_xlogid`) and the segment within it, where
//! `segments_per_xlogid = 0x1_0000_0000 / wal_segment_size`. The archiver may also report
//! `.partial` (end of an old timeline), `.backup` (backup history) and `.history` files.

use super::PgError;

/// Parses an LSN as PostgreSQL prints it (`16/B374D848`).
pub fn parse_lsn(text: &str) -> Result<u64, PgError> {
    let bad = || PgError::Parse {
        what: "LSN",
        value: text.to_owned(),
    };
    let (hi, lo) = text.trim().split_once('/').ok_or_else(bad)?;
    if hi.is_empty() || lo.is_empty() || hi.len() > 8 || lo.len() > 8 {
        return Err(bad());
    }
    let hi = u32::from_str_radix(hi, 16).map_err(|_| bad())?;
    let lo = u32::from_str_radix(lo, 16).map_err(|_| bad())?;
    Ok((u64::from(hi) << 32) | u64::from(lo))
}

/// Formats an LSN the way PostgreSQL does (`%X/%X`).
pub fn format_lsn(lsn: u64) -> String {
    format!("{:X}/{:X}", lsn >> 32, lsn & 0xFFFF_FFFF)
}

/// What a file name in the WAL archive refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalFile {
    /// A WAL segment; `partial` for a `.partial` file (the last, incomplete segment of a timeline).
    Segment {
        /// Timeline.
        timeline: u32,
        /// Segment number (`lsn / wal_segment_size`).
        segno: u64,
        /// Named `….partial`.
        partial: bool,
    },
    /// A backup history file `<segment>.<offset>.backup`.
    Backup {
        /// Timeline.
        timeline: u32,
        /// Segment the backup started in.
        segno: u64,
        /// Start offset within that segment.
        offset: u32,
    },
    /// A timeline history file `TTTTTTTT.history` (no segment).
    History {
        /// The timeline it describes.
        timeline: u32,
    },
}

impl WalFile {
    /// The segment this file stands for, if any (`.history` has none).
    pub fn segno(&self) -> Option<u64> {
        match self {
            WalFile::Segment { segno, .. } | WalFile::Backup { segno, .. } => Some(*segno),
            WalFile::History { .. } => None,
        }
    }
}

/// Checks a segment size: a power of two from 1 MiB to 1 GiB (PostgreSQL's limits).
pub fn check_segment_size(seg_size: u64) -> Result<(), PgError> {
    if seg_size.is_power_of_two() && (1 << 20..=1 << 30).contains(&seg_size) {
        Ok(())
    } else {
        Err(PgError::Parse {
            what: "wal_segment_size",
            value: seg_size.to_string(),
        })
    }
}

/// Segments per log id for this segment size.
fn segments_per_xlogid(seg_size: u64) -> u64 {
    0x1_0000_0000 / seg_size
}

fn hex_u32(text: &str) -> Option<u32> {
    if text.len() == 8 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        u32::from_str_radix(text, 16).ok()
    } else {
        None
    }
}

/// Parses the 24-character segment part of a name.
fn parse_segment(name: &str, seg_size: u64) -> Option<(u32, u64)> {
    if name.len() != 24 || !name.is_ascii() {
        return None;
    }
    let timeline = hex_u32(&name[0..8])?;
    let log = u64::from(hex_u32(&name[8..16])?);
    let seg = u64::from(hex_u32(&name[16..24])?);
    let per = segments_per_xlogid(seg_size);
    if seg >= per {
        return None;
    }
    Some((timeline, log * per + seg))
}

/// Parses a WAL archive file name with the server's segment size.
pub fn parse_wal_file_name(name: &str, seg_size: u64) -> Result<WalFile, PgError> {
    check_segment_size(seg_size)?;
    let bad = || PgError::Parse {
        what: "WAL file name",
        value: name.to_owned(),
    };
    if let Some(tli) = name.strip_suffix(".history") {
        let timeline = hex_u32(tli).ok_or_else(bad)?;
        return Ok(WalFile::History { timeline });
    }
    if let Some(seg) = name.strip_suffix(".partial") {
        let (timeline, segno) = parse_segment(seg, seg_size).ok_or_else(bad)?;
        return Ok(WalFile::Segment {
            timeline,
            segno,
            partial: true,
        });
    }
    if let Some(rest) = name.strip_suffix(".backup") {
        let (seg, offset) = rest.split_once('.').ok_or_else(bad)?;
        let (timeline, segno) = parse_segment(seg, seg_size).ok_or_else(bad)?;
        let offset = hex_u32(offset).ok_or_else(bad)?;
        return Ok(WalFile::Backup {
            timeline,
            segno,
            offset,
        });
    }
    let (timeline, segno) = parse_segment(name, seg_size).ok_or_else(bad)?;
    Ok(WalFile::Segment {
        timeline,
        segno,
        partial: false,
    })
}

/// The file name of segment `segno` on `timeline`.
pub fn segment_file_name(timeline: u32, segno: u64, seg_size: u64) -> String {
    let per = segments_per_xlogid(seg_size);
    format!("{timeline:08X}{:08X}{:08X}", segno / per, segno % per)
}

/// The segment containing `lsn`.
pub fn segno_of(lsn: u64, seg_size: u64) -> u64 {
    lsn / seg_size
}

/// The first LSN of segment `segno`.
pub fn segment_start_lsn(segno: u64, seg_size: u64) -> u64 {
    segno.saturating_mul(seg_size)
}

/// The LSN just past segment `segno` (where the next segment starts).
pub fn segment_end_lsn(segno: u64, seg_size: u64) -> u64 {
    segno.saturating_add(1).saturating_mul(seg_size)
}

/// WAL written but not yet archived: `current_lsn` − end of the last archived segment,
/// saturating at 0. A `.partial` counts as its segment, a `.backup` as the segment it names;
/// a `.history` file (or an unparsable name) gives `None`: unknown.
pub fn archive_lag_bytes(current_lsn: u64, last_archived_wal: &str, seg_size: u64) -> Option<u64> {
    let segno = parse_wal_file_name(last_archived_wal, seg_size)
        .ok()?
        .segno()?;
    Some(current_lsn.saturating_sub(segment_end_lsn(segno, seg_size)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn lsn_round_trip() {
        let cases = [
            ("0/0", 0u64),
            ("0/16B3740", 0x16B_3740),
            ("16/B374D848", 0x16_B374_D848),
            ("FFFFFFFF/FFFFFFFF", u64::MAX),
            ("1/0", 1 << 32),
        ];
        for (text, value) in cases {
            assert_eq!(parse_lsn(text).unwrap(), value, "{text}");
            assert_eq!(format_lsn(value), text);
        }
        assert_eq!(parse_lsn("16/b374d848").unwrap(), 0x16_B374_D848);
        for bad in ["", "16", "/1", "1/", "x/1", "1/2/3", "100000000/0", "-1/0"] {
            assert!(parse_lsn(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn file_names_16mib() {
        let s = 16 * MIB;
        let cases = [
            (
                "000000010000000000000003",
                WalFile::Segment {
                    timeline: 1,
                    segno: 3,
                    partial: false,
                },
            ),
            (
                "0000000100000001000000FF",
                WalFile::Segment {
                    timeline: 1,
                    segno: 0x1FF,
                    partial: false,
                },
            ),
            (
                "000000010000000000000003.partial",
                WalFile::Segment {
                    timeline: 1,
                    segno: 3,
                    partial: true,
                },
            ),
            (
                "000000010000000000000003.00000028.backup",
                WalFile::Backup {
                    timeline: 1,
                    segno: 3,
                    offset: 0x28,
                },
            ),
            ("00000002.history", WalFile::History { timeline: 2 }),
            (
                "0000000A0000001600000000",
                WalFile::Segment {
                    timeline: 10,
                    segno: 0x1600,
                    partial: false,
                },
            ),
        ];
        for (name, want) in cases {
            assert_eq!(parse_wal_file_name(name, s).unwrap(), want, "{name}");
        }
        // 256 segments per log id at 16 MiB: 0x100 is out of range.
        for bad in [
            "000000010000000000000100",
            "00000001000000000000003",
            "0000000100000000000000GG",
            "000000010000000000000003.backup",
            "2.history",
            "000000010000000000000003.zz",
        ] {
            assert!(
                parse_wal_file_name(bad, s).is_err(),
                "{bad} should not parse"
            );
        }
        assert_eq!(segment_file_name(1, 0x1FF, s), "0000000100000001000000FF");
        assert_eq!(segment_end_lsn(3, s), 0x400_0000);
        assert_eq!(segment_start_lsn(3, s), 0x300_0000);
    }

    #[test]
    fn file_names_other_sizes() {
        // 1 MiB: 4096 segments per log id.
        let one = MIB;
        assert_eq!(
            parse_wal_file_name("000000010000000100000FFF", one)
                .unwrap()
                .segno(),
            Some(4096 + 0xFFF)
        );
        assert!(parse_wal_file_name("000000010000000000001000", one).is_err());
        assert_eq!(
            segment_file_name(1, 4096 + 0xFFF, one),
            "000000010000000100000FFF"
        );
        // 64 MiB: 64 segments per log id.
        let big = 64 * MIB;
        assert_eq!(
            parse_wal_file_name("00000001000000020000003F", big)
                .unwrap()
                .segno(),
            Some(2 * 64 + 63)
        );
        assert!(parse_wal_file_name("000000010000000000000040", big).is_err());
        assert!(parse_wal_file_name("000000010000000000000001", 3 * MIB).is_err());
        for (lsn, seg_size) in [
            (0x16_B374_D848u64, one),
            (0x16_B374_D848, big),
            (7, 16 * MIB),
        ] {
            let segno = segno_of(lsn, seg_size);
            let name = segment_file_name(1, segno, seg_size);
            assert_eq!(
                parse_wal_file_name(&name, seg_size).unwrap().segno(),
                Some(segno)
            );
            assert!(
                segment_start_lsn(segno, seg_size) <= lsn && lsn < segment_end_lsn(segno, seg_size)
            );
        }
    }

    #[test]
    fn archive_lag() {
        let s = 16 * MIB;
        let cases: [(u64, &str, u64, Option<u64>); 9] = [
            // Just switched: current LSN at the start of segment 4, segment 3 archived.
            (0x400_0000, "000000010000000000000003", s, Some(0)),
            (0x400_0028, "000000010000000000000003", s, Some(0x28)),
            (0x600_0000, "000000010000000000000003", s, Some(2 * s)),
            (0x300_0000, "000000010000000000000003", s, Some(0)), // archived ahead: saturate
            (
                0x400_1000,
                "000000010000000000000003.partial",
                s,
                Some(0x1000),
            ),
            (
                0x400_1000,
                "000000010000000000000003.00000028.backup",
                s,
                Some(0x1000),
            ),
            (0x400_1000, "00000002.history", s, None),
            (0x400_1000, "garbage", s, None),
            // 1 MiB segments: segment 0x1000 is 000000010000000100000000.
            (0x1_0010_0000, "000000010000000100000000", MIB, Some(0)),
        ];
        for (lsn, name, seg_size, want) in cases {
            assert_eq!(
                archive_lag_bytes(lsn, name, seg_size),
                want,
                "{lsn:X} {name}"
            );
        }
        let big = 64 * MIB;
        assert_eq!(
            archive_lag_bytes(0x1_0000_0000 + 5, "00000001000000000000003F", big),
            Some(5)
        );
    }
}
