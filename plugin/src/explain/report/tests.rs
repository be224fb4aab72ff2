//! The explanation assembled from objects shaped as the operator leaves them.

use super::*;
use crate::explain::chart::Charset;
use crate::explain::model::{LimitKind, Source, VerdictKind};
use crate::explain::render;
use crate::explain::state::compress;
use serde_json::json;

const V1: &str = "bc764cd8ddf7a0cff126f51c16239658";
const V2: &str = "0a448493b4782967b150582570326227";
const NOW: &str = "2026-07-01T12:00:00Z";

fn at(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

fn millis(s: &str) -> String {
    at(s).as_millisecond().to_string()
}

fn deployment(config: Value, state: &str) -> Value {
    json!({
        "apiVersion": "flink.apache.org/v1beta1",
        "kind": "FlinkDeployment",
        "metadata": {"name": "orders", "namespace": "team-a"},
        "spec": {
            "flinkConfiguration": config,
            "job": {"jarURI": "local:///job.jar", "parallelism": 2, "upgradeMode": "last-state"},
        },
        "status": {
            "jobStatus": {"state": state, "startTime": millis("2026-07-01T08:00:00Z")},
            "lifecycleState": if state == "RUNNING" { "STABLE" } else { "FAILED" },
        }
    })
}

fn autoscaled() -> Value {
    json!({
        "job.autoscaler": {"enabled": true, "metrics.window": "10m", "stabilization.interval": "5m"},
        "execution.checkpointing.interval": "1m",
        "pipeline.max-parallelism": "128",
    })
}

fn config_map(data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "autoscaler-orders", "namespace": "team-a",
                        "labels": {"app": "orders", "component": "autoscaler"}},
           "data": data})
}

fn event(reason: &str, kind: &str, message: &str, last: &str, count: i64) -> Value {
    json!({"apiVersion": "v1", "kind": "Event",
           "metadata": {"name": format!("orders.{reason}"), "namespace": "team-a"},
           "involvedObject": {"kind": "FlinkDeployment", "name": "orders", "namespace": "team-a"},
           "reason": reason, "type": kind, "message": message, "count": count,
           "firstTimestamp": last, "lastTimestamp": last})
}

/// A scale-up on lag at 10:00: capacity 1000 rec/s, input 1000 rec/s plus 500 rec/s
/// to catch up on 900000 records; 2 -> 4.
fn history_yaml() -> String {
    format!(
        "{V1}:\n  \"2026-07-01T10:00:00Z\":\n    currentParallelism: 2\n    newParallelism: 4\n    metrics:\n      TRUE_PROCESSING_RATE: {{current: 980.0, average: 1000.0}}\n      TARGET_DATA_RATE: {{current: 1010.0, average: 1000.0}}\n      CATCH_UP_DATA_RATE: {{current: 500.0, average: NaN}}\n      LAG: {{current: 900000.0, average: NaN}}\n      EXPECTED_PROCESSING_RATE: {{current: 1929.0, average: NaN}}\n      SCALE_UP_RATE_THRESHOLD: {{current: 1500.0, average: NaN}}\n      SCALE_DOWN_RATE_THRESHOLD: {{current: 3500.0, average: NaN}}\n      MAX_PARALLELISM: {{current: 128.0, average: NaN}}\n      NUM_SOURCE_PARTITIONS: {{current: 0.0, average: NaN}}\n      PARALLELISM: {{current: 2.0, average: NaN}}\n"
    )
}

fn metrics_yaml(loads: &[(&str, &str, f64)]) -> String {
    let mut by_time: BTreeMap<&str, Vec<(&str, f64)>> = BTreeMap::new();
    for (t, v, l) in loads {
        by_time.entry(t).or_default().push((v, *l));
    }
    let mut out = String::new();
    for (t, vs) in by_time {
        out.push_str(&format!("\"{t}\":\n  vertexMetrics:\n"));
        for (v, l) in vs {
            out.push_str(&format!("    {v}: {{LOAD: {l}, NUM_RECORDS_IN: 1000.0}}\n"));
        }
        out.push_str("  outputRatios: {}\n");
    }
    out
}

