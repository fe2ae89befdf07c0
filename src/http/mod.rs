//! The HTTP server: `/metrics`, `/healthz`, `/readyz`, the load-balancer checks under
//! `/health/{venture}/{endpoint}/…` ([`crate::lb`]), the JSON API under `/api/v1` ([`api`]), the
//! status page at `/` ([`page`]), hardened with timeouts, size limits and security headers
//! ([`security`]). Writes need the admin token
//! ([`auth`]) and are rate limited ([`limit`]).
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

pub mod api;
pub mod auth;
mod handlers;
mod health;
#[cfg(test)]
mod health_tests;
pub mod limit;
pub mod page;
mod response;
pub mod security;
mod serve;
pub mod stream;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::Router;

pub use serve::{harden, serve, shutdown_signal, Limits};

use crate::metrics::Metrics;
use crate::state::SharedState;

/// Errors of the HTTP subsystem: the server's own, and the API's answers (each becomes a JSON
/// response with its status, see `response.rs`).
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The server stopped with an I/O error (accepting connections failed).
    #[error("HTTP server failed: {0}")]
    Serve(std::io::Error),
    /// 401: no or a wrong admin token (deliberately without detail).
    #[error("unauthorized")]
    Unauthorized,
    /// 403: no admin token is configured, so writes are off.
    #[error("writes are disabled: no admin token is configured (set the environment variable named by agent.admin_token_env, or agent.admin_token_file)")]
    WritesDisabled,
    /// 429: over the write rate limit.
    #[error("too many write requests; retry after {retry_after_secs}s")]
    RateLimited {
        /// Seconds until a write is allowed again (`Retry-After`).
        retry_after_secs: u64,
    },
    /// 400: the request is malformed or asks for something impossible.
    #[error("{0}")]
    BadRequest(String),
    /// 404: no such venture (or resource).
    #[error("{0}")]
    NotFound(String),
    /// 409: the resource is busy (a drill of the venture already runs).
    #[error("{0}")]
    Conflict(String),
    /// 500: something on the agent's side failed; the detail is logged, not returned.
    #[error("internal error; see the agent's log")]
    Internal,
    /// 503: the API is not available in this server (no agent behind it).
    #[error("the API is not available here")]
    Unavailable,
}

/// What every handler can read: the observed state and the metrics registry, and what the
/// API needs when an agent runs behind the server.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The current snapshot.
    pub state: SharedState,
    /// The registry `/metrics` encodes.
    pub metrics: Arc<Metrics>,
    /// The API's context; `None` answers 503 on API routes.
    pub api: Option<Arc<api::Api>>,
}

impl AppState {
    /// Bundles the state and a fully registered [`Metrics`].
    pub fn new(state: SharedState, metrics: Metrics) -> Self {
        Self {
            state,
            metrics: Arc::new(metrics),
            api: None,
        }
    }

    /// The same state with the API's context (drills, notifier, admin token, write limit).
    pub fn with_api(mut self, api: api::Api) -> Self {
        self.api = Some(Arc::new(api));
        self
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
        .route("/health/{venture}/{endpoint}/primary", get(health::primary))
        .route("/health/{venture}/{endpoint}/replica", get(health::replica))
        .merge(api::routes(&app))
        .merge(page::routes())
        .fallback(handlers::not_found)
        .with_state(app);
    harden(routes, &Limits::default())
}
