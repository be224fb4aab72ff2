use super::*;
use crate::status::autoscaler_state::compress;
use flink_autoscale_rules::ObjectSet;
use serde_json::json;

const V1: &str = "bc764cd8ddf7a0cff126f51c16239658";
const V2: &str = "0a448493b4782967b150582570326227";
const NS: &str = "flink";

fn now() -> jiff::Timestamp {
    "2026-07-01T12:00:00Z".parse().expect("an instant")
}

fn fd(name: &str, config: Value) -> Value {
    json!({
        "apiVersion": "flink.apache.org/v1beta1",
        "kind": "FlinkDeployment",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "flinkConfiguration": config,
            "taskManager": {"resource": {"memory": "2048m", "cpu": 1}},
            "job": {"jarURI": "local:///job.jar", "parallelism": 2, "upgradeMode": "last-state"},
        },
    })
}

fn autoscaled(name: &str) -> Value {
    fd(
        name,
        json!({
            "job.autoscaler.enabled": "true",
            "pipeline.max-parallelism": "24",
            "taskmanager.numberOfTaskSlots": "4",
            "execution.checkpointing.interval": "1m",
        }),
    )
}

fn config_map(name: &str, data: Value) -> Value {
    json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": format!("autoscaler-{name}"), "namespace": NS,
                     "labels": {"component": "autoscaler", "app": name}},
        "data": data,
    })
}

fn pod(name: &str, app: &str, ready: bool, memory: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": NS,
                     "labels": {"app": app, "component": "taskmanager", "type": "flink-native-kubernetes"}},
        "spec": {"containers": [
            {"name": "sidecar", "resources": {"requests": {"memory": "64Mi"}}},
            {"name": "flink-main-container", "resources": {"requests": {"memory": memory}}},
        ]},
        "status": {"conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]},
    })
}

fn vpa(name: &str, target: Value, spec: Value, recommendation: Value) -> Value {
    let mut spec = spec;
    spec["targetRef"] = target;
    json!({
        "apiVersion": "autoscaling.k8s.io/v1", "kind": "VerticalPodAutoscaler",
        "metadata": {"name": name, "namespace": NS},
        "spec": spec,
        "status": {"recommendation": {"containerRecommendations": recommendation}},
    })
}

fn fd_ref(name: &str) -> Value {
    json!({"apiVersion": "flink.apache.org/v1beta1", "kind": "FlinkDeployment", "name": name})
}

fn listing(deployments: Vec<Value>) -> Listing {
    Listing {
        deployments,
        config_maps: Listed::Items(Vec::new()),
        pods: Listed::Items(Vec::new()),
        vpas: Listed::Items(Vec::new()),
        hpas: Listed::Items(Vec::new()),
    }
}

fn scope() -> ReportScope {
    ReportScope {
        context: "test".into(),
        server: "https://127.0.0.1:6443".into(),
        namespace: Some(NS.into()),
    }
}

/// The rules as `status` runs them: without the operator's own validator rules.
fn status_settings() -> RuleSettings {
    RuleSettings {
        operator_rules: false,
        ..RuleSettings::default()
    }
}

fn report(listing: &Listing) -> Report {
    build(listing, scope(), now(), &status_settings())
}

fn row<'a>(report: &'a Report, name: &str) -> &'a DeploymentStatus {
    report
        .deployments
        .iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("no row {name}"))
}

fn denied(message: &str) -> Listed {
    Listed::Unavailable {
        reason: Unavailability::Forbidden,
        message: message.into(),
    }
}

