//! [`SupabaseSource`]: the poller task of one venture's Supabase project.
//!
//! Every `poll_interval` it lists the project's backups and publishes them into the venture's
//! [`SourceState`] (kind `supabase`): `up`, `last_poll`, the completed backups and the number of
//! `FAILED` ones. A failed poll sets `up = false`, counts its error kind (auth, rate_limited,
//! http, timeout, connect, parse) and keeps the last good data. One log line per change between
//! working and failing; the token is never logged.

use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

use super::client::{SharedLimiter, SupabaseClient};
use super::parse::SupabaseBackups;
use crate::config::SupabaseConfig;
use crate::sources::SourceError;
use crate::state::{SharedState, Snapshot, SourceKind, SourceState};

/// One venture's Supabase project and how to poll it.
#[derive(Debug, Clone)]
pub struct SupabaseSource {
    venture: String,
    client: SupabaseClient,
    poll_interval: Duration,
}

impl SupabaseSource {
    /// The source of `venture` as configured, sharing `limiter` with the token's other projects.
    pub fn new(
        venture: &str,
        cfg: &SupabaseConfig,
        limiter: SharedLimiter,
    ) -> Result<Self, SourceError> {
        Ok(Self::with_client(
            venture,
            cfg,
            SupabaseClient::new(cfg, limiter)?,
        ))
    }

    /// The same with a given client (tests: a short timeout).
    pub fn with_client(venture: &str, cfg: &SupabaseConfig, client: SupabaseClient) -> Self {
        Self {
            venture: venture.to_owned(),
            client,
            poll_interval: cfg.poll_interval,
        }
    }

    /// One poll published into `state`; for `backstop check` and tests.
    pub async fn poll_once(&self, state: &SharedState) -> Result<(), SourceError> {
        let mut last = None;
        self.poll(state, &mut last).await
    }

    /// Polls until `shutdown` becomes `true` (or its sender is dropped).
    pub async fn run(self, state: SharedState, mut shutdown: watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(self.poll_interval.max(Duration::from_millis(10)));
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut last = None;
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
                _ = self.poll(&state, &mut last) => {}
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() { break; }
                }
            }
        }
    }

    async fn poll(&self, state: &SharedState, last: &mut Option<bool>) -> Result<(), SourceError> {
        let result = self.client.backups().await;
        self.note(last, result.as_ref().err());
        let now = Utc::now();
        state.update(|s| apply_backups(s, &self.venture, now, &result));
        result.map(|_| ())
    }

    fn note(&self, last: &mut Option<bool>, error: Option<&SourceError>) {
        match (*last, error) {
            (Some(true) | None, Some(e)) => tracing::warn!(
                venture = %self.venture, source = "supabase", kind = e.kind().as_str(),
                error = %e, "backup source poll failing"
            ),
            (Some(false), None) => tracing::info!(
                venture = %self.venture, source = "supabase", "backup source poll recovered"
            ),
            (None, None) => {
                tracing::info!(venture = %self.venture, source = "supabase", "backup source polled")
            }
            _ => {}
        }
        *last = Some(error.is_none());
    }
}

/// Publishes a backups poll (pure; `now` is when the poll finished).
pub fn apply_backups(
    s: &mut Snapshot,
    venture: &str,
    now: chrono::DateTime<Utc>,
    result: &Result<SupabaseBackups, SourceError>,
) {
    let Some(v) = s.venture_mut(venture) else {
        return;
    };
    let src = v
        .source
        .get_or_insert_with(|| SourceState::new(SourceKind::Supabase));
    match result {
        Ok(b) => {
            src.up = Some(true);
            src.last_poll = Some(now);
            src.backups = b.backups.clone();
            src.failed_runs = Some(b.other.failed);
        }
        Err(e) => {
            src.up = Some(false);
            v.count_error(e.kind());
        }
    }
    crate::sources::derive::refresh(v);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::state::VentureState;

    fn snapshot() -> Snapshot {
        let mut s = Snapshot::default();
        s.ventures.push(VentureState {
            name: "demo".into(),
            ..VentureState::default()
        });
        s
    }

    #[test]
    fn a_failed_poll_keeps_the_last_values_and_counts_its_kind() {
        let mut s = snapshot();
        let body = br#"{"backups":[{"id":1,"status":"COMPLETED","is_physical_backup":true,
            "inserted_at":"2026-08-10T04:30:15Z"},{"status":"FAILED","is_physical_backup":true,
            "inserted_at":"2026-08-11T04:30:15Z"}]}"#;
        let ok = super::super::parse::parse_backups(body);
        let t0 = Utc::now();
        apply_backups(&mut s, "demo", t0, &ok);
        let err = Err(SourceError::Status {
            what: "x",
            status: 401,
        });
        apply_backups(&mut s, "demo", t0 + chrono::Duration::minutes(1), &err);
        let v = &s.ventures[0];
        let src = v.source.as_ref().expect("source");
        assert_eq!(src.kind, SourceKind::Supabase);
        assert_eq!(src.up, Some(false));
        assert_eq!(src.last_poll, Some(t0));
        assert_eq!(src.backups.len(), 1);
        assert_eq!(src.failed_runs, Some(1));
        assert_eq!(v.errors.get(&ErrorKind::Auth).copied(), Some(1));
    }

    #[test]
    fn an_unknown_venture_is_ignored() {
        let mut s = snapshot();
        apply_backups(&mut s, "other", Utc::now(), &Ok(SupabaseBackups::default()));
        assert!(s.ventures[0].source.is_none());
    }
}
