//! README.md's examples are executed: every `$ COMMAND` block of the README
//! (`flink_autoscale_e2e::readme`) is run by a test here, or by
//! `admission_kubectl.rs` for the `kubectl apply` blocks, and the output must be what
//! the README shows. `kubectl flink ...` runs through the real kubectl (which finds
//! the plugin on PATH, as a user's does), in `examples/`, against the test API server
//! seeded with `examples/demo/` (what `make demo` serves), with the clock fixed by
//! `--now` in the README's commands. `README_UPDATE=1 cargo test -p
//! flink-autoscale-e2e --test readme` rewrites the blocks from what the commands print.
//!
//! Also here: the demo scenario loads and its operator data is the operator's, and CI
//! runs exactly the README's test command.

use flink_autoscale_e2e::apiserver::{TestApiServer, load_yaml};
use flink_autoscale_e2e::plugin::{BinaryRun, Run, path_with_plugin};
use flink_autoscale_e2e::readme::{self, Example};
use flink_autoscale_e2e::workspace_root;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn demo_dir() -> PathBuf {
    workspace_root().join("examples/demo")
}

fn demo_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(demo_dir())
        .expect("examples/demo")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

/// The test API server as `make demo` starts it (`flink-test-apiserver examples/demo`:
/// every file, namespace `default`).
fn demo_server() -> TestApiServer {
    let mut builder = TestApiServer::builder().namespace("default");
    for file in demo_files() {
        builder = builder
            .yaml_file(&file)
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    }
    builder.start().expect("the demo's test API server starts")
}

fn readme_examples() -> Vec<Example> {
    let text = std::fs::read_to_string(readme::readme_path()).expect("README.md");
    readme::examples(&text)
}

/// Who runs a README command: "admission_kubectl" for `kubectl apply` (against the
/// chart's webhooks), "readme" for the plugin's commands, `None` for nobody.
fn runner(command: &str) -> Option<&'static str> {
    if command.starts_with("kubectl apply -f ") {
        Some("admission_kubectl")
    } else if ["check", "status", "explain", "audit", "version"]
        .iter()
        .any(|sub| command.starts_with(&format!("kubectl flink {sub}")))
    {
        Some("readme")
    } else {
        None
    }
}

#[test]
fn every_command_the_readme_shows_output_of_is_run_by_a_test() {
    let examples = readme_examples();
    assert!(examples.len() >= 6, "{examples:#?}");
    let admission =
        std::fs::read_to_string(workspace_root().join("tests/tests/admission_kubectl.rs"))
            .expect("admission_kubectl.rs");
    for example in &examples {
        match runner(&example.command) {
            Some("admission_kubectl") => assert!(
                admission.contains(&format!("{:?}", example.command)),
                "README line {}: `{}` is not among admission_kubectl.rs's README_COMMANDS",
                example.line + 1,
                example.command
            ),
            Some(_) => {}
            None => panic!(
                "README line {}: `$ {}` is run by no test: make it a command the README \
                 tests run (tests/tests/readme.rs) or show it in a `sh` block without output",
                example.line + 1,
                example.command
            ),
        }
    }
}

/// Runs a README command with the real kubectl, the plugin on PATH, in `examples/`.
fn run(command: &str, kubeconfig: &Path) -> Run {
    let words = readme::words(command).unwrap_or_else(|e| panic!("{e}"));
    BinaryRun::program(&words[0], &words[0])
        .args(&words[1..])
        .current_dir(workspace_root().join("examples"))
        .env("PATH", path_with_plugin(&[]))
        .kubeconfig(kubeconfig)
        .lang("C.UTF-8")
        .env_remove("COLUMNS")
        .run()
}

