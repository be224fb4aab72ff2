//! Reading manifests for `check`: files, directories and standard input, in YAML
//! (several documents separated by `---`, as `helm template` and `kustomize build`
//! print them) or JSON (one value or a stream of them, as `kubectl get -o json`
//! prints them), into the JSON form the rules take.
//!
//! Every problem is reported with the file and, where there is one, the line, so a CI
//! log says where to look: the point of running the rules offline is to fail before
//! the API server is ever asked.

use crate::error::Error;
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};

/// How standard input is named in messages and in the JSON report.
pub const STDIN_NAME: &str = "<stdin>";

/// The file name endings read from a directory given with `-f`, as kubectl reads them.
const MANIFEST_EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// Longest stretch of a source line shown under a syntax error; minified JSON is one
/// line of megabytes.
const SNIPPET_WIDTH: usize = 100;

/// One input named by `-f`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    /// The name used in messages.
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => STDIN_NAME.to_string(),
            Source::File(path) => path.display().to_string(),
        }
    }
}

/// Where an object was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub file: String,
    /// The document within the file, counting non-empty documents from 1.
    pub document: usize,
    /// The line the document starts on (for an item of a `List`, the `List`'s).
    pub line: u64,
    /// The index in a `List`'s `items`, from 0.
    pub item: Option<usize>,
}

/// A Kubernetes object and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct SourcedObject {
    pub object: Value,
    pub origin: Origin,
}

/// Expands the `-f` arguments into sources, in order: `-` is standard input, a
/// directory stands for its `*.yaml`, `*.yml` and `*.json` files sorted by name (not
/// recursively, like kubectl without `-R`), anything else is a file. A path that does
/// not exist stays a file so that reading it reports it by name.
pub fn expand(args: &[PathBuf]) -> Result<Vec<Source>, Error> {
    let mut sources = Vec::new();
    let mut stdin_seen = false;
    for arg in args {
        if arg.as_os_str() == "-" {
            if std::mem::replace(&mut stdin_seen, true) {
                return Err(Error::StdinTwice);
            }
            sources.push(Source::Stdin);
        } else if arg.is_dir() {
            sources.extend(manifests_in(arg)?.into_iter().map(Source::File));
        } else {
            sources.push(Source::File(arg.clone()));
        }
    }
    Ok(sources)
}

fn manifests_in(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let read_error = |source| Error::Read {
        file: dir.display().to_string(),
        source,
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let path = entry.map_err(read_error)?.path();
        let is_manifest = path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            MANIFEST_EXTENSIONS
                .iter()
                .any(|m| e.eq_ignore_ascii_case(m))
        });
        if is_manifest && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Reads a source's text; `stdin` is read for [`Source::Stdin`].
pub fn read(source: &Source, stdin: &mut dyn Read) -> Result<String, Error> {
    let mut text = String::new();
    let result = match source {
        Source::Stdin => stdin.read_to_string(&mut text).map(drop),
        Source::File(path) => std::fs::read_to_string(path).map(|t| text = t),
    };
    result.map(|()| text).map_err(|source_error| Error::Read {
        file: source.name(),
        source: source_error,
    })
}

/// Parses one file's text into objects. `List`s (`kind: List`, or a typed list such as
/// `FlinkDeploymentList` as the API server returns it) are replaced by their items;
/// empty documents (a lone `---`, only comments, `null`) are skipped, since Helm
/// renders disabled templates as exactly that.
#[cfg(test)]
pub fn parse(text: &str, file: &str) -> Result<Vec<SourcedObject>, Error> {
    parse_with_warnings(text, file).map(|(objects, _)| objects)
}

/// [`parse`], and the warnings on what was read as the API server reads it rather
/// than refused: a mapping key given twice keeps its last value (the API server's
/// YAML decoder does the same, and says so in a warning).
pub fn parse_with_warnings(
    text: &str,
    file: &str,
) -> Result<(Vec<SourcedObject>, Vec<String>), Error> {
    let mut objects = Vec::new();
    let (documents, warnings) = documents(text, file)?;
    for (index, document) in documents.into_iter().enumerate() {
        let origin = Origin {
            file: file.to_string(),
            document: index + 1,
            line: document.line,
            item: None,
        };
        collect(document.value, origin, &mut objects)?;
    }
    Ok((objects, warnings))
}

/// A parsed, non-empty document and the line it starts on.
struct Document {
    value: Value,
    line: u64,
}

