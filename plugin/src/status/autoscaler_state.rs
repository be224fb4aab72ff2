//! What `status` shows of the autoscaler's ConfigMap `autoscaler-<name>`: the
//! parallelism overrides it applies and its newest scaling decision. Decoded by the
//! shared [`crate::cluster::autoscaler_configmap`] (the same reading as `explain`:
//! both forms of `parallelismOverrides`, compressed or plain history); what cannot be
//! read is reported as a problem and left out, as the operator discards it.

use crate::cluster::autoscaler_configmap::{self as configmap, RecordedChange};
use serde::Serialize;
use serde_json::Value;

#[cfg(test)]
pub(crate) use crate::cluster::autoscaler_configmap::compress;
pub use crate::cluster::autoscaler_configmap::{
    VertexParallelism, config_map_name, parse_overrides,
};

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

/// Reads the autoscaler's ConfigMap with the shared decoder, keeping what `status`
/// shows: the overrides, the newest decision, and the decoder's notes as problems.
pub fn read(config_map: &Value) -> AutoscalerState {
    let decoded = configmap::read(config_map);
    AutoscalerState {
        last_decision: last_decision(&decoded.history),
        overrides: decoded.overrides,
        problems: decoded.notes,
    }
}

fn last_decision(history: &[RecordedChange]) -> Option<LastDecision> {
    let newest = history.iter().map(|c| c.at).max()?;
    let vertices: Vec<VertexChange> = history
        .iter()
        .filter(|c| c.at == newest)
        .map(|c| VertexChange {
            id: c.vertex.clone(),
            from: c.summary.current_parallelism,
            to: c.summary.new_parallelism,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::autoscaler_configmap::{HISTORY_KEY, OVERRIDES_KEY};
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
        assert!(
            state.problems[0].starts_with("scalingHistory: base64, but not gzip"),
            "{:?}",
            state.problems
        );
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
    fn standard_yaml_overrides_are_read_as_the_legacy_ones() {
        let flow = read(&config_map(json!({OVERRIDES_KEY: format!(
            "{{'{V2}': '18', {V1}: '4'}}"
        )})));
        let legacy = read(&config_map(
            json!({OVERRIDES_KEY: format!("{V2}:18,{V1}:4")}),
        ));
        assert_eq!(flow, legacy);
        assert_eq!(
            flow.overrides
                .iter()
                .map(|o| o.parallelism)
                .collect::<Vec<_>>(),
            [18, 4]
        );
        assert!(flow.problems.is_empty(), "{:?}", flow.problems);
    }

    #[test]
    fn config_map_is_named_after_the_deployment() {
        assert_eq!(config_map_name("basic"), "autoscaler-basic");
    }
}
