//! PostgreSQL: objective overrides (audited), endpoint roles and fences, and retention.

use chrono::{DateTime, Utc};
use tokio_postgres::types::ToSql;

use super::history::insert_event;
use super::{Fail, Pg};
use crate::store::records::*;
use crate::store::{now, StoreError};

type Time = DateTime<Utc>;

/// The override of `venture` as stored now, locked for the rest of the transaction (read
/// inside a write, for the audit's old value).
async fn stored_override(
    tx: &tokio_postgres::Transaction<'_>,
    venture: &str,
) -> Result<Option<ObjectiveOverride>, Fail> {
    let row = tx
        .query_opt(
            "SELECT venture, rpo_seconds, rto_seconds, pitr_window_seconds,
                    backup_max_age_seconds, set_by, set_at, retention::text
             FROM backstop.objective_overrides WHERE venture = $1 FOR UPDATE",
            &[&venture],
        )
        .await?;
    row.as_ref().map(override_row).transpose()
}

/// One `objective_overrides` row (selected with `retention::text` last).
fn override_row(r: &tokio_postgres::Row) -> Result<ObjectiveOverride, Fail> {
    let retention: Option<String> = r.try_get(7)?;
    Ok(ObjectiveOverride {
        venture: r.try_get(0)?,
        rpo_seconds: r.try_get(1)?,
        rto_seconds: r.try_get(2)?,
        pitr_window_seconds: r.try_get(3)?,
        backup_max_age_seconds: r.try_get(4)?,
        retention: stored_retention(retention.as_deref()).map_err(|value| {
            Fail::Store(StoreError::Decode {
                place: super::PLACE.into(),
                what: "objective_overrides.retention",
                value,
            })
        })?,
        set_by: r.try_get(5)?,
        set_at: r.try_get(6)?,
    })
}

