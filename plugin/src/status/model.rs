//! The scaling picture of FlinkDeployments, assembled from the objects one round of
//! list calls returned. Pure: no I/O, no clock (the caller passes `now`), so every
//! column can be tested from plain JSON objects.
//!
//! Where each piece comes from (see FLINK-FACTS.md): the FlinkDeployment's spec and
//! operator-written status; the autoscaler's ConfigMap `autoscaler-<name>`
//! (overrides and scaling history); TaskManager pods (labels `app: <name>`,
//! `component: taskmanager`, or the deployment's `status.taskManager.labelSelector`);
//! VPAs and HPAs whose target reaches the deployment; and the rules crate's findings
//! on the deployment and on the VPAs and HPAs aimed at it.

use super::autoscaler_state::{self, Direction, VertexChange, VertexParallelism};
use flink_autoscale_rules::config::FlinkConfig;
use flink_autoscale_rules::effective::EffectiveConfig;
use flink_autoscale_rules::options::keys::flink::{
    PARALLELISM_OVERRIDES, PIPELINE_MAX_PARALLELISM, TASK_SLOTS,
};
use flink_autoscale_rules::options::keys::{VERTEX_MAX, VERTEX_MIN};
use flink_autoscale_rules::ownership::{self, Reach};
use flink_autoscale_rules::{
    ClusterState, Quantity, ReviewInput, RuleId, RuleSettings, Severity, SharedObject, object,
    review, values,
};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// The cluster layer's outcome of one list call, and why one could be missing.
pub use crate::cluster::list::{Listed, Unavailability};

/// What one round of list calls returned, one entry per kind. Every object carries
/// `apiVersion` and `kind` (the fetcher adds them to list items).
#[derive(Debug, Clone)]
pub struct Listing {
    pub deployments: Vec<Value>,
    /// ConfigMaps labelled `component=autoscaler`.
    pub config_maps: Listed,
    /// Pods labelled `component=taskmanager`.
    pub pods: Listed,
    pub vpas: Listed,
    pub hpas: Listed,
}

/// Where the listing was made: shown in `-o json|yaml` so that a saved report says
/// which cluster it describes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportScope {
    pub context: String,
    pub server: String,
    /// `None` for all namespaces.
    pub namespace: Option<String>,
}

/// The whole picture; the JSON and YAML outputs are this structure (documented in
/// [`super::render::write_json`]).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub kind: &'static str,
    pub version: u32,
    pub context: String,
    pub server: String,
    pub namespace: Option<String>,
    /// The instant ages are measured from (RFC 3339).
    pub now: String,
    pub unavailable: Vec<UnavailableKind>,
    pub deployments: Vec<DeploymentStatus>,
}

impl Report {
    pub const KIND: &'static str = "FlinkStatus";
    pub const VERSION: u32 = 2;
}

/// A kind whose list failed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnavailableKind {
    pub kind: &'static str,
    pub resource: &'static str,
    pub reason: Unavailability,
    pub message: String,
}

/// Whether a piece of the picture was found, absent, or could not be looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Availability {
    Found,
    /// Looked for and not there (no VPA aims at the deployment, no ConfigMap yet).
    None,
    NotInstalled,
    Forbidden,
    Failed,
}

impl Availability {
    fn of(listed: &Listed, found: bool) -> Availability {
        match listed.unavailability() {
            Some(Unavailability::NotInstalled) => Availability::NotInstalled,
            Some(Unavailability::Forbidden) => Availability::Forbidden,
            Some(Unavailability::Failed) => Availability::Failed,
            None if found => Availability::Found,
            None => Availability::None,
        }
    }
}

/// The autoscaler's mode and whether it tunes memory: the rules crate's reading of
/// the effective configuration, shared with the rules and `explain`.
pub use flink_autoscale_rules::{AutoscalerMode, AutoscalerState as Autoscaler};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Range {
    pub min: i64,
    pub max: i64,
}

