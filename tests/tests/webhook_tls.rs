//! End-to-end: the built `flink-autoscale-webhook` binary over real TLS, driven by an
//! HTTPS client that trusts only the CA the test was given, as the API server does
//! with the webhook configuration's `caBundle`.

use flink_autoscale_e2e::{binary, fixture};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const START_TIMEOUT: Duration = Duration::from_secs(60);
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// A running webhook process, killed when dropped so a failing test leaves nothing
/// behind.
struct Webhook {
    child: Child,
    addr: String,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<String>>,
}

impl Webhook {
    /// Starts the binary with `args` and waits for the line announcing its bound
    /// address (the tests listen on port 0, so there is no port to guess or race for).
    fn start(args: &[&str]) -> Webhook {
        Self::start_with_env(args, &[])
    }

    fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Webhook {
        let bin = binary("flink-autoscale-webhook", "flink-autoscale-webhook");
        let mut child = Command::new(bin)
            .args(args)
            .envs(env.iter().copied())
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the webhook starts");

        let stdout_lines = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        let pipe = child.stdout.take().expect("stdout is piped");
        let lines = stdout_lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line.clone());
                let _ = tx.send(line);
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().expect("stderr is piped");
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });

        let mut webhook = Webhook {
            child,
            addr: String::new(),
            stdout: stdout_lines,
            stderr,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(addr) = line.strip_prefix("listening on https://") {
                        webhook.addr = addr.trim().to_string();
                        return webhook;
                    }
                }
                Err(_) => panic!(
                    "the webhook did not announce its address within {START_TIMEOUT:?}; exit: {:?}\nstderr:\n{}",
                    webhook.child.try_wait(),
                    webhook.stderr()
                ),
            }
        }
    }

    fn port(&self) -> u16 {
        self.addr
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("the announced address has a port")
    }

    /// The URL of `path`, by the name in the certificate.
    fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.port())
    }

    fn stdout(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits until /readyz answers 200.
    async fn wait_ready(&self, client: &reqwest::Client) {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(r) = client.get(self.url("/readyz")).send().await
                && r.status() == 200
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "/readyz not 200 within {READY_TIMEOUT:?}\nstderr:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn terminate(&mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the process to exit, polling. Async so that the test's own client
    /// connections keep running: an HTTP/2 graceful shutdown waits for the client to
    /// answer a PING.
    async fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Webhook {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTPS client that trusts `ca_pem` and nothing else.
fn client_trusting(ca_pem: &[u8]) -> reqwest::Client {
    client_builder(ca_pem).build().expect("client builds")
}

fn client_builder(ca_pem: &[u8]) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem).expect("CA parses"))
        .timeout(Duration::from_secs(30))
}

/// A CA and a server certificate for localhost/127.0.0.1 it signed, as PEM.
struct Pki {
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
}

fn pki(ca_name: &str) -> Pki {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, ca_name);
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let mut params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca).unwrap();
    Pki {
        ca_pem: ca.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
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
async fn dev_webhook(dir: &Path, extra: &[&str]) -> (Webhook, reqwest::Client, PathBuf) {
    let ca_path = dir.join("dev-ca.pem");
    let ca_arg = ca_path.to_str().unwrap().to_string();
    let mut args = vec![
        "--dev",
        "--offline",
        "--listen",
        "127.0.0.1:0",
        "--dev-ca-out",
        &ca_arg,
    ];
    args.extend_from_slice(extra);
    let webhook = Webhook::start(&args);
    let ca = std::fs::read(&ca_path).expect("the dev CA was written");
    let client = client_trusting(&ca);
    webhook.wait_ready(&client).await;
    (webhook, client, ca_path)
}

async fn post(client: &reqwest::Client, url: &str, body: Vec<u8>) -> (u16, String) {
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e:?}"));
    let status = response.status().as_u16();
    (status, response.text().await.expect("body is text"))
}

async fn review(client: &reqwest::Client, url: &str, body: &Value) -> Value {
    let (status, text) = post(client, url, serde_json::to_vec(body).unwrap()).await;
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("response is not JSON ({e}): {text}"))
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
    let http1 = client_builder(&std::fs::read(dir.path().join("dev-ca.pem")).unwrap())
        .http1_only()
        .build()
        .unwrap();
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
    let stranger = client_trusting(pki("some other CA").ca_pem.as_bytes());
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

