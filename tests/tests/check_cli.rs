//! `kubectl-flink check` driven as CI drives it: the real binary, real files, real
//! stdin, and only its exit code and output observed.

use flink_autoscale_e2e::fixture;
use flink_autoscale_e2e::plugin::{Run, plugin};
use std::path::{Path, PathBuf};

/// `kubectl-flink ARGS` with `stdin`, and without `NO_COLOR`: CI sets none, and a
/// pipe alone must keep the output plain.
fn kubectl_flink(args: &[&str], stdin: Option<&str>) -> Run {
    let run = plugin(args).color();
    match stdin {
        Some(text) => run.stdin(text),
        None => run,
    }
    .run()
}

fn check(args: &[&str]) -> Run {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    kubectl_flink(&all, None)
}

/// A fresh directory for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("check_cli")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write manifest");
    path.display().to_string()
}

fn examples() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture("examples"))
        .expect("fixtures/examples exists")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no example fixtures found");
    files
}

/// A FlinkDeployment that is fine apart from what a test puts into
/// `flinkConfiguration` (an indented block of `key: value` lines).
fn flink_deployment(name: &str, configuration: &str) -> String {
    format!(
        "apiVersion: flink.apache.org/v1beta1
kind: FlinkDeployment
metadata:
  name: {name}
spec:
  image: flink:1.20
  flinkVersion: v1_20
  serviceAccount: flink
  flinkConfiguration:
    job.autoscaler.enabled: \"true\"
    execution.checkpointing.interval: 1m
    jobmanager.scheduler: adaptive
    pipeline.max-parallelism: \"24\"
    state.checkpoints.dir: file:///flink-data/checkpoints
    state.savepoints.dir: file:///flink-data/savepoints
{configuration}
  jobManager:
    resource: {{memory: 2048m, cpu: 1}}
  taskManager:
    resource: {{memory: 2048m, cpu: 1}}
  job:
    jarURI: local:///opt/flink/usrlib/job.jar
    parallelism: 2
    upgradeMode: last-state
"
    )
}

/// Utilization target outside (0, 1] and a duration in a unit Flink does not know.
fn broken() -> String {
    flink_deployment(
        "broken",
        "    job.autoscaler.utilization.target: \"1.5\"\n    job.autoscaler.metrics.window: \"5 mins\"",
    )
}

#[test]
fn every_example_flink_deployment_is_admitted() {
    for file in examples() {
        let file = file.display().to_string();
        let run = check(&["-f", &file]);
        assert_eq!(run.code, Some(0), "{file}: {run:#?}");
        assert!(run.stdout.contains(": admitted") || run.stdout.contains(": not checked"));

        let run = check(&["-f", &file, "-o", "json"]);
        assert_eq!(run.code, Some(0), "{file}: {run:#?}");
        for entry in run.json_array() {
            assert_eq!(entry["allowed"], true, "{file}: {entry:#}");
            let denials: Vec<_> = entry["findings"]
                .as_array()
                .expect("findings is an array")
                .iter()
                .filter(|f| f["severity"] == "deny")
                .collect();
            assert!(denials.is_empty(), "{file}: {denials:#?}");
        }
    }
}

