//! The one decoder of the autoscaler's ConfigMap `autoscaler-<name>`, used by `status`
//! and `explain` alike (two copies had drifted apart), read as the operator's
//! `KubernetesAutoScalerStateStore` reads it and every key as Jackson writes it:
//!
//! - `scalingHistory` (gzip + base64 YAML): vertexId -> instant -> ScalingSummary
//!   `{currentParallelism, newParallelism, metrics: {METRIC: {current, average}}}`;
//! - `collectedMetrics` (gzip + base64 YAML): instant -> `{vertexMetrics: {vertexId:
//!   {METRIC: value}}, ...}`, the samples of the metrics window;
//! - `scalingTracking` (gzip + base64 YAML): `{scalingRecords: {instant:
//!   {restartDuration}}}`, one record per executed rescale;
//! - `delayedScaleDown` (plain YAML): `{delayedVertices: {vertexId: {firstTriggerTime,
//!   recommendedParallelisms: [{triggerTime, parallelism, outsideUtilizationBound}]}}}`;
//! - `parallelismOverrides`: Flink's `ConfigurationUtils.convertValue(map, String)`,
//!   the legacy `vertexId:parallelism,...` or, on Flink's standard `config.yaml`, a
//!   YAML flow map `{vertexId: '18', ...}`;
//! - `configOverrides` (plain YAML `ConfigChanges`): `{overrides: {key: value},
//!   removals: [key]}` (memory tuning).
//!
//! Jackson quotes map keys that start with a digit, writes large doubles in E-notation,
//! NaN/Infinity in Java or YAML spelling, Instants and Durations as decimal seconds: all
//! read here. When base64 or gzip fails the value is read as plain YAML, the operator's
//! fallback. Nothing here fails: a value the operator would discard becomes a note
//! that says which key and why, and is left out.

use base64::Engine;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Read;

pub const HISTORY_KEY: &str = "scalingHistory";
pub const METRICS_KEY: &str = "collectedMetrics";
pub const TRACKING_KEY: &str = "scalingTracking";
pub const DELAYED_KEY: &str = "delayedScaleDown";
pub const OVERRIDES_KEY: &str = "parallelismOverrides";
pub const CONFIG_OVERRIDES_KEY: &str = "configOverrides";

/// The name of the autoscaler's ConfigMap for a FlinkDeployment.
pub fn config_map_name(deployment: &str) -> String {
    format!("autoscaler-{deployment}")
}

/// One vertex's parallelism.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VertexParallelism {
    /// The job vertex id (32 hex digits).
    pub id: String,
    pub parallelism: u32,
}

/// The operator refuses to decompress more than this (`MAX_DECOMPRESSED_BYTES`).
const MAX_DECOMPRESSED_BYTES: u64 = 8 * 1024 * 1024;

/// The autoscaler's metric names (`ScalingMetric`); others are reported as unknown.
pub const KNOWN_METRICS: &[&str] = &[
    "LOAD",
    "TRUE_PROCESSING_RATE",
    "OBSERVED_TPR",
    "TARGET_DATA_RATE",
    "CATCH_UP_DATA_RATE",
    "LAG",
    "PARALLELISM",
    "RECOMMENDED_PARALLELISM",
    "MAX_PARALLELISM",
    "NUM_SOURCE_PARTITIONS",
    "SCALE_UP_RATE_THRESHOLD",
    "SCALE_DOWN_RATE_THRESHOLD",
    "EXPECTED_PROCESSING_RATE",
    "NUM_RECORDS_IN",
    "NUM_RECORDS_IN_PER_SECOND",
    "NUM_RECORDS_OUT",
    "NUM_RECORDS_OUT_PER_SECOND",
    "ACCUMULATED_BUSY_TIME",
    "GC_PRESSURE",
    "HEAP_MEMORY_USED",
    "MANAGED_MEMORY_USED",
    "METASPACE_MEMORY_USED",
    "HEAP_MAX_USAGE_RATIO",
    "NUM_TASK_SLOTS_USED",
];

/// A Java double as Jackson writes it to YAML: a number, or NaN / infinity in the
/// YAML (`.nan`, `.inf`, `-.inf`) or Java (`NaN`, `Infinity`, `-Infinity`) spelling.
/// A missing or null value reads as NaN, as an unset metric.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Double(pub f64);

impl<'de> Deserialize<'de> for Double {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DoubleVisitor;
        impl Visitor<'_> for DoubleVisitor {
            type Value = Double;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number, NaN or Infinity")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Double, E> {
                Ok(Double(v))
            }
            #[allow(clippy::cast_precision_loss)]
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Double, E> {
                Ok(Double(v as f64))
            }
            #[allow(clippy::cast_precision_loss)]
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Double, E> {
                Ok(Double(v as f64))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Double, E> {
                Ok(Double(f64::NAN))
            }
            fn visit_none<E: de::Error>(self) -> Result<Double, E> {
                Ok(Double(f64::NAN))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Double, E> {
                parse_java_double(v)
                    .map(Double)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        deserializer.deserialize_any(DoubleVisitor)
    }
}

/// The spellings of a double that are not plain YAML numbers.
pub fn parse_java_double(raw: &str) -> Option<f64> {
    match raw.trim() {
        "NaN" | ".nan" | ".NaN" | ".NAN" => Some(f64::NAN),
        "Infinity" | "+Infinity" | ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            Some(f64::INFINITY)
        }
        "-Infinity" | "-.inf" | "-.Inf" | "-.INF" => Some(f64::NEG_INFINITY),
        other => other.parse::<f64>().ok(),
    }
}

