//! Loading: defaults, environment overrides, secrets, warnings and the example file.

use std::time::Duration;

use super::*;
use crate::state::{Objectives, Role};

fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    }
}

fn load_ok(src: &str, vars: &'static [(&'static str, &'static str)]) -> Config {
    match load_str(src, "backstop.toml", &env(vars)) {
        Ok(config) => config,
        Err(e) => panic!("expected success, got:\n{e}"),
    }
}

fn load_err(src: &str, vars: &'static [(&'static str, &'static str)]) -> String {
    match load_str(src, "backstop.toml", &env(vars)) {
        Ok(_) => panic!("expected errors for:\n{src}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn empty_source_is_all_defaults() {
    let config = load_ok("", &[]);
    assert_eq!(config.agent, AgentConfig::default());
    assert!(config.ventures.is_empty() && config.notify.is_empty() && config.warnings.is_empty());
    assert_eq!(config.agent.listen.to_string(), "127.0.0.1:9847");
    assert_eq!(config.agent.state.expose(), "sqlite:backstop-state.db");
    assert_eq!(
        config.agent.state_retention,
        Duration::from_secs(730 * 86400)
    );
    assert_eq!(config.agent.admin_token_env, "BACKSTOP_ADMIN_TOKEN");
    assert_eq!(config.agent.admin_token, None);
    assert_eq!(config.agent.poll_interval, Duration::from_secs(10));
    assert_eq!(config.agent.size_interval, Duration::from_secs(300));
    assert_eq!(config.agent.supabase_max_requests_per_min, 120);
    assert_eq!(config.agent.scratch_dir.to_str(), Some("/var/tmp/backstop"));
    assert_eq!(config.agent.max_concurrent_drills, 1);
    assert_eq!(config.agent.log_format, LogFormat::Text);
}

#[test]
fn a_venture_with_only_a_name_has_every_default() {
    let config = load_ok("[[ventures]]\nname = \"acme\"\n", &[]);
    let v = &config.ventures[0];
    assert_eq!(v.name, "acme");
    assert_eq!(v.objectives(), Objectives::default());
    assert_eq!(v.rpo, Duration::from_secs(15 * 60));
    assert_eq!(v.rto, Duration::from_secs(4 * 3600));
    assert_eq!(v.pitr_window, Duration::from_secs(30 * 86400));
    assert_eq!(v.backup_max_age, Duration::from_secs(26 * 3600));
    assert_eq!(v.retention, RetentionPolicy::DEFAULT);
    assert_eq!(
        (v.retention.daily, v.retention.weekly, v.retention.monthly),
        (7, 4, 12)
    );
    assert!(v.endpoints.is_empty() && v.backups.is_none() && v.triggers.is_empty());
    assert_eq!(v.heartbeat, HeartbeatConfig::default());
    assert!(!v.heartbeat.enabled);
    assert_eq!(v.heartbeat.interval, Duration::from_secs(5));
    assert_eq!(v.heartbeat.table, "backstop.heartbeat");
    assert_eq!(v.drill, DrillConfig::default());
    assert_eq!(v.drill.schedule, "0 3 1 */3 *");
    assert_eq!(v.drill.target, DrillTarget::Latest);
    assert_eq!(v.drill.timeout, Duration::from_secs(7200));
    assert_eq!(v.drill.dump_schemas, vec!["public".to_string()]);
    assert_eq!(v.drill.pg_dump, "pg_dump");
    assert_eq!(v.failover, FailoverConfig::default());
    assert_eq!(v.failover.mode, FailoverMode::Off);
    assert_eq!(v.failover.probe_interval, Duration::from_secs(1));
    assert_eq!(
        (v.failover.failure_threshold, v.failover.recovery_threshold),
        (3, 2)
    );
    assert_eq!(v.failover.min_down, Duration::from_secs(5));
    assert_eq!(v.failover.max_lag_bytes, 16_777_216);
    assert_eq!(v.failover.cooldown, Duration::from_secs(600));
    assert_eq!(v.failover.fence_command, "");
}

#[test]
fn retention_given_is_exactly_what_is_given() {
    let config = load_ok(
        "[[ventures]]\nname = \"acme\"\nretention = { last = -1, daily = 3 }\n",
        &[],
    );
    let r = config.ventures[0].retention;
    assert_eq!(
        r,
        RetentionPolicy {
            last: -1,
            daily: 3,
            ..RetentionPolicy::default()
        }
    );
}

#[test]
fn endpoints_default_names_roles_and_dsn_env() {
    let src = "[[ventures]]\nname = \"my-app\"\n[[ventures.endpoints]]\n[[ventures.endpoints]]\n";
    let config = load_ok(
        src,
        &[
            ("MY_APP_PG1_DSN", "postgres://one"),
            ("MY_APP_PG2_DSN", "postgres://two"),
        ],
    );
    let e = &config.ventures[0].endpoints;
    assert_eq!(
        (e[0].name.as_str(), e[0].role, e[0].dsn.expose()),
        ("pg1", Role::Primary, "postgres://one")
    );
    assert_eq!(
        (e[1].name.as_str(), e[1].role, e[1].dsn.expose()),
        ("pg2", Role::Standby, "postgres://two")
    );
}

#[test]
fn backups_defaults_for_each_kind() {
    let src = "[[ventures]]\nname = \"acme\"\n[ventures.backups]\nkind = \"pgbackrest\"\n\n[[ventures]]\nname = \"sb\"\n[ventures.backups]\nkind = \"supabase\"\nproject_ref = \"abcdefghijklmnopqrst\"\ndesired_schedule = \"04:30\"\ndesired_pitr = \"pitr_7\"\n";
    let config = load_ok(src, &[("SUPABASE_ACCESS_TOKEN", "sbp_token")]);
    let Some(BackupsConfig::PgBackRest(p)) = &config.ventures[0].backups else {
        panic!("pgbackrest expected");
    };
    assert_eq!(p.poll_interval, Duration::from_secs(60));
    assert_eq!(p.stanza, "acme");
    assert_eq!(p.config.to_str(), Some("/etc/pgbackrest/pgbackrest.conf"));
    assert_eq!(p.command, "pgbackrest");
    assert_eq!(p.verify_schedule, "0 4 * * 0");
    assert_eq!(p.repo_ls_interval, Duration::from_secs(600));
    assert_eq!(p.timeout, Duration::from_secs(120));
    let Some(BackupsConfig::Supabase(s)) = &config.ventures[1].backups else {
        panic!("supabase expected");
    };
    assert!(config.ventures[1].is_supabase());
    assert_eq!(s.poll_interval, Duration::from_secs(300));
    assert_eq!(s.token.expose(), "sbp_token");
    assert_eq!(s.api_url, "https://api.supabase.com");
    assert_eq!(
        s.desired_schedule.map(|t| t.to_string()),
        Some("04:30:00".to_string())
    );
    assert_eq!(s.desired_pitr, Some(PitrPlan::Pitr7));
    assert!(!s.allow_in_place_restore);
}

#[test]
fn agent_env_override_wins_and_other_backstop_variables_do_nothing() {
    let src = "[agent]\npoll_interval = \"30s\"\n\n[[ventures]]\nname = \"acme\"\nrpo = \"15m\"\n";
    let vars: &[(&str, &str)] = &[
        ("BACKSTOP_AGENT__POLL_INTERVAL", "5s"),
        ("BACKSTOP_AGENT__MAX_CONCURRENT_DRILLS", "3"),
        ("BACKSTOP_AGENT__LISTEN", "[::1]:9000"),
        ("BACKSTOP_VENTURES__0__RPO", "1m"),
        ("BACKSTOP_VENTURES__RPO", "1m"),
        ("BACKSTOP_POLL_INTERVAL", "1s"),
    ];
    let config = load_ok(src, vars);
    assert_eq!(config.agent.poll_interval, Duration::from_secs(5));
    assert_eq!(config.agent.max_concurrent_drills, 3);
    assert_eq!(config.agent.listen.to_string(), "[::1]:9000");
    assert_eq!(config.ventures[0].rpo, Duration::from_secs(15 * 60));
}

#[test]
fn env_override_errors_name_the_variable() {
    let vars: &[(&str, &str)] = &[("BACKSTOP_AGENT__POLL_INTERVAL", "fast")];
    assert_eq!(
        load_err("[agent]\npoll_interval = \"30s\"\n", vars),
        "environment variable BACKSTOP_AGENT__POLL_INTERVAL: agent.poll_interval: invalid duration \"fast\": write a number and a unit (ms, s, m, h, d, w), e.g. \"15m\""
    );
}

#[test]
fn admin_token_is_optional() {
    assert_eq!(load_ok("", &[]).agent.admin_token, None);
    let config = load_ok("", &[("BACKSTOP_ADMIN_TOKEN", "s3cret")]);
    assert_eq!(
        config.agent.admin_token.as_ref().map(|t| t.expose()),
        Some("s3cret")
    );
}

#[test]
fn inline_secret_is_accepted_with_a_warning() {
    let src = "[[ventures]]\nname = \"acme\"\n[[ventures.endpoints]]\ndsn = \"postgres://u:hunter2@h/db\"\n";
    let config = load_ok(src, &[]);
    assert_eq!(
        config.ventures[0].endpoints[0].dsn.expose(),
        "postgres://u:hunter2@h/db"
    );
    assert_eq!(
        config.warnings,
        vec!["backstop.toml:4: ventures[0].endpoints[0].dsn is written inline: prefer dsn_env or dsn_file so the secret stays out of the file".to_string()]
    );
    assert!(!format!("{config:?}").contains("hunter2"));
}

#[test]
fn secret_file_is_read_and_trimmed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let secret = dir.path().join("dsn");
    std::fs::write(&secret, "postgres://from-file\n").expect("write");
    let src = format!(
        "[[ventures]]\nname = \"acme\"\n[[ventures.endpoints]]\ndsn_file = \"{}\"\n",
        secret.display()
    );
    let config = load_ok(&src, &[]);
    assert_eq!(
        config.ventures[0].endpoints[0].dsn.expose(),
        "postgres://from-file"
    );
    let missing =
        "[[ventures]]\nname = \"acme\"\n[[ventures.endpoints]]\ndsn_file = \"/nonexistent/dsn\"\n";
    assert_eq!(
        load_err(missing, &[]),
        "backstop.toml:4: ventures[0].endpoints[0].dsn_file: cannot read /nonexistent/dsn: No such file or directory (os error 2); make it readable by the agent or set dsn_env"
    );
}

#[test]
fn secrets_never_appear_in_errors_or_warnings() {
    const SECRET: &str = "hunter2";
    let src = r#"[agent]
state = "mysql://u:hunter2@h/db"
listen = "hunter2"

[[notify]]
kind = "slack"
url = "https://hooks.slack.com/hunter2"
routing_key = "hunter2"

[[ventures]]
name = "acme"
rpo = "hunter2"
[[ventures.endpoints]]
dsn = "postgres://u:hunter2@h/db"
dsn_file = "/nonexistent/hunter2"
[[ventures.endpoints]]
dsn = ["hunter2"]
[ventures.backups]
kind = "supabase"
project_ref = "abcdefghijklmnopqrst"
token = "hunter2"
[ventures.failover]
mode = 3
"#;
    let vars: &[(&str, &str)] = &[
        ("ACME_PG2_DSN", "hunter2"),
        ("SUPABASE_ACCESS_TOKEN", "hunter2"),
    ];
    let text = load_err(src, vars);
    // Values that are not secrets (listen, rpo) may be echoed; strip them before checking.
    let problems: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("agent.listen") && !l.contains(".rpo:"))
        .collect();
    assert!(problems.len() >= 5, "{text}");
    for line in problems {
        assert!(!line.contains(SECRET), "secret leaked: {line}");
    }
    // A syntax error on a secret's line must not echo the line either.
    let text = load_err("[agent]\nstate = \"postgres://u:hunter2@h/db\n", &[]);
    assert!(!text.contains(SECRET), "{text}");
    // And warnings for inline secrets name the key only.
    let config = load_ok(
        "[[ventures]]\nname = \"acme\"\n[ventures.backups]\nkind = \"supabase\"\nproject_ref = \"abcdefghijklmnopqrst\"\ntoken = \"hunter2\"\n",
        &[],
    );
    assert!(
        config.warnings.iter().all(|w| !w.contains(SECRET)),
        "{:?}",
        config.warnings
    );
}

