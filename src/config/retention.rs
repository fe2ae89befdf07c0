//! `retention` of a venture: one validator for the configuration file's
//! `[ventures.retention]` and the JSON body of `PUT …/objectives` (the same keys, the same
//! ranges), and the policy written back as the configuration writes it.

use super::raw::RawRetention;
use super::venture::RetentionPolicy;

/// The rule keys, in order (as in `[ventures.retention]`).
pub const RETENTION_KEYS: [&str; 6] = ["last", "hourly", "daily", "weekly", "monthly", "yearly"];

/// The policy of `raw`: exactly what is given, absent rules 0 (unused). Each out-of-range
/// count is returned as `(key, message)` and counts as 0 (pure).
pub(crate) fn policy(raw: &RawRetention) -> (RetentionPolicy, Vec<(&'static str, String)>) {
    let mut problems = Vec::new();
    let mut rule = |key: &'static str, value: Option<i64>| -> i32 {
        let Some(n) = value else { return 0 };
        match i32::try_from(n) {
            Ok(n) if n >= -1 => n,
            _ => {
                problems.push((
                    key,
                    format!(
                        "{n} is out of range: use a count of backups to keep, or -1 for unlimited"
                    ),
                ));
                0
            }
        }
    };
    let policy = RetentionPolicy {
        last: rule("last", raw.last),
        hourly: rule("hourly", raw.hourly),
        daily: rule("daily", raw.daily),
        weekly: rule("weekly", raw.weekly),
        monthly: rule("monthly", raw.monthly),
        yearly: rule("yearly", raw.yearly),
    };
    (policy, problems)
}

/// A policy from JSON (`{"daily": 14, "weekly": 4}`), validated like the configuration file;
/// an error names the key as `retention.<key>` and says what to write (pure).
pub fn retention_from_json(value: &serde_json::Value) -> Result<RetentionPolicy, String> {
    let serde_json::Value::Object(map) = value else {
        return Err(format!(
            "retention: {value} is not a policy; write an object of counts such as {{\"daily\": 7, \"weekly\": 4}} (keys {}; -1 = unlimited), or null to use the configured policy",
            RETENTION_KEYS.join(", ")
        ));
    };
    let mut raw = RawRetention::default();
    for (key, v) in map {
        let slot = match key.as_str() {
            "last" => &mut raw.last,
            "hourly" => &mut raw.hourly,
            "daily" => &mut raw.daily,
            "weekly" => &mut raw.weekly,
            "monthly" => &mut raw.monthly,
            "yearly" => &mut raw.yearly,
            _ => {
                return Err(format!(
                    "retention.{key}: unknown rule; the rules are {} (as in [ventures.retention])",
                    RETENTION_KEYS.join(", ")
                ))
            }
        };
        *slot = Some(v.as_i64().ok_or_else(|| {
            format!(
                "retention.{key}: {v} is not a count; write a whole number of backups to keep, or -1 for unlimited"
            )
        })?);
    }
    match policy(&raw) {
        (p, problems) if problems.is_empty() => Ok(p),
        (_, problems) => Err(problems
            .iter()
            .map(|(key, m)| format!("retention.{key}: {m}"))
            .collect::<Vec<_>>()
            .join("; ")),
    }
}

impl RetentionPolicy {
    /// The counts as `[last, hourly, daily, weekly, monthly, yearly]`.
    pub fn counts(&self) -> [i32; 6] {
        [
            self.last,
            self.hourly,
            self.daily,
            self.weekly,
            self.monthly,
            self.yearly,
        ]
    }

    /// The policy as the configuration writes it: `{ daily = 7, weekly = 4 }` (rules in use
    /// only; `{}` when none is).
    pub fn describe(&self) -> String {
        let rules: Vec<String> = RETENTION_KEYS
            .iter()
            .zip(self.counts())
            .filter(|(_, n)| *n != 0)
            .map(|(k, n)| format!("{k} = {n}"))
            .collect();
        if rules.is_empty() {
            "{}".to_owned()
        } else {
            format!("{{ {} }}", rules.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<RetentionPolicy, String> {
        retention_from_json(&serde_json::from_str(s).expect("json"))
    }

    #[test]
    fn json_policies_are_validated_like_the_file() {
        let p = parse(r#"{"last": 3, "daily": 14, "yearly": -1}"#).expect("ok");
        assert_eq!(
            p,
            RetentionPolicy {
                last: 3,
                daily: 14,
                yearly: -1,
                ..RetentionPolicy::default()
            }
        );
        assert_eq!(p.describe(), "{ last = 3, daily = 14, yearly = -1 }");
        assert_eq!(parse("{}").expect("empty").describe(), "{}");
        let cases = [
            (r#"{"daily": -2}"#, "retention.daily: -2 is out of range"),
            (
                r#"{"weekly": 3000000000}"#,
                "retention.weekly: 3000000000 is out of range",
            ),
            (r#"{"keep_last": 7}"#, "retention.keep_last: unknown rule"),
            (r#"{"daily": "7"}"#, "retention.daily: \"7\" is not a count"),
            (r#"{"daily": 1.5}"#, "retention.daily: 1.5 is not a count"),
            ("7", "retention: 7 is not a policy"),
        ];
        for (body, want) in cases {
            let got = parse(body).expect_err(body);
            assert!(got.contains(want), "{body}: {got}");
        }
    }
}
