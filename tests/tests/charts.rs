//! The Helm charts, the certificate script and the Makefile, driven as a user drives
//! them: the real `helm` renders the charts (`helm lint --strict`, `helm template`),
//! the rendered objects are parsed and checked field by field, validated against the
//! CRDs in the shared fixtures, and judged by the real `kubectl-flink check`; the
//! Makefile's targets are dry-run with `make -n`, since kind and Docker are not here.
//!
//! helm is found at `$HELM`, on PATH or in `$HOME/.local/bin`, else installed into
//! `target/tools` on first use (`flink_autoscale_e2e::helm`); a helm that can be
//! neither found nor installed fails these tests rather than skipping them.

use flink_autoscale_e2e::{binary, fixture, workspace_root};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

const FLINK_CHART: &str = "charts/flink-autoscale";
const WEBHOOK_CHART: &str = "charts/flink-autoscale-webhook";
/// Release and namespace as `make flink/install` and `make webhook/install` use them.
const FLINK_RELEASE: &str = "flink-autoscale";
const FLINK_NAMESPACE: &str = "flink";
const WEBHOOK_RELEASE: &str = "flink-autoscale-webhook";
const WEBHOOK_NAMESPACE: &str = "flink-autoscale-system";
/// The webhook's Service (the release's full name: the release name contains the chart's).
const WEBHOOK_SERVICE: &str = "flink-autoscale-webhook";

// ---------------------------------------------------------------------------------
// Running helm

/// The helm binary (`flink_autoscale_e2e::helm`: found, or installed into
/// `target/tools` on first use).
fn helm() -> &'static Path {
    static HELM: OnceLock<PathBuf> = OnceLock::new();
    HELM.get_or_init(|| flink_autoscale_e2e::helm::helm().unwrap_or_else(|e| panic!("{e}")))
}

fn run_helm(args: &[&str]) -> Output {
    Command::new(helm())
        .args(args)
        .current_dir(workspace_root())
        .output()
        .expect("helm runs")
}

/// `helm template` of a chart with the release and namespace that the Makefile uses.
fn template(chart: &str, args: &[&str]) -> Result<Vec<Value>, String> {
    let (release, namespace) = if chart == WEBHOOK_CHART {
        (WEBHOOK_RELEASE, WEBHOOK_NAMESPACE)
    } else {
        (FLINK_RELEASE, FLINK_NAMESPACE)
    };
    let mut all = vec!["template", release, chart, "--namespace", namespace];
    all.extend_from_slice(args);
    let out = run_helm(&all);
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8(out.stdout).expect("helm prints UTF-8");
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text)
        .unwrap_or_else(|e| panic!("helm template printed invalid YAML: {e}\n{text}"));
    Ok(docs.into_iter().filter(|d| !d.is_null()).collect())
}

fn render(chart: &str, args: &[&str]) -> Vec<Value> {
    template(chart, args).unwrap_or_else(|e| panic!("helm template {chart} {args:?} failed:\n{e}"))
}

/// The error of a `helm template` that must fail.
fn render_error(chart: &str, args: &[&str]) -> String {
    match template(chart, args) {
        Ok(docs) => {
            panic!("helm template {chart} {args:?} succeeded, expected a failure:\n{docs:#?}")
        }
        Err(e) => e,
    }
}

/// The rendered YAML as text, for piping into other programs.
fn template_text(chart: &str, args: &[&str]) -> String {
    let mut all = vec![
        "template",
        FLINK_RELEASE,
        chart,
        "--namespace",
        FLINK_NAMESPACE,
    ];
    all.extend_from_slice(args);
    let out = run_helm(&all);
    assert!(
        out.status.success(),
        "helm template failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("helm prints UTF-8")
}

/// A fresh directory for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("charts")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// A values file in the test's scratch directory; returns its path.
fn values_file(test: &str, yaml: &str) -> String {
    let path = scratch(test).join("values.yaml");
    std::fs::write(&path, yaml).expect("write values file");
    path.display().to_string()
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

fn named<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} among {:#?}", names(docs)))
}

fn names(docs: &[Value]) -> Vec<String> {
    docs.iter()
        .map(|d| {
            format!(
                "{}/{}",
                d["kind"].as_str().unwrap_or("?"),
                d["metadata"]["name"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

/// `spec.flinkConfiguration` as a map of strings (every value the chart renders is one).
fn flink_configuration(deployment: &Value) -> BTreeMap<String, String> {
    deployment["spec"]["flinkConfiguration"]
        .as_object()
        .expect("flinkConfiguration is a map")
        .iter()
        .map(|(k, v)| {
            let v = v
                .as_str()
                .unwrap_or_else(|| panic!("flinkConfiguration.{k} is not a string: {v}"));
            (k.clone(), v.to_string())
        })
        .collect()
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|v| {
            v.as_str()
                .unwrap_or_else(|| panic!("not a string: {v}"))
                .to_string()
        })
        .collect()
}

// ---------------------------------------------------------------------------------
// The operator's option table and the CRDs

/// `autoscaler-options.tsv`: what a key may be.
struct Options {
    /// Keys of options that are not deprecated (templated keys contain `<name>`).
    current: Vec<String>,
    /// Keys of deprecated options.
    deprecated: Vec<String>,
    /// Deprecated aliases and old-prefix fallback keys.
    replaced: BTreeSet<String>,
}

fn options() -> Options {
    let text = std::fs::read_to_string(fixture("autoscaler-options.tsv")).expect("options table");
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("column {name}"))
    };
    let (key, deprecated, aliases, fallbacks) = (
        col("key"),
        col("deprecated"),
        col("deprecated_keys"),
        col("fallback_keys"),
    );
    let mut options = Options {
        current: Vec::new(),
        deprecated: Vec::new(),
        replaced: BTreeSet::new(),
    };
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split('\t').collect();
        let cell = |i: usize| cells.get(i).copied().unwrap_or("").trim();
        if cell(deprecated).is_empty() {
            options.current.push(cell(key).to_string());
        } else {
            options.deprecated.push(cell(key).to_string());
        }
        for other in [cell(aliases), cell(fallbacks)] {
            options.replaced.extend(
                other
                    .split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(String::from),
            );
        }
    }
    assert!(options.current.len() > 20, "options table looks truncated");
    options
}

/// Whether `key` is `pattern`, where a `<...>` segment of the pattern stands for one or
/// more segments of the key.
fn key_matches(pattern: &str, key: &str) -> bool {
    fn go(p: &[&str], k: &[&str]) -> bool {
        match (p.first(), k.first()) {
            (None, None) => true,
            (Some(s), _) if s.starts_with('<') => (1..=k.len()).any(|n| go(&p[1..], &k[n..])),
            (Some(s), Some(t)) => s == t && go(&p[1..], &k[1..]),
            _ => false,
        }
    }
    let p: Vec<&str> = pattern.split('.').collect();
    let k: Vec<&str> = key.split('.').collect();
    go(&p, &k)
}

/// Every autoscaler key is a current option's key: no old prefix, no deprecated alias,
/// no deprecated option, nothing unknown.
fn assert_current_keys(deployment: &Value, options: &Options) {
    let name = &deployment["metadata"]["name"];
    for key in flink_configuration(deployment).keys() {
        assert!(
            !options.replaced.contains(key),
            "{name}: {key} is a deprecated alias or an old-prefix key"
        );
        assert!(
            !options.deprecated.iter().any(|p| key_matches(p, key)),
            "{name}: {key} is a deprecated option"
        );
        if key.starts_with("job.autoscaler.")
            || key.starts_with("kubernetes.operator.job.autoscaler.")
        {
            assert!(
                options.current.iter().any(|p| key_matches(p, key)),
                "{name}: {key} is no current autoscaler option"
            );
        }
    }
}

/// The `openAPIV3Schema` of a CRD's served version for `kind`.
fn crd_schema(file: &str, kind: &str, version: &str) -> Value {
    let text = std::fs::read_to_string(fixture(&format!("crds/{file}"))).expect("CRD fixture");
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).expect("CRD fixture is YAML");
    let crd = docs
        .iter()
        .find(|d| d["spec"]["names"]["kind"] == kind)
        .unwrap_or_else(|| panic!("{file} has no CRD for {kind}"));
    crd["spec"]["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .find(|v| v["name"] == version && v["served"] == true)
        .unwrap_or_else(|| panic!("{kind} {version} is not served"))["schema"]["openAPIV3Schema"]
        .clone()
}

/// A CRD's openAPIV3Schema as plain JSON Schema, with the API server's structural
/// rules made explicit: fields a schema does not list are pruned (silently lost) by
/// the API server, so they are errors here (`additionalProperties: false`) unless the
/// schema preserves unknown fields; `x-kubernetes-int-or-string` is integer or
/// string. Patterns are kept; CEL rules are not checked.
fn structural(schema: &Value) -> Value {
    let Some(map) = schema.as_object() else {
        return schema.clone();
    };
    if map.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
        return serde_json::json!({"anyOf": [{"type": "integer"}, {"type": "string"}]});
    }
    let mut out = serde_json::Map::new();
    for (key, value) in map {
        let converted = match key.as_str() {
            "properties" | "patternProperties" => Value::Object(
                value
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), structural(v)))
                    .collect(),
            ),
            "items" | "additionalProperties" | "not" => structural(value),
            "anyOf" | "allOf" | "oneOf" => Value::Array(
                value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(structural)
                    .collect(),
            ),
            k if k.starts_with("x-kubernetes-") => continue,
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    let preserves = map.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    if map.get("type") == Some(&Value::String("object".into()))
        && !preserves
        && !map.contains_key("additionalProperties")
    {
        out.insert("additionalProperties".into(), Value::Bool(false));
    }
    Value::Object(out)
}

