//! Objectives of a venture: those in force, the configured ones, and the run-time override
//! between them; and the body of `PUT …/objectives` with its validation (pure).
//!
//! An update names any subset of `rpo`, `rto`, `pitr_window`, `backup_max_age`, each a duration
//! written as in the configuration (`"30s"`, `"4h"`, `"7d"`), and `retention`, a policy with the
//! keys and ranges of `[ventures.retention]` (`{"daily": 14, "weekly": 4}`); `null` drops that
//! field's override; fields not named keep their current value.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::ViewError;
use crate::config::{format_duration, parse_duration, retention_from_json, RetentionPolicy};
use crate::state::Objectives;
use crate::store::ObjectiveOverride;

/// The editable duration objectives, in body order.
pub const FIELDS: [&str; 4] = ["rpo", "rto", "pitr_window", "backup_max_age"];

/// Every editable objective: [`FIELDS`] and the retention policy.
pub const EDITABLE: &str = "rpo, rto, pitr_window, backup_max_age, retention";

/// The longest objective accepted (ten years).
pub const MAX_OBJECTIVE: Duration = Duration::from_secs(10 * 366 * 86400);

/// One set of objectives, each as the configuration writes it and in seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectiveValues {
    /// Recovery point objective (`"15m"`).
    pub rpo: String,
    /// … in seconds.
    pub rpo_seconds: u64,
    /// Recovery time objective.
    pub rto: String,
    /// … in seconds.
    pub rto_seconds: u64,
    /// Coverage the PITR window must have.
    pub pitr_window: String,
    /// … in seconds.
    pub pitr_window_seconds: u64,
    /// Newest usable backup older than this is critical.
    pub backup_max_age: String,
    /// … in seconds.
    pub backup_max_age_seconds: u64,
    /// The retention policy (counts per rule; 0 unused, -1 unlimited).
    pub retention: Retention,
}

/// The retention counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Retention {
    /// Newest N.
    pub last: i32,
    /// Hourly.
    pub hourly: i32,
    /// Daily.
    pub daily: i32,
    /// Weekly.
    pub weekly: i32,
    /// Monthly.
    pub monthly: i32,
    /// Yearly.
    pub yearly: i32,
}

impl From<RetentionPolicy> for Retention {
    fn from(r: RetentionPolicy) -> Self {
        Self {
            last: r.last,
            hourly: r.hourly,
            daily: r.daily,
            weekly: r.weekly,
            monthly: r.monthly,
            yearly: r.yearly,
        }
    }
}

impl From<&Objectives> for ObjectiveValues {
    fn from(o: &Objectives) -> Self {
        Self {
            rpo: format_duration(o.rpo),
            rpo_seconds: o.rpo.as_secs(),
            rto: format_duration(o.rto),
            rto_seconds: o.rto.as_secs(),
            pitr_window: format_duration(o.pitr_window),
            pitr_window_seconds: o.pitr_window.as_secs(),
            backup_max_age: format_duration(o.backup_max_age),
            backup_max_age_seconds: o.backup_max_age.as_secs(),
            retention: o.retention.into(),
        }
    }
}

/// The stored run-time override.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OverrideView {
    /// Who set it (`api:admin`).
    pub set_by: String,
    /// When.
    pub set_at: DateTime<Utc>,
    /// The fields it overrides (seconds), `null` where the configuration applies.
    pub rpo_seconds: Option<i64>,
    /// …
    pub rto_seconds: Option<i64>,
    /// …
    pub pitr_window_seconds: Option<i64>,
    /// …
    pub backup_max_age_seconds: Option<i64>,
    /// The retention policy it sets, `null` where the configuration applies.
    pub retention: Option<Retention>,
}

/// `GET /api/v1/ventures/{v}/objectives`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectivesView {
    /// The venture.
    pub venture: String,
    /// What checks, alerts and metrics use now.
    pub in_force: ObjectiveValues,
    /// What the configuration file says.
    pub configured: ObjectiveValues,
    /// The run-time override; `null` when the configuration applies.
    #[serde(rename = "override")]
    pub override_: Option<OverrideView>,
    /// Fields whose value in force comes from the override.
    pub overridden: Vec<&'static str>,
    /// Whether the agent accepts changes (an admin token is configured).
    pub editable: bool,
}

