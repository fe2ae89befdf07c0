//! A fake Supabase Management API on 127.0.0.1 with the documented shapes and the recorded
//! answers (reference: V1BackupsResponse, project status, health, backup schedule, billing
//! add-ons, restore-pitr).
//!
//! - Any number of projects (20 lowercase letters each, see [`project_ref`]) and accepted tokens;
//!   an unknown token gets `401 {"message":"Unauthorized"}`.
//! - A per-token rate limit of `limit` calls per `window` (fixed windows from the fake's start),
//!   told only through `X-RateLimit-Limit/Remaining/Reset` (Reset = whole seconds left; a token's
//!   windows start at its first call) on every
//!   answer; past it, `429`. Every answer is recorded; [`FakeSupabase::count_429`] counts them.
//! - Per project: the backups, `pitr_enabled`, `walg_enabled`, the window
//!   (`physical_backup_data`), a status script for `GET /v1/projects/{ref}` (each call takes the
//!   next status, the last one repeats), the `db` health, the schedule (at most 3 changes per
//!   24 h, `402` without the entitlement), the PITR add-on, restore-pitr (integer target only,
//!   `400 PITR is not enabled for this project.` without PITR, `400` outside the window; on `201`
//!   the status script becomes the project's `after_restore`), a [`Fault`] for the backups
//!   call (status, malformed JSON, a hang, a slow body) and an error answer for `/health`.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use futures_util::StreamExt;

/// The `i`-th valid project ref: 20 lowercase letters.
pub fn project_ref(i: usize) -> String {
    let mut n = i;
    let mut out = vec![b'a'; 20];
    for slot in out.iter_mut().rev() {
        *slot = b'a' + (n % 26) as u8;
        n /= 26;
    }
    String::from_utf8(out).expect("ascii")
}

/// What the backups call does instead of answering normally.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// This status with this JSON body.
    Status(u16, String),
    /// 200 with a body that is not JSON.
    Malformed,
    /// Never answers.
    Hang,
    /// 200 with the normal body, sent in small pieces over this long.
    Slow(Duration),
}

/// One backup in the list.
#[derive(Debug, Clone, PartialEq)]
pub struct FakeBackup {
    pub inserted_at: String,
    pub status: String,
    pub physical: bool,
}

impl FakeBackup {
    /// A completed physical backup at `inserted_at`.
    pub fn completed(inserted_at: &str) -> FakeBackup {
        FakeBackup {
            inserted_at: inserted_at.into(),
            status: "COMPLETED".into(),
            physical: true,
        }
    }
}

/// One project's state.
#[derive(Debug, Clone)]
pub struct FakeProject {
    pub region: String,
    pub pitr_enabled: bool,
    pub walg_enabled: bool,
    pub backups: Vec<FakeBackup>,
    /// `physical_backup_data` as unix seconds; `None` = `{}`.
    pub window: Option<(i64, i64)>,
    /// Statuses of successive `GET /v1/projects/{ref}`; the last repeats.
    pub status: VecDeque<String>,
    /// The status script installed by a successful restore-pitr.
    pub after_restore: VecDeque<String>,
    /// The `db` service status in `/health`.
    pub db_health: String,
    /// `schedule_for`; `None` = 402 (the plan has no schedule entitlement).
    pub schedule: Option<String>,
    /// When the schedule was changed (the API allows 3 per 24 h).
    pub schedule_changes: Vec<Instant>,
    /// The PITR add-on variant (`pitr_7`…), `None` = no add-on.
    pub pitr_addon: Option<String>,
    /// Bodies of restore-pitr calls received (accepted or not).
    pub restores: Vec<serde_json::Value>,
    /// restore-pitr answers this status and JSON body instead (e.g. the recorded
    /// `400 PITR is not enabled` for a project whose backups still list PITR).
    pub restore_fault: Option<(u16, String)>,
    /// What the backups call does instead of answering normally.
    pub fault: Option<Fault>,
    /// An error status and body `/health` answers instead (`None` = normal).
    pub health_fault: Option<(u16, String)>,
}

