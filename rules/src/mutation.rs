//! The VPA mutation (`vpa.default-bounds`, `vpa.memory-only`): a VPA aimed at Flink
//! TaskManagers gets memory bounds and is limited to memory, only where the user left
//! the field out. Patches are RFC 6902, minimal (one `add` per missing field, the
//! smallest enclosing object when a parent is missing) and idempotent.

use crate::catalogue::RuleId;
use crate::input::{ReviewInput, RuleSettings};
use crate::object::Pointer;
use crate::ownership::{self, MAIN_CONTAINER, Reach};
use crate::quantity::Quantity;
use json_patch::jsonptr::PointerBuf;
use json_patch::{AddOperation, Patch, PatchOperation};
use serde_json::{Map, Value, json};

/// A mutation: the patch and, per operation, why it was made.
#[derive(Debug, Clone, Default)]
pub struct Mutation {
    pub patch: Patch,
    /// One line per operation: `<rule>: <what was added>`.
    pub changes: Vec<String>,
}

impl Mutation {
    pub fn is_empty(&self) -> bool {
        self.patch.0.is_empty()
    }

    fn add(&mut self, rule: RuleId, tokens: &[&str], value: Value, why: String) {
        self.patch.0.push(PatchOperation::Add(AddOperation {
            path: PointerBuf::from_tokens(tokens.iter().copied()),
            value,
        }));
        self.changes.push(format!("{rule}: {why}"));
    }
}

/// The memory bounds to default to: the configured ones, with the minimum raised to
/// the TaskManager's process memory when the FlinkDeployment is known, and never a
/// pair that contradicts a bound the user did set.
fn default_bounds(
    settings: &RuleSettings,
    taskmanager_memory: Option<u64>,
    user_min: Option<Quantity>,
    user_max: Option<Quantity>,
) -> (Quantity, Quantity) {
    let mut min = settings.vpa_min_memory;
    if let Some(tm) = taskmanager_memory.and_then(|b| i64::try_from(b).ok()) {
        min = min.max(Quantity::from_units(tm));
    }
    // A raised minimum at or above the default maximum would pin the pod's memory
    // (min = max leaves the VPA nothing to do): leave it room to double.
    let mut max = settings.vpa_max_memory;
    if max <= min {
        max = min.times(2);
    }
    if let Some(user_max) = user_max {
        min = min.min(user_max);
    }
    if let Some(user_min) = user_min {
        max = max.max(user_min);
    }
    (min, max)
}

/// Computes the mutation of a VPA; other kinds, and VPAs not aimed at Flink
/// TaskManagers, get an empty one.
pub fn mutate(input: &ReviewInput<'_>, settings: &RuleSettings) -> Mutation {
    let mut m = Mutation::default();
    let vpa = input.object;
    if crate::object::Kind::of_object(vpa) != crate::object::Kind::VerticalPodAutoscaler {
        return m;
    }
    let target = ownership::vpa_target(vpa);
    let Some(ft) = ownership::flink_target(target, input.namespace, input.cluster) else {
        return m;
    };
    if !matches!(
        ft.reach,
        Reach::FlinkDeployment | Reach::TaskManagerDeployment
    ) {
        return m;
    }
    let Some(spec) = vpa.get("spec").and_then(Value::as_object) else {
        return m;
    };
    // A VPA the VPA admission controller refuses is left as written: the patch must
    // neither hide the error nor add one, and `vpa.spec` names it.
    if crate::vpa_spec::is_invalid(vpa) {
        return m;
    }
    let tm_memory = ft
        .deployment
        .as_deref()
        .and_then(ownership::taskmanager_memory);
    let policy = ownership::main_container_policy(vpa);
    let bound = |field: &str| {
        policy
            .and_then(|(_, p)| p.at(&format!("/{field}/memory")))
            .and_then(|v| Quantity::parse(v.as_str().unwrap_or(&v.to_string())).ok())
    };
    let (min, max) = default_bounds(
        settings,
        tm_memory,
        bound("minAllowed"),
        bound("maxAllowed"),
    );
    let (min_s, max_s) = (min.to_string(), max.to_string());

    let new_policy = || {
        json!({
            "containerName": MAIN_CONTAINER,
            "controlledResources": ["memory"],
            "minAllowed": {"memory": min_s},
            "maxAllowed": {"memory": max_s},
        })
    };
    let whole = format!("container policy for {MAIN_CONTAINER}: memory only, {min_s} to {max_s}");
    let resource_policy = spec.get("resourcePolicy");
    let policies = resource_policy.and_then(|r| r.get("containerPolicies"));
    let malformed = resource_policy.is_some_and(|r| !r.is_object() && !r.is_null())
        || policies.is_some_and(|p| !p.is_array() && !p.is_null());
    if malformed {
        // The VPA schema refuses these; leave the object to it.
        return m;
    }
    match (resource_policy, policies, policy) {
        (None | Some(Value::Null), _, _) => m.add(
            RuleId::VpaDefaultBounds,
            &["spec", "resourcePolicy"],
            json!({"containerPolicies": [new_policy()]}),
            whole,
        ),
        (Some(_), None | Some(Value::Null), _) => m.add(
            RuleId::VpaDefaultBounds,
            &["spec", "resourcePolicy", "containerPolicies"],
            json!([new_policy()]),
            whole,
        ),
        (Some(_), Some(_), None) => m.add(
            RuleId::VpaDefaultBounds,
            &["spec", "resourcePolicy", "containerPolicies", "-"],
            new_policy(),
            whole,
        ),
        (Some(_), Some(_), Some((i, p))) => {
            let idx = i.to_string();
            let base = ["spec", "resourcePolicy", "containerPolicies", idx.as_str()];
            let name = p
                .get("containerName")
                .and_then(Value::as_str)
                .unwrap_or(MAIN_CONTAINER);
            if p.get("controlledResources").is_none_or(Value::is_null) {
                m.add(
                    RuleId::VpaMemoryOnly,
                    &[&base[..], &["controlledResources"]].concat(),
                    json!(["memory"]),
                    format!("controlledResources [memory] for container {name:?}"),
                );
            }
            for (field, value) in [("minAllowed", &min_s), ("maxAllowed", &max_s)] {
                match p.get(field) {
                    None | Some(Value::Null) => m.add(
                        RuleId::VpaDefaultBounds,
                        &[&base[..], &[field]].concat(),
                        Value::Object(Map::from_iter([("memory".to_string(), json!(value))])),
                        format!("{field}.memory {value} for container {name:?}"),
                    ),
                    Some(bounds)
                        if bounds.is_object()
                            && bounds.get("memory").is_none_or(Value::is_null) =>
                    {
                        m.add(
                            RuleId::VpaDefaultBounds,
                            &[&base[..], &[field, "memory"]].concat(),
                            json!(value),
                            format!("{field}.memory {value} for container {name:?}"),
                        )
                    }
                    Some(_) => {}
                }
            }
        }
    }
    m
}

#[cfg(test)]
mod tests;
