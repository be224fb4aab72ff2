//! The explanation as text for people and as JSON for scripts, both from the same
//! [`Report`], as kubectl's `-o` formats are.

use super::chart::{self, Charset};
use super::model::{Condition, FindingRow, Report};
use crate::term;
use crate::term::{Palette, width_of};
use flink_autoscale_rules::Severity;
use flink_autoscale_rules::effective::Origin;
use std::io::{self, Write};

/// The strings of the report are ASCII (they go into the JSON as well); on a UTF-8
/// terminal arrows and signs read better.
fn glyphs(s: &str, charset: Charset) -> String {
    match charset {
        Charset::Ascii => s.to_string(),
        Charset::Unicode => s.replace(" -> ", " → ").replace("+/-", "±"),
    }
}

fn condition_line(c: &Condition) -> String {
    let mut line = format!("{}: {}", c.kind.title(), c.summary);
    match (c.time_left_seconds, &c.until) {
        (Some(0), _) => line.push_str(" (ends at the next evaluation)"),
        (Some(left), Some(until)) => {
            line.push_str(&format!(" ({} left, until {until})", term::duration(left)));
        }
        (Some(left), None) => line.push_str(&format!(" ({} left)", term::duration(left))),
        _ => {}
    }
    line
}

fn origin(o: Origin, key: &str, option: &str) -> String {
    match o {
        Origin::Explicit if key == option => "explicit".into(),
        Origin::Explicit => format!("explicit ({key})"),
        Origin::DeprecatedAlias => format!("deprecated key {key}"),
        Origin::OldPrefix => format!("old prefix {key}"),
        Origin::Default => "default".into(),
        Origin::Unset => "unset".into(),
    }
}

/// The what-if section: each setting, then per vertex current -> with the current
/// settings -> would be, and the steps; then the TaskManagers.
fn write_what_if(
    out: &mut dyn Write,
    w: &super::model::WhatIf,
    charset: Charset,
) -> io::Result<()> {
    let g = |s: &str| glyphs(s, charset);
    writeln!(out)?;
    let set: Vec<String> = w
        .settings
        .iter()
        .map(|s| {
            format!(
                "{}={} (was {})",
                s.key,
                s.value,
                s.was.as_deref().unwrap_or("unset")
            )
        })
        .collect();
    writeln!(out, "What if {}", set.join(", "))?;
    let show = |p: Option<i64>| p.map_or("?".to_string(), |p| p.to_string());
    writeln!(
        out,
        "  From the newest evaluation the operator stored per vertex: the parallelism then, what it decided with the current settings, what it would decide with these."
    )?;
    writeln!(
        out,
        "  {:<32}  {:>3}  {:>4}  {:>7}  {:>8}  EVALUATED AT",
        "VERTEX", "NOW", "THEN", "DECIDED", "WOULD BE"
    )?;
    for v in &w.vertices {
        writeln!(
            out,
            "  {:<32}  {:>3}  {:>4}  {:>7}  {:>8}  {}",
            v.id,
            show(v.current),
            show(v.evaluated_parallelism),
            show(v.with_current_settings.as_ref().map(|c| c.parallelism)),
            show(v.would_be_parallelism),
            v.inputs_from
        )?;
        for l in &v.limits {
            writeln!(out, "      {}", g(&l.message))?;
        }
    }
    writeln!(
        out,
        "{}",
        g(&format!(
            "  TaskManagers ({} slots each): {} -> {}",
            w.slots_per_task_manager,
            show(w.task_managers),
            show(w.task_managers_would_be)
        ))
    )?;
    for n in &w.notes {
        writeln!(out, "  note: {}", g(n))?;
    }
    Ok(())
}