/// One `EvaluatedScalingMetric`: NaN where the operator recorded none.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
pub struct MetricValue {
    #[serde(default = "nan")]
    pub current: Double,
    #[serde(default = "nan")]
    pub average: Double,
}

fn nan() -> Double {
    Double(f64::NAN)
}

impl MetricValue {
    pub fn current(&self) -> Option<f64> {
        (!self.current.0.is_nan()).then_some(self.current.0)
    }
    pub fn average(&self) -> Option<f64> {
        (!self.average.0.is_nan()).then_some(self.average.0)
    }
}

/// One `ScalingSummary`, metrics by their known names.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Summary {
    pub current_parallelism: Option<i64>,
    pub new_parallelism: Option<i64>,
    pub metrics: BTreeMap<String, MetricValue>,
}

impl Summary {
    pub fn current(&self, metric: &str) -> Option<f64> {
        self.metrics.get(metric).and_then(MetricValue::current)
    }
    pub fn average(&self, metric: &str) -> Option<f64> {
        self.metrics.get(metric).and_then(MetricValue::average)
    }
}

/// One entry of `scalingHistory`: a vertex's change at an instant.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedChange {
    pub vertex: String,
    pub at: jiff::Timestamp,
    pub summary: Summary,
}

/// One sample of `collectedMetrics`: the per-vertex busy-time load and source lag, and
/// every finite per-vertex metric by name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sample {
    pub at: Option<jiff::Timestamp>,
    /// vertexId -> metric name -> value (finite values only).
    pub metrics: BTreeMap<String, BTreeMap<String, f64>>,
    /// vertexId -> LOAD (busy time ratio, 0..1).
    pub load: BTreeMap<String, f64>,
    /// vertexId -> LAG (pending records), sources only.
    pub lag: BTreeMap<String, f64>,
}

/// A vertex's pending scale-down (`DelayedScaleDown.VertexDelayedScaleDownInfo`).
#[derive(Debug, Clone, PartialEq)]
pub struct DelayedVertex {
    pub vertex: String,
    pub first_trigger: jiff::Timestamp,
    /// `(triggerTime, parallelism)`, oldest first, as the operator keeps them
    /// (decreasing parallelism).
    pub recommendations: Vec<(jiff::Timestamp, i64)>,
}

/// A rescale the operator executed (`ScalingTracking.scalingRecords`).
#[derive(Debug, Clone, PartialEq)]
pub struct ScalingRecord {
    pub at: jiff::Timestamp,
    /// How long the job took to run again, once the operator saw it.
    pub restart: Option<jiff::SignedDuration>,
}

/// What the ConfigMap says; every part empty when it says nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AutoscalerState {
    pub overrides: Vec<VertexParallelism>,
    /// Sorted by instant, then vertex.
    pub history: Vec<RecordedChange>,
    /// Sorted by instant.
    pub samples: Vec<Sample>,
    pub delayed: Vec<DelayedVertex>,
    /// Sorted by instant.
    pub records: Vec<ScalingRecord>,
    /// `configOverrides.overrides`: option key -> value the autoscaler applies.
    pub config_overrides: BTreeMap<String, String>,
    /// `configOverrides.removals`: keys the autoscaler removes.
    pub config_removals: Vec<String>,
    /// Whether `collectedMetrics` was present (even if unreadable).
    pub has_metrics_key: bool,
    /// One line per value that could not be read (`<key>: <why>`).
    pub notes: Vec<String>,
}

