//! The recovery plan (pure): where the target falls in the window, which base backup, which WAL
//! range, and the exact steps; or a refusal naming the nearest recoverable points.

use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::RecoverError;
use crate::pitr::{locate, Located, Window};
use crate::state::ArchivedFile;

/// What the plan is computed from.
#[derive(Debug, Clone)]
pub struct PlanInput<'a> {
    /// The venture.
    pub venture: &'a str,
    /// The pgBackRest stanza.
    pub stanza: &'a str,
    /// pgbackrest.conf.
    pub config: &'a Path,
    /// The configured pgbackrest command (`pgbackrest`, or a wrapper).
    pub command: &'a str,
    /// The recovery window, as derived after one poll.
    pub window: Option<&'a Window>,
    /// The WAL archive listing (segment archive times bound the segment covering the target).
    pub archive: &'a [ArchivedFile],
    /// The recovery target.
    pub target: DateTime<Utc>,
    /// Where to restore; `None` prints `<DIR>`.
    pub target_dir: Option<&'a Path>,
}

/// A recovery that can be carried out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// The venture.
    pub venture: String,
    /// The recovery target.
    pub target: DateTime<Utc>,
    /// The backup to restore (`--set`): the newest that stopped at or before the target.
    pub base_backup: String,
    /// Earliest recoverable point of the window piece holding the target.
    pub piece_start: DateTime<Utc>,
    /// Latest recoverable point of that piece (an upper bound).
    pub piece_end: DateTime<Utc>,
    /// First WAL segment the replay reads (the piece's first).
    pub first_segment: String,
    /// The segment covering the target: the first archived at or after it, else the piece's last.
    pub last_segment: String,
    /// pgbackrest arguments after `--stanza=… --config=…`.
    pub restore_args: Vec<String>,
    /// The steps, for humans, in order.
    pub steps: Vec<String>,
}

/// How pgBackRest (and `recovery_target_time`) is given the target: UTC with microseconds.
pub fn target_arg(target: DateTime<Utc>) -> String {
    format!("{}+00", target.format("%Y-%m-%d %H:%M:%S%.6f"))
}

/// `restore --set=… --type=time --target=… --target-action=promote --target-timeline=current
/// --archive-mode=off --pg1-path=DIR --delta`.
pub fn restore_args(base_backup: &str, target: DateTime<Utc>, dir: &Path) -> Vec<String> {
    vec![
        "restore".to_owned(),
        format!("--set={base_backup}"),
        "--type=time".to_owned(),
        format!("--target={}", target_arg(target)),
        "--target-action=promote".to_owned(),
        "--target-timeline=current".to_owned(),
        "--archive-mode=off".to_owned(),
        format!("--pg1-path={}", dir.display()),
        "--delta".to_owned(),
    ]
}

/// RFC 3339 in UTC, with as many fractional digits as the time has.
fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Quotes an argument for a POSIX shell when it needs it.
pub fn shell(arg: &str) -> String {
    if arg
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_=./:,+@%".contains(c))
    {
        arg.to_owned()
    } else {
        format!("\"{}\"", arg.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// Places the target and builds the plan, or refuses naming the nearest recoverable points.
pub fn plan(input: &PlanInput<'_>) -> Result<Plan, RecoverError> {
    let empty = Window::default();
    let window = input.window.unwrap_or(&empty);
    let target = time(input.target);
    let refuse = |message: String| RecoverError::Outside { message };
    let (piece, base_backup) = match locate(window, input.target) {
        Located::Inside { piece, base_backup } => (&window.pieces[piece], base_backup),
        Located::InGap { before, after } => {
            return Err(refuse(format!(
                "{target} falls in a gap of the WAL archive; the nearest recoverable points are {} (before) and {} (after)",
                time(before),
                time(after)
            )))
        }
        Located::BeforeWindow { earliest } => {
            return Err(refuse(format!(
                "{target} is before the recovery window; the earliest recoverable point is {}",
                time(earliest)
            )))
        }
        Located::AfterWindow { latest } => {
            return Err(refuse(format!(
                "{target} is after the recovery window; the latest recoverable point is {} (an upper bound: the archive time of the newest WAL segment)",
                time(latest)
            )))
        }
        Located::NoWindow => {
            return Err(refuse(
                "nothing is recoverable: no usable backup with its WAL in the archive (run a full backup and check archiving)".to_owned(),
            ))
        }
    };
    let last_segment = input
        .archive
        .iter()
        .filter(|f| is_segment(&f.name))
        .filter(|f| f.name >= piece.first_segment && f.name <= piece.last_segment)
        .filter(|f| f.time >= input.target)
        .map(|f| f.name.clone())
        .min()
        .unwrap_or_else(|| piece.last_segment.clone());
    let dir = input.target_dir.unwrap_or(Path::new("<DIR>"));
    let restore_args = restore_args(&base_backup, input.target, dir);
    let steps = steps(input, &base_backup, &restore_args, dir);
    Ok(Plan {
        venture: input.venture.to_owned(),
        target: input.target,
        base_backup,
        piece_start: piece.start,
        piece_end: piece.end,
        first_segment: piece.first_segment.clone(),
        last_segment,
        restore_args,
        steps,
    })
}

fn is_segment(name: &str) -> bool {
    name.len() == 24 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

fn steps(input: &PlanInput<'_>, base: &str, args: &[String], dir: &Path) -> Vec<String> {
    let mut restore: Vec<String> = input.command.split_whitespace().map(shell).collect();
    restore.push(shell(&format!("--stanza={}", input.stanza)));
    restore.push(shell(&format!("--config={}", input.config.display())));
    restore.extend(args.iter().map(|a| shell(a)));
    let d = dir.display();
    let venture = input.venture;
    let target = time(input.target);
    vec![
        format!(
            "As the postgres OS user, restore backup {base} into {d} (empty or absent, never a running cluster's directory); \
             --archive-mode=off keeps the restored cluster from pushing WAL into the production repository:\n    {}",
            restore.join(" ")
        ),
        format!(
            "Let it start standalone: append to {d}/postgresql.auto.conf\n    port = '<a free port>'\n    listen_addresses = '127.0.0.1'\n    unix_socket_directories = ''"
        ),
        format!("Start it: pg_ctl -D {d} -l {d}/backstop-recover.log start"),
        format!(
            "Wait until `SELECT pg_is_in_recovery()` is false (replay stops at {target} and promotes), \
             then verify the data you need: the newest rows before {target} are there, later ones are not"
        ),
        format!(
            "Or let backstop do steps 1-4: backstop recover --venture {venture} --to {target} --execute --confirm {venture} --target-dir {d} --start"
        ),
    ]
}

/// The plan as text.
pub fn render(plan: &Plan) -> String {
    let mut out = format!(
        "Recovery of {} to {}\n  window piece: {} .. {}\n  base backup:  {} (--set)\n  WAL range:    {} .. {}\n\nSteps:\n",
        plan.venture,
        time(plan.target),
        time(plan.piece_start),
        time(plan.piece_end),
        plan.base_backup,
        plan.first_segment,
        plan.last_segment,
    );
    for (i, step) in plan.steps.iter().enumerate() {
        out.push_str(&format!("  {}. {step}\n", i + 1));
    }
    out
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
