//! Fuzz entry points: one function per target, shared by the cargo-fuzz crate (`fuzz/`, nightly)
//! and the proptest cases next to each parser (stable, in CI), so both exercise the same code.
//!
//! Each target takes raw bytes, bounds them to [`MAX_INPUT`], and feeds them to the code under
//! test. A target returns normally for every input; a panic (in the code or in one of the
//! invariants a target asserts) is a finding. Seed corpora: `fuzz/corpus/<target>/`.

mod config;
mod retention;
mod sources;

pub use config::{config, config_env};
pub use retention::{check_retention, decode_retention, retention};
pub use sources::{
    pgbackrest_backup_log, pgbackrest_info, pgbackrest_repo_ls, pgbackrest_verify,
    supabase_backups, supabase_project, STANZA,
};

/// The largest input a target reads (longer inputs are cut): keeps every run fast and bounded.
pub const MAX_INPUT: usize = 64 * 1024;

/// The first [`MAX_INPUT`] bytes of `data`.
pub fn bounded(data: &[u8]) -> &[u8] {
    &data[..data.len().min(MAX_INPUT)]
}

/// The first [`MAX_INPUT`] bytes of `data` as text (invalid UTF-8 replaced).
pub fn bounded_text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bounded(data))
}

/// The target names, as in `fuzz/fuzz_targets/<name>.rs` and `fuzz/corpus/<name>/`.
pub const TARGETS: [&str; 8] = [
    "pgbackrest_info",
    "pgbackrest_verify",
    "pgbackrest_backup_log",
    "pgbackrest_repo_ls",
    "supabase_backups",
    "supabase_project",
    "config",
    "retention",
];

/// Runs the target called `name` on `data`; `false` when no target has that name.
pub fn run(name: &str, data: &[u8]) -> bool {
    match name {
        "pgbackrest_info" => drop(pgbackrest_info(data)),
        "pgbackrest_verify" => drop(pgbackrest_verify(data)),
        "pgbackrest_backup_log" => pgbackrest_backup_log(data),
        "pgbackrest_repo_ls" => drop(pgbackrest_repo_ls(data)),
        "supabase_backups" => drop(supabase_backups(data)),
        "supabase_project" => supabase_project(data),
        "config" => drop(config(data)),
        "retention" => retention(data),
        _ => return false,
    }
    true
}

#[cfg(test)]
pub(crate) mod seeds;
#[cfg(test)]
pub(crate) mod strategies;
