//! The `backstop …` command lines of a Markdown file's fenced code blocks, as shell words.
//!
//! A reader copies these lines into a terminal at 3 a.m., so they are read the way a POSIX shell
//! would: `\` line continuations joined, a `$ ` prompt dropped, quotes and backslashes honoured,
//! pipelines and lists (`|`, `&&`, `||`, `;`) split into commands, redirections and comments
//! cut off, leading `NAME=value` assignments skipped. A word that the shell would expand (`$VAR`,
//! `$(…)`) or a `<placeholder>` is reported: runbooks use concrete examples instead.

/// One `backstop` command found in a fenced block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// 1-based line of the command's first physical line.
    pub line: usize,
    /// The logical line as written (continuations joined).
    pub text: String,
    /// Its words, starting with `backstop`, or why they cannot be taken literally.
    pub words: Result<Vec<String>, String>,
}

/// A shell token: a word, or an operator that ends a simple command's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A word after quote removal, and whether the shell would expand part of it.
    Word { text: String, expands: bool },
    /// `|`, `||`, `&&`, `;` or `&`: the next word starts a new command.
    Separator,
    /// `>`, `>>`, `<`, `2>`, `2>&1`, …: the command's own arguments ended before it.
    Redirect,
}

/// Every `backstop …` command inside the fenced code blocks of `markdown`.
pub fn backstop_commands(markdown: &str) -> Vec<Found> {
    let mut out = Vec::new();
    let mut fence: Option<String> = None;
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in markdown.lines().enumerate() {
        let trimmed = raw.trim_start();
        match &fence {
            None => {
                if let Some(marker) = fence_marker(trimmed) {
                    fence = Some(marker);
                }
                continue;
            }
            Some(marker) if pending.is_none() && trimmed.starts_with(marker.as_str()) => {
                fence = None;
                continue;
            }
            Some(_) => {}
        }
        let (start, mut joined) = pending.take().unwrap_or((i + 1, String::new()));
        if let Some(head) = raw.strip_suffix('\\') {
            joined.push_str(head);
            joined.push(' ');
            pending = Some((start, joined));
            continue;
        }
        joined.push_str(raw);
        collect(start, &joined, &mut out);
    }
    if let Some((start, joined)) = pending {
        collect(start, &joined, &mut out);
    }
    out
}

/// Every `` `backstop … --venture …` `` inline code span outside fenced blocks: in runbooks, prose
/// commands for a venture are copied too (a span naming a command, `backstop pitr`, is not a
/// command line; README.md and docs/ show syntax like `--venture V` in prose, so not there).
pub fn inline_backstop_commands(markdown: &str) -> Vec<Found> {
    let mut out = Vec::new();
    let mut in_fence = false;
    for (i, line) in markdown.lines().enumerate() {
        if fence_marker(line.trim_start()).is_some() {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        for (n, span) in line.split('`').enumerate() {
            if n % 2 == 1 && span.starts_with("backstop ") && span.contains(" --venture") {
                collect(i + 1, span, &mut out);
            }
        }
    }
    out
}

/// "```" or "~~~" (three or more) opening a fence, as the string that closes it.
fn fence_marker(line: &str) -> Option<String> {
    for c in ['`', '~'] {
        let n = line.chars().take_while(|&x| x == c).count();
        if n >= 3 {
            return Some(std::iter::repeat_n(c, n).collect());
        }
    }
    None
}

fn collect(line: usize, logical: &str, out: &mut Vec<Found>) {
    let text = logical.trim();
    let body = text.strip_prefix("$ ").unwrap_or(text);
    let tokens = match tokenize(body) {
        Ok(t) => t,
        Err(e) => {
            if body.split_whitespace().any(|w| w == "backstop") {
                out.push(Found {
                    line,
                    text: text.to_owned(),
                    words: Err(e),
                });
            }
            return;
        }
    };
    for command in tokens.split(|t| *t == Token::Separator) {
        let args: Vec<&Token> = command
            .iter()
            .take_while(|t| **t != Token::Redirect)
            .skip_while(|t| matches!(t, Token::Word { text, .. } if is_assignment(text)))
            .collect();
        let is_backstop =
            matches!(args.first(), Some(Token::Word { text, .. }) if text == "backstop");
        if !is_backstop {
            continue;
        }
        let words = args
            .iter()
            .map(|t| match t {
                Token::Word { text, expands } if *expands => Err(format!(
                    "{text:?} is expanded by the shell: write a concrete example (acme, 2026-11-27T08:00:00Z, pg2)"
                )),
                Token::Word { text, .. } if is_placeholder(text) => Err(format!(
                    "{text:?} is a placeholder: write a concrete example (acme, 2026-11-27T08:00:00Z, pg2)"
                )),
                Token::Word { text, .. } => Ok(text.clone()),
                _ => Err("unexpected operator".to_owned()),
            })
            .collect();
        out.push(Found {
            line,
            text: text.to_owned(),
            words,
        });
    }
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
            && !name.starts_with(|c: char| c.is_ascii_digit())
    })
}

