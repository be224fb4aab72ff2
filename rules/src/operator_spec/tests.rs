//! Cases of the operator's `DefaultValidatorTest`, each citing its test method; the
//! base object is the operator's own basic example, which the operator accepts.

use super::*;
use crate::catalogue::RuleId;
use crate::review::{ReviewInput, RuleSettings, review};
use serde_json::json;

fn basic() -> Value {
    json!({
        "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
        "metadata": {"name": "basic-example", "namespace": "flink"},
        "spec": {
            "image": "flink:1.20", "flinkVersion": "v1_20",
            "flinkConfiguration": {"taskmanager.numberOfTaskSlots": "2"},
            "serviceAccount": "flink",
            "jobManager": {"resource": {"memory": "2048m", "cpu": 1}},
            "taskManager": {"resource": {"memory": "2048m", "cpu": 1}},
            "job": {"jarURI": "local:///opt/flink/examples/streaming/StateMachineExample.jar",
                    "parallelism": 2, "upgradeMode": "stateless"}
        }
    })
}

fn findings(object: &Value) -> Vec<Finding> {
    let cfg = FlinkConfig::from_json(object.pointer("/spec/flinkConfiguration")).expect("map");
    let input = ReviewInput {
        object,
        namespace: "flink",
        cluster: None,
    };
    let mut out = Vec::new();
    check(&input, &cfg, &mut out);
    out
}

fn denied(object: &Value) -> Vec<(RuleId, String)> {
    findings(object)
        .into_iter()
        .filter(|f| f.severity == Severity::Deny)
        .map(|f| (f.rule, f.path))
        .collect()
}

fn with(edit: impl FnOnce(&mut Value)) -> Value {
    let mut v = basic();
    edit(&mut v);
    v
}

fn one_denial(object: &Value, rule: RuleId, message_part: &str) {
    let out: Vec<_> = findings(object)
        .into_iter()
        .filter(|f| f.severity == Severity::Deny)
        .collect();
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].rule, rule);
    assert!(out[0].message.contains(message_part), "{}", out[0].message);
}

#[test]
fn the_basic_example_passes() {
    assert!(findings(&basic()).is_empty(), "{:?}", findings(&basic()));
}

#[test]
fn flink_versions() {
    // testValidationWithoutDefaultConfig: null refused, v1_14 unsupported, v1_15,
    // v1_18 and v1_19 accepted.
    one_denial(
        &with(|v| v["spec"]["flinkVersion"] = Value::Null),
        RuleId::OperatorFlinkVersion,
        "Flink Version must be defined",
    );
    for old in ["v1_13", "v1_14"] {
        one_denial(
            &with(|v| v["spec"]["flinkVersion"] = json!(old)),
            RuleId::OperatorFlinkVersion,
            &format!("Flink version {old} is not supported by this operator version"),
        );
    }
    one_denial(
        &with(|v| v["spec"]["flinkVersion"] = json!("v1_99")),
        RuleId::OperatorFlinkVersion,
        "not a FlinkVersion",
    );
    // v1_15 to v1_18 are @Deprecated in FlinkVersion but accepted without a word.
    for ok in ["v1_15", "v1_17", "v1_18", "v1_19", "v2_2"] {
        let v = with(|v| v["spec"]["flinkVersion"] = json!(ok));
        assert!(findings(&v).is_empty(), "{ok}");
    }
}

#[test]
fn service_account_is_required() {
    // testValidationWithoutDefaultConfig: setServiceAccount(null).
    let v = with(|v| {
        if let Some(s) = v["spec"].as_object_mut() {
            s.remove("serviceAccount");
        }
    });
    one_denial(
        &v,
        RuleId::OperatorServiceAccount,
        "spec.serviceAccount must be defined",
    );
}

#[test]
fn deployment_names() {
    // testValidationWithoutDefaultConfig: "session-cluster-1.13" is refused.
    one_denial(
        &with(|v| v["metadata"]["name"] = json!("session-cluster-1.13")),
        RuleId::OperatorName,
        "lower case alphanumeric",
    );
    assert!(!valid_name(&"a".repeat(46)));
    assert!(valid_name(&"a".repeat(45)));
    assert!(!valid_name("my-name-"));
    assert!(valid_name("abc-123"));
}

