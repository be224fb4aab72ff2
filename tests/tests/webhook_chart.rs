//! The webhook chart reaches every flag the webhook has for running at scale and
//! under faults: connection limits and timeouts, certificate reload, the shutdown
//! delay, extra arguments and environment, host networking, a startup probe, a
//! NetworkPolicy, and images by registry and digest. (The chart's other tests are in
//! `charts.rs`.)

use flink_autoscale_e2e::workspace_root;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

const CHART: &str = "charts/flink-autoscale-webhook";

/// `$HELM`, else `helm` on PATH, else `$HOME/.local/bin/helm`.
fn helm() -> &'static Path {
    static HELM: OnceLock<PathBuf> = OnceLock::new();
    HELM.get_or_init(|| {
        let mut candidates = Vec::new();
        if let Some(path) = std::env::var_os("HELM") {
            candidates.push(PathBuf::from(path));
        }
        candidates.push(PathBuf::from("helm"));
        if let Some(home) = std::env::var_os("HOME") {
            candidates.push(Path::new(&home).join(".local/bin/helm"));
        }
        candidates
            .into_iter()
            .find(|helm| {
                Command::new(helm)
                    .arg("version")
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            })
            .expect("helm not found: run .ci/install-helm.sh to install it")
    })
}

fn template(args: &[&str]) -> Result<Vec<Value>, String> {
    let mut all = vec!["template", "guard", CHART, "--namespace", "guard"];
    all.extend_from_slice(args);
    let out = Command::new(helm())
        .args(&all)
        .current_dir(workspace_root())
        .output()
        .expect("helm runs");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).expect("helm printed YAML");
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

fn render(args: &[&str]) -> Vec<Value> {
    template(args).unwrap_or_else(|e| panic!("helm template {args:?}: {e}"))
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

fn pod(docs: &[Value]) -> &Value {
    &of_kind(docs, "Deployment")[0]["spec"]["template"]["spec"]
}

fn args(docs: &[Value]) -> Vec<String> {
    pod(docs)["containers"][0]["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("string args").to_string())
        .collect()
}

fn flag<'a>(args: &'a [String], name: &str) -> Option<&'a str> {
    let at = args.iter().position(|a| a == name)?;
    args.get(at + 1).map(String::as_str)
}

