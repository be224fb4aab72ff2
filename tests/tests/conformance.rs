//! The differential suite: every case of `tests/fixtures/conformance/` (recorded from
//! the Flink operator's and the VPA admission controller's own code and tests, each
//! citing its source) run through the real `kubectl-flink check` and through the
//! webhook over TLS. What the reference rejects, or what makes the autoscaler throw at
//! run time, we must deny; what it accepts we admit, unless `stricter.yaml` names the
//! case with the reason we are stricter. `check` and the webhook must agree on every
//! case.

use flink_autoscale_e2e::plugin::plugin;
use flink_autoscale_e2e::webhook::WebhookProcess;
use flink_autoscale_e2e::workspace_root;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

#[derive(Debug, Deserialize)]
struct Case {
    id: String,
    source: String,
    #[serde(rename = "flinkConfiguration")]
    flink_configuration: Option<BTreeMap<String, String>>,
    object: Option<Value>,
    reference: Reference,
}

#[derive(Debug, Deserialize)]
struct Reference {
    decision: Decision,
    #[serde(default)]
    message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum Decision {
    Rejected,
    RuntimeError,
    Accepted,
}

#[derive(Debug, Deserialize)]
struct Stricter {
    id: String,
    why: String,
}

fn corpus_dir() -> PathBuf {
    workspace_root().join("tests/fixtures/conformance")
}

/// Every case with the object it stands for.
fn cases() -> Vec<(String, Case, Value)> {
    let dir = corpus_dir();
    let baseline: Value = serde_saphyr::from_str(
        &std::fs::read_to_string(dir.join("baseline-flinkdeployment.yaml")).expect("baseline"),
    )
    .expect("baseline parses");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| e == "yaml")
                && !p.ends_with("baseline-flinkdeployment.yaml")
                && !p.ends_with("stricter.yaml")
        })
        .collect();
    files.sort();
    let mut out = Vec::new();
    for file in files {
        let group = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&file).expect("case file");
        let list: Vec<Case> =
            serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for case in list {
            let object = match (&case.flink_configuration, &case.object) {
                (Some(conf), None) => {
                    let mut object = baseline.clone();
                    if let Some(map) = object
                        .pointer_mut("/spec/flinkConfiguration")
                        .and_then(Value::as_object_mut)
                    {
                        for (k, v) in conf {
                            map.insert(k.clone(), Value::String(v.clone()));
                        }
                    }
                    object
                }
                (None, Some(object)) => object.clone(),
                _ => panic!("{}: exactly one of flinkConfiguration and object", case.id),
            };
            out.push((group.clone(), case, object));
        }
    }
    out
}

fn stricter() -> HashMap<String, String> {
    let text = std::fs::read_to_string(corpus_dir().join("stricter.yaml")).expect("stricter.yaml");
    let list: Vec<Stricter> = serde_saphyr::from_str(&text).expect("stricter.yaml parses");
    let mut map = HashMap::new();
    for s in list {
        assert!(!s.why.trim().is_empty(), "{}: give the reason", s.id);
        assert!(map.insert(s.id.clone(), s.why).is_none(), "{} twice", s.id);
    }
    map
}

/// `kubectl-flink check` on one object: admitted?
fn check_admits(dir: &std::path::Path, index: usize, object: &Value) -> (bool, Value) {
    let file = dir.join(format!("case-{index}.json"));
    std::fs::write(&file, serde_json::to_vec(object).expect("json")).expect("write case");
    let out = plugin(["check", "-o", "json", "-f"]).arg(&file).run();
    let code = out.code;
    assert!(
        matches!(code, Some(0 | 1)),
        "check exited {code:?} on {}: {}",
        file.display(),
        out.stderr
    );
    let report: Value = serde_json::from_str(&out.stdout).unwrap_or(Value::Null);
    (code == Some(0), report)
}

fn review(object: &Value, index: usize) -> Value {
    let kind = object.get("kind").cloned().unwrap_or(Value::Null);
    let api = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let (group, version) = api.split_once('/').unwrap_or(("", api));
    let resource = match kind.as_str() {
        Some("VerticalPodAutoscaler") => "verticalpodautoscalers",
        Some("FlinkSessionJob") => "flinksessionjobs",
        _ => "flinkdeployments",
    };
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": format!("case-{index}"),
            "kind": {"group": group, "version": version, "kind": kind},
            "resource": {"group": group, "version": version, "resource": resource},
            "name": object.pointer("/metadata/name").cloned().unwrap_or(json!("case")),
            "namespace": object.pointer("/metadata/namespace").cloned().unwrap_or(json!("default")),
            "operation": "CREATE",
            "userInfo": {"username": "conformance"},
            "object": object,
            "oldObject": null,
            "dryRun": false,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"}
        }
    })
}

