//! The VPA mutation: what is added, what is kept, and that it is idempotent.

use crate::cluster::ObjectSet;
use crate::input::{ReviewInput, RuleSettings};
use crate::mutation::{Mutation, mutate};
use crate::vpa_rules::tests::{autoscaled, vpa};
use proptest::prelude::*;
use serde_json::{Value, json};

fn mutation(object: &Value, cluster: Option<&ObjectSet>) -> Mutation {
    let input = ReviewInput {
        object,
        namespace: "flink",
        cluster: cluster.map(|c| c as &dyn crate::ClusterState),
    };
    mutate(&input, &RuleSettings::default())
}

fn applied(object: &Value, m: &Mutation) -> Value {
    let mut out = object.clone();
    json_patch::patch(&mut out, &m.patch).expect("patch applies");
    out
}

fn policies(v: &Value) -> Value {
    v.pointer("/spec/resourcePolicy/containerPolicies")
        .cloned()
        .unwrap_or(Value::Null)
}

#[test]
fn a_vpa_without_resource_policy_becomes_memory_only_with_bounds() {
    let v = vpa("FlinkDeployment", "orders", json!({}));
    let m = mutation(&v, None);
    assert_eq!(
        m.patch.0.len(),
        1,
        "one add of the missing parent: {:?}",
        m.patch
    );
    let out = applied(&v, &m);
    assert_eq!(
        policies(&out),
        json!([{"containerName": "flink-main-container", "controlledResources": ["memory"],
                "minAllowed": {"memory": "256Mi"}, "maxAllowed": {"memory": "2Gi"}}])
    );
    assert!(mutation(&out, None).is_empty(), "second pass adds nothing");
}

#[test]
fn the_minimum_is_raised_to_the_taskmanager_memory_when_known() {
    let v = vpa("FlinkDeployment", "orders", json!({}));
    let set = ObjectSet::new(vec![autoscaled("orders")], "flink");
    let out = applied(&v, &mutation(&v, Some(&set)));
    assert_eq!(
        out.pointer("/spec/resourcePolicy/containerPolicies/0/minAllowed/memory"),
        Some(&json!("2Gi"))
    );
    assert_eq!(
        out.pointer("/spec/resourcePolicy/containerPolicies/0/maxAllowed/memory"),
        Some(&json!("4Gi")),
        "a maximum equal to the raised minimum would pin the memory: it gets room to double"
    );
}

#[test]
fn a_star_policy_covers_the_main_container_and_gets_the_missing_fields() {
    let v = vpa(
        "FlinkDeployment",
        "orders",
        json!({"resourcePolicy": {"containerPolicies": [
        {"containerName": "*", "maxAllowed": {"memory": "8Gi", "cpu": "4"}}]}}),
    );
    let m = mutation(&v, None);
    let out = applied(&v, &m);
    assert_eq!(
        policies(&out),
        json!([{"containerName": "*", "controlledResources": ["memory"],
                "minAllowed": {"memory": "256Mi"}, "maxAllowed": {"memory": "8Gi", "cpu": "4"}}])
    );
    assert_eq!(m.patch.0.len(), 2);
    assert!(mutation(&out, None).is_empty());
}

#[test]
fn user_bounds_and_resources_are_never_overwritten() {
    let v = vpa(
        "FlinkDeployment",
        "orders",
        json!({"resourcePolicy": {"containerPolicies": [
        {"containerName": "flink-main-container", "controlledResources": ["cpu", "memory"],
         "minAllowed": {"memory": "3Gi"}, "maxAllowed": {"memory": "6Gi"}}]}}),
    );
    assert!(mutation(&v, None).is_empty());
    // Only a max: the default min is added, below it.
    let v = vpa(
        "FlinkDeployment",
        "orders",
        json!({"resourcePolicy": {"containerPolicies": [
        {"containerName": "flink-main-container", "maxAllowed": {"memory": "128Mi"}}]}}),
    );
    let out = applied(&v, &mutation(&v, None));
    assert_eq!(
        out.pointer("/spec/resourcePolicy/containerPolicies/0/maxAllowed/memory"),
        Some(&json!("128Mi"))
    );
    assert_eq!(
        out.pointer("/spec/resourcePolicy/containerPolicies/0/minAllowed/memory"),
        Some(&json!("128Mi"))
    );
}

#[test]
fn other_containers_keep_their_policies() {
    let v = vpa(
        "FlinkDeployment",
        "orders",
        json!({"resourcePolicy": {"containerPolicies": [
        {"containerName": "log-shipper", "mode": "Off"}]}}),
    );
    let out = applied(&v, &mutation(&v, None));
    let p = policies(&out);
    assert_eq!(p[0], json!({"containerName": "log-shipper", "mode": "Off"}));
    assert_eq!(p[1]["containerName"], json!("flink-main-container"));
}

#[test]
fn vpas_not_aimed_at_taskmanagers_and_other_kinds_are_untouched() {
    let nginx = vpa("Deployment", "nginx", json!({}));
    assert!(mutation(&nginx, None).is_empty());
    let jm = vpa("Deployment", "orders", json!({}));
    let set = ObjectSet::new(vec![autoscaled("orders")], "flink");
    assert!(mutation(&jm, Some(&set)).is_empty());
    assert!(mutation(&autoscaled("orders"), Some(&set)).is_empty());
}

