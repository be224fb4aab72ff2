//! Fidelity of the test API server, checked with the real `kubectl`: if kubectl can
//! discover, get, list, page, watch, apply, patch, scale and delete against it, the
//! plugin and webhook tests that use it test something real.

use flink_autoscale_e2e::apiserver::TestApiServer;
use flink_autoscale_e2e::fixture;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const FLINK: &str = "flink.apache.org/v1beta1";
const FD: &str = "FlinkDeployment";
const EXAMPLES: [&str; 4] = [
    "examples/flink-operator-autoscaling-dynamic.yaml",
    "examples/flink-operator-autoscaling.yaml",
    "examples/flink-operator-basic-hpa.yaml",
    "examples/flink-operator-basic.yaml",
];

fn vpa(name: &str, namespace: &str, mode: &str) -> Value {
    json!({
        "apiVersion": "autoscaling.k8s.io/v1",
        "kind": "VerticalPodAutoscaler",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        "spec": {
            "targetRef": {"apiVersion": FLINK, "kind": FD, "name": name},
            "updatePolicy": {"updateMode": mode},
        }
    })
}

/// The autoscaling examples in `team-a`, the basic one in `team-b`.
fn seeded() -> TestApiServer {
    TestApiServer::builder()
        .namespace("team-a")
        .yaml_file_in(fixture(EXAMPLES[0]), "team-a")
        .unwrap()
        .yaml_file_in(fixture(EXAMPLES[1]), "team-a")
        .unwrap()
        .yaml_file_in(fixture(EXAMPLES[3]), "team-b")
        .unwrap()
        .forbid("no-vpa", "list", "verticalpodautoscalers")
        .unreachable_context("down")
        .start()
        .expect("test API server starts")
}

fn namespace_json(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
}

/// `kubectl create -f` of a Namespace (`kubectl create namespace` sends protobuf).
fn create_namespace(server: &TestApiServer, name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ns.json");
    std::fs::write(&file, namespace_json(name).to_string()).unwrap();
    let out = ok(server, &["create", "-f", file.to_str().unwrap()]);
    assert_eq!(out.trim(), format!("namespace/{name} created"));
}

fn kubectl(server: &TestApiServer, args: &[&str]) -> Output {
    server
        .kubectl()
        .args(args)
        .output()
        .expect("kubectl runs (is it on PATH?)")
}

