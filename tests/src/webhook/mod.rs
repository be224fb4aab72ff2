//! The `flink-autoscale-webhook` binary as a child process for end-to-end tests, the
//! one harness every test that starts a webhook uses: a builder that says only what
//! differs (TLS from `--dev` or from files, online with a kubeconfig or `--offline`,
//! an admin listener, extra flags and environment), a process that knows its
//! addresses and CA, HTTPS clients that trust that CA and nothing else (as the API
//! server trusts the webhook configuration's `caBundle`), readiness, SIGTERM and exit.

pub mod client;
pub mod pki;

use crate::server_process::{Announce, Memory, ServerProcess};
use std::ffi::{OsStr, OsString};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

pub use client::{client_trusting, eventually, post, review};
pub use pki::TestCa;

/// How long the process may take to announce its address (the binary is already
/// built by then).
const START_TIMEOUT: Duration = Duration::from_secs(120);
/// How long `/readyz` may take to answer 200 (an online webhook lists the cluster
/// first: thousands of objects in the cluster-scale tests).
pub const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the serving certificate comes from.
#[derive(Debug, Clone)]
enum Tls {
    /// `--dev`: a generated CA written to this file.
    Dev(PathBuf),
    /// `--tls-cert`/`--tls-key`.
    Files { cert: PathBuf, key: PathBuf },
    /// Whatever the extra arguments say.
    Args,
}

/// What to start: built with [`WebhookProcess::dev`], [`WebhookProcess::with_certs`]
/// or [`WebhookProcess::with_args`], started with [`WebhookBuilder::start`].
#[derive(Debug, Clone)]
#[must_use]
pub struct WebhookBuilder {
    tls: Tls,
    ca: Option<PathBuf>,
    offline: bool,
    admin: bool,
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
}

impl WebhookBuilder {
    fn new(tls: Tls) -> WebhookBuilder {
        WebhookBuilder {
            tls,
            ca: None,
            offline: true,
            admin: false,
            args: Vec::new(),
            env: vec![("RUST_LOG".into(), "info".into())],
        }
    }

    /// Online against the cluster `kubeconfig` names (no `--offline`).
    pub fn kubeconfig(self, kubeconfig: impl AsRef<Path>) -> WebhookBuilder {
        self.online().env("KUBECONFIG", kubeconfig.as_ref())
    }

    /// Without `--offline`, the cluster found as the process finds it.
    pub fn online(mut self) -> WebhookBuilder {
        self.offline = false;
        self
    }

    /// With an admin listener on a free port (`--admin-listen 127.0.0.1:0`).
    pub fn admin(mut self) -> WebhookBuilder {
        self.admin = true;
        self
    }

