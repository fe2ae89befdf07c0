//! Target for the configuration loader: TOML text → a validated configuration or a
//! [`ConfigError`] whose every problem names a line or a key.

use crate::config::{load_str, ConfigError, ENV_PREFIX};

use super::bounded_text;

/// The environment the target loads with: every `*_env` variable is set (DSN-looking names to a
/// DSN), `BACKSTOP_AGENT__*` overrides are not.
pub fn config_env(name: &str) -> Option<String> {
    if name.starts_with(ENV_PREFIX) {
        None
    } else if name.ends_with("_DSN") {
        Some("postgres://fuzz:fuzz@127.0.0.1:5432/postgres".to_owned())
    } else {
        Some("fuzz-secret-value".to_owned())
    }
}

/// Loads `data` as `fuzz.toml`. On error, asserts that each problem says where it is (a line, in
/// its field or its message, or a key path) and what is wrong.
pub fn config(data: &[u8]) -> Result<(), ConfigError> {
    let text = bounded_text(data);
    let result = load_str(&text, "fuzz.toml", &config_env);
    if let Err(e) = &result {
        assert!(!e.problems().is_empty(), "an error without problems: {e}");
        for p in e.problems() {
            // The second parser (figment's, TOML 1.0) reports the line in its message only.
            assert!(
                p.line.is_some() || !p.path.is_empty() || names_a_line(&p.message),
                "a problem naming neither a line nor a key: {p}"
            );
            assert!(!p.message.trim().is_empty(), "a problem without a message");
        }
    }
    result.map(drop)
}

/// True when `message` says `line N`.
fn names_a_line(message: &str) -> bool {
    message
        .split("line ")
        .skip(1)
        .any(|rest| rest.chars().next().is_some_and(|c| c.is_ascii_digit()))
}
