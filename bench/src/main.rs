//! `flink-autoscale-bench`: the webhook's speed and memory, measured against a no-op
//! HTTPS server on the same stack, in the same run, with the same client.
//!
//! ```sh
//! cargo run --release -p flink-autoscale-bench -- --concurrency 1,16,64 --duration 10s
//! cargo run --release -p flink-autoscale-bench -- --soak            # 1 000 000 reviews
//! cargo run --release -p flink-autoscale-bench -- --serve-noop      # the baseline alone
//! cargo run --release -p flink-autoscale-bench -- --concurrency 64 --cluster 0,1000,10000
//! ```
//!
//! Two baselines run beside the webhook: the no-op server (answers without reading)
//! and the parse-and-answer server (parses the review and echoes its uid, the least
//! any correct webhook does). `--cluster` adds the webhook online against the test
//! API server holding N FlinkDeployments, N VPAs and N/10 HPAs.
//!
//! The exit code is 0 when every request was answered 200, whether or not the
//! targets were met (it is a measurement); non-zero when something failed.

mod allocations;
mod cluster;
mod load;
mod noop;
mod process;
mod workload;

use anyhow::{Context, bail};
use clap::Parser;
use load::{Figures, Protocol};
use process::{Memory, RssSampler, Server};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use workload::{Expect, Review};

#[global_allocator]
static ALLOCATOR: allocations::Counting = allocations::Counting;

const MIB: f64 = 1024.0 * 1024.0;

/// Load generator for flink-autoscale-webhook, with a no-op TLS server as baseline.
#[derive(Debug, Parser)]
#[command(name = "flink-autoscale-bench", version, about, long_about = None)]
struct Args {
    /// The webhook binary [default: built with `cargo build --release`].
    #[arg(long, value_name = "PATH")]
    webhook_bin: Option<PathBuf>,

    /// Connection counts to measure, each one run per server.
    #[arg(
        long,
        value_name = "N,N,...",
        value_delimiter = ',',
        default_value = "1,16,64"
    )]
    concurrency: Vec<usize>,

    /// Measured time per run (Flink duration syntax).
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration)]
    duration: Duration,

    /// Unmeasured time before each run.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = duration)]
    warmup: Duration,

    /// Rounds per connection count, each running every server in turn; figures and
    /// targets are the medians over the rounds.
    #[arg(long, value_name = "N", default_value_t = 1)]
    rounds: usize,

    /// Threads of the load generator's runtime. One, as `wrk -t1`: the client then
    /// takes at most one of the machine's cores from the servers it measures (with
    /// one per core it competes with them for both, and the ratios drift with the
    /// scheduler). Check that it is not the limit: the no-op must stay well ahead of
    /// the servers compared.
    #[arg(long, value_name = "N", default_value_t = 1)]
    client_threads: usize,

    /// Times the webhook is started to measure spawn-to-ready.
    #[arg(long, value_name = "N", default_value_t = 5)]
    ready_runs: usize,

    /// HTTP/2 (one stream at a time per connection) instead of HTTP/1.1.
    #[arg(long)]
    http2: bool,

    /// The shared fixtures [default: ../shared/fixtures or $FIXTURES_DIR].
    #[arg(long, value_name = "DIR")]
    fixtures: Option<PathBuf>,

    /// Extra argument for the webhook (repeatable), e.g. `--webhook-arg=--max-connections=32`.
    #[arg(long, value_name = "ARG", allow_hyphen_values = true)]
    webhook_arg: Vec<String>,

    /// Soak instead: send N reviews (1 000 000 without N) over the largest
    /// --concurrency, reporting the webhook's memory every 100 000.
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "1000000")]
    soak: Option<u64>,

    /// Time only the decision path in this process, N passes over the mix: decode,
    /// validate or mutate, encode, as the webhook's handler does, without HTTP or TLS
    /// (for profiling: `valgrind --tool=callgrind`).
    #[arg(long, value_name = "N")]
    decide_only: Option<u64>,

    /// Also measure the webhook online against the test API server holding N
    /// FlinkDeployments, N VPAs and N/10 HPAs in one namespace, for each N.
    #[arg(long, value_name = "N,N,...", value_delimiter = ',')]
    cluster: Vec<usize>,

    /// The test API server binary for --cluster [default: built with cargo].
    #[arg(long, value_name = "PATH")]
    apiserver_bin: Option<PathBuf>,

    /// Run the no-op baseline server alone (until killed).
    #[arg(long, conflicts_with = "serve_parse")]
    serve_noop: bool,

    /// Run the parse-and-answer baseline server alone (until killed).
    #[arg(long)]
    serve_parse: bool,

    /// Address for --serve-noop / --serve-parse.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0")]
    listen: SocketAddr,

    /// Where --serve-noop / --serve-parse writes its CA certificate.
    #[arg(long, value_name = "FILE")]
    ca_out: Option<PathBuf>,
}