/// A VPA aimed at a FlinkDeployment, with any mix of the fields the mutation reads.
fn arb_vpa() -> impl Strategy<Value = Value> {
    let quantity =
        prop::sample::select(vec!["128Mi", "256Mi", "1Gi", "2Gi", "3G", "4096Mi", "1e9"]);
    let bounds = prop::option::of((
        prop::option::of(quantity.clone()),
        prop::option::of(Just("2")),
    ));
    let resources = prop::option::of(prop::sample::subsequence(vec!["cpu", "memory"], 0..=2));
    let name = prop::sample::select(vec!["flink-main-container", "*", "sidecar"]);
    let policy = (name, resources, bounds.clone(), bounds).prop_map(|(name, res, min, max)| {
        let mut p = json!({"containerName": name});
        if let Some(r) = res {
            p["controlledResources"] = json!(r);
        }
        for (field, b) in [("minAllowed", min), ("maxAllowed", max)] {
            if let Some((mem, cpu)) = b {
                let mut m = json!({});
                if let Some(mem) = mem {
                    m["memory"] = json!(mem);
                }
                if let Some(cpu) = cpu {
                    m["cpu"] = json!(cpu);
                }
                p[field] = m;
            }
        }
        p
    });
    let shape = prop_oneof![
        Just(None),
        Just(Some(None)),
        prop::collection::vec(policy, 0..3).prop_map(|p| Some(Some(p))),
    ];
    shape.prop_map(|shape| {
        let extra = match shape {
            None => json!({}),
            Some(None) => json!({"resourcePolicy": {}}),
            Some(Some(p)) => json!({"resourcePolicy": {"containerPolicies": p}}),
        };
        vpa("FlinkDeployment", "orders", extra)
    })
}

/// Every leaf of `a` (path, value) is also in `b`, except array elements, which are
/// compared as whole objects (additions append).
fn user_fields_kept(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => x
            .iter()
            .all(|(k, v)| y.get(k).is_some_and(|w| user_fields_kept(v, w))),
        (Value::Array(x), Value::Array(y)) => {
            x.len() <= y.len() && x.iter().zip(y).all(|(v, w)| user_fields_kept(v, w))
        }
        _ => a == b,
    }
}

proptest! {
    #[test]
    fn mutation_applies_is_idempotent_and_keeps_user_fields(v in arb_vpa()) {
        let m = mutation(&v, None);
        let mut out = v.clone();
        prop_assert!(json_patch::patch(&mut out, &m.patch).is_ok(), "patch applies: {:?}", m.patch);
        prop_assert!(user_fields_kept(&v, &out), "user field lost: {v} -> {out}");
        prop_assert!(mutation(&out, None).is_empty(), "second pass not empty for {out}");
        // The main container's policy is bounded afterwards.
        let (_, p) = crate::ownership::main_container_policy(&out).expect("a covering policy");
        prop_assert!(p.pointer("/minAllowed/memory").is_some());
        prop_assert!(p.pointer("/maxAllowed/memory").is_some());
        prop_assert!(p.get("controlledResources").is_some());
        // Minimal: one operation per missing field, at most three.
        prop_assert!(m.patch.0.len() <= 3);
    }
}

#[test]
fn a_vpa_the_vpa_refuses_is_not_patched() {
    // The user's policy lacks containerName (VPA: "Required value"); a patch adding
    // flink-main-container's policy would not fix it and must not hide it: the object
    // stays as written and vpa.spec denies it.
    let v = vpa(
        "FlinkDeployment",
        "orders",
        json!({"resourcePolicy": {"containerPolicies": [{"mode": "Auto"}]}}),
    );
    assert!(mutation(&v, None).is_empty());
    let mut lower = vpa("FlinkDeployment", "orders", json!({}));
    lower["spec"]["updatePolicy"]["updateMode"] = json!("initial");
    assert!(mutation(&lower, None).is_empty());
    let mut fine = lower.clone();
    fine["spec"]["updatePolicy"]["updateMode"] = json!("Initial");
    assert!(!mutation(&fine, None).is_empty());
}

proptest! {
    /// Whatever the user's memory bounds, the patch never turns a VPA that the VPA
    /// accepts into one it refuses (validateVPASpec on the patched object).
    #[test]
    fn the_patch_never_makes_a_valid_vpa_invalid(min in 1u64..64, max in 1u64..64, unit in prop::sample::select(vec!["Mi", "Gi", "M"])) {
        let v = vpa("FlinkDeployment", "orders", json!({"resourcePolicy": {"containerPolicies": [
            {"containerName": "flink-main-container", "minAllowed": {"memory": format!("{min}{unit}")}},
            {"containerName": "other", "maxAllowed": {"memory": format!("{max}{unit}")}}]}}));
        prop_assume!(!crate::vpa_spec::is_invalid(&v));
        let out = applied(&v, &mutation(&v, Some(&ObjectSet::new(vec![autoscaled("orders")], "flink"))));
        prop_assert!(!crate::vpa_spec::is_invalid(&out), "{out}");
    }
}
