//! Rules for HorizontalPodAutoscalers: replica counts of Flink TaskManagers belong to
//! the Flink autoscaler when it is on.

use crate::catalogue::RuleId;
use crate::finding::{Finding, Severity};
use crate::input::ReviewInput;
use crate::mode::AutoscalerState;
use crate::ownership;
use crate::pairing;

pub fn check(input: &ReviewInput<'_>) -> Vec<Finding> {
    let target = ownership::hpa_target(input.object);
    let Some(ft) = ownership::flink_target(target, input.namespace, input.cluster) else {
        return Vec::new();
    };
    let Some(fd) = &ft.deployment else {
        return Vec::new();
    };
    if !pairing::hpa_fights_autoscaler(AutoscalerState::of_deployment(fd), ft.reach) {
        return Vec::new();
    }
    vec![Finding::new(
        RuleId::HpaAutoscalerConflict,
        Severity::Deny,
        "spec.scaleTargetRef",
        Some(ownership::target_label(target)),
        format!(
            "scales the TaskManagers of FlinkDeployment {}, whose Flink autoscaler \
             (job.autoscaler.enabled: true) owns parallelism and TaskManager replicas",
            ft.fd_name
        ),
        "delete this HPA and tune the Flink autoscaler instead, or set job.autoscaler.enabled: \
         false on the FlinkDeployment",
    )]
}
