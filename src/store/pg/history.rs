//! PostgreSQL: the append-mostly history (events, verifications, drills, recoveries, size
//! samples, notification sends).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use tokio_postgres::types::ToSql;
use tokio_postgres::{GenericClient, Row};

use super::{Fail, Pg};
use crate::store::records::*;
use crate::store::StoreError;

type Time = DateTime<Utc>;
type PgResult<T> = Result<T, tokio_postgres::Error>;

const DRILL_COLS: &str = "id, venture, started_at, finished_at, outcome, target_time, \
                          rto_seconds, rpo_seconds, reason, log_excerpt";

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

fn drill_row(r: &Row) -> PgResult<DrillRecord> {
    Ok(DrillRecord {
        id: r.try_get(0)?,
        venture: r.try_get(1)?,
        started_at: r.try_get(2)?,
        finished_at: r.try_get(3)?,
        outcome: r.try_get(4)?,
        target_time: r.try_get(5)?,
        rto_seconds: r.try_get(6)?,
        rpo_seconds: r.try_get(7)?,
        reason: r.try_get(8)?,
        log_excerpt: r.try_get(9)?,
        steps: Vec::new(),
    })
}

/// Drills selected by `filter` with their steps, in two queries.
async fn load_drills(
    c: &impl GenericClient,
    filter: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<Vec<DrillRecord>, Fail> {
    let sql = format!("SELECT {DRILL_COLS} FROM backstop.drills {filter}");
    let mut drills: Vec<DrillRecord> = c
        .query(&sql, args)
        .await?
        .iter()
        .map(drill_row)
        .collect::<PgResult<_>>()?;
    let index: HashMap<i64, usize> = drills.iter().enumerate().map(|(i, d)| (d.id, i)).collect();
    let sql = format!(
        "SELECT drill_id, name, seconds, ok, detail FROM backstop.drill_steps
         WHERE drill_id IN (SELECT id FROM backstop.drills {filter}) ORDER BY drill_id, ordinal"
    );
    for r in c.query(&sql, args).await? {
        if let Some(&i) = index.get(&r.try_get::<_, i64>(0)?) {
            drills[i].steps.push(DrillStep {
                name: r.try_get(1)?,
                seconds: r.try_get(2)?,
                ok: r.try_get(3)?,
                detail: r.try_get(4)?,
            });
        }
    }
    Ok(drills)
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

    pub(in crate::store) async fn start_drill(
        &self,
        venture: String,
        started_at: Time,
        target: Option<Time>,
    ) -> Result<i64, StoreError> {
        let c = self.conn().await?;
        let result = async {
            let row = c
                .client
                .query_one(
                    "INSERT INTO backstop.drills (venture, started_at, outcome, target_time)
                     VALUES ($1, $2, 'running', $3) RETURNING id",
                    &[&venture, &started_at, &target],
                )
                .await?;
            Ok(row.try_get(0)?)
        }
        .await;
        c.done("recording a drill start", result)
    }

    pub(in crate::store) async fn finish_drill(
        &self,
        id: i64,
        f: DrillFinish,
    ) -> Result<(), StoreError> {
        let mut c = self.conn().await?;
        let result = async {
            let tx = c.client.transaction().await?;
            let found = tx
                .query_opt(
                    "SELECT finished_at FROM backstop.drills WHERE id = $1 FOR UPDATE",
                    &[&id],
                )
                .await?;
            let reason = match found.map(|r| r.try_get::<_, Option<Time>>(0)).transpose()? {
                None => Some("no such drill"),
                Some(Some(_)) => Some("already finished"),
                Some(None) => None,
            };
            if let Some(reason) = reason {
                return Err(StoreError::DrillNotRunning {
                    id,
                    reason: reason.into(),
                }
                .into());
            }
            tx.execute(
                "UPDATE backstop.drills SET finished_at = $2, outcome = $3,
                     target_time = coalesce($4, target_time), rto_seconds = $5, rpo_seconds = $6,
                     reason = $7, log_excerpt = $8
                 WHERE id = $1",
                &[
                    &id,
                    &f.finished_at,
                    &f.outcome,
                    &f.target_time,
                    &f.rto_seconds,
                    &f.rpo_seconds,
                    &f.reason,
                    &f.log_excerpt,
                ],
            )
            .await?;
            let names: Vec<&str> = f.steps.iter().map(|s| s.name.as_str()).collect();
            let seconds: Vec<f64> = f.steps.iter().map(|s| s.seconds).collect();
            let oks: Vec<bool> = f.steps.iter().map(|s| s.ok).collect();
            let details: Vec<&str> = f.steps.iter().map(|s| s.detail.as_str()).collect();
            tx.execute(
                "INSERT INTO backstop.drill_steps (drill_id, ordinal, name, seconds, ok, detail)
                 SELECT $1, s.ord - 1, s.name, s.seconds, s.ok, s.detail
                 FROM unnest($2::text[], $3::float8[], $4::bool[], $5::text[])
                      WITH ORDINALITY AS s (name, seconds, ok, detail, ord)",
                &[&id, &names, &seconds, &oks, &details],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        }
        .await;
        c.done("recording a drill result", result)
    }

    pub(in crate::store) async fn drills(
        &self,
        venture: String,
        since: Time,
        until: Time,
    ) -> Result<Vec<DrillRecord>, StoreError> {
        let c = self.conn().await?;
        let filter =
            "WHERE venture = $1 AND started_at >= $2 AND started_at < $3 ORDER BY started_at, id";
        let result = load_drills(&c.client, filter, &[&venture, &since, &until]).await;
        c.done("listing drills", result)
    }

    pub(in crate::store) async fn last_drill(
        &self,
        venture: String,
    ) -> Result<Option<DrillRecord>, StoreError> {
        let c = self.conn().await?;
        let filter = "WHERE venture = $1 AND finished_at IS NOT NULL \
                      ORDER BY started_at DESC, id DESC LIMIT 1";
        let result = load_drills(&c.client, filter, &[&venture])
            .await
            .map(|mut v| v.pop());
        c.done("reading the last drill", result)
    }

    pub(in crate::store) async fn running_drills(&self) -> Result<Vec<DrillRecord>, StoreError> {
        let c = self.conn().await?;
        let filter = "WHERE finished_at IS NULL ORDER BY started_at, id";
        let result = load_drills(&c.client, filter, &[]).await;
        c.done("listing running drills", result)
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
                    "INSERT INTO backstop.recoveries
                         (venture, requested_at, target_time, method, executed, outcome, detail)
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                    &[
                        &r.venture,
                        &r.requested_at,
                        &r.target_time,
                        &r.method,
                        &r.executed,
                        &r.outcome,
                        &r.detail,
                    ],
                )
                .await?;
            Ok(row.try_get(0)?)
        }
        .await;
        c.done("recording a recovery", result)
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
                            detail
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