impl Default for FakeProject {
    fn default() -> Self {
        FakeProject {
            region: "us-east-1".into(),
            pitr_enabled: false,
            walg_enabled: true,
            backups: Vec::new(),
            window: None,
            status: VecDeque::from(["ACTIVE_HEALTHY".to_string()]),
            after_restore: VecDeque::from([
                "RESTORING".to_string(),
                "RESTORING".to_string(),
                "ACTIVE_HEALTHY".to_string(),
            ]),
            db_health: "ACTIVE_HEALTHY".into(),
            schedule: Some("04:00:00".into()),
            schedule_changes: Vec::new(),
            pitr_addon: None,
            restores: Vec::new(),
            restore_fault: None,
            fault: None,
            health_fault: None,
        }
    }
}

impl FakeProject {
    /// A project with PITR (`pitr_7` add-on) and the window `[earliest, latest]` (unix s).
    pub fn with_pitr(earliest: i64, latest: i64) -> FakeProject {
        FakeProject {
            pitr_enabled: true,
            window: Some((earliest, latest)),
            pitr_addon: Some("pitr_7".into()),
            ..FakeProject::default()
        }
    }

    /// The project's `GET …/database/backups` body.
    pub fn backups_body(&self) -> String {
        let backups: Vec<serde_json::Value> = self
            .backups
            .iter()
            .enumerate()
            .map(|(i, b)| {
                serde_json::json!({
                    "id": i + 1,
                    "is_physical_backup": b.physical,
                    "status": b.status,
                    "inserted_at": b.inserted_at,
                })
            })
            .collect();
        let physical = match self.window {
            Some((e, l)) => serde_json::json!({
                "earliest_physical_backup_date_unix": e,
                "latest_physical_backup_date_unix": l,
            }),
            None => serde_json::json!({}),
        };
        serde_json::json!({
            "region": self.region,
            "walg_enabled": self.walg_enabled,
            "pitr_enabled": self.pitr_enabled,
            "backups": backups,
            "physical_backup_data": physical,
        })
        .to_string()
    }
}

/// One answered request.
#[derive(Debug, Clone)]
pub struct Call {
    pub at: Instant,
    pub method: String,
    /// Path and query (`/v1/projects/…/health?services=db`).
    pub path: String,
    /// The bearer token as received.
    pub token: String,
    pub status: u16,
}

struct Inner {
    projects: BTreeMap<String, FakeProject>,
    tokens: HashSet<String>,
    limit: u32,
    window: Duration,
    /// Per token: its first call, where its windows start.
    origins: BTreeMap<String, Instant>,
    /// Per token: (window index, calls in it).
    used: BTreeMap<String, (u64, u32)>,
    calls: Vec<Call>,
}

type Shared = Arc<Mutex<Inner>>;

