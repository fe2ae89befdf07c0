//! Handlers of the operational endpoints: `/metrics`, `/healthz`, `/readyz` and the 404 fallback.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::metrics::Format;

/// `/metrics`: OpenMetrics or Prometheus text 0.0.4, negotiated from `Accept`.
pub(super) async fn metrics(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = Format::from_accept(accept);
    // At 10,000 ventures the exposition is tens of MB; encode it off the async workers.
    let metrics = app.metrics.clone();
    match tokio::task::spawn_blocking(move || metrics.encode(format)).await {
        Ok(Ok(body)) => ([(header::CONTENT_TYPE, format.content_type())], body).into_response(),
        Ok(Err(error)) => {
            tracing::error!(%error, "encoding /metrics failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "metrics encoding failed\n",
            )
                .into_response()
        }
        Err(error) => {
            tracing::error!(%error, "the /metrics encoder task failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "metrics encoding failed\n",
            )
                .into_response()
        }
    }
}

/// `/healthz`: the process is alive and serving.
pub(super) async fn healthz() -> &'static str {
    "ok\n"
}

/// `/readyz`: 200 once every endpoint has been polled at least once, 503 before.
pub(super) async fn readyz(State(app): State<AppState>) -> (StatusCode, &'static str) {
    if app.state.load().agent.first_poll_done {
        (StatusCode::OK, "ready\n")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "not ready: first poll of every endpoint not finished\n",
        )
    }
}

/// Unknown paths.
pub(super) async fn not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "not found\n")
}
