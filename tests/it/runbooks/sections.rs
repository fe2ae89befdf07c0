//! The structure of a Markdown runbook: its title, its `## ` sections in order, and its links.

use std::path::{Component, Path, PathBuf};

/// A `## ` section: its heading, the line it starts on and its text up to the next `## `.
#[derive(Debug)]
pub struct Section {
    /// The heading without `## `.
    pub heading: String,
    /// The body (fenced code blocks included).
    pub body: String,
}

/// The `# ` title on the first non-empty line, if there is one.
pub fn title(markdown: &str) -> Option<&str> {
    markdown
        .lines()
        .find(|l| !l.trim().is_empty())
        .and_then(|l| l.strip_prefix("# "))
        .map(str::trim)
}

/// The `## ` sections, in order; headings inside fenced code blocks do not count.
pub fn sections(markdown: &str) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    let mut in_fence = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") || line.trim_start().starts_with("~~~") {
            in_fence = !in_fence;
        }
        if !in_fence {
            if let Some(h) = line.strip_prefix("## ") {
                out.push(Section {
                    heading: h.trim().to_owned(),
                    body: String::new(),
                });
                continue;
            }
        }
        if let Some(s) = out.last_mut() {
            s.body.push_str(line);
            s.body.push('\n');
        }
    }
    out
}

/// The targets of the inline links `[text](target)` in `text` (without the `#fragment`).
pub fn link_targets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("](") {
        rest = &rest[i + 2..];
        let Some(end) = rest.find(')') else { break };
        let target = &rest[..end];
        let target = target.split('#').next().unwrap_or_default();
        if !target.is_empty() {
            out.push(target.to_owned());
        }
        rest = &rest[end..];
    }
    out
}

/// A relative link target resolved against the directory of `file`, `..` applied lexically;
/// `None` for absolute URLs.
pub fn resolve(file: &Path, target: &str) -> Option<PathBuf> {
    if target.contains("://") || target.starts_with("mailto:") {
        return None;
    }
    let mut out = file.parent().map(Path::to_path_buf).unwrap_or_default();
    for part in Path::new(target).components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    Some(out)
}
