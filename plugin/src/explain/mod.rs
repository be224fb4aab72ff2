//! `kubectl flink explain NAME`: why the Flink autoscaler scaled a deployment, and
//! why it does not scale it now, from what the operator records: the ConfigMap
//! `autoscaler-<name>` (scaling history, collected metrics, scaling tracking, delayed
//! scale-downs, overrides), the events on the FlinkDeployment (ScalingReport,
//! ScalingLimited, and the warnings that hold scaling back), the deployment's status
//! and configuration, and the rules' findings with the namespace's VPAs and HPAs.
//!
//! [`fetch`] reads the cluster; [`state`] and [`events`] decode what the operator
//! wrote; [`history`] merges and explains the decisions; [`verdict`] judges the
//! present; [`report`] assembles everything (pure); [`render`] and [`chart`] print it.
//!
//! Errors are the plugin's own `error::Error` (its cluster variants, exit code 1); no
//! new variant is needed.

pub mod chart;
pub mod events;
pub mod fetch;
pub mod history;
pub mod knobs;
pub mod model;
pub mod periods;
pub mod render;
pub mod report;
pub mod scaler;
pub mod settings;
pub mod text;
pub mod verdict;
pub mod whatif;

/// The autoscaler ConfigMap's decoder, shared with `status`.
pub use crate::cluster::autoscaler_configmap as state;

use crate::cluster::connect::GlobalArgs;
use crate::error::Error;
use crate::term::Terminal;
use chart::Charset;
use clap::{Args, ValueEnum};
use std::io::{self, Write};
use std::time::Duration;

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The FlinkDeployment to explain
    #[arg(value_name = "NAME")]
    pub name: String,

    /// How far back the history reaches, in Flink's duration syntax (e.g. 6h, 30 min);
    /// the operator keeps 24h of history by default (job.autoscaler.history.max.age)
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_since)]
    pub since: Duration,

    /// Only this job vertex: its id, or the start of it
    #[arg(long, value_name = "ID")]
    pub vertex: Option<String>,

    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t = ExplainFormat::Text)]
    pub output: ExplainFormat,

    /// Explain as of this instant (RFC 3339, e.g. 2026-07-01T12:00:00Z) instead of the
    /// clock: the verdict is then what the operator finds at its next reconcile after it
    #[arg(long, value_name = "TIME", value_parser = parse_now)]
    pub now: Option<jiff::Timestamp>,

    /// What if: recompute every vertex with this autoscaler option changed (repeatable;
    /// any job.autoscaler.* option, or taskmanager.numberOfTaskSlots), from the newest
    /// metrics the operator stored; the value is checked as the operator parses it
    #[arg(long = "set", value_name = "KEY=VALUE", value_parser = whatif::parse_set)]
    pub set: Vec<whatif::Setting>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainFormat {
    /// Sections for people: now, history, chart, configuration
    Text,
    /// The same content as a documented, stable structure for scripts
    Json,
}

fn parse_since(raw: &str) -> Result<Duration, String> {
    let d = flink_autoscale_rules::values::parse_duration(raw).map_err(|e| e.to_string())?;
    if d.is_zero() {
        return Err("must be longer than zero".into());
    }
    Ok(d)
}

fn parse_now(raw: &str) -> Result<jiff::Timestamp, String> {
    raw.parse().map_err(|e: jiff::Error| e.to_string())
}

/// Runs `explain`; returns the exit code.
pub fn run(
    args: &ExplainArgs,
    global: &GlobalArgs,
    out: &mut dyn Write,
    terminal: Terminal,
) -> Result<u8, Error> {
    let report = crate::cluster::runtime()?.block_on(async {
        let connection = crate::cluster::connect::connect(
            global.kubeconfig.as_deref(),
            global.context.as_deref(),
        )
        .await?;
        let namespace = global
            .namespace
            .clone()
            .unwrap_or_else(|| connection.default_namespace.clone());
        let inputs = fetch::fetch(&connection, &namespace, &args.name).await?;
        let options = report::Options {
            now: args.now.unwrap_or_else(jiff::Timestamp::now),
            since: args.since,
            vertex: args.vertex.clone(),
            context: connection.target.context.clone(),
            server: connection.target.server.clone(),
            what_if: args.set.clone(),
        };
        Ok::<_, Error>(report::build(&inputs, &options))
    })?;
    if let (Some(vertex), Some(known)) = (&args.vertex, &report.unknown_vertex) {
        return Err(Error::UnknownVertex {
            name: args.name.clone(),
            vertex: vertex.clone(),
            known: known.clone(),
        });
    }
    let look = render::Look {
        colour: terminal.colour,
        width: terminal.width,
    };
    let mut text = Vec::new();
    match args.output {
        ExplainFormat::Text => render::write_text(&mut text, &report, Charset::from_env(), look),
        ExplainFormat::Json => render::write_json(&mut text, &report),
    }
    .map_err(Error::Output)?;
    match out.write_all(&text).and_then(|()| out.flush()) {
        Ok(()) => Ok(0),
        // The reader went away (`| head`): end quietly.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(0),
        Err(e) => Err(Error::Output(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        global: GlobalArgs,
        #[command(flatten)]
        args: ExplainArgs,
    }

    #[test]
    fn arguments_parse_as_documented() {
        let cli = Cli::try_parse_from([
            "explain",
            "orders",
            "-n",
            "team-a",
            "--since",
            "6 h",
            "--vertex",
            "bc764cd8",
            "-o",
            "json",
            "--now",
            "2026-07-01T12:00:00Z",
        ])
        .unwrap();
        assert_eq!(cli.args.name, "orders");
        assert_eq!(cli.args.since, Duration::from_secs(6 * 3600));
        assert_eq!(cli.args.vertex.as_deref(), Some("bc764cd8"));
        assert_eq!(cli.args.output, ExplainFormat::Json);
        assert_eq!(cli.global.namespace.as_deref(), Some("team-a"));
        assert_eq!(cli.args.now.map(|t| t.as_second()), Some(1_782_907_200));
        let what_if = Cli::try_parse_from([
            "explain",
            "orders",
            "--set",
            "job.autoscaler.utilization.target=0.8",
            "--set",
            "taskmanager.numberOfTaskSlots=2",
        ])
        .unwrap();
        assert_eq!(what_if.args.set.len(), 2);
        let defaults = Cli::try_parse_from(["explain", "orders"]).unwrap();
        assert_eq!(defaults.args.since, Duration::from_secs(86_400));
        assert_eq!(defaults.args.output, ExplainFormat::Text);
        for bad in [
            vec!["explain"],
            vec!["explain", "x", "--since", "0s"],
            vec!["explain", "x", "--since", "soon"],
            vec!["explain", "x", "-o", "yaml"],
            vec!["explain", "x", "--now", "today"],
            vec![
                "explain",
                "x",
                "--set",
                "job.autoscaler.utilization.target=high",
            ],
            vec!["explain", "x", "--set", "job.autoscaler.no-such-option=1"],
        ] {
            assert!(Cli::try_parse_from(&bad).is_err(), "{bad:?}");
        }
    }
}
