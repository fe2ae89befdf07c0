//! Targets for the parsers of external data: pgBackRest's `info`/`repo-ls` JSON, `verify` text
//! and backup log, and the Supabase Management API answers.

use chrono::NaiveDateTime;

use crate::sources::pgbackrest::{backup_log, parse_info, parse_repo_ls, parse_verify};
use crate::sources::supabase::{parse_backups, project};
use crate::sources::SourceError;

use super::{bounded, bounded_text};

/// The stanza the pgBackRest targets look up (the seeds use it).
pub const STANZA: &str = "demo";

/// `pgbackrest info --output=json` → the stanza's backups, archives and databases.
pub fn pgbackrest_info(data: &[u8]) -> Result<(), SourceError> {
    parse_info(&bounded_text(data), STANZA).map(drop)
}

/// `pgbackrest verify --output=text` → the report, its summary and counts.
pub fn pgbackrest_verify(data: &[u8]) -> Result<(), SourceError> {
    let report = parse_verify(&bounded_text(data), STANZA)?;
    let summary = report.summary();
    assert!(!summary.is_empty(), "an empty verify summary");
    let _ = (report.missing_wal(), report.checksum_invalid());
    let _ = report.invalid_backups();
    Ok(())
}

/// A backup log (failed runs, newest kept) and a pgbackrest.conf (`log-path`): never fails.
pub fn pgbackrest_backup_log(data: &[u8]) {
    let text = bounded_text(data);
    let runs = backup_log::parse_backup_log(&text, 5, |t: NaiveDateTime| Some(t.and_utc()));
    assert!(runs.failures.len() <= 5, "more failures kept than asked");
    assert!(runs.total >= runs.failures.len() as u64, "total below kept");
    let _ = backup_log::config_log_path(&text, STANZA);
}

/// `pgbackrest repo-ls --output=json` → WAL files and their total size.
pub fn pgbackrest_repo_ls(data: &[u8]) -> Result<(), SourceError> {
    let (files, total) = parse_repo_ls(&bounded_text(data))?;
    let largest = files.iter().map(|f| f.size).max().unwrap_or(0);
    assert!(total >= largest, "the total is below one file's size");
    Ok(())
}

/// `GET …/database/backups` → completed backups (oldest first), other statuses, the window.
pub fn supabase_backups(data: &[u8]) -> Result<(), SourceError> {
    let b = parse_backups(bounded(data))?;
    assert!(
        b.backups.windows(2).all(|w| w[0].stop <= w[1].stop),
        "backups not oldest first"
    );
    Ok(())
}

/// The project-level answers on the same body: project status, `db` health, backup schedule,
/// PITR add-on and an error body's message. Never fails: each parser answers Ok or Err.
pub fn supabase_project(data: &[u8]) {
    let body = bounded(data);
    let _ = project::parse_project_status(body);
    let _ = project::parse_db_health(body);
    let _ = project::parse_schedule(body);
    let _ = project::parse_pitr_addon(body);
    let _ = project::error_message(body);
    let _ = project::parse_time_of_day(&bounded_text(data));
}
