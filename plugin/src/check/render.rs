//! Rendering a [`Report`]: text for people (one line per object, findings indented
//! in Kubernetes field-error form, a summary), JSON for scripts. Both are made from
//! the same report, as kubectl's `-o` formats are.

use super::report::{ObjectReport, Report};
use crate::input::printable;
use crate::term::Palette;
use flink_autoscale_rules::{Finding, Severity};
use serde::Serialize;
use std::io::{self, Write};

/// One entry of the JSON report; see [`write_json`].
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonObject<'a> {
    file: &'a str,
    line: u64,
    api_version: &'a str,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
    checked: bool,
    allowed: bool,
    findings: Vec<JsonFinding<'a>>,
    notes: &'a [String],
    patch: &'a json_patch::Patch,
    changes: &'a [String],
}

#[derive(Debug, Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    severity: Severity,
    path: &'a str,
    value: Option<&'a str>,
    message: &'a str,
    problem: &'a str,
    fix: &'a str,
}

/// Writes the JSON report: an array with one entry per object, in input order (files in
/// the order given, documents in file order, `List` items in list order):
///
/// ```json
/// [
///   {
///     "file": "flink.yaml",          // as given to -f; "<stdin>" for -f -
///     "line": 3,                     // where the object's document starts
///     "apiVersion": "flink.apache.org/v1beta1",
///     "kind": "FlinkDeployment",
///     "namespace": "default",        // its own, else -n, else "default"; null when it
///                                    // has none and was not checked (maybe cluster-scoped)
///     "name": "autoscaling-example",
///     "checked": true,               // false: no rules for this kind (still listed, so
///                                    // that every input object appears exactly once)
///     "allowed": false,              // what the webhook would answer
///     "findings": [
///       {
///         "rule": "autoscaler.utilization-range",   // stable id, as in the metrics
///         "severity": "deny",                       // "deny" or "warn"
///         "path": "spec.flinkConfiguration[job.autoscaler.utilization.target]",
///         "value": "1.5",                           // null when no single value is at fault
///         "message": "...",                       // problem and fix joined: "<problem>; <fix>"
///         "problem": "...",                       // what is wrong
///         "fix": "..."                            // what is allowed or how to fix it; "" when
///                                                 // the problem says it all
///       }
///     ],
///     "notes": [],                   // remarks that are not findings
///     "patch": [],                   // the mutating webhook's RFC 6902 patch (VPAs on
///                                    // TaskManagers); findings judge the patched object
///     "changes": []                  // one line per patch operation: rule and what
///   }
/// ]
/// ```
///
/// Every field is always present (nulls and empty arrays included), so that `jq`
/// filters need no defaults.
pub fn write_json(out: &mut dyn Write, report: &Report) -> io::Result<()> {
    let entries: Vec<JsonObject<'_>> = report
        .objects
        .iter()
        .map(|o| JsonObject {
            file: &o.origin.file,
            line: o.origin.line,
            api_version: &o.api_version,
            kind: &o.kind,
            namespace: o.namespace.as_deref(),
            name: &o.name,
            checked: o.checked,
            allowed: o.allowed(),
            findings: o
                .verdict
                .findings
                .iter()
                .map(|f| JsonFinding {
                    rule: f.rule.as_str(),
                    severity: f.severity,
                    path: &f.path,
                    value: f.value.as_deref(),
                    message: &f.message,
                    problem: &f.problem,
                    fix: &f.fix,
                })
                .collect(),
            notes: &o.verdict.notes,
            patch: &o.patch,
            changes: &o.changes,
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &entries)?;
    writeln!(out)
}

/// Writes the text report:
///
/// ```text
/// FlinkDeployment flink/autoscaling-example: admitted (1 warning)
///   warn  <rule>  <path>: Invalid value: "<value>": <message>
/// FlinkDeployment flink/broken: DENIED (1 problem)
///   deny  autoscaler.utilization-range  spec.flinkConfiguration[...]: Invalid value: "1.5": ...
/// ClusterRole flink-operator: not checked
/// 3 objects: 1 admitted, 1 denied, 1 not checked
/// ```
///
/// Everything taken from the input is escaped, so a manifest cannot drive the
/// terminal it is checked on.
pub fn write_text(out: &mut dyn Write, report: &Report, colour: bool) -> io::Result<()> {
    let palette = Palette::new(colour);
    for object in &report.objects {
        write_object(out, object, palette)?;
    }
    // The rules that pair objects (an HPA or VPA with the FlinkDeployment it aims
    // at) saw only what was given: an HPA already in the cluster was not.
    if report.objects.iter().any(|o| !o.unchecked()) {
        writeln!(
            out,
            "{}",
            palette.faint(
                "note: cluster rules (HPA and VPA conflicts) saw only the objects in the given files, not a cluster"
            )
        )?;
    }
    writeln!(out, "{}", summary(report))
}

fn write_object(out: &mut dyn Write, object: &ObjectReport, palette: Palette) -> io::Result<()> {
    let title = match &object.namespace {
        Some(namespace) => format!("{} {namespace}/{}", object.kind, display_name(object)),
        None => format!("{} {}", object.kind, display_name(object)),
    };
    // FILE:LINE first, as compilers print it: editors and CI logs link it.
    let origin = &object.origin;
    let item = origin
        .item
        .map(|i| format!(" items[{i}]"))
        .unwrap_or_default();
    let title = printable(&format!("{}:{}:{item} {title}", origin.file, origin.line));
    if object.unchecked() {
        return writeln!(out, "{title}: {}", palette.faint("not checked"));
    }

    let denials = object.verdict.denials().count();
    let warnings = object.verdict.warnings().count();
    let mut counts = Vec::new();
    if denials > 0 {
        counts.push(plural(denials, "problem"));
    }
    if warnings > 0 {
        counts.push(plural(warnings, "warning"));
    }
    let counts = if counts.is_empty() {
        String::new()
    } else {
        format!(" ({})", counts.join(", "))
    };
    let status = if object.allowed() {
        palette.admitted("admitted")
    } else {
        palette.denied("DENIED")
    };
    writeln!(out, "{title}: {status}{counts}")?;

    let width = object
        .verdict
        .findings
        .iter()
        .map(|f| f.rule.as_str().len())
        .max()
        .unwrap_or(0);
    for finding in &object.verdict.findings {
        writeln!(
            out,
            "  {}  {:<width$}  {}",
            palette.severity(finding.severity),
            printable(finding.rule.as_str()),
            printable(&field_error(finding)),
        )?;
    }
    for change in &object.changes {
        writeln!(out, "  {}  {}", palette.faint("mutate"), printable(change))?;
    }
    for note in &object.verdict.notes {
        writeln!(out, "  {}  {}", palette.faint("note"), printable(note))?;
    }
    Ok(())
}

/// The finding in Kubernetes field-error form, as the webhook words it, without the
/// trailing `[rule]`: the rule id already has its own column.
fn field_error(finding: &Finding) -> String {
    let full = finding.field_error();
    let rule_suffix = format!(" [{}]", finding.rule);
    match full.strip_suffix(&rule_suffix) {
        Some(text) => text.to_string(),
        None => full,
    }
}

/// Objects without `metadata.name` (e.g. with only `generateName`) still get a label.
fn display_name(object: &ObjectReport) -> &str {
    if object.name.is_empty() {
        "(no name)"
    } else {
        &object.name
    }
}

fn summary(report: &Report) -> String {
    let unchecked = report.objects.iter().filter(|o| o.unchecked()).count();
    let denied = report.objects.iter().filter(|o| !o.allowed()).count();
    let admitted = report.objects.len() - unchecked - denied;
    let mut line = format!(
        "{}: {admitted} admitted, {denied} denied",
        plural(report.objects.len(), "object")
    );
    if unchecked > 0 {
        line.push_str(&format!(", {unchecked} not checked"));
    }
    if report.audit_mode {
        line.push_str(" (enforcement warn: denials are reported as warnings)");
    }
    line
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Origin;
    use flink_autoscale_rules::{RuleId, Verdict};

    fn object(kind: &str, name: &str, checked: bool, verdict: Verdict) -> ObjectReport {
        ObjectReport {
            origin: Origin {
                file: "chart.yaml".into(),
                document: 1,
                line: 3,
                item: None,
            },
            api_version: if checked {
                "flink.apache.org/v1beta1".into()
            } else {
                "v1".into()
            },
            kind: kind.into(),
            namespace: checked.then(|| "flink".to_string()),
            name: name.into(),
            checked,
            verdict,
            patch: json_patch::Patch::default(),
            changes: Vec::new(),
        }
    }

    fn sample() -> Report {
        let utilization = Finding::new(
            RuleId::UtilizationRange,
            Severity::Deny,
            "spec.flinkConfiguration[job.autoscaler.utilization.target]",
            Some("1.5".into()),
            "must be a fraction in (0, 1]",
            "set e.g. 0.7",
        );
        let window = Finding::new(
            RuleId::Durations,
            Severity::Warn,
            "spec.flinkConfiguration[job.autoscaler.metrics.window]",
            Some("30s".into()),
            "shorter than the reconcile interval 60s",
            "use at least 60s",
        );
        let no_value = Finding::new(
            RuleId::ParallelismBounds,
            Severity::Warn,
            "spec.job.parallelism",
            None,
            "is not set",
            "",
        );
        Report {
            objects: vec![
                object(
                    "FlinkDeployment",
                    "good",
                    true,
                    Verdict {
                        findings: vec![window.clone(), no_value],
                        notes: vec!["a note".into()],
                    },
                ),
                object(
                    "FlinkDeployment",
                    "broken",
                    true,
                    Verdict {
                        findings: vec![utilization, window],
                        notes: vec![],
                    },
                ),
                object("ConfigMap", "settings", false, Verdict::default()),
                object("FlinkSessionJob", "evil\u{1b}[2J", true, Verdict::default()),
            ],
            audit_mode: false,
        }
    }

    fn text(report: &Report, colour: bool) -> String {
        let mut out = Vec::new();
        write_text(&mut out, report, colour).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text_report() {
        insta::assert_snapshot!(text(&sample(), false));
    }

    #[test]
    fn text_colour_only_when_asked() {
        assert!(!text(&sample(), false).contains('\u{1b}'));
        let coloured = text(&sample(), true);
        assert!(
            coloured.contains("\u{1b}[1;31mDENIED\u{1b}[0m"),
            "{coloured}"
        );
        assert!(coloured.contains("\u{1b}[31mdeny\u{1b}[0m"), "{coloured}");
        // The only escape sequences are ours: the object's name is escaped.
        assert!(!coloured.contains("\u{1b}[2J"), "{coloured}");
    }

    #[test]
    fn text_summary_counts_and_mode() {
        let mut report = Report {
            objects: vec![object("FlinkDeployment", "a", true, Verdict::default())],
            audit_mode: true,
        };
        assert_eq!(
            text(&report, false),
            "chart.yaml:3: FlinkDeployment flink/a: admitted\n\
             note: cluster rules (HPA and VPA conflicts) saw only the objects in the given files, not a cluster\n\
             1 object: 1 admitted, 0 denied (enforcement warn: denials are reported as warnings)\n"
        );
        report.objects[0].name.clear();
        assert!(
            text(&report, false)
                .starts_with("chart.yaml:3: FlinkDeployment flink/(no name): admitted\n")
        );
    }

    #[test]
    fn json_report() {
        let mut out = Vec::new();
        write_json(&mut out, &sample()).unwrap();
        let json = String::from_utf8(out).unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed.as_array().map(Vec::len), Some(4));
        assert_eq!(parsed[1]["allowed"], false);
        assert_eq!(
            parsed[1]["findings"][0]["rule"],
            "autoscaler.utilization-range"
        );
        assert_eq!(parsed[0]["findings"][1]["value"], serde_json::Value::Null);
        // Problem and fix apart, and still joined in `message`.
        let first = &parsed[1]["findings"][0];
        assert_eq!(first["problem"], "must be a fraction in (0, 1]");
        assert_eq!(first["fix"], "set e.g. 0.7");
        assert_eq!(
            first["message"],
            "must be a fraction in (0, 1]; set e.g. 0.7"
        );
        assert_eq!(parsed[2]["namespace"], serde_json::Value::Null);
        insta::assert_snapshot!(json);
    }
}
