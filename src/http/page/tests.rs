//! The page rendered from a synthetic snapshot (no agent behind it) and through the router:
//! every section is there for every venture, values are escaped, nothing inline, headers set.

use axum::body::{to_bytes, Body};
use axum::http::{header, Request, StatusCode};
use chrono::Utc;
use tower::ServiceExt;

use super::gather::{gather, Sources};
use super::render;
use crate::http::{router, AppState};
use crate::metrics::{synthetic, Metrics};
use crate::state::{SharedState, Snapshot};

async fn page_of(snapshot: &Snapshot) -> String {
    let now = Utc::now();
    let sources = Sources {
        snapshot,
        config: None,
        store: None,
        editable: true,
        scrub: &crate::view::Scrubber::default(),
    };
    render(&gather(sources, None, now).await, now, "0.0.0-test")
}

#[tokio::test]
async fn every_venture_has_every_section() {
    let snap = synthetic::snapshot(3, Utc::now());
    let html = page_of(&snap).await;
    assert_eq!(
        html.matches("<tr><th scope=\"row\"><a href=\"#v-").count(),
        3
    );
    for v in &snap.ventures {
        for section in [
            "v",
            "backups",
            "window",
            "rp",
            "drills",
            "failovers",
            "alerts",
            "objectives",
        ] {
            let id = format!("id=\"{section}-{}\"", v.name);
            assert!(html.contains(&id), "{id} missing");
        }
    }
    assert!(
        html.contains("<svg class=\"timeline\""),
        "the window is drawn"
    );
    assert!(!html.contains("style="), "no inline style (CSP)");
    assert_eq!(
        html.matches("<script").count(),
        1,
        "one external script, no inline one"
    );
    // ids are unique
    let mut ids: Vec<&str> = html
        .match_indices(" id=\"")
        .map(|(i, _)| {
            let rest = &html[i + 5..];
            &rest[..rest.find('"').unwrap_or(0)]
        })
        .collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "duplicate ids");
}

#[tokio::test]
async fn text_from_the_outside_is_escaped_and_missing_data_is_unknown() {
    let mut snap = synthetic::snapshot(1, Utc::now());
    let v = std::sync::Arc::make_mut(&mut snap.ventures[0]);
    if let Some(src) = v.source.as_mut() {
        for b in &mut src.backups {
            b.label = "<img src=x onerror=alert(1)>".into();
        }
    }
    let mut empty = crate::state::VentureState {
        name: "fresh".into(),
        ..Default::default()
    };
    empty.source = Some(crate::state::SourceState::new(
        crate::state::SourceKind::PgBackRest,
    ));
    snap.push_venture(empty);
    let html = page_of(&snap).await;
    assert!(!html.contains("<img src=x"), "a backup label became markup");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    let fresh = &html[html.find("id=\"v-fresh\"").expect("fresh venture")..];
    assert!(
        fresh.contains("? Unknown"),
        "readiness of an unpolled venture"
    );
    assert!(fresh.contains("<span class=\"unknown\">unknown</span>"));
    assert!(fresh.contains("No drill has run yet"));
}

#[tokio::test]
async fn the_router_serves_the_page_and_its_assets_with_security_headers() {
    let state = SharedState::new(synthetic::snapshot(2, Utc::now()));
    let app = router(AppState::new(state.clone(), Metrics::new(state)));
    for (path, status, content_type) in [
        ("/", StatusCode::OK, "text/html; charset=utf-8"),
        (
            "/assets/status.css",
            StatusCode::OK,
            "text/css; charset=utf-8",
        ),
        (
            "/assets/status.js",
            StatusCode::OK,
            "text/javascript; charset=utf-8",
        ),
        (
            "/assets/nope.js",
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
        ),
    ] {
        let resp = app
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).expect("request"))
            .await
            .expect("infallible");
        assert_eq!(resp.status(), status, "{path}");
        let h = resp.headers();
        assert_eq!(h[header::CONTENT_TYPE], content_type, "{path}");
        assert_eq!(
            h[header::CONTENT_SECURITY_POLICY],
            crate::http::security::CONTENT_SECURITY_POLICY
        );
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(h[header::REFERRER_POLICY], "no-referrer");
        assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
        let body = to_bytes(resp.into_body(), usize::MAX).await.expect("body");
        assert!(!body.is_empty());
    }
}

