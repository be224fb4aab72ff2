//! `autoscaler.parallelism-bounds` and `autoscaler.factors`: how far the autoscaler may
//! move each vertex's parallelism.

use super::subject::{NAN_STRICTER, Subject, deny, number, warn};
use crate::catalogue::RuleId;
use crate::effective::EffectiveConfig;
use crate::finding::Finding;
use crate::options::keys::flink::PIPELINE_MAX_PARALLELISM;
use crate::options::keys::{DOWN_FACTOR, UP_FACTOR, VERTEX_MAX, VERTEX_MIN};
use crate::values;

pub(super) fn parallelism_rules(subject: &Subject<'_>, out: &mut Vec<Finding>) {
    let eff = &subject.effective;
    let min = eff
        .get(VERTEX_MIN)
        .and_then(|s| Some((s, s.value.as_ref()?.as_i64()?)));
    let max = eff
        .get(VERTEX_MAX)
        .and_then(|s| Some((s, s.value.as_ref()?.as_i64()?)));
    if let Some((s, m)) = min
        && m < 1
    {
        // The operator accepts it; JobVertexScaler then bounds parallelism below by
        // min(current, this), i.e. not at all.
        out.push(warn(
            RuleId::ParallelismBounds,
            s,
            format!(
                "{m} is accepted by the operator but removes the lower bound: a vertex without \
                 load may be scaled down to a parallelism of {m}"
            ),
            "use 1 (the default) or more",
        ));
    }
    // The operator accepts any bounds; JobVertexScaler.computeScaleTargetParallelism
    // keeps a vertex between min(current, min-parallelism) and max(current,
    // max-parallelism), so bounds that contradict each other silently stop working.
    if let Some((s, hi)) = max
        && hi < 1
    {
        out.push(warn(
            RuleId::ParallelismBounds,
            s,
            format!(
                "{hi} is accepted by the operator but forbids any scale-up: a vertex is never \
                 raised above its current parallelism"
            ),
            "set the largest parallelism a vertex may get, e.g. 24",
        ));
    } else if let (Some((smin, lo)), Some((smax, hi))) = (min, max)
        && lo > hi
    {
        let s = if smin.is_set() { smin } else { smax };
        out.push(warn(
            RuleId::ParallelismBounds,
            s,
            format!(
                "vertex.min-parallelism {lo} is above vertex.max-parallelism {hi}: the operator \
                 accepts it, but then bounds each vertex by min(current, {lo}) and max(current, \
                 {hi}), so neither bound works as written"
            ),
            "make min-parallelism <= max-parallelism",
        ));
    }
    let pipeline_max = subject
        .config
        .get(PIPELINE_MAX_PARALLELISM)
        .and_then(|e| values::parse_int(e.raw.as_deref()?).ok());
    if let (Some((s, hi)), Some(pmax)) = (max, pipeline_max)
        && s.is_set()
        && hi > i64::from(pmax)
    {
        out.push(warn(
            RuleId::ParallelismBounds,
            s,
            format!(
                "above pipeline.max-parallelism {pmax}: key groups cap every vertex at {pmax}, \
                 so this bound is never reached"
            ),
            format!("lower it to {pmax} or raise pipeline.max-parallelism (changing it breaks savepoint compatibility)"),
        ));
    }
}

/// What the messages of `autoscaler.factors` say about one scale factor.
struct FactorText {
    key: &'static str,
    /// The problem of a negative factor (denied).
    negative: &'static str,
    /// The problem of 0 (accepted by the operator, so a warning).
    zero: &'static str,
    /// The fix for NaN and negative values.
    fix: &'static str,
    /// The fix for 0.
    zero_fix: &'static str,
    /// Problem and fix above 1, where it means something different (scale-down only).
    above_one: Option<(&'static str, &'static str)>,
}

/// Both factors: the same checks, in this order, worded for each direction.
const FACTORS: [FactorText; 2] = [
    FactorText {
        key: DOWN_FACTOR,
        negative: "must be >= 0 (AutoscalerValidator): the largest share of parallelism one scale-down may remove",
        zero: "0 is accepted by the operator but forbids any scale-down: the autoscaler never lowers parallelism",
        fix: "use e.g. 0.6 (1 means no limit)",
        zero_fix: "use e.g. 0.6 unless that is intended",
        above_one: Some((
            "above 1 acts exactly as 1 (no limit on scale-down): a scale factor cannot go below 0",
            "use 1 for no limit, or a fraction such as 0.6",
        )),
    },
    FactorText {
        key: UP_FACTOR,
        negative: "must be >= 0 (AutoscalerValidator): how much one scale-up may add to parallelism",
        zero: "0 is accepted by the operator but forbids any scale-up: the autoscaler never raises parallelism",
        fix: "use e.g. 2.0, or remove it for no limit",
        zero_fix: "use e.g. 2.0, or remove it for no limit",
        above_one: None,
    },
];