#[test]
fn memory_must_be_defined_and_parse() {
    // testValidationWithoutDefaultConfig: memory null refused (also with only
    // taskmanager.memory.task.heap.size), "invalid" refused, "1G", "100", "1Gi" pass,
    // jobmanager.memory.heap.size alone passes for the JobManager.
    let no_jm = with(|v| v["spec"]["jobManager"]["resource"] = json!({"cpu": 1}));
    one_denial(
        &no_jm,
        RuleId::OperatorResources,
        "JobManager resource memory must be defined",
    );
    let no_tm = with(|v| {
        v["spec"]["taskManager"]["resource"] = json!({"cpu": 1});
        v["spec"]["flinkConfiguration"]["taskmanager.memory.task.heap.size"] = json!("1024m");
    });
    one_denial(
        &no_tm,
        RuleId::OperatorResources,
        "TaskManager resource memory must be defined",
    );
    let jm_heap = with(|v| {
        v["spec"]["jobManager"]["resource"] = json!({"cpu": 1});
        v["spec"]["flinkConfiguration"]["jobmanager.memory.heap.size"] = json!("2048m");
    });
    assert!(denied(&jm_heap).is_empty());
    // The mis-indented resource of issue 11: `resource:` left empty.
    let empty = with(|v| v["spec"]["jobManager"]["resource"] = Value::Null);
    one_denial(
        &empty,
        RuleId::OperatorResources,
        "JobManager resource memory must be defined",
    );
    for ok in ["1G", "100", "1Gi", "2048m", "512Mi", "2gb", "1e9"] {
        let v = with(|v| v["spec"]["taskManager"]["resource"]["memory"] = json!(ok));
        assert!(denied(&v).is_empty(), "{ok}: {:?}", denied(&v));
    }
    let bad = with(|v| v["spec"]["taskManager"]["resource"]["memory"] = json!("invalid"));
    one_denial(
        &bad,
        RuleId::OperatorResources,
        "TaskManager resource memory parse error",
    );
    // parseResourceMemoryString: fabric8 turns 1.5Gi into the BigDecimal
    // 1610612736.0, which MemorySize.parse refuses ("unit '.0'"); negatives too.
    let half = with(|v| v["spec"]["taskManager"]["resource"]["memory"] = json!("1.5Gi"));
    assert!(
        findings(&half)[0].message.ends_with("write 1536Mi"),
        "{:?}",
        findings(&half)
    );
    for bad in ["1.5Gi", "0.5Gi", "1.0Mi", "-1Gi", "1e-3"] {
        let v = with(|v| v["spec"]["taskManager"]["resource"]["memory"] = json!(bad));
        one_denial(
            &v,
            RuleId::OperatorResources,
            "TaskManager resource memory parse error",
        );
    }
    let storage = with(|v| v["spec"]["jobManager"]["resource"]["ephemeralStorage"] = json!("abc"));
    one_denial(
        &storage,
        RuleId::OperatorResources,
        "JobManager resource ephemeral storage parse error",
    );
}

#[test]
fn resource_requirements() {
    // testZeroCpuResourceRequirementIsRejected, testNegativeEphemeralStorage...,
    // testZeroMemoryResourceRequirementIsRejected, testMemoryRequestExceedingLimit...,
    // testRequestsBelowLimitsPasses.
    let rr = |r: Value| {
        with(move |v| {
            v["spec"]["taskManager"] = json!({"resources": r});
        })
    };
    one_denial(
        &rr(json!({"requests": {"memory": "1Gi", "cpu": "0"}})),
        RuleId::OperatorResources,
        "requests cpu must be positive",
    );
    one_denial(
        &rr(json!({"requests": {"memory": "1Gi", "ephemeral-storage": "-1Gi"}})),
        RuleId::OperatorResources,
        "ephemeral-storage must not be negative",
    );
    one_denial(
        &rr(json!({"requests": {"memory": "0"}})),
        RuleId::OperatorResources,
        "requests memory must be positive",
    );
    one_denial(
        &rr(json!({"requests": {"memory": "2Gi"}, "limits": {"memory": "1Gi"}})),
        RuleId::OperatorResources,
        "memory request must not exceed its limit",
    );
    // toComparableAmount reads memory with Flink's units first: 2048m is 2 GiB.
    one_denial(
        &rr(json!({"requests": {"memory": "2048m"}, "limits": {"memory": "1Gi"}})),
        RuleId::OperatorResources,
        "memory request must not exceed its limit",
    );
    assert!(
        denied(&rr(json!({"requests": {"memory": "1Gi", "cpu": "500m"},
                          "limits": {"memory": "2Gi", "cpu": "1"}})))
        .is_empty()
    );
}

