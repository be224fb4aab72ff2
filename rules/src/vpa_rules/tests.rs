//! VPA and HPA rules on objects shaped like the fixtures (the VPA CRD's fields, the
//! operator's HPA example), with and without a cluster view.

use crate::catalogue::RuleId;
use crate::cluster::ObjectSet;
use crate::finding::{Finding, Severity};
use crate::review::{OFFLINE_NOTE, ReviewInput, RuleSettings, review};
use serde_json::{Value, json};

pub(crate) fn flink_deployment(name: &str, conf: Value, mode: Option<&str>) -> Value {
    let mut fd = json!({
        "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
        "metadata": {"name": name, "namespace": "flink"},
        "spec": {"flinkVersion": "v1_20", "flinkConfiguration": conf,
                 "taskManager": {"resources": {"requests": {"memory": "2048m", "cpu": "1"}}},
                 "job": {"jarURI": "local:///j.jar", "upgradeMode": "last-state"}}
    });
    if let Some(mode) = mode {
        fd["spec"]["mode"] = json!(mode);
    }
    fd
}

pub(crate) fn autoscaled(name: &str) -> Value {
    flink_deployment(
        name,
        json!({"job.autoscaler.enabled": "true", "execution.checkpointing.interval": "1m",
               "job.autoscaler.vertex.max-parallelism": "8"}),
        None,
    )
}

pub(crate) fn vpa(target_kind: &str, target: &str, spec_extra: Value) -> Value {
    let api = if target_kind == "FlinkDeployment" {
        "flink.apache.org/v1beta1"
    } else {
        "apps/v1"
    };
    let mut v = json!({
        "apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
        "metadata": {"name": "tm-vpa", "namespace": "flink"},
        "spec": {"targetRef": {"apiVersion": api, "kind": target_kind, "name": target},
                 "updatePolicy": {"updateMode": "Initial"}}
    });
    if let (Some(spec), Some(extra)) = (v["spec"].as_object_mut(), spec_extra.as_object()) {
        for (k, val) in extra {
            spec.insert(k.clone(), val.clone());
        }
    }
    v
}

fn memory_policy(min: &str, max: &str) -> Value {
    json!({"resourcePolicy": {"containerPolicies": [{"containerName": "flink-main-container",
        "controlledResources": ["memory"], "minAllowed": {"memory": min}, "maxAllowed": {"memory": max}}]}})
}

fn judge(object: &Value, cluster: &[Value]) -> Vec<Finding> {
    let set = ObjectSet::new(cluster.to_vec(), "flink");
    let input = ReviewInput {
        object,
        namespace: "flink",
        cluster: Some(&set),
    };
    review(&input, &RuleSettings::default()).findings
}

fn rules(fs: &[Finding]) -> Vec<(RuleId, Severity)> {
    fs.iter().map(|f| (f.rule, f.severity)).collect()
}

#[test]
fn a_memory_only_vpa_on_the_flink_deployment_is_good() {
    let v = vpa("FlinkDeployment", "orders", memory_policy("2Gi", "4Gi"));
    assert_eq!(judge(&v, &[autoscaled("orders")]), vec![]);
}

#[test]
fn the_taskmanager_deployment_is_reachable_only_in_standalone_mode() {
    let v = vpa(
        "Deployment",
        "orders-taskmanager",
        memory_policy("2Gi", "4Gi"),
    );
    let standalone = flink_deployment("orders", json!({}), Some("standalone"));
    assert_eq!(judge(&v, &[standalone]), vec![]);
    let native = flink_deployment("orders", json!({}), None);
    let fs = judge(&v, &[native]);
    assert_eq!(
        rules(&fs),
        vec![(RuleId::VpaUnreachableTarget, Severity::Deny)]
    );
    assert!(
        fs[0]
            .message
            .contains("kind: FlinkDeployment, name: orders"),
        "{}",
        fs[0].message
    );
}

#[test]
fn cpu_is_refused_while_the_autoscaler_is_on() {
    let cpu = vpa(
        "FlinkDeployment",
        "orders",
        json!({"resourcePolicy": {"containerPolicies": [
        {"containerName": "*", "controlledResources": ["cpu", "memory"],
         "minAllowed": {"memory": "2Gi"}}]}}),
    );
    let fs = judge(&cpu, &[autoscaled("orders")]);
    assert_eq!(rules(&fs), vec![(RuleId::VpaControlsCpu, Severity::Deny)]);
    assert_eq!(
        fs[0].path,
        "spec.resourcePolicy.containerPolicies[0].controlledResources"
    );
    // Without the autoscaler, cpu is the VPA's to size.
    let plain = flink_deployment("orders", json!({}), None);
    assert!(
        judge(&cpu, &[plain])
            .iter()
            .all(|f| f.rule != RuleId::VpaControlsCpu)
    );
}

