//! Error messages, word for word, with their lines: what `backstop config check` prints.

use super::*;

fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
}

/// All problems of `src` (with `ACME_PG1_DSN` … set), one per line.
fn errors_with(src: &str, vars: &'static [(&'static str, &'static str)]) -> String {
    match load_str(src, "backstop.toml", &env(vars)) {
        Ok(_) => panic!("expected errors for:\n{src}"),
        Err(e) => e.to_string(),
    }
}

const DSNS: &[(&str, &str)] = &[
    ("ACME_PG1_DSN", "postgres://a:pw1@h/db"),
    ("ACME_PG2_DSN", "postgres://a:pw2@h/db"),
    ("BETA_PG1_DSN", "postgres://b:pw3@h/db"),
];

fn errors(src: &str) -> String {
    errors_with(src, DSNS)
}

#[test]
fn toml_syntax_error_has_its_line() {
    assert_eq!(
        errors("[agent]\nlisten = \n"),
        "backstop.toml:2: invalid TOML: string values must be quoted, expected literal string; fix the syntax"
    );
}

#[test]
fn wrong_type() {
    assert_eq!(
        errors("[agent]\nlisten = 9847\n"),
        "backstop.toml:2: agent.listen: wrong type: expected a string, found integer 9847"
    );
}

#[test]
fn listen_unparsable() {
    assert_eq!(
        errors("[agent]\nlisten = \"localhost\"\n"),
        "backstop.toml:2: agent.listen: \"localhost\" is not an address and port: write an IP and a port, e.g. \"127.0.0.1:9847\""
    );
}

#[test]
fn bad_durations_all_reported() {
    assert_eq!(
        errors("[agent]\npoll_interval = \"15 minutes\"\nsize_interval = 5\n"),
        "backstop.toml:2: agent.poll_interval: invalid duration \"15 minutes\": write a number and a unit (ms, s, m, h, d, w), e.g. \"15m\"\nbackstop.toml:3: agent.size_interval: wrong type: expected a duration string such as \"15m\", found integer 5"
    );
}

#[test]
fn unknown_top_level_table() {
    assert_eq!(
        errors("[agnt]\n"),
        "backstop.toml:1: agnt: unknown key \"agnt\": remove it, or use one of agent, notify, ventures"
    );
}

#[test]
fn unknown_key_lists_valid_keys() {
    assert_eq!(
        errors("[[ventures]]\nname = \"acme\"\nrpoo = \"1m\"\n"),
        "backstop.toml:3: ventures[0].rpoo: unknown key \"rpoo\": remove it, or use one of name, rpo, rto, pitr_window, backup_max_age, retention, endpoints, backups, heartbeat, drill, failover, triggers"
    );
}

#[test]
fn bad_venture_name() {
    assert_eq!(
        errors("[[ventures]]\nname = \"Acme Corp\"\n"),
        "backstop.toml:2: ventures[0].name: \"Acme Corp\" is not a valid venture name: use only lowercase letters, digits, '_' and '-' (it becomes the `venture` label)"
    );
}

#[test]
fn duplicate_venture_points_at_the_second() {
    assert_eq!(
        errors("[[ventures]]\nname = \"acme\"\n\n[[ventures]]\nname = \"acme\"\n"),
        "backstop.toml:5: ventures[1].name: duplicate venture name \"acme\" (first at line 2): give each venture a unique name"
    );
}

#[test]
fn missing_venture_name_points_at_the_table() {
    assert_eq!(
        errors("[[ventures]]\nrpo = \"1m\"\n"),
        "backstop.toml:1: ventures[0].name: missing: every venture needs a name, e.g. name = \"acme\""
    );
}

#[test]
fn missing_env_variable_of_a_default_dsn_env() {
    assert_eq!(
        errors("[[ventures]]\nname = \"beta\"\n[[ventures.endpoints]]\nname = \"pg2\"\n"),
        "backstop.toml:3: ventures[0].endpoints[0].dsn_env: environment variable BETA_PG2_DSN is not set; export it (the DSN of endpoint pg2) or set dsn_file"
    );
}

#[test]
fn auto_failover_refused_for_supabase() {
    assert_eq!(
        errors("[[ventures]]\nname = \"acme\"\n[ventures.backups]\nkind = \"supabase\"\nproject_ref = \"abcdefghijklmnopqrst\"\ntoken_env = \"ACME_PG1_DSN\"\n[ventures.failover]\nmode = \"auto\"\n"),
        "backstop.toml:8: ventures[0].failover.mode: \"auto\" is refused for Supabase ventures (they have no promote API): set mode = \"manual\" or \"off\""
    );
}

#[test]
fn bad_enum_lists_valid_values() {
    assert_eq!(
        errors("[[ventures]]\nname = \"acme\"\n[ventures.failover]\nmode = \"automatic\"\n"),
        "backstop.toml:4: ventures[0].failover.mode: \"automatic\" is not a valid value: use one of \"off\", \"manual\", \"auto\""
    );
}

#[test]
fn bad_cron() {
    assert_eq!(
        errors("[[ventures]]\nname = \"acme\"\n[ventures.drill]\nschedule = \"0 3 * *\"\n"),
        "backstop.toml:4: ventures[0].drill.schedule: \"0 3 * *\" is not a 5-field cron expression (minute hour day-of-month month day-of-week, UTC), e.g. \"0 3 1 */3 *\""
    );
}

