//! `autoscaler.utilization-range`, `autoscaler.boundary-disables-scaling` and
//! `autoscaler.thresholds`: the fractions the autoscaler compares load and memory with.

use super::subject::{NAN_STRICTER, deny, number, warn, within};
use crate::catalogue::RuleId;
use crate::effective::EffectiveConfig;
use crate::finding::Finding;
use crate::options::keys::{
    BOUNDARY, EFFECTIVENESS, EFFECTIVENESS_THRESHOLD, GC_PRESSURE, HEAP_USAGE, MEMORY_TUNING,
    MEMORY_TUNING_OVERHEAD, OBSERVED_COEFFICIENT_MIN, OBSERVED_SCALABILITY, TARGET, UTIL_MAX,
    UTIL_MIN,
};
use crate::text::num;

pub(super) fn utilization_rules(eff: &EffectiveConfig, out: &mut Vec<Finding>) {
    let target = number(eff, TARGET);
    let mut target_ok = None;
    // AutoscalerValidator.validateAutoscalerOptions: utilization.target in [0, 1].
    if let Some((s, t)) = target {
        if t.is_nan() {
            out.push(deny(
                RuleId::UtilizationRange,
                s,
                NAN_STRICTER,
                "set a fraction such as 0.7",
            ));
        } else if !within(t, 0.0, false, 1.0, false) {
            out.push(deny(
                RuleId::UtilizationRange,
                s,
                "must be in [0, 1] (AutoscalerValidator): the share of time a vertex should be busy",
                "set a fraction such as 0.7",
            ));
        } else {
            if t == 0.0 {
                out.push(warn(
                    RuleId::UtilizationRange,
                    s,
                    "0 is accepted by the operator but asks for vertices that are never busy: \
                     every vertex is scaled up to its maximum parallelism",
                    "set a fraction such as 0.7",
                ));
            }
            target_ok = Some(t);
        }
    }
    let t = target_ok;
    let max = number(eff, UTIL_MAX);
    if let Some((s, m)) = max {
        let lo = t.unwrap_or(0.0);
        if m.is_nan() {
            out.push(deny(
                RuleId::UtilizationRange,
                s,
                NAN_STRICTER,
                "raise it to at least the target, at most 1",
            ));
        } else if !within(m, lo, false, 1.0, false) {
            out.push(deny(
                RuleId::UtilizationRange,
                s,
                format!("must be in [utilization.target, 1] = [{}, 1]", num(lo)),
                "raise it to at least the target, at most 1",
            ));
        }
    }
    let min = number(eff, UTIL_MIN);
    if let Some((s, m)) = min {
        let hi = t.unwrap_or(1.0);
        if m.is_nan() {
            out.push(deny(
                RuleId::UtilizationRange,
                s,
                NAN_STRICTER,
                "lower it to at most the target",
            ));
        } else if !within(m, 0.0, false, hi, false) {
            out.push(deny(
                RuleId::UtilizationRange,
                s,
                format!("must be in [0, utilization.target] = [0, {}]", num(hi)),
                "lower it to at most the target",
            ));
        }
    }
    let boundary = number(eff, BOUNDARY);
    let mut boundary_ok = None;
    if let Some((s, b)) = boundary {
        if b.is_nan() {
            out.push(deny(
                RuleId::UtilizationRange,
                s,
                NAN_STRICTER,
                "set the tolerated distance from the target, e.g. 0.1",
            ));
        } else if b >= 0.0 {
            boundary_ok = Some((s, b));
        } else {
            out.push(deny(
                RuleId::UtilizationRange,
                s,
                "must be >= 0 (AutoscalerValidator)",
                "set the tolerated distance from the target, e.g. 0.1",
            ));
        }
    }
    // What the boundary implies, when the explicit min/max do not override it.
    let (Some(t), Some((bs, b))) = (t, boundary_ok) else {
        return;
    };
    if max.is_none() && t + b > 1.0 {
        out.push(warn(
            RuleId::BoundaryDisablesScaling,
            bs,
            format!(
                "target + boundary = {} + {} = {} > 1: a vertex would have to be busier than 100%, \
                 so load alone triggers a scale-up only while a source works off backlog \
                 (then the operator's upper bound is 100%)",
                num(t),
                num(b),
                num(t + b)
            ),
            format!(
                "keep target + boundary <= 1, e.g. boundary {}",
                num((1.0 - t).max(0.0))
            ),
        ));
    }
    if min.is_none() && t - b <= 0.0 {
        out.push(warn(
            RuleId::BoundaryDisablesScaling,
            bs,
            format!(
                "target - boundary = {} - {} = {} <= 0: utilization never falls below it, \
                 so the job never scales down",
                num(t),
                num(b),
                num(t - b)
            ),
            format!("keep target - boundary > 0, e.g. boundary {}", num(t / 2.0)),
        ));
    }
}

