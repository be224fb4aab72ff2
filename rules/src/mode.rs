//! What a FlinkDeployment's autoscaler settings mean, worked out once: whether the
//! autoscaler is off, only advises, or rescales, and whether it tunes TaskManager
//! memory. Every rule, `kubectl flink status` and `kubectl flink explain` read it from
//! here, so they cannot disagree on it.

use crate::config::FlinkConfig;
use crate::effective::EffectiveConfig;
use crate::object::Pointer;
use crate::options::keys::{ENABLED, MEMORY_TUNING, SCALING_ENABLED};
use serde::Serialize;
use serde_json::Value;

/// The autoscaler's mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AutoscalerMode {
    /// `job.autoscaler.enabled: true`: it evaluates and rescales.
    On,
    /// Enabled with `job.autoscaler.scaling.enabled: false`: it evaluates and reports
    /// but does not rescale (it still owns parallelism: it may apply stored overrides).
    Advisor,
    /// `job.autoscaler.enabled` false or unset (or not a boolean: the default).
    Off,
}

impl AutoscalerMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AutoscalerMode::On => "on",
            AutoscalerMode::Advisor => "advisor",
            AutoscalerMode::Off => "off",
        }
    }
}

/// The autoscaler's switches of one FlinkDeployment, from its effective configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoscalerState {
    pub mode: AutoscalerMode,
    /// `job.autoscaler.memory.tuning.enabled` while the autoscaler is enabled: it then
    /// owns TaskManager memory.
    pub memory_tuning: bool,
}

impl AutoscalerState {
    /// From an effective configuration; a value that does not parse counts as the
    /// table's default (the `config.parse` rule reports it).
    pub fn of(effective: &EffectiveConfig) -> AutoscalerState {
        let enabled = effective.bool_or_default(ENABLED) == Some(true);
        let scaling = effective.bool_or_default(SCALING_ENABLED) != Some(false);
        let mode = match (enabled, scaling) {
            (false, _) => AutoscalerMode::Off,
            (true, true) => AutoscalerMode::On,
            (true, false) => AutoscalerMode::Advisor,
        };
        AutoscalerState {
            mode,
            memory_tuning: enabled && effective.bool_or_default(MEMORY_TUNING) == Some(true),
        }
    }

    /// Of a FlinkDeployment object (its own `spec.flinkConfiguration`); a
    /// configuration that cannot be read counts as empty.
    pub fn of_deployment(fd: &Value) -> AutoscalerState {
        let config = FlinkConfig::from_json(fd.at("/spec/flinkConfiguration")).unwrap_or_default();
        AutoscalerState::of(&EffectiveConfig::resolve(&config))
    }

    /// Enabled (on or advisor): it owns parallelism and TaskManager replicas.
    pub fn enabled(self) -> bool {
        self.mode != AutoscalerMode::Off
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn state(conf: Value) -> AutoscalerState {
        AutoscalerState::of_deployment(&json!({"spec": {"flinkConfiguration": conf}}))
    }

    #[test]
    fn modes_follow_enabled_and_scaling() {
        assert_eq!(state(json!({})).mode, AutoscalerMode::Off);
        assert_eq!(
            state(json!({"job.autoscaler.enabled": "true"})).mode,
            AutoscalerMode::On
        );
        let advisor = state(json!({"job.autoscaler": {"enabled": true, "scaling.enabled": false}}));
        assert_eq!(advisor.mode, AutoscalerMode::Advisor);
        assert!(advisor.enabled());
        // The old prefix is read as a fallback.
        assert_eq!(
            state(json!({"kubernetes.operator.job.autoscaler.enabled": "true"})).mode,
            AutoscalerMode::On
        );
        // Not a boolean: the default (off), as the operator fails to read it.
        assert_eq!(
            state(json!({"job.autoscaler.enabled": "yes"})).mode,
            AutoscalerMode::Off
        );
    }

    #[test]
    fn memory_tuning_counts_only_while_enabled() {
        let tuned = json!({"job.autoscaler.enabled": "true",
                           "job.autoscaler.memory.tuning.enabled": "true"});
        assert!(state(tuned).memory_tuning);
        assert!(!state(json!({"job.autoscaler.memory.tuning.enabled": "true"})).memory_tuning);
        assert_eq!(
            serde_json::to_value(state(json!({}))).ok(),
            Some(json!({"mode": "off", "memoryTuning": false}))
        );
    }
}
