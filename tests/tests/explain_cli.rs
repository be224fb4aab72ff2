//! `kubectl flink explain` against the test API server, seeded with what the Flink
//! operator leaves for one deployment (`fixtures/explain/`, made by `generate.py`
//! there): the FlinkDeployment, its ConfigMap `autoscaler-<name>` (gzip + base64 YAML
//! as the operator writes it, or plain YAML, its fallback) and its Events (ScalingReport
//! and ScalingLimited in the operator's exact formats). One deployment per scenario:
//!
//! - `lagging`: a scale-up on lag, within bounds now;
//! - `shrinking`: a scale-down delayed by `scale-down.interval`;
//! - `advisor`: advisor mode with recommendations;
//! - `capped`: a vertex at `vertex.max-parallelism`, a ScalingLimited warning;
//! - `restarted`: inside the stabilization interval;
//! - `failed`: a job that is not running;
//! - `fresh`: no ConfigMap yet;
//! - `broken`: every ConfigMap value malformed in its own way.
//!
//! The real binary runs; only its exit code, stdout and stderr are observed.

use flink_autoscale_e2e::apiserver::TestApiServer;
use flink_autoscale_e2e::plugin::{BinaryRun, Run, plugin, plugin_path};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The fixtures' instants are written relative to this instant (`--now`).
const NOW: &str = "2026-07-01T12:00:00Z";
const V1: &str = "bc764cd8ddf7a0cff126f51c16239658";
const V2: &str = "0a448493b4782967b150582570326227";
const SCENARIOS: &[&str] = &[
    "lagging",
    "shrinking",
    "advisor",
    "capped",
    "restarted",
    "failed",
    "fresh",
    "broken",
];

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/explain")
        .join(format!("{name}.yaml"))
}

/// A server with every scenario, all in namespace `flink` (the kubeconfig's).
fn start() -> TestApiServer {
    let mut builder = TestApiServer::builder().namespace("flink");
    for s in SCENARIOS {
        builder = builder.yaml_file(fixture(s)).expect("fixture loads");
    }
    builder.start().expect("test API server starts")
}

/// The plugin with the environment a test controls: the server's kubeconfig, a UTF-8
/// locale unless `lang` says otherwise, no colour, no in-cluster detection.
fn explain_in(server: &TestApiServer, lang: &str, args: &[&str]) -> Run {
    plugin(["explain", "--now", NOW])
        .args(args)
        .kubeconfig(server.kubeconfig())
        .lang(lang)
        .run()
}

fn explain(server: &TestApiServer, args: &[&str]) -> Run {
    explain_in(server, "C.UTF-8", args)
}

