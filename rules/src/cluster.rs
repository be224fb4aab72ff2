//! What the rules may know about other objects in the cluster. The webhook fills it
//! from reflector caches, `kubectl flink check` from the files it was given; without
//! it (offline) the rules that need it are skipped.

use serde_json::Value;

/// Read access to the objects that cluster-aware rules look at. Objects are the JSON
/// form the API server returns.
pub trait ClusterState {
    /// The FlinkDeployment `name` in `namespace`, if known.
    fn flink_deployment(&self, namespace: &str, name: &str) -> Option<Value>;
    /// Every VerticalPodAutoscaler in `namespace`.
    fn vpas(&self, namespace: &str) -> Vec<Value>;
    /// Every HorizontalPodAutoscaler in `namespace`.
    fn hpas(&self, namespace: &str) -> Vec<Value>;
}

/// A cluster view made of a fixed set of objects (the files given to
/// `kubectl flink check`, or a test's objects).
#[derive(Debug, Clone, Default)]
pub struct ObjectSet {
    objects: Vec<Value>,
    default_namespace: String,
}

impl ObjectSet {
    /// Objects without `metadata.namespace` are taken to be in `default_namespace`,
    /// as kubectl would create them.
    pub fn new(objects: Vec<Value>, default_namespace: impl Into<String>) -> Self {
        ObjectSet {
            objects,
            default_namespace: default_namespace.into(),
        }
    }

    fn of_kind<'a>(
        &'a self,
        group: &'a str,
        kind: &'a str,
        namespace: &'a str,
    ) -> impl Iterator<Item = &'a Value> + 'a {
        self.objects.iter().filter(move |o| {
            crate::object::api_group(o) == group
                && o.get("kind").and_then(Value::as_str) == Some(kind)
                && crate::object::namespace_or(o, &self.default_namespace) == namespace
        })
    }
}

impl ClusterState for ObjectSet {
    fn flink_deployment(&self, namespace: &str, name: &str) -> Option<Value> {
        self.of_kind("flink.apache.org", "FlinkDeployment", namespace)
            .find(|o| crate::object::name(o) == name)
            .cloned()
    }

    fn vpas(&self, namespace: &str) -> Vec<Value> {
        self.of_kind("autoscaling.k8s.io", "VerticalPodAutoscaler", namespace)
            .cloned()
            .collect()
    }

    fn hpas(&self, namespace: &str) -> Vec<Value> {
        self.of_kind("autoscaling", "HorizontalPodAutoscaler", namespace)
            .cloned()
            .collect()
    }
}
