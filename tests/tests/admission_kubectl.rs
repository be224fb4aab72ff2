//! End-to-end: `kubectl apply` meets the webhook the way it will in a cluster.
//!
//! The test API server's admission chain calls the `flink-autoscale-webhook` binary
//! (online, its cluster view watching the same server) through the webhook
//! configurations rendered from the chart with `helm template` (cert-manager off,
//! certificates from the webhook's own `certs` command, the CA as `caBundle`) and
//! applied with the real `/usr/bin/kubectl`. The Service the configurations name is
//! mapped to the webhook's local address; TLS is verified against `caBundle` for
//! `SERVICE.NAMESPACE.svc`. What kubectl prints is compared with README.md, whose
//! `$ kubectl apply` blocks are therefore produced by these tests.

use flink_autoscale_e2e::apiserver::{TestApiServer, parse_yaml};
use flink_autoscale_e2e::plugin::{plugin, webhook_cli};
use flink_autoscale_e2e::webhook::WebhookProcess;
use flink_autoscale_e2e::{helm, workspace_root};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

const RELEASE: &str = "guard";
const NAMESPACE: &str = "flink-guard";
const SERVICE: &str = "guard-flink-autoscale-webhook";
const SERVICE_KEY: &str = "flink-guard/guard-flink-autoscale-webhook:443";
const CHART: &str = "charts/flink-autoscale-webhook";

fn examples() -> PathBuf {
    workspace_root().join("examples")
}

/// What a command printed, stdout and stderr interleaved as on a terminal.
struct Printed {
    code: Option<i32>,
    text: String,
}

/// A test API server with the chart's webhook configurations and the webhook.
struct Cluster {
    server: TestApiServer,
    webhook: WebhookProcess,
    dir: tempfile::TempDir,
}

impl Cluster {
    fn start() -> Cluster {
        Self::start_with(&[])
    }

