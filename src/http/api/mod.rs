//! The JSON API under `/api/v1` (DESIGN.md §5). Each resource is one file registering its
//! routes in [`routes`]; write routes go through [`guard`]: the write rate limit first, then the
//! admin token.
//!
//! - [`drills`]: `POST /api/v1/ventures/{venture}/drills` runs a drill now.
//! - [`failover`]: `POST /api/v1/ventures/{venture}/failover` switches over, fails over or
//!   clears a fence, as `backstop failover` does.
//! - [`primary`]: `GET /api/v1/ventures/{venture}/primary` says where the primary is (read-only).
//! - [`views`]: `GET /api/v1/ventures`, `…/{venture}`, `…/backups`, `…/pitr`,
//!   `…/recovery-points?at=TIME`, from the snapshot.
//! - [`history`]: `GET …/drills`, `…/failovers`, `…/recoveries`, `…/events`, `…/size-history`,
//!   from the store.
//! - [`objectives`]: `GET|PUT|DELETE …/objectives`, run-time objectives.
//! - [`openapi`]: `GET /api/v1/openapi.json`, the document describing all of the above.
//!
//! The bodies are the view models of [`crate::view`]; nothing here renders a secret.

pub mod drills;
pub mod failover;
pub mod history;
pub mod objectives;
pub mod openapi;
pub mod primary;
pub mod views;

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::Router;

use super::limit::WriteLimiter;
use super::{auth, AppState, HttpError};
use crate::drill::DrillContext;
use crate::notify::Notifier;
use crate::secret::Secret;
use crate::view::{Scrubber, ViewError};

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
    /// Removes the configuration's secrets from texts the API returns.
    pub scrub: Scrubber,
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
        let scrub = Scrubber::new(&drills.config);
        Self {
            drills,
            notifier,
            admin_token,
            writes: WriteLimiter::default(),
            scrub,
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
        .route(
            "/api/v1/ventures/{venture}/objectives",
            put(objectives::put).delete(objectives::delete),
        )
        .route_layer(from_fn_with_state(app.clone(), guard));
    let v = "/api/v1/ventures/{venture}";
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::get))
        .route("/api/v1/ventures", get(views::list))
        .route(v, get(views::detail))
        .route(&format!("{v}/primary"), get(primary::get))
        .route(&format!("{v}/backups"), get(views::backups))
        .route(&format!("{v}/pitr"), get(views::pitr))
        .route(&format!("{v}/recovery-points"), get(views::recovery_points))
        .route(&format!("{v}/drills"), get(history::drills))
        .route(&format!("{v}/failovers"), get(history::failovers))
        .route(&format!("{v}/recoveries"), get(history::recoveries))
        .route(&format!("{v}/events"), get(history::events))
        .route(&format!("{v}/size-history"), get(history::size_history))
        .route(&format!("{v}/objectives"), get(objectives::get))
        .merge(writes)
}

impl From<ViewError> for HttpError {
    fn from(e: ViewError) -> Self {
        match e {
            ViewError::UnknownVenture(_) => HttpError::NotFound(e.to_string()),
            ViewError::BadInput(m) => HttpError::BadRequest(m),
            ViewError::Store(e) => {
                tracing::error!(kind = %e.kind(), "the API could not read or write the state store: {e}");
                HttpError::Internal
            }
        }
    }
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
