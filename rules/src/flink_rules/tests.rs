//! The harness the tests of every topic file share (a FlinkDeployment that raises
//! nothing, the findings of a review), and the tests of [`super::check`] as a whole.
//! Each topic file tests its rules next to them, each with a case that passes and a
//! case that fails.

pub(crate) use crate::catalogue::RuleId;
pub(crate) use crate::cluster::ObjectSet;
pub(crate) use crate::finding::{Finding, Severity};
pub(crate) use crate::review::{Enforcement, ReviewInput, RuleSettings, review};
pub(crate) use serde_json::{Value, json};

/// A FlinkDeployment shaped like the operator's autoscaling example, with `conf`
/// merged over a configuration that raises no warning.
pub(crate) fn deployment(conf: Value) -> Value {
    let mut base = json!({
        "job.autoscaler.enabled": "true",
        "job.autoscaler.vertex.max-parallelism": "24",
        "execution.checkpointing.interval": "1m",
    });
    if let (Some(b), Some(c)) = (base.as_object_mut(), conf.as_object()) {
        for (k, v) in c {
            b.insert(k.clone(), v.clone());
        }
    }
    json!({
        "apiVersion": "flink.apache.org/v1beta1",
        "kind": "FlinkDeployment",
        "metadata": {"name": "orders", "namespace": "flink"},
        "spec": {
            "flinkVersion": "v1_20",
            "flinkConfiguration": base,
            "job": {"jarURI": "local:///opt/flink/usrlib/job.jar", "parallelism": 2,
                    "upgradeMode": "last-state"}
        }
    })
}

pub(crate) fn findings(object: &Value) -> Vec<Finding> {
    findings_with(object, None)
}

pub(crate) fn findings_with(object: &Value, cluster: Option<&ObjectSet>) -> Vec<Finding> {
    let input = ReviewInput {
        object,
        namespace: "flink",
        cluster: cluster.map(|c| c as &dyn crate::ClusterState),
    };
    // The operator's DefaultValidator rules have their own tests (operator_spec).
    let settings = RuleSettings {
        operator_rules: false,
        ..RuleSettings::default()
    };
    review(&input, &settings).findings
}

/// The findings of one rule, as (severity, path) pairs.
pub(crate) fn of_rule(fs: &[Finding], rule: RuleId) -> Vec<(Severity, String)> {
    fs.iter()
        .filter(|f| f.rule == rule)
        .map(|f| (f.severity, f.path.clone()))
        .collect()
}

pub(crate) fn path(key: &str) -> String {
    format!("spec.flinkConfiguration[{key}]")
}
#[test]
fn a_sound_configuration_has_no_findings() {
    let fs = findings(&deployment(json!({})));
    assert_eq!(fs, vec![], "unexpected findings");
}

#[test]
fn autoscaler_rules_only_apply_when_enabled() {
    let fs = findings(&deployment(json!({
        "job.autoscaler.enabled": "false",
        "job.autoscaler.utilization.target": "1.5",
        "job.autoscaler.metrics.window": "1s",
    })));
    assert_eq!(fs, vec![]);
}
#[test]
fn session_jobs_are_judged_on_the_merged_configuration() {
    let session = json!({
        "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
        "metadata": {"name": "session", "namespace": "flink"},
        "spec": {"flinkVersion": "v1_20", "flinkConfiguration": {
            "job.autoscaler.enabled": "true", "job.autoscaler.utilization.target": "0.6",
            "execution.checkpointing.interval": "1m",
            "job.autoscaler.vertex.max-parallelism": "8"}}
    });
    // The session cluster itself: autoscaler defaults, no job warnings.
    assert_eq!(findings(&session), vec![]);
    let job = json!({
        "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkSessionJob",
        "metadata": {"name": "clicks", "namespace": "flink"},
        "spec": {"deploymentName": "session",
                 "flinkConfiguration": {"job.autoscaler.target.utilization.boundary": "0.5"},
                 "job": {"jarURI": "local:///j.jar", "upgradeMode": "savepoint"}}
    });
    let cluster = ObjectSet::new(vec![session], "flink");
    let fs = findings_with(&job, Some(&cluster));
    // 0.6 from the cluster + 0.5 from the job > 1.
    assert_eq!(
        of_rule(&fs, RuleId::BoundaryDisablesScaling),
        vec![(
            Severity::Warn,
            path("job.autoscaler.target.utilization.boundary")
        )]
    );
    // Offline, the job alone does not enable the autoscaler: only config.* rules run
    // (the boundary option itself is @Deprecated in AutoScalerOptions).
    let fs = findings(&job);
    assert_eq!(
        of_rule(&fs, RuleId::ConfigDeprecatedKey),
        vec![(
            Severity::Warn,
            path("job.autoscaler.target.utilization.boundary")
        )]
    );
    assert_eq!(fs.len(), 1, "{fs:?}");
}

#[test]
fn warn_enforcement_turns_denials_into_warnings() {
    let object = deployment(json!({"job.autoscaler.utilization.target": "1.5"}));
    let settings = RuleSettings {
        enforcement: Enforcement::Warn,
        ..RuleSettings::default()
    };
    let v = review(
        &ReviewInput {
            object: &object,
            namespace: "flink",
            cluster: None,
        },
        &settings,
    );
    assert!(v.allowed());
    assert!(
        v.findings
            .iter()
            .any(|f| f.rule == RuleId::UtilizationRange && f.severity == Severity::Warn)
    );
}

#[test]
fn every_finding_is_reported_together_denials_first() {
    let object = deployment(json!({
        "job.autoscaler.utilization.target": "1.5",
        "job.autoscaler.metrics.window": "5 mins",
        "job.autoscaler.scale-down.max-factor": "-2",
        "job.autoscaler.target.utilization": "0.5",
    }));
    let v = review(
        &ReviewInput {
            object: &object,
            namespace: "flink",
            cluster: None,
        },
        &RuleSettings::default(),
    );
    assert!(!v.allowed());
    let rules: Vec<_> = v.denials().map(|f| f.rule).collect();
    for r in [
        RuleId::UtilizationRange,
        RuleId::ConfigParse,
        RuleId::Factors,
        RuleId::ConfigConflictingKeys,
    ] {
        assert!(rules.contains(&r), "{r} missing from {rules:?}");
    }
    let first_warn = v.findings.iter().position(|f| f.severity == Severity::Warn);
    let last_deny = v
        .findings
        .iter()
        .rposition(|f| f.severity == Severity::Deny);
    if let (Some(w), Some(d)) = (first_warn, last_deny) {
        assert!(d < w, "denials come first");
    }
    let msg = v.denial_message("FlinkDeployment", "flink", "orders");
    assert!(
        msg.starts_with("FlinkDeployment flink/orders is refused: "),
        "{msg}"
    );
    assert_eq!(msg.matches("\n* ").count(), v.denials().count());
}
