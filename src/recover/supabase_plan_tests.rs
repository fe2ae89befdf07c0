//! The in-place plan against a PITR window: inside (integer target, CLI command, impact),
//! fractions cut to the second, the window's ends, before, after, PITR off and no window.

use chrono::TimeDelta;

use super::*;

const REF: &str = "abcdefghijklmnopqrst";
/// 2026-11-20T08:00:00Z and 2026-11-27T11:58:00Z.
const EARLIEST: i64 = 1_795_161_600;
const LATEST: i64 = 1_795_780_680;

fn at(unix: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(unix, 0).single().expect("valid")
}

fn backups(pitr: Option<bool>, window: Option<(i64, i64)>) -> SupabaseBackups {
    SupabaseBackups {
        pitr_enabled: pitr,
        window: window.map(|(e, l)| (at(e), at(l))),
        ..SupabaseBackups::default()
    }
}

fn plan(b: &SupabaseBackups, target: DateTime<Utc>) -> Result<InPlacePlan, RecoverError> {
    plan_in_place(&InPlaceInput {
        venture: "shop",
        project_ref: REF,
        api_url: "https://api.supabase.com/",
        backups: b,
        target,
        rto: Duration::from_secs(4 * 3600),
        allowed: false,
    })
}

#[test]
fn inside_the_window() {
    let b = backups(Some(true), Some((EARLIEST, LATEST)));
    let target = at(LATEST - 3600) + TimeDelta::milliseconds(750);
    let p = plan(&b, target).expect("plan");
    assert_eq!(p.target_unix, LATEST - 3600);
    assert_eq!(p.target, at(LATEST - 3600));
    assert_eq!(
        p.api_body,
        serde_json::json!({"recovery_time_target_unix": LATEST - 3600})
    );
    assert!(p.api_body["recovery_time_target_unix"].is_i64());
    assert_eq!(
        p.api_call,
        format!("POST https://api.supabase.com/v1/projects/{REF}/database/backups/restore-pitr")
    );
    assert_eq!(
        p.cli_command,
        format!(
            "supabase backups restore --project-ref {REF} -t {}",
            LATEST - 3600
        )
    );
    assert_eq!(
        p.execute_command,
        "backstop recover --venture shop --to 2026-11-27T10:58:00Z --execute --confirm shop"
    );
    let text = render_in_place(&p, true);
    for want in [
        "target: 2026-11-27T10:58:00Z (unix 1795777080)",
        "window: 2026-11-20T08:00:00Z (unix 1795161600) .. 2026-11-27T11:58:00Z",
        "goes offline",
        "everything written after 2026-11-27T10:58:00Z is lost",
        "replication slots",
        "RTO objective: 4h",
        "{\"recovery_time_target_unix\":1795777080}",
        "supabase backups restore",
        "first set allow_in_place_restore = true",
        "--execute --confirm shop",
    ] {
        assert!(text.contains(want), "{want:?} in\n{text}");
    }
    let ran = render_in_place(&p, false);
    assert!(!ran.contains("--execute"), "{ran}");
}

#[test]
fn the_ends_of_the_window_are_recoverable() {
    let b = backups(Some(true), Some((EARLIEST, LATEST)));
    assert_eq!(
        plan(&b, at(EARLIEST)).expect("earliest").target_unix,
        EARLIEST
    );
    // A fraction past the latest second is cut to it.
    let late = at(LATEST) + TimeDelta::milliseconds(999);
    assert_eq!(plan(&b, late).expect("latest").target_unix, LATEST);
}

#[test]
fn outside_the_window_names_the_nearest_point() {
    let b = backups(Some(true), Some((EARLIEST, LATEST)));
    let before = plan(&b, at(EARLIEST - 1)).expect_err("before");
    assert_eq!(before.exit_code(), 1);
    let text = before.to_string();
    assert!(text.contains("before the PITR window"), "{text}");
    assert!(
        text.contains("earliest recoverable point is 2026-11-20T08:00:00Z (unix 1795161600)"),
        "{text}"
    );
    let after = plan(&b, at(LATEST + 1)).expect_err("after").to_string();
    assert!(
        after.contains("latest recoverable point is 2026-11-27T11:58:00Z (unix 1795780680)"),
        "{after}"
    );
    assert!(after.contains("no recent writes"), "{after}");
}

#[test]
fn pitr_off_or_no_window_is_refused_with_what_to_do() {
    let off = plan(&backups(Some(false), None), at(LATEST)).expect_err("off");
    assert_eq!(off.exit_code(), 1);
    let text = off.to_string();
    assert!(text.contains("PITR add-on"), "{text}");
    assert!(text.contains(REF), "{text}");
    // pitr_enabled false wins over a stale window.
    let stale = plan(&backups(Some(false), Some((EARLIEST, LATEST))), at(LATEST));
    assert!(matches!(stale, Err(RecoverError::PitrDisabled { .. })));
    for pitr in [Some(true), None] {
        let none = plan(&backups(pitr, None), at(LATEST)).expect_err("no window");
        assert!(matches!(none, RecoverError::NoPitrWindow { .. }), "{none}");
        assert_eq!(none.exit_code(), 1);
    }
}