    /// Starts everything; `helm_args` go to `helm template` (e.g. `--set`).
    fn start_with(helm_args: &[&str]) -> Cluster {
        let dir = tempfile::tempdir().expect("temp dir");
        let certs = webhook_cli(["certs", "--service", SERVICE])
            .args(["--namespace", NAMESPACE, "--out"])
            .arg(dir.path())
            .run();
        assert_eq!(certs.code, Some(0), "certs: {}", certs.stderr);
        let server = TestApiServer::builder()
            .namespace("flink")
            .object(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "flink"}}))
            .object(
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}),
            )
            .start()
            .expect("test API server starts");
        let webhook =
            WebhookProcess::with_certs(dir.path().join("tls.crt"), dir.path().join("tls.key"))
                .ca(dir.path().join("ca.crt"))
                .kubeconfig(server.kubeconfig())
                .start();
        server.map_service(SERVICE_KEY, Some(webhook.addr()));
        let cluster = Cluster {
            server,
            webhook,
            dir,
        };
        cluster.wait_ready();
        cluster.apply_webhook_configurations(helm_args);
        cluster
    }

    fn file(&self, name: &str) -> String {
        self.dir
            .path()
            .join(name)
            .to_str()
            .expect("UTF-8 path")
            .to_string()
    }

    /// Renders the chart's webhook configurations and applies them with kubectl.
    fn apply_webhook_configurations(&self, helm_args: &[&str]) {
        let mut args = vec![
            "--set".to_string(),
            "certManager.enabled=false".to_string(),
            "--set-file".to_string(),
            format!("tls.crt={}", self.file("tls.crt")),
            "--set-file".to_string(),
            format!("tls.key={}", self.file("tls.key")),
            "--set-file".to_string(),
            format!("caBundle={}", self.file("ca.crt")),
        ];
        args.extend(helm_args.iter().map(|a| a.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let rendered =
            helm::template(RELEASE, CHART, NAMESPACE, &args).unwrap_or_else(|e| panic!("{e}"));
        let docs = parse_yaml(&rendered).expect("helm renders YAML");
        let configurations: Vec<Value> = docs
            .into_iter()
            .filter(|d| {
                d["kind"] == "MutatingWebhookConfiguration"
                    || d["kind"] == "ValidatingWebhookConfiguration"
            })
            .collect();
        assert_eq!(configurations.len(), 2, "{rendered}");
        // A stream of JSON objects (kubectl validates a `List` against a schema this
        // server does not publish).
        let path = self.dir.path().join("webhooks.json");
        let text: Vec<String> = configurations.iter().map(Value::to_string).collect();
        std::fs::write(&path, text.join("\n")).expect("write");
        let out = self.kubectl(&["apply", "-f", path.to_str().expect("UTF-8")]);
        assert_eq!(out.code, Some(0), "{}", out.text);
    }

    /// Waits until the webhook's `/readyz` answers 200 (its caches synced), over
    /// TLS by the Service name in its certificate.
    fn wait_ready(&self) {
        let host = format!("{SERVICE}.{NAMESPACE}.svc");
        let addr = self.webhook.addr();
        let url = format!("https://{host}:{}/readyz", addr.port());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let client = self
                .webhook
                .client_builder()
                .resolve(&host, addr)
                .timeout(Duration::from_secs(5))
                .build()
                .expect("client");
            self.webhook.wait_ready_at(&client, &url).await;
        });
    }

    /// Runs kubectl in `examples/` (so file names print as in the README).
    fn kubectl(&self, args: &[&str]) -> Printed {
        self.kubectl_with_stdin(args, None)
    }

    fn kubectl_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Printed {
        let log = tempfile::NamedTempFile::new().expect("temp file");
        let out = log.reopen().expect("reopen");
        let err = out.try_clone().expect("clone");
        let mut command = self.server.kubectl();
        command
            .current_dir(examples())
            .args(args)
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            });
        let mut child = command.spawn().expect("kubectl runs");
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            use std::io::Write;
            pipe.write_all(text.as_bytes()).expect("stdin");
        }
        let status = child.wait().expect("kubectl exits");
        Printed {
            code: status.code(),
            text: std::fs::read_to_string(log.path()).expect("output"),
        }
    }

    /// `kubectl get KIND NAME -o json`, or None when it does not exist.
    fn get(&self, kind: &str, name: &str) -> Option<Value> {
        let out = self.kubectl(&["get", kind, name, "-o", "json"]);
        (out.code == Some(0)).then(|| serde_json::from_str(&out.text).expect("JSON"))
    }

    fn calls(&self) -> Vec<String> {
        self.server.webhook_calls()
    }
}

/// The output lines of README.md's fenced block that starts with `$ COMMAND`.
fn readme_block(command: &str) -> Option<String> {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).expect("README.md");
    let first = format!("$ {command}");
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        if line == first {
            let block: Vec<&str> = lines.take_while(|l| !l.starts_with("```")).collect();
            return Some(block.join("\n") + "\n");
        }
    }
    None
}

/// Every `$ kubectl apply` block of the README, so none escapes the tests.
fn readme_apply_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).expect("README.md");
    readme
        .lines()
        .filter_map(|l| l.strip_prefix("$ kubectl apply"))
        .map(|rest| format!("kubectl apply{rest}"))
        .collect()
}

const README_COMMANDS: &[&str] = &[
    "kubectl apply -f orders.yaml",
    "kubectl apply -f clicks.yaml",
    "kubectl apply -f clicks-hpa.yaml",
];

/// With `README_UPDATE=1` the README's block of `command` is rewritten with what was
/// printed (after a deliberate change of messages), instead of failing.
fn update_readme_block(command: &str, printed: &str) -> bool {
    if std::env::var_os("README_UPDATE").is_none() {
        return false;
    }
    let path = workspace_root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let first = format!("$ {command}");
    let mut out = Vec::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        out.push(line.to_string());
        if line == first {
            out.extend(printed.lines().map(str::to_string));
            for rest in lines.by_ref() {
                if rest.starts_with("```") {
                    out.push(rest.to_string());
                    break;
                }
            }
        }
    }
    std::fs::write(&path, out.join("\n") + "\n").expect("README.md written");
    true
}

