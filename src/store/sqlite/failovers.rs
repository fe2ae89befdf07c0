//! SQLite: failovers, a single-flight state machine per venture with an epoch; every
//! transition is a recorded step (with its holder), and changes compare-and-set on the epoch and
//! check the holder ([`crate::store::holder`]).

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::types::{Type, Value};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row, Transaction};

use super::{bad, opt_time, time, us, Fail, Sqlite};
use crate::store::holder::{self, HolderView, LeaseView};
use crate::store::records::*;
use crate::store::{now, StoreError};

type Time = DateTime<Utc>;

const FAILOVER_COLS: &str = "id, venture, epoch, from_endpoint, to_endpoint, planned, state, \
                             started_at, updated_at, finished_at, outcome, holder";

fn failover_row(r: &Row<'_>) -> rusqlite::Result<FailoverRecord> {
    Ok(FailoverRecord {
        id: r.get(0)?,
        venture: r.get(1)?,
        epoch: r.get(2)?,
        from_endpoint: r.get(3)?,
        to_endpoint: r.get(4)?,
        planned: r.get(5)?,
        state: r.get(6)?,
        started_at: time(r, 7)?,
        updated_at: time(r, 8)?,
        finished_at: opt_time(r, 9)?,
        outcome: r.get(10)?,
        holder: r.get(11)?,
        steps: Vec::new(),
    })
}

/// Failovers selected by `filter` with their steps, in two queries.
fn load_failovers(
    c: &Connection,
    filter: &str,
    args: &[Value],
) -> Result<Vec<FailoverRecord>, Fail> {
    let mut list: Vec<FailoverRecord> = c
        .prepare(&format!("SELECT {FAILOVER_COLS} FROM failovers {filter}"))?
        .query_map(params_from_iter(args), failover_row)?
        .collect::<Result<_, _>>()?;
    let index: HashMap<i64, usize> = list.iter().enumerate().map(|(i, f)| (f.id, i)).collect();
    let sql = format!(
        "SELECT failover_id, at, state, detail, holder FROM failover_steps
         WHERE failover_id IN (SELECT id FROM failovers {filter}) ORDER BY failover_id, id"
    );
    let mut stmt = c.prepare(&sql)?;
    let mut rows = stmt.query(params_from_iter(args))?;
    while let Some(r) = rows.next()? {
        if let Some(&i) = index.get(&r.get::<_, i64>(0)?) {
            list[i].steps.push(FailoverStep {
                at: time(r, 1)?,
                state: r.get(2)?,
                detail: r.get(3)?,
                holder: r.get(4)?,
            });
        }
    }
    Ok(list)
}

fn add_step(
    tx: &Transaction<'_>,
    id: i64,
    at: Time,
    state: &str,
    detail: &str,
    holder: &str,
) -> Result<(), Fail> {
    tx.execute(
        "INSERT INTO failover_steps (failover_id, at, state, detail, holder)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, us(at), state, detail, holder],
    )?;
    Ok(())
}

