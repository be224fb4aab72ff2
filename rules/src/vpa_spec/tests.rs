//! Cases of the VPA's own `TestValidateVPA` (admission-controller/resource/vpa/
//! validation_test.go), each named after the Go case, with VPA's message.

use super::*;
use serde_json::json;

fn findings(spec: Value) -> Vec<Finding> {
    let vpa = json!({"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
        "metadata": {"name": "v"}, "spec": spec});
    let mut out = Vec::new();
    check(&vpa, &mut out);
    out
}

fn only_denial(spec: Value) -> Finding {
    let out: Vec<_> = findings(spec)
        .into_iter()
        .filter(|f| f.severity == Severity::Deny)
        .collect();
    assert_eq!(out.len(), 1, "{out:?}");
    out.into_iter().next().expect("one")
}

fn target() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"})
}

#[test]
fn no_update_mode() {
    let f = only_denial(json!({"targetRef": target(), "updatePolicy": {}}));
    assert_eq!(f.path, "spec.updatePolicy.updateMode");
    assert!(
        f.message
            .starts_with("Required value: updateMode is required if UpdatePolicy is used"),
        "{}",
        f.message
    );
}

#[test]
fn bad_update_mode_and_lower_case() {
    let f = only_denial(json!({"targetRef": target(), "updatePolicy": {"updateMode": "bad"}}));
    assert_eq!(
        f.field_error(),
        "spec.updatePolicy.updateMode: Invalid value: \"bad\": Unsupported value: supported values: \
         \"InPlace\", \"InPlaceOrRecreate\", \"Initial\", \"Off\", \"Recreate\"; use Initial for \
         Flink TaskManagers (no evictions) [vpa.spec]"
    );
    let f = only_denial(json!({"targetRef": target(), "updatePolicy": {"updateMode": "initial"}}));
    assert!(f.message.ends_with("write Initial"), "{}", f.message);
    // `updateMode: Off` unquoted is the boolean false in YAML 1.1 (kubectl's YAML).
    let f = only_denial(json!({"targetRef": target(), "updatePolicy": {"updateMode": false}}));
    assert!(
        f.message.ends_with("write \"Off\" in quotes"),
        "{}",
        f.message
    );
}

#[test]
fn in_place_or_recreate_and_deprecated_auto_are_accepted() {
    for mode in ["InPlaceOrRecreate", "Auto", "Recreate", "Initial", "Off"] {
        assert!(
            findings(json!({"targetRef": target(), "updatePolicy": {"updateMode": mode}}))
                .is_empty(),
            "{mode}"
        );
    }
}

#[test]
fn in_place_needs_its_feature_gate() {
    // "update-mode InPlace" with the gate off (its default).
    let f = only_denial(json!({"targetRef": target(), "updatePolicy": {"updateMode": "InPlace"}}));
    assert!(
        f.message.starts_with(
            "Forbidden: in order to use UpdateMode InPlace, you must enable feature gate InPlace"
        ),
        "{}",
        f.message
    );
}

#[test]
fn zero_min_replicas() {
    let f = only_denial(json!({"targetRef": target(),
        "updatePolicy": {"updateMode": "Recreate", "minReplicas": 0}}));
    assert_eq!(f.path, "spec.updatePolicy.minReplicas");
    assert!(f.message.starts_with("minReplicas has to be positive"));
}

#[test]
fn no_policy_name() {
    let f = only_denial(json!({"targetRef": target(),
        "resourcePolicy": {"containerPolicies": [{"mode": "Auto"}]}}));
    assert_eq!(
        f.path,
        "spec.resourcePolicy.containerPolicies[0].containerName"
    );
    assert!(f.message.starts_with("Required value"));
}

#[test]
fn invalid_scaling_mode() {
    let f = only_denial(json!({"targetRef": target(),
        "resourcePolicy": {"containerPolicies": [{"containerName": "c", "mode": "bad"}]}}));
    assert_eq!(f.path, "spec.resourcePolicy.containerPolicies[0].mode");
    assert!(
        f.message
            .starts_with("Unsupported value: supported values: \"Auto\", \"Off\"")
    );
}

#[test]
fn more_than_one_recommender() {
    let f = only_denial(json!({"targetRef": target(),
        "recommenders": [{"name": "a"}, {"name": "b"}]}));
    assert_eq!(f.path, "spec.recommenders");
    assert!(f.message.starts_with("Too many: must have at most 1 item"));
}

