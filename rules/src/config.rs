//! `spec.flinkConfiguration` as one flat view. The operator accepts flat dotted keys
//! with string values and nested maps with typed YAML scalars, in any mix; Flink sees
//! the flattened form, so that is what the rules judge, remembering where each key
//! was written.

use serde::Serialize;
use serde_json::Value;

/// How a key was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Form {
    /// `job.autoscaler.metrics.window: "5m"`
    Flat,
    /// `job.autoscaler: {metrics.window: 5m}`
    Nested,
}

/// What JSON type the value had, since typed YAML scalars are turned into strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scalar {
    String,
    Number,
    Bool,
    Null,
    /// A YAML sequence, joined with `;` as Flink lists are.
    List,
}

/// One flattened configuration entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// The full dotted key, e.g. `job.autoscaler.metrics.window`.
    pub key: String,
    /// The value as Flink will read it (`None` for YAML null).
    pub raw: Option<String>,
    pub scalar: Scalar,
    pub form: Form,
    /// Elements of a YAML list that are maps or lists themselves: the operator's
    /// `ConfigObjectNode` flattening keeps only scalar elements, so these are dropped
    /// without a word.
    #[serde(skip_serializing_if = "is_zero")]
    pub dropped_elements: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Entry {
    /// The field path in Kubernetes form: `spec.flinkConfiguration[<key>]`.
    pub fn path(&self) -> String {
        config_path(&self.key)
    }

    /// The value for messages (`null` for YAML null).
    pub fn shown(&self) -> String {
        self.raw.clone().unwrap_or_else(|| "null".into())
    }
}

/// The field path of a configuration key.
pub fn config_path(key: &str) -> String {
    format!("spec.flinkConfiguration[{key}]")
}

/// A flattened `flinkConfiguration`, entries in document order. A key may occur more
/// than once (flat and nested spellings of the same key).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FlinkConfig {
    pub entries: Vec<Entry>,
}

/// `flinkConfiguration` is not a map.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a map of Flink configuration keys to values, not {0}")]
pub struct NotAMap(pub &'static str);

impl FlinkConfig {
    /// Flattens a `flinkConfiguration` value; `null`/absent gives an empty view.
    pub fn from_json(value: Option<&Value>) -> Result<FlinkConfig, NotAMap> {
        let mut cfg = FlinkConfig::default();
        match value {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                cfg.entries.reserve(map.len());
                for (k, v) in map {
                    cfg.flatten(k.clone(), v, Form::Flat);
                }
            }
            Some(other) => return Err(NotAMap(json_type(other))),
        }
        Ok(cfg)
    }

    fn flatten(&mut self, key: String, value: &Value, form: Form) {
        let mut dropped_elements = 0;
        let (raw, scalar) = match value {
            Value::Object(map) => {
                for (k, v) in map {
                    // Not `format!`: this runs for every nested key of every review.
                    let mut nested = String::with_capacity(key.len() + 1 + k.len());
                    nested.push_str(&key);
                    nested.push('.');
                    nested.push_str(k);
                    self.flatten(nested, v, Form::Nested);
                }
                return;
            }
            Value::String(s) => (Some(s.clone()), Scalar::String),
            Value::Bool(b) => (
                Some(if *b { "true" } else { "false" }.to_owned()),
                Scalar::Bool,
            ),
            Value::Number(n) => (Some(n.to_string()), Scalar::Number),
            Value::Null => (None, Scalar::Null),
            // As `ConfigObjectNode.flattenHelper`: scalar elements joined with `;`,
            // maps and lists inside the list dropped.
            Value::Array(items) => (
                Some(
                    items
                        .iter()
                        .filter_map(|i| match i {
                            Value::String(s) => Some(s.clone()),
                            Value::Object(_) | Value::Array(_) => {
                                dropped_elements += 1;
                                None
                            }
                            other => Some(other.to_string()),
                        })
                        .collect::<Vec<_>>()
                        .join(";"),
                ),
                Scalar::List,
            ),
        };
        self.entries.push(Entry {
            key,
            raw,
            scalar,
            form,
            dropped_elements,
        });
    }

    /// Every entry with exactly this key.
    pub fn all(&self, key: &str) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |e| e.key == key)
    }

    /// The entry for this key (the first, when written twice).
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.all(key).next()
    }

    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// This configuration overlaid on `base`: what a session job sees
    /// (`FlinkConfigManager.getSessionJobConfig`: the session cluster's configuration
    /// with the job's own keys on top).
    pub fn overlaid_on(&self, base: &FlinkConfig) -> FlinkConfig {
        let mut entries: Vec<Entry> = base
            .entries
            .iter()
            .filter(|e| !self.contains(&e.key))
            .cloned()
            .collect();
        entries.extend(self.entries.iter().cloned());
        FlinkConfig { entries }
    }
}

