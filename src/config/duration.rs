//! Human durations in the configuration: `"500ms"`, `"30s"`, `"15m"`, `"4h"`, `"30d"`, `"2w"`, `"1h30m"`.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserialize, Deserializer, Visitor};

use super::error::ConfigError;

/// Units accepted after a number, longest first so that `ms` wins over `m`.
const UNITS: [(&str, u64); 6] = [
    ("ms", 1),
    ("s", 1_000),
    ("m", 60_000),
    ("h", 3_600_000),
    ("d", 86_400_000),
    ("w", 604_800_000),
];

/// Parses a duration written as one or more `<number><unit>` pairs, e.g. `"1h30m"`.
pub fn parse_duration(input: &str) -> Result<Duration, ConfigError> {
    let invalid = || ConfigError::InvalidDuration {
        input: input.to_string(),
    };
    let mut rest = input;
    let mut total_ms: u64 = 0;
    if rest.is_empty() {
        return Err(invalid());
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(invalid());
        }
        let number: u64 = rest[..digits].parse().map_err(|_| invalid())?;
        rest = &rest[digits..];
        let (unit, factor) = UNITS
            .iter()
            .find(|(unit, _)| rest.starts_with(unit))
            .ok_or_else(invalid)?;
        rest = &rest[unit.len()..];
        let part = number.checked_mul(*factor).ok_or_else(invalid)?;
        total_ms = total_ms.checked_add(part).ok_or_else(invalid)?;
    }
    Ok(Duration::from_millis(total_ms))
}

/// Formats a duration the way the configuration writes it: `"1h30m"`, `"500ms"`, `"0s"`.
pub fn format_duration(duration: Duration) -> String {
    let mut ms = duration.as_millis();
    if ms == 0 {
        return "0s".to_string();
    }
    let mut out = String::new();
    for (unit, factor) in UNITS.iter().rev() {
        let factor = u128::from(*factor);
        if ms >= factor {
            out.push_str(&format!("{}{unit}", ms / factor));
            ms %= factor;
        }
    }
    out
}

/// A [`Duration`] that deserializes from a human duration string such as `"15m"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HumanDuration(pub Duration);

impl fmt::Display for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct HumanVisitor;

        impl Visitor<'_> for HumanVisitor {
            type Value = HumanDuration;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration string such as \"15m\"")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<HumanDuration, E> {
                parse_duration(v)
                    .map(HumanDuration)
                    .map_err(|e| E::custom(e.to_string()))
            }
        }

        deserializer.deserialize_str(HumanVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> u64 {
        parse_duration(s).expect(s).as_millis() as u64
    }

    #[test]
    fn parses_every_unit_and_compounds() {
        assert_eq!(ok("500ms"), 500);
        assert_eq!(ok("30s"), 30_000);
        assert_eq!(ok("15m"), 900_000);
        assert_eq!(ok("4h"), 14_400_000);
        assert_eq!(ok("30d"), 2_592_000_000);
        assert_eq!(ok("2w"), 1_209_600_000);
        assert_eq!(ok("1h30m"), 5_400_000);
        assert_eq!(ok("1m500ms"), 60_500);
        assert_eq!(ok("0s"), 0);
    }

    #[test]
    fn rejects_everything_else_with_a_clear_message() {
        for bad in [
            "",
            "15",
            "m",
            "15 minutes",
            "-5s",
            "1.5h",
            "15M",
            "1h 30m",
            "5y",
            "99999999999999999999s",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should be rejected");
        }
        assert_eq!(
            parse_duration("15 minutes").unwrap_err().to_string(),
            "invalid duration \"15 minutes\": write a number and a unit (ms, s, m, h, d, w), e.g. \"15m\""
        );
    }

    #[test]
    fn formats_back() {
        for s in [
            "500ms", "30s", "15m", "4h", "30d", "2w", "1h30m", "0s", "26h",
        ] {
            let formatted = format_duration(parse_duration(s).expect(s));
            assert_eq!(
                parse_duration(&formatted).expect(s),
                parse_duration(s).expect(s)
            );
        }
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_secs(26 * 3600)), "1d2h");
    }
}