pub(super) fn threshold_rules(eff: &EffectiveConfig, out: &mut Vec<Finding>) {
    let fraction = |option: &str, what: &str, out: &mut Vec<Finding>| {
        if let Some((s, v)) = number(eff, option)
            && !within(v, 0.0, false, 1.0, false)
        {
            let problem = if v.is_nan() {
                NAN_STRICTER.to_string()
            } else {
                format!("must be in [0, 1] (AutoscalerValidator): {what}")
            };
            out.push(deny(
                RuleId::Thresholds,
                s,
                problem,
                "use a fraction, e.g. 0.9",
            ));
        }
    };
    fraction(
        GC_PRESSURE,
        "the share of time spent in GC above which scaling pauses",
        out,
    );
    fraction(
        HEAP_USAGE,
        "the heap usage ratio above which scaling pauses",
        out,
    );
    if eff.bool(MEMORY_TUNING) == Some(true) {
        fraction(
            MEMORY_TUNING_OVERHEAD,
            "the spare memory added to tuning decisions",
            out,
        );
    }
    if eff.bool(EFFECTIVENESS) == Some(true) {
        fraction(
            EFFECTIVENESS_THRESHOLD,
            "the share of the expected gain below which a scale-up counts as ineffective",
            out,
        );
    }
    if eff.bool(OBSERVED_SCALABILITY) == Some(true)
        && let Some((s, v)) = number(eff, OBSERVED_COEFFICIENT_MIN)
        && !within(v, 0.01, false, 1.0, false)
    {
        let problem = if v.is_nan() {
            NAN_STRICTER
        } else {
            "must be in [0.01, 1] (AutoscalerValidator): the lowest scalability coefficient the autoscaler assumes"
        };
        out.push(deny(RuleId::Thresholds, s, problem, "use e.g. 0.5"));
    }
}

#[cfg(test)]
mod tests {
    use crate::flink_rules::tests::*;

    #[test]
    fn utilization_target_max_min_and_boundary_ranges() {
        for (target, ok) in [
            ("0.7", true),
            ("1", true),
            ("0", false),
            ("1.5", false),
            ("-0.1", false),
            ("NaN", false),
        ] {
            let fs = findings(&deployment(
                json!({"job.autoscaler.utilization.target": target,
                                                  "job.autoscaler.target.utilization.boundary": "0"}),
            ));
            let hits = of_rule(&fs, RuleId::UtilizationRange);
            assert_eq!(hits.is_empty(), ok, "target {target}: {hits:?}");
        }
        let fs = findings(&deployment(json!({
            "job.autoscaler.utilization.target": "0.6",
            "job.autoscaler.utilization.max": "0.5",
            "job.autoscaler.utilization.min": "0.7",
            "job.autoscaler.target.utilization.boundary": "-0.1",
        })));
        let hits = of_rule(&fs, RuleId::UtilizationRange);
        assert_eq!(
            hits,
            vec![
                (
                    Severity::Deny,
                    path("job.autoscaler.target.utilization.boundary")
                ),
                (Severity::Deny, path("job.autoscaler.utilization.max")),
                (Severity::Deny, path("job.autoscaler.utilization.min")),
            ]
        );
        let ok = findings(&deployment(json!({
            "job.autoscaler.utilization.target": "0.6",
            "job.autoscaler.utilization.max": "0.8",
            "job.autoscaler.utilization.min": "0.3",
        })));
        assert!(of_rule(&ok, RuleId::UtilizationRange).is_empty());
    }

