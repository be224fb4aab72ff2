//! The operator's scaling decision for one vertex, ported as pure functions so that
//! `explain` shows the steps the operator took, not a story fitted to the outcome
//! (deriving the "ideal" from `EXPECTED_PROCESSING_RATE`, which the operator computes
//! *after* deciding, made every ideal equal the result).
//!
//! Ported from the Flink Kubernetes Operator's `flink-autoscaler` module (commit
//! 6e9caeb4): `AutoScalerUtils#getTargetProcessingCapacity`,
//! `ScalingMetricEvaluator#computeProcessingRateThresholds`,
//! `JobVertexScaler#computeScaleTargetParallelism`, `JobVertexScaler#scale`,
//! `JobVertexScaler#detectBlockScaling`, `ParallelismAligner#align` /
//! `#firstAlignedInRegion` / `#relaxedDownwardFallback` / `#applyBlockingFallback`,
//! `BuiltInAlignmentMode`, `KeyGroupOrPartitionsAdjustMode` and
//! `ScalingTracking#getMaxRestartTimeOrDefault`. Java's int and long arithmetic is
//! kept where it changes a number (integer division, `Math.round`, `(int)` casts,
//! `Duration#toSeconds`).

use super::knobs;
pub use super::settings::{Alignment, Settings};
use super::text::java_double;
use serde::Serialize;
use std::time::Duration;

impl Alignment {
    /// The option that selected the mode and its value, as the user would write them.
    pub fn setting(self) -> (&'static str, &'static str) {
        match self {
            Alignment::Balanced => (knobs::ALIGNMENT_MODE, "BALANCED"),
            Alignment::EvenlySpread => (knobs::ALIGNMENT_MODE, "EVENLY_SPREAD"),
            Alignment::Off => (knobs::ALIGNMENT_MODE, "OFF"),
            Alignment::LegacyEvenlySpread => (knobs::ADJUST_MODE, "EVENLY_SPREAD"),
            Alignment::LegacyMaximizeUtilisation => (knobs::ADJUST_MODE, "MAXIMIZE_UTILISATION"),
        }
    }
}

/// What the operator evaluated for the vertex (`EvaluatedScalingMetric`s).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Inputs {
    /// PARALLELISM.
    pub current: i64,
    /// TRUE_PROCESSING_RATE (average).
    pub true_processing_rate: f64,
    /// TARGET_DATA_RATE (average).
    pub target_data_rate: f64,
    /// CATCH_UP_DATA_RATE (current).
    pub catch_up_data_rate: f64,
    /// MAX_PARALLELISM: the vertex's key groups.
    pub max_parallelism: i64,
    /// NUM_SOURCE_PARTITIONS (0 when not a source with known partitions).
    pub source_partitions: i64,
    /// Whether an input of the vertex is a keyBy (HASH) edge: alignment applies to
    /// such vertices and to sources with partitions (`ParallelismAlignmentMode#isApplicable`).
    pub keyed: bool,
    /// Whether a source processed backlog (`ScalingMetricEvaluator#isProcessingBacklog`).
    pub backlog: bool,
    /// The restart time in effect (`ScalingTracking#getMaxRestartTimeOrDefault`).
    pub restart: Duration,
    /// With `observed-scalability.enabled`, the coefficient the scale factor is divided
    /// by ([`observed_scaling_coefficient`]); 1 otherwise.
    pub scaling_coefficient: f64,
}

