//! The command line (DESIGN.md §2): clap definitions only; `main.rs` dispatches.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// backstop: can we recover each PostgreSQL database, to which point, how fast, losing how much?
#[derive(Debug, Parser)]
#[command(name = "backstop", version, about, long_about = None)]
pub struct Cli {
    /// Configuration file (default: ./backstop.toml if present, else built-in defaults).
    #[arg(long, short = 'c', global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Log format: text or json (overrides agent.log_format).
    #[arg(long, global = true, value_name = "FORMAT", value_parser = ["text", "json"])]
    pub log_format: Option<String>,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the agent: pollers, probes and the HTTP server (/metrics, /healthz, /readyz).
    Run,
    /// A self-contained sandbox: a throwaway PostgreSQL cluster with WAL archiving, a synthetic
    /// writer and the agent against it. Ctrl-C removes it all.
    Demo(DemoArgs),
    /// One poll of everything and a readiness table; exit 0 ok, 1 warning, 2 critical.
    Check(CheckArgs),
    /// Configuration commands.
    Config {
        /// What to do with the configuration.
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

/// Arguments of `backstop demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where the agent listens.
    #[arg(long, default_value = "127.0.0.1:9847")]
    pub listen: std::net::SocketAddr,
    /// Root directory for the throwaway cluster (default: agent.scratch_dir).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Arguments of `backstop check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `backstop config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the configuration; every error names the key path, the file and the line.
    Check,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_documented_forms() {
        let cli = Cli::try_parse_from(["backstop", "check", "--json", "--config", "x.toml"])
            .expect("parses");
        assert!(matches!(
            cli.command,
            Command::Check(CheckArgs { json: true })
        ));
        assert_eq!(cli.config, Some(PathBuf::from("x.toml")));
        let cli = Cli::try_parse_from(["backstop", "config", "check"]).expect("parses");
        assert!(matches!(
            cli.command,
            Command::Config {
                command: ConfigCommand::Check
            }
        ));
    }
}
