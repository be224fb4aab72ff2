//! The kinds the test API server serves: what discovery advertises for them, how a
//! URL's plural names one, which subresources it has, and the columns `kubectl get`
//! prints (the real server's printers, simplified).

use serde_json::{Value, json};

/// One served kind at one group/version.
#[derive(Debug)]
pub struct ResourceType {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    /// Has a `status` subresource: writes to the main resource keep the stored status.
    pub status: bool,
    pub scale: Option<ScalePaths>,
    /// A custom resource: strategic merge patches are plain merge patches, and every
    /// object carries a `metadata.generation`.
    pub custom: bool,
    pub columns: &'static [Column],
}

/// Where the `scale` subresource reads and writes replicas (JSON pointers).
#[derive(Debug)]
pub struct ScalePaths {
    pub spec_replicas: &'static str,
    pub status_replicas: &'static str,
    pub selector: &'static str,
}

/// A column of the server-side table `kubectl get` asks for.
#[derive(Debug)]
pub struct Column {
    pub name: &'static str,
    pub ty: &'static str,
    pub format: &'static str,
    /// 0: always shown; 1: only with `-o wide`.
    pub priority: u8,
    pub cell: fn(&Value) -> Value,
}

impl ResourceType {
    /// `v1` for the core group, `group/version` otherwise.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `plural.group` as the real server names a resource in error messages.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    pub fn verbs(&self) -> &'static [&'static str] {
        &[
            "create",
            "delete",
            "deletecollection",
            "get",
            "list",
            "patch",
            "update",
            "watch",
        ]
    }
}

/// The resource served at `group`/`version` under `plural`.
pub fn by_plural(group: &str, version: &str, plural: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// The resource of an object's `apiVersion` and `kind`.
pub fn by_kind(api_version: &str, kind: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.api_version() == api_version && r.kind == kind)
}

/// The kinds one server serves: every one of [`RESOURCES`] except those left out
/// with `Builder::without_kind`, as if their CRD (or API group) were not installed.
#[derive(Debug, Clone, Default)]
pub struct Served {
    /// Kinds (e.g. `VerticalPodAutoscaler`) left out.
    hidden: Vec<String>,
}

impl Served {
    pub fn without(kinds: Vec<String>) -> Self {
        Served { hidden: kinds }
    }

    pub fn serves(&self, r: &ResourceType) -> bool {
        !self.hidden.iter().any(|k| k == r.kind)
    }

    /// The resource served at `group`/`version` under `plural`.
    pub fn by_plural(
        &self,
        group: &str,
        version: &str,
        plural: &str,
    ) -> Option<&'static ResourceType> {
        by_plural(group, version, plural).filter(|r| self.serves(r))
    }

    /// The served kinds of one group/version.
    pub fn in_group_version<'a>(
        &'a self,
        group: &'a str,
        version: &'a str,
    ) -> impl Iterator<Item = &'static ResourceType> + 'a {
        RESOURCES
            .iter()
            .filter(move |r| r.group == group && r.version == version && self.serves(r))
    }

    /// The group/versions with a served kind, in discovery order (core first): a
    /// group whose every kind is left out disappears from discovery.
    pub fn group_versions(&self) -> Vec<(&'static str, &'static str)> {
        let mut out: Vec<(&str, &str)> = Vec::new();
        for r in RESOURCES.iter().filter(|r| self.serves(r)) {
            if !out.contains(&(r.group, r.version)) {
                out.push((r.group, r.version));
            }
        }
        out
    }
}

const fn col(name: &'static str, cell: fn(&Value) -> Value) -> Column {
    Column {
        name,
        ty: "string",
        format: "",
        priority: 0,
        cell,
    }
}

const fn wide(name: &'static str, cell: fn(&Value) -> Value) -> Column {
    Column {
        priority: 1,
        ..col(name, cell)
    }
}

const NAME: Column = Column {
    format: "name",
    ..col("Name", |o| o["metadata"]["name"].clone())
};
const AGE: Column = Column {
    ty: "date",
    ..col("Age", |o| age(&o["metadata"]["creationTimestamp"]))
};

fn age(timestamp: &Value) -> Value {
    match timestamp.as_str().and_then(super::clock::parse) {
        Some(t) => super::clock::human_duration(super::clock::now() - t).into(),
        None => "<unknown>".into(),
    }
}