/// Where the current parallelism was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ParallelismSource {
    /// `parallelismOverrides` in the autoscaler's ConfigMap (autoscaler enabled).
    Autoscaler,
    /// `pipeline.jobvertex-parallelism-overrides` in the spec.
    SpecOverrides,
    /// `spec.job.parallelism`.
    Job,
    /// A session cluster, or nothing set.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Parallelism {
    pub source: ParallelismSource,
    /// The lowest and highest vertex parallelism now (equal without per-vertex
    /// overrides).
    pub current: Option<Range>,
    /// Per-vertex parallelism, when overrides set it.
    pub vertices: Vec<VertexParallelism>,
    /// `spec.job.parallelism`.
    pub job: Option<i64>,
    /// The autoscaler's bounds in effect (enabled only): `vertex.min-parallelism` ..
    /// `vertex.max-parallelism`, capped by `pipeline.max-parallelism`.
    pub bounds: Option<Range>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskManagers {
    /// Ready TaskManager pods; `None` when pods could not be listed.
    pub ready: Option<u32>,
    /// Whether pods could be listed: `found` (any pods, or none) or why not.
    pub pod_availability: Availability,
    pub desired: Option<i64>,
    /// `status` (the operator's `status.taskManager.replicas`), `spec`
    /// (`spec.taskManager.replicas`) or `estimate` (highest vertex parallelism / slots).
    pub desired_from: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VpaStatus {
    pub availability: Availability,
    /// The VPA on the TaskManagers (the first by name when several).
    pub name: Option<String>,
    pub update_mode: Option<String>,
    /// What it controls on `flink-main-container`.
    pub controlled_resources: Vec<String>,
    /// TaskManager memory request now: from a TaskManager pod's main container, else
    /// from the spec.
    pub memory_request_bytes: Option<u64>,
    /// `pods` or `spec`.
    pub memory_request_from: Option<&'static str>,
    /// The VPA's recommendation for `flink-main-container`
    /// (`status.recommendation.containerRecommendations[].target.memory`).
    pub memory_target_bytes: Option<u64>,
    /// Further VPAs on the same TaskManagers.
    pub others: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HpaStatus {
    pub availability: Availability,
    pub name: Option<String>,
    pub min_replicas: Option<i64>,
    pub max_replicas: Option<i64>,
    pub current_replicas: Option<i64>,
    pub others: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoscalerStateStatus {
    pub config_map: String,
    pub availability: Availability,
    /// Values of the ConfigMap that could not be read.
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LastScaling {
    /// The instant of the newest scaling decision (RFC 3339).
    pub time: String,
    pub age_seconds: i64,
    pub direction: Direction,
    pub vertices: Vec<VertexChange>,
}

/// A rule finding on the deployment or on a VPA/HPA aimed at it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectFinding {
    pub kind: String,
    pub name: String,
    pub rule: RuleId,
    pub severity: Severity,
    pub path: String,
    pub value: Option<String>,
    /// `<problem>; <fix>`, as the text form shows it.
    pub message: String,
    /// What is wrong (JSON version 2 on).
    pub problem: String,
    /// What is allowed or how to fix it; empty when the problem says it all.
    pub fix: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct FindingCounts {
    pub deny: usize,
    pub warn: usize,
}

/// One FlinkDeployment's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentStatus {
    pub namespace: String,
    pub name: String,
    /// A session cluster: no `spec.job`.
    pub session: bool,
    /// `native` or `standalone`.
    pub deployment_mode: &'static str,
    pub job_state: Option<String>,
    pub lifecycle_state: Option<String>,
    pub autoscaler: Autoscaler,
    pub parallelism: Parallelism,
    /// `taskmanager.numberOfTaskSlots` (Flink's default 1 when unset).
    pub slots: i64,
    pub task_managers: TaskManagers,
    pub vpa: VpaStatus,
    pub hpa: HpaStatus,
    pub autoscaler_state: AutoscalerStateStatus,
    pub last_scaling: Option<LastScaling>,
    pub finding_counts: FindingCounts,
    pub findings: Vec<ObjectFinding>,
}

/// Assembles the report: one row per FlinkDeployment, sorted by namespace and name.
pub fn build(
    listing: &Listing,
    scope: ReportScope,
    now: jiff::Timestamp,
    settings: &RuleSettings,
) -> Report {
    let index = Index::new(listing);
    let mut deployments: Vec<DeploymentStatus> = listing
        .deployments
        .iter()
        .map(|fd| deployment_status(fd, listing, &index, now, settings))
        .collect();
    deployments.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let unavailable = [
        ("ConfigMap", "configmaps", &listing.config_maps),
        ("Pod", "pods", &listing.pods),
        (
            "VerticalPodAutoscaler",
            "verticalpodautoscalers.autoscaling.k8s.io",
            &listing.vpas,
        ),
        (
            "HorizontalPodAutoscaler",
            "horizontalpodautoscalers.autoscaling",
            &listing.hpas,
        ),
    ]
    .into_iter()
    .filter_map(|(kind, resource, listed)| match listed {
        Listed::Items(_) => None,
        Listed::Unavailable { reason, message } => Some(UnavailableKind {
            kind,
            resource,
            reason: *reason,
            message: message.clone(),
        }),
    })
    .collect();
    Report {
        kind: Report::KIND,
        version: Report::VERSION,
        context: scope.context,
        server: scope.server,
        namespace: scope.namespace,
        now: now.to_string(),
        unavailable,
        deployments,
    }
}

/// The listed objects, indexed by namespace so that building n rows stays linear.
struct Index<'a> {
    deployments: HashMap<&'a str, HashMap<&'a str, &'a Value>>,
    config_maps: HashMap<(&'a str, &'a str), &'a Value>,
    /// Pods by namespace and `app` label.
    pods: HashMap<(&'a str, &'a str), Vec<&'a Value>>,
    pods_by_namespace: HashMap<&'a str, Vec<&'a Value>>,
    /// VPAs and HPAs by the FlinkDeployment they aim at: (namespace, name) -> (object,
    /// how it reaches the deployment).
    vpas: HashMap<(&'a str, String), Vec<(&'a Value, Reach)>>,
    hpas: HashMap<(&'a str, String), Vec<(&'a Value, Reach)>>,
}

fn namespace(o: &Value) -> &str {
    object::namespace_or(o, "default")
}

fn label<'a>(o: &'a Value, key: &str) -> Option<&'a str> {
    o.pointer("/metadata/labels")
        .and_then(|l| l.get(key))
        .and_then(Value::as_str)
}