#[test]
fn memory_is_refused_while_memory_tuning_is_on() {
    let tuned = flink_deployment(
        "orders",
        json!({"job.autoscaler.enabled": "true", "job.autoscaler.memory.tuning.enabled": "true"}),
        None,
    );
    let v = vpa("FlinkDeployment", "orders", memory_policy("2Gi", "4Gi"));
    let fs = judge(&v, std::slice::from_ref(&tuned));
    assert_eq!(
        rules(&fs),
        vec![(RuleId::VpaMemoryTuningConflict, Severity::Deny)]
    );
    let off = vpa(
        "FlinkDeployment",
        "orders",
        json!({"resourcePolicy": {"containerPolicies": [
        {"containerName": "flink-main-container", "mode": "Off"}]}}),
    );
    assert_eq!(judge(&off, &[tuned]), vec![]);
}

#[test]
fn min_above_max_is_refused_in_vpa_words() {
    let v = vpa("FlinkDeployment", "orders", memory_policy("2Gi", "1Gi"));
    let fs = judge(&v, &[autoscaled("orders")]);
    let hit = fs
        .iter()
        .find(|f| f.rule == RuleId::VpaBoundsOrder)
        .expect("bounds order");
    assert_eq!(hit.severity, Severity::Deny);
    assert_eq!(
        hit.field_error(),
        "spec.resourcePolicy.containerPolicies[0].maxAllowed[memory]: Invalid value: \"1Gi\": \
         max resource for memory is lower than min of \"2Gi\"; make maxAllowed.memory >= \
         minAllowed.memory [vpa.bounds-order]"
    );
    // Compared as quantities, not strings.
    let ok = vpa("FlinkDeployment", "orders", memory_policy("1536Mi", "2Gi"));
    assert!(
        judge(&ok, &[autoscaled("orders")])
            .iter()
            .all(|f| f.rule != RuleId::VpaBoundsOrder)
    );
    let bad = vpa("FlinkDeployment", "orders", memory_policy("lots", "2Gi"));
    let fs = judge(&bad, &[autoscaled("orders")]);
    assert!(
        fs.iter()
            .any(|f| f.rule == RuleId::VpaBoundsOrder && f.message.contains("not a quantity"))
    );
}

#[test]
fn a_minimum_below_flink_memory_warns() {
    // The TaskManager asks for 2048m: Flink syntax, 2 GiB.
    let v = vpa("FlinkDeployment", "orders", memory_policy("1Gi", "4Gi"));
    let fs = judge(&v, &[autoscaled("orders")]);
    assert_eq!(
        rules(&fs),
        vec![(RuleId::VpaBelowFlinkMemory, Severity::Warn)]
    );
    assert!(fs[0].message.contains("(2Gi)"), "{}", fs[0].message);
}

#[test]
fn evicting_update_modes_warn() {
    for (mode, warns) in [
        ("Auto", true),
        ("Recreate", true),
        ("Initial", false),
        ("InPlaceOrRecreate", false),
        ("Off", false),
    ] {
        let mut v = vpa("FlinkDeployment", "orders", memory_policy("2Gi", "4Gi"));
        v["spec"]["updatePolicy"]["updateMode"] = json!(mode);
        let fs = judge(&v, &[autoscaled("orders")]);
        assert_eq!(
            fs.iter().any(|f| f.rule == RuleId::VpaEvictingMode),
            warns,
            "{mode}"
        );
        assert!(fs.iter().all(|f| f.severity == Severity::Warn));
    }
    let mut v = vpa("FlinkDeployment", "orders", memory_policy("2Gi", "4Gi"));
    if let Some(spec) = v["spec"].as_object_mut() {
        spec.remove("updatePolicy");
    }
    let fs = judge(&v, &[autoscaled("orders")]);
    let hit = fs
        .iter()
        .find(|f| f.rule == RuleId::VpaEvictingMode)
        .expect("default mode evicts");
    assert_eq!(hit.value.as_deref(), Some("Recreate (default)"));
    // VPA's handler defaults only an absent updatePolicy; one without updateMode is
    // refused (validateVPASpecUpdatePolicy), so it is a vpa.spec denial, not a
    // Recreate warning.
    v["spec"]["updatePolicy"] = json!({});
    let fs = judge(&v, &[autoscaled("orders")]);
    assert!(
        !fs.iter().any(|f| f.rule == RuleId::VpaEvictingMode),
        "{fs:?}"
    );
    assert!(
        fs.iter()
            .any(|f| f.rule == RuleId::VpaSpec && f.severity == Severity::Deny),
        "{fs:?}"
    );
}

#[test]
fn vpa_spec_errors_of_a_guarded_vpa_are_denied_in_vpa_words() {
    let mut v = vpa("FlinkDeployment", "orders", memory_policy("2048m", "4Gi"));
    v["spec"]["updatePolicy"]["updateMode"] = json!("initial");
    let fs = judge(&v, &[autoscaled("orders")]);
    let spec: Vec<_> = fs
        .iter()
        .filter(|f| f.rule == RuleId::VpaSpec)
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(
        spec,
        [
            "spec.resourcePolicy.containerPolicies[0].minAllowed[memory]",
            "spec.updatePolicy.updateMode"
        ]
    );
}

