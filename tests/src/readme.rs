//! README.md as executable documentation: its fenced blocks that start with
//! `$ COMMAND` (a trailing `\` continues the command on the next line) followed by the
//! output that command prints. Tests run each command and compare; `...` on a line of
//! its own stands for any number of lines (the README shows only part of a long
//! output). With `README_UPDATE=1` a differing block is rewritten from what the
//! command printed instead of failing (after a deliberate change of messages), keeping
//! its `...` elisions.

use std::path::PathBuf;

/// One `$ COMMAND` of the README with the output lines shown under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// The command as written, continuation lines joined with single spaces.
    pub command: String,
    /// The output lines shown under it, up to the next `$ ` or the block's end.
    pub output: Vec<String>,
    /// 0-based line of the `$ ` line in the README.
    pub line: usize,
    /// Lines the command itself takes (1 plus its continuation lines).
    pub command_lines: usize,
}

pub fn readme_path() -> PathBuf {
    crate::workspace_root().join("README.md")
}

/// Every `$ ` example of a README text, in order.
pub fn examples(readme: &str) -> Vec<Example> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut out = Vec::new();
    let mut in_block = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim_start().starts_with("```") {
            in_block = !in_block;
            i += 1;
            continue;
        }
        let Some(first) = line.strip_prefix("$ ").filter(|_| in_block) else {
            i += 1;
            continue;
        };
        let start = i;
        let mut command = first.trim_end().to_string();
        while command.ends_with('\\') && i + 1 < lines.len() {
            command.pop();
            i += 1;
            command = format!("{} {}", command.trim_end(), lines[i].trim());
        }
        i += 1;
        let mut output = Vec::new();
        while i < lines.len() && !lines[i].starts_with("$ ") && !lines[i].starts_with("```") {
            output.push(lines[i].to_string());
            i += 1;
        }
        let command_lines = i - start - output.len();
        out.push(Example {
            command,
            output,
            line: start,
            command_lines,
        });
    }
    out
}