#[test]
fn job_spec() {
    // testValidationWithoutDefaultConfig: parallelism 0 refused, TaskManager replicas 0
    // refused, savepoint mode without savepoint dir, last-state without checkpoint dir,
    // savepointTriggerNonce and periodic savepoints without savepoint dir.
    one_denial(
        &with(|v| v["spec"]["job"]["parallelism"] = json!(0)),
        RuleId::OperatorJob,
        "Job parallelism must be larger than 0",
    );
    one_denial(
        &with(|v| v["spec"]["taskManager"]["replicas"] = json!(0)),
        RuleId::OperatorJob,
        "TaskManager replicas must be larger than 0",
    );
    assert!(
        denied(&with(|v| {
            v["spec"]["taskManager"]["replicas"] = json!(2);
            v["spec"]["job"]["parallelism"] = json!(0);
        }))
        .is_empty(),
        "replicas set: parallelism not checked"
    );
    one_denial(
        &with(|v| v["spec"]["job"]["upgradeMode"] = json!("last-state")),
        RuleId::OperatorUpgradeMode,
        "Checkpoint directory[execution.checkpointing.dir] must be defined",
    );
    let savepoint = with(|v| {
        v["spec"]["job"]["upgradeMode"] = json!("savepoint");
        v["spec"]["flinkConfiguration"]["state.checkpoints.dir"] = json!("s3://b/c");
    });
    one_denial(
        &savepoint,
        RuleId::OperatorUpgradeMode,
        "Job could not be upgraded with savepoint",
    );
    one_denial(
        &with(|v| v["spec"]["job"]["savepointTriggerNonce"] = json!(1)),
        RuleId::OperatorUpgradeMode,
        "Savepoint could not be manually triggered",
    );
    one_denial(
        &with(|v| {
            v["spec"]["flinkConfiguration"]["kubernetes.operator.periodic.savepoint.interval"] =
                json!("1h")
        }),
        RuleId::OperatorUpgradeMode,
        "Periodic savepoints cannot be enabled",
    );
    let fine = with(|v| {
        v["spec"]["job"]["upgradeMode"] = json!("savepoint");
        v["spec"]["flinkConfiguration"]["state.checkpoints.dir"] = json!("s3://b/c");
        v["spec"]["flinkConfiguration"]["execution.checkpointing.savepoint-dir"] =
            json!("s3://b/s");
    });
    assert!(denied(&fine).is_empty());
    one_denial(
        &with(|v| v["spec"]["job"]["upgradeMode"] = json!("LAST_STATE")),
        RuleId::OperatorUpgradeMode,
        "not an upgrade mode",
    );
}

#[test]
fn forbidden_keys_log_config_and_ha() {
    // testValidationWithoutDefaultConfig: "Forbidden Flink config key", "Invalid log
    // config key", standby JobManagers and rollback without HA, JobManager replicas 0.
    one_denial(
        &with(|v| v["spec"]["flinkConfiguration"]["kubernetes.namespace"] = json!("x")),
        RuleId::OperatorConfig,
        "Forbidden Flink config key",
    );
    one_denial(
        &with(|v| v["spec"]["logConfiguration"] = json!({"random": "x"})),
        RuleId::OperatorConfig,
        "Invalid log config key",
    );
    one_denial(
        &with(|v| v["spec"]["jobManager"]["replicas"] = json!(2)),
        RuleId::OperatorHa,
        "High availability should be enabled when starting standby JobManagers",
    );
    one_denial(
        &with(|v| {
            v["spec"]["flinkConfiguration"]["kubernetes.operator.deployment.rollback.enabled"] =
                json!("true")
        }),
        RuleId::OperatorHa,
        "HA must be enabled for rollback support",
    );
    one_denial(
        &with(|v| v["spec"]["jobManager"]["replicas"] = json!(0)),
        RuleId::OperatorResources,
        "JobManager replicas should not be configured less than one",
    );
    one_denial(
        &with(|v| {
            v["spec"]["flinkConfiguration"]["kubernetes.operator.cluster.health-check.enabled"] =
                json!("true");
            v["spec"]["flinkConfiguration"]["kubernetes.operator.jm-deployment-recovery.enabled"] =
                json!("false");
        }),
        RuleId::OperatorConfig,
        "Deployment recovery",
    );
    let ha = with(|v| {
        v["spec"]["jobManager"]["replicas"] = json!(2);
        v["spec"]["flinkConfiguration"]["high-availability.type"] = json!("kubernetes");
    });
    assert!(denied(&ha).is_empty());
}

#[test]
fn ingress() {
    // testValidationWithoutDefaultConfig: "Ingress template must be defined" and
    // "Unable to process the Ingress template(example.com:port)".
    one_denial(
        &with(|v| v["spec"]["ingress"] = json!({})),
        RuleId::OperatorConfig,
        "Ingress template must be defined",
    );
    one_denial(
        &with(|v| v["spec"]["ingress"] = json!({"template": "example.com:port"})),
        RuleId::OperatorConfig,
        "Unable to process the Ingress template(example.com:port)",
    );
    for ok in [
        "{{name}}.{{namespace}}.example.com",
        "example.com:8080/{{namespace}}/{{name}}(/|$)(.*)",
        "https://[::1]:443/x",
    ] {
        let v = with(|v| v["spec"]["ingress"] = json!({"template": ok}));
        assert!(denied(&v).is_empty(), "{ok}");
    }
}

