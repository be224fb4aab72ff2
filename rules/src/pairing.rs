//! The two-sided conditions: a FlinkDeployment paired with a VPA or an HPA that
//! reaches its TaskManagers. Each condition is one predicate here; the FlinkDeployment
//! rules and the VPA/HPA rules both call it, so a pairing refused from one side is
//! refused from the other (each side words its finding for its own object).

use crate::mode::AutoscalerState;
use crate::ownership::{self, Reach};
use serde_json::Value;

/// Whether a target reaches the TaskManagers (the FlinkDeployment's scale
/// subresource or its `<name>-taskmanager` Deployment), not the JobManager.
pub fn reaches_taskmanagers(reach: Reach) -> bool {
    matches!(reach, Reach::FlinkDeployment | Reach::TaskManagerDeployment)
}

/// `vpa.controls-cpu` (reported from both sides under that id): a VPA that
/// updates pods sizes TaskManager cpu while the autoscaler owns parallelism and
/// TaskManager count.
pub fn vpa_fights_cpu(autoscaler: AutoscalerState, vpa: &Value, reach: Reach) -> bool {
    autoscaler.enabled()
        && reaches_taskmanagers(reach)
        && ownership::vpa_update_mode(vpa) != "Off"
        && ownership::vpa_controlled_resources(vpa)
            .iter()
            .any(|r| r == "cpu")
}

/// `vpa.memory-tuning-conflict` (VPA side) / `autoscaler.memory-tuning-vpa-conflict`
/// (FlinkDeployment side): memory tuning owns TaskManager memory and the VPA controls
/// it too.
pub fn vpa_fights_memory_tuning(autoscaler: AutoscalerState, vpa: &Value, reach: Reach) -> bool {
    autoscaler.memory_tuning && reaches_taskmanagers(reach) && ownership::vpa_controls_memory(vpa)
}

/// `hpa.autoscaler-conflict` (HPA side) / `autoscaler.hpa-conflict` (FlinkDeployment
/// side): an HPA sets TaskManager replicas the autoscaler owns.
pub fn hpa_fights_autoscaler(autoscaler: AutoscalerState, reach: Reach) -> bool {
    autoscaler.enabled() && reaches_taskmanagers(reach)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mode::AutoscalerMode;
    use serde_json::json;

    const ON: AutoscalerState = AutoscalerState {
        mode: AutoscalerMode::On,
        memory_tuning: false,
    };
    const TUNED: AutoscalerState = AutoscalerState {
        mode: AutoscalerMode::On,
        memory_tuning: true,
    };
    const OFF: AutoscalerState = AutoscalerState {
        mode: AutoscalerMode::Off,
        memory_tuning: false,
    };

    fn vpa(mode: &str, resources: Option<Value>) -> Value {
        let mut policy = json!({"containerName": "flink-main-container"});
        if let Some(r) = resources {
            policy["controlledResources"] = r;
        }
        json!({"spec": {"updatePolicy": {"updateMode": mode},
                        "resourcePolicy": {"containerPolicies": [policy]}}})
    }

    #[test]
    fn cpu_needs_an_updating_vpa_on_taskmanagers_of_an_enabled_autoscaler() {
        let both = vpa("Auto", None);
        assert!(vpa_fights_cpu(ON, &both, Reach::FlinkDeployment));
        assert!(vpa_fights_cpu(ON, &both, Reach::TaskManagerDeployment));
        assert!(!vpa_fights_cpu(ON, &both, Reach::JobManagerDeployment));
        assert!(!vpa_fights_cpu(OFF, &both, Reach::FlinkDeployment));
        assert!(!vpa_fights_cpu(
            ON,
            &vpa("Off", None),
            Reach::FlinkDeployment
        ));
        let memory = vpa("Auto", Some(json!(["memory"])));
        assert!(!vpa_fights_cpu(ON, &memory, Reach::FlinkDeployment));
    }

    #[test]
    fn memory_tuning_needs_a_vpa_controlling_memory() {
        let memory = vpa("Initial", Some(json!(["memory"])));
        assert!(vpa_fights_memory_tuning(
            TUNED,
            &memory,
            Reach::FlinkDeployment
        ));
        assert!(!vpa_fights_memory_tuning(
            ON,
            &memory,
            Reach::FlinkDeployment
        ));
        let cpu = vpa("Initial", Some(json!(["cpu"])));
        assert!(!vpa_fights_memory_tuning(
            TUNED,
            &cpu,
            Reach::FlinkDeployment
        ));
        assert!(!vpa_fights_memory_tuning(
            TUNED,
            &memory,
            Reach::JobManagerDeployment
        ));
    }

    #[test]
    fn hpa_conflicts_with_an_enabled_autoscaler_on_taskmanagers() {
        assert!(hpa_fights_autoscaler(ON, Reach::TaskManagerDeployment));
        assert!(!hpa_fights_autoscaler(ON, Reach::JobManagerDeployment));
        assert!(!hpa_fights_autoscaler(OFF, Reach::FlinkDeployment));
    }
}
