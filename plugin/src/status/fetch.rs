//! The cluster side of `status`: one list call per kind per namespace scope, the five
//! of them at once, through the cluster layer. FlinkDeployments must list; for the
//! other kinds a missing API (404: e.g. no VPA installed) or a denial (403) becomes a
//! [`Listed::Unavailable`] that the table shows in its column, not a failure.

use super::model::Listing;
use crate::cluster::connect::{ClusterTarget, Connection};
use crate::cluster::list::{
    self, Listed, Scope, Selectors, flink_deployments, vertical_pod_autoscalers,
};
use crate::error::Error;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::ApiResource;
use serde_json::Value;

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
        tokio::spawn(list::list(
            client.clone(),
            resource,
            scope.clone(),
            Selectors { labels, fields },
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
        config_maps: Listed::from(list::degrade(joined(config_maps))),
        pods: Listed::from(list::degrade(joined(pods))),
        vpas: Listed::from(list::degrade(joined(vpas))),
        hpas: Listed::from(list::degrade(joined(hpas))),
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
