//! Everything `explain` reads from the autoscaler's ConfigMap `autoscaler-<name>`,
//! decoded as the operator's `KubernetesAutoScalerStateStore` decodes it:
//!
//! - `scalingHistory` (gzip + base64 YAML): vertexId -> instant -> ScalingSummary
//!   `{currentParallelism, newParallelism, metrics: {METRIC: {current, average}}}`;
//! - `collectedMetrics` (gzip + base64 YAML): instant -> `{vertexMetrics: {vertexId:
//!   {METRIC: value}}, ...}`, the samples of the metrics window;
//! - `scalingTracking` (gzip + base64 YAML): `{scalingRecords: {instant:
//!   {restartDuration}}}`, one record per executed rescale;
//! - `delayedScaleDown` (plain YAML): `{delayedVertices: {vertexId: {firstTriggerTime,
//!   recommendedParallelisms: [{triggerTime, parallelism, outsideUtilizationBound}]}}}`;
//! - `parallelismOverrides` (plain `vertexId:parallelism,...`).
//!
//! When base64 or gzip fails the value is read as plain YAML, the operator's fallback.
//! Nothing here fails: a value the operator would discard becomes a note that says
//! which key and why, and is left out, so that `explain` always answers.

use crate::status::autoscaler_state::{VertexParallelism, parse_instant, parse_overrides};
use base64::Engine;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Read;

pub const HISTORY_KEY: &str = "scalingHistory";
pub const METRICS_KEY: &str = "collectedMetrics";
pub const TRACKING_KEY: &str = "scalingTracking";
pub const DELAYED_KEY: &str = "delayedScaleDown";
pub const OVERRIDES_KEY: &str = "parallelismOverrides";

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

/// One sample of `collectedMetrics`: the per-vertex busy-time load and source lag.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sample {
    pub at: Option<jiff::Timestamp>,
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
    state
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
            let secs = n.as_f64()?;
            jiff::Timestamp::from_duration(jiff::SignedDuration::try_from_secs_f64(secs).ok()?).ok()
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

    #[test]
    fn oversized_payloads_are_refused() {
        let big = "a".repeat(usize::try_from(MAX_DECOMPRESSED_BYTES).unwrap() + 10);
        let state = read(&cm(json!({HISTORY_KEY: compress(&big)})));
        assert!(state.notes[0].contains("8 MiB"), "{:?}", state.notes);
    }
}
