//! Handlers of the operational endpoints: `/metrics`, `/healthz`, `/readyz` and the 404 fallback.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use futures_util::StreamExt;

use super::stream::ChunkWriter;
use super::AppState;
use crate::metrics::Format;

/// `/metrics`: OpenMetrics or Prometheus text 0.0.4, negotiated from `Accept`, streamed in
/// chunks as the encoder writes them (see [`super::stream`]).
pub(super) async fn metrics(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = Format::from_accept(accept);
    let metrics = app.metrics.clone();
    let (writer, mut rx) = ChunkWriter::channel();
    // At 10,000 ventures the exposition is tens of MB; encode it off the async workers.
    let encoder = tokio::task::spawn_blocking(move || {
        let mut writer = writer;
        match metrics.encode_into(format, &mut writer) {
            Ok(()) => writer.finish(),
            Err(error) => {
                tracing::error!(%error, "encoding /metrics failed");
                writer.fail(&error);
            }
        }
    });
    match rx.recv().await {
        Some(Ok(first)) => {
            let rest = futures_util::stream::unfold(rx, |mut rx| async move {
                rx.recv().await.map(|piece| (piece, rx))
            });
            let body = futures_util::stream::once(std::future::ready(Ok(first))).chain(rest);
            (
                [(header::CONTENT_TYPE, format.content_type())],
                Body::from_stream(body),
            )
                .into_response()
        }
        Some(Err(_)) | None => {
            if let Err(error) = encoder.await {
                tracing::error!(%error, "the /metrics encoder task failed");
            }
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