/// Runs a README command and checks that it prints what the README says.
fn check_readme_command(cluster: &Cluster, command: &str) -> Printed {
    let args: Vec<&str> = command.split_whitespace().skip(1).collect();
    let printed = cluster.kubectl(&args);
    if update_readme_block(command, &printed.text) {
        return printed;
    }
    let Some(block) = readme_block(command) else {
        panic!(
            "README.md has no block starting with `$ {command}`; kubectl printed:\n{}",
            printed.text
        );
    };
    assert_eq!(
        printed.text, block,
        "README.md's `{command}` block differs from what kubectl printed (update the README)"
    );
    printed
}

#[test]
fn every_kubectl_apply_in_the_readme_is_checked_here() {
    assert_eq!(readme_apply_commands(), README_COMMANDS);
}

#[test]
fn the_readme_offline_check_of_the_same_file_is_what_kubectl_flink_check_prints() {
    let command = "kubectl flink check -f orders.yaml";
    let out = plugin(["check", "-f", "orders.yaml"])
        .current_dir(examples())
        .run();
    assert_eq!(out.code, Some(1), "denied");
    let printed = out.stdout;
    if update_readme_block(command, &printed) {
        return;
    }
    assert_eq!(
        Some(printed.as_str()),
        readme_block(command).as_deref(),
        "README.md's `{command}` block differs from what the plugin printed"
    );
}

#[test]
fn the_readme_denial_is_what_kubectl_apply_prints() {
    let cluster = Cluster::start();
    let printed = check_readme_command(&cluster, "kubectl apply -f orders.yaml");
    assert_eq!(printed.code, Some(1));
    assert!(printed.text.contains(
        "admission webhook \"flink.validate.flink-autoscale-guard.io\" denied the request"
    ));
    for rule in [
        "[autoscaler.durations]",
        "[config.unknown-key]",
        "[autoscaler.utilization-range]",
    ] {
        assert!(printed.text.contains(rule), "{rule}: {}", printed.text);
    }
    assert!(
        cluster.get("flinkdeployment", "orders").is_none(),
        "a denied object is not stored"
    );
    assert!(
        cluster.calls().iter().any(|c| c.starts_with(
            "flink.validate.flink-autoscale-guard.io CREATE FlinkDeployment flink/orders"
        )),
        "{:?}",
        cluster.calls()
    );
}

#[test]
fn warnings_print_as_kubectl_warnings_and_the_object_is_stored() {
    let cluster = Cluster::start();
    let printed = check_readme_command(&cluster, "kubectl apply -f clicks.yaml");
    assert_eq!(printed.code, Some(0));
    let warnings: Vec<&str> = printed
        .text
        .lines()
        .filter(|l| l.starts_with("Warning: "))
        .collect();
    assert!(warnings.len() >= 2, "{}", printed.text);
    assert!(
        printed.text.contains("[autoscaler.no-checkpointing]"),
        "{}",
        printed.text
    );
    let stored = cluster.get("flinkdeployment", "clicks").expect("stored");
    assert_eq!(
        stored["spec"]["flinkConfiguration"]["job.autoscaler.metrics.window"],
        "5m"
    );
}