/// Runs kubectl, asserts it succeeded, returns stdout.
fn ok(server: &TestApiServer, args: &[&str]) -> String {
    let out = kubectl(server, args);
    assert!(
        out.status.success(),
        "kubectl {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs kubectl, asserts it failed, returns stderr.
fn fails(server: &TestApiServer, args: &[&str]) -> String {
    let out = kubectl(server, args);
    assert!(
        !out.status.success(),
        "kubectl {args:?} succeeded unexpectedly"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn table_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip(1)
        .map(|l| l.split_whitespace().map(String::from).collect())
        .collect()
}

#[test]
fn get_flinkdeployments_across_namespaces_prints_the_crd_columns() {
    let server = seeded();
    server
        .store()
        .modify(FLINK, FD, "team-b", "basic-example", |o| {
            o["status"] = json!({"jobStatus": {"state": "RUNNING"}, "lifecycleState": "STABLE"});
        })
        .unwrap();
    let out = ok(&server, &["get", "flinkdeployments", "-A"]);
    let header: Vec<&str> = out.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["NAMESPACE", "NAME", "JOB", "STATUS", "LIFECYCLE", "STATE"]
    );
    assert_eq!(
        table_rows(&out),
        [
            vec!["team-a", "autoscaling-dynamic"],
            vec!["team-a", "autoscaling-example"],
            vec!["team-b", "basic-example", "RUNNING", "STABLE"],
        ]
    );
    // The short name and the current context's namespace.
    let names = ok(&server, &["get", "flinkdep", "-o", "name"]);
    assert_eq!(
        names.lines().collect::<Vec<_>>(),
        [
            "flinkdeployment.flink.apache.org/autoscaling-dynamic",
            "flinkdeployment.flink.apache.org/autoscaling-example"
        ]
    );
}

#[test]
fn vpa_short_name_lists_one_namespace() {
    let server = seeded();
    server
        .store()
        .apply(vpa("autoscaling-example", "team-a", "Off"))
        .unwrap();
    server
        .store()
        .apply(vpa("basic-example", "team-b", "Recreate"))
        .unwrap();
    let out = ok(&server, &["get", "vpa", "-n", "team-b"]);
    assert!(out.starts_with("NAME"), "{out}");
    assert!(out.lines().next().unwrap().contains("MODE"), "{out}");
    let rows = table_rows(&out);
    assert_eq!(rows.len(), 1, "{out}");
    assert_eq!(rows[0][..2], ["basic-example", "Recreate"]);
    let all = ok(
        &server,
        &["get", "verticalpodautoscalers", "-A", "-o", "name"],
    );
    assert_eq!(all.lines().count(), 2, "{all}");
}

#[test]
fn apply_creates_then_patches_each_fixture() {
    let server = seeded();
    create_namespace(&server, "apply-test");
    let dir = tempfile::tempdir().unwrap();
    let vpa_file = dir.path().join("vpa.yaml");
    std::fs::write(
        &vpa_file,
        "apiVersion: autoscaling.k8s.io/v1\nkind: VerticalPodAutoscaler\nmetadata:\n  name: basic-example\n\
         spec:\n  targetRef:\n    apiVersion: flink.apache.org/v1beta1\n    kind: FlinkDeployment\n    \
         name: basic-example\n  updatePolicy:\n    updateMode: \"Off\"\n",
    )
    .unwrap();
    let mut files: Vec<PathBuf> = EXAMPLES.iter().map(|f| fixture(f)).collect();
    files.push(vpa_file);

    for file in &files {
        let file_arg = file.to_str().unwrap();
        let doc = flink_autoscale_e2e::apiserver::load_yaml(file)
            .unwrap()
            .remove(0);
        let (api_version, kind) = (
            doc["apiVersion"].as_str().unwrap(),
            doc["kind"].as_str().unwrap(),
        );
        let name = doc["metadata"]["name"].as_str().unwrap();
        // kubectl refuses `-n` that contradicts the file's own namespace.
        let namespace = doc["metadata"]["namespace"]
            .as_str()
            .unwrap_or("apply-test");
        let apply = |file: &str| ok(&server, &["apply", "-n", namespace, "-f", file]);
        let created = apply(file_arg);
        assert!(created.trim_end().ends_with("created"), "{created}");
        let stored = server
            .store()
            .get(api_version, kind, namespace, name)
            .expect("created");
        assert_eq!(stored["spec"], doc["spec"], "{file_arg}: stored as applied");

        let mut changed = doc.clone();
        changed["metadata"]["labels"] = json!({"changed": "yes"});
        match kind {
            "FlinkDeployment" => changed["spec"]["job"]["parallelism"] = 7.into(),
            "HorizontalPodAutoscaler" => changed["spec"]["maxReplicas"] = 7.into(),
            _ => changed["spec"]["updatePolicy"]["updateMode"] = "Initial".into(),
        }
        let changed_file = dir.path().join(format!("{name}-changed.json"));
        std::fs::write(&changed_file, changed.to_string()).unwrap();
        let changed_arg = changed_file.to_str().unwrap();
        let configured = apply(changed_arg);
        assert!(
            configured.trim_end().ends_with("configured"),
            "{configured}"
        );
        let patched = server
            .store()
            .get(api_version, kind, namespace, name)
            .unwrap();
        assert_eq!(patched["spec"], changed["spec"], "{file_arg}: patched");
        assert_eq!(patched["metadata"]["labels"]["changed"], "yes");
        assert_eq!(patched["metadata"]["uid"], stored["metadata"]["uid"]);
        if patched["metadata"]["generation"].is_i64() {
            assert_eq!(
                patched["metadata"]["generation"], 2,
                "{file_arg}: spec change bumps generation"
            );
        }
        let again = apply(changed_arg);
        assert!(again.trim_end().ends_with("unchanged"), "{again}");
    }
}

#[test]
fn apply_patches_built_in_kinds_strategically() {
    let server = seeded();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deploy.yaml");
    let deployment = |image: &str, sidecar: bool| {
        let mut containers =
            vec![json!({"name": "main", "image": image, "env": [{"name": "A", "value": "1"}]})];
        if sidecar {
            containers.push(json!({"name": "sidecar", "image": "busybox"}));
        }
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "labels": {"app": "web"}},
               "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                        "template": {"metadata": {"labels": {"app": "web"}},
                                     "spec": {"containers": containers}}}})
    };
    std::fs::write(&file, deployment("nginx:1", true).to_string()).unwrap();
    ok(&server, &["apply", "-f", file.to_str().unwrap()]);
    std::fs::write(&file, deployment("nginx:2", false).to_string()).unwrap();
    let out = ok(&server, &["apply", "-f", file.to_str().unwrap()]);
    assert!(out.contains("configured"), "{out}");
    let stored = server
        .store()
        .get("apps/v1", "Deployment", "team-a", "web")
        .unwrap();
    assert_eq!(
        stored["spec"]["template"]["spec"]["containers"],
        json!([{"name": "main", "image": "nginx:2", "env": [{"name": "A", "value": "1"}]}])
    );
    let table = ok(&server, &["get", "deployments"]);
    assert!(
        table.starts_with("NAME   READY   UP-TO-DATE   AVAILABLE   AGE"),
        "{table}"
    );
}