impl<'a> Index<'a> {
    fn new(listing: &'a Listing) -> Index<'a> {
        let mut index = Index {
            deployments: HashMap::new(),
            config_maps: HashMap::new(),
            pods: HashMap::new(),
            pods_by_namespace: HashMap::new(),
            vpas: HashMap::new(),
            hpas: HashMap::new(),
        };
        for fd in &listing.deployments {
            index
                .deployments
                .entry(namespace(fd))
                .or_default()
                .insert(object::name(fd), fd);
        }
        for cm in listing.config_maps.items() {
            index
                .config_maps
                .insert((namespace(cm), object::name(cm)), cm);
        }
        for pod in listing.pods.items() {
            let ns = namespace(pod);
            index.pods_by_namespace.entry(ns).or_default().push(pod);
            if let Some(app) = label(pod, "app") {
                index.pods.entry((ns, app)).or_default().push(pod);
            }
        }
        let vpas = by_target(&index, listing.vpas.items(), ownership::vpa_target);
        let hpas = by_target(&index, listing.hpas.items(), ownership::hpa_target);
        index.vpas = vpas;
        index.hpas = hpas;
        index
    }

    fn deployment(&self, namespace: &str, name: &str) -> Option<&'a Value> {
        self.deployments
            .get(namespace)
            .and_then(|by_name| by_name.get(name))
            .copied()
    }
}

