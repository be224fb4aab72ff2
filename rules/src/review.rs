//! The one entry point both front ends call: an object (and what is known of the
//! cluster) in, a verdict out.

use crate::cluster::ClusterState;
use crate::finding::{Finding, Severity};
use crate::object::Kind;
use crate::quantity::Quantity;
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

/// Whether deny findings refuse the object (`deny`) or are only reported as
/// warnings (`warn`, an audit mode for rollouts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Enforcement {
    #[default]
    Deny,
    Warn,
}

/// Settings that come from the deployment of the rules, not from the object.
#[derive(Debug, Clone)]
pub struct RuleSettings {
    pub enforcement: Enforcement,
    /// The operator's reconcile interval (`kubernetes.operator.reconcile.interval`,
    /// 60 s by default): a metrics window shorter than this never fills.
    pub reconcile_interval: Duration,
    /// Memory bounds given to VPAs on TaskManagers that set none (`vpa.default-bounds`).
    pub vpa_min_memory: Quantity,
    pub vpa_max_memory: Quantity,
    /// The operator release the objects are for (`--operator-version`): keys that
    /// release does not know are findings, and renaming advice only points at keys it
    /// reads. `None`: advice says from which release a key works.
    pub operator_version: Option<crate::options::OperatorVersion>,
    /// Whether the `operator.*` rules (the operator's `DefaultValidator`) run; off
    /// when the operator's own webhook already judges these.
    pub operator_rules: bool,
}

impl Default for RuleSettings {
    fn default() -> Self {
        RuleSettings {
            enforcement: Enforcement::Deny,
            reconcile_interval: Duration::from_secs(60),
            vpa_min_memory: Quantity::from_units(256 << 20),
            vpa_max_memory: Quantity::from_units(2 << 30),
            operator_version: None,
            operator_rules: true,
        }
    }
}

/// One object to judge.
pub struct ReviewInput<'a> {
    pub object: &'a Value,
    /// The namespace the object lives in (the request's namespace; objects read
    /// from files may not carry one).
    pub namespace: &'a str,
    /// Other objects, when known; `None` means offline: cluster rules are skipped.
    pub cluster: Option<&'a dyn ClusterState>,
}

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
            .then_with(|| a.rule.cmp(b.rule))
    });
    verdict.enforce(settings.enforcement)
}