/// Reads the autoscaler's ConfigMap.
pub fn read(config_map: &Value) -> AutoscalerState {
    let data = |key: &str| {
        config_map
            .pointer(&format!("/data/{key}"))
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
    };
    let mut state = AutoscalerState::default();
    if let Some(raw) = data(OVERRIDES_KEY) {
        let (overrides, dropped) = parse_overrides(raw);
        state.overrides = overrides;
        if !dropped.is_empty() {
            state.notes.push(format!(
                "{OVERRIDES_KEY}: ignored entries that are not vertexId:parallelism with a positive parallelism: {}",
                dropped.join(", ")
            ));
        }
    }
    if let Some(raw) = data(HISTORY_KEY) {
        match decode_yaml::<History>(raw) {
            Ok(history) => state.history = history_of(history, &mut state.notes),
            Err(why) => state.notes.push(format!("{HISTORY_KEY}: {why}")),
        }
    }
    if let Some(raw) = data(METRICS_KEY) {
        state.has_metrics_key = true;
        match decode_yaml::<Collected>(raw) {
            Ok(collected) => state.samples = samples_of(collected, &mut state.notes),
            Err(why) => state.notes.push(format!("{METRICS_KEY}: {why}")),
        }
    }
    // Both are objects; reading them as maps refuses a scalar at once, with the reason
    // the value was not taken as compressed.
    if let Some(raw) = data(TRACKING_KEY) {
        match decode_yaml::<serde_json::Map<String, Value>>(raw) {
            Ok(tracking) => state.records = records_of(&Value::Object(tracking), &mut state.notes),
            Err(why) => state.notes.push(format!("{TRACKING_KEY}: {why}")),
        }
    }
    if let Some(raw) = data(DELAYED_KEY) {
        match decode_yaml::<serde_json::Map<String, Value>>(raw) {
            Ok(delayed) => state.delayed = delayed_of(&Value::Object(delayed), &mut state.notes),
            Err(why) => state.notes.push(format!("{DELAYED_KEY}: {why}")),
        }
    }
    if let Some(raw) = data(CONFIG_OVERRIDES_KEY) {
        match decode_yaml::<serde_json::Map<String, Value>>(raw) {
            Ok(changes) => config_changes_of(&changes, &mut state),
            Err(why) => state.notes.push(format!("{CONFIG_OVERRIDES_KEY}: {why}")),
        }
    }
    state
}

/// `ConfigChanges`: `overrides` (key -> string) and `removals` (keys).
fn config_changes_of(changes: &serde_json::Map<String, Value>, state: &mut AutoscalerState) {
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match changes.get("overrides") {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (key, value) in map {
                match scalar(value) {
                    Some(v) => {
                        state.config_overrides.insert(key.clone(), v);
                    }
                    None => state.notes.push(format!(
                        "{CONFIG_OVERRIDES_KEY}: overrides.{key} is not a scalar; ignored"
                    )),
                }
            }
        }
        Some(_) => state.notes.push(format!(
            "{CONFIG_OVERRIDES_KEY}: overrides is not a map of options; ignored"
        )),
    }
    match changes.get("removals") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            state.config_removals = items.iter().filter_map(scalar).collect();
            state.config_removals.sort();
        }
        Some(_) => state.notes.push(format!(
            "{CONFIG_OVERRIDES_KEY}: removals is not a list of keys; ignored"
        )),
    }
}

/// `parallelismOverrides` as Flink writes a `Map<String, String>` option: the legacy
/// `vertexId:parallelism,...`, or the YAML flow map `{vertexId: '18', ...}` of Flink's
/// standard `config.yaml` (>= 1.19). Returns the valid entries (sorted by id) and the
/// rejected ones as written; a parallelism that is not a positive integer is dropped,
/// as the operator drops it.
pub fn parse_overrides(raw: &str) -> (Vec<VertexParallelism>, Vec<String>) {
    let unquote = |s: &str| {
        let s = s.trim();
        s.strip_prefix('\'')
            .and_then(|s| s.strip_suffix('\''))
            .or_else(|| s.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
            .unwrap_or(s)
            .trim()
            .to_string()
    };
    let trimmed = raw.trim();
    // The flow map: vertex ids are hex and parallelisms digits, so neither holds a
    // comma or a colon and the entries split as in the legacy form.
    let body = trimmed
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .unwrap_or(trimmed);
    let mut valid = BTreeMap::new();
    let mut dropped = Vec::new();
    for entry in body.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let parsed = entry.rsplit_once(':').and_then(|(id, p)| {
            let id = unquote(id);
            let p = unquote(p).parse::<u32>().ok().filter(|p| *p > 0)?;
            (!id.is_empty()).then_some((id, p))
        });
        match parsed {
            Some((id, p)) => {
                valid.insert(id, p);
            }
            None => dropped.push(entry.to_string()),
        }
    }
    let valid = valid
        .into_iter()
        .map(|(id, parallelism)| VertexParallelism { id, parallelism })
        .collect();
    (valid, dropped)
}

/// Java's `Instant.toString()` (`2026-07-01T10:15:30.123Z`), or the decimal epoch
/// seconds Jackson writes when timestamps are numeric (`1782900930.123000000`).
pub fn parse_instant(raw: &str) -> Option<jiff::Timestamp> {
    let raw = raw.trim();
    if let Ok(t) = raw.parse::<jiff::Timestamp>() {
        return Some(t);
    }
    let (secs, frac) = raw.split_once('.').unwrap_or((raw, ""));
    let secs: i64 = secs.parse().ok()?;
    if !frac.chars().all(|c| c.is_ascii_digit()) || frac.len() > 9 {
        return None;
    }
    let nanos: i32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    jiff::Timestamp::new(secs, nanos).ok()
}

/// How a value was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Decoded {
    /// base64 of gzip, as the operator writes it now.
    Compressed(String),
    /// Not base64+gzip (the reason), so taken as plain YAML.
    Plain { text: String, why: String },
}