pub(super) fn factor_rules(eff: &EffectiveConfig, out: &mut Vec<Finding>) {
    // AutoscalerValidator: both factors >= 0. JobVertexScaler.computeScaleTargetParallelism
    // takes 1 - scale-down.max-factor as the smallest scale factor and 1 + scale-up.max-factor
    // as the largest.
    for text in &FACTORS {
        let Some((s, f)) = number(eff, text.key) else {
            continue;
        };
        let finding = if f.is_nan() {
            deny(RuleId::Factors, s, NAN_STRICTER, text.fix)
        } else if f < 0.0 {
            deny(RuleId::Factors, s, text.negative, text.fix)
        } else if f == 0.0 {
            warn(RuleId::Factors, s, text.zero, text.zero_fix)
        } else if let Some((problem, fix)) = text.above_one
            && f > 1.0
        {
            warn(RuleId::Factors, s, problem, fix)
        } else {
            continue;
        };
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use crate::flink_rules::tests::*;

    #[test]
    fn parallelism_bounds() {
        // The operator accepts 0 (no validation of vertex.min-parallelism): a warning.
        let fs = findings(&deployment(
            json!({"job.autoscaler.vertex.min-parallelism": "0"}),
        ));
        assert_eq!(
            of_rule(&fs, RuleId::ParallelismBounds),
            vec![(
                Severity::Warn,
                path("job.autoscaler.vertex.min-parallelism")
            )]
        );
        let fs = findings(&deployment(json!({
            "job.autoscaler.vertex.min-parallelism": "30",
            "job.autoscaler.vertex.max-parallelism": "10",
        })));
        // Accepted by the operator (no validator reads the bounds): a warning with the effect.
        assert_eq!(
            of_rule(&fs, RuleId::ParallelismBounds),
            vec![(
                Severity::Warn,
                path("job.autoscaler.vertex.min-parallelism")
            )]
        );
        let fs = findings(&deployment(
            json!({"job.autoscaler.vertex.max-parallelism": "0"}),
        ));
        let f = fs
            .iter()
            .find(|f| f.rule == RuleId::ParallelismBounds)
            .expect("max 0");
        assert_eq!(f.severity, Severity::Warn);
        assert!(f.message.contains("forbids any scale-up"), "{}", f.message);
        let fs = findings(&deployment(json!({
            "job.autoscaler.vertex.max-parallelism": "64",
            "pipeline.max-parallelism": "32",
        })));
        assert_eq!(
            of_rule(&fs, RuleId::ParallelismBounds),
            vec![(
                Severity::Warn,
                path("job.autoscaler.vertex.max-parallelism")
            )]
        );
        let ok = findings(&deployment(json!({
            "job.autoscaler.vertex.min-parallelism": "2",
            "job.autoscaler.vertex.max-parallelism": "32",
            "pipeline.max-parallelism": "32",
        })));
        assert!(of_rule(&ok, RuleId::ParallelismBounds).is_empty());
    }

    #[test]
    fn scale_factors() {
        // AutoscalerValidator: both factors >= 0; 0 and (for scale-down) > 1 are accepted
        // but switch a direction off / act as 1: warnings. NaN is refused (stricter).
        let severity = |key: &str, value: &str| {
            let fs = findings(&deployment(json!({ key: value })));
            of_rule(&fs, RuleId::Factors).first().map(|(s, _)| *s)
        };
        let down = "job.autoscaler.scale-down.max-factor";
        for (value, expected) in [
            ("0.6", None),
            ("1", None),
            ("0", Some(Severity::Warn)),
            ("1.2", Some(Severity::Warn)),
            ("-0.1", Some(Severity::Deny)),
            ("NaN", Some(Severity::Deny)),
        ] {
            assert_eq!(severity(down, value), expected, "down {value}");
        }
        let up = "job.autoscaler.scale-up.max-factor";
        for (value, expected) in [
            ("2.0", None),
            ("100000.", None),
            ("0", Some(Severity::Warn)),
            ("-1", Some(Severity::Deny)),
            ("NaN", Some(Severity::Deny)),
        ] {
            assert_eq!(severity(up, value), expected, "up {value}");
        }
    }
}
