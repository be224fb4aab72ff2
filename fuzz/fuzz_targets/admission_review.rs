//! The webhook's request path on arbitrary bytes: `admission::decode` (the
//! envelope checks, then kube's typed AdmissionReview around the pruned object), `validate` and `mutate`
//! offline and against a small cluster view, and `encode`. Malformed input must be
//! refused with an error, never a panic; a patch must apply to the object it was
//! made for, and applying it must leave nothing more to patch (idempotence). The
//! webhook's one-pass decode must agree with its checked decode.
//!
//! The same bytes, when they are JSON, are also handed to the rules directly as the
//! object under review, so the fuzzer reaches the rules without first having to
//! find the AdmissionReview envelope.

#![no_main]

use flink_autoscale_rules::{ClusterState, ObjectSet, ReviewInput, RuleSettings};
use flink_autoscale_webhook::admission;
use flink_autoscale_webhook::review_object::ReviewObject;
use kube::core::admission::AdmissionRequest;
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use std::sync::LazyLock;

/// A FlinkDeployment with the autoscaler and memory tuning on, a VPA and an HPA on
/// it: enough for every cluster-aware rule to have something to find.
static CLUSTER: LazyLock<ObjectSet> = LazyLock::new(|| {
    ObjectSet::new(
        vec![
            json!({
                "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
                "metadata": {"name": "basic", "namespace": "default"},
                "spec": {"flinkConfiguration": {
                    "job.autoscaler.enabled": "true",
                    "job.autoscaler.memory.tuning.enabled": "true",
                    "taskmanager.memory.process.size": "2048m"},
                    "taskManager": {"resource": {"memory": "2048m"}}}
            }),
            json!({
                "apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
                "metadata": {"name": "basic-tm", "namespace": "default"},
                "spec": {"targetRef": {"apiVersion": "flink.apache.org/v1beta1",
                                       "kind": "FlinkDeployment", "name": "basic"}}
            }),
            json!({
                "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                "metadata": {"name": "basic-hpa", "namespace": "default"},
                "spec": {"scaleTargetRef": {"apiVersion": "flink.apache.org/v1beta1",
                                            "kind": "FlinkDeployment", "name": "basic"},
                         "maxReplicas": 3}
            }),
        ],
        "default",
    )
});

fuzz_target!(|data: &[u8]| {
    let settings = RuleSettings::default();
    let views: [Option<&dyn ClusterState>; 2] = [None, Some(&*CLUSTER)];

    // The one-pass decode and the checked one agree on what they accept, and on
    // what it means.
    let fast = admission::decode(data);
    let checked = admission::decode_checked(data);
    match (&fast, &checked) {
        (Ok(a), Ok(b)) => assert_eq!(
            serde_json::to_value(a).ok(),
            serde_json::to_value(b).ok(),
            "the two decodes differ"
        ),
        (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
        _ => panic!(
            "decode {:?} but decode_checked {:?}",
            fast.as_ref().map(|_| ()),
            checked.as_ref().map(|_| ())
        ),
    }

    if let Ok(request) = fast {
        for cluster in views {
            if let Ok(decision) = admission::validate(&request, &settings, cluster) {
                let _ = admission::encode(decision.response);
            }
            if let Ok(decision) = admission::mutate(&request, &settings, cluster) {
                let patch = decision.response.patch.clone();
                let _ = admission::encode(decision.response);
                if let Some(patch) = patch {
                    patch_is_sound(&request, &patch, &settings, cluster);
                }
            }
        }
    }

    if let Ok(object) = serde_json::from_slice::<Value>(data) {
        let namespace = object
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_string();
        for cluster in views {
            let input = ReviewInput {
                object: &object,
                namespace: &namespace,
                cluster,
            };
            let verdict = flink_autoscale_rules::review(&input, &settings);
            let _ = verdict.denial_message("Kind", &namespace, "name");
            let _ = verdict.warning_lines();
            let mutation = flink_autoscale_rules::mutate(&input, &settings);
            if !mutation.is_empty() {
                let mut patched = object.clone();
                json_patch::patch(&mut patched, &mutation.patch)
                    .unwrap_or_else(|e| panic!("the rules' patch does not apply: {e}"));
                let again = flink_autoscale_rules::mutate(
                    &ReviewInput {
                        object: &patched,
                        namespace: &namespace,
                        cluster,
                    },
                    &settings,
                );
                assert!(
                    again.is_empty(),
                    "mutation is not idempotent: {:?} after {:?}",
                    again.changes,
                    mutation.changes
                );
            }
        }
    }
});

/// The patch the webhook sent applies to the object it was made for, and the
/// patched object, reviewed again, needs no further patch.
fn patch_is_sound(
    request: &AdmissionRequest<ReviewObject>,
    patch: &[u8],
    settings: &RuleSettings,
    cluster: Option<&dyn ClusterState>,
) {
    let patch: json_patch::Patch =
        serde_json::from_slice(patch).expect("the webhook's patch is a JSON patch");
    let Some(object) = &request.object else {
        panic!("a patch without an object");
    };
    let mut value = serde_json::to_value(object).expect("the object serializes");
    json_patch::patch(&mut value, &patch)
        .unwrap_or_else(|e| panic!("the webhook's patch does not apply: {e}"));
    let Ok(patched) = serde_json::from_value::<ReviewObject>(value) else {
        return;
    };
    let mut again = request.clone();
    again.object = Some(patched);
    if let Ok(decision) = admission::mutate(&again, settings, cluster) {
        assert!(
            decision.response.patch.is_none(),
            "mutation is not idempotent: a second patch after the first"
        );
    }
}
