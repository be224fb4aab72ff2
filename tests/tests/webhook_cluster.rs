//! The webhook online against the test API server at cluster scale: thousands of
//! cached objects, a watch that changes them while reviews run, and the index that
//! finds the few a review is about (moved, retargeted, deleted objects).

use flink_autoscale_e2e::apiserver::TestApiServer;
use flink_autoscale_e2e::objects;
use flink_autoscale_e2e::webhook::{WebhookProcess, eventually, review as post};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const NS: &str = "flink";
const WAIT: Duration = Duration::from_secs(60);

fn flink_deployment(name: &str, autoscaler: bool) -> Value {
    json!({
        "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
        "metadata": {"name": name, "namespace": NS,
                     "managedFields": [{"manager": "kubectl", "operation": "Update"}]},
        "spec": {"flinkVersion": "v1_20", "mode": "native",
                 "flinkConfiguration": {
                     "job.autoscaler.enabled": autoscaler.to_string(),
                     "job.autoscaler.metrics.window": "10m",
                     "job.autoscaler.vertex.max-parallelism": "64",
                     "execution.checkpointing.interval": "1m"},
                 "taskManager": {"resource": {"memory": "4096m", "cpu": 2}},
                 "job": {"jarURI": "local:///job.jar", "upgradeMode": "savepoint"}},
        "status": {"jobStatus": {"state": "RUNNING"}}
    })
}

/// A VPA on `target`'s TaskManagers controlling `resources`.
fn vpa(name: &str, target: &str, resources: &[&str]) -> Value {
    objects::vpa(NS, name, target, resources)
}

fn admission(uid: &str, object: &Value) -> Value {
    json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": "flink.apache.org", "version": "v1beta1", "kind": "FlinkDeployment"},
            "resource": {"group": "flink.apache.org", "version": "v1beta1", "resource": "flinkdeployments"},
            "name": object["metadata"]["name"], "namespace": NS, "operation": "CREATE",
            "userInfo": {"username": "kubernetes-admin"},
            "object": object, "oldObject": null, "dryRun": false
        }
    })
}

/// The denial message, empty when allowed.
fn denial(out: &Value) -> String {
    if out["response"]["allowed"] == true {
        return String::new();
    }
    out["response"]["status"]["message"]
        .as_str()
        .unwrap_or("denied without a message")
        .to_string()
}

