//! The cluster view behind the cluster-aware rules: for FlinkDeployments, VPAs and
//! HPAs, a list + watch per kind into an index ([`KindIndex`]), started at launch, so
//! an admission never waits on an API request and touches only the objects it is
//! about.
//!
//! Faults are retried, never given up on, as client-go informers and the VPA
//! admission controller do: discovery and list/watch are retried with backoff while
//! the API server is unreachable, a kind the API server does not serve (no VPA CRD)
//! is looked for again every minute, and any watch error ends in a fresh list (so a
//! version the server no longer knows, after an etcd restore or a reset, cannot
//! leave the cache behind). What each kind's cache is worth right now is public
//! ([`ClusterView::problems`]): responses and readiness say when a rule had to judge
//! without it, and `/metrics` shows its health and age.

use crate::cluster_index::{KindIndex, TargetField, cache_form};
use crate::metrics::Metrics;
use flink_autoscale_rules::{ClusterState, SharedObject};
use futures::StreamExt;
use kube::api::{Api, DynamicObject, GroupVersionKind};
use kube::runtime::watcher::{self, Event};
use kube::{Client, discovery};
use serde_json::Value;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// How long a watch may fail, by default, before the cached view counts as stale:
/// readiness turns false and responses say the cluster rules were skipped. Short
/// outages (an API server restart) pass unnoticed; a longer one does not go unsaid.
pub const STALE_AFTER: Duration = Duration::from_secs(60);
/// How often a kind the API server does not serve is looked for again (a CRD
/// installed after the webhook started is picked up without a restart).
const NOT_SERVED_RECHECK: Duration = Duration::from_secs(60);
/// Objects per list page.
const LIST_PAGE_SIZE: u32 = 200;
/// Retry delays after a failure: doubling from the first to the last.
const RETRY_FIRST: Duration = Duration::from_millis(250);
const RETRY_MAX: Duration = Duration::from_secs(15);

/// The kinds the rules look at, by group/version/kind. Versions are the ones the
/// rules read; `matchPolicy: Equivalent` sends other versions converted.
const KINDS: [(&str, &str, &str, TargetField); 4] = [
    (
        "flink.apache.org",
        "v1beta1",
        "FlinkDeployment",
        TargetField::None,
    ),
    (
        "autoscaling.k8s.io",
        "v1",
        "VerticalPodAutoscaler",
        TargetField::TargetRef,
    ),
    (
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        TargetField::ScaleTargetRef,
    ),
    // No rule looks a session job up; the audit judges them (issue 18).
    (
        "flink.apache.org",
        "v1beta1",
        "FlinkSessionJob",
        TargetField::DeploymentName,
    ),
];

/// A change to the view, for whoever follows it (the audit): cheap to send, and it
/// names the object rather than carrying it, so a follower that lags reads the
/// newest state once instead of every intermediate one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Change {
    /// `kind` `namespace/name` was added, changed or deleted.
    Object {
        kind: &'static str,
        namespace: String,
        name: String,
    },
    /// `kind` was listed afresh (first list, relist after an error, CRD removed).
    Listed { kind: &'static str },
}

/// Where changes go: called under no lock, from the watch tasks.
pub type ChangeSink = Arc<dyn Fn(Change) + Send + Sync>;

/// Milliseconds since the process's first look at a clock, for atomics.
fn now_ms() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_millis() as u64 + 1
}

/// One kind's cache and what it is worth.
#[derive(Debug)]
pub struct KindCache {
    pub kind: &'static str,
    group: &'static str,
    version: &'static str,
    index: RwLock<KindIndex>,
    /// The API server does not serve the kind: no such objects exist, so an empty
    /// cache is the truth.
    not_served: AtomicBool,
    /// A complete list has been loaded at least once.
    synced: AtomicBool,
    /// When the current run of failures began (`now_ms`), 0 while healthy.
    failing_since: AtomicU64,
    /// When the last complete list was loaded (`now_ms`).
    listed_at: AtomicU64,
    lists: AtomicU64,
    errors: AtomicU64,
    last_error: Mutex<String>,
    changes: OnceLock<Sink>,
}

/// A [`ChangeSink`] that a derived `Debug` can print.
struct Sink(ChangeSink);

impl std::fmt::Debug for Sink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangeSink")
    }
}