/// One step that changed the number, with the option that caused it. A capped scale
/// factor is shown as the parallelism it gives: `ceil(factor x current)` before and
/// after the cap.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub what: StepKind,
    #[serde(serialize_with = "java_double")]
    pub from: f64,
    #[serde(serialize_with = "java_double")]
    pub to: f64,
    /// The key of the option that caused it, when an option did.
    pub option: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepKind {
    /// The scale factor was capped by `scale-up.max-factor`.
    ScaleUpMaxFactor,
    /// The scale factor was raised to 1 - `scale-down.max-factor`.
    ScaleDownMaxFactor,
    /// Raised to `vertex.min-parallelism`.
    MinParallelism,
    /// Capped at `vertex.max-parallelism`.
    MaxParallelism,
    /// Capped at the vertex's max parallelism (its key groups).
    KeyGroupsCap,
    /// Aligned to the key groups.
    KeyGroupAlignment,
    /// Aligned to the source partitions.
    SourcePartitionAlignment,
    /// No aligned value kept the direction: kept the current parallelism (`ScalingLimited`).
    ScalingLimited,
    /// The highest recommendation within `scale-down.interval` applied
    /// (`DelayedScaleDown#getMaxRecommendedParallelism`).
    ScaleDownInterval,
    /// The scale factor divided by the observed scaling coefficient
    /// (`observed-scalability.enabled`).
    ObservedScalability,
    /// Not applied: no vertex of the job is outside its utilization bounds
    /// (`ScalingExecutor#computeScalingSummary`).
    WithinBounds,
}

/// The operator's computation for a vertex, every intermediate number kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Computation {
    /// The utilization bounds in effect (100% / 0% while processing backlog).
    #[serde(serialize_with = "java_double")]
    pub upper_utilization: f64,
    #[serde(serialize_with = "java_double")]
    pub lower_utilization: f64,
    #[serde(serialize_with = "java_double")]
    pub scale_up_threshold: f64,
    #[serde(serialize_with = "java_double")]
    pub scale_down_threshold: f64,
    /// The restart time the capacity counted, in seconds.
    pub restart_seconds: i64,
    #[serde(serialize_with = "java_double")]
    pub target_capacity: f64,
    #[serde(serialize_with = "java_double")]
    pub scale_factor: f64,
    #[serde(serialize_with = "java_double")]
    pub capped_scale_factor: f64,
    /// ceil(capped factor x current), before the bounds.
    pub raw_parallelism: i64,
    /// After min/max parallelism and key groups, before alignment.
    pub before_alignment: i64,
    /// After alignment (or the blocking fallback).
    pub parallelism: i64,
    /// Whether the processing rate is outside the thresholds (the operator scales only
    /// when some vertex is).
    pub outside_bounds: bool,
    /// `(expected, actual)` of a `ScalingLimited` event the alignment emits.
    pub scaling_limited: Option<(i64, i64)>,
    pub steps: Vec<Step>,
}

/// Java's `Math.round(double)`: half up, NaN to 0, saturating at the long range.
#[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
pub fn java_round(x: f64) -> f64 {
    if x.is_nan() {
        return 0.0;
    }
    let r = (x + 0.5).floor();
    r.clamp(i64::MIN as f64, i64::MAX as f64)
}

/// Java's `(int)` cast of a double: truncation toward zero, NaN to 0, saturating.
#[allow(clippy::cast_possible_truncation)]
fn java_int(x: f64) -> i64 {
    if x.is_nan() {
        0
    } else {
        x.trunc().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i64
    }
}

/// `AutoScalerUtils#getTargetProcessingCapacity`: lag catch-up + restart catch-up +
/// the input rate at the utilization, rounded (NaN when a rate is missing).
#[allow(clippy::cast_precision_loss)]
pub fn target_capacity(
    inputs: &Inputs,
    settings: &Settings,
    utilization: f64,
    with_restart: bool,
) -> f64 {
    let lag_rate = inputs.catch_up_data_rate;
    if lag_rate.is_nan() {
        return f64::NAN;
    }
    let catch_up_secs = settings.catch_up.as_secs() as f64;
    let utilization = utilization.clamp(0.0, 1.0);
    let input = inputs.target_data_rate;
    if input.is_nan() {
        return f64::NAN;
    }
    if utilization == 0.0 {
        return f64::INFINITY;
    }
    let restart_rate = if !with_restart || catch_up_secs == 0.0 {
        0.0
    } else {
        input * inputs.restart.as_secs() as f64 / catch_up_secs
    };
    java_round(lag_rate + restart_rate + input / utilization)
}

/// The utilization bounds `ScalingMetricEvaluator#computeProcessingRateThresholds` uses.
pub fn utilization_bounds(settings: &Settings, backlog: bool) -> (f64, f64) {
    if backlog {
        (1.0, 0.0)
    } else {
        (
            settings
                .util_max
                .unwrap_or(settings.target + settings.boundary),
            settings
                .util_min
                .unwrap_or(settings.target - settings.boundary),
        )
    }
}

