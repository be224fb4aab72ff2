//! Hostile and faulty conditions, end to end, all on 127.0.0.1 and bounded in time:
//! clients that choose metric labels, compressed bodies, a rotation to an expired
//! certificate, objects deeper than a parser's recursion limit, bodies built to cost
//! memory, SIGTERM with clients still connected, and an API server that is down at
//! start, goes away, and comes back.

use flink_autoscale_e2e::apiserver::TestApiServer;
use flink_autoscale_e2e::fixture;
use flink_autoscale_e2e::webhook::{TestCa, WebhookProcess, client_trusting, post};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(60);
const MIB: u64 = 1024 * 1024;

fn client(ca_pem: &[u8]) -> reqwest::Client {
    client_trusting(&[ca_pem]).build().expect("client builds")
}

/// A `--dev --offline` webhook with `extra` flags, and a client trusting it.
fn dev_webhook(dir: &Path, extra: &[&str]) -> (WebhookProcess, reqwest::Client) {
    let webhook = WebhookProcess::dev(dir.join("dev-ca.pem"))
        .args(extra)
        .start();
    let client = webhook.client();
    (webhook, client)
}

async fn wait_for_status(client: &reqwest::Client, url: &str, status: u16) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(r) = client.get(url).send().await
            && r.status() == status
        {
            return r.text().await.unwrap_or_default();
        }
        assert!(Instant::now() < deadline, "{url} never answered {status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn create_review() -> Value {
    let text = std::fs::read_to_string(fixture("admission/flinkdeployment-create.json"))
        .expect("fixture readable");
    serde_json::from_str(&text).expect("fixture is JSON")
}