/// Groups autoscalers by the FlinkDeployment their target reaches (the rules crate's
/// `flink_target`, so the plugin and the rules agree on what aims at what).
fn by_target<'a>(
    index: &Index<'a>,
    objects: &'a [Value],
    target: fn(&Value) -> Option<&Value>,
) -> HashMap<(&'a str, String), Vec<(&'a Value, Reach)>> {
    let mut out: HashMap<(&'a str, String), Vec<(&'a Value, Reach)>> = HashMap::new();
    for o in objects {
        let ns = namespace(o);
        let view = DeploymentLookup(index);
        if let Some(ft) = ownership::flink_target(target(o), ns, Some(&view)) {
            out.entry((ns, ft.fd_name)).or_default().push((o, ft.reach));
        }
    }
    for list in out.values_mut() {
        list.sort_by_key(|(o, _)| object::name(o));
    }
    out
}

/// The cluster view for resolving targets: FlinkDeployments only.
struct DeploymentLookup<'i, 'a>(&'i Index<'a>);

impl ClusterState for DeploymentLookup<'_, '_> {
    fn flink_deployment(&self, namespace: &str, name: &str) -> Option<SharedObject> {
        self.0.deployment(namespace, name).cloned().map(Arc::new)
    }
    fn vpas_targeting(&self, _: &str, _: &str, _: &str) -> Vec<SharedObject> {
        Vec::new()
    }
    fn hpas_targeting(&self, _: &str, _: &str, _: &str) -> Vec<SharedObject> {
        Vec::new()
    }
}

/// The cluster view one review gets: every FlinkDeployment, and the VPAs and HPAs
/// aimed at one deployment. The rules only look at the VPAs and HPAs that reach the
/// deployment they judge, so this gives the findings a view of the whole namespace
/// would (a test checks this against an `ObjectSet` of everything), without copying
/// every VPA of the namespace for every deployment.
struct ReviewView<'i, 'a> {
    index: &'i Index<'a>,
    vpas: &'i [(&'a Value, Reach)],
    hpas: &'i [(&'a Value, Reach)],
}

impl ClusterState for ReviewView<'_, '_> {
    fn flink_deployment(&self, namespace: &str, name: &str) -> Option<SharedObject> {
        self.index
            .deployment(namespace, name)
            .cloned()
            .map(Arc::new)
    }
    fn vpas_targeting(&self, _: &str, kind: &str, name: &str) -> Vec<SharedObject> {
        aimed_at(self.vpas, ownership::vpa_target, kind, name)
    }
    fn hpas_targeting(&self, _: &str, kind: &str, name: &str) -> Vec<SharedObject> {
        aimed_at(self.hpas, ownership::hpa_target, kind, name)
    }
}

/// Those of `objects` (already the ones aimed at one deployment) whose target is
/// `kind`/`name`.
fn aimed_at(
    objects: &[(&Value, Reach)],
    target: fn(&Value) -> Option<&Value>,
    kind: &str,
    name: &str,
) -> Vec<SharedObject> {
    objects
        .iter()
        .filter(|(o, _)| flink_autoscale_rules::cluster::target_is(target(o), kind, name))
        .map(|(o, _)| Arc::new((*o).clone()))
        .collect()
}

fn str_at<'a>(o: &'a Value, pointer: &str) -> Option<&'a str> {
    o.pointer(pointer).and_then(Value::as_str)
}

fn int_at(o: &Value, pointer: &str) -> Option<i64> {
    o.pointer(pointer).and_then(Value::as_i64)
}

