//! Command-line flags. Every flag has a `FLINK_GUARD_*` environment variable so the
//! Helm chart can configure the webhook without rewriting its command line.

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, ValueEnum};
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

/// Admission webhook that checks Flink autoscaler settings on FlinkDeployments and
/// FlinkSessionJobs.
#[derive(Debug, Parser)]
#[command(name = "flink-autoscale-webhook", version, about, long_about = None)]
pub struct Cli {
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
    pub fn parse_args() -> (Cli, TlsSource) {
        Self::try_parse_args(std::env::args_os()).unwrap_or_else(|e| e.exit())
    }

    /// Parses `args` and checks the TLS flags. "`--dev` or both files" is checked
    /// here rather than with clap's `conflicts_with`/`required_unless_present`,
    /// which treat `FLINK_GUARD_DEV=false` as if `--dev` were given.
    pub fn try_parse_args<I, T>(args: I) -> Result<(Cli, TlsSource), clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let cli = Cli::try_parse_from(args)?;
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
        let source = cli
            .tls_source()
            .map_err(|(kind, message)| Cli::command().error(kind, message))?;
        Ok((cli, source))
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
        }
    }

    pub fn cert_reload_interval(&self) -> Duration {
        self.cert_reload_interval
            .unwrap_or(DEFAULT_CERT_RELOAD_INTERVAL)
    }
}

/// Durations use Flink's syntax, the same the rules use for configuration values,
/// so there is one duration language across the product.
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
        Cli::try_parse_args(std::iter::once("flink-autoscale-webhook").chain(args.iter().copied()))
    }

    fn source(args: &[&str]) -> TlsSource {
        parse_with_source(args).unwrap().1
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
        assert_eq!(cli.cert_reload_interval(), Duration::from_secs(10));
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
    fn garbage_durations_are_refused() {
        let err = parse(&["--dev", "--reconcile-interval", "soon"]).unwrap_err();
        assert!(err.to_string().contains("Flink duration"), "{err}");
        assert!(parse(&["--dev", "--cert-reload-interval", "often"]).is_err());
    }

    #[test]
    fn zero_reload_interval_is_refused() {
        // Holds whether or not the duration parser accepts "0 s": either it does not
        // parse, or it parses to zero and is refused here.
        assert!(parse(&["--dev", "--cert-reload-interval", "0 s"]).is_err());
        assert!(parse_positive_flink_duration("0").is_err());
    }
}