/// `ParallelismAligner#numKeyGroupsOrPartitions`.
fn key_groups_or_partitions(inputs: &Inputs) -> i64 {
    if inputs.source_partitions <= 0 {
        inputs.max_parallelism
    } else {
        inputs.source_partitions
    }
}

/// `ParallelismAligner#firstAlignedInRegion`: 0 when none.
fn first_aligned_in_region(
    current: i64,
    target: i64,
    n: i64,
    max_parallelism: i64,
    upper_limit: i64,
    accept_load_reducing: bool,
) -> i64 {
    if target <= 0 || n <= 0 {
        return 0;
    }
    let upper_align = n.min(max_parallelism.min(upper_limit));
    let region_end = if target > current {
        upper_align
    } else {
        current.min(upper_align)
    };
    let mut p = target;
    while p <= region_end {
        if n % p == 0 || (accept_load_reducing && n / p < n / target) {
            return p;
        }
        p += 1;
    }
    0
}

/// `ParallelismAligner#relaxedDownwardFallback`.
fn relaxed_downward_fallback(target: i64, n: i64, lower_limit: i64) -> i64 {
    if target <= 0 || n <= 0 {
        return target.max(lower_limit);
    }
    let mut p = target;
    while p > 0 {
        if n / p > n / target {
            if n % p != 0 {
                p += 1;
            }
            break;
        }
        p -= 1;
    }
    p.max(lower_limit)
}

/// The alignment of `ParallelismAligner#align`; returns the parallelism and the
/// `(expected, actual)` of a ScalingLimited event, if one is emitted.
fn align(
    inputs: &Inputs,
    alignment: Alignment,
    new_parallelism: i64,
    lower_limit: i64,
    upper_limit: i64,
) -> (i64, Option<(i64, i64)>) {
    let current = inputs.current;
    if !(inputs.source_partitions > 0 || inputs.keyed) {
        return (new_parallelism, None);
    }
    let n = key_groups_or_partitions(inputs);
    let first = |accept| {
        first_aligned_in_region(
            current,
            new_parallelism,
            n,
            inputs.max_parallelism,
            upper_limit,
            accept,
        )
    };
    let keep = |aligned: i64| {
        if aligned > 0 {
            aligned
        } else {
            new_parallelism
        }
    };
    match alignment {
        Alignment::Off => (new_parallelism, None),
        Alignment::Balanced => (keep(first(true)), None),
        Alignment::EvenlySpread => (keep(first(false)), None),
        Alignment::LegacyEvenlySpread | Alignment::LegacyMaximizeUtilisation => {
            let maximize = alignment == Alignment::LegacyMaximizeUtilisation;
            let aligned = first(maximize);
            if aligned > 0 {
                return (aligned, None);
            }
            // `applyBlockingFallback`.
            let candidate = relaxed_downward_fallback(new_parallelism, n, lower_limit);
            let up = new_parallelism > current;
            if (up && candidate <= current) || (!up && candidate >= current) {
                (current, Some((new_parallelism, current)))
            } else if candidate != new_parallelism {
                (candidate, Some((new_parallelism, candidate)))
            } else {
                (candidate, None)
            }
        }
    }
}

/// `JobVertexScaler#scale`: `ceil(factor x current)` within `[lower_limit,
/// min(max parallelism, upper_limit)]`, then aligned (when it changes anything).
/// Returns the parallelism and the ScalingLimited `(expected, actual)` if emitted.
#[allow(clippy::cast_precision_loss)]
pub fn scale(
    inputs: &Inputs,
    alignment: Alignment,
    factor: f64,
    lower_limit: i64,
    upper_limit: i64,
) -> (i64, Option<(i64, i64)>) {
    let raw = java_int(
        (factor * inputs.current as f64)
            .ceil()
            .min(f64::from(i32::MAX)),
    );
    let upper_bound = inputs.max_parallelism.min(upper_limit);
    let bounded = raw.max(lower_limit).min(upper_bound);
    if bounded == inputs.current {
        return (bounded, None);
    }
    align(inputs, alignment, bounded, lower_limit, upper_limit)
}

