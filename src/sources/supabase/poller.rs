//! [`SupabaseSource`]: the poller task of one venture's Supabase project.
//!
//! Every poll lists the project's backups first (it has priority in the token's rate limiter),
//! then reads the project status and `health?services=db`, and publishes into the venture's
//! [`SourceState`] (kind `supabase`) and its [`SupabaseState`]: `up` and `last_poll` follow the
//! backups call, with the completed backups, the `FAILED` count, `pitr_enabled`, `walg_enabled`
//! and the reported window; project status and db health are kept as last read. A failed call
//! counts its error kind and keeps the last good values (unknown stays `None`). A 5xx on the
//! backups call is retried with backoff and jitter ([`super::retry`]); after a 401/403 or a 429
//! the status calls are skipped. With an endpoint configured, its database size and WAL position
//! are noted for the idle-database judgement ([`super::activity`]).
//!
//! Polls start every `poll_interval`, or less often when the projects sharing the token cannot
//! all make [`CALLS_PER_POLL`] calls in it at the token's rate: the interval in force is
//! published (`effective_interval`) and logged once per change. One log line per change between
//! working and failing; the token is never logged.

use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;

use super::activity;
use super::client::{SharedLimiter, SupabaseClient};
use super::parse::SupabaseBackups;
use super::retry;
use crate::config::SupabaseConfig;
use crate::error::ErrorKind;
use crate::sources::SourceError;
use crate::state::{SharedState, Snapshot, SourceKind, SourceState, SupabaseState};

/// Management API calls one poll makes: backups, project status, health.
pub const CALLS_PER_POLL: u32 = 3;

/// One venture's Supabase project and how to poll it.
#[derive(Debug, Clone)]
pub struct SupabaseSource {
    venture: String,
    client: SupabaseClient,
    poll_interval: Duration,
    retry_base: Duration,
}

/// What the last poll found, for logging changes only.
#[derive(Debug, Default)]
struct Seen {
    backups: Option<bool>,
    status: Option<bool>,
}

impl SupabaseSource {
    /// The source of `venture` as configured, sharing `limiter` with the token's other projects
    /// (and counted among them, so the poll interval can stretch).
    pub fn new(
        venture: &str,
        cfg: &SupabaseConfig,
        limiter: SharedLimiter,
    ) -> Result<Self, SourceError> {
        let client = SupabaseClient::new(cfg, limiter.clone())?;
        limiter
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .register_project();
        Ok(Self::with_client(venture, cfg, client))
    }

    /// The same with a given client (tests: a short timeout).
    pub fn with_client(venture: &str, cfg: &SupabaseConfig, client: SupabaseClient) -> Self {
        Self {
            venture: venture.to_owned(),
            client,
            poll_interval: cfg.poll_interval,
            retry_base: retry::BASE,
        }
    }

    /// The same with another first backoff of a 5xx retry (tests).
    pub fn with_retry_base(mut self, base: Duration) -> Self {
        self.retry_base = base;
        self
    }

    /// One poll published into `state`; for `backstop check` and tests.
    pub async fn poll_once(&self, state: &SharedState) -> Result<(), SourceError> {
        self.poll(state, &mut Seen::default()).await
    }

