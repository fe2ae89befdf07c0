//! `POST /api/v1/ventures/{venture}/drills`, body optional `{"to": "RFC 3339 | -15m"}`: starts a
//! drill of the venture in the background (the configured target, or `to`) and answers 202
//! `{"id", "venture", "status": "started"}` once the drill is recorded (`id` is the store's; it
//! is `null` when recording takes longer than [`ACCEPT_WAIT`], the drill still runs). 404 for
//! an unknown venture, 409 while a drill of the venture runs (or `max_concurrent_drills` do),
//! 400 for a bad body or a target the venture cannot drill. The drill's notifications follow as
//! for scheduled ones ([`crate::drill::notify::after`]).

use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::drill::{run_drill, DrillError, TargetRequest};
use crate::http::{AppState, HttpError};

/// Longest wait for the drill to be recorded (or refused) before answering.
pub const ACCEPT_WAIT: Duration = Duration::from_secs(5);

/// The optional request body.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    /// Drill to this point (RFC 3339, or `-15m`-style relative to now) instead of the target.
    to: Option<String>,
}

/// The target a request body asks for (pure).
fn request(body: &[u8], now: DateTime<Utc>) -> Result<TargetRequest, HttpError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(TargetRequest::Configured);
    }
    let body: Body = serde_json::from_slice(body).map_err(|e| {
        HttpError::BadRequest(format!(
            "the body must be empty or {{\"to\": \"RFC 3339 time or -15m\"}}: {e}"
        ))
    })?;
    match body.to {
        None => Ok(TargetRequest::Configured),
        Some(text) => crate::recover::parse_time(&text, now)
            .map(TargetRequest::At)
            .map_err(|e| HttpError::BadRequest(e.to_string())),
    }
}

/// A refusal of the runner as an answer.
fn refusal(e: DrillError) -> HttpError {
    match e {
        DrillError::UnknownVenture(_) => HttpError::NotFound(e.to_string()),
        DrillError::Busy(_) => HttpError::Conflict(e.to_string()),
        DrillError::NotPgBackRest(_) | DrillError::Target(_) => {
            HttpError::BadRequest(e.to_string())
        }
        other => {
            tracing::error!(error = %other, "a drill requested through the API could not start");
            HttpError::Internal
        }
    }
}

/// The handler.
pub(crate) async fn start(
    State(app): State<AppState>,
    Path(venture): Path<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<serde_json::Value>), HttpError> {
    let api = app.api.clone().ok_or(HttpError::Unavailable)?;
    let Some(config) = api.drills.config.venture(&venture) else {
        return Err(HttpError::NotFound(format!("no venture named {venture:?}")));
    };
    let target = request(&body, Utc::now())?;
    let objectives = app
        .state
        .load()
        .venture(&venture)
        .map(|v| v.objectives.clone())
        .unwrap_or_else(|| config.objectives());
    // Running records of the venture before this request (a stale one of another host).
    let before: HashSet<i64> = api
        .drills
        .store
        .running_drills()
        .await
        .map(|r| {
            r.iter()
                .filter(|d| d.venture == venture)
                .map(|d| d.id)
                .collect()
        })
        .unwrap_or_default();
    let claimed = Arc::new(AtomicBool::new(false));
    let task = {
        let api = api.clone();
        let venture = venture.clone();
        let claimed = claimed.clone();
        tokio::spawn(async move {
            let mut drill = std::pin::pin!(run_drill(&api.drills, &venture, target));
            // The runner claims the venture (single flight, lock file) before its first await:
            // once the first poll is pending, the next running record of the venture is this one.
            let first = std::future::poll_fn(|cx| Poll::Ready(drill.as_mut().poll(cx))).await;
            let result = match first {
                Poll::Ready(result) => result,
                Poll::Pending => {
                    claimed.store(true, Ordering::SeqCst);
                    drill.await
                }
            };
            match &result {
                Ok(o) => {
                    tracing::info!(venture = %venture, id = o.id, outcome = %o.outcome,
                        "drill requested through the API finished");
                    crate::drill::notify::after(&api.notifier, &api.drills.store, &objectives, o)
                        .await;
                }
                Err(e) => tracing::warn!(venture = %venture, error = %e,
                    "drill requested through the API did not run"),
            }
            result.map(|o| o.id)
        })
    };
    let deadline = tokio::time::Instant::now() + ACCEPT_WAIT;
    let id = loop {
        if task.is_finished() {
            match task.await {
                Ok(Ok(id)) => break Some(id),
                Ok(Err(e)) => return Err(refusal(e)),
                Err(e) => {
                    tracing::error!(error = %e, "the API's drill task failed");
                    return Err(HttpError::Internal);
                }
            }
        }
        if claimed.load(Ordering::SeqCst) {
            if let Ok(running) = api.drills.store.running_drills().await {
                if let Some(d) = running
                    .iter()
                    .filter(|d| d.venture == venture && !before.contains(&d.id))
                    .max_by_key(|d| d.id)
                {
                    break Some(d.id);
                }
            }
        }
        if tokio::time::Instant::now() >= deadline {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    tracing::info!(venture = %venture, id = ?id, "drill started through the API");
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "id": id, "venture": venture, "status": "started" })),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_choose_the_target() {
        let now: DateTime<Utc> = "2026-05-01T12:00:00Z".parse().expect("time");
        let cases: [(&str, Option<TargetRequest>); 7] = [
            ("", Some(TargetRequest::Configured)),
            ("  \n", Some(TargetRequest::Configured)),
            ("{}", Some(TargetRequest::Configured)),
            (
                "{\"to\": \"2026-05-01T11:00:00Z\"}",
                Some(TargetRequest::At(
                    "2026-05-01T11:00:00Z".parse().expect("t"),
                )),
            ),
            (
                "{\"to\": \"-15m\"}",
                Some(TargetRequest::At(
                    "2026-05-01T11:45:00Z".parse().expect("t"),
                )),
            ),
            ("{\"to\": \"yesterday\"}", None),
            ("{\"at\": \"-15m\"}", None),
        ];
        for (body, want) in cases {
            let got = request(body.as_bytes(), now);
            match want {
                Some(w) => assert_eq!(got.ok(), Some(w), "{body}"),
                None => assert!(matches!(got, Err(HttpError::BadRequest(_))), "{body}"),
            }
        }
    }
}
