//! The one entry point both front ends call: an object (and what is known of the
//! cluster) in, a verdict out.

use crate::finding::{Finding, Severity};
pub use crate::input::{Enforcement, ReviewInput, RuleSettings};
use crate::object::Kind;
use serde::Serialize;

/// The judgement on one object.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verdict {
    /// Every finding, deny and warn, in a stable order (by path, then rule).
    pub findings: Vec<Finding>,
    /// Things the user should know that are not findings, e.g. that cluster rules
    /// were skipped offline.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Verdict {
    /// Admitted when no finding denies.
    pub fn allowed(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Severity::Deny)
    }

    pub fn denials(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Deny)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Warn)
    }

    /// The message of a denial: a header naming the object, then one field error
    /// per deny finding.
    pub fn denial_message(&self, kind: &str, namespace: &str, name: &str) -> String {
        let denials: Vec<_> = self.denials().collect();
        let mut msg = format!(
            "{kind} {namespace}/{name} is refused: {} problem{} to fix:",
            denials.len(),
            if denials.len() == 1 { "" } else { "s" }
        );
        for f in denials {
            msg.push_str("\n* ");
            msg.push_str(&f.field_error());
        }
        msg
    }

    /// Warnings as kubectl prints them: one line per warn finding, then the notes.
    pub fn warning_lines(&self) -> Vec<String> {
        self.warnings()
            .map(Finding::field_error)
            .chain(self.notes.iter().cloned())
            .collect()
    }

    /// In warn enforcement every deny finding becomes a warning.
    pub fn enforce(mut self, enforcement: Enforcement) -> Verdict {
        if enforcement == Enforcement::Warn {
            for f in &mut self.findings {
                f.severity = Severity::Warn;
            }
        }
        self
    }
}

/// The note added when cluster-aware rules could not run.
pub const OFFLINE_NOTE: &str = "flink-autoscale-guard runs offline: rules that need other objects \
     (FlinkDeployment/VPA/HPA conflicts) were not checked";

/// Judges one object. Kinds the rules do not know get an empty verdict.
pub fn review(input: &ReviewInput<'_>, settings: &RuleSettings) -> Verdict {
    let mut verdict = Verdict::default();
    let kind = Kind::of_object(input.object);
    let needs_cluster = match kind {
        Kind::FlinkDeployment | Kind::FlinkSessionJob => {
            verdict.findings = crate::flink_rules::check(input, settings);
            true
        }
        Kind::VerticalPodAutoscaler => {
            verdict.findings = crate::vpa_rules::check(input);
            true
        }
        Kind::HorizontalPodAutoscaler => {
            verdict.findings = crate::hpa_rules::check(input);
            true
        }
        Kind::Other => false,
    };
    if needs_cluster && input.cluster.is_none() {
        verdict.notes.push(OFFLINE_NOTE.to_string());
    }
    verdict.findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.rule.as_str().cmp(b.rule.as_str()))
    });
    verdict.enforce(settings.enforcement)
}
