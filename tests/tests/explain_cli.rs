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
use flink_autoscale_e2e::binary;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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

#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn ok(self) -> Run {
        assert_eq!(self.code, 0, "expected success:\n{self:#?}");
        assert_eq!(self.stderr, "", "{self:#?}");
        self
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self:#?}"))
    }
}

/// The plugin with the environment a test controls: the server's kubeconfig, a UTF-8
/// locale unless `lang` says otherwise, no colour, no in-cluster detection.
fn explain_in(server: &TestApiServer, lang: &str, args: &[&str]) -> Run {
    let mut cmd = Command::new(binary("kubectl-flink", "kubectl-flink"));
    cmd.arg("explain")
        .args(["--now", NOW])
        .args(args)
        .env("KUBECONFIG", server.kubeconfig())
        .env("NO_COLOR", "1")
        .env_remove("LC_ALL")
        .env_remove("LC_CTYPE")
        .env("LANG", lang)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .stdin(Stdio::null());
    let out = cmd.output().expect("kubectl-flink runs");
    Run {
        code: out.status.code().expect("exits rather than being killed"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn explain(server: &TestApiServer, args: &[&str]) -> Run {
    explain_in(server, "C.UTF-8", args)
}

fn json(server: &TestApiServer, name: &str) -> Value {
    explain(server, &[name, "-o", "json"]).ok().json()
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
        let run = explain(&server, &[name]).ok();
        insta::assert_snapshot!(format!("explain_{name}"), run.stdout);
    }
}

#[test]
fn text_without_a_utf8_locale_is_ascii() {
    let server = start();
    let run = explain_in(&server, "C", &["lagging"]).ok();
    assert!(run.stdout.is_ascii(), "{}", run.stdout);
    insta::assert_snapshot!("explain_lagging_ascii", run.stdout);
}

// ---- the verdicts and the numbers, in JSON and text -------------------------------

#[test]
fn scale_up_on_lag() {
    let server = start();
    let r = json(&server, "lagging");
    assert_eq!(r["kind"], "FlinkExplain");
    assert_eq!(r["version"], 1);
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

    let text = explain(&server, &["lagging"]).ok().stdout;
    assert!(
        text.contains("plus 300.00 rec/s to catch up on a lag of 540000 records"),
        "{text}"
    );
    assert!(
        text.contains("The capacity is below the scale-up threshold of 1300.00 rec/s"),
        "{text}"
    );
    assert!(text.contains("parallelism 2 x 1.9 = 4"), "{text}");
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

    let text = explain(&server, &["shrinking"]).ok().stdout;
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
    assert_eq!(d["vertices"][0]["idealParallelism"], 4);
    assert_eq!(d["vertices"][1]["idealParallelism"], 2);
    assert_eq!(
        d["vertices"][1]["limits"][0]["kind"],
        "scale-down-max-factor"
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
        "capped at job.autoscaler.vertex.max-parallelism 4"
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
    let run = explain(&server, &["broken", "-o", "json"]).ok();
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
        .ok()
        .json();
    assert_eq!(r["vertex"], &V1[..8]);
    assert_eq!(r["parallelism"].as_array().map(Vec::len), Some(1));
    let r = explain(&server, &["lagging", "-o", "json", "--since", "3h"])
        .ok()
        .json();
    assert_eq!(r["since"], "2026-07-01T09:00:00Z");
    assert_eq!(r["history"].as_array().map(Vec::len), Some(1));
    let points = &r["parallelism"][1]["points"];
    assert_eq!(points[0]["parallelism"], 2, "{points:#}");
}

#[test]
fn an_unknown_deployment_is_an_error() {
    let server = start();
    let run = explain(&server, &["nope"]);
    assert_eq!(run.code, 1, "{run:#?}");
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "error: flinkdeployment \"nope\" not found in namespace \"flink\"\n"
    );
    let usage = explain(&server, &["lagging", "--since", "0s"]);
    assert_eq!(usage.code, 2, "{usage:#?}");
}