    /// The CA clients trust (PEM file), when the certificate is not from `--dev`.
    pub fn ca(mut self, ca_pem: impl AsRef<Path>) -> WebhookBuilder {
        self.ca = Some(ca_pem.as_ref().to_path_buf());
        self
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> WebhookBuilder {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> WebhookBuilder
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    /// An environment variable (a later one of the same name wins).
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> WebhookBuilder {
        let key = key.as_ref().to_os_string();
        self.env.retain(|(k, _)| *k != key);
        self.env.push((key, value.as_ref().to_os_string()));
        self
    }

    /// `RUST_LOG` (`info` unless said otherwise).
    pub fn log(self, level: &str) -> WebhookBuilder {
        self.env("RUST_LOG", level)
    }

    /// The command line: `--listen 127.0.0.1:0`, the TLS flags, `--offline` and
    /// `--admin-listen` as asked, then the extra arguments.
    pub fn argv(&self) -> Vec<OsString> {
        let mut argv: Vec<OsString> = Vec::new();
        match &self.tls {
            Tls::Dev(ca) => {
                argv.extend(["--dev".into(), "--dev-ca-out".into(), ca.into()]);
            }
            Tls::Files { cert, key } => {
                argv.extend([
                    "--tls-cert".into(),
                    cert.into(),
                    "--tls-key".into(),
                    key.into(),
                ]);
            }
            Tls::Args => {}
        }
        if !matches!(self.tls, Tls::Args) {
            argv.extend(["--listen".into(), "127.0.0.1:0".into()]);
        }
        if self.offline {
            argv.push("--offline".into());
        }
        if self.admin {
            argv.extend(["--admin-listen".into(), "127.0.0.1:0".into()]);
        }
        argv.extend(self.args.iter().cloned());
        argv
    }

    /// Builds the binary (once per test process), starts it and waits for the line
    /// announcing its address; the error says why it did not come.
    pub fn try_start(self) -> Result<WebhookProcess, String> {
        let bin = crate::binary("flink-autoscale-webhook", "flink-autoscale-webhook");
        let argv = self.argv();
        let mut command = Command::new(bin);
        command
            .args(&argv)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("NO_COLOR", "1");
        let mut announce = Announce::new("the webhook");
        announce.timeout = START_TIMEOUT;
        announce.admin = self.admin || argv.iter().any(|a| a == "--admin-listen");
        let process = ServerProcess::start(command, &announce)?;
        let ca = match self.tls {
            Tls::Dev(ca) => Some(ca),
            _ => self.ca,
        };
        Ok(WebhookProcess { process, ca })
    }

    /// [`WebhookBuilder::try_start`], panicking with the reason.
    pub fn start(self) -> WebhookProcess {
        self.try_start().unwrap_or_else(|e| panic!("{e}"))
    }
}

/// A running webhook, killed when dropped.
#[derive(Debug)]
pub struct WebhookProcess {
    process: ServerProcess,
    ca: Option<PathBuf>,
}

impl WebhookProcess {
    /// `--dev`: it makes a CA and a certificate for localhost, and writes the CA to
    /// `ca_out`; `--offline` unless [`WebhookBuilder::kubeconfig`] or `online`.
    pub fn dev(ca_out: impl AsRef<Path>) -> WebhookBuilder {
        WebhookBuilder::new(Tls::Dev(ca_out.as_ref().to_path_buf()))
    }

    /// Serving `cert` and `key` from files (`--offline` unless said otherwise).
    pub fn with_certs(cert: impl AsRef<Path>, key: impl AsRef<Path>) -> WebhookBuilder {
        WebhookBuilder::new(Tls::Files {
            cert: cert.as_ref().to_path_buf(),
            key: key.as_ref().to_path_buf(),
        })
    }

    /// Exactly `args` (no `--listen`, TLS flags or `--offline` added).
    pub fn with_args<I, S>(args: I) -> WebhookBuilder
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut builder = WebhookBuilder::new(Tls::Args);
        builder.offline = false;
        builder.args(args)
    }

    /// The address it announced.
    pub fn addr(&self) -> SocketAddr {
        self.process.addr()
    }

    pub fn port(&self) -> u16 {
        self.process.port()
    }

    pub fn pid(&self) -> u32 {
        self.process.pid()
    }

    /// `https://localhost:PORT{path}` (the dev and test certificates name localhost).
    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.port())
    }

    /// `http://ADMIN{path}`; panics without an admin listener.
    pub fn admin_url(&self, path: &str) -> String {
        let admin = self
            .process
            .admin_addr()
            .expect("the webhook was started with an admin listener");
        format!("http://{admin}{path}")
    }

    /// The CA file clients trust: the `--dev` CA or the one given to the builder.
    pub fn ca_path(&self) -> &Path {
        self.ca
            .as_deref()
            .expect("a --dev webhook, or a CA given to the builder")
    }

    /// The CA, PEM.
    pub fn ca_pem(&self) -> Vec<u8> {
        let path = self.ca_path();
        std::fs::read(path).unwrap_or_else(|e| panic!("the CA {}: {e}", path.display()))
    }

    /// A client builder that trusts only this webhook's CA.
    pub fn client_builder(&self) -> reqwest::ClientBuilder {
        client_trusting(&[&self.ca_pem()])
    }

    /// A client that trusts only this webhook's CA.
    pub fn client(&self) -> reqwest::Client {
        self.client_builder().build().expect("client builds")
    }

    /// Polls `/readyz` with `client` until it answers 200.
    pub async fn wait_ready(&self, client: &reqwest::Client) {
        self.wait_ready_at(client, &self.url("/readyz")).await;
    }

    /// Polls `url` (the webhook's `/readyz` by another name) until it answers 200.
    pub async fn wait_ready_at(&self, client: &reqwest::Client, url: &str) {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(r) = client.get(url).send().await
                && r.status() == 200
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{url} not 200 within {READY_TIMEOUT:?}\nstderr:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A client trusting only its CA, once `/readyz` answers 200 to it.
    pub async fn ready_client(&self) -> reqwest::Client {
        let client = self.client();
        self.wait_ready(&client).await;
        client
    }

    /// The lines it printed on stdout so far.
    pub fn stdout(&self) -> Vec<String> {
        self.process.stdout()
    }

    /// What it logged so far.
    pub fn stderr(&self) -> String {
        self.process.stderr()
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        self.process.terminate().unwrap_or_else(|e| panic!("{e}"));
    }

    /// Whether it is still running.
    pub fn is_running(&mut self) -> bool {
        self.process.is_running()
    }

    /// Its exit status once it exits within `timeout`, polling without blocking the
    /// runtime (the test's own connections keep answering).
    pub async fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        self.process.wait_exit(timeout).await
    }

    /// [`WebhookProcess::wait_exit`] for tests without a runtime.
    pub fn wait_exit_blocking(&mut self, timeout: Duration) -> Option<ExitStatus> {
        self.process.wait_exit_blocking(timeout)
    }

    /// Kills it and waits (a crashed webhook, as the API server meets it).
    pub fn kill(&mut self) {
        self.process.kill();
    }

    /// Resident memory now and at its peak.
    pub fn memory(&self) -> Memory {
        self.process
            .memory()
            .unwrap_or_else(|e| panic!("memory of the webhook: {e}"))
    }
}