#[test]
fn the_examples_directory_is_checked_as_a_whole() {
    let dir = fixture("examples").display().to_string();
    let run = check(&["-f", &dir, "-o", "json"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    let entries = run.json_array();
    let flink_deployments = entries
        .iter()
        .filter(|e| e["kind"] == "FlinkDeployment")
        .count();
    let example_deployments = examples()
        .iter()
        .map(|f| std::fs::read_to_string(f).expect("fixture readable"))
        .map(|text| text.matches("\nkind: FlinkDeployment").count())
        .sum::<usize>();
    assert_eq!(flink_deployments, example_deployments, "{entries:#?}");
}

#[test]
fn a_broken_autoscaler_setting_is_denied_in_text() {
    let dir = scratch("broken_text");
    let file = write(&dir, "broken.yaml", &broken());
    let run = check(&["-f", &file]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stdout
            .contains("FlinkDeployment default/broken: DENIED"),
        "{run:#?}"
    );
    let utilization = run
        .stdout
        .lines()
        .find(|l| l.contains("autoscaler.utilization-range"))
        .unwrap_or_else(|| panic!("no utilization finding:\n{}", run.stdout));
    assert!(
        utilization.trim_start().starts_with("deny"),
        "{utilization}"
    );
    assert!(
        utilization.contains(
            "spec.flinkConfiguration[job.autoscaler.utilization.target]: Invalid value: \"1.5\""
        ),
        "{utilization}"
    );
    assert!(
        run.stdout
            .lines()
            .any(|l| l.trim_start().starts_with("deny")
                && l.contains("[job.autoscaler.metrics.window]: Invalid value: \"5 mins\"")),
        "{run:#?}"
    );
    assert!(
        run.stdout.ends_with("1 object: 0 admitted, 1 denied\n"),
        "{run:#?}"
    );
    assert!(
        !run.stdout.contains('\u{1b}'),
        "colour on a pipe:\n{}",
        run.stdout
    );
}

#[test]
fn a_broken_autoscaler_setting_is_denied_in_json() {
    let dir = scratch("broken_json");
    let file = write(&dir, "broken.yaml", &broken());
    let run = check(&["-f", &file, "-o", "json", "-n", "flink"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    let entries = run.json_array();
    assert_eq!(entries.len(), 1, "{entries:#?}");
    let entry = &entries[0];
    assert_eq!(entry["kind"], "FlinkDeployment");
    assert_eq!(
        entry["namespace"], "flink",
        "-n applies to objects without one"
    );
    assert_eq!(entry["name"], "broken");
    assert_eq!(entry["allowed"], false);
    let findings = entry["findings"].as_array().expect("findings is an array");
    let utilization = findings
        .iter()
        .find(|f| f["rule"] == "autoscaler.utilization-range")
        .unwrap_or_else(|| panic!("no utilization finding: {findings:#?}"));
    assert_eq!(utilization["severity"], "deny");
    assert_eq!(
        utilization["path"],
        "spec.flinkConfiguration[job.autoscaler.utilization.target]"
    );
    assert_eq!(utilization["value"], "1.5");
    // Problem and fix apart; `message` joins them as the text form does.
    let (problem, fix) = (
        utilization["problem"].as_str().unwrap_or_default(),
        utilization["fix"].as_str().unwrap_or_default(),
    );
    assert!(problem.contains("[0, 1]"), "{utilization:#?}");
    assert!(!fix.is_empty(), "{utilization:#?}");
    assert_eq!(utilization["message"], format!("{problem}; {fix}"));
    assert!(
        findings.iter().any(|f| f["severity"] == "deny"
            && f["path"] == "spec.flinkConfiguration[job.autoscaler.metrics.window]"
            && f["value"] == "5 mins"),
        "{findings:#?}"
    );
}

#[test]
fn warn_enforcement_reports_denials_as_warnings_and_exits_zero() {
    let dir = scratch("warn");
    let file = write(&dir, "broken.yaml", &broken());
    let run = check(&["-f", &file, "--enforcement", "warn", "-o", "json"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    let entries = run.json_array();
    assert_eq!(entries[0]["allowed"], true);
    let findings = entries[0]["findings"].as_array().expect("findings");
    assert!(
        findings
            .iter()
            .any(|f| f["rule"] == "autoscaler.utilization-range")
    );
    assert!(
        findings.iter().all(|f| f["severity"] == "warn"),
        "{findings:#?}"
    );
}

/// Issue 11's three objects the operator refuses outside the autoscaler: an
/// unsupported Flink version, no service account, and a JobManager resource left
/// empty by mis-indentation. `--operator-rules off` leaves them to the operator.
#[test]
fn what_the_operator_refuses_is_denied_unless_operator_rules_are_off() {
    let dir = scratch("operator-rules");
    let text = flink_deployment("old", "")
        .replace("flinkVersion: v1_20", "flinkVersion: v1_13")
        .replace("  serviceAccount: flink\n", "")
        .replace(
            "  jobManager:\n    resource: {memory: 2048m, cpu: 1}\n",
            "  jobManager:\n    resource:\n  memory: 2048m\n",
        );
    let file = write(&dir, "old.yaml", &text);
    let run = check(&["-f", &file, "-o", "json"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    let mut rules: Vec<String> = run.json_array()[0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "deny")
        .map(|f| f["rule"].as_str().unwrap_or_default().to_string())
        .collect();
    rules.sort();
    assert_eq!(
        rules,
        [
            "operator.flink-version",
            "operator.resources",
            "operator.service-account"
        ],
        "{run:#?}"
    );
    let off = check(&["-f", &file, "--operator-rules", "off"]);
    assert_eq!(off.code, Some(0), "{off:#?}");
}

#[test]
fn reads_standard_input() {
    let run = kubectl_flink(&["check", "-f", "-", "-o", "json"], Some(&broken()));
    assert_eq!(run.code, Some(1), "{run:#?}");
    let entries = run.json_array();
    assert_eq!(entries[0]["file"], "<stdin>");
    assert_eq!(entries[0]["allowed"], false);

    let good = std::fs::read_to_string(fixture("examples/flink-operator-autoscaling.yaml"))
        .expect("fixture readable");
    let run = kubectl_flink(&["check", "-f", "-"], Some(&good));
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(
        run.stdout
            .contains("FlinkDeployment default/autoscaling-example: admitted"),
        "{run:#?}"
    );
}

#[test]
fn an_unknown_flink_kind_or_version_is_an_input_error() {
    let dir = scratch("unknown-kind");
    let typo = write(
        &dir,
        "typo.yaml",
        &flink_deployment("t", "").replace("kind: FlinkDeployment", "kind: FlinkDeploymnet"),
    );
    let run = check(&["-f", &typo]);
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert!(
        run.stderr.starts_with(&format!(
            "error: {typo}:1: document 1: kind \"FlinkDeploymnet\""
        )),
        "{run:#?}"
    );
    assert!(
        run.stderr.contains("did you mean FlinkDeployment?"),
        "{run:#?}"
    );
    let core = write(
        &dir,
        "core.yaml",
        &flink_deployment("c", "")
            .replace("apiVersion: flink.apache.org/v1beta1", "apiVersion: v1"),
    );
    let run = check(&["-f", &core]);
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert!(
        run.stderr
            .contains("did you mean flink.apache.org/v1beta1?"),
        "{run:#?}"
    );
}

/// A key repeated in `flinkConfiguration` (helm renders it; the API server stores
/// the last value with a warning): read as the API server reads it, with a warning;
/// what the last value means is the rules' business.
#[test]
fn a_repeated_key_is_read_as_the_api_server_reads_it() {
    let dir = scratch("duplicate");
    let repeated = |first: &str, last: &str| {
        flink_deployment(
            "dup",
            &format!(
                "    job.autoscaler.utilization.target: \"{first}\"\n    job.autoscaler.utilization.target: \"{last}\""
            ),
        )
    };
    let text = repeated("1.5", "0.7");
    let file = write(&dir, "dup.yaml", &text);
    let other = write(&dir, "other.yaml", &flink_deployment("other", ""));
    let run = check(&["-f", &file, "-f", &other]);
    // The last value (0.7) is judged: admitted; the first (1.5) would be denied.
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(
        run.stdout.contains("FlinkDeployment default/dup: admitted"),
        "{run:#?}"
    );
    assert!(
        run.stdout
            .contains("FlinkDeployment default/other: admitted"),
        "{run:#?}"
    );
    assert!(
        run.stderr.starts_with(&format!("Warning: {file}:")),
        "{run:#?}"
    );
    assert!(run.stderr.contains("duplicate mapping key"), "{run:#?}");
    assert!(run.stderr.contains("the last value is used"), "{run:#?}");
    // Different values the other way round: the last one (1.5) is judged, and denied.
    let swapped = write(&dir, "swapped.yaml", &repeated("0.7", "1.5"));
    let run = check(&["-f", &swapped]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stdout.contains("autoscaler.utilization-range"),
        "{run:#?}"
    );
}

#[test]
fn a_yaml_syntax_error_exits_2_with_file_and_line() {
    let dir = scratch("syntax");
    let good = write(&dir, "good.yaml", &flink_deployment("good", ""));
    let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: [1, 2\n";
    let bad = write(&dir, "bad.yaml", text);
    let run = check(&["-f", &good, "-f", &bad]);
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert!(
        run.stderr.starts_with(&format!("error: {bad}:6:")),
        "{run:#?}"
    );
    // The readable file is judged all the same; the broken one makes it exit 2.
    assert!(
        run.stdout.starts_with(&format!(
            "{good}:1: FlinkDeployment default/good: admitted\n"
        )),
        "every readable file is judged: {run:#?}"
    );

    let json = write(
        &dir,
        "bad.json",
        "{\n  \"apiVersion\": \"v1\"\n  \"kind\": \"Service\"\n}\n",
    );
    let run = check(&["-f", &json]);
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert!(
        run.stderr.starts_with(&format!("error: {json}:3:")),
        "{run:#?}"
    );
}

#[test]
fn every_broken_input_is_named_in_one_run() {
    let dir = scratch("several_errors");
    let bad = write(&dir, "bad.yaml", "a: b: c\n");
    let missing = dir.join("missing.yaml").display().to_string();
    let run = check(&["-f", &bad, "-f", &missing]);
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert!(run.stderr.contains(&format!("error: {bad}:1:")), "{run:#?}");
    assert!(
        run.stderr
            .contains(&format!("error: {missing}: cannot read: ")),
        "{run:#?}"
    );
}

#[test]
fn a_missing_file_exits_2_naming_it() {
    let dir = scratch("missing");
    let missing = dir.join("no-such-manifest.yaml").display().to_string();
    let run = check(&["-f", &missing]);
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert!(run.stderr.contains(&missing), "{run:#?}");
    assert!(run.stdout.is_empty(), "{run:#?}");
}

#[test]
fn a_document_that_is_not_an_object_exits_2_naming_it() {
    let dir = scratch("not_an_object");
    let file = write(
        &dir,
        "odd.yaml",
        &format!("{}---\n- a list\n", flink_deployment("f", "")),
    );
    let run = check(&["-f", &file]);
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert!(
        run.stderr.contains(&format!("{file}:")) && run.stderr.contains("document 2"),
        "{run:#?}"
    );

    let file = write(
        &dir,
        "kindless.yaml",
        "apiVersion: v1\nmetadata: {name: x}\n",
    );
    let run = check(&["-f", &file]);
    assert_eq!(run.code, Some(2), "{run:#?}");
    assert!(run.stderr.contains("missing kind"), "{run:#?}");
}

#[test]
fn usage_errors_exit_2() {
    let run = check(&[]);
    assert_eq!(run.code, Some(2), "{run:#?}");
    let run = check(&["-f", "x.yaml", "-o", "yaml"]);
    assert_eq!(run.code, Some(2), "{run:#?}");
    let run = check(&["-f", "-", "-f", "-"]);
    assert_eq!(run.code, Some(2), "{run:#?}");
}

#[test]
fn json_output_has_the_documented_fields() {
    let file = fixture("examples/flink-operator-autoscaling.yaml")
        .display()
        .to_string();
    let run = check(&["-f", &file, "-o", "json"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    let entries = run.json_array();
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    for field in [
        "file",
        "line",
        "apiVersion",
        "kind",
        "namespace",
        "name",
        "checked",
        "allowed",
        "findings",
        "notes",
    ] {
        assert!(entry.get(field).is_some(), "no {field}: {entry:#}");
    }
    assert_eq!(entry["file"], file.as_str());
    assert_eq!(entry["kind"], "FlinkDeployment");
    assert_eq!(entry["namespace"], "default");
    assert_eq!(entry["name"], "autoscaling-example");
    assert_eq!(entry["apiVersion"], "flink.apache.org/v1beta1");
    assert_eq!(entry["checked"], true);
    assert_eq!(entry["allowed"], true);
    for finding in entry["findings"].as_array().expect("findings is an array") {
        for field in ["rule", "severity", "path", "value", "message"] {
            assert!(finding.get(field).is_some(), "no {field}: {finding:#}");
        }
    }
}

#[test]
fn every_object_of_every_file_and_document_is_reported() {
    let dir = scratch("many");
    let multi = write(
        &dir,
        "chart.yaml",
        &format!(
            "---\n# Source: flink-autoscale/templates/a.yaml\n{}\
             ---\n# Source: flink-autoscale/templates/disabled.yaml\n\
             ---\n# Source: flink-autoscale/templates/b.yaml\n{}\
             ---\n# Source: flink-autoscale/templates/sa.yaml\n\
             apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: flink\n  namespace: jobs\n",
            flink_deployment("a", ""),
            broken(),
        ),
    );
    let single = write(&dir, "c.json", &serde_json::to_string(&serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": [{
            "apiVersion": "flink.apache.org/v1beta1",
            "kind": "FlinkSessionJob",
            "metadata": {"name": "c", "namespace": "jobs"},
            "spec": {"deploymentName": "a", "job": {"jarURI": "https://repo.example.com/job.jar", "parallelism": 1}}
        }]
    })).expect("json"));

    let run = check(&["-f", &multi, "-f", &single]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    let titles: Vec<&str> = run.stdout.lines().filter(|l| !l.starts_with(' ')).collect();
    assert_eq!(titles.len(), 6, "{run:#?}");
    // FILE:LINE of each object's document (a List's for its items), then the object.
    assert_eq!(
        titles[0],
        format!("{multi}:3: FlinkDeployment default/a: admitted")
    );
    assert!(
        titles[1].starts_with(&format!(
            "{multi}:31: FlinkDeployment default/broken: DENIED"
        )),
        "{titles:?}"
    );
    assert_eq!(
        titles[2],
        format!("{multi}:58: ServiceAccount jobs/flink: not checked")
    );
    assert!(
        titles[3].starts_with(&format!("{single}:1: items[0] FlinkSessionJob jobs/c: ")),
        "{titles:?}"
    );
    // Offline, the pairing rules saw only these files: said once, before the summary.
    assert_eq!(
        titles[4],
        "note: cluster rules (HPA and VPA conflicts) saw only the objects in the given files, not a cluster"
    );
    assert_eq!(titles[5], "4 objects: 2 admitted, 1 denied, 1 not checked");

    let run = check(&["-f", &multi, "-f", &single, "-o", "json"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    let seen: Vec<(String, String, u64)> = run
        .json_array()
        .iter()
        .map(|e| {
            (
                e["file"].as_str().unwrap_or_default().to_string(),
                e["name"].as_str().unwrap_or_default().to_string(),
                e["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    let expected = [
        (multi.clone(), "a".to_string(), 3),
        (multi.clone(), "broken".to_string(), 31),
        (multi.clone(), "flink".to_string(), 58),
        (single.clone(), "c".to_string(), 1),
    ];
    assert_eq!(seen, expected);

    // A directory stands for its manifests, in name order: c.json before chart.yaml.
    let dir_arg = dir.display().to_string();
    let run = check(&["-f", &dir_arg, "-o", "json"]);
    let files: Vec<String> = run
        .json_array()
        .iter()
        .map(|e| e["file"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(files, [single.as_str(), &multi, &multi, &multi]);
}

#[test]
fn files_given_together_are_the_cluster() {
    // The HPA fixture scales FlinkDeployment `basic`; alone, nothing says that
    // deployment runs the Flink autoscaler. Given with it, the two fight.
    let hpa = fixture("examples/flink-operator-basic-hpa.yaml")
        .display()
        .to_string();
    let run = check(&["-f", &hpa, "-o", "json"]);
    assert_eq!(run.code, Some(0), "{run:#?}");

    let dir = scratch("cluster");
    let deployment = write(&dir, "basic.yaml", &flink_deployment("basic", ""));
    let run = check(&["-f", &deployment, "-f", &hpa, "-o", "json"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    let entries = run.json_array();
    let hpa_entry = entries
        .iter()
        .find(|e| e["kind"] == "HorizontalPodAutoscaler")
        .unwrap_or_else(|| panic!("HPA not reported: {entries:#?}"));
    assert_eq!(hpa_entry["allowed"], false, "{hpa_entry:#}");
    assert!(
        hpa_entry["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .any(|f| f["severity"] == "deny"
                && f["rule"].as_str().is_some_and(|r| r.starts_with("hpa."))),
        "{hpa_entry:#}"
    );
}

#[test]
fn completion_prints_a_script() {
    let run = kubectl_flink(&["completion", "bash"], None);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(run.stdout.contains("kubectl-flink"), "{run:#?}");
    assert!(run.stdout.contains("complete "), "{run:#?}");
    for shell in ["zsh", "fish"] {
        let run = kubectl_flink(&["completion", shell], None);
        assert_eq!(run.code, Some(0), "{shell}: {run:#?}");
        assert!(run.stdout.contains("kubectl-flink"), "{shell}: {run:#?}");
    }
}

#[test]
fn version_prints_the_package_version_and_commit() {
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(flink_autoscale_e2e::workspace_root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    for args in [&["version"][..], &["--version"][..]] {
        let run = kubectl_flink(args, None);
        assert_eq!(run.code, Some(0), "{run:#?}");
        assert_eq!(
            run.stdout,
            format!(
                "kubectl-flink {} (commit {head})\n",
                env!("CARGO_PKG_VERSION")
            ),
            "{args:?}"
        );
    }
}

/// A rendered chart's FlinkDeployment with its VPA, checked as a whole: the VPA is
/// mutated as the webhook would (memory only, bounds from the TaskManager's memory),
/// then judged; the same VPA with cpu and min > max is refused.
#[test]
fn a_vpa_next_to_its_flink_deployment_is_mutated_then_judged() {
    let dir = scratch("vpa-mutation");
    let fd = std::fs::read_to_string(fixture("examples/flink-operator-autoscaling.yaml"))
        .expect("fixture readable");
    let vpa = "apiVersion: autoscaling.k8s.io/v1\nkind: VerticalPodAutoscaler\n\
               metadata:\n  name: autoscaling-example-tm\nspec:\n  targetRef:\n    \
               apiVersion: flink.apache.org/v1beta1\n    kind: FlinkDeployment\n    \
               name: autoscaling-example\n  updatePolicy:\n    updateMode: Initial\n";
    let file = write(&dir, "chart.yaml", &format!("{fd}\n---\n{vpa}"));
    let run = check(&["-f", &file, "-o", "json"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    let entries = run.json_array();
    let vpa_entry = entries
        .iter()
        .find(|e| e["kind"] == "VerticalPodAutoscaler")
        .expect("the VPA is reported");
    assert_eq!(vpa_entry["allowed"], true);
    assert_eq!(
        vpa_entry["patch"],
        serde_json::json!([{"op": "add", "path": "/spec/resourcePolicy", "value": {
            "containerPolicies": [{"containerName": "flink-main-container",
                "controlledResources": ["memory"],
                "minAllowed": {"memory": "2Gi"}, "maxAllowed": {"memory": "4Gi"}}]}}])
    );
    let text = check(&["-f", &file]);
    assert!(
        text.stdout
            .contains("mutate  vpa.default-bounds: container policy for flink-main-container"),
        "{text:#?}"
    );

    let bad = "apiVersion: autoscaling.k8s.io/v1\nkind: VerticalPodAutoscaler\n\
               metadata:\n  name: autoscaling-example-tm\nspec:\n  targetRef:\n    \
               apiVersion: flink.apache.org/v1beta1\n    kind: FlinkDeployment\n    \
               name: autoscaling-example\n  resourcePolicy:\n    containerPolicies:\n    \
               - containerName: flink-main-container\n      controlledResources: [cpu, memory]\n      \
               minAllowed: {memory: 4Gi}\n      maxAllowed: {memory: 3Gi}\n";
    let file = write(&dir, "bad.yaml", &format!("{fd}\n---\n{bad}"));
    let run = check(&["-f", &file, "-o", "json"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    let entries = run.json_array();
    let rules: Vec<String> = entries
        .iter()
        .flat_map(|e| e["findings"].as_array().cloned().unwrap_or_default())
        .filter(|f| f["severity"] == "deny")
        .filter_map(|f| f["rule"].as_str().map(str::to_string))
        .collect();
    for rule in ["vpa.controls-cpu", "vpa.bounds-order"] {
        assert!(rules.iter().any(|r| r == rule), "{rule} not in {rules:?}");
    }
}
