//! What a response looks like, from the request's `Accept`: the objects themselves,
//! a `meta.k8s.io/v1 Table` (what `kubectl get` asks for, so it prints the server's
//! columns), or `PartialObjectMetadata` (kube's metadata-only lists and watches).

use super::resources::ResourceType;
use super::store::ListPage;
use serde::Serialize;
use serde_json::{Value, json};

/// The representation chosen for a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation {
    Full,
    /// `includeObject`: None, Metadata (the default) or Object.
    Table(IncludeObject),
    Metadata,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeObject {
    None,
    Metadata,
    Object,
}

/// The first media type of `accept` this server can produce. Protobuf is never
/// produced; clients that ask for it also accept JSON.
pub fn negotiate(accept: Option<&str>, include_object: Option<&str>) -> Representation {
    let include = match include_object {
        Some("None") => IncludeObject::None,
        Some("Object") => IncludeObject::Object,
        _ => IncludeObject::Metadata,
    };
    for media in accept.unwrap_or("application/json").split(',') {
        let mut parts = media.split(';').map(str::trim);
        let base = parts.next().unwrap_or("");
        if !matches!(base, "application/json" | "application/*" | "*/*") {
            continue;
        }
        let params: Vec<(&str, &str)> = parts.filter_map(|p| p.split_once('=')).collect();
        let param = |name: &str| params.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        match (param("as"), param("g")) {
            (None, _) => return Representation::Full,
            (Some("Table"), Some("meta.k8s.io")) => return Representation::Table(include),
            (Some("PartialObjectMetadata" | "PartialObjectMetadataList"), Some("meta.k8s.io")) => {
                return Representation::Metadata;
            }
            _ => continue,
        }
    }
    Representation::Full
}

fn partial_metadata(obj: &Value) -> Value {
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]})
}

fn column_definitions(res: &ResourceType) -> Vec<Value> {
    res.columns
        .iter()
        .map(|c| {
            json!({"name": c.name, "type": c.ty, "format": c.format, "description": "", "priority": c.priority})
        })
        .collect()
}

fn row(res: &ResourceType, obj: &Value, include: IncludeObject) -> Value {
    let cells: Vec<Value> = res.columns.iter().map(|c| (c.cell)(obj)).collect();
    let object = match include {
        IncludeObject::None => Value::Null,
        IncludeObject::Metadata => partial_metadata(obj),
        IncludeObject::Object => obj.clone(),
    };
    json!({"cells": cells, "object": object})
}

fn table(res: &ResourceType, objects: &[&Value], include: IncludeObject, metadata: Value) -> Value {
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": column_definitions(res),
        "rows": objects.iter().map(|o| row(res, o, include)).collect::<Vec<_>>(),
    })
}

/// One object (a GET, a write's answer, a watch event's object).
pub fn object(res: &ResourceType, obj: &Value, rep: Representation) -> Value {
    match rep {
        Representation::Full => obj.clone(),
        Representation::Metadata => partial_metadata(obj),
        Representation::Table(include) => table(res, &[obj], include, json!({})),
    }
}

#[derive(Serialize)]
struct List<'a> {
    kind: String,
    #[serde(rename = "apiVersion")]
    api_version: String,
    metadata: Value,
    items: Vec<&'a Value>,
}

/// A list response, serialized without copying the objects.
pub fn list(res: &ResourceType, page: &ListPage, rep: Representation) -> String {
    let mut metadata = json!({"resourceVersion": page.resource_version.to_string()});
    if let Some(token) = &page.continue_token {
        metadata["continue"] = token.clone().into();
    }
    if let Some(remaining) = page.remaining {
        metadata["remainingItemCount"] = remaining.into();
    }
    let items: Vec<&Value> = page.items.iter().map(|o| o.as_ref()).collect();
    match rep {
        Representation::Full => serde_json::to_string(&List {
            kind: format!("{}List", res.kind),
            api_version: res.api_version(),
            metadata,
            items,
        }),
        Representation::Metadata => {
            let partial: Vec<Value> = items.iter().map(|o| partial_metadata(o)).collect();
            serde_json::to_string(&List {
                kind: "PartialObjectMetadataList".into(),
                api_version: "meta.k8s.io/v1".into(),
                metadata,
                items: partial.iter().collect(),
            })
        }
        Representation::Table(include) => {
            serde_json::to_string(&table(res, &items, include, metadata))
        }
    }
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_get_gets_a_table() {
        let accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert_eq!(
            negotiate(Some(accept), None),
            Representation::Table(IncludeObject::Metadata)
        );
        assert_eq!(
            negotiate(Some("application/json"), None),
            Representation::Full
        );
        assert_eq!(negotiate(None, None), Representation::Full);
        assert_eq!(
            negotiate(
                Some("application/vnd.kubernetes.protobuf, application/json"),
                None
            ),
            Representation::Full
        );
        assert_eq!(
            negotiate(
                Some("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"),
                None
            ),
            Representation::Metadata
        );
    }
}