impl KindCache {
    fn new(group: &'static str, version: &'static str, kind: &'static str, t: TargetField) -> Self {
        KindCache {
            kind,
            group,
            version,
            index: RwLock::new(KindIndex::new(t)),
            not_served: AtomicBool::new(false),
            synced: AtomicBool::new(false),
            failing_since: AtomicU64::new(0),
            listed_at: AtomicU64::new(0),
            lists: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            last_error: Mutex::new(String::new()),
            changes: OnceLock::new(),
        }
    }

    fn notify(&self, change: impl FnOnce() -> Change) {
        if let Some(sink) = self.changes.get() {
            (sink.0)(change());
        }
    }

    fn object_changed(&self, namespace: String, name: String) {
        self.notify(|| Change::Object {
            kind: self.kind,
            namespace,
            name,
        });
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, KindIndex> {
        // A writer that panicked left a complete index behind (every update is one
        // call); reading it beats failing every review.
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, KindIndex> {
        self.index.write().unwrap_or_else(|e| e.into_inner())
    }

    fn failed(&self, error: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let _ =
            self.failing_since
                .compare_exchange(0, now_ms(), Ordering::Relaxed, Ordering::Relaxed);
        *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = error;
    }

    fn healthy(&self) {
        self.failing_since.store(0, Ordering::Relaxed);
    }

    fn listed(&self, objects: Vec<Value>) {
        let mut index = self.read().empty_like();
        index.replace_all(objects);
        self.swap_in(index);
    }

    /// Replaces the index with a freshly listed one.
    fn swap_in(&self, index: KindIndex) {
        *self.write() = index;
        self.not_served.store(false, Ordering::Relaxed);
        self.listed_at.store(now_ms(), Ordering::Relaxed);
        self.lists.fetch_add(1, Ordering::Relaxed);
        self.synced.store(true, Ordering::SeqCst);
        self.healthy();
        self.notify(|| Change::Listed { kind: self.kind });
    }

    fn mark_not_served(&self) {
        let had = !self.read().is_empty() || !self.synced.load(Ordering::SeqCst);
        self.write().replace_all([]);
        self.not_served.store(true, Ordering::Relaxed);
        self.synced.store(true, Ordering::SeqCst);
        self.healthy();
        if had {
            self.notify(|| Change::Listed { kind: self.kind });
        }
    }

    /// For how long the watch has been failing, if it is.
    fn failing_for(&self) -> Option<Duration> {
        match self.failing_since.load(Ordering::Relaxed) {
            0 => None,
            since => Some(Duration::from_millis(now_ms().saturating_sub(since))),
        }
    }

    /// Why this cache cannot be trusted now, if it cannot: never listed, or its
    /// watch failing for `stale_after` or longer.
    fn problem(&self, stale_after: Duration) -> Option<String> {
        let error = || {
            let e = self.last_error.lock().unwrap_or_else(|e| e.into_inner());
            if e.is_empty() {
                String::new()
            } else {
                format!(": {e}")
            }
        };
        if !self.synced.load(Ordering::SeqCst) {
            return Some(format!("{} cache not synced yet{}", self.kind, error()));
        }
        match self.failing_for() {
            Some(d) if d >= stale_after => Some(format!(
                "{} cache stale, watch failing for {} s{}",
                self.kind,
                d.as_secs(),
                error()
            )),
            _ => None,
        }
    }
}

/// The three caches. Cloning the `Arc` shares them.
#[derive(Debug)]
pub struct ClusterView {
    flink_deployments: KindCache,
    vpas: KindCache,
    hpas: KindCache,
    /// How long a failing watch is tolerated before the view counts as stale.
    stale_after: Duration,
    session_jobs: KindCache,
}

impl ClusterView {
    /// An empty view that counts as stale after `stale_after` of failing watches.
    pub fn new(stale_after: Duration) -> ClusterView {
        ClusterView {
            stale_after,
            ..ClusterView::default()
        }
    }
}

impl Default for ClusterView {
    fn default() -> Self {
        let [fd, vpa, hpa, fsj] = KINDS.map(|(g, v, k, t)| KindCache::new(g, v, k, t));
        ClusterView {
            flink_deployments: fd,
            vpas: vpa,
            hpas: hpa,
            stale_after: STALE_AFTER,
            session_jobs: fsj,
        }
    }
}

impl ClusterView {
    /// A view synced with `objects` (FlinkDeployments, VPAs and HPAs; others are
    /// ignored): for tests and benchmarks of the decision path.
    pub fn from_objects(objects: impl IntoIterator<Item = Value>) -> Self {
        let view = ClusterView::default();
        let mut by_kind: [Vec<Value>; 4] = Default::default();
        for o in objects {
            let kind = o.get("kind").and_then(Value::as_str).unwrap_or("");
            if let Some(i) = view.caches().iter().position(|c| c.kind == kind) {
                by_kind[i].push(cache_form(o));
            }
        }
        for (cache, objects) in view.caches().into_iter().zip(by_kind) {
            cache.listed(objects);
        }
        view
    }

    fn caches(&self) -> [&KindCache; 4] {
        [
            &self.flink_deployments,
            &self.vpas,
            &self.hpas,
            &self.session_jobs,
        ]
    }

    fn cache(&self, kind: &str) -> Option<&KindCache> {
        self.caches().into_iter().find(|c| c.kind == kind)
    }

    /// The kinds the view holds, in a fixed order.
    pub fn kinds(&self) -> [&'static str; 4] {
        self.caches().map(|c| c.kind)
    }

    /// Sends every later change to `sink` (one follower per view: the audit). Set
    /// before the watches start, or a change may come first and go unseen.
    pub fn on_change(&self, sink: ChangeSink) {
        for c in self.caches() {
            let _ = c.changes.set(Sink(sink.clone()));
        }
    }

    /// Every cached object of `kind` (none for a kind the view does not hold).
    pub fn objects(&self, kind: &str) -> Vec<SharedObject> {
        self.cache(kind).map(|c| c.read().all()).unwrap_or_default()
    }

    /// Which version of which object of `kind` is cached, without the objects.
    pub fn versions(&self, kind: &str) -> Vec<crate::cluster_index::Version> {
        self.cache(kind)
            .map(|c| c.read().versions())
            .unwrap_or_default()
    }

    /// The cached object `kind` `namespace/name`.
    pub fn object(&self, kind: &str, namespace: &str, name: &str) -> Option<SharedObject> {
        self.cache(kind)?.read().get(namespace, name)
    }

    /// The cached objects of `kind` filed under the target `namespace/target_kind/
    /// target_name` (VPAs and HPAs by their target, session jobs by their
    /// FlinkDeployment).
    pub fn filed_under(
        &self,
        kind: &str,
        namespace: &str,
        target_kind: &str,
        target_name: &str,
    ) -> Vec<SharedObject> {
        self.cache(kind)
            .map(|c| c.read().targeting(namespace, target_kind, target_name))
            .unwrap_or_default()
    }

    /// Whether every kind has been listed once (or is known not to be served).
    pub fn synced(&self) -> bool {
        self.caches()
            .iter()
            .all(|c| c.synced.load(Ordering::SeqCst))
    }

    /// Why the view cannot be trusted now, one line per kind; empty when it can.
    pub fn problems(&self) -> Vec<String> {
        self.caches()
            .iter()
            .filter_map(|c| c.problem(self.stale_after))
            .collect()
    }

    /// Copies the caches' health into the metrics (called when they are scraped).
    pub fn export(&self, metrics: &Metrics) {
        for c in self.caches() {
            let age = match c.listed_at.load(Ordering::Relaxed) {
                0 => None,
                at => Some(Duration::from_millis(now_ms().saturating_sub(at))),
            };
            metrics.cluster_cache(
                c.kind,
                crate::metrics::CacheHealth {
                    objects: c.read().len() as i64,
                    synced: c.synced.load(Ordering::SeqCst),
                    served: !c.not_served.load(Ordering::Relaxed),
                    watch_healthy: c.failing_for().is_none(),
                    failing_seconds: c.failing_for().map_or(0.0, |d| d.as_secs_f64()),
                    list_age_seconds: age.map_or(0.0, |d| d.as_secs_f64()),
                    lists: c.lists.load(Ordering::Relaxed),
                    errors: c.errors.load(Ordering::Relaxed),
                },
            );
        }
    }
}

impl ClusterState for ClusterView {
    fn flink_deployment(&self, namespace: &str, name: &str) -> Option<SharedObject> {
        self.flink_deployments.read().get(namespace, name)
    }

    fn vpas_targeting(&self, namespace: &str, kind: &str, name: &str) -> Vec<SharedObject> {
        self.vpas.read().targeting(namespace, kind, name)
    }

    fn hpas_targeting(&self, namespace: &str, kind: &str, name: &str) -> Vec<SharedObject> {
        self.hpas.read().targeting(namespace, kind, name)
    }
}

/// The running watches; `abort` stops them.
pub struct Reflectors {
    pub view: Arc<ClusterView>,
    tasks: Vec<JoinHandle<()>>,
}

impl Reflectors {
    /// Resolves once every kind has its first list (or is known not to be served).
    pub fn synced(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let view = self.view.clone();
        async move {
            while !view.synced() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }

    pub fn abort(&self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Starts one task per kind: discovery, then list + watch, each retried for as long
/// as it takes. Returns at once; [`Reflectors::synced`] says when the lists are in.
pub fn start(client: Client, stale_after: Duration) -> Reflectors {
    start_with(client, Arc::new(ClusterView::new(stale_after)))
}

/// [`start`] on a view made beforehand (one a follower was attached to with
/// [`ClusterView::on_change`]).
pub fn start_with(client: Client, view: Arc<ClusterView>) -> Reflectors {
    let tasks = (0..KINDS.len())
        .map(|i| {
            let view = view.clone();
            let client = client.clone();
            tokio::spawn(async move { follow(client, view.caches()[i]).await })
        })
        .collect();
    Reflectors { view, tasks }
}

/// Doubling delays, reset after a success.
struct Backoff(Duration);

impl Backoff {
    fn new() -> Self {
        Backoff(RETRY_FIRST)
    }
    fn next(&mut self) -> Duration {
        let d = self.0;
        self.0 = (self.0 * 2).min(RETRY_MAX);
        d
    }
    fn reset(&mut self) {
        self.0 = RETRY_FIRST;
    }
}

/// Whether a discovery error means "this API is not served" (the server answered),
/// rather than "the server could not be asked".
fn not_served(error: &kube::Error) -> bool {
    match error {
        kube::Error::Api(status) => status.code == 404,
        kube::Error::Discovery(_) => true,
        _ => false,
    }
}

/// Keeps one kind's cache current, forever.
async fn follow(client: Client, cache: &KindCache) {
    let gvk = GroupVersionKind::gvk(cache.group, cache.version, cache.kind);
    let api_version = format!("{}/{}", cache.group, cache.version);
    let mut backoff = Backoff::new();
    let mut said_not_served = false;
    loop {
        let resource = match discovery::pinned_kind(&client, &gvk).await {
            Ok((resource, _)) => resource,
            Err(e) if not_served(&e) => {
                if !said_not_served {
                    said_not_served = true;
                    tracing::warn!(
                        kind = cache.kind,
                        api = %api_version,
                        error = %e,
                        "kind not served by the cluster: its rules see no objects; looked for \
                         again every {} s",
                        NOT_SERVED_RECHECK.as_secs()
                    );
                }
                cache.mark_not_served();
                tokio::time::sleep(NOT_SERVED_RECHECK).await;
                continue;
            }
            Err(e) => {
                let delay = backoff.next();
                tracing::warn!(kind = cache.kind, error = %e, retry_in_ms = delay.as_millis() as u64,
                    "discovery failed; retrying");
                cache.failed(format!("discovery failed: {e}"));
                tokio::time::sleep(delay).await;
                continue;
            }
        };
        if said_not_served {
            tracing::info!(kind = cache.kind, "kind now served by the cluster");
            said_not_served = false;
        }
        let api = Api::<DynamicObject>::all_with(client.clone(), &resource);
        watch(api, cache, &mut backoff).await;
        // The watch ended in an error: wait, then discover and list afresh.
        tokio::time::sleep(backoff.next()).await;
    }
}

/// One list + watch, until its first error. A relist after any error costs one list
/// and never leaves the cache on a version the server forgot.
async fn watch(api: Api<DynamicObject>, cache: &KindCache, backoff: &mut Backoff) {
    // Pages of 200 (kube's default is 500): a page is decoded whole, with every
    // field of every object, before the index keeps its compact part; smaller pages
    // keep that transient memory (and what the allocator holds on to after it) low.
    let config = watcher::Config::default().page_size(LIST_PAGE_SIZE);
    let mut stream = std::pin::pin!(watcher::watcher(api, config));
    // A list is built into a new index as it arrives (each object compacted at
    // once, so a list of thousands never exists as trees) and swapped in when done.
    let mut listing: Option<KindIndex> = None;
    while let Some(event) = stream.next().await {
        match event {
            Ok(Event::Init) => listing = Some(cache.read().empty_like()),
            Ok(Event::InitApply(o)) => listing
                .get_or_insert_with(|| cache.read().empty_like())
                .upsert(cached(o)),
            Ok(Event::InitDone) => {
                let index = listing.take().unwrap_or_else(|| cache.read().empty_like());
                let count = index.len();
                let first = !cache.synced.load(Ordering::SeqCst);
                cache.swap_in(index);
                backoff.reset();
                if first {
                    tracing::info!(kind = cache.kind, objects = count, "cache listed");
                } else {
                    tracing::info!(kind = cache.kind, objects = count, "cache relisted");
                }
            }
            Ok(Event::Apply(o)) => {
                let namespace = o.metadata.namespace.clone().unwrap_or_default();
                let name = o.metadata.name.clone().unwrap_or_default();
                cache.write().upsert(cached(o));
                cache.healthy();
                cache.object_changed(namespace, name);
            }
            Ok(Event::Delete(o)) => {
                let namespace = o.metadata.namespace.unwrap_or_default();
                let name = o.metadata.name.unwrap_or_default();
                cache.write().remove(&namespace, &name);
                cache.healthy();
                cache.object_changed(namespace, name);
            }
            Err(e) => {
                tracing::warn!(kind = cache.kind, error = %e, "watch failed; relisting after a pause");
                cache.failed(format!("watch failed: {e}"));
                return;
            }
        }
    }
}

/// What the index keeps of a watched object: fields no rule reads are dropped before
/// the object becomes JSON.
fn cached(mut object: DynamicObject) -> Value {
    object.metadata.managed_fields = None;
    object.metadata.annotations = None;
    object.metadata.labels = None;
    object.metadata.owner_references = None;
    if let Value::Object(map) = &mut object.data {
        map.remove("status");
    }
    cache_form(serde_json::to_value(&object).unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_view_from_objects_answers_and_is_synced() {
        let view = ClusterView::from_objects([
            json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment",
                   "metadata": {"name": "orders", "namespace": "flink"}, "spec": {}}),
            json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                   "metadata": {"name": "h", "namespace": "flink"},
                   "spec": {"scaleTargetRef": {"kind": "FlinkDeployment", "name": "orders"}},
                   "status": {"currentReplicas": 2}}),
            json!({"kind": "ConfigMap", "metadata": {"name": "c"}}),
        ]);
        assert!(view.synced());
        assert!(view.problems().is_empty());
        assert!(view.flink_deployment("flink", "orders").is_some());
        let hpas = view.hpas_targeting("flink", "FlinkDeployment", "orders");
        assert_eq!(hpas.len(), 1);
        assert!(hpas[0].get("status").is_none(), "status is not cached");
        assert!(
            view.vpas_targeting("flink", "FlinkDeployment", "orders")
                .is_empty()
        );
    }

    #[test]
    fn an_unsynced_or_long_failing_cache_is_a_problem_a_short_failure_is_not() {
        let view = ClusterView::default();
        assert!(!view.synced());
        let problems = view.problems();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[1].starts_with("VerticalPodAutoscaler cache not synced yet"));

        view.flink_deployments.listed(Vec::new());
        view.vpas.mark_not_served();
        view.hpas.listed(Vec::new());
        view.session_jobs.listed(Vec::new());
        assert!(view.synced());
        assert!(view.problems().is_empty());

        view.hpas.failed("watch failed: connection refused".into());
        assert!(view.problems().is_empty(), "a fresh failure is tolerated");
        let problem = view.hpas.problem(Duration::ZERO).unwrap_or_default();
        assert!(
            problem.starts_with("HorizontalPodAutoscaler cache stale, watch failing for")
                && problem.ends_with(": watch failed: connection refused"),
            "{problem}"
        );
        view.hpas.listed(Vec::new());
        assert_eq!(view.hpas.problem(Duration::ZERO), None, "a relist heals it");
    }

    #[test]
    fn backoff_doubles_to_its_ceiling_and_resets() {
        let mut b = Backoff::new();
        let delays: Vec<Duration> = (0..10).map(|_| b.next()).collect();
        assert_eq!(delays[0], RETRY_FIRST);
        assert_eq!(delays[1], RETRY_FIRST * 2);
        assert_eq!(*delays.last().unwrap(), RETRY_MAX);
        b.reset();
        assert_eq!(b.next(), RETRY_FIRST);
    }
}
