//! End-to-end: `flink-autoscale-webhook certs` writes files that openssl accepts and
//! that the webhook serves with, trusted by a client that knows only `ca.crt` and dials
//! the Service's name, as the API server does with the caBundle.

use flink_autoscale_e2e::binary;
use flink_autoscale_e2e::webhook::WebhookProcess;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const SERVICE: &str = "guard";
const NAMESPACE: &str = "ops-e2e";
const SERVICE_HOST: &str = "guard.ops-e2e.svc";

fn webhook_binary() -> std::path::PathBuf {
    binary("flink-autoscale-webhook", "flink-autoscale-webhook")
}

/// Runs `flink-autoscale-webhook certs ARGS` to completion.
fn certs(args: &[&str]) -> Output {
    Command::new(webhook_binary())
        .arg("certs")
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("the webhook binary runs")
}

/// `certs` for SERVICE in NAMESPACE into `out`, plus `extra`.
fn certs_into(out: &Path, extra: &[&str]) -> Output {
    let out = out.to_str().expect("temp paths are UTF-8");
    let mut args = vec!["--service", SERVICE, "--namespace", NAMESPACE, "--out", out];
    args.extend_from_slice(extra);
    certs(&args)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts that `output` is a success and returns its stdout.
fn succeeded(what: &str, output: &Output) -> String {
    assert!(
        output.status.success(),
        "{what}: {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        text(&output.stdout),
        text(&output.stderr)
    );
    text(&output.stdout)
}

fn openssl(args: &[&str]) -> Output {
    Command::new("openssl")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the openssl CLI runs")
}

fn path_arg(path: &Path) -> &str {
    path.to_str().expect("temp paths are UTF-8")
}

/// `openssl verify` of `cert` against `ca` for a TLS server named SERVICE_HOST.
fn openssl_verify(ca: &Path, cert: &Path) -> Output {
    openssl(&[
        "verify",
        "-purpose",
        "sslserver",
        "-verify_hostname",
        SERVICE_HOST,
        "-CAfile",
        path_arg(ca),
        path_arg(cert),
    ])
}

fn openssl_ext(cert: &Path, ext: &str) -> String {
    let out = openssl(&["x509", "-in", path_arg(cert), "-noout", "-ext", ext]);
    succeeded(&format!("openssl x509 -ext {ext}"), &out)
}

/// A client that trusts only `webhook`'s CA and finds `host` at its address, as the
/// API server finds the Service through cluster DNS.
fn client_dialing(host: &str, webhook: &WebhookProcess) -> reqwest::Client {
    webhook
        .client_builder()
        .resolve(host, webhook.addr())
        .build()
        .expect("client builds")
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn certificates_pass_openssl_and_serve_a_client_dialing_the_service_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("made/here");
    let stdout = succeeded(
        "certs",
        &certs_into(&out, &["--dns", "guard.example.test", "--days", "30"]),
    );
    let [ca_crt, ca_key, tls_crt, tls_key] =
        ["ca.crt", "ca.key", "tls.crt", "tls.key"].map(|f| out.join(f));

    // What was written, and the chart values the files go to.
    for path in [&ca_crt, &ca_key, &tls_crt, &tls_key] {
        assert!(path.is_file(), "{} missing", path.display());
        assert!(stdout.contains(path_arg(path)), "{stdout}");
    }
    for expected in [
        format!("--set-file tls.crt={}", path_arg(&tls_crt)),
        format!("--set-file tls.key={}", path_arg(&tls_key)),
        format!("--set-file caBundle={}", path_arg(&ca_crt)),
        "--set certManager.enabled=false".to_string(),
        format!("helm upgrade --install {SERVICE} charts/flink-autoscale-webhook"),
        format!("--set fullnameOverride={SERVICE}"),
        format!("kubectl -n {NAMESPACE} create secret tls {SERVICE}-tls"),
    ] {
        assert!(stdout.contains(&expected), "{expected:?} not in:\n{stdout}");
    }
    #[cfg(unix)]
    {
        assert_eq!(mode(&ca_key), 0o600);
        assert_eq!(mode(&tls_key), 0o600);
    }
    let key_pem = std::fs::read_to_string(&tls_key).unwrap();
    assert!(key_pem.starts_with("-----BEGIN PRIVATE KEY-----"), "PKCS#8");

    // openssl: the chain verifies for a TLS server named like the Service...
    let verified = succeeded("openssl verify", &openssl_verify(&ca_crt, &tls_crt));
    assert!(verified.trim_end().ends_with("tls.crt: OK"), "{verified}");
    // ...whose names are all in the certificate...
    let san = openssl_ext(&tls_crt, "subjectAltName");
    assert!(
        san.contains(
            "DNS:guard, DNS:guard.ops-e2e, DNS:guard.ops-e2e.svc, \
             DNS:guard.ops-e2e.svc.cluster.local, DNS:guard.example.test"
        ),
        "{san}"
    );
    // ...and the CA is a CA.
    let ca_ext = openssl_ext(&ca_crt, "basicConstraints,keyUsage");
    assert!(
        ca_ext.contains("CA:TRUE") && ca_ext.contains("Certificate Sign"),
        "{ca_ext}"
    );
    // The CA outlives the serving certificate (30 days), so the next one can come
    // from it.
    let checkend = |cert: &Path, days: u32| {
        let seconds = (days * 86_400).to_string();
        openssl(&[
            "x509",
            "-in",
            path_arg(cert),
            "-noout",
            "-checkend",
            &seconds,
        ])
        .status
        .success()
    };
    assert!(checkend(&ca_crt, 3000), "the CA lasts years");
    assert!(
        checkend(&tls_crt, 29) && !checkend(&tls_crt, 31),
        "--days 30"
    );
    let out_key = openssl(&["pkey", "-in", path_arg(&ca_key), "-noout"]);
    succeeded("openssl pkey ca.key", &out_key);

    // The webhook serves with them; a client trusting only ca.crt reaches it by the
    // Service's name, and refuses it under another name.
    let webhook = WebhookProcess::with_certs(&tls_crt, &tls_key)
        .ca(&ca_crt)
        .start();
    let client = client_dialing(SERVICE_HOST, &webhook);
    let url = format!("https://{SERVICE_HOST}:{}/healthz", webhook.port());
    let response = client
        .get(&url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e:?}\nstderr:\n{}", webhook.stderr()));
    assert_eq!(response.status(), 200);

    let other = "other.ops-e2e.svc";
    let client = client_dialing(other, &webhook);
    let url = format!("https://{other}:{}/healthz", webhook.port());
    let err = client.get(&url).send().await.unwrap_err();
    assert!(format!("{err:?}").contains("NotValidForName"), "{err:?}");
}

#[test]
fn existing_files_are_kept_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    succeeded("first certs", &certs_into(dir.path(), &[]));
    let key = dir.path().join("tls.key");
    let before = std::fs::read(&key).unwrap();

    let again = certs_into(dir.path(), &[]);
    assert_eq!(again.status.code(), Some(1), "{}", text(&again.stderr));
    let stderr = text(&again.stderr);
    assert!(
        stderr.contains("ca.crt, ca.key, tls.crt and tls.key already exist")
            && stderr.contains("--force"),
        "{stderr}"
    );
    assert!(again.stdout.is_empty(), "{}", text(&again.stdout));
    assert_eq!(std::fs::read(&key).unwrap(), before, "nothing was written");

    let stdout = succeeded("certs --force", &certs_into(dir.path(), &["--force"]));
    assert!(stdout.contains("(replaced)"), "{stdout}");
    assert_ne!(std::fs::read(&key).unwrap(), before);
    #[cfg(unix)]
    assert_eq!(mode(&key), 0o600);
    succeeded(
        "openssl verify",
        &openssl_verify(&dir.path().join("ca.crt"), &dir.path().join("tls.crt")),
    );
}

