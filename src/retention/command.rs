//! `backstop retention`: the policy from the flags, timestamps from text, and the verdicts as a
//! table or JSON. Pure: `main.rs` reads stdin and prints what [`run`] returns.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use crate::cli::RetentionArgs;

use super::{evaluate, Item, Policy, RetentionError, Verdict};

/// The policy the flags describe; refused when empty (restic keeps nothing for it).
pub fn policy(args: &RetentionArgs) -> Result<Policy, RetentionError> {
    let policy = Policy {
        last: args.keep_last,
        hourly: args.keep_hourly,
        daily: args.keep_daily,
        weekly: args.keep_weekly,
        monthly: args.keep_monthly,
        yearly: args.keep_yearly,
        within: args.keep_within,
        within_hourly: args.keep_within_hourly,
        within_daily: args.keep_within_daily,
        within_weekly: args.keep_within_weekly,
        within_monthly: args.keep_within_monthly,
        within_yearly: args.keep_within_yearly,
    };
    if policy.is_empty() {
        return Err(RetentionError::EmptyPolicy);
    }
    Ok(policy)
}

/// One timestamp per line; blank lines are skipped. Returns each as given (trimmed) and parsed.
pub fn parse_input(text: &str) -> Result<Vec<(String, DateTime<FixedOffset>)>, RetentionError> {
    text.lines()
        .enumerate()
        .map(|(n, line)| (n + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty())
        .map(|(line, text)| {
            DateTime::parse_from_rfc3339(text)
                .map(|t| (text.to_string(), t))
                .map_err(|e| RetentionError::BadTimestamp {
                    line,
                    text: text.to_string(),
                    reason: e.to_string(),
                })
        })
        .collect()
}

/// One line of `--json` output.
#[derive(Debug, Serialize)]
struct JsonVerdict<'a> {
    time: &'a str,
    keep: bool,
    reasons: &'a [String],
}

/// Runs the command over `input` and returns what to print.
pub fn run(args: &RetentionArgs, input: &str) -> Result<String, RetentionError> {
    let policy = policy(args)?;
    let lines = parse_input(input)?;
    let items: Vec<Item> = lines.iter().map(|(_, t)| Item::at(*t)).collect();
    let verdicts = evaluate(&policy, &items);
    Ok(if args.json {
        json(&lines, &verdicts)
    } else {
        table(&lines, &verdicts)
    })
}

fn json(lines: &[(String, DateTime<FixedOffset>)], verdicts: &[Verdict]) -> String {
    let out: Vec<JsonVerdict<'_>> = lines
        .iter()
        .zip(verdicts)
        .map(|((time, _), v)| JsonVerdict {
            time,
            keep: v.keep,
            reasons: &v.reasons,
        })
        .collect();
    // Serialising strings and booleans cannot fail.
    let mut s = serde_json::to_string_pretty(&out).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}

fn table(lines: &[(String, DateTime<FixedOffset>)], verdicts: &[Verdict]) -> String {
    let width = lines.iter().map(|(t, _)| t.len()).max().unwrap_or(0).max(4);
    let mut s = format!("{:<width$}  {:<7}  REASONS\n", "TIME", "VERDICT");
    for ((time, _), v) in lines.iter().zip(verdicts) {
        let verdict = if v.keep { "keep" } else { "remove" };
        let line = format!("{time:<width$}  {verdict:<7}  {}", v.reasons.join(", "));
        s.push_str(line.trim_end());
        s.push('\n');
    }
    let kept = verdicts.iter().filter(|v| v.keep).count();
    s.push_str(&format!(
        "\n{kept} kept, {} removed, of {}\n",
        verdicts.len() - kept,
        verdicts.len()
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(flags: &[&str]) -> RetentionArgs {
        let mut argv = vec!["backstop", "retention"];
        argv.extend_from_slice(flags);
        match crate::cli::Cli::try_parse_from(argv)
            .expect("parses")
            .command
        {
            crate::cli::Command::Retention(a) => a,
            other => panic!("not retention: {other:?}"),
        }
    }

    const INPUT: &str = "2025-06-13T01:00:00Z\n\n2025-06-14T01:00:00Z\n2025-06-14T02:00:00+00:00\n";

    #[test]
    fn table_in_input_order() {
        let out = run(&args(&["--keep-daily", "2"]), INPUT).expect("runs");
        let want = "\
TIME                       VERDICT  REASONS
2025-06-13T01:00:00Z       keep     daily snapshot
2025-06-14T01:00:00Z       remove
2025-06-14T02:00:00+00:00  keep     daily snapshot

2 kept, 1 removed, of 3
";
        assert_eq!(out, want);
    }

    #[test]
    fn json_keeps_the_time_as_given() {
        let out = run(&args(&["--keep-last", "1", "--json"]), INPUT).expect("runs");
        let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
        assert_eq!(v[2]["time"], "2025-06-14T02:00:00+00:00");
        assert_eq!(v[2]["keep"], true);
        assert_eq!(v[2]["reasons"][0], "last snapshot");
        assert_eq!(v[0]["keep"], false);
        assert_eq!(v[0]["reasons"].as_array().map(Vec::len), Some(0));
    }

    #[test]
    fn bad_line_names_its_number() {
        let err = run(
            &args(&["--keep-last", "1"]),
            "2025-06-13T01:00:00Z\n\nyesterday\n",
        )
        .expect_err("refused");
        assert!(
            matches!(err, RetentionError::BadTimestamp { line: 3, .. }),
            "{err:?}"
        );
        assert!(
            err.to_string().starts_with("line 3: \"yesterday\""),
            "{err}"
        );
    }

    #[test]
    fn empty_policy_is_refused() {
        assert_eq!(run(&args(&[]), INPUT), Err(RetentionError::EmptyPolicy));
    }

    #[test]
    fn unlimited_and_within_flags() {
        let a = args(&[
            "--keep-monthly",
            "unlimited",
            "--keep-yearly",
            "-1",
            "--keep-within-daily",
            "1y1d1m",
        ]);
        let p = policy(&a).expect("valid");
        assert_eq!((p.monthly, p.yearly), (-1, -1));
        assert_eq!(p.within_daily.map(|d| d.to_string()), Some("1y1m1d".into()));
        assert!(
            crate::cli::Cli::try_parse_from(["backstop", "retention", "--keep-daily", "-2"])
                .is_err()
        );
        assert!(
            crate::cli::Cli::try_parse_from(["backstop", "retention", "--keep-within", "1w"])
                .is_err()
        );
    }
}
