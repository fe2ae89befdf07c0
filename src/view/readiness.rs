//! The venture list: per venture its readiness — the worst `backstop check` finding, or
//! `unknown` while nothing about it has been observed yet — with the findings behind it and
//! the few figures an engineer looks at first.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::scrub::Scrubber;
use crate::check::rules::{venture_rules, worst, Finding, Severity};
use crate::state::{Snapshot, VentureState};

/// Readiness of a venture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Readiness {
    /// Every rule passes.
    Ok,
    /// Needs attention; recovery still possible.
    Warning,
    /// Recovery at risk now.
    Critical,
    /// Nothing observed yet (no poll of the source or an endpoint has finished).
    Unknown,
}

impl From<Severity> for Readiness {
    fn from(s: Severity) -> Self {
        match s {
            Severity::Ok => Readiness::Ok,
            Severity::Warning => Readiness::Warning,
            Severity::Critical => Readiness::Critical,
        }
    }
}

/// One line of the venture list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VentureSummary {
    /// The venture.
    pub name: String,
    /// `pgbackrest`, `supabase`, or `null` without a backup source.
    pub source: Option<&'static str>,
    /// ok, warning, critical or unknown.
    pub readiness: Readiness,
    /// The check findings (empty when healthy), secrets removed.
    pub findings: Vec<Finding>,
    /// Stop time of the newest usable backup; `null` when none is known.
    pub last_backup: Option<DateTime<Utc>>,
    /// Latest recoverable point; `null` when nothing is recoverable or not known yet.
    pub pitr_latest: Option<DateTime<Utc>>,
    /// now − `pitr_latest`, seconds; `null` without a window.
    pub exposure_seconds: Option<u64>,
    /// Whether the last passed-or-failed drill passed; `null` before the first one.
    pub last_drill_passed: Option<bool>,
    /// Endpoints configured.
    pub endpoints: usize,
}

/// Whether anything about `v` has been observed: a finished source poll or endpoint poll.
pub fn observed(v: &VentureState) -> bool {
    v.source.as_ref().is_some_and(|s| s.up.is_some())
        || v.endpoints
            .iter()
            .any(|e| e.observed.is_some() || e.last_error.is_some() || e.probe.up.is_some())
}

/// The readiness of `v` at `now` and its findings (pure).
pub fn readiness(v: &VentureState, now: DateTime<Utc>) -> (Readiness, Vec<Finding>) {
    let findings = venture_rules(v, now);
    let readiness = if observed(v) {
        worst(&findings).into()
    } else {
        Readiness::Unknown
    };
    (readiness, findings)
}

/// The summary line of `v` at `now` (pure).
pub fn summary(v: &VentureState, now: DateTime<Utc>, scrub: &Scrubber) -> VentureSummary {
    let (readiness, mut findings) = readiness(v, now);
    for f in &mut findings {
        f.message = scrub.text(&f.message);
        f.action = scrub.text(&f.action);
    }
    let src = v.source.as_ref();
    let window = src.and_then(|s| s.window.as_ref());
    VentureSummary {
        name: v.name.clone(),
        source: src.map(|s| s.kind.as_str()),
        readiness,
        findings,
        last_backup: src.and_then(|s| s.newest_usable(None)).map(|b| b.stop),
        pitr_latest: window.and_then(|w| w.latest()),
        exposure_seconds: window.and_then(|w| w.exposure(now)).map(|d| d.as_secs()),
        last_drill_passed: v.drill.last_outcome_ok,
        endpoints: v.endpoints.len(),
    }
}

/// Every venture, in configuration order (pure).
pub fn ventures(snapshot: &Snapshot, now: DateTime<Utc>, scrub: &Scrubber) -> Vec<VentureSummary> {
    snapshot
        .ventures
        .iter()
        .map(|v| summary(v, now, scrub))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unobserved_is_unknown_and_observed_follows_the_worst_finding() {
        let now = Utc::now();
        let snap = crate::metrics::synthetic::snapshot(1, now);
        let v = &snap.ventures[0];
        let (r, findings) = readiness(v, now);
        assert_eq!(r, Readiness::from(worst(&findings)));
        let fresh = VentureState {
            name: "fresh".into(),
            source: Some(crate::state::SourceState::new(
                crate::state::SourceKind::PgBackRest,
            )),
            ..Default::default()
        };
        assert_eq!(readiness(&fresh, now).0, Readiness::Unknown);
        let s = summary(&fresh, now, &Scrubber::default());
        assert_eq!(s.source, Some("pgbackrest"));
        assert_eq!(s.last_backup, None);
        assert_eq!(s.exposure_seconds, None);
    }
}
