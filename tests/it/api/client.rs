//! A small JSON client for the API tests that keeps every body it received, so a test can
//! grep all of them for secrets at the end.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;

/// One answer.
pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: String,
}

impl Answer {
    /// The body as JSON (panics with the body when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// Talks to one agent; remembers every body.
pub struct Client {
    pub addr: SocketAddr,
    http: reqwest::Client,
    seen: Mutex<Vec<String>>,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Client {
        Client {
            addr,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(15))
                .build()
                .expect("client"),
            seen: Mutex::new(Vec::new()),
        }
    }

    /// Any request; `token` as a bearer token.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> Answer {
        let mut req = self
            .http
            .request(method, format!("http://{}{path}", self.addr));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_owned());
        }
        let resp = req.send().await.expect("request");
        let answer = Answer {
            status: resp.status().as_u16(),
            retry_after: resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: resp.text().await.expect("body"),
        };
        self.seen
            .lock()
            .expect("lock")
            .push(format!("{path}: {}", answer.body));
        answer
    }

    /// `GET path`, expecting `status`; the JSON body.
    pub async fn get(&self, path: &str, status: u16) -> Value {
        let a = self.send(reqwest::Method::GET, path, None, None).await;
        assert_eq!(a.status, status, "GET {path}: {}", a.body);
        a.json()
    }

    /// Every body received so far, each prefixed with its path.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().expect("lock").clone()
    }

    /// Panics naming the answer when any body received contains one of `secrets`.
    pub fn assert_no_secret(&self, secrets: &[&str]) {
        let seen = self.seen();
        assert!(
            seen.len() > 10,
            "too few answers to mean anything: {}",
            seen.len()
        );
        for body in &seen {
            for s in secrets {
                assert!(!body.contains(s), "a secret is in the answer of {body}");
            }
        }
    }
}