#[test]
fn example_file_loads_with_the_variables_it_names() {
    let src = include_str!("../../backstop.example.toml");
    let vars: &[(&str, &str)] = &[
        ("PD_ROUTING_KEY", "pd-key"),
        ("SLACK_WEBHOOK_URL", "https://hooks.slack.com/x"),
        ("ACME_PG1_DSN", "postgres://a@h1/db"),
        ("ACME_PG2_DSN", "postgres://a@h2/db"),
        ("SUPABASE_ACCESS_TOKEN", "sbp_x"),
        ("SHOP_PG1_DSN", "postgres://s@h/db"),
        ("ACME_TRIGGER_WEBHOOK_URL", "https://example.com/hook"),
    ];
    let config = match load_str(src, "backstop.example.toml", &env(vars)) {
        Ok(config) => config,
        Err(e) => panic!("backstop.example.toml does not load:\n{e}"),
    };
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    assert_eq!(
        config.agent,
        AgentConfig {
            admin_token: None,
            ..AgentConfig::default()
        }
    );
    let acme = config.venture("acme").expect("acme");
    assert_eq!(acme.objectives(), Objectives::default());
    assert_eq!(acme.retention, RetentionPolicy::DEFAULT);
    assert_eq!(acme.heartbeat, HeartbeatConfig::default());
    assert_eq!(acme.drill, DrillConfig::default());
    assert_eq!(acme.failover, FailoverConfig::default());
    assert_eq!(acme.endpoints.len(), 2);
    assert!(config.venture("shop").expect("shop").is_supabase());
}