#[test]
fn server_side_apply_creates_and_updates() {
    let server = seeded();
    let file = fixture(EXAMPLES[3]);
    let file = file.to_str().unwrap();
    let err = fails(
        &server,
        &["apply", "--server-side", "-n", "ssa", "-f", file],
    );
    assert!(err.contains("namespaces \"ssa\" not found"), "{err}");
    create_namespace(&server, "ssa");
    let out = ok(
        &server,
        &["apply", "--server-side", "-n", "ssa", "-f", file],
    );
    assert!(out.contains("serverside-applied"), "{out}");
    let created = server
        .store()
        .get(FLINK, FD, "ssa", "basic-example")
        .expect("created");
    assert_eq!(created["spec"]["job"]["parallelism"], 2);

    let mut changed = flink_autoscale_e2e::apiserver::load_yaml(file)
        .unwrap()
        .remove(0);
    changed["spec"]["job"]["parallelism"] = 5.into();
    let dir = tempfile::tempdir().unwrap();
    let changed_file = dir.path().join("changed.json");
    std::fs::write(&changed_file, changed.to_string()).unwrap();
    ok(
        &server,
        &[
            "apply",
            "--server-side",
            "-n",
            "ssa",
            "-f",
            changed_file.to_str().unwrap(),
        ],
    );
    let updated = server
        .store()
        .get(FLINK, FD, "ssa", "basic-example")
        .unwrap();
    assert_eq!(updated["spec"]["job"]["parallelism"], 5);
    assert_eq!(updated["metadata"]["generation"], 2);
}

#[test]
fn get_json_round_trips_the_stored_object() {
    let server = seeded();
    let got = json_of(&ok(
        &server,
        &[
            "get",
            "flinkdeployment",
            "autoscaling-example",
            "-o",
            "json",
        ],
    ));
    let stored = server
        .store()
        .get(FLINK, FD, "team-a", "autoscaling-example")
        .unwrap();
    assert_eq!(got, stored);
    assert_eq!(
        got["spec"]["flinkConfiguration"]["job.autoscaler"]["enabled"],
        true
    );
    let list = json_of(&ok(
        &server,
        &["get", "flinkdeployments", "-A", "-o", "json"],
    ));
    assert_eq!(list["items"].as_array().unwrap().len(), 3);
    assert_eq!(
        list["items"][2],
        server
            .store()
            .get(FLINK, FD, "team-b", "basic-example")
            .unwrap()
    );
}

#[test]
fn delete_removes_and_get_then_reports_not_found() {
    let server = seeded();
    let out = ok(
        &server,
        &["delete", "flinkdeployment", "autoscaling-dynamic"],
    );
    assert!(out.contains("\"autoscaling-dynamic\" deleted"), "{out}");
    assert!(
        server
            .store()
            .get(FLINK, FD, "team-a", "autoscaling-dynamic")
            .is_none()
    );
    let err = fails(&server, &["get", "flinkdeployment", "autoscaling-dynamic"]);
    assert!(
        err.contains("Error from server (NotFound): flinkdeployments.flink.apache.org \"autoscaling-dynamic\" not found"),
        "{err}"
    );
    let err = fails(
        &server,
        &["delete", "flinkdeployment", "autoscaling-dynamic"],
    );
    assert!(err.contains("NotFound"), "{err}");
}