fn count_keys(o: &Value, fields: &[&str]) -> Value {
    let n: usize = fields
        .iter()
        .filter_map(|f| o[f].as_object())
        .map(|m| m.len())
        .sum();
    n.into()
}

fn or_none(v: &Value) -> Value {
    if v.is_null() {
        "<none>".into()
    } else {
        v.clone()
    }
}

fn webhook_count(o: &Value) -> Value {
    o["webhooks"].as_array().map_or(0, Vec::len).into()
}

fn pod_ready(o: &Value) -> Value {
    let statuses = o["status"]["containerStatuses"].as_array();
    let total = o["spec"]["containers"].as_array().map_or(0, Vec::len);
    let ready = statuses.map_or(0, |s| s.iter().filter(|c| c["ready"] == true).count());
    format!("{ready}/{total}").into()
}

fn pod_restarts(o: &Value) -> Value {
    let statuses = o["status"]["containerStatuses"].as_array();
    statuses
        .map_or(0, |s| {
            s.iter()
                .filter_map(|c| c["restartCount"].as_i64())
                .sum::<i64>()
        })
        .into()
}

fn replicas_of(o: &Value, field: &str) -> i64 {
    o["status"][field].as_i64().unwrap_or(0)
}

fn hpa_targets(o: &Value) -> Value {
    let metrics = o["spec"]["metrics"].as_array().cloned().unwrap_or_default();
    let parts: Vec<String> = metrics
        .iter()
        .map(|m| {
            let source = &m[m["type"].as_str().unwrap_or("resource").to_lowercase()];
            let target = &source["target"];
            let goal = match target["type"].as_str() {
                Some("Utilization") => target["averageUtilization"]
                    .as_i64()
                    .map(|u| format!("{u}%"))
                    .or_else(|| target["averageValue"].as_str().map(String::from)),
                Some("AverageValue") => target["averageValue"].as_str().map(String::from),
                _ => target["value"].as_str().map(String::from),
            };
            let name = source["name"]
                .as_str()
                .or(source["metric"]["name"].as_str())
                .unwrap_or("metric");
            format!(
                "{name}: <unknown>/{}",
                goal.unwrap_or_else(|| "<unknown>".into())
            )
        })
        .collect();
    if parts.is_empty() {
        "<none>".into()
    } else {
        parts.join(", ").into()
    }
}

fn involved_object(o: &Value) -> Value {
    let io = &o["involvedObject"];
    format!(
        "{}/{}",
        io["kind"].as_str().unwrap_or("").to_lowercase(),
        io["name"].as_str().unwrap_or("")
    )
    .into()
}

fn last_seen(o: &Value) -> Value {
    let t = [&o["lastTimestamp"], &o["eventTime"], &o["firstTimestamp"]]
        .into_iter()
        .find(|t| t.is_string())
        .unwrap_or(&o["metadata"]["creationTimestamp"]);
    age(t)
}

const FLINK_COLUMNS: &[Column] = &[
    NAME,
    col("Job Status", |o| o["status"]["jobStatus"]["state"].clone()),
    col("Lifecycle State", |o| o["status"]["lifecycleState"].clone()),
];

/// A webhook configuration kind of `admissionregistration.k8s.io/v1`: both kinds are
/// alike but for their names (columns as `kubectl get` prints them).
const fn webhook_configuration(
    kind: &'static str,
    plural: &'static str,
    singular: &'static str,
) -> ResourceType {
    ResourceType {
        group: "admissionregistration.k8s.io",
        version: "v1",
        kind,
        plural,
        singular,
        namespaced: false,
        short_names: &[],
        categories: &["api-extensions"],
        status: false,
        scale: None,
        custom: false,
        columns: WEBHOOK_COLUMNS,
    }
}

const WEBHOOK_COLUMNS: &[Column] = &[
    NAME,
    Column {
        ty: "integer",
        ..col("Webhooks", webhook_count)
    },
    AGE,
];