/// Writes the text explanation.
/// The findings as a table: severity, object and rule each in an aligned column,
/// the field error after them, wrapped at word boundaries under its own column when
/// the terminal is narrower than the line (never cut inside a word: a rule id or
/// option key must stay copyable). Severity is coloured on a terminal.
fn write_findings(out: &mut dyn Write, findings: &[FindingRow], look: Look) -> io::Result<()> {
    let palette = Palette::new(look.colour);
    let object = |f: &FindingRow| format!("{}/{}", f.kind, f.name);
    let object_width = findings
        .iter()
        .map(|f| width_of(&object(f)))
        .max()
        .unwrap_or(0);
    let rule_width = findings
        .iter()
        .map(|f| width_of(f.rule.as_str()))
        .max()
        .unwrap_or(0);
    let indent = 2 + 4 + 2 + object_width + 2 + rule_width + 2;
    for f in findings {
        let text = format!("{}: {}", f.path, f.message);
        // Too narrow for a column of prose: wrap under the start of the line instead.
        let (lines, hang) = match look.width {
            Some(w) if w >= indent + 30 && longest_word(&text) <= w - indent => {
                (term::wrap(&text, w - indent), indent)
            }
            Some(w) => (term::wrap(&text, w.saturating_sub(6).max(20)), 6),
            None => (vec![text], indent),
        };
        let severity = f.severity.as_str();
        let painted = match f.severity {
            Severity::Deny => palette.paint("31", severity),
            Severity::Warn => palette.paint("33", severity),
        };
        let pad = " ".repeat(4usize.saturating_sub(width_of(severity)));
        let mut lines = lines.into_iter();
        let first = lines.next().unwrap_or_default();
        if hang == indent {
            writeln!(
                out,
                "  {painted}{pad}  {:<object_width$}  {:<rule_width$}  {first}",
                object(f),
                f.rule
            )?;
        } else {
            writeln!(
                out,
                "  {painted}{pad}  {:<object_width$}  {:<rule_width$}",
                object(f),
                f.rule
            )?;
            writeln!(out, "{}{first}", " ".repeat(hang))?;
        }
        for line in lines {
            writeln!(out, "{}{line}", " ".repeat(hang))?;
        }
    }
    Ok(())
}

/// One paragraph: `label` (maybe painted; `plain` is its unpainted form plus the
/// space after it, for measuring), then `text` wrapped at word boundaries to the
/// terminal's width, continuation lines under the text's first column. Without a
/// width (not a terminal), one line, as scripts and snapshots expect.
fn prose(out: &mut dyn Write, label: &str, plain: &str, text: &str, look: Look) -> io::Result<()> {
    let indent = width_of(plain);
    let lines = match look.width {
        Some(w) if w >= indent + 30 => term::wrap(text, w - indent),
        _ => vec![text.to_string()],
    };
    for (i, line) in lines.iter().enumerate() {
        if i == 0 {
            writeln!(out, "{label} {line}")?;
        } else {
            writeln!(out, "{}{line}", " ".repeat(indent))?;
        }
    }
    Ok(())
}

fn longest_word(text: &str) -> usize {
    text.split_whitespace().map(width_of).max().unwrap_or(0)
}

/// How the text is shown: colour and the terminal's width, decided by the caller.
#[derive(Debug, Clone, Copy, Default)]
pub struct Look {
    pub colour: bool,
    pub width: Option<usize>,
}