/// Splits a command line as a POSIX shell would for the plain words the README uses:
/// whitespace separates, single and double quotes group (without expansion).
pub fn words(command: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some(q) if q == c => break,
                        Some(other) => word.push(other),
                        None => return Err(format!("unclosed {c} in {command:?}")),
                    }
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '|' | '>' | '<' | ';' | '&' | '$' | '`' => {
                return Err(format!(
                    "{command:?}: shell syntax ({c}) is not run by the README tests; show a plain command"
                ));
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

fn trimmed(lines: &[String]) -> Vec<String> {
    let mut out: Vec<String> = lines.iter().map(|l| l.trim_end().to_string()).collect();
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out
}

fn is_gap(line: &str) -> bool {
    line.trim() == "..."
}

/// Whether `actual` is what `shown` shows: equal line by line (trailing spaces and
/// trailing empty lines aside), a `...` line standing for any number of lines.
pub fn matches(shown: &[String], actual: &str) -> bool {
    let shown = trimmed(shown);
    let actual: Vec<String> = trimmed(&actual.lines().map(str::to_string).collect::<Vec<_>>());
    fn go(p: &[String], a: &[String]) -> bool {
        match p.first() {
            None => a.is_empty(),
            Some(l) if is_gap(l) => (0..=a.len()).any(|skip| go(&p[1..], &a[skip..])),
            Some(l) => a.first() == Some(l) && go(&p[1..], &a[1..]),
        }
    }
    go(&shown, &actual)
}

/// The output to show for `actual`, keeping the shape of `shown`: without `...` the
/// whole output; a leading segment (before the first `...`) as many first lines as it
/// had, a trailing one (after the last `...`) as many last lines; a segment between
/// two `...` is the paragraph of `actual` (up to an empty line) that starts with the
/// same word as the segment did, or is kept as it was when there is none.
pub fn reshaped(shown: &[String], actual: &str) -> Vec<String> {
    let actual: Vec<String> = trimmed(&actual.lines().map(str::to_string).collect::<Vec<_>>());
    let shown = trimmed(shown);
    let gaps: Vec<usize> = (0..shown.len()).filter(|&i| is_gap(&shown[i])).collect();
    let (Some(&first_gap), Some(&last_gap)) = (gaps.first(), gaps.last()) else {
        return actual;
    };
    let head = first_gap.min(actual.len());
    let tail = (shown.len() - last_gap - 1).min(actual.len() - head);
    let mut out: Vec<String> = actual[..head].to_vec();
    let middle = &shown[first_gap..=last_gap];
    let mut i = 0;
    while i < middle.len() {
        if is_gap(&middle[i]) {
            out.push(middle[i].clone());
            i += 1;
            continue;
        }
        let end = (i..middle.len())
            .find(|&j| is_gap(&middle[j]))
            .unwrap_or(middle.len());
        let first_word = middle[i].split_whitespace().next().unwrap_or_default();
        let found = actual[head..actual.len() - tail]
            .iter()
            .position(|l| l.split_whitespace().next() == Some(first_word));
        match found {
            Some(at) => out.extend(
                actual[head + at..actual.len() - tail]
                    .iter()
                    .take_while(|l| !l.is_empty())
                    .cloned(),
            ),
            None => out.extend(middle[i..end].iter().cloned()),
        }
        i = end;
    }
    out.extend(actual[actual.len() - tail..].iter().cloned());
    out
}

/// Rewrites the output of the example at `line` (0-based, as [`Example::line`]) in
/// the README file with `output`.
pub fn update(line: usize, output: &[String]) -> Result<(), String> {
    let path = readme_path();
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let example = examples(&text)
        .into_iter()
        .find(|e| e.line == line)
        .ok_or_else(|| format!("README.md has no example at line {}", line + 1))?;
    let lines: Vec<&str> = text.lines().collect();
    let body = line + example.command_lines;
    let mut out: Vec<String> = lines[..body].iter().map(|l| l.to_string()).collect();
    out.extend(output.iter().cloned());
    out.extend(
        lines[body + example.output.len()..]
            .iter()
            .map(|l| l.to_string()),
    );
    std::fs::write(&path, out.join("\n") + "\n").map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    #[test]
    fn blocks_commands_continuations_and_outputs() {
        let text = "intro\n$ not in a block\n```text\n$ a one\nout 1\nout 2\n$ b \\\n    --x y\n```\n```sh\nplain\n```\n";
        let found = examples(text);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].command, "a one");
        assert_eq!(found[0].output, v(&["out 1", "out 2"]));
        assert_eq!(found[1].command, "b --x y");
        assert_eq!(found[1].command_lines, 2);
        assert!(found[1].output.is_empty());
    }

    #[test]
    fn gaps_match_any_lines_and_reshape_keeps_them() {
        let shown = v(&["a", "...", "z"]);
        assert!(matches(&shown, "a\nb\nc\nz\n"));
        assert!(matches(&shown, "a\nz"));
        assert!(!matches(&shown, "a\nb"));
        assert!(!matches(&v(&["a"]), "a\nb"));
        assert!(matches(&v(&["a  ", ""]), "a\n"));
        assert_eq!(reshaped(&shown, "A\nb\nZ\n"), v(&["A", "...", "Z"]));
        assert_eq!(
            reshaped(&v(&["...", "y", "z"]), "a\nb\nY\nZ"),
            v(&["...", "Y", "Z"])
        );
        assert_eq!(reshaped(&v(&["x"]), "p\nq"), v(&["p", "q"]));
        assert_eq!(
            reshaped(
                &v(&["...", "What if 1", "old", "..."]),
                "a\nWhat if 2\nnew\n\nb"
            ),
            v(&["...", "What if 2", "new", "..."])
        );
    }

    #[test]
    fn words_split_like_a_shell_and_refuse_shell_syntax() {
        assert_eq!(
            words("kubectl flink check -f 'a b.yaml' --set \"k=v w\"").unwrap(),
            v(&[
                "kubectl", "flink", "check", "-f", "a b.yaml", "--set", "k=v w"
            ])
        );
        assert!(words("a | b").is_err());
        assert!(words("a 'b").is_err());
    }
}