#[test]
fn a_vpa_on_taskmanagers_is_stored_with_the_webhooks_memory_bounds() {
    let cluster = Cluster::start();
    assert_eq!(
        cluster.kubectl(&["apply", "-f", "clicks.yaml"]).code,
        Some(0)
    );
    cluster.server.clear_webhook_calls();
    let printed = cluster.kubectl(&["apply", "-f", "clicks-vpa.yaml"]);
    assert_eq!(printed.code, Some(0), "{}", printed.text);
    let vpa = cluster.get("vpa", "clicks-tm").expect("stored");
    let policies = vpa["spec"]["resourcePolicy"]["containerPolicies"]
        .as_array()
        .expect("a policy was added");
    assert_eq!(policies.len(), 1, "{vpa:#}");
    let policy = &policies[0];
    assert_eq!(policy["containerName"], "flink-main-container");
    assert_eq!(policy["controlledResources"], json!(["memory"]));
    // README "A VPA before and after mutation": with the cluster view the minimum is
    // raised to the TaskManager's memory (2048m, 2 GiB) and the maximum doubled.
    assert_eq!(policy["minAllowed"]["memory"], "2Gi", "{vpa:#}");
    assert_eq!(policy["maxAllowed"]["memory"], "4Gi", "{vpa:#}");
    // Mutation first, then validation of the mutated object.
    let calls = cluster.calls();
    let position = |name: &str| calls.iter().position(|c| c.starts_with(name));
    let mutate = position("vpa.mutate.flink-autoscale-guard.io CREATE").expect("mutated");
    let validate = position("vpa.validate.flink-autoscale-guard.io CREATE").expect("validated");
    assert!(mutate < validate, "{calls:?}");
    // Applying the same file again adds nothing (the patch is idempotent).
    let again = cluster.kubectl(&["apply", "-f", "clicks-vpa.yaml"]);
    assert_eq!(again.code, Some(0), "{}", again.text);
    let after = cluster.get("vpa", "clicks-tm").expect("stored");
    assert_eq!(
        after["spec"]["resourcePolicy"],
        vpa["spec"]["resourcePolicy"]
    );
}

#[test]
fn an_hpa_on_an_autoscaled_flink_deployment_is_refused() {
    let cluster = Cluster::start();
    assert_eq!(
        cluster.kubectl(&["apply", "-f", "clicks.yaml"]).code,
        Some(0)
    );
    let printed = check_readme_command(&cluster, "kubectl apply -f clicks-hpa.yaml");
    assert_eq!(printed.code, Some(1));
    assert!(
        printed.text.contains("[hpa.autoscaler-conflict]"),
        "{}",
        printed.text
    );
    assert!(cluster.get("hpa", "clicks").is_none());
}

#[test]
fn an_hpa_on_an_unrelated_deployment_never_reaches_the_webhook() {
    let cluster = Cluster::start();
    cluster.server.clear_webhook_calls();
    let printed = cluster.kubectl(&["apply", "-f", "web-hpa.yaml"]);
    assert_eq!(
        printed.text,
        "horizontalpodautoscaler.autoscaling/web created\n"
    );
    assert!(cluster.get("hpa", "web").is_some());
    assert_eq!(
        cluster.calls(),
        Vec::<String>::new(),
        "matchConditions keep it away"
    );
    // A Flink-aimed HPA does reach it (no FlinkDeployment yet: admitted).
    let printed = cluster.kubectl(&["apply", "-f", "clicks-hpa.yaml"]);
    assert_eq!(printed.code, Some(0), "{}", printed.text);
    assert_eq!(
        cluster.calls(),
        ["hpa.validate.flink-autoscale-guard.io CREATE HorizontalPodAutoscaler flink/clicks"]
    );
}

