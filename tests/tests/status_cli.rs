//! `kubectl flink status` against the test API server, seeded with what the Flink
//! operator, its autoscaler and the VPA leave in a cluster (`fixtures/status/`):
//! autoscaled deployments in several namespaces, one in advisor mode, one with a VPA
//! that fights the autoscaler, a session cluster, one without an autoscaler ConfigMap
//! yet, one whose ConfigMap holds plain YAML (the operator's fallback), TaskManager
//! pods. The real binary runs; only its exit code, stdout and stderr are observed.

use flink_autoscale_e2e::apiserver::{Builder, TestApiServer};
use flink_autoscale_e2e::plugin::{BinaryRun, Run, path_with_plugin, plugin, plugin_path};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Ages in the snapshots are measured from this instant (`--now`); the fixtures'
/// scaling histories are written relative to it.
const NOW: &str = "2026-07-01T12:00:00Z";
const FLINK: &str = "flink.apache.org/v1beta1";
const V1: &str = "bc764cd8ddf7a0cff126f51c16239658";
const V2: &str = "0a448493b4782967b150582570326227";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/status")
        .join(name)
}

/// The three namespaces' objects; the kubeconfig's namespace is `team-a`.
fn seeded() -> Builder {
    TestApiServer::builder()
        .namespace("team-a")
        .yaml_file(fixture("team-a.yaml"))
        .and_then(|b| b.yaml_file(fixture("team-b.yaml")))
        .and_then(|b| b.yaml_file(fixture("analytics.yaml")))
        .expect("fixtures load")
}

fn start(builder: Builder) -> TestApiServer {
    builder.start().expect("test API server starts")
}

/// The plugin with the environment a test controls: the server's kubeconfig, no
/// colour, a fixed width, no in-cluster detection.
fn command(server: &TestApiServer, args: &[&str]) -> BinaryRun {
    plugin(args).kubeconfig(server.kubeconfig()).columns(250)
}

fn status(server: &TestApiServer, args: &[&str]) -> Run {
    let mut all = vec!["status", "--now", NOW];
    all.extend_from_slice(args);
    command(server, &all).run()
}

/// The cells of a table row, split on the column gaps (cells may hold one space).
fn cells(line: &str) -> Vec<String> {
    line.split("   ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect()
}

fn row(table: &str, name: &str) -> Vec<String> {
    table
        .lines()
        .map(cells)
        .find(|c| c.iter().any(|cell| cell == name))
        .unwrap_or_else(|| panic!("no row {name} in\n{table}"))
}

fn column(table: &str, header: &str, name: &str) -> String {
    let headers = cells(table.lines().next().expect("a header"));
    let i = headers
        .iter()
        .position(|h| h == header)
        .unwrap_or_else(|| panic!("no column {header} in {headers:?}"));
    row(table, name)[i].clone()
}

fn deployment<'a>(report: &'a Value, namespace: &str, name: &str) -> &'a Value {
    report["deployments"]
        .as_array()
        .expect("deployments")
        .iter()
        .find(|d| d["namespace"] == namespace && d["name"] == name)
        .unwrap_or_else(|| panic!("no {namespace}/{name} in {report:#}"))
}

// ---- human output ---------------------------------------------------------------

#[test]
fn table_of_the_contexts_namespace() {
    let server = start(seeded());
    let run = status(&server, &[]).ok();
    insta::assert_snapshot!("table_team_a", run.stdout);
    assert_eq!(run.stderr, "");
}

#[test]
fn table_across_namespaces() {
    let server = start(seeded());
    let run = status(&server, &["-A"]).ok();
    insta::assert_snapshot!("table_all_namespaces", run.stdout);
}

#[test]
fn all_namespaces_wins_over_a_namespace_as_in_kubectl() {
    let server = start(seeded());
    let all = status(&server, &["-A"]).ok();
    for args in [["-A", "-n", "analytics"], ["-n", "analytics", "-A"]] {
        let run = status(&server, &args).ok();
        assert_eq!(run.stdout, all.stdout, "{args:?}");
    }
}