/// base64 then gzip, or the text itself when either fails (the operator's fallback).
/// Only an oversized or non-UTF-8 payload is an error.
fn decode(raw: &str) -> Result<Decoded, String> {
    let compact: String = raw.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = match base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
        Ok(bytes) => bytes,
        Err(e) => {
            return Ok(Decoded::Plain {
                text: raw.to_string(),
                why: format!("not base64 ({e})"),
            });
        }
    };
    let mut text = Vec::new();
    let mut decoder =
        flate2::read::GzDecoder::new(bytes.as_slice()).take(MAX_DECOMPRESSED_BYTES + 1);
    if let Err(e) = decoder.read_to_end(&mut text) {
        return Ok(Decoded::Plain {
            text: raw.to_string(),
            why: format!("base64, but not gzip ({e})"),
        });
    }
    if text.len() as u64 > MAX_DECOMPRESSED_BYTES {
        return Err(format!(
            "larger than {} MiB decompressed; the operator discards it",
            MAX_DECOMPRESSED_BYTES >> 20
        ));
    }
    String::from_utf8(text)
        .map(Decoded::Compressed)
        .map_err(|_| "gzip data that is not UTF-8 text; the operator discards it".into())
}

/// Decodes a value and parses its YAML, explaining a failure in one line.
fn decode_yaml<T: for<'de> Deserialize<'de> + Default>(raw: &str) -> Result<T, String> {
    let (text, plain_why) = match decode(raw)? {
        Decoded::Compressed(text) => (text, None),
        Decoded::Plain { text, why } => (text, Some(why)),
    };
    // A long history of a job with many vertices has many nodes; the size is already
    // bounded by the decompression limit. Metrics may be NaN or infinite.
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_events: 50_000_000,
            max_nodes: 10_000_000,
        },
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::PassThrough,
    };
    let parsed: Result<Option<T>, _> = serde_saphyr::from_str_with_options(&text, options);
    match (parsed, plain_why) {
        (Ok(value), _) => Ok(value.unwrap_or_default()),
        (Err(e), None) => Err(format!(
            "decompressed, but not the YAML the autoscaler writes: {}; the operator discards it",
            first_line(&e.to_string())
        )),
        (Err(e), Some(why)) => Err(format!(
            "{why}, and not the autoscaler's plain YAML either ({}); the operator discards it",
            first_line(&e.to_string())
        )),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

/// A `ScalingSummary` as written; metrics kept by name so unknown ones can be named.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawSummary {
    current_parallelism: Option<i64>,
    new_parallelism: Option<i64>,
    metrics: Option<BTreeMap<String, Option<MetricValue>>>,
}

type History = BTreeMap<String, Option<BTreeMap<String, Option<RawSummary>>>>;

fn history_of(history: History, notes: &mut Vec<String>) -> Vec<RecordedChange> {
    let mut unknown = BTreeSet::new();
    let mut bad_instants = BTreeSet::new();
    let mut out = Vec::new();
    for (vertex, by_time) in history {
        for (at, summary) in by_time.into_iter().flatten() {
            let Some(instant) = parse_instant(&at) else {
                bad_instants.insert(at);
                continue;
            };
            let raw = summary.unwrap_or_default();
            let mut metrics = BTreeMap::new();
            for (name, value) in raw.metrics.into_iter().flatten() {
                if !KNOWN_METRICS.contains(&name.as_str()) {
                    unknown.insert(name);
                    continue;
                }
                if let Some(value) = value {
                    metrics.insert(name, value);
                }
            }
            out.push(RecordedChange {
                vertex: vertex.clone(),
                at: instant,
                summary: Summary {
                    current_parallelism: raw.current_parallelism,
                    new_parallelism: raw.new_parallelism,
                    metrics,
                },
            });
        }
    }
    note_unknown(HISTORY_KEY, &unknown, &bad_instants, notes);
    out.sort_by(|a, b| (a.at, &a.vertex).cmp(&(b.at, &b.vertex)));
    out
}