#[tokio::test]
async fn kinds_clients_make_up_do_not_grow_the_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let (webhook, client) = dev_webhook(dir.path(), &[]);
    wait_for_status(&client, &webhook.url("/readyz"), 200).await;
    let before = client
        .get(webhook.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .len();
    let mut review = create_review();
    for i in 0..300 {
        review["request"]["kind"]["kind"] = json!(format!("Invented{i}Kind"));
        review["request"]["uid"] = json!(format!("u-{i}"));
        let (status, body) = post(
            &client,
            &webhook.url("/validate"),
            serde_json::to_vec(&review).unwrap(),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let text = client
        .get(webhook.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!text.contains("Invented"), "a client-chosen label leaked");
    assert!(
        text.contains(r#"kind="other",operation="CREATE",allowed="true"} 300"#),
        "{text}"
    );
    assert!(
        text.len() < before + 2048,
        "/metrics grew from {before} to {} bytes",
        text.len()
    );
}

#[tokio::test]
async fn compressed_bodies_are_415_not_400() {
    let dir = tempfile::tempdir().unwrap();
    let (webhook, client) = dev_webhook(dir.path(), &[]);
    wait_for_status(&client, &webhook.url("/readyz"), 200).await;
    let r = client
        .post(webhook.url("/validate"))
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(vec![
            0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let text = r.text().await.unwrap();
    assert!(
        text.starts_with("content-encoding: \"gzip\" is not supported"),
        "{text}"
    );
}

fn pki() -> TestCa {
    TestCa::new("faults test CA")
}

#[tokio::test]
async fn a_rotation_to_an_expired_certificate_is_refused_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let pki = pki();
    let now = time::OffsetDateTime::now_utc();
    let (cert, key) = pki.issue(
        now - time::Duration::hours(1),
        now + time::Duration::days(30),
    );
    let (cert_path, key_path) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    std::fs::write(&cert_path, &cert).unwrap();
    std::fs::write(&key_path, &key).unwrap();
    let webhook = WebhookProcess::with_certs(&cert_path, &key_path)
        .args(["--cert-reload-interval", "100ms"])
        .start();
    let client = client(pki.ca_pem.as_bytes());
    wait_for_status(&client, &webhook.url("/readyz"), 200).await;

    for (from, to, what) in [
        (
            now - time::Duration::days(30),
            now - time::Duration::days(1),
            "expired",
        ),
        (
            now + time::Duration::days(1),
            now + time::Duration::days(30),
            "not valid yet",
        ),
    ] {
        let (cert, key) = pki.issue(from, to);
        // Key first, then certificate: the reload sees a mismatched pair at most
        // once in between, which it also refuses.
        std::fs::write(&key_path, &key).unwrap();
        std::fs::write(&cert_path, &cert).unwrap();
        let deadline = Instant::now() + WAIT;
        while !webhook.stderr().contains(what) {
            assert!(
                Instant::now() < deadline,
                "no refusal logged:\n{}",
                webhook.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Fresh connections still get the valid certificate.
        let fresh = self::client(pki.ca_pem.as_bytes());
        let r = fresh.get(webhook.url("/healthz")).send().await;
        assert!(
            r.is_ok_and(|r| r.status() == 200),
            "handshake failed after a refused {what} rotation"
        );
    }
    let metrics = client
        .get(webhook.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let failures: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("flink_guard_certificate_reload_failures_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    assert!(failures >= 2.0, "{metrics}");
    assert!(!webhook.stderr().contains("serving certificate reloaded"));
}

#[tokio::test]
async fn pod_templates_deeper_than_a_parser_limit_are_judged() {
    let dir = tempfile::tempdir().unwrap();
    let (webhook, client) = dev_webhook(dir.path(), &[]);
    wait_for_status(&client, &webhook.url("/readyz"), 200).await;
    let mut review = create_review();
    let depth = 5_000;
    let deep = format!("{}null{}", r#"{"x":"#.repeat(depth), "}".repeat(depth));
    review["request"]["object"]["spec"]["podTemplate"] = json!("DEEP");
    let body = serde_json::to_string(&review)
        .unwrap()
        .replace(r#""DEEP""#, &deep);
    let (status, text) = post(&client, &webhook.url("/validate"), body.into_bytes()).await;
    assert_eq!(status, 200, "{text}");
    let out: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        out["response"]["uid"],
        "705ab4f5-6393-11e8-b7cc-42010a800002"
    );
    assert!(out["response"]["allowed"].is_boolean());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bodies_built_to_cost_memory_stay_within_a_bound() {
    let dir = tempfile::tempdir().unwrap();
    let (webhook, client) = dev_webhook(dir.path(), &[]);
    wait_for_status(&client, &webhook.url("/readyz"), 200).await;
    let idle_peak = webhook.memory().hwm;
    // 2.9 MiB of zeros where no rule reads (the pod template, the status), and
    // where rules do read (more values than the webhook builds): 16 at once.
    let zeros = |n: usize| format!("[{}0]", "0,".repeat(n));
    let review = create_review();
    let mut bodies = Vec::new();
    for place in ["podTemplate", "status", "flinkConfiguration", "options"] {
        let mut r = review.clone();
        match place {
            "status" => r["request"]["object"]["status"] = json!("ZEROS"),
            // Outside the object, in a field of the envelope kube's types keep.
            "options" => r["request"]["options"] = json!("ZEROS"),
            "flinkConfiguration" => {
                r["request"]["object"]["spec"]["flinkConfiguration"]["zeros"] = json!("ZEROS")
            }
            _ => r["request"]["object"]["spec"]["podTemplate"] = json!("ZEROS"),
        }
        let body = serde_json::to_string(&r)
            .unwrap()
            .replace(r#""ZEROS""#, &zeros(1_450_000));
        assert!(body.len() < 3 * 1024 * 1024 && body.len() > 2_800_000);
        bodies.push((place, body.into_bytes()));
    }
    // An UPDATE with two 1.4 MiB objects, as the API server may send.
    let mut update = review.clone();
    update["request"]["operation"] = json!("UPDATE");
    update["request"]["object"]["spec"]["podTemplate"] = json!("ZEROS");
    update["request"]["oldObject"] = update["request"]["object"].clone();
    let body = serde_json::to_string(&update)
        .unwrap()
        .replace(r#""ZEROS""#, &zeros(700_000));
    bodies.push(("update", body.into_bytes()));

    let mut tasks = Vec::new();
    for i in 0..16 {
        let (place, body) = bodies[i % bodies.len()].clone();
        let client = client.clone();
        let url = webhook.url("/validate");
        tasks.push(tokio::spawn(async move {
            let (status, text) = post(&client, &url, body).await;
            (place, status, text)
        }));
    }
    for t in tasks {
        let (place, status, text) = t.await.unwrap();
        match place {
            // Where no rule reads, the review is judged as if the field were small.
            "podTemplate" | "status" | "update" | "options" => {
                assert_eq!(status, 200, "{place}: {text}")
            }
            // Where rules read, too many values is refused, with the reason.
            _ => {
                assert_eq!(status, 413, "{place}: {text}");
                assert!(
                    text.contains("more values than the webhook reads"),
                    "{text}"
                );
            }
        }
    }
    let peak = webhook.memory().hwm;
    eprintln!(
        "16 bodies of 2.9 MiB at once: peak RSS {} MiB (idle peak {} MiB)",
        peak / MIB,
        idle_peak / MIB
    );
    // Before: 16 such bodies peaked at 290 MiB (over the chart's 256Mi limit).
    assert!(
        peak < idle_peak + 160 * MIB,
        "peak RSS {} MiB (idle peak {} MiB)",
        peak / MIB,
        idle_peak / MIB
    );
}

#[tokio::test]
async fn after_sigterm_it_serves_on_for_the_shutdown_delay_then_drains() {
    let dir = tempfile::tempdir().unwrap();
    let (mut webhook, client) = dev_webhook(dir.path(), &["--shutdown-delay", "2s"]);
    wait_for_status(&client, &webhook.url("/readyz"), 200).await;
    let review = serde_json::to_vec(&create_review()).unwrap();
    webhook.terminate();
    let signalled = Instant::now();
    // Not ready at once (endpoints drop the pod)...
    let text = wait_for_status(&client, &webhook.url("/readyz"), 503).await;
    assert!(text.contains("shutting down"), "{text}");
    // ...while new connections are still served, until the delay is over.
    let mut served = 0;
    while signalled.elapsed() < Duration::from_millis(1500) {
        let fresh = self::client(&std::fs::read(dir.path().join("dev-ca.pem")).unwrap());
        let (status, _) = post(&fresh, &webhook.url("/validate"), review.clone()).await;
        assert_eq!(status, 200);
        served += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served >= 5, "{served}");
    let status = webhook
        .wait_exit(Duration::from_secs(30))
        .await
        .expect("exits");
    assert!(status.success(), "{status:?}");
    assert!(
        signalled.elapsed() >= Duration::from_secs(2),
        "exited before the delay"
    );
}

// ---------------------------------------------------------------------------------
// The API server down at start, gone in the middle, back later: a TCP proxy in front
// of the test API server that can refuse connections and cut the live ones.

struct Switch {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    live: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Switch {
    async fn start(target: SocketAddr, up: bool) -> Switch {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let switch = Switch {
            addr,
            up: Arc::new(AtomicBool::new(up)),
            live: Arc::default(),
        };
        let (flag, live) = (switch.up.clone(), switch.live.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !flag.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                live.lock().unwrap().push(task);
            }
        });
        switch
    }

    fn set(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
        if !up {
            for t in self.live.lock().unwrap().drain(..) {
                t.abort();
            }
        }
    }

    /// The API server's kubeconfig, pointed at this proxy.
    fn kubeconfig(&self, server: &TestApiServer, dir: &Path) -> String {
        let text = std::fs::read_to_string(server.kubeconfig()).unwrap();
        let port = server.addr().port();
        let text = text.replace(&format!(":{port}"), &format!(":{}", self.addr.port()));
        let path = dir.join("kubeconfig");
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    }
}

fn autoscaled(name: &str) -> Value {
    json!({
        "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
        "metadata": {"name": name, "namespace": "flink"},
        "spec": {"flinkVersion": "v1_20",
                 "flinkConfiguration": {"job.autoscaler.enabled": "true",
                                        "job.autoscaler.vertex.max-parallelism": "64",
                                        "execution.checkpointing.interval": "1m"},
                 "job": {"jarURI": "local:///job.jar", "upgradeMode": "savepoint"}}
    })
}

/// A review of a VPA that controls cpu of `target`'s TaskManagers.
fn cpu_vpa_review(target: &str) -> Vec<u8> {
    let vpa = json!({
        "apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
        "metadata": {"name": "cpu", "namespace": "flink"},
        "spec": {"targetRef": {"apiVersion": "flink.apache.org/v1beta1",
                               "kind": "FlinkDeployment", "name": target},
                 "updatePolicy": {"updateMode": "Initial"},
                 "resourcePolicy": {"containerPolicies": [{"containerName": "flink-main-container",
                     "controlledResources": ["cpu", "memory"],
                     "minAllowed": {"memory": "1Gi"}, "maxAllowed": {"memory": "8Gi"}}]}}
    });
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": "vpa", "operation": "CREATE", "name": "cpu", "namespace": "flink",
                    "kind": {"group": "autoscaling.k8s.io", "version": "v1", "kind": "VerticalPodAutoscaler"},
                    "resource": {"group": "autoscaling.k8s.io", "version": "v1", "resource": "verticalpodautoscalers"},
                    "userInfo": {}, "object": vpa, "oldObject": null}
    }))
    .unwrap()
}

fn online_webhook(dir: &Path, kubeconfig: &str) -> (WebhookProcess, reqwest::Client) {
    let webhook = WebhookProcess::dev(dir.join("dev-ca.pem"))
        .kubeconfig(kubeconfig)
        .args(["--cache-stale-after", "2s"])
        .start();
    let client = webhook.client();
    (webhook, client)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn started_while_the_api_server_is_down_it_retries_stays_unready_and_says_so() {
    let server = TestApiServer::builder()
        .namespace("flink")
        .object(autoscaled("orders"))
        .start()
        .expect("test API server starts");
    let switch = Switch::start(server.addr(), false).await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = switch.kubeconfig(&server, dir.path());
    let (webhook, client) = online_webhook(dir.path(), &kubeconfig);

    // Down: not ready, and a review that needs the cluster says it was judged
    // without it.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let r = client.get(webhook.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let text = r.text().await.unwrap();
    assert!(text.contains("cache not synced yet"), "{text}");
    let (status, body) = post(&client, &webhook.url("/validate"), cpu_vpa_review("orders")).await;
    assert_eq!(status, 200);
    let out: Value = serde_json::from_str(&body).unwrap();
    let warnings = out["response"]["warnings"].to_string();
    assert!(warnings.contains("cluster view unavailable"), "{out}");
    assert!(warnings.contains("offline"), "{out}");

    // Back: it connects on its own, becomes ready, and the cluster rules run.
    switch.set(true);
    wait_for_status(&client, &webhook.url("/readyz"), 200).await;
    let (_, body) = post(&client, &webhook.url("/validate"), cpu_vpa_review("orders")).await;
    let out: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(out["response"]["allowed"], false, "{out}");
    assert!(
        out["response"]["status"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("[vpa.controls-cpu]"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_is_reported_and_the_view_relisted_when_the_server_returns() {
    // Versions replayed after a gap are few, as on a server whose history was
    // compacted or reset: resuming the watch cannot catch up, a fresh list must.
    let server = TestApiServer::builder()
        .namespace("flink")
        .object(autoscaled("orders"))
        .history_limit(1)
        .start()
        .expect("test API server starts");
    let switch = Switch::start(server.addr(), true).await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = switch.kubeconfig(&server, dir.path());
    let (webhook, client) = online_webhook(dir.path(), &kubeconfig);
    wait_for_status(&client, &webhook.url("/readyz"), 200).await;
    let metrics = webhook.url("/metrics");
    let scrape = || async {
        client
            .get(&metrics)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    assert!(
        scrape()
            .await
            .contains(r#"flink_guard_cluster_watch_healthy{kind="FlinkDeployment"} 1"#)
    );

    // Gone: watch health drops at once, readiness after --cache-stale-after, and
    // reviews stop using the stale view.
    switch.set(false);
    let deadline = Instant::now() + WAIT;
    while !scrape()
        .await
        .contains(r#"flink_guard_cluster_watch_healthy{kind="FlinkDeployment"} 0"#)
    {
        assert!(Instant::now() < deadline, "watch health never dropped");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = wait_for_status(&client, &webhook.url("/readyz"), 503).await;
    assert!(text.contains("stale"), "{text}");

    // Meanwhile the cluster changes: "orders" goes, "payments" comes.
    server
        .store()
        .delete(
            "flink.apache.org/v1beta1",
            "FlinkDeployment",
            "flink",
            "orders",
        )
        .unwrap();
    server.store().apply(autoscaled("payments")).unwrap();
    for i in 0..5 {
        server
            .store()
            .apply(autoscaled(&format!("churn-{i}")))
            .unwrap();
    }

    // Back: a fresh list; the deleted one is no longer judged, the new one is.
    switch.set(true);
    wait_for_status(&client, &webhook.url("/readyz"), 200).await;
    let (_, body) = post(
        &client,
        &webhook.url("/validate"),
        cpu_vpa_review("payments"),
    )
    .await;
    let out: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        out["response"]["allowed"], false,
        "new object invisible: {out}"
    );
    let (_, body) = post(&client, &webhook.url("/validate"), cpu_vpa_review("orders")).await;
    let out: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        out["response"]["allowed"], true,
        "deleted object still judged: {out}"
    );
    let text = scrape().await;
    assert!(
        text.contains(r#"flink_guard_cluster_watch_healthy{kind="FlinkDeployment"} 1"#),
        "{text}"
    );
}
