//! What a person sees of the webhook binary: logs without ANSI escapes unless stderr is
//! a terminal, plain HTTP to the TLS port answered with a 400 that says to use HTTPS
//! (as Go's servers answer), and a failure to start with each cause said once.

use flink_autoscale_e2e::binary;
use flink_autoscale_e2e::plugin::webhook_cli;
use flink_autoscale_e2e::webhook::WebhookProcess;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

fn webhook() -> std::path::PathBuf {
    binary("flink-autoscale-webhook", "flink-autoscale-webhook")
}

fn ca_arg(dir: &tempfile::TempDir) -> String {
    dir.path().join("ca.pem").display().to_string()
}

/// Starts the webhook offline with stderr into a file, waits until it listens, stops it
/// and returns what it logged.
fn logs_into_a_file() -> String {
    let dir = tempfile::tempdir().expect("temporary directory");
    let log = dir.path().join("stderr.log");
    let mut child = Command::new(webhook())
        .args([
            "--dev",
            "--offline",
            "--listen",
            "127.0.0.1:0",
            "--dev-ca-out",
        ])
        .arg(ca_arg(&dir))
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("the webhook starts");
    let stdout = child.stdout.take().expect("stdout");
    let listening = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|l| l.starts_with("listening on https://"));
    let _ = child.kill();
    let _ = child.wait();
    assert!(listening, "the webhook never listened");
    std::fs::read_to_string(&log).expect("log readable")
}

#[test]
fn logs_carry_no_ansi_escapes_when_stderr_is_a_file() {
    let logs = logs_into_a_file();
    assert!(logs.contains("INFO"), "{logs}");
    assert!(
        !logs.contains('\u{1b}'),
        "ANSI escapes in a log file:\n{logs:?}"
    );
}

#[test]
fn logs_are_coloured_on_a_terminal() {
    // `script` gives the webhook a pseudo-terminal as stdout and stderr.
    let dir = tempfile::tempdir().expect("temporary directory");
    let command = format!(
        "timeout 3 {} --dev --offline --listen 127.0.0.1:0 --dev-ca-out {}",
        webhook().display(),
        ca_arg(&dir)
    );
    let out = Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .output()
        .expect("script (util-linux) runs");
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("listening on https://"), "{printed}");
    assert!(
        printed.contains("\u{1b}["),
        "no colour on a terminal:\n{printed:?}"
    );
}

#[test]
fn plain_http_to_the_tls_port_is_answered_with_400_use_https() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let webhook = WebhookProcess::dev(ca_arg(&dir)).log("warn").start();
    for request in [
        "GET /readyz HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\n{}",
    ] {
        let mut stream = TcpStream::connect(webhook.addr()).expect("connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        stream.write_all(request.as_bytes()).expect("request sent");
        let mut answer = String::new();
        stream
            .read_to_string(&mut answer)
            .expect("answer read to the close");
        assert!(
            answer.starts_with("HTTP/1.0 400 Bad Request\r\n"),
            "{answer:?}"
        );
        assert!(
            answer.ends_with("\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"),
            "{answer:?}"
        );
    }
    // TLS on the same port still works.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let status = runtime.block_on(async {
        reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .build()
            .expect("client")
            .get(format!("https://{}/readyz", webhook.addr()))
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    let status = status.unwrap_or_else(|e| panic!("TLS request failed: {e}\n{}", webhook.stderr()));
    assert!(status < 500, "{status}");
}

#[test]
fn without_a_kubeconfig_each_cause_is_said_once() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let missing = dir.path().join("no-such-kubeconfig");
    let out = webhook_cli(["--dev", "--listen", "127.0.0.1:0", "--dev-ca-out"])
        .arg(ca_arg(&dir))
        .env("KUBECONFIG", &missing)
        .env("HOME", dir.path())
        .env_remove("KUBERNETES_SERVICE_PORT")
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .run();
    let stderr = out.stderr;
    assert_eq!(out.code, Some(1), "{stderr}");
    assert!(
        stderr.contains("Error: cannot connect to the cluster"),
        "{stderr}"
    );
    assert!(stderr.contains("--offline"), "{stderr}");
    assert_eq!(
        stderr.matches("No such file or directory").count(),
        1,
        "a cause said more than once:\n{stderr}"
    );
    assert_eq!(
        stderr.matches(&missing.display().to_string()).count(),
        1,
        "{stderr}"
    );
    assert!(!stderr.contains("Stack backtrace"), "{stderr}");
}
