//! The rules on the real objects in ../shared/fixtures: the operator's own examples
//! must be admitted, and the admission envelopes' objects judged as documented.

use flink_autoscale_rules::{ObjectSet, ReviewInput, RuleSettings, Severity, mutate, review};
use serde_json::{Value, json};
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    std::env::var("FIXTURES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures"))
}

fn yaml(rel: &str) -> Value {
    let text = std::fs::read_to_string(fixtures().join(rel)).expect("fixture readable");
    serde_saphyr::from_str(&text).expect("fixture is YAML")
}

fn envelope(rel: &str) -> Value {
    let text = std::fs::read_to_string(fixtures().join(rel)).expect("fixture readable");
    serde_json::from_str(&text).expect("fixture is JSON")
}

#[test]
fn the_operators_examples_are_admitted() {
    for example in [
        "examples/flink-operator-autoscaling.yaml",
        "examples/flink-operator-autoscaling-dynamic.yaml",
        "examples/flink-operator-basic.yaml",
    ] {
        let object = yaml(example);
        let v = review(
            &ReviewInput {
                object: &object,
                namespace: "default",
                cluster: None,
            },
            &RuleSettings::default(),
        );
        assert!(v.allowed(), "{example}: {:?}", v.findings);
        assert!(v.denials().next().is_none());
    }
}

#[test]
fn the_dynamic_example_warns_about_stateless_rescales_and_missing_checkpoints() {
    let object = yaml("examples/flink-operator-autoscaling-dynamic.yaml");
    let v = review(
        &ReviewInput {
            object: &object,
            namespace: "default",
            cluster: None,
        },
        &RuleSettings::default(),
    );
    let rules: Vec<_> = v.warnings().map(|f| f.rule.as_str()).collect();
    assert!(rules.contains(&"autoscaler.stateless-upgrade"), "{rules:?}");
    assert!(rules.contains(&"autoscaler.no-checkpointing"), "{rules:?}");
}

#[test]
fn the_operators_hpa_example_is_refused_next_to_an_autoscaled_deployment() {
    let hpa = yaml("examples/flink-operator-basic-hpa.yaml");
    let mut fd = yaml("examples/flink-operator-autoscaling.yaml");
    fd["metadata"]["name"] = json!("basic");
    let set = ObjectSet::new(vec![fd], "default");
    let v = review(
        &ReviewInput {
            object: &hpa,
            namespace: "default",
            cluster: Some(&set),
        },
        &RuleSettings::default(),
    );
    assert!(!v.allowed());
    assert_eq!(
        v.denials().map(|f| f.rule.as_str()).collect::<Vec<_>>(),
        ["hpa.autoscaler-conflict"]
    );
    // Next to the non-autoscaled basic example it is the user's choice.
    let mut basic = yaml("examples/flink-operator-basic.yaml");
    basic["metadata"]["name"] = json!("basic");
    let set = ObjectSet::new(vec![basic], "default");
    let v = review(
        &ReviewInput {
            object: &hpa,
            namespace: "default",
            cluster: Some(&set),
        },
        &RuleSettings::default(),
    );
    assert!(v.allowed(), "{:?}", v.findings);
}

#[test]
fn the_envelopes_objects_are_judged() {
    let create = envelope("admission/flinkdeployment-create.json");
    let object = &create["request"]["object"];
    let v = review(
        &ReviewInput {
            object,
            namespace: "flink",
            cluster: None,
        },
        &RuleSettings::default(),
    );
    assert!(v.allowed(), "{:?}", v.findings);

    // The VPA in the update envelope targets that FlinkDeployment and sets no
    // resource policy: it is mutated into memory-only with bounds raised to the
    // TaskManager's 2048m (Flink syntax: 2 GiB).
    let update = envelope("admission/vpa-update.json");
    let vpa = &update["request"]["object"];
    let set = ObjectSet::new(vec![object.clone()], "flink");
    let input = ReviewInput {
        object: vpa,
        namespace: "flink",
        cluster: Some(&set),
    };
    let m = mutate(&input, &RuleSettings::default());
    let mut patched = vpa.clone();
    json_patch::patch(&mut patched, &m.patch).expect("patch applies");
    assert_eq!(
        patched.pointer("/spec/resourcePolicy/containerPolicies/0"),
        Some(
            &json!({"containerName": "flink-main-container", "controlledResources": ["memory"],
                     "minAllowed": {"memory": "2Gi"}, "maxAllowed": {"memory": "4Gi"}})
        )
    );
    let input = ReviewInput {
        object: &patched,
        namespace: "flink",
        cluster: Some(&set),
    };
    let v = review(&input, &RuleSettings::default());
    assert!(v.allowed(), "{:?}", v.findings);
    assert!(v.findings.iter().all(|f| f.severity == Severity::Warn));
}
