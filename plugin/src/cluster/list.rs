//! Reading objects: one `get` or one list call, and "degrade": a kind that is not
//! installed (404, e.g. no VPA CRD) or not readable (403, RBAC) becomes an
//! [`Unavailable`] with the server's reason instead of failing the command, so that
//! `status`, `explain` and `audit` show what they could read and say what they could
//! not. Objects are read as JSON values: the rules crate takes them that way, and a
//! typed decode would fail a whole list on one odd object.

use kube::Resource;
use kube::api::{ApiResource, DynamicObject, GetParams, GroupVersionKind, ListParams};
use serde::{Deserialize, Serialize};
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

/// The operator's FlinkDeployment API.
pub fn flink_deployments() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("flink.apache.org", "v1beta1", "FlinkDeployment"),
        "flinkdeployments",
    )
}

/// The VPA's API (a CRD: may be missing).
pub fn vertical_pod_autoscalers() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("autoscaling.k8s.io", "v1", "VerticalPodAutoscaler"),
        "verticalpodautoscalers",
    )
}

/// Why a kind's objects are missing from the picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unavailability {
    /// 404 on the list: the API (a CRD such as the VPA's) is not installed.
    NotInstalled,
    /// 403: RBAC does not let this user list the kind.
    Forbidden,
    /// Any other error answer.
    Failed,
}

/// A read that failed without failing the command: why, and the server's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unavailable {
    pub reason: Unavailability,
    /// The API server's message (or the transport error, each cause once).
    pub message: String,
    /// The API server's reason (`Forbidden`, `NotFound`), empty when it gave none.
    pub status_reason: String,
}

impl Unavailable {
    /// The message with the server's reason in brackets, when it gave one.
    pub fn describe(&self) -> String {
        if self.status_reason.is_empty() {
            self.message.clone()
        } else {
            format!("{} ({})", self.message, self.status_reason)
        }
    }
}

/// One kind's list call: its items, or why there are none to look at.
#[derive(Debug, Clone)]
pub enum Listed {
    Items(Vec<Value>),
    Unavailable {
        reason: Unavailability,
        message: String,
    },
}

impl Listed {
    /// The items; none when the kind could not be listed.
    pub fn items(&self) -> &[Value] {
        match self {
            Listed::Items(items) => items,
            Listed::Unavailable { .. } => &[],
        }
    }

    /// Why the kind could not be listed, if it could not.
    pub fn unavailability(&self) -> Option<Unavailability> {
        match self {
            Listed::Items(_) => None,
            Listed::Unavailable { reason, .. } => Some(*reason),
        }
    }
}

impl From<Result<Vec<Value>, Unavailable>> for Listed {
    fn from(result: Result<Vec<Value>, Unavailable>) -> Self {
        match result {
            Ok(items) => Listed::Items(items),
            Err(u) => Listed::Unavailable {
                reason: u.reason,
                message: u.message,
            },
        }
    }
}

/// Turns a failed read into what the commands show. Every read except the one a
/// command cannot do without goes through here: one meaning of 403 and 404.
pub fn degrade<T>(result: Result<T, kube::Error>) -> Result<T, Unavailable> {
    result.map_err(|error| match error {
        kube::Error::Api(status) => Unavailable {
            reason: match status.code {
                404 => Unavailability::NotInstalled,
                403 => Unavailability::Forbidden,
                _ => Unavailability::Failed,
            },
            message: status.message.clone(),
            status_reason: status.reason.clone(),
        },
        other => Unavailable {
            reason: Unavailability::Failed,
            message: crate::error::chain(&other),
            status_reason: String::new(),
        },
    })
}

/// Only the items of a list answer are read; the rest (metadata, continue tokens) is
/// skipped while parsing.
#[derive(Deserialize)]
struct Items {
    #[serde(default)]
    items: Vec<Value>,
}

/// A label and a field selector, either may be absent.
#[derive(Debug, Clone, Default)]
pub struct Selectors {
    pub labels: Option<String>,
    pub fields: Option<String>,
}

/// One list call; the items get the `apiVersion` and `kind` that list items lack, so
/// that the rules can tell the kinds apart.
pub async fn list(
    client: kube::Client,
    resource: ApiResource,
    scope: Scope,
    selectors: Selectors,
) -> Result<Vec<Value>, kube::Error> {
    let mut params = ListParams::default();
    if let Some(labels) = &selectors.labels {
        params = params.labels(labels);
    }
    if let Some(fields) = &selectors.fields {
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

/// One `get` of a namespaced object.
pub async fn get(
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

#[cfg(test)]
mod tests {
    use super::*;
    use kube::core::Status;

    fn api_error(code: u16, reason: &str) -> kube::Error {
        kube::Error::Api(Box::new(
            Status::failure("the message", reason).with_code(code),
        ))
    }

    #[test]
    fn forbidden_and_missing_apis_degrade_with_the_servers_reason() {
        let forbidden = degrade::<()>(Err(api_error(403, "Forbidden"))).unwrap_err();
        assert_eq!(forbidden.reason, Unavailability::Forbidden);
        assert_eq!(forbidden.describe(), "the message (Forbidden)");
        let missing = degrade::<()>(Err(api_error(404, "NotFound"))).unwrap_err();
        assert_eq!(missing.reason, Unavailability::NotInstalled);
        let other = degrade::<()>(Err(api_error(500, ""))).unwrap_err();
        assert_eq!(other.reason, Unavailability::Failed);
        assert_eq!(other.describe(), "the message");
    }

    #[test]
    fn a_listed_kind_keeps_its_items_and_an_unavailable_one_has_none() {
        let listed = Listed::from(Ok(vec![serde_json::json!({"a": 1})]));
        assert_eq!(listed.items().len(), 1);
        assert_eq!(listed.unavailability(), None);
        let denied = Listed::from(degrade::<Vec<Value>>(Err(api_error(403, "Forbidden"))));
        assert!(denied.items().is_empty());
        assert_eq!(denied.unavailability(), Some(Unavailability::Forbidden));
    }
}