#[test]
fn load_reads_a_file_and_reports_an_unreadable_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("backstop.toml");
    std::fs::write(&path, "[agent]\nmax_concurrent_drills = 2\n").expect("write");
    let config = load(Some(&path)).expect("loads");
    assert_eq!(config.agent.max_concurrent_drills, 2);
    assert_eq!(config.file.as_deref(), Some(path.as_path()));
    let missing = dir.path().join("nope.toml");
    let err = load(Some(&missing)).expect_err("missing file");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: cannot read the configuration file: No such file or directory (os error 2); check the path given to --config",
            missing.display()
        )
    );
}

#[test]
fn unknown_agent_override_variables_are_errors() {
    let names = vec![
        "BACKSTOP_AGENT__POLL_INTERVALL".to_string(),
        "BACKSTOP_AGENT__LISTEN".to_string(),
    ];
    let err =
        super::load_source("", "backstop.toml", None, &env(&[]), &names).expect_err("unknown");
    assert_eq!(
        err.to_string(),
        "environment variable BACKSTOP_AGENT__POLL_INTERVALL: agent.poll_intervall: unknown [agent] key \"poll_intervall\": unset the variable, or use one of listen, state, state_retention, admin_token_env, admin_token_file, poll_interval, size_interval, supabase_max_requests_per_min, scratch_dir, max_concurrent_drills, log_format"
    );
}