/// The objectives of a venture (pure).
pub fn objectives(
    venture: &str,
    in_force: &Objectives,
    configured: &Objectives,
    stored: Option<&ObjectiveOverride>,
    editable: bool,
) -> ObjectivesView {
    let overridden = stored.map_or_else(Vec::new, |o| {
        FIELDS
            .iter()
            .zip(seconds(o))
            .filter(|(_, v)| v.is_some())
            .map(|(f, _)| *f)
            .chain(o.retention.map(|_| "retention"))
            .collect()
    });
    ObjectivesView {
        venture: venture.to_owned(),
        in_force: in_force.into(),
        configured: configured.into(),
        override_: stored.map(|o| OverrideView {
            set_by: o.set_by.clone(),
            set_at: o.set_at,
            rpo_seconds: o.rpo_seconds,
            rto_seconds: o.rto_seconds,
            pitr_window_seconds: o.pitr_window_seconds,
            backup_max_age_seconds: o.backup_max_age_seconds,
            retention: o.retention.map(Retention::from),
        }),
        overridden,
        editable,
    }
}

fn seconds(o: &ObjectiveOverride) -> [Option<i64>; 4] {
    [
        o.rpo_seconds,
        o.rto_seconds,
        o.pitr_window_seconds,
        o.backup_max_age_seconds,
    ]
}

/// A validated update: per field, `None` = unchanged, `Some(None)` = back to the configuration,
/// `Some(Some(v))` = override with `v` (seconds, or the policy).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectiveUpdate {
    /// In [`FIELDS`] order.
    pub fields: [Option<Option<i64>>; 4],
    /// The retention policy.
    pub retention: Option<Option<RetentionPolicy>>,
}

impl ObjectiveUpdate {
    /// Parses and validates a request body.
    pub fn parse(body: &[u8]) -> Result<Self, ViewError> {
        let bad = |m: String| ViewError::BadInput(m);
        let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
            bad(format!(
                "the body is not JSON ({e}); send an object such as {{\"rpo\": \"30s\", \"rto\": \"4h\"}}"
            ))
        })?;
        let serde_json::Value::Object(map) = value else {
            return Err(bad(
                "the body must be a JSON object such as {\"rpo\": \"30s\", \"rto\": \"4h\"}".into(),
            ));
        };
        if map.is_empty() {
            return Err(bad(format!(
                "nothing to change: name at least one of {EDITABLE}"
            )));
        }
        let mut update = Self::default();
        for (key, value) in &map {
            if key == "retention" {
                update.retention = Some(match value {
                    serde_json::Value::Null => None,
                    policy => Some(retention_from_json(policy).map_err(bad)?),
                });
                continue;
            }
            let Some(i) = FIELDS.iter().position(|f| f == key) else {
                return Err(bad(format!(
                    "unknown field {key:?}: the objectives that can be changed at run time are {EDITABLE}"
                )));
            };
            update.fields[i] = Some(match value {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(duration(key, s)?),
                other => {
                    return Err(bad(format!(
                        "{key}: {other} is not a duration; write a string such as \"30s\", \"15m\", \"4h\" or \"7d\", or null to use the configured value"
                    )))
                }
            });
        }
        Ok(update)
    }

    /// The override after this update of `current` (`None` when no field is left overridden).
    pub fn apply(
        &self,
        venture: &str,
        current: Option<&ObjectiveOverride>,
        set_by: &str,
        now: DateTime<Utc>,
    ) -> Option<ObjectiveOverride> {
        let mut values = current.map(seconds).unwrap_or_default();
        for (slot, change) in values.iter_mut().zip(self.fields) {
            if let Some(v) = change {
                *slot = v;
            }
        }
        let retention = self
            .retention
            .unwrap_or_else(|| current.and_then(|c| c.retention));
        (values.iter().any(Option::is_some) || retention.is_some()).then(|| ObjectiveOverride {
            venture: venture.to_owned(),
            rpo_seconds: values[0],
            rto_seconds: values[1],
            pitr_window_seconds: values[2],
            backup_max_age_seconds: values[3],
            retention,
            set_by: set_by.to_owned(),
            set_at: now,
        })
    }
}

