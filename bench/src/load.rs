//! The load generator: a fixed number of HTTPS keep-alive connections, each sending
//! one review at a time (a closed loop, as the API server's webhook client does per
//! connection), timing every request from send to the last byte of the answer.

use crate::workload::Review;
use anyhow::{Context, anyhow};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::{http1, http2};
use hyper::header::{CONTENT_TYPE, HOST};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Http1,
    Http2,
}

/// Where to send and how to trust the server.
#[derive(Clone)]
pub struct Target {
    pub addr: SocketAddr,
    pub connector: TlsConnector,
    pub protocol: Protocol,
}

impl Target {
    /// A client that trusts only the CA in `ca_file`, as the API server trusts only
    /// the webhook configuration's `caBundle`.
    pub fn new(addr: SocketAddr, ca_file: &Path, protocol: Protocol) -> anyhow::Result<Target> {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(ca_file)
            .with_context(|| format!("reading {}", ca_file.display()))?
        {
            roots.add(cert.with_context(|| format!("parsing {}", ca_file.display()))?)?;
        }
        let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        config.alpn_protocols = vec![match protocol {
            Protocol::Http1 => b"http/1.1".to_vec(),
            Protocol::Http2 => b"h2".to_vec(),
        }];
        Ok(Target {
            addr,
            connector: TlsConnector::from(Arc::new(config)),
            protocol,
        })
    }
}

/// One open connection, either protocol.
pub enum Connection {
    Http1(http1::SendRequest<Full<Bytes>>),
    Http2(http2::SendRequest<Full<Bytes>>),
}

impl Connection {
    pub async fn open(target: &Target) -> anyhow::Result<Connection> {
        let tcp = TcpStream::connect(target.addr)
            .await
            .with_context(|| format!("connecting to {}", target.addr))?;
        tcp.set_nodelay(true)?;
        let name = ServerName::try_from("localhost")?;
        let tls = target
            .connector
            .connect(name, tcp)
            .await
            .context("TLS handshake")?;
        let io = TokioIo::new(tls);
        match target.protocol {
            Protocol::Http1 => {
                let (sender, connection) = http1::handshake(io).await?;
                tokio::spawn(connection);
                Ok(Connection::Http1(sender))
            }
            Protocol::Http2 => {
                let (sender, connection) = http2::handshake(TokioExecutor::new(), io).await?;
                tokio::spawn(connection);
                Ok(Connection::Http2(sender))
            }
        }
    }

    /// Sends one request and reads the whole answer: (status, body).
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Bytes,
    ) -> anyhow::Result<(u16, Bytes)> {
        let mut request = Request::builder().method(method).uri(path);
        if matches!(self, Connection::Http1(_)) {
            request = request.header(HOST, "localhost");
        } else {
            request = request.uri(format!("https://localhost{path}"));
        }
        let request = request
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(body))?;
        let response = match self {
            Connection::Http1(sender) => {
                sender.ready().await?;
                sender.send_request(request).await?
            }
            Connection::Http2(sender) => {
                sender.ready().await?;
                sender.send_request(request).await?
            }
        };
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
}

/// What one run measured.
#[derive(Debug, Default)]
pub struct RunResult {
    pub requests: u64,
    pub elapsed: Duration,
    /// Latencies in microseconds, sorted.
    pub latencies_us: Vec<u32>,
    /// Answers other than 200, and requests that failed on the wire.
    pub bad_status: u64,
    pub transport_errors: u64,
    pub first_error: Option<String>,
    /// CPU time the server used over the measured time, when its pid was given.
    pub server_cpu: Option<Duration>,
}

impl RunResult {
    pub fn throughput(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `q` quantile (0..=1) in milliseconds.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let rank = (q * (self.latencies_us.len() - 1) as f64).round() as usize;
        self.latencies_us[rank.min(self.latencies_us.len() - 1)] as f64 / 1000.0
    }

    /// Server CPU time per answer, in microseconds: what the server itself spends,
    /// apart from the load generator that shares the machine.
    pub fn cpu_per_request_us(&self) -> Option<f64> {
        let cpu = self.server_cpu?;
        (self.requests > 0).then(|| cpu.as_secs_f64() * 1e6 / self.requests as f64)
    }

    pub fn errors(&self) -> u64 {
        self.bad_status + self.transport_errors
    }
}

