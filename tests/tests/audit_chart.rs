//! The webhook chart's Grafana dashboard and PrometheusRule: they render behind their
//! values, the dashboard JSON and the rule groups parse, and every metric and label
//! they query is one the webhook exports (a renamed metric would leave a panel empty
//! and an alert silent, without any error).

use flink_autoscale_e2e::charts::{WEBHOOK_CHART as CHART, of_kind};
use flink_autoscale_e2e::helm;
use flink_autoscale_webhook::error::BadReviewReason;
use flink_autoscale_webhook::metrics::{AuditFindingLabels, CacheHealth, Metrics};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Labels Prometheus attaches to every scraped series (target labels), which the
/// queries may use to scope to the release.
const TARGET_LABELS: [&str; 4] = ["namespace", "pod", "job", "instance"];

fn render(args: &[&str]) -> Vec<Value> {
    helm::template_objects("guard", CHART, "flink-system", args)
        .unwrap_or_else(|e| panic!("helm template {args:?}: {e}"))
}

/// Series name → label names, from the webhook's own exposition with every family
/// given a sample.
fn exported() -> BTreeMap<String, BTreeSet<String>> {
    let m = Metrics::new();
    let finding = flink_autoscale_rules::Finding::new(
        flink_autoscale_rules::RuleId::VpaControlsCpu,
        flink_autoscale_rules::Severity::Deny,
        "spec",
        None,
        "m",
        "",
    );
    m.admission("validate", "FlinkDeployment", "CREATE", false, &[finding]);
    m.bad_request("validate", BadReviewReason::NotJson);
    m.duration("validate", Duration::from_millis(2));
    m.cluster_cache("FlinkDeployment", CacheHealth::default());
    m.audit_findings(
        &AuditFindingLabels {
            namespace: "n".into(),
            kind: "FlinkDeployment".into(),
            name: "x".into(),
            rule: "r".into(),
            severity: "deny".into(),
        },
        1,
    );
    m.audit_objects("FlinkDeployment", 1);
    m.audit_evaluated(1);
    m.audit_full_pass(1.0, Duration::from_secs(1));
    m.certificate_expiry(1.0);
    let text = m.encode().expect("encodes");
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (name, rest) = line.split_once(['{', ' ']).unwrap_or((line, ""));
        let labels = out.entry(name.to_string()).or_default();
        if line.contains('{') {
            let inner = rest.split('}').next().unwrap_or("");
            for pair in inner.split(',') {
                if let Some((k, _)) = pair.split_once('=') {
                    labels.insert(k.to_string());
                }
            }
        }
    }
    out
}

/// `(metric, label names in its selector)` for every `flink_guard_*` selector of
/// `expr`, and the labels of its `by (...)` clauses.
fn queried(expr: &str) -> (Vec<(String, Vec<String>)>, Vec<String>) {
    let mut selectors = Vec::new();
    let bytes: Vec<char> = expr.chars().collect();
    let mut i = 0;
    while let Some(start) = expr[char_offset(&bytes, i)..].find("flink_guard_") {
        let s = i + expr[char_offset(&bytes, i)..][..start].chars().count();
        let mut e = s;
        while e < bytes.len() && (bytes[e].is_ascii_alphanumeric() || bytes[e] == '_') {
            e += 1;
        }
        let name: String = bytes[s..e].iter().collect();
        let mut labels = Vec::new();
        if e < bytes.len() && bytes[e] == '{' {
            let close = (e..bytes.len())
                .find(|&k| bytes[k] == '}')
                .unwrap_or(bytes.len());
            let inner: String = bytes[e + 1..close].iter().collect();
            for matcher in inner.split(',') {
                let label: String = matcher
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !label.is_empty() {
                    labels.push(label);
                }
            }
            e = close;
        }
        selectors.push((name, labels));
        i = e;
    }
    let mut by = Vec::new();
    for part in expr.split("by (").skip(1) {
        let list = part.split(')').next().unwrap_or("");
        by.extend(
            list.split(',')
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty()),
        );
    }
    (selectors, by)
}