#[test]
fn autoscaler_modes_follow_the_effective_configuration() {
    let r = report(&listing(vec![
        fd("flat", json!({"job.autoscaler.enabled": "true"})),
        fd(
            "nested-advisor",
            json!({"job.autoscaler": {"enabled": true, "scaling.enabled": false}}),
        ),
        fd(
            "old-prefix",
            json!({"kubernetes.operator.job.autoscaler.enabled": "TRUE"}),
        ),
        fd(
            "tuning",
            json!({"job.autoscaler": {"enabled": true, "memory.tuning.enabled": true}}),
        ),
        fd("off", json!({"job.autoscaler.enabled": "false"})),
        fd("unset", json!({})),
        fd(
            "tuning-but-off",
            json!({"job.autoscaler.memory.tuning.enabled": "true"}),
        ),
    ]));
    let mode = |name| row(&r, name).autoscaler.mode;
    assert_eq!(mode("flat"), AutoscalerMode::On);
    assert_eq!(mode("nested-advisor"), AutoscalerMode::Advisor);
    assert_eq!(mode("old-prefix"), AutoscalerMode::On);
    assert_eq!(mode("off"), AutoscalerMode::Off);
    assert_eq!(mode("unset"), AutoscalerMode::Off);
    assert!(row(&r, "tuning").autoscaler.memory_tuning);
    assert!(!row(&r, "tuning-but-off").autoscaler.memory_tuning);
}

#[test]
fn bounds_are_vertex_bounds_capped_by_pipeline_max_parallelism() {
    let r = report(&listing(vec![
        fd("defaults", json!({"job.autoscaler.enabled": "true"})),
        fd(
            "capped",
            json!({"job.autoscaler": {"enabled": true, "vertex.min-parallelism": 2,
                   "vertex.max-parallelism": 48}, "pipeline.max-parallelism": 32}),
        ),
        fd(
            "below-cap",
            json!({"job.autoscaler.enabled": "true", "job.autoscaler.vertex.max-parallelism": "8",
                   "pipeline.max-parallelism": "32"}),
        ),
        fd("off", json!({"pipeline.max-parallelism": "32"})),
    ]));
    let bounds = |name| row(&r, name).parallelism.bounds;
    assert_eq!(bounds("defaults"), Some(Range { min: 1, max: 200 }));
    assert_eq!(bounds("capped"), Some(Range { min: 2, max: 32 }));
    assert_eq!(bounds("below-cap"), Some(Range { min: 1, max: 8 }));
    assert_eq!(bounds("off"), None);
}

#[test]
fn current_parallelism_comes_from_the_autoscaler_then_the_spec() {
    let mut off = fd(
        "off",
        json!({"pipeline.jobvertex-parallelism-overrides": format!("{V1}:3")}),
    );
    off["spec"]["job"]["parallelism"] = json!(5);
    let mut listing = listing(vec![autoscaled("on"), off, autoscaled("fresh")]);
    listing.config_maps = Listed::Items(vec![
        config_map(
            "on",
            json!({"parallelismOverrides": format!("{V1}:8,{V2}:4")}),
        ),
        // The autoscaler was switched off: the operator clears its overrides.
        config_map("off", json!({"parallelismOverrides": format!("{V1}:8")})),
    ]);
    let r = report(&listing);
    let on = &row(&r, "on").parallelism;
    assert_eq!(on.source, ParallelismSource::Autoscaler);
    assert_eq!(on.current, Some(Range { min: 4, max: 8 }));
    assert_eq!(
        on.vertices
            .iter()
            .map(|v| (v.id.as_str(), v.parallelism))
            .collect::<Vec<_>>(),
        [(V2, 4), (V1, 8)]
    );
    let off = &row(&r, "off").parallelism;
    assert_eq!(off.source, ParallelismSource::SpecOverrides);
    assert_eq!(off.current, Some(Range { min: 3, max: 3 }));
    assert_eq!(off.job, Some(5));
    let fresh = &row(&r, "fresh").parallelism;
    assert_eq!(fresh.source, ParallelismSource::Job);
    assert_eq!(fresh.current, Some(Range { min: 2, max: 2 }));
    assert_eq!(
        row(&r, "fresh").autoscaler_state.availability,
        Availability::None
    );
}

