//! Command-line flags. Every serving flag has a `FLINK_GUARD_*` environment variable
//! so the Helm chart can configure the webhook without rewriting its command line.
//! The one subcommand, `certs`, is a one-off tool run by a person, so its flags have
//! none.

use crate::server::{self, ConnectionLimits};
use clap::error::ErrorKind;
use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use flink_autoscale_rules::options::OperatorVersion;
use flink_autoscale_rules::values::parse_duration;
use flink_autoscale_rules::{Enforcement, Quantity, RuleSettings};
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The operator's default `kubernetes.operator.reconcile.interval`.
const DEFAULT_RECONCILE_INTERVAL: Duration = Duration::from_secs(60);
/// cert-manager's own webhook re-reads its certificate every 10 s; rotation is
/// hours or days ahead of expiry, so this is plenty.
const DEFAULT_CERT_RELOAD_INTERVAL: Duration = Duration::from_secs(10);
const DEFAULT_MAX_CONNECTIONS: u32 = server::DEFAULT_MAX_CONNECTIONS as u32;

/// Admission webhook that checks Flink autoscaler settings on FlinkDeployments and
/// FlinkSessionJobs.
#[derive(Debug, Parser)]
#[command(
    name = "flink-autoscale-webhook",
    version = crate::VERSION,
    about,
    long_about = None,
    // Serving keeps its flat flags (`flink-autoscale-webhook --dev`); a subcommand
    // takes none of them.
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Address to serve HTTPS on (`127.0.0.1:0` picks a free port; the bound address
    /// is printed).
    #[arg(
        long,
        env = "FLINK_GUARD_LISTEN",
        value_name = "ADDR",
        default_value = "0.0.0.0:8443"
    )]
    pub listen: SocketAddr,

    /// PEM certificate chain, server certificate first. Re-read when it changes.
    #[arg(
        long,
        env = "FLINK_GUARD_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key: PKCS#1 (`RSA PRIVATE KEY`, cert-manager's default), PKCS#8
    /// (`PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`).
    #[arg(
        long,
        env = "FLINK_GUARD_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,

    /// Generate a throwaway CA and a certificate for localhost, 127.0.0.1 and ::1 in
    /// memory, so the webhook can be tried without any set-up.
    #[arg(long, env = "FLINK_GUARD_DEV")]
    pub dev: bool,

    /// Where `--dev` writes its CA certificate
    /// [default: $TMPDIR/flink-autoscale-webhook-dev-ca.pem].
    #[arg(
        long,
        env = "FLINK_GUARD_DEV_CA_OUT",
        value_name = "FILE",
        // Not `requires = "dev"`: clap counts a flag's default (false) as present.
        conflicts_with_all = ["tls_cert", "tls_key"]
    )]
    pub dev_ca_out: Option<PathBuf>,

    /// Do not connect to a cluster: rules that need other objects (HPA/VPA conflicts)
    /// are skipped and every response says so in a warning.
    #[arg(long, env = "FLINK_GUARD_OFFLINE")]
    pub offline: bool,

    /// `deny` refuses objects with deny findings; `warn` only reports them as
    /// warnings (an audit mode for rollouts).
    #[arg(
        long,
        env = "FLINK_GUARD_ENFORCEMENT",
        value_enum,
        default_value_t = EnforcementArg::Deny
    )]
    pub enforcement: EnforcementArg,

    /// The operator's reconcile interval, in Flink duration syntax (`60s`, `1 min`);
    /// a metrics window shorter than this never fills [default: 60s].
    #[arg(
        long,
        env = "FLINK_GUARD_RECONCILE_INTERVAL",
        value_name = "DURATION",
        value_parser = parse_flink_duration
    )]
    pub reconcile_interval: Option<Duration>,

    /// The Flink Kubernetes Operator release the cluster runs, e.g. 1.10: keys that
    /// release does not know are refused (it would ignore them) and renaming advice only
    /// points at keys it reads. Unset: advice says from which release a key works.
    #[arg(
        long,
        env = "FLINK_GUARD_OPERATOR_VERSION",
        value_name = "VERSION",
        value_parser = parse_operator_version
    )]
    pub operator_version: Option<OperatorVersion>,

    /// Also serve /healthz, /readyz and /metrics over plain HTTP on this address, so
    /// probes and Prometheus need no TLS trust.
    #[arg(long, env = "FLINK_GUARD_ADMIN_LISTEN", value_name = "ADDR")]
    pub admin_listen: Option<SocketAddr>,

    /// Log line format (logs go to stderr; `RUST_LOG` sets the level).
    #[arg(
        long,
        env = "FLINK_GUARD_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text
    )]
    pub log_format: LogFormat,

    /// How often the certificate and key files are checked for changes, in Flink
    /// duration syntax [default: 10s].
    #[arg(
        long,
        env = "FLINK_GUARD_CERT_RELOAD_INTERVAL",
        value_name = "DURATION",
        value_parser = parse_positive_flink_duration
    )]
    pub cert_reload_interval: Option<Duration>,

    /// Open connections per listener. At the limit the webhook stops accepting until
    /// one closes; new clients wait in the kernel's listen backlog.
    #[arg(
        long,
        env = "FLINK_GUARD_MAX_CONNECTIONS",
        value_name = "N",
        default_value_t = DEFAULT_MAX_CONNECTIONS,
        value_parser = clap::value_parser!(u32).range(1..=1_000_000)
    )]
    pub max_connections: u32,

    /// Time a client has for the TLS handshake, its first request and each request's
    /// headers; idle HTTP/1.1 keep-alive connections are closed after it too. Flink
    /// duration syntax [default: 10s].
    #[arg(
        long,
        env = "FLINK_GUARD_HEADER_READ_TIMEOUT",
        value_name = "DURATION",
        value_parser = parse_positive_flink_duration
    )]
    pub header_read_timeout: Option<Duration>,

    /// A connection with no request in flight for this long is closed (idle HTTP/2
    /// connections, clients trickling headers). Flink duration syntax [default: 60s].
    #[arg(
        long,
        env = "FLINK_GUARD_IDLE_TIMEOUT",
        value_name = "DURATION",
        value_parser = parse_positive_flink_duration
    )]
    pub idle_timeout: Option<Duration>,

    /// How long the cluster view's list/watch may fail before the view counts as
    /// stale: /readyz then fails and reviews are judged without it (saying so).
    /// Flink duration syntax [default: 60s].
    #[arg(
        long,
        env = "FLINK_GUARD_CACHE_STALE_AFTER",
        value_name = "DURATION",
        value_parser = parse_positive_flink_duration
    )]
    pub cache_stale_after: Option<Duration>,

    /// After SIGTERM, keep serving this long (reporting not ready) before closing
    /// the listeners and draining: endpoints and kube-proxy take a few seconds to
    /// stop sending new connections to a terminating pod. Flink duration syntax
    /// [default: 0s; the chart sets 5s].
    #[arg(
        long,
        env = "FLINK_GUARD_SHUTDOWN_DELAY",
        value_name = "DURATION",
        value_parser = parse_flink_duration
    )]
    pub shutdown_delay: Option<Duration>,

    /// Memory minimum added to VPAs on Flink TaskManagers that set none (a Kubernetes
    /// quantity); raised to the TaskManager's process memory when it is known.
    #[arg(
        long,
        env = "FLINK_GUARD_VPA_MIN_MEMORY",
        value_name = "QUANTITY",
        default_value = "256Mi",
        value_parser = parse_quantity
    )]
    pub vpa_min_memory: Quantity,

    /// Memory maximum added to VPAs on Flink TaskManagers that set none.
    #[arg(
        long,
        env = "FLINK_GUARD_VPA_MAX_MEMORY",
        value_name = "QUANTITY",
        default_value = "2Gi",
        value_parser = parse_quantity
    )]
    pub vpa_max_memory: Quantity,

    /// `on` also applies what the Flink operator's own validator (`DefaultValidator`)
    /// refuses outside the autoscaler (rules `operator.*`); `off` when the operator's
    /// webhook already runs in the cluster.
    #[arg(
        long,
        env = "FLINK_GUARD_OPERATOR_RULES",
        value_enum,
        default_value_t = Switch::On
    )]
    pub operator_rules: Switch,

    /// `on` judges the objects already in the cluster in the background, from the
    /// cluster caches, and exports their findings in /metrics (`flink_guard_audit_*`).
    #[arg(long, env = "FLINK_GUARD_AUDIT", value_enum, default_value_t = Switch::On)]
    pub audit: Switch,

    /// Also write the audit's findings as one policy report per namespace: `openreports`
    /// (`openreports.io/v1alpha1` Report) or `wgpolicy` (`wgpolicyk8s.io/v1alpha2`
    /// PolicyReport). Only the replica holding the audit Lease writes.
    #[arg(
        long,
        env = "FLINK_GUARD_AUDIT_REPORTS",
        value_enum,
        default_value_t = crate::audit::ReportApi::None
    )]
    pub audit_reports: crate::audit::ReportApi,

    /// Namespace of the Lease that elects the replica writing reports (the webhook's
    /// own namespace; the chart sets it).
    #[arg(
        long,
        env = "FLINK_GUARD_AUDIT_LEASE_NAMESPACE",
        value_name = "NS",
        default_value = "default"
    )]
    pub audit_lease_namespace: String,

    /// This replica's name in the Lease [default: the host name, the pod's name].
    #[arg(long, env = "FLINK_GUARD_AUDIT_IDENTITY", value_name = "NAME")]
    pub audit_identity: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a CA, and a serving certificate it signed for the webhook's Service, for
    /// clusters without cert-manager; then print how to give them to the Helm chart.
    Certs(CertsArgs),
}

