//! Support for the end-to-end tests: builds and locates the workspace's binaries,
//! finds the shared fixtures.

pub mod apiserver;
pub mod charts;
pub mod helm;
pub mod readme;
pub mod schema;
pub mod webhook;
pub mod webhook_process;
use std::path::{Path, PathBuf};
use std::process::Command;
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
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    // The test process carries this package's CARGO_PKG_* variables; build scripts
    // (ring's) rerun when those change, which would rebuild half the workspace.
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
    if !cfg!(debug_assertions) {
        cmd.arg("--release");
    }
    let out = cmd.output().expect("cargo build runs");
    assert!(
        out.status.success(),
        "building {bin} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == bin)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo build reported no executable for {bin}"));
    built.push((bin.to_string(), path.clone()));
    path
}
