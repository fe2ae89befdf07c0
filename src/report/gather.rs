//! The report's I/O: one poll of the venture (current coverage, objectives with overrides) and
//! the store's history of the period. A SQLite state file that does not exist yet is not created:
//! the history is then empty, and the report says so. Texts from the store that may quote a
//! connection string are made secrets-free again.

use chrono::{DateTime, Utc};

use super::build::Inputs;
use super::drills::history_start;
use super::period::Period;
use super::ReportError;
use crate::config::Config;
use crate::drill::record::secrets_free;
use crate::store::{EventFilter, Store};

/// How many of the newest notification sends are searched for the venture's drill notices.
const SENDS_SCANNED: u32 = 10_000;

/// Polls `venture` and reads its history over `period`.
pub async fn gather(
    config: &Config,
    venture: &str,
    period: Period,
    now: DateTime<Utc>,
) -> Result<Inputs, ReportError> {
    crate::inspect::known_venture(config, venture).map_err(ReportError::UnknownVenture)?;
    let vc = config
        .venture(venture)
        .ok_or_else(|| ReportError::UnknownVenture(venture.to_owned()))?;
    let snapshot = crate::inspect::poll(config, venture).await;
    let state = snapshot
        .venture(venture)
        .cloned()
        .ok_or_else(|| ReportError::UnknownVenture(venture.to_owned()))?;
    let mut inputs = Inputs {
        venture: state,
        overridden: false,
        period,
        now,
        drills: Vec::new(),
        sends: Vec::new(),
        verifications: Vec::new(),
        failovers: Vec::new(),
        recoveries: Vec::new(),
        size_samples: Vec::new(),
        objective_events: Vec::new(),
        notes: Vec::new(),
    };
    if !store_exists(config) {
        inputs.notes.push(
            "the state store (agent.state) does not exist yet: no history is recorded; run the agent (`backstop run`) or `backstop drill` first".to_owned(),
        );
        return Ok(inputs);
    }
    let store = Store::open(&config.agent.state).await?;
    let (since, until) = (period.since, period.until);
    inputs.overridden = store
        .overrides()
        .await?
        .iter()
        .any(|o| o.venture == venture);
    inputs.drills = store.drills(venture, history_start(&period), until).await?;
    for d in &mut inputs.drills {
        d.reason = d.reason.as_deref().map(|r| secrets_free(r, Some(vc)));
        d.log_excerpt = d.log_excerpt.as_deref().map(|l| secrets_free(l, Some(vc)));
        for s in &mut d.steps {
            s.detail = secrets_free(&s.detail, Some(vc));
        }
    }
    inputs.sends = store
        .sends(SENDS_SCANNED)
        .await?
        .into_iter()
        .filter(|s| s.venture.as_deref() == Some(venture))
        .collect();
    inputs.verifications = store.verifications(venture, since, until).await?;
    for v in &mut inputs.verifications {
        v.detail = secrets_free(&v.detail, Some(vc));
    }
    inputs.failovers = store.failovers(venture, since, until).await?;
    inputs.recoveries = store.recoveries(venture, since, until).await?;
    for r in &mut inputs.recoveries {
        r.detail = secrets_free(&r.detail, Some(vc));
    }
    inputs.size_samples = store.size_samples(venture, since.date_naive()).await?;
    for kind in ["objective_override_set", "objective_override_cleared"] {
        let filter = EventFilter {
            venture: Some(venture.to_owned()),
            since: Some(since),
            until: Some(until),
            kind: Some(kind.to_owned()),
            limit: None,
        };
        inputs.objective_events.extend(store.events(&filter).await?);
    }
    inputs.objective_events.sort_by_key(|e| e.event.at);
    Ok(inputs)
}

/// False only for a SQLite state file that does not exist (reading must not create it).
fn store_exists(config: &Config) -> bool {
    config
        .agent
        .state
        .expose()
        .strip_prefix("sqlite:")
        .is_none_or(|path| std::path::Path::new(path).exists())
}
