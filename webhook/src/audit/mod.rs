//! The background audit: the objects already in the cluster, judged with the rules
//! the admission path uses, from the cluster view's caches (no API request of its
//! own). A webhook only sees objects when they are written; a team switching from
//! `--enforcement warn` to `deny` needs to know which running jobs, VPAs and HPAs
//! break the rules now, and keeps needing to as objects around them change.
//!
//! Cost follows changes: the view names every changed object ([`cluster::Change`]);
//! after a short debounce the audit re-judges those objects and the ones paired with
//! them through a FlinkDeployment ([`relations`]), never the whole cluster. A full
//! pass runs once after the first lists, and for a kind after each relist (which may
//! have missed events), where it re-judges only objects whose resourceVersion moved.
//!
//! Findings go to `/metrics` (`flink_guard_audit_findings`) and, opt-in, to one
//! policy report per namespace written by the replica holding a Lease ([`writer`]).

pub mod lease;
pub mod relations;
pub mod report;
pub mod state;
pub mod writer;

pub use report::ReportApi;

use crate::cluster::{self, ClusterView};
use crate::metrics::Metrics;
use flink_autoscale_rules::RuleSettings;
use relations::ObjectKey;
use serde_json::Value;
use state::AuditState;
use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::Notify;

/// Changes arriving within this long of each other are judged together (a
/// `kubectl apply -f dir/` touching many objects is one batch).
pub const DEBOUNCE: Duration = Duration::from_millis(200);

/// Changes not judged yet.
#[derive(Debug, Default)]
struct Pending {
    objects: HashSet<ObjectKey>,
    listed: HashSet<&'static str>,
}

/// The audit's shared half: what changed, what was found.
#[derive(Debug, Default)]
pub struct Audit {
    pending: Mutex<Pending>,
    wake: Notify,
    /// Woken when namespaces' findings changed (the report writer waits on it).
    pub reports_wake: Notify,
    state: Mutex<AuditState>,
    /// The first full pass is done.
    ready: AtomicBool,
}

impl Audit {
    /// An audit following `view`'s changes (attach before the watches start).
    pub fn attach(view: &ClusterView) -> Arc<Audit> {
        let audit = Arc::new(Audit::default());
        let weak = Arc::downgrade(&audit);
        view.on_change(Arc::new(move |change| {
            if let Some(audit) = weak.upgrade() {
                audit.changed(change);
            }
        }));
        audit
    }

    fn changed(&self, change: cluster::Change) {
        {
            let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
            match change {
                cluster::Change::Object {
                    kind,
                    namespace,
                    name,
                } => {
                    p.objects.insert(ObjectKey {
                        namespace,
                        kind,
                        name,
                    });
                }
                cluster::Change::Listed { kind } => {
                    p.listed.insert(kind);
                }
            }
        }
        self.wake.notify_one();
    }

    fn state(&self) -> MutexGuard<'_, AuditState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the first full pass is done.
    pub fn ready(&self) -> bool {
        self.ready.load(Ordering::SeqCst)
    }

    /// The namespaces whose findings or objects changed since the last call.
    pub fn take_changed_namespaces(&self) -> BTreeSet<String> {
        std::mem::take(&mut self.state().changed_namespaces)
    }

    /// Every namespace with an audited object now.
    pub fn namespaces_ever(&self) -> BTreeSet<String> {
        self.state().namespaces()
    }

    /// The report content of `namespace`, `None` when it has no audited object.
    pub fn report_content(&self, namespace: &str) -> Option<Value> {
        let state = self.state();
        let mut records = state.in_namespace(namespace).peekable();
        records.peek()?;
        Some(report::content(records))
    }

    /// Judges what changed, batch after batch, forever.
    pub async fn run(
        self: Arc<Self>,
        view: Arc<ClusterView>,
        settings: RuleSettings,
        metrics: impl std::ops::Deref<Target = Metrics>,
    ) {
        loop {
            // A timeout, so that changes pending while the view was not synced yet
            // are judged once it is, even if nothing else changes.
            let _ = tokio::time::timeout(Duration::from_secs(1), self.wake.notified()).await;
            if !view.synced() {
                continue;
            }
            tokio::time::sleep(DEBOUNCE).await;
            self.judge_pending(&view, &settings, &metrics);
        }
    }