#[test]
fn session_jobs() {
    // testJarUriSchemeValidation (default allowlist: https), testValidateSessionJob.
    let job = |uri: &str| {
        json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkSessionJob",
            "metadata": {"name": "j"},
            "spec": {"deploymentName": "session", "job": {"jarURI": uri, "parallelism": 1}}})
    };
    assert!(denied(&job("https://repo/job.jar")).is_empty());
    assert!(
        denied(&job("HTTPS://repo/job.jar")).is_empty(),
        "scheme case-insensitive"
    );
    assert_eq!(
        denied(&job("s3://bucket/job.jar")),
        [(RuleId::OperatorJob, "spec.job.jarURI".into())]
    );
    assert_eq!(
        denied(&job("/job.jar")),
        [(RuleId::OperatorJob, "spec.job.jarURI".into())]
    );
    let empty = json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkSessionJob",
        "metadata": {"name": "j"}, "spec": {"deploymentName": "session"}});
    one_denial(
        &empty,
        RuleId::OperatorJob,
        "The job spec should not be empty",
    );
    let nameless = json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkSessionJob",
        "metadata": {"name": "j"}, "spec": {"job": {"jarURI": "https://r/j.jar", "parallelism": 1}}});
    one_denial(&nameless, RuleId::OperatorName, "Required value");
}

#[test]
fn the_flag_switches_them_off() {
    let v = with(|v| v["spec"]["flinkVersion"] = json!("v1_13"));
    let input = ReviewInput {
        object: &v,
        namespace: "flink",
        cluster: None,
    };
    let on = review(&input, &RuleSettings::default());
    assert!(
        on.findings
            .iter()
            .any(|f| f.rule == RuleId::OperatorFlinkVersion)
    );
    let off = review(
        &input,
        &RuleSettings {
            operator_rules: false,
            ..RuleSettings::default()
        },
    );
    assert!(
        !off.findings
            .iter()
            .any(|f| f.rule.as_str().starts_with("operator."))
    );
}

#[test]
fn session_jobs_are_checked_against_their_cluster_when_it_is_known() {
    // validateSessionJobWithCluster: validateJobSpec on the session cluster's
    // configuration with the job's laid over it; offline the directories are unknown.
    let session = |conf: Value| {
        json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
            "metadata": {"name": "session", "namespace": "flink"},
            "spec": {"flinkVersion": "v1_20", "flinkConfiguration": conf}})
    };
    let job = json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkSessionJob",
        "metadata": {"name": "j", "namespace": "flink"},
        "spec": {"deploymentName": "session",
                 "job": {"jarURI": "https://r/j.jar", "parallelism": 1, "upgradeMode": "last-state"}}});
    let judge = |cluster: Option<&crate::ObjectSet>| {
        let input = ReviewInput {
            object: &job,
            namespace: "flink",
            cluster: cluster.map(|c| c as &dyn crate::ClusterState),
        };
        review(&input, &RuleSettings::default())
            .findings
            .into_iter()
            .filter(|f| f.rule == RuleId::OperatorUpgradeMode)
            .count()
    };
    assert_eq!(judge(None), 0, "offline: not judged");
    let bare = crate::ObjectSet::new(vec![session(json!({}))], "flink");
    assert_eq!(judge(Some(&bare)), 1);
    let with_dir = crate::ObjectSet::new(
        vec![session(json!({"state.checkpoints.dir": "s3://b/c"}))],
        "flink",
    );
    assert_eq!(judge(Some(&with_dir)), 0);
    // testSessionJobWithSession: "Can not submit session job to application cluster".
    let mut application = session(json!({"state.checkpoints.dir": "s3://b/c"}));
    application["spec"]["job"] = json!({"jarURI": "local:///j.jar", "parallelism": 1});
    let cluster = crate::ObjectSet::new(vec![application], "flink");
    let input = ReviewInput {
        object: &job,
        namespace: "flink",
        cluster: Some(&cluster),
    };
    let v = review(&input, &RuleSettings::default());
    assert!(
        v.findings.iter().any(|f| f.rule == RuleId::OperatorJob
            && f.message.starts_with("Can not submit session job")),
        "{:?}",
        v.findings
    );
}

#[test]
fn canaries_are_not_validated() {
    // The operator's examples/canary.yaml: no spec at all, and the operator's webhook
    // skips it (FlinkValidator.validate, CanaryResourceManager.isCanaryResource).
    let canary = json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
        "metadata": {"name": "canary", "labels": {"flink.apache.org/canary": "TRUE"}}});
    assert!(findings(&canary).is_empty());
    let mut not_canary = canary.clone();
    not_canary["metadata"]["labels"]["flink.apache.org/canary"] = json!("false");
    assert!(!findings(&not_canary).is_empty());
}
