//! Recording drills: the result into the store (one transaction with its steps) and into the
//! snapshot's [`DrillState`](crate::state::DrillState) for the metrics; at agent start the
//! stored history is loaded so the `backstop_drill_*` gauges survive a restart. Log excerpts are
//! made secrets-free (the venture's DSN passwords and any `password=` value) and capped.

use chrono::{DateTime, Utc};

use crate::config::VentureConfig;
use crate::state::SharedState;
use crate::store::{DrillFinish, Store, StoreError};

/// Longest log excerpt kept in the store.
pub const MAX_EXCERPT: usize = 4000;

/// Writes the result of drill `id` and publishes it in the snapshot.
pub async fn finish(
    store: &Store,
    state: &SharedState,
    venture: &str,
    id: i64,
    finish: &DrillFinish,
) -> Result<(), StoreError> {
    store
        .finish_drill(id, finish)
        .await
        .map_err(|e| counted(state, venture, e))?;
    state.update(|s| {
        if let Some(v) = s.venture_mut(venture) {
            v.drill.observe(
                &finish.outcome,
                finish.finished_at,
                finish.rto_seconds,
                finish.rpo_seconds,
                true,
            );
        }
    });
    Ok(())
}

/// Counts a store failure of `venture` in `backstop_errors_total{kind="store"}` (a full disk
/// under the store must be visible, not only logged) and hands the error on.
pub fn counted(state: &SharedState, venture: &str, e: StoreError) -> StoreError {
    state.update(|s| {
        if let Some(v) = s.venture_mut(venture) {
            v.count_error(e.kind());
        }
    });
    e
}

/// How a recorded drill ended, as both runners (physical and logical) report it.
#[derive(Debug)]
pub struct Conclusion<'a> {
    /// The venture.
    pub venture: &'a str,
    /// The store's id of the drill.
    pub id: i64,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// `passed`, `failed` or `aborted`.
    pub outcome: &'a str,
    /// `latest`, `time` or `snapshot`.
    pub target: &'static str,
    /// The recovery target.
    pub target_time: Option<DateTime<Utc>>,
    /// The backup restored, when one was chosen.
    pub base_backup: Option<String>,
    /// Why it failed (secrets-free).
    pub reason: Option<String>,
    /// The log tail (secrets-free).
    pub log_excerpt: Option<String>,
    /// Measured RTO (kept only for a passed drill).
    pub rto: Option<f64>,
    /// Measured RPO (kept only for a passed drill).
    pub rpo: Option<super::measure::Rpo>,
    /// Timed steps, in order.
    pub steps: Vec<crate::store::DrillStep>,
}

/// Records the end of a drill in the store and the snapshot, and returns its outcome.
pub async fn conclude(
    store: &Store,
    state: &SharedState,
    c: Conclusion<'_>,
) -> Result<super::DrillOutcome, StoreError> {
    let passed = c.outcome == "passed";
    let rpo = c.rpo.filter(|_| passed);
    let done = DrillFinish {
        finished_at: Utc::now(),
        outcome: c.outcome.to_owned(),
        target_time: c.target_time,
        rto_seconds: c.rto.filter(|_| passed),
        rpo_seconds: rpo.as_ref().map(|r| r.seconds),
        reason: c.reason.clone(),
        log_excerpt: c.log_excerpt.clone(),
        steps: c.steps.clone(),
    };
    finish(store, state, c.venture, c.id, &done).await?;
    Ok(super::DrillOutcome {
        venture: c.venture.to_owned(),
        id: c.id,
        outcome: c.outcome.to_owned(),
        target: c.target,
        target_time: done.target_time,
        started_at: c.started_at,
        finished_at: done.finished_at,
        rto_seconds: done.rto_seconds,
        rpo_seconds: done.rpo_seconds,
        rpo_basis: rpo.map(|r| r.basis),
        base_backup: c.base_backup,
        reason: c.reason,
        log_excerpt: c.log_excerpt,
        steps: c.steps,
    })
}

