//! The command line, following kubectl's plugin conventions: the binary is
//! `kubectl-flink` so that `kubectl flink ...` finds it on PATH, and the flags kubectl
//! users type by habit (`-f/--filename`, `-o/--output`, `-n/--namespace`,
//! `-A/--all-namespaces`, `-w/--watch`, `--kubeconfig`, `--context`) mean what they
//! mean in kubectl.

use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};
use flink_autoscale_rules::options::OperatorVersion;
use flink_autoscale_rules::{Enforcement, Quantity};
use std::path::PathBuf;
use std::time::Duration;

/// The version and the commit the binary was built from (see build.rs).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("FLINK_GUARD_GIT_COMMIT"),
    ")"
);

#[derive(Debug, Parser)]
#[command(
    name = "kubectl-flink",
    version = VERSION,
    about = "Flink autoscaling on Kubernetes: the scaling picture of a cluster, and offline checks with the admission webhook's rules",
    subcommand_required = true,
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// The flags shared by every subcommand live with the code that uses them to find
/// the cluster.
pub use crate::cluster::connect::GlobalArgs;

/// Where `status` and `audit` look, as kubectl decides it: `-A` wins over `-n`, which
/// wins over the context's namespace.
pub fn scope(
    all_namespaces: bool,
    global: &GlobalArgs,
    default_namespace: &str,
) -> crate::cluster::list::Scope {
    use crate::cluster::list::Scope;
    if all_namespaces {
        Scope::All
    } else {
        Scope::Namespace(
            global
                .namespace
                .clone()
                .unwrap_or_else(|| default_namespace.to_string()),
        )
    }
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

    /// Show the scaling picture of FlinkDeployments: job, autoscaler, parallelism,
    /// TaskManagers, VPA, last scaling and rule findings, one row each.
    ///
    /// Reads FlinkDeployments, the autoscaler's ConfigMaps, TaskManager pods, VPAs and
    /// HPAs with one list call per kind. A kind that is not installed (no VPA) or not
    /// readable (RBAC) is marked in its column instead of failing the command.
    ///
    /// Exit status: 0 when the deployments could be listed, 1 when the cluster cannot
    /// be reached or read (kubeconfig, context, connection, permission on
    /// FlinkDeployments, NAME not found), 2 for usage errors.
    Status(StatusArgs),

    /// Explain why the autoscaler scaled a FlinkDeployment, and why it does not now.
    ///
    /// Reads the deployment, its autoscaler ConfigMap, its events and the namespace's
    /// VPAs and HPAs. Exit status: 0 when the deployment could be read, 1 when the
    /// cluster cannot be reached or read (kubeconfig, context, permission, NAME not
    /// found), 2 for usage errors.
    Explain(crate::explain::ExplainArgs),

    /// List the objects that break the webhook's rules now, grouped by object, with a
    /// summary per namespace.
    ///
    /// Judges the live FlinkDeployments, FlinkSessionJobs, VPAs and HPAs with the
    /// webhook's rules (one list call per kind), or reads the policy reports the
    /// webhook's background audit writes (--from-reports). Exit status: 0 without
    /// deny findings, 1 with any (a gate for rollouts and CI) or when the cluster
    /// cannot be read, 2 for usage errors.
    Audit(AuditArgs),

    /// Print a shell completion script, e.g. `source <(kubectl-flink completion bash)`
    Completion {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },

    /// Print the plugin's version
    Version,

    /// kubectl's plugin completion protocol (Cobra's `__complete`): the words after
    /// `kubectl flink`, the last one being completed; called by the shipped
    /// `kubectl_complete-flink`
    #[command(name = "__complete", hide = true)]
    Complete {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        words: Vec<String>,
    },
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

    /// The Flink Kubernetes Operator release the manifests are for, e.g. 1.10: keys that
    /// release does not know are refused (it would ignore them) and renaming advice only
    /// points at keys it reads
    #[arg(long, value_name = "VERSION", value_parser = parse_operator_version)]
    pub operator_version: Option<OperatorVersion>,

    /// Memory minimum given to VPAs on Flink TaskManagers that set none, as a
    /// Kubernetes quantity (raised to the TaskManager's memory when known)
    #[arg(long, value_name = "QUANTITY", default_value = "256Mi", value_parser = parse_quantity)]
    pub vpa_min_memory: Quantity,

    /// Memory maximum given to VPAs on Flink TaskManagers that set none
    #[arg(long, value_name = "QUANTITY", default_value = "2Gi", value_parser = parse_quantity)]
    pub vpa_max_memory: Quantity,

    /// `on` also checks what the Flink operator's own validator (DefaultValidator)
    /// refuses outside the autoscaler (rules operator.*); mirrors the webhook's flag
    #[arg(long, value_enum, default_value_t = Switch::On)]
    pub operator_rules: Switch,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Look in every namespace
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,

    /// Output format: `table` (one line per finding, grouped by object, then the
    /// summary per namespace) or the same data as `json` / `yaml`
    #[arg(short = 'o', long, value_enum, default_value_t = AuditFormat::Table)]
    pub output: AuditFormat,

    /// Read the webhook's policy reports (openreports.io Report or wgpolicyk8s.io
    /// PolicyReport) instead of judging the live objects, and say how old they are
    #[arg(long)]
    pub from_reports: bool,

    /// `on` also applies the rules of the operator's own validator (operator.*); off
    /// by default, as in the webhook's background audit: objects that run were
    /// accepted by the operator
    #[arg(long, value_enum, default_value_t = Switch::Off)]
    pub operator_rules: Switch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    Table,
    Json,
    Yaml,
}