fn char_offset(chars: &[char], i: usize) -> usize {
    chars[..i.min(chars.len())]
        .iter()
        .map(|c| c.len_utf8())
        .sum()
}

/// Checks one PromQL expression against the exposition; returns its metrics.
fn check(expr: &str, exported: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let (selectors, by) = queried(expr);
    assert!(!selectors.is_empty(), "no flink_guard_ metric in {expr}");
    let mut labels_here: BTreeSet<String> = BTreeSet::new();
    for (name, labels) in &selectors {
        let Some(has) = exported.get(name) else {
            panic!(
                "{expr}: {name} is not a series the webhook exports; it exports {:?}",
                exported.keys()
            );
        };
        for l in labels {
            assert!(
                has.contains(l) || TARGET_LABELS.contains(&l.as_str()),
                "{expr}: {name} has no label {l} (it has {has:?})"
            );
        }
        labels_here.extend(has.iter().cloned());
    }
    for l in by {
        assert!(
            labels_here.contains(&l) || TARGET_LABELS.contains(&l.as_str()),
            "{expr}: `by ({l})` is no label of its metrics ({labels_here:?})"
        );
    }
    selectors.into_iter().map(|(n, _)| n).collect()
}

#[test]
fn the_dashboard_and_the_alerts_query_only_what_the_webhook_exports() {
    let exported = exported();
    assert!(exported.contains_key("flink_guard_admission_duration_seconds_bucket"));
    assert!(exported["flink_guard_audit_findings"].contains("rule"));

    // Off by default.
    let defaults = render(&[]);
    assert!(of_kind(&defaults, "PrometheusRule").is_empty());
    assert!(
        !of_kind(&defaults, "ConfigMap")
            .iter()
            .any(|c| c["metadata"]["labels"]["grafana_dashboard"] == "1")
    );

    let docs = render(&[
        "--set",
        "metrics.dashboard.enabled=true,metrics.prometheusRule.enabled=true",
    ]);
    let dashboards: Vec<&Value> = of_kind(&docs, "ConfigMap")
        .into_iter()
        .filter(|c| c["metadata"]["labels"]["grafana_dashboard"] == "1")
        .collect();
    assert_eq!(dashboards.len(), 1);
    let data = dashboards[0]["data"]["flink-autoscale-guard.json"]
        .as_str()
        .expect("the dashboard JSON");
    let dashboard: Value = serde_json::from_str(data).expect("the dashboard is JSON");
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let panels = dashboard["panels"].as_array().expect("panels");
    for panel in panels {
        for target in panel["targets"].as_array().expect("targets") {
            let expr = target["expr"].as_str().expect("expr");
            seen.extend(check(expr, &exported));
        }
    }
    for wanted in [
        "flink_guard_admission_requests_total",
        "flink_guard_admission_duration_seconds_bucket",
        "flink_guard_findings_total",
        "flink_guard_bad_requests_total",
        "flink_guard_audit_findings",
        "flink_guard_certificate_expiry_seconds",
    ] {
        assert!(seen.contains(wanted), "the dashboard shows no {wanted}");
    }

    let rules = of_kind(&docs, "PrometheusRule");
    assert_eq!(rules.len(), 1);
    let groups = rules[0]["spec"]["groups"].as_array().expect("rule groups");
    let mut alerts = BTreeSet::new();
    for group in groups {
        assert!(group["name"].as_str().is_some_and(|n| !n.is_empty()));
        for rule in group["rules"].as_array().expect("rules") {
            let alert = rule["alert"].as_str().expect("an alert name");
            let expr = rule["expr"].as_str().expect("an expression");
            check(expr, &exported);
            assert!(rule["labels"]["severity"].is_string(), "{alert}");
            assert!(rule["annotations"]["summary"].is_string(), "{alert}");
            alerts.insert(alert.to_string());
        }
    }
    for wanted in [
        "FlinkGuardWebhookAbsent",
        "FlinkGuardWebhookNotReady",
        "FlinkGuardAdmissionSlow",
        "FlinkGuardDenialBurst",
        "FlinkGuardAuditDenyFindings",
        "FlinkGuardCertificateExpiring",
    ] {
        assert!(alerts.contains(wanted), "no alert {wanted}: {alerts:?}");
    }
}

