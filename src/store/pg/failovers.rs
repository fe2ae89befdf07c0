//! PostgreSQL: failovers, a single-flight state machine per venture with an epoch; every
//! transition is a recorded step, serialised per venture by an advisory lock, and changes
//! compare-and-set on the epoch and check the holder and its lease ([`crate::store::holder`]).

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_postgres::types::ToSql;
use tokio_postgres::{GenericClient, Row, Transaction};

use super::{Fail, Pg, LOCK_FAILOVER};
use crate::store::holder::{self, HolderView, LeaseView};
use crate::store::records::*;
use crate::store::{now, StoreError};

type Time = DateTime<Utc>;
type PgResult<T> = Result<T, tokio_postgres::Error>;

const FAILOVER_COLS: &str = "id, venture, epoch, from_endpoint, to_endpoint, planned, state, \
                             started_at, updated_at, finished_at, outcome, holder";

fn failover_row(r: &Row) -> PgResult<FailoverRecord> {
    Ok(FailoverRecord {
        id: r.try_get(0)?,
        venture: r.try_get(1)?,
        epoch: r.try_get(2)?,
        from_endpoint: r.try_get(3)?,
        to_endpoint: r.try_get(4)?,
        planned: r.try_get(5)?,
        state: r.try_get(6)?,
        started_at: r.try_get(7)?,
        updated_at: r.try_get(8)?,
        finished_at: r.try_get(9)?,
        outcome: r.try_get(10)?,
        holder: r.try_get(11)?,
        steps: Vec::new(),
    })
}

/// Failovers selected by `filter` with their steps, in two queries.
async fn load_failovers(
    c: &impl GenericClient,
    filter: &str,
    args: &[&(dyn ToSql + Sync)],
) -> Result<Vec<FailoverRecord>, Fail> {
    let sql = format!("SELECT {FAILOVER_COLS} FROM backstop.failovers {filter}");
    let mut list: Vec<FailoverRecord> = c
        .query(&sql, args)
        .await?
        .iter()
        .map(failover_row)
        .collect::<PgResult<_>>()?;
    let index: HashMap<i64, usize> = list.iter().enumerate().map(|(i, f)| (f.id, i)).collect();
    let sql = format!(
        "SELECT failover_id, at, state, detail, holder FROM backstop.failover_steps
         WHERE failover_id IN (SELECT id FROM backstop.failovers {filter})
         ORDER BY failover_id, id"
    );
    for r in c.query(&sql, args).await? {
        if let Some(&i) = index.get(&r.try_get::<_, i64>(0)?) {
            list[i].steps.push(FailoverStep {
                at: r.try_get(1)?,
                state: r.try_get(2)?,
                detail: r.try_get(3)?,
                holder: r.try_get(4)?,
            });
        }
    }
    Ok(list)
}

async fn add_step(
    tx: &Transaction<'_>,
    id: i64,
    at: Time,
    state: &str,
    detail: &str,
    holder: &str,
) -> Result<(), Fail> {
    tx.execute(
        "INSERT INTO backstop.failover_steps (failover_id, at, state, detail, holder)
         VALUES ($1, $2, $3, $4, $5)",
        &[&id, &at, &state, &detail, &holder],
    )
    .await?;
    Ok(())
}

/// The venture's lease now, judged by the database clock (as [`super::Pg::try_lead`] does).
async fn lease_view(tx: &Transaction<'_>, venture: &str) -> Result<LeaseView, Fail> {
    let row = tx
        .query_opt(
            "SELECT holder, expires_at > clock_timestamp() FROM backstop.leases
             WHERE venture = $1",
            &[&venture],
        )
        .await?;
    Ok(match row {
        None => LeaseView::Absent,
        Some(r) => LeaseView::Held {
            holder: r.try_get(0)?,
            live: r.try_get(1)?,
        },
    })
}

/// The holder view of failover `id` (call after [`check_cas`], which locks its venture).
async fn holder_view(tx: &Transaction<'_>, id: i64) -> Result<(String, HolderView), Fail> {
    let row = tx
        .query_one(
            "SELECT venture, holder, updated_at FROM backstop.failovers WHERE id = $1",
            &[&id],
        )
        .await?;
    let (venture, record_holder, updated): (String, Option<String>, Time) =
        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    let lease = lease_view(tx, &venture).await?;
    let idle = (now() - updated).to_std().unwrap_or_default();
    Ok((
        venture,
        HolderView {
            record_holder,
            lease,
            idle,
        },
    ))
}

