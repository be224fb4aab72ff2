//! Failures as `meta/v1 Status` objects, the shape kubectl and kube-rs decode into
//! their error types (kube's `ErrorResponse`, kubectl's "Error from server (NotFound)").

use super::resources::ResourceType;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::borrow::Cow;

/// A failed request: HTTP code, machine-readable reason, message and details.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub code: u16,
    /// `Cow`: a webhook's denial carries the reason the webhook chose.
    pub reason: Cow<'static, str>,
    pub message: String,
    pub details: Value,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.reason, self.code, self.message)
    }
}

impl std::error::Error for Status {}

fn details(res: &ResourceType, name: &str) -> Value {
    json!({"name": name, "group": res.group, "kind": res.plural})
}

impl Status {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Status {
            code,
            reason: Cow::Borrowed(reason),
            message: message.into(),
            details: Value::Null,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized")
    }

    pub fn not_found(res: &ResourceType, name: &str) -> Self {
        Status {
            details: details(res, name),
            ..Self::new(
                404,
                "NotFound",
                format!("{} \"{name}\" not found", res.qualified()),
            )
        }
    }

    /// 404 for a URL that names nothing served.
    pub fn no_route(path: &str) -> Self {
        Self::new(
            404,
            "NotFound",
            format!("the server could not find the requested resource ({path})"),
        )
    }

    pub fn already_exists(res: &ResourceType, name: &str) -> Self {
        Status {
            details: details(res, name),
            ..Self::new(
                409,
                "AlreadyExists",
                format!("{} \"{name}\" already exists", res.qualified()),
            )
        }
    }

    /// An update whose `resourceVersion` (or precondition) is not the stored one.
    pub fn conflict(res: &ResourceType, name: &str) -> Self {
        Status {
            details: details(res, name),
            ..Self::new(
                409,
                "Conflict",
                format!(
                    "Operation cannot be fulfilled on {} \"{name}\": the object has been \
                     modified; please apply your changes to the latest version and try again",
                    res.qualified()
                ),
            )
        }
    }

    pub fn invalid(res: &ResourceType, name: &str, message: impl Into<String>) -> Self {
        Status {
            details: details(res, name),
            ..Self::new(
                422,
                "Invalid",
                format!("{} \"{name}\" is invalid: {}", res.kind, message.into()),
            )
        }
    }

    /// What RBAC answers, word for word, so tests of "forbidden" handling see the
    /// real message.
    pub fn forbidden(res: &ResourceType, user: &str, verb: &str, namespace: Option<&str>) -> Self {
        let scope = match namespace {
            Some(ns) => format!("in the namespace \"{ns}\""),
            None => "at the cluster scope".into(),
        };
        Status {
            details: json!({"group": res.group, "kind": res.plural}),
            ..Self::new(
                403,
                "Forbidden",
                format!(
                    "{} is forbidden: User \"{user}\" cannot {verb} resource \"{}\" in API \
                     group \"{}\" {scope}",
                    res.qualified(),
                    res.plural,
                    res.group
                ),
            )
        }
    }

    /// A watch or continue token older than the retained history.
    pub fn expired(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
    }

    /// A body this server cannot read. Typed kubectl commands (`kubectl create
    /// namespace`, `kubectl create configmap`) send protobuf, which is not decoded
    /// here; `kubectl apply -f` and `kubectl create -f` send JSON.
    pub fn unsupported_media_type(content_type: &str, accepted: &str) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format ({content_type:?}) - accepted media types include: {accepted}"
            ),
        )
    }

    /// `500 InternalError`, as `apierrors.NewInternalError`: how kube-apiserver
    /// reports a webhook it could not call under `failurePolicy: Fail`.
    pub fn internal_error(error: impl Into<String>) -> Self {
        let error = error.into();
        Status {
            details: json!({"causes": [{"message": error}]}),
            ..Self::new(
                500,
                "InternalError",
                format!("Internal error occurred: {error}"),
            )
        }
    }

    /// `403 Forbidden` with a reason, as `apierrors.NewForbidden`.
    pub fn forbidden_because(res: &ResourceType, name: &str, error: &str) -> Self {
        Status {
            details: json!({"name": name, "group": res.group, "kind": res.plural}),
            ..Self::new(
                403,
                "Forbidden",
                format!("{} \"{name}\" is forbidden: {error}", res.qualified()),
            )
        }
    }

    /// A webhook's refusal as kube-apiserver's `webhookerrors.ToStatusErr` returns
    /// it: the webhook's own `status` (code below 400 made 403, reason and details
    /// kept), its message prefixed with `admission webhook "NAME" denied the request`.
    pub fn webhook_denied(webhook: &str, result: &Value) -> Self {
        let denied_by = format!("admission webhook {webhook:?} denied the request");
        let code = result["code"]
            .as_u64()
            .filter(|c| (400..=599).contains(c))
            .unwrap_or(403) as u16;
        let reason = result["reason"].as_str().unwrap_or("").to_string();
        let message = match result["message"].as_str().filter(|m| !m.is_empty()) {
            Some(m) => format!("{denied_by}: {m}"),
            None if !reason.is_empty() => format!("{denied_by}: {reason}"),
            None => format!("{denied_by} without explanation"),
        };
        Status {
            code,
            reason: Cow::Owned(reason),
            message,
            details: result["details"].clone(),
        }
    }

    pub fn to_json(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "code": self.code,
        });
        // `reason` is omitted when empty, as Go's omitempty does.
        if !self.reason.is_empty() {
            status["reason"] = self.reason.as_ref().into();
        }
        if !self.details.is_null() {
            status["details"] = self.details.clone();
        }
        status
    }
}

impl IntoResponse for Status {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (code, self.to_json().to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}
