//! Fencing the old primary: `fence_command` with `{venture} {endpoint} {host} {port}`.
//!
//! The command is split into arguments first (whitespace, with `'…'` and `"…"` quoting) and the
//! placeholders are substituted inside each argument afterwards, so a value never becomes extra
//! arguments and no shell is involved (write `sh -c '…'` for one). It runs in its own process
//! group with a timeout; on timeout the whole group is killed.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;

use super::error::ControllerError;

/// How long a fence command may run.
pub const FENCE_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the endpoint to fence lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FenceTarget {
    /// The venture.
    pub venture: String,
    /// The endpoint.
    pub endpoint: String,
    /// Its host (from its DSN), empty when unknown.
    pub host: String,
    /// Its port (from its DSN).
    pub port: u16,
}

/// Splits `template` into arguments (whitespace; `'…'` and `"…"` group) — pure.
pub fn split(template: &str) -> Result<Vec<String>, String> {
    let (mut args, mut cur, mut quote, mut any) = (Vec::new(), String::new(), None, false);
    for c in template.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !cur.is_empty() {
                    args.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            (None, c) => cur.push(c),
        }
    }
    if quote.is_some() {
        return Err("unbalanced quote".to_owned());
    }
    if any || !cur.is_empty() {
        args.push(cur);
    }
    Ok(args)
}

/// The arguments of `template` with the placeholders substituted — pure.
pub fn render(template: &str, target: &FenceTarget) -> Result<Vec<String>, String> {
    let port = target.port.to_string();
    Ok(split(template)?
        .into_iter()
        .map(|a| {
            a.replace("{venture}", &target.venture)
                .replace("{endpoint}", &target.endpoint)
                .replace("{host}", &target.host)
                .replace("{port}", &port)
        })
        .collect())
}

/// Runs the fence command for `target`; `Ok(None)` when none is configured, else the start of
/// its output.
pub async fn run(
    template: &str,
    target: &FenceTarget,
    timeout: Duration,
) -> Result<Option<String>, ControllerError> {
    if template.trim().is_empty() {
        return Ok(None);
    }
    let args = render(template, target).map_err(|reason| ControllerError::FenceSpawn {
        program: "fence_command".to_owned(),
        reason,
    })?;
    let Some((program, rest)) = args.split_first() else {
        return Ok(None);
    };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(rest)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    let mut child = cmd.spawn().map_err(|e| ControllerError::FenceSpawn {
        program: program.clone(),
        reason: e.to_string(),
    })?;
    let pid = child.id();
    let (mut stdout, mut stderr) = (child.stdout.take(), child.stderr.take());
    let work = async {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let read_out = async {
            if let Some(p) = stdout.as_mut() {
                let _ = p.take(64 * 1024).read_to_end(&mut out).await;
            }
        };
        let read_err = async {
            if let Some(p) = stderr.as_mut() {
                let _ = p.take(64 * 1024).read_to_end(&mut err).await;
            }
        };
        tokio::join!(read_out, read_err);
        let status = child.wait().await;
        (status, out, err)
    };
    match tokio::time::timeout(timeout, work).await {
        Ok((Ok(status), out, err)) => {
            let text = excerpt(&out, &err);
            if status.success() {
                Ok(Some(text))
            } else {
                Err(ControllerError::FenceFailed {
                    program: program.clone(),
                    status: status.to_string(),
                    output: text,
                })
            }
        }
        Ok((Err(e), _, _)) => Err(ControllerError::FenceSpawn {
            program: program.clone(),
            reason: e.to_string(),
        }),
        Err(_) => {
            if let Some(pid) = pid.and_then(|p| i32::try_from(p).ok()) {
                let _ = nix::sys::signal::killpg(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
            Err(ControllerError::FenceTimeout {
                program: program.clone(),
                after: timeout,
            })
        }
    }
}

fn excerpt(out: &[u8], err: &[u8]) -> String {
    let text = format!(
        "{} {}",
        String::from_utf8_lossy(out).trim(),
        String::from_utf8_lossy(err).trim()
    );
    crate::notify::truncate_chars(text.trim(), 300)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> FenceTarget {
        FenceTarget {
            venture: "acme".into(),
            endpoint: "pg1".into(),
            host: "10.0.0.1".into(),
            port: 5432,
        }
    }

    #[test]
    fn splits_with_quotes_and_substitutes_per_argument() {
        let args = render(
            r#"sh -c 'echo {venture} > /tmp/x' --host={host} "{port}" '' "#,
            &target(),
        )
        .unwrap();
        assert_eq!(
            args,
            [
                "sh",
                "-c",
                "echo acme > /tmp/x",
                "--host=10.0.0.1",
                "5432",
                ""
            ]
        );
        assert!(split("a 'b").is_err());
        assert!(split("   ").unwrap().is_empty());
    }

    #[test]
    fn a_value_never_becomes_extra_arguments() {
        let mut t = target();
        t.host = "evil host; rm -rf /".into();
        assert_eq!(
            render("fence {host}", &t).unwrap(),
            ["fence", "evil host; rm -rf /"]
        );
    }

    #[tokio::test]
    async fn runs_fails_and_times_out() {
        let t = target();
        assert_eq!(run("", &t, FENCE_TIMEOUT).await.unwrap(), None);
        let out = run("echo fenced {endpoint}", &t, FENCE_TIMEOUT)
            .await
            .unwrap();
        assert_eq!(out.as_deref(), Some("fenced pg1"));
        let err = run("sh -c 'echo no >&2; exit 3'", &t, FENCE_TIMEOUT)
            .await
            .unwrap_err();
        assert!(
            matches!(err, ControllerError::FenceFailed { ref output, .. } if output == "no"),
            "{err}"
        );
        let started = std::time::Instant::now();
        let err = run("sleep 20", &t, Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(matches!(err, ControllerError::FenceTimeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
