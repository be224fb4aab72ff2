//! The Makefile's targets, dry-run with `make -n` (kind and Docker are not here):
//! each prints the commands it stands for, in order, names and places are
//! variables, the seed's targets are kept, and `make` alone prints the help.

use flink_autoscale_e2e::workspace_root;
use std::process::Command;

fn make(args: &[&str]) -> String {
    let out = Command::new("make")
        .args(args)
        .current_dir(workspace_root())
        .env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .env_remove("MAKELEVEL")
        .output()
        .unwrap_or_else(|e| panic!("make runs ({e}): install make"));
    assert!(
        out.status.success(),
        "make {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The target, and what `make -n TARGET` must print, in this order.
const MAKE_TARGETS: &[(&str, &[&str])] = &[
    (
        "up",
        &[
            "kind create cluster --name flink-autoscale",
            "apply -f https://github.com/cert-manager/cert-manager/releases/download/",
            "upgrade --install vpa fairwinds-stable/vpa",
            "helm repo add flink-operator-repo-1.13.0 https://downloads.apache.org/flink/flink-kubernetes-operator-1.13.0/",
            "upgrade --install flink-kubernetes-operator",
            // the webhook built, loaded into kind and installed before the jobs
            "docker build",
            "-t flink-autoscale-webhook:0.1.0 .",
            "kind load docker-image flink-autoscale-webhook:0.1.0 --name flink-autoscale",
            "upgrade --install flink-autoscale-webhook charts/flink-autoscale-webhook",
            "--wait",
            "upgrade --install flink-autoscale charts/flink-autoscale",
            "--wait",
            // and waits until the job runs, then says what to run next
            "wait flinkdeployment -l app.kubernetes.io/instance=flink-autoscale",
            "--for=jsonpath='{.status.jobStatus.state}'=RUNNING",
            "kubectl flink status -n flink",
            "kubectl flink explain state-machine -n flink",
            "make ui",
        ],
    ),
    (
        "demo",
        &[
            "export KUBECONFIG",
            "make plugin/install",
            "cargo build --quiet -p kubectl-flink",
            "cargo run --quiet -p flink-autoscale-e2e --bin flink-test-apiserver -- examples/demo",
        ],
    ),
    (
        "flink/wait",
        &["kubectl --context kind-flink-autoscale -n flink wait flinkdeployment"],
    ),
    ("kind/up", &["kind create cluster --name flink-autoscale"]),
    ("kind/down", &["kind delete cluster --name flink-autoscale"]),
    (
        "cert-manager/install",
        &[
            "kubectl --context kind-flink-autoscale apply -f https://github.com/cert-manager/cert-manager/releases/download/",
            "-n cert-manager wait --for=condition=Available deployment --all",
        ],
    ),
    (
        "vpa/install",
        &[
            "helm repo add fairwinds-stable",
            "upgrade --install vpa fairwinds-stable/vpa",
            "--namespace vpa",
        ],
    ),
    (
        "flink-operator/install",
        &[
            "helm repo add flink-operator-repo-1.13.0 https://downloads.apache.org/flink/flink-kubernetes-operator-1.13.0/",
            "helm --kube-context kind-flink-autoscale upgrade --install flink-kubernetes-operator flink-operator-repo-1.13.0/flink-kubernetes-operator",
            "--version 1.13.0 --namespace flink-operator",
        ],
    ),
    (
        "flink-operator/uninstall",
        &[
            "helm --kube-context kind-flink-autoscale uninstall flink-kubernetes-operator --namespace flink-operator",
        ],
    ),
    (
        "flink-operator/reinstall",
        &[
            "uninstall flink-kubernetes-operator",
            "upgrade --install flink-kubernetes-operator",
        ],
    ),
    (
        "flink/install",
        &[
            "helm --kube-context kind-flink-autoscale upgrade --install flink-autoscale charts/flink-autoscale",
            "--namespace flink --create-namespace",
        ],
    ),
    (
        "flink/uninstall",
        &["uninstall flink-autoscale --namespace flink"],
    ),
    (
        "flink/reinstall",
        &[
            "uninstall flink-autoscale --namespace flink",
            "upgrade --install flink-autoscale charts/flink-autoscale",
        ],
    ),
    (
        "ui",
        &[
            "kubectl --context kind-flink-autoscale -n flink port-forward svc/state-machine-rest 8081:8081",
        ],
    ),
    (
        "webhook/load",
        &["kind load docker-image flink-autoscale-webhook:0.1.0 --name flink-autoscale"],
    ),
    (
        "webhook/install",
        &[
            "upgrade --install flink-autoscale-webhook charts/flink-autoscale-webhook",
            "--namespace flink-autoscale-system --create-namespace",
            "--set image.repository=flink-autoscale-webhook --set image.tag=0.1.0",
            "--set enforcement=deny",
        ],
    ),
    (
        "webhook/uninstall",
        &["uninstall flink-autoscale-webhook --namespace flink-autoscale-system"],
    ),
    (
        "plugin/install",
        &[
            "cargo build --release --locked -p kubectl-flink",
            "install -m 0755 target/release/kubectl-flink",
        ],
    ),
    ("test", &["cargo test --workspace"]),
    (
        "lint",
        &[
            "cargo fmt --all -- --check",
            "cargo clippy --workspace --all-targets -- -D warnings",
            "helm lint --strict charts/flink-autoscale charts/flink-autoscale-webhook",
        ],
    ),
];

#[test]
fn make_dry_runs_print_the_expected_commands() {
    for (target, expected) in MAKE_TARGETS {
        let printed = make(&["-n", target]);
        let mut from = 0;
        for command in *expected {
            match printed[from..].find(command) {
                Some(at) => from += at + command.len(),
                None => {
                    panic!("make -n {target}: {command:?} missing or out of order in:\n{printed}")
                }
            }
        }
        // Each target says what it does.
        let name = if target.ends_with("/reinstall") {
            target.replace("reinstall", "install")
        } else {
            target.to_string()
        };
        assert!(
            printed.contains(&format!("echo \"==> {name}")),
            "make -n {target} echoes nothing:\n{printed}"
        );
    }
    // Names and places are variables.
    let printed = make(&[
        "-n",
        "flink/install",
        "FLINK_NAMESPACE=jobs",
        "CLUSTER_NAME=dev",
        "FLINK_VALUES=-f mine.yaml",
    ]);
    assert!(
        printed.contains("--kube-context kind-dev")
            && printed.contains("--namespace jobs")
            && printed.contains("-f mine.yaml"),
        "{printed}"
    );
    let printed = make(&["-n", "plugin/install", "BIN_DIR=/opt/tools/bin"]);
    assert!(
        printed
            .contains("install -m 0755 target/release/kubectl-flink /opt/tools/bin/kubectl-flink"),
        "{printed}"
    );
    let printed = make(&["-n", "flink-operator/install", "OPERATOR_VERSION=1.12.1"]);
    assert!(
        printed.contains("flink-kubernetes-operator-1.12.1/")
            && printed.contains("--version 1.12.1"),
        "{printed}"
    );
}

/// The seed's targets (DESIGN.md, "Makefile (the seed's targets, kept)"): each must
/// still exist, be listed by `make help` and dry-run.
const SEED_TARGETS: &[&str] = &[
    "up",
    "kind/down",
    "flink-operator/install",
    "flink-operator/uninstall",
    "flink-operator/reinstall",
    "flink/install",
    "flink/reinstall",
    "vpa/install",
    "cert-manager/install",
    "ui",
    "webhook/install",
    "plugin/install",
];

#[test]
fn the_seeds_targets_are_all_kept() {
    let help = make(&["help"]);
    for target in SEED_TARGETS {
        assert!(
            MAKE_TARGETS.iter().any(|(t, _)| t == target),
            "{target} is not checked by make_dry_runs_print_the_expected_commands"
        );
        assert!(
            help.lines()
                .any(|l| l.split_whitespace().next() == Some(target)),
            "make help does not list {target}:\n{help}"
        );
        make(&["-n", target]);
    }
}

#[test]
fn make_help_lists_every_target_and_is_the_default() {
    let help = make(&["help"]);
    assert_eq!(make(&[]), help, "`make` alone prints the help");
    for (target, _) in MAKE_TARGETS {
        let listed = help.lines().any(|l| {
            let mut words = l.split_whitespace();
            words.next() == Some(target) && words.next().is_some()
        });
        assert!(listed, "make help does not describe {target}:\n{help}");
    }
}
