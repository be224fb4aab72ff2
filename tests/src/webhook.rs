//! The webhook binary as a child process, for end-to-end tests: started with
//! arguments and environment, its announced address read from stdout, its logs kept,
//! killed when dropped. (Older test files carry their own copies of this; new ones
//! share this one.)

use crate::binary;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

const START_TIMEOUT: Duration = Duration::from_secs(120);

/// A running webhook process.
pub struct WebhookProcess {
    child: Child,
    /// `host:port` it announced.
    pub addr: String,
    /// `host:port` of the admin listener, when it announced one.
    pub admin_addr: Option<String>,
    stderr: Arc<Mutex<String>>,
}

impl WebhookProcess {
    /// Starts the webhook with `args` and `env` and waits (up to two minutes, the
    /// first call builds it) for the line announcing its address.
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> WebhookProcess {
        let bin = binary("flink-autoscale-webhook", "flink-autoscale-webhook");
        let mut child = Command::new(bin)
            .args(args)
            .envs(env.iter().copied())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the webhook starts");
        let (tx, rx) = mpsc::channel();
        let pipe = child.stdout.take().expect("stdout is piped");
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
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
                let mut s = sink.lock().unwrap_or_else(|e| e.into_inner());
                if s.len() < 4 * 1024 * 1024 {
                    s.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
        let mut process = WebhookProcess {
            child,
            addr: String::new(),
            admin_addr: None,
            stderr,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(addr) = line.strip_prefix("admin listening on http://") {
                        process.admin_addr = Some(addr.trim().to_string());
                    }
                    if let Some(addr) = line.strip_prefix("listening on https://") {
                        process.addr = addr.trim().to_string();
                        // The admin line follows at once when there is one.
                        if let Ok(next) = rx.recv_timeout(Duration::from_millis(500))
                            && let Some(admin) = next.strip_prefix("admin listening on http://")
                        {
                            process.admin_addr = Some(admin.trim().to_string());
                        }
                        return process;
                    }
                }
                Err(_) => panic!(
                    "the webhook did not announce its address within {START_TIMEOUT:?}; exit: \
                     {:?}\nstderr:\n{}",
                    process.child.try_wait(),
                    process.stderr()
                ),
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn port(&self) -> u16 {
        self.addr
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("the announced address has a port")
    }

    /// `https://localhost:PORT{path}` (the dev certificate names localhost).
    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.port())
    }

    /// `http://ADMIN{path}`; panics without an admin listener.
    pub fn admin_url(&self, path: &str) -> String {
        let admin = self.admin_addr.as_deref().expect("an admin listener");
        format!("http://{admin}{path}")
    }

    /// What it logged so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Its exit status, once it exits within `timeout`.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Resident memory now and at its peak (VmRSS, VmHWM), in bytes.
    pub fn memory(&self) -> (u64, u64) {
        let text =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .map_or(0, |kib| kib * 1024)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }
}

impl Drop for WebhookProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
