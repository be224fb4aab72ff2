//! The autoscaler settings the explanation reasons with, read from the rules crate's
//! effective configuration (so alias and old-prefix keys count, and defaults are the
//! operator's). A value that does not parse falls back to the default: the rules'
//! `config.parse` finding reports it.

use super::settings::{Alignment, Settings};
use flink_autoscale_rules::config::FlinkConfig;
use flink_autoscale_rules::effective::EffectiveConfig;
use flink_autoscale_rules::values;
use std::time::Duration;

pub const ENABLED: &str = "job.autoscaler.enabled";
pub const SCALING_ENABLED: &str = "job.autoscaler.scaling.enabled";
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
pub const QUOTA_CPU: &str = "job.autoscaler.quota.cpu";
pub const QUOTA_MEMORY: &str = "job.autoscaler.quota.memory";
pub const EXCLUDE_IDS: &str = "job.autoscaler.vertex.exclude.ids";
pub const PIPELINE_MAX: &str = "pipeline.max-parallelism";
pub const ALIGNMENT_MODE: &str = "job.autoscaler.scaling.parallelism-alignment.mode";
pub const ADJUST_MODE: &str = "job.autoscaler.scaling.key-group.partitions.adjust.mode";
pub const TRACKING_ENABLED: &str = "job.autoscaler.restart.time-tracking.enabled";
pub const TRACKING_LIMIT: &str = "job.autoscaler.restart.time-tracking.limit";
pub const BACKLOG_THRESHOLD: &str = "job.autoscaler.backlog-processing.lag-threshold";
pub const EFFECTIVENESS_THRESHOLD: &str = "job.autoscaler.scaling.effectiveness.threshold";
pub const OBSERVED_SCALABILITY: &str = "job.autoscaler.observed-scalability.enabled";
pub const OBSERVED_MIN_OBSERVATIONS: &str = "job.autoscaler.observed-scalability.min-observations";
pub const OBSERVED_COEFFICIENT_MIN: &str = "job.autoscaler.observed-scalability.coefficient-min";
pub const SLOTS: &str = "taskmanager.numberOfTaskSlots";

/// The options the explanation shows, in this order.
pub const SHOWN: &[&str] = &[
    ENABLED,
    SCALING_ENABLED,
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
    QUOTA_CPU,
    QUOTA_MEMORY,
    EXCLUDE_IDS,
    ALIGNMENT_MODE,
    ADJUST_MODE,
    TRACKING_ENABLED,
    TRACKING_LIMIT,
    BACKLOG_THRESHOLD,
];

/// A utilization bound and where it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    pub value: f64,
    pub from: String,
}

