//! The HTTP server: `/metrics`, `/healthz`, `/readyz`, hardened with timeouts, size limits and
//! security headers.
//!
//! Handlers only read the [`SharedState`] snapshot and the [`Metrics`] registry; nothing they do
//! waits on a database, so a scrape or a health check answers even while every endpoint is down.
//!
//! ```no_run
//! use std::sync::Arc;
//! use backstop::http::{router, serve, shutdown_signal, AppState};
//! use backstop::metrics::Metrics;
//! use backstop::state::{SharedState, Snapshot};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let state = SharedState::new(Snapshot::default());
//! let app = AppState::new(state.clone(), Metrics::new(state));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9187").await?;
//! serve(listener, router(app), shutdown_signal()).await?;
//! # Ok(())
//! # }
//! ```

mod handlers;
mod serve;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::Router;

pub use serve::{harden, serve, shutdown_signal, Limits};

use crate::metrics::Metrics;
use crate::state::SharedState;

/// Errors of the HTTP subsystem.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The server stopped with an I/O error (accepting connections failed).
    #[error("HTTP server failed: {0}")]
    Serve(std::io::Error),
}

/// What every handler can read: the observed state and the metrics registry.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The current snapshot.
    pub state: SharedState,
    /// The registry `/metrics` encodes.
    pub metrics: Arc<Metrics>,
}

impl AppState {
    /// Bundles the state and a fully registered [`Metrics`].
    pub fn new(state: SharedState, metrics: Metrics) -> Self {
        Self {
            state,
            metrics: Arc::new(metrics),
        }
    }
}

/// Default time a request may take before it is answered 503.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Default largest request body accepted (413 beyond).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The agent's router with the default [`Limits`]; unknown paths answer 404.
pub fn router(app: AppState) -> Router {
    let routes = Router::new()
        .route("/metrics", get(handlers::metrics))
        .route("/healthz", get(handlers::healthz))
        .route("/readyz", get(handlers::readyz))
        .fallback(handlers::not_found)
        .with_state(app);
    harden(routes, &Limits::default())
}
