//! The background audit end to end against the test API server: objects that were
//! already there when the webhook started show up in `/metrics`, in the policy
//! reports (both APIs) and in `kubectl flink audit`; fixing an object or deleting the
//! VPA it conflicts with clears its findings within seconds, judging only the objects
//! involved; two replicas write each report once.

use flink_autoscale_e2e::apiserver::TestApiServer;
use flink_autoscale_e2e::objects;
use flink_autoscale_e2e::plugin::plugin as kubectl_flink;
use flink_autoscale_e2e::server_process::Memory;
use flink_autoscale_e2e::webhook::WebhookProcess;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const NS: &str = "flink";
const WAIT: Duration = Duration::from_secs(60);
const POLICY_REPORT: (&str, &str) = ("wgpolicyk8s.io/v1alpha2", "PolicyReport");
const REPORT: (&str, &str) = ("openreports.io/v1alpha1", "Report");

fn flink_deployment(ns: &str, name: &str) -> Value {
    json!({
        "apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"flinkVersion": "v1_20", "mode": "native",
                 "flinkConfiguration": {
                     "job.autoscaler.enabled": "true",
                     "job.autoscaler.metrics.window": "10m",
                     "job.autoscaler.vertex.max-parallelism": "64",
                     "execution.checkpointing.interval": "1m"},
                 "taskManager": {"resource": {"memory": "4096m", "cpu": 2}},
                 "job": {"jarURI": "local:///job.jar", "upgradeMode": "savepoint"}}
    })
}

fn vpa(name: &str, target: &str, resources: &[&str]) -> Value {
    objects::vpa(NS, name, target, resources)
}

fn webhook(server: &TestApiServer, dir: &std::path::Path, extra: &[&str]) -> WebhookProcess {
    // The admission default (operator.* on): the audit itself leaves the operator's
    // spec rules out, so the objects here need no full spec.
    WebhookProcess::dev(dir.join(format!("ca-{}.pem", extra.join("-"))))
        .kubeconfig(server.kubeconfig())
        .admin()
        .args(extra)
        .start()
}

async fn metrics(client: &reqwest::Client, webhook: &WebhookProcess) -> String {
    match client.get(webhook.admin_url("/metrics")).send().await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

fn value_of(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series))
        .and_then(|v| v.trim().parse().ok())
}

fn finding(name: &str, rule: &str, severity: &str) -> String {
    format!(
        r#"flink_guard_audit_findings{{namespace="{NS}",kind="FlinkDeployment",name="{name}",rule="{rule}",severity="{severity}"}}"#
    )
}

async fn until<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    until_or(what, String::new, async || check().await).await
}

