//! Sentry cron check-ins: `in_progress`, then `ok` or `error` with the duration, for the poll
//! cycle now and for scheduled drills later, so a dead or stuck agent shows in Sentry as missed.
//!
//! Sentry's Rust SDK has the check-in types but no helper to send them: a [`Monitor`] builds the
//! `check_in` envelope items and hands them to the current client. Without `SENTRY_DSN` every
//! call is a no-op.

use std::time::{Duration, Instant};

use sentry::protocol::{
    Envelope, MonitorCheckIn, MonitorCheckInStatus, MonitorConfig, MonitorIntervalUnit,
    MonitorSchedule,
};

use crate::state::{SharedState, Snapshot};

/// A Sentry cron monitor: its slug and the schedule it is upserted with on every check-in.
#[derive(Debug, Clone)]
pub struct Monitor {
    slug: String,
    config: MonitorConfig,
}

impl Monitor {
    /// A monitor expected every `minutes` minutes.
    pub fn every_minutes(slug: impl Into<String>, minutes: u64, max_runtime_minutes: u64) -> Self {
        Self::with_schedule(
            slug,
            MonitorSchedule::Interval {
                value: minutes.max(1),
                unit: MonitorIntervalUnit::Minute,
            },
            max_runtime_minutes,
        )
    }

    /// A monitor on a 5-field cron schedule (UTC), e.g. a drill schedule.
    pub fn crontab(slug: impl Into<String>, cron: &str, max_runtime_minutes: u64) -> Self {
        Self::with_schedule(
            slug,
            MonitorSchedule::Crontab {
                value: cron.to_string(),
            },
            max_runtime_minutes,
        )
    }

    fn with_schedule(slug: impl Into<String>, schedule: MonitorSchedule, max_runtime: u64) -> Self {
        Self {
            slug: slug.into(),
            config: MonitorConfig {
                schedule,
                // One minute late is already a miss worth knowing about.
                checkin_margin: Some(1),
                max_runtime: Some(max_runtime.max(1)),
                timezone: Some("UTC".into()),
                failure_issue_threshold: Some(1),
                recovery_threshold: Some(1),
            },
        }
    }

    /// The monitor slug.
    pub fn slug(&self) -> &str {
        &self.slug
    }

    /// Sends `in_progress` (upserting the monitor) and returns the running check-in.
    pub fn start(&self) -> CheckIn {
        let id = sentry::types::random_uuid();
        send(self.item(id, MonitorCheckInStatus::InProgress, None));
        CheckIn {
            monitor: self.clone(),
            id,
            started: Instant::now(),
        }
    }

    fn item(
        &self,
        id: sentry::protocol::Uuid,
        status: MonitorCheckInStatus,
        duration: Option<f64>,
    ) -> MonitorCheckIn {
        MonitorCheckIn {
            check_in_id: id,
            monitor_slug: self.slug.clone(),
            status,
            environment: sentry::Hub::current()
                .client()
                .and_then(|c| c.options().environment.clone())
                .map(|e| e.to_string()),
            duration,
            monitor_config: Some(self.config.clone()),
        }
    }
}

/// A check-in in progress; finish it with [`CheckIn::finish`].
#[derive(Debug)]
pub struct CheckIn {
    monitor: Monitor,
    id: sentry::protocol::Uuid,
    started: Instant,
}

impl CheckIn {
    /// Sends `ok` (or `error`) with the same check-in id and the duration in seconds.
    pub fn finish(self, ok: bool) {
        let status = if ok {
            MonitorCheckInStatus::Ok
        } else {
            MonitorCheckInStatus::Error
        };
        let seconds = self.started.elapsed().as_secs_f64();
        send(self.monitor.item(self.id, status, Some(seconds)));
    }
}

fn send(check_in: MonitorCheckIn) {
    if let Some(client) = sentry::Hub::current().client() {
        client.send_envelope(Envelope::from(check_in));
    }
}

/// True when Sentry is configured (check-ins would be sent).
pub fn enabled() -> bool {
    sentry::Hub::current()
        .client()
        .is_some_and(|c| c.is_enabled())
}

/// Outcome of one observed poll cycle (pure, for [`poll_cycle_task`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cycle {
    /// Not every endpoint has been polled since the cycle started.
    Running,
    /// Every endpoint was polled since the start; all succeeded.
    Ok,
    /// Every endpoint was polled since the start; at least one failed.
    Failed,
}