fn deployment_status(
    fd: &Value,
    listing: &Listing,
    index: &Index<'_>,
    now: jiff::Timestamp,
    settings: &RuleSettings,
) -> DeploymentStatus {
    let ns = namespace(fd);
    let name = object::name(fd);
    let session = fd.pointer("/spec/job").is_none_or(Value::is_null);
    let config = FlinkConfig::from_json(fd.pointer("/spec/flinkConfiguration")).unwrap_or_default();
    let effective = EffectiveConfig::resolve(&config);
    let autoscaler = Autoscaler::of(&effective);

    let cm_name = autoscaler_state::config_map_name(name);
    let config_map = index.config_maps.get(&(ns, cm_name.as_str())).copied();
    let state = config_map.map(autoscaler_state::read).unwrap_or_default();
    let parallelism = parallelism_of(fd, &config, &effective, autoscaler.mode, &state.overrides);
    let slots = config
        .get(TASK_SLOTS)
        .and_then(|e| values::parse_int(e.raw.as_deref()?).ok())
        .map_or(1, i64::from);

    let pods = taskmanager_pods(fd, index);
    let task_managers = task_managers_of(fd, &listing.pods, &pods, &parallelism, slots, session);

    let key = (ns, name.to_string());
    let vpas = index.vpas.get(&key).map(Vec::as_slice).unwrap_or_default();
    let hpas = index.hpas.get(&key).map(Vec::as_slice).unwrap_or_default();
    let vpa = vpa_of(fd, &listing.vpas, vpas, &pods);
    let hpa = hpa_of(&listing.hpas, hpas);

    let last_scaling = state.last_decision.as_ref().map(|d| LastScaling {
        time: d.at.to_string(),
        age_seconds: now.duration_since(d.at).as_secs().max(0),
        direction: d.direction,
        vertices: d.vertices.clone(),
    });
    let findings = findings_of(fd, index, vpas, hpas, settings);
    let finding_counts = FindingCounts {
        deny: findings
            .iter()
            .filter(|f| f.severity == Severity::Deny)
            .count(),
        warn: findings
            .iter()
            .filter(|f| f.severity == Severity::Warn)
            .count(),
    };
    DeploymentStatus {
        namespace: ns.to_string(),
        name: name.to_string(),
        session,
        deployment_mode: if ownership::is_standalone(fd) {
            "standalone"
        } else {
            "native"
        },
        job_state: str_at(fd, "/status/jobStatus/state").map(str::to_string),
        lifecycle_state: str_at(fd, "/status/lifecycleState").map(str::to_string),
        autoscaler,
        parallelism,
        slots,
        task_managers,
        vpa,
        hpa,
        autoscaler_state: AutoscalerStateStatus {
            config_map: cm_name,
            availability: Availability::of(&listing.config_maps, config_map.is_some()),
            problems: state.problems,
        },
        last_scaling,
        finding_counts,
        findings,
    }
}

/// The current parallelism and the bounds in effect. The autoscaler's overrides count
/// while it is enabled (in advisor mode the operator still applies those it stored
/// earlier; switched off, it clears them).
fn parallelism_of(
    fd: &Value,
    config: &FlinkConfig,
    effective: &EffectiveConfig,
    mode: AutoscalerMode,
    stored: &[VertexParallelism],
) -> Parallelism {
    let job = int_at(fd, "/spec/job/parallelism");
    let spec_overrides = config
        .get(PARALLELISM_OVERRIDES)
        .and_then(|e| e.raw.as_deref())
        .map(|raw| autoscaler_state::parse_overrides(raw).0)
        .unwrap_or_default();
    let (source, vertices) = if mode != AutoscalerMode::Off && !stored.is_empty() {
        (ParallelismSource::Autoscaler, stored.to_vec())
    } else if !spec_overrides.is_empty() {
        (ParallelismSource::SpecOverrides, spec_overrides)
    } else if job.is_some() {
        (ParallelismSource::Job, Vec::new())
    } else {
        (ParallelismSource::Unknown, Vec::new())
    };
    let current = if vertices.is_empty() {
        job.map(|p| Range { min: p, max: p })
    } else {
        let ps = vertices.iter().map(|v| i64::from(v.parallelism));
        Some(Range {
            min: ps.clone().min().unwrap_or_default(),
            max: ps.max().unwrap_or_default(),
        })
    };
    // Both bounds have defaults in the options table (1 and 200).
    let bounds = match (
        mode,
        effective.i64_or_default(VERTEX_MIN),
        effective.i64_or_default(VERTEX_MAX),
    ) {
        (AutoscalerMode::Off, ..) | (_, None, _) | (_, _, None) => None,
        (_, Some(min), Some(vertex_max)) => {
            let pipeline_max = config
                .get(PIPELINE_MAX_PARALLELISM)
                .and_then(|e| values::parse_int(e.raw.as_deref()?).ok())
                .map(i64::from);
            Some(Range {
                min,
                max: pipeline_max.map_or(vertex_max, |p| vertex_max.min(p)),
            })
        }
    };
    let source = if current.is_none() {
        ParallelismSource::Unknown
    } else {
        source
    };
    Parallelism {
        source,
        current,
        vertices,
        job,
        bounds,
    }
}

