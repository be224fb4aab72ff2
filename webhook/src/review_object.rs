//! The object under review, decoded once into what the rules read.
//!
//! kube's `DynamicObject` keeps every field, and the rules then wanted the object
//! as a JSON tree, so each review built the tree, re-serialized it and freed three
//! trees. Here the bytes become the rules' tree directly ([`ReviewObject::value`]),
//! with the few metadata fields the handler needs beside it, and what no rule reads
//! is skipped while parsing, never built: `status`, `metadata.managedFields` and
//! `annotations` (kubectl's last-applied copy), and the pod templates. Skipping
//! does not recurse, so a pod template as deep as the API server allows (it stores
//! up to 10 000 levels) costs no stack and no memory; and what is built is bounded
//! ([`MAX_VALUES`]), so a body that is all array costs at most that much.

use kube::api::{ApiResource, ObjectMeta, Resource};
use kube::core::DynamicResourceScope;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

/// Most values (objects, arrays, scalars) built for one object. A FlinkDeployment
/// the rules judge has a few hundred; 100 000 keeps a worst-case object to a few
/// MiB of memory.
pub const MAX_VALUES: usize = 100_000;

/// The start of the message when an object has more than [`MAX_VALUES`] values.
pub const TOO_MANY_VALUES: &str = "holds more values than the webhook reads";

/// Paths (from the object's root) that no rule reads: skipped, never built.
pub const SKIPPED: &[&[&str]] = &[
    &["status"],
    &["metadata", "managedFields"],
    &["metadata", "annotations"],
    &["spec", "podTemplate"],
    &["spec", "jobManager", "podTemplate"],
    &["spec", "taskManager", "podTemplate"],
];

/// The same paths under `request.object` and `request.oldObject`, for parsing a
/// whole AdmissionReview.
pub const SKIPPED_IN_REVIEW: &[&[&str]] = &[
    &["request", "object", "status"],
    &["request", "object", "metadata", "managedFields"],
    &["request", "object", "metadata", "annotations"],
    &["request", "object", "spec", "podTemplate"],
    &["request", "object", "spec", "jobManager", "podTemplate"],
    &["request", "object", "spec", "taskManager", "podTemplate"],
    &["request", "oldObject", "status"],
    &["request", "oldObject", "metadata", "managedFields"],
    &["request", "oldObject", "metadata", "annotations"],
    &["request", "oldObject", "spec", "podTemplate"],
    &["request", "oldObject", "spec", "jobManager", "podTemplate"],
    &["request", "oldObject", "spec", "taskManager", "podTemplate"],
    &["request", "options"],
];

/// An object of an AdmissionRequest: the rules' JSON tree and the metadata the
/// handler reads (name, namespace, generateName, deletionTimestamp).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReviewObject {
    /// Boxed: `ObjectMeta` is 360 bytes, of which the webhook fills four fields, and
    /// the request holding two objects is moved several times per review.
    pub metadata: Box<ObjectMeta>,
    /// The object without the skipped fields.
    pub value: Value,
}

impl ReviewObject {
    /// From a tree already pruned (or small), e.g. in tests.
    pub fn from_value(value: Value) -> Result<Self, serde_json::Error> {
        let metadata = metadata_of(&value)?;
        Ok(ReviewObject {
            metadata: Box::new(metadata),
            value,
        })
    }
}

