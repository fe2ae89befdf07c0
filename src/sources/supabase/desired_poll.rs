//! [`DesiredPoller`]: the slow periodic read of a Supabase project's backup schedule and PITR
//! add-on, for the ventures that configure `desired_schedule` or `desired_pitr`.
//!
//! Once shortly after start and then every [`DESIRED_INTERVAL`], it reads only what is desired
//! (the schedule when `desired_schedule` is set, the billing add-ons when `desired_pitr` is), through
//! the token's shared rate limiter, and publishes `schedule`, `pitr_addon` and `drift` into the
//! venture's [`SupabaseState`](crate::state::SupabaseState). A failed read counts its error kind
//! and keeps the last verdict of that setting; a 402 on the schedule (the plan has no schedule
//! entitlement) is an answer, not an error: the schedule setting is drifted with no actual value.

use std::time::Duration;

use chrono::NaiveTime;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use super::client::{SharedLimiter, SupabaseClient, REQUEST_TIMEOUT};
use super::desired::{drift, drift_map, Desired, Observed, PITR, SCHEDULE};
use crate::config::{BackupsConfig, Config, SupabaseConfig};
use crate::error::ErrorKind;
use crate::sources::{Limiters, SourceError};
use crate::state::{SharedState, Snapshot, SourceKind, SourceState};

/// How often the desired settings are read (they change rarely; each read costs calls).
pub const DESIRED_INTERVAL: Duration = Duration::from_secs(15 * 60);
/// The first read waits this long, so the backup-list calls go first at start.
pub const START_DELAY: Duration = Duration::from_secs(5);

/// What one read returned per setting; `None` = not read (nothing desired for it).
#[derive(Debug, Default)]
pub struct DesiredRead {
    /// `GET …/database/backups/schedule`.
    pub schedule: Option<Result<NaiveTime, SourceError>>,
    /// `GET …/billing/addons`, as the PITR variant or `off`.
    pub pitr_addon: Option<Result<String, SourceError>>,
}

impl DesiredRead {
    /// The errors of this read, 402 on the schedule excepted (see [`no_entitlement`]).
    pub fn errors(&self) -> Vec<&SourceError> {
        let schedule = self
            .schedule
            .as_ref()
            .and_then(|r| r.as_ref().err())
            .filter(|e| !no_entitlement(e));
        let pitr = self.pitr_addon.as_ref().and_then(|r| r.as_ref().err());
        schedule.into_iter().chain(pitr).collect()
    }
}

/// True for the API's "Feature requires a higher plan" (HTTP 402).
pub fn no_entitlement(e: &SourceError) -> bool {
    matches!(
        e,
        SourceError::Rejected { status: 402, .. } | SourceError::Status { status: 402, .. }
    )
}

/// One venture's desired-state reader.
#[derive(Debug, Clone)]
pub struct DesiredPoller {
    venture: String,
    client: SupabaseClient,
    desired: Desired,
    interval: Duration,
    start_delay: Duration,
}

impl DesiredPoller {
    /// The reader of `venture`, sharing `limiter` with the token's other projects; `None` when
    /// the venture desires nothing.
    pub fn new(
        venture: &str,
        cfg: &SupabaseConfig,
        limiter: SharedLimiter,
    ) -> Result<Option<Self>, SourceError> {
        if !Desired::of(cfg).any() {
            return Ok(None);
        }
        Ok(Self::with_client(
            venture,
            cfg,
            SupabaseClient::new(cfg, limiter)?,
        ))
    }

    /// The same with a given client (tests); `None` when the venture desires nothing.
    pub fn with_client(
        venture: &str,
        cfg: &SupabaseConfig,
        client: SupabaseClient,
    ) -> Option<Self> {
        let desired = Desired::of(cfg);
        desired.any().then(|| Self {
            venture: venture.to_owned(),
            client,
            desired,
            interval: DESIRED_INTERVAL,
            start_delay: START_DELAY,
        })
    }

    /// The same reading every `interval`, the first time after `start_delay` (tests).
    pub fn every(mut self, interval: Duration, start_delay: Duration) -> Self {
        self.interval = interval.max(Duration::from_millis(10));
        self.start_delay = start_delay;
        self
    }

    /// The venture.
    pub fn venture(&self) -> &str {
        &self.venture
    }

    /// Reads the desired settings from the API (no publishing).
    pub async fn read(&self) -> DesiredRead {
        let schedule = match self.desired.schedule {
            Some(_) => Some(self.client.schedule().await),
            None => None,
        };
        let pitr_addon = match self.desired.pitr {
            Some(_) => Some(self.client.pitr_addon().await),
            None => None,
        };
        DesiredRead {
            schedule,
            pitr_addon,
        }
    }