/// `--operator-rules`; mirrors the webhook's flag of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Show only the FlinkDeployment of this name
    #[arg(value_name = "NAME")]
    pub name: Option<String>,

    /// Look in every namespace (adds a NAMESPACE column); as in kubectl, it wins
    /// over -n, which is then ignored
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,

    /// Output format: `wide` adds per-vertex parallelism, slots, HPA and namespace;
    /// `json` and `yaml` carry everything the table shows and the findings in full
    #[arg(short = 'o', long, value_enum, default_value_t = StatusFormat::Table)]
    pub output: StatusFormat,

    /// Redraw every --watch-interval until interrupted (Ctrl-C)
    #[arg(short = 'w', long)]
    pub watch: bool,

    /// How often --watch lists again, in Flink's duration syntax (e.g. 2s, 500ms)
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_interval)]
    pub watch_interval: Duration,

    /// Stop --watch after this many redraws (for tests and scripts)
    #[arg(long, value_name = "N", hide = true)]
    pub watch_count: Option<u64>,

    /// Take this instant (RFC 3339) as the current time, so that ages are stable in tests
    #[arg(long, value_name = "TIME", hide = true, value_parser = parse_instant)]
    pub now: Option<jiff::Timestamp>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    /// One row per FlinkDeployment
    Table,
    /// The table with more columns
    Wide,
    /// A documented, stable structure for scripts
    Json,
    /// The same structure as YAML
    Yaml,
}

impl StatusFormat {
    pub fn is_table(self) -> bool {
        matches!(self, StatusFormat::Table | StatusFormat::Wide)
    }
}

fn parse_instant(raw: &str) -> Result<jiff::Timestamp, String> {
    raw.parse().map_err(|e: jiff::Error| e.to_string())
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
fn parse_operator_version(raw: &str) -> Result<OperatorVersion, String> {
    OperatorVersion::parse(raw)
        .ok_or_else(|| format!("not an operator release: {raw:?}; write MAJOR.MINOR, e.g. 1.10"))
}

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
        assert_eq!(args.operator_rules, Switch::On);
    }

    /// `kubectl-flink check -f a.yaml FLAGS...`, parsed.
    fn check_with(flags: &[&str]) -> CheckArgs {
        let cli = Cli::try_parse_from(
            ["kubectl-flink", "check", "-f", "a.yaml"]
                .iter()
                .chain(flags),
        )
        .unwrap();
        let Command::Check(args) = cli.command else {
            panic!("expected check")
        };
        args
    }

    #[test]
    fn scope_is_all_with_a_then_n_then_the_contexts_namespace() {
        use crate::cluster::list::Scope;
        let global = |namespace: Option<&str>| GlobalArgs {
            kubeconfig: None,
            context: None,
            namespace: namespace.map(String::from),
        };
        assert_eq!(scope(true, &global(Some("jobs")), "ctx"), Scope::All);
        assert_eq!(
            scope(false, &global(Some("jobs")), "ctx"),
            Scope::Namespace("jobs".into())
        );
        assert_eq!(
            scope(false, &global(None), "ctx"),
            Scope::Namespace("ctx".into())
        );
    }

    #[test]
    fn operator_rules_can_be_switched_off() {
        assert_eq!(
            check_with(&["--operator-rules", "off"]).operator_rules,
            Switch::Off
        );
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
    fn status_takes_kubectl_style_flags() {
        let cli = Cli::try_parse_from([
            "kubectl-flink",
            "status",
            "orders",
            "-n",
            "team-a",
            "-o",
            "wide",
            "-w",
            "--watch-interval",
            "500ms",
            "--kubeconfig",
            "/tmp/kc",
        ])
        .unwrap();
        let Command::Status(args) = cli.command else {
            panic!("expected status")
        };
        assert_eq!(args.name.as_deref(), Some("orders"));
        assert_eq!(args.output, StatusFormat::Wide);
        assert!(args.watch && !args.all_namespaces);
        assert_eq!(args.watch_interval, Duration::from_millis(500));
        assert_eq!(cli.global.namespace.as_deref(), Some("team-a"));
        assert_eq!(cli.global.kubeconfig, Some(PathBuf::from("/tmp/kc")));

        let cli = Cli::try_parse_from([
            "kubectl-flink",
            "status",
            "-A",
            "-o",
            "json",
            "--now",
            "2026-07-01T12:00:00Z",
        ])
        .unwrap();
        let Command::Status(args) = cli.command else {
            panic!("expected status")
        };
        assert!(args.all_namespaces);
        assert_eq!(args.output, StatusFormat::Json);
        assert_eq!(args.watch_interval, Duration::from_secs(2));
        assert_eq!(args.now.map(|t| t.as_second()), Some(1_782_907_200));
    }

    #[test]
    fn status_takes_all_namespaces_with_a_namespace_as_kubectl_does() {
        for args in [
            ["kubectl-flink", "status", "-A", "-n", "x"],
            ["kubectl-flink", "-n", "x", "status", "-A"],
        ] {
            let cli = Cli::try_parse_from(args).unwrap();
            let Command::Status(status) = cli.command else {
                panic!("expected status")
            };
            assert!(status.all_namespaces);
        }
    }

    #[test]
    fn status_refuses_unknown_formats_instants_and_two_names() {
        let usage = |args: &[&str]| {
            let err = Cli::try_parse_from(args).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{err}");
        };
        usage(&["kubectl-flink", "status", "-o", "text"]);
        usage(&["kubectl-flink", "status", "--now", "yesterday"]);
        usage(&["kubectl-flink", "status", "a", "b"]);
    }

    #[test]
    fn reconcile_interval_uses_flink_durations() {
        let args = check_with(&["--reconcile-interval", "2 min"]);
        assert_eq!(args.reconcile_interval, Some(Duration::from_secs(120)));
        assert!(parse_interval("0s").is_err());
        assert!(parse_interval("soon").is_err());
    }
}
