//! Gathers the page's data through the view models ([`crate::view`]), the same ones the JSON API
//! answers with: per venture the detail view from the snapshot, then the drill, failover, size
//! and objective-override history from the store. A store that cannot be read makes that part
//! empty with a logged warning, never a failed page.

use chrono::{DateTime, Utc};

use super::venture::VenturePage;
use crate::config::Config;
use crate::state::{Snapshot, VentureState};
use crate::store::Store;
use crate::view::{self, load, Scrubber};

/// What the page is built from: the snapshot, and when an agent runs behind the server, its
/// configuration and store.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    /// The observed state.
    pub snapshot: &'a Snapshot,
    /// The agent's configuration (`None`: a bare server, no history and no selector answers).
    pub config: Option<&'a Config>,
    /// The agent's store.
    pub store: Option<&'a Store>,
    /// Whether objectives can be changed (an admin token is configured).
    pub editable: bool,
    /// Removes the configuration's secrets from free texts (the API's own scrubber).
    pub scrub: &'a Scrubber,
}

/// A `?venture=&at=` question to the recovery point selector.
#[derive(Debug, Clone, Default)]
pub struct Question {
    /// The venture asked about.
    pub venture: String,
    /// The time as typed (`datetime-local`, UTC, or RFC 3339).
    pub at: String,
}

/// Every venture's page data, in configuration order.
pub async fn gather(
    src: Sources<'_>,
    question: Option<&Question>,
    now: DateTime<Utc>,
) -> Vec<VenturePage> {
    let scrub = src.scrub;
    let mut out = Vec::with_capacity(src.snapshot.ventures.len());
    for v in &src.snapshot.ventures {
        out.push(one(src, v, scrub, question, now).await);
    }
    out
}

async fn one(
    src: Sources<'_>,
    v: &VentureState,
    scrub: &Scrubber,
    question: Option<&Question>,
    now: DateTime<Utc>,
) -> VenturePage {
    let (drills, failovers, sizes, stored) = match src.store {
        Some(store) => (
            logged(load::drills(store, &v.name, now).await, "drills"),
            logged(load::failovers(store, &v.name, now).await, "failovers"),
            logged(
                load::size_samples(store, &v.name, now).await,
                "size samples",
            ),
            logged(load::objective_override(store, &v.name).await, "objectives"),
        ),
        None => Default::default(),
    };
    let cfg = src
        .config
        .and_then(|c| c.ventures.iter().find(|c| c.name == v.name));
    let configured = cfg.map_or_else(|| v.objectives.clone(), |c| c.objectives());
    let answer = question
        .filter(|q| q.venture == v.name)
        .zip(cfg)
        .map(|(q, c)| (q.at.clone(), answer(c, v, &q.at, now)));
    VenturePage {
        view: view::venture(v, now, scrub),
        drills: view::drills(v, &drills, scrub),
        failovers: view::failovers(&failovers, scrub),
        sizes: view::size_history(now.date_naive(), &sizes),
        objectives: view::objectives(
            &v.name,
            &v.objectives,
            &configured,
            stored.as_ref(),
            src.editable,
        ),
        answer,
    }
}

/// The selector's answer for `at` as typed: a `datetime-local` value is UTC (the page says so).
fn answer(
    cfg: &crate::config::VentureConfig,
    v: &VentureState,
    at: &str,
    now: DateTime<Utc>,
) -> view::RecoveryPoint {
    let naive = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(at.trim(), f).ok())
        .map(|t| t.and_utc());
    match naive
        .map(Ok)
        .unwrap_or_else(|| view::parse_at(Some(at), now))
    {
        Ok(t) => view::recovery_point(cfg, v, t),
        Err(e) => view::RecoveryPoint {
            at: now,
            recoverable: false,
            backup: None,
            wal_range: None,
            command: None,
            reason: e.to_string(),
        },
    }
}

fn logged<T: Default>(r: Result<T, view::ViewError>, what: &str) -> T {
    r.unwrap_or_else(|error| {
        tracing::warn!(%error, what, "status page: reading the store failed; that part stays empty");
        T::default()
    })
}
