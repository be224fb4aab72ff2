//! The cluster view behind the cluster-aware rules: kube reflectors (list + watch into
//! an in-memory store) for FlinkDeployments, VPAs and HPAs, started at launch, so an
//! admission never waits on an API request. A kind whose API is not served (no VPA
//! CRD installed, say) is logged once and left out: its rules see no objects.

use flink_autoscale_rules::ClusterState;
use futures::StreamExt;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, discovery};
use serde_json::Value;
use std::sync::Arc;
use tokio::task::JoinHandle;

/// The kinds the rules look at, by group/version/kind. Versions are the ones the
/// rules read; `matchPolicy: Equivalent` sends other versions converted.
const KINDS: [(&str, &str, &str); 3] = [
    ("flink.apache.org", "v1beta1", "FlinkDeployment"),
    ("autoscaling.k8s.io", "v1", "VerticalPodAutoscaler"),
    ("autoscaling", "v2", "HorizontalPodAutoscaler"),
];

/// Reflector stores, one per kind the cluster serves.
#[derive(Clone, Default)]
pub struct ClusterView {
    flink_deployments: Option<Store<DynamicObject>>,
    vpas: Option<Store<DynamicObject>>,
    hpas: Option<Store<DynamicObject>>,
}

/// The running reflectors; dropping it does not stop them, `abort` does.
pub struct Reflectors {
    pub view: Arc<ClusterView>,
    tasks: Vec<JoinHandle<()>>,
}

impl Reflectors {
    /// Resolves once every store has its initial list.
    pub fn synced(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let view = self.view.clone();
        async move {
            for store in view.stores() {
                // An error here means the writer was dropped: the task ended, which
                // only happens on shutdown.
                let _ = store.wait_until_ready().await;
            }
        }
    }

    pub fn abort(&self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl ClusterView {
    fn stores(&self) -> impl Iterator<Item = &Store<DynamicObject>> {
        [&self.flink_deployments, &self.vpas, &self.hpas]
            .into_iter()
            .flatten()
    }
}

/// Finds which of the kinds the cluster serves and starts a reflector for each.
pub async fn start(client: Client) -> Reflectors {
    let mut view = ClusterView::default();
    let mut tasks = Vec::new();
    for (group, version, kind) in KINDS {
        let gvk = GroupVersionKind::gvk(group, version, kind);
        let resource = match discovery::pinned_kind(&client, &gvk).await {
            Ok((resource, _caps)) => resource,
            Err(e) => {
                tracing::warn!(
                    kind,
                    api = %format!("{group}/{version}"),
                    error = %e,
                    "kind not served by the cluster: rules about it are skipped until restart"
                );
                continue;
            }
        };
        let (store, task) = reflect(client.clone(), &resource);
        tasks.push(task);
        match kind {
            "FlinkDeployment" => view.flink_deployments = Some(store),
            "VerticalPodAutoscaler" => view.vpas = Some(store),
            _ => view.hpas = Some(store),
        }
    }
    Reflectors {
        view: Arc::new(view),
        tasks,
    }
}

/// One reflector: watches every namespace and keeps the store current, retrying with
/// kube's default backoff when the watch fails.
fn reflect(client: Client, resource: &ApiResource) -> (Store<DynamicObject>, JoinHandle<()>) {
    let api = Api::<DynamicObject>::all_with(client, resource);
    let writer = reflector::store::Writer::new(resource.clone());
    let reader = writer.as_reader();
    let kind = resource.kind.clone();
    let stream = reflector::reflector(writer, watcher(api, watcher::Config::default()))
        .default_backoff()
        .touched_objects();
    let task = tokio::spawn(async move {
        stream
            .for_each(|event| {
                if let Err(e) = event {
                    tracing::warn!(kind = %kind, error = %e, "watch failed; retrying");
                }
                std::future::ready(())
            })
            .await;
    });
    (reader, task)
}

fn in_namespace(store: Option<&Store<DynamicObject>>, namespace: &str) -> Vec<Value> {
    store
        .map(|s| {
            s.state()
                .iter()
                .filter(|o| o.metadata.namespace.as_deref() == Some(namespace))
                .filter_map(|o| serde_json::to_value(o.as_ref()).ok())
                .collect()
        })
        .unwrap_or_default()
}

impl ClusterState for ClusterView {
    fn flink_deployment(&self, namespace: &str, name: &str) -> Option<Value> {
        let store = self.flink_deployments.as_ref()?;
        store
            .state()
            .iter()
            .find(|o| {
                o.metadata.namespace.as_deref() == Some(namespace)
                    && o.metadata.name.as_deref() == Some(name)
            })
            .and_then(|o| serde_json::to_value(o.as_ref()).ok())
    }

    fn vpas(&self, namespace: &str) -> Vec<Value> {
        in_namespace(self.vpas.as_ref(), namespace)
    }

    fn hpas(&self, namespace: &str) -> Vec<Value> {
        in_namespace(self.hpas.as_ref(), namespace)
    }
}