/// What a server reached over one or more runs: of several, the median of each
/// figure, so that one run disturbed by the machine does not decide.
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    pub throughput: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    /// Server CPU time per answer (us), when measured.
    pub cpu_us: Option<f64>,
}

impl Figures {
    pub fn of(run: &RunResult) -> Figures {
        Figures {
            throughput: run.throughput(),
            p50_ms: run.quantile_ms(0.5),
            p99_ms: run.quantile_ms(0.99),
            p999_ms: run.quantile_ms(0.999),
            max_ms: run.quantile_ms(1.0),
            cpu_us: run.cpu_per_request_us(),
        }
    }

    /// Each figure's median over `runs` (the lower middle of an even count).
    pub fn median(runs: &[Figures]) -> Option<Figures> {
        fn mid(mut v: Vec<f64>) -> Option<f64> {
            v.sort_by(f64::total_cmp);
            v.get(v.len().checked_sub(1)? / 2).copied()
        }
        let pick = |f: fn(&Figures) -> f64| mid(runs.iter().map(f).collect());
        Some(Figures {
            throughput: pick(|f| f.throughput)?,
            p50_ms: pick(|f| f.p50_ms)?,
            p99_ms: pick(|f| f.p99_ms)?,
            p999_ms: pick(|f| f.p999_ms)?,
            max_ms: pick(|f| f.max_ms)?,
            cpu_us: mid(runs.iter().filter_map(|f| f.cpu_us).collect()),
        })
    }
}

/// Opens `connections` connections and keeps each busy for `warmup + duration`;
/// only requests that start after the warm-up are counted, and the CPU time of the
/// server `pid` (when given) over the same time.
pub async fn run(
    target: &Target,
    mix: Arc<Vec<Review>>,
    connections: usize,
    warmup: Duration,
    duration: Duration,
    pid: Option<u32>,
) -> anyhow::Result<RunResult> {
    // Connect first, so handshakes are not part of the figures.
    let mut opened = Vec::with_capacity(connections);
    for _ in 0..connections {
        opened.push(Connection::open(target).await?);
    }
    let started = Instant::now();
    let measure_from = started + warmup;
    let stop_at = measure_from + duration;
    let mut workers = tokio::task::JoinSet::new();
    for (i, connection) in opened.into_iter().enumerate() {
        let mix = mix.clone();
        let target = target.clone();
        workers.spawn(worker(target, connection, mix, i, measure_from, stop_at));
    }
    let cpu_at_start = pid.map(|pid| {
        tokio::spawn(async move {
            tokio::time::sleep_until(measure_from.into()).await;
            crate::process::cpu_time(pid)
        })
    });
    let mut result = RunResult::default();
    let mut measured_until = measure_from;
    while let Some(joined) = workers.join_next().await {
        let w = joined.map_err(|e| anyhow!("a load worker failed: {e}"))?;
        result.requests += w.latencies_us.len() as u64;
        result.latencies_us.extend(w.latencies_us);
        result.bad_status += w.bad_status;
        result.transport_errors += w.transport_errors;
        if result.first_error.is_none() {
            result.first_error = w.first_error;
        }
        measured_until = measured_until.max(w.last_done);
    }
    result.elapsed = measured_until.saturating_duration_since(measure_from);
    if let (Some(pid), Some(start)) = (pid, cpu_at_start) {
        let start = start.await.ok().flatten();
        result.server_cpu = start
            .zip(crate::process::cpu_time(pid))
            .map(|(start, end)| end.saturating_sub(start));
    }
    result.latencies_us.sort_unstable();
    Ok(result)
}

struct WorkerResult {
    latencies_us: Vec<u32>,
    bad_status: u64,
    transport_errors: u64,
    first_error: Option<String>,
    last_done: Instant,
}

