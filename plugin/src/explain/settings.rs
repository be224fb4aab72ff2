//! The settings one scaling decision depends on, as the operator resolves them: a
//! module of its own so that [`super::knobs`] (which reads them from the
//! configuration) and [`super::scaler`] (which computes with them) both depend on it
//! and not on each other.

use serde::Serialize;
use std::time::Duration;

/// How the computed parallelism is aligned to key groups or source partitions
/// (`ParallelismAligner#resolve`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Alignment {
    /// `scaling.parallelism-alignment.mode: BALANCED` (the default): the first value in
    /// the region that divides N or reduces the per-subtask load; else the target.
    Balanced,
    /// `BuiltInAlignmentMode.EVENLY_SPREAD`: the first divisor in the region; else the target.
    EvenlySpread,
    /// `BuiltInAlignmentMode.OFF`.
    Off,
    /// Deprecated `scaling.key-group.partitions.adjust.mode: EVENLY_SPREAD`: blocking, with
    /// a `ScalingLimited` event.
    LegacyEvenlySpread,
    /// Deprecated `scaling.key-group.partitions.adjust.mode: MAXIMIZE_UTILISATION`.
    LegacyMaximizeUtilisation,
}

/// The settings a decision depends on (defaults are the operator's, see [`super::knobs`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub target: f64,
    pub boundary: f64,
    pub util_min: Option<f64>,
    pub util_max: Option<f64>,
    pub up_factor: f64,
    pub down_factor: f64,
    pub vertex_min: i64,
    pub vertex_max: i64,
    pub catch_up: Duration,
    pub alignment: Alignment,
    pub scale_down_interval: Duration,
}