/// `JobVertexScaler#computeScaleTargetParallelism` up to the block checks, with
/// `ScalingMetricEvaluator#computeProcessingRateThresholds` for the thresholds. `None`
/// when the rates the operator needs are missing (it keeps the parallelism then).
#[allow(clippy::cast_precision_loss, clippy::too_many_lines)]
pub fn compute(inputs: &Inputs, settings: &Settings) -> Option<Computation> {
    let tpr = inputs.true_processing_rate;
    if tpr.is_nan() || inputs.current <= 0 {
        return None;
    }
    let (upper, lower) = utilization_bounds(settings, inputs.backlog);
    let scale_up_threshold = target_capacity(inputs, settings, upper, false);
    let scale_down_threshold = target_capacity(inputs, settings, lower, true);
    let capacity = target_capacity(inputs, settings, settings.target, true);
    if capacity.is_nan() {
        return None;
    }
    let mut steps = Vec::new();
    let current = inputs.current;
    let ceil_times = |f: f64| java_int((f * current as f64).ceil().min(f64::from(i32::MAX)));
    let mut factor = capacity / tpr;
    if inputs.scaling_coefficient != 1.0 {
        let scaled = factor / inputs.scaling_coefficient;
        steps.push(Step {
            what: StepKind::ObservedScalability,
            from: ceil_times(factor) as f64,
            to: ceil_times(scaled) as f64,
            option: Some(knobs::OBSERVED_SCALABILITY.into()),
        });
        factor = scaled;
    }
    let min_factor = 1.0 - settings.down_factor;
    let max_factor = 1.0 + settings.up_factor;
    // A capped factor is shown as the parallelism it gives, before and after.
    let capped = if factor < min_factor {
        steps.push(Step {
            what: StepKind::ScaleDownMaxFactor,
            from: ceil_times(factor) as f64,
            to: ceil_times(min_factor) as f64,
            option: Some(knobs::DOWN_FACTOR.into()),
        });
        min_factor
    } else if factor > max_factor {
        steps.push(Step {
            what: StepKind::ScaleUpMaxFactor,
            from: ceil_times(factor) as f64,
            to: ceil_times(max_factor) as f64,
            option: Some(knobs::UP_FACTOR.into()),
        });
        max_factor
    } else {
        factor
    };
    let lower_limit = current.min(settings.vertex_min);
    let upper_limit = current.max(settings.vertex_max);
    let raw = ceil_times(capped);
    let upper_bound = inputs.max_parallelism.min(upper_limit);
    let mut bounded = raw;
    if bounded < lower_limit {
        steps.push(Step {
            what: StepKind::MinParallelism,
            from: bounded as f64,
            to: lower_limit as f64,
            option: Some(knobs::VERTEX_MIN.into()),
        });
        bounded = lower_limit;
    }
    if bounded > upper_bound {
        let by_key_groups = inputs.max_parallelism < upper_limit;
        steps.push(Step {
            what: if by_key_groups {
                StepKind::KeyGroupsCap
            } else {
                StepKind::MaxParallelism
            },
            from: bounded as f64,
            to: upper_bound as f64,
            option: Some(if by_key_groups {
                knobs::PIPELINE_MAX.into()
            } else {
                knobs::VERTEX_MAX.into()
            }),
        });
        bounded = upper_bound;
    }
    // The same bounds and alignment, as `JobVertexScaler#scale` applies them.
    let (parallelism, scaling_limited) =
        scale(inputs, settings.alignment, capped, lower_limit, upper_limit);
    if parallelism != bounded {
        let (key, _) = settings.alignment.setting();
        let what = match (scaling_limited, parallelism == current) {
            (Some(_), true) => StepKind::ScalingLimited,
            _ if inputs.source_partitions > 0 => StepKind::SourcePartitionAlignment,
            _ => StepKind::KeyGroupAlignment,
        };
        steps.push(Step {
            what,
            from: bounded as f64,
            to: parallelism as f64,
            option: Some(key.to_string()),
        });
    }
    Some(Computation {
        upper_utilization: upper,
        lower_utilization: lower,
        scale_up_threshold,
        scale_down_threshold,
        restart_seconds: i64::try_from(inputs.restart.as_secs()).unwrap_or(i64::MAX),
        target_capacity: capacity,
        scale_factor: factor,
        capped_scale_factor: capped,
        raw_parallelism: raw,
        before_alignment: bounded,
        parallelism,
        outside_bounds: tpr < scale_up_threshold || tpr > scale_down_threshold,
        scaling_limited,
        steps,
    })
}