/// Everything served. Versions are the ones the operator, the VPA and Kubernetes
/// 1.34 serve as preferred.
pub static RESOURCES: &[ResourceType] = &[
    ResourceType {
        group: "",
        version: "v1",
        kind: "Namespace",
        plural: "namespaces",
        singular: "namespace",
        namespaced: false,
        short_names: &["ns"],
        categories: &[],
        status: true,
        scale: None,
        custom: false,
        columns: &[NAME, col("Status", |o| o["status"]["phase"].clone()), AGE],
    },
    ResourceType {
        group: "",
        version: "v1",
        kind: "ConfigMap",
        plural: "configmaps",
        singular: "configmap",
        namespaced: true,
        short_names: &["cm"],
        categories: &[],
        status: false,
        scale: None,
        custom: false,
        columns: &[
            NAME,
            Column {
                ty: "integer",
                ..col("Data", |o| count_keys(o, &["data", "binaryData"]))
            },
            AGE,
        ],
    },
    ResourceType {
        group: "",
        version: "v1",
        kind: "Event",
        plural: "events",
        singular: "event",
        namespaced: true,
        short_names: &["ev"],
        categories: &[],
        status: false,
        scale: None,
        custom: false,
        columns: &[
            col("Last Seen", last_seen),
            col("Type", |o| o["type"].clone()),
            col("Reason", |o| o["reason"].clone()),
            col("Object", involved_object),
            col("Message", |o| o["message"].clone()),
            wide("Count", |o| o["count"].clone()),
            Column {
                format: "name",
                ..wide("Name", |o| o["metadata"]["name"].clone())
            },
        ],
    },
    ResourceType {
        group: "",
        version: "v1",
        kind: "Pod",
        plural: "pods",
        singular: "pod",
        namespaced: true,
        short_names: &["po"],
        categories: &["all"],
        status: true,
        scale: None,
        custom: false,
        columns: &[
            NAME,
            col("Ready", pod_ready),
            col("Status", |o| {
                let status = &o["status"];
                or_none(if status["reason"].is_string() {
                    &status["reason"]
                } else {
                    &status["phase"]
                })
            }),
            Column {
                ty: "integer",
                ..col("Restarts", pod_restarts)
            },
            AGE,
            wide("IP", |o| or_none(&o["status"]["podIP"])),
            wide("Node", |o| or_none(&o["spec"]["nodeName"])),
        ],
    },
    ResourceType {
        group: "apps",
        version: "v1",
        kind: "Deployment",
        plural: "deployments",
        singular: "deployment",
        namespaced: true,
        short_names: &["deploy"],
        categories: &["all"],
        status: true,
        scale: Some(ScalePaths {
            spec_replicas: "/spec/replicas",
            status_replicas: "/status/replicas",
            selector: "/spec/selector",
        }),
        custom: false,
        columns: &[
            NAME,
            col("Ready", |o| {
                let want = o["spec"]["replicas"].as_i64().unwrap_or(1);
                format!("{}/{want}", replicas_of(o, "readyReplicas")).into()
            }),
            Column {
                ty: "integer",
                ..col("Up-to-date", |o| replicas_of(o, "updatedReplicas").into())
            },
            Column {
                ty: "integer",
                ..col("Available", |o| replicas_of(o, "availableReplicas").into())
            },
            AGE,
        ],
    },
    ResourceType {
        group: "autoscaling",
        version: "v2",
        kind: "HorizontalPodAutoscaler",
        plural: "horizontalpodautoscalers",
        singular: "horizontalpodautoscaler",
        namespaced: true,
        short_names: &["hpa"],
        categories: &["all"],
        status: true,
        scale: None,
        custom: false,
        columns: &[
            NAME,
            col("Reference", |o| {
                let r = &o["spec"]["scaleTargetRef"];
                format!(
                    "{}/{}",
                    r["kind"].as_str().unwrap_or(""),
                    r["name"].as_str().unwrap_or("")
                )
                .into()
            }),
            col("Targets", hpa_targets),
            col("MinPods", |o| or_none(&o["spec"]["minReplicas"])),
            col("MaxPods", |o| or_none(&o["spec"]["maxReplicas"])),
            col("Replicas", |o| replicas_of(o, "currentReplicas").into()),
            AGE,
        ],
    },
    ResourceType {
        group: "autoscaling.k8s.io",
        version: "v1",
        kind: "VerticalPodAutoscaler",
        plural: "verticalpodautoscalers",
        singular: "verticalpodautoscaler",
        namespaced: true,
        short_names: &["vpa"],
        categories: &[],
        status: true,
        scale: None,
        custom: true,
        columns: &[
            NAME,
            col("Mode", |o| o["spec"]["updatePolicy"]["updateMode"].clone()),
            col("CPU", |o| {
                o["status"]["recommendation"]["containerRecommendations"][0]["target"]["cpu"]
                    .clone()
            }),
            col("Mem", |o| {
                o["status"]["recommendation"]["containerRecommendations"][0]["target"]["memory"]
                    .clone()
            }),
            col("Provided", |o| {
                let conditions = o["status"]["conditions"].as_array();
                conditions
                    .and_then(|cs| cs.iter().find(|c| c["type"] == "RecommendationProvided"))
                    .map_or(Value::Null, |c| c["status"].clone())
            }),
            AGE,
            Column {
                ty: "integer",
                ..wide("MinReplicas", |o| {
                    o["spec"]["updatePolicy"]["minReplicas"].clone()
                })
            },
            Column {
                ty: "integer",
                ..wide("OOMSeconds", |o| {
                    o["spec"]["updatePolicy"]["evictAfterOOMSeconds"].clone()
                })
            },
        ],
    },
    ResourceType {
        group: "flink.apache.org",
        version: "v1beta1",
        kind: "FlinkDeployment",
        plural: "flinkdeployments",
        singular: "flinkdeployment",
        namespaced: true,
        short_names: &["flinkdep"],
        categories: &[],
        status: true,
        scale: Some(ScalePaths {
            spec_replicas: "/spec/taskManager/replicas",
            status_replicas: "/status/taskManager/replicas",
            selector: "/status/taskManager/labelSelector",
        }),
        custom: true,
        columns: FLINK_COLUMNS,
    },
    ResourceType {
        group: "flink.apache.org",
        version: "v1beta1",
        kind: "FlinkSessionJob",
        plural: "flinksessionjobs",
        singular: "flinksessionjob",
        namespaced: true,
        short_names: &["sessionjob"],
        categories: &[],
        status: true,
        scale: None,
        custom: true,
        columns: FLINK_COLUMNS,
    },
    // What the webhook's audit writes: its leader-election Lease and its policy
    // reports in either API (issue 18).
    ResourceType {
        group: "coordination.k8s.io",
        version: "v1",
        kind: "Lease",
        plural: "leases",
        singular: "lease",
        namespaced: true,
        short_names: &[],
        categories: &[],
        status: false,
        scale: None,
        custom: false,
        columns: &[NAME, AGE],
    },
    ResourceType {
        group: "wgpolicyk8s.io",
        version: "v1alpha2",
        kind: "PolicyReport",
        plural: "policyreports",
        singular: "policyreport",
        namespaced: true,
        short_names: &["polr"],
        categories: &[],
        status: false,
        scale: None,
        custom: true,
        columns: &[NAME, AGE],
    },
    ResourceType {
        group: "openreports.io",
        version: "v1alpha1",
        kind: "Report",
        plural: "reports",
        singular: "report",
        namespaced: true,
        short_names: &["rep"],
        categories: &[],
        status: false,
        scale: None,
        custom: true,
        columns: &[NAME, AGE],
    },
    // Where the admission chain reads which webhooks to call (`admission` module).
    webhook_configuration(
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        "mutatingwebhookconfiguration",
    ),
    webhook_configuration(
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        "validatingwebhookconfiguration",
    ),
];

/// The `autoscaling/v1` Scale of `obj`, as the `scale` subresource answers it.
pub fn scale_of(res: &ResourceType, paths: &ScalePaths, obj: &Value) -> Value {
    let meta = &obj["metadata"];
    let selector = match obj.pointer(paths.selector) {
        // Deployments keep a structured selector; the Scale carries its string form.
        Some(Value::Object(s)) => s
            .get("matchLabels")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .map_or(Value::Null, Value::from),
        Some(v) => v.clone(),
        None => Value::Null,
    };
    let mut scale = json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta["name"],
            "namespace": meta["namespace"],
            "uid": meta["uid"],
            "resourceVersion": meta["resourceVersion"],
            "creationTimestamp": meta["creationTimestamp"],
        },
        "spec": {"replicas": obj.pointer(paths.spec_replicas).cloned().unwrap_or(Value::from(if res.custom { 0 } else { 1 }))},
        "status": {"replicas": obj.pointer(paths.status_replicas).cloned().unwrap_or(0.into())},
    });
    if !selector.is_null() {
        scale["status"]["selector"] = selector;
    }
    scale
}
