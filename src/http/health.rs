//! The load-balancer endpoints (DESIGN.md §5): `GET /health/{venture}/{endpoint}/primary` and
//! `/replica[?max_lag=BYTES]` answer 200, 503 or 404 with a short plain-text reason, from the
//! snapshot only ([`crate::lb`]); no authentication, no I/O. `HEAD` works too (axum answers it
//! from the GET route without a body).

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AppState;
use crate::lb::{self, Verdict};

/// `?max_lag=BYTES`.
#[derive(Debug, Deserialize)]
pub(super) struct ReplicaQuery {
    max_lag: Option<String>,
}

fn answer(verdict: Verdict) -> Response {
    let status = StatusCode::from_u16(verdict.status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{}\n", verdict.reason()),
    )
        .into_response()
}

/// `/health/{venture}/{endpoint}/primary`.
pub(super) async fn primary(
    State(app): State<AppState>,
    Path((venture, endpoint)): Path<(String, String)>,
) -> Response {
    answer(lb::primary(&app.state.load(), &venture, &endpoint))
}

/// `/health/{venture}/{endpoint}/replica[?max_lag=BYTES]`; 400 when `max_lag` is not a number
/// of bytes.
pub(super) async fn replica(
    State(app): State<AppState>,
    Path((venture, endpoint)): Path<(String, String)>,
    Query(query): Query<ReplicaQuery>,
) -> Response {
    let max_lag = match query.max_lag.as_deref().map(str::parse::<u64>) {
        None => None,
        Some(Ok(bytes)) => Some(bytes),
        Some(Err(_)) => {
            return (
                StatusCode::BAD_REQUEST,
                "max_lag must be a whole number of bytes\n",
            )
                .into_response()
        }
    };
    answer(lb::replica(&app.state.load(), &venture, &endpoint, max_lag))
}
