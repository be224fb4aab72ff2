//! `flink-autoscale-webhook`: an admission webhook that applies the Flink autoscaler
//! rules to FlinkDeployments and FlinkSessionJobs. This file only wires the modules
//! (the library half of this crate, `src/lib.rs`) together.

use anyhow::{Context, anyhow};
use flink_autoscale_webhook::audit::{self, Audit, ReportApi};
use flink_autoscale_webhook::cli::{Cli, Invocation, LogFormat, Switch, TlsSource};
use flink_autoscale_webhook::routes::{AppState, Readiness};
use flink_autoscale_webhook::{
    cert_expiry, certs, cluster, dev_certificate, log_fields, log_writer, metrics, report, server,
    tls,
};
use rustls::crypto::CryptoProvider;
use std::io::Write;
use std::sync::Arc;
use tracing_subscriber::EnvFilter;

/// A failure to start is printed once, each cause once: kube's and hyper's errors
/// repeat their sources inside their own messages, which anyhow's `{:?}` would print
/// again as a numbered chain (four times the same "No such file" without a
/// kubeconfig), followed by a backtrace a person does not need.
fn main() -> std::process::ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("Error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let causes = report::distinct_causes(e.chain().map(|c| c.to_string()));
            eprintln!("{}", report::render(&causes));
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let (cli, source) = match Cli::parse_args() {
        // A one-off command for a person: its error on one line, as clap prints usage
        // errors, rather than as a server failure with its causes.
        Invocation::Certs(args) => match certs::run(&args) {
            Ok(summary) => {
                print!("{summary}");
                return Ok(());
            }
            Err(e) => {
                eprintln!("error: {e}");
                std::process::exit(1);
            }
        },
        Invocation::Serve { cli, tls } => (cli, tls),
    };
    let _flush_logs_on_exit = init_logging(cli.log_format);

    // One crypto provider for the whole process, chosen here rather than by whichever
    // dependency initialises rustls first (kube's client will share it).
    rustls::crypto::ring::default_provider()
        .install_default()
        .map_err(|_| anyhow!("a rustls crypto provider was already installed"))?;
    let provider: Arc<CryptoProvider> = CryptoProvider::get_default()
        .cloned()
        .context("the rustls crypto provider is not installed")?;

    let (store, reloader, dev_ca) = match source {
        TlsSource::Dev { ca_out } => {
            let dev = dev_certificate::generate()?;
            dev_certificate::write_ca(&ca_out, &dev.ca_pem)?;
            let key = tls::certified_key(
                tls::Pem {
                    name: "generated development certificate",
                    bytes: dev.cert_pem.as_bytes(),
                },
                tls::Pem {
                    name: "generated development key",
                    bytes: dev.key_pem.as_bytes(),
                },
                &provider,
            )?;
            (Arc::new(tls::CertStore::new(key)), None, Some(ca_out))
        }
        TlsSource::Files { cert, key } => {
            let reloader = tls::CertReloader::load(&cert, &key, provider.clone())?;
            (reloader.store(), Some(reloader), None)
        }
    };
    let tls_config = Arc::new(tls::server_config(store.clone(), provider)?);

    // The cluster view: reflectors started now, readiness once they have synced.
    // Without it (--offline) the cluster-aware rules are skipped and every response
    // says so.
    let (reflectors, audit) = if cli.offline {
        (None, None)
    } else {
        let client = kube::Client::try_default().await.context(
            "cannot connect to the cluster (in-cluster service account, or KUBECONFIG / \
             ~/.kube/config); run with --offline to serve without the cluster-aware rules",
        )?;
        // The audit follows the view's changes from its first list on.
        let view = Arc::new(cluster::ClusterView::new(cli.cache_stale_after()));
        let audit = (cli.audit == Switch::On).then(|| (Audit::attach(&view), client.clone()));
        (Some(cluster::start_with(client, view)), audit)
    };
    let state = Arc::new(AppState {
        rules: cli.rule_settings(),
        cluster: reflectors.as_ref().map(|r| r.view.clone()),
        metrics: metrics::Metrics::new(),
        readiness: Readiness::default(),
    });
    state.readiness.set_tls_loaded();
    match &reflectors {
        None => state.readiness.set_cluster_synced(),
        Some(r) => {
            let synced = r.synced();
            let state = state.clone();
            let started = std::time::Instant::now();
            let wait = async move {
                synced.await;
                state.readiness.set_cluster_synced();
                tracing::info!(
                    after_ms = started.elapsed().as_millis() as u64,
                    "cluster caches synced"
                );
            };
            tokio::spawn(wait);
        }
    }

    let mut background = vec![tokio::spawn(cert_expiry::follow(
        store,
        StateMetrics(state.clone()),
    ))];
    if let (Some((audit, client)), Some(r)) = (audit, &reflectors) {
        // Objects that already run were accepted by the operator, and the cache keeps
        // only the fields the autoscaler and ownership rules read: the operator's own
        // spec rules (operator.*) are for admission, not for the audit.
        let audit_rules = flink_autoscale_rules::RuleSettings {
            operator_rules: false,
            ..state.rules.clone()
        };
        background.push(tokio::spawn(audit.clone().run(
            r.view.clone(),
            audit_rules,
            StateMetrics(state.clone()),
        )));
        if cli.audit_reports != ReportApi::None {
            let identity = cli
                .audit_identity
                .clone()
                .or_else(|| std::env::var("HOSTNAME").ok())
                .unwrap_or_else(|| format!("flink-autoscale-webhook-{}", std::process::id()));
            let elector =
                audit::lease::Elector::new(client.clone(), &cli.audit_lease_namespace, identity);
            background.push(tokio::spawn(audit::writer::run(
                audit,
                client,
                cli.audit_reports,
                elector,
            )));
        }
    }

    let shutdown = server::shutdown_signal()?;
    let running = server::start(
        state.clone(),
        tls_config,
        cli.listen,
        cli.admin_listen,
        cli.connection_limits(),
    )
    .await?;
    tracing::info!(
        addr = %running.webhook_addr,
        admin = ?running.admin_addr,
        version = flink_autoscale_webhook::VERSION,
        "serving"
    );
    // The bound addresses on stdout, for people and for scripts that start the
    // webhook on port 0.
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on https://{}", running.webhook_addr)?;
    if let Some(admin) = running.admin_addr {
        writeln!(out, "admin listening on http://{admin}")?;
    }
    if let Some(ca) = dev_ca {
        write!(
            out,
            "{}",
            dev_certificate::instructions(&ca, running.webhook_addr)
        )?;
    }
    out.flush()?;
    drop(out);

    let reload = reloader.map(|r| {
        let state = state.clone();
        tokio::spawn(r.run(cli.cert_reload_interval(), move || {
            state.metrics.cert_reload_failed()
        }))
    });
    running
        .run_until(
            shutdown,
            cli.shutdown_delay(),
            server::SHUTDOWN_GRACE,
            &state,
        )
        .await?;
    if let Some(task) = reload {
        task.abort();
    }
    for task in background {
        task.abort();
    }
    if let Some(r) = reflectors {
        r.abort();
    }
    Ok(())
}

