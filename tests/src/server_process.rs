//! A server as a child process that announces where it listens: the webhook (for the
//! end-to-end tests and the bench) and the bench's no-op baseline both print
//! `listening on https://ADDR` (and `admin listening on http://ADDR` right after, when
//! there is an admin listener) once bound, because they listen on port 0 and there is
//! no port to guess or race for. Stdout lines and stderr are kept for assertions and
//! failure messages; the process is killed when dropped, so a failing test or an
//! aborted benchmark leaves nothing behind. Errors are strings so that the tests can
//! panic with them and the bench can wrap them.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

/// The line a server prints once its TLS listener is bound.
const LISTENING: &str = "listening on https://";
/// The line that follows when it also has a plain-HTTP admin listener.
const ADMIN_LISTENING: &str = "admin listening on http://";
/// How often a wait for the exit looks.
const EXIT_POLL: Duration = Duration::from_millis(20);

/// How to wait for a server's announcement.
#[derive(Debug, Clone)]
pub struct Announce {
    /// What the server is called in error messages ("the webhook", "noop").
    pub name: String,
    /// How long to wait for the address line.
    pub timeout: Duration,
    /// Also wait for the admin listener's line (the server was given one).
    pub admin: bool,
    /// How much of stderr to keep: the start of the log (start-up errors), not an
    /// endless tail of a server under load.
    pub stderr_limit: usize,
}

impl Announce {
    pub fn new(name: impl Into<String>) -> Announce {
        Announce {
            name: name.into(),
            timeout: Duration::from_secs(60),
            admin: false,
            stderr_limit: 4 * 1024 * 1024,
        }
    }
}

/// A running server process.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    name: String,
    addr: SocketAddr,
    admin_addr: Option<SocketAddr>,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<String>>,
    /// When the process was spawned.
    pub spawned: Instant,
    /// When its address line was read.
    pub announced: Instant,
}

impl ServerProcess {
    /// Spawns `command` with stdin closed and stdout/stderr piped, and waits for the
    /// address line (and the admin line when `announce.admin`). On a timeout the
    /// process is killed and the error carries its exit status and stderr.
    pub fn start(mut command: Command, announce: &Announce) -> Result<ServerProcess, String> {
        let spawned = Instant::now();
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", announce.name))?;
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        if let Some(pipe) = child.stdout.take() {
            let lines = stdout.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    lock(&lines).push(line.clone());
                    // The receiver is gone once the address is known; keep draining.
                    let _ = tx.send(line);
                }
            });
        }
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut stderr_reader = None;
        if let Some(mut pipe) = child.stderr.take() {
            let (sink, limit) = (stderr.clone(), announce.stderr_limit);
            stderr_reader = Some(std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    let mut s = lock(&sink);
                    if s.len() < limit {
                        s.push_str(&String::from_utf8_lossy(&buf[..n]));
                    }
                }
            }));
        }
        // Owned (and so killed on drop) before anything can fail.
        let mut process = ServerProcess {
            child,
            name: announce.name.clone(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            admin_addr: None,
            stdout,
            stderr,
            spawned,
            announced: spawned,
        };
        let deadline = spawned + announce.timeout;
        let mut bound = false;
        while !bound || (announce.admin && process.admin_addr.is_none()) {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = rx.recv_timeout(left) else {
                // A server that exited has said why on stderr: let the reader
                // reach the end of it (bounded: a grandchild may hold the pipe).
                let exited = process.child.try_wait().ok().flatten().is_some()
                    || process.wait_exit_blocking(Duration::from_secs(1)).is_some();
                if let Some(reader) = stderr_reader.take().filter(|_| exited) {
                    let until = Instant::now() + Duration::from_secs(1);
                    while !reader.is_finished() && Instant::now() < until {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                }
                return Err(format!(
                    "{} did not announce its address within {:?} (exit: {:?}); stderr:\n{}",
                    announce.name,
                    announce.timeout,
                    process.child.try_wait().ok().flatten(),
                    process.stderr()
                ));
            };
            if let Some(addr) = line.strip_prefix(ADMIN_LISTENING) {
                process.admin_addr = Some(parse_addr(&announce.name, addr)?);
            } else if let Some(addr) = line.strip_prefix(LISTENING) {
                process.addr = parse_addr(&announce.name, addr)?;
                process.announced = Instant::now();
                bound = true;
            }
        }
        Ok(process)
    }

    /// The address it announced.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The admin listener's address, when it was asked for and announced.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin_addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The lines it printed on stdout so far.
    pub fn stdout(&self) -> Vec<String> {
        lock(&self.stdout).clone()
    }

    /// What it logged so far (up to the limit).
    pub fn stderr(&self) -> String {
        lock(&self.stderr).clone()
    }

    /// Sends SIGTERM, as the kubelet does before it kills a pod.
    pub fn terminate(&self) -> Result<(), String> {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .map_err(|e| format!("running kill: {e}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!(
                "kill -TERM {} of {}: {status}",
                self.pid(),
                self.name
            ))
        }
    }

    /// Its exit status if it has exited.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Its exit status, once it exits within `timeout`; blocks the thread.
    pub fn wait_exit_blocking(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(outcome) = self.exit_by(deadline) {
                return outcome;
            }
            std::thread::sleep(EXIT_POLL);
        }
    }

    /// Its exit status, once it exits within `timeout`. Async so that the caller's
    /// own client connections keep running: an HTTP/2 graceful shutdown waits for the
    /// client to answer a PING.
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(outcome) = self.exit_by(deadline) {
                return outcome;
            }
            tokio::time::sleep(EXIT_POLL).await;
        }
    }

    /// `Some(Some(status))` once it exited, `Some(None)` past `deadline`, `None`
    /// while it is worth polling again.
    fn exit_by(&mut self, deadline: Instant) -> Option<Option<ExitStatus>> {
        match self.try_wait() {
            Some(status) => Some(Some(status)),
            None if Instant::now() >= deadline => Some(None),
            None => None,
        }
    }

    /// Kills it and waits for it to exit (a crashed server: connections refused).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Its resident memory now and at its peak.
    pub fn memory(&self) -> Result<Memory, String> {
        Memory::of(self.pid())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn parse_addr(name: &str, raw: &str) -> Result<SocketAddr, String> {
    raw.trim()
        .parse()
        .map_err(|e| format!("{name} announced {raw:?}: {e}"))
}

/// Resident memory of a process, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Memory {
    /// VmRSS: resident now.
    pub rss: u64,
    /// VmHWM: the most it has been resident since it started.
    pub hwm: u64,
}