/// Whether every endpoint was polled after `since`, and how it went.
pub fn cycle(snapshot: &Snapshot, since: chrono::DateTime<chrono::Utc>) -> Cycle {
    let mut all_ok = true;
    for e in snapshot.ventures.iter().flat_map(|v| &v.endpoints) {
        match e.probe.last_attempt {
            Some(t) if t >= since => all_ok &= e.last_error.is_none() && e.probe.up == Some(true),
            _ => return Cycle::Running,
        }
    }
    if all_ok {
        Cycle::Ok
    } else {
        Cycle::Failed
    }
}

/// Every minute: `in_progress`, wait for a whole poll cycle of every endpoint, then `ok` (all
/// polls succeeded) or `error` (one failed, or the cycle did not finish within `max_cycle`).
pub async fn poll_cycle_task(
    state: SharedState,
    mut stopped: tokio::sync::watch::Receiver<bool>,
    max_cycle: Duration,
) {
    let monitor = Monitor::every_minutes("backstop-poll", 1, 2);
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopped.changed() => return,
        }
        let since = chrono::Utc::now();
        let check_in = monitor.start();
        let deadline = Instant::now() + max_cycle;
        let outcome = loop {
            match cycle(&state.load(), since) {
                Cycle::Running if Instant::now() < deadline => {}
                Cycle::Running | Cycle::Failed => break false,
                Cycle::Ok => break true,
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                _ = stopped.changed() => return,
            }
        };
        check_in.finish(outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{EndpointState, VentureState};
    use chrono::{TimeZone, Utc};

    fn snap(attempts: &[(Option<i64>, bool)]) -> Snapshot {
        let endpoints = attempts
            .iter()
            .enumerate()
            .map(|(i, (t, ok))| {
                let mut e = EndpointState {
                    name: format!("pg{i}"),
                    ..Default::default()
                };
                e.probe.last_attempt = t.map(|s| Utc.timestamp_opt(s, 0).single().expect("ts"));
                e.probe.up = Some(*ok);
                e
            })
            .collect();
        Snapshot {
            ventures: crate::state::shared(vec![VentureState {
                name: "v".into(),
                endpoints,
                ..Default::default()
            }]),
            ..Default::default()
        }
    }

    #[test]
    fn cycle_table() {
        let since = Utc.timestamp_opt(100, 0).single().expect("ts");
        assert_eq!(cycle(&snap(&[]), since), Cycle::Ok);
        assert_eq!(
            cycle(&snap(&[(Some(101), true), (Some(100), true)]), since),
            Cycle::Ok
        );
        assert_eq!(
            cycle(&snap(&[(Some(101), true), (Some(99), true)]), since),
            Cycle::Running
        );
        assert_eq!(
            cycle(&snap(&[(Some(101), true), (None, true)]), since),
            Cycle::Running
        );
        assert_eq!(
            cycle(&snap(&[(Some(101), false), (Some(102), true)]), since),
            Cycle::Failed
        );
    }

    #[test]
    fn check_in_wire_format() {
        let monitor = Monitor::every_minutes("backstop-poll", 1, 2);
        let item = monitor.item(
            sentry::types::random_uuid(),
            MonitorCheckInStatus::Ok,
            Some(1.5),
        );
        let json = serde_json::to_value(&item).expect("serialises");
        assert_eq!(json["monitor_slug"], "backstop-poll");
        assert_eq!(json["status"], "ok");
        assert_eq!(json["duration"], 1.5);
        assert_eq!(json["monitor_config"]["schedule"]["type"], "interval");
        assert_eq!(json["monitor_config"]["schedule"]["value"], 1);
        assert_eq!(json["monitor_config"]["schedule"]["unit"], "minute");
        assert_eq!(json["monitor_config"]["checkin_margin"], 1);
        assert_eq!(json["monitor_config"]["max_runtime"], 2);
        let cron = Monitor::crontab("backstop-drill-acme", "0 3 1 */3 *", 120);
        let json = serde_json::to_value(cron.item(
            sentry::types::random_uuid(),
            MonitorCheckInStatus::InProgress,
            None,
        ))
        .expect("serialises");
        assert_eq!(json["monitor_config"]["schedule"]["value"], "0 3 1 */3 *");
        assert_eq!(json["status"], "in_progress");
        assert!(json.get("duration").is_none());
    }
}
