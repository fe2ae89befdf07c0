//! Persisted roles and fences into the snapshot: at start, before the HTTP server answers, the
//! store's record of each endpoint (written by failovers) replaces the configured role, and
//! its fence holds — so the load-balancer endpoints answer right from the first second after a
//! restart, never 503 for everyone while the first probe runs.

use crate::state::{Role, SharedState, Snapshot};
use crate::store::{EndpointRoleRecord, Store, StoreError};

/// Applies `records` to `snap` (pure): role (`configured_role`, the store's record wins over
/// the file), fence, and since when. Records of unknown ventures or endpoints are ignored.
pub fn apply(snap: &mut Snapshot, records: &[EndpointRoleRecord]) {
    for r in records {
        let Some(ep) = snap
            .venture_mut(&r.venture)
            .and_then(|v| v.endpoint_mut(&r.endpoint))
        else {
            continue;
        };
        if matches!(r.role, Role::Primary | Role::Standby) {
            ep.configured_role = r.role;
        }
        ep.fenced = r.fenced;
        ep.role_since = Some(r.updated_at);
    }
}

/// Loads every recorded endpoint role from the store into `state`.
pub async fn load(store: &Store, state: &SharedState) -> Result<usize, StoreError> {
    let records = store.endpoint_roles(None).await?;
    if !records.is_empty() {
        state.update(|s| apply(s, &records));
    }
    Ok(records.len())
}
