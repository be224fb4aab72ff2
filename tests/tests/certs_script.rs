//! `certs/gen-certs.sh`: the CA, serving certificate and key it writes verify with
//! openssl, name the webhook's Service, and are taken by the webhook chart as the
//! README says (`--set-file`).

use flink_autoscale_e2e::charts::{
    WEBHOOK_CHART, WEBHOOK_NAMESPACE, WEBHOOK_SERVICE, base64_text, named, render, scratch,
};
use flink_autoscale_e2e::workspace_root;
use std::process::Command;

/// Where tests write their values files and certificates.
const TMP: &str = env!("CARGO_TARGET_TMPDIR");

#[test]
fn gen_certs_script_makes_what_the_chart_and_api_server_need() {
    let dir = scratch(TMP, "gen_certs");
    let out = Command::new("bash")
        .arg(workspace_root().join("certs/gen-certs.sh"))
        .args([
            "--service",
            WEBHOOK_SERVICE,
            "--namespace",
            WEBHOOK_NAMESPACE,
            "--out",
        ])
        .arg(&dir)
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "certs/gen-certs.sh failed (it needs the openssl CLI):\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for name in ["ca.crt", "tls.crt", "tls.key"] {
        assert!(dir.join(name).is_file(), "{name} missing");
    }
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    openssl(&["verify", "-CAfile", "ca.crt", "tls.crt"]);
    let san = openssl(&["x509", "-in", "tls.crt", "-noout", "-ext", "subjectAltName"]);
    for name in [
        format!("DNS:{WEBHOOK_SERVICE}.{WEBHOOK_NAMESPACE}.svc"),
        format!("DNS:{WEBHOOK_SERVICE}.{WEBHOOK_NAMESPACE}.svc.cluster.local"),
    ] {
        assert!(san.contains(&name), "{name} missing from {san}");
    }
    let usage = openssl(&[
        "x509",
        "-in",
        "tls.crt",
        "-noout",
        "-ext",
        "extendedKeyUsage",
    ]);
    assert!(usage.contains("TLS Web Server Authentication"), "{usage}");
    // The key belongs to the certificate.
    assert_eq!(
        openssl(&["pkey", "-in", "tls.key", "-pubout"]),
        openssl(&["x509", "-in", "tls.crt", "-noout", "-pubkey"])
    );

    // And the chart takes the files as the README says.
    let docs = render(
        WEBHOOK_CHART,
        &[
            "--set",
            "certManager.enabled=false",
            "--set-file",
            &format!("tls.crt={}", dir.join("tls.crt").display()),
            "--set-file",
            &format!("tls.key={}", dir.join("tls.key").display()),
            "--set-file",
            &format!("caBundle={}", dir.join("ca.crt").display()),
        ],
    );
    let ca = std::fs::read_to_string(dir.join("ca.crt")).expect("ca.crt");
    let configuration = named(&docs, "ValidatingWebhookConfiguration", WEBHOOK_SERVICE);
    assert_eq!(
        base64_text(&configuration["webhooks"][0]["clientConfig"]["caBundle"]).trim(),
        ca.trim()
    );
}
