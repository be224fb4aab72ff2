//! The audit's memory: the current findings of every audited object, and what each
//! was judged with (its resourceVersion and the deployments it was paired through,
//! so a retargeted VPA also re-judges the deployment it left).

use super::relations::{self, ObjectKey};
use crate::cluster::ClusterView;
use crate::metrics::{AuditFindingLabels, Metrics};
use flink_autoscale_rules::object::Pointer;
use flink_autoscale_rules::{
    ClusterState, Enforcement, Finding, ReviewInput, RuleSettings, review,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::SystemTime;

/// A finding as the audit keeps it: owned strings, ready for labels and reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditFinding {
    pub rule: String,
    /// `deny` or `warn`.
    pub severity: &'static str,
    /// The field error (`<path>: Invalid value: ...; <fix> [rule]`).
    pub message: String,
}

impl AuditFinding {
    fn of(f: &Finding) -> Self {
        AuditFinding {
            // The rule id through its string form (the rule id type may change).
            rule: f.rule.to_string(),
            severity: f.severity.as_str(),
            message: f.field_error(),
        }
    }
}

/// One audited object.
#[derive(Debug, Clone)]
pub struct Record {
    pub api_version: String,
    pub uid: String,
    pub resource_version: String,
    /// The deployments it was paired through when judged.
    pub deployments: Vec<String>,
    pub findings: Vec<AuditFinding>,
    /// Since when the findings are what they are (report timestamps: a report
    /// rewritten for another object keeps this one's time).
    pub since: SystemTime,
}

/// Every audited object and its findings.
#[derive(Debug, Default)]
pub struct AuditState {
    pub records: BTreeMap<ObjectKey, Record>,
    /// Namespaces whose findings changed since the reports last took them.
    pub changed_namespaces: BTreeSet<String>,
}

fn str_at<'a>(object: &'a Value, pointer: &str) -> &'a str {
    object.at(pointer).and_then(Value::as_str).unwrap_or("")
}

impl AuditState {
    /// The objects `key`'s change touches: itself and everything paired with it
    /// through a deployment, before (from its record) and after (from the view).
    pub fn touched_by(&self, view: &ClusterView, key: &ObjectKey) -> BTreeSet<ObjectKey> {
        let mut deployments: BTreeSet<String> = BTreeSet::new();
        if let Some(r) = self.records.get(key) {
            deployments.extend(r.deployments.iter().cloned());
        }
        if let Some(o) = view.object(key.kind, &key.namespace, &key.name) {
            deployments.extend(relations::deployments_of(key.kind, &o));
        }
        // The object itself, even when gone (its record and series must go too).
        let mut out = BTreeSet::from([key.clone()]);
        for fd in deployments {
            out.extend(relations::around_deployment(view, &key.namespace, &fd));
        }
        out
    }

    /// The keys of `kind` whose cached object differs from what was judged (new,
    /// changed or gone): after a relist, which may have missed any number of events.
    pub fn stale_of_kind(&self, view: &ClusterView, kind: &'static str) -> Vec<ObjectKey> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for v in view.versions(kind) {
            let key = ObjectKey::new(kind, &v.namespace, &v.name);
            let judged = self.records.get(&key).map(|r| r.resource_version.as_str());
            if judged != Some(v.resource_version.as_str()) {
                out.push(key.clone());
            }
            seen.insert(key);
        }
        out.extend(
            self.records
                .keys()
                .filter(|k| k.kind == kind && !seen.contains(*k))
                .cloned(),
        );
        out
    }

    /// Judges `key` afresh from the view with the admission rules (deny enforcement:
    /// the audit says what `deny` would refuse, whatever the webhook enforces), and
    /// updates its metric series. Returns whether its findings changed.
    pub fn judge(
        &mut self,
        view: &ClusterView,
        settings: &RuleSettings,
        metrics: &Metrics,
        key: &ObjectKey,
    ) -> bool {
        let object = view
            .object(key.kind, &key.namespace, &key.name)
            .filter(|o| o.at("/metadata/deletionTimestamp").is_none());
        let old = match &object {
            None => self.records.remove(key),
            Some(o) => {
                let mut settings = settings.clone();
                settings.enforcement = Enforcement::Deny;
                let cluster: &dyn ClusterState = view;
                let verdict = review(
                    &ReviewInput {
                        object: o,
                        namespace: &key.namespace,
                        cluster: Some(cluster),
                    },
                    &settings,
                );
                let findings: Vec<AuditFinding> =
                    verdict.findings.iter().map(AuditFinding::of).collect();
                let previous = self.records.get(key);
                let since = match previous {
                    Some(p) if p.findings == findings => p.since,
                    _ => SystemTime::now(),
                };
                let record = Record {
                    api_version: str_at(o, "/apiVersion").to_string(),
                    uid: str_at(o, "/metadata/uid").to_string(),
                    resource_version: str_at(o, "/metadata/resourceVersion").to_string(),
                    deployments: relations::deployments_of(key.kind, o),
                    findings,
                    since,
                };
                self.records.insert(key.clone(), record)
            }
        };
        let new = self.records.get(key).map(|r| r.findings.as_slice());
        let old_findings = old.as_ref().map(|r| r.findings.as_slice());
        let changed = old_findings.unwrap_or(&[]) != new.unwrap_or(&[]);
        // A new or removed object changes its namespace's summary even without
        // findings.
        if changed || old.is_none() != new.is_none() {
            self.changed_namespaces.insert(key.namespace.clone());
        }
        if changed {
            export(metrics, key, old_findings.unwrap_or(&[]), 0);
            export(metrics, key, new.unwrap_or(&[]), 1);
        }
        changed
    }

    /// Objects judged, by kind.
    pub fn count(&self, kind: &str) -> usize {
        self.records.keys().filter(|k| k.kind == kind).count()
    }

    /// The records of one namespace, in kind and name order.
    pub fn in_namespace<'a>(
        &'a self,
        namespace: &'a str,
    ) -> impl Iterator<Item = (&'a ObjectKey, &'a Record)> + 'a {
        let start = ObjectKey {
            namespace: namespace.to_string(),
            kind: "",
            name: String::new(),
        };
        self.records
            .range(start..)
            .take_while(move |(k, _)| k.namespace == namespace)
    }

    /// Every namespace with an audited object.
    pub fn namespaces(&self) -> BTreeSet<String> {
        self.records.keys().map(|k| k.namespace.clone()).collect()
    }
}

/// Sets (`on` = 1) or clears (`on` = 0) the series of `findings` of `key`.
fn export(metrics: &Metrics, key: &ObjectKey, findings: &[AuditFinding], on: usize) {
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for f in findings {
        *counts.entry((f.rule.as_str(), f.severity)).or_default() += 1;
    }
    for ((rule, severity), n) in counts {
        metrics.audit_findings(
            &AuditFindingLabels {
                namespace: key.namespace.clone(),
                kind: key.kind.to_string(),
                name: key.name.clone(),
                rule: rule.to_string(),
                severity: severity.to_string(),
            },
            n * on,
        );
    }
}
