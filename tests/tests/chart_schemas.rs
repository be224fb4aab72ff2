//! Both charts against the schemas that judge them: `helm lint --strict`, each
//! chart's `values.schema.json` refusing misspelt and out-of-range values, and the
//! checks the chart tests rely on (`flink_autoscale_e2e::schema`: CRDs from the
//! shared fixtures, k8s-openapi round trips) shown to catch what the API server
//! would drop.
//!
//! helm is found at `$HELM`, on PATH or in `$HOME/.local/bin`, else installed into
//! `target/tools` on first use (`flink_autoscale_e2e::helm`); a helm that can be
//! neither found nor installed fails these tests rather than skipping them.

use flink_autoscale_e2e::charts::{FLINK_CHART, WEBHOOK_CHART, render, render_error, run_helm};
use flink_autoscale_e2e::schema::{built_in_errors, crd_errors, crd_schema};
use serde_json::json;

#[test]
fn the_schema_checks_catch_fields_the_api_server_would_drop() {
    // The checks themselves must be able to fail: a misspelt field in a custom
    // resource and in a built-in object, and a wrong type.
    let flink = crd_schema(
        "flinkdeployments.flink.apache.org-v1.yml",
        "FlinkDeployment",
        "v1beta1",
    );
    let mut fd = render(FLINK_CHART, &[])
        .into_iter()
        .find(|d| d["kind"] == "FlinkDeployment")
        .expect("a FlinkDeployment");
    assert_eq!(crd_errors(&fd, &flink), Vec::<String>::new());
    fd["spec"]["taskManger"] = json!({"replicas": 1});
    fd["spec"]["job"]["parallelism"] = json!("two");
    let errors = crd_errors(&fd, &flink);
    assert!(
        errors.iter().any(|e| e.contains("taskManger")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("/spec/job/parallelism")),
        "{errors:?}"
    );

    let mut deployment = render(WEBHOOK_CHART, &[])
        .into_iter()
        .find(|d| d["kind"] == "Deployment")
        .expect("a Deployment");
    assert_eq!(built_in_errors(&deployment), Some(vec![]));
    deployment["spec"]["template"]["spec"]["securityContxt"] = json!({});
    deployment["spec"]["replicas"] = json!("2");
    let errors = built_in_errors(&deployment).unwrap_or_default();
    assert!(!errors.is_empty(), "a wrong type is caught");
    deployment["spec"]["replicas"] = json!(2);
    deployment["spec"]["template"]["spec"]["securityContxt"] = json!({"x": 1});
    let errors = built_in_errors(&deployment).unwrap_or_default();
    assert!(
        errors
            .iter()
            .any(|e| e.contains(".spec.template.spec.securityContxt")),
        "{errors:?}"
    );
}

#[test]
fn both_charts_pass_strict_lint() {
    for chart in [FLINK_CHART, WEBHOOK_CHART] {
        let out = run_helm(&["lint", "--strict", chart]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "helm lint --strict {chart}:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("0 chart(s) failed"), "{stdout}");
        assert!(
            !stdout.contains("[WARNING]") && !stdout.contains("[ERROR]"),
            "{stdout}"
        );
    }
}

#[test]
fn misspelt_values_are_rejected_by_the_schemas() {
    let cases = [
        (
            FLINK_CHART,
            "defaults.autoscaler.metricWindow=5m",
            "metricWindow",
        ),
        (FLINK_CHART, "defaults.vpa.updatemode=Initial", "updatemode"),
        (FLINK_CHART, "defaults.taskManager.slot=2", "slot"),
        (FLINK_CHART, "jobs[0].autoscalr.enabled=false", "autoscalr"),
        (WEBHOOK_CHART, "enforcment=warn", "enforcment"),
        (WEBHOOK_CHART, "certManager.enable=false", "enable"),
    ];
    for (chart, set, field) in cases {
        let error = render_error(chart, &["--set", set]);
        assert!(
            error.contains("additional properties") && error.contains(&format!("'{field}'")),
            "{chart} --set {set}: {error}"
        );
    }
    let cases = [
        (
            FLINK_CHART,
            "defaults.vpa.updateMode=Sometimes",
            "updateMode",
        ),
        (FLINK_CHART, "defaults.mode=reactive", "mode"),
        (
            FLINK_CHART,
            "defaults.autoscaler.metricsWindow=5 fortnights",
            "metricsWindow",
        ),
        (
            FLINK_CHART,
            "defaults.autoscaler.targetUtilization=1.5",
            "targetUtilization",
        ),
        (WEBHOOK_CHART, "enforcement=audit", "enforcement"),
        (WEBHOOK_CHART, "failurePolicy=Sometimes", "failurePolicy"),
        (WEBHOOK_CHART, "timeoutSeconds=60", "timeoutSeconds"),
    ];
    for (chart, set, field) in cases {
        let error = render_error(chart, &["--set", set]);
        assert!(
            error.contains(field) && error.contains("schema"),
            "{chart} --set {set}: {error}"
        );
    }
}
