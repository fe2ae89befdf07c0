//! The status page at `/` (DESIGN.md §10): server-rendered HTML an engineer opens on the agent
//! during an incident. Per venture: backup status with a size trend, the PITR window with its
//! gaps, the recovery point selector, the drill timeline, endpoints and failovers, and the alert
//! configuration. Complete without JavaScript; `/assets/status.js` only enhances it (answers in
//! place, the objectives form, copy buttons, a 30 s re-fetch). No inline script or style, so
//! the strict CSP of [`super::security`] holds; every value is HTML-escaped.
//!
//! - [`gather`]: the data, through the [`crate::view`] models the JSON API also uses.
//! - [`layout`], [`overview`], [`venture`] and one file per section render it (pure).
//! - [`size_trend`] and [`timeline`] draw the two SVGs (pure).
//! - [`assets`] serves the embedded stylesheet and script.

pub mod alerts;
pub mod assets;
pub mod backups;
pub mod badge;
pub mod drills;
pub mod escape;
pub mod failovers;
pub mod format;
pub mod gather;
pub mod layout;
pub mod overview;
pub mod runbooks;
pub mod selector;
pub mod size_trend;
#[cfg(test)]
mod tests;
pub mod timeline;
pub mod venture;
pub mod window;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::AppState;
use gather::{Question, Sources};
use venture::VenturePage;

/// The scrubber of a server without an agent (and so without a configuration's secrets).
static NO_SECRETS: std::sync::LazyLock<crate::view::Scrubber> =
    std::sync::LazyLock::new(crate::view::Scrubber::default);

/// The page's routes: `/` and `/assets/{file}`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(page))
        .route("/assets/{file}", get(assets::serve))
}

/// `?venture=&at=`: the selector's question without JavaScript.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    /// The venture asked about.
    pub venture: Option<String>,
    /// The time asked about.
    pub at: Option<String>,
}

/// `GET /`.
async fn page(State(app): State<AppState>, Query(q): Query<PageQuery>) -> Response {
    let now = Utc::now();
    let snapshot = app.state.load();
    let api = app.api.as_deref();
    let sources = Sources {
        snapshot: &snapshot,
        config: api.map(|a| a.drills.config.as_ref()),
        store: api.map(|a| &a.drills.store),
        editable: api.is_some_and(|a| a.admin_token.is_some()),
        scrub: api.map_or(&NO_SECRETS, |a| &a.scrub),
    };
    let question = match (q.venture, q.at) {
        (Some(venture), Some(at)) if !at.trim().is_empty() => Some(Question { venture, at }),
        _ => None,
    };
    let pages = gather::gather(sources, question.as_ref(), now).await;
    let html = render(&pages, now, &snapshot.agent.version);
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

/// The whole page from gathered data (pure).
pub fn render(pages: &[VenturePage], now: DateTime<Utc>, version: &str) -> String {
    let views: Vec<&crate::view::VentureView> = pages.iter().map(|p| &p.view).collect();
    let mut main = overview::overview(&views, now);
    for p in pages {
        main.push_str(&venture::venture(p, now));
    }
    main.push_str(&alerts::other_runbooks());
    layout::document(&main, now, version)
}