    /// Polls until `shutdown` becomes `true` (or its sender is dropped).
    pub async fn run(self, state: SharedState, mut shutdown: watch::Receiver<bool>) {
        let mut seen = Seen::default();
        loop {
            if *shutdown.borrow() {
                break;
            }
            let started = tokio::time::Instant::now();
            let slot = tokio::select! {
                slot = crate::sources::slots::supabase() => slot,
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() { break; }
                    continue;
                }
            };
            tokio::select! {
                // Boxed: between polls the task holds only its timer, not a poll's state.
                _ = Box::pin(self.poll(&state, &mut seen)) => {}
                changed = shutdown.changed() => {
                    if changed.is_err() || *shutdown.borrow() { break; }
                }
            }
            drop(slot);
            let next = started + self.effective_interval().max(Duration::from_millis(10));
            tokio::select! {
                biased;
                changed = shutdown.changed() => {
                    if changed.is_err() { break; }
                }
                _ = tokio::time::sleep_until(next) => {}
            }
        }
    }

    async fn poll(&self, state: &SharedState, seen: &mut Seen) -> Result<(), SourceError> {
        let result = self.backups().await;
        self.note(&mut seen.backups, result.as_ref().err());
        let now = Utc::now();
        let interval = self.effective_interval();
        // Few snapshot updates per poll: each one copies the whole snapshot.
        state.update(|s| {
            apply_backups(s, &self.venture, now, &result);
            if let Some(sb) = supabase_mut(s, &self.venture) {
                sb.effective_interval = Some(interval);
            }
        });
        let kind = result.as_ref().err().map(SourceError::kind);
        if !matches!(kind, Some(ErrorKind::Auth | ErrorKind::RateLimited)) {
            let status = self.client.project_status().await;
            let health = self.client.db_health().await;
            self.note_status(
                &mut seen.status,
                status.as_ref().err().or(health.as_ref().err()),
            );
            let now = Utc::now();
            state.update(|s| apply_status(s, &self.venture, now, &status, &health));
        }
        result.map(|_| ())
    }

    /// The backups call, a 5xx retried with backoff and jitter.
    async fn backups(&self) -> Result<SupabaseBackups, SourceError> {
        let mut attempt = 0;
        loop {
            let result = self.client.backups().await;
            let Err(e) = &result else {
                return result;
            };
            match retry::retry_after(e, attempt, self.retry_base, retry::jitter()) {
                Some(wait) => {
                    tracing::debug!(venture = %self.venture, source = "supabase",
                        kind = e.kind().as_str(), ?wait, "retrying the backups call");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                None => return result,
            }
        }
    }

    /// The interval in force for this token's projects; logged once per change.
    fn effective_interval(&self) -> Duration {
        let mut limiter = self
            .client
            .limiter()
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let interval = limiter.interval_for(self.poll_interval, CALLS_PER_POLL);
        if limiter.announce(self.poll_interval, interval) {
            tracing::info!(
                source = "supabase",
                projects = limiter.projects(),
                calls_per_poll = CALLS_PER_POLL,
                requests_per_min = (limiter.per_second() * 60.0).round(),
                configured = ?self.poll_interval,
                effective = ?interval,
                "Supabase poll interval for this token's projects: the rate limit fits one poll of \
                 every project in the effective interval"
            );
        }
        interval
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

    fn note_status(&self, last: &mut Option<bool>, error: Option<&SourceError>) {
        match (*last, error) {
            (Some(true) | None, Some(e)) => tracing::warn!(
                venture = %self.venture, source = "supabase", kind = e.kind().as_str(),
                error = %e, "Supabase project status or health call failing; keeping the last values"
            ),
            (Some(false), None) => tracing::info!(
                venture = %self.venture, source = "supabase",
                "Supabase project status and health calls recovered"
            ),
            _ => {}
        }
        *last = Some(error.is_none());
    }
}

fn supabase_mut<'a>(s: &'a mut Snapshot, venture: &str) -> Option<&'a mut SupabaseState> {
    let src = s
        .venture_mut(venture)?
        .source
        .get_or_insert_with(|| SourceState::new(SourceKind::Supabase));
    Some(src.supabase.get_or_insert_with(SupabaseState::default))
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
    let size = activity::database_size(v);
    let position = activity::wal_position(v);
    let src = v
        .source
        .get_or_insert_with(|| SourceState::new(SourceKind::Supabase));
    let sb = src.supabase.get_or_insert_with(SupabaseState::default);
    match result {
        Ok(b) => {
            src.up = Some(true);
            src.last_poll = Some(now);
            src.backups = b.backups.clone();
            src.failed_runs = Some(b.other.failed);
            sb.pitr_enabled = b.pitr_enabled;
            sb.walg_enabled = b.walg_enabled;
            sb.reported_window = b.window;
            sb.last_error = None;
        }
        Err(e) => {
            src.up = Some(false);
            sb.last_error = Some(e.kind());
        }
    }
    sb.database_size = size;
    sb.wal_mark = activity::next_mark(sb.wal_mark, sb.reported_window.map(|w| w.1), position);
    if let Err(e) = result {
        v.count_error(e.kind());
    }
    crate::sources::derive::refresh(v);
}