/// The metadata fields the handler reads (name, namespace, generateName,
/// deletionTimestamp), from the tree.
fn metadata_of(value: &Value) -> Result<ObjectMeta, serde_json::Error> {
    let Some(meta) = value.get("metadata").filter(|m| !m.is_null()) else {
        return Ok(ObjectMeta::default());
    };
    if !meta.is_object() {
        return Err(de::Error::custom(format!(
            "metadata: invalid type: {}, expected an object",
            kind_of(meta)
        )));
    }
    let text = |k: &str| -> Result<Option<String>, serde_json::Error> {
        match meta.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(de::Error::custom(format!(
                "metadata.{k}: invalid type: {}, expected a string",
                kind_of(other)
            ))),
        }
    };
    let deletion_timestamp = match meta.get("deletionTimestamp") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            Deserialize::deserialize(v)
                .map_err(|e| de::Error::custom(format!("metadata.deletionTimestamp: {e}")))?,
        ),
    };
    Ok(ObjectMeta {
        name: text("name")?,
        namespace: text("namespace")?,
        generate_name: text("generateName")?,
        deletion_timestamp,
        ..ObjectMeta::default()
    })
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

impl<'de> Deserialize<'de> for ReviewObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let budget = Cell::new(MAX_VALUES);
        let value = Pruned::root(SKIPPED, &budget).deserialize(d)?;
        if !value.is_object() {
            return Err(de::Error::custom(format!(
                "invalid type: {}, expected an object",
                kind_of(&value)
            )));
        }
        let metadata = metadata_of(&value).map_err(de::Error::custom)?;
        Ok(ReviewObject {
            metadata: Box::new(metadata),
            value,
        })
    }
}

/// The old object of an UPDATE as the webhook reads it: its `spec` alone, pruned as
/// the object's, which is all a decision compares (whether the update changes what
/// the rules judge). The rest is skipped unbuilt. For `#[serde(deserialize_with)]`
/// on an optional field: `null` is `None`.
pub fn old_object<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ReviewObject>, D::Error> {
    d.deserialize_any(OldObject)
}

/// A field that must be an object but whose contents nothing reads: checked for
/// its type, skipped unbuilt. For `#[serde(deserialize_with)]`.
pub fn skipped_object<'de, D: Deserializer<'de>>(d: D) -> Result<(), D::Error> {
    struct AnObject;
    impl<'de> Visitor<'de> for AnObject {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(())
        }
    }
    d.deserialize_any(AnObject)
}

struct OldObject;

impl<'de> Visitor<'de> for OldObject {
    type Value = Option<ReviewObject>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(OldObject)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let budget = Cell::new(MAX_VALUES);
        let root = Pruned::root(SKIPPED, &budget);
        let mut value = Map::new();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match root.member(&key).filter(|_| key == "spec") {
                Some(spec) => {
                    value.insert("spec".into(), map.next_value_seed(spec)?);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Some(ReviewObject {
            metadata: Box::default(),
            value: Value::Object(value),
        }))
    }
}

impl Serialize for ReviewObject {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

impl Resource for ReviewObject {
    type DynamicType = ApiResource;
    type Scope = DynamicResourceScope;

    fn group(dt: &ApiResource) -> Cow<'_, str> {
        dt.group.as_str().into()
    }
    fn version(dt: &ApiResource) -> Cow<'_, str> {
        dt.version.as_str().into()
    }
    fn kind(dt: &ApiResource) -> Cow<'_, str> {
        dt.kind.as_str().into()
    }
    fn api_version(dt: &ApiResource) -> Cow<'_, str> {
        dt.api_version.as_str().into()
    }
    fn plural(dt: &ApiResource) -> Cow<'_, str> {
        dt.plural.as_str().into()
    }
    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

/// Parses `bytes` into a tree without the `skipped` paths (from the root), building
/// at most `max_values` values.
pub fn parse_pruned(
    bytes: &[u8],
    skipped: &[&[&str]],
    max_values: usize,
) -> Result<Value, serde_json::Error> {
    let budget = Cell::new(max_values);
    let mut d = serde_json::Deserializer::from_slice(bytes);
    let value = Pruned::root(skipped, &budget).deserialize(&mut d)?;
    d.end()?;
    Ok(value)
}

/// A JSON value at some depth, knowing which skipped paths its position is still a
/// prefix of (`live`, a bit per path of `paths`).
#[derive(Clone, Copy)]
struct Pruned<'a> {
    paths: &'a [&'a [&'a str]],
    live: u64,
    depth: usize,
    budget: &'a Cell<usize>,
}

