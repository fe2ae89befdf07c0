//! A recording HTTP server on 127.0.0.1 for the fakes (Sentry, PagerDuty, Slack, webhooks;
//! Supabase later): it stores every request and answers with a fixed status and body, or with a
//! scripted sequence of [`Reply`]s (503 then 202, 429 with `Retry-After`, a reply that hangs).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When the request was complete.
    pub at: Instant,
}

impl Recorded {
    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON.
    #[allow(dead_code)]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    body: String,
    headers: Vec<(String, String)>,
    hang: bool,
}

#[allow(dead_code)]
impl Reply {
    /// `status` with a JSON `body`.
    pub fn new(status: u16, body: &str) -> Reply {
        Reply {
            status,
            body: body.to_string(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            hang: false,
        }
    }

    /// `status` with a plain-text `body` (Slack answers `ok`).
    pub fn text(status: u16, body: &str) -> Reply {
        Reply {
            headers: vec![("Content-Type".into(), "text/plain".into())],
            ..Reply::new(status, body)
        }
    }

    /// Records the request and never answers (the connection stays open).
    pub fn hang() -> Reply {
        Reply {
            hang: true,
            ..Reply::new(0, "")
        }
    }

    /// Adds a response header.
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// Answers in order; the last one repeats.
type Script = Arc<Mutex<VecDeque<Reply>>>;

/// A running fake; requests accumulate until it is dropped.
pub struct FakeHttp {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl FakeHttp {
    /// Starts answering every request with `status` and `body` (JSON).
    pub async fn start(status: u16, body: &'static str) -> FakeHttp {
        FakeHttp::scripted(vec![Reply::new(status, body)]).await
    }

    /// Starts answering with `replies` in order, repeating the last one for ever after.
    pub async fn scripted(replies: Vec<Reply>) -> FakeHttp {
        assert!(!replies.is_empty(), "a script needs at least one reply");
        let script: Script = Arc::new(Mutex::new(replies.into()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind fake");
        let addr = listener.local_addr().expect("addr");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let seen = seen.clone();
                let script = script.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, seen, script).await;
                });
            }
        });
        FakeHttp {
            addr,
            requests,
            task,
        }
    }

    /// Everything received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("lock").clone()
    }
}

impl Drop for FakeHttp {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    stream: tokio::net::TcpStream,
    seen: Arc<Mutex<Vec<Recorded>>>,
    script: Script,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let path = parts.next().unwrap_or_default().to_string();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).await?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let mut data = Vec::new();
        if let Some(len) = header("content-length").and_then(|l| l.parse::<usize>().ok()) {
            data.resize(len, 0);
            reader.read_exact(&mut data).await?;
        } else if header("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
            loop {
                let mut size = String::new();
                reader.read_line(&mut size).await?;
                let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
                let mut chunk = vec![0; n + 2];
                reader.read_exact(&mut chunk).await?;
                if n == 0 {
                    break;
                }
                data.extend_from_slice(&chunk[..n]);
            }
        }
        seen.lock().expect("lock").push(Recorded {
            method,
            path,
            headers,
            body: data,
            at: Instant::now(),
        });
        let reply = {
            let mut script = script.lock().expect("lock");
            if script.len() > 1 {
                script.pop_front()
            } else {
                script.front().cloned()
            }
        }
        .expect("a reply");
        if reply.hang {
            std::future::pending::<()>().await;
        }
        let mut response = format!("HTTP/1.1 {} X\r\n", reply.status);
        for (name, value) in &reply.headers {
            response.push_str(&format!("{name}: {value}\r\n"));
        }
        response.push_str(&format!(
            "Content-Length: {}\r\n\r\n{}",
            reply.body.len(),
            reply.body
        ));
        reader.get_mut().write_all(response.as_bytes()).await?;
    }
}
