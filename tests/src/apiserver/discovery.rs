//! Discovery documents: how kubectl and kube find out which kinds exist, their
//! plurals, short names, scope and verbs. Both the legacy per-group-version lists and
//! the aggregated `apidiscovery.k8s.io/v2` form (one request instead of one per
//! group-version) are served; and a minimal OpenAPI v3, enough for kubectl to know
//! the server validates fields itself (`fieldValidation`), so `kubectl apply` works
//! with its default `--validate=strict`.

use super::resources::{ResourceType, Served};
use serde_json::{Value, json};

pub const AGGREGATED_CONTENT_TYPE: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// Whether `accept` prefers the aggregated form (kubectl ≥ 1.30 and kube ≥ 0.88 ask
/// for it first and fall back to the legacy JSON).
pub fn wants_aggregated(accept: Option<&str>) -> bool {
    accept
        .and_then(|a| a.split(',').next())
        .is_some_and(|first| {
            first.contains("as=APIGroupDiscoveryList")
                && first.contains("v=v2")
                && !first.contains("v=v2beta1")
        })
}

pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "34",
        "gitVersion": "v1.34.0-flink-test-apiserver",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-08-27T00:00:00Z",
        "goVersion": "go1.24.6",
        "compiler": "gc",
        "platform": "linux/amd64"
    })
}

fn group_version(group: &str, version: &str) -> String {
    if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }
}

const SUBRESOURCE_VERBS: [&str; 3] = ["get", "patch", "update"];

/// `/api` (legacy form).
pub fn core_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]
    })
}

fn api_group(served: &Served, group: &str) -> Value {
    let versions: Vec<Value> = served
        .group_versions()
        .into_iter()
        .filter(|(g, _)| *g == group)
        .map(|(g, v)| json!({"groupVersion": group_version(g, v), "version": v}))
        .collect();
    json!({"name": group, "versions": versions, "preferredVersion": versions[0]})
}

