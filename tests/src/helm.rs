//! The real `helm`, for tests that render the charts: `$HELM`, else `helm` on
//! `PATH`, else `$HOME/.local/bin/helm` (where `.ci/install-helm.sh` puts it). A
//! missing helm fails the test that needs it, saying how to install it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The helm binary.
pub fn helm() -> Result<PathBuf, String> {
    let mut candidates = Vec::new();
    if let Ok(path) = std::env::var("HELM") {
        candidates.push(PathBuf::from(path));
    }
    candidates.push(PathBuf::from("helm"));
    if let Ok(home) = std::env::var("HOME") {
        candidates.push(Path::new(&home).join(".local/bin/helm"));
    }
    candidates
        .into_iter()
        .find(|helm| {
            Command::new(helm)
                .arg("version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .ok_or_else(|| {
            "helm not found (looked at $HELM, PATH and $HOME/.local/bin/helm): run \
             .ci/install-helm.sh to install it"
                .to_string()
        })
}

/// `helm template RELEASE CHART -n NAMESPACE ARGS...` (the chart path relative to
/// the workspace root), as the rendered text.
pub fn template(
    release: &str,
    chart: &str,
    namespace: &str,
    args: &[&str],
) -> Result<String, String> {
    let out = Command::new(helm()?)
        .current_dir(crate::workspace_root())
        .args(["template", release, chart, "--namespace", namespace])
        .args(args)
        .output()
        .map_err(|e| format!("running helm: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    String::from_utf8(out.stdout).map_err(|e| format!("helm printed non-UTF-8: {e}"))
}