#[test]
fn with_the_webhook_down_flink_writes_fail_and_unrelated_hpas_go_through() {
    let mut cluster = Cluster::start();
    let port = cluster.webhook.addr().port();
    cluster.webhook.kill();
    let printed = cluster.kubectl(&["apply", "-f", "clicks.yaml"]);
    assert_eq!(printed.code, Some(1), "{}", printed.text);
    assert_eq!(
        printed.text,
        format!(
            "Error from server (InternalError): error when creating \"clicks.yaml\": Internal error occurred: \
             failed calling webhook \"flink.validate.flink-autoscale-guard.io\": failed to call webhook: \
             Post \"https://{SERVICE}.{NAMESPACE}.svc:443/validate?timeout=5s\": dial tcp 127.0.0.1:{port}: \
             connect: connection refused\n"
        )
    );
    let printed = cluster.kubectl(&["apply", "-f", "web-hpa.yaml"]);
    assert_eq!(printed.code, Some(0), "{}", printed.text);
    // Fail for the HPA webhook refuses Flink-aimed HPAs while it is down ...
    let printed = cluster.kubectl(&["apply", "-f", "clicks-hpa.yaml"]);
    assert_eq!(printed.code, Some(1), "{}", printed.text);
    assert!(
        printed
            .text
            .contains("failed calling webhook \"hpa.validate.flink-autoscale-guard.io\"")
    );
    // ... Ignore admits them unchecked; the Flink webhook still fails closed.
    cluster.apply_webhook_configurations(&["--set", "webhooks.hpa.failurePolicy=Ignore"]);
    let printed = cluster.kubectl(&["apply", "-f", "clicks-hpa.yaml"]);
    assert_eq!(
        printed.text,
        "horizontalpodautoscaler.autoscaling/clicks created\n"
    );
    assert_eq!(
        cluster.kubectl(&["apply", "-f", "clicks.yaml"]).code,
        Some(1)
    );
    // A Service without endpoints (no pod ready) fails the same way.
    cluster.server.map_service(SERVICE_KEY, None);
    let printed = cluster.kubectl(&["apply", "-f", "clicks.yaml"]);
    assert!(
        printed
            .text
            .contains(&format!("no endpoints available for service \"{SERVICE}\"")),
        "{}",
        printed.text
    );
}

#[test]
fn server_dry_run_is_judged_and_nothing_is_stored() {
    let cluster = Cluster::start();
    let denied = cluster.kubectl(&["apply", "--dry-run=server", "-f", "orders.yaml"]);
    assert_eq!(denied.code, Some(1));
    let real = readme_block("kubectl apply -f orders.yaml").expect("README block");
    assert_eq!(
        denied.text, real,
        "a dry run is refused with the same message"
    );
    let admitted = cluster.kubectl(&["apply", "--dry-run=server", "-f", "clicks.yaml"]);
    assert_eq!(admitted.code, Some(0));
    assert!(
        admitted
            .text
            .ends_with("flinkdeployment.flink.apache.org/clicks created (server dry run)\n"),
        "{}",
        admitted.text
    );
    assert!(admitted.text.contains("Warning: "), "{}", admitted.text);
    assert!(cluster.get("flinkdeployment", "clicks").is_none());
    // The mutation shows in the dry run's answer, and is not stored either.
    assert_eq!(
        cluster.kubectl(&["apply", "-f", "clicks.yaml"]).code,
        Some(0)
    );
    let vpa = cluster.kubectl(&[
        "apply",
        "--dry-run=server",
        "-f",
        "clicks-vpa.yaml",
        "-o",
        "json",
    ]);
    assert_eq!(vpa.code, Some(0), "{}", vpa.text);
    let answered: Value = serde_json::from_str(&vpa.text).expect("JSON");
    assert_eq!(
        answered["spec"]["resourcePolicy"]["containerPolicies"][0]["controlledResources"],
        json!(["memory"])
    );
    assert!(cluster.get("vpa", "clicks-tm").is_none());
    // The requests carried dryRun (the chart's sideEffects: None allows it).
    assert!(
        cluster
            .calls()
            .iter()
            .any(|c| c.contains("VerticalPodAutoscaler flink/clicks-tm"))
    );
}

