//! [`SupabaseClient`]: the Management API calls of one project, with timeouts, a body cap and
//! the token's shared [`RateLimiter`].
//!
//! The token only ever goes into the `Authorization` header: errors carry the call's name and
//! status, never the URL's headers, and reqwest errors are stripped of their URL.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::parse::{parse_backups, SupabaseBackups};
use super::ratelimit::{RateHeaders, RateLimiter};
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
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .timeout(timeout)
            .build()
            .map_err(request_error)?;
        Ok(Self {
            http,
            base: cfg.api_url.trim_end_matches('/').to_owned(),
            project_ref: cfg.project_ref.clone(),
            token: cfg.token.clone(),
            timeout,
            limiter,
        })
    }

    /// `GET /v1/projects/{ref}/database/backups`, parsed; waits for the rate limiter first.
    pub async fn backups(&self) -> Result<SupabaseBackups, SourceError> {
        self.wait_for_permit().await;
        let url = format!(
            "{}/v1/projects/{}/database/backups",
            self.base, self.project_ref
        );
        let sent = self
            .http
            .get(url)
            .bearer_auth(self.token.expose())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await;
        let resp = match sent {
            Ok(resp) => resp,
            Err(e) => return Err(self.classify(e)),
        };
        let status = resp.status().as_u16();
        let headers =
            RateHeaders::from_lookup(|name| resp.headers().get(name).and_then(|v| v.to_str().ok()));
        self.lock()
            .observe(Instant::now(), status, headers, jitter());
        if !resp.status().is_success() {
            return Err(SourceError::Status {
                what: BACKUPS,
                status,
            });
        }
        let body = resp.bytes().await.map_err(|e| self.classify(e))?;
        if body.len() > MAX_BODY {
            return Err(SourceError::TooLarge {
                command: BACKUPS.to_owned(),
                limit: MAX_BODY,
            });
        }
        parse_backups(&body)
    }

    async fn wait_for_permit(&self) {
        loop {
            let permit = self.lock().permit(Instant::now());
            match permit {
                Ok(()) => return,
                Err(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RateLimiter> {
        self.limiter
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn classify(&self, e: reqwest::Error) -> SourceError {
        if e.is_timeout() {
            SourceError::Timeout {
                command: BACKUPS.to_owned(),
                after: self.timeout,
            }
        } else {
            request_error(e)
        }
    }
}

fn request_error(e: reqwest::Error) -> SourceError {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    SourceError::Request {
        what: BACKUPS,
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
