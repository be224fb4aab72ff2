//! Which requests a webhook is asked about, as kube-apiserver's
//! `ShouldCallHook` decides before any CEL runs: its `rules` (operations, groups,
//! versions, resources with subresources, scope), its `namespaceSelector` (the
//! labels of the object's namespace; a Namespace is matched by its own labels;
//! other cluster-scoped objects always match) and its `objectSelector` (the labels
//! of the new or the old object: either matching is enough).

use serde_json::{Map, Value};

/// The part of a request the rules look at.
#[derive(Debug, Clone, Copy)]
pub struct RequestShape<'a> {
    pub operation: &'a str,
    pub group: &'a str,
    pub version: &'a str,
    pub resource: &'a str,
    pub subresource: &'a str,
    pub namespaced: bool,
}

fn strings(v: &Value) -> impl Iterator<Item = &str> {
    v.as_array().into_iter().flatten().filter_map(Value::as_str)
}

fn listed(v: &Value, wanted: &str) -> bool {
    strings(v).any(|s| s == "*" || s == wanted)
}

/// `resources` entries: `*` (every resource, no subresource), `*/*` (everything),
/// `plural`, `plural/sub`, `plural/*`, `*/sub`.
fn resource_listed(v: &Value, resource: &str, subresource: &str) -> bool {
    strings(v).any(|entry| {
        if entry == "*/*" {
            return true;
        }
        let (res, sub) = entry.split_once('/').unwrap_or((entry, ""));
        (res == "*" || res == resource)
            && (sub == subresource || (sub == "*" && !subresource.is_empty()))
    })
}

/// One rule of `rules` matches the request.
pub fn rule_matches(rule: &Value, shape: &RequestShape) -> bool {
    let scope_ok = match rule["scope"].as_str().unwrap_or("*") {
        "Cluster" => !shape.namespaced,
        "Namespaced" => shape.namespaced,
        _ => true,
    };
    scope_ok
        && listed(&rule["operations"], shape.operation)
        && listed(&rule["apiGroups"], shape.group)
        && listed(&rule["apiVersions"], shape.version)
        && resource_listed(&rule["resources"], shape.resource, shape.subresource)
}

pub fn rules_match(webhook: &Value, shape: &RequestShape) -> bool {
    webhook["rules"]
        .as_array()
        .is_some_and(|rules| rules.iter().any(|r| rule_matches(r, shape)))
}

/// A `metav1.LabelSelector` against a label map. An absent or empty selector
/// matches everything; an unknown operator matches nothing (the API server would
/// have refused the configuration).
pub fn selector_matches(selector: &Value, labels: &Map<String, Value>) -> bool {
    if selector.is_null() {
        return true;
    }
    let label = |k: &str| labels.get(k).and_then(Value::as_str);
    let match_labels = selector["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .all(|(k, v)| label(k).is_some() && label(k) == v.as_str());
    let match_expressions = selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|e| {
            let key = e["key"].as_str().unwrap_or("");
            let mut values = strings(&e["values"]);
            match e["operator"].as_str().unwrap_or("") {
                "In" => label(key).is_some_and(|v| values.any(|x| x == v)),
                "NotIn" => label(key).is_none_or(|v| !values.any(|x| x == v)),
                "Exists" => label(key).is_some(),
                "DoesNotExist" => label(key).is_none(),
                _ => false,
            }
        });
    match_labels && match_expressions
}

/// The labels of an object, empty when it has none (or is absent).
pub fn labels_of(obj: &Value) -> Map<String, Value> {
    obj["metadata"]["labels"]
        .as_object()
        .cloned()
        .unwrap_or_default()
}

/// A Namespace's labels as the API server keeps them: it always carries
/// `kubernetes.io/metadata.name` (set by the API server since 1.21, which the
/// chart's namespace exclusion relies on).
pub fn namespace_labels(namespace: Option<&Value>, name: &str) -> Map<String, Value> {
    let mut labels = namespace.map(labels_of).unwrap_or_default();
    labels.insert("kubernetes.io/metadata.name".into(), name.into());
    labels
}