fn json(server: &TestApiServer, name: &str) -> Value {
    explain(server, &[name, "-o", "json"]).ok_quiet().json()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

// ---- text, as snapshots -----------------------------------------------------------

#[test]
fn text_of_every_scenario() {
    let server = start();
    for name in SCENARIOS {
        let run = explain(&server, &[name]).ok_quiet();
        insta::assert_snapshot!(format!("explain_{name}"), run.stdout);
    }
}

#[test]
fn text_without_a_utf8_locale_is_ascii() {
    let server = start();
    let run = explain_in(&server, "C", &["lagging"]).ok_quiet();
    assert!(run.stdout.is_ascii(), "{}", run.stdout);
    insta::assert_snapshot!("explain_lagging_ascii", run.stdout);
}

// ---- the verdicts and the numbers, in JSON and text -------------------------------

#[test]
fn scale_up_on_lag() {
    let server = start();
    let r = json(&server, "lagging");
    assert_eq!(r["kind"], "FlinkExplain");
    assert_eq!(r["version"], 2);
    assert_eq!(r["verdict"]["kind"], "within-bounds");
    assert_eq!(r["history"].as_array().map(Vec::len), Some(2));
    let up = &r["history"][1];
    assert_eq!(up["time"], "2026-07-01T10:00:00Z");
    assert_eq!(up["outcome"], "scaled");
    // The ConfigMap entry and the ScalingReport event are one decision.
    assert_eq!(up["sources"], serde_json::json!(["config-map", "event"]));
    let v = &up["vertices"][0];
    assert_eq!(
        (v["id"].as_str(), v["from"].as_i64(), v["to"].as_i64()),
        (Some(V1), Some(2), Some(4))
    );
    assert_eq!(v["direction"], "up");
    assert_eq!(v["rates"]["trueProcessingRate"], 1000.0);
    assert_eq!(v["rates"]["targetDataRate"], 1000.0);
    assert_eq!(v["rates"]["catchUpDataRate"], 300.0);
    assert_eq!(v["rates"]["lag"], 540000.0);
    assert_eq!(v["rates"]["expectedProcessingRate"], 1895.0);
    assert_eq!(v["rates"]["scaleUpThreshold"], 1300.0);
    assert_eq!(v["utilization"]["value"], 1.0);
    assert_eq!(v["utilization"]["withCatchUp"], 1.3);
    assert_eq!(v["utilization"]["max"], 1.0);
    assert_eq!(v["idealParallelism"], 4);
    assert_eq!(v["limits"], serde_json::json!([]));
    let series: Vec<(String, Vec<i64>)> = r["parallelism"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["points"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p["parallelism"].as_i64().unwrap())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        series,
        [(V2.to_string(), vec![2]), (V1.to_string(), vec![1, 2, 4])]
    );
    assert_eq!(r["notes"], serde_json::json!([]));

    let text = explain(&server, &["lagging"]).ok_quiet().stdout;
    assert!(
        text.contains("plus 300.00 rec/s to catch up on a lag of 540000 records"),
        "{text}"
    );
    // Recomputed with the operator's algorithm (the restart catch-up counts too).
    assert!(text.contains("scale up below 1300.00 rec/s"), "{text}");
    assert!(
        text.contains("300.00 + 1000.00 x 300s / 1800s + 1000.00 / 0.7 = 1895.00 rec/s"),
        "{text}"
    );
    assert!(text.contains("parallelism ceil(1.895 x 2) = 4"), "{text}");
}

#[test]
fn scale_down_delayed_by_the_interval() {
    let server = start();
    let r = json(&server, "shrinking");
    assert_eq!(r["verdict"]["kind"], "scale-down-delayed");
    assert_eq!(r["verdict"]["timeLeftSeconds"], 25 * 60);
    assert_eq!(r["verdict"]["until"], "2026-07-01T12:25:00Z");
    assert_eq!(
        strings(&r["verdict"]["details"]),
        [format!(
            "{V2}: parallelism 4 -> 2, first recommended at 2026-07-01T11:25:00Z, due at 2026-07-01T12:25:00Z (25m left)"
        )]
    );
    // The interval comes from an old-prefix key, the target from a deprecated one.
    let config = r["configuration"].as_array().unwrap();
    let row = |option: &str| {
        config
            .iter()
            .find(|c| c["option"] == option)
            .unwrap_or_else(|| panic!("no {option}"))
    };
    let interval = row("job.autoscaler.scale-down.interval");
    assert_eq!(interval["origin"], "old-prefix");
    assert_eq!(
        interval["key"],
        "kubernetes.operator.job.autoscaler.scale-down.interval"
    );
    assert_eq!(interval["value"], "1h");
    let target = row("job.autoscaler.utilization.target");
    assert_eq!(target["origin"], "deprecated-alias");
    assert_eq!(target["value"], "0.6");

    let text = explain(&server, &["shrinking"]).ok_quiet().stdout;
    assert!(text.contains("Now: Scale-down delayed: "), "{text}");
    assert!(
        text.contains("(25m left, until 2026-07-01T12:25:00Z)"),
        "{text}"
    );
    assert!(
        text.contains("deprecated key job.autoscaler.target.utilization"),
        "{text}"
    );
}

#[test]
fn advisor_mode_with_its_recommendations() {
    let server = start();
    let r = json(&server, "advisor");
    assert_eq!(r["deployment"]["autoscaler"], "advisor");
    assert_eq!(r["verdict"]["kind"], "advisor-mode");
    assert_eq!(
        strings(&r["verdict"]["details"]),
        [
            format!("recommended at 2026-07-01T11:50:00Z: {V1} parallelism 2 -> 4"),
            format!("recommended at 2026-07-01T11:50:00Z: {V2} parallelism 4 -> 2"),
        ]
    );
    let d = &r["history"][0];
    assert_eq!(d["outcome"], "recommended");
    assert_eq!(d["disabledBy"], "job.autoscaler.scaling.enabled:false");
    assert_eq!(d["sources"], serde_json::json!(["event"]));
    // A ScalingReport carries no catch-up rate, thresholds or key groups: explain
    // does not pretend to know the steps (it used to derive an "ideal" from the
    // expected rate, which the operator computes from the result).
    assert_eq!(d["vertices"][0]["idealParallelism"], Value::Null);
    assert_eq!(d["vertices"][0]["steps"], serde_json::json!([]));
    assert!(
        strings(&d["vertices"][1]["reasons"])
            .iter()
            .any(|r| r.contains("not recomputed"))
    );
    // The sink idles at 15%: in advisor mode that is a recommendation, not an action.
    assert_eq!(r["also"][0]["kind"], "scaling-due");
    assert!(
        r["also"][0]["summary"]
            .as_str()
            .unwrap()
            .ends_with("in advisor mode the autoscaler only recommends a change")
    );
}

#[test]
fn a_vertex_capped_at_max_parallelism() {
    let server = start();
    let r = json(&server, "capped");
    assert_eq!(r["verdict"]["kind"], "at-max-parallelism");
    assert_eq!(
        strings(&r["verdict"]["details"]),
        [format!(
            "{V1}: parallelism 4 is at its max 4 (job.autoscaler.vertex.max-parallelism), utilization 97% above the upper bound 90%"
        )]
    );
    let v = &r["history"][0]["vertices"][0];
    assert_eq!(v["idealParallelism"], 6);
    assert_eq!(v["limits"][0]["kind"], "max-parallelism");
    assert_eq!(
        v["limits"][0]["message"],
        "capped from 6 at job.autoscaler.vertex.max-parallelism 4"
    );
    assert_eq!(
        v["steps"][0]["option"],
        "job.autoscaler.vertex.max-parallelism"
    );
    // The sink's ScalingLimited warning belongs to no decision: it is listed.
    let warnings = r["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0]["reason"], "ScalingLimited");
    assert_eq!(warnings[0]["count"], 3);
    // Plain YAML state (the operator's fallback) reads without a note.
    assert_eq!(r["notes"], serde_json::json!([]));
}

#[test]
fn a_stabilization_wait() {
    let server = start();
    let r = json(&server, "restarted");
    assert_eq!(r["verdict"]["kind"], "stabilizing");
    assert_eq!(r["verdict"]["timeLeftSeconds"], 180);
    assert_eq!(r["verdict"]["until"], "2026-07-01T12:03:00Z");
}

#[test]
fn a_job_that_is_not_running() {
    let server = start();
    let r = json(&server, "failed");
    assert_eq!(r["verdict"]["kind"], "job-not-running");
    assert_eq!(
        r["verdict"]["summary"],
        "the job is FAILED (lifecycle FAILED): the autoscaler evaluates running jobs only"
    );
    assert_eq!(r["also"], serde_json::json!([]));
}

#[test]
fn a_deployment_without_config_map() {
    let server = start();
    let r = json(&server, "fresh");
    assert_eq!(r["deployment"]["configMapAvailability"], "none");
    assert_eq!(r["verdict"]["kind"], "metrics-window-filling");
    assert_eq!(r["verdict"]["timeLeftSeconds"], 300);
    assert_eq!(
        strings(&r["notes"]),
        [
            "no autoscaler state yet: ConfigMap autoscaler-fresh not found (the autoscaler writes it on its first evaluation)"
        ]
    );
    assert_eq!(r["history"], serde_json::json!([]));
}

#[test]
fn malformed_config_map_data_are_notes() {
    let server = start();
    let run = explain(&server, &["broken", "-o", "json"]).ok_quiet();
    let r = run.json();
    let notes = strings(&r["notes"]);
    let has = |prefix: &str| notes.iter().any(|n| n.starts_with(prefix));
    assert!(
        has("ConfigMap autoscaler-broken: parallelismOverrides: ignored entries"),
        "{notes:#?}"
    );
    assert!(
        has(
            "ConfigMap autoscaler-broken: scalingHistory: unknown metric names ignored: WARP_FACTOR"
        ),
        "{notes:#?}"
    );
    assert!(
        has("ConfigMap autoscaler-broken: collectedMetrics: not base64"),
        "{notes:#?}"
    );
    assert!(
        has("ConfigMap autoscaler-broken: scalingTracking: base64, but not gzip"),
        "{notes:#?}"
    );
    assert!(
        has("ConfigMap autoscaler-broken: delayedScaleDown: not base64"),
        "{notes:#?}"
    );
    assert!(
        has("a ScalingReport event at 2026-07-01T11:00:00Z is not in the operator's format"),
        "{notes:#?}"
    );
    assert_eq!(notes.len(), 6, "{notes:#?}");
    // What could be read still counts.
    assert_eq!(r["history"][0]["vertices"][0]["to"], 4);
    assert_eq!(r["verdict"]["kind"], "metrics-window-filling");
}

// ---- options and errors -----------------------------------------------------------

#[test]
fn vertex_and_since_narrow_the_history() {
    let server = start();
    let r = explain(&server, &["lagging", "-o", "json", "--vertex", &V1[..8]])
        .ok_quiet()
        .json();
    assert_eq!(r["vertex"], &V1[..8]);
    assert_eq!(r["parallelism"].as_array().map(Vec::len), Some(1));
    let r = explain(&server, &["lagging", "-o", "json", "--since", "3h"])
        .ok_quiet()
        .json();
    assert_eq!(r["since"], "2026-07-01T09:00:00Z");
    assert_eq!(r["history"].as_array().map(Vec::len), Some(1));
    let points = &r["parallelism"][1]["points"];
    assert_eq!(points[0]["parallelism"], 2, "{points:#}");
}

/// The text without terminal escapes (`ESC [ ... letter`) and carriage returns.
fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' if chars.peek() == Some(&'[') => {
                chars.next();
                for c in chars.by_ref() {
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// On a real terminal (a pseudo-terminal from util-linux's `script`, 80 columns):
/// colour, and prose wrapped at word boundaries; the words are exactly those of the
/// piped output, so nothing was cut inside a word.
#[test]
fn on_a_terminal_explain_is_coloured_and_wrapped_at_words() {
    let server = start();
    let piped = explain(&server, &["shrinking"]).ok_quiet();
    let command = format!("{} explain --now {NOW} shrinking", plugin_path().display());
    let out = BinaryRun::program("script", "script")
        .args(["-qec", &command, "/dev/null"])
        .kubeconfig(server.kubeconfig())
        .columns(80)
        .env("TERM", "xterm")
        .env("LANG", "C.UTF-8")
        .color()
        .run();
    let raw = out.stdout;
    assert_eq!(out.code, Some(0), "{raw}");
    assert!(raw.contains("\x1b[33mwarn\x1b[0m"), "no colour:\n{raw}");
    let shown = plain(&raw);
    let words = |t: &str| t.split_whitespace().map(String::from).collect::<Vec<_>>();
    assert_eq!(words(&shown), words(&piped.stdout), "{shown}");
    let findings = shown.split("\nFindings\n").nth(1).expect("findings");
    let prose = shown
        .lines()
        .filter(|l| l.starts_with("Now:") || l.starts_with("  - "));
    for line in findings.lines().chain(prose) {
        assert!(
            line.chars().count() <= 80 || line.split_whitespace().count() == 1,
            "{line:?} is wider than 80"
        );
    }
    assert!(
        shown.lines().count() > piped.stdout.lines().count(),
        "wrapped"
    );
}

#[test]
fn an_unknown_vertex_is_an_error_that_lists_the_known_ones() {
    let server = start();
    let run = explain(&server, &["lagging", "--vertex", "zzz"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.starts_with(
            "error: no vertex of flinkdeployment \"lagging\" has an id starting with \"zzz\" (known: "
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(V1), "{}", run.stderr);
}

#[test]
fn an_unknown_deployment_is_an_error() {
    let server = start();
    let run = explain(&server, &["nope"]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "error: flinkdeployment \"nope\" not found in namespace \"flink\"\n"
    );
    let usage = explain(&server, &["lagging", "--since", "0s"]);
    assert_eq!(usage.code, Some(2), "{usage:#?}");
}

// ---- what the operator itself wrote (`fixtures/explain/operator/`) -----------------
//
// Each scenario there was produced by the Flink operator's own `flink-autoscaler`
// code (see its README): the ConfigMap after every reconcile, the Events, and
// `reference.json` with every number the operator computed. Explain runs against the
// ConfigMap of one reconcile with `--now` at that reconcile and the Events as they
// stood then, and must show the operator's numbers and steps.

const OPERATOR_SCENARIO: &str = "backlog-align-scale-down";

fn operator_dir(scenario: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/explain/operator")
        .join(scenario)
}

fn reference(scenario: &str) -> Value {
    let text = std::fs::read_to_string(operator_dir(scenario).join("reference.json"))
        .expect("reference.json reads");
    serde_json::from_str(&text).expect("reference.json is JSON")
}

/// The Events as they stood right after instant `n` (0-based): each Event's newest
/// state in `eventDetails` up to then, with `involvedObject` as `events.yaml` has it.
fn events_at(scenario: &str, reference: &Value, n: usize) -> Vec<Value> {
    // A `v1` EventList: its items.
    let all: Vec<Value> =
        flink_autoscale_e2e::apiserver::load_yaml(operator_dir(scenario).join("events.yaml"))
            .expect("events.yaml loads")
            .into_iter()
            .flat_map(|l| l["items"].as_array().cloned().unwrap_or_else(|| vec![l]))
            .collect();
    let mut latest: std::collections::BTreeMap<String, Value> = Default::default();
    for instant in reference["instants"].as_array().expect("instants")[..=n].iter() {
        for d in instant["eventDetails"].as_array().into_iter().flatten() {
            latest.insert(d["name"].as_str().expect("name").to_string(), d.clone());
        }
    }
    latest
        .into_iter()
        .map(|(name, d)| {
            let stored = all
                .iter()
                .find(|e| e["metadata"]["name"] == name.as_str())
                .expect("every event of an instant is in events.yaml");
            let mut e = stored.clone();
            for field in [
                "type",
                "reason",
                "message",
                "firstTimestamp",
                "lastTimestamp",
                "count",
            ] {
                e[field] = d[field].clone();
            }
            e
        })
        .collect()
}

/// A server holding the deployment, the ConfigMap after instant `n` and the Events then.
fn operator_server(scenario: &str, reference: &Value, n: usize) -> TestApiServer {
    let dir = operator_dir(scenario);
    let configmap = reference["instants"][n]["configmap"]
        .as_str()
        .expect("configmap");
    TestApiServer::builder()
        .namespace("flink")
        .yaml_file(dir.join("deployment.yaml"))
        .expect("deployment loads")
        .yaml_file(dir.join(configmap))
        .expect("configmap loads")
        .objects(events_at(scenario, reference, n))
        .start()
        .expect("test API server starts")
}

fn explain_at(server: &TestApiServer, name: &str, at: &str, extra: &[&str]) -> Run {
    plugin(["explain", name, "--now", at])
        .args(extra)
        .kubeconfig(server.kubeconfig())
        .lang("C.UTF-8")
        .run()
}

/// A number of `reference.json` (non-finite ones are strings there, as in our JSON).
fn number(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().expect("a double"),
        Value::String(s) if s == "Infinity" => f64::INFINITY,
        Value::String(s) if s == "-Infinity" => f64::NEG_INFINITY,
        other => panic!("not a number: {other}"),
    }
}

/// `PT1M1S` -> 61.
fn iso_seconds(v: &Value) -> i64 {
    let s = v.as_str().expect("an ISO duration");
    let rest = s.strip_prefix("PT").expect("PT...");
    let (mut total, mut digits) = (0, String::new());
    for c in rest.chars() {
        match c {
            'H' => total += digits.parse::<i64>().unwrap() * 3600,
            'M' => total += digits.parse::<i64>().unwrap() * 60,
            'S' => total += digits.parse::<i64>().unwrap(),
            _ => {
                digits.push(c);
                continue;
            }
        }
        digits.clear();
    }
    total
}

fn steps_of(v: &Value) -> Vec<(f64, f64, String)> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                number(&s["from"]),
                number(&s["to"]),
                s["option"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Every vertex the operator rescaled, at every instant it rescaled: explain's
/// recomputation equals the operator's numbers and its steps equal the operator's.
/// A vertex the operator kept with a `ScalingLimited` event at that instant is shown
/// held, with the event's numbers as its step.
/// Returns how many rescaled and held vertices were compared.
fn compare_decisions(scenario: &str) -> (usize, usize) {
    let r = reference(scenario);
    let name = r["deployment"]
        .as_str()
        .expect("deployment")
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let instants = r["instants"].as_array().expect("instants");
    let mut compared = 0;
    let mut held = 0;
    for (n, instant) in instants.iter().enumerate() {
        if instant["scaled"] != true {
            continue;
        }
        let at = instant["at"].as_str().expect("at");
        let server = operator_server(scenario, &r, n);
        let out = explain_at(&server, &name, at, &["-o", "json"])
            .ok_quiet()
            .json();
        let decision = out["history"]
            .as_array()
            .expect("history")
            .iter()
            .find(|d| d["time"] == at)
            .unwrap_or_else(|| panic!("no decision at {at}: {:#}", out["history"]));
        for (id, expected) in instant["vertices"].as_object().expect("vertices") {
            let outcome = expected["outcome"].as_str().unwrap();
            let emitted = expected["steps"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| s.get("event").is_some()));
            let got = decision["vertices"]
                .as_array()
                .unwrap()
                .iter()
                .find(|v| v["id"] == id.as_str());
            match outcome {
                "scaled" => {
                    let got = got.unwrap_or_else(|| panic!("{at}: {id} missing"));
                    let c = &got["computation"];
                    let ctx = format!("{scenario} {at} {id}: {got:#}");
                    assert_eq!(got["to"], expected["finalParallelism"], "{ctx}");
                    assert_eq!(
                        c["targetCapacity"].as_f64(),
                        expected["targetCapacity"].as_f64(),
                        "{ctx}"
                    );
                    for (ours, theirs) in [
                        ("scaleFactor", "scaleFactor"),
                        ("cappedScaleFactor", "cappedScaleFactor"),
                    ] {
                        let (a, b) = (number(&c[ours]), number(&expected[theirs]));
                        assert!((a - b).abs() <= 1e-12 * b.abs(), "{ours} {a} != {b}: {ctx}");
                    }
                    assert_eq!(
                        c["beforeAlignment"], expected["newParallelismBeforeAlignment"],
                        "{ctx}"
                    );
                    assert_eq!(c["parallelism"], expected["alignedParallelism"], "{ctx}");
                    assert_eq!(
                        c["restartSeconds"].as_i64(),
                        Some(iso_seconds(&expected["restartTime"])),
                        "{ctx}"
                    );
                    let backlog = c["upperUtilization"] == 1.0 && c["lowerUtilization"] == 0.0;
                    assert_eq!(Value::Bool(backlog), expected["backlog"], "{ctx}");
                    if backlog {
                        // JSON has no Infinity: the Java spelling, not null.
                        assert_eq!(got["rates"]["scaleDownThreshold"], "Infinity", "{ctx}");
                        assert_eq!(c["scaleDownThreshold"], "Infinity", "{ctx}");
                    }
                    assert_eq!(
                        steps_of(&got["steps"]),
                        steps_of(&expected["steps"]),
                        "{ctx}"
                    );
                    compared += 1;
                }
                "limited" if emitted => {
                    let got = got.unwrap_or_else(|| panic!("{at}: held {id} missing"));
                    let ctx = format!("{at} {id}: {got:#}");
                    assert_eq!(
                        (&got["from"], &got["to"]),
                        (&expected["finalParallelism"], &expected["finalParallelism"]),
                        "{ctx}"
                    );
                    assert_eq!(
                        steps_of(&got["steps"]),
                        steps_of(&expected["steps"]),
                        "{ctx}"
                    );
                    assert_eq!(got["events"].as_array().map(Vec::len), Some(1), "{ctx}");
                    held += 1;
                }
                _ => assert!(
                    got.is_none(),
                    "{at}: {id} ({outcome}) is not a change: {got:?}"
                ),
            }
        }
    }
    (compared, held)
}

#[test]
fn every_decision_equals_the_operators() {
    // 08:15, 09:36, 11:00, 12:21, 12:43: 2 + 2 + 2 + 3 + 3 rescaled vertices, and the
    // source held by ScalingLimited at 08:15.
    assert_eq!(compare_decisions(OPERATOR_SCENARIO), (12, 1));
}

/// The other scenarios the operator produced: its default BALANCED alignment, an
/// excluded period, an ineffective scale-up blocked, memory tuning, pending
/// scale-downs evicted, the legacy overrides.
#[test]
fn every_decision_of_every_scenario_equals_the_operators() {
    let mut total = 0;
    for scenario in [
        "balanced-default",
        "excluded-period",
        "ineffective-scale-up",
        "memory-tuning",
        "pending-eviction",
        "legacy-overrides",
    ] {
        let (compared, _) = compare_decisions(scenario);
        assert!(compared > 0, "{scenario}: nothing compared");
        total += compared;
    }
    assert!(total >= 12, "{total}");
}

fn verdict_at(r: &Value, at: &str) -> Value {
    let n = r["instants"]
        .as_array()
        .unwrap()
        .iter()
        .position(|i| i["at"] == at)
        .unwrap_or_else(|| panic!("no instant {at}"));
    let server = operator_server(OPERATOR_SCENARIO, r, n);
    let out = explain_at(&server, "orders-pipeline", at, &["-o", "json"])
        .ok_quiet()
        .json();
    out["verdict"].clone()
}

/// The verdict at a reconcile is what the operator finds at its next one.
#[test]
fn verdicts_at_several_reconciles() {
    let r = reference(OPERATOR_SCENARIO);
    let state = |at: &str| {
        let i = r["instants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["at"] == at)
            .unwrap();
        (
            i["collectorState"].clone(),
            i["collectorStateUntil"].clone(),
        )
    };
    // Filling: until the instant the operator logged.
    for at in ["2026-07-01T08:10:00Z", "2026-07-01T08:30:00Z"] {
        let v = verdict_at(&r, at);
        assert_eq!(state(at).0, "window-filling");
        assert_eq!(v["kind"], "metrics-window-filling", "{at}: {v:#}");
        assert_eq!(v["until"], state(at).1, "{at}: {v:#}");
    }
    // Stabilizing after the 08:15 rescale, the restart took 52 s.
    let v = verdict_at(&r, "2026-07-01T08:19:00Z");
    assert_eq!(v["kind"], "stabilizing", "{v:#}");
    assert_eq!(v["until"], state("2026-07-01T08:19:00Z").1);
    // At 08:14 the window is full at the operator's next reconcile (08:15), which
    // evaluates and scales: no "filling" verdict.
    let v = verdict_at(&r, "2026-07-01T08:14:00Z");
    assert_ne!(v["kind"], "metrics-window-filling", "{v:#}");
    // At 11:21 every vertex's scale-down waits for scale-down.interval; the source's
    // would go 18 -> 9 (what the operator applied at 12:21).
    let v = verdict_at(&r, "2026-07-01T11:21:00Z");
    assert_eq!(v["kind"], "scale-down-delayed", "{v:#}");
    assert_eq!(v["until"], "2026-07-01T12:21:00Z", "{v:#}");
    let details = strings(&v["details"]);
    assert!(
        details
            .iter()
            .any(|d| d.starts_with(&format!("{V1}: parallelism 18 -> 9"))),
        "{details:#?}"
    );
}

/// Flink's standard `config.yaml` flow map of `parallelismOverrides` and the legacy
/// form read the same, in `explain` and in `status`.
#[test]
fn standard_yaml_and_legacy_overrides_decode_alike() {
    for scenario in [OPERATOR_SCENARIO, "legacy-overrides"] {
        let r = reference(scenario);
        let name = r["deployment"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap();
        let n = r["instants"].as_array().unwrap().len() - 1;
        let at = r["instants"][n]["at"].as_str().unwrap().to_string();
        let server = operator_server(scenario, &r, n);
        let out = explain_at(&server, name, &at, &["-o", "json"])
            .ok_quiet()
            .json();
        assert_eq!(strings(&out["notes"]), Vec::<String>::new(), "{scenario}");
        let ids: Vec<&str> = out["parallelism"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap())
            .collect();
        assert_eq!(
            ids.len(),
            3,
            "{scenario}: three vertices, no phantom from the flow map: {ids:?}"
        );
        assert!(
            ids.iter()
                .all(|id| id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()))
        );
        let status = plugin(["status", name, "-o", "json"])
            .kubeconfig(server.kubeconfig())
            .run()
            .ok();
        let json: Value = serde_json::from_str(&status.stdout).expect("status JSON");
        let d = &json["deployments"][0];
        assert_eq!(d["parallelism"]["source"], "autoscaler", "{d:#}");
        assert_eq!(
            strings(&d["autoscalerState"]["problems"]),
            Vec::<String>::new()
        );
        let mut got: Vec<(String, i64)> = d["parallelism"]["vertices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["id"].as_str().unwrap().to_string(),
                    o["parallelism"].as_i64().unwrap(),
                )
            })
            .collect();
        got.sort();
        let expected_last = &r["instants"][n]["vertices"];
        let mut want: Vec<(String, i64)> = expected_last
            .as_object()
            .unwrap()
            .iter()
            .map(|(id, v)| (id.clone(), v["finalParallelism"].as_i64().unwrap()))
            .collect();
        want.sort();
        assert_eq!(got, want, "{scenario}");
        let min = want.iter().map(|w| w.1).min();
        let max = want.iter().map(|w| w.1).max();
        assert_eq!(d["parallelism"]["current"]["min"].as_i64(), min, "{d:#}");
        assert_eq!(d["parallelism"]["current"]["max"].as_i64(), max, "{d:#}");
    }
}

/// The test API server stores Events under the names the operator gives them, as the
/// real one does (`kubectl create` of the operator's EventList).
#[test]
fn operator_named_events_are_stored() {
    let server = TestApiServer::builder()
        .namespace("flink")
        .object(serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "flink"}}))
        .start()
        .expect("starts");
    let events = operator_dir(OPERATOR_SCENARIO).join("events.yaml");
    let out = server
        .kubectl()
        .args(["create", "--validate=false", "-f"])
        .arg(&events)
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = server
        .kubectl()
        .args(["get", "events", "-n", "flink", "-o", "name"])
        .output()
        .expect("kubectl runs");
    let names = String::from_utf8_lossy(&out.stdout);
    assert!(names.contains("event/Operator.1785500387"), "{names}");
    // Other kinds keep the lowercase rule.
    let upper = std::env::temp_dir().join(format!("upper-{}.json", std::process::id()));
    std::fs::write(
        &upper,
        r#"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Upper", "namespace": "flink"}}"#,
    )
    .expect("writes");
    let out = server
        .kubectl()
        .args(["create", "--validate=false", "-f"])
        .arg(&upper)
        .output()
        .expect("kubectl runs");
    let _ = std::fs::remove_file(&upper);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("\"Upper\" is invalid"), "{stderr}");
}

