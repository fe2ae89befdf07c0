//! The liveness probe of one endpoint, every `probe_interval`: one kept connection (connect and
//! statement timeouts, TCP keepalive and user timeout) and a light observation —
//! `pg_is_in_recovery()`, the current (primary) or replayed (standby) LSN, the timeline and, on a
//! standby, `pg_stat_wal_receiver`. That is what the failover policy reads; the heavier poll of
//! [`crate::postgres::collector`] keeps running on its own interval.

use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::time::timeout;
use tokio_postgres::Client;

use crate::postgres::{connect, queries, ConnectOptions, PgError};
use crate::secret::Secret;
use crate::state::EndpointObservation;

/// Timeouts of the probe for a venture probed every `probe_interval`: long enough for a busy
/// server, short enough that a dead one fails within about one interval.
pub fn probe_timeout(probe_interval: Duration) -> Duration {
    (probe_interval * 2).clamp(Duration::from_millis(500), Duration::from_secs(5))
}

/// Connection options of the probe (and of the controller's actions).
pub fn options(probe_interval: Duration) -> ConnectOptions {
    let t = probe_timeout(probe_interval);
    ConnectOptions {
        connect_timeout: t,
        statement_timeout: t,
        keepalives_idle: Duration::from_secs(1),
        tcp_user_timeout: t * 2,
        application_name: "backstop-probe".to_owned(),
    }
}

/// The result of one probe.
#[derive(Debug)]
pub struct ProbeResult {
    /// The observation, or why the probe failed.
    pub observation: Result<EndpointObservation, PgError>,
    /// Round trip (connect included when a new connection was needed), seconds.
    pub seconds: f64,
}

/// One endpoint's prober with its kept connection.
pub struct Prober {
    /// The endpoint name.
    pub endpoint: String,
    dsn: Secret,
    opts: ConnectOptions,
    client: Option<Client>,
}

impl std::fmt::Debug for Prober {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prober")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl Prober {
    /// A prober of `endpoint` at `dsn`.
    pub fn new(endpoint: String, dsn: Secret, opts: ConnectOptions) -> Self {
        Self {
            endpoint,
            dsn,
            opts,
            client: None,
        }
    }

    /// Probes once; a failed probe drops the connection.
    pub async fn probe(&mut self) -> ProbeResult {
        let started = Instant::now();
        let bound = self.opts.connect_timeout + self.opts.statement_timeout;
        let observation = match timeout(bound, self.observe()).await {
            Ok(result) => result,
            Err(_) => Err(PgError::Timeout {
                what: "probe",
                after: bound,
            }),
        };
        if observation.is_err() {
            self.client = None;
        }
        ProbeResult {
            observation,
            seconds: started.elapsed().as_secs_f64(),
        }
    }

    async fn observe(&mut self) -> Result<EndpointObservation, PgError> {
        if self.client.as_ref().is_none_or(Client::is_closed) {
            self.client = None;
            self.client = Some(connect(&self.dsn, &self.opts).await?);
        }
        let Some(client) = self.client.as_ref() else {
            return Err(PgError::Timeout {
                what: "connect",
                after: self.opts.connect_timeout,
            });
        };
        light_observation(client).await
    }
}

/// The few facts the failover policy needs, as an [`EndpointObservation`] (other fields empty).
pub async fn light_observation(client: &Client) -> Result<EndpointObservation, PgError> {
    let in_recovery = queries::in_recovery(client).await?;
    let current_lsn = queries::current_lsn(client, in_recovery).await?;
    let wal_receiver = if in_recovery {
        queries::wal_receiver(client).await?
    } else {
        None
    };
    let timeline = match wal_receiver.as_ref().and_then(|r| r.received_tli) {
        _ if !in_recovery => queries::primary_timeline(client).await?,
        Some(tli) => tli,
        None => queries::checkpoint_timeline(client).await?,
    };
    Ok(EndpointObservation {
        at: Utc::now(),
        in_recovery,
        timeline,
        current_lsn,
        wal_receiver,
        ..Default::default()
    })
}