#[test]
fn last_scaling_reads_compressed_and_plain_histories() {
    let history = format!(
        "{V1}:\n  \"2026-07-01T11:48:00Z\": {{currentParallelism: 4, newParallelism: 8, \
         metrics: {{LOAD: {{current: .nan, average: NaN}}}}}}\n  \
         \"2026-07-01T10:00:00Z\": {{currentParallelism: 2, newParallelism: 4}}\n"
    );
    let mut listing = listing(vec![autoscaled("zipped"), autoscaled("plain")]);
    listing.config_maps = Listed::Items(vec![
        config_map("zipped", json!({"scalingHistory": compress(&history)})),
        config_map("plain", json!({"scalingHistory": history})),
    ]);
    let r = report(&listing);
    for name in ["zipped", "plain"] {
        let last = row(&r, name).last_scaling.clone().expect(name);
        assert_eq!(last.time, "2026-07-01T11:48:00Z");
        assert_eq!(last.age_seconds, 12 * 60);
        assert_eq!(last.direction, Direction::Up);
        assert_eq!(
            last.vertices,
            [VertexChange {
                id: V1.into(),
                from: Some(4),
                to: Some(8)
            }]
        );
        assert!(row(&r, name).autoscaler_state.problems.is_empty());
    }
}

#[test]
fn unreadable_history_is_a_problem_not_a_failure() {
    let mut listing = listing(vec![autoscaled("broken")]);
    listing.config_maps = Listed::Items(vec![config_map(
        "broken",
        json!({"scalingHistory": "[not, a, map"}),
    )]);
    let r = report(&listing);
    let row = row(&r, "broken");
    assert_eq!(row.last_scaling, None);
    assert_eq!(row.autoscaler_state.availability, Availability::Found);
    assert_eq!(row.autoscaler_state.problems.len(), 1);
}

#[test]
fn vpa_shows_mode_memory_now_and_its_target() {
    let mut listing = listing(vec![autoscaled("a"), autoscaled("b")]);
    listing.vpas = Listed::Items(vec![
        vpa(
            "a-vpa",
            fd_ref("a"),
            json!({"updatePolicy": {"updateMode": "Initial"},
                   "resourcePolicy": {"containerPolicies": [
                       {"containerName": "flink-main-container", "controlledResources": ["memory"]}]}}),
            json!([
                {"containerName": "sidecar", "target": {"memory": "100Mi"}},
                {"containerName": "flink-main-container", "target": {"memory": "2684354560"}},
            ]),
        ),
        // A second VPA on a's TaskManagers, through the Deployment name (standalone).
        vpa(
            "a-other",
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "a-taskmanager"}),
            json!({}),
            json!([]),
        ),
        // On b's JobManager: a finding, not b's VPA column.
        vpa(
            "b-jm",
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "b"}),
            json!({"updatePolicy": {"updateMode": "Off"}}),
            json!([]),
        ),
    ]);
    listing.pods = Listed::Items(vec![
        pod("a-taskmanager-1-1", "a", true, "2304Mi"),
        pod("b-taskmanager-1-1", "b", true, "1Gi"),
    ]);
    let r = report(&listing);
    let a = &row(&r, "a").vpa;
    assert_eq!(a.availability, Availability::Found);
    assert_eq!(a.name.as_deref(), Some("a-other"));
    assert_eq!(a.others, ["a-vpa"]);
    // The first by name is a-other, which has no recommendation yet.
    assert_eq!(a.memory_target_bytes, None);
    assert_eq!(a.update_mode.as_deref(), Some("Recreate"));
    assert_eq!(a.controlled_resources, ["cpu", "memory"]);
    assert_eq!(a.memory_request_bytes, Some(2304 << 20));
    assert_eq!(a.memory_request_from, Some("pods"));

    let b = row(&r, "b");
    assert_eq!(b.vpa.availability, Availability::None);
    assert_eq!(b.vpa.memory_request_bytes, Some(1 << 30));
    assert!(
        b.findings
            .iter()
            .any(|f| f.rule == "vpa.jobmanager-target" && f.name == "b-jm"),
        "{:?}",
        b.findings
    );

    // Without pods, the request comes from the spec (Flink's 2048m is 2 GiB).
    listing.pods = Listed::Items(Vec::new());
    listing.vpas = Listed::Items(vec![vpa(
        "a-vpa",
        fd_ref("a"),
        json!({}),
        json!([{"containerName": "flink-main-container", "target": {"memory": "2560Mi"}}]),
    )]);
    let r = report(&listing);
    let a = &row(&r, "a").vpa;
    assert_eq!(a.memory_request_bytes, Some(2 << 30));
    assert_eq!(a.memory_request_from, Some("spec"));
    assert_eq!(a.memory_target_bytes, Some(2560 << 20));
}