#[test]
fn integer_override_that_is_not_a_number() {
    let vars: &[(&str, &str)] = &[("BACKSTOP_AGENT__MAX_CONCURRENT_DRILLS", "many")];
    assert_eq!(
        load_err("", vars),
        "environment variable BACKSTOP_AGENT__MAX_CONCURRENT_DRILLS: agent.max_concurrent_drills: wrong type: expected an integer, found a string"
    );
}

#[test]
fn notify_receivers_and_triggers() {
    let src = r#"[[notify]]
kind = "pagerduty"
min_severity = "warning"
url = "http://127.0.0.1:1/v2/enqueue"

[[notify]]
kind = "webhook"

[[ventures]]
name = "acme"
[[ventures.triggers]]
when = "drill_failed"
webhook_url_env = "HOOK"
[[ventures.triggers]]
when = "endpoint_down"
run = "true"
cooldown = "5m"
timeout = "90s"
"#;
    let vars: &[(&str, &str)] = &[
        ("PD_ROUTING_KEY", "rk"),
        ("BACKSTOP_WEBHOOK_URL", "https://example.com/w"),
        ("HOOK", "https://example.com/t"),
    ];
    let config = load_ok(src, vars);
    assert_eq!(config.notify[0].kind(), NotifyKind::PagerDuty);
    assert_eq!(config.notify[0].min_severity, Severity::Warning);
    match &config.notify[0].target {
        NotifyTarget::PagerDuty { routing_key, url } => {
            assert_eq!(
                (routing_key.expose(), url.as_str()),
                ("rk", "http://127.0.0.1:1/v2/enqueue")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(config.notify[1].min_severity, Severity::Critical);
    assert!(
        matches!(&config.notify[1].target, NotifyTarget::Webhook { url } if url.expose() == "https://example.com/w")
    );
    let t = &config.ventures[0].triggers;
    assert_eq!(t[0].when, TriggerWhen::DrillFailed);
    assert!(
        matches!(&t[0].action, TriggerAction::Webhook(u) if u.expose() == "https://example.com/t")
    );
    assert_eq!(t[0].cooldown, Duration::from_secs(3600));
    assert_eq!(t[1].action, TriggerAction::Run("true".to_string()));
    assert_eq!(t[1].cooldown, Duration::from_secs(300));
    assert_eq!(t[0].timeout, Duration::from_secs(3600));
    assert_eq!(t[1].timeout, Duration::from_secs(90));
}

#[test]
fn auto_failover_without_fence_command_warns() {
    let src = "[[ventures]]\nname = \"acme\"\n[[ventures.endpoints]]\n[[ventures.endpoints]]\n[ventures.failover]\nmode = \"auto\"\n";
    let config = load_ok(src, &[("ACME_PG1_DSN", "a"), ("ACME_PG2_DSN", "b")]);
    assert_eq!(config.ventures[0].failover.mode, FailoverMode::Auto);
    assert_eq!(
        config.warnings,
        vec!["backstop.toml:6: ventures[0].failover.fence_command is empty with mode = \"auto\": the old primary is not fenced before a promotion; set fence_command".to_string()]
    );
}
