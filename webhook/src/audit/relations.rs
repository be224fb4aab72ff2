//! Which objects one change touches. The rules read, besides the object itself, the
//! FlinkDeployment it is about (a VPA's or HPA's target, a session job's cluster) and,
//! for a FlinkDeployment, the VPAs and HPAs on it. A change therefore re-evaluates
//! the object and the objects paired with it through a FlinkDeployment: never the
//! whole cluster, so the audit's cost follows the changes, not the cluster's size.

use crate::cluster::ClusterView;
use flink_autoscale_rules::object::Pointer;
use serde_json::Value;

/// One audited object: ordered by namespace first, so a namespace's objects are one
/// range (one policy report per namespace).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    pub namespace: String,
    pub kind: &'static str,
    pub name: String,
}

impl ObjectKey {
    pub fn new(kind: &'static str, namespace: &str, name: &str) -> Self {
        ObjectKey {
            namespace: namespace.to_string(),
            kind,
            name: name.to_string(),
        }
    }
}

pub const FLINK_DEPLOYMENT: &str = "FlinkDeployment";
pub const FLINK_SESSION_JOB: &str = "FlinkSessionJob";
pub const VPA: &str = "VerticalPodAutoscaler";
pub const HPA: &str = "HorizontalPodAutoscaler";

/// The FlinkDeployments (by name, in the object's namespace) whose change or whose
/// partners' change can alter `object`'s findings, and whose partners `object`'s own
/// change can alter. A session job's deployment is left out: the deployment's
/// findings do not depend on its jobs (the jobs are found from the deployment).
pub fn deployments_of(kind: &str, object: &Value) -> Vec<String> {
    let name = |v: &Value| v.get("name").and_then(Value::as_str).map(str::to_string);
    match kind {
        FLINK_DEPLOYMENT => object
            .at("/metadata/name")
            .and_then(Value::as_str)
            .map(|n| vec![n.to_string()])
            .unwrap_or_default(),
        VPA | HPA => {
            let pointer = if kind == VPA {
                "/spec/targetRef"
            } else {
                "/spec/scaleTargetRef"
            };
            let Some(target) = object.at(pointer) else {
                return Vec::new();
            };
            let Some(target_name) = name(target) else {
                return Vec::new();
            };
            match target.get("kind").and_then(Value::as_str) {
                Some(FLINK_DEPLOYMENT) => vec![target_name],
                // The rules resolve a Deployment to the FlinkDeployment whose
                // TaskManagers (`<fd>-taskmanager`) or JobManager (`<fd>`) it is.
                Some("Deployment") => {
                    let mut out = vec![target_name.clone()];
                    if let Some(fd) = target_name.strip_suffix("-taskmanager") {
                        out.push(fd.to_string());
                    }
                    out
                }
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    }
}

/// The objects whose findings depend on the FlinkDeployment `namespace/fd`: the
/// deployment itself, the VPAs and HPAs aimed at it or at its Deployments, and its
/// session jobs. Index lookups only.
pub fn around_deployment(view: &ClusterView, namespace: &str, fd: &str) -> Vec<ObjectKey> {
    let mut out = Vec::new();
    // A name derived from a Deployment target may name no FlinkDeployment.
    if view.object(FLINK_DEPLOYMENT, namespace, fd).is_some() {
        out.push(ObjectKey::new(FLINK_DEPLOYMENT, namespace, fd));
    }
    let taskmanagers = format!("{fd}-taskmanager");
    let targets = [
        (FLINK_DEPLOYMENT, fd),
        ("Deployment", taskmanagers.as_str()),
        ("Deployment", fd),
    ];
    for kind in [VPA, HPA] {
        for (target_kind, target_name) in targets {
            for o in view.filed_under(kind, namespace, target_kind, target_name) {
                out.push(ObjectKey::new(kind, namespace, name_of(&o)));
            }
        }
    }
    for o in view.filed_under(FLINK_SESSION_JOB, namespace, FLINK_DEPLOYMENT, fd) {
        out.push(ObjectKey::new(FLINK_SESSION_JOB, namespace, name_of(&o)));
    }
    out
}

pub fn name_of(object: &Value) -> &str {
    object
        .at("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

pub fn namespace_of(object: &Value) -> &str {
    object
        .at("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn autoscaler(kind: &str, name: &str, target_kind: &str, target: &str) -> Value {
        let (api, field) = if kind == VPA {
            ("autoscaling.k8s.io/v1", "targetRef")
        } else {
            ("autoscaling/v2", "scaleTargetRef")
        };
        json!({"apiVersion": api, "kind": kind, "metadata": {"name": name, "namespace": "ns"},
               "spec": {field: {"kind": target_kind, "name": target}}})
    }

    #[test]
    fn autoscalers_name_the_deployments_they_may_reach() {
        let tm = autoscaler(VPA, "v", "Deployment", "orders-taskmanager");
        assert_eq!(
            deployments_of(VPA, &tm),
            vec!["orders-taskmanager", "orders"]
        );
        let fd = autoscaler(HPA, "h", FLINK_DEPLOYMENT, "orders");
        assert_eq!(deployments_of(HPA, &fd), vec!["orders"]);
        let other = autoscaler(HPA, "h", "StatefulSet", "orders");
        assert!(deployments_of(HPA, &other).is_empty());
        let job = json!({"kind": FLINK_SESSION_JOB, "metadata": {"name": "j"},
                         "spec": {"deploymentName": "session"}});
        assert!(deployments_of(FLINK_SESSION_JOB, &job).is_empty());
    }

    #[test]
    fn a_deployment_touches_its_autoscalers_and_jobs_only() {
        let view = ClusterView::from_objects([
            json!({"apiVersion": "flink.apache.org/v1beta1", "kind": FLINK_DEPLOYMENT,
                   "metadata": {"name": "orders", "namespace": "ns"}, "spec": {}}),
            autoscaler(VPA, "on-fd", FLINK_DEPLOYMENT, "orders"),
            autoscaler(VPA, "on-tm", "Deployment", "orders-taskmanager"),
            autoscaler(HPA, "on-jm", "Deployment", "orders"),
            autoscaler(VPA, "elsewhere", FLINK_DEPLOYMENT, "billing"),
            json!({"apiVersion": "flink.apache.org/v1beta1", "kind": FLINK_SESSION_JOB,
                   "metadata": {"name": "job", "namespace": "ns"},
                   "spec": {"deploymentName": "orders"}}),
        ]);
        let mut touched: Vec<String> = around_deployment(&view, "ns", "orders")
            .into_iter()
            .map(|k| format!("{}/{}", k.kind, k.name))
            .collect();
        touched.sort();
        assert_eq!(
            touched,
            [
                "FlinkDeployment/orders",
                "FlinkSessionJob/job",
                "HorizontalPodAutoscaler/on-jm",
                "VerticalPodAutoscaler/on-fd",
                "VerticalPodAutoscaler/on-tm",
            ]
        );
    }
}
