//! The PITR window of a Supabase project (pure): one piece
//! `[earliest_physical_backup_date_unix, latest_physical_backup_date_unix]` as the backups
//! response reports it (DESIGN.md §7).
//!
//! Unknown stays unknown: without both ends (a fresh project answers `physical_backup_data: {}`)
//! or with an end before the start there is no window, so the window metrics are absent rather
//! than 0 or the epoch. Supabase names no WAL segments: the piece's segment fields are empty and
//! nothing is counted missing. The piece's backups are the completed physical backups inside it.

use chrono::{DateTime, Utc};

use crate::pitr::{Piece, PieceBackup, Window};
use crate::state::{BackupRecord, BackupType};

/// `base_backup` of a piece when no listed backup falls inside the window.
pub const REPORTED: &str = "physical_backup_data";

/// The window from the reported ends and the listed backups.
pub fn window(
    reported: Option<(DateTime<Utc>, DateTime<Utc>)>,
    backups: &[BackupRecord],
) -> Option<Window> {
    let (start, end) = reported?;
    if end < start {
        return None;
    }
    let inside: Vec<PieceBackup> = backups
        .iter()
        .filter(|b| b.status.is_usable() && b.kind == BackupType::Physical)
        .filter(|b| (start..=end).contains(&b.stop))
        .map(|b| PieceBackup {
            label: b.label.clone(),
            stop: b.stop,
        })
        .collect();
    let base_backup = inside
        .first()
        .map_or_else(|| REPORTED.to_owned(), |b| b.label.clone());
    Some(Window {
        pieces: vec![Piece {
            start,
            end,
            base_backup,
            first_segment: String::new(),
            last_segment: String::new(),
            backups: inside,
        }],
        ..Window::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::supabase::parse_backups;
    use chrono::TimeZone;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).single().expect("valid")
    }

    #[test]
    fn one_piece_from_physical_backup_data() {
        let body = br#"{"pitr_enabled":true,"walg_enabled":true,"backups":[
            {"id":7,"is_physical_backup":true,"status":"COMPLETED","inserted_at":"2026-08-10T04:30:15Z"},
            {"id":8,"is_physical_backup":false,"status":"COMPLETED","inserted_at":"2026-08-10T05:30:15Z"},
            {"id":9,"is_physical_backup":true,"status":"FAILED","inserted_at":"2026-08-10T06:30:15Z"}],
            "physical_backup_data":{"earliest_physical_backup_date_unix":1786330000,
            "latest_physical_backup_date_unix":1786400000}}"#;
        let b = parse_backups(body).expect("parses");
        let w = window(b.window, &b.backups).expect("window");
        assert_eq!(w.pieces.len(), 1);
        let p = &w.pieces[0];
        assert_eq!((p.start, p.end), (at(1_786_330_000), at(1_786_400_000)));
        assert_eq!(p.base_backup, "7");
        assert_eq!(p.backups.len(), 1, "only completed physical backups inside");
        assert_eq!(w.missing_segments, 0);
        assert!(w.gaps.is_empty());
    }

    #[test]
    fn unknown_ends_give_no_window() {
        let cases: [(&str, &[u8]); 4] = [
            ("empty", br#"{"backups":[],"physical_backup_data":{}}"#),
            ("absent", br#"{"backups":[]}"#),
            (
                "one end",
                br#"{"physical_backup_data":{"latest_physical_backup_date_unix":1786400000}}"#,
            ),
            (
                "zeros",
                br#"{"physical_backup_data":{"earliest_physical_backup_date_unix":0,"latest_physical_backup_date_unix":0}}"#,
            ),
        ];
        for (case, body) in cases {
            let b = parse_backups(body).expect("parses");
            assert_eq!(window(b.window, &b.backups), None, "{case}");
        }
        assert_eq!(window(Some((at(10), at(5))), &[]), None, "end before start");
        let w = window(Some((at(5), at(5))), &[]).expect("one instant");
        assert_eq!(w.pieces[0].base_backup, REPORTED);
    }
}