fn steady_metrics() -> String {
    metrics_yaml(&[
        ("2026-07-01T11:30:00Z", V1, 0.6),
        ("2026-07-01T11:30:00Z", V2, 0.5),
        ("2026-07-01T11:55:00Z", V1, 0.66),
        ("2026-07-01T11:55:00Z", V2, 0.52),
    ])
}

fn tracking_yaml() -> String {
    "scalingRecords:\n  \"2026-07-01T10:00:00Z\":\n    restartDuration: 60.000000000\n".into()
}

fn inputs(fd: Value, cm: Fetched<Value>, events: Vec<Value>) -> Inputs {
    Inputs {
        deployment: fd,
        config_map: cm,
        events: Fetched::Found(events),
        vpas: Fetched::Found(Vec::new()),
        hpas: Fetched::Found(Vec::new()),
    }
}

fn options() -> Options {
    Options {
        now: at(NOW),
        since: Duration::from_secs(86_400),
        vertex: None,
        context: "test".into(),
        server: "https://127.0.0.1:6443".into(),
        what_if: Vec::new(),
    }
}

fn report_entry(v: &str, from: i64, to: i64, tpr: f64, expected: f64, target: f64) -> String {
    format!(
        "{{ Vertex ID {v} | Parallelism {from} -> {to} | Processing capacity {tpr:.2} -> {expected:.2} | Target data rate {target:.2}}}"
    )
}

fn scale_up_inputs() -> Inputs {
    inputs(
        deployment(autoscaled(), "RUNNING"),
        Fetched::Found(config_map(json!({
            "parallelismOverrides": format!("{V1}:4,{V2}:2"),
            "scalingHistory": compress(&history_yaml()),
            "collectedMetrics": compress(&steady_metrics()),
            "scalingTracking": compress(&tracking_yaml()),
        }))),
        vec![event(
            "ScalingReport",
            "Normal",
            &format!(
                "Scaling execution enabled, begin scaling vertices:{}",
                report_entry(V1, 2, 4, 1000.0, 1929.0, 1000.0)
            ),
            "2026-07-01T10:00:01Z",
            1,
        )],
    )
}

#[test]
fn a_scale_up_on_lag_then_within_bounds() {
    let r = build(&scale_up_inputs(), &options());
    assert_eq!(
        r.verdict.kind,
        VerdictKind::WithinBounds,
        "{:#?}",
        r.verdict
    );
    assert!(r.also.is_empty(), "{:#?}", r.also);
    assert_eq!(r.notes, Vec::<String>::new());
    assert_eq!(r.history.len(), 1);
    let d = &r.history[0];
    assert_eq!(d.sources, [Source::ConfigMap, Source::Event]);
    let v = &d.vertices[0];
    // The operator's capacity also counts the restart catch-up (1000 x 300 s / 1800 s):
    // 500 + 166.67 + 1428.57 = 2095 rec/s, 2.1x: ceil(4.19) = 5. The hand-made
    // fixture recorded 4, which the operator would not have chosen; explain says so.
    assert_eq!(
        (v.from, v.to, v.ideal_parallelism),
        (Some(2), Some(4), Some(5))
    );
    assert!(
        v.reasons
            .iter()
            .any(|r| r.contains("the algorithm gives 5")),
        "{:#?}",
        v.reasons
    );
    assert_eq!(v.rates.lag, Some(900_000.0));
    assert!(v.reasons[0].contains("plus 500.00 rec/s to catch up on a lag of 900000 records"));
    let series = &r.parallelism;
    assert_eq!(series.len(), 2);
    let v1 = series.iter().find(|s| s.id == V1).unwrap();
    let points: Vec<(&str, i64)> = v1
        .points
        .iter()
        .map(|p| (p.time.as_str(), p.parallelism))
        .collect();
    assert_eq!(
        points,
        [("2026-06-30T12:00:00Z", 2), ("2026-07-01T10:00:00Z", 4)]
    );
    assert_eq!(v1.current, Some(4));
    let target = r
        .configuration
        .iter()
        .find(|c| c.option == "job.autoscaler.metrics.window")
        .unwrap();
    assert_eq!(
        (target.value.as_deref(), target.origin),
        (Some("10m"), Origin::Explicit)
    );
}

