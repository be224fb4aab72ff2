//! `kubectl flink status`: the scaling picture of FlinkDeployments in one table.
//!
//! [`connect`] finds the cluster (kubeconfig, context, namespace), [`fetch`] makes one
//! list call per kind, [`model`] turns the listed objects into rows (pure, and where
//! the rules crate judges the live objects), [`render`] writes the table or the
//! JSON/YAML document. `--watch` repeats list and render until Ctrl-C.

pub mod autoscaler_state;
pub mod fetch;
pub mod model;
pub mod render;

use crate::cli::{GlobalArgs, StatusArgs, StatusFormat};
use crate::cluster::connect;
use crate::error::Error;
use crate::term::Terminal;
use flink_autoscale_rules::RuleSettings;
use model::{Listed, Listing, Report, Unavailability};
use render::TableStyle;
use std::io::{self, Write};

/// Runs `status`; returns the exit code.
pub fn run(
    args: &StatusArgs,
    global: &GlobalArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    terminal: Terminal,
) -> Result<u8, Error> {
    crate::cluster::runtime()?.block_on(run_async(args, global, out, err, terminal))
}

async fn run_async(
    args: &StatusArgs,
    global: &GlobalArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
    terminal: Terminal,
) -> Result<u8, Error> {
    let connection =
        connect::connect(global.kubeconfig.as_deref(), global.context.as_deref()).await?;
    let scope = crate::cli::scope(args.all_namespaces, global, &connection.default_namespace);
    // Objects in the cluster were already accepted by the operator (with its own
    // default configuration, which may set what operator.* asks for): its
    // validator's rules would only repeat a verdict that has been given.
    let settings = RuleSettings {
        operator_rules: false,
        ..RuleSettings::default()
    };
    let mut frames: u64 = 0;
    let mut warned: Vec<String> = Vec::new();
    // Only --watch catches Ctrl-C (to end quietly, exit 0); a single listing keeps
    // the default, so an interrupted `status` ends as interrupted commands do.
    let mut interrupted = std::pin::pin!(async {
        if args.watch {
            let _ = tokio::signal::ctrl_c().await;
        } else {
            std::future::pending::<()>().await;
        }
    });
    loop {
        let fetched = tokio::select! {
            fetched = fetch::fetch(&connection, &scope, args.name.as_deref()) => fetched,
            () = &mut interrupted => break,
        };
        let listing = match fetched {
            Ok(listing) => Some(listing),
            // The first listing decides whether the command works at all; later a
            // failed round (the API server restarting) is reported and retried.
            Err(e) if frames == 0 => return Err(e),
            Err(e) => {
                write_quietly(err, format!("error: {e}\n").as_bytes())?;
                None
            }
        };
        if let Some(listing) = listing {
            if frames == 0
                && let Some(name) = &args.name
                && listing.deployments.is_empty()
            {
                return Err(Error::NotFound {
                    name: name.clone(),
                    scope: scope.describe(),
                });
            }
            warn_unavailable(&listing, &mut warned, err)?;
            let report = model::build(
                &listing,
                model::ReportScope {
                    context: connection.target.context.clone(),
                    server: connection.target.server.clone(),
                    namespace: scope.namespace().map(str::to_string),
                },
                args.now.unwrap_or_else(jiff::Timestamp::now),
                &settings,
            );
            let mut frame = Vec::new();
            write_frame(&mut frame, &report, args, frames, terminal).map_err(Error::Output)?;
            if !write_quietly(out, &frame)? {
                return Ok(0);
            }
            if report.deployments.is_empty() && args.output.is_table() {
                let line = format!("No FlinkDeployments found in {}.\n", scope.describe());
                write_quietly(err, line.as_bytes())?;
            }
        }
        frames += 1;
        if !args.watch || args.watch_count.is_some_and(|n| frames >= n) {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep(args.watch_interval) => {}
            () = &mut interrupted => break,
        }
    }
    Ok(0)
}

/// Writes and flushes; `false` when the reader has gone (`| head`), which ends the
/// command quietly rather than as an error.
fn write_quietly(out: &mut dyn Write, bytes: &[u8]) -> Result<bool, Error> {
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(Error::Output(e)),
    }
}

/// One line on stderr per kind that could not be listed, once per kind and reason.
fn warn_unavailable(
    listing: &Listing,
    warned: &mut Vec<String>,
    err: &mut dyn Write,
) -> Result<(), Error> {
    let kinds = [
        (
            "configmaps",
            "LAST SCALING says so, PARALLELISM is read from the spec",
            &listing.config_maps,
        ),
        ("pods", "TASKMANAGERS says so", &listing.pods),
        (
            "verticalpodautoscalers.autoscaling.k8s.io",
            "VPA says so",
            &listing.vpas,
        ),
        (
            "horizontalpodautoscalers.autoscaling",
            "HPA (in -o wide) says so",
            &listing.hpas,
        ),
    ];
    for (resource, effect, listed) in kinds {
        let Listed::Unavailable { reason, message } = listed else {
            continue;
        };
        let line = match reason {
            Unavailability::NotInstalled => format!(
                "warning: {resource} is not served by this cluster (not installed); {effect}\n"
            ),
            Unavailability::Forbidden | Unavailability::Failed => {
                format!("warning: cannot list {resource}: {message}; {effect}\n")
            }
        };
        if !warned.contains(&line) {
            write_quietly(err, line.as_bytes())?;
            warned.push(line);
        }
    }
    Ok(())
}

/// One rendering of the report. With `--watch`, a terminal is cleared before each
/// table; elsewhere tables are separated by a blank line, JSON documents follow each
/// other (a stream `jq` reads), and YAML documents are separated by `---`.
fn write_frame(
    out: &mut dyn Write,
    report: &Report,
    args: &StatusArgs,
    frame: u64,
    terminal: Terminal,
) -> io::Result<()> {
    let table = |wide| TableStyle {
        wide,
        namespaces: args.all_namespaces,
        colour: terminal.colour,
        width: terminal.width,
    };
    if args.watch && args.output.is_table() {
        if terminal.is_terminal {
            write!(out, "\x1b[H\x1b[2J")?;
        } else if frame > 0 {
            writeln!(out)?;
        }
    }
    match args.output {
        StatusFormat::Table => render::write_table(out, report, table(false)),
        StatusFormat::Wide => render::write_table(out, report, table(true)),
        StatusFormat::Json => render::write_json(out, report),
        StatusFormat::Yaml => {
            if frame > 0 {
                writeln!(out, "---")?;
            }
            render::write_yaml(out, report)
        }
    }
}
