//! deploy/backstop.service is a unit systemd accepts, and starts the agent the way the CLI
//! parses (`run --config FILE`).

use clap::Parser;
use std::path::Path;
use std::process::Command;

/// `systemd-analyze verify` on a copy of the unit whose binary path is this build's binary.
#[test]
fn unit_file_verifies() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let unit = std::fs::read_to_string(root.join("deploy/backstop.service")).expect("unit file");
    let bin = env!("CARGO_BIN_EXE_backstop");
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("ExecStart line");
    let args: Vec<&str> = exec.split_whitespace().collect();
    assert_eq!(args[0], "/usr/local/bin/backstop", "{exec}");
    backstop::cli::Cli::try_parse_from(args.iter().map(|a| a.replace("/usr/local/bin/", "")))
        .unwrap_or_else(|e| panic!("ExecStart does not parse: {e}"));

    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("backstop.service");
    std::fs::write(&copy, unit.replace("/usr/local/bin/backstop", bin)).expect("write unit");
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&copy)
        .output()
        .unwrap_or_else(|e| {
            panic!("systemd-analyze: {e}; install it with: apt-get install -y systemd")
        });
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The unit names a user and paths that exist only on an installed host; anything else
    // systemd reports is a mistake in the unit.
    let problems: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .filter(|l| !l.contains("Failed to resolve user") && !l.contains("/var/lib/backstop"))
        .collect();
    assert!(
        out.status.success() && problems.is_empty(),
        "systemd-analyze verify:\n{stderr}"
    );
}
