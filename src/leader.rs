//! Leadership of ventures among agents sharing one state store (DESIGN.md §9): a lease row per
//! venture in the store, taken or renewed every `ttl / 3` with a holder id unique to this
//! process, published into the snapshot as [`VentureState::leader`](crate::state::VentureState)
//! and released on shutdown. Whatever needs "only one agent does this" (the drill scheduler, a
//! failover) reads `leader == Some(true)`.
//!
//! On SQLite the store always grants the lease (one agent per file). A renewal that fails or
//! does not answer within `ttl / 3` makes this agent not the leader until a renewal succeeds
//! again: it can no longer prove it holds the lease, and another agent may take it once it
//! expires. A released lease is taken by another agent at its next renewal, so a takeover after
//! a clean shutdown takes at most `ttl / 3`, after a crash at most `ttl + ttl / 3`.
//!
//! ```no_run
//! # async fn demo(store: backstop::store::Store, state: backstop::state::SharedState) {
//! use std::time::Duration;
//! use backstop::leader::Leadership;
//!
//! let (stop, stopped) = tokio::sync::watch::channel(false);
//! let leadership = Leadership::new(store, vec!["acme".to_owned()], Duration::from_secs(15));
//! let task = tokio::spawn(leadership.run(state, stopped));
//! // … later: stop renewing and release every lease held.
//! let _ = stop.send(true);
//! let _ = task.await;
//! # }
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;

use crate::state::SharedState;
use crate::store::Store;

/// The lease period the agent uses.
pub const DEFAULT_TTL: Duration = Duration::from_secs(15);

/// The ventures' leases held (or sought) by this process.
#[derive(Debug, Clone)]
pub struct Leadership {
    store: Store,
    ventures: Vec<String>,
    holder: String,
    ttl: Duration,
}

/// A holder id unique to this process and instance: host, pid, start time and a counter (two
/// agents in one process, as in tests, are different holders).
pub fn holder_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_owned());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{host}:{}:{nanos:x}:{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

impl Leadership {
    /// Leadership of `ventures` with leases of `ttl` (at least 3 s) and a new [`holder_id`].
    pub fn new(store: Store, ventures: Vec<String>, ttl: Duration) -> Self {
        Self {
            store,
            ventures,
            holder: holder_id(),
            ttl: ttl.max(Duration::from_secs(3)),
        }
    }

    /// This process's holder id.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// How often leases are renewed: a third of the lease.
    pub fn renew_every(&self) -> Duration {
        self.ttl / 3
    }

    /// Takes or renews every venture's lease once and publishes the result (one snapshot
    /// update, only when something changed).
    pub async fn renew(&self, state: &SharedState) {
        let mut leads = Vec::with_capacity(self.ventures.len());
        for venture in &self.ventures {
            let lead = match tokio::time::timeout(
                self.renew_every(),
                self.store.try_lead(venture, &self.holder, self.ttl),
            )
            .await
            {
                Ok(Ok(lead)) => lead,
                Ok(Err(e)) => {
                    tracing::warn!(venture = %venture, error = %e,
                        "renewing the venture's leadership lease failed; not leading until it succeeds");
                    false
                }
                Err(_) => {
                    tracing::warn!(venture = %venture, timeout = ?self.renew_every(),
                        "renewing the venture's leadership lease timed out; not leading until it succeeds");
                    false
                }
            };
            leads.push(lead);
        }
        self.publish(state, &leads);
    }

    /// Publishes `leads` (in [`Leadership::new`]'s venture order) when any changed.
    fn publish(&self, state: &SharedState, leads: &[bool]) {
        let snap = state.load();
        let changed: Vec<(&String, bool)> = self
            .ventures
            .iter()
            .zip(leads.iter().copied())
            .filter(|(v, lead)| snap.venture(v).is_some_and(|s| s.leader != Some(*lead)))
            .collect();
        if changed.is_empty() {
            return;
        }
        for (venture, lead) in &changed {
            tracing::debug!(venture = %venture, leads = lead, "venture leadership changed");
        }
        state.update(|s| {
            for (venture, lead) in &changed {
                if let Some(v) = s.venture_mut(venture) {
                    v.leader = Some(*lead);
                }
            }
        });
        tracing::info!(
            holder = %self.holder,
            changed = changed.len(),
            leading = leads.iter().filter(|l| **l).count(),
            ventures = self.ventures.len(),
            "venture leadership"
        );
    }

    /// Releases every lease this process holds (best effort, bounded) and marks it not leading.
    pub async fn release(&self, state: &SharedState) {
        for venture in &self.ventures {
            let released = tokio::time::timeout(
                self.renew_every(),
                self.store.release(venture, &self.holder),
            )
            .await;
            if !matches!(released, Ok(Ok(()))) {
                tracing::warn!(venture = %venture,
                    "releasing the leadership lease failed; it expires by itself");
            }
        }
        self.publish(state, &vec![false; self.ventures.len()]);
    }

    /// Renews every `ttl / 3` until `stopped`, then releases.
    pub async fn run(self, state: SharedState, mut stopped: watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(self.renew_every());
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let stop = async {
                let _ = stopped.wait_for(|s| *s).await;
            };
            tokio::select! {
                _ = tick.tick() => {}
                () = stop => break,
            }
            self.renew(&state).await;
        }
        self.release(&state).await;
    }
}
