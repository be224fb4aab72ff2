//! What `kubectl flink audit` shows, built either by judging live objects with the
//! webhook's rules or by reading the webhook's policy reports. Pure: objects in,
//! findings out, so the grouping and the summary are tested without a cluster.

use flink_autoscale_rules::{
    ClusterState, Enforcement, ReviewInput, RuleSettings, SharedObject, review,
};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// One finding on one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditFinding {
    pub namespace: String,
    pub kind: String,
    pub name: String,
    pub rule: String,
    /// `deny` or `warn`.
    pub severity: String,
    pub message: String,
}

/// The count of one namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceSummary {
    pub namespace: String,
    /// Objects judged (live) or passing plus failing (reports).
    pub objects: u64,
    pub deny: u64,
    pub warn: u64,
    /// How old the report is, in seconds (`--from-reports` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_age_seconds: Option<i64>,
    /// The report's API (`--from-reports` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<String>,
}

/// The whole answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Audit {
    /// `live` (judged now) or `reports` (read from the webhook's reports).
    pub source: &'static str,
    pub namespaces: Vec<NamespaceSummary>,
    /// Grouped by object (namespace, kind, name), deny first within an object.
    pub findings: Vec<AuditFinding>,
}

impl Audit {
    pub fn has_denials(&self) -> bool {
        self.findings.iter().any(|f| f.severity == "deny")
    }
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// The listed objects indexed as the webhook's cluster view indexes them, so a
/// namespace of thousands of objects is judged in linear time.
#[derive(Default)]
struct Index {
    deployments: HashMap<(String, String), SharedObject>,
    /// (namespace, target kind, target name) → objects, for VPAs and HPAs.
    vpas: HashMap<(String, String, String), Vec<SharedObject>>,
    hpas: HashMap<(String, String, String), Vec<SharedObject>>,
}

impl ClusterState for Index {
    fn flink_deployment(&self, namespace: &str, name: &str) -> Option<SharedObject> {
        self.deployments
            .get(&(namespace.to_string(), name.to_string()))
            .cloned()
    }
    fn vpas_targeting(&self, namespace: &str, kind: &str, name: &str) -> Vec<SharedObject> {
        let key = (namespace.to_string(), kind.to_string(), name.to_string());
        self.vpas.get(&key).cloned().unwrap_or_default()
    }
    fn hpas_targeting(&self, namespace: &str, kind: &str, name: &str) -> Vec<SharedObject> {
        let key = (namespace.to_string(), kind.to_string(), name.to_string());
        self.hpas.get(&key).cloned().unwrap_or_default()
    }
}

/// Judges `objects` (FlinkDeployments, FlinkSessionJobs, VPAs, HPAs, each with its
/// `kind` and namespace) with the webhook's rules, in deny enforcement: what the
/// webhook in `deny` would refuse. Objects being deleted are left out, as the
/// webhook leaves them.
pub fn judge(objects: Vec<Value>, settings: &RuleSettings) -> Audit {
    let objects: Vec<SharedObject> = objects
        .into_iter()
        .filter(|o| o.pointer("/metadata/deletionTimestamp").is_none())
        .map(Arc::new)
        .collect();
    let mut index = Index::default();
    for o in &objects {
        let ns = str_at(o, "/metadata/namespace").to_string();
        let target = |p: &str| {
            (
                ns.clone(),
                str_at(o, &format!("{p}/kind")).to_string(),
                str_at(o, &format!("{p}/name")).to_string(),
            )
        };
        match str_at(o, "/kind") {
            "FlinkDeployment" => {
                index.deployments.insert(
                    (ns.clone(), str_at(o, "/metadata/name").to_string()),
                    o.clone(),
                );
            }
            "VerticalPodAutoscaler" => index
                .vpas
                .entry(target("/spec/targetRef"))
                .or_default()
                .push(o.clone()),
            "HorizontalPodAutoscaler" => index
                .hpas
                .entry(target("/spec/scaleTargetRef"))
                .or_default()
                .push(o.clone()),
            _ => {}
        }
    }
    for list in index.vpas.values_mut().chain(index.hpas.values_mut()) {
        list.sort_by(|a, b| str_at(a, "/metadata/name").cmp(str_at(b, "/metadata/name")));
    }
    let settings = RuleSettings {
        enforcement: Enforcement::Deny,
        ..settings.clone()
    };
    let mut summaries: BTreeMap<String, NamespaceSummary> = BTreeMap::new();
    let mut findings = Vec::new();
    for o in &objects {
        let ns = str_at(o, "/metadata/namespace");
        let verdict = review(
            &ReviewInput {
                object: o,
                namespace: ns,
                cluster: Some(&index),
            },
            &settings,
        );
        let summary = summaries
            .entry(ns.to_string())
            .or_insert_with(|| NamespaceSummary {
                namespace: ns.to_string(),
                ..Default::default()
            });
        summary.objects += 1;
        for f in verdict.findings {
            let severity = f.severity.as_str();
            if severity == "deny" {
                summary.deny += 1;
            } else {
                summary.warn += 1;
            }
            findings.push(AuditFinding {
                namespace: ns.to_string(),
                kind: str_at(o, "/kind").to_string(),
                name: str_at(o, "/metadata/name").to_string(),
                // The rule id through its string form.
                rule: f.rule.to_string(),
                severity: severity.to_string(),
                message: f.field_error(),
            });
        }
    }
    sort(&mut findings);
    Audit {
        source: "live",
        namespaces: summaries.into_values().collect(),
        findings,
    }
}

fn sort(findings: &mut [AuditFinding]) {
    // Stable: the rules' own order (deny first, then by path) stays within an object.
    findings
        .sort_by(|a, b| (&a.namespace, &a.kind, &a.name).cmp(&(&b.namespace, &b.kind, &b.name)));
}

/// Reads the webhook's reports (PolicyReport or Report objects named
/// `flink-autoscale-guard`, one per namespace). `now` is Unix seconds, for ages.
pub fn from_reports(reports: &[Value], now: i64) -> Audit {
    let mut summaries = Vec::new();
    let mut findings = Vec::new();
    for r in reports {
        let ns = str_at(r, "/metadata/namespace").to_string();
        let count = |k: &str| {
            r.pointer(&format!("/summary/{k}"))
                .and_then(Value::as_u64)
                .unwrap_or(0)
        };
        let updated = r
            .pointer("/metadata/annotations/flink-autoscale-guard~1updated")
            .and_then(Value::as_str)
            .unwrap_or_else(|| str_at(r, "/metadata/creationTimestamp"));
        let age = updated
            .parse::<jiff::Timestamp>()
            .ok()
            .map(|t| now - t.as_second());
        summaries.push(NamespaceSummary {
            namespace: ns.clone(),
            objects: count("pass") + distinct_objects(r),
            deny: count("fail"),
            warn: count("warn"),
            report_age_seconds: age,
            report: Some(format!(
                "{}/{}",
                str_at(r, "/apiVersion"),
                str_at(r, "/kind")
            )),
        });
        for result in r
            .get("results")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let resource = result.pointer("/resources/0").unwrap_or(&Value::Null);
            findings.push(AuditFinding {
                namespace: ns.clone(),
                kind: str_at(resource, "/kind").to_string(),
                name: str_at(resource, "/name").to_string(),
                rule: str_at(result, "/rule").to_string(),
                severity: if str_at(result, "/result") == "fail" {
                    "deny".into()
                } else {
                    "warn".into()
                },
                message: str_at(result, "/message").to_string(),
            });
        }
    }
    summaries.sort_by(|a, b| a.namespace.cmp(&b.namespace));
    sort(&mut findings);
    Audit {
        source: "reports",
        namespaces: summaries,
        findings,
    }
}