/// The metrics of the shared state, for background tasks that outlive no request.
struct StateMetrics(Arc<AppState>);

impl std::ops::Deref for StateMetrics {
    type Target = metrics::Metrics;
    fn deref(&self) -> &metrics::Metrics {
        &self.0.metrics
    }
}

/// Logs go to stderr, leaving stdout to the few lines meant for people and scripts.
/// Colours only when stderr is a terminal: a file, a pipe or a container log keeps
/// plain text (tracing-subscriber would otherwise write ANSI escapes everywhere).
///
/// The lines of the request path (a denial, a refused request) are batched and
/// written by a thread of their own ([`log_writer`]): nothing is dropped, and a
/// line waits at most [`log_writer::FLUSH_EVERY`]. Every other line (start-up,
/// certificates, the cluster view, shutdown) is written at once, so a process
/// killed right after says what it did. The returned guard writes what is left
/// when dropped, so it lives as long as the server.
fn init_logging(format: LogFormat) -> log_writer::FlushGuard<std::io::Stderr> {
    use std::io::IsTerminal;
    use tracing_subscriber::fmt::writer::MakeWriterExt;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = log_writer::batched(std::io::stderr());
    let request_path = |meta: &tracing::Metadata<'_>| {
        meta.target().starts_with("flink_autoscale_webhook::routes")
            || meta
                .target()
                .starts_with("flink_autoscale_webhook::admission")
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(writer.with_filter(request_path).or_else(std::io::stderr));
    match format {
        // Written as the default field formatter writes them, cheaper (`log_fields`).
        LogFormat::Text => builder.fmt_fields(log_fields::PlainFields).init(),
        LogFormat::Json => builder.json().init(),
    }
    guard
}