#[test]
fn bad_names_are_usage_errors_naming_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for (flag, bad, rule) in [
        ("--namespace", "Ops_E2E", "DNS-1123"),
        ("--service", "9guard", "DNS-1035"),
    ] {
        let mut args = vec!["--service", SERVICE, "--namespace", NAMESPACE];
        let at = args.iter().position(|a| *a == flag).unwrap();
        args[at + 1] = bad;
        args.extend(["--out", path_arg(&out)]);
        let output = certs(&args);
        assert_eq!(output.status.code(), Some(2), "{flag} {bad}");
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains(flag) && stderr.contains(bad) && stderr.contains(rule),
            "{stderr}"
        );
    }
    assert!(!out.exists(), "nothing was written");
}

#[test]
fn an_existing_ca_signs_the_next_serving_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let ca_dir = dir.path().join("ca");
    std::fs::create_dir(&ca_dir).unwrap();
    let (ca_crt, ca_key) = (ca_dir.join("ca.crt"), ca_dir.join("ca.key"));
    // A CA as certs/gen-certs.sh makes one: openssl, P-256, PKCS#8 key.
    succeeded(
        "openssl genpkey",
        &openssl(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            path_arg(&ca_key),
        ]),
    );
    succeeded(
        "openssl req -x509",
        &openssl(&[
            "req",
            "-x509",
            "-new",
            "-key",
            path_arg(&ca_key),
            "-sha256",
            "-days",
            "30",
            "-subj",
            "/CN=openssl-ca",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-out",
            path_arg(&ca_crt),
        ]),
    );

    let out = dir.path().join("out");
    let ca_args = [
        "--ca-cert",
        path_arg(&ca_crt),
        "--ca-key",
        path_arg(&ca_key),
    ];
    let stdout = succeeded("certs --ca-cert", &certs_into(&out, &ca_args));
    assert!(stdout.contains("no ca.key"), "{stdout}");
    // That CA lives 30 days, the serving certificate the default 365.
    assert!(
        stdout.contains("Note: the CA expires on") && stdout.contains("before the serving"),
        "{stdout}"
    );
    assert!(
        !out.join("ca.key").exists(),
        "the CA's key stays where it is"
    );
    succeeded(
        "openssl verify against the original CA",
        &openssl_verify(&ca_crt, &out.join("tls.crt")),
    );
    succeeded(
        "openssl verify against the copy",
        &openssl_verify(&out.join("ca.crt"), &out.join("tls.crt")),
    );

    // Rotation in place: the copied ca.crt is left as it is, the rest replaced.
    let rotate = [
        "--ca-cert",
        path_arg(&out.join("ca.crt")),
        "--ca-key",
        path_arg(&ca_key),
        "--force",
    ]
    .map(str::to_string);
    let rotate: Vec<&str> = rotate.iter().map(String::as_str).collect();
    let stdout = succeeded("certs rotation", &certs_into(&out, &rotate));
    assert!(stdout.contains("ca.crt (unchanged)"), "{stdout}");
    assert!(stdout.contains("tls.crt (replaced)"), "{stdout}");
    succeeded(
        "openssl verify after rotation",
        &openssl_verify(&ca_crt, &out.join("tls.crt")),
    );

    // A key of another form, or of another CA, is refused with what to do.
    let sec1 = dir.path().join("sec1.key");
    succeeded(
        "openssl ec",
        &openssl(&["ec", "-in", path_arg(&ca_key), "-out", path_arg(&sec1)]),
    );
    let refused = certs_into(
        &dir.path().join("refused"),
        &["--ca-cert", path_arg(&ca_crt), "--ca-key", path_arg(&sec1)],
    );
    assert_eq!(refused.status.code(), Some(1));
    let stderr = text(&refused.stderr);
    assert!(stderr.contains("openssl pkcs8 -topk8"), "{stderr}");

    let other = certs_into(&dir.path().join("other"), &[]);
    succeeded("certs for another CA", &other);
    let other_key = dir.path().join("other/ca.key");
    let refused = certs_into(
        &dir.path().join("refused"),
        &[
            "--ca-cert",
            path_arg(&ca_crt),
            "--ca-key",
            path_arg(&other_key),
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    let stderr = text(&refused.stderr);
    assert!(stderr.contains("does not belong"), "{stderr}");
    assert!(!dir.path().join("refused").exists(), "nothing was written");
}
