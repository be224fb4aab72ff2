//! Shell completion: the scripts of `kubectl-flink completion SHELL` (bash, zsh,
//! fish, ...), and kubectl's plugin completion (`kubectl flink <TAB>`, kubectl >=
//! 1.26), which runs `kubectl_complete-flink` with the words typed after `flink` and
//! reads Cobra's `__complete` answer: one candidate per line, then `:DIRECTIVE`.
//!
//! Both complete from one tree: the command line without what is hidden (`--now` of
//! `status`, `--watch-count`, `__complete` itself), because clap_complete's script
//! generators offer hidden flags.

use clap::{Arg, ArgAction, Command};
use std::io::{self, Write};

/// The command tree as people should see it: hidden arguments and subcommands left
/// out, global flags copied into each subcommand (as `build` propagates them).
pub fn visible(mut command: Command) -> Command {
    command.build();
    prune(&command)
}

fn prune(command: &Command) -> Command {
    let mut pruned = Command::new(command.get_name().to_string())
        .bin_name(
            command
                .get_bin_name()
                .unwrap_or(command.get_name())
                .to_string(),
        )
        .disable_help_flag(true)
        .disable_version_flag(true)
        .disable_help_subcommand(true);
    if let Some(about) = command.get_about() {
        pruned = pruned.about(about.clone());
    }
    if let Some(version) = command.get_version() {
        pruned = pruned.version(version.to_string());
    }
    for arg in command.get_arguments().filter(|a| !a.is_hide_set()) {
        pruned = pruned.arg(arg.clone().global(false));
    }
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        pruned = pruned.subcommand(prune(sub));
    }
    pruned
}

/// Writes the completion script for `shell`, fixed where clap_complete's is wrong for
/// a binary whose name has a dash: its bash case branches name the handlers
/// `kubectl__flink__subcmd__X` while the handlers are `kubectl__subcmd__flink__subcmd__X`,
/// so nothing after the subcommand completed.
pub fn write_script(
    shell: clap_complete::Shell,
    command: Command,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut command = visible(command);
    let name = command.get_name().to_string();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, name, &mut script);
    let mut script = String::from_utf8_lossy(&script).into_owned();
    if shell == clap_complete::Shell::Bash {
        script = script.replace("kubectl__subcmd__flink", "kubectl__flink");
    }
    out.write_all(script.as_bytes())
}

/// Cobra's directives (`ShellCompDirective`): what the shell does besides offering
/// the candidates.
const DIRECTIVE_DEFAULT: u8 = 0;
const DIRECTIVE_NO_FILE: u8 = 4;

/// Answers `__complete WORDS... CURRENT` as Cobra does: the candidates for CURRENT,
/// one per line with a tab before the description, then `:DIRECTIVE`.
pub fn answer(command: Command, words: &[String], out: &mut dyn Write) -> io::Result<()> {
    let tree = visible(command);
    let (current, before) = match words.split_last() {
        Some((current, before)) => (current.as_str(), before),
        None => ("", &[][..]),
    };
    let mut at = &tree;
    let mut pending: Option<&Arg> = None;
    for word in before {
        if pending.take().is_some() {
            continue;
        }
        if let Some(arg) = flag(at, word) {
            if takes_value(arg) && !word.contains('=') {
                pending = Some(arg);
            }
            continue;
        }
        if let Some(sub) = at.get_subcommands().find(|s| s.get_name() == word) {
            at = sub;
        }
    }
    let mut candidates: Vec<(String, String)> = Vec::new();
    let mut directive = DIRECTIVE_NO_FILE;
    if let Some(arg) = pending {
        let values = arg.get_possible_values();
        if values.is_empty() {
            // A file, a name, a duration: let the shell do what it does by default.
            directive = DIRECTIVE_DEFAULT;
        }
        for value in values.iter().filter(|v| !v.is_hide_set()) {
            candidates.push((
                value.get_name().to_string(),
                value
                    .get_help()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
            ));
        }
    } else if current.starts_with('-') {
        for arg in at.get_arguments() {
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            let help = help.lines().next().unwrap_or_default().to_string();
            if let Some(long) = arg.get_long() {
                candidates.push((format!("--{long}"), help.clone()));
            }
            if let Some(short) = arg.get_short() {
                candidates.push((format!("-{short}"), help));
            }
        }
    } else {
        for sub in at.get_subcommands() {
            let help = sub.get_about().map(ToString::to_string).unwrap_or_default();
            candidates.push((sub.get_name().to_string(), help));
        }
        if at.get_positionals().next().is_some() && candidates.is_empty() {
            directive = DIRECTIVE_DEFAULT;
        }
    }
    for (candidate, help) in candidates.iter().filter(|(c, _)| c.starts_with(current)) {
        if help.is_empty() {
            writeln!(out, "{candidate}")?;
        } else {
            writeln!(out, "{candidate}\t{help}")?;
        }
    }
    writeln!(out, ":{directive}")
}

/// The flag `word` names (`--output`, `--output=json`, `-o`), if any.
fn flag<'a>(command: &'a Command, word: &str) -> Option<&'a Arg> {
    if let Some(long) = word.strip_prefix("--") {
        let long = long.split('=').next().unwrap_or_default();
        return command.get_arguments().find(|a| a.get_long() == Some(long));
    }
    let short = word.strip_prefix('-')?.chars().next()?;
    command
        .get_arguments()
        .find(|a| a.get_short() == Some(short))
}

fn takes_value(arg: &Arg) -> bool {
    matches!(arg.get_action(), ArgAction::Set | ArgAction::Append)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn complete(words: &[&str]) -> Vec<String> {
        let words: Vec<String> = words.iter().map(ToString::to_string).collect();
        let mut out = Vec::new();
        answer(crate::cli::Cli::command(), &words, &mut out).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| l.split('\t').next().unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn subcommands_then_flags_then_values() {
        let top = complete(&[""]);
        for sub in ["check", "status", "explain", "completion", "version"] {
            assert!(top.contains(&sub.to_string()), "{top:?}");
        }
        assert!(!top.iter().any(|c| c == "__complete"), "{top:?}");
        assert_eq!(top.last().map(String::as_str), Some(":4"));
        let flags = complete(&["status", "--w"]);
        assert_eq!(flags, ["--watch", "--watch-interval", ":4"]);
        assert_eq!(
            complete(&["status", "-o", ""]),
            ["table", "wide", "json", "yaml", ":4"]
        );
        // A file name: the shell's own completion.
        assert_eq!(complete(&["check", "-f", ""]), [":0"]);
        // Global flags are offered after the subcommand, hidden ones never.
        let status = complete(&["status", "--"]);
        assert!(status.contains(&"--kubeconfig".to_string()), "{status:?}");
        assert!(!status.iter().any(|c| c == "--now" || c == "--watch-count"));
    }

    #[test]
    fn the_bash_script_names_its_handlers_as_its_branches_do() {
        let mut out = Vec::new();
        write_script(
            clap_complete::Shell::Bash,
            crate::cli::Cli::command(),
            &mut out,
        )
        .unwrap();
        let script = String::from_utf8(out).unwrap();
        assert!(script.contains("cmd=\"kubectl__flink__subcmd__status\""));
        assert!(script.contains("kubectl__flink__subcmd__status)"));
        assert!(!script.contains("kubectl__subcmd__flink"));
        assert!(!script.contains("--watch-count"));
    }
}
