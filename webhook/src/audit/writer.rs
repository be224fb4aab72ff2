//! Writes the policy reports: only on the replica holding the Lease, only for
//! namespaces whose findings changed, and only when the stored report's content
//! differs (a new leader reads what its predecessor wrote instead of rewriting it).

use super::Audit;
use super::lease::{Elector, RENEW_EVERY};
use super::report::{self, POLICY, ReportApi};
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, PostParams};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// The annotation saying when the report's content last changed.
pub const UPDATED: &str = "flink-autoscale-guard/updated";

fn resource(api: ReportApi) -> Option<ApiResource> {
    let (group, version, kind, plural) = api.resource()?;
    Some(ApiResource {
        group: group.into(),
        version: version.into(),
        api_version: format!("{group}/{version}"),
        kind: kind.into(),
        plural: plural.into(),
    })
}

/// Keeps the reports current, forever.
pub async fn run(audit: Arc<Audit>, client: kube::Client, api: ReportApi, mut elector: Elector) {
    let Some(resource) = resource(api) else {
        return;
    };
    // What this replica last wrote or found stored, by namespace (content only).
    let mut written: HashMap<String, Value> = HashMap::new();
    let mut was_leading = false;
    let mut pending: BTreeSet<String> = BTreeSet::new();
    let mut last_error: Option<String> = None;
    loop {
        match elector.round().await {
            Ok(leading) => {
                last_error = None;
                if leading && !was_leading {
                    tracing::info!(
                        identity = elector.identity(),
                        "leading: writing audit reports"
                    );
                    // Whatever happened meanwhile, every namespace is checked once.
                    written.clear();
                    pending.extend(audit.namespaces_ever());
                }
                if !leading && was_leading {
                    tracing::info!(identity = elector.identity(), "no longer leading");
                }
                was_leading = leading;
            }
            Err(e) => {
                // Once per run of failures, not every round.
                let said = e.to_string();
                if last_error.as_deref() != Some(said.as_str()) {
                    tracing::warn!(error = %said, "audit Lease not readable or writable; reports wait");
                    last_error = Some(said);
                }
                was_leading = elector.leading();
            }
        }
        pending.extend(audit.take_changed_namespaces());
        if was_leading && audit.ready() {
            let mut left = BTreeSet::new();
            for ns in std::mem::take(&mut pending) {
                if !elector.leading() {
                    left.insert(ns);
                    continue;
                }
                if let Err(e) = write(&audit, &client, &resource, api, &ns, &mut written).await {
                    tracing::warn!(namespace = %ns, error = %e, "policy report not written; retried");
                    left.insert(ns);
                }
            }
            pending = left;
        }
        tokio::select! {
            _ = audit.reports_wake.notified() => {}
            _ = tokio::time::sleep(RENEW_EVERY) => {}
        }
    }
}

/// Brings the report of `namespace` in line with the audit.
async fn write(
    audit: &Audit,
    client: &kube::Client,
    resource: &ApiResource,
    api: ReportApi,
    namespace: &str,
    written: &mut HashMap<String, Value>,
) -> Result<(), kube::Error> {
    let desired = audit.report_content(namespace);
    if written.get(namespace) == desired.as_ref() {
        return Ok(());
    }
    let reports: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, resource);
    let stored = reports.get_opt(POLICY).await?;
    let Some(content) = desired else {
        // No audited object left in the namespace: no report.
        if stored.is_some() {
            reports.delete(POLICY, &DeleteParams::default()).await?;
        }
        written.remove(namespace);
        return Ok(());
    };
    let stored_content = stored
        .as_ref()
        .and_then(|s| serde_json::to_value(s).ok())
        .map(|s| report::stored_content(&s));
    if stored_content.as_ref() != Some(&content) {
        let Some(body) = report::report(api, namespace, &content) else {
            return Ok(());
        };
        let mut object: DynamicObject =
            serde_json::from_value(body).map_err(kube::Error::SerdeError)?;
        // When the content last changed, for `kubectl flink audit --from-reports`.
        object.metadata.annotations = Some(
            [(UPDATED.to_string(), super::lease::micro_time_now())]
                .into_iter()
                .collect(),
        );
        match stored {
            None => {
                reports.create(&PostParams::default(), &object).await?;
            }
            Some(s) => {
                object.metadata.resource_version = s.metadata.resource_version;
                reports
                    .replace(POLICY, &PostParams::default(), &object)
                    .await?;
            }
        }
        tracing::debug!(namespace, "policy report written");
    }
    written.insert(namespace.to_string(), content);
    Ok(())
}