#[test]
fn text_and_json_are_made_from_the_same_report() {
    let r = build(&scale_up_inputs(), &options());
    let mut text = Vec::new();
    render::write_text(&mut text, &r, Charset::Unicode, render::Look::default()).unwrap();
    let text = String::from_utf8(text).unwrap();
    insta::assert_snapshot!("explain_scale_up_unicode", text);
    let mut ascii = Vec::new();
    render::write_text(&mut ascii, &r, Charset::Ascii, render::Look::default()).unwrap();
    let ascii = String::from_utf8(ascii).unwrap();
    assert!(ascii.is_ascii(), "{ascii}");
    assert!(ascii.contains("2 -> 4"));
    let mut json_out = Vec::new();
    render::write_json(&mut json_out, &r).unwrap();
    let doc: Value = serde_json::from_slice(&json_out).unwrap();
    assert_eq!(doc["kind"], "FlinkExplain");
    assert_eq!(doc["verdict"]["kind"], "within-bounds");
    assert_eq!(doc["history"][0]["sources"], json!(["config-map", "event"]));
    assert_eq!(
        doc["history"][0]["vertices"][0]["rates"]["catchUpDataRate"],
        500.0
    );
    assert_eq!(
        doc["history"][0]["vertices"][0]["utilization"]["withCatchUp"],
        1.5
    );
    assert_eq!(doc["configuration"][0]["origin"], "explicit");
}

#[test]
fn delayed_scale_down() {
    let delayed = format!(
        "delayedVertices:\n  {V2}:\n    firstTriggerTime: {}.000000000\n    recommendedParallelisms:\n    - triggerTime: {}.000000000\n      parallelism: 1\n      outsideUtilizationBound: true\n",
        at("2026-07-01T11:25:00Z").as_second(),
        at("2026-07-01T11:58:00Z").as_second()
    );
    let mut i = scale_up_inputs();
    i.config_map = Fetched::Found(config_map(json!({
        "parallelismOverrides": format!("{V1}:4,{V2}:2"),
        "scalingHistory": compress(&history_yaml()),
        "collectedMetrics": compress(&metrics_yaml(&[
            ("2026-07-01T11:30:00Z", V1, 0.6),
            ("2026-07-01T11:55:00Z", V1, 0.65),
            ("2026-07-01T11:55:00Z", V2, 0.2),
        ])),
        "scalingTracking": compress(&tracking_yaml()),
        "delayedScaleDown": delayed,
    })));
    let r = build(&i, &options());
    assert_eq!(
        r.verdict.kind,
        VerdictKind::ScaleDownDelayed,
        "{:#?}",
        r.verdict
    );
    assert_eq!(r.verdict.time_left_seconds, Some(25 * 60));
    assert_eq!(r.verdict.until.as_deref(), Some("2026-07-01T12:25:00Z"));
    assert_eq!(
        r.verdict.details,
        [format!(
            "{V2}: parallelism 2 -> 1, first recommended at 2026-07-01T11:25:00Z, due at 2026-07-01T12:25:00Z (25m left)"
        )]
    );
    // V2's load (20%) is below the lower bound: that is the delayed scale-down, not
    // another finding; the other vertex is within its bounds.
    assert_eq!(r.also[0].kind, VerdictKind::WithinBounds);
    assert!(
        r.also[0]
            .summary
            .starts_with("every other vertex is within its bounds")
    );
}

