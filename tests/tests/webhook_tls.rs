//! End-to-end: the built `flink-autoscale-webhook` binary over real TLS, driven by an
//! HTTPS client that trusts only the CA the test was given, as the API server does
//! with the webhook configuration's `caBundle`.

use flink_autoscale_e2e::fixture;
use flink_autoscale_e2e::plugin::webhook_cli;
use flink_autoscale_e2e::webhook::pki::Pki;
use flink_autoscale_e2e::webhook::{WebhookProcess, client_trusting, eventually, post, review};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

const READY_TIMEOUT: Duration = Duration::from_secs(30);

fn pki(ca_name: &str) -> Pki {
    Pki::new(ca_name)
}

/// A client that trusts `ca_pem` and nothing else.
fn client_of(ca_pem: &[u8]) -> reqwest::Client {
    client_trusting(&[ca_pem]).build().expect("client builds")
}

/// Standard base64 (RFC 4648 with padding), as Go encodes []byte in JSON.
fn base64_decode(s: &str) -> Vec<u8> {
    let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u32, 0);
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = table
            .iter()
            .position(|t| *t == c)
            .unwrap_or_else(|| panic!("not base64: {c}")) as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn read_fixture(rel: &str) -> Value {
    let path = fixture(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Starts a `--dev --offline` webhook with its CA written into `dir`; returns it and
/// a client that trusts only that CA, once ready.
async fn dev_webhook(dir: &Path, extra: &[&str]) -> (WebhookProcess, reqwest::Client, PathBuf) {
    let ca_path = dir.join("dev-ca.pem");
    let webhook = WebhookProcess::dev(&ca_path).args(extra).start();
    let client = webhook.ready_client().await;
    (webhook, client, ca_path)
}

#[tokio::test]
async fn dev_mode_answers_admission_reviews_over_tls() {
    let dir = tempfile::tempdir().unwrap();
    let (webhook, client, ca_path) = dev_webhook(dir.path(), &[]).await;
    let validate = webhook.url("/validate");

    // The dev instructions name the CA file and a curl command for this port.
    let stdout = webhook.stdout().join("\n");
    assert!(
        stdout.contains(&format!("CA certificate written to {}", ca_path.display())),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("https://localhost:{}/validate", webhook.port())),
        "{stdout}"
    );

    // A real FlinkDeployment: admitted, uid echoed, offline noted.
    let out = review(
        &client,
        &validate,
        &read_fixture("admission/flinkdeployment-create.json"),
    )
    .await;
    assert_eq!(out["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(out["kind"], "AdmissionReview");
    let response = &out["response"];
    assert_eq!(response["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
    assert_eq!(response["allowed"], true, "{out}");
    let warnings: Vec<&str> = response["warnings"]
        .as_array()
        .map(|w| w.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(
        warnings.contains(&flink_autoscale_rules::review::OFFLINE_NOTE),
        "{warnings:?}"
    );

    // DELETE with a null object: allowed untouched.
    let out = review(
        &client,
        &validate,
        &read_fixture("admission/flinkdeployment-delete.json"),
    )
    .await;
    assert_eq!(out["response"]["allowed"], true);
    assert_eq!(
        out["response"]["uid"],
        "a1b2c3d4-0000-4000-8000-000000000002"
    );

    // The VPA: admitted by /validate; /mutate answers a base64 JSON patch (Go's
    // []byte encoding, which the API server requires) that makes it memory-only.
    let vpa = read_fixture("admission/vpa-update.json");
    let out = review(&client, &webhook.url("/validate"), &vpa).await;
    assert_eq!(out["response"]["allowed"], true);
    assert!(out["response"].get("patch").is_none());
    let out = review(&client, &webhook.url("/mutate"), &vpa).await;
    assert_eq!(out["response"]["allowed"], true);
    assert_eq!(out["response"]["patchType"], "JSONPatch");
    let encoded = out["response"]["patch"]
        .as_str()
        .unwrap_or_else(|| panic!("patch must be a base64 string: {out}"));
    let patch: json_patch::Patch =
        serde_json::from_slice(&base64_decode(encoded)).expect("the patch is a JSON patch");
    let mut object = vpa["request"]["object"].clone();
    json_patch::patch(&mut object, &patch).expect("the patch applies to the VPA");
    assert_eq!(
        object["spec"]["resourcePolicy"]["containerPolicies"][0]["controlledResources"],
        json!(["memory"])
    );
    // Sent again with the patched object, nothing more is added.
    let mut again = vpa.clone();
    again["request"]["object"] = object;
    let out = review(&client, &webhook.url("/mutate"), &again).await;
    assert!(out["response"].get("patch").is_none(), "{out}");

    // A broken autoscaler setting: denied with a 403 status naming the field.
    let mut bad = read_fixture("admission/flinkdeployment-create.json");
    bad["request"]["uid"] = json!("deny-1");
    bad["request"]["object"]["spec"]["flinkConfiguration"]["job.autoscaler.utilization.target"] =
        json!("1.5");
    let out = review(&client, &validate, &bad).await;
    let response = &out["response"];
    assert_eq!(response["uid"], "deny-1");
    assert_eq!(response["allowed"], false, "{out}");
    assert_eq!(response["status"]["code"], 403);
    let message = response["status"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("flink/autoscaling-example is refused")
            && message.contains("job.autoscaler.utilization.target")
            && message.contains("\"1.5\""),
        "{message}"
    );
}

#[tokio::test]
async fn malformed_requests_get_4xx_with_a_message_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let (webhook, client, _) = dev_webhook(dir.path(), &["--admin-listen", "127.0.0.1:0"]).await;
    let validate = webhook.url("/validate");
    let create = read_fixture("admission/flinkdeployment-create.json");
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = create.clone();
        f(&mut v);
        serde_json::to_vec(&v).unwrap()
    };
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "malformed JSON",
            b"{\"apiVersion\": \"admission.k8s.io/v1\",".to_vec(),
            400,
            "request body is not valid JSON",
        ),
        (
            "wrong apiVersion",
            with(&|v| v["apiVersion"] = json!("admission.k8s.io/v1beta1")),
            400,
            "apiVersion: \"admission.k8s.io/v1beta1\" is not supported",
        ),
        (
            "missing request",
            with(&|v| {
                v.as_object_mut().unwrap().remove("request");
            }),
            400,
            "request: missing",
        ),
        (
            "4 MiB body",
            vec![b' '; 4 * 1024 * 1024],
            413,
            "request body exceeds the 3 MiB limit",
        ),
        ("empty body", Vec::new(), 400, "request body is empty"),
        (
            "non-object object",
            with(&|v| v["request"]["object"] = json!(["not", "an", "object"])),
            400,
            "request.object: is an array",
        ),
    ];
    for (name, body, status, message) in &cases {
        let (got, text) = post(&client, &validate, body.clone()).await;
        assert_eq!(got, *status, "{name}: {text}");
        assert!(
            text.starts_with(message),
            "{name}: expected {message:?}, got {text:?}"
        );
    }

    // Over HTTP/1.1 too: the 413 must arrive although the client is still sending.
    let http1 = webhook.client_builder().http1_only().build().unwrap();
    let (got, text) = post(&http1, &validate, vec![b' '; 4 * 1024 * 1024]).await;
    assert_eq!(got, 413, "{text}");

    // Still serving, on both listeners.
    let health = client.get(webhook.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");
    let out = review(&client, &validate, &create).await;
    assert_eq!(
        out["response"]["uid"],
        "705ab4f5-6393-11e8-b7cc-42010a800002"
    );

    let admin = webhook
        .stdout()
        .iter()
        .find_map(|l| l.strip_prefix("admin listening on ").map(str::to_string))
        .expect("the admin address is announced");
    let plain = reqwest::Client::new();
    let metrics = plain.get(format!("{admin}/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    let metrics = metrics.text().await.unwrap();
    for reason in [
        "not_json",
        "wrong_api_version",
        "missing_request",
        "too_large",
        "empty_body",
        "bad_object",
    ] {
        assert!(
            metrics.contains(&format!(
                "flink_guard_bad_requests_total{{endpoint=\"validate\",reason=\"{reason}\"}}"
            )),
            "{reason} not counted:\n{metrics}"
        );
    }
    assert!(metrics.contains("flink_guard_admission_requests_total{endpoint=\"validate\",kind=\"FlinkDeployment\",operation=\"CREATE\",allowed=\"true\"} 1"), "{metrics}");
    let ready = plain.get(format!("{admin}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
}

#[tokio::test]
async fn a_client_that_does_not_trust_the_ca_fails_the_handshake() {
    let dir = tempfile::tempdir().unwrap();
    let (webhook, _, _) = dev_webhook(dir.path(), &[]).await;
    let stranger = client_of(pki("some other CA").ca_pem.as_bytes());
    let err = stranger
        .get(webhook.url("/healthz"))
        .send()
        .await
        .expect_err("an untrusted certificate must fail the handshake");
    assert!(err.is_connect(), "{err:?}");
}

#[tokio::test]
async fn sigterm_exits_zero_promptly() {
    let dir = tempfile::tempdir().unwrap();
    let (mut webhook, client, _) = dev_webhook(dir.path(), &[]).await;
    // An open keep-alive connection must not hold the shutdown up.
    let out = review(
        &client,
        &webhook.url("/validate"),
        &read_fixture("admission/flinkdeployment-delete.json"),
    )
    .await;
    assert_eq!(out["response"]["allowed"], true);

    webhook.terminate();
    let status = webhook.wait_exit(Duration::from_secs(10)).await;
    assert!(
        status.is_some_and(|s| s.success()),
        "exit status {status:?}\nstderr:\n{}",
        webhook.stderr()
    );
    assert!(webhook.stderr().contains("SIGTERM"), "{}", webhook.stderr());
}

#[tokio::test]
async fn serves_certificate_files_and_picks_up_a_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let first = pki("first CA");
    first.write_secret_volume(dir.path(), 1);
    let cert = dir.path().join("tls.crt");
    let key = dir.path().join("tls.key");
    // Configured through the environment, as the Helm chart does; an explicit
    // FLINK_GUARD_DEV=false must not count as --dev.
    let webhook = WebhookProcess::with_args::<_, &str>([])
        .env("FLINK_GUARD_TLS_CERT", &cert)
        .env("FLINK_GUARD_TLS_KEY", &key)
        .env("FLINK_GUARD_DEV", "false")
        .env("FLINK_GUARD_OFFLINE", "true")
        .env("FLINK_GUARD_LISTEN", "127.0.0.1:0")
        .env("FLINK_GUARD_CERT_RELOAD_INTERVAL", "200 ms")
        .start();
    let client = client_of(first.ca_pem.as_bytes());
    webhook.wait_ready(&client).await;
    let out = review(
        &client,
        &webhook.url("/validate"),
        &read_fixture("admission/flinkdeployment-create.json"),
    )
    .await;
    assert_eq!(
        out["response"]["uid"],
        "705ab4f5-6393-11e8-b7cc-42010a800002"
    );

    // A rotated pair signed by another CA: new connections get it within a few polls.
    let second = pki("second CA");
    second.write_secret_volume(dir.path(), 2);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        // A fresh client each time: a new connection, hence a new handshake.
        let fresh = client_of(second.ca_pem.as_bytes());
        if let Ok(r) = fresh.get(webhook.url("/healthz")).send().await {
            assert_eq!(r.status(), 200);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "rotated certificate not served within 20 s\nstderr:\n{}",
            webhook.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        webhook.stderr().contains("serving certificate reloaded"),
        "{}",
        webhook.stderr()
    );
    // The old CA no longer verifies new connections.
    let stale = client_of(first.ca_pem.as_bytes());
    assert!(stale.get(webhook.url("/healthz")).send().await.is_err());
}

#[test]
fn bad_tls_files_stop_start_up_with_a_message_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let a = pki("a");
    let b = pki("b");
    let cert = dir.path().join("tls.crt");
    let key = dir.path().join("tls.key");
    std::fs::write(&cert, &a.cert_pem).unwrap();
    std::fs::write(&key, &b.key_pem).unwrap();
    let out = webhook_cli(["--tls-cert", cert.to_str().unwrap()])
        .args(["--tls-key", key.to_str().unwrap()])
        .args(["--offline", "--listen", "127.0.0.1:0"])
        .run();
    assert_ne!(out.code, Some(0));
    let stderr = out.stderr;
    assert!(
        stderr.contains("does not belong to the certificate") && stderr.contains("tls.key"),
        "{stderr}"
    );

    // Neither --dev nor files: a usage error naming the flags.
    let out = webhook_cli::<_, &str>([]).run();
    assert_eq!(out.code, Some(2));
    let stderr = out.stderr;
    assert!(
        stderr.contains("--tls-cert") && stderr.contains("--tls-key"),
        "{stderr}"
    );
}

/// SIGTERM while a request is half sent: new connections are refused, the request
/// in flight is still answered, then the process exits 0. Plain rustls over a
/// blocking socket, so the test controls exactly when each byte is sent.
#[tokio::test]
async fn sigterm_drains_a_request_in_flight() {
    use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
    use std::io::Write;
    use std::net::TcpStream;

    let dir = tempfile::tempdir().unwrap();
    let (mut webhook, _, ca_path) = dev_webhook(dir.path(), &[]).await;

    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(&ca_path).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connection =
        rustls::ClientConnection::new(Arc::new(config), ServerName::try_from("localhost").unwrap())
            .unwrap();
    let socket = TcpStream::connect(("127.0.0.1", webhook.port())).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut tls = rustls::StreamOwned::new(connection, socket);

    let body = std::fs::read(fixture("admission/flinkdeployment-delete.json")).unwrap();
    let (first, rest) = body.split_at(body.len() / 2);
    write!(
        tls,
        "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    tls.write_all(first).unwrap();
    tls.flush().unwrap();

    webhook.terminate();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !webhook.stderr().contains("shutting down") {
        assert!(
            Instant::now() < deadline,
            "no shutdown logged:\n{}",
            webhook.stderr()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The listener closes right after the signal: new connections are refused.
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", webhook.port())).is_ok() {
        assert!(
            Instant::now() < deadline,
            "still accepting connections after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(webhook.is_running(), "exited with a request in flight");

    tls.write_all(rest).unwrap();
    tls.flush().unwrap();
    let mut response = Vec::new();
    // The server closes the connection after answering (it is shutting down).
    let _ = std::io::Read::read_to_end(&mut tls, &mut response);
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        response.contains("a1b2c3d4-0000-4000-8000-000000000002"),
        "{response}"
    );

    let status = webhook.wait_exit(Duration::from_secs(10)).await;
    assert!(
        status.is_some_and(|s| s.success()),
        "exit status {status:?}"
    );
}

// ---------------------------------------------------------------------------------
// The cluster view: the webhook (without --offline) watches FlinkDeployments, VPAs
// and HPAs of a Kubernetes-compatible API server through kube reflectors, and judges
// admissions against that cache.

use flink_autoscale_e2e::apiserver::TestApiServer;

/// An AdmissionReview for `object`, as the API server would send it on CREATE.
fn admission(uid: &str, group: &str, version: &str, resource: &str, object: &Value) -> Value {
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": group, "version": version, "kind": object["kind"]},
            "resource": {"group": group, "version": version, "resource": resource},
            "name": object["metadata"]["name"],
            "namespace": object["metadata"]["namespace"],
            "operation": "CREATE",
            "userInfo": {"username": "kubernetes-admin"},
            "object": object,
            "oldObject": null,
            "dryRun": false
        }
    })
}

fn yaml_fixture(rel: &str) -> Value {
    let text = std::fs::read_to_string(fixture(rel)).expect("fixture readable");
    serde_saphyr::from_str(&text).expect("fixture is YAML")
}

#[tokio::test]
async fn the_cluster_view_comes_from_reflectors_on_the_api_server() {
    let mut autoscaled = yaml_fixture("examples/flink-operator-autoscaling.yaml");
    autoscaled["metadata"]["name"] = json!("basic");
    autoscaled["metadata"]["namespace"] = json!("default");
    let server = TestApiServer::builder()
        .object(autoscaled.clone())
        .start()
        .expect("test API server starts");

    let dir = tempfile::tempdir().unwrap();
    let webhook = WebhookProcess::dev(dir.path().join("dev-ca.pem"))
        .kubeconfig(server.kubeconfig())
        .start();
    let client = webhook.client();
    // Ready only once the caches have their initial lists.
    webhook.wait_ready(&client).await;
    let validate = webhook.url("/validate");
    let mutate = webhook.url("/mutate");

    // The operator's HPA example against the autoscaled "basic": refused, with no
    // offline note (the cluster rules ran).
    let hpa = yaml_fixture("examples/flink-operator-basic-hpa.yaml");
    let out = review(
        &client,
        &validate,
        &admission(
            "hpa-1",
            "autoscaling",
            "v2",
            "horizontalpodautoscalers",
            &hpa,
        ),
    )
    .await;
    assert_eq!(out["response"]["allowed"], false, "{out}");
    let message = out["response"]["status"]["message"].as_str().unwrap_or("");
    assert!(message.contains("[hpa.autoscaler-conflict]"), "{message}");
    let warnings = out["response"]["warnings"].to_string();
    assert!(!warnings.contains("offline"), "{warnings}");

    // The VPA is mutated with the TaskManager's memory (2048m = 2 GiB) as minimum,
    // which only the cluster view knows.
    let vpa = json!({
        "apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
        "metadata": {"name": "basic-tm", "namespace": "default"},
        "spec": {"targetRef": {"apiVersion": "flink.apache.org/v1beta1",
                               "kind": "FlinkDeployment", "name": "basic"},
                 "updatePolicy": {"updateMode": "Initial"}}
    });
    let review_vpa = admission(
        "vpa-1",
        "autoscaling.k8s.io",
        "v1",
        "verticalpodautoscalers",
        &vpa,
    );
    let out = review(&client, &mutate, &review_vpa).await;
    let patch: json_patch::Patch = serde_json::from_slice(&base64_decode(
        out["response"]["patch"].as_str().expect("a patch"),
    ))
    .unwrap();
    let mut mutated = vpa.clone();
    json_patch::patch(&mut mutated, &patch).unwrap();
    assert_eq!(
        mutated.pointer("/spec/resourcePolicy/containerPolicies/0/minAllowed/memory"),
        Some(&json!("2Gi"))
    );

    // Memory tuning switched on in the cluster: the same memory VPA is now refused,
    // once the watch has delivered the change.
    let mut tuned = autoscaled.clone();
    tuned["spec"]["flinkConfiguration"]["job.autoscaler"]["memory.tuning.enabled"] = json!(true);
    server
        .store()
        .apply(tuned)
        .expect("the API server stores the change");
    let review_mutated = admission(
        "vpa-2",
        "autoscaling.k8s.io",
        "v1",
        "verticalpodautoscalers",
        &mutated,
    );
    let out = eventually(
        "memory tuning seen through the watch",
        READY_TIMEOUT,
        || review(&client, &validate, &review_mutated),
        |out| out["response"]["allowed"] == false,
    )
    .await;
    let message = out["response"]["status"]["message"].as_str().unwrap_or("");
    assert!(
        message.contains("[vpa.memory-tuning-conflict]"),
        "{message}"
    );

    // And the reverse: with that VPA stored, a FlinkDeployment that turns memory
    // tuning on is refused, naming the VPA.
    server.store().apply(mutated).expect("the VPA is stored");
    let mut other = autoscaled.clone();
    other["spec"]["flinkConfiguration"]["job.autoscaler"]["memory.tuning.enabled"] = json!(true);
    let review_fd = admission(
        "fd-1",
        "flink.apache.org",
        "v1beta1",
        "flinkdeployments",
        &other,
    );
    let out = eventually(
        "the VPA seen through the watch",
        READY_TIMEOUT,
        || review(&client, &validate, &review_fd),
        |out| {
            out["response"]["status"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("VerticalPodAutoscaler default/basic-tm"))
        },
    )
    .await;
    assert_eq!(out["response"]["allowed"], false);
}

#[tokio::test]
async fn without_a_reachable_cluster_the_webhook_says_how_to_run_offline() {
    let dir = tempfile::tempdir().unwrap();
    let out = webhook_cli(["--dev", "--listen", "127.0.0.1:0", "--dev-ca-out"])
        .arg(dir.path().join("ca.pem"))
        .env("KUBECONFIG", dir.path().join("missing-kubeconfig"))
        .env("HOME", dir.path())
        .env_remove("NO_COLOR")
        .run();
    assert_ne!(out.code, Some(0));
    let stderr = out.stderr;
    assert!(stderr.contains("--offline"), "{stderr}");
}

#[tokio::test]
async fn a_kind_the_cluster_does_not_serve_is_logged_once_and_its_rules_skipped() {
    let mut autoscaled = yaml_fixture("examples/flink-operator-autoscaling.yaml");
    autoscaled["metadata"]["name"] = json!("basic");
    autoscaled["metadata"]["namespace"] = json!("default");
    let server = TestApiServer::builder()
        .object(autoscaled)
        .without_kind("VerticalPodAutoscaler")
        .start()
        .expect("test API server starts");
    let dir = tempfile::tempdir().unwrap();
    let webhook = WebhookProcess::dev(dir.path().join("dev-ca.pem"))
        .kubeconfig(server.kubeconfig())
        .start();
    let client = webhook.client();
    // Still becomes ready: the missing kind is not waited for.
    webhook.wait_ready(&client).await;
    let logged = webhook.stderr();
    assert_eq!(
        logged.matches("kind not served by the cluster").count(),
        1,
        "{logged}"
    );
    assert!(logged.contains("VerticalPodAutoscaler"), "{logged}");
    // The other kinds' rules still run from the cache.
    let hpa = yaml_fixture("examples/flink-operator-basic-hpa.yaml");
    let out = review(
        &client,
        &webhook.url("/validate"),
        &admission(
            "hpa-2",
            "autoscaling",
            "v2",
            "horizontalpodautoscalers",
            &hpa,
        ),
    )
    .await;
    assert_eq!(out["response"]["allowed"], false, "{out}");
}

/// The commit `git` reports for the checkout the binaries are built from.
fn head_commit() -> String {
    Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(flink_autoscale_e2e::workspace_root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

#[tokio::test]
async fn version_logs_and_build_info_name_the_version_and_commit() {
    let commit = head_commit();
    let expected = format!("{} (commit {commit})", env!("CARGO_PKG_VERSION"));
    let out = webhook_cli(["--version"]).run();
    assert_eq!(out.code, Some(0), "{out:?}");
    assert_eq!(out.stdout, format!("flink-autoscale-webhook {expected}\n"));

    let dir = tempfile::tempdir().unwrap();
    let (webhook, client, _) = dev_webhook(dir.path(), &[]).await;
    let metrics = client
        .get(webhook.url("/metrics"))
        .send()
        .await
        .expect("/metrics answers")
        .text()
        .await
        .expect("text");
    let line = format!(
        "flink_guard_build_info{{version=\"{}\",commit=\"{commit}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );
    assert!(metrics.contains(&line), "{line} not in\n{metrics}");
    assert!(webhook.stderr().contains(&expected), "{}", webhook.stderr());
}
