//! The explanation as data: what `-o json` prints (see [`super::render::write_json`]
//! for the documented structure) and what the text output is rendered from.

use super::scaler::{Computation, Step};
use super::text::java_double_opt;
use flink_autoscale_rules::effective::Origin;
use flink_autoscale_rules::{RuleId, Severity};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub kind: &'static str,
    pub version: u32,
    pub context: String,
    pub server: String,
    pub namespace: String,
    pub name: String,
    /// The instant the explanation is for (RFC 3339).
    pub now: String,
    /// The start of the history window (RFC 3339).
    pub since: String,
    /// The window's length in Flink's duration syntax.
    pub window: String,
    /// `--vertex`, when given.
    pub vertex: Option<String>,
    /// `--vertex` matched no vertex: the ids that are known (the command then fails).
    #[serde(skip)]
    pub unknown_vertex: Option<Vec<String>>,
    pub deployment: DeploymentSummary,
    pub verdict: Condition,
    /// Further conditions that hold now, in the same order of precedence.
    pub also: Vec<Condition>,
    pub history: Vec<Decision>,
    pub parallelism: Vec<VertexSeries>,
    pub configuration: Vec<ConfigRow>,
    /// What the autoscaler applies on top of the configuration (`configOverrides`,
    /// memory tuning): key -> value, and the keys it removes.
    pub autoscaler_overrides: std::collections::BTreeMap<String, String>,
    pub autoscaler_removals: Vec<String>,
    pub warnings: Vec<WarningRow>,
    pub findings: Vec<FindingRow>,
    pub notes: Vec<String>,
    /// `--set`: what every vertex would get with the changed settings (absent without).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub what_if: Option<WhatIf>,
}

impl Report {
    pub const KIND: &'static str = "FlinkExplain";
    pub const VERSION: u32 = 2;
}

/// The autoscaler's mode ("on" | "advisor" | "off"), as the rules crate reads it.
pub use flink_autoscale_rules::AutoscalerMode as Mode;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Availability {
    Found,
    /// Looked for and not there.
    None,
    /// Could not be read (permission, error answer).
    Unavailable,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentSummary {
    pub autoscaler: Mode,
    pub session: bool,
    pub job_state: Option<String>,
    pub lifecycle_state: Option<String>,
    pub config_map: String,
    pub config_map_availability: Availability,
}

/// The verdict kinds, in their order of precedence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerdictKind {
    AutoscalerOff,
    AdvisorMode,
    JobNotRunning,
    BlockedByConflict,
    Stabilizing,
    MetricsWindowFilling,
    ExcludedPeriod,
    RecentWarnings,
    ScaleDownDelayed,
    AtMaxParallelism,
    ScalingDue,
    WithinBounds,
    Unknown,
}

impl VerdictKind {
    /// The heading the text output shows.
    pub fn title(self) -> &'static str {
        match self {
            VerdictKind::AutoscalerOff => "Autoscaler off",
            VerdictKind::AdvisorMode => "Advisor mode",
            VerdictKind::JobNotRunning => "Job not running",
            VerdictKind::BlockedByConflict => "Blocked by a conflict",
            VerdictKind::Stabilizing => "Stabilizing",
            VerdictKind::MetricsWindowFilling => "Metrics window filling",
            VerdictKind::ExcludedPeriod => "Excluded period",
            VerdictKind::RecentWarnings => "Recent warnings",
            VerdictKind::ScaleDownDelayed => "Scale-down delayed",
            VerdictKind::AtMaxParallelism => "At max parallelism",
            VerdictKind::ScalingDue => "Scaling due",
            VerdictKind::WithinBounds => "Within bounds",
            VerdictKind::Unknown => "Unknown",
        }
    }
}