#[test]
fn thresholds_reach_the_alerts_and_failure_policy_sets_their_severity() {
    let docs = render(&[
        "--set",
        "metrics.prometheusRule.enabled=true",
        "--set-json",
        "metrics.prometheusRule.admissionP99Seconds=0.5",
        "--set",
        "metrics.prometheusRule.certificateExpiryDays=30,failurePolicy=Ignore",
    ]);
    let rule = of_kind(&docs, "PrometheusRule")[0];
    let all: Vec<&Value> = rule["spec"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_array().unwrap())
        .collect();
    let by_name = |n: &str| *all.iter().find(|r| r["alert"] == n).expect(n);
    assert!(
        by_name("FlinkGuardAdmissionSlow")["expr"]
            .as_str()
            .unwrap()
            .ends_with("> 0.5")
    );
    assert!(
        by_name("FlinkGuardCertificateExpiring")["expr"]
            .as_str()
            .unwrap()
            .contains("< 30 * 86400")
    );
    assert_eq!(
        by_name("FlinkGuardWebhookAbsent")["labels"]["severity"],
        "warning"
    );
    let fail = render(&["--set", "metrics.prometheusRule.enabled=true"]);
    let rule = of_kind(&fail, "PrometheusRule")[0];
    assert!(rule.to_string().contains(r#""severity":"critical""#));
}

#[test]
fn reports_bring_their_rbac_lease_and_flags_and_crds_only_when_asked() {
    let defaults = render(&[]);
    assert!(
        of_kind(&defaults, "Role").is_empty(),
        "no Lease RBAC without reports"
    );
    assert!(of_kind(&defaults, "CustomResourceDefinition").is_empty());
    let args = |docs: &[Value]| -> Vec<String> {
        of_kind(docs, "Deployment")[0]["spec"]["template"]["spec"]["containers"][0]["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap_or("").to_string())
            .collect()
    };
    assert!(!args(&defaults).contains(&"--audit-reports".to_string()));

    for (api, group, plural) in [
        ("wgpolicy", "wgpolicyk8s.io", "policyreports"),
        ("openreports", "openreports.io", "reports"),
    ] {
        let docs = render(&[
            "--set",
            &format!("audit.reports.api={api},audit.reports.installCRDs=true"),
        ]);
        let a = args(&docs);
        let at = a
            .iter()
            .position(|x| x == "--audit-reports")
            .expect("the flag");
        assert_eq!(a[at + 1], api);
        let ns = a
            .iter()
            .position(|x| x == "--audit-lease-namespace")
            .unwrap();
        assert_eq!(a[ns + 1], "flink-system");
        let role = of_kind(&docs, "ClusterRole")
            .into_iter()
            .find(|r| {
                r["metadata"]["name"]
                    .as_str()
                    .unwrap_or("")
                    .ends_with("-reports")
            })
            .expect("the reports ClusterRole");
        assert_eq!(role["rules"][0]["apiGroups"][0], group);
        assert_eq!(role["rules"][0]["resources"][0], plural);
        let verbs: Vec<&str> = role["rules"][0]["verbs"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(verbs, ["get", "create", "update", "delete"]);
        let lease = of_kind(&docs, "Role")[0];
        assert_eq!(lease["metadata"]["namespace"], "flink-system");
        assert_eq!(
            lease["rules"][1]["resourceNames"][0],
            "flink-autoscale-guard-audit"
        );
        let crd = of_kind(&docs, "CustomResourceDefinition")[0];
        assert_eq!(crd["spec"]["group"], group);
        assert_eq!(crd["spec"]["names"]["plural"], plural);
    }
    // A value outside the enum is refused by the schema.
    assert!(helm::template("guard", CHART, "x", &["--set", "audit.reports.api=kyverno"]).is_err());
}
