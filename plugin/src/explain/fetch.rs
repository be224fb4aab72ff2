//! The cluster side of `explain`: the FlinkDeployment (which must exist), its
//! autoscaler ConfigMap, its Events, and the VPAs and HPAs of its namespace, the last
//! four requested at once. Only the FlinkDeployment is required; anything else that
//! cannot be read becomes [`Fetched::Unavailable`], which the explanation notes.

use crate::cluster::connect::Connection;
use crate::cluster::list::{
    self, Scope, Selectors, Unavailability, Unavailable, flink_deployments, get,
    vertical_pod_autoscalers,
};
use crate::cluster::{autoscaler_configmap, events};
use crate::error::Error;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::ApiResource;
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

impl<T> From<Result<T, Unavailable>> for Fetched<T> {
    fn from(result: Result<T, Unavailable>) -> Self {
        match result {
            Ok(value) => Fetched::Found(value),
            Err(u) if u.reason == Unavailability::NotInstalled => Fetched::Missing,
            Err(u) => Fetched::Unavailable(u.describe()),
        }
    }
}

fn degrade<T>(result: Result<T, kube::Error>) -> Fetched<T> {
    Fetched::from(list::degrade(result))
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
    let cm_name = autoscaler_configmap::config_map_name(name);
    let config_maps = ApiResource::erase::<ConfigMap>(&());
    let hpas = ApiResource::erase::<HorizontalPodAutoscaler>(&());
    let vpas = vertical_pod_autoscalers();
    let in_namespace = || Scope::Namespace(namespace.to_string());
    let (config_map, events, vpas, hpas) = tokio::join!(
        get(client, &config_maps, namespace, &cm_name),
        events::about(client, namespace, "FlinkDeployment", name),
        list::list(client.clone(), vpas, in_namespace(), Selectors::default()),
        list::list(client.clone(), hpas, in_namespace(), Selectors::default()),
    );
    Ok(Inputs {
        deployment,
        config_map: degrade(config_map),
        events: degrade(events),
        vpas: degrade(vpas),
        hpas: degrade(hpas),
    })
}