impl<'a> Pruned<'a> {
    fn root(paths: &'a [&'a [&'a str]], budget: &'a Cell<usize>) -> Self {
        let live = if paths.len() >= 64 {
            u64::MAX
        } else {
            (1u64 << paths.len()) - 1
        };
        Pruned {
            paths,
            live,
            depth: 0,
            budget,
        }
    }

    fn spend<E: de::Error>(&self) -> Result<(), E> {
        match self.budget.get().checked_sub(1) {
            Some(left) => {
                self.budget.set(left);
                Ok(())
            }
            None => Err(E::custom(format!(
                "{TOO_MANY_VALUES} (more than {MAX_VALUES} per object outside status, \
                 managedFields, annotations and pod templates)"
            ))),
        }
    }

    /// The member `key` of this object: skipped, or a value with the paths it is
    /// still a prefix of.
    fn member(&self, key: &str) -> Option<Pruned<'a>> {
        let mut live = 0u64;
        for (i, path) in self.paths.iter().enumerate() {
            if self.live & (1 << i) != 0 && path.get(self.depth) == Some(&key) {
                if path.len() == self.depth + 1 {
                    return None;
                }
                live |= 1 << i;
            }
        }
        Some(Pruned {
            live,
            depth: self.depth + 1,
            ..*self
        })
    }

    /// An element of this array: no skipped path runs through arrays.
    fn element(&self) -> Pruned<'a> {
        Pruned {
            live: 0,
            depth: self.depth + 1,
            ..*self
        }
    }
}

