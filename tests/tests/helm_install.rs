//! `cargo test --workspace` on a machine without helm: the chart tests install it
//! into the build directory on first use (`flink_autoscale_e2e::helm`), once, even when
//! several test processes start at the same time.
//!
//! The test starts three copies of this test binary at once, each running
//! `child_renders_the_chart` with helm nowhere to be found (no `$HELM`, PATH stripped of
//! every directory holding a `helm`, `$HOME` empty) and a fresh tools directory; each
//! must render the Flink chart with the helm that one of them installed. And the
//! installer script itself (`.ci/install-helm.sh`) leaves a working helm alone.

use flink_autoscale_e2e::helm;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const CHILD: &str = "HELM_INSTALL_TEST_CHILD";

/// PATH without the directories that hold a `helm`.
fn path_without_helm() -> String {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let kept: Vec<PathBuf> = std::env::split_paths(&path)
        .filter(|dir| !dir.join("helm").exists())
        .collect();
    std::env::join_paths(kept)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
fn child_renders_the_chart() {
    if std::env::var_os(CHILD).is_none() {
        return; // only meaningful as the child of the test below
    }
    let helm = helm::helm().unwrap_or_else(|e| panic!("{e}"));
    let text = helm::template("jobs", "charts/flink-autoscale", "flink", &[])
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(text.contains("kind: FlinkDeployment"), "{text}");
    println!("HELM={}", helm.display());
}

#[test]
fn without_helm_the_chart_tests_install_it_once_under_parallel_processes() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let scratch = tempfile::tempdir().expect("temporary directory");
    let home = scratch.path().join("home");
    let tools = scratch.path().join("tools");
    std::fs::create_dir_all(&home).expect("home");
    let exe = std::env::current_exe().expect("the test binary");
    let path = path_without_helm();
    assert!(
        Command::new("bash")
            .args(["-c", "command -v helm"])
            .env("PATH", &path)
            .output()
            .is_ok_and(|o| !o.status.success()),
        "helm is still on the stripped PATH"
    );
    let children: Vec<_> = (0..3)
        .map(|_| {
            Command::new(&exe)
                .args(["child_renders_the_chart", "--exact", "--nocapture"])
                .env(CHILD, "1")
                .env("PATH", &path)
                .env("HOME", &home)
                .env("E2E_TOOLS_DIR", &tools)
                .env_remove("HELM")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the test binary starts")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("child finishes");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let expected = format!("HELM={}", tools.join("helm").display());
        assert!(stdout.contains(&expected), "{expected} not in:\n{stdout}");
    }
    // One binary, no staging directory left behind.
    let mut left: Vec<String> = std::fs::read_dir(&tools)
        .expect("tools directory")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, [".helm.lock", "helm"]);
    assert!(is_executable(&tools.join("helm")));
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[test]
fn install_helm_script_does_nothing_when_helm_works() {
    let helm = helm::helm().unwrap_or_else(|e| panic!("{e}"));
    let dir = if helm.is_absolute() {
        helm.parent().map(Path::to_path_buf)
    } else {
        None
    };
    let mut cmd = Command::new("bash");
    cmd.arg(flink_autoscale_e2e::workspace_root().join(".ci/install-helm.sh"));
    if let Some(dir) = dir {
        cmd.arg(dir);
    }
    let out = cmd.output().expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("helm already installed"), "{stdout}");
}
