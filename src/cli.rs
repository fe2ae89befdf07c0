//! The command line (DESIGN.md §2): clap definitions only; `main.rs` dispatches.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::retention::RetentionDuration;

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
    /// The PITR window of a venture: pieces, gaps, missing WAL and the exposure against the RPO;
    /// exit 0 whole and within the RPO, 1 above the RPO or split, 2 nothing recoverable.
    Pitr(VentureArgs),
    /// The backups of a venture with size, type, status and retention verdict, failed runs and
    /// unmet rules; exit 2 no usable or a stale backup, 1 retention unmet or failing, else 0.
    Backups(VentureArgs),
    /// Which backups a GFS policy keeps (restic `forget` semantics): reads RFC 3339 timestamps,
    /// one a line, on stdin; prints keep/remove and the reasons for each, in input order.
    Retention(RetentionArgs),
    /// Plan a point-in-time recovery of a pgBackRest venture (base backup, WAL range, exact
    /// steps); with --execute --confirm V --target-dir DIR, restore it into DIR. Of a Supabase
    /// venture: plan restore-pitr; with --execute --confirm V (and allow_in_place_restore),
    /// restore the project in place and measure the RTO. Exit 0 ok, 1 refused, 2 failed.
    Recover(RecoverArgs),
    /// Supabase project settings: `supabase apply` converges the daily backup schedule to
    /// desired_schedule and reports the PITR add-on against desired_pitr.
    Supabase {
        /// What to do with the project.
        #[command(subcommand)]
        command: SupabaseCommand,
    },
    /// Run a DR drill now: restore into a scratch cluster, replay, validate, measure RTO and RPO,
    /// record it, remove the cluster. Exit 0 passed, 2 failed or aborted, 1 refused.
    Drill(DrillArgs),
    /// Manual, audited failover: a planned switchover (the primary answers) or a forced failover
    /// (it is gone), `--dry-run` to see the decision, `--clear-fence` once an old primary is
    /// rejoined as a standby. Exit 0 done, 1 refused, 2 failed.
    Failover(FailoverArgs),
    /// DR evidence for auditors: objectives, every drill of the period with RTO/RPO and phases,
    /// what followed failures, the phase dominating RTO and its trend, coverage, retention,
    /// verifications, failovers and recoveries. Exit 0 made, 1 user error, 2 store unreadable.
    Report(ReportArgs),
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