/// Validates `doc` against a CRD schema with the jsonschema crate; `apiVersion`,
/// `kind` and `metadata` are the API server's own business.
fn crd_errors(doc: &Value, schema: &Value) -> Vec<String> {
    let mut schema = structural(schema);
    if let Some(props) = schema["properties"].as_object_mut() {
        for key in ["apiVersion", "kind", "metadata"] {
            props.insert(key.into(), serde_json::json!({}));
        }
    }
    let validator = jsonschema::validator_for(&schema).expect("the CRD schema compiles");
    validator
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// A built-in object must read as its k8s-openapi type and lose nothing on the way:
/// a misspelt or misplaced field would be dropped by the API server the same way.
fn built_in_errors(doc: &Value) -> Option<Vec<String>> {
    use k8s_openapi::api;
    fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(doc: &Value) -> Vec<String> {
        match serde_json::from_value::<T>(doc.clone()) {
            Err(e) => vec![format!("does not read as its Kubernetes type: {e}")],
            Ok(typed) => {
                let back = serde_json::to_value(&typed).unwrap_or(Value::Null);
                let mut lost = Vec::new();
                missing_in(doc, &back, "", &mut lost);
                lost.into_iter()
                    .map(|p| {
                        format!("{p}: not a field of the Kubernetes type (the API server drops it)")
                    })
                    .collect()
            }
        }
    }
    let kind = (doc["apiVersion"].as_str()?, doc["kind"].as_str()?);
    Some(match kind {
        ("apps/v1", "Deployment") => round_trip::<api::apps::v1::Deployment>(doc),
        ("v1", "Service") => round_trip::<api::core::v1::Service>(doc),
        ("v1", "ServiceAccount") => round_trip::<api::core::v1::ServiceAccount>(doc),
        ("v1", "Secret") => round_trip::<api::core::v1::Secret>(doc),
        ("policy/v1", "PodDisruptionBudget") => {
            round_trip::<api::policy::v1::PodDisruptionBudget>(doc)
        }
        ("rbac.authorization.k8s.io/v1", "Role") => round_trip::<api::rbac::v1::Role>(doc),
        ("rbac.authorization.k8s.io/v1", "RoleBinding") => {
            round_trip::<api::rbac::v1::RoleBinding>(doc)
        }
        ("rbac.authorization.k8s.io/v1", "ClusterRole") => {
            round_trip::<api::rbac::v1::ClusterRole>(doc)
        }
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => {
            round_trip::<api::rbac::v1::ClusterRoleBinding>(doc)
        }
        ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration") => {
            round_trip::<api::admissionregistration::v1::MutatingWebhookConfiguration>(doc)
        }
        ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration") => {
            round_trip::<api::admissionregistration::v1::ValidatingWebhookConfiguration>(doc)
        }
        _ => return None,
    })
}