#[test]
fn the_corpus_agrees_with_the_reference_through_check_and_the_webhook() {
    let cases = cases();
    assert!(cases.len() > 900, "only {} cases", cases.len());
    let stricter = stricter();
    let dir = tempfile::tempdir().expect("tempdir");
    let webhook = WebhookProcess::dev(dir.path().join("webhook-ca.pem"))
        .log("warn")
        .start();
    let url = format!("https://{}/validate", webhook.addr());
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let client = webhook.client();

    let mut admitted_but_rejected = Vec::new();
    let mut denied_without_reason = Vec::new();
    let mut stale_reasons = Vec::new();
    let mut disagreements = Vec::new();
    // group -> (agree, admit-but-reference-refuses, deny-but-reference-accepts (stated))
    let mut table: BTreeMap<String, [usize; 4]> = BTreeMap::new();
    for (index, (group, case, object)) in cases.iter().enumerate() {
        let (check_ok, report) = check_admits(dir.path(), index, object);
        let answer: Value = runtime.block_on(async {
            client
                .post(&url)
                .json(&review(object, index))
                .send()
                .await
                .expect("webhook answers")
                .json()
                .await
                .expect("webhook answers JSON")
        });
        let webhook_ok = answer
            .pointer("/response/allowed")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if webhook_ok != check_ok {
            disagreements.push(format!(
                "{}: check {check_ok}, webhook {webhook_ok}",
                case.id
            ));
        }
        let findings = report
            .pointer("/0/findings")
            .map(|f| f.to_string())
            .unwrap_or_default();
        let row = table.entry(group.clone()).or_default();
        row[0] += 1;
        let refuses = case.reference.decision != Decision::Accepted;
        match (refuses, check_ok) {
            (true, true) => {
                row[2] += 1;
                admitted_but_rejected.push(format!(
                    "{} ({:?}: {}) [{}]",
                    case.id, case.reference.decision, case.reference.message, case.source
                ));
            }
            (false, false) => {
                row[3] += 1;
                if !stricter.contains_key(&case.id) {
                    denied_without_reason.push(format!("{}: {findings}", case.id));
                }
            }
            _ => {
                row[1] += 1;
                if stricter.contains_key(&case.id) {
                    stale_reasons.push(case.id.clone());
                }
            }
        }
    }
    let mut summary = String::from(
        "| cases | total | agree | admitted, reference refuses | denied, reference accepts (reason stated) |\n|---|---:|---:|---:|---:|\n",
    );
    let mut totals = [0usize; 4];
    for (group, row) in &table {
        summary.push_str(&format!(
            "| {group} | {} | {} | {} | {} |\n",
            row[0], row[1], row[2], row[3]
        ));
        for (t, r) in totals.iter_mut().zip(row) {
            *t += r;
        }
    }
    summary.push_str(&format!(
        "| **all** | {} | {} | {} | {} |\n",
        totals[0], totals[1], totals[2], totals[3]
    ));
    eprintln!("{summary}");
    for line in admitted_but_rejected
        .iter()
        .map(|l| format!("ADMITTED {l}"))
        .chain(denied_without_reason.iter().map(|l| format!("DENIED {l}")))
    {
        eprintln!("{line}");
    }
    if let Ok(out) = std::env::var("CONFORMANCE_SUMMARY") {
        let _ = std::fs::write(out, &summary);
    }
    assert!(
        disagreements.is_empty(),
        "check and the webhook disagree:\n{}",
        disagreements.join("\n")
    );
    assert!(
        admitted_but_rejected.is_empty(),
        "{} cases admitted that the reference refuses:\n{}",
        admitted_but_rejected.len(),
        admitted_but_rejected.join("\n")
    );
    assert!(
        denied_without_reason.is_empty(),
        "{} cases denied that the reference accepts, without a reason in stricter.yaml:\n{}",
        denied_without_reason.len(),
        denied_without_reason.join("\n")
    );
    assert!(
        stale_reasons.is_empty(),
        "stricter.yaml names cases we do not deny (or the reference refuses): {stale_reasons:?}"
    );
}
