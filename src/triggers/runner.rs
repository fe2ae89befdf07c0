//! Carrying out one trigger run: the command through `sh -c` as the agent's own user (its own
//! process group, killed whole on timeout; output capped; `BACKSTOP_VENTURE`,
//! `BACKSTOP_TRIGGER` and `BACKSTOP_CONDITION` set), or one POST of the event as JSON
//! `{venture, trigger, condition, detail, at}` to the webhook URL, within the trigger's timeout
//! and without retries (the next run comes after the cooldown). The URL is a secret: it never
//! appears in an error.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

use super::condition::Condition;
use super::excerpt::{excerpt, redact, MAX_EXCERPT};
use super::TriggerError;
use crate::config::TriggerAction;
use crate::process::{Limits, Overflow, Stop};
use crate::secret::Secret;

/// Output of a command kept before it is cut to the excerpt.
const KEEP_OUTPUT: usize = 64 << 10;

/// What a run is about.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    /// The venture.
    pub venture: &'a str,
    /// The trigger's label.
    pub trigger: &'a str,
    /// The condition that holds.
    pub condition: &'a Condition,
    /// When the run started.
    pub at: DateTime<Utc>,
}

/// How a run ended: its result and the output excerpt (capped, secrets removed; empty for a
/// webhook).
#[derive(Debug)]
pub struct Ran {
    /// `Ok` with what happened (`exit status: 0`, `HTTP 204`), or why it failed.
    pub result: Result<String, TriggerError>,
    /// The end of the command's output.
    pub excerpt: String,
}

/// The webhook's request body.
pub fn webhook_body(req: &Request<'_>) -> Value {
    json!({
        "venture": req.venture,
        "trigger": req.trigger,
        "condition": req.condition.rule,
        "detail": req.condition.detail,
        "at": req.at.to_rfc3339_opts(SecondsFormat::Millis, true),
    })
}

/// Runs `action` for `req` within `timeout`; `secrets` are removed from the excerpt.
pub async fn run(
    action: &TriggerAction,
    req: &Request<'_>,
    timeout: Duration,
    client: &reqwest::Client,
    secrets: &[&str],
) -> Ran {
    match action {
        TriggerAction::Run(command) => run_command(command, req, timeout, secrets).await,
        TriggerAction::Webhook(url) => Ran {
            result: post(client, url, &webhook_body(req), timeout).await,
            excerpt: String::new(),
        },
    }
}

async fn run_command(command: &str, req: &Request<'_>, timeout: Duration, secrets: &[&str]) -> Ran {
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .env("BACKSTOP_VENTURE", req.venture)
        .env("BACKSTOP_TRIGGER", req.trigger)
        .env("BACKSTOP_CONDITION", req.condition.rule);
    let limits = Limits {
        max_stderr: KEEP_OUTPUT,
        ..Limits::new(timeout, KEEP_OUTPUT, Overflow::Keep)
    };
    match crate::process::run(cmd, &limits).await {
        Ok(done) => Ran {
            excerpt: excerpt(&done.stdout, &done.stderr, secrets, MAX_EXCERPT),
            result: if done.status.success() {
                Ok(done.status.to_string())
            } else {
                Err(TriggerError::Exit(done.status.to_string()))
            },
        },
        Err(stop) => Ran {
            result: Err(match stop {
                Stop::Spawn(e) => TriggerError::Spawn(e),
                Stop::Timeout(after) => TriggerError::Timeout(after),
                Stop::Io(e) => TriggerError::Io(e),
                // Output is kept, never refused; counted as an I/O failure if it ever happens.
                Stop::TooLarge(limit) => TriggerError::Io(std::io::Error::other(format!(
                    "more than {limit} bytes of output"
                ))),
            }),
            excerpt: String::new(),
        },
    }
}

/// One POST of `body` to `url`; any 2xx succeeds.
async fn post(
    client: &reqwest::Client,
    url: &Secret,
    body: &Value,
    timeout: Duration,
) -> Result<String, TriggerError> {
    let exchange = async {
        let response = client.post(url.expose()).json(body).send().await?;
        let status = response.status().as_u16();
        // Read (and drop) the answer so the connection ends cleanly.
        let _ = response.bytes().await;
        Ok::<_, reqwest::Error>(status)
    };
    match tokio::time::timeout(timeout, exchange).await {
        Err(_) => Err(TriggerError::Timeout(timeout)),
        Ok(Err(e)) if e.is_timeout() => Err(TriggerError::Timeout(timeout)),
        Ok(Err(e)) => {
            let e = e.without_url();
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                source = cause.source();
            }
            Err(TriggerError::Request(redact(&text, &[url.expose()])))
        }
        Ok(Ok(status)) if (200..300).contains(&status) => Ok(format!("HTTP {status}")),
        Ok(Ok(status)) => Err(TriggerError::Status(status)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn condition() -> Condition {
        Condition {
            rule: "backup_stale",
            detail: "newest usable backup stopped 90000s ago".into(),
        }
    }

    fn request(c: &Condition) -> Request<'_> {
        Request {
            venture: "acme",
            trigger: "backup_stale",
            condition: c,
            at: "2026-05-01T12:00:00Z".parse().expect("time"),
        }
    }

    #[test]
    fn the_webhook_body_is_flat() {
        let c = condition();
        assert_eq!(
            webhook_body(&request(&c)),
            json!({
                "venture": "acme",
                "trigger": "backup_stale",
                "condition": "backup_stale",
                "detail": "newest usable backup stopped 90000s ago",
                "at": "2026-05-01T12:00:00.000Z",
            })
        );
    }

    #[tokio::test]
    async fn commands_see_the_trigger_and_fail_on_a_non_zero_exit() {
        let c = condition();
        let client = reqwest::Client::new();
        let ran = run(
            &TriggerAction::Run(
                "echo $BACKSTOP_VENTURE/$BACKSTOP_TRIGGER; echo password=x >&2".into(),
            ),
            &request(&c),
            Duration::from_secs(10),
            &client,
            &[],
        )
        .await;
        assert_eq!(ran.result.expect("ok"), "exit status: 0");
        assert_eq!(ran.excerpt, "acme/backup_stale\npassword=[redacted]");
        let failed = run(
            &TriggerAction::Run("echo boom; exit 4".into()),
            &request(&c),
            Duration::from_secs(10),
            &client,
            &[],
        )
        .await;
        assert!(
            matches!(&failed.result, Err(TriggerError::Exit(s)) if s == "exit status: 4"),
            "{failed:?}"
        );
        assert_eq!(failed.excerpt, "boom");
        let slow = run(
            &TriggerAction::Run("sleep 30".into()),
            &request(&c),
            Duration::from_millis(200),
            &client,
            &[],
        )
        .await;
        assert!(
            matches!(slow.result, Err(TriggerError::Timeout(_))),
            "{slow:?}"
        );
    }

    #[tokio::test]
    async fn a_refused_webhook_call_never_names_its_url() {
        // Nothing listens on port 1.
        let url = Secret::new("http://127.0.0.1:1/hook/s3cr3t-token");
        let err = post(
            &reqwest::Client::new(),
            &url,
            &json!({}),
            Duration::from_secs(5),
        )
        .await
        .expect_err("refused");
        assert!(!err.to_string().contains("s3cr3t"), "{err}");
    }
}
