//! The read-only venture views, answered from the snapshot: `GET /api/v1/ventures`,
//! `…/{venture}`, `…/backups`, `…/pitr` and `…/recovery-points?at=TIME` ([`crate::view`]).
//! No token needed; 404 for an unknown venture.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::Utc;
use serde::Serialize;

use super::Api;
use crate::config::VentureConfig;
use crate::http::{AppState, HttpError};
use crate::state::{Snapshot, VentureState};
use crate::view::{self, BackupsView, PitrView, RecoveryPoint, VentureSummary, VentureView};

/// The API context, or 503 on a server without an agent behind it.
pub(crate) fn api(app: &AppState) -> Result<Arc<Api>, HttpError> {
    app.api.clone().ok_or(HttpError::Unavailable)
}

/// The configured venture `name`, or 404.
pub(crate) fn venture_config<'a>(api: &'a Api, name: &str) -> Result<&'a VentureConfig, HttpError> {
    api.drills
        .config
        .venture(name)
        .ok_or_else(|| view::ViewError::UnknownVenture(name.to_owned()).into())
}

/// The venture `name` in `snap`, or 404.
pub(crate) fn venture_state<'a>(
    snap: &'a Snapshot,
    name: &str,
) -> Result<&'a VentureState, HttpError> {
    snap.venture(name)
        .ok_or_else(|| view::ViewError::UnknownVenture(name.to_owned()).into())
}

/// `GET /api/v1/ventures`.
#[derive(Debug, Serialize)]
pub(crate) struct VentureList {
    /// Configured ventures, in configuration order.
    ventures: Vec<VentureSummary>,
}

/// `GET /api/v1/ventures`.
pub(crate) async fn list(State(app): State<AppState>) -> Result<Json<VentureList>, HttpError> {
    let api = api(&app)?;
    let snap = app.state.load();
    Ok(Json(VentureList {
        ventures: view::ventures(&snap, Utc::now(), &api.scrub),
    }))
}

/// `GET /api/v1/ventures/{venture}`.
pub(crate) async fn detail(
    State(app): State<AppState>,
    Path(venture): Path<String>,
) -> Result<Json<VentureView>, HttpError> {
    let api = api(&app)?;
    let snap = app.state.load();
    let v = venture_state(&snap, &venture)?;
    Ok(Json(view::venture(v, Utc::now(), &api.scrub)))
}

/// `GET /api/v1/ventures/{venture}/backups`.
pub(crate) async fn backups(
    State(app): State<AppState>,
    Path(venture): Path<String>,
) -> Result<Json<BackupsView>, HttpError> {
    let api = api(&app)?;
    let snap = app.state.load();
    let v = venture_state(&snap, &venture)?;
    Ok(Json(view::backups(v, Utc::now(), &api.scrub)))
}

/// `GET /api/v1/ventures/{venture}/pitr`.
pub(crate) async fn pitr(
    State(app): State<AppState>,
    Path(venture): Path<String>,
) -> Result<Json<PitrView>, HttpError> {
    api(&app)?;
    let snap = app.state.load();
    let v = venture_state(&snap, &venture)?;
    Ok(Json(view::pitr(v, Utc::now())))
}

/// `GET /api/v1/ventures/{venture}/recovery-points?at=TIME`.
pub(crate) async fn recovery_points(
    State(app): State<AppState>,
    Path(venture): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<RecoveryPoint>, HttpError> {
    let api = api(&app)?;
    let cfg = venture_config(&api, &venture)?;
    let snap = app.state.load();
    let v = venture_state(&snap, &venture)?;
    let at = view::parse_at(query.get("at").map(String::as_str), Utc::now())?;
    let mut answer = view::recovery_point(cfg, v, at);
    answer.reason = api.scrub.text(&answer.reason);
    Ok(Json(answer))
}
