//! The PATCH body formats: JSON merge patch (RFC 7386), JSON patch (RFC 6902), and
//! an approximation of strategic merge patch good enough for what `kubectl apply`
//! sends for ConfigMaps, Pods, Deployments and HPAs. Server-side apply is handled as
//! a merge patch by the caller.

use serde_json::{Map, Value};

/// How a PATCH body is to be read, from its Content-Type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PatchType {
    Json,
    Merge,
    StrategicMerge,
    Apply,
}

impl PatchType {
    pub const ACCEPTED: &str = "application/json-patch+json, application/merge-patch+json, \
                                application/strategic-merge-patch+json, application/apply-patch+yaml";

    pub fn from_content_type(content_type: &str) -> Option<Self> {
        let media = content_type.split(';').next().unwrap_or("").trim();
        match media {
            "application/json-patch+json" => Some(Self::Json),
            "application/merge-patch+json" => Some(Self::Merge),
            "application/strategic-merge-patch+json" => Some(Self::StrategicMerge),
            "application/apply-patch+yaml" => Some(Self::Apply),
            _ => None,
        }
    }
}

/// RFC 7386: objects merge key by key, `null` deletes, everything else replaces.
pub fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(target) = target else {
        return;
    };
    for (key, value) in patch {
        if value.is_null() {
            target.remove(key);
        } else {
            merge(target.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

/// RFC 6902 operations applied in order; all or nothing.
pub fn json_patch(target: &mut Value, patch: &Value) -> Result<(), String> {
    let patch: json_patch::Patch =
        serde_json::from_value(patch.clone()).map_err(|e| format!("invalid JSON patch: {e}"))?;
    json_patch::patch(target, &patch).map_err(|e| e.to_string())
}

/// The merge keys of the list fields `kubectl apply` patches in the kinds served here
/// (`patchMergeKey` in the Kubernetes API types). Lists not named here are replaced.
fn merge_key(field: &str) -> Option<&'static str> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        // Webhook configurations: their webhooks and those webhooks' matchConditions.
        | "webhooks"
        | "matchConditions" => "name",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "ports" => "containerPort",
        "conditions" => "type",
        "hostAliases" => "ip",
        _ => return None,
    })
}

/// Strategic merge patch, simplified: maps merge like a merge patch, lists with a
/// known merge key merge element by element, `$patch: delete|replace` is honoured,
/// other `$` directives (`$setElementOrder`, `$retainKeys`) are dropped.
pub fn strategic_merge(target: &mut Value, patch: &Value) {
    let Value::Object(patch_map) = patch else {
        *target = patch.clone();
        return;
    };
    match patch_map.get("$patch").and_then(Value::as_str) {
        Some("replace") => {
            let mut replacement = patch_map.clone();
            replacement.remove("$patch");
            *target = Value::Object(replacement);
            return;
        }
        Some("delete") => {
            *target = Value::Null;
            return;
        }
        _ => {}
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(target_map) = target else {
        return;
    };
    for (key, value) in patch_map {
        if key.starts_with('$') {
            continue;
        }
        match (value, merge_key(key), target_map.get_mut(key)) {
            (Value::Null, _, _) => {
                target_map.remove(key);
            }
            (Value::Array(items), Some(merge_key), Some(Value::Array(current))) => {
                merge_list(current, items, merge_key);
            }
            (Value::Array(items), _, _) => {
                let items = items.iter().filter(|i| i["$patch"] != "delete").cloned();
                target_map.insert(key.clone(), Value::Array(items.collect()));
            }
            (value, _, _) => {
                let slot = target_map.entry(key.clone()).or_insert(Value::Null);
                strategic_merge(slot, value);
                if slot.is_null() {
                    target_map.remove(key);
                }
            }
        }
    }
}

fn merge_list(current: &mut Vec<Value>, items: &[Value], merge_key: &str) {
    for item in items {
        let position = current
            .iter()
            .position(|c| !item[merge_key].is_null() && c[merge_key] == item[merge_key]);
        match (position, item["$patch"].as_str()) {
            (Some(i), Some("delete")) => {
                current.remove(i);
            }
            (None, Some("delete")) => {}
            (Some(i), _) => strategic_merge(&mut current[i], item),
            (None, _) => {
                let mut fresh = Value::Null;
                strategic_merge(&mut fresh, item);
                current.push(fresh);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut doc = json!({"a": "b", "c": {"d": "e", "f": "g"}, "l": [1, 2]});
        merge(&mut doc, &json!({"a": "z", "c": {"f": null}, "l": [3]}));
        assert_eq!(doc, json!({"a": "z", "c": {"d": "e"}, "l": [3]}));
    }

    #[test]
    fn json_patch_applies_or_fails_whole() {
        let mut doc = json!({"spec": {"replicas": 1}});
        json_patch(
            &mut doc,
            &json!([{"op": "replace", "path": "/spec/replicas", "value": 3}]),
        )
        .unwrap();
        assert_eq!(doc["spec"]["replicas"], 3);
        assert!(json_patch(&mut doc, &json!([{"op": "remove", "path": "/nope"}])).is_err());
        assert!(json_patch(&mut doc, &json!({"op": "bogus"})).is_err());
    }

    #[test]
    fn strategic_merge_merges_containers_by_name() {
        let mut doc = json!({"spec": {"containers": [
            {"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}]},
            {"name": "b", "image": "b:1"}
        ]}});
        strategic_merge(
            &mut doc,
            &json!({"spec": {
                "$setElementOrder/containers": [{"name": "a"}, {"name": "b"}],
                "containers": [
                    {"name": "a", "image": "a:2", "env": [{"name": "Y", "value": "2"}]},
                    {"name": "b", "$patch": "delete"}
                ]
            }}),
        );
        assert_eq!(
            doc,
            json!({"spec": {"containers": [{"name": "a", "image": "a:2",
                "env": [{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}]}]}})
        );
    }
}
