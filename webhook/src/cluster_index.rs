//! The cached objects of one kind, indexed so that a review's cost does not grow with
//! the cluster: FlinkDeployments by namespace/name, VPAs and HPAs also by the object
//! their target reference names (namespace + kind + name). An admission asks for the
//! handful of objects it is about; only those are turned into trees for the rules.
//!
//! Objects are held as compact JSON text, not as trees: a `serde_json` map allocates
//! a B-tree node of some 600 bytes however few members it has, so a small VPA as a
//! tree costs 3 KiB and as text 300 bytes. Parsing the one or two objects a review
//! reads costs microseconds.
//!
//! Objects are cached in the form the rules read ([`cache_form`]): what no rule reads
//! (`managedFields`, annotations, `status`, pod templates) is dropped when an event
//! arrives, so memory per cached object stays small whatever the cluster's objects
//! carry (kube-runtime's reflector docs advise the same for `managedFields`).

use flink_autoscale_rules::SharedObject;
use flink_autoscale_rules::object::Pointer;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Which of an object's fields names the object it acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetField {
    /// Not indexed by target (FlinkDeployments).
    None,
    /// `spec.targetRef` (VerticalPodAutoscaler).
    TargetRef,
    /// `spec.scaleTargetRef` (HorizontalPodAutoscaler).
    ScaleTargetRef,
    /// `spec.deploymentName` (FlinkSessionJob): filed under the FlinkDeployment it
    /// runs on, so the audit finds a session cluster's jobs when the cluster changes.
    DeploymentName,
}

impl TargetField {
    fn of(self, object: &Value) -> Option<&Value> {
        match self {
            TargetField::None => None,
            TargetField::TargetRef => object.at("/spec/targetRef"),
            TargetField::ScaleTargetRef => object.at("/spec/scaleTargetRef"),
            TargetField::DeploymentName => None,
        }
    }

    /// The target key `object` (in `namespace`) is filed under, if any.
    fn key_of(self, namespace: &str, object: &Value) -> Option<String> {
        if self == TargetField::DeploymentName {
            let name = object.at("/spec/deploymentName").and_then(Value::as_str)?;
            return Some(target_key(namespace, "FlinkDeployment", name));
        }
        let t = self.of(object)?;
        let kind = t.get("kind").and_then(Value::as_str)?;
        let target_name = t.get("name").and_then(Value::as_str)?;
        Some(target_key(namespace, kind, target_name))
    }
}

/// Which version of which object is cached (see [`KindIndex::versions`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    #[serde(default)]
    pub namespace: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub resource_version: String,
}

#[derive(serde::Deserialize)]
struct Versioned {
    #[serde(default)]
    metadata: Version,
}

/// One cached object (compact JSON) and the target key it is filed under.
#[derive(Debug, Clone)]
struct Entry {
    object: Arc<str>,
    target: Option<String>,
}

/// The objects of one kind. Keys are `namespace/name` and `namespace/kind/name`:
/// none of the parts can contain a `/` (names and namespaces are DNS labels or
/// subdomains, kinds are identifiers).
#[derive(Debug)]
pub struct KindIndex {
    target_field: TargetField,
    objects: HashMap<String, Entry>,
    /// Target key → (object name → object), names in order for stable answers.
    by_target: HashMap<String, BTreeMap<String, Arc<str>>>,
}

/// The tree of a cached object (its text was written by `serde_json`).
fn tree(text: &str) -> Option<SharedObject> {
    serde_json::from_str(text).ok().map(Arc::new)
}

fn object_key(namespace: &str, name: &str) -> String {
    format!("{namespace}/{name}")
}

fn target_key(namespace: &str, kind: &str, name: &str) -> String {
    format!("{namespace}/{kind}/{name}")
}

fn str_at<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object.at(pointer).and_then(Value::as_str).unwrap_or("")
}

impl KindIndex {
    pub fn new(target_field: TargetField) -> Self {
        KindIndex {
            target_field,
            objects: HashMap::new(),
            by_target: HashMap::new(),
        }
    }