pub fn write_text(
    out: &mut dyn Write,
    report: &Report,
    charset: Charset,
    look: Look,
) -> io::Result<()> {
    let g = |s: &str| glyphs(s, charset);
    let d = &report.deployment;
    writeln!(
        out,
        "FlinkDeployment {}/{} at {} (context {})",
        report.namespace, report.name, report.now, report.context
    )?;
    let mode = match d.autoscaler {
        super::model::Mode::On => "on",
        super::model::Mode::Advisor => "advisor (scaling.enabled false)",
        super::model::Mode::Off => "off",
    };
    let job = match (&d.job_state, &d.lifecycle_state) {
        (Some(s), Some(l)) => format!("job {s} (lifecycle {l})"),
        (Some(s), None) => format!("job {s}"),
        (None, Some(l)) => format!("no job state (lifecycle {l})"),
        (None, None) => "no job state".into(),
    };
    writeln!(
        out,
        "Autoscaler {mode}, {}{job}, state in ConfigMap {}{}",
        if d.session { "session cluster, " } else { "" },
        d.config_map,
        match d.config_map_availability {
            super::model::Availability::Found => "",
            super::model::Availability::None => " (not found)",
            super::model::Availability::Unavailable => " (unreadable)",
        }
    )?;
    if let Some(v) = &report.vertex {
        writeln!(out, "Vertex {v} only")?;
    }

    writeln!(out)?;
    let palette = Palette::new(look.colour);
    let verdict_paint = match report.verdict.kind {
        super::model::VerdictKind::BlockedByConflict => "1;31",
        _ => "1",
    };
    prose(
        out,
        &palette.paint(verdict_paint, "Now:"),
        "Now: ",
        &g(&condition_line(&report.verdict)),
        look,
    )?;
    for detail in &report.verdict.details {
        prose(out, "  -", "  - ", &g(detail), look)?;
    }
    for c in &report.also {
        prose(
            out,
            &palette.paint("1", "Also:"),
            "Also: ",
            &g(&condition_line(c)),
            look,
        )?;
        for detail in &c.details {
            prose(out, "  -", "  - ", &g(detail), look)?;
        }
    }

    writeln!(out)?;
    writeln!(
        out,
        "History since {} ({}), newest last",
        report.since, report.window
    )?;
    if report.history.is_empty() {
        writeln!(out, "  no scaling decisions in the window")?;
    }
    for decision in &report.history {
        let sources: Vec<&str> = decision
            .sources
            .iter()
            .map(|s| match s {
                super::model::Source::ConfigMap => "ConfigMap",
                super::model::Source::Event => "event",
            })
            .collect();
        let mut head = format!(
            "  {}  {} ({})",
            decision.time,
            decision.outcome.as_str(),
            sources.join(", ")
        );
        if let Some(by) = &decision.disabled_by {
            head.push_str(&format!(", execution disabled by {by}"));
        }
        writeln!(out, "{head}")?;
        for v in &decision.vertices {
            let show = |p: Option<i64>| p.map_or("?".to_string(), |p| p.to_string());
            writeln!(
                out,
                "{}",
                g(&format!("    {}  {} -> {}", v.id, show(v.from), show(v.to)))
            )?;
            for reason in &v.reasons {
                writeln!(out, "      {}", g(reason))?;
            }
            for limit in &v.limits {
                writeln!(out, "      Limited: {}", g(&limit.message))?;
            }
        }
    }

    if let Some(w) = &report.what_if {
        write_what_if(out, w, charset)?;
    }

    writeln!(out)?;
    writeln!(
        out,
        "Parallelism per vertex, {} {} {}",
        report.since,
        charset.arrow(),
        report.now
    )?;
    let (from, to) = (
        report.since.parse().unwrap_or_default(),
        report.now.parse().unwrap_or_default(),
    );
    let lines = chart::render(&report.parallelism, from, to, chart::WIDTH, charset);
    if lines.is_empty() {
        writeln!(out, "  no vertex parallelism known")?;
    }
    for line in lines {
        writeln!(out, "  {line}")?;
    }

    writeln!(out)?;
    writeln!(out, "Effective configuration")?;
    let width = report
        .configuration
        .iter()
        .map(|c| c.option.len())
        .max()
        .unwrap_or(6);
    let value_width = report
        .configuration
        .iter()
        .map(|c| c.value.as_deref().unwrap_or("-").len())
        .max()
        .unwrap_or(5)
        .max(5);
    writeln!(
        out,
        "  {:<width$}  {:<value_width$}  ORIGIN",
        "OPTION", "VALUE"
    )?;
    for c in &report.configuration {
        writeln!(
            out,
            "  {:<width$}  {:<value_width$}  {}",
            c.option,
            c.value.as_deref().unwrap_or("-"),
            origin(c.origin, &c.key, &c.option)
        )?;
    }

    if !report.autoscaler_overrides.is_empty() || !report.autoscaler_removals.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "Applied by the autoscaler on top (ConfigMap configOverrides, memory tuning)"
        )?;
        for (key, value) in &report.autoscaler_overrides {
            writeln!(out, "  {key}: {value}")?;
        }
        for key in &report.autoscaler_removals {
            writeln!(out, "  {key}: removed")?;
        }
    }

    if !report.warnings.is_empty() {
        writeln!(out)?;
        writeln!(out, "Warnings (events since {})", report.since)?;
        for w in &report.warnings {
            writeln!(
                out,
                "  {}  {}{}  {}",
                w.time.as_deref().unwrap_or("?"),
                w.reason,
                if w.count > 1 {
                    format!(" (x{})", w.count)
                } else {
                    String::new()
                },
                w.message
            )?;
        }
    }
    // Conflicts were said under Now/Also, once per pairing: the Findings section
    // does not repeat them (the JSON keeps every finding of both sides).
    let conflicts_said = std::iter::once(&report.verdict)
        .chain(&report.also)
        .any(|c| c.kind == super::model::VerdictKind::BlockedByConflict);
    let findings: Vec<FindingRow> = report
        .findings
        .iter()
        .filter(|f| {
            !(conflicts_said
                && f.severity == Severity::Deny
                && super::report::CONFLICT_RULES.contains(&f.rule))
        })
        .cloned()
        .collect();
    if !findings.is_empty() {
        writeln!(out)?;
        writeln!(out, "Findings")?;
        write_findings(out, &findings, look)?;
    }
    if !report.notes.is_empty() {
        writeln!(out)?;
        writeln!(out, "Notes")?;
        for n in &report.notes {
            prose(out, "  -", "  - ", &g(n), look)?;
        }
    }
    Ok(())
}

