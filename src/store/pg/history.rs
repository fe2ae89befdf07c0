//! PostgreSQL: the append-mostly history (events, verifications, recoveries, size
//! samples, notification sends).

use chrono::{DateTime, NaiveDate, Utc};
use tokio_postgres::{GenericClient, Row};

use super::{Fail, Pg};
use crate::store::records::*;
use crate::store::StoreError;

type Time = DateTime<Utc>;
type PgResult<T> = Result<T, tokio_postgres::Error>;

/// Inserts an event (in a transaction when `c` is one: also used to audit other writes).
pub(super) async fn insert_event(c: &impl GenericClient, e: &NewEvent) -> Result<i64, Fail> {
    let row = c
        .query_one(
            "INSERT INTO backstop.events (at, venture, kind, severity, actor, message, details)
             VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb) RETURNING id",
            &[
                &e.at,
                &e.venture,
                &e.kind,
                &e.severity,
                &e.actor,
                &e.message,
                &e.details.to_string(),
            ],
        )
        .await?;
    Ok(row.try_get(0)?)
}

fn json(row: &Row, idx: usize) -> Result<serde_json::Value, Fail> {
    let text: String = row.try_get(idx)?;
    serde_json::from_str(&text).map_err(|e| {
        Fail::Store(StoreError::Decode {
            place: super::PLACE.into(),
            what: "event details",
            value: e.to_string(),
        })
    })
}

fn verification_row(r: &Row) -> PgResult<VerificationRecord> {
    Ok(VerificationRecord {
        id: r.try_get(0)?,
        venture: r.try_get(1)?,
        started_at: r.try_get(2)?,
        finished_at: r.try_get(3)?,
        outcome: r.try_get(4)?,
        detail: r.try_get(5)?,
    })
}

impl Pg {
    pub(in crate::store) async fn append_event(&self, e: NewEvent) -> Result<i64, StoreError> {
        let c = self.conn().await?;
        let result = insert_event(&c.client, &e).await;
        c.done("appending an event", result)
    }