/// `status.taskManager.labelSelector` when it is a plain `k=v,k=v` selector, else
/// the labels the operator gives TaskManager pods.
fn taskmanager_selector(fd: &Value) -> Vec<(String, String)> {
    let parsed = str_at(fd, "/status/taskManager/labelSelector").and_then(|raw| {
        raw.split(',')
            .map(|term| {
                let (k, v) = term.split_once("==").or_else(|| term.split_once('='))?;
                let (k, v) = (k.trim(), v.trim());
                let plain = |s: &str| {
                    !s.is_empty()
                        && s.chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
                };
                (plain(k) && (v.is_empty() || plain(v))).then(|| (k.to_string(), v.to_string()))
            })
            .collect::<Option<Vec<_>>>()
    });
    parsed.filter(|s| !s.is_empty()).unwrap_or_else(|| {
        vec![
            ("app".into(), object::name(fd).to_string()),
            ("component".into(), "taskmanager".into()),
        ]
    })
}

/// The deployment's TaskManager pods, sorted by name.
fn taskmanager_pods<'a>(fd: &Value, index: &Index<'a>) -> Vec<&'a Value> {
    let ns = namespace(fd);
    let selector = taskmanager_selector(fd);
    let candidates = match selector.iter().find(|(k, _)| k == "app") {
        Some((_, app)) => index.pods.get(&(ns, app.as_str())),
        None => index.pods_by_namespace.get(ns),
    };
    let mut pods: Vec<&Value> = candidates
        .into_iter()
        .flatten()
        .copied()
        .filter(|pod| {
            selector
                .iter()
                .all(|(k, v)| label(pod, k).unwrap_or_default() == v)
        })
        .collect();
    pods.sort_by_key(|p| object::name(p));
    pods
}

fn pod_ready(pod: &Value) -> bool {
    let terminating = pod.pointer("/metadata/deletionTimestamp").is_some();
    let ready = pod
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True");
    ready && !terminating
}

fn task_managers_of(
    fd: &Value,
    listed: &Listed,
    pods: &[&Value],
    parallelism: &Parallelism,
    slots: i64,
    session: bool,
) -> TaskManagers {
    let ready = match listed {
        Listed::Items(_) => u32::try_from(pods.iter().filter(|p| pod_ready(p)).count()).ok(),
        Listed::Unavailable { .. } => None,
    };
    let estimate = (!session)
        .then(|| {
            parallelism
                .current
                .map(|r| (r.max + slots - 1) / slots.max(1))
        })
        .flatten();
    let (desired, desired_from) = match (
        int_at(fd, "/status/taskManager/replicas"),
        int_at(fd, "/spec/taskManager/replicas"),
        estimate,
    ) {
        (Some(n), _, _) => (Some(n), Some("status")),
        (None, Some(n), _) => (Some(n), Some("spec")),
        (None, None, Some(n)) => (Some(n), Some("estimate")),
        _ => (None, None),
    };
    TaskManagers {
        ready,
        pod_availability: Availability::of(listed, true),
        desired,
        desired_from,
    }
}

fn memory_bytes(quantity: Option<&str>) -> Option<u64> {
    let units = Quantity::parse(quantity?).ok()?.units_ceil();
    u64::try_from(units).ok()
}

