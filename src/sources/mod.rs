//! Backup sources: where backups are listed and what the repository holds (DESIGN.md §6).
//!
//! Each source is a poller task that runs its tool or API with timeouts, parses the answer
//! (pure functions, tested as tables) and publishes into the venture's
//! [`SourceState`](crate::state::SourceState). Nothing a source returns can stop the agent: a
//! failed poll sets `up = false`, counts an error kind and keeps the last good data.
//!
//! - [`pgbackrest`]: `pgbackrest info`, `repo-ls` and the backup log; `verify` on a schedule
//!   ([`start_verifiers`]).
//! - [`supabase`]: the Management API's backup list; one rate limiter per token.

pub mod derive;
mod error;
pub mod pgbackrest;
pub mod slots;
pub mod supabase;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use error::{SourceError, MAX_MESSAGE};

use crate::config::{BackupsConfig, Config, VentureConfig};
use crate::state::SharedState;

/// A configured backup source of one venture.
#[derive(Debug, Clone)]
pub enum BackupSource {
    /// Self-hosted pgBackRest.
    PgBackRest(pgbackrest::PgBackRestSource),
    /// Supabase Management API.
    Supabase(supabase::SupabaseSource),
}

/// One rate limiter per Management API token, shared by the projects polled with it, each
/// capped at `agent.supabase_max_requests_per_min` (the `X-RateLimit-*` headers rule below it).
pub struct Limiters {
    ceiling: u32,
    // Keyed by the token itself: never print the keys (see the Debug impl).
    by_token: HashMap<String, supabase::SharedLimiter>,
}

impl std::fmt::Debug for Limiters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiters")
            .field("ceiling", &self.ceiling)
            .field("tokens", &self.by_token.len())
            .finish()
    }
}

impl Default for Limiters {
    fn default() -> Self {
        Self::with_ceiling(supabase::ratelimit::DEFAULT_CEILING)
    }
}

impl Limiters {
    /// Limiters capped at `ceiling` requests a minute per token.
    pub fn with_ceiling(ceiling: u32) -> Self {
        Self {
            ceiling,
            by_token: HashMap::new(),
        }
    }

    /// The limiter of `token`, created with the ceiling when missing.
    pub fn for_token(&mut self, token: &crate::secret::Secret) -> supabase::SharedLimiter {
        let ceiling = self.ceiling;
        self.by_token
            .entry(token.expose().to_owned())
            .or_insert_with(|| Arc::new(Mutex::new(supabase::RateLimiter::new(ceiling))))
            .clone()
    }
}

impl BackupSource {
    /// The source of `venture`, when it has one (Supabase sources take their token's limiter
    /// from `limiters`); `None` also when the HTTP client cannot be built (logged).
    pub fn from_config(venture: &VentureConfig, limiters: &mut Limiters) -> Option<Self> {
        match venture.backups.as_ref()? {
            BackupsConfig::PgBackRest(cfg) => Some(BackupSource::PgBackRest(
                pgbackrest::PgBackRestSource::new(&venture.name, cfg),
            )),
            BackupsConfig::Supabase(cfg) => {
                let limiter = limiters.for_token(&cfg.token);
                match supabase::SupabaseSource::new(&venture.name, cfg, limiter) {
                    Ok(source) => Some(BackupSource::Supabase(source)),
                    Err(e) => {
                        tracing::error!(venture = %venture.name, error = %e,
                            "cannot build the Supabase client; the source is not polled");
                        None
                    }
                }
            }
        }
    }

    /// Spawns the source's poller; it stops when `shutdown` becomes `true` (or its sender drops).
    pub fn spawn(self, state: SharedState, shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
        match self {
            BackupSource::PgBackRest(source) => tokio::spawn(source.run(state, shutdown)),
            BackupSource::Supabase(source) => tokio::spawn(source.run(state, shutdown)),
        }
    }
}

/// One poller task per venture with an implemented backup source, plus the desired-state
/// reader of each Supabase venture that sets `desired_schedule` or `desired_pitr`.
pub fn spawn_sources(
    config: &Config,
    state: &SharedState,
    shutdown: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let mut limiters = Limiters::with_ceiling(config.agent.supabase_max_requests_per_min);
    let mut tasks: Vec<JoinHandle<()>> = config
        .ventures
        .iter()
        .filter_map(|v| BackupSource::from_config(v, &mut limiters))
        .map(|s| s.spawn(state.clone(), shutdown.clone()))
        .collect();
    // Supabase ventures with desired settings: the slow schedule/add-on read (same limiters).
    tasks.extend(supabase::desired_poll::spawn_all(
        config,
        &mut limiters,
        state,
        shutdown,
    ));
    tasks
}

/// One [`pgbackrest::Verifier`] per venture with a pgBackRest source.
pub fn verifiers(config: &Config, store: &crate::store::Store) -> Vec<pgbackrest::Verifier> {
    config
        .ventures
        .iter()
        .filter_map(|v| match v.backups.as_ref()? {
            BackupsConfig::PgBackRest(cfg) => {
                pgbackrest::Verifier::new(&v.name, cfg, store.clone())
            }
            BackupsConfig::Supabase(_) => None,
        })
        .collect()
}

/// Publishes each venture's last stored verification (so the metrics survive a restart), then
/// spawns its scheduled verifier.
pub async fn start_verifiers(
    config: &Config,
    state: &SharedState,
    store: &crate::store::Store,
    shutdown: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let mut tasks = Vec::new();
    for verifier in verifiers(config, store) {
        match pgbackrest::verifier::load_last(store, verifier.venture()).await {
            Ok(Some(mut last)) => state.update(|s| {
                last.next_due = verifier.next_run(last.last_run);
                if let Some(src) = s
                    .venture_mut(verifier.venture())
                    .and_then(|v| v.source.as_mut())
                {
                    src.verification = Some(last);
                }
            }),
            Ok(None) => {}
            Err(e) => tracing::warn!(venture = verifier.venture(), error = %e,
                "could not load the last verification from the store"),
        }
        tasks.push(tokio::spawn(verifier.run(state.clone(), shutdown.clone())));
    }
    tasks
}
