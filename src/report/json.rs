//! The JSON rendering of a [`ReportData`]: pretty-printed, its field names the contract;
//! [`parse`] reads it back.

use super::model::ReportData;

/// The report as pretty JSON (with a trailing newline).
pub fn render(r: &ReportData) -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(r)?;
    text.push('\n');
    Ok(text)
}

/// A report read back from [`render`]'s output.
pub fn parse(text: &str) -> Result<ReportData, serde_json::Error> {
    serde_json::from_str(text)
}
