//! The JSON API under `/api/v1` (DESIGN.md §5). Each resource is one file registering its
//! routes in [`routes`]; write routes go through [`guard`]: the write rate limit first, then the
//! admin token.
//!
//! - [`drills`]: `POST /api/v1/ventures/{venture}/drills` runs a drill now.
//! - [`failover`]: `POST /api/v1/ventures/{venture}/failover` switches over, fails over or
//!   clears a fence, as `backstop failover` does.
//! - [`primary`]: `GET /api/v1/ventures/{venture}/primary` says where the primary is (read-only).

pub mod drills;
pub mod failover;
pub mod primary;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use super::limit::WriteLimiter;
use super::{auth, AppState, HttpError};
use crate::drill::DrillContext;
use crate::notify::Notifier;
use crate::secret::Secret;

/// What the API acts on.
pub struct Api {
    /// Drills: config, store, snapshot, single flight.
    pub drills: DrillContext,
    /// Notifications after drills the API started.
    pub notifier: Arc<Notifier>,
    /// `agent.admin_token`; `None` disables writes (403).
    pub admin_token: Option<Secret>,
    /// The write rate limit.
    pub writes: WriteLimiter,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("admin_token", &self.admin_token.as_ref().map(|_| "[set]"))
            .field("writes", &self.writes)
            .finish_non_exhaustive()
    }
}

impl Api {
    /// The API of an agent, with the default write limit.
    pub fn new(drills: DrillContext, notifier: Arc<Notifier>, admin_token: Option<Secret>) -> Self {
        Self {
            drills,
            notifier,
            admin_token,
            writes: WriteLimiter::default(),
        }
    }
}

/// The API's routes; writes are wrapped in [`guard`], reads are open.
pub fn routes(app: &AppState) -> Router<AppState> {
    let writes = Router::new()
        .route("/api/v1/ventures/{venture}/drills", post(drills::start))
        .route(
            "/api/v1/ventures/{venture}/failover",
            post(failover::request),
        )
        .route_layer(from_fn_with_state(app.clone(), guard));
    Router::new()
        .route("/api/v1/ventures/{venture}/primary", get(primary::get))
        .merge(writes)
}

/// Rate limit, then admin token; only then the handler.
pub async fn guard(
    State(app): State<AppState>,
    request: Request,
    next: Next,
) -> Result<Response, HttpError> {
    let api = app.api.as_ref().ok_or(HttpError::Unavailable)?;
    api.writes.check()?;
    auth::check(api.admin_token.as_ref(), request.headers())?;
    Ok(next.run(request).await)
}