/// Refuses unless `holder` may act on failover `id` now.
async fn check_holder(tx: &Transaction<'_>, id: i64, holder: &str) -> Result<(), Fail> {
    let (venture, view) = holder_view(tx, id).await?;
    holder::may_act(&view, holder, &venture)
        .map_err(|reason| StoreError::NotFailoverHolder { venture, reason }.into())
}

/// Serialises failover changes of one venture between agents (until the transaction ends).
async fn lock_venture(tx: &Transaction<'_>, venture: &str) -> Result<(), Fail> {
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext($2))",
        &[&LOCK_FAILOVER, &venture],
    )
    .await?;
    Ok(())
}

/// Locks failover `id`'s venture and checks that it is unfinished and `epoch` is the venture's
/// newest; the reason for refusing otherwise.
async fn check_cas(tx: &Transaction<'_>, id: i64, epoch: Option<i64>) -> Result<i64, Fail> {
    let shown = epoch.unwrap_or(0);
    let stale = |reason: String| StoreError::FailoverStale {
        id,
        epoch: shown,
        reason,
    };
    let Some(row) = tx
        .query_opt(
            "SELECT venture FROM backstop.failovers WHERE id = $1",
            &[&id],
        )
        .await?
    else {
        return Err(stale("no such failover".into()).into());
    };
    let venture: String = row.try_get(0)?;
    lock_venture(tx, &venture).await?;
    let row = tx
        .query_one(
            "SELECT epoch, finished_at IS NOT NULL, outcome,
                    (SELECT max(epoch) FROM backstop.failovers WHERE venture = f.venture)
             FROM backstop.failovers f WHERE id = $1",
            &[&id],
        )
        .await?;
    let (own, finished, outcome, newest): (i64, bool, Option<String>, i64) = (
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
    );
    let expected = epoch.unwrap_or(own);
    if finished {
        return Err(stale(format!(
            "it already finished ({})",
            outcome.unwrap_or_default()
        ))
        .into());
    }
    if own != expected || newest != expected {
        return Err(stale(format!("the epoch of {venture} is now {newest}")).into());
    }
    Ok(own)
}