/// A kubectl process whose stdout lines arrive on a channel; killed when dropped.
struct Streaming {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Streaming {
    fn start(server: &TestApiServer, args: &[&str]) -> Self {
        let mut child = server
            .kubectl()
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kubectl starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Streaming { child, lines }
    }

    /// Waits (up to 20 s) for a line that satisfies `want`.
    fn wait_for(&self, what: &str, want: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) if want(&line) => return line,
                Ok(line) => seen.push(line),
                Err(_) => break,
            }
        }
        panic!(
            "no line with {what} from kubectl; saw:\n{}",
            seen.join("\n")
        );
    }
}

impl Drop for Streaming {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn get_watch_sees_updates_from_the_store_and_from_kubectl() {
    let server = seeded();
    let watch = Streaming::start(
        &server,
        &[
            "get",
            "flinkdeployments",
            "--watch",
            "--output-watch-events",
        ],
    );
    watch.wait_for("the initial row", |l| {
        l.contains("ADDED") && l.contains("autoscaling-example")
    });
    server
        .store()
        .modify(FLINK, FD, "team-a", "autoscaling-example", |o| {
            o["status"] = json!({"jobStatus": {"state": "RUNNING"}, "lifecycleState": "DEPLOYED"});
        })
        .unwrap();
    let line = watch.wait_for("the status change", |l| {
        l.contains("MODIFIED") && l.contains("RUNNING")
    });
    assert!(
        line.contains("autoscaling-example") && line.contains("DEPLOYED"),
        "{line}"
    );
    ok(
        &server,
        &["delete", "flinkdeployment", "autoscaling-dynamic"],
    );
    watch.wait_for("the deletion", |l| {
        l.contains("DELETED") && l.contains("autoscaling-dynamic")
    });
}

#[test]
fn label_selectors_filter() {
    let server = seeded();
    ok(
        &server,
        &[
            "label",
            "flinkdeployment",
            "autoscaling-example",
            "app=x",
            "tier=batch",
        ],
    );
    ok(
        &server,
        &["label", "flinkdeployment", "autoscaling-dynamic", "app=y"],
    );
    let names = |selector: &str| {
        ok(
            &server,
            &[
                "get",
                "flinkdeployments",
                "-A",
                "-l",
                selector,
                "-o",
                "name",
            ],
        )
        .lines()
        .map(|l| l.rsplit('/').next().unwrap().to_string())
        .collect::<Vec<_>>()
    };
    assert_eq!(names("app=x"), ["autoscaling-example"]);
    assert_eq!(
        names("app in (x,y)"),
        ["autoscaling-dynamic", "autoscaling-example"]
    );
    assert_eq!(
        names("app notin (x)"),
        ["autoscaling-dynamic", "basic-example"]
    );
    assert_eq!(names("app!=y,tier"), ["autoscaling-example"]);
    assert_eq!(names("!app"), ["basic-example"]);
    let err = fails(&server, &["get", "flinkdeployments", "-l", "app in x"]);
    assert!(err.contains("BadRequest"), "{err}");
    let by_field = ok(
        &server,
        &[
            "get",
            "flinkdeployments",
            "-A",
            "--field-selector",
            "metadata.namespace=team-b",
            "-o",
            "name",
        ],
    );
    assert_eq!(
        by_field.trim(),
        "flinkdeployment.flink.apache.org/basic-example"
    );
}

#[test]
fn chunked_listing_pages_through_everything() {
    let server = seeded();
    for i in 0..5 {
        let mut fd = server
            .store()
            .get(FLINK, FD, "team-b", "basic-example")
            .unwrap();
        fd["metadata"] = json!({"name": format!("copy-{i}"), "namespace": format!("ns-{}", i % 2)});
        server.store().create(fd).unwrap();
    }
    let out = kubectl(
        &server,
        &[
            "get",
            "flinkdeployments",
            "-A",
            "--chunk-size=1",
            "-o",
            "name",
            "-v=6",
        ],
    );
    assert!(out.status.success());
    let names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(names.len(), 8, "{names:?}");
    let unique: std::collections::BTreeSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "no object twice: {names:?}");
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        log.matches("continue=").count(),
        7,
        "one request per object:\n{log}"
    );
}