#[test]
fn the_jobmanager_deployment_warns() {
    let v = vpa("Deployment", "orders", memory_policy("1Gi", "2Gi"));
    let fs = judge(&v, &[autoscaled("orders")]);
    assert_eq!(
        rules(&fs),
        vec![(RuleId::VpaJobmanagerTarget, Severity::Warn)]
    );
}

#[test]
fn vpas_not_aimed_at_flink_are_left_alone() {
    let v = vpa(
        "Deployment",
        "nginx",
        json!({"updatePolicy": {"updateMode": "Auto"}}),
    );
    assert_eq!(judge(&v, &[autoscaled("orders")]), vec![]);
}

#[test]
fn offline_a_vpa_gets_the_object_only_rules_and_a_note() {
    let v = vpa("FlinkDeployment", "orders", memory_policy("2Gi", "1Gi"));
    let input = ReviewInput {
        object: &v,
        namespace: "flink",
        cluster: None,
    };
    let verdict = review(&input, &RuleSettings::default());
    assert_eq!(
        rules(&verdict.findings),
        vec![(RuleId::VpaBoundsOrder, Severity::Deny)]
    );
    assert_eq!(verdict.notes, vec![OFFLINE_NOTE.to_string()]);
}

fn operator_hpa_example() -> Value {
    // ../shared/fixtures/examples/flink-operator-basic-hpa.yaml, as JSON.
    json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
           "metadata": {"name": "basic-hpa", "namespace": "default"},
           "spec": {"minReplicas": 1, "maxReplicas": 3,
                    "metrics": [{"type": "Resource", "resource": {"name": "memory",
                                 "target": {"type": "Utilization", "averageValue": "10Mi"}}}],
                    "scaleTargetRef": {"apiVersion": "flink.apache.org/v1beta1",
                                       "kind": "FlinkDeployment", "name": "basic"}}})
}

#[test]
fn an_hpa_on_an_autoscaled_deployment_is_refused() {
    let hpa = operator_hpa_example();
    let mut fd = autoscaled("basic");
    fd["metadata"]["namespace"] = json!("default");
    let set = ObjectSet::new(vec![fd], "default");
    let input = ReviewInput {
        object: &hpa,
        namespace: "default",
        cluster: Some(&set),
    };
    let fs = review(&input, &RuleSettings::default()).findings;
    assert_eq!(
        rules(&fs),
        vec![(RuleId::HpaAutoscalerConflict, Severity::Deny)]
    );
    assert_eq!(fs[0].path, "spec.scaleTargetRef");
    // Without the autoscaler the HPA is the user's choice.
    let mut plain = flink_deployment("basic", json!({}), None);
    plain["metadata"]["namespace"] = json!("default");
    let set = ObjectSet::new(vec![plain], "default");
    let input = ReviewInput {
        object: &hpa,
        namespace: "default",
        cluster: Some(&set),
    };
    assert_eq!(review(&input, &RuleSettings::default()).findings, vec![]);
}

#[test]
fn an_hpa_on_the_taskmanager_deployment_is_refused() {
    let mut hpa = operator_hpa_example();
    hpa["spec"]["scaleTargetRef"] =
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "orders-taskmanager"});
    let fd = flink_deployment(
        "orders",
        json!({"job.autoscaler.enabled": "true"}),
        Some("standalone"),
    );
    let fs = judge(&hpa, &[fd]);
    assert_eq!(
        rules(&fs),
        vec![(RuleId::HpaAutoscalerConflict, Severity::Deny)]
    );
}

#[test]
fn switching_a_flink_deployment_into_conflict_names_the_other_object() {
    let cpu_vpa = vpa("FlinkDeployment", "orders", json!({}));
    let fs = judge(&autoscaled("orders"), &[cpu_vpa]);
    let hit = fs
        .iter()
        .find(|f| f.rule == RuleId::VpaControlsCpu)
        .expect("reverse cpu conflict");
    assert!(
        hit.message.contains("VerticalPodAutoscaler flink/tm-vpa"),
        "{}",
        hit.message
    );
    let mut tuned = autoscaled("orders");
    tuned["spec"]["flinkConfiguration"]["job.autoscaler.memory.tuning.enabled"] = json!("true");
    let mem_vpa = vpa("FlinkDeployment", "orders", memory_policy("2Gi", "4Gi"));
    let fs = judge(&tuned, &[mem_vpa]);
    assert!(fs.iter().any(|f| f.rule == RuleId::MemoryTuningVpaConflict
        && f.message.contains("VerticalPodAutoscaler flink/tm-vpa")));
}
