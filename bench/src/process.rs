//! The servers under test run as child processes, so their memory is their own and
//! can be read from `/proc/PID/status`.

use crate::load::{Connection, Protocol, Target};
use anyhow::{Context, anyhow, bail};
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A started server, killed when dropped.
pub struct Server {
    pub name: &'static str,
    child: Child,
    pub addr: SocketAddr,
    pub ca_file: PathBuf,
    pub spawned: Instant,
    /// When the address line was read.
    pub announced: Instant,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Spawns `program args...`, which must print `listening on https://ADDR` on
    /// stdout once bound, with its CA already in `ca_file`.
    pub fn spawn(
        name: &'static str,
        program: &Path,
        args: &[String],
        ca_file: PathBuf,
    ) -> anyhow::Result<Server> {
        Self::spawn_with_env(name, program, args, ca_file, &[])
    }

    /// [`Server::spawn`] with extra environment variables (`KUBECONFIG`).
    pub fn spawn_with_env(
        name: &'static str,
        program: &Path,
        args: &[String],
        ca_file: PathBuf,
        env: &[(&str, &Path)],
    ) -> anyhow::Result<Server> {
        let spawned = Instant::now();
        let mut child = Command::new(program)
            .args(args)
            .envs(env.iter().map(|(k, v)| (*k, *v)))
            // The webhook logs as it would in a pod (info unless RUST_LOG says
            // otherwise: a line per review), to a pipe drained below.
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("starting {}", program.display()))?;
        let stdout = child.stdout.take().context("stdout is piped")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().context("stderr is piped")?;
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut s = sink.lock().unwrap_or_else(|e| e.into_inner());
                // Keep the start of the log (start-up errors), not an endless tail.
                if s.len() < 64 * 1024 {
                    s.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
        let deadline = spawned + START_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    if let Some(addr) = line.strip_prefix("listening on https://") {
                        let addr = addr
                            .trim()
                            .parse()
                            .with_context(|| format!("{name} announced {addr:?}"))?;
                        return Ok(Server {
                            name,
                            child,
                            addr,
                            ca_file,
                            spawned,
                            announced: Instant::now(),
                            stderr,
                        });
                    }
                }
                Err(_) => {
                    let status = child.try_wait().ok().flatten();
                    let _ = child.kill();
                    let log = stderr.lock().unwrap_or_else(|e| e.into_inner()).clone();
                    bail!(
                        "{name} did not announce its address within {START_TIMEOUT:?} \
                         (exit: {status:?}); stderr:\n{log}"
                    );
                }
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn target(&self, protocol: Protocol) -> anyhow::Result<Target> {
        Target::new(self.addr, &self.ca_file, protocol)
    }

    /// Polls `GET /readyz` on fresh connections until it answers 200; returns the
    /// time from spawn.
    pub async fn wait_ready(&self) -> anyhow::Result<Duration> {
        let target = self.target(Protocol::Http1)?;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(mut c) = Connection::open(&target).await
                && let Ok((200, _)) = c.send("GET", "/readyz", Default::default()).await
            {
                return Ok(self.spawned.elapsed());
            }
            if Instant::now() > deadline {
                bail!(
                    "{}: /readyz not 200 within {START_TIMEOUT:?}; stderr:\n{}",
                    self.name,
                    self.stderr()
                );
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Current and peak resident memory.
    pub fn memory(&self) -> anyhow::Result<Memory> {
        Memory::of(self.pid())
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Resident memory of a process, in bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct Memory {
    /// VmRSS: resident now.
    pub rss: u64,
    /// VmHWM: the most it has been resident since it started.
    pub hwm: u64,
}

impl Memory {
    pub fn of(pid: u32) -> anyhow::Result<Memory> {
        let path = format!("/proc/{pid}/status");
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
        let field = |name: &str| -> anyhow::Result<u64> {
            let line = text
                .lines()
                .find(|l| l.starts_with(name))
                .ok_or_else(|| anyhow!("{path} has no {name}"))?;
            let kib: u64 = line[name.len()..]
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .with_context(|| format!("{path}: {line}"))?;
            Ok(kib * 1024)
        };
        Ok(Memory {
            rss: field("VmRSS:")?,
            hwm: field("VmHWM:")?,
        })
    }
}

/// Samples a process's VmRSS every `every` until dropped; the largest sample is kept.
pub struct RssSampler {
    peak: Arc<std::sync::atomic::AtomicU64>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RssSampler {
    pub fn start(pid: u32, every: Duration) -> RssSampler {
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        let peak = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                if let Ok(m) = Memory::of(pid) {
                    p.fetch_max(m.rss, Ordering::Relaxed);
                }
                std::thread::sleep(every);
            }
        });
        RssSampler {
            peak,
            stop,
            thread: Some(thread),
        }
    }

    /// The largest VmRSS seen.
    pub fn finish(mut self) -> u64 {
        use std::sync::atomic::Ordering;
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.peak.load(Ordering::Relaxed)
    }
}

/// Builds the release webhook with cargo (a no-op when it is up to date) and returns
/// the binary's path.
pub fn build_webhook() -> anyhow::Result<PathBuf> {
    build("flink-autoscale-webhook", "flink-autoscale-webhook")
}

/// Builds binary `bin` of `package` in release mode and returns its path.
pub fn build(package: &str, bin: &str) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut cmd = Command::new(cargo);
    // Cargo-set variables of this package would make build scripts rerun.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("CARGO_PKG_") || key.starts_with("CARGO_MANIFEST_") {
            cmd.env_remove(key.as_ref());
        }
    }
    let out = cmd
        .current_dir(&root)
        .args([
            "build",
            "--release",
            "--message-format=json",
            "-p",
            package,
            "--bin",
            bin,
        ])
        .stderr(Stdio::inherit())
        .output()
        .context("running cargo build")?;
    if !out.status.success() {
        bail!("cargo build --release -p {package} --bin {bin} failed");
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == bin)
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .with_context(|| format!("cargo reported no {bin} executable"))
}

/// The machine's load averages, for the record.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}
