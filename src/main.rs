//! The `backstop` binary: parse the command line, run the command, map the outcome to an exit
//! code (0 ok, 1 warning or user error, 2 critical or failed).

use std::io::Read;
use std::process::ExitCode;

use clap::Parser;

use backstop::cli::{Cli, Command, ConfigCommand, SupabaseCommand};
use backstop::config::{self, Config};
use backstop::telemetry::{self, LogFormat};

fn main() -> ExitCode {
    ignore_file_size_signal();
    let cli = Cli::parse();
    // `retention` is pure and reads stdin: it needs no configuration, so a missing or broken
    // config file must not stop it.
    if let Command::Retention(args) = &cli.command {
        return ExitCode::from(retention(args));
    }
    let config = match config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            eprintln!("fix the configuration, then run `backstop config check` again");
            return ExitCode::from(1);
        }
    };
    let format = match cli.log_format.as_deref() {
        Some("json") => LogFormat::Json,
        Some(_) => LogFormat::Text,
        None => config.agent.log_format,
    };
    // The agent logs its state changes; one-shot commands print their answer and keep the log
    // to warnings (BACKSTOP_LOG still overrides both).
    let long_running = matches!(cli.command, Command::Run | Command::Demo(_));
    let _telemetry = telemetry::init(format, if long_running { "info" } else { "warn" });
    for w in &config.warnings {
        tracing::warn!("{w}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("backstop: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let code = runtime.block_on(dispatch(cli.command, config));
    ExitCode::from(code)
}

/// A file-size limit (`ulimit -f`, systemd's `LimitFSIZE`) must reach the state store as a
/// write error it reports (EFBIG), not kill the agent with SIGXFSZ.
fn ignore_file_size_signal() {
    use nix::sys::signal::{signal, SigHandler, Signal};
    // SAFETY: SIG_IGN installs no handler code, and no other thread runs yet.
    if let Err(e) = unsafe { signal(Signal::SIGXFSZ, SigHandler::SigIgn) } {
        eprintln!("backstop: cannot ignore SIGXFSZ ({e}); a file-size limit would stop the agent");
    }
}

async fn dispatch(command: Command, config: Config) -> u8 {
    match command {
        Command::Run => match backstop::agent::run(&config).await {
            Ok(()) => 0,
            Err(e) => fail(&e),
        },
        Command::Check(args) => backstop::check::run(&config, args.json).await,
        Command::Pitr(args) => {
            backstop::inspect::pitr::run(&config, &args.venture, args.json).await
        }
        Command::Backups(args) => {
            backstop::inspect::backups::run(&config, &args.venture, args.json).await
        }
        Command::Config {
            command: ConfigCommand::Check,
        } => {
            println!("{}", config::summary(&config));
            0
        }
        Command::Retention(args) => retention(&args),
        Command::Recover(args) => backstop::recover::run(&config, &args).await,
        Command::Supabase {
            command: SupabaseCommand::Apply(args),
        } => backstop::sources::supabase::apply::run(&config, &args).await,
        Command::Drill(args) => backstop::drill::command::run(&config, &args).await,
        Command::Failover(args) => backstop::failover::command::run(&config, &args).await,
        Command::Report(args) => backstop::report::command::run(&config, &args).await,
        Command::Demo(args) => match backstop::demo::run(&config, &args).await {
            Ok(()) => 0,
            Err(e) => fail(&e),
        },
    }
}

/// `backstop retention`: stdin in, verdicts out; exit 1 on bad input with the line to fix.
fn retention(args: &backstop::cli::RetentionArgs) -> u8 {
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        eprintln!("backstop: cannot read timestamps from stdin: {e}; pipe one RFC 3339 timestamp per line");
        return 1;
    }
    match backstop::retention::command::run(args, &input) {
        Ok(out) => {
            print!("{out}");
            0
        }
        Err(e) => {
            eprintln!("backstop: {e}");
            1
        }
    }
}

fn fail(e: &dyn std::fmt::Display) -> u8 {
    let msg = format!("backstop: {e}");
    tracing::error!("{msg}");
    eprintln!("{msg}");
    2
}
