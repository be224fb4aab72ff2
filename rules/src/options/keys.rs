//! The option keys the rules, `status` and `explain` read, written once. Each is the
//! current key of a row of the options table (checked by
//! `every_key_is_an_option_of_the_table`), so a key renamed in the table fails a test
//! instead of silently reading nothing.

macro_rules! keys {
    ($($name:ident = $key:literal,)*) => {
        $(#[doc = concat!("`", $key, "`")] pub const $name: &str = $key;)*

        /// Every key above, for the test against the table.
        pub const ALL: &[&str] = &[$($name,)*];
    };
}

keys! {
    ENABLED = "job.autoscaler.enabled",
    SCALING_ENABLED = "job.autoscaler.scaling.enabled",
    MEMORY_TUNING = "job.autoscaler.memory.tuning.enabled",
    MEMORY_TUNING_OVERHEAD = "job.autoscaler.memory.tuning.overhead",
    METRICS_WINDOW = "job.autoscaler.metrics.window",
    STABILIZATION = "job.autoscaler.stabilization.interval",
    SCALE_DOWN_INTERVAL = "job.autoscaler.scale-down.interval",
    EXCLUDED_PERIODS = "job.autoscaler.excluded.periods",
    TARGET = "job.autoscaler.utilization.target",
    BOUNDARY = "job.autoscaler.target.utilization.boundary",
    UTIL_MIN = "job.autoscaler.utilization.min",
    UTIL_MAX = "job.autoscaler.utilization.max",
    VERTEX_MIN = "job.autoscaler.vertex.min-parallelism",
    VERTEX_MAX = "job.autoscaler.vertex.max-parallelism",
    UP_FACTOR = "job.autoscaler.scale-up.max-factor",
    DOWN_FACTOR = "job.autoscaler.scale-down.max-factor",
    CATCH_UP = "job.autoscaler.catch-up.duration",
    RESTART = "job.autoscaler.restart.time",
    EVENT_INTERVAL = "job.autoscaler.scaling.event.interval",
    GC_PRESSURE = "job.autoscaler.memory.gc-pressure.threshold",
    HEAP_USAGE = "job.autoscaler.memory.heap-usage.threshold",
    EFFECTIVENESS = "job.autoscaler.scaling.effectiveness.detection.enabled",
    EFFECTIVENESS_THRESHOLD = "job.autoscaler.scaling.effectiveness.threshold",
    QUOTA_CPU = "job.autoscaler.quota.cpu",
    QUOTA_MEMORY = "job.autoscaler.quota.memory",
    EXCLUDE_IDS = "job.autoscaler.vertex.exclude.ids",
    ALIGNMENT_MODE = "job.autoscaler.scaling.parallelism-alignment.mode",
    ADJUST_MODE = "job.autoscaler.scaling.key-group.partitions.adjust.mode",
    TRACKING_ENABLED = "job.autoscaler.restart.time-tracking.enabled",
    TRACKING_LIMIT = "job.autoscaler.restart.time-tracking.limit",
    BACKLOG_THRESHOLD = "job.autoscaler.backlog-processing.lag-threshold",
    OBSERVED_SCALABILITY = "job.autoscaler.observed-scalability.enabled",
    OBSERVED_MIN_OBSERVATIONS = "job.autoscaler.observed-scalability.min-observations",
    OBSERVED_COEFFICIENT_MIN = "job.autoscaler.observed-scalability.coefficient-min",
}

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
