//! Rule `autoscaler.excluded-periods` (deny): every element of
//! `job.autoscaler.excluded.periods` must be one the operator's validator accepts
//! (`AutoscalerValidator.validateAutoscalerOptions` calls
//! `CalendarUtils.validateExcludedPeriods`), and one the autoscaler can evaluate.

use crate::catalogue::RuleId;
use crate::effective::EffectiveConfig;
use crate::finding::{Finding, Severity};
use crate::periods;
use crate::values::Value;

/// Reports each refused element (the operator reports only the first); an element
/// the operator accepts but Quartz cannot evaluate is denied too, and says so. A
/// list that does not parse is `config.parse`'s finding, not this one.
pub(super) fn check(eff: &EffectiveConfig, out: &mut Vec<Finding>) {
    let Some(setting) = eff.get(periods::KEY) else {
        return;
    };
    let Some(Value::List(items)) = &setting.value else {
        return;
    };
    for item in items {
        let (problem, fix) = match periods::parse(item) {
            Err(e) => (
                format!(
                    "{} (CalendarUtils.validateExcludedExpression refuses it)",
                    e.problem
                ),
                format!("write it like {}", e.example),
            ),
            Ok(period) => match period.run_time_error() {
                Some(why) => (
                    format!("{why}; denied though the operator's validator passes it"),
                    "give every cron field a value, e.g. \"* * 9-17 ? * MON-FRI\"".to_string(),
                ),
                None => continue,
            },
        };
        out.push(Finding::new(
            RuleId::ExcludedPeriods,
            Severity::Deny,
            setting.path(),
            Some(item.clone()),
            problem,
            fix,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FlinkConfig;
    use serde_json::json;

    fn findings(periods: &str) -> Vec<Finding> {
        let cfg = FlinkConfig::from_json(Some(&json!({
            "job.autoscaler.enabled": "true",
            "job.autoscaler.excluded.periods": periods,
        })))
        .map(FlinkConfig::into_owned)
        .expect("map");
        let mut out = Vec::new();
        check(&EffectiveConfig::resolve(&cfg), &mut out);
        out
    }

    #[test]
    fn each_refused_element_is_one_finding_with_the_element_as_value() {
        // CalendarUtilsTest.testValidateExcludedPeriods: "18:01:20-16:00:00" is refused
        // next to a valid range; we report it and keep going.
        let out = findings("09:13:17-11:15:18;18:01:20-16:00:00;0 0 12 * *");
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[0].value.as_deref(), Some("18:01:20-16:00:00"));
        assert_eq!(
            out[0].path,
            "spec.flinkConfiguration[job.autoscaler.excluded.periods]"
        );
        assert_eq!(out[0].severity, Severity::Deny);
        assert!(out[0].message.contains("e.g.") || out[0].message.contains("write it like"));
        assert_eq!(out[1].value.as_deref(), Some("0 0 12 * *"));
        assert!(out[1].message.contains("5 fields"), "{}", out[1].message);
    }

    #[test]
    fn valid_elements_pass() {
        assert!(findings("09:13:17-11:15:18;* * * ? * 2,5 && 14:01:20-16:00:00").is_empty());
        assert!(findings("").is_empty());
    }

    #[test]
    fn elements_quartz_cannot_evaluate_are_denied_and_say_the_operator_accepts_them() {
        let out = findings("L * * ? * *");
        assert_eq!(out.len(), 1);
        assert!(
            out[0].message.contains("operator's validator passes it"),
            "{}",
            out[0].message
        );
    }

    #[test]
    fn the_old_prefix_key_is_where_the_finding_points() {
        let cfg = FlinkConfig::from_json(Some(&json!({
            "kubernetes.operator.job.autoscaler.excluded.periods": "12:00-10:00",
        })))
        .map(FlinkConfig::into_owned)
        .expect("map");
        let mut out = Vec::new();
        check(&EffectiveConfig::resolve(&cfg), &mut out);
        assert_eq!(
            out[0].path,
            "spec.flinkConfiguration[kubernetes.operator.job.autoscaler.excluded.periods]"
        );
    }
}
