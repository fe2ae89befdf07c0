//! The public operations of [`Store`], dispatched to the SQLite or PostgreSQL backend.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};

use super::records::*;
use super::{Backend, Store, StoreError};

type Time = DateTime<Utc>;

/// Calls the same method (taking owned arguments) on whichever backend this store uses.
macro_rules! dispatch {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match &$self.backend {
            Backend::Sqlite(b) => b.$method($($arg),*).await,
            Backend::Postgres(b) => b.$method($($arg),*).await,
        }
    };
}

impl Store {
    /// The schema version recorded in the store.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        dispatch!(self.schema_version())
    }

    /// Appends an audit event; returns its id.
    pub async fn append_event(&self, event: &NewEvent) -> Result<i64, StoreError> {
        dispatch!(self.append_event(event.clone()))
    }

    /// Audit events matching `filter`, newest first.
    pub async fn events(&self, filter: &EventFilter) -> Result<Vec<Event>, StoreError> {
        dispatch!(self.events(filter.clone()))
    }

    /// Records a verification (its `id` is ignored); returns the assigned id.
    pub async fn insert_verification(&self, v: &VerificationRecord) -> Result<i64, StoreError> {
        dispatch!(self.insert_verification(v.clone()))
    }

    /// Verifications of `venture` started in `[since, until)`, oldest first.
    pub async fn verifications(
        &self,
        venture: &str,
        since: Time,
        until: Time,
    ) -> Result<Vec<VerificationRecord>, StoreError> {
        dispatch!(self.verifications(venture.to_owned(), since, until))
    }

    /// The most recently started verification of `venture`.
    pub async fn last_verification(
        &self,
        venture: &str,
    ) -> Result<Option<VerificationRecord>, StoreError> {
        dispatch!(self.last_verification(venture.to_owned()))
    }

    /// Records a drill as `running`; returns its id.
    pub async fn start_drill(
        &self,
        venture: &str,
        started_at: Time,
        target_time: Option<Time>,
    ) -> Result<i64, StoreError> {
        dispatch!(self.start_drill(venture.to_owned(), started_at, target_time))
    }

    /// Writes a running drill's result and steps in one transaction; refuses a drill that is
    /// unknown or already finished.
    pub async fn finish_drill(&self, id: i64, finish: &DrillFinish) -> Result<(), StoreError> {
        dispatch!(self.finish_drill(id, finish.clone()))
    }

    /// Drills of `venture` started in `[since, until)`, oldest first, with their steps.
    pub async fn drills(
        &self,
        venture: &str,
        since: Time,
        until: Time,
    ) -> Result<Vec<DrillRecord>, StoreError> {
        dispatch!(self.drills(venture.to_owned(), since, until))
    }

    /// The most recently started *finished* drill of `venture` (running ones are not results).
    pub async fn last_drill(&self, venture: &str) -> Result<Option<DrillRecord>, StoreError> {
        dispatch!(self.last_drill(venture.to_owned()))
    }

    /// Drills of every venture that never finished (for cleanup after a crash), oldest first.
    pub async fn running_drills(&self) -> Result<Vec<DrillRecord>, StoreError> {
        dispatch!(self.running_drills())
    }

    /// Begins a failover in state `started` with epoch = the venture's highest + 1; refused
    /// with [`StoreError::FailoverInFlight`] while another one of the venture is unfinished, and
    /// with [`StoreError::NotFailoverHolder`] when `holder` is an agent that does not hold the
    /// venture's lease ([`super::holder`]).
    pub async fn begin_failover(
        &self,
        venture: &str,
        from_endpoint: &str,
        to_endpoint: &str,
        planned: bool,
        holder: &str,
    ) -> Result<FailoverRecord, StoreError> {
        let (v, f, t) = (
            venture.to_owned(),
            from_endpoint.to_owned(),
            to_endpoint.to_owned(),
        );
        dispatch!(self.begin_failover(v, f, t, planned, holder.to_owned()))
    }

    /// Moves an in-flight failover to `state` and records the step (by `holder`), only if it is
    /// unfinished, `expected_epoch` is still its venture's newest epoch (compare-and-set;
    /// otherwise [`StoreError::FailoverStale`]) and `holder` may still act on it
    /// ([`super::holder::may_act`]; otherwise [`StoreError::NotFailoverHolder`]).
    pub async fn advance_failover(
        &self,
        id: i64,
        expected_epoch: i64,
        holder: &str,
        state: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        let (h, s, d) = (holder.to_owned(), state.to_owned(), detail.to_owned());
        dispatch!(self.advance_failover(id, expected_epoch, h, s, d))
    }

    /// Checks, changing nothing, what [`Store::advance_failover`] checks: the failover is
    /// unfinished at `expected_epoch` and `holder` may still act on it. Called before each stage.
    pub async fn check_failover(
        &self,
        id: i64,
        expected_epoch: i64,
        holder: &str,
    ) -> Result<(), StoreError> {
        dispatch!(self.check_failover(id, expected_epoch, holder.to_owned()))
    }

    /// Makes `holder` (an agent holding the venture's lease) the holder of an unfinished failover
    /// and records the step (in its current state, with `detail`); refused with
    /// [`StoreError::NotFailoverHolder`] unless [`super::holder::may_take_over`] allows it (a
    /// manual holder is left alone until its record is `stale_after` old). Returns the holder
    /// before.
    pub async fn take_over_failover(
        &self,
        id: i64,
        expected_epoch: i64,
        holder: &str,
        stale_after: Duration,
        detail: &str,
    ) -> Result<Option<String>, StoreError> {
        let (h, d) = (holder.to_owned(), detail.to_owned());
        dispatch!(self.take_over_failover(id, expected_epoch, h, stale_after, d))
    }

    /// Appends a step to failover `id` without changing it or checking its holder (e.g. why an
    /// agent that lost it stopped); nothing when there is no such failover.
    pub async fn note_failover(
        &self,
        id: i64,
        holder: &str,
        state: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        let (h, s, d) = (holder.to_owned(), state.to_owned(), detail.to_owned());
        dispatch!(self.note_failover(id, h, s, d))
    }

    /// Finishes an in-flight failover with `outcome` (`completed`, `aborted`, …), only while
    /// `holder` may act on it.
    pub async fn finish_failover(
        &self,
        id: i64,
        holder: &str,
        outcome: &str,
    ) -> Result<(), StoreError> {
        dispatch!(self.finish_failover(id, holder.to_owned(), outcome.to_owned()))
    }

    /// The unfinished failover of `venture`, if any.
    pub async fn in_flight_failover(
        &self,
        venture: &str,
    ) -> Result<Option<FailoverRecord>, StoreError> {
        dispatch!(self.in_flight_failover(venture.to_owned()))
    }

    /// Failovers of `venture` started in `[since, until)`, oldest first, with their steps.
    pub async fn failovers(
        &self,
        venture: &str,
        since: Time,
        until: Time,
    ) -> Result<Vec<FailoverRecord>, StoreError> {
        dispatch!(self.failovers(venture.to_owned(), since, until))
    }

    /// Records a recovery (its `id` is ignored); returns the assigned id.
    pub async fn insert_recovery(&self, r: &RecoveryRecord) -> Result<i64, StoreError> {
        dispatch!(self.insert_recovery(r.clone()))
    }

    /// Sets the outcome, detail and measured RTO of recovery `id` (recorded when it was
    /// requested); returns whether such a recovery exists.
    pub async fn finish_recovery(
        &self,
        id: i64,
        outcome: &str,
        detail: &str,
        rto_seconds: Option<f64>,
    ) -> Result<bool, StoreError> {
        dispatch!(self.finish_recovery(id, outcome.to_owned(), detail.to_owned(), rto_seconds))
    }

    /// Recoveries of `venture` requested in `[since, until)`, oldest first.
    pub async fn recoveries(
        &self,
        venture: &str,
        since: Time,
        until: Time,
    ) -> Result<Vec<RecoveryRecord>, StoreError> {
        dispatch!(self.recoveries(venture.to_owned(), since, until))
    }

    /// Stores the backup size of `venture` on `day` (the last write of a day wins).
    pub async fn upsert_size_sample(
        &self,
        venture: &str,
        day: NaiveDate,
        bytes: i64,
    ) -> Result<(), StoreError> {
        dispatch!(self.upsert_size_sample(venture.to_owned(), day, bytes))
    }

    /// Daily size samples of `venture` from `since_day` on, oldest first.
    pub async fn size_samples(
        &self,
        venture: &str,
        since_day: NaiveDate,
    ) -> Result<Vec<SizeSample>, StoreError> {
        dispatch!(self.size_samples(venture.to_owned(), since_day))
    }

    /// Sets (replaces) the objective override of a venture and audits it, in one transaction.
    pub async fn set_override(&self, o: &ObjectiveOverride) -> Result<(), StoreError> {
        dispatch!(self.set_override(o.clone()))
    }

    /// Clears the override of `venture` and audits it as done by `actor`; returns whether
    /// there was one.
    pub async fn clear_override(&self, venture: &str, actor: &str) -> Result<bool, StoreError> {
        dispatch!(self.clear_override(venture.to_owned(), actor.to_owned()))
    }

    /// Every objective override, by venture.
    pub async fn overrides(&self) -> Result<Vec<ObjectiveOverride>, StoreError> {
        dispatch!(self.overrides())
    }

    /// Records (replaces) the role and fence of an endpoint.
    pub async fn set_endpoint_role(&self, r: &EndpointRoleRecord) -> Result<(), StoreError> {
        dispatch!(self.set_endpoint_role(r.clone()))
    }

    /// Recorded endpoint roles (of one venture, or all), by venture and endpoint.
    pub async fn endpoint_roles(
        &self,
        venture: Option<&str>,
    ) -> Result<Vec<EndpointRoleRecord>, StoreError> {
        dispatch!(self.endpoint_roles(venture.map(str::to_owned)))
    }

    /// Records a notification send; returns its id.
    pub async fn record_send(&self, s: &SendRecord) -> Result<i64, StoreError> {
        dispatch!(self.record_send(s.clone()))
    }

    /// The newest `limit` notification sends, newest first.
    pub async fn sends(&self, limit: u32) -> Result<Vec<SendRecord>, StoreError> {
        dispatch!(self.sends(limit))
    }

    /// Takes or renews the leadership lease of `venture` for `ttl`. PostgreSQL: a lease row
    /// judged by the database clock, taken when absent, expired or already `holder`'s.
    /// SQLite: always true (one agent per file).
    pub async fn try_lead(
        &self,
        venture: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        dispatch!(self.try_lead(venture.to_owned(), holder.to_owned(), ttl))
    }

    /// Gives up the lease of `venture` if `holder` has it.
    pub async fn release(&self, venture: &str, holder: &str) -> Result<(), StoreError> {
        dispatch!(self.release(venture.to_owned(), holder.to_owned()))
    }

    /// Deletes finished history older than `older_than` (events, sends, verifications,
    /// finished drills and failovers, recoveries, size samples of earlier days), in one
    /// transaction. Running drills and in-flight failovers are never deleted.
    pub async fn prune(&self, older_than: Time) -> Result<PruneCounts, StoreError> {
        dispatch!(self.prune(older_than))
    }
}