#[test]
fn scale_subresource_reads_and_writes_taskmanager_replicas() {
    let server = seeded();
    let out = ok(
        &server,
        &[
            "scale",
            "flinkdeployment",
            "autoscaling-example",
            "--replicas=3",
        ],
    );
    assert!(out.contains("scaled"), "{out}");
    let fd = server
        .store()
        .get(FLINK, FD, "team-a", "autoscaling-example")
        .unwrap();
    assert_eq!(fd["spec"]["taskManager"]["replicas"], 3);
    server
        .store()
        .modify(FLINK, FD, "team-a", "autoscaling-example", |o| {
            o["status"] = json!({"taskManager": {"replicas": 2, "labelSelector": "component=taskmanager,app=autoscaling-example"}});
        })
        .unwrap();
    let scale = json_of(&ok(
        &server,
        &[
            "get",
            "--raw",
            "/apis/flink.apache.org/v1beta1/namespaces/team-a/flinkdeployments/autoscaling-example/scale",
        ],
    ));
    assert_eq!(scale["kind"], "Scale");
    assert_eq!(scale["spec"]["replicas"], 3);
    assert_eq!(scale["status"]["replicas"], 2);
    assert_eq!(
        scale["status"]["selector"],
        "component=taskmanager,app=autoscaling-example"
    );
}

#[test]
fn forbidden_and_unreachable_contexts_fail_like_a_real_cluster() {
    let server = seeded();
    let err = fails(&server, &["--context", "no-vpa", "get", "vpa"]);
    assert!(
        err.contains(
            "Error from server (Forbidden): verticalpodautoscalers.autoscaling.k8s.io is forbidden: \
             User \"no-vpa\" cannot list resource \"verticalpodautoscalers\" in API group \
             \"autoscaling.k8s.io\" in the namespace \"team-a\""
        ),
        "{err}"
    );
    let err = fails(&server, &["--token", "wrong", "get", "flinkdeployments"]);
    assert!(
        err.contains("Unauthorized") || err.contains("must be logged in"),
        "{err}"
    );
    // The rule is about VPAs only.
    ok(&server, &["--context", "no-vpa", "get", "flinkdeployments"]);
    let err = fails(
        &server,
        &[
            "--context",
            "down",
            "get",
            "flinkdeployments",
            "--request-timeout=5s",
        ],
    );
    assert!(err.contains("refused"), "{err}");
}

#[test]
fn bad_requests_get_status_objects() {
    let server = seeded();
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{not json").unwrap();
    let path = "/apis/flink.apache.org/v1beta1/namespaces/team-a/flinkdeployments";
    let err = fails(
        &server,
        &["create", "--raw", path, "-f", bad.to_str().unwrap()],
    );
    assert!(err.contains("BadRequest"), "{err}");
    let body = dir.path().join("other-ns.json");
    std::fs::write(
        &body,
        json!({"apiVersion": FLINK, "kind": FD, "metadata": {"name": "x", "namespace": "elsewhere"}}).to_string(),
    )
    .unwrap();
    let err = fails(
        &server,
        &["create", "--raw", path, "-f", body.to_str().unwrap()],
    );
    assert!(err.contains("does not match the namespace"), "{err}");
    let array = dir.path().join("array.json");
    std::fs::write(&array, "[1, 2]").unwrap();
    let object = format!("{path}/autoscaling-example");
    let err = fails(
        &server,
        &["replace", "--raw", &object, "-f", array.to_str().unwrap()],
    );
    assert!(err.contains("BadRequest"), "{err}");
    let err = fails(&server, &["get", "--raw", &format!("{path}?limit=many")]);
    assert!(err.contains("BadRequest"), "{err}");
    let err = fails(
        &server,
        &["get", "--raw", "/apis/flink.apache.org/v1beta1/nothing"],
    );
    assert!(err.contains("NotFound"), "{err}");
    let err = fails(&server, &["create", "-f", "-"]);
    assert!(err.contains("no objects passed to create"), "{err}");
    create_namespace(&server, "fresh");
    let namespace = dir.path().join("ns.json");
    std::fs::write(&namespace, namespace_json("fresh").to_string()).unwrap();
    let err = fails(&server, &["create", "-f", namespace.to_str().unwrap()]);
    assert!(
        err.contains("Error from server (AlreadyExists): error when creating"),
        "{err}"
    );
    // Typed commands send protobuf, which is answered with 415 and a pointer to -f.
    let err = fails(&server, &["create", "namespace", "typed"]);
    assert!(
        err.contains("UnsupportedMediaType") || err.contains("unknown format"),
        "{err}"
    );
}

/// Events of a bounded `--raw` watch, parsed.
fn watch_events(server: &TestApiServer, query: &str) -> Vec<Value> {
    let path = format!(
        "/apis/flink.apache.org/v1beta1/namespaces/team-a/flinkdeployments?watch=true&timeoutSeconds=1&{query}"
    );
    ok(server, &["get", "--raw", &path])
        .lines()
        .map(json_of)
        .collect()
}

fn summary(events: &[Value]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|e| {
            let name = e["object"]["metadata"]["name"].as_str().unwrap_or("-");
            (e["type"].as_str().unwrap().to_string(), name.to_string())
        })
        .collect()
}