/// One thing that holds now and explains (part of) why the autoscaler acts as it does.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    pub kind: VerdictKind,
    pub summary: String,
    /// Until the condition ends, when that is known (0: at the next evaluation).
    pub time_left_seconds: Option<i64>,
    /// When it ends (RFC 3339), when known.
    pub until: Option<String>,
    pub details: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Recorded in the ConfigMap's scaling history: the operator rescaled.
    Scaled,
    /// A ScalingReport with execution enabled that the history does not have: it may
    /// have been stopped afterwards (resource quota, cluster resources) or trimmed.
    Reported,
    /// A ScalingReport with execution disabled (advisor mode, excluded period).
    Recommended,
    /// A vertex the operator wanted to rescale but kept (a `ScalingLimited` event with
    /// no executed change).
    Held,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Scaled => "scaled",
            Outcome::Reported => "reported",
            Outcome::Recommended => "recommended",
            Outcome::Held => "held",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    ConfigMap,
    Event,
}

/// One scaling decision: every vertex the autoscaler changed (or recommended
/// changing) at one evaluation.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    pub time: String,
    #[serde(skip)]
    pub at: jiff::Timestamp,
    pub outcome: Outcome,
    /// `<key>:<value>` of the option that disabled execution, for recommendations.
    pub disabled_by: Option<String>,
    pub sources: Vec<Source>,
    pub vertices: Vec<VertexDecision>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Up,
    Down,
    Unchanged,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VertexDecision {
    pub id: String,
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub direction: Direction,
    pub rates: Rates,
    pub utilization: Option<Utilization>,
    /// `from` times the capacity factor, before bounds and alignment.
    pub ideal_parallelism: Option<i64>,
    /// Why, in sentences.
    pub reasons: Vec<String>,
    /// What changed the outcome from the ideal parallelism, in words.
    pub limits: Vec<Limit>,
    /// The operator's computation redone from the recorded inputs (null when the
    /// operator recorded too little to redo it).
    pub computation: Option<Computation>,
    /// Every step that changed the number, in the order the operator applies them.
    pub steps: Vec<Step>,
    /// Events tied to this vertex's decision (ScalingLimited), `<reason>: <message>`.
    pub events: Vec<String>,
}

/// The rates behind a decision, in records per second (null when not recorded, NaN
/// or infinite).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rates {
    /// TRUE_PROCESSING_RATE (average): the vertex's capacity at full load.
    #[serde(serialize_with = "java_double_opt")]
    pub true_processing_rate: Option<f64>,
    /// TARGET_DATA_RATE (average): the input it has to keep up with.
    #[serde(serialize_with = "java_double_opt")]
    pub target_data_rate: Option<f64>,
    /// CATCH_UP_DATA_RATE: extra rate to work off the lag within catch-up.duration.
    #[serde(serialize_with = "java_double_opt")]
    pub catch_up_data_rate: Option<f64>,
    /// LAG: pending records at the source.
    #[serde(serialize_with = "java_double_opt")]
    pub lag: Option<f64>,
    /// EXPECTED_PROCESSING_RATE: the capacity the new parallelism should give.
    #[serde(serialize_with = "java_double_opt")]
    pub expected_processing_rate: Option<f64>,
    #[serde(serialize_with = "java_double_opt")]
    pub scale_up_threshold: Option<f64>,
    #[serde(serialize_with = "java_double_opt")]
    pub scale_down_threshold: Option<f64>,
    /// MAX_PARALLELISM: the vertex's max parallelism (key groups, or partitions).
    pub max_parallelism: Option<i64>,
    /// NUM_SOURCE_PARTITIONS (sources; 0 or null otherwise).
    pub source_partitions: Option<i64>,
}