#[test]
fn advisor_mode_lists_the_recommendations() {
    let mut config = autoscaled();
    config["job.autoscaler"]["scaling.enabled"] = json!(false);
    let i = inputs(
        deployment(config, "RUNNING"),
        Fetched::Found(config_map(json!({
            "collectedMetrics": compress(&steady_metrics()),
        }))),
        vec![event(
            "ScalingReport",
            "Normal",
            &format!(
                "Scaling execution disabled by config job.autoscaler.scaling.enabled:false, recommended parallelism change:{}{}",
                report_entry(V1, 2, 3, 1000.0, 1429.0, 1000.0),
                report_entry(V2, 2, 1, 4000.0, 1786.0, 500.0)
            ),
            "2026-07-01T11:50:00Z",
            4,
        )],
    );
    let r = build(&i, &options());
    assert_eq!(r.verdict.kind, VerdictKind::AdvisorMode);
    assert_eq!(
        r.verdict.details,
        [
            format!("recommended at 2026-07-01T11:50:00Z: {V1} parallelism 2 -> 3"),
            format!("recommended at 2026-07-01T11:50:00Z: {V2} parallelism 2 -> 1"),
        ]
    );
    assert_eq!(r.history.len(), 1);
    assert_eq!(r.history[0].outcome, Outcome::Recommended);
    assert_eq!(
        r.history[0].disabled_by.as_deref(),
        Some("job.autoscaler.scaling.enabled:false")
    );
    // A ScalingReport carries no catch-up rate, thresholds or key groups: nothing is
    // recomputed from it (the old "ideal" came from EXPECTED_PROCESSING_RATE, which
    // the operator derives from the result).
    let ideal: Vec<Option<i64>> = r.history[0]
        .vertices
        .iter()
        .map(|v| v.ideal_parallelism)
        .collect();
    assert_eq!(ideal, [None, None]);
    // Recommendations are not executed: the chart shows the parallelism they start
    // from, unchanged.
    let flat: Vec<(&str, Vec<i64>)> = r
        .parallelism
        .iter()
        .map(|s| {
            (
                s.id.as_str(),
                s.points.iter().map(|p| p.parallelism).collect(),
            )
        })
        .collect();
    assert_eq!(flat, [(V2, vec![2]), (V1, vec![2])]);
}

#[test]
fn capped_at_max_parallelism() {
    let mut config = autoscaled();
    config["job.autoscaler"]["vertex.max-parallelism"] = json!(4);
    config["job.autoscaler"]["utilization.max"] = json!(0.9);
    let limited = format!(
        "Scaling limited detected for {V1} (expected parallelism: 6, actual parallelism 4). Scaling limited due to numKeyGroupsOrPartitions : 128，upperBoundForAlignment(maxParallelism or parallelismUpperLimit): 4, parallelismLowerLimit: 1."
    );
    let history = history_yaml().replace(
        "EXPECTED_PROCESSING_RATE: {current: 1929.0",
        "EXPECTED_PROCESSING_RATE: {current: 2857.0",
    );
    let i = inputs(
        deployment(config, "RUNNING"),
        Fetched::Found(config_map(json!({
            "parallelismOverrides": format!("{V1}:4"),
            "scalingHistory": compress(&history),
            "collectedMetrics": compress(&metrics_yaml(&[
                ("2026-07-01T11:30:00Z", V1, 0.97),
                ("2026-07-01T11:55:00Z", V1, 0.99),
            ])),
            "scalingTracking": compress(&tracking_yaml()),
        }))),
        vec![event(
            "ScalingLimited",
            "Warning",
            &limited,
            "2026-07-01T09:59:58Z",
            1,
        )],
    );
    let r = build(&i, &options());
    assert_eq!(
        r.verdict.kind,
        VerdictKind::AtMaxParallelism,
        "{:#?}",
        r.verdict
    );
    assert_eq!(
        r.verdict.summary,
        "1 vertex is at max parallelism while busier than the upper bound 90%: the autoscaler cannot scale it up any further"
    );
    let v = &r.history[0].vertices[0];
    // Recomputed: 2095 rec/s over 1000 rec/s, ceil(2.1 x 2) = 5 (not the 6 that the
    // EXPECTED_PROCESSING_RATE written into this hand-made fixture implied).
    assert_eq!(v.ideal_parallelism, Some(5));
    let kinds: Vec<LimitKind> = v.limits.iter().map(|l| l.kind).collect();
    assert_eq!(
        kinds,
        [LimitKind::MaxParallelism, LimitKind::ScalingLimited]
    );
    assert_eq!(r.warnings.len(), 1);
}