fn failover(id: i64, outcome: Option<&str>, planned: bool) -> crate::store::FailoverRecord {
    let at = Utc::now() - chrono::TimeDelta::minutes(60 - id);
    crate::store::FailoverRecord {
        id,
        venture: "v".into(),
        epoch: id,
        from_endpoint: "pg1".into(),
        to_endpoint: "<pg2>".into(),
        planned,
        state: "promoting".into(),
        started_at: at,
        updated_at: at,
        finished_at: outcome.map(|_| at + chrono::TimeDelta::seconds(14)),
        outcome: outcome.map(str::to_owned),
        holder: None,
        steps: vec![],
    }
}

#[test]
fn failovers_list_newest_first_with_outcome_in_words() {
    let scrub = crate::view::Scrubber::default();
    let list = crate::view::failovers(
        &[
            failover(1, Some("completed"), true),
            failover(2, Some("failed"), false),
            failover(3, None, false),
        ],
        &scrub,
    );
    let html = super::failovers::failovers("v", &[], &list);
    let rows: Vec<&str> = html.split("<tr><td>").skip(1).collect();
    assert_eq!(rows.len(), 3, "{html}");
    assert!(rows[0].contains("in progress (promoting)"), "{}", rows[0]);
    assert!(
        rows[1].contains("✗ failed") && rows[1].contains(">failover<"),
        "{}",
        rows[1]
    );
    assert!(rows[2].contains("✓ completed") && rows[2].contains("planned switchover"));
    assert!(rows[2].contains("14.0s"), "{}", rows[2]);
    assert!(html.contains("pg1 → &lt;pg2&gt;"), "names are escaped");
    assert!(html.contains("No database endpoint is configured"));
}

#[test]
fn drills_show_outcome_measures_and_reason() {
    let v = crate::state::VentureState::default();
    let at = Utc::now();
    let record = |id: i64, outcome: &str, rto: Option<f64>, reason: Option<&str>| {
        crate::store::DrillRecord {
            id,
            venture: "v".into(),
            started_at: at + chrono::TimeDelta::seconds(id),
            finished_at: Some(at + chrono::TimeDelta::seconds(id + 60)),
            outcome: outcome.into(),
            target_time: None,
            rto_seconds: rto,
            rpo_seconds: rto.map(|_| 20_000.0),
            reason: reason.map(str::to_owned),
            log_excerpt: None,
            steps: vec![],
        }
    };
    let view = crate::view::drills(
        &v,
        &[
            record(1, "passed", Some(42.0), None),
            record(2, "failed", None, Some("restore failed: <ERROR> [055]")),
        ],
        &crate::view::Scrubber::default(),
    );
    let html = super::drills::drills("v", &view, Utc::now());
    let failed = html
        .find("<li class=\"drill failed\">")
        .expect("failed drill");
    let passed = html
        .find("<li class=\"drill passed\">")
        .expect("passed drill");
    assert!(failed < passed, "newest first");
    assert!(html.contains("✗ Failed") && html.contains("✓ Passed"));
    assert!(html.contains("Why: restore failed: &lt;ERROR&gt; [055]"));
    // RTO 42 s within 4 h; RPO 20,000 s above 15 m.
    assert!(
        html.contains("RTO 42.0s (objective 4h) <span class=\"met\">✓ within</span>"),
        "{html}"
    );
    assert!(
        html.contains("RPO 5h 33m (objective 15m) <span class=\"missed\">✗ above</span>"),
        "{html}"
    );
}
