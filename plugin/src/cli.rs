//! The command line, following kubectl's plugin conventions: the binary is
//! `kubectl-flink` so that `kubectl flink ...` finds it on PATH, and the flags kubectl
//! users type by habit (`-f/--filename`, `-o/--output`, `-n/--namespace`,
//! `--kubeconfig`, `--context`) mean what they mean in kubectl.

use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};
use flink_autoscale_rules::{Enforcement, Quantity};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "kubectl-flink",
    version,
    about = "Flink autoscaler settings on Kubernetes: check manifests with the admission webhook's rules",
    subcommand_required = true,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags shared by every subcommand, as kubectl's are. `check` works offline and reads
/// only `--namespace`; the cluster flags are accepted everywhere so that a wrapper
/// script can pass them uniformly.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Path to the kubeconfig file (unused by `check`, which never contacts a cluster)
    #[arg(long, global = true, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub kubeconfig: Option<PathBuf>,

    /// The kubeconfig context to use (unused by `check`)
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,

    /// Namespace for objects that do not name one [default: default]
    #[arg(short = 'n', long, global = true, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Judge manifests offline with the webhook's rules, e.g. in CI.
    ///
    /// Every object of every file is judged, and the files together stand for the
    /// cluster: an HPA or VPA in one file is seen by a FlinkDeployment in another, so
    /// a rendered chart can be checked as a whole.
    ///
    /// Exit status: 0 when every object would be admitted, 1 when any would be
    /// denied, 2 for usage errors and unreadable or malformed input.
    Check(CheckArgs),

    /// Print a shell completion script, e.g. `source <(kubectl-flink completion bash)`
    Completion {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },

    /// Print the plugin's version
    Version,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A manifest file (YAML, several documents allowed, or JSON), a directory (its
    /// *.yaml, *.yml and *.json files), or - for standard input; repeatable
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILE",
        required = true,
        value_hint = ValueHint::AnyPath
    )]
    pub files: Vec<PathBuf>,

    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,

    /// `warn` reports every denial as a warning and exits 0, as the webhook's audit
    /// mode admits everything
    #[arg(long, value_enum, default_value_t = EnforcementMode::Deny)]
    pub enforcement: EnforcementMode,

    /// The Flink operator's reconcile interval (kubernetes.operator.reconcile.interval)
    /// in Flink's duration syntax, e.g. 60s or 2 min: a metrics window shorter than
    /// this never fills [default: 60s]
    #[arg(long, value_name = "DURATION", value_parser = parse_interval)]
    pub reconcile_interval: Option<Duration>,

    /// Memory minimum given to VPAs on Flink TaskManagers that set none, as a
    /// Kubernetes quantity (raised to the TaskManager's memory when known)
    #[arg(long, value_name = "QUANTITY", default_value = "256Mi", value_parser = parse_quantity)]
    pub vpa_min_memory: Quantity,

    /// Memory maximum given to VPAs on Flink TaskManagers that set none
    #[arg(long, value_name = "QUANTITY", default_value = "2Gi", value_parser = parse_quantity)]
    pub vpa_max_memory: Quantity,
}

/// A Kubernetes quantity, as the webhook's flags of the same name take it.
fn parse_quantity(raw: &str) -> Result<Quantity, String> {
    Quantity::parse(raw).map_err(|e| e.to_string())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// One line per object, its findings indented below, a summary at the end
    Text,
    /// An array with one entry per object, for scripts
    Json,
}

/// `--enforcement`; mirrors the webhook's flag of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnforcementMode {
    /// Deny findings refuse the object
    Deny,
    /// Deny findings are reported as warnings
    Warn,
}

impl From<EnforcementMode> for Enforcement {
    fn from(mode: EnforcementMode) -> Self {
        match mode {
            EnforcementMode::Deny => Enforcement::Deny,
            EnforcementMode::Warn => Enforcement::Warn,
        }
    }
}

/// Parses the interval as the operator parses its own configuration (Flink's
/// duration syntax), so the value can be copied from the operator's config map.
fn parse_interval(raw: &str) -> Result<Duration, String> {
    let interval = flink_autoscale_rules::values::parse_duration(raw).map_err(|e| e.to_string())?;
    if interval.is_zero() {
        return Err("must be longer than zero".into());
    }
    Ok(interval)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn check_takes_kubectl_style_flags_anywhere() {
        let cli = Cli::try_parse_from([
            "kubectl-flink",
            "--context",
            "prod",
            "check",
            "-f",
            "a.yaml",
            "--filename=-",
            "-o",
            "json",
            "-n",
            "flink",
            "--enforcement",
            "warn",
        ])
        .unwrap();
        assert_eq!(cli.global.namespace.as_deref(), Some("flink"));
        assert_eq!(cli.global.context.as_deref(), Some("prod"));
        let Command::Check(args) = cli.command else {
            panic!("expected check")
        };
        assert_eq!(args.files, [PathBuf::from("a.yaml"), PathBuf::from("-")]);
        assert_eq!(args.output, OutputFormat::Json);
        assert_eq!(args.enforcement, EnforcementMode::Warn);
        assert_eq!(args.reconcile_interval, None);
    }

    #[test]
    fn check_needs_a_file_and_a_known_format() {
        let usage = |args: &[&str]| {
            let err = Cli::try_parse_from(args).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{err}");
        };
        usage(&["kubectl-flink", "check"]);
        usage(&["kubectl-flink", "check", "-f", "a.yaml", "-o", "yaml"]);
        usage(&[
            "kubectl-flink",
            "check",
            "-f",
            "a.yaml",
            "--enforcement",
            "off",
        ]);
        usage(&["kubectl-flink", "completion", "tcsh"]);
    }

    #[test]
    fn reconcile_interval_uses_flink_durations() {
        let cli = Cli::try_parse_from([
            "kubectl-flink",
            "check",
            "-f",
            "a.yaml",
            "--reconcile-interval",
            "2 min",
        ])
        .unwrap();
        let Command::Check(args) = cli.command else {
            panic!("expected check")
        };
        assert_eq!(args.reconcile_interval, Some(Duration::from_secs(120)));
        assert!(parse_interval("0s").is_err());
        assert!(parse_interval("soon").is_err());
    }
}