#[test]
fn unavailable_kinds_degrade_to_markers() {
    let mut listing = listing(vec![autoscaled("a")]);
    listing.vpas = Listed::Unavailable {
        reason: Unavailability::NotInstalled,
        message: "the server could not find the requested resource".into(),
    };
    listing.config_maps = denied("configmaps is forbidden");
    listing.pods = denied("pods is forbidden");
    listing.hpas = Listed::Unavailable {
        reason: Unavailability::Failed,
        message: "etcdserver: request timed out".into(),
    };
    let r = report(&listing);
    let a = row(&r, "a");
    assert_eq!(a.vpa.availability, Availability::NotInstalled);
    assert_eq!(a.hpa.availability, Availability::Failed);
    assert_eq!(a.autoscaler_state.availability, Availability::Forbidden);
    assert_eq!(a.task_managers.ready, None);
    assert_eq!(a.task_managers.pod_availability, Availability::Forbidden);
    assert_eq!(
        r.unavailable
            .iter()
            .map(|u| (u.kind, u.reason))
            .collect::<Vec<_>>(),
        [
            ("ConfigMap", Unavailability::Forbidden),
            ("Pod", Unavailability::Forbidden),
            ("VerticalPodAutoscaler", Unavailability::NotInstalled),
            ("HorizontalPodAutoscaler", Unavailability::Failed),
        ]
    );
}

#[test]
fn taskmanagers_ready_against_desired() {
    let mut from_status = autoscaled("status");
    from_status["status"] = json!({"taskManager": {"replicas": 3,
        "labelSelector": "component=taskmanager,app=status"}});
    let mut from_spec = fd("spec", json!({}));
    from_spec["spec"]["taskManager"]["replicas"] = json!(2);
    from_spec["spec"]["mode"] = json!("standalone");
    let mut session = fd("session", json!({}));
    session["spec"]["job"] = Value::Null;
    let mut listing = listing(vec![
        from_status,
        from_spec,
        autoscaled("estimate"),
        session,
    ]);
    let mut terminating = pod("status-taskmanager-1-3", "status", true, "2Gi");
    terminating["metadata"]["deletionTimestamp"] = json!("2026-07-01T11:59:00Z");
    listing.pods = Listed::Items(vec![
        pod("status-taskmanager-1-1", "status", true, "2Gi"),
        pod("status-taskmanager-1-2", "status", false, "2Gi"),
        terminating,
        pod("spec-taskmanager-1", "spec", true, "2Gi"),
        // Another job's pod with a name that starts the same way.
        pod("statusboard-taskmanager-1-1", "statusboard", true, "2Gi"),
    ]);
    let r = report(&listing);
    let tm = |name| {
        let t = &row(&r, name).task_managers;
        (t.ready, t.desired, t.desired_from)
    };
    assert_eq!(tm("status"), (Some(1), Some(3), Some("status")));
    assert_eq!(tm("spec"), (Some(1), Some(2), Some("spec")));
    // Parallelism 2 in slots of 4: one TaskManager.
    assert_eq!(tm("estimate"), (Some(0), Some(1), Some("estimate")));
    assert_eq!(tm("session"), (Some(0), None, None));
    assert!(row(&r, "session").session);
    assert_eq!(row(&r, "spec").deployment_mode, "standalone");
    assert_eq!(row(&r, "session").parallelism.current, None);
}