/// A syntax error before it is tied to a file.
struct SyntaxError {
    /// 1-based line and column (in characters), when the parser knows them.
    position: Option<(u64, u64)>,
    message: String,
}

/// Splits the text into documents. Text that starts like JSON is read as a JSON
/// stream first: serde_json's messages are the ones a JSON author expects, and YAML
/// cannot read concatenated JSON values or tab-heavy JSON in every case. If that
/// fails the text is read as YAML (`{a: b}` is valid YAML flow style); when both fail,
/// the error of the parser that got further is reported, as it understood more.
fn documents(text: &str, file: &str) -> Result<(Vec<Document>, Vec<String>), Error> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut warnings = Vec::new();
    // A repeated key: read again keeping the last value, as the API server does
    // (helm renders such files, and the cluster stores them); the rules then judge
    // what the cluster would hold. The first repeat is named in a warning.
    let yaml = |text: &str, warnings: &mut Vec<String>| {
        yaml_documents(text, DuplicateKeys::Refuse).or_else(|e| {
            if !e.message.contains("duplicate mapping key") {
                return Err(e);
            }
            let documents = yaml_documents(text, DuplicateKeys::LastWins)?;
            let at = e
                .position
                .map(|(line, column)| format!(":{line}:{column}"))
                .unwrap_or_default();
            warnings.push(format!(
                "{file}{at}: {}; the last value is used, as the API server keeps it",
                e.message
            ));
            Ok(documents)
        })
    };
    let result = if text.trim_start().starts_with(['{', '[']) {
        json_documents(text).or_else(|json_error| {
            yaml(text, &mut warnings).map_err(|yaml_error| {
                if yaml_error.position > json_error.position {
                    yaml_error
                } else {
                    json_error
                }
            })
        })
    } else {
        yaml(text, &mut warnings)
    };
    result
        .map(|documents| (documents, warnings))
        .map_err(|e| Error::Syntax {
            file: file.to_string(),
            snippet: e
                .position
                .map(|(line, column)| snippet(text, line, column))
                .unwrap_or_default(),
            position: e.position,
            message: e.message,
        })
}

/// What the YAML reader does with a mapping key given twice.
#[derive(Clone, Copy)]
enum DuplicateKeys {
    Refuse,
    LastWins,
}

fn yaml_documents(text: &str, duplicates: DuplicateKeys) -> Result<Vec<Document>, SyntaxError> {
    use serde_saphyr::MessageFormatter;
    // The parser's default budget guards a server against hostile input; here the
    // input is the user's own, and `kustomize build` of a whole cluster easily has more
    // than its 1,024 documents or 250,000 nodes. Alias and depth limits stay as they
    // are: they are what stops an alias bomb.
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_documents: 1_000_000,
            max_events: 100_000_000,
            max_nodes: 25_000_000,
        },
        duplicate_keys: match duplicates {
            DuplicateKeys::Refuse => serde_saphyr::DuplicateKeyPolicy::Error,
            DuplicateKeys::LastWins => serde_saphyr::DuplicateKeyPolicy::LastWins,
        },
    };
    match serde_saphyr::from_multiple_with_options::<serde_saphyr::Spanned<Value>>(text, options) {
        Ok(documents) => Ok(documents
            .into_iter()
            .filter(|d| !d.value.is_null())
            .map(|d| Document {
                line: d.referenced.line(),
                value: d.value,
            })
            .collect()),
        Err(e) => {
            // The user formatter words errors for people who wrote the YAML, not for
            // programmers configuring the parser ("duplicate mapping key `a` is not
            // allowed here" rather than "set DuplicateKeyPolicy in Options").
            let message = serde_saphyr::UserMessageFormatter.format_message(e.without_snippet());
            Err(SyntaxError {
                position: e
                    .location()
                    .map(|l| (l.line(), l.column()))
                    .filter(|&(line, _)| line > 0),
                message: printable(&message),
            })
        }
    }
}

fn json_documents(text: &str) -> Result<Vec<Document>, SyntaxError> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut documents = Vec::new();
    // Lines are counted incrementally: `counted` bytes of the text hold `line - 1`
    // line breaks.
    let (mut counted, mut line) = (0, 1u64);
    let mut start = 0;
    while let Some(next) = stream.next() {
        let value = next.map_err(|e| json_syntax_error(text, &e))?;
        let content = text[start..]
            .find(|c: char| !c.is_whitespace())
            .map_or(start, |offset| start + offset);
        line += text[counted..content].matches('\n').count() as u64;
        counted = content;
        start = stream.byte_offset();
        if !value.is_null() {
            documents.push(Document { value, line });
        }
    }
    Ok(documents)
}

