//! The config loader's fuzz target as proptest cases (stable, in CI): the seed configurations
//! load, and arbitrary or mutated TOML loads or fails with problems that each name a line or a
//! key (the target asserts it).

use proptest::prelude::*;

use crate::fuzzing;
use crate::fuzzing::seeds::seeds;
use crate::fuzzing::strategies::{bytes, config, mutated_seeds};

#[test]
fn every_seed_loads() {
    for (name, data) in seeds("config") {
        fuzzing::config(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn a_bad_value_names_its_line_and_key() {
    let src = "[agent]\npoll_interval = \"10 parsecs\"\n";
    let err = fuzzing::config(src.as_bytes()).expect_err("bad duration");
    let p = &err.problems()[0];
    assert_eq!(
        (p.line, p.path.as_str()),
        (Some(2), "agent.poll_interval"),
        "{err}"
    );
}

/// TOML-ish lines: tables, keys the loader knows, values of every type, some broken.
fn toml_ish() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        Just("[agent]".to_owned()),
        Just("[[ventures]]".to_owned()),
        Just("[[ventures.endpoints]]".to_owned()),
        Just("[ventures.backups]".to_owned()),
        Just("[ventures.failover]".to_owned()),
        Just("[[ventures.triggers]]".to_owned()),
        Just("[[notify]]".to_owned()),
        (
            prop::sample::select(vec![
                "name",
                "listen",
                "kind",
                "rpo",
                "rto",
                "mode",
                "dsn_env",
                "stanza",
                "when",
                "run",
                "retention",
                "poll_interval",
                "project_ref",
                "role",
                "cooldown",
                "x",
            ]),
            prop::sample::select(vec![
                "\"acme\"",
                "\"15m\"",
                "\"pgbackrest\"",
                "\"supabase\"",
                "\"auto\"",
                "-1",
                "1e400",
                "{ daily = 7 }",
                "[1, \"a\"]",
                "\"127.0.0.1:0\"",
                "\"\"",
                "true",
                "\"abcdefghijklmnopqrst\"",
                "\"backup_stale\"",
                "2026-01-01T00:00:00Z",
                "\"",
            ]),
        )
            .prop_map(|(k, v)| format!("{k} = {v}")),
        "\\PC{0,20}",
    ];
    proptest::collection::vec(line, 0..24).prop_map(|lines| lines.join("\n").into_bytes())
}

proptest! {
    #![proptest_config(config(600))]

    #[test]
    fn arbitrary_bytes(data in bytes()) {
        let _ = fuzzing::config(&data);
    }

    #[test]
    fn toml_ish_text(data in toml_ish()) {
        let _ = fuzzing::config(&data);
    }

    #[test]
    fn mutated_configs(data in mutated_seeds("config")) {
        let _ = fuzzing::config(&data);
    }
}

/// Found by `mutated_configs`: an inline table split over lines parses as TOML 1.1 (the line
/// locator) but not as TOML 1.0 (figment): the problem has no line field, and its message names
/// the line instead.
#[test]
fn toml_1_1_only_syntax_names_its_line_in_the_message() {
    let src = "[[ventures]]\nname = \"acme\"\nretention = {\n last = 3, daily = 7 }\n";
    let err = fuzzing::config(src.as_bytes()).expect_err("TOML 1.0 refuses it");
    assert!(err.to_string().contains("line 3"), "{err}");
}
