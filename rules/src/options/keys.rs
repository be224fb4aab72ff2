//! The option keys the rules, `status` and `explain` read, written once. Each is the
//! current key of a row of the options table (checked by
//! `every_key_is_an_option_of_the_table`), so a key renamed in the table fails a test
//! instead of silently reading nothing.

pub const ENABLED: &str = "job.autoscaler.enabled";
pub const SCALING_ENABLED: &str = "job.autoscaler.scaling.enabled";
pub const MEMORY_TUNING: &str = "job.autoscaler.memory.tuning.enabled";
pub const MEMORY_TUNING_OVERHEAD: &str = "job.autoscaler.memory.tuning.overhead";
pub const METRICS_WINDOW: &str = "job.autoscaler.metrics.window";
pub const STABILIZATION: &str = "job.autoscaler.stabilization.interval";
pub const SCALE_DOWN_INTERVAL: &str = "job.autoscaler.scale-down.interval";
pub const EXCLUDED_PERIODS: &str = "job.autoscaler.excluded.periods";
pub const TARGET: &str = "job.autoscaler.utilization.target";
pub const BOUNDARY: &str = "job.autoscaler.target.utilization.boundary";
pub const UTIL_MIN: &str = "job.autoscaler.utilization.min";
pub const UTIL_MAX: &str = "job.autoscaler.utilization.max";
pub const VERTEX_MIN: &str = "job.autoscaler.vertex.min-parallelism";
pub const VERTEX_MAX: &str = "job.autoscaler.vertex.max-parallelism";
pub const UP_FACTOR: &str = "job.autoscaler.scale-up.max-factor";
pub const DOWN_FACTOR: &str = "job.autoscaler.scale-down.max-factor";
pub const CATCH_UP: &str = "job.autoscaler.catch-up.duration";
pub const RESTART: &str = "job.autoscaler.restart.time";
pub const EVENT_INTERVAL: &str = "job.autoscaler.scaling.event.interval";
pub const GC_PRESSURE: &str = "job.autoscaler.memory.gc-pressure.threshold";
pub const HEAP_USAGE: &str = "job.autoscaler.memory.heap-usage.threshold";
pub const EFFECTIVENESS: &str = "job.autoscaler.scaling.effectiveness.detection.enabled";
pub const EFFECTIVENESS_THRESHOLD: &str = "job.autoscaler.scaling.effectiveness.threshold";
pub const QUOTA_CPU: &str = "job.autoscaler.quota.cpu";
pub const QUOTA_MEMORY: &str = "job.autoscaler.quota.memory";
pub const EXCLUDE_IDS: &str = "job.autoscaler.vertex.exclude.ids";
pub const ALIGNMENT_MODE: &str = "job.autoscaler.scaling.parallelism-alignment.mode";
pub const ADJUST_MODE: &str = "job.autoscaler.scaling.key-group.partitions.adjust.mode";
pub const TRACKING_ENABLED: &str = "job.autoscaler.restart.time-tracking.enabled";
pub const TRACKING_LIMIT: &str = "job.autoscaler.restart.time-tracking.limit";
pub const BACKLOG_THRESHOLD: &str = "job.autoscaler.backlog-processing.lag-threshold";
pub const OBSERVED_SCALABILITY: &str = "job.autoscaler.observed-scalability.enabled";
pub const OBSERVED_MIN_OBSERVATIONS: &str = "job.autoscaler.observed-scalability.min-observations";
pub const OBSERVED_COEFFICIENT_MIN: &str = "job.autoscaler.observed-scalability.coefficient-min";

/// Every key above, for the test against the table.
pub const ALL: &[&str] = &[
    ENABLED,
    SCALING_ENABLED,
    MEMORY_TUNING,
    MEMORY_TUNING_OVERHEAD,
    METRICS_WINDOW,
    STABILIZATION,
    SCALE_DOWN_INTERVAL,
    EXCLUDED_PERIODS,
    TARGET,
    BOUNDARY,
    UTIL_MIN,
    UTIL_MAX,
    VERTEX_MIN,
    VERTEX_MAX,
    UP_FACTOR,
    DOWN_FACTOR,
    CATCH_UP,
    RESTART,
    EVENT_INTERVAL,
    GC_PRESSURE,
    HEAP_USAGE,
    EFFECTIVENESS,
    EFFECTIVENESS_THRESHOLD,
    QUOTA_CPU,
    QUOTA_MEMORY,
    EXCLUDE_IDS,
    ALIGNMENT_MODE,
    ADJUST_MODE,
    TRACKING_ENABLED,
    TRACKING_LIMIT,
    BACKLOG_THRESHOLD,
    OBSERVED_SCALABILITY,
    OBSERVED_MIN_OBSERVATIONS,
    OBSERVED_COEFFICIENT_MIN,
];

/// Flink options outside the autoscaler's table that the rules and the plugin read.
pub mod flink {
    pub const PIPELINE_MAX_PARALLELISM: &str = "pipeline.max-parallelism";
    pub const TASK_SLOTS: &str = "taskmanager.numberOfTaskSlots";
    pub const CHECKPOINT_INTERVAL: &str = "execution.checkpointing.interval";
    pub const SCHEDULER: &str = "jobmanager.scheduler";
    pub const PARALLELISM_OVERRIDES: &str = "pipeline.jobvertex-parallelism-overrides";
    pub const RECONCILE_INTERVAL: &str = "kubernetes.operator.reconcile.interval";
    /// `KubernetesOperatorConfigOptions.OPERATOR_RECONCILE_INTERVAL`'s deprecated key,
    /// read when the current one is absent.
    pub const RECONCILE_INTERVAL_DEPRECATED: &str =
        "kubernetes.operator.reconciler.reschedule.interval";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_an_option_of_the_table() {
        for key in ALL {
            assert!(
                super::super::get(key).is_some(),
                "{key} is not in the table"
            );
        }
    }
}