impl Pg {
    pub(in crate::store) async fn set_override(
        &self,
        o: ObjectiveOverride,
    ) -> Result<(), StoreError> {
        let mut c = self.conn().await?;
        let result = async {
            let tx = c.client.transaction().await?;
            let previous = stored_override(&tx, &o.venture).await?;
            tx.execute(
                "INSERT INTO backstop.objective_overrides (venture, rpo_seconds, rto_seconds,
                     pitr_window_seconds, backup_max_age_seconds, set_by, set_at, retention)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb)
                 ON CONFLICT (venture) DO UPDATE SET rpo_seconds = excluded.rpo_seconds,
                     rto_seconds = excluded.rto_seconds,
                     pitr_window_seconds = excluded.pitr_window_seconds,
                     backup_max_age_seconds = excluded.backup_max_age_seconds,
                     set_by = excluded.set_by, set_at = excluded.set_at,
                     retention = excluded.retention",
                &[
                    &o.venture,
                    &o.rpo_seconds,
                    &o.rto_seconds,
                    &o.pitr_window_seconds,
                    &o.backup_max_age_seconds,
                    &o.set_by,
                    &o.set_at,
                    &retention_text(o.retention.as_ref()),
                ],
            )
            .await?;
            insert_event(&tx, &override_set_event(&o, previous.as_ref())).await?;
            tx.commit().await?;
            Ok(())
        }
        .await;
        c.done("setting an objective override", result)
    }

    pub(in crate::store) async fn clear_override(
        &self,
        venture: String,
        actor: String,
    ) -> Result<bool, StoreError> {
        let mut c = self.conn().await?;
        let result = async {
            let tx = c.client.transaction().await?;
            let previous = stored_override(&tx, &venture).await?;
            let n = tx
                .execute(
                    "DELETE FROM backstop.objective_overrides WHERE venture = $1",
                    &[&venture],
                )
                .await?;
            if n > 0 {
                let event = override_cleared_event(&venture, &actor, now(), previous.as_ref());
                insert_event(&tx, &event).await?;
            }
            tx.commit().await?;
            Ok(n > 0)
        }
        .await;
        c.done("clearing an objective override", result)
    }

    pub(in crate::store) async fn overrides(&self) -> Result<Vec<ObjectiveOverride>, StoreError> {
        let c = self.conn().await?;
        let result = async {
            let rows = c
                .client
                .query(
                    "SELECT venture, rpo_seconds, rto_seconds, pitr_window_seconds,
                            backup_max_age_seconds, set_by, set_at, retention::text
                     FROM backstop.objective_overrides ORDER BY venture",
                    &[],
                )
                .await?;
            rows.iter().map(override_row).collect::<Result<_, Fail>>()
        }
        .await;
        c.done("listing objective overrides", result)
    }

    pub(in crate::store) async fn set_endpoint_role(
        &self,
        e: EndpointRoleRecord,
    ) -> Result<(), StoreError> {
        let c = self.conn().await?;
        let result = async {
            c.client
                .execute(
                    "INSERT INTO backstop.endpoint_roles
                         (venture, endpoint, role, fenced, epoch, updated_at)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (venture, endpoint) DO UPDATE SET role = excluded.role,
                         fenced = excluded.fenced, epoch = excluded.epoch,
                         updated_at = excluded.updated_at",
                    &[
                        &e.venture,
                        &e.endpoint,
                        &e.role.as_str(),
                        &e.fenced,
                        &e.epoch,
                        &e.updated_at,
                    ],
                )
                .await?;
            Ok(())
        }
        .await;
        c.done("recording an endpoint role", result)
    }

    pub(in crate::store) async fn endpoint_roles(
        &self,
        venture: Option<String>,
    ) -> Result<Vec<EndpointRoleRecord>, StoreError> {
        let c = self.conn().await?;
        let result = async {
            let rows = c
                .client
                .query(
                    "SELECT venture, endpoint, role, fenced, epoch, updated_at
                     FROM backstop.endpoint_roles WHERE $1::text IS NULL OR venture = $1
                     ORDER BY venture, endpoint",
                    &[&venture],
                )
                .await?;
            let mut list = Vec::with_capacity(rows.len());
            for r in &rows {
                let role: String = r.try_get(2)?;
                list.push(EndpointRoleRecord {
                    venture: r.try_get(0)?,
                    endpoint: r.try_get(1)?,
                    role: parse_role(&role).ok_or_else(|| StoreError::Decode {
                        place: super::PLACE.into(),
                        what: "endpoint role",
                        value: role.clone(),
                    })?,
                    fenced: r.try_get(3)?,
                    epoch: r.try_get(4)?,
                    updated_at: r.try_get(5)?,
                });
            }
            Ok(list)
        }
        .await;
        c.done("listing endpoint roles", result)
    }

    pub(in crate::store) async fn prune(&self, cutoff: Time) -> Result<PruneCounts, StoreError> {
        let mut c = self.conn().await?;
        let result = async {
            let tx = c.client.transaction().await?;
            let day = cutoff.date_naive();
            let t: &(dyn ToSql + Sync) = &cutoff;
            let counts = PruneCounts {
                events: tx
                    .execute("DELETE FROM backstop.events WHERE at < $1", &[t])
                    .await?,
                sends: tx
                    .execute("DELETE FROM backstop.sends WHERE at < $1", &[t])
                    .await?,
                verifications: tx
                    .execute(
                        "DELETE FROM backstop.verifications WHERE finished_at < $1",
                        &[t],
                    )
                    .await?,
                drills: tx
                    .execute(
                        "DELETE FROM backstop.drills
                         WHERE finished_at IS NOT NULL AND finished_at < $1",
                        &[t],
                    )
                    .await?,
                failovers: tx
                    .execute(
                        "DELETE FROM backstop.failovers
                         WHERE finished_at IS NOT NULL AND finished_at < $1",
                        &[t],
                    )
                    .await?,
                recoveries: tx
                    .execute(
                        "DELETE FROM backstop.recoveries WHERE requested_at < $1",
                        &[t],
                    )
                    .await?,
                size_samples: tx
                    .execute("DELETE FROM backstop.size_samples WHERE day < $1", &[&day])
                    .await?,
            };
            tx.commit().await?;
            Ok(counts)
        }
        .await;
        c.done("pruning old history", result)
    }
}