/// `--set`: every vertex recomputed from the newest inputs the operator stored. With
/// the value in effect, the numbers are the operator's own decision; with
/// `utilization.target: 0.8`, the target capacity and scale factor are the operator's
/// formula (`AutoScalerUtils#getTargetProcessingCapacity`) on the operator's inputs.
#[test]
fn what_if_recomputes_with_the_operators_formula() {
    let r = reference(OPERATOR_SCENARIO);
    let n = r["instants"].as_array().unwrap().len() - 1;
    let last = &r["instants"][n];
    let at = last["at"].as_str().unwrap();
    let server = operator_server(OPERATOR_SCENARIO, &r, n);

    let same = explain_at(
        &server,
        "orders-pipeline",
        at,
        &[
            "-o",
            "json",
            "--set",
            "job.autoscaler.utilization.target=0.7",
        ],
    )
    .ok_quiet()
    .json();
    let w = &same["whatIf"];
    assert_eq!(w["settings"][0]["was"], "0.7", "{w:#}");
    let vertices = w["vertices"].as_array().expect("vertices");
    assert_eq!(vertices.len(), 3);
    for v in vertices {
        let id = v["id"].as_str().unwrap();
        let final_p = &last["vertices"][id]["finalParallelism"];
        assert_eq!(&v["withCurrentSettings"]["parallelism"], final_p, "{v:#}");
        assert_eq!(&v["wouldBe"]["parallelism"], final_p, "{v:#}");
        assert_eq!(v["inputsFrom"], at);
    }

    let changed = explain_at(
        &server,
        "orders-pipeline",
        at,
        &[
            "-o",
            "json",
            "--set",
            "job.autoscaler.utilization.target=0.8",
        ],
    )
    .ok_quiet()
    .json();
    let w = &changed["whatIf"];
    let mut highest = 0;
    for v in w["vertices"].as_array().unwrap() {
        let id = v["id"].as_str().unwrap();
        let reference_vertex = &last["vertices"][id];
        let input = |m: &str, f: &str| number(&reference_vertex["inputs"][m][f]);
        let restart = iso_seconds(&reference_vertex["restartTime"]) as f64;
        let target = input("TARGET_DATA_RATE", "average");
        let capacity = (input("CATCH_UP_DATA_RATE", "current")
            + target * restart / 1800.0
            + target / 0.8
            + 0.5)
            .floor();
        let factor = capacity / input("TRUE_PROCESSING_RATE", "average");
        let c = &v["wouldBe"];
        assert_eq!(c["targetCapacity"].as_f64(), Some(capacity), "{id}: {v:#}");
        assert!(
            (number(&c["scaleFactor"]) - factor).abs() < 1e-12,
            "{id}: {v:#}"
        );
        let current = input("PARALLELISM", "current");
        let capped = factor.clamp(0.5, 100_001.0);
        if id == "20ba6b65f97481d5570070de90e4e791" {
            // The sink (a rebalance input, no alignment): ceil(factor x p) within
            // [1, min(128 key groups, max(p, 32))].
            let upper = 128f64.min(current.max(32.0));
            let expected = (capped * current).ceil().clamp(1.0, upper);
            assert_eq!(c["parallelism"].as_f64(), Some(expected), "{v:#}");
        }
        highest = highest.max(c["parallelism"].as_i64().unwrap());
    }
    // 4 slots per TaskManager (taskmanager.numberOfTaskSlots in the deployment).
    assert_eq!(w["slotsPerTaskManager"], 4);
    assert_eq!(w["taskManagersWouldBe"].as_i64(), Some((highest + 3) / 4));
    assert_eq!(w["taskManagers"].as_i64(), Some((15 + 3) / 4));

    let text = explain_at(
        &server,
        "orders-pipeline",
        at,
        &["--set", "job.autoscaler.utilization.target=0.8"],
    )
    .ok_quiet()
    .stdout;
    assert!(
        text.contains("What if job.autoscaler.utilization.target=0.8 (was 0.7)"),
        "{text}"
    );
    assert!(text.contains("TaskManagers (4 slots each): 4 → "), "{text}");

    let bad = explain_at(
        &server,
        "orders-pipeline",
        at,
        &["--set", "job.autoscaler.utilization.target=high"],
    );
    assert_eq!(bad.code, Some(2), "{bad:#?}");
    assert!(
        bad.stderr
            .contains("--set job.autoscaler.utilization.target: Invalid value: \"high\"")
            && bad.stderr.contains("[config.parse]"),
        "{bad:#?}"
    );
    let unknown = explain_at(
        &server,
        "orders-pipeline",
        at,
        &["--set", "job.autoscaler.utilisation.target=0.8"],
    );
    assert_eq!(unknown.code, Some(2), "{unknown:#?}");
    assert!(
        unknown.stderr.contains("[config.unknown-key]"),
        "{unknown:#?}"
    );
}

