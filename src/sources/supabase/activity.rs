//! Idle or failing (pure): whether a Supabase window whose latest point lags behind is a problem.
//!
//! Supabase archives WAL only when the database writes, so on an idle database the latest
//! recoverable point stays where the last write left it: that is not a failure. With an endpoint
//! configured, the agent remembers the endpoint's WAL position (`pg_current_wal_lsn()`) first
//! observed at or after the window's latest point ([`next_mark`]); when the position has moved
//! beyond it, the database wrote since and a lagging latest point is real ([`judge`]). Without an
//! endpoint the two cannot be told apart ([`Freshness::Unknown`]).

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::state::{Role, Timed, VentureState};

/// What a latest recoverable point `now − latest` old means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Within the allowed age.
    Fresh,
    /// Older than allowed, but no WAL was written since: nothing is at risk.
    Idle,
    /// Older than allowed while the database wrote WAL since: a failure.
    Lagging,
    /// Older than allowed; whether the database wrote since is not known (no endpoint, or not
    /// observed after the latest point yet).
    Unknown,
}

/// Judges the latest point `latest` against `allowed` (the RPO, or `backup_max_age`), with
/// `mark` (the latest point it belongs to, the WAL position then) and the current position.
pub fn judge(
    latest: DateTime<Utc>,
    now: DateTime<Utc>,
    allowed: Duration,
    mark: Option<(DateTime<Utc>, u64)>,
    current_lsn: Option<u64>,
) -> Freshness {
    let age = (now - latest).to_std().unwrap_or_default();
    if age <= allowed {
        return Freshness::Fresh;
    }
    match (mark, current_lsn) {
        (Some((at, lsn)), Some(current)) if at == latest => {
            if current > lsn {
                Freshness::Lagging
            } else {
                Freshness::Idle
            }
        }
        _ => Freshness::Unknown,
    }
}

/// The mark after a poll: kept while the latest point stays the same; for a new latest point,
/// the endpoint's position when it was observed at or after it (else none yet).
pub fn next_mark(
    previous: Option<(DateTime<Utc>, u64)>,
    latest: Option<DateTime<Utc>>,
    observed: Option<(DateTime<Utc>, u64)>,
) -> Option<(DateTime<Utc>, u64)> {
    let latest = latest?;
    match previous {
        Some(mark) if mark.0 == latest => Some(mark),
        _ => observed
            .filter(|(at, _)| *at >= latest)
            .map(|(_, lsn)| (latest, lsn)),
    }
}

/// The endpoint that speaks for the database: the one primary now, else the configured
/// primary, else the first.
fn database_endpoint(v: &VentureState) -> Option<&crate::state::EndpointState> {
    v.endpoints
        .iter()
        .find(|e| e.role == Role::Primary)
        .or_else(|| {
            v.endpoints
                .iter()
                .find(|e| e.configured_role == Role::Primary)
        })
        .or_else(|| v.endpoints.first())
}

/// The database size measured through the venture's endpoint.
pub fn database_size(v: &VentureState) -> Option<Timed<u64>> {
    database_endpoint(v)?.database_size
}

/// When the endpoint was last observed and its WAL position then.
pub fn wal_position(v: &VentureState) -> Option<(DateTime<Utc>, u64)> {
    let o = database_endpoint(v)?.observed.as_ref()?;
    Some((o.at, o.current_lsn?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0)
            .single()
            .expect("valid")
            + chrono::TimeDelta::minutes(min)
    }

    #[test]
    fn judge_table() {
        let rpo = Duration::from_secs(15 * 60);
        let latest = t(0);
        // (case, now, mark, current LSN, want)
        let cases = [
            ("fresh", t(10), None, None, Freshness::Fresh),
            ("fresh at the limit", t(15), None, Some(9), Freshness::Fresh),
            (
                "idle: no WAL since",
                t(120),
                Some((latest, 500)),
                Some(500),
                Freshness::Idle,
            ),
            (
                "wrote since",
                t(120),
                Some((latest, 500)),
                Some(501),
                Freshness::Lagging,
            ),
            ("no endpoint", t(120), None, None, Freshness::Unknown),
            (
                "not observed since",
                t(120),
                None,
                Some(700),
                Freshness::Unknown,
            ),
            (
                "endpoint down",
                t(120),
                Some((latest, 500)),
                None,
                Freshness::Unknown,
            ),
            (
                "mark of an older point",
                t(120),
                Some((t(-60), 400)),
                Some(500),
                Freshness::Unknown,
            ),
            (
                "position went back",
                t(120),
                Some((latest, 500)),
                Some(100),
                Freshness::Idle,
            ),
        ];
        for (case, now, mark, current, want) in cases {
            assert_eq!(judge(latest, now, rpo, mark, current), want, "{case}");
        }
    }

    #[test]
    fn next_mark_table() {
        // (case, previous, latest, observed, want)
        let cases = [
            ("no window", Some((t(0), 5)), None, Some((t(1), 9)), None),
            (
                "first sight",
                None,
                Some(t(0)),
                Some((t(1), 9)),
                Some((t(0), 9)),
            ),
            (
                "observed before the point",
                None,
                Some(t(0)),
                Some((t(-1), 9)),
                None,
            ),
            (
                "same point keeps the first",
                Some((t(0), 9)),
                Some(t(0)),
                Some((t(5), 12)),
                Some((t(0), 9)),
            ),
            (
                "the point moved",
                Some((t(0), 9)),
                Some(t(6)),
                Some((t(7), 30)),
                Some((t(6), 30)),
            ),
            (
                "moved, no endpoint",
                Some((t(0), 9)),
                Some(t(6)),
                None,
                None,
            ),
        ];
        for (case, previous, latest, observed, want) in cases {
            assert_eq!(next_mark(previous, latest, observed), want, "{case}");
        }
    }
}