#[test]
fn the_plugins_readme_examples_print_what_the_readme_shows() {
    let server = demo_server();
    let mut differ = Vec::new();
    let mut ran = 0;
    // From the last to the first, so rewriting one block keeps the lines of the others.
    for example in readme_examples().iter().rev() {
        if runner(&example.command) != Some("readme") {
            continue;
        }
        ran += 1;
        let printed = run(&example.command, server.kubeconfig());
        assert!(
            matches!(printed.code, Some(0 | 1)),
            "README line {}: `{}` failed ({:?}):\n{}{}",
            example.line + 1,
            example.command,
            printed.code,
            printed.stdout,
            printed.stderr
        );
        if readme::matches(&example.output, &printed.stdout) {
            continue;
        }
        if std::env::var_os("README_UPDATE").is_some() {
            readme::update(
                example.line,
                &readme::reshaped(&example.output, &printed.stdout),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        } else {
            differ.push(format!(
                "README line {}: `$ {}` printed:\n{}\n(the README shows:\n{}\n)",
                example.line + 1,
                example.command,
                printed.stdout,
                example.output.join("\n")
            ));
        }
    }
    assert!(ran >= 3, "only {ran} plugin examples in the README");
    assert!(
        differ.is_empty(),
        "{}\nREADME_UPDATE=1 rewrites the blocks from this output",
        differ.join("\n")
    );
}

#[test]
fn the_demo_loads_and_status_sees_every_job_and_the_hpa_conflict() {
    let server = demo_server();
    let printed = run(
        "kubectl flink status -A -o json --now 2026-07-01T12:43:00Z",
        server.kubeconfig(),
    );
    assert_eq!(
        printed.code,
        Some(0),
        "{}{}",
        printed.stdout,
        printed.stderr
    );
    let status: Value = serde_json::from_str(&printed.stdout)
        .unwrap_or_else(|e| panic!("{e}:\n{}", printed.stdout));
    let text = status.to_string();
    let mut names: Vec<String> = demo_files()
        .iter()
        .flat_map(|f| load_yaml(f).unwrap_or_else(|e| panic!("{}: {e}", f.display())))
        .filter(|o| o["kind"] == "FlinkDeployment")
        .map(|o| {
            o["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    names.sort();
    assert!(names.len() >= 5, "{names:?}");
    for name in &names {
        assert!(
            text.contains(&format!("\"{name}\"")),
            "{name} missing from status:\n{text}"
        );
    }
    for part in [
        "orders-pipeline",
        "clickstream-hpa",
        "hpa.autoscaler-conflict",
    ] {
        assert!(text.contains(part), "{part} missing from status:\n{text}");
    }
}

/// `examples/demo/orders-pipeline.yaml` is the operator's own output: the deployment,
/// the ConfigMap of the last reconcile and the Events as they stood then, from
/// `tests/fixtures/explain/operator/backlog-align-scale-down`.
#[test]
fn the_demos_orders_pipeline_is_the_operators_recorded_state() {
    let dir = workspace_root().join("tests/fixtures/explain/operator/backlog-align-scale-down");
    let reference: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("reference.json")).expect("reference.json"),
    )
    .expect("reference.json is JSON");
    let instants = reference["instants"].as_array().expect("instants");
    let last = instants.last().expect("an instant");
    let mut expected = load_yaml(dir.join("deployment.yaml")).expect("deployment");
    expected.extend(
        load_yaml(dir.join(last["configmap"].as_str().expect("configmap"))).expect("configmap"),
    );
    let stored: Vec<Value> = load_yaml(dir.join("events.yaml"))
        .expect("events")
        .into_iter()
        .flat_map(|l| l["items"].as_array().cloned().unwrap_or_else(|| vec![l]))
        .collect();
    let mut latest = std::collections::BTreeMap::new();
    for instant in instants {
        for d in instant["eventDetails"].as_array().into_iter().flatten() {
            latest.insert(d["name"].as_str().expect("name").to_string(), d.clone());
        }
    }
    for (name, d) in latest {
        let mut e = stored
            .iter()
            .find(|e| e["metadata"]["name"] == name.as_str())
            .expect("every event is in events.yaml")
            .clone();
        for field in [
            "type",
            "reason",
            "message",
            "firstTimestamp",
            "lastTimestamp",
            "count",
        ] {
            e[field] = d[field].clone();
        }
        expected.push(e);
    }
    let demo = load_yaml(demo_dir().join("orders-pipeline.yaml")).expect("the demo file");
    assert_eq!(demo, expected);
}

/// The README's set-up is two commands; the second is the test command, which CI
/// (`.ci/run`) and `make test` run exactly.
#[test]
fn ci_runs_exactly_the_readmes_test_command() {
    let text = std::fs::read_to_string(readme::readme_path()).expect("README.md");
    let setup = text
        .split("## Set-up")
        .nth(1)
        .and_then(|s| s.split("```sh").nth(1))
        .and_then(|s| s.split("```").next())
        .expect("README.md has a `## Set-up` section with a sh block");
    let commands: Vec<&str> = setup
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert_eq!(commands.len(), 2, "{commands:?}");
    let test = commands[1];
    assert!(test.starts_with("cargo test"), "{test}");
    let ci = std::fs::read_to_string(workspace_root().join(".ci/run")).expect(".ci/run");
    assert!(
        ci.lines().any(|l| l.trim() == test),
        ".ci/run does not run `{test}` exactly:\n{ci}"
    );
    // The tests install what they need (helm): CI does not install it for them.
    assert!(
        !ci.lines()
            .any(|l| !l.trim_start().starts_with('#') && l.contains("install-helm.sh")),
        "{ci}"
    );
    let make = std::fs::read_to_string(workspace_root().join("Makefile")).expect("Makefile");
    assert!(
        make.lines()
            .any(|l| l.trim() == format!("$(CARGO) {}", test.trim_start_matches("cargo "))),
        "make test does not run `{test}`"
    );
}