    /// One batch: everything pending, and the objects paired with it. Returns how
    /// many objects were judged.
    pub fn judge_pending(
        &self,
        view: &ClusterView,
        settings: &RuleSettings,
        metrics: &Metrics,
    ) -> usize {
        let pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        let first = !self.ready();
        let listed: Vec<&'static str> = if first {
            view.kinds().to_vec()
        } else {
            pending.listed.into_iter().collect()
        };
        if pending.objects.is_empty() && listed.is_empty() {
            return 0;
        }
        let started = Instant::now();
        let mut state = self.state();
        let mut changed: Vec<ObjectKey> = pending.objects.into_iter().collect();
        for kind in &listed {
            changed.extend(state.stale_of_kind(view, kind));
        }
        let mut judge = BTreeSet::new();
        for key in &changed {
            judge.extend(state.touched_by(view, key));
        }
        for key in &judge {
            state.judge(view, settings, metrics, key);
        }
        for kind in view.kinds() {
            metrics.audit_objects(kind, state.count(kind));
        }
        let wake_reports = !state.changed_namespaces.is_empty();
        drop(state);
        metrics.audit_evaluated(judge.len());
        if !listed.is_empty() {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0);
            metrics.audit_full_pass(now, started.elapsed());
            if first {
                tracing::info!(
                    objects = judge.len(),
                    took_ms = started.elapsed().as_millis() as u64,
                    "audit: first full pass done"
                );
            }
        }
        self.ready.store(true, Ordering::SeqCst);
        if wake_reports {
            self.reports_wake.notify_one();
        }
        judge.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fd(name: &str) -> Value {
        json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
               "metadata": {"name": name, "namespace": "ns", "resourceVersion": "1"},
               "spec": {"flinkVersion": "v1_20", "mode": "native",
                        "flinkConfiguration": {"job.autoscaler.enabled": "true",
                            "job.autoscaler.metrics.window": "10m",
                            "execution.checkpointing.interval": "1m"},
                        "taskManager": {"resource": {"memory": "4096m", "cpu": 2}},
                        "job": {"jarURI": "local:///job.jar", "upgradeMode": "savepoint"}}})
    }

    fn cpu_vpa(name: &str, target: &str) -> Value {
        json!({"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
               "metadata": {"name": name, "namespace": "ns", "resourceVersion": "1"},
               "spec": {"targetRef": {"apiVersion": "flink.apache.org/v1beta1",
                                      "kind": "FlinkDeployment", "name": target},
                        "updatePolicy": {"updateMode": "Initial"},
                        "resourcePolicy": {"containerPolicies": [{
                            "containerName": "flink-main-container",
                            "controlledResources": ["cpu", "memory"]}]}}})
    }

    #[test]
    fn the_first_pass_judges_everything_then_a_change_only_its_partners() {
        let mut objects: Vec<Value> = (0..50).map(|i| fd(&format!("job-{i}"))).collect();
        objects.push(cpu_vpa("cpu", "job-3"));
        let view = ClusterView::from_objects(objects);
        let audit = Audit::default();
        let metrics = Metrics::new();
        let settings = RuleSettings {
            operator_rules: false,
            ..RuleSettings::default()
        };
        audit.changed(cluster::Change::Listed {
            kind: "FlinkDeployment",
        });
        assert_eq!(audit.judge_pending(&view, &settings, &metrics), 51);
        let text = metrics.encode().unwrap();
        assert!(
            text.contains(
                r#"kind="FlinkDeployment",name="job-3",rule="vpa.controls-cpu",severity="deny"} 1"#
            ),
            "{text}"
        );
        assert!(
            !text.contains(r#"name="job-4",rule="vpa.controls-cpu""#),
            "{text}"
        );
        let content = audit.report_content("ns").unwrap();
        let results = content["results"].as_array().unwrap();
        let failing: Vec<&str> = results
            .iter()
            .filter(|r| r["result"] == "fail")
            .map(|r| r["resources"][0]["name"].as_str().unwrap_or(""))
            .collect();
        assert!(failing.contains(&"job-3"), "{content}");
        assert!(!failing.contains(&"job-4"), "{content}");

        // The VPA moves from job-3 to job-4: the VPA and both deployments are judged,
        // nothing else.
        let moved = ClusterView::from_objects(
            (0..50)
                .map(|i| fd(&format!("job-{i}")))
                .chain([cpu_vpa("cpu", "job-4")]),
        );
        audit.changed(cluster::Change::Object {
            kind: "VerticalPodAutoscaler",
            namespace: "ns".into(),
            name: "cpu".into(),
        });
        assert_eq!(audit.judge_pending(&moved, &settings, &metrics), 3);
        let text = metrics.encode().unwrap();
        assert!(
            !text.contains(r#"name="job-3",rule="vpa.controls-cpu""#),
            "{text}"
        );
        assert!(
            text.contains(r#"name="job-4",rule="vpa.controls-cpu""#),
            "{text}"
        );
        assert!(audit.take_changed_namespaces().contains("ns"));
        assert_eq!(audit.judge_pending(&moved, &settings, &metrics), 0);
    }
}
