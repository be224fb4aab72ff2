//! Completion in real shells: the scripts `kubectl-flink completion bash|zsh|fish`
//! are loaded into bash, zsh and fish and asked what they offer, and `kubectl flink
//! <TAB>` is asked through the real kubectl's plugin completion (kubectl >= 1.26 runs
//! the shipped `kubectl_complete-flink`). Hidden flags (`--now` of `status`,
//! `--watch-count`) are never offered.
//!
//! zsh and fish come from Debian packages (`.ci/run` installs them); a shell that is
//! missing fails the test with that hint rather than skipping it.

use flink_autoscale_e2e::plugin;
use std::path::{Path, PathBuf};
use std::process::Command;

/// PATH with the shipped `kubectl_complete-flink` and the plugin's directory first.
fn path_with_plugin() -> std::ffi::OsString {
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugin");
    plugin::path_with_plugin(&[shipped])
}

fn script(shell: &str) -> PathBuf {
    let out = plugin::plugin(["completion", shell]).run().ok();
    let file = std::env::temp_dir().join(format!(
        "kubectl-flink-completion-{}.{shell}",
        std::process::id()
    ));
    std::fs::write(&file, &out.stdout).expect("writes the script");
    file
}

/// Runs `program -c code` and returns its stdout lines.
fn run(program: &str, args: &[&str]) -> Vec<String> {
    let out = Command::new(program)
        .args(args)
        .env("PATH", path_with_plugin())
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} cannot run ({e}): apt-get install -y zsh fish (see .ci/run)")
        });
    assert!(
        out.status.success(),
        "{program} {args:?}: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default().trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

fn assert_offers(shell: &str, got: &[String], want: &[&str], never: &[&str]) {
    for w in want {
        assert!(
            got.iter().any(|g| g == w),
            "{shell}: {w} not offered in {got:?}"
        );
    }
    for n in never {
        assert!(
            !got.iter().any(|g| g == n),
            "{shell}: {n} offered in {got:?}"
        );
    }
}

/// bash: the completion function the script registers, called as bash calls it.
fn bash(words: &[&str]) -> Vec<String> {
    let file = script("bash");
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let code = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={}; \
         _kubectl__flink kubectl-flink '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        file.display(),
        quoted.join(" "),
        words.len() - 1,
        words[words.len() - 1],
        words[words.len() - 2],
    );
    run("bash", &["--norc", "--noprofile", "-c", &code])
}

#[test]
fn bash_completes_subcommands_and_their_flags() {
    assert_offers(
        "bash",
        &bash(&["kubectl-flink", ""]),
        &["check", "status", "explain"],
        &["__complete"],
    );
    // The issue's case: flags after the subcommand completed nothing.
    assert_offers(
        "bash",
        &bash(&["kubectl-flink", "status", "--"]),
        &["--all-namespaces", "--watch", "--output", "--kubeconfig"],
        &["--now", "--watch-count"],
    );
    assert_offers(
        "bash",
        &bash(&["kubectl-flink", "status", "-o", ""]),
        &["table", "wide", "json", "yaml"],
        &[],
    );
}

#[test]
fn fish_completes_subcommands_and_their_flags() {
    let file = script("fish");
    let complete = |line: &str| {
        run(
            "fish",
            &[
                "--no-config",
                "-c",
                &format!("source '{}'; complete -C '{line}'", file.display()),
            ],
        )
    };
    assert_offers(
        "fish",
        &complete("kubectl-flink "),
        &["check", "status", "explain"],
        &["__complete"],
    );
    assert_offers(
        "fish",
        &complete("kubectl-flink status --"),
        &["--all-namespaces", "--watch", "--output"],
        &["--now", "--watch-count"],
    );
}

/// The text without terminal escape sequences (`ESC [ ... letter`) and backspaces.
fn strip_escapes(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => {
                if chars.peek() == Some(&'[') {
                    chars.next();
                    for c in chars.by_ref() {
                        if c.is_ascii_alphabetic() {
                            break;
                        }
                    }
                }
            }
            '\x08' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// zsh: an interactive zsh in a pseudo-terminal (zsh/zpty) with compinit and the
/// script loaded, the line typed and TAB pressed twice; what zsh lists is read back.
fn zsh(line: &str) -> Vec<String> {
    let file = script("zsh");
    let code = format!(
        r#"zmodload zsh/zpty
zpty z 'zsh -f -i'
zpty -w z 'PS1="> "; autoload -Uz compinit; compinit -u; source {file}; compdef _kubectl-flink kubectl-flink; zstyle ":completion:*" list-prompt ""; unsetopt beep'
sleep 1.5
while zpty -r -t z chunk; do :; done
zpty -w -n z '{line}'$'\t\t'
sleep 1.5
out=""
while zpty -r -t z chunk; do out+="$chunk"; done
print -r -- "$out"
zpty -d z"#,
        file = file.display()
    );
    let out = Command::new("zsh")
        .args(["-f", "-c", &code])
        .env("PATH", path_with_plugin())
        .output()
        .unwrap_or_else(|e| panic!("zsh cannot run ({e}): apt-get install -y zsh (see .ci/run)"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    strip_escapes(&String::from_utf8_lossy(&out.stdout))
        .split_whitespace()
        .map(String::from)
        .collect()
}

#[test]
fn zsh_completes_subcommands_and_their_flags() {
    let top = zsh("kubectl-flink ");
    assert_offers(
        "zsh",
        &top,
        &["check", "status", "explain"],
        &["__complete"],
    );
    let flags = zsh("kubectl-flink status --w");
    assert_offers(
        "zsh",
        &flags,
        &["--watch", "--watch-interval"],
        &["--watch-count"],
    );
}

/// kubectl's own completion of a plugin: `kubectl __complete flink ...` runs
/// `kubectl_complete-flink`, the script shipped in `plugin/`.
#[test]
fn kubectl_completes_the_plugin_through_kubectl_complete_flink() {
    let kubectl = |words: &[&str]| {
        let mut args = vec!["__complete", "flink"];
        args.extend_from_slice(words);
        run("/usr/bin/kubectl", &args)
    };
    let top = kubectl(&[""]);
    assert_offers(
        "kubectl",
        &top,
        &["check", "status", "explain"],
        &["__complete"],
    );
    assert_eq!(top.last().map(String::as_str), Some(":4"), "{top:?}");
    let flags = kubectl(&["status", "--w"]);
    assert_offers(
        "kubectl",
        &flags,
        &["--watch", "--watch-interval"],
        &["--watch-count"],
    );
    let values = kubectl(&["status", "-o", ""]);
    assert_offers("kubectl", &values, &["table", "wide", "json", "yaml"], &[]);
}
