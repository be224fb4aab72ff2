//! `spec.flinkConfiguration` as one flat view. The operator accepts flat dotted keys
//! with string values and nested maps with typed YAML scalars, in any mix; Flink sees
//! the flattened form, so that is what the rules judge, remembering where each key
//! was written.

use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;

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

/// One flattened configuration entry. Keys and string values borrow from the
/// object's JSON where they can (a flat key, a string value): a review flattens
/// every configuration it judges, and copying each key and value was a sixth of
/// the allocations of a review.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry<'a> {
    /// The full dotted key, e.g. `job.autoscaler.metrics.window`.
    pub key: Cow<'a, str>,
    /// The value as Flink will read it (`None` for YAML null).
    pub raw: Option<Cow<'a, str>>,
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

impl Entry<'_> {
    /// The field path in Kubernetes form: `spec.flinkConfiguration[<key>]`.
    pub fn path(&self) -> String {
        config_path(&self.key)
    }

    /// The value for messages (`null` for YAML null).
    pub fn shown(&self) -> String {
        self.raw.as_deref().unwrap_or("null").to_string()
    }

    /// The value as an owned string, for a finding.
    pub fn raw_string(&self) -> Option<String> {
        self.raw.as_deref().map(str::to_string)
    }

    /// The entry with nothing borrowed, to outlive the JSON it was read from.
    pub fn into_owned(self) -> Entry<'static> {
        Entry {
            key: Cow::Owned(self.key.into_owned()),
            raw: self.raw.map(|r| Cow::Owned(r.into_owned())),
            scalar: self.scalar,
            form: self.form,
            dropped_elements: self.dropped_elements,
        }
    }
}

/// The field path of a configuration key.
pub fn config_path(key: &str) -> String {
    format!("spec.flinkConfiguration[{key}]")
}

/// A flattened `flinkConfiguration`, entries in document order. A key may occur more
/// than once (flat and nested spellings of the same key).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FlinkConfig<'a> {
    pub entries: Vec<Entry<'a>>,
}

/// `flinkConfiguration` is not a map.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a map of Flink configuration keys to values, not {0}")]
pub struct NotAMap(pub &'static str);

impl<'a> FlinkConfig<'a> {
    /// Flattens a `flinkConfiguration` value; `null`/absent gives an empty view.
    pub fn from_json(value: Option<&'a Value>) -> Result<FlinkConfig<'a>, NotAMap> {
        let mut cfg = FlinkConfig::default();
        match value {
            None | Some(Value::Null) => {}
            Some(Value::Object(map)) => {
                cfg.entries.reserve(map.len());
                for (k, v) in map {
                    cfg.flatten(Cow::Borrowed(k), v, Form::Flat);
                }
            }
            Some(other) => return Err(NotAMap(json_type(other))),
        }
        Ok(cfg)
    }

    fn flatten(&mut self, key: Cow<'a, str>, value: &'a Value, form: Form) {
        let mut dropped_elements = 0;
        let (raw, scalar) = match value {
            Value::Object(map) => {
                for (k, v) in map {
                    // Not `format!`: this runs for every nested key of every review.
                    let mut nested = String::with_capacity(key.len() + 1 + k.len());
                    nested.push_str(&key);
                    nested.push('.');
                    nested.push_str(k);
                    self.flatten(Cow::Owned(nested), v, Form::Nested);
                }
                return;
            }
            Value::String(s) => (Some(Cow::Borrowed(s.as_str())), Scalar::String),
            Value::Bool(b) => (
                Some(Cow::Borrowed(if *b { "true" } else { "false" })),
                Scalar::Bool,
            ),
            Value::Number(n) => (Some(Cow::Owned(n.to_string())), Scalar::Number),
            Value::Null => (None, Scalar::Null),
            // As `ConfigObjectNode.flattenHelper`: scalar elements joined with `;`,
            // maps and lists inside the list dropped.
            Value::Array(items) => (
                Some(Cow::Owned(
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
                )),
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

    /// The configuration with nothing borrowed.
    pub fn into_owned(self) -> FlinkConfig<'static> {
        FlinkConfig {
            entries: self.entries.into_iter().map(Entry::into_owned).collect(),
        }
    }

    /// Every entry with exactly this key.
    pub fn all(&self, key: &str) -> impl Iterator<Item = &Entry<'a>> {
        self.entries.iter().filter(move |e| e.key == key)
    }

    /// The entry for this key (the first, when written twice).
    pub fn get(&self, key: &str) -> Option<&Entry<'a>> {
        self.all(key).next()
    }

    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// This configuration overlaid on `base`: what a session job sees
    /// (`FlinkConfigManager.getSessionJobConfig`: the session cluster's configuration
    /// with the job's own keys on top).
    pub fn overlaid_on(&self, base: &FlinkConfig<'a>) -> FlinkConfig<'a> {
        let mut entries: Vec<Entry<'a>> = base
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
        .map(FlinkConfig::into_owned)
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
        .map(FlinkConfig::into_owned)
        .expect("a map");
        assert_eq!(cfg.all("job.autoscaler.enabled").count(), 2);
    }

    #[test]
    fn not_a_map_is_an_error_and_null_is_empty() {
        assert_eq!(
            FlinkConfig::from_json(Some(&json!("a=b"))).map(FlinkConfig::into_owned),
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
        .map(FlinkConfig::into_owned)
        .expect("map");
        let job = FlinkConfig::from_json(Some(&json!({"job.autoscaler.metrics.window": "2m"})))
            .map(FlinkConfig::into_owned)
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
