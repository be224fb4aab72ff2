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
mod completion;
mod error;
mod explain;
mod input;
mod status;
mod term;

use clap::{CommandFactory, Parser};
use cli::{Cli, Command};
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
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
            &mut std::io::stderr().lock(),
            term::Terminal::detect().colour,
        ),
        Command::Status(args) => status::run(
            args,
            &cli.global,
            &mut stdout,
            &mut std::io::stderr().lock(),
            term::Terminal::detect(),
        ),
        Command::Explain(args) => {
            explain::run(args, &cli.global, &mut stdout, term::Terminal::detect())
        }
        Command::Audit(args) => audit::run(args, &cli.global, &mut stdout),
        Command::Completion { shell } => {
            completion::write_script(*shell, Cli::command(), &mut stdout)
                .map_err(error::Error::Output)?;
            Ok(0)
        }
        Command::Complete { words } => {
            completion::answer(Cli::command(), words, &mut stdout).map_err(error::Error::Output)?;
            Ok(0)
        }
        Command::Version => {
            writeln!(stdout, "kubectl-flink {}", cli::VERSION).map_err(error::Error::Output)?;
            Ok(0)
        }
    }
}
