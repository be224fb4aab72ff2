//! Objects the end-to-end tests put in the test API server, shaped as users write
//! them, where more than one test file needs the same shape.

use serde_json::{Value, json};

/// A VPA in `ns` on the TaskManagers of FlinkDeployment `target`, controlling
/// `resources` (`cpu`, `memory`), with memory bounds and `updateMode: Initial`.
pub fn vpa(ns: &str, name: &str, target: &str, resources: &[&str]) -> Value {
    json!({
        "apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"targetRef": {"apiVersion": "flink.apache.org/v1beta1",
                               "kind": "FlinkDeployment", "name": target},
                 "updatePolicy": {"updateMode": "Initial"},
                 "resourcePolicy": {"containerPolicies": [{
                     "containerName": "flink-main-container",
                     "controlledResources": resources,
                     "minAllowed": {"memory": "4Gi"}, "maxAllowed": {"memory": "16Gi"}}]}}
    })
}
