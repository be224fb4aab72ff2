//! Who scales what: which VPA or HPA reaches a FlinkDeployment's TaskManagers, and
//! what a VPA controls. Shared by the FlinkDeployment rules (looking at VPAs and HPAs)
//! and the VPA/HPA rules (looking at FlinkDeployments).

use crate::object::Pointer;
use serde_json::Value;

/// The container the operator runs Flink in.
pub const MAIN_CONTAINER: &str = "flink-main-container";

/// What an autoscaler's target reference points at, relative to a FlinkDeployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The FlinkDeployment itself (its `scale` subresource).
    FlinkDeployment,
    /// The `<name>-taskmanager` Deployment (standalone mode).
    TaskManagerDeployment,
    /// The `<name>` JobManager Deployment.
    JobManagerDeployment,
}

/// What `targetRef` / `scaleTargetRef` (`{apiVersion, kind, name}`) points at, if it
/// is the FlinkDeployment `fd_name` or one of its Deployments.
pub fn reach(target: Option<&Value>, fd_name: &str) -> Option<Reach> {
    let target = target?;
    let kind = target.get("kind").and_then(Value::as_str)?;
    let name = target.get("name").and_then(Value::as_str)?;
    let group = target
        .get("apiVersion")
        .and_then(Value::as_str)
        .and_then(|v| v.split_once('/').map(|(g, _)| g))
        .unwrap_or("");
    match (group, kind) {
        ("flink.apache.org", "FlinkDeployment") if name == fd_name => Some(Reach::FlinkDeployment),
        ("apps" | "", "Deployment") if name == format!("{fd_name}-taskmanager") => {
            Some(Reach::TaskManagerDeployment)
        }
        ("apps" | "", "Deployment") if name == fd_name => Some(Reach::JobManagerDeployment),
        _ => None,
    }
}

/// Where an autoscaler points; in [`crate::object`] so that the cluster view, which
/// ownership reads, does not import ownership.
pub use crate::object::{hpa_target, vpa_target};

/// `spec.updatePolicy.updateMode`, defaulting as the VPA does (`Recreate`; older
/// releases say `Auto`).
pub fn vpa_update_mode(vpa: &Value) -> &str {
    vpa.at("/spec/updatePolicy/updateMode")
        .and_then(Value::as_str)
        .unwrap_or("Recreate")
}

/// The container policy that applies to the Flink main container: its own, else the
/// `*` default policy; with its index in `containerPolicies`.
pub fn main_container_policy(vpa: &Value) -> Option<(usize, &Value)> {
    let policies = vpa
        .at("/spec/resourcePolicy/containerPolicies")
        .and_then(Value::as_array)?;
    let named = |n: &str| {
        policies
            .iter()
            .enumerate()
            .find(|(_, p)| p.get("containerName").and_then(Value::as_str) == Some(n))
    };
    named(MAIN_CONTAINER).or_else(|| named("*"))
}

/// The resources the VPA controls on the Flink main container (empty when it is
/// switched off for it).
pub fn vpa_controlled_resources(vpa: &Value) -> Vec<String> {
    let policy = main_container_policy(vpa).map(|(_, p)| p);
    if policy.and_then(|p| p.get("mode")).and_then(Value::as_str) == Some("Off") {
        return Vec::new();
    }
    match policy
        .and_then(|p| p.get("controlledResources"))
        .and_then(Value::as_array)
    {
        Some(list) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        None => vec!["cpu".into(), "memory".into()],
    }
}

/// Whether the VPA changes the Flink main container's memory (it is not in `Off`
/// mode and memory is among its controlled resources).
pub fn vpa_controls_memory(vpa: &Value) -> bool {
    vpa_update_mode(vpa) != "Off" && vpa_controlled_resources(vpa).iter().any(|r| r == "memory")
}

/// The TaskManager's process memory in bytes, as the operator reads it: Flink's
/// memory syntax first (`2048m` = 2 GiB), then a Kubernetes quantity
/// (`ResourceConfigUtils.parseResourceMemoryString`); from `spec.taskManager.resource`,
/// else `spec.taskManager.resources.requests`, else `.limits`.
pub fn taskmanager_memory(fd: &Value) -> Option<u64> {
    [
        "/spec/taskManager/resource/memory",
        "/spec/taskManager/resources/requests/memory",
        "/spec/taskManager/resources/limits/memory",
    ]
    .iter()
    .find_map(|p| fd.at(p))
    .and_then(memory_bytes)
}

fn memory_bytes(v: &Value) -> Option<u64> {
    let raw = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    crate::values::parse_memory_size(&raw).ok().or_else(|| {
        let units = crate::quantity::Quantity::parse(&raw).ok()?.units_ceil();
        u64::try_from(units).ok()
    })
}

