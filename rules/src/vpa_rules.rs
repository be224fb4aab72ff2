//! Rules for VerticalPodAutoscalers aimed at Flink (DESIGN.md, "Rules for
//! VerticalPodAutoscaler and HorizontalPodAutoscaler"): the VPA may size TaskManager
//! memory; parallelism, TaskManager count and (with memory tuning) memory belong to
//! the Flink autoscaler.

use crate::catalogue::RuleId;
use crate::finding::{Finding, Severity};
use crate::input::ReviewInput;
use crate::mode::AutoscalerState;
use crate::object::Pointer;
use crate::ownership::{self, FlinkTarget, Reach};
use crate::pairing;
use crate::quantity::Quantity;
use serde_json::Value;

/// Path of the main container's policy (or of `resourcePolicy` when there is none).
fn policy_path(vpa: &Value) -> String {
    match ownership::main_container_policy(vpa) {
        Some((i, _)) => format!("spec.resourcePolicy.containerPolicies[{i}]"),
        None => "spec.resourcePolicy".into(),
    }
}

pub fn check(input: &ReviewInput<'_>) -> Vec<Finding> {
    let vpa = input.object;
    let mut out = Vec::new();
    let target = ownership::vpa_target(vpa);
    let Some(ft) = ownership::flink_target(target, input.namespace, input.cluster) else {
        return out;
    };
    if ft.reach == Reach::JobManagerDeployment {
        out.push(Finding::new(
            RuleId::VpaJobmanagerTarget,
            Severity::Warn,
            "spec.targetRef.name",
            Some(ft.fd_name.clone()),
            format!(
                "targets the JobManager of FlinkDeployment {}: each eviction restarts the job",
                ft.fd_name
            ),
            "size the JobManager in the FlinkDeployment's spec.jobManager.resource instead",
        ));
        return out;
    }
    crate::vpa_spec::check(vpa, &mut out);
    bounds_order(vpa, &mut out);
    evicting_mode(vpa, &mut out);
    if let Some(fd) = &ft.deployment {
        deployment_rules(vpa, &ft, fd, &mut out);
    }
    out
}