/// At agent start: cleans leftovers of interrupted drills, then loads the drill history.
pub async fn start(ctx: super::DrillContext) {
    match super::cleanup::cleanup_leftovers(&ctx.config, &ctx.store, &ctx.state).await {
        Ok(c) if !c.aborted.is_empty() || !c.removed.is_empty() => tracing::warn!(
            removed = c.removed.len(), aborted = ?c.aborted,
            "cleaned up after interrupted drills"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cleaning up leftovers of earlier drills failed"),
    }
    let ventures: Vec<String> = ctx.config.ventures.iter().map(|v| v.name.clone()).collect();
    load(&ctx.store, &ctx.state, &ventures).await;
}

/// Loads every venture's finished drills from the store into the snapshot (not counted as runs).
pub async fn load(store: &Store, state: &SharedState, ventures: &[String]) {
    let now = Utc::now();
    for venture in ventures {
        match store.drills(venture, DateTime::UNIX_EPOCH, now).await {
            Ok(drills) => state.update(|s| {
                if let Some(v) = s.venture_mut(venture) {
                    for d in &drills {
                        if let Some(at) = d.finished_at {
                            v.drill
                                .observe(&d.outcome, at, d.rto_seconds, d.rpo_seconds, false);
                        }
                    }
                }
            }),
            Err(e) => tracing::warn!(venture = %venture, error = %e,
                "could not load the drill history from the store"),
        }
    }
}

/// `text` without the venture's DSN passwords or any `password=…` value, capped to its tail.
pub fn secrets_free(text: &str, venture: Option<&VentureConfig>) -> String {
    let mut out = text.to_owned();
    for endpoint in venture.map(|v| v.endpoints.as_slice()).unwrap_or_default() {
        let parsed = <tokio_postgres::Config as std::str::FromStr>::from_str(endpoint.dsn.expose());
        if let Some(pw) = parsed.ok().as_ref().and_then(|c| c.get_password()) {
            let pw = String::from_utf8_lossy(pw).into_owned();
            if !pw.is_empty() {
                out = out.replace(&pw, "[redacted]");
            }
        }
        out = out.replace(endpoint.dsn.expose(), "[redacted dsn]");
    }
    let mut cleaned = String::with_capacity(out.len());
    let mut rest = out.as_str();
    while let Some(at) = rest.find("password=") {
        let (head, tail) = rest.split_at(at + "password=".len());
        cleaned.push_str(head);
        cleaned.push_str("[redacted]");
        rest = tail.trim_start_matches(|c: char| !c.is_whitespace() && c != '&' && c != '\'');
    }
    cleaned.push_str(rest);
    if cleaned.len() > MAX_EXCERPT {
        let mut cut = cleaned.len() - MAX_EXCERPT;
        while !cleaned.is_char_boundary(cut) {
            cut += 1;
        }
        cleaned = format!("…{}", &cleaned[cut..]);
    }
    cleaned
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_lose_their_secrets_and_length() {
        let toml = "[[ventures]]\nname = \"acme\"\n[[ventures.endpoints]]\nname = \"pg1\"\ndsn = \"postgres://app:s3cr3t-pw@db:5432/app\"\n";
        let config =
            crate::config::load_str(toml, "backstop.toml", &|_: &str| None).expect("config");
        let venture = &config.ventures[0];
        let text = "FATAL: auth for s3cr3t-pw failed; conninfo host=x password=hunter2 user=y";
        let clean = secrets_free(text, Some(venture));
        assert!(
            !clean.contains("s3cr3t-pw") && !clean.contains("hunter2"),
            "{clean}"
        );
        assert!(clean.contains("password=[redacted] user=y"), "{clean}");
        let long = "é".repeat(MAX_EXCERPT);
        let capped = secrets_free(&long, None);
        assert!(capped.len() <= MAX_EXCERPT + 4 && capped.starts_with('…'));
    }
}