#[test]
fn server_side_apply_and_edits_are_judged_on_the_merged_object() {
    let cluster = Cluster::start();
    assert_eq!(
        cluster.kubectl(&["apply", "-f", "clicks.yaml"]).code,
        Some(0)
    );
    // A server-side apply that only adds a label: judged on the whole merged object,
    // so the stored configuration's warnings come back.
    let label_only = "apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeployment\nmetadata:\n  name: clicks\n  namespace: flink\n  labels:\n    team: web\n";
    let printed =
        cluster.kubectl_with_stdin(&["apply", "--server-side", "-f", "-"], Some(label_only));
    assert_eq!(printed.code, Some(0), "{}", printed.text);
    assert!(
        printed.text.contains("[autoscaler.no-checkpointing]"),
        "{}",
        printed.text
    );
    assert!(
        printed
            .text
            .ends_with("flinkdeployment.flink.apache.org/clicks serverside-applied\n"),
        "{}",
        printed.text
    );
    let stored = cluster.get("flinkdeployment", "clicks").expect("stored");
    assert_eq!(stored["metadata"]["labels"]["team"], "web");
    assert_eq!(
        stored["spec"]["flinkConfiguration"]["job.autoscaler.metrics.window"],
        "5m"
    );

    // A patch that breaks one key is refused, naming it; nothing changes.
    let printed = cluster.kubectl(&[
        "patch",
        "flinkdeployment",
        "clicks",
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"flinkConfiguration":{"job.autoscaler.utilization.target":"1.5"}}}"#,
    ]);
    assert_eq!(printed.code, Some(1), "{}", printed.text);
    assert!(printed.text.contains(
        "admission webhook \"flink.validate.flink-autoscale-guard.io\" denied the request"
    ));
    assert!(
        printed.text.contains("[autoscaler.utilization-range]"),
        "{}",
        printed.text
    );
    let unchanged = cluster.get("flinkdeployment", "clicks").expect("stored");
    assert_eq!(
        unchanged["metadata"]["resourceVersion"],
        stored["metadata"]["resourceVersion"]
    );

    // An edit (get, change, replace) is judged too, and a good one goes through.
    let mut edited = unchanged.clone();
    edited["spec"]["flinkConfiguration"]["job.autoscaler.metrics.window"] = json!("10s");
    let printed = cluster.kubectl_with_stdin(&["replace", "-f", "-"], Some(&edited.to_string()));
    assert_eq!(printed.code, Some(1), "{}", printed.text);
    assert!(
        printed.text.contains("[autoscaler.durations]"),
        "{}",
        printed.text
    );
    edited["spec"]["flinkConfiguration"]["job.autoscaler.metrics.window"] = json!("10m");
    edited["spec"]["flinkConfiguration"]["execution.checkpointing.interval"] = json!("1m");
    let printed = cluster.kubectl_with_stdin(&["replace", "-f", "-"], Some(&edited.to_string()));
    assert_eq!(printed.code, Some(0), "{}", printed.text);
    assert!(
        !printed.text.contains("[autoscaler.no-checkpointing]"),
        "{}",
        printed.text
    );
    let replaced = cluster.get("flinkdeployment", "clicks").expect("stored");
    assert_eq!(
        replaced["spec"]["flinkConfiguration"]["job.autoscaler.metrics.window"],
        "10m"
    );
    let updates: Vec<String> = cluster
        .calls()
        .into_iter()
        .filter(|c| c.starts_with("flink.validate.flink-autoscale-guard.io UPDATE"))
        .collect();
    // Each write to it was judged once: the server-side apply (plus kubectl's own
    // follow-up patch of the last-applied annotation), the patch, both replaces.
    let writes: Vec<String> = cluster
        .server
        .requests()
        .into_iter()
        .filter(|r| {
            (r.starts_with("PATCH ") || r.starts_with("PUT "))
                && r.contains("/flinkdeployments/clicks?")
        })
        .collect();
    assert_eq!(writes.len(), 5, "{writes:?}");
    assert_eq!(updates.len(), writes.len(), "{updates:?} {writes:?}");
}