#[test]
fn stabilization_after_a_restart() {
    let mut fd = deployment(autoscaled(), "RUNNING");
    fd["status"]["jobStatus"]["startTime"] = json!(millis("2026-07-01T11:58:00Z"));
    let i = inputs(fd, Fetched::Found(config_map(json!({}))), Vec::new());
    let r = build(&i, &options());
    assert_eq!(r.verdict.kind, VerdictKind::Stabilizing);
    assert_eq!(r.verdict.time_left_seconds, Some(180));
}

#[test]
fn job_not_running_and_no_config_map() {
    let i = inputs(
        deployment(autoscaled(), "FAILED"),
        Fetched::Missing,
        Vec::new(),
    );
    let r = build(&i, &options());
    assert_eq!(r.verdict.kind, VerdictKind::JobNotRunning);
    assert_eq!(r.deployment.config_map_availability, Availability::None);
    assert_eq!(
        r.notes,
        [
            "no autoscaler state yet: ConfigMap autoscaler-orders not found (the autoscaler writes it on its first evaluation)"
        ]
    );

    let i = inputs(
        deployment(autoscaled(), "RUNNING"),
        Fetched::Missing,
        Vec::new(),
    );
    let r = build(&i, &options());
    assert_eq!(r.verdict.kind, VerdictKind::MetricsWindowFilling);
    assert!(
        r.verdict.summary.starts_with("no autoscaler state yet"),
        "{}",
        r.verdict.summary
    );
    assert!(r.history.is_empty() && r.parallelism.is_empty());
}

#[test]
fn malformed_state_and_events_are_notes() {
    let i = inputs(
        deployment(autoscaled(), "RUNNING"),
        Fetched::Found(config_map(json!({
            "scalingHistory": "!!! not base64 !!!",
            "collectedMetrics": "H4sIAAAAAAAA",
            "scalingTracking": compress("scalingRecords: [1, 2"),
            "delayedScaleDown": "delayedVertices: nope",
        }))),
        vec![event(
            "ScalingReport",
            "Normal",
            "Scaling happened, trust me",
            NOW,
            1,
        )],
    );
    let r = build(&i, &options());
    assert_eq!(r.notes.len(), 5, "{:#?}", r.notes);
    assert!(r.notes[0].starts_with("ConfigMap autoscaler-orders: scalingHistory: not base64"));
    assert!(
        r.notes[1]
            .starts_with("ConfigMap autoscaler-orders: collectedMetrics: base64, but not gzip")
    );
    assert!(
        r.notes[4].contains(
            "ScalingReport event at 2026-07-01T12:00:00Z is not in the operator's format"
        )
    );
    assert_eq!(r.verdict.kind, VerdictKind::MetricsWindowFilling);
}

#[test]
fn an_hpa_on_the_deployment_blocks() {
    let mut i = scale_up_inputs();
    i.hpas = Fetched::Found(vec![json!({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "orders-hpa", "namespace": "team-a"},
        "spec": {"scaleTargetRef": {"apiVersion": "flink.apache.org/v1beta1",
                                    "kind": "FlinkDeployment", "name": "orders"},
                 "minReplicas": 1, "maxReplicas": 4}
    })]);
    let r = build(&i, &options());
    assert_eq!(
        r.verdict.kind,
        VerdictKind::BlockedByConflict,
        "{:#?}",
        r.verdict
    );
    assert!(r.verdict.summary.contains("fights the autoscaler"));
    assert!(
        r.findings
            .iter()
            .any(|f| f.rule == "autoscaler.hpa-conflict")
    );
    assert!(
        r.findings
            .iter()
            .any(|f| f.rule == "hpa.autoscaler-conflict")
    );
    // The JSON (version 2) carries problem and fix apart.
    let json = serde_json::to_value(&r).unwrap_or_default();
    let hpa = json["findings"]
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["rule"] == "hpa.autoscaler-conflict"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(json["version"], 2);
    assert!(
        hpa["problem"]
            .as_str()
            .is_some_and(|p| p.contains("FlinkDeployment orders"))
    );
    assert!(
        hpa["fix"]
            .as_str()
            .is_some_and(|f| f.starts_with("delete this HPA"))
    );
}

