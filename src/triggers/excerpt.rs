//! The output excerpt recorded with a trigger run (pure): the end of what the command printed,
//! capped, with secrets removed — the venture's DSNs and webhook URL as configured, plus
//! anything that looks like a password (`scheme://user:PASSWORD@host`, `password=…`,
//! `PGPASSWORD=…`).

/// Characters of output kept in a run's record.
pub const MAX_EXCERPT: usize = 2000;

/// What replaces a secret.
const REDACTED: &str = "[redacted]";

/// The last `max` characters of standard output followed by standard error, trimmed, without
/// `secrets` or password-looking values; `…` marks a cut.
pub fn excerpt(stdout: &[u8], stderr: &[u8], secrets: &[&str], max: usize) -> String {
    let out = String::from_utf8_lossy(stdout);
    let err = String::from_utf8_lossy(stderr);
    let both = [out.trim(), err.trim()]
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    tail(&redact(&both, secrets), max)
}

/// `text` without `secrets` (longest first, so a DSN goes before its password) and without
/// password-looking values.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut sorted: Vec<&str> = secrets.iter().copied().filter(|s| s.len() >= 4).collect();
    sorted.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = text.to_owned();
    for secret in sorted {
        out = out.replace(secret, REDACTED);
    }
    passwords_in_key_values(&url_passwords(&out))
}

/// `scheme://user:secret@host` → `scheme://user:[redacted]@host`.
fn url_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| c.is_whitespace() || matches!(c, '/' | '?' | '#' | '"' | '\'' | '>'))
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority
            .rfind('@')
            .and_then(|at| authority[..at].find(':').map(|colon| (colon, at)))
        {
            Some((colon, at)) => {
                out.push_str(&authority[..=colon]);
                out.push_str(REDACTED);
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// `password=secret` (any case, so `PGPASSWORD=` too) → `password=[redacted]`.
fn passwords_in_key_values(text: &str) -> String {
    const KEY: &str = "password=";
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut from = 0;
    while let Some(i) = lower[from..].find(KEY) {
        let value_at = from + i + KEY.len();
        out.push_str(&text[from..value_at]);
        let quoted = text[value_at..].starts_with('\'');
        let value_end = if quoted {
            text[value_at + 1..]
                .find('\'')
                .map_or(text.len(), |q| value_at + 1 + q + 1)
        } else {
            text[value_at..]
                .find(|c: char| c.is_whitespace() || matches!(c, '&' | ';' | '"'))
                .map_or(text.len(), |e| value_at + e)
        };
        out.push_str(REDACTED);
        from = value_end;
    }
    out.push_str(&text[from..]);
    out
}

/// The last `max` characters, starting with `…` when cut.
fn tail(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_owned();
    }
    let mut out = String::from("…");
    out.extend(text.chars().skip(count - max.saturating_sub(1)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_password_looking_values_go() {
        let cases = [
            (
                "connecting to postgres://app:s3cr3t@db:5432/x failed",
                "connecting to postgres://app:[redacted]@db:5432/x failed",
            ),
            (
                "host=db password=s3cr3t user=app",
                "host=db password=[redacted] user=app",
            ),
            ("PGPASSWORD=hunter2 psql", "PGPASSWORD=[redacted] psql"),
            ("password='a b' x", "password=[redacted] x"),
            (
                "see https://example.com/docs",
                "see https://example.com/docs",
            ),
            ("user@host: done", "user@host: done"),
        ];
        for (text, want) in cases {
            assert_eq!(redact(text, &[]), want, "{text}");
        }
        assert_eq!(
            redact(
                "POST https://hooks.example.com/T0/B1/xyz failed",
                &["https://hooks.example.com/T0/B1/xyz"]
            ),
            "POST [redacted] failed"
        );
        assert_eq!(
            redact("tiny ab", &["ab"]),
            "tiny ab",
            "too short to mean anything"
        );
    }

    #[test]
    fn the_excerpt_is_the_capped_end_of_both_streams() {
        assert_eq!(excerpt(b"out\n", b"  err\n", &[], 100), "out\nerr");
        assert_eq!(excerpt(b"", b"err", &[], 100), "err");
        let long = "x".repeat(50) + "THE END";
        let cut = excerpt(long.as_bytes(), b"", &[], 10);
        assert_eq!(cut, "…xxTHE END");
    }
}
