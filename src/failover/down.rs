//! Is a primary *confirmed* down — so the load balancer should stop sending it writes before
//! any fence? (pure, [`confirmed_down`])
//!
//! The agent's own hysteresis (`failure_threshold` failures spanning `min_down`) cannot tell a
//! dead primary from an agent cut off from it. Answering 503 on that alone would, in the second
//! case, take a healthy primary out of HAProxy and cut every writer off because of the agent's
//! network. So the primary endpoint answers 503 only when a standby confirms it: the rule of
//! the failover policy's WAL-receiver check ([`super::receiver`]). Confirmed down means all of:
//!
//! - the endpoint is recorded primary, unfenced, down by the rule now, and has not answered
//!   since its first failed probe;
//! - some unfenced standby, observed in recovery after that first failed probe and recently
//!   (`max(min_down, probe_interval)`), no longer hears it (no WAL receiver, not streaming, or
//!   silent for longer than `min_down`);
//! - no such standby still hears it (a streaming receiver with a recent message vetoes).
//!
//! Without a fresh standby observation (the standby unreachable too, or none configured) the
//! primary is not confirmed down: the agent may be the one cut off. HAProxy's own `fall` then
//! decides, as without the agent's help.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::probe::elapsed;
use crate::state::Role;

use super::receiver::ReceiverView;
use super::EndpointInput;

/// The standby confirming that `primary` is down, or `None` when it is not confirmed.
pub fn confirmed_down<'a>(
    primary: &EndpointInput<'_>,
    endpoints: &[EndpointInput<'a>],
    min_down: Duration,
    probe_interval: Duration,
    now: DateTime<Utc>,
) -> Option<&'a str> {
    if primary.role != Role::Primary || primary.is_fenced() || !primary.health.down_by_rule() {
        return None;
    }
    let since = primary.health.failing_since()?;
    if primary.observed.is_some_and(|o| o.at >= since) {
        return None;
    }
    let max_age = min_down.max(probe_interval);
    let mut confirmed = None;
    for e in endpoints
        .iter()
        .filter(|e| e.name != primary.name && !e.is_fenced())
    {
        let Some(obs) = e.observed else { continue };
        if obs.at < since || elapsed(obs.at, now) > max_age || !obs.in_recovery {
            continue;
        }
        let view = ReceiverView::of(obs, min_down);
        if matches!(view, ReceiverView::Alive(_)) {
            return None;
        }
        if view.primary_gone() && confirmed.is_none() {
            confirmed = Some(e.name);
        }
    }
    confirmed
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::probe::{Health, HealthConfig, ProbeOutcome};
    use crate::state::{EndpointObservation, WalReceiver};

    const MIN_DOWN: Duration = Duration::from_millis(1500);
    const EVERY: Duration = Duration::from_millis(200);

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn ms(n: i64) -> DateTime<Utc> {
        t0() + TimeDelta::milliseconds(n)
    }

    /// A primary up at 0, then failing every 200 ms from 200 ms to `last` ms.
    fn failing_until(last: i64) -> Health {
        let mut h = Health::new(HealthConfig {
            failure_threshold: 3,
            min_down: MIN_DOWN,
            recovery_threshold: 2,
        });
        h.record(ProbeOutcome::Ok, ms(0));
        let mut at = 200;
        while at <= last {
            h.record(ProbeOutcome::Failed, ms(at));
            at += 200;
        }
        h
    }

    fn standby_seen(at: i64, status: Option<&str>, last_msg: Option<i64>) -> EndpointObservation {
        EndpointObservation {
            at: ms(at),
            in_recovery: true,
            wal_receiver: status.map(|s| WalReceiver {
                status: s.to_owned(),
                last_msg_receipt_time: last_msg.map(ms),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn input<'a>(
        name: &'a str,
        role: Role,
        health: &'a Health,
        observed: Option<&'a EndpointObservation>,
    ) -> EndpointInput<'a> {
        EndpointInput {
            name,
            role,
            fenced: false,
            health,
            observed,
        }
    }

    #[test]
    fn a_standby_must_confirm_what_the_hysteresis_says() {
        let down = failing_until(1800);
        let short = failing_until(1000);
        let up = failing_until(0);
        let gone = standby_seen(1800, None, None);
        let waiting = standby_seen(1800, Some("waiting"), None);
        let silent = standby_seen(1800, Some("streaming"), Some(100));
        let streaming = standby_seen(1800, Some("streaming"), Some(1700));
        let stale = standby_seen(100, None, None);
        let old = standby_seen(250, None, None);
        let table: [(&Health, Option<&EndpointObservation>, Option<&str>, &str); 9] = [
            (&down, Some(&gone), Some("pg2"), "no receiver: confirmed"),
            (&down, Some(&waiting), Some("pg2"), "receiver waiting"),
            (&down, Some(&silent), Some("pg2"), "streaming but silent"),
            (&down, Some(&streaming), None, "the standby still hears it"),
            (
                &down,
                None,
                None,
                "no standby observation: agent may be cut off",
            ),
            (&down, Some(&stale), None, "observation before the failure"),
            (&down, Some(&old), None, "observation older than min_down"),
            (&short, Some(&gone), None, "shorter than min_down"),
            (&up, Some(&gone), None, "primary up"),
        ];
        for (health, observed, want, why) in table {
            let standby_health = failing_until(0);
            let endpoints = [
                input("pg1", Role::Primary, health, None),
                input("pg2", Role::Standby, &standby_health, observed),
            ];
            let got = confirmed_down(&endpoints[0], &endpoints, MIN_DOWN, EVERY, ms(1900));
            assert_eq!(got, want, "{why}");
        }
    }

    #[test]
    fn a_fenced_or_answering_primary_and_a_fenced_standby_do_not_count() {
        let down = failing_until(1800);
        let ok = failing_until(0);
        let gone = standby_seen(1800, None, None);
        let answered = EndpointObservation {
            at: ms(1700),
            ..Default::default()
        };
        let now = ms(1900);
        let mut primary = input("pg1", Role::Primary, &down, None);
        let standby = input("pg2", Role::Standby, &ok, Some(&gone));
        assert_eq!(
            confirmed_down(&primary, &[primary, standby], MIN_DOWN, EVERY, now),
            Some("pg2")
        );
        primary.fenced = true;
        assert_eq!(
            confirmed_down(&primary, &[primary, standby], MIN_DOWN, EVERY, now),
            None
        );
        primary.fenced = false;
        primary.observed = Some(&answered);
        assert_eq!(
            confirmed_down(&primary, &[primary, standby], MIN_DOWN, EVERY, now),
            None
        );
        primary.observed = None;
        let fenced_standby = EndpointInput {
            fenced: true,
            ..standby
        };
        assert_eq!(
            confirmed_down(&primary, &[primary, fenced_standby], MIN_DOWN, EVERY, now),
            None
        );
        // Two standbys: one still streaming from the primary vetoes the other.
        let streaming = standby_seen(1800, Some("streaming"), Some(1750));
        let third = input("pg3", Role::Standby, &ok, Some(&streaming));
        assert_eq!(
            confirmed_down(&primary, &[primary, standby, third], MIN_DOWN, EVERY, now),
            None
        );
    }
}