fn json_syntax_error(text: &str, e: &serde_json::Error) -> SyntaxError {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full);
    // serde_json counts columns in bytes; the snippet and YAML count characters.
    let column = text
        .lines()
        .nth(e.line().saturating_sub(1))
        .map(|l| {
            let mut end = e.column().min(l.len());
            while !l.is_char_boundary(end) {
                end -= 1;
            }
            l[..end].chars().count().max(1) as u64
        })
        .unwrap_or(1);
    SyntaxError {
        position: (e.line() > 0).then_some((e.line() as u64, column)),
        message: printable(message),
    }
}

/// The source line of an error with a caret under the column, as rustc shows it.
fn snippet(text: &str, line: u64, column: u64) -> String {
    let Some(source) = usize::try_from(line)
        .ok()
        .and_then(|l| l.checked_sub(1))
        .and_then(|l| text.lines().nth(l))
    else {
        return String::new();
    };
    // Control characters (tabs included) become spaces so that the caret lines up
    // and the terminal is not driven by the input.
    let chars: Vec<char> = source
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let at = usize::try_from(column.saturating_sub(1))
        .unwrap_or(usize::MAX)
        .min(chars.len());
    let start = at.saturating_sub(SNIPPET_WIDTH / 2);
    let end = (start + SNIPPET_WIDTH).min(chars.len());
    let mut shown: String = chars[start..end].iter().collect();
    let mut caret_at = at - start;
    if start > 0 {
        shown.insert(0, '…');
        caret_at += 1;
    }
    if end < chars.len() {
        shown.push('…');
    }
    let number = line.to_string();
    let gutter = " ".repeat(number.len());
    format!(
        "\n{gutter} |\n{number} | {}\n{gutter} | {}^",
        shown.trim_end(),
        " ".repeat(caret_at)
    )
}