#[test]
fn recent_warnings_hold_scaling_back() {
    let mut i = scale_up_inputs();
    let Fetched::Found(events) = &mut i.events else {
        unreachable!()
    };
    events.push(event(
        "MemoryPressure",
        "Normal",
        "GC Pressure 0.42 is above the allowed limit for scaling operations. Please adjust the available memory manually.",
        "2026-07-01T11:45:00Z",
        3,
    ));
    events.push(event(
        "IneffectiveScaling",
        "Normal",
        "Ineffective scaling detected for x (expected increase: 10, actual increase 1). Blocking of ineffective scaling decisions is disabled",
        "2026-07-01T11:46:00Z",
        1,
    ));
    let r = build(&i, &options());
    assert_eq!(r.verdict.kind, VerdictKind::RecentWarnings);
    assert_eq!(
        r.verdict.summary,
        "the autoscaler held back: MemoryPressure (newest 15m ago)"
    );
    assert_eq!(r.warnings.len(), 2);
}

#[test]
fn excluded_period_now() {
    let mut config = autoscaled();
    config["job.autoscaler"]["excluded.periods"] = json!("11:00-13:00;bogus");
    let mut i = scale_up_inputs();
    i.deployment = deployment(config, "RUNNING");
    let r = build(&i, &options());
    assert_eq!(r.verdict.kind, VerdictKind::ExcludedPeriod);
    assert_eq!(r.verdict.until.as_deref(), Some("2026-07-01T13:00:01Z"));
    assert!(
        r.notes
            .iter()
            .any(|n| n.starts_with("job.autoscaler.excluded.periods: \"bogus\""))
    );
}

#[test]
fn off_and_vertex_filter() {
    let i = inputs(
        deployment(json!({"job.autoscaler.enabled": "false"}), "RUNNING"),
        Fetched::Missing,
        Vec::new(),
    );
    let r = build(&i, &options());
    assert_eq!(r.verdict.kind, VerdictKind::AutoscalerOff);
    assert_eq!(
        r.verdict.summary,
        "job.autoscaler.enabled is false (explicit): the autoscaler neither evaluates nor scales this deployment"
    );

    let mut o = options();
    o.vertex = Some(V2[..8].to_uppercase());
    let r = build(&scale_up_inputs(), &o);
    assert!(r.history.is_empty());
    assert_eq!(r.parallelism.len(), 1);
    assert_eq!(r.parallelism[0].id, V2);
    o.vertex = Some("ffff".into());
    let r = build(&scale_up_inputs(), &o);
    assert!(
        r.notes
            .iter()
            .any(|n| n.starts_with("no vertex whose id starts with \"ffff\""))
    );
}

fn hpa_on_orders() -> Value {
    json!({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "orders-hpa", "namespace": "team-a"},
        "spec": {"scaleTargetRef": {"apiVersion": "flink.apache.org/v1beta1",
                                    "kind": "FlinkDeployment", "name": "orders"},
                 "minReplicas": 1, "maxReplicas": 4}
    })
}

#[test]
fn an_hpa_on_a_deployment_without_autoscaler_is_named() {
    let mut i = inputs(
        deployment(json!({"job.autoscaler.enabled": "false"}), "RUNNING"),
        Fetched::Missing,
        Vec::new(),
    );
    i.hpas = Fetched::Found(vec![hpa_on_orders()]);
    let r = build(&i, &options());
    assert_eq!(r.verdict.kind, VerdictKind::AutoscalerOff);
    assert!(
        r.verdict
            .summary
            .contains("HorizontalPodAutoscaler/orders-hpa scales its replicas"),
        "{}",
        r.verdict.summary
    );
    assert!(
        !r.verdict.summary.contains("neither"),
        "{}",
        r.verdict.summary
    );
}