fn note_unknown(
    key: &str,
    unknown: &BTreeSet<String>,
    bad_instants: &BTreeSet<String>,
    notes: &mut Vec<String>,
) {
    if !unknown.is_empty() {
        notes.push(format!(
            "{key}: unknown metric names ignored: {}",
            unknown.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
    if !bad_instants.is_empty() {
        notes.push(format!(
            "{key}: entries whose time is not an instant were ignored: {}",
            bad_instants.iter().cloned().collect::<Vec<_>>().join(", ")
        ));
    }
}

/// `CollectedMetrics`: only the per-vertex metrics are read.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCollected {
    vertex_metrics: Option<BTreeMap<String, Option<BTreeMap<String, Double>>>>,
    #[allow(dead_code)]
    global_metrics: Option<IgnoredAny>,
    #[allow(dead_code)]
    output_ratios: Option<IgnoredAny>,
}

type Collected = BTreeMap<String, Option<RawCollected>>;

fn samples_of(collected: Collected, notes: &mut Vec<String>) -> Vec<Sample> {
    let mut unknown = BTreeSet::new();
    let mut bad_instants = BTreeSet::new();
    let mut out = Vec::new();
    for (at, sample) in collected {
        let Some(instant) = parse_instant(&at) else {
            bad_instants.insert(at);
            continue;
        };
        let mut s = Sample {
            at: Some(instant),
            ..Sample::default()
        };
        for (vertex, metrics) in sample.and_then(|s| s.vertex_metrics).into_iter().flatten() {
            for (name, value) in metrics.into_iter().flatten() {
                if value.0.is_finite() && KNOWN_METRICS.contains(&name.as_str()) {
                    s.metrics
                        .entry(vertex.clone())
                        .or_default()
                        .insert(name.clone(), value.0);
                }
                match name.as_str() {
                    "LOAD" if value.0.is_finite() => {
                        s.load.insert(vertex.clone(), value.0);
                    }
                    "LAG" if value.0.is_finite() => {
                        s.lag.insert(vertex.clone(), value.0);
                    }
                    known if KNOWN_METRICS.contains(&known) => {}
                    _ => {
                        unknown.insert(name);
                    }
                }
            }
        }
        out.push(s);
    }
    note_unknown(METRICS_KEY, &unknown, &bad_instants, notes);
    out.sort_by_key(|s| s.at);
    out
}

/// An instant as Jackson's JavaTimeModule writes a value (not a map key): decimal
/// epoch seconds (`1782900930.123000000`), or ISO-8601 when configured so.
fn instant_value(v: &Value) -> Option<jiff::Timestamp> {
    match v {
        Value::String(s) => parse_instant(s),
        Value::Number(n) => {
            if let Some(secs) = n.as_i64() {
                return jiff::Timestamp::from_second(secs).ok();
            }
            // Round to the millisecond: the operator's clock has no finer grain, and
            // the decimal seconds went through a double.
            let millis = (n.as_f64()? * 1000.0).round();
            if !millis.is_finite() || millis.abs() > 1e17 {
                return None;
            }
            #[allow(clippy::cast_possible_truncation)]
            jiff::Timestamp::from_millisecond(millis as i64).ok()
        }
        _ => None,
    }
}

/// A `java.time.Duration` as Jackson writes it: decimal seconds (`95.250000000`) or
/// ISO-8601 (`PT1M35.25S`).
fn duration_value(v: &Value) -> Option<jiff::SignedDuration> {
    match v {
        Value::String(s) => s
            .parse::<jiff::SignedDuration>()
            .ok()
            .or_else(|| jiff::SignedDuration::try_from_secs_f64(s.trim().parse().ok()?).ok()),
        Value::Number(n) => jiff::SignedDuration::try_from_secs_f64(n.as_f64()?).ok(),
        _ => None,
    }
}

fn records_of(tracking: &Value, notes: &mut Vec<String>) -> Vec<ScalingRecord> {
    let Some(records) = tracking.get("scalingRecords").filter(|r| !r.is_null()) else {
        return Vec::new();
    };
    let Some(records) = records.as_object() else {
        notes.push(format!(
            "{TRACKING_KEY}: scalingRecords is not a map of instants; ignored"
        ));
        return Vec::new();
    };
    let mut out: Vec<ScalingRecord> = records
        .iter()
        .filter_map(|(at, record)| {
            Some(ScalingRecord {
                at: parse_instant(at)?,
                restart: record.get("restartDuration").and_then(duration_value),
            })
        })
        .collect();
    if out.len() < records.len() {
        notes.push(format!(
            "{TRACKING_KEY}: records whose time is not an instant were ignored"
        ));
    }
    out.sort_by_key(|r| r.at);
    out
}

fn delayed_of(delayed: &Value, notes: &mut Vec<String>) -> Vec<DelayedVertex> {
    let Some(vertices) = delayed.get("delayedVertices").filter(|v| !v.is_null()) else {
        return Vec::new();
    };
    let Some(vertices) = vertices.as_object() else {
        notes.push(format!(
            "{DELAYED_KEY}: delayedVertices is not a map of vertices; ignored"
        ));
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut broken = Vec::new();
    for (vertex, info) in vertices {
        // Older operators stored only the first trigger time per vertex.
        let first = info
            .get("firstTriggerTime")
            .and_then(instant_value)
            .or_else(|| instant_value(info));
        let Some(first_trigger) = first else {
            broken.push(vertex.clone());
            continue;
        };
        let recommendations = info
            .get("recommendedParallelisms")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| {
                Some((
                    instant_value(r.get("triggerTime")?)?,
                    r.get("parallelism")?.as_i64()?,
                ))
            })
            .collect();
        out.push(DelayedVertex {
            vertex: vertex.clone(),
            first_trigger,
            recommendations,
        });
    }
    if !broken.is_empty() {
        notes.push(format!(
            "{DELAYED_KEY}: vertices without a readable firstTriggerTime were ignored: {}",
            broken.join(", ")
        ));
    }
    out.sort_by(|a, b| a.vertex.cmp(&b.vertex));
    out
}

/// As the operator's `compress`: gzip, then base64 (for tests of the reading side).
#[cfg(test)]
pub(crate) fn compress(text: &str) -> String {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).expect("writing to memory");
    base64::engine::general_purpose::STANDARD.encode(gz.finish().expect("writing to memory"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const V1: &str = "bc764cd8ddf7a0cff126f51c16239658";
    const V2: &str = "0a448493b4782967b150582570326227";

    fn cm(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "autoscaler-x"}, "data": data})
    }

    fn history_yaml() -> String {
        format!(
            "---\n\
             {V1}:\n\
             \x20 \"2026-07-01T10:00:00Z\":\n\
             \x20   currentParallelism: 2\n\
             \x20   newParallelism: 4\n\
             \x20   metrics:\n\
             \x20     TRUE_PROCESSING_RATE: {{current: .inf, average: 1000.5}}\n\
             \x20     TARGET_DATA_RATE: {{current: NaN, average: 1800.0}}\n\
             \x20     CATCH_UP_DATA_RATE: {{current: 200.0, average: .nan}}\n\
             \x20     EXPECTED_PROCESSING_RATE: {{current: 2857.0, average: NaN}}\n\
             \x20     LAG: {{current: 360000.0, average: -Infinity}}\n\
             {V2}:\n\
             \x20 \"2026-07-01T10:00:00Z\":\n\
             \x20   currentParallelism: 6\n\
             \x20   newParallelism: 3\n"
        )
    }

    #[test]
    fn compressed_history_keeps_metrics_in_both_nan_spellings() {
        let state = read(&cm(json!({HISTORY_KEY: compress(&history_yaml())})));
        assert_eq!(state.notes, Vec::<String>::new());
        assert_eq!(state.history.len(), 2);
        let first = &state.history[0];
        assert_eq!(first.vertex, V2);
        let v1 = &state.history[1].summary;
        assert_eq!(
            (v1.current_parallelism, v1.new_parallelism),
            (Some(2), Some(4))
        );
        assert_eq!(v1.average("TRUE_PROCESSING_RATE"), Some(1000.5));
        assert_eq!(v1.current("TRUE_PROCESSING_RATE"), Some(f64::INFINITY));
        assert_eq!(v1.current("TARGET_DATA_RATE"), None);
        assert_eq!(v1.average("TARGET_DATA_RATE"), Some(1800.0));
        assert_eq!(v1.current("CATCH_UP_DATA_RATE"), Some(200.0));
        assert_eq!(v1.average("LAG"), Some(f64::NEG_INFINITY));
    }

    #[test]
    fn plain_yaml_is_the_fallback() {
        let plain = read(&cm(json!({HISTORY_KEY: history_yaml()})));
        let packed = read(&cm(json!({HISTORY_KEY: compress(&history_yaml())})));
        // NaN is not equal to itself: compare what was read, as printed.
        assert_eq!(format!("{plain:?}"), format!("{packed:?}"));
        assert_eq!(plain.history.len(), 2);
    }

    #[test]
    fn malformed_values_become_notes() {
        let state = read(&cm(json!({
            HISTORY_KEY: "%%% not base64 %%%",
            METRICS_KEY: "H4sIAAAA",
            TRACKING_KEY: compress("[1, 2"),
            DELAYED_KEY: "delayedVertices: 5",
        })));
        assert!(state.history.is_empty() && state.samples.is_empty());
        assert_eq!(state.notes.len(), 4, "{:#?}", state.notes);
        assert!(
            state.notes[0].starts_with("scalingHistory: not base64")
                && state.notes[0].contains("not the autoscaler's plain YAML either"),
            "{}",
            state.notes[0]
        );
        assert!(
            state.notes[1].starts_with("collectedMetrics: base64, but not gzip"),
            "{}",
            state.notes[1]
        );
        assert!(
            state.notes[2].starts_with("scalingTracking: decompressed, but not the YAML"),
            "{}",
            state.notes[2]
        );
        assert!(
            state.notes[3].contains("delayedVertices is not a map"),
            "{}",
            state.notes[3]
        );
    }

    #[test]
    fn a_scalar_where_a_map_belongs_says_why_it_was_not_decompressed() {
        let state = read(&cm(json!({TRACKING_KEY: "bm90IGd6aXAgYXQgYWxs"})));
        assert_eq!(state.notes.len(), 1);
        assert!(
            state.notes[0].starts_with("scalingTracking: base64, but not gzip")
                && state.notes[0].contains("not the autoscaler's plain YAML either"),
            "{}",
            state.notes[0]
        );
    }

    #[test]
    fn unknown_metric_names_and_bad_instants_are_named() {
        let yaml = format!(
            "{V1}:\n  \"2026-07-01T10:00:00Z\":\n    currentParallelism: 1\n    newParallelism: 2\n    metrics:\n      LOAD: {{current: 0.5, average: 0.5}}\n      WARP_FACTOR: {{current: 9, average: 9}}\n  yesterday:\n    currentParallelism: 1\n    newParallelism: 2\n"
        );
        let state = read(&cm(json!({HISTORY_KEY: compress(&yaml)})));
        assert_eq!(state.history.len(), 1);
        assert_eq!(
            state.notes,
            [
                "scalingHistory: unknown metric names ignored: WARP_FACTOR",
                "scalingHistory: entries whose time is not an instant were ignored: yesterday",
            ]
        );
    }

    #[test]
    fn collected_metrics_give_load_and_lag() {
        let yaml = format!(
            "\"2026-07-01T11:50:00Z\":\n  vertexMetrics:\n    {V1}: {{LOAD: 0.5, LAG: 100.0, NUM_RECORDS_IN: 5.0}}\n    {V2}: {{LOAD: NaN}}\n  globalMetrics: {{GC_PRESSURE: 0.1}}\n  outputRatios: {{}}\n\"2026-07-01T11:40:00Z\":\n  vertexMetrics:\n    {V1}: {{LOAD: 0.7, FOO: 1}}\n"
        );
        let state = read(&cm(json!({METRICS_KEY: compress(&yaml)})));
        assert!(state.has_metrics_key);
        assert_eq!(state.samples.len(), 2);
        assert_eq!(state.samples[0].load.get(V1), Some(&0.7));
        assert_eq!(state.samples[1].lag.get(V1), Some(&100.0));
        assert!(!state.samples[1].load.contains_key(V2));
        assert_eq!(
            state.notes,
            ["collectedMetrics: unknown metric names ignored: FOO"]
        );
    }

    #[test]
    fn delayed_scale_down_in_current_and_old_shapes() {
        let current = format!(
            "delayedVertices:\n  {V1}:\n    firstTriggerTime: 1782906000.000000000\n    recommendedParallelisms:\n    - triggerTime: 1782906000.000000000\n      parallelism: 4\n      outsideUtilizationBound: true\n    - triggerTime: \"2026-07-01T11:50:00Z\"\n      parallelism: 3\n      outsideUtilizationBound: false\n"
        );
        let state = read(&cm(json!({DELAYED_KEY: current})));
        assert_eq!(state.notes, Vec::<String>::new());
        assert_eq!(state.delayed.len(), 1);
        let d = &state.delayed[0];
        assert_eq!(d.first_trigger.to_string(), "2026-07-01T11:40:00Z");
        assert_eq!(d.recommendations.len(), 2);
        assert_eq!(d.recommendations[1].1, 3);

        let old = format!("delayedVertices:\n  {V2}: \"2026-07-01T11:00:00Z\"\n");
        let state = read(&cm(json!({DELAYED_KEY: old})));
        assert_eq!(
            state.delayed[0].first_trigger.to_string(),
            "2026-07-01T11:00:00Z"
        );
        assert!(state.delayed[0].recommendations.is_empty());
    }

    #[test]
    fn scaling_records_with_both_duration_spellings() {
        let yaml = "scalingRecords:\n  \"2026-07-01T10:00:00Z\":\n    restartDuration: 95.250000000\n  \"2026-07-01T11:00:00Z\":\n    restartDuration: PT2M\n  \"2026-07-01T11:30:00Z\": {}\n";
        let state = read(&cm(json!({TRACKING_KEY: compress(yaml)})));
        assert_eq!(state.notes, Vec::<String>::new());
        let restarts: Vec<Option<i64>> = state
            .records
            .iter()
            .map(|r| r.restart.map(|d| d.as_millis() as i64))
            .collect();
        assert_eq!(restarts, [Some(95_250), Some(120_000), None]);
    }

    #[test]
    fn java_doubles() {
        assert!(parse_java_double("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_java_double("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_java_double(".inf"), Some(f64::INFINITY));
        assert_eq!(parse_java_double("12.5"), Some(12.5));
        assert_eq!(parse_java_double("many"), None);
    }

    /// The shapes Jackson's YAML mapper (the operator's `YAML_MAPPER`) writes: quoted
    /// ids that start with a digit, unquoted ones, E-notation, Java and YAML NaN and
    /// Infinity, decimal-seconds instants and durations.
    #[test]
    fn every_key_as_jackson_writes_it() {
        let history = "---\n\
            \"0a448493b4782967b150582570326227\":\n\
            \x20 \"2026-07-01T10:00:00Z\":\n\
            \x20   metrics:\n\
            \x20     TARGET_DATA_RATE:\n\
            \x20       current: .nan\n\
            \x20       average: 2.398735E4\n\
            \x20     LAG:\n\
            \x20       current: 1.2312E7\n\
            \x20       average: NaN\n\
            \x20     SCALE_DOWN_RATE_THRESHOLD:\n\
            \x20       current: Infinity\n\
            \x20       average: .nan\n\
            \x20   currentParallelism: 8\n\
            \x20   newParallelism: 9\n\
            bc764cd8ddf7a0cff126f51c16239658:\n\
            \x20 \"2026-07-01T10:00:00Z\":\n\
            \x20   currentParallelism: 16\n\
            \x20   newParallelism: 8\n";
        let tracking = "---\nscalingRecords:\n  \"2026-07-01T10:00:00Z\":\n    restartDuration: 52.000000000\n";
        let delayed = "---\ndelayedVertices:\n  bc764cd8ddf7a0cff126f51c16239658:\n    firstTriggerTime: 1782900930.123000000\n    recommendedParallelisms:\n    - triggerTime: 1782900930.123000000\n      parallelism: 4\n      outsideUtilizationBound: false\n";
        let overrides = "---\noverrides:\n  taskmanager.memory.process.size: 2 gb\n  taskmanager.memory.managed.fraction: \"0.0\"\nremovals:\n- taskmanager.memory.network.fraction\n";
        let state = read(&cm(json!({
            HISTORY_KEY: compress(history),
            TRACKING_KEY: compress(tracking),
            DELAYED_KEY: delayed,
            CONFIG_OVERRIDES_KEY: overrides,
            OVERRIDES_KEY: "{'0a448493b4782967b150582570326227': '9', bc764cd8ddf7a0cff126f51c16239658: '8'}",
        })));
        assert_eq!(state.notes, Vec::<String>::new());
        let source = &state.history[0];
        assert_eq!(source.vertex, V2);
        assert_eq!(source.summary.average("TARGET_DATA_RATE"), Some(23_987.35));
        assert_eq!(source.summary.current("LAG"), Some(12_312_000.0));
        assert_eq!(
            source.summary.current("SCALE_DOWN_RATE_THRESHOLD"),
            Some(f64::INFINITY)
        );
        assert_eq!(state.history[1].vertex, V1);
        assert_eq!(
            state.records[0].restart,
            Some(jiff::SignedDuration::from_secs(52))
        );
        assert_eq!(
            state.delayed[0].first_trigger.to_string(),
            "2026-07-01T10:15:30.123Z"
        );
        assert_eq!(
            state
                .overrides
                .iter()
                .map(|o| (o.id.as_str(), o.parallelism))
                .collect::<Vec<_>>(),
            [(V2, 9), (V1, 8)]
        );
        assert_eq!(
            state
                .config_overrides
                .get("taskmanager.memory.process.size"),
            Some(&"2 gb".to_string())
        );
        assert_eq!(
            state.config_removals,
            ["taskmanager.memory.network.fraction"]
        );
    }

    #[test]
    fn bad_overrides_and_config_changes_are_notes() {
        let state = read(&cm(json!({
            OVERRIDES_KEY: "{a: '0', b: x, c: '3'}",
            CONFIG_OVERRIDES_KEY: "overrides: [1, 2]\nremovals: 5\n",
        })));
        assert_eq!(state.overrides.len(), 1);
        assert_eq!(state.notes.len(), 3, "{:?}", state.notes);
        assert!(state.notes[0].contains("a: '0', b: x"), "{:?}", state.notes);
    }

    /// Every ConfigMap the operator's own code wrote in the end-to-end fixtures
    /// (`tests/fixtures/explain/operator/*/configmap-*.yaml`, see their README)
    /// decodes without a note, both `parallelismOverrides` forms included.
    #[test]
    fn every_operator_written_config_map_decodes_cleanly() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/explain/operator");
        let mut read_maps = 0;
        let mut overrides_seen = 0;
        let mut config_overrides_seen = 0;
        for scenario in std::fs::read_dir(&root).expect("fixtures exist") {
            let dir = scenario.expect("entry").path();
            if !dir.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(&dir).expect("scenario dir") {
                let path = file.expect("entry").path();
                let name = path.file_name().unwrap().to_string_lossy().to_string();
                if !(name.starts_with("configmap-") && name.ends_with(".yaml")) {
                    continue;
                }
                let text = std::fs::read_to_string(&path).expect("reads");
                let cm: Value = serde_saphyr::from_str(&text).expect("YAML");
                let state = read(&cm);
                assert_eq!(state.notes, Vec::<String>::new(), "{}", path.display());
                let raw = cm
                    .pointer("/data/parallelismOverrides")
                    .and_then(Value::as_str);
                if let Some(raw) = raw.filter(|r| !r.trim().is_empty()) {
                    assert!(!state.overrides.is_empty(), "{}", path.display());
                    assert!(
                        state.overrides.iter().all(|o| o.id.len() == 32),
                        "{}: {:?}",
                        path.display(),
                        state.overrides
                    );
                    assert_eq!(state.overrides.len(), raw.matches(':').count(), "{raw}");
                    overrides_seen += 1;
                }
                config_overrides_seen += usize::from(!state.config_overrides.is_empty());
                read_maps += 1;
            }
        }
        assert!(read_maps >= 80, "{read_maps}");
        assert!(overrides_seen > 10 && config_overrides_seen > 0);
    }

    #[test]
    fn oversized_payloads_are_refused() {
        let big = "a".repeat(usize::try_from(MAX_DECOMPRESSED_BYTES).unwrap() + 10);
        let state = read(&cm(json!({HISTORY_KEY: compress(&big)})));
        assert!(state.notes[0].contains("8 MiB"), "{:?}", state.notes);
    }
}
