//! A real Prometheus (Debian's `prometheus` binary) for tests: its own temp data directory, a
//! free loopback port, scrape and rule evaluation every second, the repository's
//! `alerts/*.yaml` as rule files and an optional scrape target (job `backstop`); and its HTTP
//! API: instant queries, active alerts, loaded rules. Killed when dropped.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::pgbackrest::which;

/// A running Prometheus.
pub struct Prometheus {
    pub addr: SocketAddr,
    child: tokio::process::Child,
    dir: tempfile::TempDir,
    http: reqwest::Client,
}

/// The repository's `alerts/*.yaml` (not `alerts/tests/`), sorted.
pub fn rule_files() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("alerts");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.is_file() && p.extension().is_some_and(|e| e == "yaml" || e == "yml"));
    files.sort();
    files
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// `rules` (YAML text) with the value of every `for:` key replaced by `hold`.
pub fn with_hold(rules: &str, hold: &str) -> String {
    rules
        .lines()
        .map(|line| {
            let indent = line.len() - line.trim_start().len();
            match line.trim_start().strip_prefix("for:") {
                Some(_) => format!("{}for: {hold}\n", &line[..indent]),
                None => format!("{line}\n"),
            }
        })
        .collect()
}

/// Percent-encodes a query-string value.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Prometheus {
    /// Starts Prometheus with the repository's rule files, scraping `target` (when given) as
    /// job `backstop` every second; returns once `/-/ready` answers 200. With `hold`, Prometheus
    /// loads copies of the rule files whose every `for:` is `hold` instead (expressions, labels
    /// and annotations unchanged), so that alerts held for minutes fire within a test.
    pub async fn start(target: Option<SocketAddr>, hold: Option<&str>) -> Prometheus {
        which("prometheus", "apt-get install -y prometheus");
        let dir = tempfile::tempdir().expect("temp dir");
        let mut files = rule_files();
        if let Some(hold) = hold {
            files = files
                .iter()
                .map(|p| {
                    let text = std::fs::read_to_string(p).expect("read rule file");
                    let copy = dir.path().join(p.file_name().expect("file name"));
                    std::fs::write(&copy, with_hold(&text, hold)).expect("write rule copy");
                    copy
                })
                .collect();
        }
        let rules: String = files
            .iter()
            .map(|p| format!("  - '{}'\n", p.display()))
            .collect();
        let scrape = match target {
            Some(t) => format!(
                "scrape_configs:\n  - job_name: backstop\n    scrape_interval: 1s\n    \
                 scrape_timeout: 1s\n    static_configs:\n      - targets: ['{t}']\n"
            ),
            None => String::new(),
        };
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n{}{scrape}",
                if rules.is_empty() { "  []\n".to_owned() } else { rules },
            ),
        )
        .expect("write prometheus.yml");
        let log = std::fs::File::create(dir.path().join("prometheus.log")).expect("log file");
        let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().expect("addr");
        let child = tokio::process::Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .arg("--log.level=warn")
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("prometheus starts: apt-get install -y prometheus");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("HTTP client");
        let mut prom = Prometheus {
            addr,
            child,
            dir,
            http,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = prom.child.try_wait() {
                panic!("prometheus exited with {status}:\n{}", prom.log());
            }
            if prom
                .get("/-/ready")
                .await
                .is_ok_and(|(status, _)| status == 200)
            {
                return prom;
            }
            assert!(
                Instant::now() < deadline,
                "prometheus not ready within 30 s:\n{}",
                prom.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// What Prometheus logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default()
    }

    /// GET `path`: status and body.
    async fn get(&self, path: &str) -> Result<(u16, String), String> {
        let url = format!("http://{}{path}", self.addr);
        let r = self
            .http
            .get(&url)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = r.status().as_u16();
        Ok((status, r.text().await.map_err(|e| e.to_string())?))
    }

    /// GET `path` on the API; the `data` of a `"status": "success"` answer, else the error.
    pub async fn api(&self, path: &str) -> Result<Value, String> {
        let (status, body) = self.get(path).await?;
        let json: Value = serde_json::from_str(&body)
            .map_err(|e| format!("{path}: HTTP {status} not JSON ({e}): {body}"))?;
        if json["status"] == "success" {
            Ok(json["data"].clone())
        } else {
            Err(format!(
                "{}: {}",
                json["errorType"].as_str().unwrap_or("error"),
                json["error"].as_str().unwrap_or(&body)
            ))
        }
    }

    /// An instant query: the result's series (a scalar or string counts as one).
    pub async fn query(&self, expr: &str) -> Result<Vec<Value>, String> {
        let data = self
            .api(&format!("/api/v1/query?query={}", encode(expr)))
            .await?;
        Ok(match &data["result"] {
            Value::Array(series) if data["resultType"] != "scalar" => series.clone(),
            Value::Array(_) | Value::String(_) => vec![data["result"].clone()],
            _ => Vec::new(),
        })
    }

    /// Active alerts (`pending` and `firing`).
    pub async fn alerts(&self) -> Vec<Value> {
        self.api("/api/v1/alerts").await.expect("alerts")["alerts"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Every loaded rule (alerting and recording), with its `name`, `type` and `query`.
    pub async fn rules(&self) -> Vec<Value> {
        let data = self.api("/api/v1/rules").await.expect("rules");
        data["groups"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|g| g["rules"].as_array().cloned().unwrap_or_default())
            .collect()
    }
}

#[test]
fn hold_replaces_only_for_keys() {
    let rules = "      - alert: A\n        expr: x > 0  # for: not this\n        for: 10m\n        labels:\n          format: y\n";
    assert_eq!(
        with_hold(rules, "5s"),
        "      - alert: A\n        expr: x > 0  # for: not this\n        for: 5s\n        labels:\n          format: y\n"
    );
}

#[test]
fn encoding_keeps_promql_intact() {
    assert_eq!(
        encode(r#"up{job="a b"}[5m]"#),
        "up%7Bjob%3D%22a%20b%22%7D%5B5m%5D"
    );
}
