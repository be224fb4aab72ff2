//! What the Flink autoscaler recorded in its ConfigMap `autoscaler-<name>`: the
//! parallelism overrides it applies and its scaling history. Read as the operator's
//! `KubernetesAutoScalerStateStore` reads them, so that the plugin shows what the
//! operator will act on:
//!
//! - `parallelismOverrides`: plain `vertexId:parallelism,...`; entries whose
//!   parallelism is not a positive integer are dropped, as the operator drops them.
//! - `scalingHistory`: YAML, gzip-compressed, then base64. When that decoding fails
//!   the value is taken as plain YAML (the operator's fallback for ConfigMaps written
//!   before compression). A map vertexId -> instant -> `{currentParallelism,
//!   newParallelism, metrics}`.
//!
//! Nothing here fails: a value that cannot be read is reported as a problem and left
//! out, as the operator discards unreadable state.

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;

/// The ConfigMap keys read here.
pub const OVERRIDES_KEY: &str = "parallelismOverrides";
pub const HISTORY_KEY: &str = "scalingHistory";

/// The operator refuses to decompress more than this (`MAX_DECOMPRESSED_BYTES`).
const MAX_DECOMPRESSED_BYTES: u64 = 8 * 1024 * 1024;

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

/// One vertex's change in a scaling decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VertexChange {
    pub id: String,
    /// `currentParallelism` of the recorded summary (null when the operator wrote none).
    pub from: Option<i64>,
    /// `newParallelism`.
    pub to: Option<i64>,
}

/// Which way the newest scaling decision went, over the vertices it changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Every vertex went up.
    Up,
    /// Every vertex went down.
    Down,
    /// Some up, some down.
    Mixed,
    /// No vertex changed (or the parallelisms are unknown).
    Unchanged,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
            Direction::Mixed => "mixed",
            Direction::Unchanged => "unchanged",
        }
    }
}

/// The newest entry of the scaling history: the instant and every vertex recorded at
/// that instant (one scaling decision records all its vertices at the same instant).
#[derive(Debug, Clone, PartialEq)]
pub struct LastDecision {
    pub at: jiff::Timestamp,
    pub direction: Direction,
    pub vertices: Vec<VertexChange>,
}

/// What the ConfigMap says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AutoscalerState {
    /// The overrides, sorted by vertex id.
    pub overrides: Vec<VertexParallelism>,
    pub last_decision: Option<LastDecision>,
    /// Values that could not be read, one line each (`<key>: <why>`).
    pub problems: Vec<String>,
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
            state.problems.push(format!(
                "{OVERRIDES_KEY}: ignored entries that are not vertexId:parallelism with a positive parallelism: {}",
                dropped.join(", ")
            ));
        }
    }
    if let Some(raw) = data(HISTORY_KEY) {
        match decode_compressed(raw).and_then(|yaml| parse_history(&yaml)) {
            Ok(history) => state.last_decision = last_decision(&history),
            Err(why) => state.problems.push(format!("{HISTORY_KEY}: {why}")),
        }
    }
    state
}

/// `vertexId:parallelism,...` as Flink writes a `Map<String, String>` option. Returns
/// the valid entries (sorted by id) and the rejected ones as written.
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
    let mut valid = BTreeMap::new();
    let mut dropped = Vec::new();
    for entry in raw.split(',').map(str::trim).filter(|e| !e.is_empty()) {
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

/// base64, then gzip, as the operator's `compress` writes; anything that is not both
/// is returned as it is, to be read as plain YAML (the operator's `decompress` does
/// the same). Only an oversized payload is an error.
pub fn decode_compressed(raw: &str) -> Result<String, String> {
    let compact: String = raw.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) else {
        return Ok(raw.to_string());
    };
    let mut text = Vec::new();
    let mut decoder =
        flate2::read::GzDecoder::new(bytes.as_slice()).take(MAX_DECOMPRESSED_BYTES + 1);
    if decoder.read_to_end(&mut text).is_err() {
        return Ok(raw.to_string());
    }
    if text.len() as u64 > MAX_DECOMPRESSED_BYTES {
        return Err(format!(
            "larger than {} MiB decompressed; the operator discards it",
            MAX_DECOMPRESSED_BYTES >> 20
        ));
    }
    String::from_utf8(text).map_err(|_| "decompressed to something that is not UTF-8 text".into())
}

