//! The rule catalogue: every rule of the crate, its stable id, its default severity
//! and what it checks, in one place. Findings carry a [`RuleId`], so an id cannot be
//! misspelt in a rule file, and the README's rule table is checked against this list
//! (`tests::readme_table_matches_the_catalogue`).

use crate::severity::Severity;
use serde::{Serialize, Serializer};
use std::fmt;

/// How a rule reports: most refuse or warn; a few change the object instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Always this severity (before `--enforcement warn`).
    Always(Severity),
    /// Denies the clear cases, warns on values the operator accepts but that likely
    /// do not do what was meant.
    DenyOrWarn,
    /// A JSON patch on admission (`/mutate`), never a refusal.
    Mutate,
}

impl Outcome {
    /// As the README's severity column starts.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Always(s) => s.as_str(),
            Outcome::DenyOrWarn => "deny / warn",
            Outcome::Mutate => "mutate",
        }
    }
}

macro_rules! catalogue {
    ($($variant:ident = $id:literal, $outcome:expr, $cluster:literal, $summary:literal;)*) => {
        /// A rule of the crate. Serialized (JSON, metrics labels) as its stable id.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleId {
            $(#[doc = concat!("`", $id, "`: see [`RuleId::summary`].")] $variant,)*
        }

        impl RuleId {
            /// Every rule, in catalogue order.
            pub const ALL: &'static [RuleId] = &[$(RuleId::$variant,)*];

            /// The stable id, e.g. `autoscaler.utilization-range`.
            pub fn as_str(self) -> &'static str {
                match self { $(RuleId::$variant => $id,)* }
            }

            /// Whether the rule reports with a fixed severity, with either, or mutates.
            pub fn outcome(self) -> Outcome {
                match self { $(RuleId::$variant => $outcome,)* }
            }

            /// Whether the rule needs other objects (the cluster view): offline it is
            /// skipped.
            pub fn needs_cluster(self) -> bool {
                match self { $(RuleId::$variant => $cluster,)* }
            }

            /// One line: what the rule checks.
            pub fn summary(self) -> &'static str {
                match self { $(RuleId::$variant => $summary,)* }
            }
        }
    };
}

use Outcome::{Always, DenyOrWarn, Mutate};
const DENY: Outcome = Always(Severity::Deny);
const WARN: Outcome = Always(Severity::Warn);

catalogue! {
    ConfigParse = "config.parse", DENY, false,
        "a known option's value (or `pipeline.max-parallelism`, `taskmanager.numberOfTaskSlots`, `execution.checkpointing.interval`, the reconcile interval) does not parse as Flink parses its type";
    ConfigUnknownKey = "config.unknown-key", DenyOrWarn, false,
        "a key under `job.autoscaler.` / `kubernetes.operator.job.autoscaler.` that no option has (deny within edit distance 2 of a real key: \"did you mean\"), or one the `--operator-version` does not know";
    ConfigDeprecatedKey = "config.deprecated-key", WARN, false,
        "an old-prefix key, a deprecated alias, or a deprecated option: names the current key";
    ConfigConflictingKeys = "config.conflicting-keys", DENY, false,
        "one option set through two keys, or one key flat and nested, with different values";
    UtilizationRange = "autoscaler.utilization-range", DenyOrWarn, false,
        "`utilization.target` in [0,1] (warn on 0); `utilization.max` in [target,1]; `utilization.min` in [0,target]; boundary >= 0";
    BoundaryDisablesScaling = "autoscaler.boundary-disables-scaling", WARN, false,
        "target + boundary > 1 (no scale-up on load) or target - boundary <= 0 (no scale-down)";
    ParallelismBounds = "autoscaler.parallelism-bounds", WARN, false,
        "`vertex.min-parallelism` < 1, `vertex.max-parallelism` < 1, min above max, or max above `pipeline.max-parallelism`";
    Factors = "autoscaler.factors", DenyOrWarn, false,
        "`scale-down.max-factor` and `scale-up.max-factor` >= 0; warn on 0 (that direction never scales) and on a scale-down factor above 1";
    ExcludedPeriods = "autoscaler.excluded-periods", DENY, false,
        "each element of `excluded.periods` a daily time range, a Quartz cron, or both joined by `&&`, as `CalendarUtils.validateExcludedPeriods`";
    Thresholds = "autoscaler.thresholds", DENY, false,
        "GC-pressure and heap-usage thresholds in [0,1]; tuning overhead, effectiveness threshold and scalability coefficient when their feature is on";
    Durations = "autoscaler.durations", DenyOrWarn, false,
        "`metrics.window` > 0 and >= the reconcile interval; warn on `restart.time: 0` and `catch-up.duration: 0`";
    StatelessUpgrade = "autoscaler.stateless-upgrade", WARN, false,
        "autoscaler on with `upgradeMode: stateless`, unless Flink >= 1.18 rescales in place (adaptive scheduler)";
    NoCheckpointing = "autoscaler.no-checkpointing", WARN, false,
        "autoscaler on without `execution.checkpointing.interval`";
    Unbounded = "autoscaler.unbounded", WARN, false,
        "autoscaler on, no vertex or pipeline max parallelism";
    HpaConflict = "autoscaler.hpa-conflict", DENY, true,
        "autoscaler on while an HPA targets the FlinkDeployment or its TaskManager Deployment";
    MemoryTuningVpaConflict = "autoscaler.memory-tuning-vpa-conflict", DENY, true,
        "memory tuning on while a VPA controls TaskManager memory";
    OperatorFlinkVersion = "operator.flink-version", DENY, false,
        "`spec.flinkVersion` missing or not supported (`DefaultValidator.validateFlinkVersion`)";
    OperatorServiceAccount = "operator.service-account", DENY, false,
        "`spec.serviceAccount` missing on a FlinkDeployment";
    OperatorName = "operator.name", DENY, false,
        "the name is not a valid deployment name (`validateDeploymentName`)";
    OperatorConfig = "operator.config", DENY, false,
        "keys the operator sets itself, log configuration, ingress and state directories (`validateFlinkDeploymentConfig`, `validateIngress`)";
    OperatorResources = "operator.resources", DENY, false,
        "JobManager and TaskManager memory, cpu and replicas (`validateJmSpec`, `validateTmSpec`)";
    OperatorJob = "operator.job", DENY, false,
        "the job spec: parallelism, savepoint triggers, jar URI (`validateJobSpec`, `validateJarURI`)";
    OperatorUpgradeMode = "operator.upgrade-mode", DENY, false,
        "an unknown upgrade mode, or one without the state directories or settings it needs (`validateJobSpec`)";
    OperatorHa = "operator.ha", DENY, false,
        "high availability required but not configured (rollback support, standby JobManagers)";
    VpaDefaultBounds = "vpa.default-bounds", Mutate, false,
        "container policy for `flink-main-container` if none covers it; `minAllowed.memory` / `maxAllowed.memory` when absent";
    VpaMemoryOnly = "vpa.memory-only", Mutate, false,
        "`controlledResources: [memory]` when absent";
    VpaControlsCpu = "vpa.controls-cpu", DENY, true,
        "a TaskManager VPA that updates pods controls cpu while the autoscaler is on (also checked from the FlinkDeployment side)";
    VpaMemoryTuningConflict = "vpa.memory-tuning-conflict", DENY, true,
        "a TaskManager VPA controls memory while memory tuning is on";
    VpaBoundsOrder = "vpa.bounds-order", DENY, false,
        "`minAllowed` > `maxAllowed` for any resource, compared as quantities; unparsable quantities";
    VpaBelowFlinkMemory = "vpa.below-flink-memory", WARN, true,
        "`minAllowed.memory` below the TaskManager's process memory";
    VpaUnreachableTarget = "vpa.unreachable-target", DENY, true,
        "targets `<name>-taskmanager` of a native-mode FlinkDeployment, which has no such Deployment";
    VpaEvictingMode = "vpa.evicting-mode", WARN, false,
        "`updateMode` Auto or Recreate (also the default) on TaskManagers: each eviction restarts the job";
    VpaJobmanagerTarget = "vpa.jobmanager-target", WARN, true,
        "targets the JobManager Deployment `<name>`";
    VpaSpec = "vpa.spec", DENY, false,
        "the VPA admission controller's own `validateVPASpec` for VPAs on Flink: modes, `minReplicas`, `controlledValues`, resources, quantities, `containerName`, recommenders";
    HpaAutoscalerConflict = "hpa.autoscaler-conflict", DENY, true,
        "HPA on a FlinkDeployment with the autoscaler on, or on its TaskManager Deployment";
}