/// Publishes the project status and db health calls (pure): a failed call counts its error
/// kind and keeps the last value; `status_polled` moves when both answered.
pub fn apply_status(
    s: &mut Snapshot,
    venture: &str,
    now: chrono::DateTime<Utc>,
    status: &Result<String, SourceError>,
    health: &Result<String, SourceError>,
) {
    let Some(sb) = supabase_mut(s, venture) else {
        return;
    };
    if let Ok(x) = status {
        sb.project_status = Some(x.clone());
    }
    if let Ok(x) = health {
        sb.db_health = Some(x.clone());
    }
    if status.is_ok() && health.is_ok() {
        sb.status_polled = Some(now);
    }
    let kinds: Vec<ErrorKind> = [status.as_ref().err(), health.as_ref().err()]
        .into_iter()
        .flatten()
        .map(SourceError::kind)
        .collect();
    if let Some(v) = s.venture_mut(venture) {
        for k in kinds {
            v.count_error(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::state::VentureState;

    fn snapshot() -> Snapshot {
        let mut s = Snapshot::default();
        s.push_venture(VentureState {
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
        assert!(std::sync::Arc::make_mut(&mut s.ventures[0])
            .source
            .is_none());
    }

    #[test]
    fn backups_fill_the_supabase_state_and_the_window() {
        let mut s = snapshot();
        let body = br#"{"pitr_enabled":true,"walg_enabled":true,"backups":[],
            "physical_backup_data":{"earliest_physical_backup_date_unix":1786330000,
            "latest_physical_backup_date_unix":1786400000}}"#;
        let t0 = Utc::now();
        apply_backups(
            &mut s,
            "demo",
            t0,
            &super::super::parse::parse_backups(body),
        );
        let src = std::sync::Arc::make_mut(&mut s.ventures[0])
            .source
            .as_ref()
            .expect("source");
        let sb = src.supabase.as_ref().expect("supabase");
        assert_eq!((sb.pitr_enabled, sb.walg_enabled), (Some(true), Some(true)));
        assert!(sb.reported_window.is_some());
        let w = src.window.as_ref().expect("window");
        assert_eq!(w.pieces.len(), 1);
        assert_eq!(w.pieces[0].end.timestamp(), 1_786_400_000);
        assert_eq!(sb.database_size, None, "no endpoint: no size");
        assert_eq!(sb.wal_mark, None);
        let err = Err(SourceError::Status {
            what: "x",
            status: 503,
        });
        apply_backups(&mut s, "demo", t0, &err);
        let sb = std::sync::Arc::make_mut(&mut s.ventures[0])
            .source
            .as_ref()
            .and_then(|x| x.supabase.as_ref());
        let sb = sb.expect("supabase");
        assert_eq!(sb.pitr_enabled, Some(true), "kept");
        assert_eq!(sb.last_error, Some(ErrorKind::Http));
    }

    #[test]
    fn failing_status_calls_keep_the_last_values() {
        let mut s = snapshot();
        let t0 = Utc::now();
        apply_status(
            &mut s,
            "demo",
            t0,
            &Ok("ACTIVE_HEALTHY".into()),
            &Ok("UNHEALTHY".into()),
        );
        let fail = |status| Err(SourceError::Status { what: "x", status });
        let t1 = t0 + chrono::Duration::minutes(5);
        apply_status(&mut s, "demo", t1, &fail(500), &Ok("ACTIVE_HEALTHY".into()));
        let v = &s.ventures[0];
        let sb = v
            .source
            .as_ref()
            .and_then(|x| x.supabase.as_ref())
            .expect("sb");
        assert_eq!(sb.project_status.as_deref(), Some("ACTIVE_HEALTHY"));
        assert_eq!(sb.db_health.as_deref(), Some("ACTIVE_HEALTHY"));
        assert_eq!(sb.status_polled, Some(t0), "moves only when both answered");
        assert_eq!(v.errors.get(&ErrorKind::Http).copied(), Some(1));

        let mut fresh = snapshot();
        apply_status(&mut fresh, "demo", t0, &fail(401), &fail(401));
        let sb = fresh.ventures[0]
            .source
            .as_ref()
            .and_then(|x| x.supabase.as_ref());
        let sb = sb.expect("sb");
        assert_eq!(
            (sb.project_status.clone(), sb.db_health.clone()),
            (None, None),
            "unknown stays absent"
        );
        assert_eq!(
            fresh.ventures[0].errors.get(&ErrorKind::Auth).copied(),
            Some(2)
        );
    }

    #[test]
    fn the_endpoint_gives_size_and_wal_mark() {
        use crate::state::{EndpointObservation, EndpointState, Role, Timed};
        let mut s = snapshot();
        let t0 = Utc::now();
        std::sync::Arc::make_mut(&mut s.ventures[0])
            .endpoints
            .push(EndpointState {
                name: "db".into(),
                configured_role: Role::Primary,
                observed: Some(EndpointObservation {
                    at: t0,
                    current_lsn: Some(0x3000_0000),
                    ..EndpointObservation::default()
                }),
                database_size: Some(Timed {
                    value: 42 << 20,
                    at: t0,
                }),
                ..EndpointState::default()
            });
        let latest = t0.timestamp() - 3600;
        let body = format!(
            r#"{{"pitr_enabled":true,"physical_backup_data":{{"earliest_physical_backup_date_unix":{},"latest_physical_backup_date_unix":{latest}}}}}"#,
            latest - 86400
        );
        apply_backups(
            &mut s,
            "demo",
            t0,
            &super::super::parse::parse_backups(body.as_bytes()),
        );
        let sb = std::sync::Arc::make_mut(&mut s.ventures[0])
            .source
            .as_ref()
            .and_then(|x| x.supabase.as_ref())
            .expect("sb");
        assert_eq!(sb.database_size.map(|t| t.value), Some(42 << 20));
        assert_eq!(
            sb.wal_mark.map(|m| (m.0.timestamp(), m.1)),
            Some((latest, 0x3000_0000))
        );
    }
}
