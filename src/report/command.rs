//! `backstop report`: parse the period and format, gather, build, render, print to stdout or
//! write `--output`. Exit 0 when the report was made (whatever its verdict: the report is
//! evidence, not a check), 1 for user errors, 2 when the store could not be read.

use chrono::Utc;

use super::period::Period;
use super::{build, gather, render, Format, ReportError};
use crate::cli::ReportArgs;
use crate::config::Config;

/// Runs the command; returns the exit code.
pub async fn run(config: &Config, args: &ReportArgs) -> u8 {
    match report(config, args).await {
        Ok(text) => match &args.output {
            Some(path) => match std::fs::write(path, &text) {
                Ok(()) => {
                    eprintln!("backstop: report written to {}", path.display());
                    0
                }
                Err(source) => fail(&ReportError::Write {
                    path: path.clone(),
                    source,
                }),
            },
            None => {
                print!("{text}");
                0
            }
        },
        Err(e) => fail(&e),
    }
}

/// The rendered report.
pub async fn report(config: &Config, args: &ReportArgs) -> Result<String, ReportError> {
    let format: Format = args.format.parse()?;
    let now = Utc::now();
    let period = Period::parse(args.since.as_deref(), args.until.as_deref(), now)?;
    let inputs = gather::gather(config, &args.venture, period, now).await?;
    render(&build::build(&inputs), format)
}

fn fail(e: &ReportError) -> u8 {
    eprintln!("backstop: {e}");
    e.exit_code()
}