    #[test]
    fn boundary_that_disables_scaling_warns_with_the_arithmetic() {
        let up = findings(&deployment(json!({
            "job.autoscaler.utilization.target": "0.8",
            "job.autoscaler.target.utilization.boundary": "0.3",
        })));
        let hits: Vec<_> = up
            .iter()
            .filter(|f| f.rule == RuleId::BoundaryDisablesScaling)
            .collect();
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert!(
            hits[0].message.contains("0.8 + 0.3 = 1.1 > 1"),
            "{}",
            hits[0].message
        );
        let down = findings(&deployment(json!({
            "job.autoscaler.utilization.target": "0.2",
            "job.autoscaler.target.utilization.boundary": "0.3",
        })));
        let hits: Vec<_> = down
            .iter()
            .filter(|f| f.rule == RuleId::BoundaryDisablesScaling)
            .collect();
        assert_eq!(hits.len(), 1);
        assert!(hits[0].message.contains("never scales down"));
        // Explicit min/max replace target ± boundary.
        let overridden = findings(&deployment(json!({
            "job.autoscaler.utilization.target": "0.8",
            "job.autoscaler.target.utilization.boundary": "0.3",
            "job.autoscaler.utilization.max": "0.9",
        })));
        assert!(of_rule(&overridden, RuleId::BoundaryDisablesScaling).is_empty());
        // The default boundary (0.3) with a high target is flagged as a default.
        let default = findings(&deployment(
            json!({"job.autoscaler.utilization.target": "0.9"}),
        ));
        let hit = default
            .iter()
            .find(|f| f.rule == RuleId::BoundaryDisablesScaling)
            .expect("default boundary");
        assert!(hit.message.contains("(the default)"), "{}", hit.message);
    }
    #[test]
    fn thresholds_and_feature_gated_thresholds() {
        let fs = findings(&deployment(json!({
            "job.autoscaler.memory.gc-pressure.threshold": "1.5",
            "job.autoscaler.memory.heap-usage.threshold": "-0.2",
            "job.autoscaler.memory.tuning.overhead": "2",
            "job.autoscaler.scaling.effectiveness.threshold": "3",
            "job.autoscaler.observed-scalability.coefficient-min": "0.001",
        })));
        // Features off: only the two always-on thresholds.
        assert_eq!(
            of_rule(&fs, RuleId::Thresholds),
            vec![
                (
                    Severity::Deny,
                    path("job.autoscaler.memory.gc-pressure.threshold")
                ),
                (
                    Severity::Deny,
                    path("job.autoscaler.memory.heap-usage.threshold")
                ),
            ]
        );
        let fs = findings(&deployment(json!({
            "job.autoscaler.memory.tuning.enabled": "true",
            "job.autoscaler.memory.tuning.overhead": "2",
            "job.autoscaler.scaling.effectiveness.detection.enabled": "true",
            "job.autoscaler.scaling.effectiveness.threshold": "3",
            "job.autoscaler.observed-scalability.enabled": "true",
            "job.autoscaler.observed-scalability.coefficient-min": "0.001",
        })));
        assert_eq!(of_rule(&fs, RuleId::Thresholds).len(), 3, "{fs:?}");
        let ok = findings(&deployment(json!({
            "job.autoscaler.memory.tuning.enabled": "true",
            "job.autoscaler.memory.tuning.overhead": "0.2",
            "job.autoscaler.observed-scalability.enabled": "true",
            "job.autoscaler.observed-scalability.coefficient-min": "0.01",
        })));
        assert!(of_rule(&ok, RuleId::Thresholds).is_empty());
    }
}