/// `certs`: what the serving certificate is for and where the files go.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct CertsArgs {
    /// Name of the webhook's Service (the chart's full name: the release name when it
    /// contains `flink-autoscale-webhook`).
    #[arg(long, value_name = "NAME", value_parser = parse_service_name)]
    pub service: String,

    /// Namespace of the Service.
    #[arg(long, value_name = "NS", value_parser = parse_namespace)]
    pub namespace: String,

    /// Directory for ca.crt, ca.key, tls.crt and tls.key; created if missing.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Days the serving certificate is valid.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 365,
        value_parser = clap::value_parser!(u32).range(1..=36500)
    )]
    pub days: u32,

    /// Days a new CA is valid: longer than the serving certificate, so that the next
    /// one can be signed by the same CA (--ca-cert) and the caBundle stays [default:
    /// 3650, or --days if longer].
    #[arg(
        long,
        value_name = "N",
        conflicts_with = "ca_cert",
        value_parser = clap::value_parser!(u32).range(1..=36500)
    )]
    pub ca_days: Option<u32>,

    /// Another name for the serving certificate, a DNS name or an IP address
    /// (repeatable).
    #[arg(long = "dns", value_name = "NAME", value_parser = parse_extra_name)]
    pub dns: Vec<String>,

    /// The cluster's DNS domain, for NAME.NS.svc.DOMAIN.
    #[arg(
        long,
        value_name = "DOMAIN",
        default_value = "cluster.local",
        value_parser = parse_cluster_domain
    )]
    pub cluster_domain: String,

    /// Sign with this CA certificate (PEM) instead of making a new CA; it is copied
    /// to DIR/ca.crt and no ca.key is written.
    #[arg(long, value_name = "FILE", requires = "ca_key")]
    pub ca_cert: Option<PathBuf>,

    /// The private key of --ca-cert (unencrypted PKCS#8 PEM, `PRIVATE KEY`).
    #[arg(long, value_name = "FILE", requires = "ca_cert")]
    pub ca_key: Option<PathBuf>,

    /// Replace files that already exist in DIR.
    #[arg(long)]
    pub force: bool,
}

