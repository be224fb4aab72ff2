//! The fixed mix of AdmissionReviews every run sends: the shared fixtures as they
//! are, and FlinkDeployments, VPAs and an HPA made from them, admitted and denied,
//! for /validate and /mutate. Each connection walks the same list from its own
//! offset, so every run of the same length sends the same mix.

use anyhow::{Context, bail};
use bytes::Bytes;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// One request of the mix.
#[derive(Debug, Clone)]
pub struct Review {
    pub name: &'static str,
    pub path: &'static str,
    pub body: Bytes,
    /// What the webhook is expected to answer (checked once before measuring).
    pub expect: Expect,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Allowed,
    Denied,
    Patched,
}

impl Expect {
    pub fn as_str(self) -> &'static str {
        match self {
            Expect::Allowed => "allowed",
            Expect::Denied => "denied",
            Expect::Patched => "allowed+patch",
        }
    }

    /// What an AdmissionReview response says.
    pub fn of_response(review: &Value) -> Option<Expect> {
        let response = review.get("response")?;
        match response.get("allowed")?.as_bool()? {
            false => Some(Expect::Denied),
            true if response.get("patch").is_some() => Some(Expect::Patched),
            true => Some(Expect::Allowed),
        }
    }
}

/// `../shared/fixtures` beside the workspace, or `FIXTURES_DIR`.
pub fn default_fixtures_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FIXTURES_DIR") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures")
}

fn read_json(dir: &Path, rel: &str) -> anyhow::Result<Value> {
    let path = dir.join(rel);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

fn read_yaml(dir: &Path, rel: &str) -> anyhow::Result<Value> {
    let path = dir.join(rel);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_saphyr::from_str(&text).with_context(|| format!("{} is not YAML", path.display()))
}

fn review(
    name: &'static str,
    path: &'static str,
    value: &Value,
    expect: Expect,
) -> anyhow::Result<Review> {
    Ok(Review {
        name,
        path,
        body: Bytes::from(serde_json::to_vec(value)?),
        expect,
    })
}

/// An AdmissionReview around `object`, as the API server sends it.
fn admission(
    uid: &str,
    operation: &str,
    resource: (&str, &str, &str),
    object: &Value,
    old: Option<&Value>,
) -> Value {
    let (group, version, plural) = resource;
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": group, "version": version, "kind": object["kind"]},
            "resource": {"group": group, "version": version, "resource": plural},
            "requestKind": {"group": group, "version": version, "kind": object["kind"]},
            "requestResource": {"group": group, "version": version, "resource": plural},
            "name": object["metadata"]["name"],
            "namespace": object["metadata"]["namespace"],
            "operation": operation,
            "userInfo": {"username": "kubernetes-admin",
                         "groups": ["kubeadm:cluster-admins", "system:authenticated"]},
            "object": object,
            "oldObject": old.cloned().unwrap_or(Value::Null),
            "dryRun": false,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions",
                        "fieldManager": "kubectl-client-side-apply"}
        }
    })
}

const FLINK: (&str, &str, &str) = ("flink.apache.org", "v1beta1", "flinkdeployments");
const VPA: (&str, &str, &str) = ("autoscaling.k8s.io", "v1", "verticalpodautoscalers");
const HPA: (&str, &str, &str) = ("autoscaling", "v2", "horizontalpodautoscalers");

