//! The autoscaler settings the explanation reasons with, read from the rules crate's
//! effective configuration (so alias and old-prefix keys count, and defaults are the
//! operator's). A value that does not parse falls back to the default: the rules'
//! `config.parse` finding reports it.

use super::settings::{Alignment, Settings};
use flink_autoscale_rules::AutoscalerState;
use flink_autoscale_rules::config::FlinkConfig;
use flink_autoscale_rules::effective::EffectiveConfig;
use flink_autoscale_rules::{options, values};
use std::time::Duration;

// Option keys come from the rules crate, written once there.
pub use flink_autoscale_rules::options::keys::flink::{
    PIPELINE_MAX_PARALLELISM as PIPELINE_MAX, TASK_SLOTS as SLOTS,
};
pub use flink_autoscale_rules::options::keys::{
    ADJUST_MODE, ALIGNMENT_MODE, BACKLOG_THRESHOLD, BOUNDARY, CATCH_UP, DOWN_FACTOR, EFFECTIVENESS,
    EFFECTIVENESS_THRESHOLD, ENABLED, EVENT_INTERVAL, EXCLUDE_IDS, EXCLUDED_PERIODS, GC_PRESSURE,
    HEAP_USAGE, METRICS_WINDOW, OBSERVED_COEFFICIENT_MIN, OBSERVED_MIN_OBSERVATIONS,
    OBSERVED_SCALABILITY, QUOTA_CPU, QUOTA_MEMORY, RESTART, SCALE_DOWN_INTERVAL, SCALING_ENABLED,
    STABILIZATION, TARGET, TRACKING_ENABLED, TRACKING_LIMIT, UP_FACTOR, UTIL_MAX, UTIL_MIN,
    VERTEX_MAX, VERTEX_MIN,
};

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
        // Every default comes from the options table (`*_or_default`); the
        // `unwrap_or_default` fallbacks are for options without one, which these are not.
        let d = |key| effective.duration_or_default(key).unwrap_or_default();
        let f = |key| effective.f64_or_default(key).unwrap_or_default();
        let i = |key| effective.i64_or_default(key).unwrap_or_default();
        let on = |key| effective.bool_or_default(key).unwrap_or_default();
        let list = |key| match effective.value(key) {
            Some(values::Value::List(items)) => items
                .iter()
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            _ => Vec::new(),
        };
        Knobs {
            enabled: AutoscalerState::of(effective).enabled(),
            scaling_enabled: on(SCALING_ENABLED),
            window: d(METRICS_WINDOW),
            stabilization: d(STABILIZATION),
            scale_down_interval: d(SCALE_DOWN_INTERVAL),
            excluded_periods: list(EXCLUDED_PERIODS),
            target: f(TARGET),
            boundary: f(BOUNDARY),
            util_min: effective.f64(UTIL_MIN),
            util_max: effective.f64(UTIL_MAX),
            vertex_min: i(VERTEX_MIN),
            vertex_max: i(VERTEX_MAX),
            pipeline_max: config
                .get(PIPELINE_MAX)
                .and_then(|e| values::parse_int(e.raw.as_deref()?).ok())
                .map(i64::from),
            up_factor: f(UP_FACTOR),
            down_factor: f(DOWN_FACTOR),
            catch_up: d(CATCH_UP),
            restart: d(RESTART),
            event_interval: d(EVENT_INTERVAL),
            alignment: alignment(effective),
            tracking_enabled: on(TRACKING_ENABLED),
            tracking_limit: d(TRACKING_LIMIT),
            backlog_threshold: d(BACKLOG_THRESHOLD),
            effectiveness_detection: on(EFFECTIVENESS),
            effectiveness_threshold: f(EFFECTIVENESS_THRESHOLD),
            observed_scalability: on(OBSERVED_SCALABILITY),
            // A negative count is not a count: the default, as before.
            observed_min_observations: [
                effective.i64(OBSERVED_MIN_OBSERVATIONS),
                options::default_value(OBSERVED_MIN_OBSERVATIONS).and_then(|v| v.as_i64()),
            ]
            .into_iter()
            .flatten()
            .find_map(|n| usize::try_from(n).ok())
            .unwrap_or_default(),
            observed_coefficient_min: f(OBSERVED_COEFFICIENT_MIN),
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
