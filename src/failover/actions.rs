//! What a failover does to the world, behind the [`Actions`] trait: fence an endpoint, ask and
//! change its recovery state, check it is writable. [`PgActions`] does it for real (fresh
//! connections with timeouts, the configured `fence_command`); tests substitute a fake.

use std::future::Future;
use std::time::Duration;

use crate::config::VentureConfig;
use crate::postgres::{connect, ConnectOptions};

use super::error::ControllerError;
use super::fence::{self, FenceTarget, FENCE_TIMEOUT};
use super::promote;

/// The side effects of a failover (each bounded by a timeout).
pub trait Actions: Send + Sync {
    /// Runs the fence command for `endpoint`; the start of its output, `None` without one.
    fn fence(
        &self,
        endpoint: &str,
    ) -> impl Future<Output = Result<Option<String>, ControllerError>> + Send;
    /// `pg_is_in_recovery()` on `endpoint`.
    fn in_recovery(
        &self,
        endpoint: &str,
    ) -> impl Future<Output = Result<bool, ControllerError>> + Send;
    /// `pg_promote(true, t)` on `endpoint`: true = promoted, false = unknown.
    fn promote(&self, endpoint: &str)
        -> impl Future<Output = Result<bool, ControllerError>> + Send;
    /// `endpoint`'s WAL receiver streams, and its flushed and replayed LSNs.
    fn replay_state(
        &self,
        endpoint: &str,
    ) -> impl Future<Output = Result<ReplayState, ControllerError>> + Send;
    /// Proves `endpoint` writable; a detail for the record.
    fn verify_writable(
        &self,
        endpoint: &str,
    ) -> impl Future<Output = Result<String, ControllerError>> + Send;
}

/// Where a standby's replay stands (for a planned switchover's catch-up wait).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplayState {
    /// Its WAL receiver is `streaming` (the old primary still sends).
    pub streaming: bool,
    /// `pg_stat_wal_receiver.flushed_lsn`.
    pub flushed: Option<u64>,
    /// `pg_last_wal_replay_lsn()`.
    pub replayed: Option<u64>,
}

impl ReplayState {
    /// Replayed everything received, at least up to `lsn`, and no longer streaming.
    pub fn caught_up(&self, lsn: u64) -> bool {
        let replayed = self.replayed.unwrap_or(0);
        !self.streaming && replayed >= lsn && self.flushed.is_none_or(|f| replayed >= f)
    }
}

/// The real [`Actions`] of one venture.
#[derive(Debug, Clone)]
pub struct PgActions {
    venture: VentureConfig,
    opts: ConnectOptions,
}

impl PgActions {
    /// Actions on `venture`'s endpoints with `opts` for every connection.
    pub fn new(venture: VentureConfig, opts: ConnectOptions) -> Self {
        Self { venture, opts }
    }

    fn step(&self) -> Duration {
        self.opts.connect_timeout + self.opts.statement_timeout
    }

    async fn client(&self, endpoint: &str) -> Result<tokio_postgres::Client, ControllerError> {
        let e = self.endpoint(endpoint)?;
        connect(&e.dsn, &self.opts)
            .await
            .map_err(|source| ControllerError::Endpoint {
                endpoint: endpoint.to_owned(),
                source,
            })
    }

    fn endpoint(&self, name: &str) -> Result<&crate::config::EndpointConfig, ControllerError> {
        self.venture
            .endpoints
            .iter()
            .find(|e| e.name == name)
            .ok_or_else(|| ControllerError::Invalid(format!("no endpoint {name} is configured")))
    }

    /// Where `endpoint` lives, from its DSN (host and port only).
    pub fn fence_target(&self, endpoint: &str) -> Result<FenceTarget, ControllerError> {
        let e = self.endpoint(endpoint)?;
        let config = crate::postgres::connect::config(&e.dsn, &self.opts).map_err(|source| {
            ControllerError::Endpoint {
                endpoint: endpoint.to_owned(),
                source,
            }
        })?;
        let host = match config.get_hosts().first() {
            Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
            Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
            None => String::new(),
        };
        Ok(FenceTarget {
            venture: self.venture.name.clone(),
            endpoint: endpoint.to_owned(),
            host,
            port: config.get_ports().first().copied().unwrap_or(5432),
        })
    }
}

fn pg(endpoint: &str) -> impl FnOnce(crate::postgres::PgError) -> ControllerError + '_ {
    move |source| ControllerError::Endpoint {
        endpoint: endpoint.to_owned(),
        source,
    }
}

impl Actions for PgActions {
    async fn fence(&self, endpoint: &str) -> Result<Option<String>, ControllerError> {
        let target = self.fence_target(endpoint)?;
        fence::run(&self.venture.failover.fence_command, &target, FENCE_TIMEOUT).await
    }

    async fn in_recovery(&self, endpoint: &str) -> Result<bool, ControllerError> {
        let client = self.client(endpoint).await?;
        promote::in_recovery(&client, self.step())
            .await
            .map_err(pg(endpoint))
    }

    async fn promote(&self, endpoint: &str) -> Result<bool, ControllerError> {
        let client = self.client(endpoint).await?;
        promote::promote(&client, self.step())
            .await
            .map_err(pg(endpoint))
    }

    async fn replay_state(&self, endpoint: &str) -> Result<ReplayState, ControllerError> {
        let client = self.client(endpoint).await?;
        let work = async {
            let receiver = crate::postgres::queries::wal_receiver(&client).await?;
            let replayed = crate::postgres::queries::current_lsn(&client, true).await?;
            Ok::<_, crate::postgres::PgError>(ReplayState {
                streaming: receiver
                    .as_ref()
                    .is_some_and(|r| r.status == super::receiver::STREAMING),
                flushed: receiver.and_then(|r| r.flushed_lsn),
                replayed,
            })
        };
        match tokio::time::timeout(self.step(), work).await {
            Ok(r) => r.map_err(pg(endpoint)),
            Err(_) => Err(pg(endpoint)(crate::postgres::PgError::Timeout {
                what: "replay state",
                after: self.step(),
            })),
        }
    }

    async fn verify_writable(&self, endpoint: &str) -> Result<String, ControllerError> {
        let client = self.client(endpoint).await?;
        match promote::writable(&client, self.step())
            .await
            .map_err(pg(endpoint))?
        {
            Ok(txid) => Ok(format!("out of recovery, assigned txid {txid}")),
            Err(detail) => Err(ControllerError::NotWritable {
                endpoint: endpoint.to_owned(),
                detail,
            }),
        }
    }
}
