//! `backstop report --venture V [--since T] [--until T] [--format md|html|json] [--output FILE]`:
//! DR evidence for auditors (DESIGN.md §8): the objectives in force, every drill of the period
//! with RTO and RPO against them and its phases, failures and what followed, the phase that
//! dominates RTO and its trend, the quarterly-drill requirement, backup coverage and retention
//! compliance now, verifications, failovers and recoveries of the period.
//!
//! - [`period`]: `--since`/`--until` and calendar quarters (pure).
//! - [`gather`]: the I/O: one poll of the venture, the store's history of the period.
//! - [`build`]: from what was read to the [`model::ReportData`] and its verdict (pure), with
//!   [`drills`] (rows, what followed, quarters), [`phases`] (dominant phase, trend) and
//!   [`coverage`] (coverage and retention now).
//! - [`md`], [`html`], [`json`]: the renderers (pure), sharing their sentences in [`words`].
//! - [`command`]: the CLI command.

pub mod build;
pub mod command;
pub mod coverage;
pub mod drills;
pub mod gather;
pub mod html;
pub mod json;
pub mod md;
pub mod model;
pub mod period;
pub mod phases;
pub mod words;

#[cfg(test)]
mod tests;

pub use model::ReportData;

use crate::store::StoreError;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// No such venture in the configuration (the message lists the configured ones).
    #[error("{0}")]
    UnknownVenture(String),
    /// `--since`/`--until` are not times, or the period is empty.
    #[error("{0}")]
    Period(String),
    /// `--format` is not md, html or json.
    #[error("unknown format {0:?}: pass --format md, html or json")]
    Format(String),
    /// The state store could not be read.
    #[error("reading the history from the state store failed: {0}; check agent.state and that the store is reachable")]
    Store(#[from] StoreError),
    /// The report could not be encoded.
    #[error("encoding the report as JSON failed: {0}")]
    Json(#[from] serde_json::Error),
    /// `--output` could not be written.
    #[error("writing the report to {path}: {source}; choose a writable --output path")]
    Write {
        /// The file.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

impl ReportError {
    /// 1 for user errors (unknown venture, bad period or format, unwritable output), else 2.
    pub fn exit_code(&self) -> u8 {
        match self {
            ReportError::UnknownVenture(_)
            | ReportError::Period(_)
            | ReportError::Format(_)
            | ReportError::Write { .. } => 1,
            ReportError::Store(_) | ReportError::Json(_) => 2,
        }
    }
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Markdown (the default).
    Markdown,
    /// One self-contained HTML page.
    Html,
    /// JSON with stable field names ([`model::ReportData`]).
    Json,
}

impl std::str::FromStr for Format {
    type Err = ReportError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "md" | "markdown" => Ok(Format::Markdown),
            "html" => Ok(Format::Html),
            "json" => Ok(Format::Json),
            other => Err(ReportError::Format(other.to_owned())),
        }
    }
}

/// Renders `r` in `format`.
pub fn render(r: &ReportData, format: Format) -> Result<String, ReportError> {
    Ok(match format {
        Format::Markdown => md::render(r),
        Format::Html => html::render(r),
        Format::Json => json::render(r)?,
    })
}