async fn metric(client: &reqwest::Client, url: &str, series: &str) -> Option<f64> {
    let text = client.get(url).send().await.ok()?.text().await.ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(series))
        .and_then(|v| v.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_objects_changing_while_reviews_run_are_judged_from_the_index() {
    const N: usize = 2000;
    let mut objects = Vec::new();
    for i in 0..N {
        objects.push(flink_deployment(&format!("job-{i}"), true));
        objects.push(vpa(
            &format!("job-{i}-tm"),
            &format!("job-{i}"),
            &["memory"],
        ));
    }
    let server = std::sync::Arc::new(
        TestApiServer::builder()
            .namespace(NS)
            .objects(objects)
            .start()
            .expect("test API server starts"),
    );
    let dir = tempfile::tempdir().unwrap();
    let webhook = WebhookProcess::dev(dir.path().join("ca.pem"))
        .kubeconfig(server.kubeconfig())
        // The objects are shaped for the cluster rules only; the operator's own
        // spec checks (operator.*) are not what this test is about.
        .args(["--operator-rules", "off"])
        .start();
    let client = webhook.ready_client().await;
    let validate = webhook.url("/validate");
    let metrics = webhook.url("/metrics");
    assert_eq!(
        metric(
            &client,
            &metrics,
            r#"flink_guard_cluster_cache_objects{kind="VerticalPodAutoscaler"}"#
        )
        .await,
        Some(N as f64)
    );

    // A memory-only VPA is no conflict: the deployment is admitted, online (no
    // offline note).
    let target = flink_deployment("job-7", true);
    let out = post(&client, &validate, &admission("u-0", &target)).await;
    assert_eq!(denial(&out), "", "{out}");
    assert!(!out["response"]["warnings"].to_string().contains("offline"));

    // Churn: a writer retargets, recreates and deletes hundreds of VPAs while
    // reviews of the untouched deployments run; every one of those must be
    // admitted.
    let shared = server.clone();
    let writer = std::thread::spawn(move || {
        let store = shared.store();
        for i in 100..600 {
            let name = format!("job-{i}-tm");
            match i % 3 {
                0 => {
                    store
                        .apply(vpa(&name, &format!("job-{}", i + 1), &["memory"]))
                        .expect("retarget");
                }
                1 => {
                    store
                        .delete("autoscaling.k8s.io/v1", "VerticalPodAutoscaler", NS, &name)
                        .expect("delete");
                }
                _ => {
                    store
                        .apply(vpa(
                            &format!("{name}-new"),
                            &format!("job-{i}"),
                            &["memory"],
                        ))
                        .expect("create");
                }
            }
        }
    });
    let mut reviews = 0;
    while !writer.is_finished() || reviews < 200 {
        let i = 1000 + reviews % 500;
        let out = post(
            &client,
            &validate,
            &admission(
                &format!("u-{reviews}"),
                &flink_deployment(&format!("job-{i}"), true),
            ),
        )
        .await;
        assert_eq!(denial(&out), "", "review {reviews} during the churn: {out}");
        reviews += 1;
    }
    writer.join().expect("the writer finished");

    // What the index holds is what the API server holds, once the watch caught up.
    let stored = server
        .store()
        .list("autoscaling.k8s.io/v1", "VerticalPodAutoscaler", Some(NS))
        .len();
    let deadline = Instant::now() + WAIT;
    loop {
        let cached = metric(
            &client,
            &metrics,
            r#"flink_guard_cluster_cache_objects{kind="VerticalPodAutoscaler"}"#,
        )
        .await;
        if cached == Some(stored as f64) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "cached {cached:?}, stored {stored}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A cpu-controlling VPA appears on job-7: the same review is now refused, naming it.
    server
        .store()
        .apply(vpa("cpu-vpa", "job-7", &["cpu", "memory"]))
        .expect("stored");
    let review = admission("u-cpu", &target);
    let out = eventually(
        "the cpu VPA seen",
        WAIT,
        || post(&client, &validate, &review),
        |out| denial(out).contains("VerticalPodAutoscaler flink/cpu-vpa"),
    )
    .await;
    assert!(denial(&out).contains("[vpa.controls-cpu]"), "{out}");

    // Retargeted to job-8: job-7 is free again, job-8 is not.
    server
        .store()
        .apply(vpa("cpu-vpa", "job-8", &["cpu", "memory"]))
        .expect("stored");
    eventually(
        "the retarget seen",
        WAIT,
        || post(&client, &validate, &review),
        |out| denial(out).is_empty(),
    )
    .await;
    let other = admission("u-8", &flink_deployment("job-8", true));
    let out = post(&client, &validate, &other).await;
    assert!(denial(&out).contains("cpu-vpa"), "{out}");

    // Deleted: job-8 is free too.
    server
        .store()
        .delete(
            "autoscaling.k8s.io/v1",
            "VerticalPodAutoscaler",
            NS,
            "cpu-vpa",
        )
        .expect("deleted");
    eventually(
        "the delete seen",
        WAIT,
        || post(&client, &validate, &other),
        |out| denial(out).is_empty(),
    )
    .await;

    // The cache keeps the rules' fields only: well under what the objects hold.
    let rss = webhook.memory().rss;
    assert!(rss > 0);
    let logged = webhook.stderr();
    assert!(
        !logged.contains("admission request answered"),
        "admissions are not logged at info:\n{}",
        &logged[..logged.len().min(2000)]
    );
}