fn duration(field: &str, text: &str) -> Result<i64, ViewError> {
    let d = parse_duration(text.trim()).map_err(|_| {
        ViewError::BadInput(format!(
            "{field}: {text:?} is not a duration; write it as in the configuration: a number and a unit (ms, s, m, h, d, w), e.g. \"30s\", \"15m\", \"4h\", \"7d\", \"1h30m\""
        ))
    })?;
    if d < Duration::from_secs(1) || d.subsec_millis() != 0 {
        return Err(ViewError::BadInput(format!(
            "{field}: {text:?} must be a whole number of seconds, at least \"1s\""
        )));
    }
    if d > MAX_OBJECTIVE {
        return Err(ViewError::BadInput(format!(
            "{field}: {text:?} is longer than ten years; choose a shorter objective"
        )));
    }
    Ok(d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<ObjectiveUpdate, String> {
        ObjectiveUpdate::parse(s.as_bytes()).map_err(|e| e.to_string())
    }

    #[test]
    fn bodies_parse_or_name_the_field() {
        let u = parse(r#"{"rpo":"30s","rto":"4h","pitr_window":"7d","backup_max_age":"26h"}"#)
            .expect("ok");
        assert_eq!(
            u.fields,
            [
                Some(Some(30)),
                Some(Some(14400)),
                Some(Some(604800)),
                Some(Some(93600))
            ]
        );
        assert_eq!(parse(r#"{"rto": null}"#).expect("ok").fields[1], Some(None));
        assert_eq!(
            parse(r#"{"retention": {"last": 2, "monthly": -1}}"#)
                .expect("ok")
                .retention,
            Some(Some(RetentionPolicy {
                last: 2,
                monthly: -1,
                ..RetentionPolicy::default()
            }))
        );
        assert_eq!(
            parse(r#"{"retention": null}"#).expect("ok").retention,
            Some(None)
        );
        let cases = [
            (r#"{"rpo":"soon"}"#, "rpo: \"soon\" is not a duration"),
            (r#"{"rpo":"0s"}"#, "rpo: \"0s\" must be a whole number"),
            (
                r#"{"rto":"1500ms"}"#,
                "rto: \"1500ms\" must be a whole number",
            ),
            (r#"{"rto":30}"#, "rto: 30 is not a duration"),
            (r#"{"pitr_window":"5000w"}"#, "longer than ten years"),
            (r#"{"retention":"x"}"#, "retention: \"x\" is not a policy"),
            (
                r#"{"retention":{"daily":-3}}"#,
                "retention.daily: -3 is out of range",
            ),
            (
                r#"{"retention":{"keep_daily":3}}"#,
                "retention.keep_daily: unknown rule",
            ),
            (r#"{"keep":1}"#, "unknown field \"keep\""),
            ("{}", "nothing to change"),
            ("[]", "must be a JSON object"),
            ("rpo=1", "not JSON"),
        ];
        for (body, want) in cases {
            let got = parse(body).expect_err(body);
            assert!(got.contains(want), "{body}: {got}");
        }
    }

    #[test]
    fn updates_merge_with_the_current_override() {
        let now = Utc::now();
        let first = parse(r#"{"rpo":"30s","rto":"1h"}"#)
            .expect("ok")
            .apply("a", None, "api:admin", now)
            .expect("some");
        assert_eq!(
            (first.rpo_seconds, first.rto_seconds),
            (Some(30), Some(3600))
        );
        let second = parse(r#"{"rto":null,"backup_max_age":"2h"}"#)
            .expect("ok")
            .apply("a", Some(&first), "api:admin", now)
            .expect("some");
        assert_eq!(
            (
                second.rpo_seconds,
                second.rto_seconds,
                second.backup_max_age_seconds
            ),
            (Some(30), None, Some(7200))
        );
        let cleared = parse(r#"{"rpo":null,"backup_max_age":null}"#)
            .expect("ok")
            .apply("a", Some(&second), "api:admin", now);
        assert_eq!(cleared, None);
        let base = Objectives::default();
        let view = objectives("a", &second.apply(&base), &base, Some(&second), true);
        assert_eq!(view.overridden, vec!["rpo", "backup_max_age"]);
        assert_eq!(view.in_force.rpo, "30s");
        assert_eq!(view.configured.rpo, "15m");

        // Retention alone keeps an override; it merges and clears like the durations.
        let kept = parse(r#"{"retention":{"last":3}}"#)
            .expect("ok")
            .apply("a", None, "api:admin", now)
            .expect("some");
        let view = objectives("a", &kept.apply(&base), &base, Some(&kept), true);
        assert_eq!(view.overridden, vec!["retention"]);
        assert_eq!(view.in_force.retention.last, 3);
        assert_eq!(view.in_force.retention.daily, 0);
        assert_eq!(view.configured.retention, RetentionPolicy::DEFAULT.into());
        let both = parse(r#"{"rpo":"1m"}"#)
            .expect("ok")
            .apply("a", Some(&kept), "api:admin", now)
            .expect("some");
        assert_eq!(
            (both.rpo_seconds, both.retention),
            (Some(60), kept.retention)
        );
        let rpo_only = parse(r#"{"retention":null}"#)
            .expect("ok")
            .apply("a", Some(&both), "api:admin", now)
            .expect("some");
        assert_eq!(rpo_only.retention, None);
        assert_eq!(rpo_only.apply(&base).retention, base.retention);
    }
}
