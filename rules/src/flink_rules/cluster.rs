//! `autoscaler.hpa-conflict`, `autoscaler.memory-tuning-vpa-conflict` and the
//! FlinkDeployment side of `vpa.controls-cpu`: the pairings with HPAs and VPAs seen
//! from the FlinkDeployment. The conditions are [`crate::pairing`]'s, shared with the
//! VPA and HPA rules.

use super::subject::Subject;
use crate::catalogue::RuleId;
use crate::cluster::ClusterState;
use crate::finding::{Finding, Severity};
use crate::object;
use crate::options::keys::{ENABLED, MEMORY_TUNING};
use crate::ownership;
use crate::pairing;

pub(super) fn cluster_rules(
    subject: &Subject<'_>,
    cluster: &dyn ClusterState,
    out: &mut Vec<Finding>,
) {
    let Some(fd_name) = subject.cluster_name.as_deref() else {
        return;
    };
    let eff = &subject.effective;
    let Some(enabled) = eff.get(ENABLED) else {
        return;
    };
    let ns = subject.namespace;
    for hpa in ownership::targeting_taskmanagers(fd_name, |k, n| cluster.hpas_targeting(ns, k, n)) {
        let target = ownership::hpa_target(&hpa);
        if let Some(reach) = ownership::reach(target, fd_name)
            && pairing::hpa_fights_autoscaler(subject.autoscaler, reach)
        {
            out.push(Finding::new(
                RuleId::HpaConflict,
                Severity::Deny,
                enabled.path(),
                enabled.raw.as_deref().map(str::to_string),
                format!(
                    "HorizontalPodAutoscaler {}/{} scales {} while the Flink autoscaler owns \
                     parallelism and TaskManager replicas",
                    subject.namespace,
                    object::name(&hpa),
                    ownership::target_label(target)
                ),
                "delete the HPA, or turn the Flink autoscaler off",
            ));
        }
    }
    // A VPA that sizes TaskManager cpu fights the autoscaler once it is switched on.
    let vpas = ownership::targeting_taskmanagers(fd_name, |k, n| cluster.vpas_targeting(ns, k, n));
    for vpa in &vpas {
        let target = ownership::vpa_target(vpa);
        if let Some(reach) = ownership::reach(target, fd_name)
            && pairing::vpa_fights_cpu(subject.autoscaler, vpa, reach)
        {
            out.push(Finding::new(
                RuleId::VpaControlsCpu,
                Severity::Deny,
                enabled.path(),
                enabled.raw.as_deref().map(str::to_string),
                format!(
                    "VerticalPodAutoscaler {}/{} controls TaskManager cpu (target {}), which \
                     fights the Flink autoscaler's parallelism decisions",
                    subject.namespace,
                    object::name(vpa),
                    ownership::target_label(target)
                ),
                "set the VPA's controlledResources to [memory] first",
            ));
        }
    }
    if let Some(tuning) = eff.get(MEMORY_TUNING) {
        for vpa in &vpas {
            let target = ownership::vpa_target(vpa);
            if let Some(reach) = ownership::reach(target, fd_name)
                && pairing::vpa_fights_memory_tuning(subject.autoscaler, vpa, reach)
            {
                out.push(Finding::new(
                    RuleId::MemoryTuningVpaConflict,
                    Severity::Deny,
                    tuning.path(),
                    tuning.raw.as_deref().map(str::to_string),
                    format!(
                        "memory tuning owns TaskManager memory, but VerticalPodAutoscaler {}/{} \
                         also controls it (target {})",
                        subject.namespace,
                        object::name(vpa),
                        ownership::target_label(target)
                    ),
                    "turn memory tuning off, or set the VPA's controlledResources to [] / mode Off \
                     for flink-main-container",
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::flink_rules::tests::*;

    fn hpa(target_kind: &str, target_api: &str, target: &str) -> Value {
        json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
               "metadata": {"name": "tm-hpa", "namespace": "flink"},
               "spec": {"minReplicas": 1, "maxReplicas": 3,
                        "scaleTargetRef": {"apiVersion": target_api, "kind": target_kind, "name": target}}})
    }

    fn vpa(target_kind: &str, target_api: &str, target: &str, policies: Value) -> Value {
        json!({"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
               "metadata": {"name": "tm-vpa", "namespace": "flink"},
               "spec": {"targetRef": {"apiVersion": target_api, "kind": target_kind, "name": target},
                        "updatePolicy": {"updateMode": "Initial"},
                        "resourcePolicy": {"containerPolicies": policies}}})
    }

    #[test]
    fn an_hpa_on_the_deployment_or_its_taskmanagers_is_a_conflict() {
        let object = deployment(json!({}));
        for h in [
            hpa("FlinkDeployment", "flink.apache.org/v1beta1", "orders"),
            hpa("Deployment", "apps/v1", "orders-taskmanager"),
        ] {
            let cluster = ObjectSet::new(vec![object.clone(), h], "flink");
            let fs = findings_with(&object, Some(&cluster));
            let hit = fs
                .iter()
                .find(|f| f.rule == RuleId::HpaConflict)
                .expect("conflict");
            assert_eq!(hit.severity, Severity::Deny);
            assert!(
                hit.message.contains("HorizontalPodAutoscaler flink/tm-hpa"),
                "{}",
                hit.message
            );
        }
        let other = hpa("FlinkDeployment", "flink.apache.org/v1beta1", "payments");
        let cluster = ObjectSet::new(vec![object.clone(), other], "flink");
        assert!(of_rule(&findings_with(&object, Some(&cluster)), RuleId::HpaConflict).is_empty());
    }

    #[test]
    fn memory_tuning_conflicts_with_a_vpa_on_memory() {
        let object = deployment(json!({"job.autoscaler.memory.tuning.enabled": "true"}));
        let memory = vpa(
            "FlinkDeployment",
            "flink.apache.org/v1beta1",
            "orders",
            json!([{"containerName": "flink-main-container", "controlledResources": ["memory"]}]),
        );
        let cluster = ObjectSet::new(vec![memory], "flink");
        let fs = findings_with(&object, Some(&cluster));
        assert_eq!(
            of_rule(&fs, RuleId::MemoryTuningVpaConflict),
            vec![(Severity::Deny, path("job.autoscaler.memory.tuning.enabled"))]
        );
        let cpu_only = vpa(
            "FlinkDeployment",
            "flink.apache.org/v1beta1",
            "orders",
            json!([{"containerName": "*", "controlledResources": ["cpu"]}]),
        );
        let cluster = ObjectSet::new(vec![cpu_only], "flink");
        assert!(
            of_rule(
                &findings_with(&object, Some(&cluster)),
                RuleId::MemoryTuningVpaConflict
            )
            .is_empty()
        );
        // Without memory tuning the same memory VPA is the intended split.
        let plain = deployment(json!({}));
        let memory = vpa(
            "FlinkDeployment",
            "flink.apache.org/v1beta1",
            "orders",
            json!([]),
        );
        let cluster = ObjectSet::new(vec![memory], "flink");
        assert!(
            of_rule(
                &findings_with(&plain, Some(&cluster)),
                RuleId::MemoryTuningVpaConflict
            )
            .is_empty()
        );
    }
}
