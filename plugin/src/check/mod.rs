//! `kubectl flink check`: the webhook's rules applied to files. Reading happens at
//! the start ([`run`]), writing at the end; [`judge`] in between is pure, so what the
//! plugin decides is exactly what the rules crate decides. [`report`] holds what was
//! decided, [`render`] writes it.

pub mod render;
pub mod report;

use crate::cli::{CheckArgs, OutputFormat};
use crate::error::Error;
use crate::input::{self, SourcedObject};
use flink_autoscale_rules::object::{self, Kind};
use flink_autoscale_rules::{ObjectSet, ReviewInput, RuleSettings, mutate, review};
pub use report::{ObjectReport, Report};
use std::io::{Read, Write};

/// The namespace of objects that name none when `-n` is not given, as in kubectl.
pub const DEFAULT_NAMESPACE: &str = "default";

/// The kinds the rules judge: every kind [`Kind`] names (FlinkDeployments and
/// FlinkSessionJobs for their autoscaler settings, VPAs and HPAs for who owns the
/// scaling of which pods); [`review`] dispatches on the same enum.
pub fn judged_kind(kind: Kind) -> bool {
    !matches!(kind, Kind::Other)
}

/// Judges every object. All objects together form the cluster view, as if they had
/// been applied together: a rendered chart is checked as a whole. Every object is
/// reviewed, whatever its kind (the rules return nothing for kinds they do not know),
/// so that the plugin never needs to know which kinds have rules in order to be right.
pub fn judge(
    objects: Vec<SourcedObject>,
    default_namespace: &str,
    settings: &RuleSettings,
) -> Report {
    // Mutation first, against the objects as given (it only reads FlinkDeployments,
    // which it never changes); then every rule against the mutated objects.
    let as_given = ObjectSet::new(
        objects.iter().map(|o| o.object.clone()).collect(),
        default_namespace,
    );
    let mutated: Vec<(SourcedObject, json_patch::Patch, Vec<String>)> = objects
        .into_iter()
        .map(|mut sourced| {
            let namespace = object::namespace_or(&sourced.object, default_namespace).to_string();
            let m = mutate(
                &ReviewInput {
                    object: &sourced.object,
                    namespace: &namespace,
                    cluster: Some(&as_given),
                },
                settings,
            );
            let mut patched = sourced.object.clone();
            // A patch the rules built for this very object applies; if it ever did
            // not, judging the object as given is the honest fallback.
            if json_patch::patch(&mut patched, &m.patch).is_ok() {
                sourced.object = patched;
            }
            (sourced, m.patch, m.changes)
        })
        .collect();
    let cluster = ObjectSet::new(
        mutated.iter().map(|(o, _, _)| o.object.clone()).collect(),
        default_namespace,
    );
    let reports = mutated
        .into_iter()
        .map(|(SourcedObject { object, origin }, patch, changes)| {
            let namespace = object::namespace_or(&object, default_namespace).to_string();
            let verdict = review(
                &ReviewInput {
                    object: &object,
                    namespace: &namespace,
                    cluster: Some(&cluster),
                },
                settings,
            );
            let checked = judged_kind(Kind::of_object(&object));
            let own_namespace = object
                .pointer("/metadata/namespace")
                .and_then(|n| n.as_str())
                .is_some_and(|n| !n.is_empty());
            let field = |key: &str| {
                object
                    .get(key)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let mut report = ObjectReport {
                origin,
                api_version: field("apiVersion"),
                kind: field("kind"),
                namespace: Some(namespace),
                name: object::name(&object).to_string(),
                checked,
                verdict,
                patch,
                changes,
            };
            if report.unchecked() && !own_namespace {
                report.namespace = None;
            }
            report
        })
        .collect();
    Report {
        objects: reports,
        audit_mode: settings.enforcement == flink_autoscale_rules::Enforcement::Warn,
    }
}

/// Reads every input, judges, and writes the report; returns the exit code. Every
/// file that can be read is judged even when another cannot: the report covers them,
/// then the input errors of all files are returned (exit 2), so that one run names
/// every broken file and still says what it thinks of the rest. Warnings on input
/// that was read leniently (a repeated key) go to `stderr`.
pub fn run(
    args: &CheckArgs,
    namespace: Option<&str>,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
    colour: bool,
) -> Result<u8, Error> {
    let sources = input::expand(&args.files)?;
    let mut objects = Vec::new();
    let mut errors = Vec::new();
    for source in &sources {
        match input::read(source, stdin)
            .and_then(|text| input::parse_with_warnings(&text, &source.name()))
        {
            Ok((found, warnings)) => {
                objects.extend(found);
                for warning in warnings {
                    // Warnings, as kubectl prints the API server's; a closed stderr
                    // must not stop the check.
                    let _ = writeln!(stderr, "Warning: {warning}");
                }
            }
            Err(e) => errors.push(e),
        }
    }
    if objects.is_empty() {
        Error::from_many(errors)?;
        return Err(Error::NoObjects {
            inputs: args
                .files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }

    let settings = RuleSettings {
        enforcement: args.enforcement.into(),
        reconcile_interval: args
            .reconcile_interval
            .unwrap_or(RuleSettings::default().reconcile_interval),
        vpa_min_memory: args.vpa_min_memory,
        vpa_max_memory: args.vpa_max_memory,
        operator_version: args.operator_version,
        operator_rules: args.operator_rules == crate::cli::Switch::On,
    };
    let report = judge(objects, namespace.unwrap_or(DEFAULT_NAMESPACE), &settings);

    let written = match args.output {
        OutputFormat::Text => render::write_text(stdout, &report, colour),
        OutputFormat::Json => render::write_json(stdout, &report),
    }
    .and_then(|()| stdout.flush());
    match written {
        // A reader that stopped early (`| head`) is not an error of the check.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(Error::Output(e)),
        Ok(()) => {}
    }
    // Files that could not be judged outweigh a verdict on the others: exit 2.
    Error::from_many(errors)?;
    Ok(report.exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::Origin;
    use flink_autoscale_rules::Severity;
    use flink_autoscale_rules::Verdict;
    use serde_json::json;

    fn sourced(object: serde_json::Value) -> SourcedObject {
        SourcedObject {
            object,
            origin: Origin {
                file: "in.yaml".into(),
                document: 1,
                line: 1,
                item: None,
            },
        }
    }

    #[test]
    fn namespaces_come_from_the_object_then_the_flag() {
        let report = judge(
            vec![
                sourced(
                    json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
                    "metadata": {"name": "a", "namespace": "flink"}, "spec": {}}),
                ),
                sourced(
                    json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
                    "metadata": {"name": "b"}, "spec": {}}),
                ),
                sourced(
                    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                    "metadata": {"name": "c"}}),
                ),
                sourced(json!({"apiVersion": "v1", "kind": "Service",
                    "metadata": {"name": "d", "namespace": "web"}})),
            ],
            "team",
            // Empty specs: the operator.* rules would refuse them; this is about namespaces.
            &RuleSettings {
                operator_rules: false,
                ..RuleSettings::default()
            },
        );
        let seen: Vec<_> = report
            .objects
            .iter()
            .map(|o| (o.name.as_str(), o.namespace.as_deref(), o.checked))
            .collect();
        assert_eq!(
            seen,
            [
                ("a", Some("flink"), true),
                ("b", Some("team"), true),
                ("c", None, false),
                ("d", Some("web"), false),
            ]
        );
        assert!(report.allowed());
        assert_eq!(report.exit_code(), 0);
    }

    #[test]
    fn judged_kinds_are_the_ones_the_rules_know() {
        assert!(judged_kind(Kind::FlinkDeployment));
        assert!(judged_kind(Kind::FlinkSessionJob));
        assert!(judged_kind(Kind::VerticalPodAutoscaler));
        assert!(judged_kind(Kind::HorizontalPodAutoscaler));
        assert!(!judged_kind(Kind::Other));
    }

    #[test]
    fn any_denial_makes_exit_code_one() {
        let object = |verdict: Verdict| ObjectReport {
            origin: sourced(json!({})).origin,
            api_version: "flink.apache.org/v1beta1".into(),
            kind: "FlinkDeployment".into(),
            namespace: Some("default".into()),
            name: "f".into(),
            checked: true,
            verdict,
            patch: json_patch::Patch::default(),
            changes: Vec::new(),
        };
        let finding = |severity| {
            flink_autoscale_rules::Finding::new(
                flink_autoscale_rules::RuleId::VpaSpec,
                severity,
                "spec",
                None,
                "bad",
                "",
            )
        };
        let warned = Verdict {
            findings: vec![finding(Severity::Warn)],
            notes: vec![],
        };
        let denied = Verdict {
            findings: vec![finding(Severity::Deny)],
            notes: vec![],
        };
        let report = Report {
            objects: vec![object(warned.clone())],
            audit_mode: false,
        };
        assert_eq!(report.exit_code(), 0);
        let report = Report {
            objects: vec![object(warned), object(denied)],
            audit_mode: false,
        };
        assert_eq!(report.exit_code(), 1);
    }
}
