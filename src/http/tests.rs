//! Router tests through `oneshot`, and one real listener with graceful shutdown.

use std::time::Duration;

use axum::body::{to_bytes, Body};
use axum::http::{header, Request, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

use super::*;
use crate::metrics::{synthetic, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE};
use crate::state::Snapshot;

fn app(snapshot: Snapshot) -> Router {
    let state = SharedState::new(snapshot);
    router(AppState::new(state.clone(), Metrics::new(state)))
}

async fn get_with(router: Router, path: &str, accept: Option<&str>) -> Response {
    let mut req = Request::get(path);
    if let Some(accept) = accept {
        req = req.header(header::ACCEPT, accept);
    }
    router
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("infallible")
}

async fn body(resp: Response) -> String {
    let bytes = to_bytes(resp.into_body(), usize::MAX).await.expect("body");
    String::from_utf8(bytes.to_vec()).expect("utf-8")
}

fn content_type(resp: &Response) -> &str {
    resp.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn metrics_default_to_prometheus_text() {
    let snap = synthetic::snapshot(2, chrono::Utc::now());
    let resp = get_with(app(snap), "/metrics", Some("*/*")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(content_type(&resp), PROMETHEUS_CONTENT_TYPE);
    let text = body(resp).await;
    assert!(text.contains("# TYPE backstop_wal_archived_total counter\n"));
    assert!(!text.contains("# EOF"));
}

#[tokio::test]
async fn metrics_serve_openmetrics_when_asked() {
    let snap = synthetic::snapshot(2, chrono::Utc::now());
    let accept = "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3";
    let resp = get_with(app(snap), "/metrics", Some(accept)).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(content_type(&resp), OPENMETRICS_CONTENT_TYPE);
    assert!(body(resp).await.ends_with("# EOF\n"));
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let resp = get_with(app(Snapshot::default()), "/healthz", None).await;
    let h = resp.headers();
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(h[header::CACHE_CONTROL], "no-store");
    assert!(h.contains_key(header::CONTENT_SECURITY_POLICY));
    assert!(h.contains_key(header::REFERRER_POLICY));
}

#[tokio::test]
async fn healthz_readyz_and_unknown_paths() {
    let resp = get_with(app(Snapshot::default()), "/healthz", None).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(body(resp).await, "ok\n");

    let resp = get_with(app(Snapshot::default()), "/readyz", None).await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(body(resp).await.contains("first poll"));

    let mut ready = Snapshot::default();
    ready.agent.first_poll_done = true;
    let resp = get_with(app(ready), "/readyz", None).await;
    assert_eq!(resp.status(), StatusCode::OK);

    let resp = get_with(app(Snapshot::default()), "/nope", None).await;
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    assert_eq!(resp.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
}

#[tokio::test]
async fn oversized_bodies_are_rejected() {
    let req = Request::post("/healthz")
        .header(header::CONTENT_LENGTH, MAX_BODY_BYTES + 1)
        .body(Body::from(vec![b'x'; MAX_BODY_BYTES + 1]))
        .expect("request");
    let resp = app(Snapshot::default())
        .oneshot(req)
        .await
        .expect("infallible");
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn slow_requests_time_out() {
    let slow = Router::new().route(
        "/slow",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            "late"
        }),
    );
    let limits = Limits {
        request_timeout: Duration::from_millis(50),
        ..Limits::default()
    };
    let resp = get_with(harden(slow, &limits), "/slow", None).await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn serves_on_a_real_listener_and_shuts_down_gracefully() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, app(Snapshot::default()), async {
        let _ = stopped.await;
    }));

    let mut conn = tokio::net::TcpStream::connect(addr).await.expect("connect");
    conn.write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut response = String::new();
    conn.read_to_string(&mut response).await.expect("read");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.ends_with("ok\n"), "{response}");

    stop.send(()).expect("server still running");
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("server stops")
        .expect("task")
        .expect("serve returns Ok");
}