/// The chart's cert-manager CA lives ten years (`certManager.caDuration`); so does ours.
const DEFAULT_CA_DAYS: u32 = 3650;

impl CertsArgs {
    /// Validity of a CA made here.
    pub fn ca_days(&self) -> u32 {
        self.ca_days
            .unwrap_or_else(|| DEFAULT_CA_DAYS.max(self.days))
    }
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Invocation {
    /// Serve admission reviews with this certificate.
    Serve { cli: Box<Cli>, tls: TlsSource },
    /// Write certificate files and exit.
    Certs(CertsArgs),
}

const DNS_1035_LABEL: &str = "a DNS-1035 label (the rule for Service names): lower case \
     letters, digits and '-', starting with a letter, ending with a letter or digit, at \
     most 63 characters, e.g. 'flink-autoscale-webhook'";
const DNS_1123_LABEL: &str = "a DNS-1123 label (the rule for namespace names): lower \
     case letters, digits and '-', starting and ending with a letter or digit, at most 63 \
     characters, e.g. 'flink-autoscale-system'";
const DNS_1123_SUBDOMAIN: &str = "a DNS-1123 subdomain: DNS-1123 labels (lower case \
     letters, digits and '-', starting and ending with a letter or digit, at most 63 \
     characters) joined by '.', at most 253 characters";

fn parse_service_name(raw: &str) -> Result<String, String> {
    let starts_with_letter = raw.starts_with(|c: char| c.is_ascii_lowercase());
    if is_dns_1123_label(raw) && starts_with_letter {
        Ok(raw.to_string())
    } else {
        Err(format!("must be {DNS_1035_LABEL}"))
    }
}

fn parse_namespace(raw: &str) -> Result<String, String> {
    if is_dns_1123_label(raw) {
        Ok(raw.to_string())
    } else {
        Err(format!("must be {DNS_1123_LABEL}"))
    }
}

fn parse_cluster_domain(raw: &str) -> Result<String, String> {
    if is_dns_1123_subdomain(raw) {
        Ok(raw.to_string())
    } else {
        Err(format!(
            "must be {DNS_1123_SUBDOMAIN}, e.g. 'cluster.local'"
        ))
    }
}

/// A DNS name (a leading `*.` wildcard allowed) or an IP address, which rcgen turns
/// into an IP subject alternative name.
fn parse_extra_name(raw: &str) -> Result<String, String> {
    let name = raw.strip_prefix("*.").unwrap_or(raw);
    if raw.parse::<std::net::IpAddr>().is_ok() || is_dns_1123_subdomain(name) {
        Ok(raw.to_string())
    } else {
        Err(format!(
            "must be an IP address or {DNS_1123_SUBDOMAIN}, optionally after '*.', \
             e.g. 'webhook.example.com'"
        ))
    }
}

fn is_dns_1123_label(s: &str) -> bool {
    let alphanumeric = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    (1..=63).contains(&s.len())
        && s.chars().all(|c| alphanumeric(c) || c == '-')
        && s.starts_with(alphanumeric)
        && s.ends_with(alphanumeric)
}

fn is_dns_1123_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_1123_label)
}