/// Replaces control characters with their escapes, so that text taken from the input
/// cannot move the cursor or recolour the terminal it is printed on.
pub fn printable(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_debug().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Checks that `value` is a Kubernetes object and adds it, or its items if it is a
/// list, to `out`.
fn collect(value: Value, origin: Origin, out: &mut Vec<SourcedObject>) -> Result<(), Error> {
    let not_an_object = |origin: &Origin, problem: String| Error::NotAnObject {
        file: origin.file.clone(),
        line: origin.line,
        document: origin.document,
        item: origin.item,
        problem,
    };
    let Value::Object(mut map) = value else {
        return Err(not_an_object(
            &origin,
            format!(
                "expected a Kubernetes object (a mapping with apiVersion and kind), found {}",
                describe(&value)
            ),
        ));
    };
    let text_field = |key: &str| {
        map.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let (api_version, kind) = match (text_field("apiVersion"), text_field("kind")) {
        (Some(api_version), Some(kind)) => (api_version, kind),
        (api_version, kind) => {
            let missing = match (api_version, kind) {
                (None, None) => "apiVersion and kind",
                (None, _) => "apiVersion",
                _ => "kind",
            };
            return Err(not_an_object(
                &origin,
                format!(
                    "missing {missing}: every Kubernetes object needs both \
                     (e.g. apiVersion: flink.apache.org/v1beta1, kind: FlinkDeployment)"
                ),
            ));
        }
    };

    if let Err(problem) = flink_type(&api_version, &kind) {
        return Err(not_an_object(&origin, problem));
    }
    let items = map.get_mut("items").map(Value::take);
    let is_list =
        kind == "List" || (kind.ends_with("List") && items.as_ref().is_some_and(Value::is_array));
    if !is_list {
        if let Some(items) = items {
            map.insert("items".into(), items);
        }
        out.push(SourcedObject {
            object: Value::Object(map),
            origin,
        });
        return Ok(());
    }

    let items = match items {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items,
        Some(other) => {
            return Err(not_an_object(
                &origin,
                format!(
                    "items of a {kind} must be a sequence, found {}",
                    describe(&other)
                ),
            ));
        }
    };
    // The API server leaves apiVersion and kind out of the items of a typed list
    // (`FlinkDeploymentList`); kubectl takes them from the list, and so do we.
    let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty());
    for (index, mut item) in items.into_iter().enumerate() {
        if let (Some(item_kind), Value::Object(fields)) = (item_kind, &mut item) {
            fields
                .entry("apiVersion")
                .or_insert_with(|| Value::String(api_version.clone()));
            fields
                .entry("kind")
                .or_insert_with(|| Value::String(item_kind.to_string()));
        }
        let item_origin = Origin {
            item: Some(index),
            ..origin.clone()
        };
        collect(item, item_origin, out)?;
    }
    Ok(())
}

/// The Flink operator's API group, the version its CRDs serve and their kinds
/// (the operator's `helm/flink-kubernetes-operator/crds/`).
const FLINK_GROUP: &str = "flink.apache.org";
const FLINK_VERSION: &str = "flink.apache.org/v1beta1";
const FLINK_KINDS: [&str; 4] = [
    "FlinkBlueGreenDeployment",
    "FlinkDeployment",
    "FlinkSessionJob",
    "FlinkStateSnapshot",
];

/// A kind or version the API server would refuse in the Flink operator's group (a
/// typo such as `FlinkDeploymnet`, `apiVersion: v1` for a FlinkDeployment) is an
/// input error: judging it "not checked" would pass in CI what `kubectl apply`
/// refuses. Lists (`FlinkDeploymentList`) are left to their items.
fn flink_type(api_version: &str, kind: &str) -> Result<(), String> {
    use flink_autoscale_rules::text::edit_distance;
    let group = api_version.split_once('/').map_or("", |(group, _)| group);
    let kind_known = FLINK_KINDS.contains(&kind);
    if group == FLINK_GROUP {
        if !kind_known && !kind.ends_with("List") {
            let nearest = FLINK_KINDS
                .iter()
                .map(|k| (edit_distance(kind, k, 3), *k))
                .filter(|(d, _)| *d <= 3)
                .min();
            return Err(format!(
                "kind \"{kind}\" is not served by {api_version} (it serves {}){}",
                FLINK_KINDS.join(", "),
                nearest.map_or(String::new(), |(_, k)| format!("; did you mean {k}?"))
            ));
        }
        if api_version != FLINK_VERSION {
            return Err(format!(
                "apiVersion \"{api_version}\" is not served for {kind}; did you mean {FLINK_VERSION}?"
            ));
        }
    } else if kind_known {
        return Err(format!(
            "apiVersion \"{api_version}\" does not serve kind {kind}; did you mean {FLINK_VERSION}?"
        ));
    }
    Ok(())
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a sequence",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse_ok(text: &str) -> Vec<SourcedObject> {
        match parse(text, "in.yaml") {
            Ok(objects) => objects,
            Err(e) => panic!("{e}"),
        }
    }

    fn parse_err(text: &str) -> String {
        match parse(text, "in.yaml") {
            Ok(objects) => panic!("expected an error, got {objects:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn names(objects: &[SourcedObject]) -> Vec<(&str, &str)> {
        objects
            .iter()
            .map(|o| {
                (
                    o.object["kind"].as_str().unwrap_or(""),
                    o.object["metadata"]["name"].as_str().unwrap_or(""),
                )
            })
            .collect()
    }

    #[test]
    fn reads_every_document_and_skips_empty_ones() {
        let text = "\
---
# Source: flink-autoscale/templates/flinkdeployment.yaml
apiVersion: flink.apache.org/v1beta1
kind: FlinkDeployment
metadata:
  name: a
---
# Source: flink-autoscale/templates/disabled.yaml
---

---
apiVersion: autoscaling.k8s.io/v1
kind: VerticalPodAutoscaler
metadata:
  name: b
...
---
null
";
        let objects = parse_ok(text);
        assert_eq!(
            names(&objects),
            [("FlinkDeployment", "a"), ("VerticalPodAutoscaler", "b")]
        );
        assert_eq!(
            objects[1].origin,
            Origin {
                file: "in.yaml".into(),
                document: 2,
                line: 12,
                item: None
            }
        );
        assert_eq!(objects[0].origin.line, 3);
    }

    #[test]
    fn keeps_yaml_scalars_typed() {
        let objects = parse_ok(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  \
             enabled: true\n  ratio: 0.7\n  slots: 4\n  window: 5m\n  quoted: \"1.5\"\n",
        );
        assert_eq!(
            objects[0].object["data"],
            json!({"enabled": true, "ratio": 0.7, "slots": 4, "window": "5m", "quoted": "1.5"})
        );
    }

    #[test]
    fn reads_more_documents_than_the_parsers_default_budget() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n".repeat(2000);
        assert_eq!(parse_ok(&text).len(), 2000);
    }

    #[test]
    fn reads_json_and_json_streams() {
        let objects = parse_ok(
            "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"Service\",\n\t\"metadata\": {\"name\": \"s\"}\n}\n\
             {\"apiVersion\": \"v1\", \"kind\": \"Service\", \"metadata\": {\"name\": \"t\"}}\n",
        );
        assert_eq!(names(&objects), [("Service", "s"), ("Service", "t")]);
        assert_eq!(objects[0].origin.line, 1);
        assert_eq!(objects[1].origin.line, 6);
        assert_eq!(objects[1].origin.document, 2);
    }

    #[test]
    fn reads_yaml_flow_mappings_that_are_not_json() {
        let objects = parse_ok("{apiVersion: v1, kind: Service, metadata: {name: s}}\n");
        assert_eq!(names(&objects), [("Service", "s")]);
    }

    #[test]
    fn unpacks_lists() {
        let text = "\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Service
  metadata: {name: s}
- apiVersion: flink.apache.org/v1beta1
  kind: FlinkDeployment
  metadata: {name: f}
";
        let objects = parse_ok(text);
        assert_eq!(
            names(&objects),
            [("Service", "s"), ("FlinkDeployment", "f")]
        );
        assert_eq!(objects[1].origin.item, Some(1));
        assert_eq!(parse_ok("apiVersion: v1\nkind: List\nitems: []\n"), []);
        assert_eq!(parse_ok("apiVersion: v1\nkind: List\n"), []);
    }

    #[test]
    fn typed_list_items_inherit_api_version_and_kind() {
        let text = r#"{"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeploymentList",
            "metadata": {"resourceVersion": "7"},
            "items": [{"metadata": {"name": "f", "namespace": "flink"}}]}"#;
        let objects = parse_ok(text);
        assert_eq!(objects[0].object["kind"], "FlinkDeployment");
        assert_eq!(objects[0].object["apiVersion"], "flink.apache.org/v1beta1");
    }

    #[test]
    fn an_object_with_an_items_field_is_not_a_list() {
        let objects = parse_ok(
            "apiVersion: example.com/v1\nkind: Basket\nmetadata: {name: b}\nitems: [1, 2]\n",
        );
        assert_eq!(objects[0].object["items"], json!([1, 2]));
        let objects = parse_ok(
            "apiVersion: example.com/v1\nkind: CheckList\nmetadata: {name: c}\nitems: 3\n",
        );
        assert_eq!(objects[0].object["items"], json!(3));
    }

    #[test]
    fn yaml_syntax_errors_name_file_line_and_column() {
        let err = parse_err("apiVersion: v1\nkind: Service\n---\nmetadata:\n  name: [a, b\n");
        assert!(
            err.starts_with("in.yaml:5:9: unclosed bracket '['"),
            "{err}"
        );
        assert!(err.contains("\n5 |   name: [a, b\n  |         ^"), "{err}");

        let err = parse_err("metadata:\n  name: x\n namespace: y\n");
        assert!(err.starts_with("in.yaml:3:2: "), "{err}");
    }

    #[test]
    fn a_repeated_key_keeps_its_last_value_with_a_warning() {
        let text =
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: one\n  k: two\n";
        let (objects, warnings) = parse_with_warnings(text, "in.yaml").unwrap();
        assert_eq!(objects[0].object["data"]["k"], "two");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with("in.yaml:7:3: duplicate mapping key `k`"),
            "{warnings:?}"
        );
        assert!(warnings[0].ends_with("the last value is used, as the API server keeps it"));
        // Other syntax errors stay errors.
        assert!(parse_err("a: [1\n").starts_with("in.yaml:"));
    }

    #[test]
    fn unknown_kinds_and_versions_of_the_flink_group_are_input_errors() {
        let err = parse_err("apiVersion: flink.apache.org/v1beta1\nkind: FlinkDeploymnet\n");
        assert!(
            err.starts_with("in.yaml:1: document 1: kind \"FlinkDeploymnet\" is not served"),
            "{err}"
        );
        assert!(err.ends_with("did you mean FlinkDeployment?"), "{err}");
        let err = parse_err("apiVersion: v1\nkind: FlinkDeployment\n");
        assert!(err.contains("apiVersion \"v1\" does not serve kind FlinkDeployment; did you mean flink.apache.org/v1beta1?"), "{err}");
        let err = parse_err("apiVersion: flink.apache.org/v1\nkind: FlinkSessionJob\n");
        assert!(
            err.contains("did you mean flink.apache.org/v1beta1?"),
            "{err}"
        );
        let err = parse_err("apiVersion: flink.apache.org/v1beta1\nkind: Zzz\n");
        assert!(!err.contains("did you mean"), "{err}");
        // Other groups' kinds are not ours to judge.
        parse_ok("apiVersion: example.com/v1\nkind: FlinkDeploymnet\n");
        parse_ok("apiVersion: flink.apache.org/v1beta1\nkind: FlinkStateSnapshot\n");
    }

    #[test]
    fn json_syntax_errors_name_file_line_and_column() {
        let err = parse_err("{\n  \"apiVersion\": \"v1\"\n  \"kind\": \"Service\"\n}\n");
        assert!(err.starts_with("in.yaml:3:3: expected `,` or `}`"), "{err}");
        let err = parse_err("{\"apiVersion\": \"v1\"");
        assert!(err.starts_with("in.yaml:1:"), "{err}");
    }

    #[test]
    fn snippets_stay_short_and_plain() {
        let long = format!("{}\u{1b}[31mX", "a".repeat(300));
        let s = snippet(&long, 1, 290);
        assert!(!s.contains('\u{1b}'), "{s:?}");
        let shown = s.lines().nth(2).unwrap_or("");
        assert!(shown.chars().count() < SNIPPET_WIDTH + 10, "{s}");
        let caret = s.lines().nth(3).unwrap_or("");
        assert_eq!(caret.find('^'), Some(4 + 1 + SNIPPET_WIDTH / 2), "{s}");
        assert_eq!(snippet("a\n", 7, 1), "");
    }

    #[test]
    fn documents_that_are_not_objects_are_named_by_index_and_line() {
        let err = parse_err("apiVersion: v1\nkind: Service\n---\n- just\n- a list\n");
        assert_eq!(
            err,
            "in.yaml:4: document 2: expected a Kubernetes object (a mapping with \
             apiVersion and kind), found a sequence"
        );
        let err = parse_err("metadata:\n  name: x\n");
        assert!(
            err.starts_with("in.yaml:1: document 1: missing apiVersion and kind"),
            "{err}"
        );
        let err = parse_err("apiVersion: v1\nmetadata: {name: x}\n");
        assert!(
            err.starts_with("in.yaml:1: document 1: missing kind:"),
            "{err}"
        );
        let err = parse_err("apiVersion: v1\nkind: List\nitems:\n- kind: Service\n");
        assert!(
            err.starts_with("in.yaml:1: document 1, items[0]: missing apiVersion:"),
            "{err}"
        );
        let err = parse_err("just a string\n");
        assert!(err.ends_with("found a string"), "{err}");
    }

    #[test]
    fn expands_directories_to_sorted_manifests() {
        let dir = std::env::temp_dir().join(format!("kubectl-flink-input-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("nested.yaml")).unwrap();
        for name in ["b.yml", "a.yaml", "c.JSON", "notes.txt"] {
            std::fs::write(dir.join(name), "").unwrap();
        }
        let sources = expand(&[
            dir.clone(),
            PathBuf::from("-"),
            PathBuf::from("missing.yaml"),
        ]);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(
            sources.unwrap(),
            [
                Source::File(dir.join("a.yaml")),
                Source::File(dir.join("b.yml")),
                Source::File(dir.join("c.JSON")),
                Source::Stdin,
                Source::File(PathBuf::from("missing.yaml")),
            ]
        );
        assert!(matches!(
            expand(&[PathBuf::from("-"), PathBuf::from("-")]),
            Err(Error::StdinTwice)
        ));
    }

    #[test]
    fn unreadable_files_are_named() {
        let err = read(
            &Source::File("does/not/exist.yaml".into()),
            &mut std::io::empty(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("does/not/exist.yaml: cannot read: "),
            "{err}"
        );
        let text = read(&Source::Stdin, &mut "kind: X".as_bytes()).unwrap();
        assert_eq!(text, "kind: X");
    }

    #[test]
    fn printable_escapes_control_characters() {
        assert_eq!(printable("a\u{1b}[2Jb\n"), "a\\u{1b}[2Jb\\n");
        assert_eq!(printable("plain"), "plain");
    }
}
