//! `POST /api/v1/ventures/{venture}/failover` (admin token, write rate limit): the same as
//! `backstop failover` ([`crate::failover::manual`]). Body (optional, JSON): `{"to": "pg2",
//! "planned": true | "force": true, "dry_run": true}` or `{"clear_fence": "pg1"}`.
//!
//! Answers 200 with the result (`dry_run`, `completed`, `failed`, `aborted`, or a cleared
//! fence), 409 when refused (with the reason), 404 for an unknown venture, 400 for a bad body,
//! and 202 `{"status": "running"}` when the failover outlasts [`ANSWER_WAIT`] (it goes on in
//! the background and is recorded as usual).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use crate::failover::manual::{self, Kind, Request};
use crate::http::{AppState, HttpError};

/// Longest wait for the result before answering 202 (below the request timeout).
pub const ANSWER_WAIT: Duration = Duration::from_secs(8);

/// The request body.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Body {
    to: Option<String>,
    #[serde(default)]
    planned: bool,
    #[serde(default)]
    force: bool,
    #[serde(default)]
    dry_run: bool,
    clear_fence: Option<String>,
}

/// Parses the body (pure).
fn body(bytes: &[u8]) -> Result<Body, HttpError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Body::default());
    }
    let b: Body = serde_json::from_slice(bytes).map_err(|e| {
        HttpError::BadRequest(format!(
            "the body must be empty or {{\"to\", \"planned\" | \"force\", \"dry_run\"}} or {{\"clear_fence\"}}: {e}"
        ))
    })?;
    if b.planned && b.force {
        return Err(HttpError::BadRequest(
            "planned and force exclude each other".to_owned(),
        ));
    }
    if b.clear_fence.is_some() && (b.planned || b.force || b.to.is_some()) {
        return Err(HttpError::BadRequest(
            "clear_fence goes alone (with dry_run at most)".to_owned(),
        ));
    }
    Ok(b)
}

/// The handler.
pub(crate) async fn request(
    State(app): State<AppState>,
    Path(venture): Path<String>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<serde_json::Value>), HttpError> {
    let api = app.api.clone().ok_or(HttpError::Unavailable)?;
    let Some(config) = api.drills.config.venture(&venture).cloned() else {
        return Err(HttpError::NotFound(format!("no venture named {venture:?}")));
    };
    let b = body(&bytes)?;
    let (store, state) = (api.drills.store.clone(), api.drills.state.clone());
    if let Some(endpoint) = b.clear_fence {
        if b.dry_run {
            return Ok((
                StatusCode::OK,
                Json(
                    serde_json::json!({ "result": "dry_run", "detail": format!("would clear the fence of {endpoint}") }),
                ),
            ));
        }
        return match manual::clear_fence(&config, &store, &state, &endpoint, "api").await {
            Ok(detail) => Ok((
                StatusCode::OK,
                Json(serde_json::json!({ "result": "fence_cleared", "detail": detail })),
            )),
            Err(crate::failover::error::ControllerError::Invalid(why)) => {
                Err(HttpError::Conflict(why))
            }
            Err(e) => {
                tracing::error!(venture = %venture, error = %e, "clearing a fence through the API failed");
                Err(HttpError::Internal)
            }
        };
    }
    let req = Request {
        to: b.to,
        kind: match (b.planned, b.force) {
            (true, _) => Some(Kind::Planned),
            (_, true) => Some(Kind::Forced),
            _ => None,
        },
        dry_run: b.dry_run,
        actor: "api".to_owned(),
    };
    // In its own task: a dropped request never cuts a failover off mid-way.
    let task = tokio::spawn(async move { manual::run(&config, &store, &state, &req).await });
    let mut task = std::pin::pin!(task);
    match tokio::time::timeout(ANSWER_WAIT, &mut task).await {
        Err(_) => Ok((
            StatusCode::ACCEPTED,
            Json(serde_json::json!({ "result": "running", "venture": venture })),
        )),
        Ok(Ok(Ok(answer))) => {
            let json = serde_json::to_value(&answer).map_err(|_| HttpError::Internal)?;
            if answer.result == "refused" {
                return Err(HttpError::Conflict(answer.detail));
            }
            tracing::info!(venture = %venture, result = %answer.result, "failover requested through the API");
            Ok((StatusCode::OK, Json(json)))
        }
        Ok(Ok(Err(e))) => {
            tracing::error!(venture = %venture, error = %e, "failover requested through the API failed");
            Err(HttpError::Internal)
        }
        Ok(Err(e)) => {
            tracing::error!(venture = %venture, error = %e, "the API's failover task failed");
            Err(HttpError::Internal)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_parse_and_conflicts_are_refused() {
        assert_eq!(body(b"").ok(), Some(Body::default()));
        let b = body(br#"{"to": "pg2", "planned": true, "dry_run": true}"#).expect("ok");
        assert_eq!(b.to.as_deref(), Some("pg2"));
        assert!(b.planned && b.dry_run);
        for bad in [
            &br#"{"planned": true, "force": true}"#[..],
            br#"{"clear_fence": "pg1", "to": "pg2"}"#,
            br#"{"promote": "pg2"}"#,
            b"nope",
        ] {
            assert!(
                matches!(body(bad), Err(HttpError::BadRequest(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