/// `ParallelismAligner#resolve`: `scaling.parallelism-alignment.mode` by name when
/// set (an unknown name is a custom mode; without its plugin the operator falls back
/// to BALANCED), else the deprecated `scaling.key-group.partitions.adjust.mode` when
/// set (blocking), else BALANCED.
fn alignment(effective: &EffectiveConfig) -> Alignment {
    let set = |key| {
        effective
            .get(key)
            .filter(|s| s.is_set())
            .and_then(|s| s.raw.clone())
            .map(|raw| raw.trim().to_string())
    };
    if let Some(mode) = set(ALIGNMENT_MODE) {
        return match mode.as_str() {
            "EVENLY_SPREAD" => Alignment::EvenlySpread,
            "OFF" => Alignment::Off,
            _ => Alignment::Balanced,
        };
    }
    match set(ADJUST_MODE).as_deref() {
        Some("MAXIMIZE_UTILISATION") => Alignment::LegacyMaximizeUtilisation,
        Some(_) => Alignment::LegacyEvenlySpread,
        None => Alignment::Balanced,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Knobs {
    pub enabled: bool,
    pub scaling_enabled: bool,
    pub window: Duration,
    pub stabilization: Duration,
    pub scale_down_interval: Duration,
    pub excluded_periods: Vec<String>,
    pub target: f64,
    pub boundary: f64,
    pub util_min: Option<f64>,
    pub util_max: Option<f64>,
    pub vertex_min: i64,
    pub vertex_max: i64,
    /// `pipeline.max-parallelism`, the number of key groups, when set.
    pub pipeline_max: Option<i64>,
    pub up_factor: f64,
    pub down_factor: f64,
    pub catch_up: Duration,
    pub restart: Duration,
    pub event_interval: Duration,
    pub alignment: Alignment,
    pub tracking_enabled: bool,
    pub tracking_limit: Duration,
    pub backlog_threshold: Duration,
    pub effectiveness_detection: bool,
    pub effectiveness_threshold: f64,
    pub observed_scalability: bool,
    pub observed_min_observations: usize,
    pub observed_coefficient_min: f64,
    /// `taskmanager.numberOfTaskSlots` (Flink's default 1).
    pub slots: i64,
    /// `job.autoscaler.vertex.exclude.ids`.
    pub exclude_ids: Vec<String>,
}

impl Knobs {
    pub fn new(effective: &EffectiveConfig, config: &FlinkConfig) -> Knobs {
        let d = |key, default_secs| {
            effective
                .duration(key)
                .unwrap_or(Duration::from_secs(default_secs))
        };
        let list = |key| match effective.value(key) {
            Some(values::Value::List(items)) => items
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            _ => Vec::new(),
        };
        Knobs {
            enabled: effective.bool(ENABLED) == Some(true),
            scaling_enabled: effective.bool(SCALING_ENABLED) != Some(false),
            window: d(METRICS_WINDOW, 15 * 60),
            stabilization: d(STABILIZATION, 5 * 60),
            scale_down_interval: d(SCALE_DOWN_INTERVAL, 3600),
            excluded_periods: list(EXCLUDED_PERIODS),
            target: effective.f64(TARGET).unwrap_or(0.7),
            boundary: effective.f64(BOUNDARY).unwrap_or(0.3),
            util_min: effective.f64(UTIL_MIN),
            util_max: effective.f64(UTIL_MAX),
            vertex_min: effective.i64(VERTEX_MIN).unwrap_or(1),
            vertex_max: effective.i64(VERTEX_MAX).unwrap_or(200),
            pipeline_max: config
                .get(PIPELINE_MAX)
                .and_then(|e| values::parse_int(e.raw.as_deref()?).ok())
                .map(i64::from),
            up_factor: effective.f64(UP_FACTOR).unwrap_or(100_000.0),
            down_factor: effective.f64(DOWN_FACTOR).unwrap_or(0.6),
            catch_up: d(CATCH_UP, 30 * 60),
            restart: d(RESTART, 5 * 60),
            event_interval: d(EVENT_INTERVAL, 30 * 60),
            alignment: alignment(effective),
            tracking_enabled: effective.bool(TRACKING_ENABLED) == Some(true),
            tracking_limit: d(TRACKING_LIMIT, 15 * 60),
            backlog_threshold: d(BACKLOG_THRESHOLD, 5 * 60),
            effectiveness_detection: effective.bool(EFFECTIVENESS) == Some(true),
            effectiveness_threshold: effective.f64(EFFECTIVENESS_THRESHOLD).unwrap_or(0.1),
            observed_scalability: effective.bool(OBSERVED_SCALABILITY) == Some(true),
            observed_min_observations: effective
                .i64(OBSERVED_MIN_OBSERVATIONS)
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or(3),
            observed_coefficient_min: effective.f64(OBSERVED_COEFFICIENT_MIN).unwrap_or(0.5),
            slots: config
                .get(SLOTS)
                .and_then(|e| values::parse_int(e.raw.as_deref()?).ok())
                .map(i64::from)
                .filter(|s| *s > 0)
                .unwrap_or(1),
            exclude_ids: list(EXCLUDE_IDS),
        }
    }

    /// The settings of the operator's per-vertex computation.
    pub fn scaler(&self) -> Settings {
        Settings {
            target: self.target,
            boundary: self.boundary,
            util_min: self.util_min,
            util_max: self.util_max,
            up_factor: self.up_factor,
            down_factor: self.down_factor,
            vertex_min: self.vertex_min,
            vertex_max: self.vertex_max,
            catch_up: self.catch_up,
            alignment: self.alignment,
            scale_down_interval: self.scale_down_interval,
        }
    }

    /// The utilization above which the autoscaler scales up.
    pub fn upper(&self) -> Bound {
        match self.util_max {
            Some(v) => Bound {
                value: v,
                from: UTIL_MAX.into(),
            },
            None => Bound {
                value: self.target + self.boundary,
                from: format!(
                    "target {} + boundary {}",
                    super::text::ratio(self.target),
                    super::text::ratio(self.boundary)
                ),
            },
        }
    }

    /// The utilization below which it scales down.
    pub fn lower(&self) -> Bound {
        match self.util_min {
            Some(v) => Bound {
                value: v,
                from: UTIL_MIN.into(),
            },
            None => Bound {
                value: self.target - self.boundary,
                from: format!(
                    "target {} - boundary {}",
                    super::text::ratio(self.target),
                    super::text::ratio(self.boundary)
                ),
            },
        }
    }

    /// Where both bounds come from, in one phrase.
    pub fn bounds_from(&self) -> String {
        match (self.util_min, self.util_max) {
            (None, None) => format!(
                "target {} +/- boundary {}",
                super::text::ratio(self.target),
                super::text::ratio(self.boundary)
            ),
            _ => format!("{}; {}", self.lower().from, self.upper().from),
        }
    }

    /// The upper parallelism bound the configuration sets for a vertex, and which
    /// option sets it: `vertex.max-parallelism`, capped by `pipeline.max-parallelism`.
    pub fn max_parallelism(&self) -> (i64, &'static str) {
        match self.pipeline_max {
            Some(p) if p < self.vertex_max => (p, PIPELINE_MAX),
            _ => (self.vertex_max, VERTEX_MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn knobs(v: serde_json::Value) -> Knobs {
        let config = FlinkConfig::from_json(Some(&v)).unwrap();
        Knobs::new(&EffectiveConfig::resolve(&config), &config)
    }

    #[test]
    fn defaults_are_the_operators() {
        let k = knobs(json!({}));
        assert!(!k.enabled && k.scaling_enabled);
        assert_eq!(k.window, Duration::from_secs(900));
        assert_eq!(k.scale_down_interval, Duration::from_secs(3600));
        assert_eq!((k.target, k.boundary), (0.7, 0.3));
        assert!((k.upper().value - 1.0).abs() < 1e-9);
        assert_eq!(k.upper().from, "target 0.7 + boundary 0.3");
        assert_eq!(k.bounds_from(), "target 0.7 +/- boundary 0.3");
        assert_eq!(k.max_parallelism(), (200, VERTEX_MAX));
    }

    #[test]
    fn explicit_bounds_and_aliases() {
        let k = knobs(json!({
            "job.autoscaler": {"enabled": true, "utilization.max": 0.85, "utilization.min": 0.5,
                               "excluded.periods": "09:00-17:00;* * * ? * SAT"},
            "job.autoscaler.target.utilization": "0.6",
            "pipeline.max-parallelism": "24"
        }));
        assert!(k.enabled);
        assert_eq!(k.target, 0.6);
        assert_eq!(k.upper().from, UTIL_MAX);
        assert_eq!(k.lower().value, 0.5);
        assert_eq!(k.excluded_periods, ["09:00-17:00", "* * * ? * SAT"]);
        assert_eq!(k.max_parallelism(), (24, PIPELINE_MAX));
    }
}
