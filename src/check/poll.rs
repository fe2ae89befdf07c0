//! One poll of everything, for the one-shot commands (`check`, `pitr`, `backups`): every
//! endpoint and every backup source polled concurrently, each under its own timeouts, then the
//! window and retention derived again with the segment size the endpoints reported.
//!
//! A source that does not answer in time is reported (`up = false`, a `timeout` error), never
//! waited for: its commands are bounded by `timeout`, and the whole source poll by
//! [`source_deadline`] on top.

use std::time::Duration;

use crate::config::{BackupsConfig, Config};
use crate::error::ErrorKind;
use crate::sources::pgbackrest::PgBackRestSource;
use crate::state::SharedState;

/// The bound on one source's whole poll: `info`, the backup log and `repo-ls` each have
/// `timeout`, so three of them plus a margin.
pub fn source_deadline(timeout: Duration) -> Duration {
    timeout.saturating_mul(3) + Duration::from_secs(1)
}

/// The bound on one Supabase poll: three calls under the client's request timeout, plus
/// retries of the backups call.
pub const SUPABASE_DEADLINE: Duration = Duration::from_secs(120);

/// One poll of a Supabase source (backups, status, health), bounded by [`SUPABASE_DEADLINE`].
fn supabase_poll(
    name: &str,
    cfg: &crate::config::SupabaseConfig,
    limiters: &mut crate::sources::Limiters,
    state: &SharedState,
) -> Option<tokio::task::JoinHandle<()>> {
    let limiter = limiters.for_token(&cfg.token);
    let source = match crate::sources::supabase::SupabaseSource::new(name, cfg, limiter) {
        Ok(source) => source,
        Err(e) => {
            tracing::error!(venture = %name, error = %e, "cannot build the Supabase client");
            return None;
        }
    };
    let (state, name) = (state.clone(), name.to_owned());
    Some(tokio::spawn(async move {
        // A failed poll is recorded in the snapshot (`up = false`, error kind).
        if tokio::time::timeout(SUPABASE_DEADLINE, source.poll_once(&state))
            .await
            .is_err()
        {
            timed_out(&state, &name, "supabase", SUPABASE_DEADLINE);
        }
    }))
}

/// Records a source poll that outlived its deadline: source down, one `timeout` error.
fn timed_out(state: &SharedState, venture: &str, source: &str, after: Duration) {
    tracing::warn!(venture = %venture, source, after = ?after, "backup source poll timed out");
    state.update(|s| {
        if let Some(v) = s.venture_mut(venture) {
            if let Some(src) = v.source.as_mut() {
                src.up = Some(false);
            }
            v.count_error(ErrorKind::Timeout);
        }
    });
}

/// Polls the endpoints and sources of every venture (or only of `venture`), once.
pub async fn poll_once(config: &Config, venture: Option<&str>) -> SharedState {
    let state = SharedState::new(crate::agent::initial_snapshot(config));
    let wanted = |name: &str| venture.is_none_or(|v| v == name);
    let mut tasks = Vec::new();
    for t in crate::agent::targets(config) {
        if !wanted(&t.venture) {
            continue;
        }
        let state = state.clone();
        tasks.push(tokio::spawn(async move {
            // A failed poll is recorded in the snapshot (probe down, error kind).
            let _ = crate::postgres::collector::poll_once(&t, &state).await;
        }));
    }
    let mut limiters =
        crate::sources::Limiters::with_ceiling(config.agent.supabase_max_requests_per_min);
    for v in config.ventures.iter().filter(|v| wanted(&v.name)) {
        if let Some(BackupsConfig::Supabase(cfg)) = v.backups.as_ref() {
            tasks.extend(supabase_poll(&v.name, cfg, &mut limiters, &state));
            continue;
        }
        let Some(BackupsConfig::PgBackRest(cfg)) = v.backups.as_ref() else {
            continue;
        };
        let source = PgBackRestSource::new(&v.name, cfg);
        let deadline = source_deadline(cfg.timeout);
        let (state, name) = (state.clone(), v.name.clone());
        tasks.push(tokio::spawn(async move {
            // A failed poll is recorded in the snapshot (`up = false`, error kind); only a
            // poll that outlives the deadline needs recording here.
            if tokio::time::timeout(deadline, source.poll_once(&state))
                .await
                .is_err()
            {
                timed_out(&state, &name, "pgbackrest", deadline);
            }
        }));
    }
    // Supabase ventures with desired settings: one read of the schedule and add-on (drift).
    tasks.extend(crate::sources::supabase::desired_poll::spawn_reads(
        config, venture, &state,
    ));
    for t in tasks {
        // A panicking poll is a bug, but it must not hide the other results.
        let _ = t.await;
    }
    stored_state(config, &state, venture).await;
    state.update(|s| {
        for v in s.ventures_mut() {
            crate::sources::derive::refresh(v);
        }
    });
    state
}

/// Applies what an existing state store knows, so the one-shot commands judge like the agent:
/// the run-time objective overrides and each pgBackRest venture's last verification (with when
/// the next one is due). A missing SQLite file is not created; an unreachable store only costs
/// a warning.
async fn stored_state(config: &Config, state: &SharedState, venture: Option<&str>) {
    let url = config.agent.state.expose();
    if url
        .strip_prefix("sqlite:")
        .is_some_and(|path| !std::path::Path::new(path).exists())
    {
        return;
    }
    let configured = config
        .ventures
        .iter()
        .map(|v| (v.name.clone(), v.objectives()))
        .collect();
    let applied = async {
        let store = crate::store::Store::open(&config.agent.state).await?;
        crate::plumbing::apply_overrides(&store, state, &configured).await?;
        for v in &config.ventures {
            let Some(BackupsConfig::PgBackRest(cfg)) = v.backups.as_ref() else {
                continue;
            };
            if venture.is_some_and(|w| w != v.name) {
                continue;
            }
            let Some(mut last) =
                crate::sources::pgbackrest::verifier::load_last(&store, &v.name).await?
            else {
                continue;
            };
            last.next_due = croner::Cron::new(&cfg.verify_schedule)
                .parse()
                .ok()
                .and_then(|c| c.find_next_occurrence(&last.last_run, false).ok());
            state.update(|s| {
                if let Some(src) = s.venture_mut(&v.name).and_then(|x| x.source.as_mut()) {
                    src.verification = Some(last);
                }
            });
        }
        Ok::<(), crate::store::StoreError>(())
    };
    match tokio::time::timeout(Duration::from_secs(10), applied).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(kind = %e.kind(), "objective overrides not applied: {e}"),
        Err(_) => tracing::warn!(
            "objective overrides not applied: the state store did not answer in 10 s"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_covers_three_commands() {
        assert_eq!(
            source_deadline(Duration::from_secs(30)),
            Duration::from_secs(91)
        );
    }
}
