//! One policy report per namespace from the audit's findings, in either of the two
//! APIs that dashboards read: the Policy WG's `wgpolicyk8s.io/v1alpha2` PolicyReport
//! (Policy Reporter, most UIs today) or its successor `openreports.io/v1alpha1`
//! Report (Kyverno 1.15 on). Their results have the same shape; pure functions, so
//! the content is tested without a cluster.

use super::relations::ObjectKey;
use super::state::Record;
use serde_json::{Value, json};
use std::time::UNIX_EPOCH;

/// The `policy` of every result, and the report's name in each namespace.
pub const POLICY: &str = "flink-autoscale-guard";

/// At most this many results per report: a report is one object, and etcd refuses
/// objects over 1.5 MiB (about 2 500 results of ours). The summary still counts
/// every finding; `/metrics` and `kubectl flink audit` list them all.
pub const MAX_RESULTS: usize = 1000;

/// Which API reports are written in, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ReportApi {
    /// No reports (metrics and `kubectl flink audit` only).
    #[default]
    None,
    /// `openreports.io/v1alpha1` Report.
    Openreports,
    /// `wgpolicyk8s.io/v1alpha2` PolicyReport.
    Wgpolicy,
}

impl ReportApi {
    /// group, version, kind, plural.
    pub fn resource(self) -> Option<(&'static str, &'static str, &'static str, &'static str)> {
        match self {
            ReportApi::None => None,
            ReportApi::Openreports => Some(("openreports.io", "v1alpha1", "Report", "reports")),
            ReportApi::Wgpolicy => Some((
                "wgpolicyk8s.io",
                "v1alpha2",
                "PolicyReport",
                "policyreports",
            )),
        }
    }
}

/// The report content of a namespace (what is compared to decide whether to write):
/// `summary` and `results`. `pass` counts the audited objects without findings; `fail`
/// and `warn` count results (deny and warn findings).
pub fn content<'a>(records: impl IntoIterator<Item = (&'a ObjectKey, &'a Record)>) -> Value {
    let mut results = Vec::new();
    let (mut pass, mut fail, mut warn) = (0, 0, 0);
    for (key, record) in records {
        if record.findings.is_empty() {
            pass += 1;
            continue;
        }
        let since = record
            .since
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        for f in &record.findings {
            let (result, severity) = if f.severity == "deny" {
                fail += 1;
                ("fail", "high")
            } else {
                warn += 1;
                ("warn", "medium")
            };
            results.push(json!({
                "source": POLICY,
                "policy": POLICY,
                "rule": f.rule,
                "category": "Flink autoscaling",
                "severity": severity,
                "result": result,
                "scored": true,
                "message": f.message,
                "timestamp": {"seconds": since, "nanos": 0},
                "resources": [{
                    "apiVersion": record.api_version,
                    "kind": key.kind,
                    "namespace": key.namespace,
                    "name": key.name,
                    "uid": record.uid,
                }],
            }));
        }
    }
    if results.len() > MAX_RESULTS {
        // Deny results first, so the cap drops warnings before denials.
        results.sort_by_key(|r| r["result"] != "fail");
        results.truncate(MAX_RESULTS);
    }
    json!({
        "summary": {"pass": pass, "fail": fail, "warn": warn, "error": 0, "skip": 0},
        "results": results,
    })
}

/// The whole report object for `namespace` with `content`.
pub fn report(api: ReportApi, namespace: &str, content: &Value) -> Option<Value> {
    let (group, version, kind, _) = api.resource()?;
    let mut out = json!({
        "apiVersion": format!("{group}/{version}"),
        "kind": kind,
        "metadata": {
            "name": POLICY,
            "namespace": namespace,
            "labels": {"app.kubernetes.io/managed-by": POLICY},
        },
        "summary": content["summary"],
        "results": content["results"],
    });
    if api == ReportApi::Openreports {
        out["source"] = json!(POLICY);
    }
    Some(out)
}

/// The content part of a stored report, to compare with [`content`].
pub fn stored_content(report: &Value) -> Value {
    json!({
        "summary": report.get("summary").cloned().unwrap_or(Value::Null),
        "results": report.get("results").cloned().unwrap_or_else(|| json!([])),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::state::AuditFinding;
    use std::time::{Duration, SystemTime};

    fn record(findings: Vec<AuditFinding>) -> Record {
        Record {
            api_version: "autoscaling.k8s.io/v1".into(),
            uid: "u-1".into(),
            resource_version: "7".into(),
            deployments: vec![],
            findings,
            since: SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000),
        }
    }

    #[test]
    fn results_name_the_rule_the_object_and_the_outcome() {
        let bad = ObjectKey::new("VerticalPodAutoscaler", "flink", "tm");
        let good = ObjectKey::new("FlinkDeployment", "flink", "orders");
        let records = [
            (
                bad.clone(),
                record(vec![
                    AuditFinding {
                        rule: "vpa.controls-cpu".into(),
                        severity: "deny",
                        message: "spec.x: Invalid value: \"cpu\": no [vpa.controls-cpu]".into(),
                    },
                    AuditFinding {
                        rule: "vpa.update-mode".into(),
                        severity: "warn",
                        message: "m".into(),
                    },
                ]),
            ),
            (good, record(vec![])),
        ];
        let c = content(records.iter().map(|(k, r)| (k, r)));
        assert_eq!(
            c["summary"],
            json!({"pass": 1, "fail": 1, "warn": 1, "error": 0, "skip": 0})
        );
        let first = &c["results"][0];
        assert_eq!(first["policy"], POLICY);
        assert_eq!(first["rule"], "vpa.controls-cpu");
        assert_eq!(first["result"], "fail");
        assert_eq!(first["severity"], "high");
        assert_eq!(first["resources"][0]["name"], "tm");
        assert_eq!(first["timestamp"]["seconds"], 1_800_000_000u64);
        assert_eq!(c["results"][1]["result"], "warn");

        let wg = report(ReportApi::Wgpolicy, "flink", &c).unwrap();
        assert_eq!(wg["apiVersion"], "wgpolicyk8s.io/v1alpha2");
        assert_eq!(wg["kind"], "PolicyReport");
        assert!(wg.get("source").is_none());
        let or = report(ReportApi::Openreports, "flink", &c).unwrap();
        assert_eq!(or["apiVersion"], "openreports.io/v1alpha1");
        assert_eq!(or["source"], POLICY);
        assert_eq!(stored_content(&or), c, "the stored form compares equal");
        assert!(report(ReportApi::None, "flink", &c).is_none());
    }

    #[test]
    fn a_namespace_with_more_findings_than_fit_keeps_its_denials_and_counts() {
        let finding = |severity| AuditFinding {
            rule: "r".into(),
            severity,
            message: "m".into(),
        };
        let records: Vec<(ObjectKey, Record)> = (0..MAX_RESULTS + 10)
            .map(|i| {
                let severity = if i < 10 { "deny" } else { "warn" };
                let key = ObjectKey::new("FlinkDeployment", "ns", &format!("w-{i:05}"));
                (key, record(vec![finding(severity)]))
            })
            .rev()
            .collect();
        let c = content(records.iter().map(|(k, r)| (k, r)));
        let results = c["results"].as_array().unwrap();
        assert_eq!(results.len(), MAX_RESULTS);
        assert_eq!(results.iter().filter(|r| r["result"] == "fail").count(), 10);
        assert_eq!(c["summary"]["warn"], MAX_RESULTS);
        assert_eq!(c["summary"]["fail"], 10);
    }
}