fn vpa_of(fd: &Value, listed: &Listed, aimed: &[(&Value, Reach)], pods: &[&Value]) -> VpaStatus {
    let on_taskmanagers: Vec<&Value> = aimed
        .iter()
        .filter(|(_, reach)| *reach != Reach::JobManagerDeployment)
        .map(|(o, _)| *o)
        .collect();
    let first = on_taskmanagers.first().copied();
    let from_pods = pods.iter().find_map(|pod| {
        pod.pointer("/spec/containers")
            .and_then(Value::as_array)?
            .iter()
            .find(|c| c["name"] == ownership::MAIN_CONTAINER)
            .and_then(|c| memory_bytes(c.pointer("/resources/requests/memory")?.as_str()))
    });
    let (memory_request_bytes, memory_request_from) = match from_pods {
        Some(bytes) => (Some(bytes), Some("pods")),
        None => match ownership::taskmanager_memory(fd) {
            Some(bytes) => (Some(bytes), Some("spec")),
            None => (None, None),
        },
    };
    let memory_target_bytes = first.and_then(|vpa| {
        vpa.pointer("/status/recommendation/containerRecommendations")?
            .as_array()?
            .iter()
            .find(|r| r["containerName"] == ownership::MAIN_CONTAINER)
            .and_then(|r| memory_bytes(r.pointer("/target/memory")?.as_str()))
    });
    VpaStatus {
        availability: Availability::of(listed, first.is_some()),
        name: first.map(|v| object::name(v).to_string()),
        update_mode: first.map(|v| ownership::vpa_update_mode(v).to_string()),
        controlled_resources: first
            .map(ownership::vpa_controlled_resources)
            .unwrap_or_default(),
        memory_request_bytes,
        memory_request_from,
        memory_target_bytes,
        others: on_taskmanagers
            .iter()
            .skip(1)
            .map(|v| object::name(v).to_string())
            .collect(),
    }
}

fn hpa_of(listed: &Listed, aimed: &[(&Value, Reach)]) -> HpaStatus {
    let on_taskmanagers: Vec<&Value> = aimed
        .iter()
        .filter(|(_, reach)| *reach != Reach::JobManagerDeployment)
        .map(|(o, _)| *o)
        .collect();
    let first = on_taskmanagers.first().copied();
    HpaStatus {
        availability: Availability::of(listed, first.is_some()),
        name: first.map(|h| object::name(h).to_string()),
        min_replicas: first.map(|h| int_at(h, "/spec/minReplicas").unwrap_or(1)),
        max_replicas: first.and_then(|h| int_at(h, "/spec/maxReplicas")),
        current_replicas: first.and_then(|h| int_at(h, "/status/currentReplicas")),
        others: on_taskmanagers
            .iter()
            .skip(1)
            .map(|h| object::name(h).to_string())
            .collect(),
    }
}

/// The rules run on the live deployment and on every VPA and HPA aimed at it.
fn findings_of(
    fd: &Value,
    index: &Index<'_>,
    vpas: &[(&Value, Reach)],
    hpas: &[(&Value, Reach)],
    settings: &RuleSettings,
) -> Vec<ObjectFinding> {
    let view = ReviewView { index, vpas, hpas };
    let judged = std::iter::once(fd).chain(vpas.iter().chain(hpas).map(|(o, _)| *o));
    let mut out = Vec::new();
    for object in judged {
        let namespace = namespace(object);
        let verdict = review(
            &ReviewInput {
                object,
                namespace,
                cluster: Some(&view),
            },
            settings,
        );
        let kind = object
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default();
        out.extend(verdict.findings.into_iter().map(|f| ObjectFinding {
            kind: kind.to_string(),
            name: object::name(object).to_string(),
            rule: f.rule,
            severity: f.severity,
            path: f.path,
            value: f.value,
            message: f.message,
            problem: f.problem,
            fix: f.fix,
        }));
    }
    out
}

#[cfg(test)]
mod tests;