/// The holder view of failover `id` (SQLite has no shared lease: one agent per file).
fn holder_view(tx: &Transaction<'_>, id: i64) -> Result<(String, HolderView), Fail> {
    let (venture, record_holder, updated): (String, Option<String>, i64) = tx.query_row(
        "SELECT venture, holder, updated_at FROM failovers WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let idle = Duration::from_micros(us(now()).saturating_sub(updated).max(0) as u64);
    Ok((
        venture,
        HolderView {
            record_holder,
            lease: LeaseView::Unshared,
            idle,
        },
    ))
}

/// Refuses unless `holder` may act on failover `id` now.
fn check_holder(tx: &Transaction<'_>, id: i64, holder: &str) -> Result<(), Fail> {
    let (venture, view) = holder_view(tx, id)?;
    holder::may_act(&view, holder, &venture)
        .map_err(|reason| StoreError::NotFailoverHolder { venture, reason }.into())
}

/// Checks that failover `id` is unfinished and `epoch` is its venture's newest; the reason
/// for refusing otherwise.
fn check_cas(tx: &Transaction<'_>, id: i64, epoch: i64) -> Result<(), Fail> {
    let row: Option<(String, i64, Option<i64>, Option<String>)> = tx
        .query_row(
            "SELECT venture, epoch, finished_at, outcome FROM failovers WHERE id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let stale = |reason: String| Err(StoreError::FailoverStale { id, epoch, reason }.into());
    let Some((venture, own, finished, outcome)) = row else {
        return stale("no such failover".into());
    };
    if finished.is_some() {
        return stale(format!(
            "it already finished ({})",
            outcome.unwrap_or_default()
        ));
    }
    let newest: i64 = tx.query_row(
        "SELECT max(epoch) FROM failovers WHERE venture = ?1",
        [&venture],
        |r| r.get(0),
    )?;
    if own != epoch || newest != epoch {
        return stale(format!("the epoch of {venture} is now {newest}"));
    }
    Ok(())
}

impl Sqlite {
    pub(in crate::store) async fn begin_failover(
        &self,
        venture: String,
        from: String,
        to: String,
        planned: bool,
        holder: String,
    ) -> Result<FailoverRecord, StoreError> {
        self.write("beginning a failover", move |tx| {
            let running: Option<i64> = tx
                .query_row(
                    "SELECT id FROM failovers WHERE venture = ?1 AND finished_at IS NULL",
                    [&venture],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = running {
                return Err(StoreError::FailoverInFlight { venture, id }.into());
            }
            let at = now();
            tx.execute(
                "INSERT INTO failovers (venture, epoch, from_endpoint, to_endpoint, planned,
                                        state, started_at, updated_at, holder)
                 VALUES (?1, (SELECT coalesce(max(epoch), 0) + 1 FROM failovers
                              WHERE venture = ?1), ?2, ?3, ?4, 'started', ?5, ?5, ?6)",
                params![venture, from, to, planned, us(at), holder],
            )?;
            let id = tx.last_insert_rowid();
            let kind = if planned {
                "planned switchover"
            } else {
                "forced failover"
            };
            add_step(
                tx,
                id,
                at,
                "started",
                &format!("{kind} from {from} to {to}"),
                &holder,
            )?;
            let mut list = load_failovers(tx, "WHERE id = ?1", &[Value::Integer(id)])?;
            list.pop()
                .ok_or_else(|| Fail::Sql(bad(0, Type::Integer, format!("failover {id} vanished"))))
        })
        .await
    }

    pub(in crate::store) async fn advance_failover(
        &self,
        id: i64,
        epoch: i64,
        holder: String,
        state: String,
        detail: String,
    ) -> Result<(), StoreError> {
        self.write("advancing a failover", move |tx| {
            check_cas(tx, id, epoch)?;
            check_holder(tx, id, &holder)?;
            let at = now();
            tx.execute(
                "UPDATE failovers SET state = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, state, us(at)],
            )?;
            add_step(tx, id, at, &state, &detail, &holder)
        })
        .await
    }

    pub(in crate::store) async fn check_failover(
        &self,
        id: i64,
        epoch: i64,
        holder: String,
    ) -> Result<(), StoreError> {
        self.write("checking a failover's holder", move |tx| {
            check_cas(tx, id, epoch)?;
            check_holder(tx, id, &holder)
        })
        .await
    }

    pub(in crate::store) async fn take_over_failover(
        &self,
        id: i64,
        epoch: i64,
        holder: String,
        stale_after: Duration,
        detail: String,
    ) -> Result<Option<String>, StoreError> {
        self.write("taking over a failover", move |tx| {
            check_cas(tx, id, epoch)?;
            let (venture, view) = holder_view(tx, id)?;
            holder::may_take_over(&view, &holder, &venture, stale_after)
                .map_err(|reason| StoreError::NotFailoverHolder { venture, reason })?;
            let at = now();
            tx.execute(
                "UPDATE failovers SET holder = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, holder, us(at)],
            )?;
            let state: String =
                tx.query_row("SELECT state FROM failovers WHERE id = ?1", [id], |r| {
                    r.get(0)
                })?;
            add_step(tx, id, at, &state, &detail, &holder)?;
            Ok(view.record_holder)
        })
        .await
    }

    pub(in crate::store) async fn note_failover(
        &self,
        id: i64,
        holder: String,
        state: String,
        detail: String,
    ) -> Result<(), StoreError> {
        self.write("noting a failover step", move |tx| {
            let exists: Option<i64> = tx
                .query_row("SELECT id FROM failovers WHERE id = ?1", [id], |r| r.get(0))
                .optional()?;
            if exists.is_some() {
                add_step(tx, id, now(), &state, &detail, &holder)?;
            }
            Ok(())
        })
        .await
    }

    pub(in crate::store) async fn finish_failover(
        &self,
        id: i64,
        holder: String,
        outcome: String,
    ) -> Result<(), StoreError> {
        self.write("finishing a failover", move |tx| {
            let epoch: Option<i64> = tx
                .query_row("SELECT epoch FROM failovers WHERE id = ?1", [id], |r| r.get(0))
                .optional()?;
            check_cas(tx, id, epoch.unwrap_or(0))?;
            check_holder(tx, id, &holder)?;
            tx.execute(
                "UPDATE failovers SET finished_at = ?2, updated_at = ?2, outcome = ?3 WHERE id = ?1",
                params![id, us(now()), outcome],
            )?;
            Ok(())
        })
        .await
    }

    pub(in crate::store) async fn in_flight_failover(
        &self,
        venture: String,
    ) -> Result<Option<FailoverRecord>, StoreError> {
        self.run("reading the in-flight failover", move |c| {
            let filter = "WHERE venture = ?1 AND finished_at IS NULL";
            Ok(load_failovers(c, filter, &[Value::Text(venture)])?.pop())
        })
        .await
    }

    pub(in crate::store) async fn failovers(
        &self,
        venture: String,
        since: Time,
        until: Time,
    ) -> Result<Vec<FailoverRecord>, StoreError> {
        self.run("listing failovers", move |c| {
            let args = [Value::Text(venture), Value::Integer(us(since)), Value::Integer(us(until))];
            let filter =
                "WHERE venture = ?1 AND started_at >= ?2 AND started_at < ?3 ORDER BY started_at, id";
            load_failovers(c, filter, &args)
        })
        .await
    }
}
