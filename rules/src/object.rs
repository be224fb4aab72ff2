//! Small accessors over the JSON form of Kubernetes objects.

use serde_json::Value;

/// The kinds the rules know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    FlinkDeployment,
    FlinkSessionJob,
    VerticalPodAutoscaler,
    HorizontalPodAutoscaler,
    Other,
}

impl Kind {
    /// Classifies by API group and kind, ignoring the version (the webhook is
    /// registered with `matchPolicy: Equivalent`).
    pub fn of(group: &str, kind: &str) -> Kind {
        match (group, kind) {
            ("flink.apache.org", "FlinkDeployment") => Kind::FlinkDeployment,
            ("flink.apache.org", "FlinkSessionJob") => Kind::FlinkSessionJob,
            ("autoscaling.k8s.io", "VerticalPodAutoscaler") => Kind::VerticalPodAutoscaler,
            ("autoscaling", "HorizontalPodAutoscaler") => Kind::HorizontalPodAutoscaler,
            _ => Kind::Other,
        }
    }

    pub fn of_object(object: &Value) -> Kind {
        Kind::of(
            api_group(object),
            object.get("kind").and_then(Value::as_str).unwrap_or(""),
        )
    }
}

/// The group part of `apiVersion` (empty for the core group).
pub fn api_group(object: &Value) -> &str {
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    match api_version.split_once('/') {
        Some((group, _)) => group,
        None => "",
    }
}

pub fn name(object: &Value) -> &str {
    object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
}

pub fn namespace_or<'a>(object: &'a Value, default: &'a str) -> &'a str {
    object
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .filter(|ns| !ns.is_empty())
        .unwrap_or(default)
}

/// A VPA's `spec.targetRef`.
pub fn vpa_target(vpa: &Value) -> Option<&Value> {
    vpa.pointer("/spec/targetRef")
}

/// An HPA's `spec.scaleTargetRef`.
pub fn hpa_target(hpa: &Value) -> Option<&Value> {
    hpa.pointer("/spec/scaleTargetRef")
}