impl Pg {
    pub(in crate::store) async fn begin_failover(
        &self,
        venture: String,
        from: String,
        to: String,
        planned: bool,
        holder: String,
    ) -> Result<FailoverRecord, StoreError> {
        let mut c = self.conn().await?;
        let result = async {
            let tx = c.client.transaction().await?;
            lock_venture(&tx, &venture).await?;
            let lease = lease_view(&tx, &venture).await?;
            if let Err(reason) = holder::holds_lease(&lease, &holder, &venture) {
                return Err(StoreError::NotFailoverHolder { venture, reason }.into());
            }
            let running = tx
                .query_opt(
                    "SELECT id FROM backstop.failovers WHERE venture = $1 AND finished_at IS NULL",
                    &[&venture],
                )
                .await?;
            if let Some(row) = running {
                let id = row.try_get(0)?;
                return Err(StoreError::FailoverInFlight { venture, id }.into());
            }
            let at = now();
            let id: i64 = tx
                .query_one(
                    "INSERT INTO backstop.failovers (venture, epoch, from_endpoint, to_endpoint,
                         planned, state, started_at, updated_at, holder)
                     VALUES ($1, (SELECT coalesce(max(epoch), 0) + 1 FROM backstop.failovers
                                  WHERE venture = $1), $2, $3, $4, 'started', $5, $5, $6)
                     RETURNING id",
                    &[&venture, &from, &to, &planned, &at, &holder],
                )
                .await?
                .try_get(0)?;
            let kind = if planned {
                "planned switchover"
            } else {
                "forced failover"
            };
            add_step(
                &tx,
                id,
                at,
                "started",
                &format!("{kind} from {from} to {to}"),
                &holder,
            )
            .await?;
            let record = load_failovers(&tx, "WHERE id = $1", &[&id]).await?.pop();
            tx.commit().await?;
            record.ok_or_else(|| {
                Fail::Store(StoreError::FailoverStale {
                    id,
                    epoch: 0,
                    reason: "it vanished right after it was written".into(),
                })
            })
        }
        .await;
        c.done("beginning a failover", result)
    }

    pub(in crate::store) async fn advance_failover(
        &self,
        id: i64,
        epoch: i64,
        holder: String,
        state: String,
        detail: String,
    ) -> Result<(), StoreError> {
        let mut c = self.conn().await?;
        let result = async {
            let tx = c.client.transaction().await?;
            check_cas(&tx, id, Some(epoch)).await?;
            check_holder(&tx, id, &holder).await?;
            let at = now();
            tx.execute(
                "UPDATE backstop.failovers SET state = $2, updated_at = $3 WHERE id = $1",
                &[&id, &state, &at],
            )
            .await?;
            add_step(&tx, id, at, &state, &detail, &holder).await?;
            tx.commit().await?;
            Ok(())
        }
        .await;
        c.done("advancing a failover", result)
    }

    pub(in crate::store) async fn check_failover(
        &self,
        id: i64,
        epoch: i64,
        holder: String,
    ) -> Result<(), StoreError> {
        let mut c = self.conn().await?;
        let result = async {
            let tx = c.client.transaction().await?;
            check_cas(&tx, id, Some(epoch)).await?;
            check_holder(&tx, id, &holder).await?;
            tx.commit().await?;
            Ok(())
        }
        .await;
        c.done("checking a failover's holder", result)
    }

    pub(in crate::store) async fn take_over_failover(
        &self,
        id: i64,
        epoch: i64,
        holder: String,
        stale_after: Duration,
        detail: String,
    ) -> Result<Option<String>, StoreError> {
        let mut c = self.conn().await?;
        let result = async {
            let tx = c.client.transaction().await?;
            check_cas(&tx, id, Some(epoch)).await?;
            let (venture, view) = holder_view(&tx, id).await?;
            if let Err(reason) = holder::may_take_over(&view, &holder, &venture, stale_after) {
                return Err(StoreError::NotFailoverHolder { venture, reason }.into());
            }
            let at = now();
            let state: String = tx
                .query_one(
                    "UPDATE backstop.failovers SET holder = $2, updated_at = $3 WHERE id = $1
                     RETURNING state",
                    &[&id, &holder, &at],
                )
                .await?
                .try_get(0)?;
            add_step(&tx, id, at, &state, &detail, &holder).await?;
            tx.commit().await?;
            Ok(view.record_holder)
        }
        .await;
        c.done("taking over a failover", result)
    }

    pub(in crate::store) async fn note_failover(
        &self,
        id: i64,
        holder: String,
        state: String,
        detail: String,
    ) -> Result<(), StoreError> {
        let mut c = self.conn().await?;
        let result = async {
            let tx = c.client.transaction().await?;
            let exists = tx
                .query_opt("SELECT id FROM backstop.failovers WHERE id = $1", &[&id])
                .await?;
            if exists.is_some() {
                add_step(&tx, id, now(), &state, &detail, &holder).await?;
            }
            tx.commit().await?;
            Ok(())
        }
        .await;
        c.done("noting a failover step", result)
    }

    pub(in crate::store) async fn finish_failover(
        &self,
        id: i64,
        holder: String,
        outcome: String,
    ) -> Result<(), StoreError> {
        let mut c = self.conn().await?;
        let result = async {
            let tx = c.client.transaction().await?;
            check_cas(&tx, id, None).await?;
            check_holder(&tx, id, &holder).await?;
            tx.execute(
                "UPDATE backstop.failovers SET finished_at = $2, updated_at = $2, outcome = $3
                 WHERE id = $1",
                &[&id, &now(), &outcome],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        }
        .await;
        c.done("finishing a failover", result)
    }

    pub(in crate::store) async fn in_flight_failover(
        &self,
        venture: String,
    ) -> Result<Option<FailoverRecord>, StoreError> {
        let c = self.conn().await?;
        let filter = "WHERE venture = $1 AND finished_at IS NULL";
        let result = load_failovers(&c.client, filter, &[&venture])
            .await
            .map(|mut v| v.pop());
        c.done("reading the in-flight failover", result)
    }

    pub(in crate::store) async fn failovers(
        &self,
        venture: String,
        since: Time,
        until: Time,
    ) -> Result<Vec<FailoverRecord>, StoreError> {
        let c = self.conn().await?;
        let filter =
            "WHERE venture = $1 AND started_at >= $2 AND started_at < $3 ORDER BY started_at, id";
        let result = load_failovers(&c.client, filter, &[&venture, &since, &until]).await;
        c.done("listing failovers", result)
    }
}
