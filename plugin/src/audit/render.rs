//! `audit` output: a table as kubectl prints them (upper-case headers, no borders),
//! or the same data as JSON or YAML.

use super::AuditFormat;
use super::model::Audit;
use std::io::{self, Write};

pub fn write(out: &mut dyn Write, audit: &Audit, format: AuditFormat) -> io::Result<()> {
    match format {
        AuditFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, audit).map_err(io::Error::other)?;
            writeln!(out)
        }
        AuditFormat::Yaml => {
            let text = serde_saphyr::to_string(audit).map_err(io::Error::other)?;
            out.write_all(text.as_bytes())
        }
        AuditFormat::Table => table(out, audit),
    }
}

fn columns(out: &mut dyn Write, rows: &[Vec<String>]) -> io::Result<()> {
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let mut widths = vec![0; first.len()];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in rows {
        let last = row.len() - 1;
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i < last {
                line.push_str(&" ".repeat(widths[i] - cell.chars().count() + 3));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

fn table(out: &mut dyn Write, audit: &Audit) -> io::Result<()> {
    if audit.findings.is_empty() {
        writeln!(out, "No findings.")?;
    } else {
        let mut rows = vec![
            ["NAMESPACE", "KIND", "NAME", "SEVERITY", "RULE", "MESSAGE"]
                .map(String::from)
                .to_vec(),
        ];
        let mut previous: Option<(&str, &str, &str)> = None;
        for f in &audit.findings {
            let object = (f.namespace.as_str(), f.kind.as_str(), f.name.as_str());
            // Grouped by object: its name once, on its first finding.
            let (ns, kind, name) = if previous == Some(object) {
                (String::new(), String::new(), String::new())
            } else {
                (f.namespace.clone(), f.kind.clone(), f.name.clone())
            };
            previous = Some(object);
            rows.push(vec![
                ns,
                kind,
                name,
                f.severity.clone(),
                f.rule.clone(),
                f.message.clone(),
            ]);
        }
        columns(out, &rows)?;
    }
    writeln!(out)?;
    let from_reports = audit.source == "reports";
    let mut header = vec!["NAMESPACE", "OBJECTS", "DENY", "WARN"];
    if from_reports {
        header.extend(["REPORT", "AGE"]);
    }
    let mut rows = vec![header.into_iter().map(String::from).collect::<Vec<_>>()];
    for s in &audit.namespaces {
        let mut row = vec![
            s.namespace.clone(),
            s.objects.to_string(),
            s.deny.to_string(),
            s.warn.to_string(),
        ];
        if from_reports {
            row.push(s.report.clone().unwrap_or_default());
            row.push(s.report_age_seconds.map_or("?".into(), crate::term::age));
        }
        rows.push(row);
    }
    columns(out, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::model::{AuditFinding, NamespaceSummary};

    fn finding(name: &str, rule: &str) -> AuditFinding {
        AuditFinding {
            namespace: "flink".into(),
            kind: "FlinkDeployment".into(),
            name: name.into(),
            rule: rule.into(),
            severity: "deny".into(),
            message: format!("spec: Invalid value [{rule}]"),
        }
    }

    #[test]
    fn findings_are_grouped_by_object_and_summed_by_namespace() {
        let audit = Audit {
            source: "reports",
            namespaces: vec![NamespaceSummary {
                namespace: "flink".into(),
                objects: 3,
                deny: 2,
                warn: 0,
                report_age_seconds: Some(150),
                report: Some("wgpolicyk8s.io/v1alpha2/PolicyReport".into()),
            }],
            findings: vec![finding("a", "r.one"), finding("a", "r.two")],
        };
        let mut out = Vec::new();
        write(&mut out, &audit, AuditFormat::Table).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("NAMESPACE   KIND"), "{text}");
        assert!(
            lines[1].starts_with("flink       FlinkDeployment   a "),
            "{text}"
        );
        assert!(lines[2].trim_start().starts_with("deny"), "{text}");
        assert!(
            text.contains(
                "flink       3         2      0      wgpolicyk8s.io/v1alpha2/PolicyReport   2m30s"
            ),
            "{text}"
        );
        let mut json = Vec::new();
        write(&mut json, &audit, AuditFormat::Json).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["namespaces"][0]["reportAgeSeconds"], 150);
        assert_eq!(v["findings"][1]["rule"], "r.two");
    }
}
