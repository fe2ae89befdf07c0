//! SQLite: DR drills, started as `running` and finished with their ordered steps in one
//! transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

use super::{opt_time, time, us, Fail, Sqlite};
use crate::store::records::*;
use crate::store::StoreError;

type Time = DateTime<Utc>;

const DRILL_COLS: &str = "id, venture, started_at, finished_at, outcome, target_time, \
                          rto_seconds, rpo_seconds, reason, log_excerpt";

fn drill_row(r: &Row<'_>) -> rusqlite::Result<DrillRecord> {
    Ok(DrillRecord {
        id: r.get(0)?,
        venture: r.get(1)?,
        started_at: time(r, 2)?,
        finished_at: opt_time(r, 3)?,
        outcome: r.get(4)?,
        target_time: opt_time(r, 5)?,
        rto_seconds: r.get(6)?,
        rpo_seconds: r.get(7)?,
        reason: r.get(8)?,
        log_excerpt: r.get(9)?,
        steps: Vec::new(),
    })
}

/// Drills selected by `filter` (a WHERE/ORDER clause) with their steps, in two queries.
fn load_drills(c: &Connection, filter: &str, args: &[Value]) -> Result<Vec<DrillRecord>, Fail> {
    let mut drills: Vec<DrillRecord> = c
        .prepare(&format!("SELECT {DRILL_COLS} FROM drills {filter}"))?
        .query_map(params_from_iter(args), drill_row)?
        .collect::<Result<_, _>>()?;
    let index: HashMap<i64, usize> = drills.iter().enumerate().map(|(i, d)| (d.id, i)).collect();
    let sql = format!(
        "SELECT drill_id, name, seconds, ok, detail FROM drill_steps
         WHERE drill_id IN (SELECT id FROM drills {filter}) ORDER BY drill_id, ordinal"
    );
    let mut stmt = c.prepare(&sql)?;
    let mut rows = stmt.query(params_from_iter(args))?;
    while let Some(r) = rows.next()? {
        if let Some(&i) = index.get(&r.get::<_, i64>(0)?) {
            drills[i].steps.push(DrillStep {
                name: r.get(1)?,
                seconds: r.get(2)?,
                ok: r.get(3)?,
                detail: r.get(4)?,
            });
        }
    }
    Ok(drills)
}

impl Sqlite {
    pub(in crate::store) async fn start_drill(
        &self,
        venture: String,
        started_at: Time,
        target: Option<Time>,
    ) -> Result<i64, StoreError> {
        self.write("recording a drill start", move |tx| {
            tx.execute(
                "INSERT INTO drills (venture, started_at, outcome, target_time)
                 VALUES (?1, ?2, 'running', ?3)",
                params![venture, us(started_at), target.map(us)],
            )?;
            Ok(tx.last_insert_rowid())
        })
        .await
    }

    pub(in crate::store) async fn finish_drill(
        &self,
        id: i64,
        f: DrillFinish,
    ) -> Result<(), StoreError> {
        self.write("recording a drill result", move |tx| {
            let found: Option<Option<i64>> = tx
                .query_row("SELECT finished_at FROM drills WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .optional()?;
            let reason = match found {
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
                "UPDATE drills SET finished_at = ?2, outcome = ?3,
                     target_time = coalesce(?4, target_time), rto_seconds = ?5, rpo_seconds = ?6,
                     reason = ?7, log_excerpt = ?8
                 WHERE id = ?1",
                params![
                    id,
                    us(f.finished_at),
                    f.outcome,
                    f.target_time.map(us),
                    f.rto_seconds,
                    f.rpo_seconds,
                    f.reason,
                    f.log_excerpt
                ],
            )?;
            let mut step = tx.prepare(
                "INSERT INTO drill_steps (drill_id, ordinal, name, seconds, ok, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (i, s) in f.steps.iter().enumerate() {
                step.execute(params![id, i as i64, s.name, s.seconds, s.ok, s.detail])?;
            }
            Ok(())
        })
        .await
    }

    pub(in crate::store) async fn drills(
        &self,
        venture: String,
        since: Time,
        until: Time,
    ) -> Result<Vec<DrillRecord>, StoreError> {
        self.run("listing drills", move |c| {
            let args = [Value::Text(venture), Value::Integer(us(since)), Value::Integer(us(until))];
            load_drills(
                c,
                "WHERE venture = ?1 AND started_at >= ?2 AND started_at < ?3 ORDER BY started_at, id",
                &args,
            )
        })
        .await
    }

    pub(in crate::store) async fn last_drill(
        &self,
        venture: String,
    ) -> Result<Option<DrillRecord>, StoreError> {
        self.run("reading the last drill", move |c| {
            let filter = "WHERE venture = ?1 AND finished_at IS NOT NULL \
                          ORDER BY started_at DESC, id DESC LIMIT 1";
            Ok(load_drills(c, filter, &[Value::Text(venture)])?.pop())
        })
        .await
    }

    pub(in crate::store) async fn running_drills(&self) -> Result<Vec<DrillRecord>, StoreError> {
        self.run("listing running drills", |c| {
            load_drills(c, "WHERE finished_at IS NULL ORDER BY started_at, id", &[])
        })
        .await
    }
}
