//! Pure parsers of the project-level Management API answers: project status, service health,
//! the daily backup schedule and the billing add-ons (PITR variant).

use chrono::NaiveTime;
use serde::Deserialize;

use crate::sources::SourceError;

/// `status` of `GET /v1/projects/{ref}`, upper-cased (`ACTIVE_HEALTHY`, `RESTORING`, …).
pub fn parse_project_status(body: &[u8]) -> Result<String, SourceError> {
    #[derive(Deserialize)]
    struct Project {
        status: String,
    }
    let p: Project = serde_json::from_slice(body)
        .map_err(|e| SourceError::parse("Supabase project response", e))?;
    Ok(p.status.trim().to_ascii_uppercase())
}

/// The `db` service's status in `GET /v1/projects/{ref}/health?services=db`: its `status`
/// upper-cased, or from the deprecated `healthy` flag when `status` is missing.
pub fn parse_db_health(body: &[u8]) -> Result<String, SourceError> {
    #[derive(Deserialize)]
    struct Service {
        name: String,
        healthy: Option<bool>,
        status: Option<String>,
    }
    const WHAT: &str = "Supabase health response";
    let services: Vec<Service> =
        serde_json::from_slice(body).map_err(|e| SourceError::parse(WHAT, e))?;
    let db = services
        .into_iter()
        .find(|s| s.name.eq_ignore_ascii_case("db"))
        .ok_or_else(|| SourceError::parse(WHAT, "no `db` service in the answer"))?;
    match (db.status, db.healthy) {
        (Some(s), _) => Ok(s.trim().to_ascii_uppercase()),
        (None, Some(true)) => Ok("ACTIVE_HEALTHY".to_owned()),
        (None, Some(false)) => Ok("UNHEALTHY".to_owned()),
        (None, None) => Err(SourceError::parse(
            WHAT,
            "`db` has neither status nor healthy",
        )),
    }
}

/// `schedule_for` of `GET …/database/backups/schedule` (`HH:MM:SS` or `HH:MM`, UTC).
pub fn parse_schedule(body: &[u8]) -> Result<NaiveTime, SourceError> {
    #[derive(Deserialize)]
    struct Schedule {
        schedule_for: String,
    }
    const WHAT: &str = "Supabase backup schedule response";
    let s: Schedule = serde_json::from_slice(body).map_err(|e| SourceError::parse(WHAT, e))?;
    parse_time_of_day(&s.schedule_for).ok_or_else(|| {
        SourceError::parse(
            WHAT,
            format!("schedule_for {:?} is not HH:MM:SS", s.schedule_for),
        )
    })
}

/// `HH:MM:SS` or `HH:MM`.
pub fn parse_time_of_day(text: &str) -> Option<NaiveTime> {
    let t = text.trim();
    NaiveTime::parse_from_str(t, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M"))
        .ok()
}

/// The PITR add-on of `GET …/billing/addons`: its variant id (`pitr_7`, `pitr_14`, `pitr_28`),
/// or `off` when no `pitr` add-on is selected.
pub fn parse_pitr_addon(body: &[u8]) -> Result<String, SourceError> {
    #[derive(Deserialize)]
    struct Addons {
        #[serde(default)]
        selected_addons: Vec<Addon>,
    }
    #[derive(Deserialize)]
    struct Addon {
        #[serde(rename = "type")]
        kind: String,
        variant: Option<Variant>,
    }
    #[derive(Deserialize)]
    struct Variant {
        id: String,
    }
    const WHAT: &str = "Supabase billing add-ons response";
    let a: Addons = serde_json::from_slice(body).map_err(|e| SourceError::parse(WHAT, e))?;
    match a.selected_addons.into_iter().find(|x| x.kind == "pitr") {
        None => Ok("off".to_owned()),
        Some(Addon {
            variant: Some(v), ..
        }) => Ok(v.id),
        Some(_) => Err(SourceError::parse(
            WHAT,
            "the pitr add-on has no variant id",
        )),
    }
}

/// The `message` of an error body, when it has one.
pub fn error_message(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Message {
        message: String,
    }
    serde_json::from_slice::<Message>(body)
        .ok()
        .map(|m| m.message)
        .filter(|m| !m.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_status_is_upper_cased() {
        let body =
            br#"{"id":"x","ref":"abcdefghijklmnopqrst","status":"restoring","region":"us-east-1"}"#;
        assert_eq!(parse_project_status(body).expect("status"), "RESTORING");
        assert!(parse_project_status(b"{}").is_err());
    }

    #[test]
    fn db_health_from_status_or_the_deprecated_flag() {
        let body = br#"[{"name":"auth","healthy":true,"status":"ACTIVE_HEALTHY"},
            {"name":"db","healthy":false,"status":"UNHEALTHY","error":"down"}]"#;
        assert_eq!(parse_db_health(body).expect("db"), "UNHEALTHY");
        assert_eq!(
            parse_db_health(br#"[{"name":"db","healthy":true}]"#).expect("db"),
            "ACTIVE_HEALTHY"
        );
        assert!(parse_db_health(br#"[{"name":"rest","healthy":true}]"#).is_err());
        assert!(parse_db_health(b"{}").is_err());
    }

    #[test]
    fn schedule_and_addons() {
        let t = parse_schedule(
            br#"{"schedule_for":"04:00:00","updated_at":"2026-05-04T14:40:44+00:00"}"#,
        )
        .expect("schedule");
        assert_eq!(t, NaiveTime::from_hms_opt(4, 0, 0).expect("time"));
        assert!(parse_schedule(br#"{"schedule_for":"4 am"}"#).is_err());
        let addons =
            br#"{"selected_addons":[{"type":"compute_instance","variant":{"id":"ci_small"}},
            {"type":"pitr","variant":{"id":"pitr_7","name":"7 days"}}],"available_addons":[]}"#;
        assert_eq!(parse_pitr_addon(addons).expect("addons"), "pitr_7");
        assert_eq!(
            parse_pitr_addon(br#"{"selected_addons":[]}"#).expect("none"),
            "off"
        );
        assert_eq!(
            error_message(br#"{"message": "PITR is not enabled for this project."}"#).as_deref(),
            Some("PITR is not enabled for this project.")
        );
        assert_eq!(error_message(b"oops"), None);
    }
}
