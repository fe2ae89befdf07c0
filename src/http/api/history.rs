//! The venture's history from the store: `GET /api/v1/ventures/{venture}/drills` (the drill
//! timeline), `…/failovers`, `…/recoveries`, `…/events` (audit log) and `…/size-history` (daily
//! size samples, 90 days). Newest first, bounded; no token needed; 404 for an unknown venture.

use axum::extract::{Path, State};
use axum::Json;
use chrono::Utc;
use serde::Serialize;

use super::views::{api, venture_config, venture_state};
use crate::http::{AppState, HttpError};
use crate::view::{self, load, DrillsView, EventView, FailoverView, RecoveryView, SizeHistory};

/// `{"failovers": […]}`.
#[derive(Debug, Serialize)]
pub(crate) struct Failovers {
    failovers: Vec<FailoverView>,
}

/// `{"recoveries": […]}`.
#[derive(Debug, Serialize)]
pub(crate) struct Recoveries {
    recoveries: Vec<RecoveryView>,
}

/// `{"events": […]}`.
#[derive(Debug, Serialize)]
pub(crate) struct Events {
    events: Vec<EventView>,
}

/// `GET …/drills`.
pub(crate) async fn drills(
    State(app): State<AppState>,
    Path(venture): Path<String>,
) -> Result<Json<DrillsView>, HttpError> {
    let api = api(&app)?;
    venture_config(&api, &venture)?;
    let records = load::drills(&api.drills.store, &venture, Utc::now()).await?;
    let snap = app.state.load();
    let v = venture_state(&snap, &venture)?;
    Ok(Json(view::drills(v, &records, &api.scrub)))
}

/// `GET …/failovers`.
pub(crate) async fn failovers(
    State(app): State<AppState>,
    Path(venture): Path<String>,
) -> Result<Json<Failovers>, HttpError> {
    let api = api(&app)?;
    venture_config(&api, &venture)?;
    let records = load::failovers(&api.drills.store, &venture, Utc::now()).await?;
    Ok(Json(Failovers {
        failovers: view::failovers(&records, &api.scrub),
    }))
}

/// `GET …/recoveries`.
pub(crate) async fn recoveries(
    State(app): State<AppState>,
    Path(venture): Path<String>,
) -> Result<Json<Recoveries>, HttpError> {
    let api = api(&app)?;
    venture_config(&api, &venture)?;
    let records = load::recoveries(&api.drills.store, &venture, Utc::now()).await?;
    Ok(Json(Recoveries {
        recoveries: view::recoveries(&records, &api.scrub),
    }))
}

/// `GET …/events`.
pub(crate) async fn events(
    State(app): State<AppState>,
    Path(venture): Path<String>,
) -> Result<Json<Events>, HttpError> {
    let api = api(&app)?;
    venture_config(&api, &venture)?;
    let records = load::events(&api.drills.store, &venture).await?;
    Ok(Json(Events {
        events: view::events(&records, &api.scrub),
    }))
}

/// `GET …/size-history`.
pub(crate) async fn size_history(
    State(app): State<AppState>,
    Path(venture): Path<String>,
) -> Result<Json<SizeHistory>, HttpError> {
    let api = api(&app)?;
    venture_config(&api, &venture)?;
    let now = Utc::now();
    let samples = load::size_samples(&api.drills.store, &venture, now).await?;
    Ok(Json(view::size_history(now.date_naive(), &samples)))
}