impl Memory {
    /// Reads `/proc/PID/status`.
    pub fn of(pid: u32) -> Result<Memory, String> {
        let path = format!("/proc/{pid}/status");
        let text = std::fs::read_to_string(&path).map_err(|e| format!("reading {path}: {e}"))?;
        Memory::parse(&text).map_err(|e| format!("{path}: {e}"))
    }

    /// The VmRSS and VmHWM lines (`VmRSS:   1234 kB`) of a `/proc/PID/status` text.
    pub fn parse(status: &str) -> Result<Memory, String> {
        let field = |name: &str| -> Result<u64, String> {
            let line = status
                .lines()
                .find(|l| l.starts_with(name))
                .ok_or_else(|| format!("no {name} line"))?;
            let kib: u64 = line[name.len()..]
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .map_err(|e| format!("{line:?}: {e}"))?;
            Ok(kib * 1024)
        };
        Ok(Memory {
            rss: field("VmRSS:")?,
            hwm: field("VmHWM:")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_reads_rss_and_peak_in_bytes() {
        let status = "Name:\tx\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\n";
        assert_eq!(
            Memory::parse(status),
            Ok(Memory {
                rss: 1024 * 1024,
                hwm: 2048 * 1024
            })
        );
        let err = Memory::parse("VmRSS:\t12 kB\n").unwrap_err();
        assert!(err.contains("VmHWM"), "{err}");
        let err = Memory::parse("VmRSS:\tlots kB\nVmHWM:\t1 kB\n").unwrap_err();
        assert!(err.contains("lots"), "{err}");
    }

    #[test]
    fn this_process_has_memory() {
        let m = Memory::of(std::process::id()).expect("own /proc status");
        assert!(m.rss > 0 && m.hwm >= m.rss, "{m:?}");
    }

    fn shell(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script]);
        cmd
    }

    #[test]
    fn the_announced_addresses_and_output_are_kept() {
        let mut announce = Announce::new("sh");
        announce.admin = true;
        let mut server = ServerProcess::start(
            shell(
                "echo starting; echo oops >&2; echo 'listening on https://127.0.0.1:4431'; \
                 echo 'admin listening on http://127.0.0.1:9090'; exec sleep 30",
            ),
            &announce,
        )
        .expect("announces");
        assert_eq!(server.addr(), "127.0.0.1:4431".parse().unwrap());
        assert_eq!(server.admin_addr(), Some("127.0.0.1:9090".parse().unwrap()));
        assert_eq!(server.stdout()[0], "starting");
        assert!(server.is_running());
        server.terminate().expect("signalled");
        let status = server.wait_exit_blocking(Duration::from_secs(10));
        assert!(status.is_some_and(|s| !s.success()), "{status:?}");
        assert!(server.stderr().contains("oops"));
    }

    #[test]
    fn silence_is_an_error_naming_the_server_with_its_stderr() {
        let mut announce = Announce::new("mute");
        announce.timeout = Duration::from_millis(300);
        let err =
            ServerProcess::start(shell("echo 'no such flag' >&2; exit 2"), &announce).unwrap_err();
        assert!(
            err.starts_with("mute did not announce its address within 300ms"),
            "{err}"
        );
        assert!(err.contains("no such flag"), "{err}");
        // Alive but silent: the timeout, and the process is not left behind.
        let started = std::time::Instant::now();
        let err =
            ServerProcess::start(shell("echo 'still thinking' >&2; exec sleep 30"), &announce)
                .unwrap_err();
        assert!(err.contains("within 300ms (exit: None)"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10), "{err}");
        let err = ServerProcess::start(shell("echo 'listening on https://nowhere'"), &announce)
            .unwrap_err();
        assert!(err.contains("mute announced \"nowhere\""), "{err}");
    }
}
