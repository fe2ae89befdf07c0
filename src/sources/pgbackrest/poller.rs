//! [`PgBackRestSource`]: the poller task of one venture's pgBackRest stanza.
//!
//! Every `poll_interval` it runs `info` and reads the backup log; every `repo_ls_interval` it
//! lists the WAL archive. Results go into the venture's [`SourceState`]: `up` and `last_poll`
//! follow `info` (the backups); a failed `repo-ls` or log read counts its error kind and keeps the
//! previous listing or failures, without touching `up`. Every failure keeps the last good data
//! with its timestamps. One log line per change between working and failing, not per poll.

use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use super::backup_log::{read_failures, FailedRuns};
use super::command::PgBackRestCommand;
use super::info::{parse_info, StanzaInfo};
use super::repo_ls::parse_repo_ls;
use crate::config::PgBackRestConfig;
use crate::sources::SourceError;
use crate::state::{ArchiveListing, SharedState, Snapshot, SourceKind, SourceState};

/// One venture's pgBackRest stanza and how to poll it.
#[derive(Debug, Clone)]
pub struct PgBackRestSource {
    venture: String,
    command: PgBackRestCommand,
    poll_interval: Duration,
    repo_ls_interval: Duration,
    timeout: Duration,
}

/// Which part of a poll, for log lines.
#[derive(Debug, Clone, Copy)]
enum Part {
    Info,
    RepoLs,
    Log,
}

impl Part {
    fn as_str(self) -> &'static str {
        match self {
            Part::Info => "pgbackrest info",
            Part::RepoLs => "pgbackrest repo-ls",
            Part::Log => "pgbackrest backup log",
        }
    }
}

/// Last outcome of each part (`None` before the first), to log changes only.
#[derive(Debug, Default)]
struct Health {
    info: Option<bool>,
    repo_ls: Option<bool>,
    log: Option<bool>,
}

impl PgBackRestSource {
    /// The source of `venture` as configured.
    pub fn new(venture: &str, cfg: &PgBackRestConfig) -> Self {
        Self {
            venture: venture.to_owned(),
            command: PgBackRestCommand::new(cfg),
            poll_interval: cfg.poll_interval,
            repo_ls_interval: cfg.repo_ls_interval,
            timeout: cfg.timeout,
        }
    }

    /// The same source with another command (tests: a smaller output cap).
    pub fn with_command(mut self, command: PgBackRestCommand) -> Self {
        self.command = command;
        self
    }

    /// `pgbackrest info`, parsed.
    pub async fn info(&self) -> Result<StanzaInfo, SourceError> {
        let out = self.command.run_json(&["info"]).await?;
        parse_info(&out, self.command.stanza())
    }

    /// `pgbackrest repo-ls --recurse archive/<stanza>`, parsed into a listing taken now.
    pub async fn repo_ls(&self) -> Result<ArchiveListing, SourceError> {
        let path = format!("archive/{}", self.command.stanza());
        let out = self
            .command
            .run_json(&["repo-ls", "--recurse", &path])
            .await?;
        let (files, wal_bytes) = parse_repo_ls(&out)?;
        // History files are small, few and never change; pgBackRest stores them uncompressed.
        let mut histories = Vec::new();
        for f in files.iter().filter(|f| f.name.ends_with(".history")) {
            let Some(timeline) = f
                .name
                .strip_suffix(".history")
                .and_then(|t| u32::from_str_radix(t, 16).ok())
            else {
                continue;
            };
            let file = format!("{path}/{}", f.path);
            let text = self.command.run(&["repo-get", &file]).await?;
            histories.push((timeline, text));
        }
        Ok(ArchiveListing {
            at: Utc::now(),
            files,
            wal_bytes,
            histories,
        })
    }

    /// Failed runs from the stanza's backup log (bounded by the command timeout).
    pub async fn failures(&self) -> Result<FailedRuns, SourceError> {
        let read = read_failures(self.command.config(), self.command.stanza());
        tokio::time::timeout(self.timeout, read)
            .await
            .map_err(|_| SourceError::Timeout {
                command: "reading the pgbackrest backup log".to_owned(),
                after: self.timeout,
            })?
    }

    /// The backup log this source reads.
    pub async fn log_file(&self) -> PathBuf {
        super::backup_log::log_file(self.command.config(), self.command.stanza()).await
    }

    /// One full poll (info, backup log, repo-ls) published into `state`; for `backstop check`
    /// and tests. Returns the first error, after publishing everything.
    pub async fn poll_once(&self, state: &SharedState) -> Result<(), SourceError> {
        let mut health = Health::default();
        let info = self.poll_info(state, &mut health).await;
        let ls = self.poll_repo_ls(state, &mut health).await;
        info.and(ls)
    }