impl RuleId {
    /// The rule with this stable id.
    pub fn from_id(id: &str) -> Option<RuleId> {
        RuleId::ALL.iter().copied().find(|r| r.as_str() == id)
    }
}

impl fmt::Display for RuleId {
    /// Honours width and alignment (`{:<20}`), as `str` does: tables pad rule ids.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl Serialize for RuleId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Lets callers and tests compare with the id as text (`finding.rule == "vpa.spec"`).
impl PartialEq<&str> for RuleId {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for RuleId {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const README: &str = include_str!("../../README.md");

    /// The rows `| `id` | severity | what |` of the README's section "## The rules".
    fn readme_rows() -> BTreeMap<String, (String, String)> {
        let section = README
            .split("\n## The rules")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .unwrap_or_default();
        section
            .lines()
            .filter_map(|line| {
                let cells: Vec<&str> = line.trim().trim_matches('|').split(" | ").collect();
                let id = cells.first()?.trim().strip_prefix('`')?.strip_suffix('`')?;
                Some((
                    id.to_string(),
                    (cells.get(1)?.trim().to_string(), cells[2..].join(" | ")),
                ))
            })
            .collect()
    }

    #[test]
    fn ids_are_unique_and_round_trip() {
        for rule in RuleId::ALL {
            assert_eq!(RuleId::from_id(rule.as_str()), Some(*rule));
            assert_eq!(serde_json::to_value(rule).ok(), Some(rule.as_str().into()));
        }
        assert_eq!(RuleId::from_id("vpa.nope"), None);
    }

    #[test]
    fn readme_table_matches_the_catalogue() {
        let rows = readme_rows();
        assert!(rows.len() > 20, "README rule table not found: {rows:?}");
        for rule in RuleId::ALL {
            let Some((severity, what)) = rows.get(rule.as_str()) else {
                panic!("{} is missing from README.md's rule table", rule.as_str());
            };
            assert!(
                severity.starts_with(rule.outcome().as_str()),
                "{}: README says {severity:?}, the code {:?}",
                rule.as_str(),
                rule.outcome().as_str()
            );
            assert_eq!(
                severity.contains("cluster view"),
                rule.needs_cluster(),
                "{}: README severity {severity:?} and the cluster view",
                rule.as_str()
            );
            assert_eq!(
                what.trim(),
                rule.summary(),
                "{}: README summary differs",
                rule.as_str()
            );
        }
        for id in rows.keys() {
            assert!(
                RuleId::from_id(id).is_some(),
                "README.md lists {id}, which no rule has"
            );
        }
    }
}
