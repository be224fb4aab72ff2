//! The servers under test run as child processes, so their memory is their own and
//! can be read from `/proc/PID/status`.

use crate::load::{Connection, Protocol, Target};
use anyhow::{anyhow, bail};
use flink_autoscale_e2e::server_process::{Announce, ServerProcess};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use flink_autoscale_e2e::server_process::Memory;

const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A started server (the end-to-end tests' process harness), killed when dropped.
pub struct Server {
    pub name: &'static str,
    process: ServerProcess,
    pub addr: SocketAddr,
    pub ca_file: PathBuf,
    pub spawned: Instant,
    /// When the address line was read.
    pub announced: Instant,
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
        let mut command = Command::new(program);
        command
            .args(args)
            .envs(env.iter().map(|(k, v)| (*k, *v)))
            // The webhook logs as it would in a pod (info unless RUST_LOG says
            // otherwise: a line per review), to a pipe the harness drains.
            .env("NO_COLOR", "1");
        let mut announce = Announce::new(name);
        announce.timeout = START_TIMEOUT;
        // Keep the start of the log (start-up errors), not an endless tail.
        announce.stderr_limit = 64 * 1024;
        let process = ServerProcess::start(command, &announce).map_err(|e| anyhow!(e))?;
        Ok(Server {
            name,
            addr: process.addr(),
            spawned: process.spawned,
            announced: process.announced,
            process,
            ca_file,
        })
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
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
        self.process.stderr()
    }

    /// Current and peak resident memory.
    pub fn memory(&self) -> anyhow::Result<Memory> {
        self.process.memory().map_err(|e| anyhow!(e))
    }

    pub fn is_running(&mut self) -> bool {
        self.process.is_running()
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

/// Builds binary `bin` of `package` in release mode (cargo's progress shown) and
/// returns its path.
pub fn build(package: &str, bin: &str) -> anyhow::Result<PathBuf> {
    flink_autoscale_e2e::cargo_build(package, bin, true, true).map_err(|e| anyhow!(e))
}

/// CPU time (user + system, all threads) the process has used so far, from
/// `/proc/PID/stat`; in clock ticks of 10 ms (USER_HZ is 100 on Linux whatever the
/// kernel's HZ).
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    cpu_time_of(&stat)
}

/// `utime` and `stime` (fields 14 and 15) of a `/proc/PID/stat` line. The command
/// name (field 2) is in parentheses and may hold spaces: fields are counted after
/// its closing parenthesis.
fn cpu_time_of(stat: &str) -> Option<Duration> {
    let (_, rest) = stat.rsplit_once(')')?;
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((utime + stime) * 10))
}

/// The machine's load averages, for the record.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_reads_utime_and_stime_after_the_name() {
        // A name with a space and a parenthesis, as the kernel writes it.
        let stat = "4242 (web hook) a) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 9 0";
        assert_eq!(cpu_time_of(stat), Some(Duration::from_millis(3250)));
        assert_eq!(cpu_time_of("4242 (x) S 1"), None, "too short");
    }

    #[test]
    fn this_process_has_used_some_cpu() {
        let mut x = 0u64;
        for i in 0..10_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(cpu_time(std::process::id()).is_some());
    }
}