fn report_at(scenario: &str, at: &str) -> Value {
    let r = reference(scenario);
    let n = r["instants"]
        .as_array()
        .unwrap()
        .iter()
        .position(|i| i["at"] == at)
        .unwrap_or_else(|| panic!("{scenario}: no instant {at}"));
    let name = r["deployment"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let server = operator_server(scenario, &r, n);
    explain_at(&server, &name, at, &["-o", "json"])
        .ok_quiet()
        .json()
}

fn conditions(report: &Value) -> Vec<Value> {
    std::iter::once(report["verdict"].clone())
        .chain(report["also"].as_array().cloned().unwrap_or_default())
        .collect()
}

/// Pending scale-downs as `DelayedScaleDown` evicts them: at 11:10, inside the
/// excluded period 10:55-11:20, the scale-downs are due; the first reconcile after
/// the period (11:21) keeps only the recommendations of its last `scale-down.interval`,
/// and applies orders 18 -> 9, window-aggregate 9 -> 5, sink 26 -> 13, as the operator
/// did (not the highest values recorded since 10:00).
#[test]
fn pending_scale_downs_are_what_the_operator_applies() {
    let report = report_at("pending-eviction", "2026-07-01T11:10:00Z");
    let all = conditions(&report);
    assert_eq!(all[0]["kind"], "excluded-period", "{all:#?}");
    // The period's end second is inside it (`CalendarUtils`, to the second).
    assert_eq!(all[0]["until"], "2026-07-01T11:20:01Z", "{all:#?}");
    let delayed = all
        .iter()
        .find(|c| c["kind"] == "scale-down-delayed")
        .unwrap_or_else(|| panic!("{all:#?}"));
    let details = strings(&delayed["details"]);
    for expected in [
        format!("{V1}: parallelism 18 -> 9"),
        format!("{V2}: parallelism 9 -> 5"),
        "20ba6b65f97481d5570070de90e4e791: parallelism 26 -> 13".to_string(),
    ] {
        assert!(
            details.iter().any(|d| d.starts_with(&expected)),
            "{expected}: {details:#?}"
        );
    }
    assert_eq!(delayed["until"], "2026-07-01T11:21:00Z", "{delayed:#}");
    let r = reference("pending-eviction");
    let applied = r["instants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["at"] == "2026-07-01T11:21:00Z")
        .unwrap();
    assert_eq!(applied["vertices"][V1]["finalParallelism"], 9);
    assert_eq!(applied["vertices"][V2]["finalParallelism"], 5);
}

/// Advisor mode and an excluded period, as the operator reports them.
#[test]
fn advisor_and_excluded_period_verdicts() {
    let report = report_at("advisor", "2026-07-01T08:15:00Z");
    assert_eq!(
        report["verdict"]["kind"], "advisor-mode",
        "{:#}",
        report["verdict"]
    );
    assert_eq!(report["deployment"]["autoscaler"], "advisor");
    let recommended = report["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["outcome"] == "recommended")
        .unwrap_or_else(|| panic!("{:#}", report["history"]));
    assert_eq!(
        recommended["disabledBy"],
        "job.autoscaler.scaling.enabled:false"
    );

    let report = report_at("excluded-period", "2026-07-01T08:15:00Z");
    let all = conditions(&report);
    let excluded = all
        .iter()
        .find(|c| c["kind"] == "excluded-period")
        .unwrap_or_else(|| panic!("{all:#?}"));
    assert_eq!(excluded["until"], "2026-07-01T08:30:01Z", "{excluded:#}");
    let reported = report["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["outcome"] == "recommended")
        .unwrap_or_else(|| panic!("{:#}", report["history"]));
    assert_eq!(
        reported["disabledBy"],
        "job.autoscaler.excluded.periods:[08:00-08:30]"
    );
}

/// The text the README shows: the 08:15 backlog scale-up of the operator-produced
/// scenario, and a what-if at 12:43.
#[test]
fn operator_scenario_text() {
    let r = reference(OPERATOR_SCENARIO);
    let n = r["instants"]
        .as_array()
        .unwrap()
        .iter()
        .position(|i| i["at"] == "2026-07-01T08:15:00Z")
        .unwrap();
    let server = operator_server(OPERATOR_SCENARIO, &r, n);
    let text = explain_at(&server, "orders-pipeline", "2026-07-01T08:15:00Z", &[])
        .ok_quiet()
        .stdout;
    insta::assert_snapshot!("explain_operator_0815", text);

    let last = r["instants"].as_array().unwrap().len() - 1;
    let server = operator_server(OPERATOR_SCENARIO, &r, last);
    let text = explain_at(
        &server,
        "orders-pipeline",
        "2026-07-01T12:43:00Z",
        &[
            "--set",
            "job.autoscaler.utilization.target=0.8",
            "--set",
            "job.autoscaler.vertex.max-parallelism=10",
        ],
    )
    .ok_quiet()
    .stdout;
    let what_if: String = text
        .lines()
        .skip_while(|l| !l.starts_with("What if"))
        .take_while(|l| !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(!what_if.is_empty(), "{text}");
    insta::assert_snapshot!("explain_operator_what_if", what_if);
}

/// Memory tuning: the `configOverrides` the operator stores with a rescale are shown.
#[test]
fn memory_tuning_overrides_are_shown() {
    let report = report_at("memory-tuning", "2026-07-01T09:36:00Z");
    let overrides = report["autoscalerOverrides"].as_object().expect("a map");
    assert!(
        overrides.contains_key("taskmanager.memory.process.size"),
        "{overrides:#?}"
    );
    assert_eq!(strings(&report["notes"]), Vec::<String>::new());
}

/// Events of another deployment incarnation (same name, other `involvedObject.uid`)
/// are not this one's: a ScalingLimited of the old one does not attach to a decision.
#[test]
fn events_of_another_uid_are_ignored() {
    let r = reference(OPERATOR_SCENARIO);
    let n = r["instants"]
        .as_array()
        .unwrap()
        .iter()
        .position(|i| i["at"] == "2026-07-01T08:15:00Z")
        .unwrap();
    let dir = operator_dir(OPERATOR_SCENARIO);
    let mut events = events_at(OPERATOR_SCENARIO, &r, n);
    let mut stranger = events
        .iter()
        .find(|e| e["reason"] == "ScalingLimited")
        .expect("a ScalingLimited at 08:15")
        .clone();
    stranger["metadata"]["name"] = "Operator.1".into();
    stranger["involvedObject"]["uid"] = "00000000-0000-0000-0000-000000000000".into();
    stranger["message"] = stranger["message"]
        .as_str()
        .unwrap()
        .replace("expected parallelism: 25", "expected parallelism: 30")
        .into();
    events.push(stranger);
    let configmap = r["instants"][n]["configmap"].as_str().unwrap();
    let server = TestApiServer::builder()
        .namespace("flink")
        .yaml_file(dir.join("deployment.yaml"))
        .expect("loads")
        .yaml_file(dir.join(configmap))
        .expect("loads")
        .objects(events)
        .start()
        .expect("starts");
    let out = explain_at(
        &server,
        "orders-pipeline",
        "2026-07-01T08:15:00Z",
        &["-o", "json"],
    )
    .ok_quiet()
    .json();
    let held: Vec<&Value> = out["history"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["vertices"].as_array().unwrap())
        .filter(|v| v["id"] == V1)
        .collect();
    assert_eq!(held.len(), 1, "{held:#?}");
    assert_eq!(held[0]["idealParallelism"], 25);
    let warnings = out["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().all(|w| !w["message"]
            .as_str()
            .unwrap()
            .contains("expected parallelism: 30")),
        "{warnings:#?}"
    );
}

/// `--set` against the operator's own what-if answers (`whatif.json`: its code run at
/// a reconcile with the settings layered over the deployment's). Explain recomputes
/// from the newest evaluation stored in the scaling history, so the answers of the
/// reconciles that stored one (08:15) are compared, for the vertices it holds: the
/// target capacity, the parallelism before alignment, the steps (including "not
/// applied" when no vertex is outside its bounds), the would-be parallelism and the
/// TaskManagers.
#[test]
fn what_if_equals_the_operators_answers() {
    let r = reference(OPERATOR_SCENARIO);
    let text = std::fs::read_to_string(operator_dir(OPERATOR_SCENARIO).join("whatif.json"))
        .expect("whatif.json reads");
    let answers: Value = serde_json::from_str(&text).expect("JSON");
    let mut compared = 0;
    for answer in answers["whatIfs"].as_array().expect("whatIfs") {
        let at = answer["at"].as_str().unwrap();
        let n = r["instants"]
            .as_array()
            .unwrap()
            .iter()
            .position(|i| i["at"] == at)
            .unwrap();
        let server = operator_server(OPERATOR_SCENARIO, &r, n);
        let mut args = vec!["-o".to_string(), "json".to_string()];
        for (k, v) in answer["set"].as_object().unwrap() {
            args.push("--set".into());
            args.push(format!("{k}={}", v.as_str().unwrap()));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = explain_at(&server, "orders-pipeline", at, &args)
            .ok_quiet()
            .json();
        let w = &out["whatIf"];
        for v in w["vertices"].as_array().unwrap() {
            if v["inputsFrom"] != at {
                continue; // inputs of an earlier evaluation: not the same question
            }
            let id = v["id"].as_str().unwrap();
            let expected = &answer["vertices"][id];
            let ctx = format!("{at} {}: {v:#}", answer["set"]);
            assert_eq!(
                v["evaluatedParallelism"], answer["parallelism"][id]["current"],
                "{ctx}"
            );
            assert_eq!(
                v["wouldBeParallelism"], answer["parallelism"][id]["wouldBe"],
                "{ctx}"
            );
            assert_eq!(
                v["wouldBe"]["targetCapacity"].as_f64(),
                expected["targetCapacity"].as_f64(),
                "{ctx}"
            );
            assert_eq!(
                v["wouldBe"]["beforeAlignment"], expected["newParallelismBeforeAlignment"],
                "{ctx}"
            );
            assert_eq!(steps_of(&v["steps"]), steps_of(&expected["steps"]), "{ctx}");
            compared += 1;
        }
        if w["vertices"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["inputsFrom"] == at)
        {
            assert_eq!(w["wouldScale"], answer["wouldScale"], "{at}: {w:#}");
        }
        if answer["at"] == "2026-07-01T08:15:00Z" {
            assert_eq!(
                w["taskManagersWouldBe"], answer["taskManagers"]["wouldBe"],
                "{at} {}: {w:#}",
                answer["set"]
            );
        }
    }
    // Four answers at 08:15, two vertices each.
    assert_eq!(compared, 8);
}
