//! `autoscaler.durations`: windows and times the autoscaler waits for or plans with.

use super::subject::{Subject, deny, warn};
use crate::catalogue::RuleId;
use crate::effective::Setting;
use crate::finding::Finding;
use crate::input::RuleSettings;
use crate::options::keys::flink::{RECONCILE_INTERVAL, RECONCILE_INTERVAL_DEPRECATED};
use crate::options::keys::{CATCH_UP, METRICS_WINDOW, RESTART};
use crate::values::{self, format_duration};
use std::time::Duration;

pub(super) fn duration_rules(
    subject: &Subject<'_>,
    settings: &RuleSettings,
    out: &mut Vec<Finding>,
) {
    let eff = &subject.effective;
    let reconcile = [RECONCILE_INTERVAL, RECONCILE_INTERVAL_DEPRECATED]
        .iter()
        .find_map(|key| subject.config.get(key))
        .and_then(|e| values::parse_duration(e.raw.as_deref()?).ok())
        .unwrap_or(settings.reconcile_interval);
    let setting = |option: &str| -> Option<(&Setting, Duration)> {
        let s = eff.get(option)?;
        Some((s, s.value.as_ref()?.as_duration()?))
    };
    if let Some((s, w)) = setting(METRICS_WINDOW) {
        if w.is_zero() {
            out.push(deny(
                RuleId::Durations,
                s,
                "must be > 0: metrics are averaged over this window",
                "use e.g. 10min",
            ));
        } else if w < reconcile {
            out.push(deny(
                RuleId::Durations,
                s,
                format!(
                    "is shorter than the operator's reconcile interval ({}): the window never \
                     holds more than one sample (DefaultValidator.validateMetricsWindow)",
                    format_duration(reconcile)
                ),
                format!(
                    "use at least {}, better several times it",
                    format_duration(reconcile)
                ),
            ));
        }
    }
    if let Some((s, d)) = setting(RESTART)
        && d.is_zero()
    {
        out.push(warn(
            RuleId::Durations,
            s,
            "0 is accepted by the operator but plans every scale-up as if restarts were free: \
             the backlog built up while the job restarts is not added to the target capacity",
            "use the job's real restart time, e.g. 1min, or turn on restart.time-tracking.enabled",
        ));
    }
    if let Some((s, d)) = setting(CATCH_UP)
        && d.is_zero()
    {
        out.push(warn(
            RuleId::Durations,
            s,
            "0 turns off backlog-based scaling: lag no longer drives scale-ups",
            "use e.g. 30min unless that is intended",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::flink_rules::tests::*;

    #[test]
    fn durations_against_the_reconcile_interval() {
        let fs = findings(&deployment(json!({"job.autoscaler.metrics.window": "30s"})));
        let hit = fs
            .iter()
            .find(|f| f.rule == RuleId::Durations)
            .expect("short window");
        assert!(
            hit.message.contains("reconcile interval (1min)"),
            "{}",
            hit.message
        );
        let fs = findings(&deployment(json!({"job.autoscaler.metrics.window": "0"})));
        assert_eq!(of_rule(&fs, RuleId::Durations).len(), 1);
        // The per-deployment reconcile interval counts.
        let fs = findings(&deployment(json!({
            "job.autoscaler.metrics.window": "30s",
            "kubernetes.operator.reconcile.interval": "15s",
        })));
        assert!(of_rule(&fs, RuleId::Durations).is_empty(), "{fs:?}");
        // The deprecated key of the reconcile interval counts too.
        let fs = findings(&deployment(json!({
            "job.autoscaler.metrics.window": "30s",
            "kubernetes.operator.reconciler.reschedule.interval": "15s",
        })));
        assert!(of_rule(&fs, RuleId::Durations).is_empty(), "{fs:?}");
        let fs = findings(&deployment(json!({
            "job.autoscaler.metrics.window": "30s",
            "kubernetes.operator.reconciler.reschedule.interval": "2min",
        })));
        let hit = fs
            .iter()
            .find(|f| f.rule == RuleId::Durations)
            .expect("longer interval");
        assert!(hit.message.contains("(2min)"), "{}", hit.message);
        // restart.time 0 is accepted by the operator: a warning naming the effect.
        let fs = findings(&deployment(json!({"job.autoscaler.restart.time": "0 ms"})));
        assert_eq!(
            of_rule(&fs, RuleId::Durations),
            vec![(Severity::Warn, path("job.autoscaler.restart.time"))]
        );
        let fs = findings(&deployment(
            json!({"job.autoscaler.catch-up.duration": "0"}),
        ));
        assert_eq!(
            of_rule(&fs, RuleId::Durations),
            vec![(Severity::Warn, path("job.autoscaler.catch-up.duration"))]
        );
        let input = deployment(json!({"job.autoscaler.metrics.window": "30s"}));
        let settings = RuleSettings {
            reconcile_interval: std::time::Duration::from_secs(10),
            ..RuleSettings::default()
        };
        let v = review(
            &ReviewInput {
                object: &input,
                namespace: "flink",
                cluster: None,
            },
            &settings,
        );
        assert!(v.findings.iter().all(|f| f.rule != RuleId::Durations));
    }
}