/// Paths present in `a` but not in `b` (null values count as absent: Kubernetes
/// types drop them too).
fn missing_in(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                let here = format!("{path}.{k}");
                match y.get(k) {
                    Some(w) => missing_in(v, w, &here, out),
                    None if v.is_null() => {}
                    None => out.push(here),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                missing_in(v, w, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Every built-in object of a render reads as its Kubernetes type without loss.
fn assert_fit_built_in_types(docs: &[Value]) {
    let mut checked = 0;
    for doc in docs {
        if let Some(errors) = built_in_errors(doc) {
            assert!(
                errors.is_empty(),
                "{} does not fit its Kubernetes type:\n{}",
                names(std::slice::from_ref(doc))[0],
                errors.join("\n")
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "no built-in object in {:?}", names(docs));
}

/// Every FlinkDeployment and VPA of a render fits its CRD.
fn assert_fit_crds(docs: &[Value]) {
    let flink = crd_schema(
        "flinkdeployments.flink.apache.org-v1.yml",
        "FlinkDeployment",
        "v1beta1",
    );
    let vpa = crd_schema("vpa-v1-crd-gen.yaml", "VerticalPodAutoscaler", "v1");
    let mut checked = 0;
    for doc in docs {
        let schema = match (doc["apiVersion"].as_str(), doc["kind"].as_str()) {
            (Some("flink.apache.org/v1beta1"), Some("FlinkDeployment")) => &flink,
            (Some("autoscaling.k8s.io/v1"), Some("VerticalPodAutoscaler")) => &vpa,
            _ => continue,
        };
        let errors = crd_errors(doc, schema);
        assert!(
            errors.is_empty(),
            "{} does not fit its CRD:\n{}",
            names(std::slice::from_ref(doc))[0],
            errors.join("\n")
        );
        checked += 1;
    }
    assert!(checked > 0, "nothing to validate in {:?}", names(docs));
}

// ---------------------------------------------------------------------------------
// Value sets

/// Several jobs: an override of some defaults, a standalone application, a session
/// cluster, and a disabled entry that would not even render.
const MANY_JOBS: &str = r#"
jobs:
  - name: orders
    job:
      jarURI: local:///opt/flink/usrlib/orders.jar
      parallelism: 4
      upgradeMode: savepoint
    autoscaler:
      targetUtilization: 0.8
      maxParallelism: 20
    taskManager:
      memory: 2Gi
      slots: 4
      resources:
        limits:
          cpu: "4"
          memory: 4Gi
    vpa:
      maxAllowed:
        memory: 4Gi
    flinkConfiguration:
      state.checkpoints.dir: file:///flink-data/checkpoints
      state.savepoints.dir: file:///flink-data/savepoints
      jobmanager.scheduler: null
  - name: payments
    mode: standalone
    job:
      jarURI: local:///opt/flink/usrlib/payments.jar
      parallelism: 2
      upgradeMode: savepoint
    # The operator refuses savepoint upgrades without both directories
    # (DefaultValidator.validateJobSpec).
    flinkConfiguration:
      state.checkpoints.dir: file:///flink-data/checkpoints
      state.savepoints.dir: file:///flink-data/savepoints
  - name: sandbox
    taskManager:
      replicas: 2
      slots: 4
  - name: retired
    enabled: false
    autoscaler:
      scaleUpGracePeriod: 1m
"#;

// ---------------------------------------------------------------------------------
// Tests: both charts

#[test]
fn the_schema_checks_catch_fields_the_api_server_would_drop() {
    // The checks themselves must be able to fail: a misspelt field in a custom
    // resource and in a built-in object, and a wrong type.
    let flink = crd_schema(
        "flinkdeployments.flink.apache.org-v1.yml",
        "FlinkDeployment",
        "v1beta1",
    );
    let mut fd = render(FLINK_CHART, &[])
        .into_iter()
        .find(|d| d["kind"] == "FlinkDeployment")
        .expect("a FlinkDeployment");
    assert_eq!(crd_errors(&fd, &flink), Vec::<String>::new());
    fd["spec"]["taskManger"] = serde_json::json!({"replicas": 1});
    fd["spec"]["job"]["parallelism"] = serde_json::json!("two");
    let errors = crd_errors(&fd, &flink);
    assert!(
        errors.iter().any(|e| e.contains("taskManger")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("/spec/job/parallelism")),
        "{errors:?}"
    );

    let mut deployment = render(WEBHOOK_CHART, &[])
        .into_iter()
        .find(|d| d["kind"] == "Deployment")
        .expect("a Deployment");
    assert_eq!(built_in_errors(&deployment), Some(vec![]));
    deployment["spec"]["template"]["spec"]["securityContxt"] = serde_json::json!({});
    deployment["spec"]["replicas"] = serde_json::json!("2");
    let errors = built_in_errors(&deployment).unwrap_or_default();
    assert!(!errors.is_empty(), "a wrong type is caught");
    deployment["spec"]["replicas"] = serde_json::json!(2);
    deployment["spec"]["template"]["spec"]["securityContxt"] = serde_json::json!({"x": 1});
    let errors = built_in_errors(&deployment).unwrap_or_default();
    assert!(
        errors
            .iter()
            .any(|e| e.contains(".spec.template.spec.securityContxt")),
        "{errors:?}"
    );
}

#[test]
fn the_flink_chart_renders_valid_built_in_objects() {
    assert_fit_built_in_types(&render(FLINK_CHART, &[]));
}

#[test]
fn both_charts_pass_strict_lint() {
    for chart in [FLINK_CHART, WEBHOOK_CHART] {
        let out = run_helm(&["lint", "--strict", chart]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "helm lint --strict {chart}:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("0 chart(s) failed"), "{stdout}");
        assert!(
            !stdout.contains("[WARNING]") && !stdout.contains("[ERROR]"),
            "{stdout}"
        );
    }
}

#[test]
fn misspelt_values_are_rejected_by_the_schemas() {
    let cases = [
        (
            FLINK_CHART,
            "defaults.autoscaler.metricWindow=5m",
            "metricWindow",
        ),
        (FLINK_CHART, "defaults.vpa.updatemode=Initial", "updatemode"),
        (FLINK_CHART, "defaults.taskManager.slot=2", "slot"),
        (FLINK_CHART, "jobs[0].autoscalr.enabled=false", "autoscalr"),
        (WEBHOOK_CHART, "enforcment=warn", "enforcment"),
        (WEBHOOK_CHART, "certManager.enable=false", "enable"),
    ];
    for (chart, set, field) in cases {
        let error = render_error(chart, &["--set", set]);
        assert!(
            error.contains("additional properties") && error.contains(&format!("'{field}'")),
            "{chart} --set {set}: {error}"
        );
    }
    let cases = [
        (
            FLINK_CHART,
            "defaults.vpa.updateMode=Sometimes",
            "updateMode",
        ),
        (FLINK_CHART, "defaults.mode=reactive", "mode"),
        (
            FLINK_CHART,
            "defaults.autoscaler.metricsWindow=5 fortnights",
            "metricsWindow",
        ),
        (
            FLINK_CHART,
            "defaults.autoscaler.targetUtilization=1.5",
            "targetUtilization",
        ),
        (WEBHOOK_CHART, "enforcement=audit", "enforcement"),
        (WEBHOOK_CHART, "failurePolicy=Sometimes", "failurePolicy"),
        (WEBHOOK_CHART, "timeoutSeconds=60", "timeoutSeconds"),
    ];
    for (chart, set, field) in cases {
        let error = render_error(chart, &["--set", set]);
        assert!(
            error.contains(field) && error.contains("schema"),
            "{chart} --set {set}: {error}"
        );
    }
}

// ---------------------------------------------------------------------------------
// Tests: flink-autoscale

#[test]
fn default_render_has_exactly_the_current_autoscaler_keys() {
    let docs = render(FLINK_CHART, &[]);
    let deployments = of_kind(&docs, "FlinkDeployment");
    assert_eq!(deployments.len(), 1, "{:?}", names(&docs));
    let fd = deployments[0];
    assert_eq!(fd["apiVersion"], "flink.apache.org/v1beta1");
    assert_eq!(fd["metadata"]["name"], "state-machine");
    assert_eq!(fd["metadata"]["namespace"], FLINK_NAMESPACE);

    let expected: BTreeMap<String, String> = [
        ("job.autoscaler.enabled", "true"),
        ("job.autoscaler.metrics.window", "5m"),
        ("job.autoscaler.stabilization.interval", "1m"),
        ("job.autoscaler.utilization.target", "0.7"),
        // targetUtilizationBoundary 0.1 as the bounds it stands for: the boundary option
        // is @Deprecated in AutoScalerOptions.
        ("job.autoscaler.utilization.min", "0.6"),
        ("job.autoscaler.utilization.max", "0.8"),
        ("job.autoscaler.scale-down.interval", "3m"),
        ("job.autoscaler.vertex.min-parallelism", "1"),
        ("job.autoscaler.vertex.max-parallelism", "10"),
        ("taskmanager.numberOfTaskSlots", "2"),
        // resources.limits over cpu/memory: 1 / 0.5, 2Gi / 1024Mi, 2 / 0.5, 2Gi / 1024Mi
        ("kubernetes.jobmanager.cpu.limit-factor", "2"),
        ("kubernetes.jobmanager.memory.limit-factor", "2"),
        ("kubernetes.taskmanager.cpu.limit-factor", "4"),
        ("kubernetes.taskmanager.memory.limit-factor", "2"),
        ("execution.checkpointing.interval", "30s"),
        ("jobmanager.scheduler", "adaptive"),
        ("state.backend.type", "hashmap"),
        ("state.checkpoints.dir", "file:///tmp/flink-checkpoints"),
        ("state.savepoints.dir", "file:///tmp/flink-savepoints"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(flink_configuration(fd), expected);
    assert_current_keys(fd, &options());

    let spec = &fd["spec"];
    // A public image: the official one, whose bundled example is the job.
    assert_eq!(spec["image"], "flink:1.18-scala_2.12");
    assert_eq!(spec["imagePullPolicy"], "IfNotPresent");
    assert_eq!(spec["flinkVersion"], "v1_18");
    assert_eq!(spec["mode"], "native");
    assert_eq!(spec["serviceAccount"], "flink");
    assert_eq!(
        spec["jobManager"],
        json!({"replicas": 1, "resource": {"cpu": 0.5, "memory": "1024Mi"}})
    );
    // No replicas: the autoscaler decides how many TaskManagers run.
    assert_eq!(
        spec["taskManager"],
        json!({"resource": {"cpu": 0.5, "memory": "1024Mi"}})
    );
    assert_eq!(
        spec["job"],
        json!({
            "jarURI": "local:///opt/flink/examples/streaming/StateMachineExample.jar",
            "parallelism": 2,
            "upgradeMode": "stateless",
            "state": "running",
            "args": [],
        })
    );
}

#[test]
fn no_render_carries_a_deprecated_or_old_prefix_key() {
    let options = options();
    let many = values_file("no_deprecated_keys", MANY_JOBS);
    for args in [vec![], vec!["-f", many.as_str()]] {
        for fd in of_kind(&render(FLINK_CHART, &args), "FlinkDeployment") {
            assert_current_keys(fd, &options);
        }
    }
}

#[test]
fn the_default_vpa_targets_the_flink_deployment_memory_only() {
    let docs = render(FLINK_CHART, &[]);
    let vpas = of_kind(&docs, "VerticalPodAutoscaler");
    assert_eq!(vpas.len(), 1, "{:?}", names(&docs));
    let vpa = vpas[0];
    assert_eq!(vpa["apiVersion"], "autoscaling.k8s.io/v1");
    assert_eq!(vpa["metadata"]["namespace"], FLINK_NAMESPACE);
    assert_eq!(
        vpa["spec"]["targetRef"],
        json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment", "name": "state-machine"})
    );
    assert_eq!(vpa["spec"]["updatePolicy"]["updateMode"], "Initial");
    let policies = vpa["spec"]["resourcePolicy"]["containerPolicies"]
        .as_array()
        .expect("policies");
    let main = policies
        .iter()
        .find(|p| p["containerName"] == "flink-main-container")
        .expect("a policy for flink-main-container");
    assert_eq!(main["controlledResources"], json!(["memory"]));
    // minAllowed defaults to the TaskManager's process memory (1024Mi).
    assert_eq!(main["minAllowed"], json!({"memory": "1Gi"}));
    assert_eq!(main["maxAllowed"], json!({"memory": "2Gi"}));
    assert!(
        policies
            .iter()
            .any(|p| p["containerName"] == "*" && p["mode"] == "Off"),
        "other containers are left alone: {policies:#?}"
    );
    assert_fit_crds(&docs);
}

#[test]
fn standalone_mode_aims_the_vpa_at_the_taskmanager_deployment() {
    let docs = render(FLINK_CHART, &["--set", "defaults.mode=standalone"]);
    let fd = named(&docs, "FlinkDeployment", "state-machine");
    assert_eq!(fd["spec"]["mode"], "standalone");
    let vpa = named(&docs, "VerticalPodAutoscaler", "state-machine-taskmanager");
    assert_eq!(
        vpa["spec"]["targetRef"],
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "state-machine-taskmanager"})
    );
    assert_fit_crds(&docs);
}

#[test]
fn several_jobs_merge_their_overrides_over_the_defaults() {
    let docs = render(
        FLINK_CHART,
        &["-f", &values_file("several_jobs", MANY_JOBS)],
    );
    let deployments: BTreeSet<String> = of_kind(&docs, "FlinkDeployment")
        .iter()
        .map(|d| {
            d["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(
        deployments,
        BTreeSet::from(["orders".into(), "payments".into(), "sandbox".into()])
    );
    assert!(!docs.iter().any(|d| {
        d["metadata"]["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("retired"))
    }));

    // orders: its overrides, the defaults for the rest.
    let orders = named(&docs, "FlinkDeployment", "orders");
    let conf = flink_configuration(orders);
    assert_eq!(conf["job.autoscaler.utilization.target"], "0.8");
    assert_eq!(conf["job.autoscaler.vertex.max-parallelism"], "20");
    assert_eq!(conf["job.autoscaler.vertex.min-parallelism"], "1");
    assert_eq!(conf["job.autoscaler.metrics.window"], "5m");
    assert_eq!(conf["taskmanager.numberOfTaskSlots"], "4");
    assert_eq!(conf["kubernetes.taskmanager.memory.limit-factor"], "2");
    assert_eq!(conf["kubernetes.taskmanager.cpu.limit-factor"], "8");
    assert_eq!(
        conf["state.checkpoints.dir"],
        "file:///flink-data/checkpoints"
    );
    assert_eq!(conf["execution.checkpointing.interval"], "30s");
    assert!(
        !conf.contains_key("jobmanager.scheduler"),
        "null removes a default key: {conf:?}"
    );
    assert_eq!(orders["spec"]["image"], "flink:1.18-scala_2.12");
    assert_eq!(
        orders["spec"]["taskManager"]["resource"],
        json!({"cpu": 0.5, "memory": "2Gi"})
    );
    let vpa = named(&docs, "VerticalPodAutoscaler", "orders-taskmanager");
    let main = &vpa["spec"]["resourcePolicy"]["containerPolicies"][0];
    assert_eq!(main["minAllowed"], json!({"memory": "2Gi"}));
    assert_eq!(main["maxAllowed"], json!({"memory": "4Gi"}));
    assert_eq!(vpa["spec"]["updatePolicy"]["updateMode"], "Initial");

    // payments: standalone, so its VPA aims at the TaskManager Deployment.
    let vpa = named(&docs, "VerticalPodAutoscaler", "payments-taskmanager");
    assert_eq!(vpa["spec"]["targetRef"]["kind"], "Deployment");
    assert_eq!(vpa["spec"]["targetRef"]["name"], "payments-taskmanager");

    assert_fit_crds(&docs);
}

#[test]
fn a_session_cluster_renders_without_autoscaler_keys() {
    let docs = render(
        FLINK_CHART,
        &["-f", &values_file("session_cluster", MANY_JOBS)],
    );
    let sandbox = named(&docs, "FlinkDeployment", "sandbox");
    assert!(
        sandbox["spec"].get("job").is_none(),
        "a session cluster has no job"
    );
    let conf = flink_configuration(sandbox);
    let autoscaler: Vec<&String> = conf.keys().filter(|k| k.contains("autoscaler")).collect();
    assert!(
        autoscaler.is_empty(),
        "session cluster with autoscaler keys: {autoscaler:?}"
    );
    assert_eq!(conf["taskmanager.numberOfTaskSlots"], "4");
    // Without the autoscaler a fixed TaskManager count is what sizes the cluster.
    assert_eq!(sandbox["spec"]["taskManager"]["replicas"], 2);
    // The memory-only VPA applies to session TaskManagers as well.
    let vpa = named(&docs, "VerticalPodAutoscaler", "sandbox-taskmanager");
    assert_eq!(vpa["spec"]["targetRef"]["kind"], "FlinkDeployment");
}

#[test]
fn disabled_jobs_and_vpas_are_skipped() {
    let docs = render(
        FLINK_CHART,
        &["--set", "jobs[0].name=only,jobs[0].enabled=false"],
    );
    assert!(
        of_kind(&docs, "FlinkDeployment").is_empty(),
        "{:?}",
        names(&docs)
    );
    assert!(
        of_kind(&docs, "VerticalPodAutoscaler").is_empty(),
        "{:?}",
        names(&docs)
    );
    // The service account and its role are still there for jobs added later.
    assert_eq!(of_kind(&docs, "ServiceAccount").len(), 1);

    let docs = render(FLINK_CHART, &["--set", "defaults.vpa.enabled=false"]);
    assert_eq!(of_kind(&docs, "FlinkDeployment").len(), 1);
    assert!(
        of_kind(&docs, "VerticalPodAutoscaler").is_empty(),
        "{:?}",
        names(&docs)
    );

    let docs = render(FLINK_CHART, &["--set", "defaults.autoscaler.enabled=false"]);
    let conf = flink_configuration(named(&docs, "FlinkDeployment", "state-machine"));
    assert!(
        !conf.keys().any(|k| k.starts_with("job.autoscaler.")),
        "{conf:?}"
    );
}

#[test]
fn a_null_autoscaler_value_leaves_the_operator_default() {
    let docs = render(
        FLINK_CHART,
        &["--set", "defaults.autoscaler.metricsWindow=null"],
    );
    let conf = flink_configuration(named(&docs, "FlinkDeployment", "state-machine"));
    assert!(
        !conf.contains_key("job.autoscaler.metrics.window"),
        "{conf:?}"
    );
    assert_eq!(conf["job.autoscaler.stabilization.interval"], "1m");
}

#[test]
fn the_service_account_and_role_are_what_the_jobmanager_needs() {
    let docs = render(FLINK_CHART, &[]);
    let sa = named(&docs, "ServiceAccount", "flink");
    assert_eq!(sa["metadata"]["namespace"], FLINK_NAMESPACE);
    let roles = of_kind(&docs, "Role");
    assert_eq!(roles.len(), 1);
    let rules = roles[0]["rules"].as_array().expect("rules");
    let grants = |group: &str, resource: &str| {
        rules.iter().any(|r| {
            strings(&r["apiGroups"]).iter().any(|g| g == group)
                && strings(&r["resources"]).iter().any(|x| x == resource)
                && strings(&r["verbs"])
                    .iter()
                    .any(|v| v == "*" || v == "create")
        })
    };
    for (group, resource) in [
        ("", "pods"),
        ("", "configmaps"),
        ("apps", "deployments"),
        ("apps", "deployments/finalizers"),
    ] {
        assert!(
            grants(group, resource),
            "{group}/{resource} not granted: {rules:#?}"
        );
    }
    let binding = &of_kind(&docs, "RoleBinding")[0];
    assert_eq!(binding["roleRef"]["name"], roles[0]["metadata"]["name"]);
    assert_eq!(
        binding["subjects"][0],
        json!({"kind": "ServiceAccount", "name": "flink", "namespace": FLINK_NAMESPACE})
    );

    let docs = render(
        FLINK_CHART,
        &["--set", "serviceAccount.create=false,rbac.create=false"],
    );
    assert!(of_kind(&docs, "ServiceAccount").is_empty() && of_kind(&docs, "Role").is_empty());
}

#[test]
fn values_without_an_effect_stop_the_render_with_a_reason() {
    let cases: [(&[&str], &[&str]); 6] = [
        (
            &["--set", "defaults.autoscaler.scaleUpGracePeriod=1m"],
            &[
                "scaleUpGracePeriod",
                "no scale-up delay",
                "scale-down.interval",
                "stabilizationInterval",
            ],
        ),
        (
            &["--set", "defaults.taskManager.replicas=3"],
            &["taskManager.replicas", "fights the autoscaler"],
        ),
        (
            &["--set", "defaults.taskManager.resources.requests.cpu=250m"],
            &[
                "taskManager.resources.requests.cpu is 250m",
                "taskManager.cpu is 0.5",
            ],
        ),
        (
            &[
                "--set",
                "jobs[0].name=a,jobs[0].job.jarURI=local:///a.jar,jobs[0].flinkConfiguration.job\\.autoscaler\\.metrics\\.window=10m",
            ],
            &["job.autoscaler.metrics.window", "autoscaler.metricsWindow"],
        ),
        (
            &[
                "--set",
                "jobs[0].name=a,jobs[0].job.jarURI=local:///a.jar,jobs[0].flinkConfiguration.job\\.autoscaler\\.scale-up\\.grace-period=10m",
            ],
            &["scale-up.grace-period", "autoscaler.scaleDownGracePeriod"],
        ),
        (
            &["--set", "defaults.vpa.maxAllowed.memory=512Mi"],
            &[
                "vpa.maxAllowed.memory (512Mi) is below vpa.minAllowed.memory",
                "taskManager.memory",
            ],
        ),
    ];
    for (args, expected) in cases {
        let error = render_error(FLINK_CHART, args);
        for part in expected {
            assert!(
                error.contains(part),
                "{args:?}: {part:?} missing from:\n{error}"
            );
        }
    }
    // The same rules whether a value comes from defaults or from the entry, and
    // session clusters may keep a replica count.
    let error = render_error(
        FLINK_CHART,
        &[
            "--set",
            "jobs[0].name=x,jobs[0].job.jarURI=local:///x.jar,jobs[0].autoscaler.scaleUpGracePeriod=30s",
        ],
    );
    assert!(
        error.contains("jobs[0].autoscaler.scaleUpGracePeriod: Invalid value: \"30s\""),
        "{error}"
    );
    render(
        FLINK_CHART,
        &["--set", "jobs[0].name=x,jobs[0].taskManager.replicas=2"],
    );
}

#[test]
fn every_problem_of_every_job_is_listed_at_once_a_default_once() {
    let error = render_error(
        FLINK_CHART,
        &[
            "--set",
            "defaults.autoscaler.scaleUpGracePeriod=2m",
            "--set",
            "jobs[0].name=a,jobs[0].job.jarURI=local:///a.jar,jobs[1].name=b,jobs[1].job.jarURI=local:///b.jar",
            "--set",
            "jobs[1].taskManager.replicas=2,jobs[1].vpa.maxAllowed.memory=512Mi",
        ],
    );
    assert!(
        error.contains("the values have 3 problems to fix"),
        "{error}"
    );
    // A default that is wrong for both jobs is one problem, at its defaults path.
    assert_eq!(
        error
            .matches("* defaults.autoscaler.scaleUpGracePeriod: Invalid value: \"2m\"")
            .count(),
        1,
        "{error}"
    );
    assert!(
        error.contains("* jobs[1].taskManager.replicas: Invalid value: \"2\""),
        "{error}"
    );
    assert!(
        error.contains("* jobs[1].vpa.maxAllowed.memory: Invalid value: \"512Mi\""),
        "{error}"
    );
    // Each message names its values path, not the job's index alone.
    assert!(!error.contains("jobs[1] (b): "), "{error}");
}

#[test]
fn duplicate_job_names_are_refused() {
    let error = render_error(FLINK_CHART, &["--set", "jobs[0].name=a,jobs[1].name=a"]);
    assert!(
        error.contains("jobs[1]") && error.contains("already used by jobs[0]"),
        "{error}"
    );
}

#[test]
fn the_seed_values_file_is_read_and_its_ineffective_values_named() {
    let seed = fixture("seed/flink-autoscale-values.yaml")
        .display()
        .to_string();
    let error = render_error(FLINK_CHART, &["-f", &seed]);
    // All four at once, each at the exact values path it was set at (defaults or the
    // entry), in one render rather than four.
    let expected = [
        "defaults.autoscaler.scaleUpGracePeriod: Invalid value: \"1m\": the Flink autoscaler has no scale-up delay option",
        "defaults.taskManager.replicas: Invalid value: \"1\": a fixed TaskManager count",
        "jobs[0].jobManager.resources.requests.cpu: Invalid value: \"250m\"",
        "jobs[0].taskManager.resources.requests.cpu: Invalid value: \"250m\"",
    ];
    assert!(
        error.contains("the values have 4 problems to fix"),
        "{error}"
    );
    for part in expected {
        assert!(error.contains(part), "{part:?} missing from:\n{error}");
    }
    assert!(!error.contains("jobs[0] (autoscaling-load): "), "{error}");
    // `helm lint -f` fails on the same file, listing the same problems.
    let lint = run_helm(&["lint", FLINK_CHART, "-f", &seed]);
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    assert!(!lint.status.success(), "helm lint passed:\n{printed}");
    for part in expected {
        let escaped = part.replace('"', "\\\"");
        assert!(
            printed.contains(part) || printed.contains(&escaped),
            "{part:?} missing from helm lint:\n{printed}"
        );
    }
    // With the three ineffective values removed, the seed's file renders as it stands.
    let docs = render(
        FLINK_CHART,
        &[
            "-f",
            &seed,
            "--set",
            "defaults.autoscaler.scaleUpGracePeriod=null,defaults.taskManager.replicas=null",
            "--set",
            "defaults.jobManager.resources.requests=null,defaults.taskManager.resources.requests=null",
            "--set",
            "jobs[0].jobManager.resources.requests=null,jobs[0].taskManager.resources.requests=null",
        ],
    );
    let fd = named(&docs, "FlinkDeployment", "autoscaling-load");
    assert_eq!(
        flink_configuration(fd)["job.autoscaler.scale-down.interval"],
        "3m"
    );
    assert_fit_crds(&docs);
}

#[test]
fn memory_sizes_are_read_as_the_operator_reads_them() {
    // 2048m is Flink's 2048 MiB (not a Kubernetes milli-byte), so the VPA minimum is
    // 2Gi and a 4Gi limit is twice the request.
    let docs = render(
        FLINK_CHART,
        &[
            "--set",
            "defaults.taskManager.memory=2048m,defaults.taskManager.resources.limits.memory=4Gi,defaults.vpa.maxAllowed.memory=4Gi",
        ],
    );
    let conf = flink_configuration(named(&docs, "FlinkDeployment", "state-machine"));
    assert_eq!(conf["kubernetes.taskmanager.memory.limit-factor"], "2");
    let vpa = named(&docs, "VerticalPodAutoscaler", "state-machine-taskmanager");
    assert_eq!(
        vpa["spec"]["resourcePolicy"]["containerPolicies"][0]["minAllowed"]["memory"],
        "2Gi"
    );
}

/// The chart eats its own cooking: what it renders passes the webhook's rules, as
/// `kubectl flink check` applies them, with no finding and no patch.
#[test]
fn rendered_jobs_are_admitted_by_kubectl_flink_check() {
    let many = values_file("kubectl_flink_check", MANY_JOBS);
    for args in [
        vec![],
        vec!["-f", many.as_str()],
        vec!["--set", "defaults.mode=standalone"],
    ] {
        let manifests = template_text(FLINK_CHART, &args);
        let mut child = Command::new(binary("kubectl-flink", "kubectl-flink"))
            .args(["check", "-f", "-", "-o", "json"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl-flink starts");
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(manifests.as_bytes())
            .expect("kubectl-flink reads the manifests");
        let out = child.wait_with_output().expect("kubectl-flink finishes");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: not admitted:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: Vec<Value> = serde_json::from_str(&stdout).expect("a JSON report");
        let judged: Vec<&Value> = report.iter().filter(|e| e["checked"] == true).collect();
        assert!(
            judged.len() >= 2,
            "{args:?}: FlinkDeployments and VPAs are judged: {report:#?}"
        );
        for entry in judged {
            assert_eq!(entry["allowed"], true, "{args:?}: {entry:#}");
            assert_eq!(entry["findings"], json!([]), "{args:?}: {entry:#}");
            assert_eq!(
                entry["patch"],
                json!([]),
                "{args:?}: the webhook would change {entry:#}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------
// Tests: flink-autoscale-webhook

fn webhook_configurations(docs: &[Value]) -> Vec<&Value> {
    docs.iter()
        .filter(|d| {
            d["kind"] == "MutatingWebhookConfiguration"
                || d["kind"] == "ValidatingWebhookConfiguration"
        })
        .collect()
}

fn container(docs: &[Value]) -> &Value {
    &named(docs, "Deployment", WEBHOOK_SERVICE)["spec"]["template"]["spec"]["containers"][0]
}

fn args(docs: &[Value]) -> Vec<String> {
    strings(&container(docs)["args"])
}

/// The value after `flag` in the container's arguments.
fn flag<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

#[test]
fn webhook_default_render_uses_cert_manager_with_ca_injection() {
    let docs = render(WEBHOOK_CHART, &[]);
    assert_fit_built_in_types(&docs);
    let issuers = of_kind(&docs, "Issuer");
    assert_eq!(
        issuers.len(),
        2,
        "self-signed and CA issuers: {:?}",
        names(&docs)
    );
    assert!(issuers.iter().any(|i| i["spec"]["selfSigned"].is_object()));
    let ca_issuer = issuers
        .iter()
        .find(|i| i["spec"]["ca"].is_object())
        .expect("a CA issuer");
    let certificates = of_kind(&docs, "Certificate");
    let ca = certificates
        .iter()
        .find(|c| c["spec"]["isCA"] == true)
        .expect("a CA certificate");
    assert_eq!(
        ca_issuer["spec"]["ca"]["secretName"],
        ca["spec"]["secretName"]
    );
    let serving = certificates
        .iter()
        .find(|c| c["spec"]["isCA"] != true)
        .expect("a serving certificate");
    assert_eq!(
        serving["spec"]["issuerRef"]["name"],
        ca_issuer["metadata"]["name"]
    );
    assert_eq!(
        strings(&serving["spec"]["dnsNames"]),
        [
            format!("{WEBHOOK_SERVICE}.{WEBHOOK_NAMESPACE}.svc"),
            format!("{WEBHOOK_SERVICE}.{WEBHOOK_NAMESPACE}.svc.cluster.local"),
        ]
    );
    // The pods mount the Secret cert-manager writes.
    let volumes =
        &named(&docs, "Deployment", WEBHOOK_SERVICE)["spec"]["template"]["spec"]["volumes"];
    let tls = volumes
        .as_array()
        .expect("volumes")
        .iter()
        .find(|v| v["name"] == "tls")
        .expect("tls volume");
    assert_eq!(tls["secret"]["secretName"], serving["spec"]["secretName"]);
    let mount = container(&docs)["volumeMounts"]
        .as_array()
        .expect("mounts")
        .iter()
        .find(|m| m["name"] == "tls")
        .expect("tls mount")
        .clone();
    assert_eq!(mount["mountPath"], "/tls");
    assert!(
        mount.get("subPath").is_none(),
        "a subPath mount never sees rotated certificates"
    );

    let inject = format!(
        "{WEBHOOK_NAMESPACE}/{}",
        serving["metadata"]["name"].as_str().expect("name")
    );
    let configurations = webhook_configurations(&docs);
    assert_eq!(configurations.len(), 2);
    for configuration in configurations {
        assert_eq!(
            configuration["metadata"]["annotations"]["cert-manager.io/inject-ca-from"],
            inject.as_str()
        );
        for webhook in configuration["webhooks"].as_array().expect("webhooks") {
            assert!(
                webhook["clientConfig"].get("caBundle").is_none(),
                "cainjector fills caBundle"
            );
        }
    }
    assert!(
        of_kind(&docs, "Secret").is_empty(),
        "cert-manager writes the Secret"
    );
}

#[test]
fn webhook_configurations_point_at_the_service_and_cover_exactly_the_handled_kinds() {
    let docs = render(WEBHOOK_CHART, &[]);
    let service = named(&docs, "Service", WEBHOOK_SERVICE);
    let https = service["spec"]["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .find(|p| p["name"] == "https")
        .expect("https port");
    assert_eq!(https["port"], 443);
    let target = https["targetPort"].clone();
    let ports = container(&docs)["ports"]
        .as_array()
        .expect("container ports");
    let container_port = ports
        .iter()
        .find(|p| p["name"] == target || p["containerPort"] == target)
        .expect("the Service's targetPort is a container port");
    assert_eq!(container_port["containerPort"], 8443);
    assert_eq!(flag(&args(&docs), "--listen"), Some("0.0.0.0:8443"));
    let selector = service["spec"]["selector"].as_object().expect("selector");
    let pod_labels =
        &named(&docs, "Deployment", WEBHOOK_SERVICE)["spec"]["template"]["metadata"]["labels"];
    for (k, v) in selector {
        assert_eq!(&pod_labels[k], v, "the Service selects the webhook pods");
    }

    let rules_of = |configuration: &Value| -> BTreeSet<(String, String, String)> {
        let mut out = BTreeSet::new();
        for webhook in configuration["webhooks"].as_array().expect("webhooks") {
            for rule in webhook["rules"].as_array().expect("rules") {
                assert_eq!(strings(&rule["operations"]), ["CREATE", "UPDATE"]);
                for group in strings(&rule["apiGroups"]) {
                    for version in strings(&rule["apiVersions"]) {
                        for resource in strings(&rule["resources"]) {
                            out.insert((group.clone(), version.clone(), resource));
                        }
                    }
                }
            }
        }
        out
    };
    let triple = |g: &str, v: &str, r: &str| (g.to_string(), v.to_string(), r.to_string());
    let mutating = named(&docs, "MutatingWebhookConfiguration", WEBHOOK_SERVICE);
    assert_eq!(
        rules_of(mutating),
        BTreeSet::from([triple("autoscaling.k8s.io", "v1", "verticalpodautoscalers")])
    );
    let validating = named(&docs, "ValidatingWebhookConfiguration", WEBHOOK_SERVICE);
    assert_eq!(
        rules_of(validating),
        BTreeSet::from([
            triple("flink.apache.org", "v1beta1", "flinkdeployments"),
            triple("flink.apache.org", "v1beta1", "flinksessionjobs"),
            triple("autoscaling.k8s.io", "v1", "verticalpodautoscalers"),
            triple("autoscaling", "v2", "horizontalpodautoscalers"),
        ])
    );
    for (configuration, path) in [(mutating, "/mutate"), (validating, "/validate")] {
        for webhook in configuration["webhooks"].as_array().expect("webhooks") {
            assert_eq!(
                webhook["clientConfig"]["service"],
                json!({"name": WEBHOOK_SERVICE, "namespace": WEBHOOK_NAMESPACE, "port": 443, "path": path})
            );
            assert!(
                webhook["name"]
                    .as_str()
                    .is_some_and(|n| n.split('.').count() >= 3),
                "fully qualified name"
            );
            assert_eq!(webhook["sideEffects"], "None");
            assert_eq!(webhook["admissionReviewVersions"], json!(["v1"]));
            assert_eq!(webhook["matchPolicy"], "Equivalent");
            assert_eq!(webhook["failurePolicy"], "Fail");
            assert_eq!(webhook["timeoutSeconds"], 5);
            let expressions = webhook["namespaceSelector"]["matchExpressions"]
                .as_array()
                .expect("matchExpressions");
            assert_eq!(expressions.len(), 1);
            assert_eq!(expressions[0]["key"], "kubernetes.io/metadata.name");
            assert_eq!(expressions[0]["operator"], "NotIn");
            let excluded = strings(&expressions[0]["values"]);
            assert!(
                excluded.contains(&WEBHOOK_NAMESPACE.to_string())
                    && excluded.contains(&"kube-system".to_string())
            );
        }
    }
}

#[test]
fn webhook_deployment_is_hardened_and_probed() {
    let docs = render(WEBHOOK_CHART, &[]);
    let deployment = named(&docs, "Deployment", WEBHOOK_SERVICE);
    assert_eq!(deployment["metadata"]["namespace"], WEBHOOK_NAMESPACE);
    assert_eq!(deployment["spec"]["replicas"], 2);
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(pod["securityContext"]["runAsUser"], 65532);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let anti =
        &pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0];
    assert_eq!(
        anti["podAffinityTerm"]["topologyKey"],
        "kubernetes.io/hostname"
    );
    assert_eq!(pod["serviceAccountName"], WEBHOOK_SERVICE);

    let c = container(&docs);
    assert_eq!(c["image"], "flink-autoscale-webhook:0.1.0");
    let security = &c["securityContext"];
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["allowPrivilegeEscalation"], false);
    assert_eq!(security["runAsNonRoot"], true);
    assert_eq!(security["capabilities"]["drop"], json!(["ALL"]));
    for kind in ["requests", "limits"] {
        for resource in ["cpu", "memory"] {
            assert!(
                c["resources"][kind][resource].is_string(),
                "resources.{kind}.{resource}"
            );
        }
    }
    // Probes on the admin port by default: clients filling the HTTPS port's
    // connections must not make the liveness probe restart the pod.
    for (probe, path) in [
        ("startupProbe", "/healthz"),
        ("livenessProbe", "/healthz"),
        ("readinessProbe", "/readyz"),
    ] {
        assert_eq!(
            c[probe]["httpGet"],
            json!({"path": path, "port": "admin", "scheme": "HTTP"}),
            "{probe}"
        );
    }

    let args = args(&docs);
    assert_eq!(flag(&args, "--tls-cert"), Some("/tls/tls.crt"));
    assert_eq!(flag(&args, "--tls-key"), Some("/tls/tls.key"));
    assert_eq!(flag(&args, "--enforcement"), Some("deny"));
    assert_eq!(flag(&args, "--vpa-min-memory"), Some("256Mi"));
    assert_eq!(flag(&args, "--vpa-max-memory"), Some("2Gi"));
    assert_eq!(flag(&args, "--log-format"), Some("json"));
    assert_eq!(flag(&args, "--reconcile-interval"), Some("60s"));
    assert_eq!(flag(&args, "--admin-listen"), Some("0.0.0.0:9090"));
    assert_eq!(flag(&args, "--operator-rules"), Some("on"));
    assert!(
        !args.contains(&"--operator-version".to_string()),
        "{args:?}"
    );

    let pdb = named(&docs, "PodDisruptionBudget", WEBHOOK_SERVICE);
    assert_eq!(pdb["spec"]["minAvailable"], 1);
    let pod_labels = &deployment["spec"]["template"]["metadata"]["labels"];
    for (k, v) in pdb["spec"]["selector"]["matchLabels"]
        .as_object()
        .expect("selector")
    {
        assert_eq!(&pod_labels[k], v, "the PDB selects the webhook pods");
    }
    // One replica with minAvailable 1 would block every node drain.
    let docs = render(WEBHOOK_CHART, &["--set", "replicaCount=1"]);
    assert!(of_kind(&docs, "PodDisruptionBudget").is_empty());
}

#[test]
fn webhook_rbac_is_read_only() {
    let docs = render(WEBHOOK_CHART, &[]);
    let role = named(&docs, "ClusterRole", WEBHOOK_SERVICE);
    let mut granted = BTreeSet::new();
    for rule in role["rules"].as_array().expect("rules") {
        for verb in strings(&rule["verbs"]) {
            assert!(
                ["get", "list", "watch"].contains(&verb.as_str()),
                "verb {verb} in {rule}"
            );
        }
        for group in strings(&rule["apiGroups"]) {
            for resource in strings(&rule["resources"]) {
                granted.insert(format!("{resource}.{group}"));
            }
        }
    }
    assert_eq!(
        granted,
        BTreeSet::from(
            [
                "flinkdeployments.flink.apache.org",
                "flinksessionjobs.flink.apache.org",
                "verticalpodautoscalers.autoscaling.k8s.io",
                "horizontalpodautoscalers.autoscaling",
            ]
            .map(String::from)
        )
    );
    let binding = named(&docs, "ClusterRoleBinding", WEBHOOK_SERVICE);
    assert_eq!(binding["roleRef"]["name"], WEBHOOK_SERVICE);
    assert_eq!(
        binding["subjects"][0],
        json!({"kind": "ServiceAccount", "name": WEBHOOK_SERVICE, "namespace": WEBHOOK_NAMESPACE})
    );
    assert!(of_kind(&docs, "Role").is_empty() && of_kind(&docs, "RoleBinding").is_empty());
}

#[test]
fn webhook_values_reach_the_flags_probes_and_configurations() {
    let docs = render(
        WEBHOOK_CHART,
        &[
            "--set",
            "enforcement=warn,failurePolicy=Ignore,timeoutSeconds=10,adminPort.enabled=true",
            "--set",
            "vpa.minMemory=512Mi,vpa.maxMemory=8Gi,logFormat=text,excludedNamespaces={flink-operator}",
            "--set",
            "serviceMonitor.enabled=true,operatorRules=false,operatorVersion=1.10",
        ],
    );
    let args = args(&docs);
    assert_eq!(flag(&args, "--operator-version"), Some("1.10"));
    assert_eq!(flag(&args, "--enforcement"), Some("warn"));
    assert_eq!(flag(&args, "--operator-rules"), Some("off"));
    assert_eq!(flag(&args, "--admin-listen"), Some("0.0.0.0:9090"));
    assert_eq!(flag(&args, "--vpa-min-memory"), Some("512Mi"));
    assert_eq!(flag(&args, "--vpa-max-memory"), Some("8Gi"));
    assert_eq!(flag(&args, "--log-format"), Some("text"));
    let c = container(&docs);
    for probe in ["livenessProbe", "readinessProbe"] {
        assert_eq!(c[probe]["httpGet"]["port"], "admin");
        assert_eq!(c[probe]["httpGet"]["scheme"], "HTTP");
    }
    let service = named(&docs, "Service", WEBHOOK_SERVICE);
    assert!(
        service["spec"]["ports"]
            .as_array()
            .expect("ports")
            .iter()
            .any(|p| p["name"] == "admin" && p["port"] == 9090)
    );
    for configuration in webhook_configurations(&docs) {
        for webhook in configuration["webhooks"].as_array().expect("webhooks") {
            assert_eq!(webhook["failurePolicy"], "Ignore");
            assert_eq!(webhook["timeoutSeconds"], 10);
            let excluded = strings(&webhook["namespaceSelector"]["matchExpressions"][0]["values"]);
            assert_eq!(
                excluded,
                [WEBHOOK_NAMESPACE, "kube-system", "flink-operator"]
            );
        }
    }
    let monitor = named(&docs, "ServiceMonitor", WEBHOOK_SERVICE);
    assert_eq!(monitor["spec"]["endpoints"][0]["port"], "admin");
    assert_eq!(monitor["spec"]["endpoints"][0]["path"], "/metrics");
    assert!(of_kind(&render(WEBHOOK_CHART, &[]), "ServiceMonitor").is_empty());
}

#[test]
fn webhook_without_cert_manager_needs_the_certificates() {
    let error = render_error(WEBHOOK_CHART, &["--set", "certManager.enabled=false"]);
    assert!(
        error.contains("certManager.enabled is false")
            && error.contains("tls.existingSecret")
            && error.contains("certs/README.md"),
        "{error}"
    );
    let error = render_error(
        WEBHOOK_CHART,
        &["--set", "certManager.enabled=false,tls.existingSecret=mine"],
    );
    assert!(error.contains("caBundle must be set"), "{error}");
}

const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIBserving\n-----END CERTIFICATE-----";
const KEY: &str = "-----BEGIN PRIVATE KEY-----\nMIGHkey\n-----END PRIVATE KEY-----";
const CA: &str = "-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----";

#[test]
fn webhook_without_cert_manager_renders_the_secret_and_ca_bundle() {
    let dir = scratch("webhook_supplied_certificates");
    for (name, text) in [("tls.crt", CERT), ("tls.key", KEY), ("ca.crt", CA)] {
        std::fs::write(dir.join(name), format!("{text}\n")).expect("write PEM");
    }
    let file = |name: &str| format!("{name}={}", dir.join(name).display());
    let docs = render(
        WEBHOOK_CHART,
        &[
            "--set",
            "certManager.enabled=false",
            "--set-file",
            &file("tls.crt"),
            "--set-file",
            &file("tls.key"),
            "--set-file",
            &format!("caBundle={}", dir.join("ca.crt").display()),
        ],
    );
    assert_fit_built_in_types(&docs);
    assert!(of_kind(&docs, "Issuer").is_empty() && of_kind(&docs, "Certificate").is_empty());
    let secrets = of_kind(&docs, "Secret");
    assert_eq!(secrets.len(), 1);
    let secret = secrets[0];
    assert_eq!(secret["type"], "kubernetes.io/tls");
    assert_eq!(base64_decode(&secret["data"]["tls.crt"]).trim(), CERT);
    assert_eq!(base64_decode(&secret["data"]["tls.key"]).trim(), KEY);
    let volumes =
        &named(&docs, "Deployment", WEBHOOK_SERVICE)["spec"]["template"]["spec"]["volumes"];
    assert!(
        volumes
            .as_array()
            .expect("volumes")
            .iter()
            .any(|v| v["secret"]["secretName"] == secret["metadata"]["name"])
    );
    for configuration in webhook_configurations(&docs) {
        assert!(
            configuration["metadata"].get("annotations").is_none(),
            "no cainjector annotation"
        );
        for webhook in configuration["webhooks"].as_array().expect("webhooks") {
            assert_eq!(
                base64_decode(&webhook["clientConfig"]["caBundle"]).trim(),
                CA
            );
        }
    }

    // An existing Secret is mounted as it is; a base64 caBundle is passed through.
    let encoded = base64_encode(CA.as_bytes());
    let docs = render(
        WEBHOOK_CHART,
        &[
            "--set",
            &format!("certManager.enabled=false,tls.existingSecret=webhook-tls,caBundle={encoded}"),
        ],
    );
    assert!(of_kind(&docs, "Secret").is_empty());
    let volumes =
        &named(&docs, "Deployment", WEBHOOK_SERVICE)["spec"]["template"]["spec"]["volumes"];
    assert!(
        volumes
            .as_array()
            .expect("volumes")
            .iter()
            .any(|v| v["secret"]["secretName"] == "webhook-tls")
    );
    for configuration in webhook_configurations(&docs) {
        assert_eq!(
            configuration["webhooks"][0]["clientConfig"]["caBundle"],
            encoded.as_str()
        );
    }
}

// ---------------------------------------------------------------------------------
// Tests: certs/gen-certs.sh

#[test]
fn gen_certs_script_makes_what_the_chart_and_api_server_need() {
    let dir = scratch("gen_certs");
    let out = Command::new("bash")
        .arg(workspace_root().join("certs/gen-certs.sh"))
        .args([
            "--service",
            WEBHOOK_SERVICE,
            "--namespace",
            WEBHOOK_NAMESPACE,
            "--out",
        ])
        .arg(&dir)
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "certs/gen-certs.sh failed (it needs the openssl CLI):\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for name in ["ca.crt", "tls.crt", "tls.key"] {
        assert!(dir.join(name).is_file(), "{name} missing");
    }
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    openssl(&["verify", "-CAfile", "ca.crt", "tls.crt"]);
    let san = openssl(&["x509", "-in", "tls.crt", "-noout", "-ext", "subjectAltName"]);
    for name in [
        format!("DNS:{WEBHOOK_SERVICE}.{WEBHOOK_NAMESPACE}.svc"),
        format!("DNS:{WEBHOOK_SERVICE}.{WEBHOOK_NAMESPACE}.svc.cluster.local"),
    ] {
        assert!(san.contains(&name), "{name} missing from {san}");
    }
    let usage = openssl(&[
        "x509",
        "-in",
        "tls.crt",
        "-noout",
        "-ext",
        "extendedKeyUsage",
    ]);
    assert!(usage.contains("TLS Web Server Authentication"), "{usage}");
    // The key belongs to the certificate.
    assert_eq!(
        openssl(&["pkey", "-in", "tls.key", "-pubout"]),
        openssl(&["x509", "-in", "tls.crt", "-noout", "-pubkey"])
    );

    // And the chart takes the files as the README says.
    let docs = render(
        WEBHOOK_CHART,
        &[
            "--set",
            "certManager.enabled=false",
            "--set-file",
            &format!("tls.crt={}", dir.join("tls.crt").display()),
            "--set-file",
            &format!("tls.key={}", dir.join("tls.key").display()),
            "--set-file",
            &format!("caBundle={}", dir.join("ca.crt").display()),
        ],
    );
    let ca = std::fs::read_to_string(dir.join("ca.crt")).expect("ca.crt");
    let configuration = named(&docs, "ValidatingWebhookConfiguration", WEBHOOK_SERVICE);
    assert_eq!(
        base64_decode(&configuration["webhooks"][0]["clientConfig"]["caBundle"]).trim(),
        ca.trim()
    );
}

// ---------------------------------------------------------------------------------
// Tests: the Makefile and the helm installer

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

#[test]
fn install_helm_script_does_nothing_when_helm_works() {
    let helm = helm();
    let dir = if helm.is_absolute() {
        helm.parent().map(Path::to_path_buf)
    } else {
        None
    };
    let mut cmd = Command::new("bash");
    cmd.arg(workspace_root().join(".ci/install-helm.sh"));
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

// ---------------------------------------------------------------------------------
// base64, for Secret data and caBundle (the standard alphabet, padded)

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(value: &Value) -> String {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not base64 text: {value}"));
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        let v = ALPHABET
            .iter()
            .position(|a| *a == c)
            .unwrap_or_else(|| panic!("{:?} is not base64 in {text}", char::from(c)));
        bits = (bits << 6) | v as u32;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(((bits >> count) & 0xff) as u8);
        }
    }
    String::from_utf8(out).expect("decoded text is UTF-8")
}