/// Writes the JSON explanation, one document:
///
/// ```json
/// {
///   "kind": "FlinkExplain",
///   "version": 2,                        // bumped on incompatible changes, and on
///                                        // 2: findings carry "problem" and "fix"
///   "context": "prod", "server": "https://10.0.0.1:6443",
///   "namespace": "flink", "name": "orders",
///   "now": "2026-07-01T12:00:00Z",       // the instant explained (--now)
///   "since": "2026-06-30T12:00:00Z",     // start of the history window (now - --since)
///   "window": "1d",                      // --since in Flink's duration syntax
///   "vertex": null,                      // --vertex, when given
///   "deployment": {
///     "autoscaler": "on",                // "on" | "advisor" | "off"
///     "session": false,                  // no spec.job
///     "jobState": "RUNNING",             // status.jobStatus.state, or null
///     "lifecycleState": "STABLE",
///     "configMap": "autoscaler-orders",
///     "configMapAvailability": "found"   // "found" | "none" | "unavailable"
///   },
///   "verdict": {                         // the one condition that explains now
///     "kind": "scale-down-delayed",      // see below
///     "summary": "...",                  // one sentence
///     "timeLeftSeconds": 2100,           // null when the condition has no known end;
///                                        // 0: ends at the next evaluation
///     "until": "2026-07-01T12:35:00Z",   // null when unknown
///     "details": ["..."]                 // one line per vertex, event or finding
///   },
///   "also": [ ... ],                     // further conditions that hold, same shape
///   "history": [                         // scaling decisions in the window, oldest first
///     {
///       "time": "2026-07-01T10:00:00Z",
///       "outcome": "scaled",             // "scaled" (ConfigMap history) | "reported"
///                                        // (ScalingReport not in the history) |
///                                        // "recommended" (execution disabled) |
///                                        // "held" (kept by a ScalingLimited event)
///       "disabledBy": null,              // "<key>:<value>" for recommendations
///       "sources": ["config-map", "event"],
///       "vertices": [
///         {
///           "id": "bc764cd8ddf7a0cff126f51c16239658",
///           "from": 2, "to": 4,
///           "direction": "up",           // "up" | "down" | "unchanged"
///           "rates": {                   // records/s; null when not recorded;
///                                        // "Infinity" / "NaN" when not finite
///             "trueProcessingRate": 1000.0, "targetDataRate": 1000.0,
///             "catchUpDataRate": 500.0, "lag": 900000.0,
///             "expectedProcessingRate": 1929.0,
///             "scaleUpThreshold": 1500.0, "scaleDownThreshold": "Infinity",
///             "maxParallelism": 128, "sourcePartitions": null
///           },
///           "utilization": {             // null without rates
///             "value": 1.0,              // target data rate / true processing rate
///             "withCatchUp": 1.5,        // counting the catch-up rate; null without lag
///             "target": 0.7, "min": 0.4, "max": 1.0,   // the bounds in effect
///             "boundsFrom": "target 0.7 +/- boundary 0.3"
///           },
///           "idealParallelism": 5,       // ceil(scale factor before caps x from)
///           "computation": {             // the operator's algorithm redone from the
///                                        // recorded inputs (null when they are missing)
///             "upperUtilization": 1.0, "lowerUtilization": 0.0,   // 1/0 on backlog
///             "scaleUpThreshold": 1500.0, "scaleDownThreshold": "Infinity",
///             "restartSeconds": 300, "targetCapacity": 2095.0,
///             "scaleFactor": 2.095, "cappedScaleFactor": 2.095,
///             "rawParallelism": 5,       // ceil(capped factor x from)
///             "beforeAlignment": 5,      // after min/max parallelism and key groups
///             "parallelism": 5,          // after alignment
///             "outsideBounds": true, "scalingLimited": null,   // [expected, actual]
///             "steps": [...]
///           },
///           "steps": [                   // every step that changed the number, in order
///             {"what": "key-group-alignment",   // "scale-up-max-factor" |
///                                        // "scale-down-max-factor" | "min-parallelism" |
///                                        // "max-parallelism" | "key-groups-cap" |
///                                        // "key-group-alignment" |
///                                        // "source-partition-alignment" |
///                                        // "scaling-limited" | "scale-down-interval"
///              "from": 11, "to": 12,
///              "option": "job.autoscaler.scaling.key-group.partitions.adjust.mode"}
///           ],
///           "reasons": ["..."],          // the explanation, sentence by sentence
///           "limits": [                  // the steps and a ScalingLimited event, in words
///             {"kind": "key-group-alignment", "message": "..."}
///           ],
///           "events": ["ScalingLimited at ...: ..."]   // events tied to this decision
///         }
///       ]
///     }
///   ],
///   "parallelism": [                     // the chart's data, one entry per vertex
///     {"id": "...", "current": 8,
///      "points": [{"time": "2026-06-30T12:00:00Z", "parallelism": 2}, ...]}
///   ],
///   "configuration": [                   // the options the verdict reasons with
///     {"option": "job.autoscaler.utilization.target",
///      "key": "job.autoscaler.target.utilization",   // the key it was read from
///      "value": "0.6",                   // as written, or the default; null when unset
///      "origin": "deprecated-alias"}     // "explicit" | "deprecated-alias" |
///                                        // "old-prefix" | "default" | "unset"
///   ],
///   "autoscalerOverrides": {"taskmanager.memory.process.size": "2901058543 bytes"},
///   "autoscalerRemovals": ["..."],       // configOverrides (memory tuning)
///   "warnings": [                        // IneffectiveScaling, MemoryPressure,
///                                        // ResourceQuotaReached, ScalingVetoed and
///                                        // ScalingLimited events in the window
///     {"reason": "MemoryPressure", "type": "Normal", "time": "...", "count": 2,
///      "message": "..."}
///   ],
///   "findings": [                        // the rules on the deployment and on the
///                                        // VPAs/HPAs aimed at it (as `status`)
///     {"kind": "FlinkDeployment", "name": "orders", "rule": "autoscaler.unbounded",
///      "severity": "warn", "path": "...", "value": "true",
///      "message": "...",                 // "<problem>; <fix>", as the text shows it
///      "problem": "...",                 // what is wrong (version 2 on)
///      "fix": "..."}                     // how to fix it; "" when the problem says it all
///   ],
///   "notes": ["..."],                    // what could not be read, and why
///   "whatIf": {                          // only with --set
///     "settings": [{"key": "...", "option": "...", "value": "0.8", "was": "0.7"}],
///     "vertices": [
///       {"id": "...", "inputsFrom": "2026-07-01T12:43:00Z",   // the evaluation used
///        "current": 12, "evaluatedParallelism": 9,
///        "withCurrentSettings": {...computation...},
///        "wouldBe": {...computation...},
///        "limits": [{"kind": "...", "message": "..."}]}
///     ],
///     "slotsPerTaskManager": 4, "taskManagers": 4, "taskManagersWouldBe": 3,
///     "notes": ["..."]
///   }
/// }
/// ```
///
/// Verdict kinds, in their order of precedence: `autoscaler-off`, `advisor-mode`,
/// `job-not-running`, `blocked-by-conflict`, `stabilizing`, `metrics-window-filling`,
/// `excluded-period`, `recent-warnings`, `scale-down-delayed`, `at-max-parallelism`,
/// `scaling-due`, `within-bounds`, `unknown`.
pub fn write_json(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::other)?;
    writeln!(out)
}
