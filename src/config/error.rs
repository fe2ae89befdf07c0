//! [`ConfigError`]: every problem found in a configuration, each with its file, line and key path.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// One problem in the configuration: where it is and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file name, or `environment variable BACKSTOP_AGENT__…` for an override.
    pub origin: String,
    /// The 1-based line of the key in the file, when known.
    pub line: Option<usize>,
    /// The key path, e.g. `ventures[1].failover.mode`; empty for a problem with the whole file.
    pub path: String,
    /// What is wrong and what to do about it. Never contains a secret value.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Errors of the configuration subsystem.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("{}: cannot read the configuration file: {source}; check the path given to --config", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The configuration has one or more problems, all listed, one per line.
    #[error("{}", ProblemList(.0))]
    Invalid(Vec<Problem>),
    /// A duration string could not be parsed.
    #[error(
        "invalid duration \"{input}\": write a number and a unit (ms, s, m, h, d, w), e.g. \"15m\""
    )]
    InvalidDuration {
        /// The text as written.
        input: String,
    },
}

impl ConfigError {
    /// The individual problems (empty for a read error or a lone duration error).
    pub fn problems(&self) -> &[Problem] {
        match self {
            ConfigError::Invalid(problems) => problems,
            _ => &[],
        }
    }
}

struct ProblemList<'a>(&'a [Problem]);

impl fmt::Display for ProblemList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}
