//! The Events about one object, as `kubectl describe` shows them: the operator
//! records its scaling decisions (ScalingReport, ScalingLimited) and the warnings
//! that hold scaling back as Events on the FlinkDeployment.

use super::list::{self, Scope, Selectors};
use k8s_openapi::api::core::v1::Event;
use kube::api::ApiResource;
use serde_json::Value;

/// The field selector of the Events whose `involvedObject` is `kind`/`name`.
pub fn selector(kind: &str, name: &str) -> String {
    format!("involvedObject.name={name},involvedObject.kind={kind}")
}

/// Lists the Events about `kind`/`name` in `namespace`, one call.
pub async fn about(
    client: &kube::Client,
    namespace: &str,
    kind: &str,
    name: &str,
) -> Result<Vec<Value>, kube::Error> {
    list::list(
        client.clone(),
        ApiResource::erase::<Event>(&()),
        Scope::Namespace(namespace.to_string()),
        Selectors {
            labels: None,
            fields: Some(selector(kind, name)),
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selector_names_the_object_as_the_api_server_indexes_events() {
        assert_eq!(
            selector("FlinkDeployment", "orders"),
            "involvedObject.name=orders,involvedObject.kind=FlinkDeployment"
        );
    }
}