/// `spec.mode`: `native` unless it says `standalone`.
pub fn is_standalone(fd: &Value) -> bool {
    fd.at("/spec/mode").and_then(Value::as_str) == Some("standalone")
}

/// A VPA's or HPA's target, when it is known to be a Flink deployment's.
#[derive(Debug, Clone)]
pub struct FlinkTarget {
    pub fd_name: String,
    pub reach: Reach,
    /// The FlinkDeployment, when the cluster view has it.
    pub deployment: Option<crate::cluster::SharedObject>,
}

/// Resolves a target reference to a Flink deployment. A FlinkDeployment target is
/// Flink's by its kind; a Deployment only when the cluster view knows the
/// FlinkDeployment it belongs to (`<name>-taskmanager` or the JobManager `<name>`).
pub fn flink_target(
    target: Option<&Value>,
    namespace: &str,
    cluster: Option<&dyn crate::ClusterState>,
) -> Option<FlinkTarget> {
    let t = target?;
    let name = t.get("name").and_then(Value::as_str)?;
    let kind = t.get("kind").and_then(Value::as_str)?;
    let lookup = |fd: &str| cluster.and_then(|c| c.flink_deployment(namespace, fd));
    if kind == "FlinkDeployment" {
        let reach = reach(target, name)?;
        return Some(FlinkTarget {
            fd_name: name.to_string(),
            reach,
            deployment: lookup(name),
        });
    }
    if kind != "Deployment" {
        return None;
    }
    let candidates = [name.strip_suffix("-taskmanager"), Some(name)];
    candidates.into_iter().flatten().find_map(|fd_name| {
        let fd = lookup(fd_name)?;
        let reach = reach(target, fd_name)?;
        Some(FlinkTarget {
            fd_name: fd_name.to_string(),
            reach,
            deployment: Some(fd),
        })
    })
}

/// The autoscalers that may reach the TaskManagers of the FlinkDeployment `fd_name`:
/// those targeting the FlinkDeployment itself and those targeting its
/// `<name>-taskmanager` Deployment, from `targeting(kind, name)` (a
/// [`ClusterState`](crate::ClusterState) lookup). Callers still check the target's
/// group with [`reach`].
pub fn targeting_taskmanagers(
    fd_name: &str,
    targeting: impl Fn(&str, &str) -> Vec<crate::cluster::SharedObject>,
) -> Vec<crate::cluster::SharedObject> {
    let mut found = targeting("FlinkDeployment", fd_name);
    found.extend(targeting("Deployment", &format!("{fd_name}-taskmanager")));
    found
}

/// `Kind/name` of an autoscaler's target, for messages.
pub fn target_label(target: Option<&Value>) -> String {
    let get = |k| {
        target
            .and_then(|t| t.get(k))
            .and_then(Value::as_str)
            .unwrap_or("?")
    };
    format!("{}/{}", get("kind"), get("name"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reach_knows_the_flink_deployment_and_its_deployments() {
        let fd = json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment", "name": "x"});
        assert_eq!(reach(Some(&fd), "x"), Some(Reach::FlinkDeployment));
        assert_eq!(reach(Some(&fd), "y"), None);
        let tm = json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "x-taskmanager"});
        assert_eq!(reach(Some(&tm), "x"), Some(Reach::TaskManagerDeployment));
        let jm = json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "x"});
        assert_eq!(reach(Some(&jm), "x"), Some(Reach::JobManagerDeployment));
        let other = json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "x"});
        assert_eq!(reach(Some(&other), "x"), None);
        assert_eq!(reach(None, "x"), None);
    }

    #[test]
    fn controlled_resources_follow_the_vpa_defaults() {
        let bare = json!({"spec": {}});
        assert_eq!(vpa_controlled_resources(&bare), ["cpu", "memory"]);
        assert!(vpa_controls_memory(&bare));
        let star = json!({"spec": {"resourcePolicy": {"containerPolicies": [
            {"containerName": "*", "controlledResources": ["cpu"]}]}}});
        assert!(!vpa_controls_memory(&star));
        let own = json!({"spec": {"resourcePolicy": {"containerPolicies": [
            {"containerName": "*", "controlledResources": ["cpu"]},
            {"containerName": "flink-main-container", "controlledResources": ["memory"]}]}}});
        assert!(vpa_controls_memory(&own));
        let off = json!({"spec": {"updatePolicy": {"updateMode": "Off"}}});
        assert!(!vpa_controls_memory(&off));
        let container_off = json!({"spec": {"resourcePolicy": {"containerPolicies": [
            {"containerName": "flink-main-container", "mode": "Off"}]}}});
        assert!(!vpa_controls_memory(&container_off));
    }
}
