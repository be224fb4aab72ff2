//! The cluster side of `explain`: the FlinkDeployment (which must exist), its
//! autoscaler ConfigMap, its Events, and the VPAs and HPAs of its namespace, the last
//! four requested at once. Only the FlinkDeployment is required; anything else that
//! cannot be read becomes [`Fetched::Unavailable`], which the explanation notes.

use crate::error::Error;
use crate::status::connect::Connection;
use crate::status::fetch::{flink_deployments, vertical_pod_autoscalers};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{ConfigMap, Event};
use kube::Resource;
use kube::api::{ApiResource, DynamicObject, GetParams, ListParams};
use serde::Deserialize;
use serde_json::Value;

/// One read that may fail without failing the command.
#[derive(Debug, Clone, PartialEq)]
pub enum Fetched<T> {
    Found(T),
    /// 404: not there (for a list: the API is not installed).
    Missing,
    /// Any other failure, with the server's message.
    Unavailable(String),
}

/// Everything the explanation is made from.
#[derive(Debug, Clone)]
pub struct Inputs {
    pub deployment: Value,
    pub config_map: Fetched<Value>,
    pub events: Fetched<Vec<Value>>,
    pub vpas: Fetched<Vec<Value>>,
    pub hpas: Fetched<Vec<Value>>,
}

#[derive(Deserialize)]
struct Items {
    #[serde(default)]
    items: Vec<Value>,
}

async fn get(
    client: &kube::Client,
    resource: &ApiResource,
    namespace: &str,
    name: &str,
) -> Result<Value, kube::Error> {
    let url = DynamicObject::url_path(resource, Some(namespace));
    let request = kube::core::Request::new(url)
        .get(name, &GetParams::default())
        .map_err(kube::Error::BuildRequest)?;
    client.request::<Value>(request).await
}

async fn list(
    client: &kube::Client,
    resource: &ApiResource,
    namespace: &str,
    fields: Option<String>,
) -> Result<Vec<Value>, kube::Error> {
    let mut params = ListParams::default();
    if let Some(fields) = &fields {
        params = params.fields(fields);
    }
    let url = DynamicObject::url_path(resource, Some(namespace));
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

fn degrade<T>(result: Result<T, kube::Error>) -> Fetched<T> {
    match result {
        Ok(value) => Fetched::Found(value),
        Err(kube::Error::Api(status)) if status.code == 404 => Fetched::Missing,
        Err(kube::Error::Api(status)) => Fetched::Unavailable(if status.reason.is_empty() {
            status.message.clone()
        } else {
            format!("{} ({})", status.message, status.reason)
        }),
        Err(other) => Fetched::Unavailable(crate::error::chain(&other)),
    }
}

/// Reads what `explain NAME` needs from `namespace`.
pub async fn fetch(connection: &Connection, namespace: &str, name: &str) -> Result<Inputs, Error> {
    let client = &connection.client;
    let target = &connection.target;
    let deployment = match get(client, &flink_deployments(), namespace, name).await {
        Ok(fd) => fd,
        Err(kube::Error::Api(status)) if status.code == 404 => {
            // A missing object names itself in the details; a missing API does not.
            let object_missing = status.details.as_ref().is_some_and(|d| d.name == name);
            return Err(if object_missing {
                Error::NotFound {
                    name: name.to_string(),
                    scope: format!("namespace \"{namespace}\""),
                }
            } else {
                Error::NoFlinkCrd {
                    target: target.clone(),
                }
            });
        }
        Err(kube::Error::Api(status)) => {
            return Err(Error::Api {
                action: format!(
                    "getting flinkdeployments.flink.apache.org \"{name}\" in namespace \"{namespace}\""
                ),
                target: target.clone(),
                message: if status.reason.is_empty() {
                    status.message.clone()
                } else {
                    format!("{} ({})", status.message, status.reason)
                },
            });
        }
        Err(other) => {
            return Err(Error::Unreachable {
                target: target.clone(),
                message: crate::error::chain(&other),
            });
        }
    };
    let cm_name = crate::cluster::autoscaler_configmap::config_map_name(name);
    let config_maps = ApiResource::erase::<ConfigMap>(&());
    let events = ApiResource::erase::<Event>(&());
    let hpas = ApiResource::erase::<HorizontalPodAutoscaler>(&());
    let vpas = vertical_pod_autoscalers();
    let selector = format!("involvedObject.name={name},involvedObject.kind=FlinkDeployment");
    let (config_map, events, vpas, hpas) = tokio::join!(
        get(client, &config_maps, namespace, &cm_name),
        list(client, &events, namespace, Some(selector)),
        list(client, &vpas, namespace, None),
        list(client, &hpas, namespace, None),
    );
    Ok(Inputs {
        deployment,
        config_map: degrade(config_map),
        events: degrade(events),
        vpas: degrade(vpas),
        hpas: degrade(hpas),
    })
}