/// `ScalingTracking#getMaxRestartTimeOrDefault`: with `restart.time-tracking.enabled`,
/// the longest tracked restart (whole seconds) capped by `restart.time-tracking.limit`;
/// otherwise, or without a tracked restart, `restart.time`.
pub fn restart_time(
    tracked: impl IntoIterator<Item = Duration>,
    tracking_enabled: bool,
    restart: Duration,
    limit: Duration,
) -> Duration {
    if !tracking_enabled {
        return restart;
    }
    match tracked.into_iter().map(|d| d.as_secs()).max() {
        Some(max) => Duration::from_secs(max.min(limit.as_secs())),
        None => restart,
    }
}

/// `JobVertexScaler#calculateObservedScalingCoefficient` with
/// `AutoScalerUtils#computeBaselineProcessingRate` and
/// `#optimizeLinearScalingCoefficient`: over the vertex's history `(current
/// parallelism, TRUE_PROCESSING_RATE average)` in time order, the least-squares α of
/// `rate = baseline x α x parallelism`, clamped to `[coefficient_min, 1]` and rounded
/// up to two decimals; 1 with fewer than `min_observations` entries or a missing rate.
pub fn observed_scaling_coefficient(
    history: &[(f64, f64)],
    min_observations: usize,
    coefficient_min: f64,
) -> f64 {
    if history.is_empty() || history.len() < min_observations {
        return 1.0;
    }
    // The newest entry at parallelism 1, else the (newest) smallest parallelism.
    let mut smallest: Option<(f64, f64)> = None;
    let mut baseline = None;
    for &(p, rate) in history.iter().rev() {
        if p == 1.0 {
            baseline = Some(rate);
            break;
        }
        if smallest.is_none_or(|(sp, _)| p < sp) {
            smallest = Some((p, rate));
        }
    }
    let baseline = match (baseline, smallest) {
        (Some(b), _) => b,
        (None, Some((p, rate))) => rate / p,
        (None, None) => return 1.0,
    };
    if baseline.is_nan() || history.iter().any(|(_, r)| r.is_nan()) {
        return 1.0;
    }
    let (sum, squares) = history
        .iter()
        .fold((0.0, 0.0), |(s, q), &(p, r)| (s + p * r, q + p * p));
    let alpha = if squares == 0.0 {
        1.0
    } else {
        (sum / (squares * baseline)).min(1.0).max(coefficient_min)
    };
    // `BigDecimal.valueOf(alpha).setScale(2, RoundingMode.CEILING)`: on the decimal
    // form, so a value that is a whole number of hundredths stays.
    let hundredths = alpha * 100.0;
    if (hundredths - hundredths.round()).abs() < 1e-9 {
        hundredths.round() / 100.0
    } else {
        hundredths.ceil() / 100.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            target: 0.7,
            boundary: 0.3,
            util_min: None,
            util_max: None,
            up_factor: 100_000.0,
            down_factor: 0.6,
            vertex_min: 1,
            vertex_max: 200,
            catch_up: Duration::from_secs(1800),
            alignment: Alignment::Balanced,
            scale_down_interval: Duration::from_secs(3600),
        }
    }

    fn inputs(current: i64, tpr: f64, target: f64) -> Inputs {
        Inputs {
            current,
            true_processing_rate: tpr,
            target_data_rate: target,
            catch_up_data_rate: 0.0,
            max_parallelism: 128,
            source_partitions: 0,
            keyed: false,
            backlog: false,
            restart: Duration::ZERO,
            scaling_coefficient: 1.0,
        }
    }

    /// Hand-computed least squares: rates that grow less than linearly give a
    /// coefficient below 1; too few entries give 1.
    #[test]
    fn observed_scalability_coefficient() {
        // Baseline 100 rec/s per subtask (parallelism 1); 2 -> 180, 4 -> 320.
        let history = [(1.0, 100.0), (2.0, 180.0), (4.0, 320.0)];
        // (100 + 360 + 1280) / ((1 + 4 + 16) x 100) = 0.8286 -> 0.83.
        assert_eq!(observed_scaling_coefficient(&history, 3, 0.5), 0.83);
        assert_eq!(observed_scaling_coefficient(&history[..2], 3, 0.5), 1.0);
        assert_eq!(observed_scaling_coefficient(&history, 3, 0.9), 0.9);
        let mut i = inputs(4, 100.0, 70.0);
        i.scaling_coefficient = 0.5;
        let c = compute(&i, &settings()).unwrap();
        assert_eq!((c.scale_factor, c.parallelism), (2.0, 8));
        assert_eq!(c.steps[0].what, StepKind::ObservedScalability);
    }

    /// Hand-computed from `getTargetProcessingCapacity`: input 100 rec/s, lag
    /// catch-up 5 rec/s, restart 300 s over a 1800 s catch-up: 5 + 100*300/1800 + 100/0.7
    /// = 5 + 16.67 + 142.86 = 164.52, rounded half up to 165.
    #[test]
    fn target_capacity_counts_lag_restart_and_utilization() {
        let mut i = inputs(1, 100.0, 100.0);
        i.catch_up_data_rate = 5.0;
        i.restart = Duration::from_secs(300);
        let s = settings();
        assert_eq!(target_capacity(&i, &s, 0.7, true), 165.0);
        assert_eq!(target_capacity(&i, &s, 0.7, false), 148.0);
        assert_eq!(target_capacity(&i, &s, 0.0, true), f64::INFINITY);
        // Utilization is clamped to [0, 1].
        assert_eq!(target_capacity(&i, &s, 1.5, false), 105.0);
        i.catch_up_data_rate = f64::NAN;
        assert!(target_capacity(&i, &s, 0.7, true).is_nan());
    }

    /// `JobVertexScalerTest#testParallelismComputationWithAdjustment` (keyed input,
    /// the legacy EVENLY_SPREAD the test pins, then MAXIMIZE_UTILISATION), and
    /// `#testNumPartitionsAdjustment` (sources), each `assertEquals(expected,
    /// vertexScaler.scale(vertex, current, .., partitions, maxParallelism, factor,
    /// lower, upper, ..))` quoted as `(expected, current, partitions, max, factor,
    /// lower, upper)`.
    #[test]
    fn scale_as_the_operators_own_tests() {
        let max = i64::from(i32::MAX);
        type Case = (i64, i64, i64, i64, f64, i64, i64, Alignment);
        let cases: &[Case] = &[
            (6, 6, 0, 36, 0.8, 1, max, Alignment::LegacyEvenlySpread),
            (32, 16, 0, 128, 1.5, 1, max, Alignment::LegacyEvenlySpread),
            (360, 200, 0, 720, 1.3, 1, max, Alignment::LegacyEvenlySpread),
            (
                720,
                200,
                0,
                720,
                f64::from(i32::MAX),
                1,
                max,
                Alignment::LegacyEvenlySpread,
            ),
            (32, 10, 0, 128, 2.5, 1, max, Alignment::LegacyEvenlySpread),
            (
                26,
                10,
                0,
                128,
                2.5,
                1,
                128,
                Alignment::LegacyMaximizeUtilisation,
            ),
            (3, 6, 15, 128, 0.4, 1, max, Alignment::LegacyEvenlySpread),
            (15, 7, 15, 128, 1.2, 1, max, Alignment::LegacyEvenlySpread),
            (18, 20, 35, 30, 0.9, 1, max, Alignment::LegacyEvenlySpread),
            (22, 22, 35, 30, 1.1, 20, max, Alignment::LegacyEvenlySpread),
            (
                100,
                80,
                200,
                128,
                1.4,
                1,
                max,
                Alignment::LegacyEvenlySpread,
            ),
        ];
        for &(expected, current, partitions, max_parallelism, factor, lower, upper, mode) in cases {
            let mut i = inputs(current, 1.0, 1.0);
            i.keyed = true;
            i.source_partitions = partitions;
            i.max_parallelism = max_parallelism;
            assert_eq!(
                scale(&i, mode, factor, lower, upper).0,
                expected,
                "scale({current}, {partitions}, {max_parallelism}, {factor}, {lower}, {upper}) {mode:?}"
            );
        }
    }

    #[test]
    fn java_rounding_is_half_up() {
        assert_eq!(java_round(2.5), 3.0);
        assert_eq!(java_round(-2.5), -2.0);
        assert_eq!(java_round(f64::NAN), 0.0);
    }

    /// As in `JobVertexScalerTest#testParallelismScaling` (there at target 1.0 and
    /// 0.8), here at 0.7: parallelism 10 processing 100 rec/s with 70 rec/s input
    /// stays at 10; with 35 rec/s it halves; below 0.4 the down factor caps it.
    #[test]
    fn scale_factor_and_max_factors() {
        let s = settings();
        let c = compute(&inputs(10, 100.0, 70.0), &s).unwrap();
        assert_eq!((c.scale_factor, c.parallelism), (1.0, 10));
        let c = compute(&inputs(10, 100.0, 35.0), &s).unwrap();
        assert_eq!(c.parallelism, 5);
        assert!(c.steps.is_empty());
        let c = compute(&inputs(10, 100.0, 7.0), &s).unwrap();
        assert_eq!(c.capped_scale_factor, 1.0 - 0.6);
        assert_eq!(c.parallelism, 4);
        assert_eq!(c.steps[0].what, StepKind::ScaleDownMaxFactor);
        assert_eq!((c.steps[0].from, c.steps[0].to), (1.0, 4.0));
        assert_eq!(c.steps[0].option.as_deref(), Some(knobs::DOWN_FACTOR));
        let mut up = settings();
        up.up_factor = 0.5;
        let c = compute(&inputs(10, 100.0, 140.0), &up).unwrap();
        assert_eq!((c.scale_factor, c.capped_scale_factor), (2.0, 1.5));
        assert_eq!(c.parallelism, 15);
        assert_eq!(c.steps[0].what, StepKind::ScaleUpMaxFactor);
        assert_eq!((c.steps[0].from, c.steps[0].to), (20.0, 15.0));
    }

    /// `JobVertexScaler#scale`: bounded by vertex min/max and the key groups, where the
    /// current parallelism widens the limits.
    #[test]
    fn bounds_and_which_option_capped() {
        let mut s = settings();
        s.vertex_max = 32;
        let c = compute(&inputs(16, 100.0, 150.0), &s).unwrap();
        // 150/0.7 = 214.29 -> 214 / 100 = 2.14 -> ceil(34.24) = 35 -> 32.
        assert_eq!((c.raw_parallelism, c.parallelism), (35, 32));
        assert_eq!(c.steps[0].what, StepKind::MaxParallelism);
        let mut i = inputs(16, 100.0, 150.0);
        i.max_parallelism = 24;
        let c = compute(&i, &s).unwrap();
        assert_eq!(c.parallelism, 24);
        assert_eq!(c.steps[0].what, StepKind::KeyGroupsCap);
        s.vertex_min = 3;
        let c = compute(&inputs(4, 100.0, 7.0), &s).unwrap();
        assert_eq!(c.parallelism, 3);
        assert_eq!(c.steps.last().unwrap().what, StepKind::MinParallelism);
    }

    /// BALANCED (`BuiltInAlignmentMode`, the default): a keyed vertex with 128 key
    /// groups going from 1 to 7 lands on 8, the first value with fewer key groups per
    /// subtask (128/8 = 16 < 128/7 = 18).
    #[test]
    fn balanced_alignment_snaps_to_fewer_key_groups_per_subtask() {
        let s = settings();
        let mut i = inputs(1, 100.0, 490.0);
        i.keyed = true;
        let c = compute(&i, &s).unwrap();
        assert_eq!((c.before_alignment, c.parallelism), (7, 8));
        assert_eq!(c.steps[0].what, StepKind::KeyGroupAlignment);
        // Not keyed, not a source: no alignment.
        i.keyed = false;
        assert_eq!(compute(&i, &s).unwrap().parallelism, 7);
    }

    /// Scale-down in the within-range region: from 16 to a computed 9 with 128 key
    /// groups, EVENLY_SPREAD scans 9..=16 for a divisor and finds 16: no change. The
    /// legacy mode finds the same; BALANCED takes 10 (128/10 = 12 < 128/9 = 14).
    #[test]
    fn scale_down_alignment_by_mode() {
        let mut s = settings();
        let mut i = inputs(16, 100.0, 39.0);
        i.keyed = true;
        // 39/0.7 = 55.71 -> 56 / 100 = 0.56 -> ceil(8.96) = 9.
        s.alignment = Alignment::Balanced;
        assert_eq!(compute(&i, &s).unwrap().parallelism, 10);
        s.alignment = Alignment::EvenlySpread;
        assert_eq!(compute(&i, &s).unwrap().parallelism, 16);
        s.alignment = Alignment::Off;
        assert_eq!(compute(&i, &s).unwrap().parallelism, 9);
    }

    /// The deprecated blocking modes: a source with 36 partitions at 18 wanting 25
    /// finds no divisor of 36 in 25..=32 (`vertex.max-parallelism` 32), falls back
    /// downward to 18, which is no scale-up: kept at 18 with a ScalingLimited event
    /// (expected 25, actual 18), as in the example.
    #[test]
    fn legacy_evenly_spread_blocks_with_scaling_limited() {
        let mut s = settings();
        s.alignment = Alignment::LegacyEvenlySpread;
        s.vertex_max = 32;
        let mut i = inputs(18, 100.0, 0.0);
        i.source_partitions = 36;
        i.max_parallelism = 128;
        // 96/0.7 = 137.14 -> 137 rec/s; 1.37 x 18 = 24.66 -> 25.
        i.target_data_rate = 96.0;
        let c = compute(&i, &s).unwrap();
        assert_eq!(c.before_alignment, 25);
        assert_eq!(c.parallelism, 18);
        assert_eq!(c.scaling_limited, Some((25, 18)));
        assert_eq!(c.steps.last().unwrap().what, StepKind::ScalingLimited);
        // BALANCED never blocks: 36/p is 1 for every p in 25..=32, no load reduction,
        // so the computed target stays.
        s.alignment = Alignment::Balanced;
        let c = compute(&i, &s).unwrap();
        assert_eq!((c.parallelism, c.scaling_limited), (25, None));
    }

    /// While processing backlog the bounds are 100% / 0%: the scale-down threshold is
    /// infinite and the scale-up one the plain input rate plus the catch-up.
    #[test]
    fn backlog_bounds() {
        let s = settings();
        let mut i = inputs(4, 1000.0, 900.0);
        i.backlog = true;
        i.catch_up_data_rate = 100.0;
        let c = compute(&i, &s).unwrap();
        assert_eq!((c.upper_utilization, c.lower_utilization), (1.0, 0.0));
        assert_eq!(c.scale_up_threshold, 1000.0);
        assert_eq!(c.scale_down_threshold, f64::INFINITY);
        assert!(!c.outside_bounds);
    }

    #[test]
    fn restart_time_prefers_tracked_when_enabled() {
        let tracked = [Duration::from_millis(52_900), Duration::from_secs(61)];
        let five = Duration::from_secs(300);
        let limit = Duration::from_secs(900);
        assert_eq!(restart_time(tracked, false, five, limit), five);
        assert_eq!(
            restart_time(tracked, true, five, limit),
            Duration::from_secs(61)
        );
        assert_eq!(
            restart_time(tracked, true, five, Duration::from_secs(55)),
            Duration::from_secs(55)
        );
        assert_eq!(restart_time([], true, five, limit), five);
    }
}
