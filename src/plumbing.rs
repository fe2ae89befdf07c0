//! The agent's store-backed background work: run-time objective overrides applied to the
//! snapshot (retention verdicts and the PITR window recomputed at once), notification sends
//! recorded, and old rows pruned.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::notify::SendRecord;
use crate::state::{Objectives, SharedState};
use crate::store::{ObjectiveOverride, Store};

/// How often overrides are re-read (another agent or the API may have changed them).
pub const OVERRIDE_REFRESH: Duration = Duration::from_secs(30);
/// How often the daily backup-size sample is refreshed (the last one of a day wins).
pub const SIZE_SAMPLE_EVERY: Duration = Duration::from_secs(3600);
/// How often old rows are pruned.
pub const PRUNE_EVERY: Duration = Duration::from_secs(24 * 3600);

/// The objectives of every venture: configured, with the stored overrides applied (pure).
pub fn effective(
    configured: &HashMap<String, Objectives>,
    overrides: &[ObjectiveOverride],
) -> HashMap<String, Objectives> {
    configured
        .iter()
        .map(|(venture, base)| {
            let o = overrides.iter().find(|o| &o.venture == venture);
            (
                venture.clone(),
                o.map_or_else(|| base.clone(), |o| o.apply(base)),
            )
        })
        .collect()
}

/// Reads the overrides once and publishes the effective objectives.
pub async fn apply_overrides(
    store: &Store,
    state: &SharedState,
    configured: &HashMap<String, Objectives>,
) -> Result<(), crate::store::StoreError> {
    let overrides = store.overrides().await?;
    let effective = effective(configured, &overrides);
    let changed = state
        .load()
        .ventures
        .iter()
        .any(|v| effective.get(&v.name).is_some_and(|o| *o != v.objectives));
    if changed {
        state.update(|s| {
            for v in s.ventures_mut() {
                if let Some(o) = effective.get(&v.name).filter(|o| **o != v.objectives) {
                    v.objectives = o.clone();
                    // Verdicts and required counts follow the policy (and PITR objective) now,
                    // not at the next poll.
                    crate::sources::derive::refresh(v);
                }
            }
        });
    }
    Ok(())
}

/// Re-applies overrides every [`OVERRIDE_REFRESH`] until stopped.
pub async fn override_task(
    store: Store,
    state: SharedState,
    configured: HashMap<String, Objectives>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut failing = false;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(OVERRIDE_REFRESH) => {}
            _ = stopped.changed() => return,
        }
        match apply_overrides(&store, &state, &configured).await {
            Ok(()) if failing => {
                failing = false;
                tracing::info!("objective overrides readable again");
            }
            Ok(()) => {}
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(kind = %e.kind(), "reading objective overrides failed: {e}");
            }
            Err(_) => {}
        }
    }
}

/// Stores every finished notification send; ends when the notifier is gone.
pub async fn record_sends(store: Store, mut records: mpsc::UnboundedReceiver<SendRecord>) {
    while let Some(r) = records.recv().await {
        if let Err(e) = store.record_send(&(&r).into()).await {
            tracing::warn!(kind = %e.kind(), receiver = %r.receiver, "recording a notification send failed: {e}");
        }
    }
}