    pub(in crate::store) async fn events(&self, f: EventFilter) -> Result<Vec<Event>, StoreError> {
        let c = self.conn().await?;
        let result = async {
            let limit = f.limit.map(i64::from);
            let rows = c
                .client
                .query(
                    "SELECT id, at, venture, kind, severity, actor, message, details::text
                     FROM backstop.events
                     WHERE ($1::text IS NULL OR venture = $1)
                       AND ($2::timestamptz IS NULL OR at >= $2)
                       AND ($3::timestamptz IS NULL OR at < $3)
                       AND ($4::text IS NULL OR kind = $4)
                     ORDER BY at DESC, id DESC LIMIT $5",
                    &[&f.venture, &f.since, &f.until, &f.kind, &limit],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(Event {
                        id: r.try_get(0)?,
                        event: NewEvent {
                            at: r.try_get(1)?,
                            venture: r.try_get(2)?,
                            kind: r.try_get(3)?,
                            severity: r.try_get(4)?,
                            actor: r.try_get(5)?,
                            message: r.try_get(6)?,
                            details: json(r, 7)?,
                        },
                    })
                })
                .collect()
        }
        .await;
        c.done("listing events", result)
    }

    pub(in crate::store) async fn insert_verification(
        &self,
        v: VerificationRecord,
    ) -> Result<i64, StoreError> {
        let c = self.conn().await?;
        let result = async {
            let row = c
                .client
                .query_one(
                    "INSERT INTO backstop.verifications
                         (venture, started_at, finished_at, outcome, detail)
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    &[
                        &v.venture,
                        &v.started_at,
                        &v.finished_at,
                        &v.outcome,
                        &v.detail,
                    ],
                )
                .await?;
            Ok(row.try_get(0)?)
        }
        .await;
        c.done("recording a verification", result)
    }

    pub(in crate::store) async fn verifications(
        &self,
        venture: String,
        since: Time,
        until: Time,
    ) -> Result<Vec<VerificationRecord>, StoreError> {
        let c = self.conn().await?;
        let result = async {
            let rows = c
                .client
                .query(
                    "SELECT id, venture, started_at, finished_at, outcome, detail
                     FROM backstop.verifications
                     WHERE venture = $1 AND started_at >= $2 AND started_at < $3
                     ORDER BY started_at, id",
                    &[&venture, &since, &until],
                )
                .await?;
            Ok(rows.iter().map(verification_row).collect::<PgResult<_>>()?)
        }
        .await;
        c.done("listing verifications", result)
    }

    pub(in crate::store) async fn last_verification(
        &self,
        venture: String,
    ) -> Result<Option<VerificationRecord>, StoreError> {
        let c = self.conn().await?;
        let result = async {
            let row = c
                .client
                .query_opt(
                    "SELECT id, venture, started_at, finished_at, outcome, detail
                     FROM backstop.verifications WHERE venture = $1
                     ORDER BY started_at DESC, id DESC LIMIT 1",
                    &[&venture],
                )
                .await?;
            Ok(row.as_ref().map(verification_row).transpose()?)
        }
        .await;
        c.done("reading the last verification", result)
    }

    pub(in crate::store) async fn insert_recovery(
        &self,
        r: RecoveryRecord,
    ) -> Result<i64, StoreError> {
        let c = self.conn().await?;
        let result = async {
            let row = c
                .client
                .query_one(
                    "INSERT INTO backstop.recoveries (venture, requested_at, target_time, method,
                                                      executed, outcome, detail, rto_seconds)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                    &[
                        &r.venture,
                        &r.requested_at,
                        &r.target_time,
                        &r.method,
                        &r.executed,
                        &r.outcome,
                        &r.detail,
                        &r.rto_seconds,
                    ],
                )
                .await?;
            Ok(row.try_get(0)?)
        }
        .await;
        c.done("recording a recovery", result)
    }

    pub(in crate::store) async fn finish_recovery(
        &self,
        id: i64,
        outcome: String,
        detail: String,
        rto_seconds: Option<f64>,
    ) -> Result<bool, StoreError> {
        let c = self.conn().await?;
        let result = async {
            let n = c
                .client
                .execute(
                    "UPDATE backstop.recoveries SET outcome = $2, detail = $3, rto_seconds = $4
                     WHERE id = $1",
                    &[&id, &outcome, &detail, &rto_seconds],
                )
                .await?;
            Ok(n > 0)
        }
        .await;
        c.done("finishing a recovery", result)
    }

    pub(in crate::store) async fn recoveries(
        &self,
        venture: String,
        since: Time,
        until: Time,
    ) -> Result<Vec<RecoveryRecord>, StoreError> {
        let c = self.conn().await?;
        let result = async {
            let rows = c
                .client
                .query(
                    "SELECT id, venture, requested_at, target_time, method, executed, outcome,
                            detail, rto_seconds
                     FROM backstop.recoveries
                     WHERE venture = $1 AND requested_at >= $2 AND requested_at < $3
                     ORDER BY requested_at, id",
                    &[&venture, &since, &until],
                )
                .await?;
            let list = rows.iter().map(|r| {
                Ok(RecoveryRecord {
                    id: r.try_get(0)?,
                    venture: r.try_get(1)?,
                    requested_at: r.try_get(2)?,
                    target_time: r.try_get(3)?,
                    method: r.try_get(4)?,
                    executed: r.try_get(5)?,
                    outcome: r.try_get(6)?,
                    detail: r.try_get(7)?,
                    rto_seconds: r.try_get(8)?,
                })
            });
            Ok(list.collect::<PgResult<_>>()?)
        }
        .await;
        c.done("listing recoveries", result)
    }

    pub(in crate::store) async fn upsert_size_sample(
        &self,
        venture: String,
        day: NaiveDate,
        bytes: i64,
    ) -> Result<(), StoreError> {
        let c = self.conn().await?;
        let result = async {
            c.client
                .execute(
                    "INSERT INTO backstop.size_samples (venture, day, bytes) VALUES ($1, $2, $3)
                     ON CONFLICT (venture, day) DO UPDATE SET bytes = excluded.bytes",
                    &[&venture, &day, &bytes],
                )
                .await?;
            Ok(())
        }
        .await;
        c.done("recording a size sample", result)
    }

    pub(in crate::store) async fn size_samples(
        &self,
        venture: String,
        since: NaiveDate,
    ) -> Result<Vec<SizeSample>, StoreError> {
        let c = self.conn().await?;
        let result = async {
            let rows = c
                .client
                .query(
                    "SELECT venture, day, bytes FROM backstop.size_samples
                     WHERE venture = $1 AND day >= $2 ORDER BY day",
                    &[&venture, &since],
                )
                .await?;
            let list = rows.iter().map(|r| {
                Ok(SizeSample {
                    venture: r.try_get(0)?,
                    day: r.try_get(1)?,
                    bytes: r.try_get(2)?,
                })
            });
            Ok(list.collect::<PgResult<_>>()?)
        }
        .await;
        c.done("listing size samples", result)
    }

    pub(in crate::store) async fn record_send(&self, s: SendRecord) -> Result<i64, StoreError> {
        let c = self.conn().await?;
        let result = async {
            let row = c
                .client
                .query_one(
                    "INSERT INTO backstop.sends (at, receiver, venture, event, action, severity,
                                                 outcome, attempts, status, error)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                    &[
                        &s.at,
                        &s.receiver,
                        &s.venture,
                        &s.event,
                        &s.action,
                        &s.severity,
                        &s.outcome,
                        &s.attempts,
                        &s.status,
                        &s.error,
                    ],
                )
                .await?;
            Ok(row.try_get(0)?)
        }
        .await;
        c.done("recording a notification send", result)
    }

    pub(in crate::store) async fn sends(&self, limit: u32) -> Result<Vec<SendRecord>, StoreError> {
        let c = self.conn().await?;
        let result = async {
            let rows = c
                .client
                .query(
                    "SELECT at, receiver, venture, event, action, severity, outcome, attempts,
                            status, error
                     FROM backstop.sends ORDER BY at DESC, id DESC LIMIT $1",
                    &[&i64::from(limit)],
                )
                .await?;
            let list = rows.iter().map(|r| {
                Ok(SendRecord {
                    at: r.try_get(0)?,
                    receiver: r.try_get(1)?,
                    venture: r.try_get(2)?,
                    event: r.try_get(3)?,
                    action: r.try_get(4)?,
                    severity: r.try_get(5)?,
                    outcome: r.try_get(6)?,
                    attempts: r.try_get(7)?,
                    status: r.try_get(8)?,
                    error: r.try_get(9)?,
                })
            });
            Ok(list.collect::<PgResult<_>>()?)
        }
        .await;
        c.done("listing notification sends", result)
    }
}
