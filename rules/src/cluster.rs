//! What the rules may know about other objects in the cluster. The webhook fills it
//! from reflector caches, `kubectl flink check` from the files it was given; without
//! it (offline) the rules that need it are skipped.
//!
//! The questions are narrow on purpose: a review asks for the one FlinkDeployment it
//! is about and for the VPAs / HPAs that target one object, never for "every VPA in
//! the namespace". A cluster view can then answer from an index in time that does
//! not grow with the cluster, and hand out shared objects instead of copies.

use serde_json::Value;
use std::sync::Arc;

/// An object of the cluster view, shared with the view (cheap to clone, never copied
/// per review).
pub type SharedObject = Arc<Value>;

/// Read access to the objects that cluster-aware rules look at. Objects are the JSON
/// form the API server returns (a view may leave out fields no rule reads, such as
/// `metadata.managedFields` or an HPA's `status`).
pub trait ClusterState {
    /// The FlinkDeployment `name` in `namespace`, if known.
    fn flink_deployment(&self, namespace: &str, name: &str) -> Option<SharedObject>;
    /// The VerticalPodAutoscalers in `namespace` whose `spec.targetRef` names an
    /// object of `kind` called `name` (whatever its apiVersion: the rules check the
    /// group), in name order.
    fn vpas_targeting(&self, namespace: &str, kind: &str, name: &str) -> Vec<SharedObject>;
    /// The HorizontalPodAutoscalers in `namespace` whose `spec.scaleTargetRef` names
    /// an object of `kind` called `name`, in name order.
    fn hpas_targeting(&self, namespace: &str, kind: &str, name: &str) -> Vec<SharedObject>;
}

/// A cluster view made of a fixed set of objects (the files given to
/// `kubectl flink check`, or a test's objects). It scans: the sets are small.
#[derive(Debug, Clone, Default)]
pub struct ObjectSet {
    objects: Vec<SharedObject>,
    default_namespace: String,
}

impl ObjectSet {
    /// Objects without `metadata.namespace` are taken to be in `default_namespace`,
    /// as kubectl would create them.
    pub fn new(objects: Vec<Value>, default_namespace: impl Into<String>) -> Self {
        ObjectSet {
            objects: objects.into_iter().map(Arc::new).collect(),
            default_namespace: default_namespace.into(),
        }
    }

    fn of_kind<'a>(
        &'a self,
        group: &'a str,
        kind: &'a str,
        namespace: &'a str,
    ) -> impl Iterator<Item = &'a SharedObject> + 'a {
        self.objects.iter().filter(move |o| {
            crate::object::api_group(o) == group
                && o.get("kind").and_then(Value::as_str) == Some(kind)
                && crate::object::namespace_or(o, &self.default_namespace) == namespace
        })
    }

    fn targeting(
        &self,
        group: &str,
        kind: &str,
        namespace: &str,
        target: fn(&Value) -> Option<&Value>,
        (target_kind, target_name): (&str, &str),
    ) -> Vec<SharedObject> {
        let mut found: Vec<SharedObject> = self
            .of_kind(group, kind, namespace)
            .filter(|o| target_is(target(o), target_kind, target_name))
            .cloned()
            .collect();
        found.sort_by(|a, b| crate::object::name(a).cmp(crate::object::name(b)));
        found
    }
}

/// Whether a `targetRef` / `scaleTargetRef` names `kind`/`name`.
pub fn target_is(target: Option<&Value>, kind: &str, name: &str) -> bool {
    target.is_some_and(|t| {
        t.get("kind").and_then(Value::as_str) == Some(kind)
            && t.get("name").and_then(Value::as_str) == Some(name)
    })
}

impl ClusterState for ObjectSet {
    fn flink_deployment(&self, namespace: &str, name: &str) -> Option<SharedObject> {
        self.of_kind("flink.apache.org", "FlinkDeployment", namespace)
            .find(|o| crate::object::name(o) == name)
            .cloned()
    }

    fn vpas_targeting(&self, namespace: &str, kind: &str, name: &str) -> Vec<SharedObject> {
        self.targeting(
            "autoscaling.k8s.io",
            "VerticalPodAutoscaler",
            namespace,
            crate::object::vpa_target,
            (kind, name),
        )
    }

    fn hpas_targeting(&self, namespace: &str, kind: &str, name: &str) -> Vec<SharedObject> {
        self.targeting(
            "autoscaling",
            "HorizontalPodAutoscaler",
            namespace,
            crate::object::hpa_target,
            (kind, name),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vpa(name: &str, ns: Option<&str>, kind: &str, target: &str) -> Value {
        let mut v = json!({"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
            "metadata": {"name": name},
            "spec": {"targetRef": {"apiVersion": "apps/v1", "kind": kind, "name": target}}});
        if let Some(ns) = ns {
            v["metadata"]["namespace"] = json!(ns);
        }
        v
    }

    #[test]
    fn object_sets_answer_by_target_namespace_and_kind() {
        let set = ObjectSet::new(
            vec![
                vpa("b", None, "Deployment", "x-taskmanager"),
                vpa("a", Some("other"), "Deployment", "x-taskmanager"),
                vpa("a", Some("flink"), "Deployment", "x-taskmanager"),
                vpa("c", Some("flink"), "StatefulSet", "x-taskmanager"),
            ],
            "flink",
        );
        let names = |found: Vec<SharedObject>| {
            found
                .iter()
                .map(|o| crate::object::name(o).to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(set.vpas_targeting("flink", "Deployment", "x-taskmanager")),
            ["a", "b"]
        );
        assert_eq!(
            names(set.vpas_targeting("other", "Deployment", "x-taskmanager")),
            ["a"]
        );
        assert!(set.vpas_targeting("flink", "Deployment", "x").is_empty());
        assert!(
            set.hpas_targeting("flink", "Deployment", "x-taskmanager")
                .is_empty()
        );
    }
}