/// A running fake Management API.
pub struct FakeSupabase {
    pub addr: SocketAddr,
    inner: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl FakeSupabase {
    /// Starts with `limit` calls per token per `window`, accepting `tokens`.
    pub async fn start(tokens: &[&str], limit: u32, window: Duration) -> FakeSupabase {
        let inner = Arc::new(Mutex::new(Inner {
            projects: BTreeMap::new(),
            tokens: tokens.iter().map(|t| t.to_string()).collect(),
            limit,
            window,
            origins: BTreeMap::new(),
            used: BTreeMap::new(),
            calls: Vec::new(),
        }));
        let app = Router::new()
            .route("/v1/projects/{project}", get(project))
            .route("/v1/projects/{project}/health", get(health))
            .route("/v1/projects/{project}/database/backups", get(backups))
            .route(
                "/v1/projects/{project}/database/backups/schedule",
                get(schedule_get).patch(schedule_patch),
            )
            .route("/v1/projects/{project}/billing/addons", get(addons))
            .route(
                "/v1/projects/{project}/database/backups/restore-pitr",
                axum::routing::post(restore_pitr),
            )
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake Supabase");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeSupabase { addr, inner, task }
    }

    /// The base URL (`api_url`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Adds or replaces a project.
    pub fn put(&self, project_ref: &str, project: FakeProject) {
        self.lock()
            .projects
            .insert(project_ref.to_string(), project);
    }

    /// Changes a project in place.
    pub fn with<R>(&self, project_ref: &str, f: impl FnOnce(&mut FakeProject) -> R) -> R {
        let mut inner = self.lock();
        f(inner.projects.get_mut(project_ref).expect("known project"))
    }

    /// Every answered request so far.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// How many answers were 429.
    pub fn count_429(&self) -> usize {
        self.lock().calls.iter().filter(|c| c.status == 429).count()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("fake lock")
    }
}

impl Drop for FakeSupabase {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// What one request may do after authentication and the rate limit.
enum Admit {
    Go(HeaderMap),
    Stop(Response),
}

/// Records the call, applies the token check and the per-token limit, and computes the rate
/// headers (which every answer carries).
fn admit(inner: &Shared, method: &Method, path: &str, headers: &HeaderMap) -> Admit {
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_string();
    let mut g = inner.lock().expect("fake lock");
    let now = Instant::now();
    // Windows start at the token's first call, as a real per-user limit would.
    let origin = *g.origins.entry(token.clone()).or_insert(now);
    let elapsed = now.duration_since(origin);
    let window = g.window;
    let index = (elapsed.as_nanos() / window.as_nanos().max(1)) as u64;
    let limit = g.limit;
    let entry = g.used.entry(token.clone()).or_insert((index, 0));
    if entry.0 != index {
        *entry = (index, 0);
    }
    entry.1 += 1;
    let used = entry.1;
    let window_end = window * (index as u32 + 1);
    let left = window_end.saturating_sub(elapsed);
    let reset = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    let mut rate = HeaderMap::new();
    rate.insert("x-ratelimit-limit", HeaderValue::from(limit));
    rate.insert(
        "x-ratelimit-remaining",
        HeaderValue::from(limit.saturating_sub(used)),
    );
    rate.insert("x-ratelimit-reset", HeaderValue::from(reset));
    let known = g.tokens.contains(&token);
    let status = if used > limit {
        429
    } else if !known {
        401
    } else {
        0
    };
    g.calls.push(Call {
        at: now,
        method: method.to_string(),
        path: path.to_string(),
        token,
        status: if status == 0 { 200 } else { status },
    });
    match status {
        429 => Admit::Stop(json(429, rate, r#"{"message":"Rate limit exceeded"}"#)),
        401 => Admit::Stop(json(401, rate, r#"{"message":"Unauthorized"}"#)),
        _ => Admit::Go(rate),
    }
}

/// Overwrites the recorded status of the newest call (for answers other than 200).
fn set_status(inner: &Shared, status: u16) {
    if let Some(c) = inner.lock().expect("fake lock").calls.last_mut() {
        c.status = status;
    }
}

fn json(status: u16, mut headers: HeaderMap, body: &str) -> Response {
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    let mut resp = Response::new(Body::from(body.to_string()));
    *resp.status_mut() = StatusCode::from_u16(status).expect("status");
    *resp.headers_mut() = headers;
    resp
}

fn answer(inner: &Shared, status: u16, rate: HeaderMap, body: &str) -> Response {
    if status != 200 {
        set_status(inner, status);
    }
    json(status, rate, body)
}

/// Admits the call and runs `f` on the project (404 for an unknown one).
fn on_project(
    inner: &Shared,
    method: Method,
    path: &str,
    headers: &HeaderMap,
    project: &str,
    f: impl FnOnce(&mut FakeProject) -> (u16, String),
) -> Response {
    let rate = match admit(inner, &method, path, headers) {
        Admit::Go(rate) => rate,
        Admit::Stop(resp) => return resp,
    };
    let result = {
        let mut g = inner.lock().expect("fake lock");
        g.projects.get_mut(project).map(f)
    };
    match result {
        Some((status, body)) => answer(inner, status, rate, &body),
        None => answer(inner, 404, rate, r#"{"message":"Project not found"}"#),
    }
}

async fn project(
    State(inner): State<Shared>,
    Path(project): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/v1/projects/{project}");
    let r = project.clone();
    on_project(&inner, Method::GET, &path, &headers, &project, |p| {
        let status = if p.status.len() > 1 {
            p.status.pop_front()
        } else {
            p.status.front().cloned()
        }
        .unwrap_or_else(|| "ACTIVE_HEALTHY".into());
        let body = serde_json::json!({
            "id": r, "ref": r, "organization_id": "fakeorg", "name": "venture",
            "region": p.region, "created_at": "2026-01-05T10:00:00.000Z", "status": status,
            "database": {"host": format!("db.{r}.supabase.co"), "version": "15.8.1.085",
                          "postgres_engine": "15", "release_channel": "ga"}
        });
        (200, body.to_string())
    })
}

async fn health(
    State(inner): State<Shared>,
    Path(project): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let query = query.unwrap_or_default();
    let path = format!("/v1/projects/{project}/health?{query}");
    on_project(&inner, Method::GET, &path, &headers, &project, |p| {
        let services: Vec<&str> = query
            .split('&')
            .filter_map(|kv| kv.strip_prefix("services="))
            .collect();
        if services.is_empty() {
            return (400, r#"{"message":"services is required"}"#.into());
        }
        if let Some((status, body)) = &p.health_fault {
            return (*status, body.clone());
        }
        let list: Vec<serde_json::Value> = services
            .iter()
            .map(|s| {
                let status = if *s == "db" {
                    p.db_health.clone()
                } else {
                    "ACTIVE_HEALTHY".into()
                };
                serde_json::json!({"name": s, "healthy": status == "ACTIVE_HEALTHY", "status": status})
            })
            .collect();
        (200, serde_json::Value::from(list).to_string())
    })
}

async fn backups(
    State(inner): State<Shared>,
    Path(project): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/v1/projects/{project}/database/backups");
    let rate = match admit(&inner, &Method::GET, &path, &headers) {
        Admit::Go(rate) => rate,
        Admit::Stop(resp) => return resp,
    };
    let found = {
        let g = inner.lock().expect("fake lock");
        g.projects
            .get(&project)
            .map(|p| (p.fault.clone(), p.backups_body()))
    };
    let Some((fault, body)) = found else {
        return answer(&inner, 404, rate, r#"{"message":"Project not found"}"#);
    };
    match fault {
        None => answer(&inner, 200, rate, &body),
        Some(Fault::Status(status, text)) => answer(&inner, status, rate, &text),
        Some(Fault::Malformed) => answer(&inner, 200, rate, r#"{"backups": [ {"status": "COMP"#),
        Some(Fault::Hang) => {
            std::future::pending::<()>().await;
            unreachable!()
        }
        Some(Fault::Slow(over)) => {
            let bytes = body.into_bytes();
            let pieces = 10usize;
            let step = bytes.len().div_ceil(pieces).max(1);
            let chunks: Vec<Vec<u8>> = bytes.chunks(step).map(<[u8]>::to_vec).collect();
            let pause = over / pieces as u32;
            let stream = futures_util::stream::iter(chunks).then(move |c| async move {
                tokio::time::sleep(pause).await;
                Ok::<_, std::io::Error>(c)
            });
            let mut resp = Response::new(Body::from_stream(stream));
            let mut rate = rate;
            rate.insert("content-type", HeaderValue::from_static("application/json"));
            *resp.headers_mut() = rate;
            resp
        }
    }
}

async fn schedule_get(
    State(inner): State<Shared>,
    Path(project): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/v1/projects/{project}/database/backups/schedule");
    on_project(
        &inner,
        Method::GET,
        &path,
        &headers,
        &project,
        |p| match &p.schedule {
            Some(s) => (
                200,
                serde_json::json!({"schedule_for": s, "updated_at": "2026-05-04T14:40:44+00:00"})
                    .to_string(),
            ),
            None => (
                402,
                r#"{"message":"Feature requires a higher plan"}"#.into(),
            ),
        },
    )
}

async fn schedule_patch(
    State(inner): State<Shared>,
    Path(project): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let path = format!("/v1/projects/{project}/database/backups/schedule");
    on_project(&inner, Method::PATCH, &path, &headers, &project, |p| {
        if p.schedule.is_none() {
            return (
                402,
                r#"{"message":"Feature requires a higher plan"}"#.into(),
            );
        }
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) else {
            return (400, r#"{"message":"Invalid JSON body"}"#.into());
        };
        let Some(at) = v.get("schedule_for").and_then(|s| s.as_str()) else {
            return (400, r#"{"message":"schedule_for is required"}"#.into());
        };
        if chrono::NaiveTime::parse_from_str(at, "%H:%M:%S").is_err() {
            return (400, r#"{"message":"schedule_for must be HH:MM:SS"}"#.into());
        }
        let day = Duration::from_secs(86_400);
        let now = Instant::now();
        p.schedule_changes.retain(|t| now.duration_since(*t) < day);
        if p.schedule_changes.len() >= 3 {
            return (
                400,
                r#"{"message":"Backup schedule can only be updated 3 times per 24 hours"}"#.into(),
            );
        }
        p.schedule_changes.push(now);
        p.schedule = Some(at.to_string());
        (
            200,
            serde_json::json!({"schedule_for": at, "updated_at": "2026-11-27T12:00:00+00:00"})
                .to_string(),
        )
    })
}

async fn addons(
    State(inner): State<Shared>,
    Path(project): Path<String>,
    headers: HeaderMap,
) -> Response {
    let path = format!("/v1/projects/{project}/billing/addons");
    on_project(&inner, Method::GET, &path, &headers, &project, |p| {
        let mut selected = vec![serde_json::json!({
            "type": "compute_instance",
            "variant": {"id": "ci_small", "name": "Small", "price": {"amount": 15, "type": "fixed", "interval": "monthly"}}
        })];
        if let Some(v) = &p.pitr_addon {
            selected.push(serde_json::json!({
                "type": "pitr",
                "variant": {"id": v, "name": v, "price": {"amount": 100, "type": "fixed", "interval": "monthly"}}
            }));
        }
        (
            200,
            serde_json::json!({"selected_addons": selected, "available_addons": []}).to_string(),
        )
    })
}

async fn restore_pitr(
    State(inner): State<Shared>,
    Path(project): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let path = format!("/v1/projects/{project}/database/backups/restore-pitr");
    on_project(&inner, Method::POST, &path, &headers, &project, |p| {
        let v = serde_json::from_slice::<serde_json::Value>(&body).unwrap_or_default();
        p.restores.push(v.clone());
        if let Some(answer) = p.restore_fault.clone() {
            return answer;
        }
        if !p.pitr_enabled {
            return (
                400,
                r#"{"message":"PITR is not enabled for this project."}"#.into(),
            );
        }
        let Some(target) = v
            .get("recovery_time_target_unix")
            .and_then(serde_json::Value::as_i64)
        else {
            return (
                400,
                r#"{"message":"recovery_time_target_unix must be an integer"}"#.into(),
            );
        };
        match p.window {
            Some((e, l)) if (e..=l).contains(&target) => {
                p.status = p.after_restore.clone();
                (201, "{}".into())
            }
            _ => (
                400,
                r#"{"message":"recovery_time_target_unix is outside the recovery window"}"#.into(),
            ),
        }
    })
}
