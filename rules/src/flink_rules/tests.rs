//! Each rule with a case that passes and a case that fails.

use super::ids;
use crate::cluster::ObjectSet;
use crate::finding::{Finding, Severity};
use crate::review::{Enforcement, ReviewInput, RuleSettings, review};
use serde_json::{Value, json};

/// A FlinkDeployment shaped like the operator's autoscaling example, with `conf`
/// merged over a configuration that raises no warning.
fn deployment(conf: Value) -> Value {
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

fn findings(object: &Value) -> Vec<Finding> {
    findings_with(object, None)
}

fn findings_with(object: &Value, cluster: Option<&ObjectSet>) -> Vec<Finding> {
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
fn of_rule(fs: &[Finding], rule: &str) -> Vec<(Severity, String)> {
    fs.iter()
        .filter(|f| f.rule == rule)
        .map(|f| (f.severity, f.path.clone()))
        .collect()
}

fn path(key: &str) -> String {
    format!("spec.flinkConfiguration[{key}]")
}

#[test]
fn a_sound_configuration_has_no_findings() {
    let fs = findings(&deployment(json!({})));
    assert_eq!(fs, vec![], "unexpected findings");
}

#[test]
fn config_parse_reports_every_bad_value() {
    let fs = findings(&deployment(json!({
        "job.autoscaler.metrics.window": "5 mins",
        "job.autoscaler.utilization.target": "high",
        "job.autoscaler.scaling.enabled": "yes",
        "job.autoscaler.vertex.min-parallelism": "1.5",
        "job.autoscaler.quota.memory": "lots",
        "job.autoscaler.metrics.busy-time.aggregator": "median",
        "pipeline.max-parallelism": "many",
    })));
    let parse = of_rule(&fs, ids::PARSE);
    for key in [
        "job.autoscaler.metrics.window",
        "job.autoscaler.utilization.target",
        "job.autoscaler.scaling.enabled",
        "job.autoscaler.vertex.min-parallelism",
        "job.autoscaler.quota.memory",
        "job.autoscaler.metrics.busy-time.aggregator",
        "pipeline.max-parallelism",
    ] {
        assert!(
            parse.contains(&(Severity::Deny, path(key))),
            "no parse finding for {key}: {parse:?}"
        );
    }
    let window = fs
        .iter()
        .find(|f| f.path == path("job.autoscaler.metrics.window"))
        .expect("window finding");
    assert_eq!(window.value.as_deref(), Some("5 mins"));
    assert!(window.message.contains("5min"), "{}", window.message);
    let agg = fs
        .iter()
        .find(|f| f.path == path("job.autoscaler.metrics.busy-time.aggregator"))
        .expect("aggregator finding");
    assert!(agg.message.contains("AVG, MAX, MIN"), "{}", agg.message);
}

#[test]
fn config_parse_accepts_typed_nested_scalars() {
    let object = json!({
        "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
        "metadata": {"name": "x"},
        "spec": {"flinkConfiguration": {
            "job.autoscaler": {"enabled": true, "metrics.window": "3m",
                               "utilization.max": 0.8,
                               "vertex.max-parallelism": 12},
            "execution.checkpointing.interval": "1m"
        }, "job": {"upgradeMode": "savepoint"}}
    });
    assert_eq!(findings(&object), vec![]);
}

#[test]
fn config_parse_refuses_null_and_lists_for_scalars() {
    let fs = findings(&deployment(json!({
        "job.autoscaler.restart.time": null,
        "job.autoscaler.metrics.window": ["1m", "2m"],
        "job.autoscaler.vertex.exclude.ids": ["a1", "b2"],
    })));
    let parse = of_rule(&fs, ids::PARSE);
    assert_eq!(
        parse,
        vec![
            (Severity::Deny, path("job.autoscaler.metrics.window")),
            (Severity::Deny, path("job.autoscaler.restart.time")),
        ]
    );
}

#[test]
fn flink_configuration_that_is_not_a_map_is_refused() {
    let mut object = deployment(json!({}));
    object["spec"]["flinkConfiguration"] = json!("job.autoscaler.enabled=true");
    let fs = findings(&object);
    assert_eq!(
        of_rule(&fs, ids::PARSE),
        vec![(Severity::Deny, "spec.flinkConfiguration".into())]
    );
}

#[test]
fn unknown_keys_near_a_real_one_are_typos() {
    let fs = findings(&deployment(json!({
        "job.autoscaler.metric.window": "5m",
        "job.autoscaler": {"enable": true},
        "kubernetes.operator.job.autoscaler.stabilisation.interval": "1m",
        "job.autoscaler.some.future.option": "x",
        "high-availability.type": "kubernetes",
    })));
    let unknown = of_rule(&fs, ids::UNKNOWN_KEY);
    assert!(unknown.contains(&(Severity::Deny, path("job.autoscaler.metric.window"))));
    assert!(unknown.contains(&(Severity::Deny, path("job.autoscaler.enable"))));
    assert!(unknown.contains(&(
        Severity::Deny,
        path("kubernetes.operator.job.autoscaler.stabilisation.interval")
    )));
    assert!(unknown.contains(&(Severity::Warn, path("job.autoscaler.some.future.option"))));
    assert_eq!(unknown.len(), 4, "{unknown:?}");
    let hint = fs
        .iter()
        .find(|f| f.path == path("job.autoscaler.metric.window"))
        .expect("typo");
    assert!(
        hint.message
            .contains("did you mean job.autoscaler.metrics.window?")
    );
    let old = fs
        .iter()
        .find(|f| f.path.contains("stabilisation"))
        .expect("old typo");
    assert!(
        old.message
            .contains("job.autoscaler.stabilization.interval"),
        "{}",
        old.message
    );
}

#[test]
fn templated_custom_evaluator_keys_are_known() {
    let fs = findings(&deployment(json!({
        "job.autoscaler.metrics.custom-evaluators": "lag",
        "job.autoscaler.metrics.custom-evaluator.lag.class": "com.example.LagEvaluator",
        "job.autoscaler.metrics.custom-evaluator.lag.threshold.ms": "500",
        "job.autoscaler.scaling.custom-executor.gate.class": "com.example.Gate",
    })));
    assert_eq!(fs, vec![]);
}

#[test]
fn deprecated_keys_name_the_current_key() {
    let fs = findings(&deployment(json!({
        "job.autoscaler.target.utilization": "0.6",
        "kubernetes.operator.job.autoscaler.metrics.window": "10m",
        "job.autoscaler.scaling.key-group.partitions.adjust.mode": "EVENLY_SPREAD",
        "kubernetes.operator.job.autoscaler.metrics.custom-evaluator.lag.class": "com.example.L",
    })));
    let dep: Vec<_> = fs
        .iter()
        .filter(|f| f.rule == ids::DEPRECATED_KEY)
        .collect();
    assert_eq!(dep.len(), 4, "{dep:?}");
    assert!(dep.iter().all(|f| f.severity == Severity::Warn));
    let msg = |k: &str| {
        dep.iter()
            .find(|f| f.path == path(k))
            .map(|f| f.message.clone())
            .unwrap_or_default()
    };
    assert!(
        msg("job.autoscaler.target.utilization")
            .contains("rename it to job.autoscaler.utilization.target")
    );
    assert!(
        msg("kubernetes.operator.job.autoscaler.metrics.window")
            .contains("job.autoscaler.metrics.window")
    );
    assert!(
        msg("job.autoscaler.scaling.key-group.partitions.adjust.mode")
            .contains("job.autoscaler.scaling.parallelism-alignment.mode")
    );
    assert!(
        msg("kubernetes.operator.job.autoscaler.metrics.custom-evaluator.lag.class")
            .contains("job.autoscaler.metrics.custom-evaluator.lag.class")
    );
    // Deprecated spellings still count as set, so nothing else fires.
    assert!(fs.iter().all(|f| f.rule == ids::DEPRECATED_KEY), "{fs:?}");
}

#[test]
fn one_option_through_two_keys_must_agree() {
    let agree = findings(&deployment(json!({
        "job.autoscaler.metrics.window": "5m",
        "kubernetes.operator.job.autoscaler.metrics.window": "300s",
    })));
    assert!(of_rule(&agree, ids::CONFLICTING_KEYS).is_empty());
    let disagree = findings(&deployment(json!({
        "job.autoscaler.utilization.target": "0.7",
        "job.autoscaler.target.utilization": "0.5",
    })));
    assert_eq!(
        of_rule(&disagree, ids::CONFLICTING_KEYS),
        vec![(Severity::Deny, path("job.autoscaler.target.utilization"))]
    );
    let twice = findings(&deployment(json!({
        "job.autoscaler.scaling.enabled": "false",
        "job.autoscaler": {"scaling.enabled": true},
    })));
    assert_eq!(of_rule(&twice, ids::CONFLICTING_KEYS).len(), 1);
    // Any key written flat and nested with different values, not only autoscaler options:
    // the operator applies one of them depending on field order.
    let twice = findings(&deployment(json!({
        "kubernetes.operator.reconcile.interval": "10min",
        "kubernetes.operator": {"reconcile.interval": "10s"},
        "pipeline.max-parallelism": "64",
        "pipeline": {"max-parallelism": 64},
        "jobmanager.scheduler": "adaptive",
        "jobmanager": {"scheduler": "default"},
    })));
    let mut hits = of_rule(&twice, ids::CONFLICTING_KEYS);
    hits.sort();
    assert_eq!(
        hits,
        vec![
            (Severity::Deny, path("jobmanager.scheduler")),
            (
                Severity::Deny,
                path("kubernetes.operator.reconcile.interval")
            ),
        ]
    );
    // The message reads as what happens, never "sets X like X does".
    let disagree = findings(&deployment(json!({
        "job.autoscaler.utilization.target": "0.7",
        "kubernetes.operator.job.autoscaler.utilization.target": "0.5",
    })));
    let f = disagree
        .iter()
        .find(|f| f.rule == ids::CONFLICTING_KEYS)
        .expect("conflict");
    assert_eq!(
        f.message,
        "job.autoscaler.utilization.target and kubernetes.operator.job.autoscaler.utilization.target \
         both set job.autoscaler.utilization.target, with different values (0.7 and 0.5): Flink \
         reads job.autoscaler.utilization.target and ignores this one; keep only \
         job.autoscaler.utilization.target"
    );
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
        let hits = of_rule(&fs, ids::UTILIZATION_RANGE);
        assert_eq!(hits.is_empty(), ok, "target {target}: {hits:?}");
    }
    let fs = findings(&deployment(json!({
        "job.autoscaler.utilization.target": "0.6",
        "job.autoscaler.utilization.max": "0.5",
        "job.autoscaler.utilization.min": "0.7",
        "job.autoscaler.target.utilization.boundary": "-0.1",
    })));
    let hits = of_rule(&fs, ids::UTILIZATION_RANGE);
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
    assert!(of_rule(&ok, ids::UTILIZATION_RANGE).is_empty());
}

#[test]
fn boundary_that_disables_scaling_warns_with_the_arithmetic() {
    let up = findings(&deployment(json!({
        "job.autoscaler.utilization.target": "0.8",
        "job.autoscaler.target.utilization.boundary": "0.3",
    })));
    let hits: Vec<_> = up
        .iter()
        .filter(|f| f.rule == ids::BOUNDARY_DISABLES_SCALING)
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
        .filter(|f| f.rule == ids::BOUNDARY_DISABLES_SCALING)
        .collect();
    assert_eq!(hits.len(), 1);
    assert!(hits[0].message.contains("never scales down"));
    // Explicit min/max replace target ± boundary.
    let overridden = findings(&deployment(json!({
        "job.autoscaler.utilization.target": "0.8",
        "job.autoscaler.target.utilization.boundary": "0.3",
        "job.autoscaler.utilization.max": "0.9",
    })));
    assert!(of_rule(&overridden, ids::BOUNDARY_DISABLES_SCALING).is_empty());
    // The default boundary (0.3) with a high target is flagged as a default.
    let default = findings(&deployment(
        json!({"job.autoscaler.utilization.target": "0.9"}),
    ));
    let hit = default
        .iter()
        .find(|f| f.rule == ids::BOUNDARY_DISABLES_SCALING)
        .expect("default boundary");
    assert!(hit.message.contains("(the default)"), "{}", hit.message);
}

#[test]
fn parallelism_bounds() {
    // The operator accepts 0 (no validation of vertex.min-parallelism): a warning.
    let fs = findings(&deployment(
        json!({"job.autoscaler.vertex.min-parallelism": "0"}),
    ));
    assert_eq!(
        of_rule(&fs, ids::PARALLELISM_BOUNDS),
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
        of_rule(&fs, ids::PARALLELISM_BOUNDS),
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
        .find(|f| f.rule == ids::PARALLELISM_BOUNDS)
        .expect("max 0");
    assert_eq!(f.severity, Severity::Warn);
    assert!(f.message.contains("forbids any scale-up"), "{}", f.message);
    let fs = findings(&deployment(json!({
        "job.autoscaler.vertex.max-parallelism": "64",
        "pipeline.max-parallelism": "32",
    })));
    assert_eq!(
        of_rule(&fs, ids::PARALLELISM_BOUNDS),
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
    assert!(of_rule(&ok, ids::PARALLELISM_BOUNDS).is_empty());
}

#[test]
fn scale_factors() {
    // AutoscalerValidator: both factors >= 0; 0 and (for scale-down) > 1 are accepted
    // but switch a direction off / act as 1: warnings. NaN is refused (stricter).
    let severity = |key: &str, value: &str| {
        let fs = findings(&deployment(json!({ key: value })));
        of_rule(&fs, ids::FACTORS).first().map(|(s, _)| *s)
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
        of_rule(&fs, ids::THRESHOLDS),
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
    assert_eq!(of_rule(&fs, ids::THRESHOLDS).len(), 3, "{fs:?}");
    let ok = findings(&deployment(json!({
        "job.autoscaler.memory.tuning.enabled": "true",
        "job.autoscaler.memory.tuning.overhead": "0.2",
        "job.autoscaler.observed-scalability.enabled": "true",
        "job.autoscaler.observed-scalability.coefficient-min": "0.01",
    })));
    assert!(of_rule(&ok, ids::THRESHOLDS).is_empty());
}

#[test]
fn durations_against_the_reconcile_interval() {
    let fs = findings(&deployment(json!({"job.autoscaler.metrics.window": "30s"})));
    let hit = fs
        .iter()
        .find(|f| f.rule == ids::DURATIONS)
        .expect("short window");
    assert!(
        hit.message.contains("reconcile interval (1min)"),
        "{}",
        hit.message
    );
    let fs = findings(&deployment(json!({"job.autoscaler.metrics.window": "0"})));
    assert_eq!(of_rule(&fs, ids::DURATIONS).len(), 1);
    // The per-deployment reconcile interval counts.
    let fs = findings(&deployment(json!({
        "job.autoscaler.metrics.window": "30s",
        "kubernetes.operator.reconcile.interval": "15s",
    })));
    assert!(of_rule(&fs, ids::DURATIONS).is_empty(), "{fs:?}");
    // The deprecated key of the reconcile interval counts too.
    let fs = findings(&deployment(json!({
        "job.autoscaler.metrics.window": "30s",
        "kubernetes.operator.reconciler.reschedule.interval": "15s",
    })));
    assert!(of_rule(&fs, ids::DURATIONS).is_empty(), "{fs:?}");
    let fs = findings(&deployment(json!({
        "job.autoscaler.metrics.window": "30s",
        "kubernetes.operator.reconciler.reschedule.interval": "2min",
    })));
    let hit = fs
        .iter()
        .find(|f| f.rule == ids::DURATIONS)
        .expect("longer interval");
    assert!(hit.message.contains("(2min)"), "{}", hit.message);
    // restart.time 0 is accepted by the operator: a warning naming the effect.
    let fs = findings(&deployment(json!({"job.autoscaler.restart.time": "0 ms"})));
    assert_eq!(
        of_rule(&fs, ids::DURATIONS),
        vec![(Severity::Warn, path("job.autoscaler.restart.time"))]
    );
    let fs = findings(&deployment(
        json!({"job.autoscaler.catch-up.duration": "0"}),
    ));
    assert_eq!(
        of_rule(&fs, ids::DURATIONS),
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
    assert!(v.findings.iter().all(|f| f.rule != ids::DURATIONS));
}

#[test]
fn stateless_upgrades_warn_unless_rescaled_in_place() {
    let mut object = deployment(json!({}));
    object["spec"]["job"]["upgradeMode"] = json!("stateless");
    assert_eq!(
        of_rule(&findings(&object), ids::STATELESS_UPGRADE),
        vec![(Severity::Warn, "spec.job.upgradeMode".into())]
    );
    // Unset means stateless.
    if let Some(job) = object["spec"]["job"].as_object_mut() {
        job.remove("upgradeMode");
    }
    assert_eq!(of_rule(&findings(&object), ids::STATELESS_UPGRADE).len(), 1);
    object["spec"]["flinkConfiguration"]["jobmanager.scheduler"] = json!("adaptive");
    assert!(of_rule(&findings(&object), ids::STATELESS_UPGRADE).is_empty());
    object["spec"]["flinkVersion"] = json!("v1_17");
    assert_eq!(of_rule(&findings(&object), ids::STATELESS_UPGRADE).len(), 1);
}

#[test]
fn missing_checkpointing_and_missing_bounds_warn_for_jobs_only() {
    let mut object = deployment(json!({}));
    if let Some(conf) = object["spec"]["flinkConfiguration"].as_object_mut() {
        conf.remove("execution.checkpointing.interval");
        conf.remove("job.autoscaler.vertex.max-parallelism");
    }
    let fs = findings(&object);
    assert_eq!(of_rule(&fs, ids::NO_CHECKPOINTING).len(), 1);
    assert_eq!(of_rule(&fs, ids::UNBOUNDED).len(), 1);
    object["spec"]["flinkConfiguration"]["pipeline.max-parallelism"] = json!(64);
    assert!(of_rule(&findings(&object), ids::UNBOUNDED).is_empty());
    // A session cluster (no spec.job) carries defaults for its jobs: no job warnings.
    if let Some(spec) = object["spec"].as_object_mut() {
        spec.remove("job");
    }
    let fs = findings(&object);
    assert!(of_rule(&fs, ids::NO_CHECKPOINTING).is_empty());
    assert!(of_rule(&fs, ids::STATELESS_UPGRADE).is_empty());
}

fn hpa(target_kind: &str, target_api: &str, target: &str) -> Value {
    json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
           "metadata": {"name": "tm-hpa", "namespace": "flink"},
           "spec": {"minReplicas": 1, "maxReplicas": 3,
                    "scaleTargetRef": {"apiVersion": target_api, "kind": target_kind, "name": target}}})
}

fn vpa(target_kind: &str, target_api: &str, target: &str, policies: Value) -> Value {
    json!({"apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
           "metadata": {"name": "tm-vpa", "namespace": "flink"},
           "spec": {"targetRef": {"apiVersion": target_api, "kind": target_kind, "name": target},
                    "updatePolicy": {"updateMode": "Initial"},
                    "resourcePolicy": {"containerPolicies": policies}}})
}

#[test]
fn an_hpa_on_the_deployment_or_its_taskmanagers_is_a_conflict() {
    let object = deployment(json!({}));
    for h in [
        hpa("FlinkDeployment", "flink.apache.org/v1beta1", "orders"),
        hpa("Deployment", "apps/v1", "orders-taskmanager"),
    ] {
        let cluster = ObjectSet::new(vec![object.clone(), h], "flink");
        let fs = findings_with(&object, Some(&cluster));
        let hit = fs
            .iter()
            .find(|f| f.rule == ids::HPA_CONFLICT)
            .expect("conflict");
        assert_eq!(hit.severity, Severity::Deny);
        assert!(
            hit.message.contains("HorizontalPodAutoscaler flink/tm-hpa"),
            "{}",
            hit.message
        );
    }
    let other = hpa("FlinkDeployment", "flink.apache.org/v1beta1", "payments");
    let cluster = ObjectSet::new(vec![object.clone(), other], "flink");
    assert!(of_rule(&findings_with(&object, Some(&cluster)), ids::HPA_CONFLICT).is_empty());
}

#[test]
fn memory_tuning_conflicts_with_a_vpa_on_memory() {
    let object = deployment(json!({"job.autoscaler.memory.tuning.enabled": "true"}));
    let memory = vpa(
        "FlinkDeployment",
        "flink.apache.org/v1beta1",
        "orders",
        json!([{"containerName": "flink-main-container", "controlledResources": ["memory"]}]),
    );
    let cluster = ObjectSet::new(vec![memory], "flink");
    let fs = findings_with(&object, Some(&cluster));
    assert_eq!(
        of_rule(&fs, ids::MEMORY_TUNING_VPA_CONFLICT),
        vec![(Severity::Deny, path("job.autoscaler.memory.tuning.enabled"))]
    );
    let cpu_only = vpa(
        "FlinkDeployment",
        "flink.apache.org/v1beta1",
        "orders",
        json!([{"containerName": "*", "controlledResources": ["cpu"]}]),
    );
    let cluster = ObjectSet::new(vec![cpu_only], "flink");
    assert!(
        of_rule(
            &findings_with(&object, Some(&cluster)),
            ids::MEMORY_TUNING_VPA_CONFLICT
        )
        .is_empty()
    );
    // Without memory tuning the same memory VPA is the intended split.
    let plain = deployment(json!({}));
    let memory = vpa(
        "FlinkDeployment",
        "flink.apache.org/v1beta1",
        "orders",
        json!([]),
    );
    let cluster = ObjectSet::new(vec![memory], "flink");
    assert!(
        of_rule(
            &findings_with(&plain, Some(&cluster)),
            ids::MEMORY_TUNING_VPA_CONFLICT
        )
        .is_empty()
    );
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
        of_rule(&fs, ids::BOUNDARY_DISABLES_SCALING),
        vec![(
            Severity::Warn,
            path("job.autoscaler.target.utilization.boundary")
        )]
    );
    // Offline, the job alone does not enable the autoscaler: only config.* rules run
    // (the boundary option itself is @Deprecated in AutoScalerOptions).
    let fs = findings(&job);
    assert_eq!(
        of_rule(&fs, ids::DEPRECATED_KEY),
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
            .any(|f| f.rule == ids::UTILIZATION_RANGE && f.severity == Severity::Warn)
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
        ids::UTILIZATION_RANGE,
        ids::PARSE,
        ids::FACTORS,
        ids::CONFLICTING_KEYS,
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

#[test]
fn keys_close_by_words_get_a_suggestion() {
    let fs = findings(&deployment(json!({
        "job.autoscaler.parallelism.min": "2",
        "job.autoscaler.window.metrics": "10m",
    })));
    let hint = |key: &str| {
        fs.iter()
            .find(|f| f.path == path(key))
            .map(|f| (f.severity, f.message.clone()))
            .expect(key)
    };
    let (severity, message) = hint("job.autoscaler.parallelism.min");
    assert_eq!(severity, Severity::Deny);
    assert!(
        message.ends_with("did you mean job.autoscaler.vertex.min-parallelism?"),
        "{message}"
    );
    let (_, message) = hint("job.autoscaler.window.metrics");
    assert!(
        message.ends_with("did you mean job.autoscaler.metrics.window?"),
        "{message}"
    );
}

fn findings_for(object: &Value, version: &str) -> Vec<Finding> {
    let settings = RuleSettings {
        operator_version: crate::options::OperatorVersion::parse(version),
        ..RuleSettings::default()
    };
    let input = ReviewInput {
        object,
        namespace: "flink",
        cluster: None,
    };
    review(&input, &settings).findings
}

/// `utilization.target` exists from operator 1.11 (read off the release tags), its
/// deprecated alias `target.utilization` before.
#[test]
fn advice_fits_the_operator_version() {
    let alias = deployment(json!({"job.autoscaler.target.utilization": "0.6"}));
    // Without a version the advice says from which release the new key works.
    let f = findings(&alias)
        .into_iter()
        .find(|f| f.rule == ids::DEPRECATED_KEY)
        .expect("deprecated alias");
    assert!(
        f.message.ends_with(
            "rename it to job.autoscaler.utilization.target (read by operator 1.11 and later; \
             older ones ignore it)"
        ),
        "{}",
        f.message
    );
    // On 1.10 the alias is the right key: no renaming advice.
    assert!(of_rule(&findings_for(&alias, "1.10"), ids::DEPRECATED_KEY).is_empty());
    assert_eq!(
        of_rule(&findings_for(&alias, "1.11"), ids::DEPRECATED_KEY).len(),
        1
    );
    // The new key on 1.10 would be ignored: denied, pointing at the key 1.10 reads.
    let new = deployment(json!({"job.autoscaler.utilization.target": "0.6"}));
    let fs = findings_for(&new, "1.10");
    let f = fs
        .iter()
        .find(|f| f.rule == ids::UNKNOWN_KEY)
        .expect("unknown on 1.10");
    assert_eq!(f.severity, Severity::Deny);
    assert_eq!(
        f.message,
        "job.autoscaler.utilization.target is not known to operator 1.10 (added in 1.11): it \
         would be ignored; on operator 1.10 write job.autoscaler.target.utilization, or upgrade \
         the operator to 1.11 or later"
    );
    assert!(of_rule(&findings_for(&new, "1.11"), ids::UNKNOWN_KEY).is_empty());
}

/// `ConfigObjectNode.flattenHelper` joins a YAML list's scalars with `;` and drops maps
/// inside it: `[0.5]` is the double 0.5, `[{daily: ...}]` an empty list.
#[test]
fn lists_are_read_as_the_operator_flattens_them() {
    let one = findings(&deployment(
        json!({"job.autoscaler": {"utilization.target": [0.5]}}),
    ));
    assert!(of_rule(&one, ids::PARSE).is_empty(), "{one:?}");
    let two = findings(&deployment(
        json!({"job.autoscaler": {"utilization.target": [0.5, 0.6]}}),
    ));
    let f = two
        .iter()
        .find(|f| f.rule == ids::PARSE)
        .expect("two doubles");
    assert!(
        f.message
            .starts_with("a YAML list is joined with ';' into \"0.5;0.6\""),
        "{}",
        f.message
    );
    let map = findings(&deployment(
        json!({"job.autoscaler": {"excluded": {"periods": [{"daily": "9:00-10:00"}]}}}),
    ));
    let f = map
        .iter()
        .find(|f| f.rule == ids::PARSE)
        .expect("map in list");
    assert_eq!(f.severity, Severity::Deny);
    assert!(f.message.contains("silently lost"), "{}", f.message);
}
