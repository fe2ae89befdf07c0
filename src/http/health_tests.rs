//! The load-balancer routes through the router: status codes, plain-text reasons, `max_lag`
//! parsing, `HEAD`, and `GET /api/v1/ventures/{v}/primary` (no token needed).

use axum::body::{to_bytes, Body};
use axum::http::{Request, StatusCode};
use axum::Router;
use tower::ServiceExt;

use super::*;
use crate::state::{EndpointAddress, EndpointState, Role, Snapshot, VentureState};

fn app() -> Router {
    let ep = |name: &str, role, fenced| EndpointState {
        name: name.into(),
        configured_role: role,
        fenced,
        address: Some(EndpointAddress {
            host: format!("{name}.db"),
            port: 5432,
        }),
        ..Default::default()
    };
    let snap = Snapshot {
        ventures: crate::state::shared(vec![
            VentureState {
                name: "acme".into(),
                endpoints: vec![
                    ep("pg1", Role::Primary, true),
                    ep("pg2", Role::Primary, false),
                    ep("pg3", Role::Standby, false),
                ],
                ..Default::default()
            },
            VentureState {
                name: "fenced".into(),
                endpoints: vec![ep("pg1", Role::Primary, true)],
                ..Default::default()
            },
        ]),
        ..Default::default()
    };
    let state = SharedState::new(snap);
    router(AppState::new(state.clone(), Metrics::new(state)))
}

async fn call(method: &str, path: &str) -> (StatusCode, String) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .body(Body::empty())
        .expect("request");
    let resp = app().oneshot(req).await.expect("infallible");
    let status = resp.status();
    let bytes = to_bytes(resp.into_body(), usize::MAX).await.expect("body");
    (status, String::from_utf8(bytes.to_vec()).expect("utf-8"))
}

#[tokio::test]
async fn health_routes_answer_status_and_reason() {
    let cases = [
        ("/health/acme/pg2/primary", 200, "primary\n"),
        ("/health/acme/pg1/primary", 503, "fenced\n"),
        ("/health/acme/pg3/primary", 503, "standby\n"),
        ("/health/acme/pg9/primary", 404, "unknown endpoint\n"),
        ("/health/nope/pg1/primary", 404, "unknown venture\n"),
        ("/health/acme/pg3/replica", 200, "standby\n"),
        (
            "/health/acme/pg3/replica?max_lag=1024",
            503,
            "lag unknown\n",
        ),
        ("/health/acme/pg2/replica", 503, "primary\n"),
        ("/health/acme/pg1/replica", 503, "fenced\n"),
    ];
    for (path, status, body) in cases {
        assert_eq!(
            call("GET", path).await,
            (
                StatusCode::from_u16(status).expect("status"),
                body.to_string()
            ),
            "{path}"
        );
    }
    let (status, body) = call("GET", "/health/acme/pg3/replica?max_lag=1MB").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        call("HEAD", "/health/acme/pg2/primary").await,
        (StatusCode::OK, String::new())
    );
    assert_eq!(
        call("HEAD", "/health/acme/pg1/primary").await.0,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[tokio::test]
async fn api_primary_says_where_the_primary_is() {
    let (status, body) = call("GET", "/api/v1/ventures/acme/primary").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(
        json,
        serde_json::json!({
            "venture": "acme", "endpoint": "pg2", "host": "pg2.db", "port": 5432,
            "since": null, "fenced_endpoints": ["pg1"],
        })
    );
    let (status, body) = call("GET", "/api/v1/ventures/fenced/primary").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(json["error"], "no primary");
    assert_eq!(json["endpoint"], serde_json::Value::Null);
    assert_eq!(json["fenced_endpoints"], serde_json::json!(["pg1"]));
    assert_eq!(
        call("GET", "/api/v1/ventures/nope/primary").await.0,
        StatusCode::NOT_FOUND
    );
}