    /// An empty index of the same kind, to fill with a fresh list.
    pub fn empty_like(&self) -> Self {
        KindIndex::new(self.target_field)
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// The object `namespace/name`.
    pub fn get(&self, namespace: &str, name: &str) -> Option<SharedObject> {
        self.objects
            .get(&object_key(namespace, name))
            .and_then(|e| tree(&e.object))
    }

    /// The objects of `namespace` whose target names `kind`/`name`, in name order.
    pub fn targeting(&self, namespace: &str, kind: &str, name: &str) -> Vec<SharedObject> {
        self.by_target
            .get(&target_key(namespace, kind, name))
            .map(|m| m.values().filter_map(|o| tree(o)).collect())
            .unwrap_or_default()
    }

    /// Every object, in no particular order.
    pub fn all(&self) -> Vec<SharedObject> {
        self.objects
            .values()
            .filter_map(|e| tree(&e.object))
            .collect()
    }

    /// The namespace, name and resourceVersion of every object, in no particular
    /// order (the audit's first pass and relists), read from the cached text
    /// without building the objects: 10 000 trees at once cost 60 MiB more peak.
    pub fn versions(&self) -> Vec<Version> {
        self.objects
            .values()
            .filter_map(|e| serde_json::from_str::<Versioned>(&e.object).ok())
            .map(|v| v.metadata)
            .collect()
    }

    /// Adds or replaces an object (already in [`cache_form`]). An object whose target
    /// changed moves to its new target's entry.
    pub fn upsert(&mut self, object: Value) {
        let namespace = str_at(&object, "/metadata/namespace").to_string();
        let name = str_at(&object, "/metadata/name").to_string();
        if name.is_empty() {
            return;
        }
        let target = self.target_field.key_of(&namespace, &object);
        // Serializing a tree of strings and numbers cannot fail.
        let object: Arc<str> = serde_json::to_string(&object).unwrap_or_default().into();
        let key = object_key(&namespace, &name);
        if let Some(old) = self.objects.remove(&key) {
            self.unfile(old.target.as_deref(), &name);
        }
        if let Some(t) = &target {
            self.by_target
                .entry(t.clone())
                .or_default()
                .insert(name, object.clone());
        }
        self.objects.insert(key, Entry { object, target });
    }

    /// Removes `namespace/name`, if cached.
    pub fn remove(&mut self, namespace: &str, name: &str) {
        if let Some(old) = self.objects.remove(&object_key(namespace, name)) {
            self.unfile(old.target.as_deref(), name);
        }
    }

    /// Replaces everything with `objects` (a fresh list after a (re)connect: what
    /// is not in it was deleted meanwhile).
    pub fn replace_all(&mut self, objects: impl IntoIterator<Item = Value>) {
        self.objects.clear();
        self.by_target.clear();
        for o in objects {
            self.upsert(o);
        }
        self.objects.shrink_to_fit();
        self.by_target.shrink_to_fit();
    }

    fn unfile(&mut self, target: Option<&str>, name: &str) {
        let Some(t) = target else { return };
        if let Some(names) = self.by_target.get_mut(t) {
            names.remove(name);
            if names.is_empty() {
                self.by_target.remove(t);
            }
        }
    }
}

/// Metadata fields a rule or the index reads; everything else (managedFields,
/// annotations such as kubectl's last-applied-configuration, labels, owner
/// references) is dropped before caching.
const KEPT_METADATA: [&str; 5] = [
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "deletionTimestamp",
];

/// The `spec` fields a rule reads of another object: a FlinkDeployment's
/// configuration, version, mode, job and TaskManager resources; a VPA's target,
/// update policy and resource policy; an HPA's target; a FlinkSessionJob's deploymentName. Everything else (pod
/// templates, the JobManager, images, ingress, logging) is dropped.
const KEPT_SPEC: [&str; 10] = [
    "flinkConfiguration",
    "deploymentName",
    "flinkVersion",
    "mode",
    "job",
    "taskManager",
    "targetRef",
    "updatePolicy",
    "resourcePolicy",
    "scaleTargetRef",
];

/// Of `spec.taskManager`, only the resources are read (process memory).
const KEPT_TASKMANAGER: [&str; 2] = ["resource", "resources"];

/// The form an object is cached in: `apiVersion`, `kind`, the metadata of
/// [`KEPT_METADATA`] and the `spec` fields of [`KEPT_SPEC`]. `status` is dropped: no
/// rule reads another object's status.
pub fn cache_form(object: Value) -> Value {
    let Value::Object(mut map) = object else {
        return object;
    };
    let mut out = Map::new();
    for key in ["apiVersion", "kind"] {
        if let Some(v) = map.remove(key) {
            out.insert(key.into(), v);
        }
    }
    if let Some(Value::Object(mut meta)) = map.remove("metadata") {
        let kept: Map<String, Value> = KEPT_METADATA
            .iter()
            .filter_map(|k| meta.remove(*k).map(|v| ((*k).to_string(), v)))
            .collect();
        out.insert("metadata".into(), Value::Object(kept));
    }
    match map.remove("spec") {
        Some(Value::Object(mut spec)) => {
            let mut kept = keep(&mut spec, &KEPT_SPEC);
            if let Some(Value::Object(tm)) = kept.get_mut("taskManager") {
                *tm = keep(tm, &KEPT_TASKMANAGER);
            }
            out.insert("spec".into(), Value::Object(kept));
        }
        Some(other) => {
            out.insert("spec".into(), other);
        }
        None => {}
    }
    Value::Object(out)
}

/// The members of `map` named in `keys`, moved out.
fn keep(map: &mut Map<String, Value>, keys: &[&str]) -> Map<String, Value> {
    keys.iter()
        .filter_map(|k| map.remove(*k).map(|v| ((*k).to_string(), v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vpa(ns: &str, name: &str, kind: &str, target: &str) -> Value {
        json!({"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
               "metadata": {"namespace": ns, "name": name},
               "spec": {"targetRef": {"apiVersion": "apps/v1", "kind": kind, "name": target}}})
    }

    fn names(found: Vec<SharedObject>) -> Vec<String> {
        found
            .iter()
            .map(|o| str_at(o, "/metadata/name").to_string())
            .collect()
    }

    fn index_of(objects: &[Value]) -> KindIndex {
        let mut index = KindIndex::new(TargetField::TargetRef);
        for o in objects {
            index.upsert(o.clone());
        }
        index
    }

    #[test]
    fn objects_are_found_by_key_and_by_target_in_name_order() {
        let index = index_of(&[
            vpa("flink", "b", "Deployment", "orders-taskmanager"),
            vpa("flink", "a", "Deployment", "orders-taskmanager"),
            vpa("flink", "c", "FlinkDeployment", "orders"),
            vpa("other", "a", "Deployment", "orders-taskmanager"),
        ]);
        assert_eq!(index.len(), 4);
        assert_eq!(
            names(index.targeting("flink", "Deployment", "orders-taskmanager")),
            ["a", "b"]
        );
        assert_eq!(
            names(index.targeting("flink", "FlinkDeployment", "orders")),
            ["c"]
        );
        assert_eq!(
            names(index.targeting("other", "Deployment", "orders-taskmanager")),
            ["a"]
        );
        // Same name, another kind or namespace: not a match.
        assert!(index.targeting("flink", "StatefulSet", "orders").is_empty());
        assert!(
            index
                .targeting("nowhere", "FlinkDeployment", "orders")
                .is_empty()
        );
        assert!(index.get("flink", "c").is_some());
        assert!(index.get("other", "c").is_none());
    }

    #[test]
    fn a_retargeted_object_moves_and_a_moved_one_leaves_its_namespace() {
        let mut index = index_of(&[vpa("flink", "a", "Deployment", "orders-taskmanager")]);
        index.upsert(vpa("flink", "a", "FlinkDeployment", "orders"));
        assert!(
            index
                .targeting("flink", "Deployment", "orders-taskmanager")
                .is_empty()
        );
        assert_eq!(
            names(index.targeting("flink", "FlinkDeployment", "orders")),
            ["a"]
        );
        assert_eq!(index.len(), 1);
        // An update that drops the target reference unfiles it.
        let mut untargeted = vpa("flink", "a", "FlinkDeployment", "orders");
        untargeted["spec"] = json!({});
        index.upsert(untargeted);
        assert!(
            index
                .targeting("flink", "FlinkDeployment", "orders")
                .is_empty()
        );
        assert!(index.get("flink", "a").is_some());
        // "Moved" to another namespace: a delete there and a create here.
        index.remove("flink", "a");
        index.upsert(vpa("other", "a", "FlinkDeployment", "orders"));
        assert!(index.get("flink", "a").is_none());
        assert_eq!(
            names(index.targeting("other", "FlinkDeployment", "orders")),
            ["a"]
        );
    }

    #[test]
    fn deletes_and_an_emptied_namespace_leave_nothing_behind() {
        let mut index = index_of(&[
            vpa("flink", "a", "FlinkDeployment", "orders"),
            vpa("flink", "b", "FlinkDeployment", "orders"),
            vpa("flink", "c", "Deployment", "x-taskmanager"),
        ]);
        index.remove("flink", "a");
        assert_eq!(
            names(index.targeting("flink", "FlinkDeployment", "orders")),
            ["b"]
        );
        index.remove("flink", "b");
        index.remove("flink", "c");
        index.remove("flink", "never-there");
        assert!(index.is_empty());
        assert!(index.by_target.is_empty(), "{:?}", index.by_target);
    }

    #[test]
    fn a_relist_replaces_everything() {
        let mut index = index_of(&[
            vpa("flink", "gone", "FlinkDeployment", "orders"),
            vpa("flink", "kept", "FlinkDeployment", "orders"),
        ]);
        index.replace_all([
            vpa("flink", "kept", "FlinkDeployment", "orders"),
            vpa("flink", "new", "FlinkDeployment", "orders"),
        ]);
        assert_eq!(
            names(index.targeting("flink", "FlinkDeployment", "orders")),
            ["kept", "new"]
        );
        assert!(index.get("flink", "gone").is_none());
    }

    #[test]
    fn versions_name_every_object_with_its_resource_version() {
        let mut index = KindIndex::new(TargetField::None);
        for (ns, name, rv) in [("a", "x", "1"), ("b", "x", "7"), ("b", "y", "")] {
            let mut meta = json!({"namespace": ns, "name": name});
            if !rv.is_empty() {
                meta["resourceVersion"] = json!(rv);
            }
            index.upsert(json!({"metadata": meta, "spec": {}}));
        }
        let mut versions: Vec<(String, String, String)> = index
            .versions()
            .into_iter()
            .map(|v| (v.namespace, v.name, v.resource_version))
            .collect();
        versions.sort();
        let expected = [("a", "x", "1"), ("b", "x", "7"), ("b", "y", "")]
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()));
        assert_eq!(versions, expected);
    }

    #[test]
    fn flink_deployments_are_not_indexed_by_target() {
        let mut index = KindIndex::new(TargetField::None);
        index.upsert(json!({"metadata": {"namespace": "flink", "name": "orders"},
                            "spec": {"targetRef": {"kind": "X", "name": "y"}}}));
        assert!(index.get("flink", "orders").is_some());
        assert!(index.targeting("flink", "X", "y").is_empty());
    }

    #[test]
    fn the_cache_form_keeps_what_the_rules_read_only() {
        let fd = json!({
            "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
            "metadata": {"name": "orders", "namespace": "flink", "uid": "u", "resourceVersion": "7",
                         "managedFields": [{"manager": "kubectl"}],
                         "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{...}"},
                         "labels": {"app": "orders"}},
            "spec": {"mode": "standalone", "flinkVersion": "v1_20",
                     "flinkConfiguration": {"job.autoscaler.enabled": "true"},
                     "podTemplate": {"spec": {"containers": []}},
                     "taskManager": {"resource": {"memory": "2048m"}, "podTemplate": {"x": 1}},
                     "jobManager": {"podTemplate": {"x": 1}, "replicas": 1},
                     "image": "flink:1.20", "logConfiguration": {"log4j.properties": "..."},
                     "job": {"upgradeMode": "savepoint"}},
            "status": {"reconciliationStatus": {"lastReconciledSpec": "{...huge...}"}}
        });
        let cached = cache_form(fd);
        assert_eq!(
            cached,
            json!({
                "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
                "metadata": {"name": "orders", "namespace": "flink", "uid": "u", "resourceVersion": "7"},
                "spec": {"mode": "standalone", "flinkVersion": "v1_20",
                         "flinkConfiguration": {"job.autoscaler.enabled": "true"},
                         "taskManager": {"resource": {"memory": "2048m"}},
                         "job": {"upgradeMode": "savepoint"}}
            })
        );
        let vpa = json!({"kind": "VerticalPodAutoscaler", "metadata": {"name": "v"},
            "spec": {"targetRef": {"kind": "Deployment", "name": "x"},
                     "updatePolicy": {"updateMode": "Initial"},
                     "resourcePolicy": {"containerPolicies": []},
                     "recommenders": [{"name": "r"}]},
            "status": {"recommendation": {}}});
        assert_eq!(
            cache_form(vpa),
            json!({"kind": "VerticalPodAutoscaler", "metadata": {"name": "v"},
                "spec": {"targetRef": {"kind": "Deployment", "name": "x"},
                         "updatePolicy": {"updateMode": "Initial"},
                         "resourcePolicy": {"containerPolicies": []}}})
        );
        // Anything that is not an object is kept as it is.
        assert_eq!(cache_form(json!(3)), json!(3));
    }
}