/// Flags the chart passes must be flags the webhook has: checked against its
/// `--help`, so a renamed flag cannot leave the chart behind.
fn webhook_help() -> String {
    let bin = flink_autoscale_e2e::binary("flink-autoscale-webhook", "flink-autoscale-webhook");
    let out = Command::new(bin).arg("--help").output().expect("runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn defaults_pass_the_scale_and_shutdown_flags_and_probe_on_the_admin_port() {
    let docs = render(&[]);
    let args = args(&docs);
    assert_eq!(flag(&args, "--max-connections"), Some("256"));
    assert_eq!(flag(&args, "--header-read-timeout"), Some("10s"));
    assert_eq!(flag(&args, "--cert-reload-interval"), Some("10s"));
    assert_eq!(flag(&args, "--shutdown-delay"), Some("5s"));
    assert_eq!(flag(&args, "--admin-listen"), Some("0.0.0.0:9090"));
    let help = webhook_help();
    for a in args.iter().filter(|a| a.starts_with("--")) {
        assert!(help.contains(a.as_str()), "{a} is not a webhook flag");
    }
    let pod = pod(&docs);
    // The drain after the delay takes up to 25 s; the grace period covers both.
    assert!(pod["terminationGracePeriodSeconds"].as_u64().unwrap() > 5 + 25);
    assert!(pod.get("hostNetwork").is_none());
    let c = &pod["containers"][0];
    assert_eq!(c["startupProbe"]["httpGet"]["port"], "admin");
    assert_eq!(c["livenessProbe"]["httpGet"]["port"], "admin");
    assert_eq!(c["image"], "flink-autoscale-webhook:0.1.0");
    assert!(of_kind(&docs, "NetworkPolicy").is_empty());
}

#[test]
fn every_value_reaches_its_flag() {
    let docs = render(&[
        "--set",
        "maxConnections=64,headerReadTimeout=3s,certReloadInterval=1min,shutdownDelay=8s",
        "--set",
        "terminationGracePeriodSeconds=45,startupProbe.failureThreshold=5",
        "--set-json",
        r#"extraArgs=["--offline"]"#,
        "--set-json",
        r#"extraEnv=[{"name":"FLINK_GUARD_X","value":"1"}]"#,
    ]);
    let args = args(&docs);
    assert_eq!(flag(&args, "--max-connections"), Some("64"));
    assert_eq!(flag(&args, "--header-read-timeout"), Some("3s"));
    assert_eq!(flag(&args, "--cert-reload-interval"), Some("1min"));
    assert_eq!(flag(&args, "--shutdown-delay"), Some("8s"));
    assert_eq!(args.last().map(String::as_str), Some("--offline"));
    let pod = pod(&docs);
    assert_eq!(pod["terminationGracePeriodSeconds"], 45);
    let c = &pod["containers"][0];
    assert_eq!(c["startupProbe"]["failureThreshold"], 5);
    let env = c["env"].as_array().unwrap();
    assert!(
        env.contains(&json!({"name": "FLINK_GUARD_X", "value": "1"})),
        "{env:?}"
    );
    assert!(env.iter().any(|e| e["name"] == "RUST_LOG"));
}

#[test]
fn images_by_registry_and_digest() {
    let docs = render(&["--set", "image.registry=ghcr.io/acme/,image.tag=1.2.3"]);
    assert_eq!(
        pod(&docs)["containers"][0]["image"],
        "ghcr.io/acme/flink-autoscale-webhook:1.2.3"
    );
    let digest = format!("sha256:{}", "ab".repeat(32));
    let docs = render(&["--set", &format!("image.digest={digest},image.tag=ignored")]);
    assert_eq!(
        pod(&docs)["containers"][0]["image"],
        json!(format!("flink-autoscale-webhook@{digest}"))
    );
    let err = template(&["--set", "image.digest=latest"]).unwrap_err();
    assert!(err.contains("digest"), "{err}");
}

#[test]
fn host_network_uses_the_node_address_and_keeps_cluster_dns() {
    let docs = render(&["--set", "hostNetwork.enabled=true,containerPort=10260"]);
    let pod = pod(&docs);
    assert_eq!(pod["hostNetwork"], true);
    assert_eq!(pod["dnsPolicy"], "ClusterFirstWithHostNet");
    assert_eq!(flag(&args(&docs), "--listen"), Some("0.0.0.0:10260"));
}

#[test]
fn the_network_policy_admits_the_api_server_and_prometheus_only() {
    let docs = render(&[
        "--set",
        "networkPolicy.enabled=true",
        "--set-json",
        r#"networkPolicy.apiServerCIDRs=["10.0.0.0/24"]"#,
        "--set-json",
        r#"networkPolicy.prometheus.namespaceSelector={"matchLabels":{"name":"monitoring"}}"#,
    ]);
    let policies = of_kind(&docs, "NetworkPolicy");
    assert_eq!(policies.len(), 1);
    let spec = &policies[0]["spec"];
    assert_eq!(spec["policyTypes"], json!(["Ingress"]));
    assert_eq!(
        spec["podSelector"]["matchLabels"]["app.kubernetes.io/name"],
        "flink-autoscale-webhook"
    );
    let rules = spec["ingress"].as_array().unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!(rules[0]["ports"][0]["port"], "https");
    assert_eq!(
        rules[0]["from"],
        json!([{"ipBlock": {"cidr": "10.0.0.0/24"}}])
    );
    assert_eq!(rules[1]["ports"][0]["port"], "admin");
    assert_eq!(
        rules[1]["from"][0]["namespaceSelector"],
        json!({"matchLabels": {"name": "monitoring"}})
    );
    // Every named port the policy admits is one the pod has.
    let ports: Vec<&Value> = pod(&docs)["containers"][0]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["name"])
        .collect();
    for r in rules {
        assert!(ports.contains(&&r["ports"][0]["port"]), "{r}");
    }

    // Without CIDRs the HTTPS port is open to any source (the API server is not a
    // pod), and without the admin port there is no rule for it.
    let docs = render(&[
        "--set",
        "networkPolicy.enabled=true,adminPort.enabled=false",
    ]);
    let rules = of_kind(&docs, "NetworkPolicy")[0]["spec"]["ingress"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(rules.len(), 1);
    assert!(rules[0].get("from").is_none(), "{rules:?}");
}

#[test]
fn bad_values_are_refused_by_the_schema() {
    for bad in [
        "maxConnections=0",
        "headerReadTimeout=soon",
        "shutdownDelay=-1s",
        "networkPolicy.apiServerCIDRs[0]=anywhere",
    ] {
        let err = template(&["--set", bad]).unwrap_err();
        assert!(
            err.contains("values don't meet the specifications") || err.contains("schema"),
            "{bad}: {err}"
        );
    }
}
