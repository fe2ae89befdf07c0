//! [`SupabaseClient`]: the Management API calls of one project, with timeouts, a body cap and
//! the token's shared [`RateLimiter`].
//!
//! The token only ever goes into the `Authorization` header: errors carry the call's name and
//! status, never the URL's headers, and reqwest errors are stripped of their URL.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chrono::NaiveTime;

use super::parse::{parse_backups, SupabaseBackups};
use super::project;
use super::ratelimit::{Priority, RateHeaders, RateLimiter};
use crate::config::SupabaseConfig;
use crate::secret::Secret;
use crate::sources::error::cap;
use crate::sources::SourceError;

/// Connect timeout of a Management API call.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Whole-request timeout of a Management API call.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest response body read, in bytes.
pub const MAX_BODY: usize = 4 << 20;

const BACKUPS: &str = "Supabase GET database/backups";
const SCHEDULE: &str = "Supabase GET database/backups/schedule";

/// A rate limiter shared by every project polled with one token.
pub type SharedLimiter = Arc<Mutex<RateLimiter>>;

/// The Management API of one project.
#[derive(Debug, Clone)]
pub struct SupabaseClient {
    http: reqwest::Client,
    base: String,
    project_ref: String,
    token: Secret,
    timeout: Duration,
    limiter: SharedLimiter,
}

impl SupabaseClient {
    /// A client for the configured project, using `limiter` (shared per token).
    pub fn new(cfg: &SupabaseConfig, limiter: SharedLimiter) -> Result<Self, SourceError> {
        Self::with_timeout(cfg, limiter, REQUEST_TIMEOUT)
    }

    /// The same with another request timeout (tests).
    pub fn with_timeout(
        cfg: &SupabaseConfig,
        limiter: SharedLimiter,
        timeout: Duration,
    ) -> Result<Self, SourceError> {
        Ok(Self {
            http: shared_http()?,
            base: cfg.api_url.trim_end_matches('/').to_owned(),
            project_ref: cfg.project_ref.clone(),
            token: cfg.token.clone(),
            timeout,
            limiter,
        })
    }

    /// `GET /v1/projects/{ref}/database/backups`, parsed; waits for the rate limiter first.
    pub async fn backups(&self) -> Result<SupabaseBackups, SourceError> {
        let body = self
            .call(reqwest::Method::GET, "/database/backups", None, BACKUPS)
            .await?;
        parse_backups(&body)
    }

    /// `status` of `GET /v1/projects/{ref}` (`ACTIVE_HEALTHY`, `RESTORING`, …).
    pub async fn project_status(&self) -> Result<String, SourceError> {
        let body = self
            .call_as(
                Priority::Low,
                reqwest::Method::GET,
                "",
                None,
                "Supabase GET project",
            )
            .await?;
        project::parse_project_status(&body)
    }

    /// The `db` service's status from `GET /v1/projects/{ref}/health?services=db`.
    pub async fn db_health(&self) -> Result<String, SourceError> {
        let body = self
            .call_as(
                Priority::Low,
                reqwest::Method::GET,
                "/health?services=db",
                None,
                "Supabase GET health",
            )
            .await?;
        project::parse_db_health(&body)
    }

    /// The daily backup time (`GET …/database/backups/schedule`).
    pub async fn schedule(&self) -> Result<NaiveTime, SourceError> {
        let body = self
            .call(
                reqwest::Method::GET,
                "/database/backups/schedule",
                None,
                SCHEDULE,
            )
            .await?;
        project::parse_schedule(&body)
    }

    /// Sets the daily backup time (`PATCH …/database/backups/schedule`, UTC `HH:MM:SS`).
    /// Supabase allows three changes per 24 hours.
    pub async fn set_schedule(&self, at: NaiveTime) -> Result<(), SourceError> {
        let body = serde_json::json!({ "schedule_for": at.format("%H:%M:%S").to_string() });
        self.call(
            reqwest::Method::PATCH,
            "/database/backups/schedule",
            Some(body),
            "Supabase PATCH database/backups/schedule",
        )
        .await
        .map(|_| ())
    }

    /// The PITR add-on variant (`pitr_7`, `pitr_14`, `pitr_28`) or `off`
    /// (`GET …/billing/addons`).
    pub async fn pitr_addon(&self) -> Result<String, SourceError> {
        let body = self
            .call(
                reqwest::Method::GET,
                "/billing/addons",
                None,
                "Supabase GET billing/addons",
            )
            .await?;
        project::parse_pitr_addon(&body)
    }

    /// Starts an in-place point-in-time restore (`POST …/database/backups/restore-pitr` with an
    /// integer `recovery_time_target_unix`). The project goes offline until it is restored.
    pub async fn restore_pitr(&self, target_unix: i64) -> Result<(), SourceError> {
        let body = serde_json::json!({ "recovery_time_target_unix": target_unix });
        self.call(
            reqwest::Method::POST,
            "/database/backups/restore-pitr",
            Some(body),
            "Supabase POST database/backups/restore-pitr",
        )
        .await
        .map(|_| ())
    }