fn deployment_rules(vpa: &Value, ft: &FlinkTarget, fd: &Value, out: &mut Vec<Finding>) {
    let name = &ft.fd_name;
    if ft.reach == Reach::TaskManagerDeployment && !ownership::is_standalone(fd) {
        out.push(Finding::new(
            RuleId::VpaUnreachableTarget,
            Severity::Deny,
            "spec.targetRef",
            Some(format!("Deployment/{name}-taskmanager")),
            format!(
                "FlinkDeployment {name} runs in native mode: its TaskManagers are bare pods and \
                 there is no Deployment {name}-taskmanager"
            ),
            format!(
                "target the FlinkDeployment: targetRef {{apiVersion: flink.apache.org/v1beta1, \
                 kind: FlinkDeployment, name: {name}}}"
            ),
        ));
    }
    let state = AutoscalerState::of_deployment(fd);
    let controlled = ownership::vpa_controlled_resources(vpa);
    if pairing::vpa_fights_cpu(state, vpa, ft.reach) {
        out.push(Finding::new(
            RuleId::VpaControlsCpu,
            Severity::Deny,
            format!("{}.controlledResources", policy_path(vpa)),
            Some(format!("[{}]", controlled.join(", "))),
            format!(
                "controls TaskManager cpu while the Flink autoscaler of {name} owns parallelism and \
                 TaskManager count"
            ),
            "set controlledResources: [memory] for flink-main-container",
        ));
    }
    if pairing::vpa_fights_memory_tuning(state, vpa, ft.reach) {
        out.push(Finding::new(
            RuleId::VpaMemoryTuningConflict,
            Severity::Deny,
            format!("{}.controlledResources", policy_path(vpa)),
            Some(format!("[{}]", controlled.join(", "))),
            format!(
                "controls TaskManager memory while FlinkDeployment {name} has \
                 job.autoscaler.memory.tuning.enabled: true"
            ),
            "leave memory to the Flink autoscaler (mode: Off for flink-main-container), or turn \
             memory tuning off",
        ));
    }
    if let (Some(tm), Some((i, policy))) = (
        ownership::taskmanager_memory(fd),
        ownership::main_container_policy(vpa),
    ) && let Some(min) = policy.at("/minAllowed/memory")
        && let Some(min_q) = quantity_of(min)
        && min_q < Quantity::from_units(i64::try_from(tm).unwrap_or(i64::MAX))
    {
        let tm_q = Quantity::from_units(i64::try_from(tm).unwrap_or(i64::MAX));
        out.push(Finding::new(
            RuleId::VpaBelowFlinkMemory,
            Severity::Warn,
            format!("spec.resourcePolicy.containerPolicies[{i}].minAllowed[memory]"),
            Some(shown(min)),
            format!(
                "below the TaskManager process memory of {name} ({tm_q}): the VPA may shrink pods \
                 under what Flink allocates (OOMKilled)"
            ),
            format!("raise minAllowed.memory to at least {tm_q}"),
        ));
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn quantity_of(v: &Value) -> Option<Quantity> {
    Quantity::parse(&shown(v)).ok()
}

fn bounds_order(vpa: &Value, out: &mut Vec<Finding>) {
    let Some(policies) = vpa
        .at("/spec/resourcePolicy/containerPolicies")
        .and_then(Value::as_array)
    else {
        return;
    };
    for (i, policy) in policies.iter().enumerate() {
        let mut parsed = |field: &str| -> Vec<(String, Quantity)> {
            let Some(map) = policy.get(field).and_then(Value::as_object) else {
                return Vec::new();
            };
            map.iter()
                .filter_map(|(res, v)| match Quantity::parse(&shown(v)) {
                    Ok(q) => Some((res.clone(), q)),
                    Err(e) => {
                        out.push(Finding::new(
                            RuleId::VpaBoundsOrder,
                            Severity::Deny,
                            format!("spec.resourcePolicy.containerPolicies[{i}].{field}[{res}]"),
                            Some(shown(v)),
                            e.to_string(),
                            "",
                        ));
                        None
                    }
                })
                .collect()
        };
        let mins = parsed("minAllowed");
        let maxs = parsed("maxAllowed");
        for (res, min) in &mins {
            if let Some((_, max)) = maxs.iter().find(|(r, _)| r == res)
                && max < min
            {
                let raw = policy
                    .at(&format!("/maxAllowed/{res}"))
                    .map(shown)
                    .unwrap_or_default();
                let min_raw = policy
                    .at(&format!("/minAllowed/{res}"))
                    .map(shown)
                    .unwrap_or_default();
                out.push(Finding::new(
                    RuleId::VpaBoundsOrder,
                    Severity::Deny,
                    format!("spec.resourcePolicy.containerPolicies[{i}].maxAllowed[{res}]"),
                    Some(raw),
                    format!("max resource for {res} is lower than min of {min_raw:?}"),
                    format!("make maxAllowed.{res} >= minAllowed.{res}"),
                ));
            }
        }
    }
}

/// VPA's handler sets `updatePolicy: {updateMode: Recreate}` only when
/// `updatePolicy` is absent; an `updatePolicy` without `updateMode` is refused
/// (`vpa.spec`), not defaulted, so it gets no warning here.
fn evicting_mode(vpa: &Value, out: &mut Vec<Finding>) {
    let policy = vpa.at("/spec/updatePolicy").filter(|p| !p.is_null());
    if policy.is_some_and(|p| p.get("updateMode").is_none_or(Value::is_null)) {
        return;
    }
    let mode = ownership::vpa_update_mode(vpa);
    if matches!(mode, "Auto" | "Recreate") {
        let explicit = policy.is_some();
        out.push(Finding::new(
            RuleId::VpaEvictingMode,
            Severity::Warn,
            "spec.updatePolicy.updateMode",
            Some(if explicit { mode.to_string() } else { format!("{mode} (default)") }),
            "evicts TaskManagers to resize them: each eviction restarts the Flink job from its last checkpoint",
            "use Initial (new pods only) or InPlaceOrRecreate",
        ));
    }
}

#[cfg(test)]
pub(crate) mod tests;
