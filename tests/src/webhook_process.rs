//! The `flink-autoscale-webhook` binary as a child process: started with the
//! arguments and environment a test gives, its announced address read from stdout
//! (tests listen on port 0), stderr kept for failure messages, killed when dropped
//! so a failing test leaves nothing behind.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running webhook.
#[derive(Debug)]
pub struct WebhookProcess {
    child: Child,
    addr: SocketAddr,
    stderr: Arc<Mutex<String>>,
}

impl WebhookProcess {
    /// Builds (once) and starts the webhook; returns once it printed
    /// `listening on https://ADDR`.
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Result<Self, String> {
        let bin = crate::binary("flink-autoscale-webhook", "flink-autoscale-webhook");
        let mut child = Command::new(bin)
            .args(args)
            .envs(env.iter().copied())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting the webhook: {e}"))?;
        let (tx, rx) = mpsc::channel();
        if let Some(pipe) = child.stdout.take() {
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(mut pipe) = child.stderr.take() {
            let sink = stderr.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    sink.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        let mut process = WebhookProcess {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            stderr,
        };
        loop {
            match rx.recv_timeout(START_TIMEOUT) {
                Ok(line) => {
                    if let Some(addr) = line.strip_prefix("listening on https://") {
                        process.addr = addr
                            .trim()
                            .parse()
                            .map_err(|e| format!("announced address {addr:?}: {e}"))?;
                        return Ok(process);
                    }
                }
                Err(_) => {
                    return Err(format!(
                        "the webhook did not announce its address within {START_TIMEOUT:?}; exit: {:?}\nstderr:\n{}",
                        process.child.try_wait(),
                        process.stderr()
                    ));
                }
            }
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What it logged so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Kills it and waits for it to exit (a crashed webhook, as the API server
    /// meets it: connections refused).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for WebhookProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
