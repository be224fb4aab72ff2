//! `kubectl-flink`: a kubectl plugin for Flink jobs whose autoscaling is guarded by
//! flink-autoscale-guard. `status` shows the scaling picture of a cluster's
//! FlinkDeployments; `check` applies the admission webhook's rules to manifests
//! offline, so CI can refuse what the cluster would refuse.
//!
//! `main` only wires things together: parse the command line, run the subcommand,
//! turn errors into `error: ...` on stderr and the error's exit code.

mod audit;
mod check;
mod cli;
mod cluster;
mod error;
mod explain;
mod input;
mod output;
mod status;

use clap::{CommandFactory, Parser};
use cli::{Cli, Command};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = cli.validate() {
        e.exit();
    }
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn run(cli: Cli) -> Result<u8, error::Error> {
    let mut stdout = std::io::stdout().lock();
    match &cli.command {
        Command::Check(args) => check::run(
            args,
            cli.global.namespace.as_deref(),
            &mut std::io::stdin().lock(),
            &mut stdout,
            colour_wanted(std::io::stdout().is_terminal()),
        ),
        Command::Status(args) => {
            let is_terminal = std::io::stdout().is_terminal();
            let terminal = status::Terminal {
                is_terminal,
                colour: colour_wanted(is_terminal),
                width: status::Terminal::width(is_terminal),
            };
            status::run(
                args,
                &cli.global,
                &mut stdout,
                &mut std::io::stderr().lock(),
                terminal,
            )
        }
        Command::Explain(args) => explain::run(args, &cli.global, &mut stdout),
        Command::Audit(args) => audit::run(args, &cli.global, &mut stdout),
        Command::Completion { shell } => {
            let mut command = Cli::command();
            let name = command.get_name().to_string();
            clap_complete::generate(*shell, &mut command, name, &mut stdout);
            Ok(0)
        }
        Command::Version => {
            writeln!(stdout, "kubectl-flink {}", cli::VERSION).map_err(error::Error::Output)?;
            Ok(0)
        }
    }
}

/// Colour only on a terminal, never with `NO_COLOR` set to anything
/// (<https://no-color.org>), and not on a terminal that says it cannot show it.
fn colour_wanted(terminal: bool) -> bool {
    let set = |name| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    terminal && !set("NO_COLOR") && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}
