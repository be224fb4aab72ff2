//! The cluster side of `status`: one list call per kind per namespace scope, the five
//! of them at once. FlinkDeployments must list; for the other kinds a missing API
//! (404: e.g. no VPA installed) or a denial (403) becomes a [`Listed::Unavailable`]
//! that the table shows in its column, not a failure.

use super::connect::{ClusterTarget, Connection};
use super::model::{Listed, Listing, Unavailability};
use crate::error::Error;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::Resource;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, ListParams};
use serde::Deserialize;
use serde_json::Value;

/// Where to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Namespace(String),
    All,
}

impl Scope {
    pub fn namespace(&self) -> Option<&str> {
        match self {
            Scope::Namespace(ns) => Some(ns),
            Scope::All => None,
        }
    }

    /// "namespace \"x\"" or "any namespace", for messages.
    pub fn describe(&self) -> String {
        match self {
            Scope::Namespace(ns) => format!("namespace \"{ns}\""),
            Scope::All => "any namespace".into(),
        }
    }
}

pub fn flink_deployments() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("flink.apache.org", "v1beta1", "FlinkDeployment"),
        "flinkdeployments",
    )
}

pub fn vertical_pod_autoscalers() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("autoscaling.k8s.io", "v1", "VerticalPodAutoscaler"),
        "verticalpodautoscalers",
    )
}

/// Only the items of a list answer are read; the rest (metadata, continue tokens) is
/// skipped while parsing.
#[derive(Deserialize)]
struct Items {
    #[serde(default)]
    items: Vec<Value>,
}

/// One list call; the items get the `apiVersion` and `kind` that list items lack.
/// (`audit` lists its kinds with it too.)
pub async fn list(
    client: kube::Client,
    resource: ApiResource,
    scope: Scope,
    labels: Option<String>,
    fields: Option<String>,
) -> Result<Vec<Value>, kube::Error> {
    let mut params = ListParams::default();
    if let Some(labels) = &labels {
        params = params.labels(labels);
    }
    if let Some(fields) = &fields {
        params = params.fields(fields);
    }
    let url = DynamicObject::url_path(&resource, scope.namespace());
    let request = kube::core::Request::new(url)
        .list(&params)
        .map_err(kube::Error::BuildRequest)?;
    let answer: Items = client.request(request).await?;
    let mut items = answer.items;
    for item in &mut items {
        if let Value::Object(map) = item {
            map.insert("apiVersion".into(), resource.api_version.clone().into());
            map.insert("kind".into(), resource.kind.clone().into());
        }
    }
    Ok(items)
}

/// What the table shows for a kind that could not be listed.
fn degrade(result: Result<Vec<Value>, kube::Error>) -> Listed {
    match result {
        Ok(items) => Listed::Items(items),
        Err(kube::Error::Api(status)) => Listed::Unavailable {
            reason: match status.code {
                404 => Unavailability::NotInstalled,
                403 => Unavailability::Forbidden,
                _ => Unavailability::Failed,
            },
            message: status.message.clone(),
        },
        Err(other) => Listed::Unavailable {
            reason: Unavailability::Failed,
            message: crate::error::chain(&other),
        },
    }
}

/// Lists the five kinds concurrently. `name` narrows FlinkDeployments by field
/// selector and ConfigMaps and pods by their `app` label, still one call per kind.
pub async fn fetch(
    connection: &Connection,
    scope: &Scope,
    name: Option<&str>,
) -> Result<Listing, Error> {
    let client = &connection.client;
    let app = |component: &str| match name {
        Some(name) => format!("component={component},app={name}"),
        None => format!("component={component}"),
    };
    let spawn = |resource: ApiResource, labels: Option<String>, fields: Option<String>| {
        tokio::spawn(list(
            client.clone(),
            resource,
            scope.clone(),
            labels,
            fields,
        ))
    };
    let deployments = spawn(
        flink_deployments(),
        None,
        name.map(|n| format!("metadata.name={n}")),
    );
    let config_maps = spawn(
        ApiResource::erase::<ConfigMap>(&()),
        Some(app("autoscaler")),
        None,
    );
    let pods = spawn(
        ApiResource::erase::<Pod>(&()),
        Some(app("taskmanager")),
        None,
    );
    let vpas = spawn(vertical_pod_autoscalers(), None, None);
    let hpas = spawn(
        ApiResource::erase::<HorizontalPodAutoscaler>(&()),
        None,
        None,
    );

    let joined = |r: Result<Result<Vec<Value>, kube::Error>, tokio::task::JoinError>| {
        r.unwrap_or_else(|e| Err(kube::Error::Service(Box::new(e))))
    };
    let (deployments, config_maps, pods, vpas, hpas) =
        tokio::join!(deployments, config_maps, pods, vpas, hpas);
    let deployments =
        joined(deployments).map_err(|e| deployments_error(e, &connection.target, scope))?;
    Ok(Listing {
        deployments,
        config_maps: degrade(joined(config_maps)),
        pods: degrade(joined(pods)),
        vpas: degrade(joined(vpas)),
        hpas: degrade(joined(hpas)),
    })
}

/// Without FlinkDeployments there is nothing to show: say why, naming the cluster.
fn deployments_error(error: kube::Error, target: &ClusterTarget, scope: &Scope) -> Error {
    match error {
        kube::Error::Api(status) if status.code == 404 => Error::NoFlinkCrd {
            target: target.clone(),
        },
        kube::Error::Api(status) => Error::Api {
            action: format!(
                "listing flinkdeployments.flink.apache.org in {}",
                scope.describe()
            ),
            target: target.clone(),
            message: if status.reason.is_empty() {
                status.message.clone()
            } else {
                format!("{} ({})", status.message, status.reason)
            },
        },
        other => Error::Unreachable {
            target: target.clone(),
            message: crate::error::chain(&other),
        },
    }
}
