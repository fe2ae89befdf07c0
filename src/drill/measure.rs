//! RTO and RPO exactly as DESIGN.md §8 defines them (pure).
//!
//! - **RTO** = drill start → restore validated (restore, replay and validation included; cleanup
//!   is not: the data was usable before the scratch cluster was removed).
//! - **RPO** = target time − the newest heartbeat restored; without a heartbeat (disabled, or its
//!   table not in the restore), target time − the last replayed commit
//!   (`pg_last_xact_replay_timestamp()`). For a `latest` drill the target time is the moment
//!   replay was seen to end: "had the primary died then, this is what a restore would have lost"
//!   (WAL archived during the drill is replayed too, so the drill's start would understate it).
//!   Never 0 and never absent for a passed drill: a value ≤ 0 (a heartbeat after the target: clock
//!   skew or a replay past it) or no basis at all fails the measurement.
//! - **RPO of a logical (Supabase) drill** ([`logical_rpo`]): the dump is of the live database,
//!   so it measures the dump, not Supabase's backups: when `pg_dump` finished (the first moment a
//!   restore from this dump was possible; the source server's clock) − the newest restored
//!   point: the newest heartbeat when the heartbeat table is among the dumped schemas, else the
//!   exported snapshot itself. "Had the project been lost the moment the dump was complete,
//!   restoring it would lose this much." Both times are the source server's, like the heartbeat.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// What the RPO was measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RpoBasis {
    /// The newest row of the heartbeat table.
    Heartbeat,
    /// `pg_last_xact_replay_timestamp()`.
    LastReplayedCommit,
    /// The snapshot a logical drill's dump was taken in.
    DumpSnapshot,
}

/// A measured RPO.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Rpo {
    /// Seconds of data a restore to the target loses (> 0).
    pub seconds: f64,
    /// What it was measured from.
    pub basis: RpoBasis,
    /// The newest restored point it was measured from.
    pub newest: DateTime<Utc>,
}

/// RTO in seconds: drill start → validated.
pub fn rto(start_to_validated: Duration) -> f64 {
    start_to_validated.as_secs_f64()
}

/// RPO from the target and what the restore holds; an error says why it cannot be measured.
pub fn rpo(
    target: DateTime<Utc>,
    heartbeat: Option<DateTime<Utc>>,
    last_replayed_commit: Option<DateTime<Utc>>,
) -> Result<Rpo, String> {
    let (newest, basis) = match (heartbeat, last_replayed_commit) {
        (Some(h), _) => (h, RpoBasis::Heartbeat),
        (None, Some(c)) => (c, RpoBasis::LastReplayedCommit),
        (None, None) => {
            return Err(
                "RPO cannot be measured: no heartbeat in the restore and no commit was replayed; enable [ventures.heartbeat]"
                    .to_owned(),
            )
        }
    };
    let micros = (target - newest).num_microseconds().unwrap_or(i64::MAX);
    if micros <= 0 {
        let what = match basis {
            RpoBasis::Heartbeat => "heartbeat",
            RpoBasis::LastReplayedCommit => "replayed commit",
            RpoBasis::DumpSnapshot => "snapshot",
        };
        return Err(format!(
            "RPO cannot be measured: the newest restored {what} ({newest}) is not before the target ({target}); is the database server's clock ahead of the agent's?"
        ));
    }
    Ok(Rpo {
        seconds: micros as f64 / 1e6,
        basis,
        newest,
    })
}

/// RPO of a logical drill: `dumped_at` − (the newest restored heartbeat, else `snapshot_at`).
pub fn logical_rpo(
    dumped_at: DateTime<Utc>,
    heartbeat: Option<DateTime<Utc>>,
    snapshot_at: DateTime<Utc>,
) -> Result<Rpo, String> {
    let (newest, basis) = match heartbeat {
        Some(h) => (h, RpoBasis::Heartbeat),
        None => (snapshot_at, RpoBasis::DumpSnapshot),
    };
    let micros = (dumped_at - newest).num_microseconds().unwrap_or(i64::MAX);
    if micros <= 0 {
        return Err(format!(
            "RPO cannot be measured: the newest restored point ({newest}) is not before the end of the dump ({dumped_at}); is the source server's clock going backwards?"
        ));
    }
    Ok(Rpo {
        seconds: micros as f64 / 1e6,
        basis,
        newest,
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(ms: i64) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(ms).single().expect("ts")
    }

    #[test]
    fn rpo_table() {
        type Want = Result<(f64, RpoBasis), &'static str>;
        let cases: [(i64, Option<i64>, Option<i64>, Want); 6] = [
            (
                10_000,
                Some(7_500),
                Some(9_000),
                Ok((2.5, RpoBasis::Heartbeat)),
            ),
            (
                10_000,
                None,
                Some(9_000),
                Ok((1.0, RpoBasis::LastReplayedCommit)),
            ),
            (10_000, Some(9_999), None, Ok((0.001, RpoBasis::Heartbeat))),
            (10_000, None, None, Err("no heartbeat")),
            (10_000, Some(10_000), None, Err("not before the target")),
            (10_000, Some(12_000), Some(1), Err("clock")),
        ];
        for (target, hb, commit, want) in cases {
            let got = rpo(t(target), hb.map(t), commit.map(t));
            match want {
                Ok((seconds, basis)) => {
                    let r = got.expect("measured");
                    assert!((r.seconds - seconds).abs() < 1e-9, "{r:?}");
                    assert_eq!(r.basis, basis);
                }
                Err(text) => assert!(got.expect_err("refused").contains(text)),
            }
        }
        assert_eq!(rto(Duration::from_millis(1500)), 1.5);
    }

    #[test]
    fn logical_rpo_counts_from_the_end_of_the_dump() {
        let r = logical_rpo(t(10_000), Some(t(7_000)), t(8_000)).expect("measured");
        assert_eq!((r.seconds, r.basis), (3.0, RpoBasis::Heartbeat));
        let r = logical_rpo(t(10_000), None, t(8_000)).expect("measured");
        assert_eq!((r.seconds, r.basis), (2.0, RpoBasis::DumpSnapshot));
        assert!(logical_rpo(t(8_000), None, t(8_000)).is_err());
    }
}