#[test]
fn wide_table_adds_vertices_slots_hpa_and_namespace() {
    let server = start(seeded());
    let run = status(&server, &["-A", "-o", "wide"]).ok();
    insta::assert_snapshot!("wide_all_namespaces", run.stdout);
    // -o wide shows the namespace without -A too.
    let run = status(&server, &["-o", "wide", "-n", "analytics"]).ok();
    assert_eq!(
        column(&run.stdout, "NAMESPACE", "basic-example"),
        "analytics"
    );
    assert_eq!(
        column(&run.stdout, "HPA", "basic-example"),
        "basic-hpa 1..3"
    );
}

#[test]
fn narrow_terminals_leave_out_columns_and_never_cut_a_value() {
    let server = start(seeded());
    let full = status(&server, &["-A"]).ok();
    let run = command(&server, &["status", "--now", NOW, "-A"])
        .env("COLUMNS", "136")
        .run()
        .ok();
    insta::assert_snapshot!("table_136_columns", run.stdout);
    for line in run.stdout.lines() {
        assert!(line.chars().count() <= 136, "{line:?} is wider than 136");
    }
    assert!(!run.stdout.contains('…'), "{}", run.stdout);
    // Every cell shown is the whole value of the full table.
    let headers = cells(run.stdout.lines().next().unwrap());
    assert!(headers.len() < cells(full.stdout.lines().next().unwrap()).len());
    for name in ["orders", "payments", "fraud-detection", "basic-example"] {
        for header in &headers {
            assert_eq!(
                column(&run.stdout, header, name),
                column(&full.stdout, header, name),
                "{header} of {name}"
            );
        }
    }
    // What the command is for stays: names, the autoscaler, the findings.
    for header in ["NAMESPACE", "NAME", "JOB", "AUTOSCALER", "FINDINGS"] {
        assert!(headers.iter().any(|h| h == header), "{headers:?}");
    }
    // The 80-column terminal: `status -n team-a` fits.
    let run = command(&server, &["status", "--now", NOW])
        .env("COLUMNS", "80")
        .run()
        .ok();
    for line in run.stdout.lines() {
        assert!(line.chars().count() <= 80, "{line:?} is wider than 80");
    }
    assert_eq!(column(&run.stdout, "FINDINGS", "payments"), "3 (2 deny)");
}

#[test]
fn an_hpa_has_its_column_without_wide() {
    let server = start(seeded());
    let run = status(&server, &["-n", "analytics"]).ok();
    assert_eq!(
        column(&run.stdout, "HPA", "basic-example"),
        "basic-hpa 1..3"
    );
    // No HPA in team-a: no column.
    let run = status(&server, &[]).ok();
    assert!(!run.stdout.contains("HPA"), "{}", run.stdout);
}

#[test]
fn colour_only_on_a_terminal_and_never_with_no_color() {
    let server = start(seeded());
    // `script` gives the plugin a pseudo-terminal as its standard output.
    let on_terminal = |no_color: Option<&str>| {
        let shell = format!("'{}' status --now {NOW} payments", plugin_path().display());
        let cmd = BinaryRun::program("script", "script")
            .args(["-qec", &shell, "/dev/null"])
            .kubeconfig(server.kubeconfig())
            .env("TERM", "xterm")
            .columns(250)
            .color();
        match no_color {
            Some(v) => cmd.env("NO_COLOR", v),
            None => cmd,
        }
        .run()
        .ok()
        .stdout
    };
    let coloured = on_terminal(None);
    assert!(
        coloured.contains("\u{1b}[32mRUNNING\u{1b}[0m"),
        "{coloured:?}"
    );
    assert!(
        coloured.contains("\u{1b}[31m3 (2 deny)\u{1b}[0m"),
        "{coloured:?}"
    );
    assert!(!on_terminal(Some("1")).contains('\u{1b}'));
    // Piped: no colour even without NO_COLOR.
    let piped = command(&server, &["status", "--now", NOW])
        .env_remove("NO_COLOR")
        .run()
        .ok();
    assert!(!piped.stdout.contains('\u{1b}'), "{:?}", piped.stdout);
}

