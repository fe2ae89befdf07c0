//! Replication lag of standbys, combined at publish time from what the Snapshot holds (pure).
//!
//! - bytes: the newest primary observation's `current_lsn` − the standby's replay LSN, saturating.
//! - seconds: the primary's `pg_stat_replication.replay_lag` for the row whose `application_name`
//!   equals the standby's endpoint name. Standbys should therefore connect with
//!   `application_name=<endpoint name>` in `primary_conninfo` (or set `cluster_name` to it);
//!   otherwise the seconds stay absent.

use crate::state::{EndpointObservation, EndpointState, Role};

/// The observation of the primary to measure standbys against: the newest one among endpoints
/// whose role is primary (not fenced) and that were not in recovery.
fn primary_observation(endpoints: &[EndpointState]) -> Option<&EndpointObservation> {
    endpoints
        .iter()
        .filter(|e| e.role == Role::Primary && !e.fenced)
        .filter_map(|e| e.observed.as_ref())
        .filter(|o| !o.in_recovery && o.current_lsn.is_some())
        .max_by_key(|o| o.at)
}

/// Sets `replication_lag_bytes` and `replication_lag_seconds` on every standby observation of
/// one venture. Non-standbys get both cleared.
pub fn combine_replication_lag(endpoints: &mut [EndpointState]) {
    let primary = primary_observation(endpoints).cloned();
    for endpoint in endpoints.iter_mut() {
        let name = endpoint.name.clone();
        let Some(obs) = endpoint.observed.as_mut() else {
            continue;
        };
        if !obs.in_recovery {
            obs.replication_lag_bytes = None;
            obs.replication_lag_seconds = None;
            continue;
        }
        let Some(primary) = primary.as_ref() else {
            obs.replication_lag_bytes = None;
            obs.replication_lag_seconds = None;
            continue;
        };
        obs.replication_lag_bytes = match (primary.current_lsn, obs.current_lsn) {
            (Some(p), Some(s)) => Some(p.saturating_sub(s)),
            _ => None,
        };
        obs.replication_lag_seconds = primary
            .replicas
            .iter()
            .find(|r| r.application_name == name)
            .and_then(|r| r.replay_lag_seconds)
            .map(|s| s.max(0.0));
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::state::ReplicaStats;

    fn endpoint(
        name: &str,
        role: Role,
        in_recovery: bool,
        lsn: Option<u64>,
        secs: i64,
    ) -> EndpointState {
        EndpointState {
            name: name.to_owned(),
            role,
            observed: Some(EndpointObservation {
                at: Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap(),
                in_recovery,
                current_lsn: lsn,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn lag(e: &EndpointState) -> (Option<u64>, Option<f64>) {
        let o = e.observed.as_ref().unwrap();
        (o.replication_lag_bytes, o.replication_lag_seconds)
    }

    #[test]
    fn combines_bytes_and_seconds() {
        let mut primary = endpoint("pg1", Role::Primary, false, Some(1000), 10);
        primary.observed.as_mut().unwrap().replicas = vec![
            ReplicaStats {
                application_name: "pg2".into(),
                replay_lag_seconds: Some(0.25),
                ..Default::default()
            },
            ReplicaStats {
                application_name: "pg3".into(),
                replay_lag_seconds: None,
                ..Default::default()
            },
        ];
        let mut eps = vec![
            primary,
            endpoint("pg2", Role::Standby, true, Some(400), 5),
            endpoint("pg3", Role::Standby, true, Some(2000), 5), // ahead: saturates
            endpoint("pg4", Role::Standby, true, None, 5),
            EndpointState {
                name: "down".into(),
                role: Role::Unknown,
                ..Default::default()
            },
        ];
        combine_replication_lag(&mut eps);
        assert_eq!(lag(&eps[0]), (None, None));
        assert_eq!(lag(&eps[1]), (Some(600), Some(0.25)));
        assert_eq!(lag(&eps[2]), (Some(0), None));
        assert_eq!(lag(&eps[3]), (None, None));
        assert!(eps[4].observed.is_none());
    }

    #[test]
    fn newest_unfenced_primary_wins_and_none_without_primary() {
        let old = endpoint("a", Role::Primary, false, Some(100), 1);
        let new = endpoint("b", Role::Primary, false, Some(500), 9);
        let mut fenced = endpoint("c", Role::Primary, false, Some(9999), 20);
        fenced.fenced = true;
        let mut eps = vec![
            old,
            new,
            fenced,
            endpoint("s", Role::Standby, true, Some(50), 3),
        ];
        combine_replication_lag(&mut eps);
        assert_eq!(lag(&eps[3]).0, Some(450));

        let mut alone = vec![endpoint("s", Role::Standby, true, Some(50), 3)];
        alone[0].observed.as_mut().unwrap().replication_lag_bytes = Some(7);
        combine_replication_lag(&mut alone);
        assert_eq!(lag(&alone[0]), (None, None));
    }
}
