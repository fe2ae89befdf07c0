//! Secret references: `<key>_env` (an environment variable), `<key>_file` (a file) or inline.
//!
//! Values are read once at load time into [`Secret`]s. No message written here contains a
//! value: only key paths, variable names and file paths.

use std::fs;

use crate::secret::Secret;

use super::report::Report;

/// The three ways a secret may be written, as found in one table.
pub(crate) struct SecretRef<'r> {
    /// Path of the table holding the keys, e.g. `ventures[0].endpoints[0]`.
    pub table: &'r str,
    /// The base key, e.g. `dsn` (so `dsn`, `dsn_env`, `dsn_file`).
    pub key: &'static str,
    /// `<key> = "…"`.
    pub inline: Option<&'r str>,
    /// `<key>_env = "VAR"`.
    pub env: Option<&'r str>,
    /// `<key>_file = "/path"`.
    pub file: Option<&'r str>,
    /// The variable used when none of the three is given; `None`: the secret is required.
    pub default_env: Option<String>,
    /// What the secret is, for messages: "the DSN of endpoint pg1".
    pub what: String,
}

/// Reads the secret; on any problem records it in `report` and returns `None`.
pub(crate) fn resolve(
    report: &mut Report<'_>,
    env: &dyn Fn(&str) -> Option<String>,
    r: &SecretRef<'_>,
) -> Option<Secret> {
    let key = r.key;
    let table = r.table;
    let given = [
        (key.to_string(), r.inline.is_some()),
        (format!("{key}_env"), r.env.is_some()),
        (format!("{key}_file"), r.file.is_some()),
    ];
    let mut present = given.iter().filter(|g| g.1).map(|g| &g.0);
    if let (Some(_), Some(second)) = (present.next(), present.next()) {
        report.error(
            &format!("{table}.{second}"),
            format!("set only one of {key}, {key}_env and {key}_file"),
        );
        return None;
    }
    if let Some(value) = r.inline {
        report.warn(
            &format!("{table}.{key}"),
            format!(
                "{table}.{key} is written inline: prefer {key}_env or {key}_file so the secret stays out of the file"
            ),
        );
        return Some(Secret::new(value));
    }
    if let Some(file) = r.file {
        return read_file(report, r, file);
    }
    let path = format!("{table}.{key}_env");
    let Some(var) = r.env.map(str::to_string).or_else(|| r.default_env.clone()) else {
        report.error(
            &path,
            format!("missing: set {key}_env or {key}_file ({})", r.what),
        );
        return None;
    };
    if var.is_empty() {
        report.error(
            &path,
            format!(
                "empty: write the name of the environment variable holding {}",
                r.what
            ),
        );
        return None;
    }
    match env(&var) {
        Some(value) if !value.trim().is_empty() => Some(Secret::new(value.trim())),
        Some(_) => {
            report.error(
                &path,
                format!(
                    "environment variable {var} is empty; export it ({}) or set {key}_file",
                    r.what
                ),
            );
            None
        }
        None => {
            report.error(
                &path,
                format!(
                    "environment variable {var} is not set; export it ({}) or set {key}_file",
                    r.what
                ),
            );
            None
        }
    }
}

fn read_file(report: &mut Report<'_>, r: &SecretRef<'_>, file: &str) -> Option<Secret> {
    let path = format!("{}.{}_file", r.table, r.key);
    let full = report.resolve_file(file);
    match fs::read_to_string(&full) {
        Ok(text) if !text.trim().is_empty() => Some(Secret::new(text.trim())),
        Ok(_) => {
            report.error(
                &path,
                format!(
                    "{} is empty; write {} into it or set {}_env",
                    full.display(),
                    r.what,
                    r.key
                ),
            );
            None
        }
        Err(e) => {
            report.error(
                &path,
                format!(
                    "cannot read {}: {e}; make it readable by the agent or set {}_env",
                    full.display(),
                    r.key
                ),
            );
            None
        }
    }
}