fn is_placeholder(word: &str) -> bool {
    word.find('<')
        .is_some_and(|open| word[open..].contains('>'))
}

/// POSIX-shell words of one logical line (no here-documents or nested quoting beyond `"…"`).
fn tokenize(line: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = line.chars().peekable();
    let mut word = String::new();
    let mut in_word = false;
    let mut expands = false;
    let flush =
        |tokens: &mut Vec<Token>, word: &mut String, in_word: &mut bool, expands: &mut bool| {
            if *in_word {
                tokens.push(Token::Word {
                    text: std::mem::take(word),
                    expands: *expands,
                });
            }
            *in_word = false;
            *expands = false;
        };
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => flush(&mut tokens, &mut word, &mut in_word, &mut expands),
            '#' if !in_word => break,
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => word.push(x),
                        None => return Err("unterminated ' quote".to_owned()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('"' | '\\' | '$' | '`')) => word.push(x),
                            Some(x) => {
                                word.push('\\');
                                word.push(x);
                            }
                            None => return Err("unterminated \" quote".to_owned()),
                        },
                        Some(x) => {
                            expands |= x == '$' || x == '`';
                            word.push(x);
                        }
                        None => return Err("unterminated \" quote".to_owned()),
                    }
                }
            }
            '|' | ';' | '&' => {
                flush(&mut tokens, &mut word, &mut in_word, &mut expands);
                if chars.peek() == Some(&c) {
                    chars.next();
                }
                tokens.push(Token::Separator);
            }
            // `<placeholder>`: a redirection to a shell, but in a runbook a word to replace.
            '<' if placeholder_ahead(&chars) => {
                in_word = true;
                word.push(c);
                for x in chars.by_ref() {
                    word.push(x);
                    if x == '>' {
                        break;
                    }
                }
            }
            '>' | '<' => {
                let fd = in_word && !word.is_empty() && word.chars().all(|d| d.is_ascii_digit());
                if fd {
                    word.clear();
                    in_word = false;
                    expands = false;
                }
                flush(&mut tokens, &mut word, &mut in_word, &mut expands);
                tokens.push(Token::Redirect);
                // `>&1`, `>>`: part of the operator, not a word.
                while matches!(chars.peek(), Some('>' | '&')) {
                    chars.next();
                }
            }
            '$' | '`' => {
                in_word = true;
                expands = true;
                word.push(c);
            }
            _ => {
                in_word = true;
                word.push(c);
            }
        }
    }
    flush(&mut tokens, &mut word, &mut in_word, &mut expands);
    Ok(tokens)
}

/// Whether the characters after a `<` close it with `>` before any whitespace: `<ENDPOINT>`.
fn placeholder_ahead(chars: &std::iter::Peekable<std::str::Chars<'_>>) -> bool {
    let rest: String = chars.clone().take_while(|c| !c.is_whitespace()).collect();
    rest.len() > 1 && rest.contains('>') && !rest.starts_with(['>', '&', '<'])
}
