//! Running the PostgreSQL client programs of the logical drill (`pg_dump`, `pg_restore`) as the
//! agent's own user: stdin closed, output captured, bounded by a time limit after which the
//! child is killed (SIGKILL, through `kill_on_drop` when the wait is abandoned). A password goes
//! only into the child's `PGPASSWORD`; a failure carries the tail of its output, which the drill
//! makes secrets-free before it is recorded.

use std::ffi::OsString;
use std::process::Stdio;
use std::time::Duration;

use super::DrillError;
use crate::secret::Secret;

/// Lines of a failed program's output kept in its error.
const OUTPUT_LINES: usize = 20;

/// Runs `program args` for at most `limit`; returns stdout on success.
pub async fn run(
    program: &str,
    args: &[OsString],
    password: Option<&Secret>,
    limit: Duration,
) -> Result<String, DrillError> {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("PGCONNECT_TIMEOUT", "10")
        .kill_on_drop(true);
    if let Some(pw) = password {
        cmd.env("PGPASSWORD", pw.expose());
    }
    let fail = |reason: String, output: String| DrillError::Program {
        program: program.to_owned(),
        reason,
        output,
    };
    let child = cmd.spawn().map_err(|e| {
        fail(
            format!("could not start: {e}; install the PostgreSQL client programs (apt-get install postgresql-client) or set [ventures.drill] pg_dump to their path"),
            String::new(),
        )
    })?;
    let output = match tokio::time::timeout(limit, child.wait_with_output()).await {
        Err(_) => {
            return Err(fail(
                format!(
                    "did not finish within {:.1}s and was killed (raise [ventures.drill] timeout if the database needs longer)",
                    limit.as_secs_f64()
                ),
                String::new(),
            ))
        }
        Ok(Err(e)) => return Err(fail(format!("could not be waited for: {e}"), String::new())),
        Ok(Ok(output)) => output,
    };
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if output.status.success() {
        return Ok(stdout);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().chain(stdout.lines()).collect();
    let head = lines.len().min(OUTPUT_LINES);
    Err(fail(
        format!("exited with {}", output.status),
        lines[..head].join("\n"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    #[test]
    fn output_failure_timeout_and_password() {
        let rt = runtime();
        let sh = |script: &str| vec![OsString::from("-c"), OsString::from(script)];
        let pw = Secret::new("s3cr3t");
        let out = rt
            .block_on(run(
                "sh",
                &sh("echo \"$PGPASSWORD\""),
                Some(&pw),
                Duration::from_secs(5),
            ))
            .expect("runs");
        assert_eq!(out.trim(), "s3cr3t");
        let err = rt
            .block_on(run(
                "sh",
                &sh("echo oops >&2; exit 3"),
                None,
                Duration::from_secs(5),
            ))
            .expect_err("fails");
        let text = err.to_string();
        assert!(
            text.contains("exited with") && text.contains("oops"),
            "{text}"
        );
        let started = std::time::Instant::now();
        let err = rt
            .block_on(run("sh", &sh("sleep 30"), None, Duration::from_millis(200)))
            .expect_err("times out");
        assert!(err.to_string().contains("killed"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
        let err = rt
            .block_on(run(
                "/nonexistent/pg_dump",
                &[],
                None,
                Duration::from_secs(1),
            ))
            .expect_err("missing");
        assert!(err.to_string().contains("could not start"), "{err}");
    }
}
