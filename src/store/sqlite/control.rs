//! SQLite: objective overrides (audited), endpoint roles and fences, and retention.

use chrono::{DateTime, Utc};
use rusqlite::params;
use rusqlite::types::Type;

use super::history::insert_event;
use super::{bad, time, us, Fail, Sqlite};
use crate::store::records::*;
use crate::store::{now, StoreError};

type Time = DateTime<Utc>;

/// One `objective_overrides` row (the columns in table order, `retention` last).
fn override_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ObjectiveOverride> {
    let retention: Option<String> = r.get(7)?;
    Ok(ObjectiveOverride {
        venture: r.get(0)?,
        rpo_seconds: r.get(1)?,
        rto_seconds: r.get(2)?,
        pitr_window_seconds: r.get(3)?,
        backup_max_age_seconds: r.get(4)?,
        retention: stored_retention(retention.as_deref()).map_err(|e| bad(7, Type::Text, e))?,
        set_by: r.get(5)?,
        set_at: time(r, 6)?,
    })
}

/// The override of `venture` as stored now (read inside a write, for the audit's old value).
fn stored_override(
    tx: &rusqlite::Transaction<'_>,
    venture: &str,
) -> rusqlite::Result<Option<ObjectiveOverride>> {
    use rusqlite::OptionalExtension;
    tx.query_row(
        "SELECT venture, rpo_seconds, rto_seconds, pitr_window_seconds,
                backup_max_age_seconds, set_by, set_at, retention
         FROM objective_overrides WHERE venture = ?1",
        [venture],
        override_row,
    )
    .optional()
}

impl Sqlite {
    pub(in crate::store) async fn set_override(
        &self,
        o: ObjectiveOverride,
    ) -> Result<(), StoreError> {
        self.write("setting an objective override", move |tx| {
            let previous = stored_override(tx, &o.venture)?;
            tx.execute(
                "INSERT INTO objective_overrides (venture, rpo_seconds, rto_seconds,
                     pitr_window_seconds, backup_max_age_seconds, set_by, set_at, retention)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (venture) DO UPDATE SET rpo_seconds = excluded.rpo_seconds,
                     rto_seconds = excluded.rto_seconds,
                     pitr_window_seconds = excluded.pitr_window_seconds,
                     backup_max_age_seconds = excluded.backup_max_age_seconds,
                     set_by = excluded.set_by, set_at = excluded.set_at,
                     retention = excluded.retention",
                params![
                    o.venture,
                    o.rpo_seconds,
                    o.rto_seconds,
                    o.pitr_window_seconds,
                    o.backup_max_age_seconds,
                    o.set_by,
                    us(o.set_at),
                    retention_text(o.retention.as_ref())
                ],
            )?;
            insert_event(tx, &override_set_event(&o, previous.as_ref()))?;
            Ok(())
        })
        .await
    }

    pub(in crate::store) async fn clear_override(
        &self,
        venture: String,
        actor: String,
    ) -> Result<bool, StoreError> {
        self.write("clearing an objective override", move |tx| {
            let previous = stored_override(tx, &venture)?;
            let n = tx.execute(
                "DELETE FROM objective_overrides WHERE venture = ?1",
                [&venture],
            )?;
            if n > 0 {
                insert_event(
                    tx,
                    &override_cleared_event(&venture, &actor, now(), previous.as_ref()),
                )?;
            }
            Ok(n > 0)
        })
        .await
    }

    pub(in crate::store) async fn overrides(&self) -> Result<Vec<ObjectiveOverride>, StoreError> {
        self.run("listing objective overrides", |c| {
            Ok(c.prepare(
                "SELECT venture, rpo_seconds, rto_seconds, pitr_window_seconds,
                        backup_max_age_seconds, set_by, set_at, retention
                 FROM objective_overrides ORDER BY venture",
            )?
            .query_map([], override_row)?
            .collect::<Result<_, _>>()?)
        })
        .await
    }

    pub(in crate::store) async fn set_endpoint_role(
        &self,
        e: EndpointRoleRecord,
    ) -> Result<(), StoreError> {
        self.write("recording an endpoint role", move |tx| {
            tx.execute(
                "INSERT INTO endpoint_roles (venture, endpoint, role, fenced, epoch, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (venture, endpoint) DO UPDATE SET role = excluded.role,
                     fenced = excluded.fenced, epoch = excluded.epoch,
                     updated_at = excluded.updated_at",
                params![
                    e.venture,
                    e.endpoint,
                    e.role.as_str(),
                    e.fenced,
                    e.epoch,
                    us(e.updated_at)
                ],
            )?;
            Ok(())
        })
        .await
    }

    pub(in crate::store) async fn endpoint_roles(
        &self,
        venture: Option<String>,
    ) -> Result<Vec<EndpointRoleRecord>, StoreError> {
        self.run("listing endpoint roles", move |c| {
            Ok(c.prepare(
                "SELECT venture, endpoint, role, fenced, epoch, updated_at FROM endpoint_roles
                 WHERE ?1 IS NULL OR venture = ?1 ORDER BY venture, endpoint",
            )?
            .query_map([venture], |r| {
                let role: String = r.get(2)?;
                Ok(EndpointRoleRecord {
                    venture: r.get(0)?,
                    endpoint: r.get(1)?,
                    role: parse_role(&role)
                        .ok_or_else(|| bad(2, Type::Text, format!("role {role:?}")))?,
                    fenced: r.get(3)?,
                    epoch: r.get(4)?,
                    updated_at: time(r, 5)?,
                })
            })?
            .collect::<Result<_, _>>()?)
        })
        .await
    }

    pub(in crate::store) async fn prune(&self, cutoff: Time) -> Result<PruneCounts, StoreError> {
        self.write("pruning old history", move |tx| {
            let t = us(cutoff);
            let day = cutoff.date_naive().format("%Y-%m-%d").to_string();
            let del = |sql: &str, arg: &dyn rusqlite::ToSql| -> Result<u64, Fail> {
                Ok(tx.execute(sql, [arg])? as u64)
            };
            Ok(PruneCounts {
                events: del("DELETE FROM events WHERE at < ?1", &t)?,
                sends: del("DELETE FROM sends WHERE at < ?1", &t)?,
                verifications: del("DELETE FROM verifications WHERE finished_at < ?1", &t)?,
                drills: del(
                    "DELETE FROM drills WHERE finished_at IS NOT NULL AND finished_at < ?1",
                    &t,
                )?,
                failovers: del(
                    "DELETE FROM failovers WHERE finished_at IS NOT NULL AND finished_at < ?1",
                    &t,
                )?,
                recoveries: del("DELETE FROM recoveries WHERE requested_at < ?1", &t)?,
                size_samples: del("DELETE FROM size_samples WHERE day < ?1", &day)?,
            })
        })
        .await
    }
}