/// The JSON type's name, for messages.
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flat_nested_and_mixed_forms_flatten_to_dotted_keys() {
        let cfg = FlinkConfig::from_json(Some(&json!({
            "job.autoscaler.enabled": "true",
            "job.autoscaler": {"metrics.window": "3m", "target.utilization.boundary": 0.1,
                               "metrics": {"busy-time": {"aggregator": "AVG"}}},
            "pipeline.max-parallelism": 24,
            "job.autoscaler.vertex.exclude.ids": ["a", "b"],
            "job.autoscaler.quota.memory": null,
            "job.autoscaler.scaling.enabled": false
        })))
        .expect("a map");
        let get = |k: &str| cfg.get(k).cloned().expect(k);
        assert_eq!(get("job.autoscaler.enabled").form, Form::Flat);
        let w = get("job.autoscaler.metrics.window");
        assert_eq!((w.raw.as_deref(), w.form), (Some("3m"), Form::Nested));
        let b = get("job.autoscaler.target.utilization.boundary");
        assert_eq!((b.raw.as_deref(), b.scalar), (Some("0.1"), Scalar::Number));
        assert_eq!(
            get("job.autoscaler.metrics.busy-time.aggregator")
                .raw
                .as_deref(),
            Some("AVG")
        );
        assert_eq!(get("pipeline.max-parallelism").raw.as_deref(), Some("24"));
        assert_eq!(
            get("job.autoscaler.vertex.exclude.ids").raw.as_deref(),
            Some("a;b")
        );
        assert_eq!(get("job.autoscaler.quota.memory").raw, None);
        assert_eq!(
            get("job.autoscaler.scaling.enabled").raw.as_deref(),
            Some("false")
        );
        assert_eq!(
            get("job.autoscaler.metrics.window").path(),
            "spec.flinkConfiguration[job.autoscaler.metrics.window]"
        );
    }

    #[test]
    fn same_key_written_twice_is_kept_twice() {
        let cfg = FlinkConfig::from_json(Some(&json!({
            "job.autoscaler.enabled": "false",
            "job.autoscaler": {"enabled": true}
        })))
        .expect("a map");
        assert_eq!(cfg.all("job.autoscaler.enabled").count(), 2);
    }

    #[test]
    fn not_a_map_is_an_error_and_null_is_empty() {
        assert_eq!(
            FlinkConfig::from_json(Some(&json!("a=b"))),
            Err(NotAMap("a string"))
        );
        assert_eq!(
            FlinkConfig::from_json(Some(&Value::Null)),
            Ok(FlinkConfig::default())
        );
        assert_eq!(FlinkConfig::from_json(None), Ok(FlinkConfig::default()));
    }

    #[test]
    fn session_job_keys_override_the_cluster() {
        let cluster = FlinkConfig::from_json(Some(&json!({
            "job.autoscaler.enabled": "true", "job.autoscaler.metrics.window": "10m"
        })))
        .expect("map");
        let job = FlinkConfig::from_json(Some(&json!({"job.autoscaler.metrics.window": "2m"})))
            .expect("map");
        let merged = job.overlaid_on(&cluster);
        assert_eq!(
            merged
                .get("job.autoscaler.metrics.window")
                .and_then(|e| e.raw.as_deref()),
            Some("2m")
        );
        assert_eq!(
            merged
                .get("job.autoscaler.enabled")
                .and_then(|e| e.raw.as_deref()),
            Some("true")
        );
    }
}