async fn worker(
    target: Target,
    mut connection: Connection,
    mix: Arc<Vec<Review>>,
    offset: usize,
    measure_from: Instant,
    stop_at: Instant,
) -> WorkerResult {
    let mut out = WorkerResult {
        latencies_us: Vec::with_capacity(64 * 1024),
        bad_status: 0,
        transport_errors: 0,
        first_error: None,
        last_done: measure_from,
    };
    let mut n = offset;
    loop {
        let sent = Instant::now();
        if sent >= stop_at {
            break;
        }
        let review = &mix[n % mix.len()];
        n += 1;
        let outcome = connection
            .send("POST", review.path, review.body.clone())
            .await;
        let done = Instant::now();
        let counted = sent >= measure_from;
        match outcome {
            Ok((200, _)) => {
                if counted {
                    let us = done.duration_since(sent).as_micros();
                    out.latencies_us.push(u32::try_from(us).unwrap_or(u32::MAX));
                    out.last_done = done;
                }
            }
            Ok((status, body)) => {
                out.bad_status += 1;
                if out.first_error.is_none() {
                    out.first_error = Some(format!(
                        "{} {}: HTTP {status}: {}",
                        review.name,
                        review.path,
                        String::from_utf8_lossy(&body).trim()
                    ));
                }
            }
            Err(e) => {
                out.transport_errors += 1;
                if out.first_error.is_none() {
                    out.first_error = Some(format!("{} {}: {e:#}", review.name, review.path));
                }
                // Reconnect and go on; a server that is gone fails the next connect
                // too, which ends this worker.
                match Connection::open(&target).await {
                    Ok(c) => connection = c,
                    Err(_) => break,
                }
            }
        }
    }
    out
}

/// For the soak: sends until `total` requests are done, reporting the count every
/// `every` requests through `report` (with the elapsed time). Returns the number of
/// failed requests and the first failure.
pub async fn soak(
    target: &Target,
    mix: Arc<Vec<Review>>,
    connections: usize,
    total: u64,
    every: u64,
    mut report: impl FnMut(u64, Duration),
) -> anyhow::Result<(u64, Option<String>)> {
    let issued = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let mut workers = tokio::task::JoinSet::new();
    for i in 0..connections {
        let mut connection = Connection::open(target).await?;
        let (mix, issued, done, failed, stop, first_error, target) = (
            mix.clone(),
            issued.clone(),
            done.clone(),
            failed.clone(),
            stop.clone(),
            first_error.clone(),
            target.clone(),
        );
        workers.spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let n = issued.fetch_add(1, Ordering::Relaxed);
                if n >= total {
                    break;
                }
                let review = &mix[(n as usize + i) % mix.len()];
                let outcome = connection
                    .send("POST", review.path, review.body.clone())
                    .await;
                if !matches!(outcome, Ok((200, _))) {
                    failed.fetch_add(1, Ordering::Relaxed);
                    {
                        let mut first = first_error.lock().unwrap_or_else(|e| e.into_inner());
                        if first.is_none() {
                            *first = Some(match outcome {
                                Ok((status, _)) => format!("{}: HTTP {status}", review.name),
                                Err(e) => format!("{}: {e:#}", review.name),
                            });
                        }
                    }
                    match Connection::open(&target).await {
                        Ok(c) => connection = c,
                        Err(_) => {
                            stop.store(true, Ordering::Relaxed);
                            break;
                        }
                    }
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
        });
    }
    let started = Instant::now();
    let mut next = every;
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let count = done.load(Ordering::Relaxed);
        while count >= next && next <= total {
            report(next, started.elapsed());
            next += every;
        }
        if count >= total || stop.load(Ordering::Relaxed) || workers.is_empty() {
            break;
        }
        if let Some(joined) = workers.try_join_next() {
            joined.map_err(|e| anyhow!("a soak worker failed: {e}"))?;
        }
    }
    while let Some(joined) = workers.join_next().await {
        joined.map_err(|e| anyhow!("a soak worker failed: {e}"))?;
    }
    let first = first_error.lock().unwrap_or_else(|e| e.into_inner()).take();
    Ok((failed.load(Ordering::Relaxed), first))
}

#[cfg(test)]
mod figures_tests {
    use super::*;

    fn figures(throughput: f64, p99_ms: f64) -> Figures {
        Figures {
            throughput,
            p50_ms: 1.0,
            p99_ms,
            p999_ms: 2.0,
            max_ms: 3.0,
            cpu_us: Some(throughput / 1000.0),
        }
    }

    #[test]
    fn the_median_takes_each_figure_apart() {
        let runs = [figures(3.0, 9.0), figures(1.0, 7.0), figures(2.0, 8.0)];
        let m = Figures::median(&runs).expect("three runs");
        assert_eq!((m.throughput, m.p99_ms, m.cpu_us), (2.0, 8.0, Some(0.002)));
        let even = Figures::median(&runs[..2]).expect("two runs");
        assert_eq!(even.throughput, 1.0, "the lower middle");
        assert!(Figures::median(&[]).is_none());
    }
}