/// Writes a certificate/key pair the way kubelet updates a Secret volume: a fresh
/// directory, then an atomic swap of the `..data` symlink the file names go through.
fn write_secret_volume(dir: &Path, generation: u32, pki: &Pki) {
    let data = format!("..2026_11_24_10_00_00.{generation}");
    std::fs::create_dir(dir.join(&data)).unwrap();
    std::fs::write(dir.join(&data).join("tls.crt"), &pki.cert_pem).unwrap();
    std::fs::write(dir.join(&data).join("tls.key"), &pki.key_pem).unwrap();
    let tmp = dir.join("..data_tmp");
    std::os::unix::fs::symlink(&data, &tmp).unwrap();
    std::fs::rename(&tmp, dir.join("..data")).unwrap();
    for name in ["tls.crt", "tls.key"] {
        let link = dir.join(name);
        if std::fs::symlink_metadata(&link).is_err() {
            std::os::unix::fs::symlink(format!("..data/{name}"), &link).unwrap();
        }
    }
}

#[tokio::test]
async fn serves_certificate_files_and_picks_up_a_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let first = pki("first CA");
    write_secret_volume(dir.path(), 1, &first);
    let cert = dir.path().join("tls.crt");
    let key = dir.path().join("tls.key");
    // Configured through the environment, as the Helm chart does; an explicit
    // FLINK_GUARD_DEV=false must not count as --dev.
    let webhook = Webhook::start_with_env(
        &[],
        &[
            ("FLINK_GUARD_TLS_CERT", cert.to_str().unwrap()),
            ("FLINK_GUARD_TLS_KEY", key.to_str().unwrap()),
            ("FLINK_GUARD_DEV", "false"),
            ("FLINK_GUARD_OFFLINE", "true"),
            ("FLINK_GUARD_LISTEN", "127.0.0.1:0"),
            ("FLINK_GUARD_CERT_RELOAD_INTERVAL", "200 ms"),
        ],
    );
    let client = client_trusting(first.ca_pem.as_bytes());
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
    write_secret_volume(dir.path(), 2, &second);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        // A fresh client each time: a new connection, hence a new handshake.
        let fresh = client_trusting(second.ca_pem.as_bytes());
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
    let stale = client_trusting(first.ca_pem.as_bytes());
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
    let bin = binary("flink-autoscale-webhook", "flink-autoscale-webhook");
    let out = Command::new(&bin)
        .args([
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ])
        .args(["--offline", "--listen", "127.0.0.1:0"])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("does not belong to the certificate") && stderr.contains("tls.key"),
        "{stderr}"
    );

    // Neither --dev nor files: a usage error naming the flags.
    let out = Command::new(&bin).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
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
    assert!(
        webhook.child.try_wait().unwrap().is_none(),
        "exited with a request in flight"
    );

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

/// Polls `answer` until `accept` holds for it: the reflector sees changes a moment
/// after the API server stores them.
async fn eventually<F, Fut>(what: &str, mut answer: F, accept: impl Fn(&Value) -> bool) -> Value
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Value>,
{
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let out = answer().await;
        if accept(&out) {
            return out;
        }
        assert!(Instant::now() < deadline, "{what}: last answer {out}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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
    let ca_path = dir.path().join("dev-ca.pem");
    let kubeconfig = server.kubeconfig().to_str().unwrap().to_string();
    let webhook = Webhook::start_with_env(
        &[
            "--dev",
            "--listen",
            "127.0.0.1:0",
            "--dev-ca-out",
            ca_path.to_str().unwrap(),
        ],
        &[("KUBECONFIG", kubeconfig.as_str())],
    );
    let client = client_trusting(&std::fs::read(&ca_path).unwrap());
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
    let bin = binary("flink-autoscale-webhook", "flink-autoscale-webhook");
    let out = Command::new(bin)
        .args(["--dev", "--listen", "127.0.0.1:0", "--dev-ca-out"])
        .arg(dir.path().join("ca.pem"))
        .env("KUBECONFIG", dir.path().join("missing-kubeconfig"))
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env("HOME", dir.path())
        .output()
        .expect("the webhook runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
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
    let ca_path = dir.path().join("dev-ca.pem");
    let kubeconfig = server.kubeconfig().to_str().unwrap().to_string();
    let webhook = Webhook::start_with_env(
        &[
            "--dev",
            "--listen",
            "127.0.0.1:0",
            "--dev-ca-out",
            ca_path.to_str().unwrap(),
        ],
        &[("KUBECONFIG", kubeconfig.as_str())],
    );
    let client = client_trusting(&std::fs::read(&ca_path).unwrap());
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
    let out = Command::new(binary("flink-autoscale-webhook", "flink-autoscale-webhook"))
        .arg("--version")
        .output()
        .expect("the webhook runs");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("flink-autoscale-webhook {expected}\n")
    );

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
