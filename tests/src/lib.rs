//! Support for the end-to-end tests: builds and locates the workspace's binaries,
//! finds the shared fixtures, runs the webhook as a server ([`webhook`], on
//! [`server_process`], which the bench shares) and the command-line binaries
//! ([`plugin`]). The `client` feature (on by default) adds the webhook harness and its
//! HTTPS clients; the bench leaves it off and uses the process layer alone.

pub mod apiserver;
pub mod charts;
pub mod helm;
pub mod objects;
pub mod plugin;
pub mod readme;
pub mod schema;
pub mod server_process;
#[cfg(feature = "client")]
pub mod webhook;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// `../shared/fixtures` beside the project's root, or `FIXTURES_DIR` when set.
pub fn fixtures_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("FIXTURES_DIR") {
        return PathBuf::from(dir);
    }
    workspace_root().join("../shared/fixtures")
}

/// A fixture file's path.
pub fn fixture(rel: &str) -> PathBuf {
    fixtures_dir().join(rel)
}

/// Builds (once per test process) the binary `bin` of package `package` with the same
/// profile as the tests, and returns its path. Cargo's `CARGO_BIN_EXE_*` only covers a
/// package's own binaries; the end-to-end tests drive the binaries of other packages.
pub fn binary(package: &str, bin: &str) -> PathBuf {
    static BUILT: OnceLock<std::sync::Mutex<Vec<(String, PathBuf)>>> = OnceLock::new();
    let built = BUILT.get_or_init(Default::default);
    let mut built = built.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, path)) = built.iter().find(|(b, _)| b == bin) {
        return path.clone();
    }
    let path =
        cargo_build(package, bin, !cfg!(debug_assertions), false).unwrap_or_else(|e| panic!("{e}"));
    built.push((bin.to_string(), path.clone()));
    path
}

/// Runs `cargo build -p PACKAGE --bin BIN` (`--release` when `release`) in the
/// workspace and returns the executable's path, as cargo reports it. With `progress`
/// cargo's own output goes to this process's stderr (the bench shows it); without,
/// it is kept for the error.
pub fn cargo_build(
    package: &str,
    bin: &str,
    release: bool,
    progress: bool,
) -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    // The calling process carries its package's CARGO_PKG_* variables when cargo ran
    // it; build scripts (ring's) rerun when those change, which would rebuild half
    // the workspace.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("CARGO_PKG_")
            || key.starts_with("CARGO_MANIFEST_")
            || key == "CARGO_CRATE_NAME"
            || key == "CARGO_PRIMARY_PACKAGE"
        {
            cmd.env_remove(key.as_ref());
        }
    }
    cmd.current_dir(workspace_root()).args([
        "build",
        "--message-format=json",
        "-p",
        package,
        "--bin",
        bin,
    ]);
    if release {
        cmd.arg("--release");
    }
    if progress {
        cmd.stderr(Stdio::inherit());
    }
    let release_flag = if release { " --release" } else { "" };
    let what = format!("cargo build{release_flag} -p {package} --bin {bin}");
    let out = cmd.output().map_err(|e| format!("{what}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what} failed\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == bin)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| format!("{what} reported no executable for {bin}"))
}
