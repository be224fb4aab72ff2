//! Writing a [`Report`]: a kubectl-style table (upper-case headers, no borders,
//! columns three spaces apart; `-o wide` adds columns), or the report itself as JSON
//! or YAML. The table is made from the same report the JSON prints.

use super::autoscaler_state::Direction;
use super::model::{AutoscalerMode, Availability, DeploymentStatus, Report};
use crate::input::printable;
use crate::term::{self, Palette, width_of};
use serde::Serialize;
use std::io::{self, Write};

/// Columns are separated by this many spaces, as kubectl's are.
const GAP: usize = 3;

/// What the table looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableStyle {
    pub wide: bool,
    /// Add a NAMESPACE column (always in wide).
    pub namespaces: bool,
    pub colour: bool,
    /// Fit the table into this many columns by leaving out the least important
    /// columns (never by cutting a value).
    pub width: Option<usize>,
}

#[derive(Debug, Clone)]
struct Cell {
    text: String,
    /// An ANSI SGR code, applied only with colour on.
    paint: Option<&'static str>,
}

fn cell(text: impl AsRef<str>) -> Cell {
    Cell {
        text: printable(text.as_ref()),
        paint: None,
    }
}

fn painted(text: impl AsRef<str>, paint: Option<&'static str>) -> Cell {
    Cell {
        paint,
        ..cell(text)
    }
}

struct Column {
    header: &'static str,
    /// When the table is too wide for the terminal, columns are left out in this
    /// order, highest first; `None`: always shown (what identifies a row and what
    /// the command is for: namespace, name, job, autoscaler, findings).
    drop_rank: Option<u8>,
    cells: Vec<Cell>,
}

const RED: &str = "31";
const GREEN: &str = "32";
const YELLOW: &str = "33";
const FAINT: &str = "2";

/// Writes the table; nothing (not even headers) for no deployments: the caller says
/// "No FlinkDeployments found" on stderr, as kubectl does.
pub fn write_table(out: &mut dyn Write, report: &Report, style: TableStyle) -> io::Result<()> {
    if report.deployments.is_empty() {
        return Ok(());
    }
    let rows = &report.deployments;
    let column = |header, drop_rank, f: &dyn Fn(&DeploymentStatus) -> Cell| Column {
        header,
        drop_rank,
        cells: rows.iter().map(f).collect(),
    };
    // An HPA is rare and always worth seeing: its column is there when one is.
    let any_hpa = rows
        .iter()
        .any(|d| d.hpa.availability == Availability::Found);
    let mut columns = Vec::new();
    if style.namespaces || style.wide {
        columns.push(column("NAMESPACE", None, &|d| cell(&d.namespace)));
    }
    columns.push(column("NAME", None, &|d| cell(&d.name)));
    columns.push(column("JOB", None, &job_cell));
    columns.push(column("LIFECYCLE", Some(6), &lifecycle_cell));
    columns.push(column("AUTOSCALER", None, &autoscaler_cell));
    columns.push(column("PARALLELISM", Some(5), &|d| {
        cell(parallelism_text(d))
    }));
    if style.wide {
        columns.push(column("VERTICES", Some(8), &|d| cell(vertices_text(d))));
        columns.push(column("SLOTS", Some(7), &|d| cell(d.slots.to_string())));
    }
    columns.push(column("TASKMANAGERS", Some(3), &taskmanagers_cell));
    columns.push(column("VPA", Some(1), &vpa_cell));
    if style.wide || any_hpa {
        columns.push(column("HPA", Some(2), &hpa_cell));
    }
    columns.push(column("LAST SCALING", Some(4), &last_scaling_cell));
    columns.push(column("FINDINGS", None, &findings_cell));

    let kept = fit(&columns, style.width);
    let columns: Vec<Column> = columns
        .into_iter()
        .zip(kept)
        .filter_map(|(c, keep)| keep.then_some(c))
        .collect();
    let widths: Vec<usize> = columns.iter().map(natural_width).collect();
    let palette = Palette::new(style.colour);
    let line = |cells: Vec<(&str, Option<&'static str>)>| {
        let last = cells.len().saturating_sub(1);
        let mut text = String::new();
        for (i, ((content, paint), width)) in cells.into_iter().zip(&widths).enumerate() {
            let shown = width_of(content);
            text.push_str(&match paint {
                Some(code) => palette.paint(code, content),
                None => content.to_string(),
            });
            if i < last {
                text.push_str(&" ".repeat(width - shown + GAP));
            }
        }
        text
    };
    writeln!(
        out,
        "{}",
        line(columns.iter().map(|c| (c.header, None)).collect())
    )?;
    for row in 0..rows.len() {
        let cells = columns
            .iter()
            .map(|c| (c.cells[row].text.as_str(), c.cells[row].paint))
            .collect();
        writeln!(out, "{}", line(cells))?;
    }
    Ok(())
}

