//! The webhook chart's narrowing of what reaches the webhook (issue 13.4), checked on
//! the rendered configurations with the same CEL evaluator and selector matching the
//! test API server's admission chain uses: only HPAs and VPAs aimed at Flink (a
//! FlinkDeployment, or a `<name>-taskmanager` Deployment) are sent; failure policies
//! per webhook from values; namespace and object selectors from values.

use flink_autoscale_e2e::apiserver::admission::conditions::{self, Bindings, Outcome};
use flink_autoscale_e2e::apiserver::admission::matching;
use flink_autoscale_e2e::apiserver::load_yaml;
use flink_autoscale_e2e::charts::{WEBHOOK_CHART, webhook_configurations};
use flink_autoscale_e2e::{fixture, helm};
use serde_json::{Value, json};

const NAMESPACE: &str = "flink-guard";

fn render(args: &[&str]) -> Vec<Value> {
    helm::template_objects("guard", WEBHOOK_CHART, NAMESPACE, args)
        .unwrap_or_else(|e| panic!("helm template {args:?}: {e}"))
}

/// Every webhook of both configurations, by name.
fn webhooks(docs: &[Value]) -> Vec<(String, Value)> {
    webhook_configurations(docs)
        .into_iter()
        .flat_map(|d| d["webhooks"].as_array().cloned().unwrap_or_default())
        .map(|w| (w["name"].as_str().unwrap_or("").to_string(), w))
        .collect()
}

fn webhook<'a>(all: &'a [(String, Value)], name: &str) -> &'a Value {
    &all.iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no webhook {name}"))
        .1
}

/// What the conditions of `webhook` decide for a CREATE of `object`.
fn decide(webhook: &Value, object: &Value) -> Outcome {
    let request = json!({"operation": "CREATE", "kind": {"kind": object["kind"]},
        "name": object["metadata"]["name"], "namespace": object["metadata"]["namespace"]});
    conditions::evaluate(
        &webhook["matchConditions"],
        &Bindings {
            object,
            old_object: &Value::Null,
            request: &request,
        },
    )
}

fn retarget(obj: &Value, field: &str, kind: &str, name: &str) -> Value {
    let mut obj = obj.clone();
    obj["spec"][field] = json!({"apiVersion": if kind == "FlinkDeployment" { "flink.apache.org/v1beta1" } else { "apps/v1" }, "kind": kind, "name": name});
    obj
}

fn fixture_hpa() -> Value {
    load_yaml(fixture("examples/flink-operator-basic-hpa.yaml"))
        .expect("HPA fixture")
        .remove(0)
}

fn fixture_vpa() -> Value {
    let review: Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("admission/vpa-update.json")).expect("VPA fixture"),
    )
    .expect("JSON");
    review["request"]["object"].clone()
}

#[test]
fn only_autoscalers_aimed_at_flink_reach_the_webhook() {
    let docs = render(&[]);
    let all = webhooks(&docs);
    let hpa = fixture_hpa();
    let vpa = fixture_vpa();
    assert_eq!(hpa["spec"]["scaleTargetRef"]["kind"], "FlinkDeployment");
    assert_eq!(vpa["spec"]["targetRef"]["kind"], "FlinkDeployment");

    let hpa_hook = webhook(&all, "hpa.validate.flink-autoscale-guard.io");
    let cases = [
        (hpa.clone(), Outcome::Call),
        (
            retarget(&hpa, "scaleTargetRef", "Deployment", "basic-taskmanager"),
            Outcome::Call,
        ),
        // The JobManager Deployment, an ordinary Deployment, another kind.
        (
            retarget(&hpa, "scaleTargetRef", "Deployment", "basic"),
            Outcome::Skip,
        ),
        (
            retarget(&hpa, "scaleTargetRef", "Deployment", "web"),
            Outcome::Skip,
        ),
        (
            retarget(&hpa, "scaleTargetRef", "StatefulSet", "db-taskmanager"),
            Outcome::Skip,
        ),
    ];
    for (object, expected) in &cases {
        assert_eq!(&decide(hpa_hook, object), expected, "{}", object["spec"]);
    }
    // A malformed HPA without a target is not the webhook's business: skipped, not
    // an evaluation error that the failure policy would turn into a refusal.
    let mut no_target = hpa.clone();
    no_target["spec"]
        .as_object_mut()
        .map(|s| s.remove("scaleTargetRef"));
    assert_eq!(decide(hpa_hook, &no_target), Outcome::Skip);

    for name in [
        "vpa.mutate.flink-autoscale-guard.io",
        "vpa.validate.flink-autoscale-guard.io",
    ] {
        let hook = webhook(&all, name);
        assert_eq!(decide(hook, &vpa), Outcome::Call, "{name}");
        let tm = retarget(
            &vpa,
            "targetRef",
            "Deployment",
            "autoscaling-example-taskmanager",
        );
        assert_eq!(decide(hook, &tm), Outcome::Call, "{name}");
        let other = retarget(&vpa, "targetRef", "Deployment", "web");
        assert_eq!(decide(hook, &other), Outcome::Skip, "{name}");
        let mut no_target = vpa.clone();
        no_target["spec"]
            .as_object_mut()
            .map(|s| s.remove("targetRef"));
        assert_eq!(decide(hook, &no_target), Outcome::Skip, "{name}");
    }

    // Flink kinds have no conditions: every FlinkDeployment is judged.
    let flink = webhook(&all, "flink.validate.flink-autoscale-guard.io");
    assert!(flink["matchConditions"].is_null());
    let fd = load_yaml(fixture("examples/flink-operator-autoscaling.yaml"))
        .expect("fixture")
        .remove(0);
    assert_eq!(decide(flink, &fd), Outcome::Call);
    // The HPA webhook's rules do not cover FlinkDeployments at all.
    let shape = matching::RequestShape {
        operation: "CREATE",
        group: "flink.apache.org",
        version: "v1beta1",
        resource: "flinkdeployments",
        subresource: "",
        namespaced: true,
    };
    assert!(matching::rules_match(flink, &shape));
    assert!(!matching::rules_match(hpa_hook, &shape));
}

