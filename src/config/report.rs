//! [`Report`]: collects every problem and warning while the configuration is checked.
//!
//! Each entry is located here: its origin (the file, or the environment variable that overrode
//! the key) and its line. A key that already has a problem gets no second one, so that a value
//! dropped for a type error does not also trip the checks that follow.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::Problem;
use super::locate::Locator;

/// Problems and warnings found so far, with what is needed to locate them.
pub(crate) struct Report<'a> {
    file: &'a str,
    locator: &'a Locator<'a>,
    /// Key path (`agent.poll_interval`) → the environment variable that set it.
    overrides: &'a BTreeMap<String, String>,
    base_dir: Option<PathBuf>,
    problems: Vec<Problem>,
    warnings: Vec<String>,
}

impl<'a> Report<'a> {
    /// An empty report for `file` (its display name).
    pub(crate) fn new(
        file: &'a str,
        locator: &'a Locator<'a>,
        overrides: &'a BTreeMap<String, String>,
        base_dir: Option<PathBuf>,
    ) -> Self {
        Self {
            file,
            locator,
            overrides,
            base_dir,
            problems: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Records a problem at `path` unless that key (or an ancestor) already has one.
    pub(crate) fn error(&mut self, path: &str, message: impl Into<String>) {
        if self.has_problem_at(path) {
            return;
        }
        let (origin, line) = self.locate(path);
        self.problems.push(Problem {
            origin,
            line,
            path: path.to_string(),
            message: message.into(),
        });
    }

    /// Records a problem that comes from an environment variable rather than the file.
    pub(crate) fn env_error(&mut self, var: &str, path: &str, message: impl Into<String>) {
        self.problems.push(Problem {
            origin: format!("environment variable {var}"),
            line: None,
            path: path.to_string(),
            message: message.into(),
        });
    }

    /// Records a warning about `path`; `text` is the whole sentence.
    pub(crate) fn warn(&mut self, path: &str, text: impl AsRef<str>) {
        let (origin, line) = self.locate(path);
        let prefix = match line {
            Some(line) => format!("{origin}:{line}"),
            None => origin,
        };
        self.warnings.push(format!("{prefix}: {}", text.as_ref()));
    }

    /// True when `path`, an ancestor of it or a key under it already has a problem.
    pub(crate) fn has_problem_under(&self, prefix: &str) -> bool {
        self.problems.iter().any(|p| is_within(&p.path, prefix)) || self.has_problem_at(prefix)
    }

    fn has_problem_at(&self, path: &str) -> bool {
        self.problems
            .iter()
            .any(|p| !p.path.is_empty() && is_within(path, &p.path))
    }

    /// Resolves a `*_file` path against the configuration file's directory.
    pub(crate) fn resolve_file(&self, file: &str) -> PathBuf {
        let path = Path::new(file);
        match &self.base_dir {
            Some(base) if path.is_relative() => base.join(path),
            _ => path.to_path_buf(),
        }
    }

    /// Where `path` is, for a message: `line 12`, or the path itself when its line is unknown.
    pub(crate) fn place(&self, path: &str) -> String {
        match self.locate(path) {
            (_, Some(line)) => format!("line {line}"),
            _ => path.to_string(),
        }
    }

    fn locate(&self, path: &str) -> (String, Option<usize>) {
        match self.overrides.iter().find(|(key, _)| is_within(path, key)) {
            Some((_, var)) => (format!("environment variable {var}"), None),
            None => (self.file.to_string(), self.locator.line(path)),
        }
    }

    /// Problems sorted by line (environment overrides last), and warnings.
    pub(crate) fn finish(mut self) -> (Vec<Problem>, Vec<String>) {
        self.problems
            .sort_by_key(|p| (p.line.is_none(), p.line.unwrap_or(usize::MAX)));
        (self.problems, self.warnings)
    }
}

/// True when `path` is `ancestor` or lies under it (`a.b` is within `a`, `a[0]` within `a`).
fn is_within(path: &str, ancestor: &str) -> bool {
    match path.strip_prefix(ancestor) {
        Some(rest) => rest.is_empty() || rest.starts_with('.') || rest.starts_with('['),
        None => false,
    }
}