    /// Polls until `shutdown` becomes `true` (or its sender is dropped).
    pub async fn run(self, state: SharedState, mut shutdown: watch::Receiver<bool>) {
        let mut info_tick =
            tokio::time::interval(self.poll_interval.max(Duration::from_millis(10)));
        info_tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut ls_tick =
            tokio::time::interval(self.repo_ls_interval.max(Duration::from_millis(10)));
        ls_tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut health = Health::default();
        loop {
            if *shutdown.borrow() {
                break;
            }
            let info_due = tokio::select! {
                biased;
                changed = shutdown.changed() => {
                    if changed.is_err() { break; }
                    continue;
                }
                _ = info_tick.tick() => true,
                _ = ls_tick.tick() => false,
            };
            let _slot = tokio::select! {
                slot = crate::sources::slots::pgbackrest() => slot,
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() { break; }
                    continue;
                }
            };
            // Boxed: between polls the task holds only its timers (10,000 ventures = 10,000 of
            // these tasks), not the largest state a poll can reach.
            let poll = Box::pin(async {
                if info_due {
                    let _ = self.poll_info(&state, &mut health).await;
                } else {
                    let _ = self.poll_repo_ls(&state, &mut health).await;
                }
            });
            tokio::select! {
                () = poll => {}
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() { break; }
                }
            }
        }
    }

    /// `info` and the backup log, published together.
    async fn poll_info(&self, state: &SharedState, health: &mut Health) -> Result<(), SourceError> {
        let info = self.info().await;
        let log = self.failures().await;
        self.note(Part::Info, &mut health.info, info.as_ref().err());
        self.note(Part::Log, &mut health.log, log.as_ref().err());
        let now = Utc::now();
        state.update(|s| apply_info(s, &self.venture, now, &info, &log));
        info.map(|_| ()).and(log.map(|_| ()))
    }

    async fn poll_repo_ls(
        &self,
        state: &SharedState,
        health: &mut Health,
    ) -> Result<(), SourceError> {
        let listing = self.repo_ls().await;
        self.note(Part::RepoLs, &mut health.repo_ls, listing.as_ref().err());
        state.update(|s| apply_repo_ls(s, &self.venture, &listing));
        listing.map(|_| ())
    }

    /// Logs a change between working and failing (and the first failure).
    fn note(&self, part: Part, last: &mut Option<bool>, error: Option<&SourceError>) {
        let ok = error.is_none();
        match (*last, error) {
            (Some(true) | None, Some(e)) => tracing::warn!(
                venture = %self.venture, source = "pgbackrest", part = part.as_str(),
                kind = e.kind().as_str(), error = %e, "backup source poll failing"
            ),
            (Some(false), None) => tracing::info!(
                venture = %self.venture, source = "pgbackrest", part = part.as_str(),
                "backup source poll recovered"
            ),
            (None, None) => tracing::info!(
                venture = %self.venture, source = "pgbackrest", part = part.as_str(),
                "backup source polled"
            ),
            _ => {}
        }
        *last = Some(ok);
    }
}

/// The venture's pgBackRest state, created when missing; `None` for an unknown venture.
fn source<'a>(s: &'a mut Snapshot, venture: &str) -> Option<&'a mut crate::state::VentureState> {
    let v = s.venture_mut(venture)?;
    v.source
        .get_or_insert_with(|| SourceState::new(SourceKind::PgBackRest));
    Some(v)
}

/// Publishes an `info` poll and a backup-log read (pure; `now` is when the poll finished).
pub fn apply_info(
    s: &mut Snapshot,
    venture: &str,
    now: chrono::DateTime<Utc>,
    info: &Result<StanzaInfo, SourceError>,
    log: &Result<FailedRuns, SourceError>,
) {
    let Some(v) = source(s, venture) else { return };
    let mut errors = Vec::new();
    if let Some(src) = v.source.as_mut() {
        match info {
            Ok(info) => {
                src.up = Some(true);
                src.last_poll = Some(now);
                src.backups = info.backups.clone();
                src.stanza_status = Some(info.status.clone());
                src.databases = info.databases.clone();
                src.archive_ranges = info.archives.clone();
            }
            Err(e) => {
                src.up = Some(false);
                errors.push(e.kind());
            }
        }
        match log {
            Ok(runs) => {
                src.failures = runs.failures.clone();
                src.failed_runs = Some(runs.total);
            }
            Err(e) => errors.push(e.kind()),
        }
    }
    for kind in errors {
        v.count_error(kind);
    }
    crate::sources::derive::refresh(v);
}

/// Publishes a `repo-ls` poll (pure).
pub fn apply_repo_ls(
    s: &mut Snapshot,
    venture: &str,
    listing: &Result<ArchiveListing, SourceError>,
) {
    let Some(v) = source(s, venture) else { return };
    match listing {
        Ok(listing) => {
            if let Some(src) = v.source.as_mut() {
                src.archive = Some(listing.clone());
            }
            crate::sources::derive::refresh(v);
        }
        Err(e) => v.count_error(e.kind()),
    }
}

#[cfg(test)]
#[path = "poller_tests.rs"]
mod tests;
