//! The per-endpoint poller: one task per endpoint keeps one connection, probes it every
//! `poll_interval`, observes it, and publishes into the [`Snapshot`](crate::state::Snapshot).
//!
//! Each endpoint runs in its own task and every call is bounded by a timeout, so no endpoint
//! can stall another. A failed poll leaves the last good `observed` (with its timestamp) in
//! place. `probe.up` is the probe's result (connect + `SELECT 1`); when the probe succeeds but
//! the observation fails, `up` stays true while `last_error` carries the kind and the venture's
//! error counter grows. Log lines are written on state changes only (up/down, role, error
//! kind); successful polls log at debug. Replication lag is recombined on every publish
//! ([`super::lag`]).

use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{timeout, MissedTickBehavior};
use tokio_postgres::Client;

use super::lag::combine_replication_lag;
use super::{connect, observe, ConnectOptions, PgError};
use crate::error::ErrorKind;
use crate::secret::Secret;
use crate::state::{EndpointObservation, Role, SharedState, Snapshot, Timed};

/// One endpoint to poll (built by the agent from the configuration).
#[derive(Debug, Clone)]
pub struct EndpointTarget {
    /// Venture name (as in the Snapshot).
    pub venture: String,
    /// Endpoint name (as in the Snapshot). Standbys should use it as `application_name` in
    /// their `primary_conninfo` (or as `cluster_name`) so that the lag in seconds is found.
    pub endpoint: String,
    /// Connection string.
    pub dsn: Secret,
    /// How often to probe and observe.
    pub poll_interval: Duration,
    /// How often to measure `pg_database_size`.
    pub size_interval: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Server-side statement timeout; also bounds each client-side step with `connect_timeout`.
    pub statement_timeout: Duration,
}

impl EndpointTarget {
    fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            connect_timeout: self.connect_timeout,
            statement_timeout: self.statement_timeout,
            keepalives_idle: self
                .poll_interval
                .clamp(Duration::from_secs(1), Duration::from_secs(60)),
            tcp_user_timeout: self.connect_timeout + self.statement_timeout,
            application_name: "backstop".to_owned(),
        }
    }

    /// Client-side bound of one step (probe round trip, observation, size query).
    fn step_timeout(&self) -> Duration {
        self.connect_timeout + self.statement_timeout
    }
}

/// What one poll produced.
#[derive(Debug)]
struct Outcome {
    probe_ok: bool,
    probe_seconds: f64,
    observation: Option<EndpointObservation>,
    size: Option<u64>,
    error: Option<PgError>,
}

/// Connection and change-detection state of one endpoint's poller.
struct Poller {
    target: EndpointTarget,
    client: Option<Client>,
    next_size: Instant,
    last_up: Option<bool>,
    last_role: Role,
    last_error: Option<ErrorKind>,
}

impl Poller {
    fn new(target: EndpointTarget) -> Self {
        Self {
            target,
            client: None,
            next_size: Instant::now(),
            last_up: None,
            last_role: Role::Unknown,
            last_error: None,
        }
    }

    /// Connects when needed, then times a `SELECT 1` round trip (connect included when new).
    async fn probe(&mut self) -> Result<(), PgError> {
        if self.client.as_ref().is_none_or(Client::is_closed) {
            self.client = None;
            self.client = Some(connect(&self.target.dsn, &self.target.connect_options()).await?);
        }
        let Some(client) = self.client.as_ref() else {
            return Err(PgError::Connect {
                kind: ErrorKind::Connect,
                reason: "no connection".to_owned(),
            });
        };
        let after = self.target.step_timeout();
        let result = match timeout(after, client.simple_query("SELECT 1")).await {
            Err(_) => Err(PgError::Timeout {
                what: "probe",
                after,
            }),
            Ok(Err(e)) => Err(PgError::query("SELECT 1", &e)),
            Ok(Ok(_)) => Ok(()),
        };
        if result.is_err() {
            self.client = None;
        }
        result
    }

    async fn poll(&mut self, with_size: bool) -> Outcome {
        let started = Instant::now();
        let probe = self.probe().await;
        let probe_seconds = started.elapsed().as_secs_f64();
        let mut outcome = Outcome {
            probe_ok: probe.is_ok(),
            probe_seconds,
            observation: None,
            size: None,
            error: probe.err(),
        };
        let Some(client) = self.client.as_ref().filter(|_| outcome.probe_ok) else {
            return outcome;
        };
        let after = self.target.step_timeout();
        match timeout(after, observe(client)).await {
            Ok(Ok(obs)) => outcome.observation = Some(obs),
            Ok(Err(e)) => outcome.error = Some(e),
            Err(_) => {
                outcome.error = Some(PgError::Timeout {
                    what: "observation",
                    after,
                })
            }
        }
        if outcome.error.is_none() && (with_size || Instant::now() >= self.next_size) {
            match timeout(after, super::database_size(client)).await {
                Ok(Ok(size)) => {
                    outcome.size = Some(size);
                    self.next_size = Instant::now() + self.target.size_interval;
                }
                Ok(Err(e)) => outcome.error = Some(e),
                Err(_) => {
                    outcome.error = Some(PgError::Timeout {
                        what: "pg_database_size",
                        after,
                    })
                }
            }
        }
        // A connection that timed out or broke mid-poll is not trusted again.
        if matches!(
            outcome.error.as_ref().map(PgError::kind),
            Some(ErrorKind::Timeout | ErrorKind::Connect)
        ) {
            self.client = None;
        }
        outcome
    }

