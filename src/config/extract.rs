//! figment: merges the TOML file with `BACKSTOP_AGENT__<KEY>` overrides into the raw layer.
//!
//! serde stops at the first error; to report them all, the offending key is removed from the
//! merged value and extraction is retried, until it succeeds.

use std::collections::BTreeMap;

use figment::error::{Actual, Kind};
use figment::providers::{Format, Serialized, Toml};
use figment::value::Value;
use figment::Figment;

use super::locate::display_path;
use super::raw::{RawConfig, AGENT_INTEGER_KEYS, AGENT_KEYS};
use super::report::Report;

/// Prefix of the environment overrides of `[agent]` keys.
pub const ENV_PREFIX: &str = "BACKSTOP_AGENT__";

/// An `[agent]` key set from the environment.
pub(crate) struct Override {
    /// The key, e.g. `poll_interval`.
    pub key: &'static str,
    /// The variable, e.g. `BACKSTOP_AGENT__POLL_INTERVAL`.
    pub var: String,
    /// Its value.
    pub value: String,
}

/// Looks up `BACKSTOP_AGENT__<KEY>` for every `[agent]` key.
pub(crate) fn overrides(env: &dyn Fn(&str) -> Option<String>) -> Vec<Override> {
    AGENT_KEYS
        .iter()
        .filter_map(|key| {
            let var = format!("{ENV_PREFIX}{}", key.to_ascii_uppercase());
            env(&var).map(|value| Override { key, var, value })
        })
        .collect()
}

/// Variables named `BACKSTOP_AGENT__…` that match no `[agent]` key.
pub(crate) fn unknown_override_vars(names: &[String]) -> Vec<(String, String)> {
    names
        .iter()
        .filter_map(|name| {
            let key = name.strip_prefix(ENV_PREFIX)?.to_ascii_lowercase();
            (!AGENT_KEYS.contains(&key.as_str())).then(|| (name.clone(), key))
        })
        .collect()
}

/// Merges `src` and `overrides` and deserializes the raw layer, recording every error.
pub(crate) fn extract(src: &str, overrides: &[Override], report: &mut Report<'_>) -> RawConfig {
    let mut figment = Figment::from(Toml::string(src));
    for o in overrides {
        let path = format!("agent.{}", o.key);
        let integer = AGENT_INTEGER_KEYS.contains(&o.key);
        figment = match o.value.trim().parse::<i64>() {
            Ok(n) if integer => figment.merge(Serialized::default(&path, n)),
            _ => figment.merge(Serialized::default(&path, o.value.clone())),
        };
    }
    let mut root: Value = match figment.extract() {
        Ok(root) => root,
        Err(e) => {
            report.error(
                "",
                format!("invalid TOML: {}; fix the syntax", without_source(&e.kind)),
            );
            return RawConfig::default();
        }
    };
    // Each round removes at least one key, so this ends; the bound is a belt and braces.
    for _ in 0..10_000 {
        match root.deserialize::<RawConfig>() {
            Ok(raw) => return raw,
            Err(errors) => {
                let mut removed = false;
                for e in errors {
                    report.error(&display_path(&e.path), describe(&e.kind));
                    removed |= remove(&mut root, &e.path);
                }
                if !removed {
                    break;
                }
            }
        }
    }
    RawConfig::default()
}

/// A parser message without the quoted source lines (which may hold a secret).
fn without_source(kind: &Kind) -> String {
    let text = kind.to_string();
    let kept: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.contains('|') && !l.starts_with('^'))
        .collect();
    kept.join("; ")
}

/// Removes the key at `path` (or the nearest enclosing table key) from `value`.
fn remove(value: &mut Value, path: &[String]) -> bool {
    match (value, path) {
        (Value::Dict(_, dict), [key]) => dict.remove(key).is_some(),
        (Value::Dict(_, dict), [key, rest @ ..]) => match dict.get_mut(key) {
            Some(child) => remove(child, rest) || dict.remove(key).is_some(),
            None => false,
        },
        (Value::Array(_, items), [index, rest @ ..]) => {
            match index.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(child) => remove(child, rest),
                None => false,
            }
        }
        _ => false,
    }
}

/// A serde error in the configuration's words.
fn describe(kind: &Kind) -> String {
    match kind {
        Kind::UnknownField(key, valid) => {
            format!(
                "unknown key \"{key}\": remove it, or use one of {}",
                valid.join(", ")
            )
        }
        Kind::InvalidType(actual, expected) => {
            format!(
                "wrong type: expected {}, found {}",
                expected_text(expected),
                actual_text(actual)
            )
        }
        Kind::Message(message) => message.clone(),
        other => other.to_string(),
    }
}

fn expected_text(expected: &str) -> &str {
    match expected {
        "i64" | "u32" | "u64" | "i32" => "an integer",
        "a sequence" => "an array",
        "a map" => "a table",
        e if e.starts_with("struct ") => "a table",
        e => e,
    }
}

/// The value found, without echoing string contents (they may be secrets).
fn actual_text(actual: &Actual) -> String {
    match actual {
        Actual::Bool(b) => format!("boolean {b}"),
        Actual::Signed(n) => format!("integer {n}"),
        Actual::Unsigned(n) => format!("integer {n}"),
        Actual::Float(x) => format!("float {x}"),
        Actual::Str(_) | Actual::Char(_) => "a string".to_string(),
        Actual::Seq => "an array".to_string(),
        Actual::Map => "a table".to_string(),
        other => other.to_string(),
    }
}

/// The key path → variable map of the overrides, for locating their problems.
pub(crate) fn override_paths(overrides: &[Override]) -> BTreeMap<String, String> {
    overrides
        .iter()
        .map(|o| (format!("agent.{}", o.key), o.var.clone()))
        .collect()
}
