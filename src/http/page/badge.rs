//! Readiness and outcome badges: a word and a symbol, with colour only as a third cue.

use crate::view::Readiness;

/// `<span class="badge ok">✓ OK</span>` and its siblings.
pub fn readiness(r: Readiness) -> &'static str {
    match r {
        Readiness::Ok => r#"<span class="badge ok">✓ OK</span>"#,
        Readiness::Warning => r#"<span class="badge warning">! Warning</span>"#,
        Readiness::Critical => r#"<span class="badge critical">✗ Critical</span>"#,
        Readiness::Unknown => r#"<span class="badge unknown">? Unknown</span>"#,
    }
}

/// A yes/no/unknown fact as a badge: `yes` ok, `no` critical.
pub fn passed(p: Option<bool>, yes: &str, no: &str) -> String {
    match p {
        Some(true) => format!(r#"<span class="badge ok">✓ {yes}</span>"#),
        Some(false) => format!(r#"<span class="badge critical">✗ {no}</span>"#),
        None => r#"<span class="badge unknown">? unknown</span>"#.to_owned(),
    }
}

/// "within the objective" / "above the objective", in words and symbols.
pub fn met(m: Option<bool>) -> &'static str {
    match m {
        Some(true) => r#"<span class="met">✓ within</span>"#,
        Some(false) => r#"<span class="missed">✗ above</span>"#,
        None => r#"<span class="unknown">not measured</span>"#,
    }
}
