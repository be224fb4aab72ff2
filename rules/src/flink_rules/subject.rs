//! What every FlinkDeployment rule reads (`Subject`: the object, its effective
//! configuration and what the autoscaler settings mean) and the helpers the
//! `autoscaler.*` rules share to word their findings.

use crate::catalogue::RuleId;
use crate::cluster::ClusterState;
use crate::config::FlinkConfig;
use crate::effective::{EffectiveConfig, Setting};
use crate::finding::{Finding, Severity};
use crate::input::ReviewInput;
use crate::mode::AutoscalerState;
use crate::object::Pointer;
use crate::object::{self, Kind};
use crate::values::Value as FlinkValue;
use serde_json::Value;

/// What the rules know about the object under review.
pub(super) struct Subject<'a> {
    pub(super) namespace: &'a str,
    /// The configuration Flink will see (for a session job: merged with its cluster's).
    pub(super) config: FlinkConfig<'a>,
    /// What the object itself wrote, when that is not `config` (a session job
    /// overlaid on its cluster's configuration).
    pub(super) own: Option<FlinkConfig<'a>>,
    pub(super) effective: EffectiveConfig,
    /// What the autoscaler settings mean, worked out once from `effective`.
    pub(super) autoscaler: AutoscalerState,
    /// An application (`spec.job` present) rather than a session cluster.
    pub(super) has_job: bool,
    pub(super) upgrade_mode: Option<&'a str>,
    /// `spec.flinkVersion` (of the session cluster for a session job), e.g. `v1_20`.
    pub(super) flink_version: Option<String>,
    /// The FlinkDeployment whose TaskManagers run the job.
    pub(super) cluster_name: Option<String>,
    pub(super) cluster: Option<&'a dyn ClusterState>,
}

pub(super) fn own_config(object: &Value) -> FlinkConfig<'_> {
    FlinkConfig::from_json(object.at("/spec/flinkConfiguration")).unwrap_or_default()
}

pub(super) fn subject<'a>(input: &ReviewInput<'a>, out: &mut Vec<Finding>) -> Option<Subject<'a>> {
    let object = input.object;
    let kind = Kind::of_object(object);
    let own = match FlinkConfig::from_json(object.at("/spec/flinkConfiguration")) {
        Ok(cfg) => cfg,
        Err(e) => {
            let shown = object.at("/spec/flinkConfiguration").map(|v| v.to_string());
            out.push(Finding::new(
                RuleId::ConfigParse,
                Severity::Deny,
                "spec.flinkConfiguration",
                shown,
                e.to_string(),
                "write it as `key: value` pairs, e.g. `job.autoscaler.enabled: \"true\"`",
            ));
            return None;
        }
    };
    let spec = object.get("spec");
    let job = spec.and_then(|s| s.get("job")).filter(|j| !j.is_null());
    let upgrade_mode = job
        .and_then(|j| j.get("upgradeMode"))
        .and_then(Value::as_str);
    let mut flink_version = spec
        .and_then(|s| s.get("flinkVersion"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut config = own;
    let mut own = None;
    let mut cluster_name = Some(object::name(object).to_string());
    if kind == Kind::FlinkSessionJob {
        cluster_name = spec
            .and_then(|s| s.get("deploymentName"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let session = match (input.cluster, cluster_name.as_deref()) {
            (Some(cluster), Some(dep)) => cluster.flink_deployment(input.namespace, dep),
            _ => None,
        };
        if let Some(session) = session {
            // The session cluster is the view's, not the review's: copied.
            let base = own_config(&session).into_owned();
            let overlaid = config.overlaid_on(&base);
            own = Some(std::mem::replace(&mut config, overlaid));
            flink_version = session
                .at("/spec/flinkVersion")
                .and_then(Value::as_str)
                .map(str::to_string);
        }
    }
    let effective = EffectiveConfig::resolve(&config);
    Some(Subject {
        namespace: input.namespace,
        config,
        own,
        autoscaler: AutoscalerState::of(&effective),
        effective,
        has_job: job.is_some(),
        upgrade_mode,
        flink_version,
        cluster_name,
        cluster: input.cluster,
    })
}

// ---------------------------------------------------------------------------------
// Shared by the autoscaler.* rules, which apply when the autoscaler is enabled.

pub(super) fn deny(
    rule: RuleId,
    s: &Setting,
    problem: impl Into<String>,
    fix: impl Into<String>,
) -> Finding {
    on_setting(rule, Severity::Deny, s, problem, fix)
}

pub(super) fn warn(
    rule: RuleId,
    s: &Setting,
    problem: impl Into<String>,
    fix: impl Into<String>,
) -> Finding {
    on_setting(rule, Severity::Warn, s, problem, fix)
}

/// A finding pointing at the key a setting was read from, with its value.
fn on_setting(
    rule: RuleId,
    severity: Severity,
    s: &Setting,
    problem: impl Into<String>,
    fix: impl Into<String>,
) -> Finding {
    Finding::new(
        rule,
        severity,
        s.path(),
        s.raw.as_deref().map(str::to_string),
        origin_suffix(s, problem),
        fix,
    )
}

/// Findings on a default value say so: the user never wrote it.
pub(super) fn origin_suffix(s: &Setting, problem: impl Into<String>) -> String {
    let mut problem = problem.into();
    if !s.is_set() {
        problem.push_str(" (the default)");
    }
    problem
}

/// A setting together with its parsed number, when it parsed.
pub(super) fn number<'a>(eff: &'a EffectiveConfig, option: &str) -> Option<(&'a Setting, f64)> {
    let s = eff.get(option)?;
    let v = s.value.as_ref().and_then(FlinkValue::as_f64)?;
    Some((s, v))
}

/// Why NaN is refused though the operator's `AutoscalerValidator.validateNumber` lets it
/// through (every comparison with NaN is false): the autoscaler would then compute with
/// NaN. Said in every such message, since here we are stricter than the operator.
pub(super) const NAN_STRICTER: &str = "NaN passes the operator's range check (comparisons with NaN are \
     false) but makes the autoscaler compute with NaN; refused here, stricter than the operator";

/// `lo < x <= hi` style checks that treat NaN as out of range.
pub(super) fn within(x: f64, lo: f64, lo_open: bool, hi: f64, hi_open: bool) -> bool {
    let above = if lo_open { x > lo } else { x >= lo };
    let below = if hi_open { x < hi } else { x <= hi };
    above && below
}