fn duration(raw: &str) -> Result<Duration, String> {
    flink_autoscale_rules::values::parse_duration(raw).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let args = Args::parse();
    let outcome = if let Some(passes) = args.decide_only {
        decide_only(&args, passes)
    } else if args.serve_noop || args.serve_parse {
        let ca_out = args
            .ca_out
            .clone()
            .unwrap_or_else(|| std::env::temp_dir().join("flink-autoscale-bench-noop-ca.pem"));
        let baseline = if args.serve_parse {
            noop::Baseline::ParseAndAnswer
        } else {
            noop::Baseline::NoOp
        };
        noop::serve(args.listen, &ca_out, baseline).map(|()| true)
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.client_threads.max(1))
            .enable_all()
            .build()
            .context("starting the runtime")
            .and_then(|rt| rt.block_on(bench(args)))
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Returns whether every request succeeded.
async fn bench(args: Args) -> anyhow::Result<bool> {
    if args.concurrency.is_empty() || args.concurrency.contains(&0) {
        bail!("--concurrency needs counts above zero");
    }
    let webhook_bin = match &args.webhook_bin {
        Some(p) => p.clone(),
        None => process::build_webhook()?,
    };
    let fixtures = args
        .fixtures
        .clone()
        .unwrap_or_else(workload::default_fixtures_dir);
    let mix = Arc::new(workload::mix(&fixtures)?);
    let protocol = if args.http2 {
        Protocol::Http2
    } else {
        Protocol::Http1
    };
    let dir = std::env::temp_dir().join(format!("flink-autoscale-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let _cleanup = RemoveOnDrop(dir.clone());

    println!(
        "machine: {} cores, load average {} (1/5/15 min) at start",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        process::load_average()
    );
    println!(
        "webhook: {} (RUST_LOG={})",
        webhook_bin.display(),
        std::env::var("RUST_LOG").unwrap_or_else(|_| "unset: info, a line per denial".into())
    );
    let spawn_webhook = |tag: &str| {
        let ca = dir.join(format!("webhook-ca-{tag}.pem"));
        let mut argv: Vec<String> = ["--dev", "--offline", "--listen", "127.0.0.1:0"]
            .map(String::from)
            .to_vec();
        argv.push("--dev-ca-out".into());
        argv.push(ca.display().to_string());
        argv.extend(args.webhook_arg.iter().cloned());
        Server::spawn("webhook", &webhook_bin, &argv, ca)
    };

    if let Some(total) = args.soak {
        let connections = args.concurrency.iter().copied().max().unwrap_or(16);
        return soak(spawn_webhook("soak")?, mix, protocol, connections, total).await;
    }

    // Spawn to ready, on fresh processes.
    let mut ready = Vec::new();
    for i in 0..args.ready_runs.max(1) {
        let server = spawn_webhook(&format!("ready-{i}"))?;
        ready.push((
            server.wait_ready().await?,
            server.announced - server.spawned,
        ));
    }
    ready.sort();
    let (ready_median, _) = ready[ready.len() / 2];
    let (ready_max, announced_max) = ready[ready.len() - 1];
    println!(
        "ready: spawn to /readyz 200 in {} ms median, {} ms max over {} starts \
         (address printed after {} ms at most)",
        ms(ready_median),
        ms(ready_max),
        ready.len(),
        ms(announced_max)
    );

    let self_exe = std::env::current_exe().context("locating this binary")?;
    let baseline = |name: &'static str, flag: &str| {
        let ca = dir.join(format!("{flag}-ca.pem"));
        Server::spawn(
            name,
            &self_exe,
            &[
                format!("--{flag}"),
                "--ca-out".into(),
                ca.display().to_string(),
            ],
            ca,
        )
    };
    let noop = baseline("no-op", "serve-noop")?;
    let parse = baseline("parse", "serve-parse")?;
    let webhook = spawn_webhook("load")?;
    noop.wait_ready().await?;
    parse.wait_ready().await?;
    webhook.wait_ready().await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = webhook.memory()?;
    let noop_idle = noop.memory()?;
    println!(
        "idle RSS: webhook {:.1} MiB, no-op {:.1} MiB",
        idle.rss as f64 / MIB,
        noop_idle.rss as f64 / MIB
    );

    preflight(&webhook, &[&noop, &parse], &mix, protocol).await?;

    println!(
        "\n{} keep-alive connections over {}, {} warm-up + {} measured per run; latency \
         from send to the last byte of the answer",
        args.concurrency
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join("/"),
        if args.http2 { "HTTP/2" } else { "HTTP/1.1" },
        secs(args.warmup),
        secs(args.duration),
    );
    println!(
        "{:>5}  {:<10} {:>9} {:>8} {:>8} {:>8} {:>8} {:>7} {:>10} {:>7}",
        "conns",
        "server",
        "req/s",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "max ms",
        "errors",
        "peak RSS",
        "CPU us"
    );
    let mut rows = Vec::new();
    let mut all_ok = true;
    let mut errors = 0u64;
    let rounds = args.rounds.max(1);
    for &c in &args.concurrency {
        // Rounds interleave the servers, so that a slow spell of the machine falls on
        // all of them rather than on one, and each round starts with another server,
        // so that none always runs after the others have heated the machine.
        let mut runs: [Vec<Figures>; 3] = Default::default();
        let servers = [&noop, &parse, &webhook];
        for round in 1..=rounds {
            for slot in round_order(round) {
                let server = servers[slot];
                let sampler = RssSampler::start(server.pid(), Duration::from_millis(10));
                let result = load::run(
                    &server.target(protocol)?,
                    mix.clone(),
                    c,
                    args.warmup,
                    args.duration,
                    Some(server.pid()),
                )
                .await?;
                let peak = sampler.finish();
                let name = if rounds > 1 {
                    format!("{} #{round}", server.name)
                } else {
                    server.name.to_string()
                };
                let f = Figures::of(&result);
                errors += result.errors();
                println!(
                    "{:>5}  {:<10} {:>9.0} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>7} {:>6.1} MiB {:>7.1}",
                    c,
                    name,
                    f.throughput,
                    f.p50_ms,
                    f.p99_ms,
                    f.p999_ms,
                    f.max_ms,
                    result.errors(),
                    peak as f64 / MIB,
                    f.cpu_us.unwrap_or(f64::NAN)
                );
                if let Some(e) = &result.first_error {
                    println!("       first error: {e}");
                    all_ok = false;
                }
                runs[slot].push(f);
            }
        }
        let medians = |slot: usize| Figures::median(&runs[slot]).context("no run");
        let trio = [medians(0)?, medians(1)?, medians(2)?];
        if rounds > 1 {
            for (server, f) in [&noop, &parse, &webhook].iter().zip(&trio) {
                println!(
                    "{:>5}  {:<10} {:>9.0} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>22.1}",
                    c,
                    format!("{} med", server.name),
                    f.throughput,
                    f.p50_ms,
                    f.p99_ms,
                    f.p999_ms,
                    f.max_ms,
                    f.cpu_us.unwrap_or(f64::NAN)
                );
            }
        }
        let ours = &trio[2];
        if rounds > 1 {
            println!("       ratios of the medians:");
        }
        for (label, base) in [("/no-op", &trio[0]), ("/parse", &trio[1])] {
            let cpu = ours
                .cpu_us
                .zip(base.cpu_us)
                .map_or(f64::NAN, |(o, b)| o / b);
            println!(
                "{:>5}  {:<10} {:>8.2}x {:>7.2}x {:>7.2}x {:>7.2}x {:>28.2}x",
                "",
                label,
                ours.throughput / base.throughput,
                ours.p50_ms / base.p50_ms,
                ours.p99_ms / base.p99_ms,
                ours.p999_ms / base.p999_ms,
                cpu,
            );
        }
        // Each round's ratio compares runs seconds apart; the median of those is
        // what the targets judge (a ratio of medians can pair runs a minute apart).
        let paired = |base: usize, f: fn(&Figures) -> f64| -> Vec<f64> {
            runs[2]
                .iter()
                .zip(&runs[base])
                .map(|(o, b)| f(o) / f(b))
                .collect()
        };
        let ratios = Ratios {
            noop_throughput: median(paired(0, |f| f.throughput)).context("no run")?,
            noop_p99: median(paired(0, |f| f.p99_ms)).context("no run")?,
            parse_throughput: median(paired(1, |f| f.throughput)).context("no run")?,
            parse_p99: median(paired(1, |f| f.p99_ms)).context("no run")?,
        };
        if rounds > 1 {
            let list = |v: Vec<f64>| {
                v.iter()
                    .map(|r| format!("{r:.2}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            };
            for (name, base, throughput, p99) in [
                ("parse", 1, ratios.parse_throughput, ratios.parse_p99),
                ("no-op", 0, ratios.noop_throughput, ratios.noop_p99),
            ] {
                println!(
                    "       webhook/{name} by round: throughput {} (median {throughput:.2}x); \
                     p99 {} (median {p99:.2}x)",
                    list(paired(base, |f| f.throughput)),
                    list(paired(base, |f| f.p99_ms)),
                );
            }
        }
        rows.push((c, trio, ratios));
    }
    let loaded = webhook.memory()?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = webhook.memory()?;
    println!(
        "webhook RSS: peak (VmHWM) {:.1} MiB; idle again 1 s after the load {:.1} MiB; \
         no-op peak {:.1} MiB",
        loaded.hwm as f64 / MIB,
        after.rss as f64 / MIB,
        noop.memory().map_or(0.0, |m: Memory| m.hwm as f64 / MIB)
    );

    // Targets, at 64 connections (or the largest count measured).
    let (c, pair, ratios) = rows
        .iter()
        .find(|(c, _, _)| *c == 64)
        .or_else(|| rows.iter().max_by_key(|(c, _, _)| *c))
        .context("no run")?;
    let (base, parsed, ours) = (&pair[0], &pair[1], &pair[2]);
    let cluster_rows = if args.cluster.is_empty() {
        Vec::new()
    } else {
        let target_c = *c;
        online(&args, &webhook_bin, &dir, mix.clone(), protocol, target_c).await?
    };
    println!(
        "\ntargets (load average {} at the end; ratios are medians of the rounds' ratios, \
         figures medians of the runs):",
        process::load_average()
    );
    check(
        ratios.parse_throughput >= 0.8,
        format!(
            "throughput at {c} connections: {:.2}x the parse-and-answer server's \
             ({:.0} against {:.0} req/s) (target >= 0.8x)",
            ratios.parse_throughput, ours.throughput, parsed.throughput
        ),
    );
    check(
        ratios.parse_p99 <= 1.2,
        format!(
            "p99 latency at {c} connections: {:.2}x the parse-and-answer server's \
             ({:.3} against {:.3} ms) (target <= 1.2x)",
            ratios.parse_p99, ours.p99_ms, parsed.p99_ms
        ),
    );
    check(
        ratios.noop_p99 <= 1.5,
        format!(
            "p99 latency at {c} connections: {:.2}x the no-op's ({:.3} against {:.3} ms) \
             (target <= 1.5x)",
            ratios.noop_p99, ours.p99_ms, base.p99_ms
        ),
    );
    check(
        ratios.noop_throughput >= 0.6,
        format!(
            "throughput at {c} connections: {:.2}x the no-op's ({:.0} against {:.0} req/s) \
             (target >= 0.6x)",
            ratios.noop_throughput, ours.throughput, base.throughput
        ),
    );
    check(
        loaded.hwm as f64 <= 30.0 * MIB,
        format!(
            "RSS under load: {:.1} MiB peak (target <= 30 MiB)",
            loaded.hwm as f64 / MIB
        ),
    );
    check(
        idle.rss as f64 <= 15.0 * MIB,
        format!(
            "RSS idle: {:.1} MiB after start-up (target <= 15 MiB)",
            idle.rss as f64 / MIB
        ),
    );
    check(
        ready_max <= Duration::from_millis(100),
        format!(
            "ready: {} ms from spawn to /readyz 200, slowest of {} starts (target <= 100 ms)",
            ms(ready_max),
            ready.len()
        ),
    );
    cluster_targets(&cluster_rows);
    Ok(all_ok && errors == 0 && cluster_rows.iter().all(|r| r.errors == 0))
}

/// One `--cluster` measurement.
struct ClusterRow {
    n: usize,
    ready: Duration,
    /// The median over `--rounds` runs.
    figures: Figures,
    /// Each round's run.
    runs: Vec<Figures>,
    errors: u64,
    peak: u64,
}

/// The webhook online against the test API server, for each `--cluster` N, at
/// `connections`.
async fn online(
    args: &Args,
    webhook_bin: &std::path::Path,
    dir: &std::path::Path,
    mix: Arc<Vec<Review>>,
    protocol: Protocol,
    connections: usize,
) -> anyhow::Result<Vec<ClusterRow>> {
    let apiserver_bin = match &args.apiserver_bin {
        Some(p) => p.clone(),
        None => process::build("flink-autoscale-e2e", "flink-test-apiserver")?,
    };
    println!(
        "\nonline: the webhook against the test API server holding N FlinkDeployments, N VPAs \
         and N/10 HPAs in namespace {:?}; {connections} connections",
        cluster::NAMESPACE
    );
    println!(
        "{:>6} {:>8} {:>9} {:>12} {:>9} {:>8} {:>8} {:>7} {:>10}",
        "N",
        "cached",
        "ready ms",
        "RSS at ready",
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "peak RSS"
    );
    // Every N's API server and webhook are started first and kept, and the rounds
    // then run each of them in turn (each round starting with the next N): the
    // targets compare N against N = 0 round by round, runs seconds apart, not
    // blocks of runs minutes apart.
    struct Online {
        n: usize,
        seed: PathBuf,
        webhook: Server,
        apiserver: cluster::ApiServer,
        ready: Duration,
        listed: Memory,
        runs: Vec<Figures>,
        errors: u64,
    }
    let mut started = Vec::new();
    for &n in &args.cluster {
        let seed = cluster::write_seed(dir, n)?;
        let apiserver = cluster::ApiServer::start(&apiserver_bin, &seed)?;
        let ca = dir.join(format!("webhook-ca-online-{n}.pem"));
        let mut argv: Vec<String> = ["--dev", "--listen", "127.0.0.1:0"]
            .map(String::from)
            .to_vec();
        argv.push("--dev-ca-out".into());
        argv.push(ca.display().to_string());
        argv.extend(args.webhook_arg.iter().cloned());
        let webhook = Server::spawn_with_env(
            "online",
            webhook_bin,
            &argv,
            ca,
            &[("KUBECONFIG", apiserver.kubeconfig.as_path())],
        )?;
        let ready = webhook.wait_ready().await?;
        let listed = webhook.memory()?;
        check_verdicts(&webhook, &mix, protocol).await?;
        started.push(Online {
            n,
            seed,
            webhook,
            apiserver,
            ready,
            listed,
            runs: Vec::new(),
            errors: 0,
        });
    }
    let rounds = args.rounds.max(1);
    for round in 1..=rounds {
        for k in 0..started.len() {
            let at = (k + round - 1) % started.len();
            let online = &mut started[at];
            let sampler = RssSampler::start(online.webhook.pid(), Duration::from_millis(10));
            let result = load::run(
                &online.webhook.target(protocol)?,
                mix.clone(),
                connections,
                args.warmup,
                args.duration,
                Some(online.webhook.pid()),
            )
            .await?;
            let _ = sampler.finish();
            let f = Figures::of(&result);
            online.errors += result.errors();
            println!(
                "{:>6} {:>8} {:>9} {:>8.1} MiB {:>9.0} {:>8.3} {:>8.3} {:>7} {:>6.1} MiB{}",
                online.n,
                cluster::cached_objects(online.n),
                ms(online.ready),
                online.listed.rss as f64 / MIB,
                f.throughput,
                f.p50_ms,
                f.p99_ms,
                result.errors(),
                online.webhook.memory()?.hwm as f64 / MIB,
                if rounds > 1 {
                    format!("  #{round}")
                } else {
                    String::new()
                }
            );
            if let Some(e) = &result.first_error {
                println!("       first error: {e}");
            }
            online.runs.push(f);
        }
    }
    let mut rows = Vec::new();
    for online in started {
        let figures = Figures::median(&online.runs).context("no run")?;
        let peak = online.webhook.memory()?.hwm;
        if rounds > 1 {
            println!(
                "{:>6} {:>8} {:>9} {:>12} {:>9.0} {:>8.3} {:>8.3} {:>7} {:>6.1} MiB  median",
                online.n,
                cluster::cached_objects(online.n),
                ms(online.ready),
                "",
                figures.throughput,
                figures.p50_ms,
                figures.p99_ms,
                online.errors,
                peak as f64 / MIB
            );
        }
        rows.push(ClusterRow {
            n: online.n,
            ready: online.ready,
            figures,
            runs: online.runs,
            errors: online.errors,
            peak,
        });
        drop(online.webhook);
        drop(online.apiserver);
        let _ = std::fs::remove_file(&online.seed);
    }
    Ok(rows)
}

/// The cluster-scale targets: the largest N against N = 0 (or the smallest).
fn cluster_targets(rows: &[ClusterRow]) {
    let (Some(small), Some(large)) = (
        rows.iter().min_by_key(|r| r.n),
        rows.iter().max_by_key(|r| r.n),
    ) else {
        return;
    };
    if large.n == small.n {
        return;
    }
    let (n, n0) = (large.n, small.n);
    // Round by round, as the offline ratios.
    let by_round = |f: fn(&Figures) -> f64| -> Vec<f64> {
        large
            .runs
            .iter()
            .zip(&small.runs)
            .map(|(l, s)| f(l) / f(s))
            .collect()
    };
    let paired = |f: fn(&Figures) -> f64| median(by_round(f)).unwrap_or(f64::NAN);
    if large.runs.len() > 1 {
        let list = |v: Vec<f64>| {
            v.iter()
                .map(|r| format!("{r:.2}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        println!(
            "  online N = {n} / N = {n0} by round: throughput {}; p99 {}",
            list(by_round(|f| f.throughput)),
            list(by_round(|f| f.p99_ms))
        );
    }
    let tput = paired(|f| f.throughput);
    check(
        tput >= 0.8,
        format!(
            "online throughput at N = {n}: {tput:.2}x N = {n0}'s ({:.0} against {:.0} req/s) \
             (target >= 0.8x)",
            large.figures.throughput, small.figures.throughput
        ),
    );
    let p99 = paired(|f| f.p99_ms);
    check(
        p99 <= 1.5,
        format!(
            "online p99 at N = {n}: {p99:.2}x N = {n0}'s ({:.3} against {:.3} ms) (target <= 1.5x)",
            large.figures.p99_ms, small.figures.p99_ms
        ),
    );
    for r in rows {
        let cached = cluster::cached_objects(r.n);
        let limit = 30.0 + 2.0 * cached as f64 / 1000.0;
        check(
            r.peak as f64 <= limit * MIB,
            format!(
                "online peak RSS at N = {}: {:.1} MiB for {cached} cached objects (target <= {limit:.1} \
                 MiB: 30 + 2 per 1 000)",
                r.n,
                r.peak as f64 / MIB
            ),
        );
    }
    check(
        large.ready <= Duration::from_secs(2),
        format!(
            "online ready at N = {n}: {} ms from spawn to /readyz 200, lists synced (target <= 2 s)",
            ms(large.ready)
        ),
    );
}

/// Every review of the mix answered with the verdict it was built for.
async fn check_verdicts(
    webhook: &Server,
    mix: &[Review],
    protocol: Protocol,
) -> anyhow::Result<()> {
    let mut ours = load::Connection::open(&webhook.target(protocol)?).await?;
    for review in mix {
        let (status, body) = ours.send("POST", review.path, review.body.clone()).await?;
        let answer: serde_json::Value = serde_json::from_slice(&body)
            .with_context(|| format!("{}: the answer is not JSON", review.name))?;
        if status != 200 || Expect::of_response(&answer) != Some(review.expect) {
            bail!(
                "{} ({} {}): expected 200 {}, got {status}: {}",
                review.name,
                webhook.name,
                review.path,
                review.expect.as_str(),
                String::from_utf8_lossy(&body)
            );
        }
    }
    Ok(())
}

/// Sends each review of the mix once: every answer must be 200, and the webhook's
/// verdicts must be the ones the mix was built for.
async fn preflight(
    webhook: &Server,
    baselines: &[&Server],
    mix: &[Review],
    protocol: Protocol,
) -> anyhow::Result<()> {
    let mut ours = load::Connection::open(&webhook.target(protocol)?).await?;
    let mut bases = Vec::new();
    for b in baselines {
        bases.push((b.name, load::Connection::open(&b.target(protocol)?).await?));
    }
    println!(
        "\nthe mix ({} reviews, each connection walks it from its own offset):",
        mix.len()
    );
    for review in mix {
        let (status, body) = ours.send("POST", review.path, review.body.clone()).await?;
        let answer: serde_json::Value = serde_json::from_slice(&body)
            .with_context(|| format!("{}: the answer is not JSON", review.name))?;
        let got = Expect::of_response(&answer);
        println!(
            "  {:<9} {:>5} B  {:<14} {}",
            review.path,
            review.body.len(),
            got.map_or("?", Expect::as_str),
            review.name
        );
        if status != 200 || got != Some(review.expect) {
            bail!(
                "{} {}: expected 200 {}, got {status}: {}",
                review.name,
                review.path,
                review.expect.as_str(),
                String::from_utf8_lossy(&body)
            );
        }
        for (name, base) in &mut bases {
            let (status, _) = base.send("POST", review.path, review.body.clone()).await?;
            if status != 200 {
                bail!("the {name} server answered {status} to {}", review.name);
            }
        }
    }
    Ok(())
}

async fn soak(
    mut webhook: Server,
    mix: Arc<Vec<Review>>,
    protocol: Protocol,
    connections: usize,
    total: u64,
) -> anyhow::Result<bool> {
    let ready = webhook.wait_ready().await?;
    let idle = webhook.memory()?;
    println!(
        "soak: {total} reviews over {connections} connections; ready after {} ms, idle RSS \
         {:.1} MiB",
        ms(ready),
        idle.rss as f64 / MIB
    );
    println!(
        "{:>10} {:>8} {:>9} {:>10} {:>10}",
        "reviews", "seconds", "req/s", "RSS MiB", "peak MiB"
    );
    let pid = webhook.pid();
    let mut samples = Vec::new();
    let mut last = (0u64, Duration::ZERO);
    let (failed, first) = load::soak(
        &webhook.target(protocol)?,
        mix,
        connections,
        total,
        100_000,
        |n, elapsed| {
            let m = Memory::of(pid).unwrap_or_default();
            let rate = (n - last.0) as f64 / (elapsed - last.1).as_secs_f64().max(1e-9);
            last = (n, elapsed);
            println!(
                "{n:>10} {:>8.1} {rate:>9.0} {:>10.1} {:>10.1}",
                elapsed.as_secs_f64(),
                m.rss as f64 / MIB,
                m.hwm as f64 / MIB
            );
            samples.push(m.rss);
        },
    )
    .await?;
    if !webhook.is_running() {
        bail!(
            "the webhook exited during the soak; stderr:\n{}",
            webhook.stderr()
        );
    }
    if let Some(e) = &first {
        println!("first failure: {e}");
    }
    // Steady: after the first report (allocator pools warmed up), RSS grows by at
    // most 1 MiB to the end.
    if let (Some(&second), Some(&end)) = (samples.first(), samples.last()) {
        let growth = end as f64 - second as f64;
        check(
            growth <= MIB,
            format!(
                "memory steady: RSS {:.1} MiB at the first report, {:.1} MiB at the end \
                 ({:+.2} MiB; target <= +1 MiB)",
                second as f64 / MIB,
                end as f64 / MIB,
                growth / MIB
            ),
        );
    }
    println!("failed requests: {failed}");
    Ok(failed == 0)
}

/// The handler's work without the server around it: what one review costs in our
/// code alone.
fn decide_only(args: &Args, passes: u64) -> anyhow::Result<bool> {
    use flink_autoscale_webhook::admission;
    let fixtures = args
        .fixtures
        .clone()
        .unwrap_or_else(workload::default_fixtures_dir);
    let mix = workload::mix(&fixtures)?;
    let settings = flink_autoscale_rules::RuleSettings::default();
    let decide_all = || -> anyhow::Result<usize> {
        let mut bytes = 0usize;
        for _ in 0..passes {
            for review in &mix {
                let request = admission::decode(&review.body)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", review.name))?;
                let decision = if review.path == "/mutate" {
                    admission::mutate(&request, &settings, None)
                } else {
                    admission::validate(&request, &settings, None)
                }
                .map_err(|e| anyhow::anyhow!("{}: {e}", review.name))?;
                bytes += admission::encode(decision.response).len();
            }
        }
        Ok(bytes)
    };
    // The same reviews parsed into a JSON tree, and nothing else: the least any
    // webhook does with them.
    let parse_all = || -> anyhow::Result<usize> {
        let mut uids = 0usize;
        for _ in 0..passes {
            for review in &mix {
                let tree: serde_json::Value = serde_json::from_slice(&review.body)?;
                uids += tree
                    .pointer("/request/uid")
                    .and_then(serde_json::Value::as_str)
                    .map_or(0, str::len);
            }
        }
        Ok(uids)
    };
    let started = std::time::Instant::now();
    let bytes = decide_all()?;
    let decided = started.elapsed();
    let started = std::time::Instant::now();
    let uids = parse_all()?;
    let parsed = started.elapsed();
    let n = passes * mix.len() as u64;
    // Counted apart from the timed passes (counting costs a little), over one pass.
    let (_, decide_allocs) = allocations::count(|| {
        for review in &mix {
            if let Ok(request) = admission::decode(&review.body) {
                let decision = if review.path == "/mutate" {
                    admission::mutate(&request, &settings, None)
                } else {
                    admission::validate(&request, &settings, None)
                };
                if let Ok(decision) = decision {
                    std::hint::black_box(admission::encode(decision.response));
                }
            }
        }
    });
    let (_, parse_allocs) = allocations::count(|| {
        for review in &mix {
            std::hint::black_box(serde_json::from_slice::<serde_json::Value>(&review.body).ok());
        }
    });
    let per = |d: Duration| d.as_secs_f64() * 1e6 / n.max(1) as f64;
    let per_review = |a: u64| a as f64 / mix.len().max(1) as f64;
    println!(
        "decision path: {n} reviews in {:.3} s: {:.1} us per review ({bytes} bytes answered); \
         {:.1} allocations per review",
        decided.as_secs_f64(),
        per(decided),
        per_review(decide_allocs)
    );
    println!(
        "parse only:    {n} reviews in {:.3} s: {:.1} us per review ({uids} uid bytes); \
         {:.1} allocations per review",
        parsed.as_secs_f64(),
        per(parsed),
        per_review(parse_allocs)
    );
    let ratio = decided.as_secs_f64() / parsed.as_secs_f64().max(1e-9);
    check(
        ratio <= 2.0,
        format!(
            "in-process decision: {:.1} us = {ratio:.2}x the parse of the same reviews ({:.1} us; \
             target <= 2x)",
            per(decided),
            per(parsed)
        ),
    );
    Ok(true)
}

/// The servers' order (no-op, parse-and-answer, webhook as 0, 1, 2) in round
/// `round` (from 1). The two servers compared run next to each other in every round,
/// so that each round's ratio compares runs a few seconds apart (the machine's speed
/// drifts more from one round to the next); over four rounds each of them runs
/// first once, last once, and before the other twice, and the no-op runs first
/// twice and last twice.
fn round_order(round: usize) -> [usize; 3] {
    const ORDERS: [[usize; 3]; 4] = [[0, 1, 2], [2, 1, 0], [1, 2, 0], [0, 2, 1]];
    ORDERS[(round + 3) % 4]
}

/// The webhook's figures over a baseline's, each the median of the rounds' ratios.
#[derive(Debug, Clone, Copy)]
struct Ratios {
    noop_throughput: f64,
    noop_p99: f64,
    parse_throughput: f64,
    parse_p99: f64,
}

/// The median (the mean of the two middle values of an even count); `None` for none.
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

fn check(pass: bool, what: String) {
    println!("  {}  {what}", if pass { "PASS" } else { "MISS" });
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn secs(d: Duration) -> String {
    format!("{}s", d.as_secs_f64())
}

struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::{median, round_order};

    #[test]
    fn rounds_pair_the_compared_servers_and_rotate_them() {
        let orders: Vec<[usize; 3]> = (1..=4).map(round_order).collect();
        assert_eq!(round_order(1), [0, 1, 2]);
        assert_eq!(round_order(5), round_order(1));
        for order in &orders {
            let mut sorted = *order;
            sorted.sort_unstable();
            assert_eq!(sorted, [0, 1, 2], "{order:?} runs every server once");
            let at = |s: usize| order.iter().position(|&x| x == s).expect("present");
            assert_eq!(
                at(1).abs_diff(at(2)),
                1,
                "{order:?}: parse and webhook adjacent"
            );
        }
        let count = |server: usize, position: usize| {
            orders.iter().filter(|o| o[position] == server).count()
        };
        for server in [1, 2] {
            assert_eq!(count(server, 0), 1, "server {server} first once");
            assert_eq!(count(server, 2), 1, "server {server} last once");
        }
        assert_eq!((count(0, 0), count(0, 2)), (2, 2));
        let webhook_first = orders
            .iter()
            .filter(|o| o.iter().position(|&x| x == 2) < o.iter().position(|&x| x == 1))
            .count();
        assert_eq!(webhook_first, 2);
    }

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        let even = median(vec![0.9, 0.7, 1.0, 0.8]).expect("four values");
        assert!((even - 0.85).abs() < 1e-12, "{even}");
    }
}
