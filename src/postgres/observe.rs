//! [`observe`]: one poll of an endpoint into an [`EndpointObservation`], choosing the queries
//! that are meaningful for a primary or a standby.

use chrono::Utc;
use tokio_postgres::Client;

use super::{queries, wal, PgError};
use crate::state::EndpointObservation;

/// Polls the endpoint once. Replication lag fields are left `None`: they combine several
/// endpoints and are filled at publish time by [`super::lag::combine_replication_lag`].
pub async fn observe(client: &Client) -> Result<EndpointObservation, PgError> {
    let in_recovery = queries::in_recovery(client).await?;
    let settings = queries::settings(client).await?;
    let current_lsn = queries::current_lsn(client, in_recovery).await?;
    let (replicas, wal_receiver) = if in_recovery {
        (Vec::new(), queries::wal_receiver(client).await?)
    } else {
        (queries::replication(client).await?, None)
    };
    let timeline = match wal_receiver.as_ref().and_then(|r| r.received_tli) {
        _ if !in_recovery => queries::primary_timeline(client).await?,
        Some(tli) => tli,
        None => queries::checkpoint_timeline(client).await?,
    };
    // The archiver runs on a primary, and on a standby only with archive_mode = always.
    let archiver = if !in_recovery || settings.archive_mode == "always" {
        Some(queries::archiver(client).await?)
    } else {
        None
    };
    let archive_lag_bytes = match (&archiver, current_lsn) {
        (Some(a), Some(lsn)) => a
            .last_archived_wal
            .as_deref()
            .and_then(|name| wal::archive_lag_bytes(lsn, name, settings.wal_segment_size)),
        _ => None,
    };
    let ready_files = if settings.archive_mode == "off" {
        Some(0)
    } else {
        queries::ready_files(client).await?
    };
    Ok(EndpointObservation {
        at: Utc::now(),
        in_recovery,
        server_version_num: settings.server_version_num,
        timeline,
        wal_segment_size: settings.wal_segment_size,
        archive_mode: settings.archive_mode,
        archive_timeout_seconds: settings.archive_timeout_seconds,
        current_lsn,
        archiver,
        archive_lag_bytes,
        ready_files,
        replication_lag_bytes: None,
        replication_lag_seconds: None,
        wal_receiver,
        replicas,
    })
}

/// `pg_database_size(current_database())` in bytes.
pub async fn database_size(client: &Client) -> Result<u64, PgError> {
    queries::database_size(client).await
}
