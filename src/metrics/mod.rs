//! Prometheus exposition: the scrape-time [`SnapshotCollector`] plus the agent's own metrics.
//!
//! Values observed by polling flow poller → [`Snapshot`](crate::state::Snapshot) →
//! [`SnapshotCollector`], which only reads the snapshot. [`Metrics`] owns the `backstop_`-prefixed
//! [`Registry`] and encodes it as OpenMetrics or Prometheus text 0.0.4 ([`Format`]).
//! docs/metrics.md lists every family; a test holds it and the encoder consistent.
//!
//! ```
//! use backstop::metrics::{Format, Metrics};
//! use backstop::state::{SharedState, Snapshot, VentureState};
//!
//! let state = SharedState::new(Snapshot::default());
//! let metrics = Metrics::new(state.clone());
//! state.update(|s| s.push_venture(VentureState { name: "acme".into(), ..Default::default() }));
//!
//! let text = metrics.encode(Format::PrometheusText)?;
//! assert!(text.contains("backstop_rpo_objective_seconds{venture=\"acme\"} 900"));
//! assert!(text.contains("# TYPE backstop_errors_total counter"));
//! let om = metrics.encode(Format::OpenMetrics)?;
//! assert!(om.ends_with("# EOF\n"));
//! # Ok::<(), backstop::metrics::MetricsError>(())
//! ```

mod collector;
#[cfg(test)]
mod doc_sync;
mod drift;
mod drill;
mod endpoint;
mod family;
mod format;
mod pitr;
mod poll_interval;
pub mod source;
pub mod synthetic;
#[cfg(test)]
mod tests;
mod trigger;
mod unmeetable;
mod verification;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use prometheus_client::encoding::{prometheus_text, text};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

pub use collector::{SnapshotCollector, DRILL_OUTCOMES, FAILOVER_OUTCOMES};
pub use format::{Format, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE};
pub use source::{repository_size, BACKUP_STATUSES};

use crate::state::SharedState;

/// Upper bounds (seconds) of `backstop_scrape_duration_seconds`.
pub const SCRAPE_BUCKETS: [f64; 11] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Errors of the metrics subsystem.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// Writing the exposition failed (a collector or the writer returned `fmt::Error`).
    #[error("encoding the metrics exposition failed")]
    Encode(#[from] std::fmt::Error),
}

/// The metrics registry of the agent: the snapshot collector and the agent's own instruments.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    scrape_duration: Histogram,
    // Size of the previous exposition, so the next one is allocated once, up front.
    size_hint: AtomicUsize,
}

impl Metrics {
    /// A `backstop_`-prefixed registry with a [`SnapshotCollector`] over `state` registered.
    pub fn new(state: SharedState) -> Self {
        let mut registry = Registry::with_prefix("backstop");
        registry.register_collector(Box::new(SnapshotCollector::new(state)));
        let scrape_duration = Histogram::new(SCRAPE_BUCKETS);
        registry.register_with_unit(
            "scrape_duration",
            // The registry appends the final period.
            "Time spent encoding /metrics responses (a scrape is counted in the next one)",
            Unit::Seconds,
            scrape_duration.clone(),
        );
        Self {
            registry,
            scrape_duration,
            size_hint: AtomicUsize::new(16 * 1024),
        }
    }

    /// The registry, so other subsystems can register their own instruments before serving.
    /// Register names without the `backstop_` prefix, unit or `_total` suffix.
    pub fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// Encodes the whole registry in `format` and records how long it took.
    pub fn encode(&self, format: Format) -> Result<String, MetricsError> {
        let hint = self.size_hint.load(Ordering::Relaxed);
        let mut out = String::with_capacity(hint + hint / 8);
        self.encode_into(format, &mut out)?;
        self.size_hint.store(out.len(), Ordering::Relaxed);
        Ok(out)
    }

    /// Encodes the whole registry in `format` into `out` as it goes (the `/metrics` handler
    /// streams it) and records how long it took, writing included.
    pub fn encode_into(
        &self,
        format: Format,
        out: &mut impl std::fmt::Write,
    ) -> Result<(), MetricsError> {
        let started = Instant::now();
        match format {
            Format::OpenMetrics => text::encode(out, &self.registry)?,
            Format::PrometheusText => prometheus_text::encode(out, &self.registry)?,
        }
        self.scrape_duration
            .observe(started.elapsed().as_secs_f64());
        Ok(())
    }
}