/// Objects with at least one result in a report.
fn distinct_objects(report: &Value) -> u64 {
    let mut seen = std::collections::BTreeSet::new();
    for result in report
        .get("results")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let r = result.pointer("/resources/0").unwrap_or(&Value::Null);
        seen.insert((
            str_at(r, "/kind").to_string(),
            str_at(r, "/name").to_string(),
        ));
    }
    seen.len() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fd(ns: &str, name: &str) -> Value {
        json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
               "metadata": {"name": name, "namespace": ns},
               "spec": {"flinkVersion": "v1_20", "mode": "native",
                        "flinkConfiguration": {"job.autoscaler.enabled": "true",
                            "job.autoscaler.metrics.window": "10m",
                            "execution.checkpointing.interval": "1m"},
                        "taskManager": {"resource": {"memory": "4096m", "cpu": 2}},
                        "job": {"jarURI": "local:///job.jar", "upgradeMode": "savepoint"}}})
    }

    fn cpu_vpa(ns: &str, target: &str) -> Value {
        json!({"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
               "metadata": {"name": format!("{target}-vpa"), "namespace": ns},
               "spec": {"targetRef": {"apiVersion": "flink.apache.org/v1beta1",
                                      "kind": "FlinkDeployment", "name": target},
                        "updatePolicy": {"updateMode": "Initial"},
                        "resourcePolicy": {"containerPolicies": [{
                            "containerName": "flink-main-container",
                            "controlledResources": ["cpu", "memory"]}]}}})
    }

    #[test]
    fn a_vpa_on_a_deployment_of_the_same_namespace_only_is_a_conflict() {
        let audit = judge(
            vec![fd("a", "orders"), fd("b", "orders"), cpu_vpa("a", "orders")],
            &RuleSettings {
                operator_rules: false,
                ..RuleSettings::default()
            },
        );
        assert!(audit.has_denials());
        let on_fd: Vec<_> = audit
            .findings
            .iter()
            .filter(|f| f.kind == "FlinkDeployment" && f.rule == "vpa.controls-cpu")
            .map(|f| f.namespace.as_str())
            .collect();
        assert_eq!(on_fd, ["a"], "{:#?}", audit.findings);
        assert_eq!(audit.namespaces.len(), 2);
        assert_eq!(audit.namespaces[0].objects, 2);
        assert!(audit.namespaces[0].deny >= 1);
        assert_eq!(audit.namespaces[1].deny, 0, "{:#?}", audit.findings);
    }

    #[test]
    fn reports_give_the_same_shape_and_their_age() {
        let report = json!({
            "apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "PolicyReport",
            "metadata": {"name": "flink-autoscale-guard", "namespace": "a",
                         "creationTimestamp": "2026-11-30T12:00:00Z"},
            "summary": {"pass": 3, "fail": 1, "warn": 0},
            "results": [{"policy": "flink-autoscale-guard", "rule": "vpa.controls-cpu",
                         "result": "fail", "message": "m",
                         "resources": [{"kind": "FlinkDeployment", "name": "orders"}]}]});
        let now = "2026-11-30T12:01:30Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_second();
        let audit = from_reports(&[report], now);
        assert_eq!(audit.namespaces[0].report_age_seconds, Some(90));
        assert_eq!(audit.namespaces[0].objects, 4);
        assert!(audit.has_denials());
        assert_eq!(audit.findings[0].name, "orders");
    }
}