/// [`until`], saying `context()` when it times out.
async fn until_or<T>(
    what: &str,
    context: impl Fn() -> String,
    mut check: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for: {what}\n{}",
            context()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn report(server: &TestApiServer, (api, kind): (&str, &str), ns: &str) -> Option<Value> {
    server.store().get(api, kind, ns, "flink-autoscale-guard")
}

/// The `fail` results of a report, as `kind/name rule`.
fn failing(report: &Value) -> Vec<String> {
    report["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["result"] == "fail")
        .map(|r| {
            format!(
                "{}/{} {}",
                r["resources"][0]["kind"].as_str().unwrap_or("?"),
                r["resources"][0]["name"].as_str().unwrap_or("?"),
                r["rule"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

/// Writes (create, update, patch) to `plural` in `ns` the server received.
fn writes(server: &TestApiServer, plural: &str, ns: &str) -> usize {
    let path = format!("/namespaces/{ns}/{plural}");
    server
        .requests()
        .iter()
        .filter(|r| {
            (r.starts_with("POST ") || r.starts_with("PUT ") || r.starts_with("PATCH "))
                && r.contains(&path)
        })
        .count()
}

fn plugin(server: &TestApiServer, args: &[&str]) -> (i32, String, String) {
    let run = kubectl_flink(["--kubeconfig"])
        .arg(server.kubeconfig())
        .args(args)
        .run();
    (run.code.unwrap_or(-1), run.stdout, run.stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_objects_are_audited_into_metrics_reports_and_the_plugin() {
    // 1000 unrelated deployments elsewhere: a change in `flink` must not judge them.
    let mut objects: Vec<Value> = (0..1000)
        .map(|i| flink_deployment("bulk", &format!("job-{i}")))
        .collect();
    objects.extend([
        flink_deployment(NS, "orders"),
        vpa("orders-cpu", "orders", &["cpu", "memory"]),
        flink_deployment(NS, "billing"),
        vpa("billing-cpu", "billing", &["cpu", "memory"]),
        flink_deployment(NS, "clean"),
        vpa("clean-memory", "clean", &["memory"]),
    ]);
    // The webhook's own namespace, where its Lease lives.
    objects.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "guard"}}));
    let server = TestApiServer::builder()
        .namespace(NS)
        .objects(objects)
        .start()
        .expect("test API server starts");
    let dir = tempfile::tempdir().unwrap();
    let reports = [
        "--audit-reports",
        "wgpolicy",
        "--audit-lease-namespace",
        "guard",
    ];
    let a = webhook(
        &server,
        dir.path(),
        &[&reports[..], &["--audit-identity", "replica-a"]].concat(),
    );
    let b = webhook(
        &server,
        dir.path(),
        &[&reports[..], &["--audit-identity", "replica-b"]].concat(),
    );
    let client = reqwest::Client::new();

    // The objects that were there before the webhook: in /metrics of both replicas.
    for w in [&a, &b] {
        until("the first pass in /metrics", async || {
            let text = metrics(&client, w).await;
            (value_of(&text, &finding("orders", "vpa.controls-cpu", "deny")) == Some(1.0)
                && value_of(&text, &finding("billing", "vpa.controls-cpu", "deny")) == Some(1.0))
            .then_some(())
        })
        .await;
    }
    let text = metrics(&client, &a).await;
    assert_eq!(
        value_of(&text, &finding("clean", "vpa.controls-cpu", "deny")),
        None,
        "a memory-only VPA is no conflict"
    );
    assert_eq!(
        value_of(
            &text,
            r#"flink_guard_audit_objects{kind="FlinkDeployment"}"#
        ),
        Some(1003.0)
    );
    assert!(
        value_of(&text, "flink_guard_audit_last_full_pass_timestamp_seconds").unwrap_or(0.0)
            > 1.0e9
    );
    assert!(value_of(&text, "flink_guard_certificate_expiry_seconds").unwrap_or(0.0) > 1.0e9);

    // The report: one per namespace, written by one replica.
    let logs = || {
        let requests: Vec<String> = server
            .requests()
            .into_iter()
            .filter(|r| r.contains("lease") || r.contains("report"))
            .take(40)
            .collect();
        format!("{}\n{}\n{requests:#?}", a.stderr(), b.stderr())
    };
    let first = until_or("the PolicyReport", logs, async || {
        report(&server, POLICY_REPORT, NS).filter(|r| failing(r).len() >= 2)
    })
    .await;
    let fails = failing(&first);
    assert!(
        fails.contains(&"FlinkDeployment/orders vpa.controls-cpu".to_string()),
        "{fails:?}"
    );
    assert!(
        fails.contains(&"FlinkDeployment/billing vpa.controls-cpu".to_string()),
        "{fails:?}"
    );
    assert!(!fails.iter().any(|f| f.contains("/clean ")), "{fails:?}");
    assert_eq!(first["results"][0]["policy"], "flink-autoscale-guard");
    assert!(
        first["summary"]["fail"].as_u64().unwrap_or(0) >= 2,
        "{first}"
    );
    assert!(report(&server, POLICY_REPORT, "bulk").is_some());
    assert!(report(&server, REPORT, NS).is_none(), "only the chosen API");
    let lease = server
        .store()
        .get(
            "coordination.k8s.io/v1",
            "Lease",
            "guard",
            "flink-autoscale-guard-audit",
        )
        .expect("the Lease");
    let holder = lease["spec"]["holderIdentity"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(holder == "replica-a" || holder == "replica-b", "{lease}");
    // Several renewals later, still one write: the other replica did not write it.
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        writes(&server, "policyreports", NS),
        1,
        "{:#?}",
        server.requests()
    );
    assert_eq!(writes(&server, "policyreports", "bulk"), 1);

    // The plugin: the same evaluation from live objects, exit 1 on deny findings.
    let (code, out, err) = plugin(&server, &["audit", "-n", NS, "--operator-rules", "off"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        out.contains("NAMESPACE") && out.contains("vpa.controls-cpu"),
        "{out}"
    );
    let orders_line = out.lines().find(|l| l.contains("orders ")).unwrap_or("");
    assert!(orders_line.contains("FlinkDeployment"), "{out}");
    let (code, out, err) = plugin(
        &server,
        &["audit", "-A", "-o", "json", "--operator-rules", "off"],
    );
    assert_eq!(code, 1, "{err}");
    let json: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(json["source"], "live");
    let namespaces: Vec<&str> = json["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["namespace"].as_str().unwrap_or(""))
        .collect();
    assert!(
        namespaces.contains(&"bulk") && namespaces.contains(&NS),
        "{namespaces:?}"
    );
    let (code, out, err) = plugin(&server, &["audit", "-n", NS, "--from-reports"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(
        out.contains("wgpolicyk8s.io/v1alpha2/PolicyReport"),
        "{out}"
    );
    assert!(
        out.contains("AGE") && out.contains("vpa.controls-cpu"),
        "{out}"
    );

    // Delete billing's VPA and fix orders' VPA: both findings clear within seconds,
    // judging the changed objects and their partners only.
    let before = value_of(
        &metrics(&client, &a).await,
        "flink_guard_audit_evaluations_total",
    )
    .unwrap_or(0.0);
    let changed_at = Instant::now();
    server
        .store()
        .delete(
            "autoscaling.k8s.io/v1",
            "VerticalPodAutoscaler",
            NS,
            "billing-cpu",
        )
        .expect("deleted");
    server
        .store()
        .apply(vpa("orders-cpu", "orders", &["memory"]))
        .expect("fixed");
    for w in [&a, &b] {
        until("the findings cleared", async || {
            let text = metrics(&client, w).await;
            (!text.contains(r#"name="orders",rule="vpa.controls-cpu""#)
                && !text.contains(r#"name="billing",rule="vpa.controls-cpu""#))
            .then_some(())
        })
        .await;
    }
    let cleared_after = changed_at.elapsed();
    assert!(cleared_after < Duration::from_secs(10), "{cleared_after:?}");
    let judged = value_of(
        &metrics(&client, &a).await,
        "flink_guard_audit_evaluations_total",
    )
    .unwrap_or(0.0)
        - before;
    assert!(
        (1.0..=6.0).contains(&judged),
        "two changes judge their objects and partners, not the 1006 objects: {judged}"
    );
    let updated = until("the report updated", async || {
        report(&server, POLICY_REPORT, NS).filter(|r| failing(r).is_empty())
    })
    .await;
    assert_eq!(updated["summary"]["fail"], 0, "{updated}");
    assert!(
        updated["summary"]["pass"].as_u64().unwrap_or(0) >= 3,
        "{updated}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let n = writes(&server, "policyreports", NS);
    assert!((2..=3).contains(&n), "one write per content change: {n}");
    assert_eq!(
        writes(&server, "policyreports", "bulk"),
        1,
        "bulk did not change"
    );
    let (code, out, err) = plugin(&server, &["audit", "-n", NS, "--operator-rules", "off"]);
    assert_eq!(code, 0, "{out}\n{err}");

    // The other API, chosen by a flag: a Report in openreports.io.
    server
        .store()
        .apply(vpa("billing-cpu", "billing", &["cpu"]))
        .expect("a conflict again");
    let c = webhook(
        &server,
        dir.path(),
        &[
            "--audit-reports",
            "openreports",
            "--audit-lease-namespace",
            "bulk",
        ],
    );
    let openreport = until("the openreports Report", async || {
        report(&server, REPORT, NS).filter(|r| !failing(r).is_empty())
    })
    .await;
    assert_eq!(openreport["source"], "flink-autoscale-guard");
    let fails = failing(&openreport);
    assert!(
        fails.contains(&"FlinkDeployment/billing vpa.controls-cpu".to_string())
            && !fails.iter().any(|f| f.contains("/orders ")),
        "{fails:?}"
    );
    let (code, out, _) = plugin(&server, &["audit", "-n", NS, "--from-reports"]);
    assert_eq!(code, 1);
    assert!(out.contains("openreports.io/v1alpha1/Report"), "{out}");
    drop((a, b, c));
}

/// The figures in the README's "Audit" section: 10 000 objects in one namespace
/// (5 000 FlinkDeployments, 4 000 VPAs, 1 000 HPAs), the first full pass, the
/// webhook's memory with the audit on and off, and what one change costs. A
/// measurement, run by hand:
/// `cargo test [--release] -p flink-autoscale-e2e --test audit_e2e -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement for the README, minutes long"]
async fn ten_thousand_objects_in_one_namespace() {
    let mut objects = Vec::new();
    for i in 0..5000 {
        objects.push(flink_deployment(NS, &format!("job-{i}")));
    }
    for i in 0..4000 {
        let resources: &[&str] = if i % 10 == 0 {
            &["cpu", "memory"]
        } else {
            &["memory"]
        };
        objects.push(vpa(&format!("job-{i}-tm"), &format!("job-{i}"), resources));
    }
    for i in 0..1000 {
        objects.push(json!({
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": format!("hpa-{i}"), "namespace": NS},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                        "name": format!("job-{}-taskmanager", 4000 + i)},
                     "minReplicas": 1, "maxReplicas": 4}
        }));
    }
    let server = TestApiServer::builder()
        .namespace(NS)
        .objects(objects)
        .start()
        .expect("test API server starts");
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    let mut rss = Vec::new();
    for audit in ["off", "on"] {
        let w = webhook(&server, dir.path(), &["--audit", audit]);
        until("caches synced", async || {
            let text = metrics(&client, &w).await;
            (value_of(
                &text,
                r#"flink_guard_cluster_cache_synced{kind="FlinkDeployment"}"#,
            ) == Some(1.0)
                && (audit == "off"
                    || value_of(&text, "flink_guard_audit_full_pass_duration_seconds")
                        .is_some_and(|v| v > 0.0)))
            .then_some(())
        })
        .await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let text = metrics(&client, &w).await;
        let Memory {
            rss: now,
            hwm: peak,
        } = w.memory();
        rss.push((audit, now, peak));
        if audit == "on" {
            let pass =
                value_of(&text, "flink_guard_audit_full_pass_duration_seconds").unwrap_or(0.0);
            let judged = value_of(&text, "flink_guard_audit_evaluations_total").unwrap_or(0.0);
            let deny = text
                .lines()
                .filter(|l| {
                    l.starts_with("flink_guard_audit_findings{") && l.contains(r#"severity="deny""#)
                })
                .count();
            println!(
                "first full pass: {judged} objects judged in {:.3} s; {deny} deny series",
                pass
            );
            // One change: a cpu VPA made memory-only.
            let changed_at = Instant::now();
            server
                .store()
                .apply(vpa("job-10-tm", "job-10", &["memory"]))
                .expect("fixed");
            until("the finding cleared", async || {
                let text = metrics(&client, &w).await;
                (!text.contains(r#"name="job-10",rule="vpa.controls-cpu""#)).then_some(())
            })
            .await;
            let after = value_of(
                &metrics(&client, &w).await,
                "flink_guard_audit_evaluations_total",
            )
            .unwrap_or(0.0);
            println!(
                "one change: cleared after {:?} (debounce included), {} objects judged",
                changed_at.elapsed(),
                after - judged
            );
            assert!(after - judged <= 6.0, "{}", after - judged);
        }
    }
    for (audit, now, peak) in rss {
        println!(
            "audit {audit}: RSS {:.1} MiB, peak {:.1} MiB",
            now as f64 / 1048576.0,
            peak as f64 / 1048576.0
        );
    }
}