#[test]
fn bad_min_and_max_allowed_values() {
    // "bad minAllowed memory value" (100m) and "bad maxAllowed cpu value" (a fraction
    // of a millicore).
    let f = only_denial(json!({"targetRef": target(),
        "resourcePolicy": {"containerPolicies": [{"containerName": "c",
            "minAllowed": {"memory": "100m"}}]}}));
    assert_eq!(
        f.path,
        "spec.resourcePolicy.containerPolicies[0].minAllowed[memory]"
    );
    assert!(f.message.starts_with("must be a whole number of bytes"));
    assert!(f.message.contains("100Mi"), "{}", f.message);
    let f = only_denial(json!({"targetRef": target(),
        "resourcePolicy": {"containerPolicies": [{"containerName": "c",
            "maxAllowed": {"cpu": "1.0001"}}]}}));
    assert_eq!(
        f.path,
        "spec.resourcePolicy.containerPolicies[0].maxAllowed[cpu]"
    );
    assert!(
        f.message
            .starts_with("must be a whole number of milli CPUs")
    );
    assert!(
        findings(
            json!({"targetRef": target(), "resourcePolicy": {"containerPolicies": [
            {"containerName": "c", "minAllowed": {"cpu": "250m", "memory": "1.5Gi"}}]}})
        )
        .is_empty()
    );
}

#[test]
fn scaling_off_with_controlled_values_requests_and_limits() {
    let f = only_denial(json!({"targetRef": target(),
        "resourcePolicy": {"containerPolicies": [{"containerName": "c", "mode": "Off",
            "controlledValues": "RequestsAndLimits"}]}}));
    assert_eq!(
        f.path,
        "spec.resourcePolicy.containerPolicies[0].controlledValues"
    );
    assert!(f.message.starts_with(
        "Forbidden: controlledValues shouldn't be specified if container scaling mode is off"
    ));
}

#[test]
fn controlled_values_and_resources_outside_their_enums() {
    let out: Vec<_> = findings(json!({"targetRef": target(),
        "resourcePolicy": {"containerPolicies": [{"containerName": "c",
            "controlledValues": "requestsonly", "controlledResources": ["memory", "storage"]}]}}));
    let paths: Vec<_> = out.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "spec.resourcePolicy.containerPolicies[0].controlledValues",
            "spec.resourcePolicy.containerPolicies[0].controlledResources[1]"
        ]
    );
    assert!(
        out[0].message.ends_with("write RequestsOnly"),
        "{}",
        out[0].message
    );
}

#[test]
fn per_vpa_settings_below_their_minimum() {
    // "Invalid oomBumpUpRatio (less than 1)", "Invalid oomMinBumpUp (negative value)".
    let f = only_denial(json!({"targetRef": target(),
        "resourcePolicy": {"containerPolicies": [{"containerName": "c", "oomBumpUpRatio": 0.5}]}}));
    assert!(
        f.message
            .starts_with("must be greater than or equal to 1.0")
    );
    let f = only_denial(json!({"targetRef": target(),
        "resourcePolicy": {"containerPolicies": [{"containerName": "c", "oomMinBumpUp": -1}]}}));
    assert!(f.message.starts_with("must be greater than or equal to 0"));
    // "per-vpa config disabled and used": valid values are refused with the gate off.
    let f = only_denial(json!({"targetRef": target(),
        "updatePolicy": {"updateMode": "Initial", "evictAfterOOMSeconds": 60}}));
    assert!(
        f.message.contains("feature gate PerVPAConfig"),
        "{}",
        f.message
    );
}

#[test]
fn all_valid() {
    let spec = json!({"targetRef": target(), "updatePolicy": {"updateMode": "Initial", "minReplicas": 1},
        "resourcePolicy": {"containerPolicies": [{"containerName": "flink-main-container",
            "mode": "Auto", "controlledValues": "RequestsOnly", "controlledResources": ["memory"],
            "minAllowed": {"memory": "1Gi"}, "maxAllowed": {"memory": "4Gi", "cpu": "2"}}]},
        "recommenders": [{"name": "default"}]});
    assert!(findings(spec.clone()).is_empty());
    assert!(!is_invalid(&json!({"spec": spec})));
    assert!(is_invalid(&json!({"spec": {"updatePolicy": {}}})));
}
