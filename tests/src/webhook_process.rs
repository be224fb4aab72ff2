//! One webhook process for end-to-end tests: the built `flink-autoscale-webhook`
//! started on 127.0.0.1 with a generated development certificate, killed on drop.

use crate::binary;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// A running webhook.
pub struct WebhookProcess {
    child: Child,
    /// The HTTPS port it listens on.
    pub port: u16,
    /// The development CA it wrote (PEM), to trust in clients.
    pub ca_path: PathBuf,
    stderr: Arc<Mutex<String>>,
}

impl WebhookProcess {
    /// Starts the webhook with `--dev --listen 127.0.0.1:0 --dev-ca-out DIR/ca.pem`
    /// plus `extra` (e.g. `--offline`), and waits until it announces its address.
    pub fn start(dir: &Path, extra: &[&str]) -> WebhookProcess {
        let bin = binary("flink-autoscale-webhook", "flink-autoscale-webhook");
        let ca_path = dir.join("webhook-ca.pem");
        let mut child = Command::new(bin)
            .args(["--dev", "--listen", "127.0.0.1:0", "--dev-ca-out"])
            .arg(&ca_path)
            .args(extra)
            .env("RUST_LOG", "warn")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the webhook starts");
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout is piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let (mut pipe, sink) = (child.stderr.take().expect("stderr is piped"), stderr.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if let Ok(mut s) = sink.lock() {
                    s.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
        let mut webhook = WebhookProcess {
            child,
            port: 0,
            ca_path,
            stderr,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let line = rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(|_| {
                    panic!(
                        "the webhook did not announce its address; stderr:\n{}",
                        webhook.stderr()
                    )
                });
            if let Some(port) = line
                .strip_prefix("listening on https://")
                .and_then(|addr| addr.rsplit(':').next())
                .and_then(|port| port.trim().parse().ok())
            {
                webhook.port = port;
                return webhook;
            }
        }
    }

    /// `https://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }

    /// What it logged so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for WebhookProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