/// The mix: seven admitted (two of them patched by /mutate), three denied.
pub fn mix(fixtures: &Path) -> anyhow::Result<Vec<Review>> {
    let create = read_json(fixtures, "admission/flinkdeployment-create.json")?;
    let delete = read_json(fixtures, "admission/flinkdeployment-delete.json")?;
    let vpa_update = read_json(fixtures, "admission/vpa-update.json")?;
    let hpa = read_yaml(fixtures, "examples/flink-operator-basic-hpa.yaml")?;
    let deployment = create
        .pointer("/request/object")
        .cloned()
        .context("flinkdeployment-create.json has no request.object")?;
    if !deployment.is_object() {
        bail!("flinkdeployment-create.json: request.object is not an object");
    }

    // Three mistakes in one object: out of range, a misspelt key, a window shorter
    // than the reconcile interval.
    let mut broken = deployment.clone();
    let conf = &mut broken["spec"]["flinkConfiguration"];
    conf["job.autoscaler.utilization.target"] = json!("1.5");
    conf["job.autoscaler.stabilisation.interval"] = json!("1m");
    conf["job.autoscaler.metrics.window"] = json!("30s");
    broken["metadata"]["name"] = json!("orders-broken");

    // An UPDATE that breaks one setting of a running deployment.
    let mut updated = deployment.clone();
    updated["spec"]["flinkConfiguration"]["job.autoscaler"]["metrics.window"] = json!("20s");

    // A large, valid configuration: every commonly tuned autoscaler option.
    let mut large = deployment.clone();
    large["metadata"]["name"] = json!("orders-tuned");
    let tuned = json!({
        "job.autoscaler.enabled": "true",
        "job.autoscaler.scaling.enabled": "true",
        "job.autoscaler.metrics.window": "10m",
        "job.autoscaler.stabilization.interval": "5m",
        "job.autoscaler.utilization.target": "0.7",
        "job.autoscaler.target.utilization.boundary": "0.3",
        "job.autoscaler.scale-up.grace-period": "1h",
        "job.autoscaler.scale-down.max-factor": "0.6",
        "job.autoscaler.scale-up.max-factor": "100000.0",
        "job.autoscaler.vertex.max-parallelism": "200",
        "job.autoscaler.vertex.min-parallelism": "1",
        "job.autoscaler.catch-up.duration": "15m",
        "job.autoscaler.restart.time": "5m",
        "job.autoscaler.memory.tuning.enabled": "false",
        "job.autoscaler.history.max.count": "3",
        "job.autoscaler.history.max.age": "24h",
        "pipeline.max-parallelism": "720",
        "taskmanager.numberOfTaskSlots": "4",
        "taskmanager.memory.process.size": "4096m",
        "execution.checkpointing.interval": "1m",
    });
    if let (Some(conf), Some(extra)) = (
        large["spec"]["flinkConfiguration"].as_object_mut(),
        tuned.as_object(),
    ) {
        conf.remove("job.autoscaler");
        for (k, v) in extra {
            conf.insert(k.clone(), v.clone());
        }
    }

    // A new VPA on a TaskManager without memory bounds: /mutate adds them.
    let vpa_object = |name: &str, target: &str| {
        json!({
            "apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
            "metadata": {"name": name, "namespace": "flink"},
            "spec": {"targetRef": {"apiVersion": "flink.apache.org/v1beta1",
                                   "kind": "FlinkDeployment", "name": target},
                     "updatePolicy": {"updateMode": "Initial"}}
        })
    };
    let new_vpa = vpa_object("orders-tm", "orders");
    // Bounds that contradict each other: refused.
    let mut bad_vpa = vpa_object("orders-tm-bad", "orders");
    bad_vpa["spec"]["resourcePolicy"] = json!({"containerPolicies": [{
        "containerName": "flink-main-container",
        "controlledResources": ["memory"],
        "minAllowed": {"memory": "4Gi"},
        "maxAllowed": {"memory": "1Gi"}
    }]});

    // (name, path, review, expected answer)
    let cases = [
        (
            "fixture FlinkDeployment CREATE",
            "/validate",
            &create,
            Expect::Allowed,
        ),
        (
            "FlinkDeployment CREATE, 3 mistakes",
            "/validate",
            &admission("bench-2", "CREATE", FLINK, &broken, None),
            Expect::Denied,
        ),
        (
            "fixture VPA UPDATE (mutate)",
            "/mutate",
            &vpa_update,
            Expect::Patched,
        ),
        (
            "fixture VPA UPDATE",
            "/validate",
            &vpa_update,
            Expect::Allowed,
        ),
        (
            "fixture FlinkDeployment DELETE",
            "/validate",
            &delete,
            Expect::Allowed,
        ),
        (
            "FlinkDeployment UPDATE, short window",
            "/validate",
            &admission("bench-6", "UPDATE", FLINK, &updated, Some(&deployment)),
            Expect::Denied,
        ),
        (
            "VPA CREATE without bounds (mutate)",
            "/mutate",
            &admission("bench-7", "CREATE", VPA, &new_vpa, None),
            Expect::Patched,
        ),
        (
            "VPA CREATE, min above max",
            "/validate",
            &admission("bench-8", "CREATE", VPA, &bad_vpa, None),
            Expect::Denied,
        ),
        (
            "HPA on a FlinkDeployment (offline)",
            "/validate",
            &admission("bench-9", "CREATE", HPA, &hpa, None),
            Expect::Allowed,
        ),
        (
            "FlinkDeployment CREATE, 20 options",
            "/validate",
            &admission("bench-10", "CREATE", FLINK, &large, None),
            Expect::Allowed,
        ),
    ];
    cases
        .into_iter()
        .map(|(name, path, value, expect)| review(name, path, value, expect))
        .collect()
}