#[test]
fn hpa_on_the_deployment_is_shown_and_judged() {
    let mut listing = listing(vec![autoscaled("a"), fd("off", json!({}))]);
    let hpa = |name: &str, target: &str| {
        json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
               "metadata": {"name": name, "namespace": NS},
               "spec": {"scaleTargetRef": fd_ref(target), "maxReplicas": 4},
               "status": {"currentReplicas": 2}})
    };
    listing.hpas = Listed::Items(vec![hpa("a-hpa", "a"), hpa("off-hpa", "off")]);
    let r = report(&listing);
    let a = row(&r, "a");
    assert_eq!(
        (
            a.hpa.name.as_deref(),
            a.hpa.min_replicas,
            a.hpa.max_replicas,
            a.hpa.current_replicas
        ),
        (Some("a-hpa"), Some(1), Some(4), Some(2))
    );
    let rules: Vec<(&str, &str)> = a
        .findings
        .iter()
        .map(|f| (f.kind.as_str(), f.rule.as_str()))
        .collect();
    assert!(
        rules.contains(&("FlinkDeployment", "autoscaler.hpa-conflict")),
        "{rules:?}"
    );
    assert!(
        rules.contains(&("HorizontalPodAutoscaler", "hpa.autoscaler-conflict")),
        "{rules:?}"
    );
    assert_eq!(a.finding_counts.deny, 2);
    let off = row(&r, "off");
    assert_eq!(off.hpa.name.as_deref(), Some("off-hpa"));
    assert_eq!(off.finding_counts, FindingCounts::default());
}

/// The per-deployment cluster view gives exactly the findings a view of every listed
/// object gives.
#[test]
fn findings_match_a_review_against_every_object() {
    let mut tuning = fd(
        "tuning",
        json!({"job.autoscaler": {"enabled": true, "memory.tuning.enabled": true}}),
    );
    tuning["spec"]["job"]["upgradeMode"] = json!("stateless");
    let deployments = vec![autoscaled("a"), tuning, fd("off", json!({}))];
    let vpas = vec![
        vpa(
            "a-vpa",
            fd_ref("a"),
            json!({"updatePolicy": {"updateMode": "Auto"}}),
            json!([]),
        ),
        vpa("tuning-vpa", fd_ref("tuning"), json!({}), json!([])),
        vpa(
            "tm",
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "off-taskmanager"}),
            json!({}),
            json!([]),
        ),
        vpa(
            "unrelated",
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}),
            json!({}),
            json!([]),
        ),
    ];
    let mut listing = listing(deployments.clone());
    listing.vpas = Listed::Items(vpas.clone());
    let r = report(&listing);

    let everything = ObjectSet::new(deployments.iter().chain(&vpas).cloned().collect(), NS);
    let settings = status_settings();
    let judge = |o: &Value| {
        review(
            &ReviewInput {
                object: o,
                namespace: NS,
                cluster: Some(&everything),
            },
            &settings,
        )
        .findings
        .into_iter()
        .map(|f| (object::name(o).to_string(), f.rule, f.path))
        .collect::<Vec<_>>()
    };
    let mut expected: Vec<_> = deployments.iter().chain(&vpas).flat_map(judge).collect();
    let mut got: Vec<_> = r
        .deployments
        .iter()
        .flat_map(|d| d.findings.iter())
        .map(|f| (f.name.clone(), f.rule, f.path.clone()))
        .collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    assert!(
        got.iter()
            .any(|(_, rule, _)| *rule == "vpa.memory-tuning-conflict"),
        "{got:?}"
    );
}

#[test]
fn rows_are_sorted_and_the_report_says_where_it_looked() {
    let mut other = autoscaled("b");
    other["metadata"]["namespace"] = json!("aaa");
    let r = report(&listing(vec![autoscaled("c"), autoscaled("a"), other]));
    let names: Vec<(&str, &str)> = r
        .deployments
        .iter()
        .map(|d| (d.namespace.as_str(), d.name.as_str()))
        .collect();
    assert_eq!(names, [("aaa", "b"), (NS, "a"), (NS, "c")]);
    assert_eq!(r.kind, "FlinkStatus");
    assert_eq!(r.now, "2026-07-01T12:00:00Z");
    assert_eq!(r.namespace.as_deref(), Some(NS));
}