#[test]
fn key_of_the_other_backup_kind() {
    assert_eq!(
        errors("[[ventures]]\nname = \"acme\"\n[ventures.backups]\nkind = \"pgbackrest\"\nproject_ref = \"x\"\n"),
        "backstop.toml:5: ventures[0].backups.project_ref: only for kind = \"supabase\": remove it, or change kind"
    );
}

#[test]
fn at_most_one_primary() {
    assert_eq!(
        errors("[[ventures]]\nname = \"acme\"\n[[ventures.endpoints]]\n[[ventures.endpoints]]\nrole = \"primary\"\n"),
        "backstop.toml:5: ventures[0].endpoints[1].role: endpoint pg1 is already the primary: a venture has at most one; set role = \"standby\""
    );
}

#[test]
fn retention_problems_all_reported() {
    assert_eq!(
        errors("[[ventures]]\nname = \"acme\"\nretention = { daily = -2, weekly = \"4\" }\n"),
        "backstop.toml:3: ventures[0].retention.weekly: wrong type: expected an integer, found a string\nbackstop.toml:3: ventures[0].retention.daily: -2 is out of range: use a count of backups to keep, or -1 for unlimited"
    );
}

#[test]
fn heartbeat_table_identifier() {
    assert_eq!(
        errors("[[ventures]]\nname = \"acme\"\n[ventures.heartbeat]\ntable = \"a.b.c\"\n"),
        "backstop.toml:4: ventures[0].heartbeat.table: \"a.b.c\" is not a table name: write [schema.]table with letters, digits and '_', e.g. \"backstop.heartbeat\""
    );
}

#[test]
fn trigger_needs_an_action() {
    assert_eq!(
        errors("[[ventures]]\nname = \"acme\"\n[[ventures.triggers]]\nwhen = \"backup_stale\"\n"),
        "backstop.toml:3: ventures[0].triggers[0].run: missing: set run = \"<command>\" or webhook_url_env = \"<VARIABLE>\""
    );
}

#[test]
fn notify_default_env_missing() {
    assert_eq!(
        errors("[[notify]]\nkind = \"pagerduty\"\n"),
        "backstop.toml:1: notify[0].routing_key_env: environment variable PD_ROUTING_KEY is not set; export it (the PagerDuty routing key) or set routing_key_file"
    );
}

#[test]
fn secret_written_two_ways() {
    assert_eq!(
        errors("[[ventures]]\nname = \"acme\"\n[[ventures.endpoints]]\ndsn = \"postgres://u:hunter2@h/db\"\ndsn_env = \"X\"\n"),
        "backstop.toml:5: ventures[0].endpoints[0].dsn_env: set only one of dsn, dsn_env and dsn_file"
    );
}
#[test]
fn auto_failover_needs_a_standby() {
    assert_eq!(
        errors("[[ventures]]\nname = \"acme\"\n[[ventures.endpoints]]\nfailover = { mode = \"auto\" }\n"),
        "backstop.toml:4: ventures[0].endpoints[0].failover: unknown key \"failover\": remove it, or use one of name, dsn, dsn_env, dsn_file, role"
    );
    assert_eq!(
        errors("[[ventures]]\nname = \"acme\"\nfailover = { mode = \"auto\" }\n[[ventures.endpoints]]\n"),
        "backstop.toml:3: ventures[0].failover.mode: \"auto\" needs a primary and at least one standby endpoint: add a [[ventures.endpoints]] with role = \"standby\", or set mode = \"manual\" or \"off\""
    );
}

#[test]
fn many_problems_are_all_reported_in_line_order() {
    let src = "[agent]\nlisten = \"nope\"\nbogus = 1\n\n[[ventures]]\nname = \"acme\"\nrto = \"4 hours\"\n\n[[ventures]]\nname = \"acme\"\n[ventures.failover]\nmode = \"sometimes\"\n";
    assert_eq!(
        errors(src),
        "backstop.toml:2: agent.listen: \"nope\" is not an address and port: write an IP and a port, e.g. \"127.0.0.1:9847\"\n\
backstop.toml:3: agent.bogus: unknown key \"bogus\": remove it, or use one of listen, state, state_retention, admin_token_env, admin_token_file, poll_interval, size_interval, supabase_max_requests_per_min, scratch_dir, max_concurrent_drills, log_format\n\
backstop.toml:7: ventures[0].rto: invalid duration \"4 hours\": write a number and a unit (ms, s, m, h, d, w), e.g. \"15m\"\n\
backstop.toml:10: ventures[1].name: duplicate venture name \"acme\" (first at line 6): give each venture a unique name\n\
backstop.toml:12: ventures[1].failover.mode: \"sometimes\" is not a valid value: use one of \"off\", \"manual\", \"auto\""
    );
}

#[test]
fn toml_1_1_only_syntax_is_reported_without_echoing_the_source() {
    let text = errors("[agent]\nstate = \"hunter2\"\nx = {\n  y = 1 }\n");
    assert_eq!(
        text,
        "backstop.toml: invalid TOML: TOML parse error at line 3, column 6; invalid inline table; expected `}`; fix the syntax"
    );
}