/// `objectSelector`: the new or the old object's labels match.
/// An empty selector matches even when there is no object; otherwise an absent
/// object never matches (kube-apiserver's `MatchObjectSelector`).
pub fn object_selector_matches(selector: &Value, object: &Value, old_object: &Value) -> bool {
    let empty = selector.is_null()
        || selector.as_object().is_some_and(|m| {
            m.values().all(|v| {
                v.is_null()
                    || v.as_object().is_some_and(|m| m.is_empty())
                    || v.as_array().is_some_and(|a| a.is_empty())
            })
        });
    empty
        || [object, old_object]
            .iter()
            .filter(|o| !o.is_null())
            .any(|o| selector_matches(selector, &labels_of(o)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shape<'a>(operation: &'a str, resource: &'a str, subresource: &'a str) -> RequestShape<'a> {
        RequestShape {
            operation,
            group: "autoscaling",
            version: "v2",
            resource,
            subresource,
            namespaced: true,
        }
    }

    #[test]
    fn rules_match_operation_group_version_resource_and_scope() {
        let rule = json!({"apiGroups": ["autoscaling"], "apiVersions": ["v2"],
            "resources": ["horizontalpodautoscalers"], "operations": ["CREATE", "UPDATE"], "scope": "Namespaced"});
        assert!(rule_matches(
            &rule,
            &shape("CREATE", "horizontalpodautoscalers", "")
        ));
        assert!(!rule_matches(
            &rule,
            &shape("DELETE", "horizontalpodautoscalers", "")
        ));
        assert!(!rule_matches(
            &rule,
            &shape("UPDATE", "horizontalpodautoscalers", "status")
        ));
        assert!(!rule_matches(&rule, &shape("CREATE", "deployments", "")));
        let mut cluster = shape("CREATE", "horizontalpodautoscalers", "");
        cluster.namespaced = false;
        assert!(!rule_matches(&rule, &cluster));
        let mut other_version = shape("CREATE", "horizontalpodautoscalers", "");
        other_version.version = "v1";
        assert!(!rule_matches(&rule, &other_version));

        let wild = |resources: Value| json!({"apiGroups": ["*"], "apiVersions": ["*"], "resources": resources, "operations": ["*"]});
        assert!(rule_matches(
            &wild(json!(["*"])),
            &shape("DELETE", "pods", "")
        ));
        assert!(!rule_matches(
            &wild(json!(["*"])),
            &shape("UPDATE", "pods", "status")
        ));
        assert!(rule_matches(
            &wild(json!(["*/*"])),
            &shape("UPDATE", "pods", "status")
        ));
        assert!(rule_matches(
            &wild(json!(["pods/*"])),
            &shape("UPDATE", "pods", "status")
        ));
        assert!(!rule_matches(
            &wild(json!(["pods/*"])),
            &shape("UPDATE", "pods", "")
        ));
        assert!(rule_matches(
            &wild(json!(["*/scale"])),
            &shape("UPDATE", "deployments", "scale")
        ));
    }

    #[test]
    fn label_selectors_follow_metav1_semantics() {
        let labels = namespace_labels(
            Some(&json!({"metadata": {"labels": {"team": "a"}}})),
            "flink",
        );
        let sel = |s: Value| selector_matches(&s, &labels);
        assert!(sel(Value::Null));
        assert!(sel(json!({})));
        assert!(sel(json!({"matchLabels": {"team": "a"}})));
        assert!(!sel(json!({"matchLabels": {"team": "b"}})));
        assert!(sel(
            json!({"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["kube-system"]}]})
        ));
        assert!(!sel(
            json!({"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": ["flink"]}]})
        ));
        assert!(sel(
            json!({"matchExpressions": [{"key": "team", "operator": "Exists"}]})
        ));
        assert!(!sel(
            json!({"matchExpressions": [{"key": "team", "operator": "DoesNotExist"}]})
        ));
        assert!(!sel(
            json!({"matchExpressions": [{"key": "x", "operator": "In", "values": ["a"]}]})
        ));
        assert!(!sel(
            json!({"matchExpressions": [{"key": "team", "operator": "Bogus"}]})
        ));
    }

    #[test]
    fn object_selectors_match_the_new_or_the_old_object() {
        let sel = json!({"matchLabels": {"guard": "on"}});
        let on = json!({"metadata": {"labels": {"guard": "on"}}});
        let off = json!({"metadata": {}});
        assert!(object_selector_matches(&sel, &on, &Value::Null));
        assert!(object_selector_matches(&sel, &off, &on));
        assert!(!object_selector_matches(&sel, &off, &Value::Null));
        assert!(object_selector_matches(&json!({}), &off, &Value::Null));
        assert!(object_selector_matches(
            &json!({}),
            &Value::Null,
            &Value::Null
        ));
        assert!(!object_selector_matches(&sel, &Value::Null, &Value::Null));
    }
}
