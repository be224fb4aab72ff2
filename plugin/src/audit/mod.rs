//! `kubectl flink audit`: which objects in the cluster break the webhook's rules now,
//! before `--enforcement warn` becomes `deny`, or as a gate in CI. Judges the live
//! objects with the same rules (one list call per kind), or reads the reports the
//! webhook's background audit writes (`--from-reports`). Exit 1 when any deny finding
//! exists.

pub mod model;
pub mod render;

pub use crate::cli::AuditFormat;
use crate::cli::{AuditArgs, GlobalArgs, Switch};
use crate::cluster::connect::{self, Connection};
use crate::cluster::list::{self, Scope, Selectors};
use crate::error::Error;
use flink_autoscale_rules::RuleSettings;
use kube::api::{ApiResource, GroupVersionKind};
use serde_json::Value;
use std::io::Write;

/// The kinds judged, by group, version, kind and plural.
const KINDS: [(&str, &str, &str, &str); 4] = [
    (
        "flink.apache.org",
        "v1beta1",
        "FlinkDeployment",
        "flinkdeployments",
    ),
    (
        "flink.apache.org",
        "v1beta1",
        "FlinkSessionJob",
        "flinksessionjobs",
    ),
    (
        "autoscaling.k8s.io",
        "v1",
        "VerticalPodAutoscaler",
        "verticalpodautoscalers",
    ),
    (
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
    ),
];

/// The report APIs, newest first.
const REPORTS: [(&str, &str, &str, &str); 2] = [
    ("openreports.io", "v1alpha1", "Report", "reports"),
    (
        "wgpolicyk8s.io",
        "v1alpha2",
        "PolicyReport",
        "policyreports",
    ),
];

fn resource((group, version, kind, plural): (&str, &str, &str, &str)) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

/// Runs `audit`; returns the exit code (1 with deny findings).
pub fn run(args: &AuditArgs, global: &GlobalArgs, out: &mut dyn Write) -> Result<u8, Error> {
    let runtime = crate::cluster::runtime()?;
    let audit = runtime.block_on(collect(args, global))?;
    render::write(out, &audit, args.output).map_err(Error::Output)?;
    Ok(u8::from(audit.has_denials()))
}

async fn collect(args: &AuditArgs, global: &GlobalArgs) -> Result<model::Audit, Error> {
    let connection =
        connect::connect(global.kubeconfig.as_deref(), global.context.as_deref()).await?;
    let scope = crate::cli::scope(args.all_namespaces, global, &connection.default_namespace);
    if args.from_reports {
        let reports = reports(&connection, &scope).await?;
        let now = jiff::Timestamp::now().as_second();
        return Ok(model::from_reports(&reports, now));
    }
    let mut objects = Vec::new();
    for kind in KINDS {
        match list::list(
            connection.client.clone(),
            resource(kind),
            scope.clone(),
            Selectors::default(),
        )
        .await
        {
            Ok(items) => objects.extend(items),
            // A kind that is not installed (no VPA CRD) has no objects to judge.
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(e) => return Err(api_error(&connection, &scope, kind.3, e)),
        }
    }
    let settings = RuleSettings {
        operator_rules: args.operator_rules == Switch::On,
        ..RuleSettings::default()
    };
    Ok(model::judge(objects, &settings))
}

/// The webhook's reports in `scope`, from whichever API is served and has them.
async fn reports(connection: &Connection, scope: &Scope) -> Result<Vec<Value>, Error> {
    for api in REPORTS {
        match list::list(
            connection.client.clone(),
            resource(api),
            scope.clone(),
            Selectors::default(),
        )
        .await
        {
            Ok(items) => {
                let ours: Vec<Value> = items
                    .into_iter()
                    .filter(|r| {
                        r.pointer("/metadata/name").and_then(Value::as_str) == Some(model_policy())
                    })
                    .collect();
                if !ours.is_empty() {
                    return Ok(ours);
                }
            }
            Err(kube::Error::Api(s)) if s.code == 404 => {}
            Err(e) => return Err(api_error(connection, scope, api.3, e)),
        }
    }
    Err(Error::Api {
        action: format!(
            "reading flink-autoscale-guard reports in {}",
            scope.describe()
        ),
        target: connection.target.clone(),
        message: "no Report (openreports.io/v1alpha1) nor PolicyReport (wgpolicyk8s.io/v1alpha2) \
                  named flink-autoscale-guard; the webhook writes them when run with \
                  --audit-reports (chart value audit.reports.api); run without --from-reports \
                  to judge the live objects"
            .into(),
    })
}

fn model_policy() -> &'static str {
    "flink-autoscale-guard"
}

fn api_error(connection: &Connection, scope: &Scope, plural: &str, e: kube::Error) -> Error {
    match e {
        kube::Error::Api(s) => Error::Api {
            action: format!("listing {plural} in {}", scope.describe()),
            target: connection.target.clone(),
            message: s.message.clone(),
        },
        other => Error::Unreachable {
            target: connection.target.clone(),
            message: crate::error::chain(&other),
        },
    }
}
