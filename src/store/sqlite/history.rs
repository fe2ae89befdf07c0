//! SQLite: the append-mostly history (events, verifications, recoveries, size samples,
//! notification sends).

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

use super::{day, json, time, us, Fail, Sqlite};
use crate::store::records::*;
use crate::store::StoreError;

type Time = DateTime<Utc>;

/// Inserts an event inside an open transaction (also used for audits of other writes).
pub(super) fn insert_event(tx: &Connection, e: &NewEvent) -> Result<i64, Fail> {
    let details = e.details.to_string();
    tx.execute(
        "INSERT INTO events (at, venture, kind, severity, actor, message, details)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            us(e.at),
            e.venture,
            e.kind,
            e.severity,
            e.actor,
            e.message,
            details
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

fn verification_row(r: &Row<'_>) -> rusqlite::Result<VerificationRecord> {
    Ok(VerificationRecord {
        id: r.get(0)?,
        venture: r.get(1)?,
        started_at: time(r, 2)?,
        finished_at: time(r, 3)?,
        outcome: r.get(4)?,
        detail: r.get(5)?,
    })
}

impl Sqlite {
    pub(in crate::store) async fn append_event(&self, e: NewEvent) -> Result<i64, StoreError> {
        self.write("appending an event", move |tx| insert_event(tx, &e))
            .await
    }

    pub(in crate::store) async fn events(&self, f: EventFilter) -> Result<Vec<Event>, StoreError> {
        self.run("listing events", move |c| {
            let mut sql = "SELECT id, at, venture, kind, severity, actor, message, details \
                           FROM events WHERE 1 = 1"
                .to_owned();
            let mut args: Vec<Value> = Vec::new();
            let mut narrow = |clause: &str, v: Value| {
                args.push(v);
                sql.push_str(&format!(" AND {clause} ?{}", args.len()));
            };
            if let Some(v) = &f.venture {
                narrow("venture =", Value::Text(v.clone()));
            }
            if let Some(t) = f.since {
                narrow("at >=", Value::Integer(us(t)));
            }
            if let Some(t) = f.until {
                narrow("at <", Value::Integer(us(t)));
            }
            if let Some(k) = &f.kind {
                narrow("kind =", Value::Text(k.clone()));
            }
            sql.push_str(" ORDER BY at DESC, id DESC");
            if let Some(limit) = f.limit {
                sql.push_str(&format!(" LIMIT {limit}"));
            }
            let rows = c
                .prepare(&sql)?
                .query_map(params_from_iter(args), |r| {
                    Ok(Event {
                        id: r.get(0)?,
                        event: NewEvent {
                            at: time(r, 1)?,
                            venture: r.get(2)?,
                            kind: r.get(3)?,
                            severity: r.get(4)?,
                            actor: r.get(5)?,
                            message: r.get(6)?,
                            details: json(r, 7)?,
                        },
                    })
                })?
                .collect::<Result<_, _>>()?;
            Ok(rows)
        })
        .await
    }

    pub(in crate::store) async fn insert_verification(
        &self,
        v: VerificationRecord,
    ) -> Result<i64, StoreError> {
        self.write("recording a verification", move |tx| {
            tx.execute(
                "INSERT INTO verifications (venture, started_at, finished_at, outcome, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    v.venture,
                    us(v.started_at),
                    us(v.finished_at),
                    v.outcome,
                    v.detail
                ],
            )?;
            Ok(tx.last_insert_rowid())
        })
        .await
    }

    pub(in crate::store) async fn verifications(
        &self,
        venture: String,
        since: Time,
        until: Time,
    ) -> Result<Vec<VerificationRecord>, StoreError> {
        self.run("listing verifications", move |c| {
            Ok(c.prepare(
                "SELECT id, venture, started_at, finished_at, outcome, detail FROM verifications
                 WHERE venture = ?1 AND started_at >= ?2 AND started_at < ?3
                 ORDER BY started_at, id",
            )?
            .query_map(params![venture, us(since), us(until)], verification_row)?
            .collect::<Result<_, _>>()?)
        })
        .await
    }

    pub(in crate::store) async fn last_verification(
        &self,
        venture: String,
    ) -> Result<Option<VerificationRecord>, StoreError> {
        self.run("reading the last verification", move |c| {
            Ok(c.query_row(
                "SELECT id, venture, started_at, finished_at, outcome, detail FROM verifications
                 WHERE venture = ?1 ORDER BY started_at DESC, id DESC LIMIT 1",
                [venture],
                verification_row,
            )
            .optional()?)
        })
        .await
    }

    pub(in crate::store) async fn insert_recovery(
        &self,
        r: RecoveryRecord,
    ) -> Result<i64, StoreError> {
        self.write("recording a recovery", move |tx| {
            tx.execute(
                "INSERT INTO recoveries (venture, requested_at, target_time, method, executed,
                                         outcome, detail, rto_seconds)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    r.venture,
                    us(r.requested_at),
                    us(r.target_time),
                    r.method,
                    r.executed,
                    r.outcome,
                    r.detail,
                    r.rto_seconds
                ],
            )?;
            Ok(tx.last_insert_rowid())
        })
        .await
    }

    pub(in crate::store) async fn finish_recovery(
        &self,
        id: i64,
        outcome: String,
        detail: String,
        rto_seconds: Option<f64>,
    ) -> Result<bool, StoreError> {
        self.write("finishing a recovery", move |tx| {
            let n = tx.execute(
                "UPDATE recoveries SET outcome = ?2, detail = ?3, rto_seconds = ?4 WHERE id = ?1",
                params![id, outcome, detail, rto_seconds],
            )?;
            Ok(n > 0)
        })
        .await
    }

    pub(in crate::store) async fn recoveries(
        &self,
        venture: String,
        since: Time,
        until: Time,
    ) -> Result<Vec<RecoveryRecord>, StoreError> {
        self.run("listing recoveries", move |c| {
            Ok(c.prepare(
                "SELECT id, venture, requested_at, target_time, method, executed, outcome, detail,
                        rto_seconds
                 FROM recoveries WHERE venture = ?1 AND requested_at >= ?2 AND requested_at < ?3
                 ORDER BY requested_at, id",
            )?
            .query_map(params![venture, us(since), us(until)], |r| {
                Ok(RecoveryRecord {
                    id: r.get(0)?,
                    venture: r.get(1)?,
                    requested_at: time(r, 2)?,
                    target_time: time(r, 3)?,
                    method: r.get(4)?,
                    executed: r.get(5)?,
                    outcome: r.get(6)?,
                    detail: r.get(7)?,
                    rto_seconds: r.get(8)?,
                })
            })?
            .collect::<Result<_, _>>()?)
        })
        .await
    }

    pub(in crate::store) async fn upsert_size_sample(
        &self,
        venture: String,
        d: NaiveDate,
        bytes: i64,
    ) -> Result<(), StoreError> {
        self.write("recording a size sample", move |tx| {
            tx.execute(
                "INSERT INTO size_samples (venture, day, bytes) VALUES (?1, ?2, ?3)
                 ON CONFLICT (venture, day) DO UPDATE SET bytes = excluded.bytes",
                params![venture, d.format("%Y-%m-%d").to_string(), bytes],
            )?;
            Ok(())
        })
        .await
    }

    pub(in crate::store) async fn size_samples(
        &self,
        venture: String,
        since: NaiveDate,
    ) -> Result<Vec<SizeSample>, StoreError> {
        self.run("listing size samples", move |c| {
            Ok(c.prepare(
                "SELECT venture, day, bytes FROM size_samples WHERE venture = ?1 AND day >= ?2
                 ORDER BY day",
            )?
            .query_map(
                params![venture, since.format("%Y-%m-%d").to_string()],
                |r| {
                    Ok(SizeSample {
                        venture: r.get(0)?,
                        day: day(r, 1)?,
                        bytes: r.get(2)?,
                    })
                },
            )?
            .collect::<Result<_, _>>()?)
        })
        .await
    }

    pub(in crate::store) async fn record_send(&self, s: SendRecord) -> Result<i64, StoreError> {
        self.write("recording a notification send", move |tx| {
            tx.execute(
                "INSERT INTO sends (at, receiver, venture, event, action, severity, outcome,
                                    attempts, status, error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    us(s.at),
                    s.receiver,
                    s.venture,
                    s.event,
                    s.action,
                    s.severity,
                    s.outcome,
                    s.attempts,
                    s.status,
                    s.error
                ],
            )?;
            Ok(tx.last_insert_rowid())
        })
        .await
    }

    pub(in crate::store) async fn sends(&self, limit: u32) -> Result<Vec<SendRecord>, StoreError> {
        self.run("listing notification sends", move |c| {
            Ok(c.prepare(
                "SELECT at, receiver, venture, event, action, severity, outcome, attempts,
                        status, error
                 FROM sends ORDER BY at DESC, id DESC LIMIT ?1",
            )?
            .query_map([limit], |r| {
                Ok(SendRecord {
                    at: time(r, 0)?,
                    receiver: r.get(1)?,
                    venture: r.get(2)?,
                    event: r.get(3)?,
                    action: r.get(4)?,
                    severity: r.get(5)?,
                    outcome: r.get(6)?,
                    attempts: r.get(7)?,
                    status: r.get(8)?,
                    error: r.get(9)?,
                })
            })?
            .collect::<Result<_, _>>()?)
        })
        .await
    }
}
