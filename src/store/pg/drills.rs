//! PostgreSQL: DR drills, started as `running` and finished with their ordered steps in one
//! transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tokio_postgres::types::ToSql;
use tokio_postgres::{GenericClient, Row};

use super::{Fail, Pg};
use crate::store::records::*;
use crate::store::StoreError;

type Time = DateTime<Utc>;
type PgResult<T> = Result<T, tokio_postgres::Error>;

const DRILL_COLS: &str = "id, venture, started_at, finished_at, outcome, target_time, \
                          rto_seconds, rpo_seconds, reason, log_excerpt";

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

impl Pg {
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
}
