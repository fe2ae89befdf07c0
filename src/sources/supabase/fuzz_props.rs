//! The Supabase response fuzz targets as proptest cases (stable, in CI): the recorded answers
//! parse, and arbitrary or mutated bodies give Ok or an error, never a panic.

use proptest::prelude::*;

use crate::fuzzing;
use crate::fuzzing::seeds::seeds;
use crate::fuzzing::strategies::{bytes, config, mutated_seeds};

#[test]
fn every_seed_parses() {
    for (name, data) in seeds("supabase_backups") {
        fuzzing::supabase_backups(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let project = |name: &str| {
        seeds("supabase_project")
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| d)
            .unwrap_or_else(|| panic!("seed {name}"))
    };
    assert!(super::project::parse_project_status(&project("project.json")).is_ok());
    assert!(super::project::parse_db_health(&project("health.json")).is_ok());
    assert!(super::project::parse_db_health(&project("health-deprecated.json")).is_ok());
    assert!(super::project::parse_schedule(&project("schedule.json")).is_ok());
    assert!(super::project::parse_pitr_addon(&project("addons.json")).is_ok());
    assert!(super::project::error_message(&project("error.json")).is_some());
}

proptest! {
    #![proptest_config(config(1000))]

    #[test]
    fn backups_arbitrary(data in bytes()) {
        let _ = fuzzing::supabase_backups(&data);
    }

    #[test]
    fn project_arbitrary(data in bytes()) {
        fuzzing::supabase_project(&data);
    }

    #[test]
    fn backups_mutated(data in mutated_seeds("supabase_backups")) {
        let _ = fuzzing::supabase_backups(&data);
    }

    #[test]
    fn project_mutated(data in mutated_seeds("supabase_project")) {
        fuzzing::supabase_project(&data);
    }

    #[test]
    fn inserted_at_any_text(text in "\\PC{0,40}") {
        let _ = super::parse::parse_time(&text);
    }
}