#[test]
fn failure_policies_are_per_webhook_from_values() {
    let policies = |args: &[&str]| -> Vec<(String, String)> {
        webhooks(&render(args))
            .into_iter()
            .map(|(n, w)| (n, w["failurePolicy"].as_str().unwrap_or("").to_string()))
            .collect()
    };
    let expect = |flink: &str, vpa: &str, hpa: &str| {
        vec![
            (
                "vpa.mutate.flink-autoscale-guard.io".to_string(),
                vpa.to_string(),
            ),
            (
                "flink.validate.flink-autoscale-guard.io".to_string(),
                flink.to_string(),
            ),
            (
                "vpa.validate.flink-autoscale-guard.io".to_string(),
                vpa.to_string(),
            ),
            (
                "hpa.validate.flink-autoscale-guard.io".to_string(),
                hpa.to_string(),
            ),
        ]
    };
    assert_eq!(policies(&[]), expect("Fail", "Fail", "Fail"));
    assert_eq!(
        policies(&["--set", "webhooks.hpa.failurePolicy=Ignore"]),
        expect("Fail", "Fail", "Ignore")
    );
    assert_eq!(
        policies(&[
            "--set",
            "failurePolicy=Ignore",
            "--set",
            "webhooks.flink.failurePolicy=Fail"
        ]),
        expect("Fail", "Ignore", "Ignore")
    );
    let refused = helm::template(
        "guard",
        WEBHOOK_CHART,
        NAMESPACE,
        &["--set", "webhooks.vpa.failurePolicy=Sometimes"],
    )
    .expect_err("the schema refuses an unknown policy");
    assert!(refused.contains("webhooks/vpa/failurePolicy"), "{refused}");
}

#[test]
fn namespace_and_object_selectors_come_from_values() {
    let docs = render(&[
        "--set",
        "webhooks.namespaceSelector.matchLabels.flink-guard=enabled",
        "--set",
        "webhooks.namespaceSelector.matchExpressions[0].key=tier",
        "--set",
        "webhooks.namespaceSelector.matchExpressions[0].operator=NotIn",
        "--set",
        "webhooks.namespaceSelector.matchExpressions[0].values[0]=sandbox",
        "--set",
        "webhooks.objectSelector.matchLabels.guard=on",
    ]);
    let all = webhooks(&docs);
    assert_eq!(all.len(), 4);
    let ns = |name: &str, labels: Value| {
        let object = json!({"metadata": {"labels": labels}});
        matching::namespace_labels(Some(&object), name)
    };
    for (name, hook) in &all {
        let selector = &hook["namespaceSelector"];
        let matches = |n: &str, labels: Value| matching::selector_matches(selector, &ns(n, labels));
        assert!(
            matches("flink", json!({"flink-guard": "enabled"})),
            "{name}"
        );
        assert!(
            !matches("flink", json!({})),
            "{name}: unlabelled namespaces are left alone"
        );
        assert!(
            !matches(
                "flink",
                json!({"flink-guard": "enabled", "tier": "sandbox"})
            ),
            "{name}"
        );
        // The release's namespace and kube-system stay excluded whatever the labels.
        assert!(
            !matches(NAMESPACE, json!({"flink-guard": "enabled"})),
            "{name}"
        );
        assert!(
            !matches("kube-system", json!({"flink-guard": "enabled"})),
            "{name}"
        );
        let on = json!({"metadata": {"labels": {"guard": "on"}}});
        let off = json!({"metadata": {"labels": {}}});
        assert!(matching::object_selector_matches(
            &hook["objectSelector"],
            &on,
            &Value::Null
        ));
        assert!(!matching::object_selector_matches(
            &hook["objectSelector"],
            &off,
            &Value::Null
        ));
    }
    // By default every namespace but the excluded ones, every object.
    for (name, hook) in webhooks(&render(&[])) {
        assert!(hook["objectSelector"].is_null(), "{name}");
        let selector = &hook["namespaceSelector"];
        assert!(
            matching::selector_matches(selector, &ns("flink", json!({}))),
            "{name}"
        );
        assert!(
            !matching::selector_matches(selector, &ns(NAMESPACE, json!({}))),
            "{name}"
        );
    }
}