    /// One call under the rate limiter: `path` is appended to `/v1/projects/{ref}`. A 2xx
    /// answer's body (capped) is returned; any other status is an error carrying the API's
    /// `message` when it gave one.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
        what: &'static str,
    ) -> Result<Vec<u8>, SourceError> {
        self.call_as(Priority::High, method, path, body, what).await
    }

    /// [`Self::call`] with a priority: low calls (status, health) wait while high ones wait.
    async fn call_as(
        &self,
        priority: Priority,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
        what: &'static str,
    ) -> Result<Vec<u8>, SourceError> {
        self.wait_for_permit(priority).await;
        // Counts the call as in flight until it is answered, failed or cancelled.
        let _in_flight = InFlight(&self.limiter);
        let url = format!("{}/v1/projects/{}{}", self.base, self.project_ref, path);
        let mut req = self
            .http
            .request(method, url)
            .timeout(self.timeout)
            .bearer_auth(self.token.expose())
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = match req.send().await {
            Ok(resp) => resp,
            Err(e) => return Err(self.classify(e, what)),
        };
        let status = resp.status().as_u16();
        let headers =
            RateHeaders::from_lookup(|name| resp.headers().get(name).and_then(|v| v.to_str().ok()));
        self.lock()
            .observe(Instant::now(), status, headers, jitter());
        let ok = resp.status().is_success();
        let body = read_capped(resp).await.map_err(|e| match e {
            ReadError::Http(e) => self.classify(e, what),
            ReadError::TooLarge => SourceError::TooLarge {
                command: what.to_owned(),
                limit: MAX_BODY,
            },
        });
        if !ok {
            let message = body
                .ok()
                .filter(|_| (400..500).contains(&status))
                .and_then(|b| project::error_message(&b));
            return Err(match message {
                Some(message) => SourceError::Rejected {
                    what,
                    status,
                    message: cap(&message),
                },
                None => SourceError::Status { what, status },
            });
        }
        body
    }

    async fn wait_for_permit(&self, priority: Priority) {
        let mut queued = Queued {
            limiter: &self.limiter,
            waiting: false,
        };
        loop {
            let permit = self
                .lock()
                .permit_as(Instant::now(), priority, &mut queued.waiting);
            match permit {
                Ok(()) => return,
                Err(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// The token's shared limiter (the poller reads the rate and the number of projects).
    pub fn limiter(&self) -> &SharedLimiter {
        &self.limiter
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RateLimiter> {
        self.limiter
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn classify(&self, e: reqwest::Error, what: &'static str) -> SourceError {
        if e.is_timeout() {
            SourceError::Timeout {
                command: what.to_owned(),
                after: self.timeout,
            }
        } else {
            request_error(e, what)
        }
    }
}

/// Idle keep-alive connections kept to the Management API host.
const POOL_IDLE_PER_HOST: usize = 8;

/// One HTTP client (connection pool, TLS roots) for every project: building one per project
/// costs tens of milliseconds each, seconds for a thousand. The whole-request timeout is set per
/// request (it bounds the connect as well).
fn shared_http() -> Result<reqwest::Client, SourceError> {
    static HTTP: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(http) = HTTP.get() {
        return Ok(http.clone());
    }
    let http = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        // Every project is on the same host: without a cap the pool keeps one idle connection
        // (about 15 KB) per project that was ever polled at the same moment.
        .pool_max_idle_per_host(POOL_IDLE_PER_HOST)
        .build()
        .map_err(|e| request_error(e, "Supabase client"))?;
    Ok(HTTP.get_or_init(|| http).clone())
}

fn lock_limiter(limiter: &SharedLimiter) -> std::sync::MutexGuard<'_, RateLimiter> {
    limiter
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A permitted call in flight; dropping it tells the limiter the call is over.
struct InFlight<'a>(&'a SharedLimiter);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        lock_limiter(self.0).done();
    }
}

/// A caller waiting for a permit; dropping it (a cancelled poll) leaves the queue.
struct Queued<'a> {
    limiter: &'a SharedLimiter,
    waiting: bool,
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        if self.waiting {
            lock_limiter(self.limiter).stop_waiting(&mut self.waiting);
        }
    }
}

enum ReadError {
    Http(reqwest::Error),
    TooLarge,
}

/// The body, chunk by chunk, refusing more than [`MAX_BODY`] bytes.
async fn read_capped(mut resp: reqwest::Response) -> Result<Vec<u8>, ReadError> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(ReadError::Http)? {
        if out.len() + chunk.len() > MAX_BODY {
            return Err(ReadError::TooLarge);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

fn request_error(e: reqwest::Error, what: &'static str) -> SourceError {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    SourceError::Request {
        what,
        reason: cap(&text),
    }
}

/// 0.0–1.0 from the clock's sub-second part: enough to spread backoffs of several agents.
fn jitter() -> f64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    f64::from(nanos) / 1e9
}