/// Kubernetes quantities (`256Mi`, `2Gi`), as the VPA's own fields take them.
fn parse_quantity(raw: &str) -> Result<Quantity, String> {
    Quantity::parse(raw).map_err(|e| e.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnforcementArg {
    Deny,
    Warn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Where the serving certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    /// Generated at start-up; the CA is written to `ca_out`.
    Dev { ca_out: PathBuf },
    /// Read from files and re-read when they change.
    Files { cert: PathBuf, key: PathBuf },
}

impl Cli {
    /// Parses the process arguments; a usage error is printed and exits with 2, as
    /// clap's own errors do.
    pub fn parse_args() -> Invocation {
        Self::try_parse_args(std::env::args_os()).unwrap_or_else(|e| e.exit())
    }

    /// Parses `args` and, for serving, checks the TLS flags. "`--dev` or both files"
    /// is checked here rather than with clap's `conflicts_with`/`required_unless_present`,
    /// which treat `FLINK_GUARD_DEV=false` as if `--dev` were given.
    pub fn try_parse_args<I, T>(args: I) -> Result<Invocation, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let mut cli = Cli::try_parse_from(args)?;
        // The serving flags may still carry values from FLINK_GUARD_* variables; a
        // subcommand ignores them rather than failing on them.
        if let Some(Command::Certs(args)) = cli.command.take() {
            if args.ca_days() < args.days {
                return Err(Cli::command().error(
                    ErrorKind::ArgumentConflict,
                    format!(
                        "--ca-days {} is shorter than --days {}: the CA would expire before \
                         the certificate it signs",
                        args.ca_days(),
                        args.days
                    ),
                ));
            }
            return Ok(Invocation::Certs(args));
        }
        if cli.vpa_min_memory > cli.vpa_max_memory {
            return Err(Cli::command().error(
                ErrorKind::ValueValidation,
                format!(
                    "--vpa-min-memory {} is above --vpa-max-memory {}: give a minimum at most \
                     the maximum",
                    cli.vpa_min_memory, cli.vpa_max_memory
                ),
            ));
        }
        let tls = cli
            .tls_source()
            .map_err(|(kind, message)| Cli::command().error(kind, message))?;
        Ok(Invocation::Serve {
            cli: Box::new(cli),
            tls,
        })
    }

    /// Where the serving certificate comes from, or why the flags do not say.
    fn tls_source(&self) -> Result<TlsSource, (ErrorKind, &'static str)> {
        match (self.dev, &self.tls_cert, &self.tls_key) {
            (true, None, None) => Ok(TlsSource::Dev {
                ca_out: self.dev_ca_out.clone().unwrap_or_else(|| {
                    std::env::temp_dir().join("flink-autoscale-webhook-dev-ca.pem")
                }),
            }),
            (true, _, _) => Err((
                ErrorKind::ArgumentConflict,
                "--dev generates its own certificate: give either --dev or --tls-cert/--tls-key",
            )),
            (false, Some(cert), Some(key)) => Ok(TlsSource::Files {
                cert: cert.clone(),
                key: key.clone(),
            }),
            (false, _, _) => Err((
                ErrorKind::MissingRequiredArgument,
                "no serving certificate: give --tls-cert FILE and --tls-key FILE (PEM), \
                 or --dev for a generated one",
            )),
        }
    }

    pub fn rule_settings(&self) -> RuleSettings {
        RuleSettings {
            enforcement: match self.enforcement {
                EnforcementArg::Deny => Enforcement::Deny,
                EnforcementArg::Warn => Enforcement::Warn,
            },
            reconcile_interval: self
                .reconcile_interval
                .unwrap_or(DEFAULT_RECONCILE_INTERVAL),
            vpa_min_memory: self.vpa_min_memory,
            vpa_max_memory: self.vpa_max_memory,
            operator_version: self.operator_version,
            operator_rules: self.operator_rules == Switch::On,
        }
    }

    pub fn cert_reload_interval(&self) -> Duration {
        self.cert_reload_interval
            .unwrap_or(DEFAULT_CERT_RELOAD_INTERVAL)
    }

    /// How long a failing watch is tolerated before the cluster view counts as stale.
    pub fn cache_stale_after(&self) -> Duration {
        self.cache_stale_after
            .unwrap_or(crate::cluster::STALE_AFTER)
    }

    /// How long to keep serving after SIGTERM before draining.
    pub fn shutdown_delay(&self) -> Duration {
        self.shutdown_delay.unwrap_or(Duration::ZERO)
    }

    pub fn connection_limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            max_connections: self.max_connections as usize,
            header_read_timeout: self
                .header_read_timeout
                .unwrap_or(server::DEFAULT_HEADER_READ_TIMEOUT),
            idle_timeout: self.idle_timeout.unwrap_or(server::DEFAULT_IDLE_TIMEOUT),
        }
    }
}

