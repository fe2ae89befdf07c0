//! Leftovers of a crash, cleaned at the next start (agent start and `backstop drill`):
//!
//! - a directory `scratch_dir/drills/<venture>.<id>` whose venture lock is free belongs to no
//!   live drill: commands still naming it (a restore that outlived its agent) are killed
//!   ([`super::orphans`]), its cluster is stopped (`pg_ctl stop -m immediate`, else SIGKILL of its
//!   postmaster), the directory removed, and drill `id` — if still `running` in the store —
//!   finished as `aborted` with the tail of its server log;
//! - a `running` record without a directory is aborted when its venture lock is free and either
//!   the store is SQLite (one agent per store: nobody else can be running it) or it started longer
//!   ago than the venture's drill timeout plus [`GRACE`] (a PostgreSQL store may be shared by
//!   agents on other hosts, whose live drills have no directory here).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;

use super::record;
use super::scratch::{drills_dir, lock_venture, parse_dir_name, DrillDir, VentureLock};
use super::DrillError;
use crate::config::Config;
use crate::postgres::scratch::tail;
use crate::state::SharedState;
use crate::store::{DrillFinish, DrillStep, Store};

/// Extra time past a drill's timeout before a directory-less `running` record is presumed dead.
pub const GRACE: Duration = Duration::from_secs(600);

/// What a cleanup did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cleaned {
    /// Scratch directories removed.
    pub removed: Vec<PathBuf>,
    /// Drill ids finished as `aborted`.
    pub aborted: Vec<i64>,
}

/// A leftover directory: its venture, its drill id, and its log tail.
struct Leftover {
    excerpt: String,
    seconds: f64,
    detail: String,
}

/// Removes leftover scratch clusters and aborts the drills they belonged to.
pub async fn cleanup_leftovers(
    config: &Config,
    store: &Store,
    state: &SharedState,
) -> Result<Cleaned, DrillError> {
    let scratch = &config.agent.scratch_dir;
    let mut cleaned = Cleaned::default();
    let mut locks: BTreeMap<String, Option<VentureLock>> = BTreeMap::new();
    let mut leftovers: BTreeMap<i64, Leftover> = BTreeMap::new();
    let entries = match std::fs::read_dir(drills_dir(scratch)) {
        Ok(entries) => entries.flatten().collect::<Vec<_>>(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            return Err(DrillError::io(
                format!("listing {}", drills_dir(scratch).display()),
                e,
            ))
        }
    };
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some((venture, id)) = parse_dir_name(&name) else {
            continue;
        };
        if !entry.path().is_dir() {
            continue;
        }
        if !locks.contains_key(venture) {
            locks.insert(venture.to_owned(), lock_venture(scratch, venture)?);
        }
        if locks.get(venture).is_none_or(Option::is_none) {
            continue; // a live drill holds the venture
        }
        let dir = DrillDir::at(entry.path());
        let excerpt = tail(&dir.log(), 30);
        let began = std::time::Instant::now();
        let orphans = super::orphans::kill_naming(dir.root());
        if !orphans.is_empty() {
            tracing::warn!(dir = %dir.root().display(), pids = ?orphans,
                "killed commands an interrupted drill left running");
        }
        let removed = dir.remove().await;
        let detail = match &removed {
            Ok(()) => format!(
                "leftover scratch cluster stopped and {} removed",
                dir.root().display()
            ),
            Err(e) => e.to_string(),
        };
        match removed {
            Ok(()) => {
                tracing::warn!(dir = %dir.root().display(), "removed a drill's leftover scratch cluster");
                cleaned.removed.push(dir.root().to_path_buf());
            }
            Err(e) => {
                tracing::error!(error = %e, "could not remove a drill's leftover scratch cluster")
            }
        }
        leftovers.insert(
            id,
            Leftover {
                excerpt,
                seconds: began.elapsed().as_secs_f64(),
                detail,
            },
        );
    }
    let sqlite = store.backend_name() == "sqlite";
    let now = Utc::now();
    for d in store.running_drills().await? {
        let venture_cfg = config.venture(&d.venture);
        let leftover = leftovers.remove(&d.id);
        if leftover.is_none() {
            if !locks.contains_key(&d.venture) {
                locks.insert(d.venture.clone(), lock_venture(scratch, &d.venture)?);
            }
            let free = locks.get(&d.venture).is_some_and(Option::is_some);
            let timeout = venture_cfg.map_or(Duration::from_secs(2 * 3600), |v| v.drill.timeout);
            let expired = chrono::TimeDelta::from_std(timeout + GRACE)
                .is_ok_and(|limit| d.started_at + limit < now);
            if !free || !(sqlite || expired) {
                continue;
            }
        }
        let (steps, excerpt) = match leftover {
            Some(l) => (
                vec![DrillStep {
                    name: "cleanup".to_owned(),
                    seconds: l.seconds,
                    ok: true,
                    detail: l.detail,
                }],
                Some(l.excerpt).filter(|e| !e.is_empty()),
            ),
            None => (Vec::new(), None),
        };
        let finish = DrillFinish {
            finished_at: Utc::now(),
            outcome: "aborted".to_owned(),
            target_time: None,
            rto_seconds: None,
            rpo_seconds: None,
            reason: Some(
                "the drill's process ended before the drill finished (a crash, SIGKILL or power loss); its leftovers were cleaned up at the next start"
                    .to_owned(),
            ),
            log_excerpt: excerpt.map(|e| record::secrets_free(&e, venture_cfg)),
            steps,
        };
        record::finish(store, state, &d.venture, d.id, &finish).await?;
        tracing::warn!(venture = %d.venture, id = d.id, "recorded an interrupted drill as aborted");
        cleaned.aborted.push(d.id);
    }
    Ok(cleaned)
}