impl<'de> DeserializeSeed<'de> for Pruned<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Pruned<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.spend()?;
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::String(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        self.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.spend()?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(self.element())? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.spend()?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match self.member(&key) {
                Some(child) => {
                    let v = map.next_value_seed(child)?;
                    out.insert(key.into_owned(), v);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn skipped_paths_are_not_built_and_the_rest_is_kept() {
        let object = json!({
            "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
            "metadata": {"name": "a", "namespace": "n", "generateName": "g",
                         "deletionTimestamp": "2026-01-01T00:00:00Z",
                         "managedFields": [{"x": 1}], "annotations": {"y": "z"}, "labels": {"l": "v"}},
            "spec": {"podTemplate": {"deep": [1, 2, 3]}, "flinkConfiguration": {"k": "v"},
                     "jobManager": {"podTemplate": 1, "replicas": 1},
                     "taskManager": {"podTemplate": 1, "resource": {"memory": "2g"}},
                     "job": {"args": ["a", {"podTemplate": "kept: not a skipped path"}]}},
            "status": {"big": [0, 0, 0]}
        });
        let parsed: ReviewObject = serde_json::from_value(object).unwrap();
        assert_eq!(
            parsed.value,
            json!({
                "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
                "metadata": {"name": "a", "namespace": "n", "generateName": "g",
                             "deletionTimestamp": "2026-01-01T00:00:00Z", "labels": {"l": "v"}},
                "spec": {"flinkConfiguration": {"k": "v"},
                         "jobManager": {"replicas": 1},
                         "taskManager": {"resource": {"memory": "2g"}},
                         "job": {"args": ["a", {"podTemplate": "kept: not a skipped path"}]}}
            })
        );
        assert_eq!(parsed.metadata.name.as_deref(), Some("a"));
        assert_eq!(parsed.metadata.generate_name.as_deref(), Some("g"));
        assert!(parsed.metadata.deletion_timestamp.is_some());
    }

    #[test]
    fn skipped_subtrees_may_be_deeper_than_any_recursion_limit() {
        let depth = 10_000;
        let deep = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
        let body = format!(
            r#"{{"kind": "FlinkDeployment", "metadata": {{"name": "d"}},
                "spec": {{"podTemplate": {{"spec": {deep}}}, "flinkConfiguration": {{}}}}}}"#
        );
        let parsed: ReviewObject = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed.value["spec"], json!({"flinkConfiguration": {}}));
        // A kept field that deep is still refused (by serde_json's limit), with an error.
        let kept = format!(r#"{{"spec": {{"flinkConfiguration": {deep}}}}}"#);
        assert!(serde_json::from_str::<ReviewObject>(&kept).is_err());
    }

    #[test]
    fn the_values_built_are_bounded() {
        let zeros = vec!["0"; MAX_VALUES + 1].join(",");
        let kept = format!(r#"{{"spec": {{"flinkConfiguration": {{"x": [{zeros}]}}}}}}"#);
        let err = serde_json::from_str::<ReviewObject>(&kept).unwrap_err();
        assert!(err.to_string().contains(TOO_MANY_VALUES), "{err}");
        // In a skipped field, any amount costs nothing.
        let skipped = format!(r#"{{"status": {{"x": [{zeros}]}}, "spec": {{}}}}"#);
        let parsed: ReviewObject = serde_json::from_str(&skipped).unwrap();
        assert_eq!(parsed.value, json!({"spec": {}}));
    }

    #[test]
    fn a_whole_review_is_pruned_under_object_and_old_object() {
        let body = json!({"request": {"uid": "u", "object": {"status": 1, "spec": {"a": 1}},
                                      "oldObject": {"metadata": {"annotations": {"x": "y"}}},
                                      "userInfo": {"status": "kept"}}});
        let parsed =
            parse_pruned(body.to_string().as_bytes(), SKIPPED_IN_REVIEW, MAX_VALUES).unwrap();
        assert_eq!(
            parsed,
            json!({"request": {"uid": "u", "object": {"spec": {"a": 1}},
                               "oldObject": {"metadata": {}}, "userInfo": {"status": "kept"}}})
        );
        assert!(
            parse_pruned(b"{} x", SKIPPED_IN_REVIEW, MAX_VALUES).is_err(),
            "trailing bytes"
        );
    }

    #[derive(Deserialize)]
    struct WithOld {
        #[serde(default, deserialize_with = "old_object")]
        old: Option<ReviewObject>,
    }

    #[test]
    fn the_old_object_keeps_its_pruned_spec_alone() {
        let body = json!({"old": {"metadata": {"name": 7, "annotations": {"a": "b"}},
                                  "spec": {"podTemplate": {"x": 1}, "flinkConfiguration": {"k": "v"}},
                                  "status": {"s": 1}}});
        let parsed: WithOld = serde_json::from_str(&body.to_string()).unwrap();
        let old = parsed.old.expect("an old object");
        assert_eq!(
            old.value,
            json!({"spec": {"flinkConfiguration": {"k": "v"}}})
        );
        assert_eq!(*old.metadata, ObjectMeta::default());
        // The same from a tree (the checked decode) and for null or absent.
        let from_tree: WithOld = serde_json::from_value(body).unwrap();
        assert_eq!(from_tree.old.map(|o| o.value), Some(old.value));
        for none in [json!({"old": null}), json!({})] {
            assert!(
                serde_json::from_value::<WithOld>(none)
                    .unwrap()
                    .old
                    .is_none()
            );
        }
        let err = serde_json::from_value::<WithOld>(json!({"old": "x"})).err();
        assert!(err.is_some_and(|e| e.to_string().contains("expected an object")));
    }

    #[test]
    fn bad_metadata_is_an_error_naming_the_field() {
        let err =
            serde_json::from_value::<ReviewObject>(json!({"metadata": {"name": 7}})).unwrap_err();
        assert!(err.to_string().contains("metadata.name"), "{err}");
        let err = serde_json::from_value::<ReviewObject>(json!({"metadata": []})).unwrap_err();
        assert!(err.to_string().contains("metadata"), "{err}");
    }
}