/// The utilization a decision implies, against the bounds in effect.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Utilization {
    /// Target data rate / true processing rate.
    pub value: f64,
    /// (Target data rate + catch-up rate) / true processing rate, when catching up.
    pub with_catch_up: Option<f64>,
    pub target: f64,
    pub min: f64,
    pub max: f64,
    /// Where the bounds come from: `utilization.min/max` or `target +/- boundary`.
    pub bounds_from: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LimitKind {
    /// `job.autoscaler.vertex.max-parallelism`.
    MaxParallelism,
    /// The vertex's max parallelism (its key groups, `pipeline.max-parallelism`).
    KeyGroups,
    MinParallelism,
    ScaleUpMaxFactor,
    ScaleDownMaxFactor,
    /// The highest recommendation within `scale-down.interval` was applied.
    ScaleDownInterval,
    /// A `ScalingLimited` event for this change.
    ScalingLimited,
    /// `observed-scalability.enabled`: the factor divided by the fitted coefficient.
    ObservedScalability,
    /// Not applied: every vertex within its utilization bounds.
    WithinBounds,
    /// Aligned to the key groups (`scaling.parallelism-alignment.mode`).
    KeyGroupAlignment,
    /// Aligned to the source partitions.
    SourcePartitionAlignment,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Limit {
    pub kind: LimitKind,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VertexSeries {
    pub id: String,
    /// The parallelism now (the autoscaler's overrides, else the last change).
    pub current: Option<i64>,
    /// The parallelism over the window: the value at the window's start, then each
    /// executed change.
    pub points: Vec<Point>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    pub time: String,
    #[serde(skip)]
    pub at: jiff::Timestamp,
    pub parallelism: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigRow {
    /// The option's current key.
    pub option: String,
    /// The key the value was read from.
    pub key: String,
    /// The value as written, or the default; null when unset.
    pub value: Option<String>,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WarningRow {
    pub reason: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// The newest occurrence (RFC 3339).
    pub time: Option<String>,
    pub count: i64,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FindingRow {
    pub kind: String,
    pub name: String,
    pub rule: RuleId,
    pub severity: Severity,
    pub path: String,
    pub value: Option<String>,
    /// `<problem>; <fix>`, as the text form shows it.
    pub message: String,
    /// What is wrong (JSON version 2 on).
    pub problem: String,
    /// What is allowed or how to fix it; empty when the problem says it all.
    pub fix: String,
}

/// `--set`: what every vertex would get with the changed settings (made by
/// [`super::whatif`]).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhatIf {
    /// The settings, in the order given: `{key, option, value, was}`.
    pub settings: Vec<SetRow>,
    pub vertices: Vec<WhatIfVertex>,
    /// `taskmanager.numberOfTaskSlots` (with the settings applied).
    pub slots_per_task_manager: i64,
    /// TaskManagers now and with the settings: ceil(highest vertex parallelism /
    /// slots), as with one slot-sharing group (Flink's default).
    pub task_managers: Option<i64>,
    pub task_managers_would_be: Option<i64>,
    /// Whether the operator would rescale: some vertex changes while outside its
    /// utilization bounds, and scaling is enabled.
    pub would_scale: bool,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetRow {
    pub key: String,
    pub option: String,
    pub value: String,
    /// The value in effect before (as written, or the default).
    pub was: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhatIfVertex {
    pub id: String,
    /// The evaluation whose metrics are used (RFC 3339).
    pub inputs_from: String,
    /// The parallelism the vertex runs now.
    pub current: Option<i64>,
    /// The parallelism it had at that evaluation (the inputs' PARALLELISM).
    pub evaluated_parallelism: Option<i64>,
    /// With the current settings, from the same inputs.
    pub with_current_settings: Option<Computation>,
    /// With the settings applied.
    pub would_be: Option<Computation>,
    /// What the vertex would run: `wouldBe.parallelism`, unless the operator would
    /// apply nothing (no vertex outside its bounds, or scaling disabled).
    pub would_be_parallelism: Option<i64>,
    /// The would-be steps, including "not applied".
    pub steps: Vec<Step>,
    /// The would-be steps, in words.
    pub limits: Vec<Limit>,
    #[serde(skip)]
    pub(super) rates: Rates,
}