/// Arguments of the one-venture commands (`pitr`, `backups`).
#[derive(Debug, clap::Args)]
pub struct VentureArgs {
    /// The venture (its `name` in the configuration).
    #[arg(long, value_name = "V")]
    pub venture: String,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `backstop recover`.
#[derive(Debug, clap::Args)]
pub struct RecoverArgs {
    /// The venture to recover.
    #[arg(long, value_name = "V")]
    pub venture: String,
    /// The recovery target: RFC 3339 (2026-11-27T08:00:00Z) or relative to now (-15m, -2h).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub to: String,
    /// Carry the plan out (needs --confirm V; pgBackRest also --target-dir DIR).
    #[arg(long)]
    pub execute: bool,
    /// The venture name again, to confirm --execute.
    #[arg(long, value_name = "V")]
    pub confirm: Option<String>,
    /// Where to restore: an empty or absent directory (never a running cluster's).
    #[arg(long, value_name = "DIR")]
    pub target_dir: Option<PathBuf>,
    /// After the restore, start the cluster on a free local port and wait until it is promoted.
    #[arg(long, requires = "execute")]
    pub start: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Supabase: how often the project status is polled during the restore (default 5s).
    /// Hidden: for tests.
    #[arg(long, hide = true, value_name = "DURATION", value_parser = crate::config::parse_duration)]
    pub status_interval: Option<std::time::Duration>,
}

/// Arguments of `backstop drill`.
#[derive(Debug, clap::Args)]
pub struct DrillArgs {
    /// The venture to drill.
    #[arg(long, value_name = "V")]
    pub venture: String,
    /// Restore this point in time instead of the configured target: RFC 3339 or relative (-15m).
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub to: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `backstop failover`.
#[derive(Debug, clap::Args)]
pub struct FailoverArgs {
    /// The venture.
    #[arg(long, value_name = "V")]
    pub venture: String,
    /// The standby to promote (default: the most advanced reachable one).
    #[arg(long, value_name = "ENDPOINT", conflicts_with = "clear_fence")]
    pub to: Option<String>,
    /// Planned switchover: stop the old primary first, promote once the standby replayed all.
    #[arg(long, conflicts_with_all = ["force", "clear_fence"])]
    pub planned: bool,
    /// Forced failover: the primary is gone (skips the hysteresis rules, still fences).
    #[arg(long, conflicts_with = "clear_fence")]
    pub force: bool,
    /// Print the decision and its reasons; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Clear the fence of this endpoint (after rejoining it as a standby).
    #[arg(long, value_name = "ENDPOINT")]
    pub clear_fence: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `backstop report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// The venture to report on.
    #[arg(long, value_name = "V")]
    pub venture: String,
    /// Start of the period: a date (2026-01-01, UTC), RFC 3339, or before now (-90d). Default:
    /// a year before --until.
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// End of the period (exclusive; a date includes that whole day). Default: now.
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub until: Option<String>,
    /// md (Markdown), html (one self-contained printable page) or json.
    #[arg(long, value_name = "FORMAT", default_value = "md", value_parser = ["md", "html", "json"])]
    pub format: String,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Arguments of `backstop retention`. Counts: N ≥ 0, or `-1`/`unlimited`; durations: restic's
/// `NyNmNdNh` (e.g. `7d`, `1m14d`).
#[derive(Debug, clap::Args)]
pub struct RetentionArgs {
    /// Keep the newest N backups.
    #[arg(long, value_name = "N", default_value_t = 0, allow_negative_numbers = true, value_parser = parse_count)]
    pub keep_last: i32,
    /// Keep the newest backup of each of the newest N hours.
    #[arg(long, value_name = "N", default_value_t = 0, allow_negative_numbers = true, value_parser = parse_count)]
    pub keep_hourly: i32,
    /// Keep the newest backup of each of the newest N days.
    #[arg(long, value_name = "N", default_value_t = 0, allow_negative_numbers = true, value_parser = parse_count)]
    pub keep_daily: i32,
    /// Keep the newest backup of each of the newest N ISO weeks.
    #[arg(long, value_name = "N", default_value_t = 0, allow_negative_numbers = true, value_parser = parse_count)]
    pub keep_weekly: i32,
    /// Keep the newest backup of each of the newest N months.
    #[arg(long, value_name = "N", default_value_t = 0, allow_negative_numbers = true, value_parser = parse_count)]
    pub keep_monthly: i32,
    /// Keep the newest backup of each of the newest N years.
    #[arg(long, value_name = "N", default_value_t = 0, allow_negative_numbers = true, value_parser = parse_count)]
    pub keep_yearly: i32,
    /// Keep every backup within D of the newest one.
    #[arg(long, value_name = "D", value_parser = parse_within)]
    pub keep_within: Option<RetentionDuration>,
    /// Keep the newest backup of each hour within D of the newest one.
    #[arg(long, value_name = "D", value_parser = parse_within)]
    pub keep_within_hourly: Option<RetentionDuration>,
    /// … of each day within D.
    #[arg(long, value_name = "D", value_parser = parse_within)]
    pub keep_within_daily: Option<RetentionDuration>,
    /// … of each ISO week within D.
    #[arg(long, value_name = "D", value_parser = parse_within)]
    pub keep_within_weekly: Option<RetentionDuration>,
    /// … of each month within D.
    #[arg(long, value_name = "D", value_parser = parse_within)]
    pub keep_within_monthly: Option<RetentionDuration>,
    /// … of each year within D.
    #[arg(long, value_name = "D", value_parser = parse_within)]
    pub keep_within_yearly: Option<RetentionDuration>,
    /// Print a JSON array in input order instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// A rule count: N ≥ 0, or `-1` / `unlimited`.
fn parse_count(s: &str) -> Result<i32, String> {
    if s == "unlimited" {
        return Ok(-1);
    }
    match s.parse::<i32>() {
        Ok(n) if n >= -1 => Ok(n),
        _ => Err(format!(
            "{s:?} is not a count: write a number of 0 or more, or -1 / unlimited"
        )),
    }
}

fn parse_within(s: &str) -> Result<RetentionDuration, String> {
    s.parse()
        .map_err(|e: crate::retention::RetentionError| e.to_string())
}

/// `backstop supabase …`.
#[derive(Debug, Subcommand)]
pub enum SupabaseCommand {
    /// Print the drift of the project's backup schedule and PITR add-on from the desired state;
    /// without --dry-run set the schedule (Supabase allows 3 changes per 24 hours). Billing
    /// add-ons are never changed: a PITR mismatch prints the dashboard steps. Exit 0 in the
    /// desired state, 1 drift remains, 2 the API failed.
    Apply(SupabaseApplyArgs),
}

/// Arguments of `backstop supabase apply`.
#[derive(Debug, clap::Args)]
pub struct SupabaseApplyArgs {
    /// The venture (a Supabase venture of the configuration).
    #[arg(long, value_name = "V")]
    pub venture: String,
    /// Only read and print the drift; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON instead of text.
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
        let cli = Cli::try_parse_from(["backstop", "pitr", "--venture", "acme", "--json"])
            .expect("parses");
        assert!(matches!(
            cli.command,
            Command::Pitr(VentureArgs { json: true, .. })
        ));
        let cli =
            Cli::try_parse_from(["backstop", "backups", "--venture", "acme"]).expect("parses");
        assert!(matches!(
            cli.command,
            Command::Backups(VentureArgs { json: false, .. })
        ));
        let cli = Cli::try_parse_from([
            "backstop",
            "recover",
            "--venture",
            "acme",
            "--to",
            "-15m",
            "--execute",
            "--confirm",
            "acme",
            "--target-dir",
            "/srv/r",
            "--start",
        ])
        .expect("parses");
        let Command::Recover(args) = cli.command else {
            panic!("recover")
        };
        assert_eq!(args.to, "-15m");
        assert!(args.execute && args.start);
        assert_eq!(args.confirm.as_deref(), Some("acme"));
        assert!(Cli::try_parse_from([
            "backstop",
            "recover",
            "--venture",
            "a",
            "--to=-1h",
            "--start"
        ])
        .is_err());
        let cli = Cli::try_parse_from([
            "backstop",
            "supabase",
            "apply",
            "--venture",
            "shop",
            "--dry-run",
        ])
        .expect("parses");
        let Command::Supabase {
            command: SupabaseCommand::Apply(args),
        } = cli.command
        else {
            panic!("supabase apply")
        };
        assert_eq!(args.venture, "shop");
        assert!(args.dry_run && !args.json);
        let cli = Cli::try_parse_from([
            "backstop",
            "drill",
            "--venture",
            "acme",
            "--to=-15m",
            "--json",
        ])
        .expect("parses");
        let Command::Drill(args) = cli.command else {
            panic!("drill")
        };
        assert_eq!((args.to.as_deref(), args.json), (Some("-15m"), true));
        let cli = Cli::try_parse_from([
            "backstop",
            "report",
            "--venture",
            "acme",
            "--since=-90d",
            "--format",
            "html",
        ])
        .expect("parses");
        let Command::Report(args) = cli.command else {
            panic!("report")
        };
        assert_eq!(
            (args.since.as_deref(), args.format.as_str()),
            (Some("-90d"), "html")
        );
        assert!(
            Cli::try_parse_from(["backstop", "report", "--venture", "a", "--format", "pdf"])
                .is_err()
        );
        let cli = Cli::try_parse_from(["backstop", "config", "check"]).expect("parses");
        assert!(matches!(
            cli.command,
            Command::Config {
                command: ConfigCommand::Check
            }
        ));
    }
}