/// Prunes rows older than `retention` at start and then daily, until stopped.
pub async fn prune_task(store: Store, retention: Duration, mut stopped: watch::Receiver<bool>) {
    loop {
        let cutoff = chrono::Utc::now()
            - chrono::TimeDelta::from_std(retention).unwrap_or(chrono::TimeDelta::MAX);
        match store.prune(cutoff).await {
            Ok(counts) => tracing::debug!(?counts, "pruned the state store"),
            Err(e) => tracing::warn!(kind = %e.kind(), "pruning the state store failed: {e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(PRUNE_EVERY) => {}
            _ = stopped.changed() => return,
        }
    }
}

/// Today's size sample of every venture with a polled backup source (pure): the repository
/// size (Σ backup deltas + archived WAL) when known, else the database size measured through a
/// Supabase venture's endpoint, else the newest usable backup's size (none when all unknown).
pub fn size_samples(snapshot: &crate::state::Snapshot) -> Vec<(String, i64)> {
    snapshot
        .ventures
        .iter()
        .filter_map(|v| {
            let src = v.source.as_ref()?;
            let bytes = crate::metrics::source::repository_size(src)
                .or_else(|| {
                    let measured = src.supabase.as_ref()?.database_size?;
                    Some(measured.value)
                })
                .or_else(|| {
                    let newest = src.newest_usable(None)?.database_size;
                    (newest > 0).then_some(newest)
                })?;
            Some((v.name.clone(), i64::try_from(bytes).unwrap_or(i64::MAX)))
        })
        .collect()
}

/// How often the snapshot is looked at for a new or changed size.
pub const SIZE_SAMPLE_CHECK: Duration = Duration::from_secs(10);

/// Whether a venture's sample must be written now: never written, a new day, another size, or
/// [`SIZE_SAMPLE_EVERY`] since the last write (pure).
pub fn sample_due(
    last: Option<&(chrono::NaiveDate, i64, std::time::Instant)>,
    today: chrono::NaiveDate,
    bytes: i64,
    now: std::time::Instant,
) -> bool {
    last.is_none_or(|(day, b, at)| {
        *day != today || *b != bytes || now.duration_since(*at) >= SIZE_SAMPLE_EVERY
    })
}

/// Records [`size_samples`] as soon as a venture's size is known, and again whenever it
/// changes, the day changes, or every [`SIZE_SAMPLE_EVERY`] (the last write of a day wins).
pub async fn size_sample_task(
    store: Store,
    state: SharedState,
    mut stopped: watch::Receiver<bool>,
) {
    let mut written: HashMap<String, (chrono::NaiveDate, i64, std::time::Instant)> = HashMap::new();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(SIZE_SAMPLE_CHECK) => {}
            _ = stopped.changed() => return,
        }
        let today = chrono::Utc::now().date_naive();
        for (venture, bytes) in size_samples(&state.load()) {
            let now = std::time::Instant::now();
            if !sample_due(written.get(&venture), today, bytes, now) {
                continue;
            }
            match store.upsert_size_sample(&venture, today, bytes).await {
                Ok(()) => {
                    written.insert(venture, (today, bytes, now));
                }
                Err(e) => {
                    tracing::warn!(%venture, kind = %e.kind(), "recording the daily size sample failed: {e}");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_samples_prefer_the_repository_size() {
        let snap = crate::metrics::synthetic::snapshot(2, chrono::Utc::now());
        let samples = size_samples(&snap);
        assert_eq!(samples.len(), 2);
        let src = snap.ventures[0].source.as_ref().expect("source");
        let repo = crate::metrics::source::repository_size(src).expect("known");
        assert_eq!(samples[0], (snap.ventures[0].name.clone(), repo as i64));
        let mut snap = snap;
        if let Some(src) = std::sync::Arc::make_mut(&mut snap.ventures[1])
            .source
            .as_mut()
        {
            src.archive = None;
        }
        let newest = std::sync::Arc::make_mut(&mut snap.ventures[1])
            .source
            .as_ref()
            .and_then(|s| s.newest_usable(None))
            .map(|b| b.database_size as i64);
        assert_eq!(size_samples(&snap)[1].1, newest.expect("usable"));
    }

    #[test]
    fn a_sample_is_due_when_new_changed_a_new_day_or_an_hour_old() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("day");
        let now = std::time::Instant::now();
        assert!(sample_due(None, day, 5, now));
        let last = (day, 5, now);
        assert!(!sample_due(Some(&last), day, 5, now));
        assert!(sample_due(Some(&last), day, 6, now));
        assert!(sample_due(
            Some(&last),
            day.succ_opt().expect("next"),
            5,
            now
        ));
        assert!(sample_due(Some(&last), day, 5, now + SIZE_SAMPLE_EVERY));
    }

    #[test]
    fn overrides_replace_only_what_they_set() {
        let base = Objectives::default();
        let configured: HashMap<String, Objectives> = [
            ("a".to_string(), base.clone()),
            ("b".to_string(), base.clone()),
        ]
        .into();
        let o = ObjectiveOverride {
            venture: "a".into(),
            rpo_seconds: Some(60),
            rto_seconds: None,
            pitr_window_seconds: None,
            backup_max_age_seconds: Some(3600),
            retention: None,
            set_by: "api:test".into(),
            set_at: chrono::Utc::now(),
        };
        let got = effective(&configured, &[o]);
        assert_eq!(got["a"].rpo, Duration::from_secs(60));
        assert_eq!(got["a"].backup_max_age, Duration::from_secs(3600));
        assert_eq!(got["a"].rto, base.rto);
        assert_eq!(got["b"], base);
    }
}