#[test]
fn each_finding_is_reported_once() {
    let mut i = scale_up_inputs();
    // The same HPA listed twice (two list pages, or a retry) is one conflict.
    i.hpas = Fetched::Found(vec![hpa_on_orders(), hpa_on_orders()]);
    let r = build(&i, &options());
    assert!(!r.findings.is_empty());
    for (n, f) in r.findings.iter().enumerate() {
        assert!(
            !r.findings[..n].contains(f),
            "said twice: {f:?} in {:#?}",
            r.findings
        );
    }
    // The text says the conflict once: the HPA's side, under Now; neither the
    // deployment's side nor the Findings section repeat it.
    let mut text = Vec::new();
    render::write_text(&mut text, &r, Charset::Unicode, render::Look::default()).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert_eq!(
        text.matches("hpa.autoscaler-conflict]").count(),
        1,
        "{text}"
    );
    assert_eq!(text.matches("autoscaler.hpa-conflict").count(), 0, "{text}");
    assert!(
        text.contains(
            "Now: Blocked by a conflict: HorizontalPodAutoscaler/orders-hpa fights the autoscaler"
        ),
        "{text}"
    );
    // The JSON keeps both sides' findings.
    assert!(
        r.findings
            .iter()
            .any(|f| f.rule == "autoscaler.hpa-conflict")
    );
}

/// The text without ANSI escapes.
fn plain(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn findings_are_aligned_coloured_and_wrapped_at_words() {
    let i = inputs(
        deployment(
            json!({
                "job.autoscaler.enabled": "true",
                "job.autoscaler.target.utilization": "0.7",
                "kubernetes.operator.job.autoscaler.scale-down.interval": "1h"
            }),
            "RUNNING",
        ),
        Fetched::Missing,
        Vec::new(),
    );
    let r = build(&i, &options());
    assert!(r.findings.len() >= 3, "{:#?}", r.findings);
    let look = render::Look {
        colour: true,
        width: Some(100),
    };
    let mut text = Vec::new();
    render::write_text(&mut text, &r, Charset::Unicode, look).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("\x1b[33mwarn\x1b[0m"), "{text}");
    let plain = plain(&text);
    let section: Vec<&str> = plain
        .split("\nFindings\n")
        .nth(1)
        .unwrap()
        .split("\n\n")
        .next()
        .unwrap()
        .lines()
        .collect();
    assert!(section.len() > r.findings.len(), "wrapped: {section:#?}");
    for line in &section {
        assert!(
            line.chars().count() <= 100 || line.split_whitespace().count() == 1,
            "{line:?}"
        );
    }
    // The rules start in one column: after the widest object.
    let starts: Vec<usize> = r
        .findings
        .iter()
        .map(|f| {
            let line = section
                .iter()
                .find(|l| l.contains(f.rule.as_str()))
                .unwrap();
            line.find(f.rule.as_str()).unwrap()
        })
        .collect();
    assert!(starts.windows(2).all(|w| w[0] == w[1]), "{starts:?}");
    // Wrapping keeps every word whole: the words are those of the messages.
    let words: Vec<&str> = section.iter().flat_map(|l| l.split_whitespace()).collect();
    for f in &r.findings {
        for word in f.message.split_whitespace() {
            assert!(words.contains(&word), "{word:?} was cut");
        }
    }
    // Without a terminal: no escapes, one line per finding.
    let mut piped = Vec::new();
    render::write_text(&mut piped, &r, Charset::Unicode, render::Look::default()).unwrap();
    let piped = String::from_utf8(piped).unwrap();
    assert!(!piped.contains('\x1b'));
    // ... and the field errors start in one column, after the widest rule.
    let starts: Vec<usize> = r
        .findings
        .iter()
        .map(|f| {
            let line = piped
                .split("\nFindings\n")
                .nth(1)
                .unwrap()
                .lines()
                .find(|l| l.contains(f.rule.as_str()) && l.contains(&f.path))
                .unwrap();
            line.find(&f.path).unwrap()
        })
        .collect();
    assert!(starts.windows(2).all(|w| w[0] == w[1]), "{starts:?}");
}
