//! Whether rendered objects would reach the cluster intact: custom resources are
//! validated against their CRDs from the shared fixtures (turned into plain JSON
//! Schema with the API server's pruning made explicit), built-in objects are read
//! as their k8s-openapi types and must lose nothing on the way. A field the API
//! server would silently drop is an error here.

use crate::charts::{name_of, names};
use crate::fixture;
use serde_json::Value;

/// The `openAPIV3Schema` of a CRD's served version for `kind`.
pub fn crd_schema(file: &str, kind: &str, version: &str) -> Value {
    let text = std::fs::read_to_string(fixture(&format!("crds/{file}"))).expect("CRD fixture");
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).expect("CRD fixture is YAML");
    let crd = docs
        .iter()
        .find(|d| d["spec"]["names"]["kind"] == kind)
        .unwrap_or_else(|| panic!("{file} has no CRD for {kind}"));
    crd["spec"]["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .find(|v| v["name"] == version && v["served"] == true)
        .unwrap_or_else(|| panic!("{kind} {version} is not served"))["schema"]["openAPIV3Schema"]
        .clone()
}

/// A CRD's openAPIV3Schema as plain JSON Schema, with the API server's structural
/// rules made explicit: fields a schema does not list are pruned (silently lost) by
/// the API server, so they are errors here (`additionalProperties: false`) unless the
/// schema preserves unknown fields; `x-kubernetes-int-or-string` is integer or
/// string. Patterns are kept; CEL rules are not checked.
pub fn structural(schema: &Value) -> Value {
    let Some(map) = schema.as_object() else {
        return schema.clone();
    };
    if map.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
        return serde_json::json!({"anyOf": [{"type": "integer"}, {"type": "string"}]});
    }
    let mut out = serde_json::Map::new();
    for (key, value) in map {
        let converted = match key.as_str() {
            "properties" | "patternProperties" => Value::Object(
                value
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), structural(v)))
                    .collect(),
            ),
            "items" | "additionalProperties" | "not" => structural(value),
            "anyOf" | "allOf" | "oneOf" => Value::Array(
                value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(structural)
                    .collect(),
            ),
            k if k.starts_with("x-kubernetes-") => continue,
            _ => value.clone(),
        };
        out.insert(key.clone(), converted);
    }
    let preserves = map.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    if map.get("type") == Some(&Value::String("object".into()))
        && !preserves
        && !map.contains_key("additionalProperties")
    {
        out.insert("additionalProperties".into(), Value::Bool(false));
    }
    Value::Object(out)
}

/// Validates `doc` against a CRD schema with the jsonschema crate; `apiVersion`,
/// `kind` and `metadata` are the API server's own business.
pub fn crd_errors(doc: &Value, schema: &Value) -> Vec<String> {
    let mut schema = structural(schema);
    if let Some(props) = schema["properties"].as_object_mut() {
        for key in ["apiVersion", "kind", "metadata"] {
            props.insert(key.into(), serde_json::json!({}));
        }
    }
    let validator = jsonschema::validator_for(&schema).expect("the CRD schema compiles");
    validator
        .iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// A built-in object must read as its k8s-openapi type and lose nothing on the way:
/// a misspelt or misplaced field would be dropped by the API server the same way.
pub fn built_in_errors(doc: &Value) -> Option<Vec<String>> {
    use k8s_openapi::api;
    fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(doc: &Value) -> Vec<String> {
        match serde_json::from_value::<T>(doc.clone()) {
            Err(e) => vec![format!("does not read as its Kubernetes type: {e}")],
            Ok(typed) => {
                let back = serde_json::to_value(&typed).unwrap_or(Value::Null);
                let mut lost = Vec::new();
                missing_in(doc, &back, "", &mut lost);
                lost.into_iter()
                    .map(|p| {
                        format!("{p}: not a field of the Kubernetes type (the API server drops it)")
                    })
                    .collect()
            }
        }
    }
    let kind = (doc["apiVersion"].as_str()?, doc["kind"].as_str()?);
    Some(match kind {
        ("apps/v1", "Deployment") => round_trip::<api::apps::v1::Deployment>(doc),
        ("v1", "Service") => round_trip::<api::core::v1::Service>(doc),
        ("v1", "ServiceAccount") => round_trip::<api::core::v1::ServiceAccount>(doc),
        ("v1", "Secret") => round_trip::<api::core::v1::Secret>(doc),
        ("policy/v1", "PodDisruptionBudget") => {
            round_trip::<api::policy::v1::PodDisruptionBudget>(doc)
        }
        ("rbac.authorization.k8s.io/v1", "Role") => round_trip::<api::rbac::v1::Role>(doc),
        ("rbac.authorization.k8s.io/v1", "RoleBinding") => {
            round_trip::<api::rbac::v1::RoleBinding>(doc)
        }
        ("rbac.authorization.k8s.io/v1", "ClusterRole") => {
            round_trip::<api::rbac::v1::ClusterRole>(doc)
        }
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") => {
            round_trip::<api::rbac::v1::ClusterRoleBinding>(doc)
        }
        ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration") => {
            round_trip::<api::admissionregistration::v1::MutatingWebhookConfiguration>(doc)
        }
        ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration") => {
            round_trip::<api::admissionregistration::v1::ValidatingWebhookConfiguration>(doc)
        }
        _ => return None,
    })
}

/// Paths present in `a` but not in `b` (null values count as absent: Kubernetes
/// types drop them too).
fn missing_in(a: &Value, b: &Value, path: &str, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                let here = format!("{path}.{k}");
                match y.get(k) {
                    Some(w) => missing_in(v, w, &here, out),
                    None if v.is_null() => {}
                    None => out.push(here),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                missing_in(v, w, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Every built-in object of a render reads as its Kubernetes type without loss.
pub fn assert_fit_built_in_types(docs: &[Value]) {
    let mut checked = 0;
    for doc in docs {
        if let Some(errors) = built_in_errors(doc) {
            assert!(
                errors.is_empty(),
                "{} does not fit its Kubernetes type:\n{}",
                name_of(doc),
                errors.join("\n")
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "no built-in object in {:?}", names(docs));
}

/// Every FlinkDeployment and VPA of a render fits its CRD.
pub fn assert_fit_crds(docs: &[Value]) {
    let flink = crd_schema(
        "flinkdeployments.flink.apache.org-v1.yml",
        "FlinkDeployment",
        "v1beta1",
    );
    let vpa = crd_schema("vpa-v1-crd-gen.yaml", "VerticalPodAutoscaler", "v1");
    let mut checked = 0;
    for doc in docs {
        let schema = match (doc["apiVersion"].as_str(), doc["kind"].as_str()) {
            (Some("flink.apache.org/v1beta1"), Some("FlinkDeployment")) => &flink,
            (Some("autoscaling.k8s.io/v1"), Some("VerticalPodAutoscaler")) => &vpa,
            _ => continue,
        };
        let errors = crd_errors(doc, schema);
        assert!(
            errors.is_empty(),
            "{} does not fit its CRD:\n{}",
            name_of(doc),
            errors.join("\n")
        );
        checked += 1;
    }
    assert!(checked > 0, "nothing to validate in {:?}", names(docs));
}