/// A column's width: its widest cell or its header.
fn natural_width(column: &Column) -> usize {
    column
        .cells
        .iter()
        .map(|cell| width_of(&cell.text))
        .chain([width_of(column.header)])
        .max()
        .unwrap_or(0)
}

/// Which columns to show: all when they fit in `limit`; else the columns with the
/// highest drop rank are left out one by one until the table fits, or until only
/// the columns that are always shown remain (a table that cannot fit even so wraps,
/// as kubectl's does). No value is ever cut: a cut memory size or age says
/// something false.
fn fit(columns: &[Column], limit: Option<usize>) -> Vec<bool> {
    let mut kept = vec![true; columns.len()];
    let Some(limit) = limit else {
        return kept;
    };
    let total = |kept: &[bool]| {
        let shown: Vec<usize> = columns
            .iter()
            .zip(kept)
            .filter(|(_, k)| **k)
            .map(|(c, _)| natural_width(c))
            .collect();
        shown.iter().sum::<usize>() + GAP * shown.len().saturating_sub(1)
    };
    while total(&kept) > limit {
        let next = (0..columns.len())
            .filter(|&i| kept[i])
            .filter_map(|i| columns[i].drop_rank.map(|rank| (rank, i)))
            .max();
        match next {
            Some((_, i)) => kept[i] = false,
            None => break,
        }
    }
    kept
}

fn state_paint(state: &str) -> Option<&'static str> {
    match state {
        "RUNNING" | "STABLE" | "FINISHED" => Some(GREEN),
        "FAILED" | "FAILING" | "ROLLED_BACK" => Some(RED),
        _ => None,
    }
}

fn job_cell(d: &DeploymentStatus) -> Cell {
    match (&d.job_state, d.session) {
        (Some(state), _) => painted(state, state_paint(state)),
        (None, true) => painted("session", Some(FAINT)),
        (None, false) => cell("-"),
    }
}

fn lifecycle_cell(d: &DeploymentStatus) -> Cell {
    match &d.lifecycle_state {
        Some(state) => painted(state, state_paint(state)),
        None => cell("-"),
    }
}

fn autoscaler_cell(d: &DeploymentStatus) -> Cell {
    let paint = match d.autoscaler.mode {
        AutoscalerMode::On => Some(GREEN),
        AutoscalerMode::Advisor => Some(YELLOW),
        AutoscalerMode::Off => Some(FAINT),
    };
    painted(d.autoscaler.mode.as_str(), paint)
}

/// `4`, or `2-8` when vertices differ; then the bounds in effect, `4 (1..24)`.
pub fn parallelism_text(d: &DeploymentStatus) -> String {
    let p = &d.parallelism;
    let Some(current) = p.current else {
        return "-".into();
    };
    let mut text = if current.min == current.max {
        current.max.to_string()
    } else {
        format!("{}-{}", current.min, current.max)
    };
    if let Some(bounds) = p.bounds {
        text.push_str(&format!(" ({}..{})", bounds.min, bounds.max));
    }
    text
}