    /// One read published into `state`; the first error (402 excepted) is returned.
    pub async fn read_once(&self, state: &SharedState) -> Result<(), SourceError> {
        let read = self.read().await;
        let before = drift_of(&state.load(), &self.venture);
        state.update(|s| apply_desired(s, &self.venture, &self.desired, &read));
        self.note(&before, &drift_of(&state.load(), &self.venture), &read);
        let DesiredRead {
            schedule,
            pitr_addon,
        } = read;
        let schedule = schedule
            .and_then(Result::err)
            .filter(|e| !no_entitlement(e));
        match schedule.or_else(|| pitr_addon.and_then(Result::err)) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Reads after the start delay and then every interval, until `shutdown` becomes `true`
    /// (or its sender is dropped).
    pub async fn run(self, state: SharedState, mut shutdown: watch::Receiver<bool>) {
        tokio::select! {
            _ = tokio::time::sleep(self.start_delay) => {}
            _ = shutdown.changed() => return,
        }
        let mut tick = tokio::time::interval(self.interval);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            if *shutdown.borrow() {
                break;
            }
            tokio::select! {
                biased;
                changed = shutdown.changed() => {
                    if changed.is_err() { break; }
                    continue;
                }
                _ = tick.tick() => {}
            }
            tokio::select! {
                _ = self.read_once(&state) => {}
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() { break; }
                }
            }
        }
    }

    /// One log line per change: a read failing, a setting drifting or back in the desired state.
    fn note(
        &self,
        before: &std::collections::BTreeMap<String, bool>,
        after: &std::collections::BTreeMap<String, bool>,
        read: &DesiredRead,
    ) {
        for e in read.errors() {
            tracing::warn!(venture = %self.venture, source = "supabase", kind = e.kind().as_str(),
                error = %e, "reading the desired-state settings failed");
        }
        for (setting, drifted) in after {
            if before.get(setting) == Some(drifted) {
                continue;
            }
            if *drifted {
                tracing::warn!(venture = %self.venture, setting = %setting,
                    "the Supabase project differs from the desired state; run `backstop supabase apply --venture {}`",
                    self.venture);
            } else {
                tracing::info!(venture = %self.venture, setting = %setting,
                    "the Supabase project is in the desired state");
            }
        }
    }
}

fn drift_of(s: &Snapshot, venture: &str) -> std::collections::BTreeMap<String, bool> {
    s.venture(venture)
        .and_then(|v| v.source.as_ref())
        .and_then(|src| src.supabase.as_ref())
        .map(|sb| sb.drift.clone())
        .unwrap_or_default()
}

/// Publishes a read (pure): the values read, the verdict of every setting that was answered
/// (a failed read keeps the setting's last verdict), the error kinds counted.
pub fn apply_desired(s: &mut Snapshot, venture: &str, desired: &Desired, read: &DesiredRead) {
    let Some(v) = s.venture_mut(venture) else {
        return;
    };
    for e in read.errors() {
        v.count_error(e.kind());
    }
    let src = v
        .source
        .get_or_insert_with(|| SourceState::new(SourceKind::Supabase));
    if src.kind != SourceKind::Supabase {
        return;
    }
    let sb = src.supabase.get_or_insert_with(Default::default);
    let mut answered = Vec::new();
    let mut unavailable = false;
    match &read.schedule {
        Some(Ok(t)) => {
            sb.schedule = Some(*t);
            answered.push(SCHEDULE);
        }
        Some(Err(e)) if no_entitlement(e) => {
            sb.schedule = None;
            unavailable = true;
            answered.push(SCHEDULE);
        }
        _ => {}
    }
    if let Some(Ok(addon)) = &read.pitr_addon {
        sb.pitr_addon = Some(addon.clone());
        answered.push(PITR);
    }
    let observed = Observed {
        schedule: sb.schedule,
        schedule_unavailable: unavailable,
        pitr_addon: sb.pitr_addon.as_deref(),
    };
    let verdicts = drift(desired, &observed);
    let fresh = drift_map(&verdicts);
    let desired_settings: Vec<&str> = verdicts.iter().map(|d| d.setting).collect();
    sb.drift
        .retain(|k, _| desired_settings.contains(&k.as_str()));
    for setting in answered {
        match fresh.get(setting) {
            Some(d) => sb.drift.insert(setting.to_owned(), *d),
            None => sb.drift.remove(setting),
        };
    }
}

/// The bound on one whole read: two calls and the rate limiter's waits.
pub fn read_deadline() -> Duration {
    REQUEST_TIMEOUT.saturating_mul(2) + Duration::from_secs(30)
}

/// One reader per Supabase venture with a desired setting, using the token limiters.
pub fn pollers(config: &Config, limiters: &mut Limiters) -> Vec<DesiredPoller> {
    config
        .ventures
        .iter()
        .filter_map(|v| match v.backups.as_ref()? {
            BackupsConfig::Supabase(cfg) => {
                match DesiredPoller::new(&v.name, cfg, limiters.for_token(&cfg.token)) {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::error!(venture = %v.name, error = %e,
                            "cannot build the Supabase client; the desired state is not read");
                        None
                    }
                }
            }
            BackupsConfig::PgBackRest(_) => None,
        })
        .collect()
}

/// The agent's readers, one task each (see [`pollers`]).
pub fn spawn_all(
    config: &Config,
    limiters: &mut Limiters,
    state: &SharedState,
    shutdown: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    pollers(config, limiters)
        .into_iter()
        .map(|p| tokio::spawn(p.run(state.clone(), shutdown.clone())))
        .collect()
}

/// One read of every reader (or only `venture`'s), each bounded by [`read_deadline`], for the
/// one-shot commands; a read that outlives it counts a `timeout`.
pub fn spawn_reads(
    config: &Config,
    venture: Option<&str>,
    state: &SharedState,
) -> Vec<JoinHandle<()>> {
    let mut limiters = Limiters::with_ceiling(config.agent.supabase_max_requests_per_min);
    pollers(config, &mut limiters)
        .into_iter()
        .filter(|p| venture.is_none_or(|v| v == p.venture()))
        .map(|p| {
            let state = state.clone();
            tokio::spawn(async move {
                let deadline = read_deadline();
                if tokio::time::timeout(deadline, p.read_once(&state))
                    .await
                    .is_err()
                {
                    tracing::warn!(venture = %p.venture(), after = ?deadline,
                        "reading the desired-state settings timed out");
                    state.update(|s| {
                        if let Some(v) = s.venture_mut(p.venture()) {
                            v.count_error(ErrorKind::Timeout);
                        }
                    });
                }
            })
        })
        .collect()
}

#[cfg(test)]
#[path = "desired_poll_tests.rs"]
mod tests;
