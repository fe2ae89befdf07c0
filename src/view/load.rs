//! The views' store reads: a venture's drill, failover, recovery, event and size history, and
//! its objective override. Each read is bounded (newest rows only).

use chrono::{DateTime, Utc};

use super::ViewError;
use crate::store::{
    DrillRecord, Event, EventFilter, FailoverRecord, ObjectiveOverride, RecoveryRecord, SizeSample,
    Store,
};

/// Everything from the epoch to a day after `now` (clock skew between agents).
fn span(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    (DateTime::UNIX_EPOCH, now + chrono::TimeDelta::days(1))
}

/// The venture's drills.
pub async fn drills(
    store: &Store,
    venture: &str,
    now: DateTime<Utc>,
) -> Result<Vec<DrillRecord>, ViewError> {
    let (since, until) = span(now);
    Ok(store.drills(venture, since, until).await?)
}

/// The venture's failovers.
pub async fn failovers(
    store: &Store,
    venture: &str,
    now: DateTime<Utc>,
) -> Result<Vec<FailoverRecord>, ViewError> {
    let (since, until) = span(now);
    Ok(store.failovers(venture, since, until).await?)
}

/// The venture's recoveries.
pub async fn recoveries(
    store: &Store,
    venture: &str,
    now: DateTime<Utc>,
) -> Result<Vec<RecoveryRecord>, ViewError> {
    let (since, until) = span(now);
    Ok(store.recoveries(venture, since, until).await?)
}

/// The venture's newest audit events.
pub async fn events(store: &Store, venture: &str) -> Result<Vec<Event>, ViewError> {
    let filter = EventFilter {
        venture: Some(venture.to_owned()),
        limit: Some(super::records::RECENT as u32),
        ..EventFilter::default()
    };
    Ok(store.events(&filter).await?)
}

/// The venture's daily size samples of the last [`super::size::SIZE_HISTORY_DAYS`] days.
pub async fn size_samples(
    store: &Store,
    venture: &str,
    now: DateTime<Utc>,
) -> Result<Vec<SizeSample>, ViewError> {
    let since = super::size::since(now.date_naive());
    Ok(store.size_samples(venture, since).await?)
}

/// The venture's stored objective override.
pub async fn objective_override(
    store: &Store,
    venture: &str,
) -> Result<Option<ObjectiveOverride>, ViewError> {
    Ok(store
        .overrides()
        .await?
        .into_iter()
        .find(|o| o.venture == venture))
}