/// `/apis` (legacy form).
pub fn group_list(served: &Served) -> Value {
    let mut groups: Vec<&str> = served
        .group_versions()
        .into_iter()
        .map(|(g, _)| g)
        .collect();
    groups.dedup();
    let groups: Vec<Value> = groups
        .into_iter()
        .filter(|g| !g.is_empty())
        .map(|g| api_group(served, g))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/<group>`.
pub fn group(served: &Served, group: &str) -> Option<Value> {
    served
        .group_versions()
        .iter()
        .any(|(g, _)| *g == group && !g.is_empty())
        .then(|| {
            let mut doc = api_group(served, group);
            doc["kind"] = "APIGroup".into();
            doc["apiVersion"] = "v1".into();
            doc
        })
}

/// `/api/v1`, `/apis/<group>/<version>`: the APIResourceList.
pub fn resource_list(served: &Served, group: &str, version: &str) -> Option<Value> {
    let mut resources = Vec::new();
    for r in served.in_group_version(group, version) {
        resources.push(json!({
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": r.verbs(),
            "shortNames": r.short_names,
            "categories": r.categories,
        }));
        if r.status {
            resources.push(json!({
                "name": format!("{}/status", r.plural), "singularName": "",
                "namespaced": r.namespaced, "kind": r.kind, "verbs": SUBRESOURCE_VERBS,
            }));
        }
        if r.scale.is_some() {
            resources.push(json!({
                "name": format!("{}/scale", r.plural), "singularName": "",
                "namespaced": r.namespaced, "group": "autoscaling", "version": "v1",
                "kind": "Scale", "verbs": SUBRESOURCE_VERBS,
            }));
        }
    }
    (!resources.is_empty()).then(|| {
        json!({
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": group_version(group, version),
            "resources": resources,
        })
    })
}

fn aggregated_resource(r: &ResourceType) -> Value {
    let kind = |kind: &str| json!({"group": r.group, "version": r.version, "kind": kind});
    let mut subresources = Vec::new();
    if r.status {
        subresources.push(json!({"subresource": "status", "responseKind": kind(r.kind), "verbs": SUBRESOURCE_VERBS}));
    }
    if r.scale.is_some() {
        subresources.push(json!({
            "subresource": "scale",
            "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
            "verbs": SUBRESOURCE_VERBS,
        }));
    }
    let mut doc = json!({
        "resource": r.plural,
        "responseKind": kind(r.kind),
        "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": r.singular,
        "verbs": r.verbs(),
        "subresources": subresources,
    });
    if !r.short_names.is_empty() {
        doc["shortNames"] = json!(r.short_names);
    }
    if !r.categories.is_empty() {
        doc["categories"] = json!(r.categories);
    }
    doc
}

/// `/api` (`core: true`) or `/apis` in the aggregated form.
pub fn aggregated(served: &Served, core: bool) -> Value {
    let mut items: Vec<Value> = Vec::new();
    for (group, version) in served.group_versions() {
        if group.is_empty() != core {
            continue;
        }
        let resources: Vec<Value> = served
            .in_group_version(group, version)
            .map(aggregated_resource)
            .collect();
        let entry = json!({"version": version, "resources": resources, "freshness": "Current"});
        match items.iter_mut().find(|i| i["metadata"]["name"] == group) {
            Some(item) => item["versions"]
                .as_array_mut()
                .into_iter()
                .for_each(|v| v.push(entry.clone())),
            None => items.push(json!({"metadata": {"name": group}, "versions": [entry]})),
        }
    }
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}

fn openapi_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// `/openapi/v3`: where each group-version's document is.
pub fn openapi_root(served: &Served) -> Value {
    let paths: serde_json::Map<String, Value> = served
        .group_versions()
        .into_iter()
        .map(|(g, v)| {
            let path = openapi_path(g, v);
            let url = format!("/openapi/v3/{path}?hash=0");
            (path, json!({"serverRelativeURL": url}))
        })
        .collect();
    json!({"paths": paths})
}

/// `/openapi/v3/<api/v1 | apis/g/v>`: the object paths with their PATCH operation,
/// which is what kubectl reads to learn that `fieldValidation` is supported. No
/// schemas: kubectl then computes apply patches from its built-in types, or as JSON
/// merge patches for custom resources, as it does against a real server.
pub fn openapi_group_version(served: &Served, path: &str) -> Option<Value> {
    let (group, version) = served
        .group_versions()
        .into_iter()
        .find(|(g, v)| openapi_path(g, v) == path)?;
    let mut paths = serde_json::Map::new();
    for r in served.in_group_version(group, version) {
        let scope = if r.namespaced {
            "namespaces/{namespace}/"
        } else {
            ""
        };
        let url = format!("/{path}/{scope}{}/{{name}}", r.plural);
        let gvk = json!({"group": r.group, "version": r.version, "kind": r.kind});
        let param = |name: &str| json!({"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": true}});
        paths.insert(
            url,
            json!({
                "patch": {
                    "operationId": format!("patch{}", r.kind),
                    "x-kubernetes-action": "patch",
                    "x-kubernetes-group-version-kind": gvk,
                    "parameters": [param("dryRun"), param("fieldManager"), param("fieldValidation"), param("force")],
                    "responses": {"200": {"description": "OK"}},
                }
            }),
        );
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.34.0"},
        "paths": paths,
        "components": {"schemas": {}},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_and_subresources_are_advertised() {
        let served = Served::default();
        let list = resource_list(&served, "flink.apache.org", "v1beta1").unwrap();
        let names: Vec<&str> = list["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"flinkdeployments/scale"));
        assert_eq!(list["resources"][0]["shortNames"][0], "flinkdep");
        assert!(resource_list(&served, "nope", "v1").is_none());
        let apis = aggregated(&served, false);
        assert!(
            apis["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["metadata"]["name"] != "")
        );
        assert_eq!(
            aggregated(&served, true)["items"][0]["versions"][0]["version"],
            "v1"
        );
    }

    #[test]
    fn kinds_left_out_are_not_discovered() {
        let served = Served::without(vec!["VerticalPodAutoscaler".into()]);
        assert!(resource_list(&served, "autoscaling.k8s.io", "v1").is_none());
        assert!(group(&served, "autoscaling.k8s.io").is_none());
        let groups = group_list(&served);
        assert!(
            groups["groups"]
                .as_array()
                .unwrap()
                .iter()
                .all(|g| g["name"] != "autoscaling.k8s.io"),
            "{groups}"
        );
        let apis = aggregated(&served, false);
        assert!(
            apis["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["metadata"]["name"] != "autoscaling.k8s.io")
        );
        assert!(openapi_group_version(&served, "apis/autoscaling.k8s.io/v1").is_none());
        // Other kinds of a group stay: HPAs are autoscaling/v2, not the VPA's group.
        assert!(resource_list(&served, "autoscaling", "v2").is_some());
    }

    #[test]
    fn aggregated_only_when_asked_first() {
        assert!(wants_aggregated(Some(
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
        )));
        assert!(!wants_aggregated(Some("application/json")));
        assert!(!wants_aggregated(None));
    }
}