/// Durations use Flink's syntax, the same the rules use for configuration values,
/// so there is one duration language across the product.
/// `1.10`, `1.10.2` or `v1.10`: the operator release, as its tags name it.
fn parse_operator_version(raw: &str) -> Result<OperatorVersion, String> {
    OperatorVersion::parse(raw).ok_or_else(|| {
        format!("not an operator release: {raw:?}; write MAJOR.MINOR as the operator's releases are named, e.g. 1.10")
    })
}

fn parse_flink_duration(raw: &str) -> Result<Duration, String> {
    parse_duration(raw).map_err(|e| format!("not a Flink duration such as 60s or 1 min: {e}"))
}

/// A zero interval would make the reload loop spin.
fn parse_positive_flink_duration(raw: &str) -> Result<Duration, String> {
    let d = parse_flink_duration(raw)?;
    if d.is_zero() {
        return Err("must be longer than zero".into());
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        parse_with_source(args).map(|(cli, _)| cli)
    }

    fn parse_with_source(args: &[&str]) -> Result<(Cli, TlsSource), clap::Error> {
        match invocation(args)? {
            Invocation::Serve { cli, tls } => Ok((*cli, tls)),
            Invocation::Certs(certs) => panic!("{args:?} parsed as certs: {certs:?}"),
        }
    }

    fn invocation(args: &[&str]) -> Result<Invocation, clap::Error> {
        Cli::try_parse_args(std::iter::once("flink-autoscale-webhook").chain(args.iter().copied()))
    }

    fn source(args: &[&str]) -> TlsSource {
        parse_with_source(args).unwrap().1
    }

    #[test]
    fn operator_rules_can_be_switched_off() {
        let (cli, _) = parse_with_source(&["--dev", "--operator-rules", "off"]).unwrap();
        assert!(!cli.rule_settings().operator_rules);
        assert!(parse_with_source(&["--dev", "--operator-rules", "no"]).is_err());
    }

    #[test]
    fn flags_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_flag_has_a_flink_guard_env_var() {
        let cmd = Cli::command();
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            let env = arg.get_env().and_then(|e| e.to_str()).unwrap_or("");
            let expected = format!("FLINK_GUARD_{}", id.to_uppercase());
            assert_eq!(env, expected, "--{id}");
        }
    }

    #[test]
    fn dev_alone_is_enough_and_has_defaults() {
        let (cli, source) = parse_with_source(&["--dev"]).unwrap();
        assert_eq!(cli.listen, "0.0.0.0:8443".parse().unwrap());
        assert!(
            matches!(source, TlsSource::Dev { ca_out } if ca_out.ends_with("flink-autoscale-webhook-dev-ca.pem"))
        );
        let settings = cli.rule_settings();
        assert_eq!(settings.enforcement, Enforcement::Deny);
        assert_eq!(settings.reconcile_interval, Duration::from_secs(60));
        assert!(
            settings.operator_rules,
            "operator.* rules are on by default"
        );
        assert_eq!(cli.cert_reload_interval(), Duration::from_secs(10));
        assert_eq!(cli.connection_limits(), ConnectionLimits::default());
        assert_eq!(cli.log_format, LogFormat::Text);
        assert!(!cli.offline);
    }

    #[test]
    fn tls_files_are_an_alternative_to_dev() {
        let cli = parse(&[
            "--tls-cert",
            "c.pem",
            "--tls-key",
            "k.pem",
            "--enforcement",
            "warn",
        ])
        .unwrap();
        assert_eq!(cli.rule_settings().enforcement, Enforcement::Warn);
        assert_eq!(
            source(&["--tls-cert", "c.pem", "--tls-key", "k.pem"]),
            TlsSource::Files {
                cert: "c.pem".into(),
                key: "k.pem".into()
            }
        );
    }

    #[test]
    fn neither_dev_nor_tls_files_is_a_usage_error_naming_the_flags() {
        let err = parse(&[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MissingRequiredArgument);
        let msg = err.to_string();
        assert!(
            msg.contains("--tls-cert") && msg.contains("--tls-key"),
            "{msg}"
        );
    }

    #[test]
    fn a_cert_without_its_key_is_refused() {
        let err = parse(&["--tls-cert", "c.pem"]).unwrap_err();
        assert!(err.to_string().contains("--tls-key"), "{err}");
    }

    #[test]
    fn dev_and_tls_files_conflict() {
        for args in [
            &["--dev", "--tls-cert", "c.pem", "--tls-key", "k.pem"][..],
            &["--dev", "--tls-cert", "c.pem"][..],
        ] {
            let err = parse(args).unwrap_err();
            assert!(
                matches!(
                    err.kind(),
                    ErrorKind::ArgumentConflict | ErrorKind::MissingRequiredArgument
                ),
                "{args:?}: {err}"
            );
        }
        let err = parse(&["--dev", "--tls-cert", "c.pem", "--tls-key", "k.pem"]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ArgumentConflict);
        assert!(
            err.to_string().contains("either --dev or --tls-cert"),
            "{err}"
        );
    }

    #[test]
    fn dev_ca_out_needs_dev() {
        assert!(parse(&["--tls-cert", "c", "--tls-key", "k", "--dev-ca-out", "x"]).is_err());
        assert_eq!(
            source(&["--dev", "--dev-ca-out", "/somewhere/ca.pem"]),
            TlsSource::Dev {
                ca_out: "/somewhere/ca.pem".into()
            }
        );
    }

    #[test]
    fn bad_addresses_and_enums_are_refused() {
        assert!(parse(&["--dev", "--listen", "nowhere"]).is_err());
        assert!(parse(&["--dev", "--enforcement", "maybe"]).is_err());
        assert!(parse(&["--dev", "--log-format", "xml"]).is_err());
    }

    #[test]
    fn durations_use_flink_syntax() {
        let cli = parse(&[
            "--dev",
            "--reconcile-interval",
            "2 min",
            "--cert-reload-interval",
            "500ms",
        ])
        .unwrap();
        assert_eq!(
            cli.rule_settings().reconcile_interval,
            Duration::from_secs(120)
        );
        assert_eq!(cli.cert_reload_interval(), Duration::from_millis(500));
    }

    #[test]
    fn operator_version_reaches_the_rules() {
        let cli = parse(&["--dev", "--operator-version", "1.10"]).unwrap();
        assert_eq!(
            cli.rule_settings().operator_version,
            Some(OperatorVersion(1, 10))
        );
        assert_eq!(
            parse(&["--dev"]).unwrap().rule_settings().operator_version,
            None
        );
        let err = parse(&["--dev", "--operator-version", "latest"]).unwrap_err();
        assert!(err.to_string().contains("e.g. 1.10"), "{err}");
    }

    #[test]
    fn garbage_durations_are_refused() {
        let err = parse(&["--dev", "--reconcile-interval", "soon"]).unwrap_err();
        assert!(err.to_string().contains("Flink duration"), "{err}");
        assert!(parse(&["--dev", "--cert-reload-interval", "often"]).is_err());
    }

    fn certs(args: &[&str]) -> Result<CertsArgs, clap::Error> {
        match invocation(args)? {
            Invocation::Certs(certs) => Ok(certs),
            Invocation::Serve { .. } => panic!("{args:?} parsed as serving"),
        }
    }

    const CERTS: [&str; 7] = [
        "certs",
        "--service",
        "flink-autoscale-webhook",
        "--namespace",
        "flink-autoscale-system",
        "--out",
        "certs/out",
    ];

    fn certs_with(extra: &[&str]) -> Result<CertsArgs, clap::Error> {
        certs(&[&CERTS[..], extra].concat())
    }

    /// `CERTS` with `flag` given `value` instead, as `--flag=value` so that a value
    /// starting with `-` is taken as one.
    fn certs_replacing(flag: &str, value: &str) -> Result<CertsArgs, clap::Error> {
        let at = CERTS.iter().position(|a| *a == flag).unwrap();
        let given = format!("{flag}={value}");
        let mut args: Vec<&str> = CERTS
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != at && *i != at + 1)
            .map(|(_, a)| *a)
            .collect();
        args.push(&given);
        certs(&args)
    }

    #[test]
    fn certs_is_a_subcommand_with_defaults() {
        let args = certs(&CERTS).unwrap();
        assert_eq!(
            args,
            CertsArgs {
                service: "flink-autoscale-webhook".into(),
                namespace: "flink-autoscale-system".into(),
                out: "certs/out".into(),
                days: 365,
                ca_days: None,
                dns: vec![],
                cluster_domain: "cluster.local".into(),
                ca_cert: None,
                ca_key: None,
                force: false,
            }
        );
    }

    #[test]
    fn certs_takes_its_options() {
        let args = certs_with(&[
            "--days",
            "30",
            "--dns",
            "webhook.example.com",
            "--dns",
            "10.0.0.7",
            "--dns",
            "*.example.org",
            "--cluster-domain",
            "corp.local",
            "--ca-cert",
            "ca.crt",
            "--ca-key",
            "ca.key",
            "--force",
        ])
        .unwrap();
        assert_eq!(args.days, 30);
        assert_eq!(
            args.dns,
            ["webhook.example.com", "10.0.0.7", "*.example.org"]
        );
        assert_eq!(args.cluster_domain, "corp.local");
        assert_eq!(args.ca_cert, Some("ca.crt".into()));
        assert_eq!(args.ca_key, Some("ca.key".into()));
        assert!(args.force);
    }

    #[test]
    fn certs_needs_service_namespace_and_out() {
        for missing in ["--service", "--namespace", "--out"] {
            let at = CERTS.iter().position(|a| *a == missing).unwrap();
            let args: Vec<&str> = CERTS
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != at && *i != at + 1)
                .map(|(_, a)| *a)
                .collect();
            let err = certs(&args).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::MissingRequiredArgument, "{err}");
            assert!(err.to_string().contains(missing), "{err}");
        }
    }

    #[test]
    fn a_ca_certificate_needs_its_key_and_the_reverse() {
        let err = certs_with(&["--ca-cert", "ca.crt"]).unwrap_err();
        assert!(err.to_string().contains("--ca-key"), "{err}");
        let err = certs_with(&["--ca-key", "ca.key"]).unwrap_err();
        assert!(err.to_string().contains("--ca-cert"), "{err}");
    }

    #[test]
    fn bad_service_and_namespace_names_are_refused_naming_the_flag() {
        for (flag, bad) in [
            ("--namespace", "Flink"),
            ("--namespace", "flink_system"),
            ("--namespace", "-flink"),
            ("--namespace", "flink-"),
            ("--namespace", "a.b"),
            ("--namespace", ""),
            ("--service", "1webhook"),
            ("--service", "Webhook"),
            ("--service", "web.hook"),
        ] {
            let err = certs_replacing(flag, bad).unwrap_err();
            assert_eq!(
                err.kind(),
                ErrorKind::ValueValidation,
                "{flag} {bad}: {err}"
            );
            let msg = err.to_string();
            assert!(msg.contains(flag) && msg.contains("DNS-1"), "{msg}");
        }
        let long = "a".repeat(64);
        assert!(certs_replacing("--namespace", &long).is_err());
        assert!(certs_replacing("--namespace", &long[..63]).is_ok());
        // Namespaces may start with a digit; Service names may not.
        assert!(certs_replacing("--namespace", "1team").is_ok());
    }

    #[test]
    fn a_new_ca_outlives_the_serving_certificate() {
        assert_eq!(certs(&CERTS).unwrap().ca_days(), 3650);
        assert_eq!(certs_with(&["--days", "5000"]).unwrap().ca_days(), 5000);
        let args = certs_with(&["--days", "30", "--ca-days", "60"]).unwrap();
        assert_eq!((args.days, args.ca_days()), (30, 60));
        let err = certs_with(&["--days", "30", "--ca-days", "10"]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ArgumentConflict);
        assert!(
            err.to_string()
                .contains("--ca-days 10 is shorter than --days 30"),
            "{err}"
        );
        // A CA read from a file has its own validity.
        let err = certs_with(&["--ca-days", "10", "--ca-cert", "c", "--ca-key", "k"]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ArgumentConflict, "{err}");
    }

    #[test]
    fn bad_extra_names_days_and_domains_are_refused() {
        for bad in [
            &["--dns", "Web.Example.com"][..],
            &["--dns", "a..b"],
            &["--dns", "a.*.b"],
            &["--days", "0"],
            &["--days", "soon"],
            &["--cluster-domain", "cluster..local"],
        ] {
            let err = certs_with(bad).unwrap_err();
            assert!(err.to_string().contains(bad[0]), "{bad:?}: {err}");
        }
        assert!(certs_with(&["--dns", "::1"]).is_ok());
    }

    #[test]
    fn serving_flags_and_the_certs_subcommand_do_not_mix() {
        let mut with_dev = vec!["--dev"];
        with_dev.extend(CERTS);
        assert!(invocation(&with_dev).is_err());
        assert!(certs_with(&["--dev"]).is_err());
        assert!(certs_with(&["--tls-cert", "c.pem"]).is_err());
        // The flat serving usage is unchanged.
        let (cli, _) = parse_with_source(&["--dev", "--offline"]).unwrap();
        assert!(cli.offline && cli.command.is_none());
        let help = Cli::command().render_help().to_string();
        assert!(help.contains("certs"), "{help}");
    }

    #[test]
    fn zero_reload_interval_is_refused() {
        // Holds whether or not the duration parser accepts "0 s": either it does not
        // parse, or it parses to zero and is refused here.
        assert!(parse(&["--dev", "--cert-reload-interval", "0 s"]).is_err());
        assert!(parse_positive_flink_duration("0").is_err());
    }

    #[test]
    fn connection_limits_are_flags() {
        let cli = parse(&[
            "--dev",
            "--max-connections",
            "8",
            "--header-read-timeout",
            "500 ms",
            "--idle-timeout",
            "2s",
        ])
        .unwrap();
        assert_eq!(
            cli.connection_limits(),
            ConnectionLimits {
                max_connections: 8,
                header_read_timeout: Duration::from_millis(500),
                idle_timeout: Duration::from_secs(2),
            }
        );
        assert!(parse(&["--dev", "--idle-timeout", "0s"]).is_err());
        assert!(parse(&["--dev", "--max-connections", "0"]).is_err());
        assert!(parse(&["--dev", "--header-read-timeout", "0 s"]).is_err());
    }
}