#[test]
fn watch_replays_from_a_list_version_as_reflectors_expect() {
    let server = seeded();
    let list = json_of(&ok(
        &server,
        &[
            "get",
            "--raw",
            "/apis/flink.apache.org/v1beta1/namespaces/team-a/flinkdeployments",
        ],
    ));
    assert_eq!(list["kind"], "FlinkDeploymentList");
    let version = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    ok(
        &server,
        &["label", "flinkdeployment", "autoscaling-example", "app=x"],
    );
    ok(
        &server,
        &["delete", "flinkdeployment", "autoscaling-dynamic"],
    );
    server
        .store()
        .apply(vpa("unrelated", "team-a", "Off"))
        .unwrap();

    let events = watch_events(&server, &format!("resourceVersion={version}"));
    assert_eq!(
        summary(&events),
        [
            ("MODIFIED".into(), "autoscaling-example".into()),
            ("DELETED".into(), "autoscaling-dynamic".into())
        ]
    );
    let versions: Vec<u64> = events
        .iter()
        .map(|e| {
            e["object"]["metadata"]["resourceVersion"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(
        versions[0] > version.parse().unwrap() && versions[1] > versions[0],
        "{versions:?}"
    );

    // A selection sees an object leave it as a deletion.
    let after_label = versions[0].to_string();
    ok(
        &server,
        &[
            "label",
            "--overwrite",
            "flinkdeployment",
            "autoscaling-example",
            "app=z",
        ],
    );
    let events = watch_events(
        &server,
        &format!("resourceVersion={after_label}&labelSelector=app%3Dx"),
    );
    assert_eq!(
        summary(&events),
        [("DELETED".into(), "autoscaling-example".into())]
    );

    // No version: the current objects as ADDED; sendInitialEvents ends them with a bookmark.
    let events = watch_events(
        &server,
        "sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true",
    );
    assert_eq!(
        summary(&events)[..2],
        [
            ("ADDED".into(), "autoscaling-example".into()),
            ("BOOKMARK".into(), "-".into())
        ]
    );
    assert_eq!(
        events[1]["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );
}

#[test]
fn watch_from_a_compacted_version_is_410_expired() {
    let server = TestApiServer::builder()
        .namespace("team-a")
        .history_limit(2)
        .yaml_file_in(fixture(EXAMPLES[1]), "team-a")
        .unwrap()
        .start()
        .unwrap();
    for replicas in 1..5 {
        server
            .store()
            .modify(FLINK, FD, "team-a", "autoscaling-example", |o| {
                o["spec"]["taskManager"]["replicas"] = replicas.into();
            })
            .unwrap();
    }
    let events = watch_events(&server, "resourceVersion=2");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["type"], "ERROR");
    assert_eq!(events[0]["object"]["kind"], "Status");
    assert_eq!(events[0]["object"]["code"], 410);
    assert_eq!(events[0]["object"]["reason"], "Expired");
}

#[test]
fn watch_sends_bookmarks_when_allowed() {
    let server = TestApiServer::builder()
        .namespace("team-a")
        .bookmark_interval(Duration::from_millis(200))
        .start()
        .unwrap();
    let version = server.store().resource_version();
    let events = watch_events(
        &server,
        &format!("resourceVersion={version}&allowWatchBookmarks=true"),
    );
    assert!(
        !events.is_empty() && events.iter().all(|e| e["type"] == "BOOKMARK"),
        "{events:?}"
    );
    assert_eq!(events[0]["object"]["kind"], FD);
    assert!(watch_events(&server, &format!("resourceVersion={version}")).is_empty());
}