/// Per-vertex parallelism with the first six digits of each vertex id:
/// `0a4484:2,bc764c:4`.
pub fn vertices_text(d: &DeploymentStatus) -> String {
    if d.parallelism.vertices.is_empty() {
        return "-".into();
    }
    d.parallelism
        .vertices
        .iter()
        .map(|v| {
            let id: String = v.id.chars().take(6).collect();
            format!("{id}:{}", v.parallelism)
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn taskmanagers_cell(d: &DeploymentStatus) -> Cell {
    let tm = &d.task_managers;
    let ready = tm.ready.map_or("?".to_string(), |r| r.to_string());
    let desired = tm.desired.map_or("?".to_string(), |n| n.to_string());
    let short = matches!((tm.ready, tm.desired), (Some(r), Some(n)) if i64::from(r) < n);
    let why = match tm.pod_availability {
        Availability::Forbidden => " (forbidden)",
        Availability::Failed => " (error)",
        Availability::NotInstalled => " (n/a)",
        Availability::Found | Availability::None => "",
    };
    painted(
        format!("{ready}/{desired}{why}"),
        (short || !why.is_empty()).then_some(YELLOW),
    )
}

/// The marker of a kind that could not be looked at; `None` when it could.
fn unavailable(availability: Availability, what: &str) -> Option<Cell> {
    match availability {
        Availability::NotInstalled => {
            Some(painted(format!("n/a: {what} not installed"), Some(FAINT)))
        }
        Availability::Forbidden => Some(painted("forbidden", Some(YELLOW))),
        Availability::Failed => Some(painted("error", Some(RED))),
        Availability::None => Some(cell("-")),
        Availability::Found => None,
    }
}

/// `Recreate 2Gi->2560Mi`: the update mode, the TaskManager memory request now and
/// the VPA's target for it (`?` before it has recommended anything).
fn vpa_cell(d: &DeploymentStatus) -> Cell {
    let vpa = &d.vpa;
    if let Some(marker) = unavailable(vpa.availability, "VPA") {
        return marker;
    }
    let request = vpa.memory_request_bytes.map_or("?".into(), human_bytes);
    let target = vpa.memory_target_bytes.map_or("?".into(), human_bytes);
    let mut text = format!(
        "{} {request}->{target}",
        vpa.update_mode.as_deref().unwrap_or("?")
    );
    if !vpa.others.is_empty() {
        text.push_str(&format!(" +{}", vpa.others.len()));
    }
    let conflict = d.findings.iter().any(|f| {
        f.kind == "VerticalPodAutoscaler" && f.severity == flink_autoscale_rules::Severity::Deny
    });
    painted(text, conflict.then_some(RED))
}

/// `flink-hpa 1..3`.
fn hpa_cell(d: &DeploymentStatus) -> Cell {
    let hpa = &d.hpa;
    if let Some(marker) = unavailable(hpa.availability, "HPA") {
        return marker;
    }
    let bounds = match (hpa.min_replicas, hpa.max_replicas) {
        (Some(min), Some(max)) => format!(" {min}..{max}"),
        _ => String::new(),
    };
    let mut text = format!("{}{bounds}", hpa.name.as_deref().unwrap_or("?"));
    if !hpa.others.is_empty() {
        text.push_str(&format!(" +{}", hpa.others.len()));
    }
    painted(
        text,
        (d.autoscaler.mode != AutoscalerMode::Off).then_some(RED),
    )
}

/// `up 12m ago`; `-` before the autoscaler's first decision (or without its
/// ConfigMap); `unreadable` when the history is there but cannot be read.
fn last_scaling_cell(d: &DeploymentStatus) -> Cell {
    let state = &d.autoscaler_state;
    if state.availability != Availability::Found
        && let Some(marker) = unavailable(state.availability, "ConfigMap")
    {
        return marker;
    }
    match &d.last_scaling {
        Some(last) => {
            let paint = match last.direction {
                Direction::Up | Direction::Down | Direction::Mixed => None,
                Direction::Unchanged => Some(FAINT),
            };
            painted(
                format!(
                    "{} {} ago",
                    last.direction.as_str(),
                    term::age(last.age_seconds)
                ),
                paint,
            )
        }
        None if !state.problems.is_empty() => painted("unreadable", Some(YELLOW)),
        None => cell("-"),
    }
}

/// `0`, `2`, or `3 (1 deny)`.
///
/// When VPAs or HPAs could not be read (forbidden, or the list failed), the
/// conflicts with them are unknown: `?` instead of `0`, `3+` instead of `3`.
fn findings_cell(d: &DeploymentStatus) -> Cell {
    let counts = d.finding_counts;
    let total = counts.deny + counts.warn;
    let unknown = [d.vpa.availability, d.hpa.availability]
        .iter()
        .any(|a| matches!(a, Availability::Forbidden | Availability::Failed));
    let more = if unknown { "+" } else { "" };
    if counts.deny > 0 {
        painted(format!("{total}{more} ({} deny)", counts.deny), Some(RED))
    } else if counts.warn > 0 {
        painted(format!("{total}{more}"), Some(YELLOW))
    } else if unknown {
        painted("?", Some(YELLOW))
    } else {
        cell("0")
    }
}

/// Bytes in the largest binary unit that divides them (`2Gi`, `1536Mi`), else with
/// one decimal (`2.3Gi`), as people read memory sizes.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1 << 40, "Ti"),
        (1 << 30, "Gi"),
        (1 << 20, "Mi"),
        (1 << 10, "Ki"),
    ];
    if bytes == 0 {
        return "0".into();
    }
    if let Some((size, unit)) = UNITS.iter().find(|(size, _)| bytes.is_multiple_of(*size)) {
        return format!("{}{unit}", bytes / size);
    }
    match UNITS.iter().find(|(size, _)| bytes >= *size) {
        Some((size, unit)) => format!("{:.1}{unit}", bytes as f64 / *size as f64),
        None => bytes.to_string(),
    }
}

/// Writes the report as pretty JSON, one document. Every field is always present
/// (nulls and empty lists included), so `jq` filters need no defaults:
///
/// ```json
/// {
///   "kind": "FlinkStatus",
///   "version": 2,                       // bumped on incompatible changes, and on
///                                       // 2: findings carry "problem" and "fix"
///   "context": "prod",                  // the kubeconfig context used
///   "server": "https://10.0.0.1:6443",
///   "namespace": "flink",               // null with -A
///   "now": "2026-07-01T12:00:00Z",      // ages are measured from this instant
///   "unavailable": [                    // kinds whose list failed; their columns say so
///     {"kind": "VerticalPodAutoscaler",
///      "resource": "verticalpodautoscalers.autoscaling.k8s.io",
///      "reason": "not-installed",       // "not-installed" (404) | "forbidden" (403) | "failed"
///      "message": "the server could not find the requested resource"}
///   ],
///   "deployments": [                    // one per FlinkDeployment, by namespace and name
///     {
///       "namespace": "flink",
///       "name": "autoscaling-example",
///       "session": false,               // true: a session cluster (no spec.job)
///       "deploymentMode": "native",     // "native" | "standalone"
///       "jobState": "RUNNING",          // status.jobStatus.state, or null
///       "lifecycleState": "STABLE",     // status.lifecycleState, or null
///       "autoscaler": {"mode": "on",    // "on" | "advisor" (scaling.enabled false) | "off"
///                      "memoryTuning": false},
///       "parallelism": {
///         "source": "autoscaler",       // "autoscaler" (its ConfigMap's overrides) |
///                                       // "spec-overrides" | "job" (spec.job.parallelism) | "unknown"
///         "current": {"min": 2, "max": 4},  // lowest and highest vertex parallelism, or null
///         "vertices": [{"id": "0a448493b4782967b150582570326227", "parallelism": 2}],
///         "job": 1,                     // spec.job.parallelism, or null
///         "bounds": {"min": 1, "max": 24}   // autoscaler bounds in effect (vertex min/max,
///                                           // capped by pipeline.max-parallelism); null when off
///       },
///       "slots": 4,                     // taskmanager.numberOfTaskSlots
///       "taskManagers": {"ready": 1,    // ready TaskManager pods; null when pods can't be listed
///                        "podAvailability": "found",   // or "forbidden" | "failed"
///                        "desired": 1,
///                        "desiredFrom": "status"},  // "status" | "spec" | "estimate" | null
///       "vpa": {
///         "availability": "found",      // "found" | "none" | "not-installed" | "forbidden" | "failed"
///         "name": "autoscaling-example-vpa",
///         "updateMode": "Initial",
///         "controlledResources": ["memory"],
///         "memoryRequestBytes": 2147483648,   // TaskManager memory request now
///         "memoryRequestFrom": "pods",        // "pods" | "spec"
///         "memoryTargetBytes": 2684354560,    // the VPA's target for flink-main-container
///         "others": []                        // further VPAs on the same TaskManagers
///       },
///       "hpa": {"availability": "none", "name": null, "minReplicas": null,
///               "maxReplicas": null, "currentReplicas": null, "others": []},
///       "autoscalerState": {"configMap": "autoscaler-autoscaling-example",
///                           "availability": "found",    // "none": no ConfigMap yet
///                           "problems": []},            // values that could not be read
///       "lastScaling": {                // the newest scaling decision, or null
///         "time": "2026-07-01T11:48:00Z",
///         "ageSeconds": 720,
///         "direction": "up",            // "up" | "down" | "mixed" | "unchanged"
///         "vertices": [{"id": "...", "from": 1, "to": 2}]
///       },
///       "findingCounts": {"deny": 0, "warn": 1},
///       "findings": [                   // the rules on this deployment and the VPAs/HPAs aimed at it
///         {"kind": "FlinkDeployment", "name": "autoscaling-example",
///          "rule": "autoscaler.unbounded", "severity": "warn",
///          "path": "spec.flinkConfiguration[job.autoscaler.enabled]",
///          "value": "true",             // null when no single value is at fault
///          "message": "...",            // "<problem>; <fix>", as the text shows it
///          "problem": "...",            // what is wrong (version 2 on)
///          "fix": "..."}                // how to fix it; "" when the problem says it all
///       ]
///     }
///   ]
/// }
/// ```
pub fn write_json(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

/// The same structure as [`write_json`], as YAML.
pub fn write_yaml(out: &mut dyn Write, report: &impl Serialize) -> io::Result<()> {
    let text = serde_saphyr::to_string(report).map_err(io::Error::other)?;
    out.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::model::{Listed, Listing, ReportScope, build};
    use serde_json::json;

    fn report() -> Report {
        let fd = |name: &str, enabled: &str| {
            json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
                   "metadata": {"name": name, "namespace": "ns"},
                   "spec": {"flinkConfiguration": {"job.autoscaler.enabled": enabled,
                                                   "execution.checkpointing.interval": "1m",
                                                   "pipeline.max-parallelism": "8"},
                            "job": {"parallelism": 2, "upgradeMode": "last-state"}},
                   "status": {"jobStatus": {"state": "RUNNING"}, "lifecycleState": "STABLE"}})
        };
        let listing = Listing {
            deployments: vec![fd("a", "true"), fd("longer-name", "false")],
            config_maps: Listed::Items(Vec::new()),
            pods: Listed::Items(Vec::new()),
            vpas: Listed::Unavailable {
                reason: crate::status::model::Unavailability::NotInstalled,
                message: "not found".into(),
            },
            hpas: Listed::Items(Vec::new()),
        };
        let scope = ReportScope {
            context: "c".into(),
            server: "https://k".into(),
            namespace: Some("ns".into()),
        };
        let now = "2026-07-01T12:00:00Z".parse().expect("an instant");
        build(
            &listing,
            scope,
            now,
            &flink_autoscale_rules::RuleSettings::default(),
        )
    }

    fn table(style: TableStyle) -> String {
        let mut out = Vec::new();
        write_table(&mut out, &report(), style).expect("writes to memory");
        String::from_utf8(out).expect("UTF-8")
    }

    const PLAIN: TableStyle = TableStyle {
        wide: false,
        namespaces: false,
        colour: false,
        width: None,
    };

    #[test]
    fn colour_wraps_cells_without_moving_columns() {
        let plain = table(PLAIN);
        let coloured = table(TableStyle {
            colour: true,
            ..PLAIN
        });
        assert!(!plain.contains('\u{1b}'));
        assert!(
            coloured.contains("\u{1b}[32mRUNNING\u{1b}[0m"),
            "{coloured}"
        );
        assert!(coloured.contains("\u{1b}[2moff\u{1b}[0m"), "{coloured}");
        let strip = |s: &str| {
            let mut out = String::new();
            let mut chars = s.chars();
            while let Some(c) = chars.next() {
                if c == '\u{1b}' {
                    chars.by_ref().find(|c| *c == 'm');
                } else {
                    out.push(c);
                }
            }
            out
        };
        assert_eq!(strip(&coloured), plain);
        let header = plain.lines().next().expect("a header");
        assert_eq!(
            header,
            "NAME          JOB       LIFECYCLE   AUTOSCALER   PARALLELISM   TASKMANAGERS   VPA                      LAST SCALING   FINDINGS"
        );
        assert!(plain.contains("n/a: VPA not installed"));
        // No trailing spaces after the last column.
        assert!(plain.lines().all(|l| !l.ends_with(' ')), "{plain:?}");
    }

    #[test]
    fn namespaces_only_when_asked_or_wide() {
        let first = |style| table(style).lines().next().map(str::to_string);
        assert!(!first(PLAIN).unwrap_or_default().contains("NAMESPACE"));
        let all = first(TableStyle {
            namespaces: true,
            ..PLAIN
        });
        assert!(all.unwrap_or_default().starts_with("NAMESPACE   NAME"));
        let wide = first(TableStyle {
            wide: true,
            ..PLAIN
        })
        .unwrap_or_default();
        assert!(wide.starts_with("NAMESPACE   NAME"), "{wide}");
        assert!(wide.contains("VERTICES") && wide.contains("SLOTS") && wide.contains("HPA"));
    }

    #[test]
    fn no_deployments_no_table() {
        let mut report = report();
        report.deployments.clear();
        let mut out = Vec::new();
        write_table(&mut out, &report, PLAIN).expect("writes to memory");
        assert!(out.is_empty());
    }

    #[test]
    fn memory_in_binary_units() {
        assert_eq!(human_bytes(2 << 30), "2Gi");
        assert_eq!(human_bytes(1536 << 20), "1536Mi");
        assert_eq!(human_bytes((2 << 30) + (300 << 20) + 1), "2.3Gi");
        assert_eq!(human_bytes(1000), "1000");
        assert_eq!(human_bytes(0), "0");
    }

    #[test]
    fn columns_are_left_out_by_rank_and_never_cut() {
        let col = |header, drop_rank, text: &str| Column {
            header,
            drop_rank,
            cells: vec![cell(text)],
        };
        let columns = [
            col("NAME", None, "a-rather-long-name"),
            col("VPA", Some(1), "Recreate 2Gi->3Gi +2"),
            col("LAST SCALING", Some(4), "up 5m ago"),
        ];
        assert_eq!(fit(&columns, None), [true, true, true]);
        assert_eq!(
            fit(&columns, Some(18 + 3 + 20 + 3 + 12)),
            [true, true, true]
        );
        // One column too wide: the highest rank (LAST SCALING) goes first.
        assert_eq!(fit(&columns, Some(45)), [true, true, false]);
        // What is always shown stays, even when it cannot fit.
        assert_eq!(fit(&columns, Some(10)), [true, false, false]);
    }
}
