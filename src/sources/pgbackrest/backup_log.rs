//! Failed backups from the stanza's backup log (`<log-path>/<stanza>-backup.log`).
//!
//! `info` lists only completed backups, so failures come from the log: every run starts with a
//! `-------------------PROCESS START-------------------` line, and a run with an `ERROR` line
//! (`2026-11-27 08:00:01.123 P00  ERROR: [056]: unable to find primary cluster - cannot proceed`)
//! is a failed backup at that line's time. Log times are the pgbackrest host's local time; the
//! agent reads them in its own local time zone (it runs on that host). `log-path` comes from the
//! `PGBACKREST_LOG_PATH` environment variable, else the config file (`[<stanza>:backup]`,
//! `[<stanza>]`, `[global:backup]`, `[global]`), else `/var/log/pgbackrest`; `conf.d` includes
//! are not read. Only the last [`MAX_READ`] bytes of the log are read.

use std::io::SeekFrom;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Local, NaiveDateTime, TimeZone, Utc};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::super::error::{cap, SourceError};
use crate::state::BackupFailure;

/// Marks the start of each run in a pgBackRest log file.
const PROCESS_START: &str = "-------------------PROCESS START-------------------";
/// pgBackRest's default `log-path`.
pub const DEFAULT_LOG_PATH: &str = "/var/log/pgbackrest";
/// Failures kept (the newest).
pub const KEEP: usize = 20;
/// Bytes read from the end of the log.
pub const MAX_READ: u64 = 4 << 20;

/// Failed runs found in a backup log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FailedRuns {
    /// The newest [`KEEP`] failures, oldest first.
    pub failures: Vec<BackupFailure>,
    /// All failed runs found (in the part read).
    pub total: u64,
}

/// Finds failed runs in `text`; `to_utc` converts the log's local times.
pub fn parse_backup_log(
    text: &str,
    keep: usize,
    to_utc: impl Fn(NaiveDateTime) -> Option<DateTime<Utc>>,
) -> FailedRuns {
    let mut runs = FailedRuns::default();
    let mut failed_this_run = false;
    for line in text.lines() {
        if line.starts_with(PROCESS_START) {
            failed_this_run = false;
            continue;
        }
        if failed_this_run {
            continue;
        }
        if let Some(failure) = error_line(line, &to_utc) {
            failed_this_run = true;
            runs.total += 1;
            runs.failures.push(failure);
        }
    }
    let excess = runs.failures.len().saturating_sub(keep);
    runs.failures.drain(..excess);
    runs
}

/// `<date> <time> <process> ERROR: [NNN]: message` → a failure.
fn error_line(
    line: &str,
    to_utc: impl Fn(NaiveDateTime) -> Option<DateTime<Utc>>,
) -> Option<BackupFailure> {
    let stamp = line.get(..23)?;
    let rest = line.get(23..)?.trim_start();
    let (_process, rest) = rest.split_once(char::is_whitespace)?;
    let message = rest.trim_start().strip_prefix("ERROR:")?.trim();
    let at = to_utc(NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d %H:%M:%S%.3f").ok()?)?;
    let (code, message) = match message
        .strip_prefix('[')
        .and_then(|m| m.split_once(']'))
        .and_then(|(code, m)| Some((code.parse::<u32>().ok()?, m)))
    {
        Some((code, m)) => (Some(code), m.trim_start_matches(':').trim()),
        None => (None, message),
    };
    Some(BackupFailure {
        at,
        code,
        message: cap(message),
    })
}

/// Local time (the pgbackrest host's) to UTC; an ambiguous time takes the earlier instant.
pub fn local_to_utc(t: NaiveDateTime) -> Option<DateTime<Utc>> {
    Local
        .from_local_datetime(&t)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// `log-path` from a pgbackrest config file's text, for `stanza`'s backup command.
pub fn config_log_path(config: &str, stanza: &str) -> Option<String> {
    let ranks = [
        format!("{stanza}:backup"),
        stanza.to_owned(),
        "global:backup".to_owned(),
        "global".to_owned(),
    ];
    let mut best: Option<(usize, String)> = None;
    let mut section = String::new();
    for line in config.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_owned();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if key.trim() != "log-path" || line.starts_with('#') {
            continue;
        }
        if let Some(rank) = ranks.iter().position(|r| *r == section) {
            if best.as_ref().is_none_or(|(b, _)| rank <= *b) {
                best = Some((rank, value.trim().to_owned()));
            }
        }
    }
    best.map(|(_, path)| path)
}

/// The backup log of `stanza` under the given configuration file.
pub async fn log_file(config: &Path, stanza: &str) -> PathBuf {
    let from_env = std::env::var("PGBACKREST_LOG_PATH").ok();
    let from_config = match from_env {
        Some(_) => None,
        None => tokio::fs::read_to_string(config)
            .await
            .ok()
            .and_then(|text| config_log_path(&text, stanza)),
    };
    let dir = from_env
        .or(from_config)
        .unwrap_or_else(|| DEFAULT_LOG_PATH.to_owned());
    PathBuf::from(dir).join(format!("{stanza}-backup.log"))
}

/// Reads the failed runs of `stanza`'s backup log. A missing log means no backup ran: no
/// failures. An unreadable one is [`SourceError::Read`].
pub async fn read_failures(config: &Path, stanza: &str) -> Result<FailedRuns, SourceError> {
    let path = log_file(config, stanza).await;
    let read = |source| SourceError::Read {
        path: path.clone(),
        source,
    };
    let mut file = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FailedRuns::default()),
        Err(e) => return Err(read(e)),
    };
    let len = file.metadata().await.map_err(read)?.len();
    let skipped = len > MAX_READ;
    if skipped {
        file.seek(SeekFrom::Start(len - MAX_READ))
            .await
            .map_err(read)?;
    }
    let mut bytes = Vec::new();
    file.take(MAX_READ)
        .read_to_end(&mut bytes)
        .await
        .map_err(read)?;
    let text = String::from_utf8_lossy(&bytes);
    // After a seek the first run is cut: start at the next full one.
    let text = match (skipped, text.find(PROCESS_START)) {
        (true, Some(i)) => &text[i..],
        (true, None) => "",
        (false, _) => &text[..],
    };
    Ok(parse_backup_log(text, KEEP, local_to_utc))
}

#[cfg(test)]
#[path = "backup_log_tests.rs"]
mod tests;
