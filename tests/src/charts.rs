//! The project's two Helm charts rendered as the Makefile installs them, and the
//! lookups the chart tests make in what they render. Every helper panics with the
//! chart, the arguments and what was missing: these are test assertions, and a
//! failing render is the test's finding.

use crate::helm;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const FLINK_CHART: &str = "charts/flink-autoscale";
pub const WEBHOOK_CHART: &str = "charts/flink-autoscale-webhook";
/// Release and namespace as `make flink/install` and `make webhook/install` use them.
pub const FLINK_RELEASE: &str = "flink-autoscale";
pub const FLINK_NAMESPACE: &str = "flink";
pub const WEBHOOK_RELEASE: &str = "flink-autoscale-webhook";
pub const WEBHOOK_NAMESPACE: &str = "flink-autoscale-system";
/// The webhook's Service (the release's full name: the release name contains the chart's).
pub const WEBHOOK_SERVICE: &str = "flink-autoscale-webhook";

/// The release and namespace the Makefile installs `chart` with.
fn release_of(chart: &str) -> (&'static str, &'static str) {
    if chart == WEBHOOK_CHART {
        (WEBHOOK_RELEASE, WEBHOOK_NAMESPACE)
    } else {
        (FLINK_RELEASE, FLINK_NAMESPACE)
    }
}

/// `helm template` of a chart with the Makefile's release and namespace, as objects;
/// the error is helm's message.
pub fn template(chart: &str, args: &[&str]) -> Result<Vec<Value>, String> {
    let (release, namespace) = release_of(chart);
    helm::template_objects(release, chart, namespace, args)
}

/// The objects of a render that must succeed.
pub fn render(chart: &str, args: &[&str]) -> Vec<Value> {
    template(chart, args).unwrap_or_else(|e| panic!("helm template {chart} {args:?} failed:\n{e}"))
}

/// The error of a `helm template` that must fail.
pub fn render_error(chart: &str, args: &[&str]) -> String {
    match template(chart, args) {
        Ok(docs) => {
            panic!("helm template {chart} {args:?} succeeded, expected a failure:\n{docs:#?}")
        }
        Err(e) => e,
    }
}

/// The rendered YAML as text, for piping into other programs.
pub fn render_text(chart: &str, args: &[&str]) -> String {
    let (release, namespace) = release_of(chart);
    helm::template(release, chart, namespace, args)
        .unwrap_or_else(|e| panic!("helm template {chart} {args:?} failed:\n{e}"))
}

/// A fresh directory `root/charts/test` for one test's files (`root` is the test
/// binary's `env!("CARGO_TARGET_TMPDIR")`, which only test targets see).
pub fn scratch(root: impl AsRef<Path>, test: &str) -> PathBuf {
    let dir = root.as_ref().join("charts").join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("creating scratch directory {}: {e}", dir.display()));
    dir
}

/// A values file `values.yaml` in a fresh [`scratch`] directory; returns its path.
pub fn values_file(root: impl AsRef<Path>, test: &str, yaml: &str) -> String {
    let path = scratch(root, test).join("values.yaml");
    std::fs::write(&path, yaml)
        .unwrap_or_else(|e| panic!("writing values file {}: {e}", path.display()));
    path.display().to_string()
}

pub fn of_kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

/// The object of this kind and name; panics listing what the render holds.
pub fn named<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name} among {:#?}", names(docs)))
}

/// `Kind/name` of every object, for failure messages.
pub fn names(docs: &[Value]) -> Vec<String> {
    docs.iter().map(name_of).collect()
}

/// `Kind/name` of one object.
pub fn name_of(doc: &Value) -> String {
    format!(
        "{}/{}",
        doc["kind"].as_str().unwrap_or("?"),
        doc["metadata"]["name"].as_str().unwrap_or("?")
    )
}

/// `spec.flinkConfiguration` as a map of strings (every value the chart renders is one).
pub fn flink_configuration(deployment: &Value) -> BTreeMap<String, String> {
    deployment["spec"]["flinkConfiguration"]
        .as_object()
        .expect("flinkConfiguration is a map")
        .iter()
        .map(|(k, v)| {
            let v = v
                .as_str()
                .unwrap_or_else(|| panic!("flinkConfiguration.{k} is not a string: {v}"));
            (k.clone(), v.to_string())
        })
        .collect()
}

/// A list of strings.
pub fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|v| {
            v.as_str()
                .unwrap_or_else(|| panic!("not a string: {v}"))
                .to_string()
        })
        .collect()
}

/// Both webhook configurations of a render.
pub fn webhook_configurations(docs: &[Value]) -> Vec<&Value> {
    docs.iter()
        .filter(|d| {
            d["kind"] == "MutatingWebhookConfiguration"
                || d["kind"] == "ValidatingWebhookConfiguration"
        })
        .collect()
}

/// The value after `flag` in a container's arguments.
pub fn flag<'a>(args: &'a [String], flag: &str) -> Option<&'a str> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .map(String::as_str)
}

/// A Secret's data item or a caBundle (standard base64, padded) as the text it holds.
pub fn base64_text(value: &Value) -> String {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not base64 text: {value}"));
    let bytes = STANDARD
        .decode(text.trim())
        .unwrap_or_else(|e| panic!("{text:?} is not base64: {e}"));
    String::from_utf8(bytes).expect("decoded text is UTF-8")
}

/// `text` as a Secret's data item or a caBundle carries it.
pub fn base64_encode(text: &str) -> String {
    STANDARD.encode(text)
}

/// `helm ARGS...` from the workspace root, as its output (`helm lint` reports in its
/// text as well as its exit status).
pub fn run_helm(args: &[&str]) -> std::process::Output {
    helm::run(args).unwrap_or_else(|e| panic!("helm {args:?}: {e}"))
}
