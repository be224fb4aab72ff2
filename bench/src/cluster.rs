//! `--cluster N`: the webhook online against the test API server
//! (`flink-test-apiserver`, from the tests package) seeded with N FlinkDeployments,
//! N VPAs and N/10 HPAs, all in the namespace the mix's reviews are in (one
//! namespace holding every Flink job is the common layout, and the worst case for a
//! view that scans by namespace).
//!
//! The objects are shaped like real ones: each FlinkDeployment carries a pod
//! template, kubectl's last-applied annotation, managedFields and the operator's
//! status with its copy of the last reconciled spec, so what the webhook caches per
//! object is measured, not assumed. None of them conflicts with a review of the mix
//! (the preflight checks the verdicts are the offline ones).

use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The namespace of the mix's reviews.
pub const NAMESPACE: &str = "flink";

/// Objects the webhook caches for `n`: FlinkDeployments, VPAs and HPAs.
pub fn cached_objects(n: usize) -> usize {
    2 * n + n / 10
}

fn flink_deployment(i: usize) -> Value {
    let name = format!("job-{i}");
    let spec = json!({
        "image": "flink:1.20",
        "flinkVersion": "v1_20",
        "mode": "native",
        "serviceAccount": "flink",
        "flinkConfiguration": {
            "job.autoscaler.enabled": "true",
            "job.autoscaler.metrics.window": "10m",
            "job.autoscaler.stabilization.interval": "5m",
            "job.autoscaler.utilization.target": "0.7",
            "job.autoscaler.vertex.max-parallelism": "64",
            "pipeline.max-parallelism": "720",
            "taskmanager.numberOfTaskSlots": "2",
            "execution.checkpointing.interval": "1m",
            "state.checkpoints.dir": format!("s3://checkpoints/{name}"),
        },
        "podTemplate": {"spec": {"containers": [{
            "name": "flink-main-container",
            "env": [{"name": "JOB", "value": name}, {"name": "REGION", "value": "eu-west-1"}],
            "volumeMounts": [{"name": "config", "mountPath": "/opt/config"}],
        }], "volumes": [{"name": "config", "configMap": {"name": format!("{name}-config")}}]}},
        "jobManager": {"resource": {"memory": "2048m", "cpu": 1}},
        "taskManager": {"resource": {"memory": "4096m", "cpu": 2}},
        "job": {"jarURI": "local:///opt/flink/usrlib/job.jar", "parallelism": 4,
                "upgradeMode": "savepoint"},
    });
    let applied = json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
                         "metadata": {"name": name, "namespace": NAMESPACE}, "spec": spec});
    json!({
        "apiVersion": "flink.apache.org/v1beta1",
        "kind": "FlinkDeployment",
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "labels": {"app": name, "team": "streaming"},
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": applied.to_string(),
            },
            "managedFields": [
                {"manager": "kubectl-client-side-apply", "operation": "Update",
                 "apiVersion": "flink.apache.org/v1beta1", "fieldsType": "FieldsV1",
                 "fieldsV1": {"f:spec": {"f:flinkConfiguration": {}, "f:job": {}, "f:podTemplate": {}}}},
                {"manager": "flink-kubernetes-operator", "operation": "Update",
                 "apiVersion": "flink.apache.org/v1beta1", "fieldsType": "FieldsV1",
                 "subresource": "status", "fieldsV1": {"f:status": {}}},
            ],
        },
        "spec": spec,
        "status": {
            "lifecycleState": "STABLE",
            "jobStatus": {"state": "RUNNING", "jobName": name, "jobId": format!("{i:032x}")},
            "reconciliationStatus": {"state": "DEPLOYED", "lastReconciledSpec": spec.to_string(),
                                     "lastStableSpec": spec.to_string()},
        },
    })
}

fn vpa(i: usize) -> Value {
    json!({
        "apiVersion": "autoscaling.k8s.io/v1",
        "kind": "VerticalPodAutoscaler",
        "metadata": {"name": format!("job-{i}-tm"), "namespace": NAMESPACE},
        "spec": {
            "targetRef": {"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
                          "name": format!("job-{i}")},
            "updatePolicy": {"updateMode": "Initial"},
            "resourcePolicy": {"containerPolicies": [{
                "containerName": "flink-main-container", "controlledResources": ["memory"],
                "minAllowed": {"memory": "4Gi"}, "maxAllowed": {"memory": "16Gi"}}]},
        },
        "status": {"recommendation": {"containerRecommendations": [{
            "containerName": "flink-main-container", "target": {"memory": "6Gi"}}]}},
    })
}

fn hpa(i: usize) -> Value {
    json!({
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": format!("web-{i}"), "namespace": NAMESPACE},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": format!("web-{i}")},
            "minReplicas": 2, "maxReplicas": 10,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu",
                         "target": {"type": "Utilization", "averageUtilization": 70}}}],
        },
        "status": {"currentReplicas": 2, "desiredReplicas": 2},
    })
}

/// Writes the seed for `n` as one `kind: List` JSON document (JSON is YAML; the
/// test API server's loader flattens lists).
pub fn write_seed(dir: &Path, n: usize) -> anyhow::Result<PathBuf> {
    let mut items = Vec::with_capacity(cached_objects(n));
    items.extend((0..n).map(flink_deployment));
    items.extend((0..n).map(vpa));
    items.extend((0..n / 10).map(hpa));
    let path = dir.join(format!("cluster-{n}.yaml"));
    let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
    std::fs::write(&path, serde_json::to_vec(&list)?)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// A running `flink-test-apiserver`, stopped when dropped.
pub struct ApiServer {
    child: Child,
    pub kubeconfig: PathBuf,
}

impl ApiServer {
    /// Starts the server on `seed` and waits for its kubeconfig path.
    pub fn start(bin: &Path, seed: &Path) -> anyhow::Result<ApiServer> {
        let mut child = Command::new(bin)
            .args(["--namespace", NAMESPACE])
            .arg(seed)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().context("stdout is piped")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            // Keep draining so the server never blocks on a full pipe.
            for _ in lines {}
        });
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(Some(Ok(line))) => Ok(ApiServer {
                child,
                kubeconfig: PathBuf::from(line.trim()),
            }),
            other => {
                let _ = child.kill();
                bail!("the test API server did not print its kubeconfig: {other:?}")
            }
        }
    }
}

impl Drop for ApiServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_has_n_of_each_and_a_tenth_as_many_hpas() {
        let dir = std::env::temp_dir().join(format!("bench-seed-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = write_seed(&dir, 20).unwrap();
        let list: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let items = list["items"].as_array().unwrap();
        let count = |kind: &str| items.iter().filter(|o| o["kind"] == kind).count();
        assert_eq!(count("FlinkDeployment"), 20);
        assert_eq!(count("VerticalPodAutoscaler"), 20);
        assert_eq!(count("HorizontalPodAutoscaler"), 2);
        assert_eq!(items.len(), cached_objects(20));
        assert!(
            items
                .iter()
                .all(|o| o["metadata"]["namespace"] == NAMESPACE)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
