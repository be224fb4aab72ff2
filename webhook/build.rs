// Records the git commit the binary is built from (`--version`, logs, metrics).
// `FLINK_GUARD_GIT_COMMIT` wins (the Docker build has no .git); else `git rev-parse`;
// else "unknown". Never fails the build.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=FLINK_GUARD_GIT_COMMIT");
    let from_env = std::env::var("FLINK_GUARD_GIT_COMMIT")
        .ok()
        .filter(|c| !c.is_empty() && c != "unknown");
    let commit = from_env
        .or_else(git_commit)
        .unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=FLINK_GUARD_GIT_COMMIT={commit}");
}

fn git_commit() -> Option<String> {
    let top = Command::new("git")
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let top = String::from_utf8(top.stdout).ok()?;
    let top = top.trim();
    // Rebuild when HEAD moves (a commit, a checkout).
    println!("cargo:rerun-if-changed={top}/.git/HEAD");
    println!("cargo:rerun-if-changed={top}/.git/refs/heads");
    let out = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    Some(String::from_utf8(out.stdout).ok()?.trim().to_string())
}
