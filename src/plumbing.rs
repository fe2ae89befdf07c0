//! The agent's store-backed background work: run-time objective overrides applied to the
//! snapshot, notification sends recorded, and old rows pruned.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::notify::SendRecord;
use crate::state::{Objectives, SharedState};
use crate::store::{ObjectiveOverride, Store};

/// How often overrides are re-read (another agent or the API may have changed them).
pub const OVERRIDE_REFRESH: Duration = Duration::from_secs(30);
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
            for v in &mut s.ventures {
                if let Some(o) = effective.get(&v.name) {
                    v.objectives = o.clone();
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

#[cfg(test)]
mod tests {
    use super::*;

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