/// One `ScalingSummary`; its metrics are not needed here and not read.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    current_parallelism: Option<i64>,
    new_parallelism: Option<i64>,
}

/// vertexId -> instant (as written) -> summary.
type History = BTreeMap<String, Option<BTreeMap<String, Option<Summary>>>>;

fn parse_history(yaml: &str) -> Result<History, String> {
    // A long history of a job with many vertices has many nodes; the size is
    // already bounded by the decompression limit. Metrics may be NaN or infinite
    // (`.nan`, `.inf`), which the parser refuses by default even in skipped values.
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_events: 50_000_000,
            max_nodes: 10_000_000,
        },
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::PassThrough,
    };
    let history: Option<History> = serde_saphyr::from_str_with_options(yaml, options)
        .map_err(|e| format!("not the autoscaler's YAML: {}", first_line(&e.to_string())))?;
    Ok(history.unwrap_or_default())
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
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

fn last_decision(history: &History) -> Option<LastDecision> {
    let entries: Vec<(&String, jiff::Timestamp, Summary)> = history
        .iter()
        .flat_map(|(vertex, by_time)| {
            by_time.iter().flatten().filter_map(move |(at, summary)| {
                Some((vertex, parse_instant(at)?, summary.unwrap_or_default()))
            })
        })
        .collect();
    let newest = entries.iter().map(|(_, at, _)| *at).max()?;
    let vertices: Vec<VertexChange> = entries
        .iter()
        .filter(|(_, at, _)| *at == newest)
        .map(|(id, _, s)| VertexChange {
            id: (*id).clone(),
            from: s.current_parallelism,
            to: s.new_parallelism,
        })
        .collect();
    let ups = vertices
        .iter()
        .filter(|v| matches!((v.from, v.to), (Some(f), Some(t)) if t > f))
        .count();
    let downs = vertices
        .iter()
        .filter(|v| matches!((v.from, v.to), (Some(f), Some(t)) if t < f))
        .count();
    let direction = match (ups, downs) {
        (0, 0) => Direction::Unchanged,
        (_, 0) => Direction::Up,
        (0, _) => Direction::Down,
        _ => Direction::Mixed,
    };
    Some(LastDecision {
        at: newest,
        direction,
        vertices,
    })
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

    fn history_yaml() -> String {
        format!(
            "---\n\
             {V1}:\n\
             \x20 \"2026-07-01T10:00:00.000Z\":\n\
             \x20   currentParallelism: 2\n\
             \x20   newParallelism: 4\n\
             \x20   metrics:\n\
             \x20     LOAD: {{current: .nan, average: NaN}}\n\
             \x20     TRUE_PROCESSING_RATE: {{current: .inf, average: Infinity}}\n\
             \x20 \"2026-07-01T11:30:15.250Z\":\n\
             \x20   currentParallelism: 4\n\
             \x20   newParallelism: 8\n\
             {V2}:\n\
             \x20 \"2026-07-01T11:30:15.250Z\":\n\
             \x20   currentParallelism: 6\n\
             \x20   newParallelism: 3\n"
        )
    }

    fn config_map(data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "autoscaler-x", "labels": {"component": "autoscaler", "app": "x"}},
               "data": data})
    }

    #[test]
    fn compressed_history_is_decoded() {
        let state = read(&config_map(json!({HISTORY_KEY: compress(&history_yaml())})));
        assert_eq!(state.problems, Vec::<String>::new());
        let last = state.last_decision.expect("a decision");
        assert_eq!(last.at.to_string(), "2026-07-01T11:30:15.25Z");
        assert_eq!(last.direction, Direction::Mixed);
        assert_eq!(
            last.vertices,
            [
                VertexChange {
                    id: V2.into(),
                    from: Some(6),
                    to: Some(3)
                },
                VertexChange {
                    id: V1.into(),
                    from: Some(4),
                    to: Some(8)
                },
            ]
        );
    }

    #[test]
    fn plain_yaml_history_is_the_operators_fallback() {
        let plain = read(&config_map(json!({HISTORY_KEY: history_yaml()})));
        let compressed = read(&config_map(json!({HISTORY_KEY: compress(&history_yaml())})));
        assert_eq!(plain, compressed);
        assert!(plain.last_decision.is_some());
    }

    #[test]
    fn base64_that_is_not_gzip_is_read_as_yaml() {
        // "abcd" is valid base64, but the bytes are not gzip: plain YAML, a scalar,
        // which is not a history.
        let state = read(&config_map(json!({HISTORY_KEY: "abcd"})));
        assert_eq!(state.last_decision, None);
        assert_eq!(state.problems.len(), 1, "{:?}", state.problems);
        assert!(state.problems[0].starts_with("scalingHistory: not the autoscaler's YAML"));
    }

    #[test]
    fn direction_follows_the_newest_decision() {
        let one = |from: i64, to: i64| {
            format!(
                "{V1}:\n  \"2026-07-01T10:00:00Z\": {{currentParallelism: {from}, newParallelism: {to}}}\n"
            )
        };
        let direction = |yaml: String| {
            read(&config_map(json!({HISTORY_KEY: yaml})))
                .last_decision
                .map(|d| d.direction)
        };
        assert_eq!(direction(one(2, 4)), Some(Direction::Up));
        assert_eq!(direction(one(4, 2)), Some(Direction::Down));
        assert_eq!(direction(one(4, 4)), Some(Direction::Unchanged));
        assert_eq!(direction(String::new()), None);
    }

    #[test]
    fn empty_history_and_missing_keys_are_no_decision() {
        assert_eq!(read(&config_map(json!({}))), AutoscalerState::default());
        assert_eq!(
            read(&config_map(json!({HISTORY_KEY: compress("{}\n")}))),
            AutoscalerState::default()
        );
        assert_eq!(
            read(&json!({"kind": "ConfigMap"})),
            AutoscalerState::default()
        );
    }

    #[test]
    fn overrides_are_sanitised_like_the_operator() {
        let state = read(&config_map(
            json!({OVERRIDES_KEY: format!("{V1}:4, {V2}:2,broken,{V2}x:0")}),
        ));
        assert_eq!(
            state.overrides,
            [
                VertexParallelism {
                    id: V2.into(),
                    parallelism: 2
                },
                VertexParallelism {
                    id: V1.into(),
                    parallelism: 4
                },
            ]
        );
        assert_eq!(state.problems.len(), 1);
        assert!(state.problems[0].contains("broken"), "{:?}", state.problems);
        assert!(state.problems[0].contains(&format!("{V2}x:0")));
        let (quoted, dropped) = parse_overrides("'a':'3'");
        assert_eq!(
            (quoted, dropped.len()),
            (
                vec![VertexParallelism {
                    id: "a".into(),
                    parallelism: 3
                }],
                0
            )
        );
    }

    #[test]
    fn instants_in_both_jackson_spellings() {
        let iso = parse_instant("2026-07-01T10:15:30.123Z").unwrap();
        let epoch = parse_instant(&format!("{}.123000000", iso.as_second())).unwrap();
        assert_eq!(iso, epoch);
        assert_eq!(
            parse_instant("1782900930").map(|t| t.as_second()),
            Some(1_782_900_930)
        );
        assert_eq!(parse_instant("yesterday"), None);
        assert_eq!(parse_instant("1.2x"), None);
    }

    #[test]
    fn oversized_payloads_are_refused() {
        let big = "a".repeat(usize::try_from(MAX_DECOMPRESSED_BYTES).unwrap() + 10);
        let err = decode_compressed(&compress(&big)).unwrap_err();
        assert!(err.contains("8 MiB"), "{err}");
    }

    #[test]
    fn config_map_is_named_after_the_deployment() {
        assert_eq!(config_map_name("basic"), "autoscaler-basic");
    }
}
