//! `GET /api/v1/ventures/{venture}/primary`: where a venture's primary is now, for clients that
//! ask rather than go through a load balancer. 200 with
//! `{"venture","endpoint","host","port","since","fenced_endpoints"}`, 503 with the reason and
//! the fenced endpoints when there is none, 404 for an unknown venture. Read-only, no token,
//! answered from the snapshot (persisted roles and fences right after a restart).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::http::{AppState, HttpError};
use crate::lb;

/// The handler.
pub async fn get(
    State(app): State<AppState>,
    Path(venture): Path<String>,
) -> Result<Response, HttpError> {
    let snap = app.state.load();
    let v = snap
        .venture(&venture)
        .ok_or_else(|| HttpError::NotFound(format!("unknown venture {venture:?}")))?;
    let fenced: Vec<&str> = v
        .endpoints
        .iter()
        .filter(|e| e.fenced)
        .map(|e| e.name.as_str())
        .collect();
    Ok(match lb::venture_primary(v) {
        Ok(p) => Json(json!({
            "venture": v.name,
            "endpoint": p.name,
            "host": p.address.as_ref().map(|a| a.host.as_str()),
            "port": p.address.as_ref().map(|a| a.port),
            "since": p.role_since,
            "fenced_endpoints": fenced,
        }))
        .into_response(),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({
                "venture": v.name,
                "endpoint": null,
                "error": reason,
                "fenced_endpoints": fenced,
            })),
        )
            .into_response(),
    })
}