    /// Publishes the outcome and logs state changes.
    fn publish(&mut self, state: &SharedState, outcome: &Outcome) {
        let (venture, endpoint) = (&self.target.venture, &self.target.endpoint);
        let mut role = None;
        state.update(|snap| role = apply(snap, venture, endpoint, outcome));
        let Some(role) = role else {
            tracing::warn!(venture = %venture, endpoint = %endpoint, "endpoint missing from the snapshot; nothing published");
            return;
        };
        let kind = outcome.error.as_ref().map(PgError::kind);
        let up = outcome.probe_ok;
        match (self.last_up, up) {
            (Some(true) | None, false) => tracing::warn!(
                venture = %venture, endpoint = %endpoint, kind = kind.map(ErrorKind::as_str),
                error = outcome.error.as_ref().map(tracing::field::display),
                "endpoint down"
            ),
            (Some(false) | None, true) => tracing::info!(
                venture = %venture, endpoint = %endpoint, role = role.as_str(),
                kind = kind.map(ErrorKind::as_str),
                error = outcome.error.as_ref().map(tracing::field::display),
                "endpoint up"
            ),
            _ => {}
        }
        if up && role != self.last_role && self.last_role != Role::Unknown {
            tracing::warn!(venture = %venture, endpoint = %endpoint, from = self.last_role.as_str(), to = role.as_str(), "endpoint role changed");
        }
        // Poll errors while the probe succeeds (a failing query): logged when the kind changes.
        if up && self.last_up == Some(true) && kind != self.last_error {
            match (kind, outcome.error.as_ref()) {
                (Some(kind), Some(e)) => {
                    tracing::warn!(venture = %venture, endpoint = %endpoint, kind = kind.as_str(), error = %e, "endpoint poll failing")
                }
                _ => {
                    tracing::info!(venture = %venture, endpoint = %endpoint, "endpoint poll recovered")
                }
            }
        }
        if outcome.error.is_none() {
            tracing::debug!(venture = %venture, endpoint = %endpoint, seconds = outcome.probe_seconds, "endpoint polled");
        }
        self.last_up = Some(up);
        self.last_role = role;
        self.last_error = kind;
    }
}

/// Applies one poll outcome to the snapshot; returns the endpoint's role afterwards, or `None`
/// when the venture or endpoint is not in the snapshot.
fn apply(snap: &mut Snapshot, venture: &str, endpoint: &str, outcome: &Outcome) -> Option<Role> {
    let now = Utc::now();
    let v = snap.venture_mut(venture)?;
    let kind = outcome.error.as_ref().map(PgError::kind);
    let ep = v.endpoint_mut(endpoint)?;
    ep.probe.up = Some(outcome.probe_ok);
    ep.probe.last_attempt = Some(now);
    ep.probe.duration.observe(outcome.probe_seconds);
    if outcome.probe_ok {
        ep.probe.last_success = Some(now);
    }
    if let Some(obs) = &outcome.observation {
        let role = if ep.fenced {
            Role::Fenced
        } else if obs.in_recovery {
            Role::Standby
        } else {
            Role::Primary
        };
        // A restored record (role_since set, role not observed yet) keeps its time when the
        // first observation confirms it.
        let confirms_record = ep.role == Role::Unknown && role == ep.configured_role;
        if ep.role != role && !(confirms_record && ep.role_since.is_some()) {
            ep.role_since = Some(now);
        }
        ep.role = role;
        ep.observed = Some(obs.clone());
    }
    if let Some(size) = outcome.size {
        ep.database_size = Some(Timed {
            value: size,
            at: now,
        });
    }
    ep.last_error = kind;
    let role = ep.role;
    if let Some(kind) = kind {
        v.count_error(kind);
    }
    combine_replication_lag(&mut v.endpoints);
    Some(role)
}

async fn run(target: EndpointTarget, state: SharedState, mut shutdown: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(target.poll_interval.max(Duration::from_millis(10)));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut poller = Poller::new(target);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
                continue;
            }
        }
        if *shutdown.borrow() {
            break;
        }
        tokio::select! {
            outcome = poller.poll(false) => poller.publish(&state, &outcome),
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() {
                    break;
                }
            }
        }
    }
}

/// Spawns one poller task per endpoint; each stops when `shutdown` becomes `true` (or its
/// sender is dropped).
pub fn spawn_collectors(
    targets: Vec<EndpointTarget>,
    state: SharedState,
    shutdown: watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    targets
        .into_iter()
        .map(|t| tokio::spawn(run(t, state.clone(), shutdown.clone())))
        .collect()
}

/// One poll of one endpoint (database size included), published into `state`; for
/// `backstop check`. Returns the poll's error, if any, after publishing it.
pub async fn poll_once(target: &EndpointTarget, state: &SharedState) -> Result<(), PgError> {
    let mut poller = Poller::new(target.clone());
    let outcome = poller.poll(true).await;
    poller.last_up = Some(true);
    poller.publish(state, &outcome);
    match outcome.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
