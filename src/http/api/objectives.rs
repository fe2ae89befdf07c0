//! Run-time objectives (DESIGN.md §3, §5): `GET /api/v1/ventures/{venture}/objectives` (open),
//! `PUT` (admin token, rate limited) with any subset of `{"rpo", "rto", "pitr_window",
//! "backup_max_age", "retention"}` (durations as in the configuration, a policy as in
//! `[ventures.retention]`; `null` = back to the configured value), `DELETE` (the same guard)
//! removes the override. Each change is stored and audited in one transaction (actor
//! `api:admin`, old → new) and published into the snapshot before the answer, so the next
//! scrape's `backstop_*_objective_seconds` and `backstop_retention_*_backups`, the retention
//! verdicts, the checks and the alert rules use it.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::Json;
use chrono::Utc;

use super::views::{api, venture_config, venture_state};
use super::Api;
use crate::http::{AppState, HttpError};
use crate::view::{self, load, ObjectiveUpdate, ObjectivesView};

/// Who the audit log names for changes made with the admin token.
pub const ACTOR: &str = "api:admin";

/// The objectives view of `venture` as stored and in force now.
async fn current(app: &AppState, api: &Api, venture: &str) -> Result<ObjectivesView, HttpError> {
    let cfg = venture_config(api, venture)?;
    let stored = load::objective_override(&api.drills.store, venture).await?;
    let snap = app.state.load();
    let v = venture_state(&snap, venture)?;
    Ok(view::objectives(
        venture,
        &v.objectives,
        &cfg.objectives(),
        stored.as_ref(),
        api.admin_token.is_some(),
    ))
}

/// Publishes the stored overrides into the snapshot at once.
async fn publish(app: &AppState, api: &Api) -> Result<(), HttpError> {
    let configured: HashMap<_, _> = api
        .drills
        .config
        .ventures
        .iter()
        .map(|v| (v.name.clone(), v.objectives()))
        .collect();
    crate::plumbing::apply_overrides(&api.drills.store, &app.state, &configured)
        .await
        .map_err(|e| view::ViewError::Store(e).into())
}

/// `GET …/objectives`.
pub(crate) async fn get(
    State(app): State<AppState>,
    Path(venture): Path<String>,
) -> Result<Json<ObjectivesView>, HttpError> {
    let api = api(&app)?;
    Ok(Json(current(&app, &api, &venture).await?))
}

/// `PUT …/objectives`.
pub(crate) async fn put(
    State(app): State<AppState>,
    Path(venture): Path<String>,
    body: Bytes,
) -> Result<Json<ObjectivesView>, HttpError> {
    let api = api(&app)?;
    venture_config(&api, &venture)?;
    let update = ObjectiveUpdate::parse(&body)?;
    let store = &api.drills.store;
    let stored = load::objective_override(store, &venture).await?;
    match update.apply(&venture, stored.as_ref(), ACTOR, Utc::now()) {
        Some(next) => store
            .set_override(&next)
            .await
            .map_err(view::ViewError::from)?,
        None => {
            store
                .clear_override(&venture, ACTOR)
                .await
                .map_err(view::ViewError::from)?;
        }
    }
    publish(&app, &api).await?;
    tracing::info!(%venture, actor = ACTOR, "objectives changed through the API");
    Ok(Json(current(&app, &api, &venture).await?))
}

/// `DELETE …/objectives`.
pub(crate) async fn delete(
    State(app): State<AppState>,
    Path(venture): Path<String>,
) -> Result<Json<ObjectivesView>, HttpError> {
    let api = api(&app)?;
    venture_config(&api, &venture)?;
    let had = api
        .drills
        .store
        .clear_override(&venture, ACTOR)
        .await
        .map_err(view::ViewError::from)?;
    publish(&app, &api).await?;
    if had {
        tracing::info!(%venture, actor = ACTOR, "objective override cleared through the API");
    }
    Ok(Json(current(&app, &api, &venture).await?))
}
