//! `autoscaler.stateless-upgrade`, `autoscaler.no-checkpointing`,
//! `autoscaler.unbounded`: what a job (not a session cluster) needs so that rescaling
//! keeps its state and stays bounded.

use super::subject::Subject;
use crate::catalogue::RuleId;
use crate::config::config_path;
use crate::finding::{Finding, Severity};
use crate::options::keys::flink::{CHECKPOINT_INTERVAL, PIPELINE_MAX_PARALLELISM, SCHEDULER};
use crate::options::keys::{SCALING_ENABLED, VERTEX_MAX};

pub(super) fn job_rules(subject: &Subject<'_>, out: &mut Vec<Finding>) {
    let eff = &subject.effective;
    let executes = eff.bool(SCALING_ENABLED) != Some(false);
    // spec.job.upgradeMode defaults to stateless in the CRD.
    let mode = subject.upgrade_mode.unwrap_or("stateless");
    if executes && mode == "stateless" && !rescales_in_place(subject) {
        let field = if subject.upgrade_mode.is_some() {
            "spec.job.upgradeMode"
        } else {
            "spec.job.upgradeMode (unset: stateless)"
        };
        out.push(Finding::new(
            RuleId::StatelessUpgrade,
            Severity::Warn,
            field,
            Some(mode.to_string()),
            "with the autoscaler on, every rescale is a stateless upgrade that drops the job's state",
            "use upgradeMode last-state or savepoint, or jobmanager.scheduler: adaptive on Flink >= 1.18",
        ));
    }
    if !subject.config.contains(CHECKPOINT_INTERVAL) {
        out.push(Finding::new(
            RuleId::NoCheckpointing,
            Severity::Warn,
            config_path(CHECKPOINT_INTERVAL),
            None,
            "checkpointing is off: each rescale restarts from the last savepoint or from scratch",
            "set execution.checkpointing.interval, e.g. 1min",
        ));
    }
    if !eff.is_set(VERTEX_MAX) && !subject.config.contains(PIPELINE_MAX_PARALLELISM) {
        out.push(Finding::new(
            RuleId::Unbounded,
            Severity::Warn,
            config_path(VERTEX_MAX),
            None,
            "no cap set (vertex or pipeline max-parallelism): a vertex may scale to the smaller \
             of 200 and its key groups (Flink's default: 128 for small jobs)",
            "set job.autoscaler.vertex.max-parallelism",
        ));
    }
}

/// Flink >= 1.18 with the adaptive scheduler rescales in place (no upgrade). Unknown
/// versions (a session job whose cluster is not known) get the benefit of the doubt.
fn rescales_in_place(subject: &Subject<'_>) -> bool {
    let adaptive = subject
        .config
        .get(SCHEDULER)
        .and_then(|e| e.raw.as_deref())
        .is_some_and(|s| s.trim().eq_ignore_ascii_case("adaptive"));
    if !adaptive {
        return false;
    }
    match subject
        .flink_version
        .as_deref()
        .and_then(parse_flink_version)
    {
        Some(v) => v >= (1, 18),
        None => true,
    }
}

/// `v1_20` → (1, 20).
fn parse_flink_version(v: &str) -> Option<(u32, u32)> {
    let rest = v.strip_prefix('v')?;
    let (major, minor) = rest.split_once('_')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use crate::flink_rules::tests::*;

    #[test]
    fn stateless_upgrades_warn_unless_rescaled_in_place() {
        let mut object = deployment(json!({}));
        object["spec"]["job"]["upgradeMode"] = json!("stateless");
        assert_eq!(
            of_rule(&findings(&object), RuleId::StatelessUpgrade),
            vec![(Severity::Warn, "spec.job.upgradeMode".into())]
        );
        // Unset means stateless.
        if let Some(job) = object["spec"]["job"].as_object_mut() {
            job.remove("upgradeMode");
        }
        assert_eq!(
            of_rule(&findings(&object), RuleId::StatelessUpgrade).len(),
            1
        );
        object["spec"]["flinkConfiguration"]["jobmanager.scheduler"] = json!("adaptive");
        assert!(of_rule(&findings(&object), RuleId::StatelessUpgrade).is_empty());
        object["spec"]["flinkVersion"] = json!("v1_17");
        assert_eq!(
            of_rule(&findings(&object), RuleId::StatelessUpgrade).len(),
            1
        );
    }

    #[test]
    fn missing_checkpointing_and_missing_bounds_warn_for_jobs_only() {
        let mut object = deployment(json!({}));
        if let Some(conf) = object["spec"]["flinkConfiguration"].as_object_mut() {
            conf.remove("execution.checkpointing.interval");
            conf.remove("job.autoscaler.vertex.max-parallelism");
        }
        let fs = findings(&object);
        assert_eq!(of_rule(&fs, RuleId::NoCheckpointing).len(), 1);
        assert_eq!(of_rule(&fs, RuleId::Unbounded).len(), 1);
        object["spec"]["flinkConfiguration"]["pipeline.max-parallelism"] = json!(64);
        assert!(of_rule(&findings(&object), RuleId::Unbounded).is_empty());
        // A session cluster (no spec.job) carries defaults for its jobs: no job warnings.
        if let Some(spec) = object["spec"].as_object_mut() {
            spec.remove("job");
        }
        let fs = findings(&object);
        assert!(of_rule(&fs, RuleId::NoCheckpointing).is_empty());
        assert!(of_rule(&fs, RuleId::StatelessUpgrade).is_empty());
    }
}