#[test]
fn ages_are_measured_from_the_clock() {
    let server = start(seeded());
    // The plain-YAML history of payments, its last decision 3h15m ago.
    let then = time::OffsetDateTime::now_utc() - time::Duration::minutes(195);
    let then = then
        .format(&time::format_description::well_known::Rfc3339)
        .expect("formats");
    server
        .store()
        .modify("v1", "ConfigMap", "team-a", "autoscaler-payments", |cm| {
            cm["data"]["scalingHistory"] =
                format!("{V1}:\n  \"{then}\":\n    currentParallelism: 4\n    newParallelism: 6\n")
                    .into();
        })
        .expect("the ConfigMap exists");
    let run = command(&server, &["status", "payments"]).run().ok();
    assert_eq!(
        column(&run.stdout, "LAST SCALING", "payments"),
        "up 3h15m ago"
    );
}

// ---- JSON and YAML --------------------------------------------------------------

#[test]
fn json_carries_every_column_and_the_findings() {
    let server = start(seeded());
    let report = status(&server, &["-A", "-o", "json"]).ok().json();
    assert_eq!(report["kind"], "FlinkStatus");
    assert_eq!(report["version"], 2);
    assert_eq!(report["context"], "test-apiserver");
    assert_eq!(report["server"], server.url());
    assert_eq!(report["namespace"], Value::Null);
    assert_eq!(report["now"], NOW);
    assert_eq!(report["unavailable"], json!([]));
    let names: Vec<String> = report["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}/{}",
                d["namespace"].as_str().unwrap(),
                d["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            "analytics/basic-example",
            "team-a/orders",
            "team-a/payments",
            "team-a/sessions",
            "team-b/clickstream",
            "team-b/fraud-detection"
        ]
    );

    // Autoscaled, its state gzip+base64 in the ConfigMap, a memory-only VPA.
    let orders = deployment(&report, "team-a", "orders");
    assert_eq!(orders["session"], false);
    assert_eq!(orders["deploymentMode"], "native");
    assert_eq!(orders["jobState"], "RUNNING");
    assert_eq!(orders["lifecycleState"], "STABLE");
    assert_eq!(
        orders["autoscaler"],
        json!({"mode": "on", "memoryTuning": false})
    );
    assert_eq!(
        orders["parallelism"],
        json!({
            "source": "autoscaler",
            "current": {"min": 4, "max": 8},
            "vertices": [{"id": V2, "parallelism": 4}, {"id": V1, "parallelism": 8}],
            "job": 2,
            "bounds": {"min": 1, "max": 24},
        })
    );
    assert_eq!(orders["slots"], 4);
    assert_eq!(
        orders["taskManagers"],
        json!({"ready": 2, "podAvailability": "found", "desired": 2, "desiredFrom": "status"})
    );
    assert_eq!(
        orders["vpa"],
        json!({
            "availability": "found",
            "name": "orders-vpa",
            "updateMode": "Initial",
            "controlledResources": ["memory"],
            "memoryRequestBytes": 2_147_483_648_u64,
            "memoryRequestFrom": "pods",
            "memoryTargetBytes": 2_684_354_560_u64,
            "others": [],
        })
    );
    assert_eq!(orders["hpa"]["availability"], "none");
    assert_eq!(
        orders["autoscalerState"],
        json!({"configMap": "autoscaler-orders", "availability": "found", "problems": []})
    );
    assert_eq!(
        orders["lastScaling"],
        json!({
            "time": "2026-07-01T11:48:00Z",
            "ageSeconds": 720,
            "direction": "up",
            "vertices": [{"id": V2, "from": 2, "to": 4}, {"id": V1, "from": 4, "to": 8}],
        })
    );
    // `target.utilization.boundary` is @Deprecated in the operator's AutoScalerOptions.
    assert_eq!(orders["findingCounts"], json!({"deny": 0, "warn": 1}));
    assert_eq!(orders["findings"][0]["rule"], "config.deprecated-key");
    assert_eq!(orders["findings"][0]["problem"], "deprecated option");
    assert_eq!(
        orders["findings"][0]["fix"],
        "use job.autoscaler.utilization.min and job.autoscaler.utilization.max instead"
    );
    assert_eq!(
        orders["findings"][0]["message"],
        "deprecated option; use job.autoscaler.utilization.min and \
         job.autoscaler.utilization.max instead"
    );

    // The VPA in conflict: cpu controlled while the autoscaler is on; plain YAML state.
    let payments = deployment(&report, "team-a", "payments");
    assert_eq!(
        payments["parallelism"]["current"],
        json!({"min": 3, "max": 6})
    );
    assert_eq!(
        payments["parallelism"]["bounds"],
        json!({"min": 1, "max": 12})
    );
    assert_eq!(payments["taskManagers"]["ready"], 2);
    assert_eq!(payments["taskManagers"]["desired"], 3);
    assert_eq!(payments["vpa"]["updateMode"], "Recreate");
    assert_eq!(
        payments["vpa"]["controlledResources"],
        json!(["cpu", "memory"])
    );
    assert_eq!(payments["vpa"]["memoryRequestBytes"], 4_u64 << 30);
    assert_eq!(payments["vpa"]["memoryTargetBytes"], 3_u64 << 30);
    assert_eq!(payments["lastScaling"]["direction"], "down");
    assert_eq!(payments["lastScaling"]["ageSeconds"], 3 * 3600);
    assert_eq!(payments["findingCounts"], json!({"deny": 2, "warn": 1}));
    let findings: Vec<(&str, &str, &str)> = payments["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap(),
                f["rule"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        findings,
        [
            ("FlinkDeployment", "vpa.controls-cpu", "deny"),
            ("VerticalPodAutoscaler", "vpa.controls-cpu", "deny"),
            ("VerticalPodAutoscaler", "vpa.evicting-mode", "warn"),
        ]
    );
    let finding = &payments["findings"][1];
    assert_eq!(finding["name"], "payments-vpa");
    assert_eq!(finding["path"], "spec.resourcePolicy.controlledResources");
    assert!(finding["value"].is_string());
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("controlledResources: [memory]")
    );

    // A session cluster: no job, nothing to scale.
    let sessions = deployment(&report, "team-a", "sessions");
    assert_eq!(sessions["session"], true);
    assert_eq!(sessions["jobState"], Value::Null);
    assert_eq!(sessions["autoscaler"]["mode"], "off");
    assert_eq!(sessions["parallelism"]["source"], "unknown");
    assert_eq!(sessions["parallelism"]["current"], Value::Null);
    assert_eq!(
        sessions["taskManagers"],
        json!({"ready": 2, "podAvailability": "found", "desired": 2, "desiredFrom": "spec"})
    );

    // Advisor mode: bounds in effect, no overrides and no history in its ConfigMap.
    let clickstream = deployment(&report, "team-b", "clickstream");
    assert_eq!(clickstream["autoscaler"]["mode"], "advisor");
    assert_eq!(clickstream["parallelism"]["source"], "job");
    assert_eq!(
        clickstream["parallelism"]["bounds"],
        json!({"min": 2, "max": 16})
    );
    assert_eq!(clickstream["autoscalerState"]["availability"], "found");
    assert_eq!(clickstream["lastScaling"], Value::Null);

    // Just deployed: no ConfigMap yet, no TaskManager, desired estimated.
    let fraud = deployment(&report, "team-b", "fraud-detection");
    assert_eq!(fraud["jobState"], "RECONCILING");
    assert_eq!(fraud["autoscalerState"]["availability"], "none");
    assert_eq!(
        fraud["autoscalerState"]["configMap"],
        "autoscaler-fraud-detection"
    );
    assert_eq!(
        fraud["taskManagers"],
        json!({"ready": 0, "podAvailability": "found", "desired": 2, "desiredFrom": "estimate"})
    );
    assert_eq!(fraud["vpa"]["memoryRequestFrom"], "spec");
    let rules: Vec<&str> = fraud["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"autoscaler.stateless-upgrade"), "{rules:?}");
    assert!(rules.contains(&"autoscaler.no-checkpointing"), "{rules:?}");

    // The operator's basic example with an HPA, autoscaler off.
    let basic = deployment(&report, "analytics", "basic-example");
    assert_eq!(basic["autoscaler"]["mode"], "off");
    assert_eq!(basic["parallelism"]["bounds"], Value::Null);
    assert_eq!(
        basic["hpa"],
        json!({"availability": "found", "name": "basic-hpa", "minReplicas": 1,
               "maxReplicas": 3, "currentReplicas": 1, "others": []})
    );
    assert_eq!(basic["findingCounts"], json!({"deny": 0, "warn": 0}));
}

#[test]
fn yaml_is_the_json_structure() {
    let server = start(seeded());
    let json = status(&server, &["-A", "-o", "json"]).ok().json();
    let yaml = status(&server, &["-A", "-o", "yaml"]).ok().stdout;
    let parsed: Value = serde_saphyr::from_str(&yaml).expect("YAML parses");
    assert_eq!(parsed, json);
}

// ---- how the cluster is read ----------------------------------------------------

/// The requests one successful `status ARGS` makes, sorted.
fn requests_of(server: &TestApiServer, args: &[&str]) -> Vec<String> {
    server.clear_requests();
    status(server, args).ok();
    let mut requests = server.requests();
    requests.sort();
    requests
}

#[test]
fn one_list_call_per_kind_whatever_the_number_of_deployments() {
    let server = start(seeded());
    assert_eq!(
        requests_of(&server, &["-A", "-o", "json"]),
        [
            "GET /api/v1/configmaps?&labelSelector=component%3Dautoscaler",
            "GET /api/v1/pods?&labelSelector=component%3Dtaskmanager",
            "GET /apis/autoscaling.k8s.io/v1/verticalpodautoscalers?",
            "GET /apis/autoscaling/v2/horizontalpodautoscalers?",
            "GET /apis/flink.apache.org/v1beta1/flinkdeployments?",
        ]
    );
    assert_eq!(
        requests_of(&server, &["orders", "-n", "team-a"]),
        [
            "GET /api/v1/namespaces/team-a/configmaps?&labelSelector=component%3Dautoscaler%2Capp%3Dorders",
            "GET /api/v1/namespaces/team-a/pods?&labelSelector=component%3Dtaskmanager%2Capp%3Dorders",
            "GET /apis/autoscaling.k8s.io/v1/namespaces/team-a/verticalpodautoscalers?",
            "GET /apis/autoscaling/v2/namespaces/team-a/horizontalpodautoscalers?",
            "GET /apis/flink.apache.org/v1beta1/namespaces/team-a/flinkdeployments?&fieldSelector=metadata.name%3Dorders",
        ]
    );
}

#[test]
fn name_narrows_to_one_deployment_and_a_missing_one_is_an_error() {
    let server = start(seeded());
    let run = status(&server, &["payments"]).ok();
    assert_eq!(run.stdout.lines().count(), 2, "{}", run.stdout);
    assert_eq!(column(&run.stdout, "FINDINGS", "payments"), "3 (2 deny)");
    let run = status(&server, &["nope"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert_eq!(
        run.stderr,
        "error: flinkdeployment \"nope\" not found in namespace \"team-a\"\n"
    );
    // -n and the context's namespace.
    let run = status(&server, &["-n", "team-b"]).ok();
    assert_eq!(column(&run.stdout, "AUTOSCALER", "clickstream"), "advisor");
    let run = status(&server, &["-n", "empty"]).ok();
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "No FlinkDeployments found in namespace \"empty\".\n"
    );
}

#[test]
fn missing_vpa_crd_shows_not_installed() {
    let server = start(seeded().without_kind("VerticalPodAutoscaler"));
    // kubectl agrees that the kind does not exist.
    let kubectl = server
        .kubectl()
        .args(["get", "vpa", "-A"])
        .output()
        .expect("kubectl runs");
    assert!(!kubectl.status.success());
    let run = status(&server, &[]).ok();
    assert_eq!(
        column(&run.stdout, "VPA", "orders"),
        "n/a: VPA not installed"
    );
    // Without VPAs to see, the rules find no VPA conflict.
    assert_eq!(column(&run.stdout, "FINDINGS", "payments"), "0");
    assert_eq!(
        run.stderr,
        "warning: verticalpodautoscalers.autoscaling.k8s.io is not served by this cluster \
         (not installed); VPA says so\n"
    );
    let report = status(&server, &["-o", "json"]).ok().json();
    assert_eq!(report["unavailable"][0]["kind"], "VerticalPodAutoscaler");
    assert_eq!(report["unavailable"][0]["reason"], "not-installed");
    assert_eq!(
        deployment(&report, "team-a", "orders")["vpa"]["availability"],
        "not-installed"
    );
}

#[test]
fn forbidden_kinds_degrade_to_markers() {
    let server = start(
        seeded()
            .forbid("restricted", "list", "configmaps")
            .forbid("restricted", "list", "pods")
            .forbid("restricted", "list", "verticalpodautoscalers"),
    );
    let run = status(&server, &["--context", "restricted", "-o", "wide"]).ok();
    assert_eq!(column(&run.stdout, "VPA", "orders"), "forbidden");
    assert_eq!(column(&run.stdout, "LAST SCALING", "orders"), "forbidden");
    assert_eq!(
        column(&run.stdout, "TASKMANAGERS", "orders"),
        "?/2 (forbidden)"
    );
    assert_eq!(column(&run.stdout, "HPA", "orders"), "-");
    // Conflicts with VPAs that could not be read are unknown, not none: at least
    // the one warning found without them, and `?` where none was.
    assert_eq!(column(&run.stdout, "FINDINGS", "orders"), "1+");
    assert_eq!(column(&run.stdout, "FINDINGS", "sessions"), "?");
    // Without the ConfigMap, parallelism is the spec's.
    assert_eq!(column(&run.stdout, "PARALLELISM", "orders"), "2 (1..24)");
    let warnings: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(warnings.len(), 3, "{}", run.stderr);
    assert!(
        warnings[0].starts_with(
            "warning: cannot list configmaps: configmaps is forbidden: User \"restricted\" \
             cannot list resource \"configmaps\""
        ),
        "{warnings:?}"
    );
    let report = status(&server, &["--context", "restricted", "-o", "json"])
        .ok()
        .json();
    let reasons: Vec<(&str, &str)> = report["unavailable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["kind"].as_str().unwrap(), u["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("ConfigMap", "forbidden"),
            ("Pod", "forbidden"),
            ("VerticalPodAutoscaler", "forbidden")
        ]
    );
}

#[test]
fn forbidden_flinkdeployments_are_an_error_naming_the_context() {
    let server = start(seeded().forbid("no-flink", "list", "flinkdeployments"));
    let run = status(&server, &["--context", "no-flink"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.starts_with(&format!(
            "error: listing flinkdeployments.flink.apache.org in namespace \"team-a\" on {} \
             (context \"no-flink\" in kubeconfig {}) failed: flinkdeployments.flink.apache.org is forbidden",
            server.url(),
            server.kubeconfig().display()
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn missing_flink_crd_is_an_error() {
    let server = start(seeded().without_kind("FlinkDeployment"));
    let run = status(&server, &[]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stderr
            .contains("does not serve flinkdeployments.flink.apache.org/v1beta1"),
        "{}",
        run.stderr
    );
}

// ---- what goes wrong before the cluster answers ----------------------------------

#[test]
fn unreachable_cluster_names_server_context_and_kubeconfig() {
    let server = start(seeded().unreachable_context("down"));
    let run = status(&server, &["--context", "down"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert_eq!(run.stdout, "");
    let stderr = run.stderr.trim_end();
    assert!(
        stderr.starts_with("error: cannot reach the Kubernetes API server at https://127.0.0.1:"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "(context \"down\" in kubeconfig {})",
            server.kubeconfig().display()
        )),
        "{stderr}"
    );
    assert!(stderr.contains("Connection refused"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn unknown_context_lists_the_known_ones() {
    let server = start(seeded().unreachable_context("down"));
    let run = status(&server, &["--context", "prod"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert_eq!(
        run.stderr,
        format!(
            "error: context \"prod\" not found in the kubeconfig {} (it has: down, test-apiserver)\n",
            server.kubeconfig().display()
        )
    );
}

#[test]
fn missing_kubeconfig_is_an_error_that_says_where_it_looked() {
    let server = start(seeded());
    let home = tempfile::tempdir().expect("a temporary home");
    let run = command(&server, &["status"])
        .env_remove("KUBECONFIG")
        .env("HOME", home.path())
        .run();
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert_eq!(
        run.stderr,
        format!(
            "error: no kubeconfig found (looked in {}): pass --kubeconfig FILE, set KUBECONFIG, \
             or create ~/.kube/config\n",
            home.path().join(".kube/config").display()
        )
    );
    let missing = home.path().join("nope.yaml");
    let run = command(
        &server,
        &["status", "--kubeconfig", &missing.display().to_string()],
    )
    .run();
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stderr.starts_with(&format!(
            "error: cannot use the kubeconfig {}: No such file or directory",
            missing.display()
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn kubeconfig_flag_and_the_kubeconfig_list_are_honoured() {
    let server = start(seeded().context("analytics", "analytics"));
    let home = tempfile::tempdir().expect("a temporary home");
    // --kubeconfig without KUBECONFIG.
    let run = command(
        &server,
        &[
            "status",
            "--now",
            NOW,
            "--kubeconfig",
            &server.kubeconfig().display().to_string(),
            "--context",
            "analytics",
        ],
    )
    .env_remove("KUBECONFIG")
    .env("HOME", home.path())
    .run()
    .ok();
    assert_eq!(row(&run.stdout, "basic-example")[0], "basic-example");
    // KUBECONFIG as a list whose first file does not exist.
    let list = std::env::join_paths([
        home.path().join("missing"),
        server.kubeconfig().to_path_buf(),
    ])
    .expect("joins");
    let run = command(&server, &["status", "--now", NOW])
        .env("KUBECONFIG", list)
        .run()
        .ok();
    assert_eq!(row(&run.stdout, "orders")[0], "orders");
}

#[test]
fn usage_errors_exit_two() {
    let server = start(seeded());
    for args in [&["status", "-o", "csv"][..], &["status", "--watch-count"]] {
        let run = command(&server, args).run();
        assert_eq!(run.code, Some(2), "{args:?}: {run:#?}");
    }
}

// ---- watch, completions, kubectl's plugin mechanism --------------------------------

#[test]
fn watch_redraws_until_its_count() {
    let server = start(seeded());
    let mut child = command(
        &server,
        &[
            "status",
            "--now",
            NOW,
            "--watch",
            "--watch-count",
            "2",
            "--watch-interval",
            "1s",
        ],
    )
    .spawn();
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut first = String::new();
    for _ in 0..4 {
        stdout
            .read_line(&mut first)
            .expect("a line of the first table");
    }
    assert_eq!(column(&first, "JOB", "orders"), "RUNNING");
    // Between the two listings the job fails.
    server
        .store()
        .modify(FLINK, "FlinkDeployment", "team-a", "orders", |fd| {
            fd["status"]["jobStatus"]["state"] = "FAILED".into();
        })
        .expect("orders exists");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("the rest");
    let status = child.wait().expect("kubectl-flink exits");
    assert!(status.success());
    // Not a terminal: the second table follows after a blank line.
    let second = rest
        .strip_prefix('\n')
        .unwrap_or_else(|| panic!("a blank line between tables: {rest:?}"));
    assert_eq!(column(second, "JOB", "orders"), "FAILED");
    assert_eq!(second.lines().count(), 4, "{second}");
}

#[test]
fn watch_ends_quietly_on_ctrl_c() {
    let server = start(seeded());
    let mut child = command(&server, &["status", "--now", NOW, "--watch"]).spawn();
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut header = String::new();
    stdout.read_line(&mut header).expect("the first table");
    assert!(header.starts_with("NAME"), "{header}");
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupted.success());
    let status = child.wait().expect("kubectl-flink exits");
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[test]
fn watch_json_is_a_stream_of_documents() {
    let server = start(seeded());
    let run = status(
        &server,
        &[
            "-o",
            "json",
            "-w",
            "--watch-count",
            "2",
            "--watch-interval",
            "10ms",
        ],
    )
    .ok();
    let documents: Vec<Value> = serde_json::Deserializer::from_str(&run.stdout)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .expect("a stream of JSON documents");
    assert_eq!(documents.len(), 2);
    assert_eq!(documents[0], documents[1]);
}

#[test]
fn completions_offer_status() {
    for shell in ["bash", "zsh", "fish"] {
        let script = plugin(["completion", shell]).run().ok().stdout;
        assert!(script.contains("status"), "{shell}: no status in\n{script}");
        assert!(script.contains("all-namespaces"), "{shell}");
    }
}

#[test]
fn kubectl_runs_it_as_a_plugin() {
    let server = start(seeded());
    let out = BinaryRun::program("/usr/bin/kubectl", "kubectl")
        .args(["flink", "status", "-A", "--now", NOW])
        .env("PATH", path_with_plugin(&[]))
        .kubeconfig(server.kubeconfig())
        .columns(250)
        .run()
        .ok();
    let direct = status(&server, &["-A"]).ok();
    assert_eq!(out.stdout, direct.stdout);
}
