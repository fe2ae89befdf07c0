//! HTML escaping: every text and attribute value the page shows goes through [`esc`], so a
//! venture name, a backup label or an error message can never become markup.

/// `s` with `& < > " '` replaced by character references; safe in text and in quoted attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn markup_characters_become_references() {
        let cases = [
            ("acme", "acme"),
            ("<script>x</script>", "&lt;script&gt;x&lt;/script&gt;"),
            ("a&b", "a&amp;b"),
            (r#"" onload="x"#, "&quot; onload=&quot;x"),
            ("it's", "it&#39;s"),
            ("", ""),
            ("ünïcödé ✓", "ünïcödé ✓"),
        ];
        for (input, want) in cases {
            assert_eq!(esc(input), want, "{input}");
        }
    }
}
