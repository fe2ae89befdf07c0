//! Configuration: loads the TOML file and `BACKSTOP_AGENT__<KEY>` overrides, validates them.
//!
//! [`load`] is the entry point; [`load_str`] is the same with the source and the environment
//! passed in. Every problem found is reported at once in a [`ConfigError`], one per line, as
//! `file:line: key.path: what is wrong and what to do`. See docs/configuration.md for every key.

mod duration;
mod error;
mod extract;
#[cfg(test)]
mod fuzz_props;
mod locate;
mod raw;
mod report;
mod retention;
mod secrets;
mod sections;
mod types;
mod validate;
mod venture;
mod ventures;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_errors;

use std::path::{Path, PathBuf};

pub use duration::{format_duration, parse_duration, HumanDuration};
pub use error::{ConfigError, Problem};
pub use extract::ENV_PREFIX;
pub use retention::{retention_from_json, RETENTION_KEYS};
pub use types::{
    AgentConfig, Config, LogFormat, NotifyConfig, NotifyKind, NotifyTarget, Severity,
    PAGERDUTY_EVENTS_URL,
};
pub use venture::{
    BackupsConfig, DrillConfig, DrillTarget, EndpointConfig, FailoverConfig, FailoverMode,
    HeartbeatConfig, PgBackRestConfig, PitrPlan, RetentionPolicy, SupabaseConfig, TriggerAction,
    TriggerConfig, TriggerWhen, VentureConfig,
};

/// One line for `backstop config check`: what was loaded, from where.
pub fn summary(config: &Config) -> String {
    let endpoints: usize = config.ventures.iter().map(|v| v.endpoints.len()).sum();
    let from = match &config.file {
        Some(f) => f.display().to_string(),
        None => "built-in defaults".to_string(),
    };
    format!(
        "ok: {} venture(s), {} endpoint(s), {} notification receiver(s) from {from}",
        config.ventures.len(),
        endpoints,
        config.notify.len()
    )
}

/// The file read when no `--config` is given (if it exists).
pub const DEFAULT_FILE: &str = "backstop.toml";

/// Loads the configuration: `path`, else `./backstop.toml` if it exists, else built-in defaults
/// (no ventures). The process environment supplies overrides and `*_env` secrets.
pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
    let env = |name: &str| std::env::var(name).ok();
    let names: Vec<String> = std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .filter(|name| name.starts_with(ENV_PREFIX))
        .collect();
    let path = match path {
        Some(path) => Some(path.to_path_buf()),
        None => Some(PathBuf::from(DEFAULT_FILE)).filter(|p| p.exists()),
    };
    let Some(path) = path else {
        return load_source("", "built-in defaults", None, &env, &names);
    };
    let src = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
        path: path.clone(),
        source,
    })?;
    let display = path.display().to_string();
    load_source(&src, &display, Some(path), &env, &names)
}

/// Loads from `src`, named `file` in messages; `env` looks up environment variables (both the
/// `BACKSTOP_AGENT__<KEY>` overrides and the variables named by `*_env` keys).
pub fn load_str(
    src: &str,
    file: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    load_source(src, file, Some(PathBuf::from(file)), env, &[])
}

/// The whole pipeline; `env_names` are the `BACKSTOP_AGENT__*` variables set (to refuse
/// unknown ones), which a lookup function cannot list.
fn load_source(
    src: &str,
    display: &str,
    path: Option<PathBuf>,
    env: &dyn Fn(&str) -> Option<String>,
    env_names: &[String],
) -> Result<Config, ConfigError> {
    let locator = locate::Locator::new(src).map_err(|(line, message)| {
        ConfigError::Invalid(vec![Problem {
            origin: display.to_string(),
            line,
            path: String::new(),
            message: format!("invalid TOML: {message}; fix the syntax"),
        }])
    })?;
    let overrides = extract::overrides(env);
    let override_paths = extract::override_paths(&overrides);
    let base_dir = path
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf);
    let mut report = report::Report::new(display, &locator, &override_paths, base_dir);
    for (var, key) in extract::unknown_override_vars(env_names) {
        report.env_error(
            &var,
            &format!("agent.{key}"),
            format!(
                "unknown [agent] key \"{key}\": unset the variable, or use one of {}",
                raw::AGENT_KEYS.join(", ")
            ),
        );
    }
    let raw = extract::extract(src, &overrides, &mut report);
    let mut config = validate::build(raw, env, &mut report);
    let (problems, warnings) = report.finish();
    if !problems.is_empty() {
        return Err(ConfigError::Invalid(problems));
    }
    config.file = path;
    config.warnings = warnings;
    Ok(config)
}
